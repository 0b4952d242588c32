"""Builtins, run through a real session (programs where a builtin needs one)."""

from __future__ import annotations

import re
from pathlib import Path

import trio

from shell import CAPTURE, Session

from .test_runner import Result, pytestmark, sh

__all__ = ["pytestmark"]


async def test_cd_pwd_oldpwd_and_errors():
    r = await sh(
        "cd /tmp; pwd; echo $PWD $OLDPWD\n"
        "cd -\n"
        "cd /tmp/../dev; pwd\n"
        "cd; pwd\n"
        "cd /nonexistent; echo $?\n"
        "cd /dev/null; echo $?"
    )
    assert r.out == "/tmp\n/tmp /\n/\n/dev\n/\n1\n1\n"
    assert r.err.splitlines() == [
        "wasios: cd: /nonexistent: No such file or directory",
        "wasios: cd: /dev/null: Not a directory",
    ]


async def test_export_unset_and_prefix_assignments():
    r = await sh(
        "export A=1; B=2; env | grep -c '^[AB]='\n"
        "export B; env | grep '^B='\n"
        "unset A; env | grep -c '^A='; echo ${A-gone}\n"
        "C=3 env | grep '^C='; echo ${C-unset}\n"
        "export | grep -c 'export PATH=/bin'\n"
        "export 1x=2; echo $?"
    )
    assert r.out == "1\nB=2\n0\ngone\nC=3\nunset\n1\n1\n"
    assert r.err == "wasios: export: `1x=2': not a valid identifier\n"


async def test_exit_status_and_subshell_exit():
    assert (await sh("exit 7; echo no")).status == 7
    assert (await sh("(exit 3); echo $?")).out == "3\n"
    assert (await sh("false; exit")).status == 1
    r = await sh("exit x")
    assert r.status == 2 and "numeric argument required" in r.err


async def test_echo_builtin_options():
    r = await sh("echo -n a; echo b; echo -e 'c\\td'; echo 'e\\tf'; echo -e 'g\\ch'; echo; echo -x")
    assert r.out == "ab\nc\td\ne\\tf\ng\n-x\n"


async def test_set_options_and_positional_parameters():
    r = await sh(
        "set -- a b c; echo $# $2; shift; echo $@; shift 5; echo $?\n"
        "set -u; echo ${nope-dflt}; echo $nope; echo after\n"
    )
    assert r.out == "3 b\nb c\n1\ndflt\nafter\n"
    assert "nope: parameter not set" in r.err
    r = await sh("set -x; echo hi; set +x; echo quiet")
    assert r.out == "hi\nquiet\n"
    assert r.err == "+ echo hi\n+ set +x\n"
    r = await sh("set -e; true; false; echo not reached")
    assert r == Result(1, "", "")


async def test_jobs_fg_bg():
    with trio.fail_after(30):
        r = await sh(
            "sleep 100 & jobs; bg %1; kill %1; wait; jobs; echo listed\n"
            "echo done > /tmp/x & fg %1; echo $?\n"
            "fg; echo $?"
        )
    lines = r.out.splitlines()
    assert re.fullmatch(r"\[1\]\+\s+Running\s+sleep 100", lines[0])
    assert lines[1:] == ["listed", "echo done >/tmp/x", "0", "1"]
    assert "bg: job 1 already in background" in r.err
    assert "fg: current: no such job" in r.err


async def test_kill_and_wait_errors():
    r = await sh(
        "kill %3; echo $?; kill 9999; echo $?; kill -FOO 1; echo $?; kill; echo $?\n"
        "wait %9; echo $?; wait; echo $?\n"
        "kill -l | grep -c TERM"
    )
    assert r.out == "1\n1\n1\n2\n127\n0\n1\n"


async def test_ps_lists_shell_and_running_processes():
    with trio.fail_after(30):
        r = await sh("sleep 100 & ps; kill %1; wait; ps | wc -l")
    lines = r.out.splitlines()
    assert lines[0].split() == ["PID", "PPID", "TENANT", "STATE", "TIME", "COMMAND"]
    shell_row = lines[1].split()
    assert shell_row[0] == "1" and shell_row[-1] == "wasios-shell"
    sleep_row = lines[2].split()
    assert sleep_row[1:4] == ["1", "default", "running"] and sleep_row[-2:] == ["sleep", "100"]
    assert lines[-1] == "2"  # header and the shell: the killed job was reaped


async def test_mount_and_umount(tmp_path: Path):
    (tmp_path / "f.txt").write_text("from host\n")
    host = str(tmp_path)
    r = await sh(
        f"mount {host} /h; cat /h/f.txt; echo new > /h/g.txt\n"
        f"mount -r {host} /r; echo x > /r/y; echo $?; mount | grep -c ' on /r type host (ro)'\n"
        "umount /r; ls /r | wc -l; umount /r; echo $?\n"
        "mount /no/such/dir /x; echo $?"
    )
    assert r.out == "from host\n1\n1\n0\n1\n1\n"
    assert (tmp_path / "g.txt").read_text() == "new\n"
    assert not (tmp_path / "y").exists()


async def test_which_and_type():
    r = await sh("which cat cd nosuch; echo $?; type echo time cat; type nosuch; echo $?")
    assert r.out.splitlines() == [
        "/bin/cat.wasm",
        "cd: shell builtin",
        "1",
        "echo is a shell builtin",
        "time is a shell keyword",
        "cat is /bin/cat.wasm",
        "1",
    ]


async def test_history_help_and_source():
    async with Session(stdin=None, stdout=CAPTURE, stderr=CAPTURE) as s:
        await s.run_line("echo one")
        await s.run_line("printf 'echo sourced $1 $x\\n' > /tmp/s.sh")
        await s.run_line("x=1; source /tmp/s.sh arg; . /tmp/s.sh")
        await s.run_line("history")
        await s.run_line("help cd | head -n 1; help | grep -c strace; help nosuch")
    out = s.output(1).decode().splitlines()
    assert out[:3] == ["one", "sourced arg 1", "sourced 1"]
    assert [line.split(None, 1) for line in out[3:7]] == [
        ["1", "echo one"],
        ["2", "printf 'echo sourced $1 $x\\n' > /tmp/s.sh"],
        ["3", "x=1; source /tmp/s.sh arg; . /tmp/s.sh"],
        ["4", "history"],
    ]
    assert out[7:] == ["cd [DIR | -]", "1"]
    assert "no help topics match" in s.output(2).decode()


async def test_time_reports_on_stderr():
    r = await sh("time cat /dev/null | wc -c; time false")
    assert r.status == 1
    assert r.out == "0\n"
    blocks = r.err.split("real\t")[1:]
    assert len(blocks) == 2
    fields = dict(line.split("\t", 1) for line in ("real\t" + blocks[0]).splitlines())
    assert re.fullmatch(r"\d+m\d+\.\d{3}s", fields["real"])
    assert re.fullmatch(r"\d+m\d+\.\d{3}s", fields["cpu"])  # reported by the workers
    assert int(fields["syscalls"].split()[0]) > 0


async def test_strace_traces_only_its_command():
    r = await sh(
        "echo untraced | cat; strace /bin/echo hi; { strace -c true; } 2>&1 | grep -c total"
    )
    assert r.out == "untraced\nhi\n1\n"
    traced = r.err.splitlines()
    assert any("fd_write(fd=1" in line for line in traced)
    assert any("+++ exited with 0 +++" in line for line in traced)
    pids = {re.match(r"\[pid (\d+)\]", line).group(1) for line in traced}
    assert len(pids) == 1


async def test_strace_to_a_file():
    r = await sh("strace -o /tmp/trace /bin/echo hi; grep -c proc_exit /tmp/trace")
    assert r.out == "hi\n1\n"
    assert r.err == ""


async def test_completions():
    async with Session(stdin=None, stdout=CAPTURE, stderr=CAPTURE) as s:
        await s.run_script("mkdir /tmp/dir; touch /tmp/file /tmp/.hidden")
        assert s.completions("ec") == ["echo"]
        assert "cat" in s.completions("ca")
        assert s.completions("ls /tm") == ["/tmp/"]
        assert s.completions("cat /tmp/") == ["/tmp/dir/", "/tmp/file"]
        await s.run_script("cd /tmp")
        assert s.completions("cat f") == ["file"]
        assert s.completions("echo x | wc") == ["wc"]


async def test_job_notifications():
    async with Session(stdin=None, stdout=CAPTURE, stderr=CAPTURE) as s:
        ended = trio.Event()
        s.on_job_done = lambda job: ended.set()
        await s.run_script("false &")
        with trio.fail_after(30):
            await ended.wait()
        lines = s.take_notifications()
        assert len(lines) == 1
        assert re.fullmatch(r"\[1\]\s+Exit 1\s+false", lines[0])
        assert s.take_notifications() == []


async def test_exec_redirections_stay_and_exec_command_ends_the_shell():
    r = await sh("exec 2>/tmp/errs; ls /nope; exec >/tmp/out; echo hidden; exec cat /tmp/errs")
    assert r.status == 0
    assert r.out == "" and r.err == ""
    r = await sh("exec 3>/tmp/three; echo via3 >&3; cat /tmp/three; exec /bin/false; echo no")
    assert r == Result(1, "via3\n", "")


async def test_read_splits_a_line_and_leaves_the_rest():
    r = await sh(
        "printf 'a b  c\\nline2\\n' | { read x y; echo \"[$x][$y]\"; read z; echo $z; read w; echo $?; }\n"
        "echo 'p\\ q' > /tmp/f; read v < /tmp/f; echo $v; read -r v < /tmp/f; echo $v\n"
        "echo one:two | { IFS=: read a b; echo $b $a; }"
    )
    assert r.out == "[a][b  c]\nline2\n1\np q\np\\ q\ntwo one\n"
