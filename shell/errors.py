"""Errors of the shell language: one-line messages that name the line and column.

A script is parsed as a whole before any of it runs, so every syntax error is found up
front; `IncompleteInput` is the one kind of syntax error an interactive front end answers
with a continuation prompt instead of a message.
"""

from __future__ import annotations


def one_line(text: str) -> str:
    """Messages stay on one line even when they quote multi-line shell text."""
    return text.replace("\\", "\\\\").replace("\n", "\\n") if "\n" in text else text


class ShellError(Exception):
    """Base of every error the shell language raises; ``str()`` is the one-line message."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


class ShellSyntaxError(ShellError):
    """Text that is not a shell program; ``line``/``col`` are 1-based."""

    def __init__(self, detail: str, line: int, col: int) -> None:
        self.detail = detail
        self.line = line
        self.col = col
        super().__init__(f"syntax error at {line}:{col}: {one_line(detail)}")


class IncompleteInput(ShellSyntaxError):
    """The text ends where more is needed (an open quote, a trailing ``|``, an open
    here-document, a trailing backslash): a REPL reads another line and parses again;
    a script reports it as a syntax error. ``line``/``col`` point at what is still open.
    """


class ExpansionError(ShellError):
    """An expansion failed while a command was being prepared (``${x?msg}``, ``set -u``,
    bad arithmetic); the command does not run and the shell's status is nonzero."""
