"""Meta-test: every row of THE syscall table is exercised by the kernel tests, both ways.

Tests mirror files (DESIGN.md §6): each handler family ``kernel/sys_X.py`` has
``tests/kernel/test_sys_X.py`` and no test file lacks its family. Each row must be called
through the dispatcher from its family's tests on a success path (``ok(proc, "name", …)``),
and from some ``test_sys_*`` file on a failure path (``err``/``call``/``dispatch``, whose
errno the test checks). The files are read with `ast`, so a name in a docstring, a comment
or an unused string does not count. Failure paths no family file had are in
tests/kernel/test_sys_missing.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

from kernel.syscalls import TABLE

HERE = Path(__file__).resolve().parent
KERNEL = HERE.parents[1] / "kernel"
EXTRA = {"missing"}  # test_sys_missing.py: rows' missing tests, not a handler family

SUCCESS = {"ok"}  # tests/kernel/conftest.py: the call must succeed
FAILURE = {"err", "call", "dispatch"}  # the caller gets the errno to check


def dispatched(source: str) -> dict[str, set[str]]:
    """Syscall names a test file sends, each with the helpers it is sent through.

    Counted: a call ``helper(proc, "name", …)`` (the name as the second positional
    argument) inside a function, where ``helper`` is a dispatch helper, a plain name or
    an attribute (``syscalls.dispatch``).
    """
    found: dict[str, set[str]] = {}
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            f = node.func
            helper = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            if helper not in SUCCESS | FAILURE:
                continue
            name = node.args[1]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                found.setdefault(name.value, set()).add(helper)
    return found


def _families() -> set[str]:
    return {p.stem.removeprefix("sys_") for p in KERNEL.glob("sys_*.py")}


def _test_files() -> dict[str, str]:
    return {p.stem.removeprefix("test_sys_"): p.read_text() for p in HERE.glob("test_sys_*.py")}


def test_every_family_has_its_test_file_and_back():
    families = _families()
    tests = set(_test_files())
    assert families, "no kernel/sys_*.py found"
    assert families - tests == set(), "families without tests/kernel/test_sys_X.py"
    assert tests - families - EXTRA == set(), "test files without kernel/sys_X.py"


def test_every_handler_lives_in_a_family_file():
    for row in TABLE.values():
        module = row.handler.__module__
        assert module.startswith("kernel.sys_"), f"{row.name}: handler in {module}"
        assert module.removeprefix("kernel.sys_") in _families(), row.name


def test_the_table_has_46_rows():
    assert len(TABLE) == 46


def test_every_row_succeeds_somewhere_in_its_family_tests():
    files = _test_files()
    missing = []
    for row in TABLE.values():
        family = row.handler.__module__.removeprefix("kernel.sys_")
        if not dispatched(files[family]).get(row.name, set()) & SUCCESS:
            missing.append(f"{row.name} (tests/kernel/test_sys_{family}.py)")
    assert not missing, "rows never called with ok(): " + ", ".join(missing)


def test_every_row_has_a_failure_path_tested():
    sent: dict[str, set[str]] = {}
    for text in _test_files().values():
        for name, helpers in dispatched(text).items():
            sent.setdefault(name, set()).update(helpers)
    missing = [name for name in TABLE if not sent.get(name, set()) & FAILURE]
    assert not missing, "rows whose errors no test checks: " + ", ".join(missing)


def test_names_the_tests_send_are_real_rows():
    """A misspelt name would answer NOSYS and test nothing."""
    unknown = []
    for family, text in _test_files().items():
        unknown += [
            f"{name} in test_sys_{family}.py" for name in dispatched(text) if name not in TABLE
        ]
    assert not unknown, unknown


def test_the_scanner_counts_calls_not_mentions():
    source = '''
"""Mentions "fd_read" in a docstring."""
NAMES = ["fd_tell"]
ok(proc, "fd_seek")  # module level: not inside a test

async def test_x(proc):
    # "fd_sync" in a comment
    await ok(proc, "fd_write", 1, [b"x"])
    assert await err(proc, "fd_close", 99) == 8
    await syscalls.dispatch(proc, "fd_pread", [3, [1], 0])
    print("path_open")
    other(proc, "fd_advise")
'''
    assert dispatched(source) == {
        "fd_write": {"ok"},
        "fd_close": {"err"},
        "fd_pread": {"dispatch"},
    }
