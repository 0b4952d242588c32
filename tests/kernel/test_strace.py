"""The --strace trace lines and the strace -c summary (kernel/strace.py).

Expected lines are written out by hand from the formats the module docstring and the
brief give, so a change of format shows up here as a failure to review.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel import syscalls
from kernel.abi import ALL_RIGHTS, PREVIEW1, UNSTABLE, Errno
from kernel.abi import Rights as R
from kernel.strace import Tracer, errno_text, format_event, format_syscall
from kernel.syscalls import TABLE, Syscall

ALL = int(ALL_RIGHTS)
REPO = Path(__file__).resolve().parents[2]


async def _nothing(proc, *args):
    return []


def lines_of(calls, **kw) -> list[str]:
    """Trace ``calls`` — (module, name|row, args, errno, results) — and return the lines."""
    out = io.StringIO()
    t = Tracer(out, **kw)
    for module, row, args, errno, results in calls:
        if isinstance(row, str):
            row = TABLE[row]
        t.syscall(3, module, row, args, errno, results, 1000)
    return out.getvalue().splitlines()


def one(name, args, errno=0, results=(), module=PREVIEW1, **kw) -> str:
    lines = lines_of([(module, name, list(args), errno, list(results))], **kw)
    assert len(lines) == 1
    return lines[0]


# --- one line per call, every shape --------------------------------------------------------


def test_path_open_flags_and_rights():
    line = one(
        "path_open",
        [3, 1, "dir/a.txt", 1 | 8, int(R.FD_READ | R.FD_WRITE), ALL, 0],
        results=[4],
    )
    assert line == (
        '[pid 3] path_open(fd=3, dirflags=SYMLINK_FOLLOW, path="dir/a.txt", oflags=CREAT|TRUNC, '
        "fs_rights_base=FD_READ|FD_WRITE, fs_rights_inheriting=ALL, fdflags=0) = 0 (fd_out=4)"
    )


def test_path_open_error_with_invalid_utf8_bytes_path():
    line = one(
        "path_open",
        [5, 0, b"caf\xc3\xa9/\xff\xfe\n", 2 | 4 | 0x30, 0, 0, 1 | 4 | 0x40],
        errno=44,
    )
    assert line == (
        '[pid 3] path_open(fd=5, dirflags=0, path="café/\\xff\\xfe\\n", '
        "oflags=DIRECTORY|EXCL|0x30, fs_rights_base=0, fs_rights_inheriting=0, "
        "fdflags=APPEND|NONBLOCK|0x40) = 44 ENOENT (No such file or directory)"
    )


def test_str_path_escapes_controls_quotes_and_surrogates():
    line = one("path_unlink_file", [3, 'a"b\\c\t\x1b\udcff\u200e'], errno=2)
    assert line == (
        '[pid 3] path_unlink_file(fd=3, path="a\\"b\\\\c\\t\\x1b\\xff\\u200e") '
        "= 2 EACCES (Permission denied)"
    )


def test_fd_write_buffers_cut_at_max_bytes():
    line = one("fd_write", [1, [b"hello\n", b"\x00\x7f" + b"x" * 40, b""]], results=[49])
    assert line == (
        '[pid 3] fd_write(fd=1, iovs=["hello\\n", '
        '"\\x00\\x7fxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"…(42 bytes), ""]) = 0 (nwritten=49)'
    )


def test_max_bytes_is_a_parameter():
    line = one("fd_write", [1, [b"abcdef"]], results=[6], max_bytes=4)
    assert line == '[pid 3] fd_write(fd=1, iovs=["abcd"…(6 bytes)]) = 0 (nwritten=6)'
    assert one("fd_write", [1, [b"ab"]], results=[2], max_bytes=0) == (
        '[pid 3] fd_write(fd=1, iovs=[""…(2 bytes)]) = 0 (nwritten=2)'
    )


def test_read_results_say_their_length():
    assert one("fd_read", [0, [4096]], results=[b"abc"]) == (
        '[pid 3] fd_read(fd=0, iovs=[4096]) = 0 (data="abc", 3 bytes)'
    )
    assert one("fd_pread", [0, [10, 20], 7], results=[b"0123456789"], max_bytes=4) == (
        '[pid 3] fd_pread(fd=0, iovs=[10, 20], offset=7) = 0 (data="0123"…, 10 bytes)'
    )
    assert one("sock_recv", [4, [8], 1 | 2], results=[b"hi", 1]) == (
        "[pid 3] sock_recv(fd=4, ri_data=[8], ri_flags=RECV_PEEK|RECV_WAITALL) "
        '= 0 (data="hi", 2 bytes, ro_flags=RECV_DATA_TRUNCATED)'
    )


def test_path_results_show_the_path():
    assert one("fd_prestat_dir_name", [3, 8], results=[b"/sandbox"]) == (
        '[pid 3] fd_prestat_dir_name(fd=3, path_len=8) = 0 (path="/sandbox")'
    )
    assert one("path_readlink", [3, "l", 64], results=[b"t" * 40]) == (
        '[pid 3] path_readlink(fd=3, path="l", buf_len=64) = 0 (target="'
        + "t" * 32
        + '"…, 40 bytes)'
    )


def test_many_iovecs_are_counted_not_listed():
    line = one("fd_read", [0, list(range(20))], errno=8)
    assert line == (
        "[pid 3] fd_read(fd=0, iovs=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, …+4]) "
        "= 8 EBADF (Bad file descriptor)"
    )


def test_enums_by_name_unknown_values_as_numbers():
    assert one("clock_time_get", [1, 1000], results=[123]) == (
        "[pid 3] clock_time_get(id=MONOTONIC, precision=1000) = 0 (time=123)"
    )
    assert one("clock_res_get", [9], errno=28) == (
        "[pid 3] clock_res_get(id=9) = 28 EINVAL (Invalid argument)"
    )
    assert one("fd_seek", [3, -5, 2], results=[10]) == (
        "[pid 3] fd_seek(fd=3, offset=-5, whence=END) = 0 (newoffset=10)"
    )
    assert one("fd_advise", [3, 0, 100, 3]) == (
        "[pid 3] fd_advise(fd=3, offset=0, len=100, advice=WILLNEED) = 0"
    )
    assert one("proc_raise", [15]) == "[pid 3] proc_raise(sig=SIGTERM) = 0"
    assert one("proc_raise", [99], errno=28) == (
        "[pid 3] proc_raise(sig=99) = 28 EINVAL (Invalid argument)"
    )
    assert one("fd_filestat_set_times", [3, 1, 2, 2 | 4]) == (
        "[pid 3] fd_filestat_set_times(fd=3, atim=1, mtim=2, fst_flags=ATIM_NOW|MTIM) = 0"
    )
    assert one("sock_shutdown", [4, 3]) == "[pid 3] sock_shutdown(fd=4, how=RD|WR) = 0"


def test_rights_abbreviations():
    def rights(base: int) -> str:
        line = one("fd_fdstat_set_rights", [3, base, 0])
        return line.split("fs_rights_base=")[1].split(", fs_rights_inheriting")[0]

    assert rights(0) == "0"
    assert rights(ALL) == "ALL"
    assert rights((1 << 64) - 1) == "ALL|0xffffffffc0000000"
    assert rights(int(R.FD_READ | R.SOCK_ACCEPT)) == "FD_READ|SOCK_ACCEPT"
    assert rights(ALL & ~int(R.FD_WRITE)) == "ALL&~FD_WRITE"
    assert rights(ALL & ~int(R.FD_WRITE | R.FD_SEEK)) == "ALL&~(FD_SEEK|FD_WRITE)"
    assert rights(0xFFFF) == "FD_DATASYNC|FD_READ|FD_SEEK|…(16 rights, 0xffff)"
    assert rights(1 << 40) == "0x10000000000"


def test_fdstat_results_decoded():
    assert one("fd_fdstat_get", [1], results=[2, 1, ALL, 0]) == (
        "[pid 3] fd_fdstat_get(fd=1) = 0 (fs_filetype=CHARACTER_DEVICE, fs_flags=APPEND, "
        "fs_rights_base=ALL, fs_rights_inheriting=0)"
    )
    assert one("fd_prestat_get", [3], results=[0, 8]) == (
        "[pid 3] fd_prestat_get(fd=3) = 0 (tag=DIR, pr_name_len=8)"
    )
    assert one("path_filestat_get", [3, 0, "f"], results=[1, 2, 4, 1, 10, 5, 6, 7]) == (
        '[pid 3] path_filestat_get(fd=3, flags=0, path="f") = 0 (dev=1, ino=2, '
        "filetype=REGULAR_FILE, nlink=1, size=10, atim=5, mtim=6, ctim=7)"
    )


def test_poll_subscriptions_and_events():
    subs = [[1, 0, 1, 1_000_000, 0, 0], [2, 0, 0, 5, 10, 1], [3, 1, 0], [4, 2, 1]]
    events = [[1, 0, 0, 0, 0], [3, 0, 1, 5, 1], [4, 8, 2, 0, 0]]
    assert one("poll_oneoff", [subs], results=[events]) == (
        "[pid 3] poll_oneoff(subscriptions=[{userdata=1, CLOCK, id=MONOTONIC, timeout=1000000}, "
        "{userdata=2, CLOCK, id=REALTIME, timeout=5, precision=10, "
        "flags=SUBSCRIPTION_CLOCK_ABSTIME}, {userdata=3, FD_READ, fd=0}, "
        "{userdata=4, FD_WRITE, fd=1}]) = 0 (events=[{userdata=1, CLOCK}, "
        "{userdata=3, FD_READ, nbytes=5, flags=FD_READWRITE_HANGUP}, "
        "{userdata=4, FD_WRITE, error=EBADF, nbytes=0}])"
    )


def test_readdir_entries():
    entries = [[1, 10, 3, b"."], [2, 11, 4, b"a\xff.txt"], [3, 12, 9, b"odd"]]
    assert one("fd_readdir", [3, 128, 0], results=[entries]) == (
        "[pid 3] fd_readdir(fd=3, buf_len=128, cookie=0) = 0 (entries=["
        '{d_next=1, d_ino=10, d_type=DIRECTORY, d_name="."}, '
        '{d_next=2, d_ino=11, d_type=REGULAR_FILE, d_name="a\\xff.txt"}, '
        '{d_next=3, d_ino=12, d_type=9, d_name="odd"}])'
    )


def test_args_and_environ_strings():
    assert one("args_get", [], results=[[b"prog", b"a b\n", b"x" * 33]]) == (
        '[pid 3] args_get() = 0 (argv=["prog", "a b\\n", "' + "x" * 32 + '"…(33 bytes)])'
    )
    assert one("args_sizes_get", [], results=[3, 17]) == (
        "[pid 3] args_sizes_get() = 0 (argc=3, argv_buf_size=17)"
    )
    assert one("environ_get", [], results=[[]]) == "[pid 3] environ_get() = 0 (environ=[])"


def test_two_paths_and_no_result():
    assert one("path_rename", [3, "a", 4, b"b"]) == (
        '[pid 3] path_rename(fd=3, old_path="a", new_fd=4, new_path="b") = 0'
    )
    assert one("path_symlink", ["t", 3, "l"], errno=20) == (
        '[pid 3] path_symlink(old_path="t", fd=3, new_path="l") = 20 EEXIST (File exists)'
    )
    assert one("sched_yield", []) == "[pid 3] sched_yield() = 0"


def test_proc_exit_has_no_return_value():
    assert one("proc_exit", [3]) == "[pid 3] proc_exit(rval=3) = ?"


def test_errno_names():
    assert errno_text(1) == "1 E2BIG (Argument list too long)"
    assert errno_text(76) == "76 ENOTCAPABLE (Capabilities insufficient)"
    assert errno_text(19) == "19 EDQUOT"  # no description: the name alone
    assert errno_text(58) == "58 ENOTSUP (Not supported)"
    assert errno_text(200) == "200"
    assert one("fd_close", [9], errno=int(Errno.BADF)) == (
        "[pid 3] fd_close(fd=9) = 8 EBADF (Bad file descriptor)"
    )
    assert one("fd_close", [9], errno=300) == "[pid 3] fd_close(fd=9) = 300"


def test_module_prefix_only_outside_preview1():
    assert one("fd_seek", [3, 0, 0], results=[0], module=UNSTABLE) == (
        "[pid 3] wasi_unstable.fd_seek(fd=3, offset=0, whence=SET) = 0 (newoffset=0)"
    )


def test_custom_rows_print_plain_values():
    get_input = Syscall("get_input", _nothing, (("key", "path"), ("n", "u32")), (("v", "bytes"),))
    assert one(get_input, [b"k\x01", 9], results=[b"val"], module="host") == (
        '[pid 3] host.get_input(key="k\\x01", n=9) = 0 (v="val")'
    )
    # A custom row named like a WASI call, in its own module: no WASI kinds apply to it.
    fake = Syscall("path_open", _nothing, (("oflags", "u32"),), (("fd_out", "fd"),))
    assert one(fake, [9], results=[4], module="host") == (
        "[pid 3] host.path_open(oflags=9) = 0 (fd_out=4)"
    )
    # A preview1-module row with no abi signature, extra args and results, odd shapes.
    odd = Syscall("sock_open", _nothing, (("af", "u32"),), ())
    assert one(odd, [2, "x", [1, b"y"], None], results=[5, 6], module=PREVIEW1, errno=0) == (
        '[pid 3] sock_open(af=2, arg1="x", arg2=[1, "y"], arg3=None) = 0 (result0=5, result1=6)'
    )
    assert odd.name not in TABLE  # it must not need a signature: row.signature would raise


def test_timing_suffix():
    out = io.StringIO()
    Tracer(out, timing=True).syscall(7, PREVIEW1, TABLE["fd_close"], [3], 0, [], 1_234_567)
    assert out.getvalue() == "[pid 7] fd_close(fd=3) = 0 <0.001235>\n"


def test_events():
    out = io.StringIO()
    t = Tracer(out)
    t.event(3, "spawned prog a")
    t.event(4, "killed by SIGKILL")
    t.event(5, "trapped: unreachable in\nfoo\x1b[2J")
    assert out.getvalue().splitlines() == [
        "[pid 3] +++ spawned prog a +++",
        "[pid 4] +++ killed by SIGKILL +++",
        "[pid 5] +++ trapped: unreachable in\\nfoo\\x1b[2J +++",
    ]
    assert format_event(1, "exited with 0") == "[pid 1] +++ exited with 0 +++"


def test_lines_interleave_by_process():
    out = io.StringIO()
    t = Tracer(out)
    t.syscall(3, PREVIEW1, TABLE["fd_close"], [3], 0, [], 1)
    t.event(4, "exited with 0")
    t.syscall(3, PREVIEW1, TABLE["fd_close"], [3], 8, [], 1)
    assert out.getvalue() == (
        "[pid 3] fd_close(fd=3) = 0\n"
        "[pid 4] +++ exited with 0 +++\n"
        "[pid 3] fd_close(fd=3) = 8 EBADF (Bad file descriptor)\n"
    )


class Recorder(io.StringIO):
    """A stream that records the order of writes and flushes."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[str] = []

    def write(self, s: str) -> int:
        self.ops.append("w:" + s)
        return super().write(s)

    def flush(self) -> None:
        self.ops.append("flush")


def test_each_line_is_one_write_then_a_flush():
    rec = Recorder()
    t = Tracer(rec)
    t.syscall(3, PREVIEW1, TABLE["fd_write"], [1, [b"a", b"b"]], 0, [2], 5)
    t.event(3, "exited with 0")
    assert rec.ops == [
        'w:[pid 3] fd_write(fd=1, iovs=["a", "b"]) = 0 (nwritten=2)\n',
        "flush",
        "w:[pid 3] +++ exited with 0 +++\n",
        "flush",
    ]


def test_default_out_is_stderr(capsys):
    t = Tracer()
    t.syscall(3, PREVIEW1, TABLE["sched_yield"], [], 0, [], 1)
    assert capsys.readouterr().err == "[pid 3] sched_yield() = 0\n"


def test_ascii_only_stream_gets_escapes_not_lost_lines():
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    Tracer(stream).syscall(3, PREVIEW1, TABLE["path_unlink_file"], [3, "é"], 0, [], 1)
    Tracer(stream, max_bytes=1).syscall(3, PREVIEW1, TABLE["fd_write"], [1, [b"ab"]], 0, [2], 1)
    assert raw.getvalue().decode("ascii").splitlines() == [
        '[pid 3] path_unlink_file(fd=3, path="\\xe9") = 0',
        '[pid 3] fd_write(fd=1, iovs=["a"\\u2026(2 bytes)]) = 0 (nwritten=2)',
    ]


def test_bad_max_bytes_is_a_clear_error():
    with pytest.raises(ValueError, match="max_bytes"):
        Tracer(io.StringIO(), max_bytes=-1)


# --- summary ----------------------------------------------------------------------------------


def summary_tracer(**kw) -> tuple[Tracer, io.StringIO]:
    out = io.StringIO()
    t = Tracer(out, **kw)
    w, p, r = TABLE["fd_write"], TABLE["path_open"], TABLE["fd_read"]
    for row, errno, ns in [
        (w, 0, 100_000),
        (p, 44, 100_000),
        (w, 0, 200_000),
        (r, 0, 100_000),
        (p, 0, 200_000),
        (w, 0, 300_000),
    ]:
        args = [1, [b"x"]] if row is w else [0, [1]] if row is r else [3, 0, "f", 0, 0, 0, 0]
        results = [1] if row is w else [b"x"] if row is r else [] if errno else [4]
        t.syscall(3, PREVIEW1, row, args, errno, results, ns)
    return t, out


SUMMARY = """\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 60.00    0.000600         200         3           fd_write
 30.00    0.000300         150         2         1 path_open
 10.00    0.000100         100         1           fd_read
------ ----------- ----------- --------- --------- ----------------
100.00    0.001000         166         6         1 total
"""


def test_summary_table_numbers():
    t, out = summary_tracer(summary=True)
    assert out.getvalue() == ""  # summary only: no per-call lines
    assert t.summary_text() == SUMMARY
    t.close()
    t.close()  # once only
    assert out.getvalue() == SUMMARY


def test_summary_with_per_call_lines():
    t, out = summary_tracer(summary=True, per_call=True)
    t.event(3, "exited with 0")
    t.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 7 + len(SUMMARY.splitlines())
    assert lines[0] == '[pid 3] fd_write(fd=1, iovs=["x"]) = 0 (nwritten=1)'
    assert lines[6] == "[pid 3] +++ exited with 0 +++"
    assert "\n".join(lines[7:]) + "\n" == SUMMARY


def test_trace_without_summary_prints_no_table_but_counts():
    t, out = summary_tracer()
    t.close()
    assert len(out.getvalue().splitlines()) == 6
    assert t.summary_text() == SUMMARY


def test_summary_only_drops_events_and_ties_sort_by_count_then_name():
    out = io.StringIO()
    t = Tracer(out, summary=True)
    t.event(3, "exited with 0")
    for name, mod in [("fd_close", PREVIEW1), ("fd_sync", PREVIEW1), ("fd_sync", UNSTABLE)]:
        t.syscall(3, mod, TABLE[name], [3], 0, [], 0)
    t.syscall(3, PREVIEW1, TABLE["fd_sync"], [3], 8, [], 0)
    assert out.getvalue() == ""
    assert t.summary_text() == (
        "% time     seconds  usecs/call     calls    errors syscall\n"
        "------ ----------- ----------- --------- --------- ----------------\n"
        "  0.00    0.000000           0         2         1 fd_sync\n"
        "  0.00    0.000000           0         1           fd_close\n"
        "  0.00    0.000000           0         1           wasi_unstable.fd_sync\n"
        "------ ----------- ----------- --------- --------- ----------------\n"
        "100.00    0.000000           0         4         1 total\n"  # strace's too
    )


# --- robustness -------------------------------------------------------------------------------


def plausible(shape: str) -> object:
    return {
        "fd": 3,
        "u16": 0,
        "u32": 1,
        "u64": 2,
        "s64": -1,
        "path": "d/f",
        "lens": [16],
        "bufs": [b"data"],
        "subs": [[1, 0, 1, 10, 0, 0], [2, 1, 0]],
        "bytes": b"out",
        "strings": [b"a"],
        "dirents": [[1, 2, 4, b"n"]],
        "events": [[1, 0, 0, 0, 0]],
    }[shape]


@pytest.mark.parametrize("name", list(TABLE))
def test_every_row_formats(name):
    row = TABLE[name]
    args = [plausible(shape) for _, shape in row.params]
    results = [plausible(shape) for _, shape in row.results]
    for errno, res in [(0, results), (28, [])]:
        line = format_syscall(1, PREVIEW1, row, args, errno, res)
        assert line.startswith(f"[pid 1] {name}(") and "\n" not in line
        for pname, _ in row.params:
            assert f"{pname}=" in line
        if errno == 0 and results and not row.noreturn:
            for rname, _ in row.results:
                assert f"{rname}=" in line
        if errno:
            assert line.endswith("= 28 EINVAL (Invalid argument)")


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(1 << 70), max_value=1 << 70)
    | st.floats()
    | st.text(max_size=40)
    | st.binary(max_size=80),
    lambda inner: st.lists(inner, max_size=6) | st.tuples(inner, inner),
    max_leaves=20,
)
rows = st.sampled_from(list(TABLE.values())) | st.builds(
    Syscall,
    name=st.text(max_size=12),
    handler=st.just(_nothing),
    params=st.lists(
        st.tuples(st.text(max_size=8), st.sampled_from(["fd", "path", "bufs", "subs", "x"])),
        max_size=4,
    ).map(tuple),
    results=st.lists(
        st.tuples(st.text(max_size=8), st.sampled_from(["bytes", "dirents", "events", "y"])),
        max_size=3,
    ).map(tuple),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    row=rows,
    module=st.sampled_from([PREVIEW1, UNSTABLE, "host"]) | st.text(max_size=8),
    args=st.lists(values, max_size=8),
    errno=st.integers(min_value=-5, max_value=300) | values,
    results=st.lists(values, max_size=4),
    elapsed=st.integers(min_value=-10, max_value=10**12) | values,
    max_bytes=st.integers(min_value=0, max_value=64),
)
def test_random_reports_never_raise(row, module, args, errno, results, elapsed, max_bytes):
    out = io.StringIO()
    t = Tracer(out, max_bytes=max_bytes, timing=True, summary=True, per_call=True)
    t.syscall(3, module, row, args, errno, results, elapsed)
    t.event(3, module)
    t.close()
    text = out.getvalue()
    # one call line, one event line, and a table of header, rule, one row, rule, total
    assert text.count("\n") == 7 and text.endswith("\n")
    assert t.summary_text().split("\n")[2].split()[3] == "1"  # the call was counted


def test_a_broken_row_gives_a_fallback_line():
    broken = Syscall("weird", _nothing, (("only-one-part",),), ())  # type: ignore[arg-type]
    out = io.StringIO()
    Tracer(out).syscall(3, "host", broken, [1], 0, [], 1)
    assert out.getvalue() == "[pid 3] host.weird(…) = 0 <strace: cannot format: ValueError>\n"


def test_a_broken_stream_never_raises():
    out = io.StringIO()
    out.close()
    t = Tracer(out, summary=True, per_call=True)
    t.syscall(3, PREVIEW1, TABLE["fd_close"], [3], 0, [], 1)
    t.event(3, "exited with 0")
    t.close()


# --- against the real dispatcher ----------------------------------------------------------------


async def test_trace_of_real_calls(proc):
    """The decoded args and the handlers' real results format as the shapes promise."""
    out = io.StringIO()
    t = Tracer(out)

    async def traced(name: str, *args: object) -> list:
        row = syscalls.lookup(PREVIEW1, name)
        decoded = syscalls.decode_args(row, list(args))
        errno, results = await syscalls.dispatch(proc, name, list(args))
        t.syscall(proc.pid, PREVIEW1, row, decoded, errno, results, 0)
        return results

    (fd,) = await traced("path_open", 3, 0, "new.txt", 1, ALL, ALL, 0)
    await traced("fd_write", fd, [b"hi\n"])
    await traced("path_open", 3, 0, "missing", 0, ALL, ALL, 0)
    await traced("fd_readdir", 3, 4096, 0)
    p = proc.pid
    lines = out.getvalue().splitlines()
    assert lines[:3] == [
        f'[pid {p}] path_open(fd=3, dirflags=0, path="new.txt", oflags=CREAT, '
        f"fs_rights_base=ALL, fs_rights_inheriting=ALL, fdflags=0) = 0 (fd_out={fd})",
        f'[pid {p}] fd_write(fd={fd}, iovs=["hi\\n"]) = 0 (nwritten=3)',
        f'[pid {p}] path_open(fd=3, dirflags=0, path="missing", oflags=0, '
        "fs_rights_base=ALL, fs_rights_inheriting=ALL, fdflags=0) "
        "= 44 ENOENT (No such file or directory)",
    ]
    assert lines[3].startswith(f"[pid {p}] fd_readdir(fd=3, buf_len=4096, cookie=0) = 0 (entries=[")
    assert 'd_name="new.txt"' in lines[3] and "d_type=REGULAR_FILE" in lines[3]
    assert len(lines) == 4


def test_importing_the_tracer_does_not_import_the_table():
    """The dispatcher (kernel/syscalls.py) may import the tracer without a cycle."""
    code = "import sys, kernel.strace; assert 'kernel.syscalls' not in sys.modules"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
