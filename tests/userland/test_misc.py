"""Small tools: seq, printf, date, env, pwd, sleep, basename, dirname, true, false, xargs."""

from __future__ import annotations

import time

import pytest

from .conftest import big_status, run_gnu, run_tool


@pytest.mark.parametrize(
    "args",
    [
        ["5"],
        ["0"],
        ["3", "7"],
        ["10", "-3", "1"],
        ["1", "2", "10"],
        ["-2", "2"],
        ["1.5", "0.5", "3"],
        ["0.1", "0.1", "0.5"],
        ["-w", "8", "11"],
        ["-s", ",", "4"],
        ["-s:", "1", "3"],
        ["5", "1"],
    ],
)
def test_seq(same, args):
    same("seq", args)


@pytest.mark.parametrize(
    "args",
    [
        ["hello\\n"],
        ["%s-%s\\n", "a", "b", "c"],
        ["%d %i %u\\n", "42", "-7", "7"],
        ["%5d|%-5d|%05d\\n", "12", "34", "56"],
        ["%x %X %o %#x\\n", "255", "255", "8", "255"],
        ["%c%c\\n", "hello", "world"],
        ["%.2f %e %g\\n", "3.14159", "12345.678", "0.0001"],
        ["%10.3s|\\n", "abcdef"],
        ["%*d|%-*d|\\n", "4", "7", "3", "8"],
        ["%b\\n", "a\\tb\\0101"],
        ["%%\\n"],
        ["\\101\\x42\\t\\\\\\n"],
        ["%d\\n", "'A"],
        ["%d\\n", "abc"],
        ["%d\\n", "0x1f"],
        ["%s\\n"],
        ["no newline"],
        ["%b", "stop\\chere"],
    ],
)
def test_printf(same, args):
    same("printf", args)


@pytest.mark.parametrize("fmt", ["+%Y-%m-%d %H:%M:%S", "+%s", "+%a %b %e %j %u %%", "+%D %T %Z"])
def test_date_format_fixed_time(same, fmt):
    same("date", ["-u", "-d", "@1234567890", fmt])


def test_date_default_fixed_time(same):
    same("date", ["-u", "-d", "@0"])


@pytest.mark.parametrize(
    "args", [["-R"], ["-I"], ["-Idate"], ["-Iseconds"], ["-Iminutes"], ["-Ihours"], ["+%z %:z"]]
)
def test_date_forms(same, args):
    same("date", ["-u", "-d", "@1700000000", *args])


def test_date_of_file(tmp_path, same):
    import os

    (tmp_path / "f").write_bytes(b"")
    os.utime(tmp_path / "f", (1500000000, 1500000000))
    same("date", ["-u", "-r", "f", "+%s %F %T"])


def test_date_now_is_now():
    before = int(time.time())
    r = run_tool("date", ["+%s"])
    after = int(time.time())
    assert r.status == 0
    assert before <= int(r.stdout) <= after
    r = run_tool("date", [])
    assert r.stdout.endswith(b" UTC " + r.stdout.split()[-1] + b"\n") and len(r.stdout.split()) == 6


@pytest.mark.parametrize(
    "args",
    [
        ["/usr/lib/x.so"],
        ["x.c", ".c"],
        ["/"],
        ["a/b/"],
        ["//"],
        ["noslash"],
        ["-a", "a/b", "/c/d"],
        ["-s", ".c", "a.c", "b.c"],
        [".c", ".c"],
    ],
)
def test_basename(same, args):
    same("basename", args)


@pytest.mark.parametrize(
    "args",
    [["/usr/lib/x.so"], ["a/b/"], ["/"], ["//x"], ["noslash"], ["a//b//"], ["a", "/b/c"], ["/a"]],
)
def test_dirname(same, args):
    same("dirname", args)


def test_true_false():
    assert run_tool("true", []).status == 0
    assert run_tool("true", ["ignored"]).status == 0
    assert run_tool("false", []).status == 1


def test_pwd():
    assert run_tool("pwd", [], env={"PWD": "/home/u"}).stdout == b"/home/u\n"
    assert run_tool("pwd", [], env={"PWD": "relative"}).stdout == b"/\n"
    assert run_tool("pwd", []).stdout == b"/\n"


def test_env():
    r = run_tool("env", [], env={"A": "1", "PWD": "/x"})
    assert sorted(r.stdout.splitlines()) == [b"A=1", b"PWD=/x"]
    r = run_tool("env", ["-i", "B=2", "C=x=y"], env={"A": "1"})
    assert r.stdout == b"B=2\nC=x=y\n"
    r = run_tool("env", ["-u", "A"], env={"A": "1"})
    assert r.stdout == b"PWD=/\n"
    r = run_tool("env", ["-i", "-0", "X=1", "Y=2"])
    assert r.stdout == b"X=1\0Y=2\0"
    r = run_tool("env", ["true"])
    assert r.status == big_status(126) and r.stderr.startswith(b"env: 'true': cannot run programs")


def test_sleep():
    start = time.monotonic()
    r = run_tool("sleep", ["0.05"])
    assert r.status == 0
    assert time.monotonic() - start >= 0.05
    assert run_tool("sleep", ["0", "0s", "0m"]).status == 0
    for bad in (["x"], ["-1"], ["1y"], []):
        r = run_tool("sleep", bad)
        assert r.status == 2 and r.stderr.startswith(b"sleep: ")


@pytest.mark.parametrize(
    "args,stdin",
    [
        ([], b"a b\nc\td\n"),
        (["-n", "2"], b"1 2 3 4 5"),
        (["echo", "pre"], b"x y"),
        (["-n", "1", "echo", "item:"], b"p q r"),
        (["-0"], b"one two\0three\0"),
        ([], b"'quoted arg' \"dq  x\" back\\ slash\n"),
        ([], b""),
        (["-r"], b""),
        (["-r"], b" \n "),
    ],
)
def test_xargs(same, args, stdin):
    same("xargs", args, stdin=stdin)


def test_xargs_other_commands_are_refused():
    r = run_tool("xargs", ["rm"], stdin=b"x")
    assert r.status == big_status(126)
    assert r.stderr.startswith(b"xargs: rm: cannot run programs")


def test_printf_bad_number_status(same):
    r = same("printf", ["%d\\n", "12abc"])
    assert r.stderr.startswith(b"printf: ")
    assert run_gnu("printf", ["%d\\n", "12abc"]).status == 1


def test_relative_paths_follow_pwd(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "f").write_bytes(b"in sub\n")
    r = run_tool("cat", ["f"], cwd=tmp_path, env={"PWD": "/sub"})
    assert (r.status, r.stdout) == (0, b"in sub\n")
    r = run_tool("ls", [], cwd=tmp_path, env={"PWD": "/sub"})
    assert r.stdout == b"f\n"
    r = run_tool("ls", [], cwd=tmp_path)
    assert r.stdout == b"sub\n"
