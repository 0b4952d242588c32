"""``wasios shell`` as a command: -c, a script file with arguments, commands on stdin,
exit statuses, syntax errors that run nothing. Each test is one host process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .test_runner import REPO, pytestmark

__all__ = ["pytestmark"]


def wsh(*args: str, stdin: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "wasios._shell_cmd", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        env=env,
        cwd=cwd,
    )


def test_dash_c_with_name_and_arguments():
    r = wsh("-c", 'echo "$0" "$#" "$1" "$2" | tr a-z A-Z; exit 3', "myname", "a", "b c")
    assert r.returncode == 3
    assert r.stdout == b"MYNAME 2 A B C\n"
    assert r.stderr == b""


def test_script_file_with_arguments_and_host_dir(tmp_path: Path):
    script = tmp_path / "s.sh"
    script.write_text("cd /work\necho $1 > out.txt\ncat out.txt | wc -c\nfalse\n")
    r = wsh("--dir", f"{tmp_path}::/work", str(script), "hello")
    assert r.returncode == 1  # the status of the last command
    assert r.stdout == b"6\n"
    assert (tmp_path / "out.txt").read_text() == "hello\n"


def test_commands_on_stdin_and_programs_see_the_rest_of_stdin_as_empty():
    r = wsh(stdin=b"echo first\ncat\necho last\n")
    assert r.returncode == 0
    assert r.stdout == b"first\nlast\n"


def test_host_stdin_reaches_programs_with_dash_c():
    r = wsh("-c", "tr a-z A-Z; echo end", stdin=b"piped text\n")
    assert r.stdout == b"PIPED TEXT\nend\n"


def test_syntax_error_runs_nothing(tmp_path: Path):
    r = wsh("--dir", f"{tmp_path}::/w", "-c", "echo x > /w/made\necho 'open")
    assert r.returncode == 2
    assert r.stdout == b""
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1 and "syntax error at 2:6" in lines[0]
    assert not (tmp_path / "made").exists()


def test_env_options_and_bad_arguments(tmp_path: Path):
    r = wsh("--env", "GREETING=hi", "-c", "env | grep GREETING; echo $GREETING")
    assert r.stdout == b"GREETING=hi\nhi\n"
    r = wsh("--dir", str(tmp_path / "missing"), "-c", "true")
    assert r.returncode == 2
    assert r.stderr.decode().count("\n") == 1 and b"Traceback" not in r.stderr
    r = wsh(str(tmp_path / "no-such-script"))
    assert r.returncode == 127
    assert b"Traceback" not in r.stderr


def test_sigint_ends_the_script_with_130():
    import signal

    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wasios._shell_cmd",
            "-c",
            "echo ready; sleep 100; echo not-reached",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert p.stdout.readline() == b"ready\n"
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    finally:
        p.kill()
        p.wait()
    assert p.returncode == 130
    assert out == b""
    assert b"Traceback" not in err
