"""The interactive front end of ``wasios shell``: a prompt with line editing, persistent
history and tab completion (prompt_toolkit), Ctrl-C and Ctrl-D, job notifications, and
the terminal as the foreground program's stdin.

The kernel (trio) keeps the main thread, so background jobs run and signals arrive while
the user types; the line editor runs in a worker thread and asks the session for
completions through `trio.from_thread`. While a command runs, the terminal is in its
normal (cooked) mode and is read only when it has input, into a pipe made for that
command: a line typed at the next prompt is never taken by the previous program, and
Ctrl-D gives the program EOF without closing the shell's own input.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable
from typing import Any

import trio

from kernel.errors import KernelError
from kernel.file import PipeReadFile, PipeWriteFile
from kernel.pipe import Pipe
from kernel.system import read_host
from shell._parser import is_complete
from shell._session import Session

HISTORY_FILE = os.environ.get("WASIOS_HISTFILE") or os.path.expanduser("~/.wasios_history")


def prompt_text(sh: Session) -> str:
    """``wasios:/cwd$``, with the last status when it is not 0: ``wasios:/tmp [1]$``."""
    status = f" [{sh.status}]" if sh.status else ""
    return f"wasios:{sh.cwd}{status}$ "


def _completer(sh: Session) -> Any:
    from prompt_toolkit.completion import Completer, Completion

    class ShellCompleter(Completer):
        """Commands (builtins and PATH) in command position, else VFS paths."""

        def get_completions(self, document: Any, complete_event: Any) -> Iterable[Completion]:
            text = document.text_before_cursor
            try:
                candidates = trio.from_thread.run_sync(sh.completions, text)
            except Exception:  # noqa: BLE001 - completion must never break the prompt
                return
            word = text.split()[-1] if text and not text[-1].isspace() else ""
            for c in candidates:
                yield Completion(c, start_position=-len(word))

    return ShellCompleter()


def _load_history(sh: Session, path: str) -> None:
    """Earlier sessions' lines, for the `history` builtin (the editor reads the file)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = [line[1:].rstrip("\n") for line in f if line.startswith("+")]
    except OSError:
        return
    sh.history[:0] = lines[-1000:]


async def _terminal_to(w: PipeWriteFile, fd: int = 0) -> None:
    """Copy what the user types into a program's stdin pipe; read only when there is
    input (the wait is cancelled when the command ends); EOF (Ctrl-D) ends that stdin."""
    try:
        while data := await read_host(fd):
            try:
                await w.write(data)
            except KernelError:
                break  # the program closed its stdin
    finally:
        w.release()


async def run_interactive(**session_kwargs: Any) -> int:
    """The read–eval loop on a terminal; returns the shell's exit status."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    tty_in = os.isatty(0)
    async with Session(stdin=None, interactive=True, **session_kwargs) as sh:
        _load_history(sh, HISTORY_FILE)
        editor = PromptSession(
            history=FileHistory(HISTORY_FILE),
            completer=_completer(sh),
            complete_while_typing=False,
        )
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGQUIT) as signals:
            async with trio.open_nursery() as nursery:

                async def relay() -> None:
                    async for sig in signals:
                        sh.interrupt(sig)  # only a running command is touched

                nursery.start_soon(relay)
                while not sh.exited:
                    await sh.settle_output()
                    for note in sh.take_notifications():
                        print(note, flush=True)
                    text = await _read_command(editor, sh)
                    if text is None:
                        break
                    if not text.strip():
                        continue
                    await _run(sh, text, tty_in)
                nursery.cancel_scope.cancel()
        return sh.status


async def _read_command(editor: Any, sh: Session) -> str | None:
    """One command, over as many lines as it needs (an open quote, a trailing `|`...);
    None at Ctrl-D on an empty line."""
    text = ""
    prompt = prompt_text(sh)
    while True:
        try:
            line = await trio.to_thread.run_sync(editor.prompt, prompt)
        except KeyboardInterrupt:  # Ctrl-C at the prompt: drop the line
            print("^C", flush=True)
            text, prompt = "", prompt_text(sh)
            continue
        except EOFError:  # Ctrl-D
            if text:
                return text  # run what there is; the parser will say what is missing
            print("exit", flush=True)
            return None
        text += line + "\n"
        if is_complete(text):
            return text
        prompt = "> "


async def _run(sh: Session, text: str, tty_in: bool) -> None:
    """Run one command with the terminal as its stdin while it runs."""
    pipe = Pipe()
    reader, writer = PipeReadFile(pipe, tty=tty_in), PipeWriteFile(pipe, tty=tty_in)
    writer.acquire()
    sh.runner.base_fds.set(0, reader)
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_terminal_to, writer)
            await sh.run_line(text)
            nursery.cancel_scope.cancel()
    finally:
        if not writer.closed:
            writer.release()
        sh.runner.base_fds.close_fd(0)
