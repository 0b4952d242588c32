"""The spec-test corpus and how each file of it is treated: one list, used by the script
parser's tests and by the spec runner's tests.

The old copy of the WebAssembly spec tests (Debian's binaryen source package, fetched by
`.ci/fetch-spec-tests` into tests/data/spec/) mixes Wasm 2.0 files with files of later
proposals and files written for the MVP. Each file or assertion left out is listed here
with the reason.
"""

from __future__ import annotations

from pathlib import Path

from procs.wasm.wast_runner import LATER_PROPOSAL_FILES

HERE = Path(__file__).resolve().parent
SPEC = HERE.parents[1] / "data" / "spec"
OWN = HERE / "wast"

# Files of proposals beyond Wasm 2.0 in the old copy: the runner's own list.
LATER_PROPOSALS = LATER_PROPOSAL_FILES


_OLD_SYNTAX = "pre-2.0 text syntax (`(block i32 ...)`, `if` without `then`, `infinity`, ...)"
# Whole files in text syntax older than Wasm 2.0: a 2.0 parser rejects their modules.
PRE_2_0_SYNTAX: dict[str, str] = {
    "old_block.wast": _OLD_SYNTAX,
    "old_br_if.wast": _OLD_SYNTAX,
    "old_call.wast": _OLD_SYNTAX,
    "old_call_indirect.wast": _OLD_SYNTAX,
    "old_float_exprs.wast": _OLD_SYNTAX,
    "old_float_literals.wast": _OLD_SYNTAX,
    "old_func.wast": _OLD_SYNTAX,
    "old_loop.wast": _OLD_SYNTAX,
    "old_unreachable.wast": _OLD_SYNTAX,
    "typecheck.wast": _OLD_SYNTAX,
    "elem.wast": "MVP syntax `(elem $table ...)` (in 2.0 the id names the segment) and MVP "
    "link-time bounds checks of segments (2.0 traps at instantiation, in order)",
}
# Whole files that parse but test rules older than Wasm 2.0, or are broken copies.
PRE_2_0_RULES: dict[str, str] = {
    "old_address.wast": "MVP spectest: `print` accepting any signature",
    "old_import.wast": "MVP rules: one table only, spectest print of any type, binaryen's messages",
    "old_start.wast": "MVP spectest: `print` accepting any signature",
    "ref_func.wast": "broken copy: the module imported as `M` is never registered",
}
PRE_2_0 = {**PRE_2_0_SYNTAX, **PRE_2_0_RULES}

_MVP_SEGMENTS = (
    "MVP: segment bounds checked before any write and reported as a link error; Wasm 2.0 "
    "writes segments in order and traps at the first that does not fit"
)
_MULTI_VALUE = "MVP: a function or block with more than one result (Wasm 2.0 allows it)"
# Single assertions that encode a pre-2.0 rule or binaryen's own message text.
WAIVED: dict[str, dict[int, str]] = {
    "binary.wast": {49: "MVP: the call_indirect reserved byte (a table index in 2.0)"},
    "func.wast": {492: _MULTI_VALUE, 496: _MULTI_VALUE},
    "type.wast": {52: _MULTI_VALUE, 56: _MULTI_VALUE},
    "imports.wast": {
        260: "binaryen's copy: imports a mutable global from an immutable export",
        315: "binaryen's copy: expects an immutable import of an immutable global to fail",
    },
    "unreached-invalid.wast": {
        538: "MVP: br_table labels of different types after unreachable (valid in 2.0)"
    },
    "call_indirect_refnull.wast": {9: "binaryen's trap message text"},
    "old_select.wast": dict.fromkeys((101, 102, 103, 104), "binaryen's trap message text"),
    "call_indirect_sig_mismatch.wast": {14: "binaryen's trap message text"},
    "linking.wast": dict.fromkeys(
        (206, 227, 236, 238, 248, 298, 334, 342, 344, 354), _MVP_SEGMENTS
    ),
}


def wast_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.wast"))


# `*.fail.wast` files are single text modules that a parser must reject.
MUST_FAIL = [p for p in wast_files(SPEC) if p.name.endswith(".fail.wast")]
# The Wasm 2.0 files the spec runner must pass.
WASM2 = [
    p
    for p in wast_files(SPEC)
    if p.name not in LATER_PROPOSALS and p.name not in PRE_2_0 and p not in MUST_FAIL
]
