"""The C test programs under wasios and under wasmtime: same transcript, status and files.

Each program exercises one area of wasi-libc and prints a deterministic transcript. Under
wasmtime alone every program must pass its own checks (status 0); under wasios it must
then say exactly what it said under wasmtime, and leave the same tree behind.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from . import build
from .conftest import HERE, run_wasios, run_wasmtime, seed, tree


@dataclass(frozen=True)
class Case:
    program: str
    args: tuple[str, ...] = ()
    stdin: bytes = b""
    env: dict[str, str] = field(default_factory=dict)
    status: int = 0  # what the program must exit with (under wasmtime, the reference)
    #: stderr is compared too, except after a trap: the message is the runtime's own
    compare_stderr: bool = True


STDIN = (
    b"first line\n"
    b"a line longer than the fifteen bytes fgets is given\n"
    b"third\n"
    + b"".join(b"line %d of the bulk\n" % i for i in range(40))
    + b"no newline at the end"
)

CASES = {
    "stdio": Case("stdio", stdin=STDIN),
    "dirs": Case("dirs"),
    "fsops": Case("fsops"),
    "fdops": Case("fdops"),
    "timing": Case("timing", stdin=b"ready\n"),
    "envargs": Case(
        "envargs",
        args=("one", "two words", "", "ünïcode", "--flag=x=y"),
        env={
            "FOO": "bar",
            "EMPTY": "",
            "WITH_EQUALS": "a=b=c",
            "UNICODE": "ħéllo",
            "PATH": "/bin:/usr/bin",
        },
    ),
    "errors": Case("errors"),
    "exit-return": Case("exitcodes", ("return", "3"), status=3),
    "exit-exit": Case("exitcodes", ("exit", "42"), status=42),
    "exit-125": Case("exitcodes", ("exit", "125"), status=125),
    "exit-_Exit": Case("exitcodes", ("_Exit", "7"), status=7),
    "exit-abort": Case("exitcodes", ("abort",), status=134, compare_stderr=False),
    "exit-trap": Case("exitcodes", ("trap", "20"), status=134, compare_stderr=False),
}


def _run(runner, name: str, workdir: Path) -> tuple[int, bytes, bytes]:
    workdir.mkdir()
    seed(workdir)
    case = CASES[name]
    return runner(HERE / f"{case.program}.wasm", case.args, case.stdin, case.env, workdir)


def test_every_program_has_a_case():
    assert sorted({c.program for c in CASES.values()}) == build.programs()


@pytest.mark.parametrize("name", sorted(CASES))
def test_program_runs_under_wasmtime(name, tmp_path):
    status, out, err = _run(run_wasmtime, name, tmp_path / "w")
    text = out.decode("utf-8", "replace")
    case = CASES[name]
    assert status == case.status, f"{name} under wasmtime:\n{text}\n{err!r}"
    if case.program == "exitcodes":
        assert text.startswith(f"mode {case.args[0]}")
    else:
        assert text.endswith("failures: 0\n"), f"{name} failed its own checks:\n{text}"
        assert text.count("\n") > 10


@pytest.mark.parametrize("name", sorted(CASES))
def test_transcript_is_deterministic(name, tmp_path):
    """Two wasmtime runs in two fresh directories say the same: a byte comparison is fair."""
    first = _run(run_wasmtime, name, tmp_path / "one")
    second = _run(run_wasmtime, name, tmp_path / "two")
    assert first == second
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_runners_see_arguments_environment_and_stdin(tmp_path):
    """The runner itself: what it is given reaches the guest (a broken runner would make
    every comparison vacuous)."""
    status, out, _ = run_wasmtime(HERE / "envargs.wasm", ["x y"], b"", {"FOO": "1"}, tmp_path)
    assert status == 0
    assert b"argv[0]: [envargs.wasm]" in out and b"argv[1]: [x y]" in out
    assert b"getenv FOO: [1]" in out and b"environ: 1 entries" in out
    status, out, _ = _run(run_wasmtime, "stdio", tmp_path / "w")
    assert f"stdin: {len(STDIN)} bytes".encode() in out
    assert (tmp_path / "w" / "stdio_out.txt").read_bytes().endswith(b"appended\n")


@pytest.mark.parametrize("name", sorted(CASES))
def test_program_under_wasios_matches_wasmtime(name, tmp_path):
    want = _run(run_wasmtime, name, tmp_path / "wasmtime")
    got = _run(run_wasios, name, tmp_path / "wasios")
    assert got[1].decode("utf-8", "replace") == want[1].decode("utf-8", "replace")
    if CASES[name].compare_stderr:
        assert got[2] == want[2], "stderr differs"
    else:  # the guest's own lines come first, then the runtime may add its message
        assert got[2].startswith(want[2]), "stderr differs"
    assert got[0] == want[0], "exit status differs"
    assert tree(tmp_path / "wasios") == tree(tmp_path / "wasmtime")


# --- the committed .wasm files are what their sources build to ---------------------------


def test_manifest_matches_sources_and_binaries():
    manifest = json.loads(build.MANIFEST.read_text())
    assert manifest["flags"] == build.FLAGS
    assert sorted(manifest["programs"]) == build.programs()
    for name, entry in manifest["programs"].items():
        assert entry["inputs"] == build.input_digest(name), (
            f"{name}.c or its header changed: run python tests/programs/build.py"
        )
        wasm = (HERE / f"{name}.wasm").read_bytes()
        assert entry["wasm"] == hashlib.sha256(wasm).hexdigest(), f"{name}.wasm is stale"


def test_the_manifest_check_sees_an_edited_source(tmp_path, monkeypatch):
    """The digest covers the source and the shared header, so either edit is caught."""
    for part in ["stdio.c", "transcript.h"]:
        copy = tmp_path / part.replace(".", "_")
        copy.mkdir()
        for f in ["stdio.c", *build.HEADERS]:
            (copy / f).write_bytes((HERE / f).read_bytes())
        monkeypatch.setattr(build, "HERE", copy)
        before = build.input_digest("stdio")
        (copy / part).write_bytes((copy / part).read_bytes() + b"\n")
        assert build.input_digest("stdio") != before, part


def test_a_failed_check_shows_in_the_status(tmp_path):
    """The status is meaningful: a program whose own checks fail exits 1 and says so."""
    work = tmp_path / "w"
    work.mkdir()
    seed(work)
    (work / "stdio_out.txt").mkdir()  # the file round trip cannot open it
    status, out, _ = run_wasmtime(HERE / "stdio.wasm", (), STDIN, {}, work)
    assert status == 1
    assert out.endswith(b"failures: 1\n") and b"fopen w+: EISDIR" in out
    status, out, _ = run_wasmtime(HERE / "stdio.wasm", (), b"", {}, None)  # no /work
    assert (status, out) == (2, b"")
