"""Rules every bundled program follows: --help, usage errors, missing files."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import BIN, run_tool

SRC = Path(__file__).resolve().parents[2] / "userland" / "src"
PROGRAMS = sorted(p.stem for p in SRC.glob("*.c"))
REQUIRED = (
    "cat echo printf wc grep head tail sort uniq tr cut tee yes seq true false ls mkdir rmdir "
    "rm cp mv touch ln stat du find xargs env sleep date basename dirname pwd sha256sum od hexdump"
).split()

# programs whose arguments are never options (like their GNU counterparts)
NO_OPTIONS = {"echo", "yes", "true", "false", "printf", "seq", "sleep", "find"}
# programs that need at least one operand
NEED_OPERAND = {
    "printf", "sleep", "basename", "dirname", "mkdir", "rmdir", "rm", "cp", "mv", "touch",
    "ln", "stat", "tr",
}  # fmt: skip
# programs that read the files named on their command line
READ_FILES = ["cat", "wc", "head", "tail", "sort", "cut", "od", "hexdump", "sha256sum", "grep"]
ARGS = {"grep": ["f"], "tr": ["a", "a"], "cut": ["-c1-"]}


def test_every_required_program_exists():
    assert sorted(REQUIRED) == PROGRAMS
    for name in PROGRAMS:
        assert (BIN / f"{name}.wasm").is_file(), name


@pytest.mark.parametrize("name", PROGRAMS)
def test_help(name):
    r = run_tool(name, ["--help"])
    assert (r.status, r.stderr) == (0, b"")
    assert r.stdout.startswith(b"usage: " + name.encode())
    assert r.stdout.endswith(b"\n")


@pytest.mark.parametrize("name", sorted(set(PROGRAMS) - NO_OPTIONS))
def test_unknown_option(name):
    r = run_tool(name, ["--no-such-option"])
    assert r.status == 2
    assert r.stdout == b""
    lines = r.stderr.decode().splitlines()
    assert lines[0] == f"{name}: unrecognized option '--no-such-option'"
    assert lines[1].startswith(f"usage: {name}")
    r = run_tool(name, ["-%"])
    assert r.status == 2
    assert r.stderr.decode().splitlines()[0] == f"{name}: invalid option -- '%'"


@pytest.mark.parametrize("name", sorted(NEED_OPERAND))
def test_missing_operand(name):
    r = run_tool(name, [])
    assert r.status == 2
    lines = r.stderr.decode().splitlines()
    assert lines[0].startswith(f"{name}: ") and "operand" in lines[0]
    assert lines[1].startswith(f"usage: {name}")


@pytest.mark.parametrize("name", READ_FILES)
def test_failing_file_message(name, tmp_path):
    (tmp_path / "ok").write_bytes(b"fine\n")
    r = run_tool(name, [*ARGS.get(name, []), "missing", "ok"], cwd=tmp_path)
    assert r.status == (2 if name in ("sort", "grep") else 1)
    assert r.stderr == f"{name}: missing: No such file or directory\n".encode()
    if name != "sort":  # sort, like GNU's, gives no output when an input is missing
        assert r.stdout  # it went on with the next file


@pytest.mark.parametrize("name", READ_FILES + ["uniq", "tr", "tee", "xargs"])
def test_reads_stdin_without_files(name):
    r = run_tool(name, ARGS.get(name, []), stdin=b"fine\n")
    assert r.status == 0
    assert r.stdout


def test_uniq_missing_input(tmp_path):
    r = run_tool("uniq", ["missing"], cwd=tmp_path)
    assert (r.status, r.stdout) == (1, b"")
    assert r.stderr == b"uniq: missing: No such file or directory\n"


def test_find_unknown_predicate():
    r = run_tool("find", [".", "-bogus"])
    assert r.status == 2
    lines = r.stderr.decode().splitlines()
    assert lines[0] == "find: unknown predicate '-bogus'"
    assert lines[1].startswith("usage: find")


def test_cut_without_list():
    r = run_tool("cut", [], stdin=b"x")
    assert r.status == 2
    assert r.stderr.startswith(b"cut: you must specify a list")
