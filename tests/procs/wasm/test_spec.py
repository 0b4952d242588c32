"""The spec-test corpus through the interpreter, and through the JIT (eager mode).

Two sources: the older copy of the WebAssembly spec tests (see corpus.py for which of its
files and assertions are left out, and why), and the project's own scripts in
tests/procs/wasm/wast/ for what that copy misses. Files of later proposals still run: they
must fail only with clean errors (every module that uses an unsupported feature is refused
with "not supported yet"), never crash the engine.
"""

from __future__ import annotations

import pytest

from procs.wasm.errors import MalformedError
from procs.wasm.text import parse_module
from procs.wasm.wast_runner import run_file

from .corpus import LATER_PROPOSALS, MUST_FAIL, OWN, PRE_2_0, SPEC, WAIVED, WASM2, wast_files


def test_corpus_present():
    # CI fetches it (.ci/fetch-spec-tests); without it the suite below would be empty.
    assert len(wast_files(SPEC)) > 100, "run .ci/fetch-spec-tests"
    assert wast_files(OWN), "the project's own .wast files are missing"


@pytest.fixture(params=["off", "eager"])
def jit_mode(request, monkeypatch):
    """Every instance the runner creates uses this tier (procs/wasm/jit.py reads it)."""
    monkeypatch.setenv("WASIOS_JIT", request.param)
    return request.param


@pytest.mark.parametrize("path", WASM2, ids=lambda p: p.name)
def test_spec_file(path, jit_mode):
    result = run_file(str(path), WAIVED.get(path.name))
    assert not result.failures, "\n".join(result.failures[:40])
    assert result.passed + result.skipped > 0


@pytest.mark.parametrize("path", MUST_FAIL, ids=lambda p: p.name)
def test_spec_fail_file_is_rejected(path):
    with pytest.raises(MalformedError):
        parse_module(path.read_text())


@pytest.mark.parametrize("path", wast_files(OWN), ids=lambda p: p.name)
def test_own_file(path, jit_mode):
    result = run_file(str(path))
    assert not result.failures, "\n".join(result.failures[:40])
    assert result.passed > 0


@pytest.mark.parametrize(
    "path", [SPEC / n for n in sorted({**LATER_PROPOSALS, **PRE_2_0})], ids=lambda p: p.name
)
def test_skipped_files_fail_cleanly(path):
    if not path.exists():
        pytest.fail(f"{path.name} is listed but missing from the corpus")
    result = run_file(str(path))
    crashes = [f for f in result.failures if ": crash " in f or "RecursionError" in f]
    assert not crashes, "\n".join(crashes[:20])
