"""The runner through the real kernel, workers and bundled userland: pipelines,
redirections, here-documents, statuses, cwd, lookup, background jobs and kill.

Expected outputs are POSIX sh behaviour written out by hand, or (`test_same_as_dash`)
what the host's dash prints running GNU coreutils on the same files.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest
import trio

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / "userland" / "bin"

pytestmark = pytest.mark.skipif(not (BIN / "cat.wasm").exists(), reason="userland not built")


class Result(NamedTuple):
    status: int
    out: str
    err: str


async def sh(script: str, *, stdin: bytes | None = None, **kw) -> Result:
    """Run ``script`` in a fresh session with captured output, within a deadline."""
    from shell import CAPTURE, Session

    with trio.fail_after(60):
        async with Session(stdin=stdin, stdout=CAPTURE, stderr=CAPTURE, **kw) as s:
            status = await s.run_script(script)
    return Result(status, s.output(1).decode(), s.output(2).decode())


# ---------------------------------------------------------------- pipelines


async def test_pipeline_of_three_programs():
    r = await sh(
        "printf 'ax\\nb\\nxc\\nd\\n' > /tmp/f\n"
        "cat /tmp/f | grep x | wc -l\n"
        "cat /tmp/f | sort -r | head -n 2"
    )
    assert r == Result(0, "2\nxc\nd\n", "")


async def test_builtin_in_a_pipeline_and_stdin():
    r = await sh("echo one two | tr a-z A-Z; cat | wc -c", stdin=b"12345")
    assert r.out == "ONE TWO\n5\n"


async def test_yes_into_head_ends_with_sigpipe_status():
    with trio.fail_after(30):
        r = await sh("yes | head -n 3; echo $? $PIPESTATUS")
    assert r.out == "y\ny\ny\n0 141 0\n"


async def test_pipestatus_and_negation():
    r = await sh(
        "false | true; echo $? $PIPESTATUS\n"
        "true | false; echo $? $PIPESTATUS\n"
        "! false; echo $?\n"
        "! true | true; echo $?\n"
        "false; echo $PIPESTATUS"
    )
    assert r.out == "0 1 0\n1 0 1\n0\n1\n1\n"


async def test_and_or_chains():
    r = await sh(
        "true && echo a || echo b\n"
        "false && echo c || echo d\n"
        "false || false || echo e\n"
        "true || echo never; echo $?"
    )
    assert r.out == "a\nd\ne\n0\n"


async def test_special_parameters():
    from shell import CAPTURE, Session

    async with Session(stdin=None, stdout=CAPTURE, stderr=CAPTURE) as s:
        await s.run_script("echo $$; true & echo $!; wait; echo $?")
        shell_pid = s.runner.shell_proc.pid
    lines = s.output(1).decode().split()
    assert lines[0] == str(shell_pid)
    assert lines[1].isdigit() and int(lines[1]) != shell_pid
    assert lines[2] == "0"


# ---------------------------------------------------------------- redirections


async def test_redirections_in_the_vfs():
    r = await sh(
        "cd /tmp\n"
        "echo one > f; echo two >> f; cat f\n"
        "wc -l < f\n"
        "ls /nonexistent 2> err; wc -l < err\n"
        "ls /nonexistent > both 2>&1; wc -l < both\n"
        "echo to-err 3>&1 1>&2 2>&3 3>&-\n"
        "echo x >/dev/null\n"
        "> empty; wc -c < empty\n"
        "{ echo g1; echo g2; } > grp; cat grp\n"
        "(echo s1; echo s2 1>&2) 2>&1 | sort"
    )
    assert r.out == "one\ntwo\n2\n1\n1\n0\ng1\ng2\ns1\ns2\n"
    assert r.err == "to-err\n"


async def test_redirections_in_a_mounted_host_dir(tmp_path: Path):
    (tmp_path / "in.txt").write_text("host line\n")
    r = await sh(
        "cat /mnt/in.txt > /mnt/out.txt; echo more >> /mnt/out.txt; cat < /mnt/out.txt",
        dirs=[f"{tmp_path}::/mnt"],
    )
    assert r == Result(0, "host line\nmore\n", "")
    assert (tmp_path / "out.txt").read_text() == "host line\nmore\n"


async def test_redirection_errors_do_not_run_the_command(tmp_path: Path):
    r = await sh("cat < /missing; echo $?\necho x > /ro/f; echo $?", dirs=[f"{tmp_path}::/ro:ro"])
    assert r.out == "1\n1\n"
    assert r.err.splitlines() == [
        "wasios: /missing: No such file or directory",
        "wasios: /ro/f: Read-only file system",
    ]


async def test_here_documents():
    r = await sh(
        "x=world\n"
        "cat <<EOF\nhello $x\n$(echo sub)\nEOF\n"
        "cat <<'EOF'\nhello $x\nEOF\n"
        "cat <<-EOF\n\tindented\n\tEOF\n"
    )
    assert r.out == "hello world\nsub\nhello $x\nindented\n"


async def test_large_here_document_is_fed_concurrently():
    body = "line\n" * 30000  # larger than a pipe's buffer
    r = await sh(f"wc -l <<EOF\n{body}EOF\n")
    assert r.out.strip() == "30000"


# ---------------------------------------------------------------- cwd


async def test_cd_and_relative_paths(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data.txt").write_text("relative\n")
    r = await sh(
        "cd /mnt/sub && pwd && /bin/pwd && cat data.txt && ls\n"
        "cd .. && ls && cat sub/data.txt\n"
        "mkdir /tmp/d && cd /tmp/d && echo made > new.txt && cat /tmp/d/new.txt",
        dirs=[f"{tmp_path}::/mnt"],
    )
    assert r == Result(0, "/mnt/sub\n/mnt/sub\nrelative\ndata.txt\nsub\nrelative\nmade\n", "")


async def test_subshell_keeps_its_changes_brace_group_does_not():
    r = await sh(
        "(cd /tmp; x=1; echo in $PWD); echo out $PWD ${x-unset}\n"
        "{ cd /tmp; y=2; }; echo $PWD $y\n"
        "(exit 3); echo $?"
    )
    assert r.out == "in /tmp\nout / unset\n/tmp 2\n3\n"


# ---------------------------------------------------------------- lookup


async def test_command_not_found_and_not_executable(tmp_path: Path):
    (tmp_path / "notwasm").write_text("echo hi\n")
    r = await sh(
        "nosuchcmd; echo $?\n/mnt/notwasm; echo $?\n/mnt; echo $?\n./nope; echo $?",
        dirs=[f"{tmp_path}::/mnt"],
    )
    assert r.out == "127\n126\n126\n127\n"
    assert r.err.splitlines() == [
        "wasios: nosuchcmd: command not found",
        "wasios: /mnt/notwasm: cannot execute: not a WebAssembly module",
        "wasios: /mnt: Is a directory",
        "wasios: ./nope: No such file or directory",
    ]


async def test_path_entries_and_files_with_a_slash(tmp_path: Path):
    shutil.copy(BIN / "echo.wasm", tmp_path / "hello.wasm")
    (tmp_path / "seven.wat").write_text(
        '(module (import "wasi_snapshot_preview1" "proc_exit" (func $e (param i32)))'
        ' (memory (export "memory") 1) (func (export "_start") (call $e (i32.const 7))))'
    )
    r = await sh(
        "PATH=/bin:/mnt; hello from path\n"
        "cd /mnt; ./hello.wasm relative; ./seven.wat; echo $?\n"
        "seven; echo $?",
        dirs=[f"{tmp_path}::/mnt"],
    )
    assert r.out == "from path\nrelative\n7\n7\n"


# ---------------------------------------------------------------- expansion


async def test_command_substitution_and_assignments():
    r = await sh(
        "x=$(echo abc | tr a-c A-C); echo $x\n"
        "y=$(false); echo $?\n"
        "A=1 env | grep '^A='; echo ${A-unset}\n"
        "n=$(printf 'a\\nb\\n' | wc -l); echo $((n + 1))"
    )
    assert r.out == "ABC\n1\nA=1\nunset\n3\n"


async def test_globbing_against_the_vfs():
    r = await sh("cd /tmp; touch b.c a.c x.h; echo *.c; echo /tmp/*.h; echo *.none")
    assert r.out == "a.c b.c\n/tmp/x.h\n*.none\n"


async def test_syntax_error_runs_nothing():
    r = await sh("echo ran > /tmp/f\necho (\n")
    assert r.status == 2
    assert r.out == ""
    assert r.err.startswith("wasios: -c: syntax error at 2:6")
    assert len(r.err.splitlines()) == 1


# ---------------------------------------------------------------- jobs


async def test_background_and_wait():
    r = await sh(
        "echo bg > /tmp/o & wait $!; echo $?; cat /tmp/o\n"
        "false & wait $!; echo $?\n"
        "(exit 4) & wait %1; echo $?\n"
        "true & false & wait; echo $?"
    )
    assert r.out == "0\nbg\n1\n4\n0\n"


async def test_kill_background_job_and_pid():
    with trio.fail_after(30):
        r = await sh(
            "sleep 100 & kill $!; wait $!; echo $?\n"
            "sleep 100 & kill -9 %1; wait %1; echo $?\n"
            "sleep 100 | cat & kill -s INT %1; wait %1; echo $?\n"
            "{ sleep 100; echo never; } & kill %1; wait %1; echo $?"
        )
    assert r.out == "143\n137\n130\n143\n"


async def test_background_stdin_is_empty():
    r = await sh("cat & wait", stdin=b"not for the background\n")
    assert r.out == ""


async def test_interrupt_kills_the_foreground_line():
    from shell import CAPTURE, Session

    async with Session(stdin=None, stdout=CAPTURE, stderr=CAPTURE) as s:
        spawned = trio.Event()
        s.runner.on_spawn = lambda rec: spawned.set()
        result: list[int] = []

        async def line() -> None:
            result.append(await s.run_script("sleep 100; echo after"))

        with trio.fail_after(30):
            async with trio.open_nursery() as n:
                n.start_soon(line)
                await spawned.wait()
                s.interrupt()
        assert result == [130]
        assert [p for p in s.runner.kernel.procs.values() if p.pid != s.runner.shell_proc.pid] == []
    assert s.output(1) == b""


# ---------------------------------------------------------------- against dash


SCRIPTS = [
    "cat words | sort | uniq -c | sort -rn | head -n 3",
    "grep -c a words; grep -v a words | wc -l",
    "cut -d' ' -f2 pairs | tr a-z A-Z",
    "sort pairs > sorted; cat sorted; wc -l < sorted",
    "cat words | head -n 4 | tail -n 2; echo $?",
    "false | cat words | grep -q zzz; echo $?",
    "{ echo x; cat pairs; } | wc -l",
]


@pytest.mark.skipif(shutil.which("dash") is None, reason="no dash on the host")
@pytest.mark.parametrize("script", SCRIPTS)
async def test_same_as_dash(tmp_path: Path, script: str):
    host, guest = tmp_path / "host", tmp_path / "guest"
    for d in (host, guest):
        d.mkdir()
        (d / "words").write_text("banana\napple\ncherry\napple\nbanana\napple\ndate\n")
        (d / "pairs").write_text("1 one\n3 three\n2 two\n")
    want = subprocess.run(
        ["dash", "-c", script], cwd=host, capture_output=True, timeout=30, env={"LC_ALL": "C"}
    )
    got = await sh(f"cd /w\n{script}", dirs=[f"{guest}::/w"])
    assert got.out == want.stdout.decode()
    assert got.status == want.returncode
    assert sorted(p.name for p in guest.iterdir()) == sorted(p.name for p in host.iterdir())


async def test_interactive_session_reads_host_input_only_while_a_line_runs():
    import os
    import select

    from shell import CAPTURE, Session

    r, w = os.pipe()
    try:
        os.write(w, b"typed ahead\n")
        async with Session(stdin=r, stdout=CAPTURE, stderr=CAPTURE, interactive=True) as s:
            await trio.testing.wait_all_tasks_blocked()
            assert select.select([r], [], [], 0)[0] == [r]  # still unread: no line runs
            os.close(w)
            w = -1
            with trio.fail_after(30):
                await s.run_line("cat")
        assert s.output(1) == b"typed ahead\n"
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)
