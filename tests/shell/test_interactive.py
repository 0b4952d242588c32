"""The real `wasios shell` on a pseudo-terminal: prompt, line editing, Ctrl-C, completion,
history, job notices, the terminal as a program's stdin, Ctrl-D."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest

REPO = Path(__file__).resolve().parents[2]
PROMPT = r"wasios:/\$"  # prompt_toolkit draws the trailing space with cursor moves


@pytest.fixture
def sh(tmp_path):
    env = dict(
        os.environ,
        WASIOS_HISTFILE=str(tmp_path / "history"),
        TERM="xterm",
        PROMPT_TOOLKIT_NO_CPR="1",
    )
    child = pexpect.spawn(
        sys.executable,
        ["-m", "wasios", "shell", "--dir", f"{tmp_path}::/t"],
        cwd=str(REPO),
        env=env,
        timeout=60,
        encoding="utf-8",
        dimensions=(24, 200),
    )
    child.expect(PROMPT)
    yield child
    if child.isalive():
        child.terminate(force=True)


def test_pipeline_output_then_a_new_prompt(sh):
    sh.sendline("echo hello wasm | tr a-z A-Z")
    sh.expect("HELLO WASM\r\n")
    sh.expect(PROMPT)


def test_ctrl_c_kills_the_foreground_job_and_returns_to_the_prompt(sh):
    sh.sendline("yes")
    sh.expect("y\r\ny\r\n")
    sh.sendcontrol("c")
    sh.expect(r"wasios:/ \[130\]\$")  # the status of a job killed by SIGINT
    sh.sendline("echo still here")
    sh.expect("still here\r\n")


def test_tab_completes_commands_and_paths(sh, tmp_path):
    (tmp_path / "notes-unique.txt").write_text("from the host\n")
    sh.send("ech\t")
    sh.sendline(" completed")
    sh.expect("completed\r\n")
    sh.expect(PROMPT)
    sh.send("cat /t/notes-u\t")
    sh.sendline("")
    sh.expect("from the host\r\n")


def test_history_is_recalled_with_the_up_arrow(sh, tmp_path):
    sh.sendline("echo first-entry")
    sh.expect("first-entry\r\n")
    sh.expect(PROMPT)
    sh.send("\x1b[A")  # up: the last line again
    sh.sendline("")
    sh.expect("first-entry\r\n")
    sh.expect(PROMPT)
    sh.sendline("history")
    sh.expect(r"echo first-entry")
    assert "first-entry" in (tmp_path / "history").read_text()


def test_the_terminal_is_the_programs_stdin_and_ctrl_d_is_its_eof(sh):
    sh.sendline("wc -l")
    sh.sendline("one")
    sh.sendline("two")
    sh.sendeof()
    sh.expect(r"\b2\r\n")
    sh.expect(PROMPT)


def test_a_finished_background_job_is_reported_at_the_next_prompt(sh):
    sh.sendline("sleep 0.2 &")
    sh.expect(r"\[1\] \d+")
    sh.expect(PROMPT)
    sh.sendline("sleep 1")
    sh.expect(PROMPT)
    sh.sendline("")
    sh.expect(r"\[1\]\+?\s+Done\s+sleep 0\.2")


def test_continuation_prompt_and_ctrl_d_exits(sh):
    sh.sendline("echo 'two")
    sh.expect(">")  # the continuation prompt
    sh.sendline("lines'")
    sh.expect("two\r\nlines\r\n")
    sh.expect(PROMPT)
    sh.sendeof()
    sh.expect(pexpect.EOF)
    sh.close()
    assert sh.exitstatus == 0
