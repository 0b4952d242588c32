"""Text tools against GNU coreutils on the same input: exact stdout and exit status."""

from __future__ import annotations

import pytest

from .conftest import run_tool

TEXT = b"alpha beta\n  gamma\tdelta  \n\nAlpha\nbeta beta\nlast line no newline"
LINES = b"".join(b"line %d\n" % i for i in range(1, 31))


@pytest.fixture
def files(tmp_path):
    (tmp_path / "text").write_bytes(TEXT)
    (tmp_path / "lines").write_bytes(LINES)
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "dir").mkdir()
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [[], ["text"], ["text", "-", "lines"], ["-n", "text"], ["empty"], ["-n", "-", "text"]],
)
def test_cat(files, same, args):
    same("cat", args, stdin=b"from stdin\nmore")


def test_cat_missing_file_continues(files):
    r = run_tool("cat", ["nope", "text"], cwd=files)
    assert r.status == 1
    assert r.stdout == TEXT
    assert r.stderr == b"cat: nope: No such file or directory\n"


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["a", "b  c", ""],
        ["-n", "x"],
        ["-nx", "y"],
        ["-e", r"a\tb\nc\\d\x41\0101"],
        ["-e", r"stop\cnever"],
        ["-E", r"a\tb"],
        ["--", "x"],
        ["-"],
    ],
)
def test_echo(same, args):
    same("echo", args)


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["text"],
        ["-l", "text"],
        ["-w", "text"],
        ["-c", "lines"],
        ["-lw", "text"],
        ["text", "lines", "empty"],
        ["-l", "text", "lines"],
        ["-c", "-"],
        ["lines", "-"],
    ],
)
def test_wc(files, same, args):
    same("wc", args, stdin=TEXT)


def test_wc_stdin_single_count(same):
    same("wc", ["-l"], stdin=LINES)


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["lines"],
        ["-n", "3", "lines"],
        ["-3", "lines"],
        ["-n", "0", "lines"],
        ["-c", "7", "lines"],
        ["-n", "100", "text"],
        ["-n", "2", "text", "lines"],
        ["-q", "-n", "1", "text", "lines"],
        ["-v", "-n", "1", "text"],
        ["-c", "3", "-", "text"],
        ["-n", "-3", "lines"],
        ["-n", "-0", "text"],
        ["-n", "-2", "text"],
        ["-n", "-100", "lines"],
        ["-c", "-5", "text"],
        ["-c", "-500", "text"],
    ],
)
def test_head(files, same, args):
    same("head", args, stdin=LINES)


@pytest.mark.parametrize("tool", ["cat", "echo", "wc", "head", "yes"])
def test_help(tool):
    r = run_tool(tool, ["--help"])
    assert r.status == 0
    assert r.stdout.startswith(b"usage: " + tool.encode())
    assert r.stderr == b""


@pytest.mark.parametrize(
    "tool,args",
    [("cat", ["-Q"]), ("wc", ["--bogus"]), ("head", ["-n"]), ("head", ["-n", "x"])],
)
def test_usage_error(tool, args):
    r = run_tool(tool, args)
    assert r.status == 2
    assert r.stdout == b""
    first, usage = r.stderr.decode().splitlines()[:2]
    assert first.startswith(tool + ": ")
    assert usage.startswith("usage: " + tool)


def test_missing_file_status(files):
    for tool in ("cat", "wc", "head"):
        r = run_tool(tool, ["nope"], cwd=files)
        assert r.status == 1
        assert r.stderr == tool.encode() + b": nope: No such file or directory\n"


def test_directory_is_an_error(files, same):
    r = same("cat", ["dir"], status=True)
    assert r.stderr == b"cat: dir: Is a directory\n"


SORTABLE = b"banana\napple\n10\n9\n-3\n2.5\nApple\n\nbanana\n  7 spaces\n-0\n0\nzeta"


@pytest.mark.parametrize(
    "args",
    [[], ["-n", "lines"], ["-r"], ["-n"], ["-nr"], ["-u"], ["-nu"], ["-f"], ["-ru"], ["text", "-"]],
)
def test_sort(files, same, args):
    same("sort", args, stdin=SORTABLE)


def test_sort_output_file(files, same):
    same("sort", ["-o", "out", "text"])
    ours = (files / "out").read_bytes()
    gnu = run_gnu_file(files, ["sort", "-o", "out2", "text"], "out2")
    assert ours == gnu


def run_gnu_file(cwd, argv, out):
    import subprocess

    subprocess.run(argv, cwd=cwd, check=True, env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    return (cwd / out).read_bytes()


UNIQ = b"a\na\nb\nA\na\nc\nc\nc\n\n\nd"


@pytest.mark.parametrize("args", [[], ["-c"], ["-d"], ["-u"], ["-i"], ["-ci"], ["-", "-"]])
def test_uniq(same, args):
    same("uniq", args, stdin=UNIQ)


@pytest.mark.parametrize(
    "args",
    [
        ["a-z", "A-Z"],
        ["-d", "aeiou"],
        ["-s", " "],
        ["-d", "[:space:]"],
        ["[:lower:]", "[:upper:]"],
        ["abc", "x"],
        ["-c", "a-z\\n", "_"],
        ["-cd", "a-z"],
        ["-s", "a-z", "A-Z"],
        ["\\t", "T"],
        ["-ds", "a", "b"],
    ],
)
def test_tr(same, args):
    same("tr", args, stdin=b"hello world\tthe  quick   brown fox\naaabbbccc xyz 123\n")


CSV = b"a,b,c,d\n1,2,3\nno delimiter\n,,x,\nlast,line"


@pytest.mark.parametrize(
    "args",
    [
        ["-d,", "-f2"],
        ["-d", ",", "-f", "1,3"],
        ["-d,", "-f2-"],
        ["-d,", "-f-2"],
        ["-d,", "-s", "-f1,4"],
        ["-c", "2-4"],
        ["-b", "1,3,5-"],
        ["-f1"],
    ],
)
def test_cut(same, args):
    same("cut", args, stdin=CSV)


def test_cut_tab(same):
    same("cut", ["-f", "2"], stdin=b"a\tb\tc\nd\te\n")


GREP_TEXT = b"Hello world\nhello there\nHELLO\nabc.def\nabcxdef\n\nstar***\n[brackets]\ntab\there\nend$\na\\b\n"


@pytest.mark.parametrize(
    "args",
    [
        ["hello"],
        ["-i", "hello"],
        ["-v", "hello"],
        ["-c", "hello"],
        ["-ic", "hello"],
        ["-n", "o"],
        ["-vn", "e"],
        ["^h"],
        ["e$"],
        ["^$"],
        ["abc.def"],
        ["abc\\.def"],
        ["x*d"],
        ["l*o"],
        ["^[Hh]el"],
        ["[^a-z]"],
        ["\\[b"],
        ["r\\*\\*"],
        ["[[:upper:]]"],
        ["end\\$"],
        ["a\\\\b"],
        ["-x", "HELLO"],
        ["-F", "abc.def"],
        ["-e", "world", "-e", "there"],
        ["*star"],
        ["nomatch"],
        ["-q", "hello"],
        ["-l", "hello"],
        ["-n", "-i", "-v", "HELLO"],
        ["[]a]"],
        ["."],
        ["l\\+o"],
        ["x\\?def"],
        ["l\\{2\\}"],
        ["^[a-z]\\{3,5\\}$"],
        ["hello\\|abc"],
        ["\\(ab\\)*c\\.d"],
        ["-E", "(ab|xy)c.?def"],
        ["-E", "l+o|^\\["],
        ["-E", "^.{4}$"],
        ["-E", "a{2,}"],
        ["-E", "[[:alpha:]]+ (world|there)"],
        ["-E", "{1"],
        ["-w", "hello"],
        ["-wi", "hello"],
        ["-w", "abc"],
        ["\\<the"],
        ["llo\\>"],
        ["\\bworld\\b"],
        ["\\w\\W\\w"],
        ["-c", "\\s"],
        ["-F", "-x", "HELLO"],
        ["-F", "-w", "a\\b"],
        ["-m", "2", "e"],
        ["-E", "a**"],
        ["a\\{1,2\\}b\\{0\\}c"],
        ["*"],
        ["-E", "()"],
    ],
)
def test_grep(same, args):
    same("grep", args, stdin=GREP_TEXT)


def test_grep_files(files, same):
    same("grep", ["-n", "a", "text", "lines"])
    same("grep", ["-c", "line", "text", "lines", "-"], stdin=b"line\n")
    same("grep", ["-h", "a", "text", "text"])
    same("grep", ["-l", "line", "text", "lines"])


def test_grep_errors(files):
    r = run_tool("grep", ["a", "nope", "text"], cwd=files)
    assert r.status == 2
    assert r.stderr == b"grep: nope: No such file or directory\n"
    r = run_tool("grep", ["[abc"], stdin=b"a")
    assert r.status == 2
    assert r.stderr.startswith(b"grep: ")


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["lines"],
        ["-n", "3", "lines"],
        ["-3", "lines"],
        ["-n", "+28", "lines"],
        ["-n", "0", "lines"],
        ["-c", "5", "lines"],
        ["-c", "+200", "lines"],
        ["-n", "2", "text"],
        ["-n", "1", "text", "lines"],
        ["-n", "50", "lines"],
        ["empty"],
    ],
)
def test_tail(files, same, args):
    same("tail", args, stdin=LINES)


def test_tail_stdin_last_line_without_newline(same):
    same("tail", ["-n", "2"], stdin=b"a\nb\nc")
    same("tail", ["-n", "1"], stdin=b"a\n\n")


BINARY = bytes(range(256)) + b"hello world\n" * 5 + b"\x00" * 40 + b"odd"


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["-c"],
        ["-x"],
        ["-b"],
        ["-d"],
        ["-o"],
        ["-c", "-x"],
        ["-v"],
        ["-A", "x"],
        ["-A", "d", "-b"],
        ["-A", "n", "-c"],
    ],
)
def test_od(same, args):
    same("od", args, stdin=BINARY)


@pytest.mark.parametrize(
    "args",
    [
        ["-t", "x1"],
        ["-An", "-tx1"],
        ["-t", "x4"],
        ["-t", "x8", "-t", "c"],
        ["-t", "d1"],
        ["-t", "d2", "-t", "u2"],
        ["-t", "d4"],
        ["-t", "d8"],
        ["-t", "u8", "-t", "o8"],
        ["-t", "o4", "-t", "a"],
        ["-t", "a"],
        ["-t", "xC", "-t", "dS"],
        ["-t", "x1u4"],
        ["-s"],
        ["-j", "250", "-N", "20", "-c"],
        ["-N", "3"],
        ["-t", "x2", "-t", "o1", "-t", "d4"],
    ],
)
def test_od_types(same, args):
    same("od", args, stdin=BINARY)


@pytest.mark.parametrize("data", [b"", b"a", b"ab\n", b"0123456789abcdef", b"\x00" * 64 + b"x"])
def test_od_sizes(same, data):
    same("od", [], stdin=data)
    same("od", ["-c"], stdin=data)


@pytest.mark.parametrize("args", [["-C"], [], ["-C", "-v"]])
@pytest.mark.parametrize("data", [BINARY, b"", b"abc", b"x" * 16, b"\x00" * 48 + b"tail"])
def test_hexdump(same, args, data):
    same("hexdump", args, stdin=data)


@pytest.mark.parametrize(
    "data", [b"", b"abc", b"a" * 55, b"a" * 56, b"a" * 64, b"a" * 119, bytes(range(256)) * 40]
)
def test_sha256sum(same, data):
    same("sha256sum", [], stdin=data)


def test_sha256sum_files_and_check(files, same):
    same("sha256sum", ["text", "lines", "-"], stdin=b"x")
    (files / "sums").write_bytes(run_tool("sha256sum", ["text", "lines"], cwd=files).stdout)
    same("sha256sum", ["-c", "sums"])
    (files / "lines").write_bytes(b"changed\n")
    same("sha256sum", ["-c", "sums"])


def test_tee(files, same):
    r = run_tool("tee", ["out1", "out2"], stdin=TEXT, cwd=files)
    assert (r.status, r.stdout) == (0, TEXT)
    assert (files / "out1").read_bytes() == TEXT == (files / "out2").read_bytes()
    r = run_tool("tee", ["-a", "out1"], stdin=b"more\n", cwd=files)
    assert (files / "out1").read_bytes() == TEXT + b"more\n"
    r = run_tool("tee", ["dir/nope/x", "out3"], stdin=b"z", cwd=files)
    assert r.status == 1 and r.stdout == b"z"
    assert r.stderr == b"tee: dir/nope/x: No such file or directory\n"
    assert (files / "out3").read_bytes() == b"z"
