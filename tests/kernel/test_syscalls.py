"""THE table and the dispatcher: completeness, conventions, and how failures become errnos."""

import inspect
import logging
from pathlib import Path

from kernel import abi, syscalls
from kernel.abi import Errno, Whence
from kernel.syscalls import TABLE, Status, Syscall, dispatch, lookup, register

from .conftest import call, ok, open_file

HERE = Path(__file__).parent
SHAPES = {"fd", "u32", "u64", "s64", "path", "lens", "bufs", "subs"}
RESULT_SHAPES = {"fd", "u16", "u32", "u64", "bytes", "strings", "dirents", "events"}


def test_one_row_per_preview1_function_in_abi_order():
    assert list(TABLE) == [s.name for s in abi.SIGNATURES] and len(TABLE) == 46
    for row in TABLE.values():
        assert row.signature is abi.BY_NAME[row.name]


def test_every_row_has_a_status_a_reason_and_shapes():
    for row in TABLE.values():
        assert isinstance(row.status, Status)
        if row.status is Status.PARTIAL:
            assert row.note, f"{row.name} is partial without saying why"
        if row.status is Status.UNSUPPORTED:
            assert row.errno is not None, row.name
        assert {shape for _, shape in row.params} <= SHAPES, row.name
        assert {shape for _, shape in row.results} <= RESULT_SHAPES, row.name
    assert not [r for r in TABLE.values() if r.status is Status.UNSUPPORTED]


def test_handlers_take_exactly_the_row_parameters():
    for row in TABLE.values():
        names = list(inspect.signature(row.handler).parameters)
        assert names == ["proc"] + [n for n, _ in row.params], row.name
        assert inspect.iscoroutinefunction(row.handler), row.name


def test_plain_parameter_names_come_from_the_abi():
    # So the stub generator can pair each plain value with the guest parameter(s) it
    # is decoded from; poll_oneoff's list is decoded from (in, nsubscriptions).
    for row in TABLE.values():
        abi_names = {p.name for p in row.signature.params}
        for name, _ in row.params:
            if row.name == "poll_oneoff":
                continue
            assert name in abi_names, f"{row.name}: {name} not in {sorted(abi_names)}"


def test_every_row_has_a_test_in_its_family_file():
    """Meta-test: tests mirror files, and each row is exercised by its family's tests."""
    missing = []
    for row in TABLE.values():
        family = row.handler.__module__.rsplit(".", 1)[-1]
        text = (HERE / f"test_{family}.py").read_text()
        if f'"{row.name}"' not in text:
            missing.append(f"{row.name} (tests/kernel/test_{family}.py)")
    assert not missing, "rows without a test: " + ", ".join(missing)


def test_unstable_names_map_onto_the_table():
    for name in abi.UNSTABLE_NAMES:
        assert lookup(abi.UNSTABLE, name) is TABLE[name]
    assert lookup(abi.UNSTABLE, "sock_accept") is None
    assert lookup("env", "fd_write") is None


# --- dispatch ------------------------------------------------------------------------------


async def test_unknown_calls_are_nosys(proc):
    assert await call(proc, "fd_frobnicate") == (Errno.NOSYS, [])
    assert await call(proc, "sock_accept", 3, 0, module=abi.UNSTABLE) == (Errno.NOSYS, [])
    assert await call(proc, "fd_write", 1, [b"x"], module="wasi_other") == (Errno.NOSYS, [])


async def test_malformed_arguments_are_inval(proc):
    bad = [
        ("fd_write", [1]),  # arity
        ("fd_write", [1, [b"x"], 3]),
        ("fd_write", [-1, [b"x"]]),
        ("fd_write", [1, ["text"]]),
        ("fd_write", [True, [b"x"]]),
        ("fd_read", [0, 10]),
        ("fd_read", [0, [2**32]]),
        ("fd_seek", [3, 2**64, 0]),
        ("fd_seek", [3, "0", 0]),
        ("path_open", [3, 0, 17, 0, 0, 0, 0]),
        ("poll_oneoff", [5]),
        ("poll_oneoff", [[[1, 0, 1]]]),
        ("poll_oneoff", [[[1, 1, 0, 0]]]),
        ("poll_oneoff", [[7]]),
    ]
    for name, args in bad:
        errno, results = await syscalls.dispatch(proc, name, args)
        assert (errno, results) == (Errno.INVAL, []), (name, args)
    assert (await syscalls.dispatch(proc, "fd_write", "not a list"))[0] == Errno.INVAL


async def test_unstable_fd_seek_whence_is_renumbered(proc):
    fd = await open_file(proc, "f", 1)
    await ok(proc, "fd_write", fd, [b"0123456789"])
    # snapshot 0: CUR = 0, END = 1, SET = 2
    assert await call(proc, "fd_seek", fd, 3, 2, module=abi.UNSTABLE) == (Errno.SUCCESS, [3])
    assert await call(proc, "fd_seek", fd, 2, 0, module=abi.UNSTABLE) == (Errno.SUCCESS, [5])
    assert await call(proc, "fd_seek", fd, -1, 1, module=abi.UNSTABLE) == (Errno.SUCCESS, [9])
    assert await call(proc, "fd_seek", fd, 0, 3, module=abi.UNSTABLE) == (Errno.INVAL, [])
    assert await call(proc, "fd_seek", fd, 0, Whence.SET) == (Errno.SUCCESS, [0])


async def test_handler_bug_is_logged_and_answered_io(proc, caplog):
    async def broken(proc):
        return 1 // 0

    async def host_error(proc):
        raise FileNotFoundError(2, "gone")

    register("test", Syscall("broken", broken, (), ()))
    register("test", Syscall("host_error", host_error, (), ()))
    with caplog.at_level(logging.ERROR, logger="wasios.kernel"):
        assert await dispatch(proc, "broken", [], module="test") == (Errno.IO, [])
    assert "kernel bug in test.broken" in caplog.text and "ZeroDivisionError" in caplog.text
    assert await dispatch(proc, "host_error", [], module="test") == (Errno.NOENT, [])
    assert proc.running  # the process and the kernel carry on
    assert await ok(proc, "fd_write", 1, [b"still fine"]) == [10]


async def test_custom_syscall(proc):
    async def print_greeting(proc, name):
        return [f"hello {name.decode()}".encode()]

    register("host", Syscall("print_greeting", print_greeting, (("name", "path"),), ()))
    assert await dispatch(proc, "print_greeting", [b"ann"], module="host") == (0, [b"hello ann"])
    try:
        register(abi.PREVIEW1, Syscall("fd_write", print_greeting, (), ()))
    except ValueError:
        pass
    else:
        raise AssertionError("a WASI row was replaced")


def test_proc_exit_is_noreturn_and_args_are_cacheable():
    assert TABLE["proc_exit"].noreturn
    cacheable = {r.name for r in TABLE.values() if r.cacheable}
    assert cacheable == {"args_get", "args_sizes_get", "environ_get", "environ_sizes_get"}
