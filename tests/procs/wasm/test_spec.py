"""The spec-test corpus through the interpreter.

Two sources: the older copy of the WebAssembly spec tests from Debian's binaryen source
package (fetched by `.ci/fetch-spec-tests` into tests/data/spec/), and the project's own
scripts in tests/procs/wasm/wast/ for what that copy misses. Files of later proposals are
listed with the reason; they must still run without crashing the engine (every module
that uses an unsupported feature is refused with a clear "not supported yet" error).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from procs.wasm.errors import MalformedError
from procs.wasm.text import parse_module
from procs.wasm.wast_runner import run_file

HERE = Path(__file__).resolve().parent
SPEC = HERE.parents[1] / "data" / "spec"
OWN = HERE / "wast"

# Files of proposals beyond Wasm 2.0 (or binaryen-only extensions) in the old copy.
LATER_PROPOSALS = {
    "address64.wast": "memory64",
    "align64.wast": "memory64",
    "bulk-memory64.wast": "memory64",
    "endianness64.wast": "memory64",
    "float_memory64.wast": "memory64",
    "load64.wast": "memory64",
    "memory64.wast": "memory64",
    "memory_grow64.wast": "memory64",
    "memory_redundancy64.wast": "memory64",
    "memory_trap64.wast": "memory64",
    "resizing64.wast": "memory64",
    "old_address64.wast": "memory64",
    "simd.wast": "SIMD",
    "atomics.wast": "threads",
    "exception-handling.wast": "exception handling",
    "tags.wast": "exception handling",
    "array.wast": "GC",
    "struct.wast": "GC",
    "i31.wast": "GC",
    "ref_cast.wast": "GC",
    "ref_eq.wast": "GC",
    "br_on_null.wast": "typed function references",
    "call_ref.wast": "typed function references",
    "ref_as_non_null.wast": "typed function references",
    "tuples.wast": "binaryen tuple extension",
}

LATER_PROPOSALS.update(
    {
        "table.wast": "typed function references: `(table (ref null func))`",
        "elem_reftypes.wast": "typed function references: `(ref null $t)` element types",
    }
)

_OLD_SYNTAX = "pre-2.0 text syntax (`(block i32 ...)`, `if` without `then`, `infinity`, ...)"
# Whole files written for rules or syntax older than Wasm 2.0.
PRE_2_0: dict[str, str] = {
    "old_address.wast": _OLD_SYNTAX,
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
    "old_import.wast": "MVP rules: one table only, spectest print of any type, binaryen's messages",
    "old_start.wast": "MVP spectest: `print` accepting any signature",
    "elem.wast": "MVP syntax `(elem $table ...)` (in 2.0 the id names the segment) and MVP "
    "link-time bounds checks of segments (2.0 traps at instantiation, in order)",
    "ref_func.wast": "broken copy: the module imported as `M` is never registered",
    "multivalue.wast": "binaryen's own tuple instructions (`tuple.make`), not Wasm 2.0",
}

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


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.wast"))


def test_corpus_present():
    # CI fetches it (.ci/fetch-spec-tests); without it the suite below would be empty.
    assert len(_files(SPEC)) > 100, "run .ci/fetch-spec-tests"
    assert _files(OWN), "the project's own .wast files are missing"


CORPUS = [
    p
    for p in _files(SPEC)
    if p.name not in LATER_PROPOSALS and p.name not in PRE_2_0 and not p.name.endswith(".fail.wast")
]
# `*.fail.wast` files are single text modules that a parser must reject.
MUST_FAIL = [p for p in _files(SPEC) if p.name.endswith(".fail.wast")]


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_spec_file(path):
    result = run_file(str(path), WAIVED.get(path.name))
    assert not result.failures, "\n".join(result.failures[:40])
    assert result.passed + result.skipped > 0


@pytest.mark.parametrize("path", MUST_FAIL, ids=lambda p: p.name)
def test_spec_fail_file_is_rejected(path):
    with pytest.raises(MalformedError):
        parse_module(path.read_text())


@pytest.mark.parametrize("path", _files(OWN), ids=lambda p: p.name)
def test_own_file(path):
    result = run_file(str(path))
    assert not result.failures, "\n".join(result.failures[:40])
    assert result.passed > 0


@pytest.mark.parametrize("path", [SPEC / n for n in sorted(LATER_PROPOSALS)], ids=lambda p: p.name)
def test_later_proposal_files_fail_cleanly(path):
    if not path.exists():
        pytest.fail(f"{path.name} is listed but missing from the corpus")
    result = run_file(str(path))
    crashes = [f for f in result.failures if ": crash " in f or "RecursionError" in f]
    assert not crashes, "\n".join(crashes[:20])
