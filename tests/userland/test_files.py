"""File tools against GNU coreutils: the same command in two identical trees must give the
same stdout, stderr, status and resulting tree (times, owners and block counts aside)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import run_gnu, run_tool


def make_tree(root: Path) -> None:
    (root / "a.txt").write_bytes(b"alpha\n")
    (root / "b.log").write_bytes(b"x" * 5000)
    (root / ".hidden").write_bytes(b"")
    (root / "d").mkdir()
    (root / "d" / "inner.txt").write_bytes(b"inner\n")
    (root / "d" / "sub").mkdir()
    (root / "d" / "sub" / "deep.txt").write_bytes(b"deep\n")
    (root / "empty").mkdir()
    os.symlink("a.txt", root / "link")
    os.symlink("../a.txt", root / "d" / "sub" / "uplink")


def snapshot(root: Path) -> dict[str, object]:
    """Types, contents and link targets of everything under root."""
    out: dict[str, object] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p))
            elif p.is_dir():
                out[rel] = ("dir",)
            else:
                out[rel] = ("file", p.read_bytes())
    return out


@pytest.fixture
def twins(tmp_path):
    """Run a command on our tool in one tree and on GNU's in an identical one; compare all."""
    ours_root, gnu_root = tmp_path / "ours", tmp_path / "gnu"
    for root in (ours_root, gnu_root):
        root.mkdir()
        make_tree(root)

    def check(name: str, args, stderr: bool = True, stdin: bytes = b""):
        ours = run_tool(name, args, cwd=ours_root, stdin=stdin)
        gnu = run_gnu(name, args, cwd=gnu_root, stdin=stdin)
        assert ours.stdout == gnu.stdout, (ours.stderr, gnu.stderr)
        assert ours.status == gnu.status, (ours.stderr, gnu.stderr)
        if stderr:
            assert ours.stderr == gnu.stderr
        assert snapshot(ours_root) == snapshot(gnu_root)
        return ours

    check.ours = ours_root
    return check


@pytest.mark.parametrize(
    "args",
    [
        ["x"],
        ["x", "y"],
        ["-p", "p/q/r"],
        ["-p", "d/sub"],
        ["-p", "p//q/"],
        ["a.txt"],
        ["d"],
        ["nope/x"],
        ["-p", "a.txt/x"],
    ],
)
def test_mkdir(twins, args):
    twins("mkdir", args)


@pytest.mark.parametrize("args", [["empty"], ["d"], ["nope"], ["a.txt"], ["empty", "d"]])
def test_rmdir(twins, args):
    twins("rmdir", args)


def test_rmdir_parents(twins):
    twins("mkdir", ["-p", "p/q/r"])
    twins("rmdir", ["-p", "p/q/r"])


@pytest.mark.parametrize(
    "args",
    [
        ["a.txt"],
        ["a.txt", "b.log"],
        ["nope"],
        ["-f", "nope"],
        ["d"],
        ["-r", "d"],
        ["-rf", "d", "nope", "empty"],
        ["link"],
        ["-r", "."],
        ["-f"],
    ],
)
def test_rm(twins, args):
    twins("rm", args)


@pytest.mark.parametrize(
    "args",
    [
        ["a.txt", "copy"],
        ["a.txt", "d"],
        ["a.txt", "b.log", "d"],
        ["a.txt", "b.log", "nodir"],
        ["nope", "x"],
        ["d", "x"],
        ["-r", "d", "x"],
        ["-r", "d", "empty"],
        ["a.txt", "b.log"],
        ["link", "viacopy"],
        ["-r", "link", "linkcopy"],
        ["-r", "d", "a.txt", "empty"],
    ],
)
def test_cp(twins, args):
    twins("cp", args)


@pytest.mark.parametrize(
    "args",
    [
        ["a.txt", "renamed"],
        ["a.txt", "d"],
        ["a.txt", "b.log", "empty"],
        ["d", "moved"],
        ["nope", "x"],
        ["a.txt", "b.log"],
        ["-n", "a.txt", "b.log"],
    ],
)
def test_mv(twins, args):
    twins("mv", args)


@pytest.mark.parametrize(
    "args",
    [["new"], ["a.txt"], ["-c", "nothere"], ["nope/x"], ["new1", "new2", "d/new3"]],
)
def test_touch(twins, args):
    twins("touch", args)


def test_touch_updates_time(twins):
    old = 1_000_000_000
    os.utime(twins.ours / "a.txt", (old, old))
    twins("touch", ["a.txt"])
    assert (twins.ours / "a.txt").stat().st_mtime > old


@pytest.mark.parametrize(
    "args",
    [
        ["-s", "a.txt", "sl"],
        ["-s", "nowhere", "dangling"],
        ["a.txt", "hard"],
        ["-s", "a.txt", "b.log"],
        ["-sf", "a.txt", "b.log"],
        ["-s", "../a.txt", "d"],
        ["a.txt", "b.log", "empty"],
        ["nope", "x"],
    ],
)
def test_ln(twins, args):
    twins("ln", args)


def test_ln_hard_shares_data(twins):
    twins("ln", ["a.txt", "hard"])
    assert os.path.samefile(twins.ours / "a.txt", twins.ours / "hard")


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["-a"],
        ["-A"],
        ["d"],
        ["a.txt", "d", "empty"],
        ["-d", "d", "a.txt"],
        ["nope", "a.txt"],
        ["-1", "d/sub"],
        ["-F"],
        ["empty"],
        ["-r"],
        ["-S"],
        ["-Sr", "d", "."],
        ["-R"],
        ["-R", "d", "a.txt"],
        ["-aR", "d"],
        ["-1", "link"],
        ["-F", "link", "d"],
    ],
)
def test_ls(twins, args):
    twins("ls", args)


def test_ls_by_time(twins):
    for i, name in enumerate(["b.log", "a.txt", "d", ".hidden", "empty", "link"]):
        os.utime(twins.ours / name, (1_600_000_000 + i, 1_600_000_000 + i), follow_symlinks=False)
    for args in (["-t"], ["-tr"], ["-At"]):
        ours = run_tool("ls", args, cwd=twins.ours)
        gnu = run_gnu("ls", args, cwd=twins.ours)
        assert ours.stdout == gnu.stdout


def test_ls_long_stable_parts(twins):
    ours = run_tool("ls", ["-l"], cwd=twins.ours)
    gnu = run_gnu("ls", ["-l"], cwd=twins.ours)
    assert ours.status == gnu.status == 0

    def fields(out: bytes):
        rows = []
        for line in out.decode().splitlines()[1:]:  # skip "total"
            f = line.split()
            rows.append((f[0][0], f[1], f[4], " ".join(f[8:])))  # type, links, size, name
        return rows

    assert fields(ours.stdout) == fields(gnu.stdout)
    assert ours.stdout.startswith(b"total ")


@pytest.mark.parametrize(
    "fmt",
    ["%n %s %F", "%N", "%h %F", "%Y", "%n:%%:%s"],
)
def test_stat_format(twins, fmt):
    args = ["-c", fmt, "a.txt", "b.log", ".hidden", "d", "link"]
    ours = run_tool("stat", args, cwd=twins.ours)
    gnu = run_gnu("stat", args, cwd=twins.ours)
    if "%h" in fmt:  # directory link counts are the host's business
        ours_lines = [x for x in ours.stdout.splitlines() if b"directory" not in x]
        gnu_lines = [x for x in gnu.stdout.splitlines() if b"directory" not in x]
        assert ours_lines == gnu_lines
    else:
        assert ours.stdout == gnu.stdout
    assert ours.status == gnu.status == 0


def test_stat_default(twins):
    ours = run_tool("stat", ["a.txt"], cwd=twins.ours)
    gnu = run_gnu("stat", ["a.txt"], cwd=twins.ours)
    keep = (b"  File:", b"Modify:")
    pick = lambda out: [  # noqa: E731
        line.split(b".")[0] for line in out.splitlines() if line.startswith(keep)
    ]
    assert pick(ours.stdout) == pick(gnu.stdout)
    assert b"Size: 6" in ours.stdout and b"regular file" in ours.stdout
    r = run_tool("stat", ["nope"], cwd=twins.ours)
    assert r.status == 1 and r.stderr == b"stat: cannot stat 'nope': No such file or directory\n"


@pytest.mark.parametrize("args", [[], ["d"], ["-a", "d"], ["-s", "d", "a.txt"], ["-s"], ["nope"]])
def test_du_names(twins, args):
    ours = run_tool("du", args, cwd=twins.ours)
    gnu = run_gnu("du", args, cwd=twins.ours)
    names = lambda out: sorted(line.split(b"\t")[1] for line in out.splitlines())  # noqa: E731
    assert names(ours.stdout) == names(gnu.stdout)
    assert ours.status == gnu.status
    assert ours.stderr == gnu.stderr


def test_du_bytes(twins):
    ours = run_tool("du", ["-b", "-a", "d/sub/deep.txt", "b.log"], cwd=twins.ours)
    assert ours.stdout == b"5\td/sub/deep.txt\n5000\tb.log\n"


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["."],
        ["d"],
        ["-name", "*.txt"],
        [".", "-type", "f"],
        [".", "-type", "d"],
        [".", "-type", "l"],
        ["d", "-name", "sub", "-o", "-name", "inner*"],
        [".", "!", "-name", "*.txt", "-type", "f"],
        [".", "-maxdepth", "1"],
        [".", "-mindepth", "2", "-type", "f"],
        [".", "-name", "[ab].*"],
        [".", "-iname", "A.TXT"],
        ["nope", "d"],
        ["d/", "-name", "?nner.txt", "-print"],
        [".", "(", "-name", "a*", "-o", "-name", "b*", ")", "-type", "f"],
        [".", "-path", "./d/*"],
        [".", "-path", "*sub*", "-type", "f"],
        [".", "-empty"],
        ["d", "-not", "-empty"],
    ],
)
def test_find(twins, args):
    # GNU find walks in directory order; ours in byte order: compare sorted lines
    ours = run_tool("find", args, cwd=twins.ours)
    gnu = run_gnu("find", args, cwd=twins.ours)
    assert sorted(ours.stdout.splitlines()) == sorted(gnu.stdout.splitlines())
    assert ours.status == gnu.status
    assert ours.stderr == gnu.stderr


def test_find_is_sorted(twins):
    out = run_tool("find", ["."], cwd=twins.ours).stdout.splitlines()
    assert out == sorted(out, key=lambda p: p.split(b"/"))
