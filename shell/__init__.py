"""The ``wasios shell`` language: lexer, parser, syntax tree and word expansion.

Pure: nothing here runs a process. The runner walks the tree that `parse` returns and
asks the kernel to spawn, pipe, redirect and wait; it calls `expand_words` and friends
with a `Context` that it fills from its own state.

    tree = shell.parse(text)              # ShellSyntaxError / IncompleteInput
    buf = shell.LineBuffer(); buf.feed(line)   # REPL: a tree, or None for "more"
    argv = shell.expand_words(cmd.words, ctx)
"""

from shell._expand import (
    Context,
    GlobFS,
    expand_assignment,
    expand_heredoc,
    expand_word,
    expand_words,
    fnmatch,
    glob,
)
from shell._lexer import Token, is_name, lex_word, tokenize
from shell._nodes import (
    AndOr,
    Arith,
    Assign,
    Background,
    BraceGroup,
    CmdSub,
    Command,
    HereDoc,
    Lit,
    Param,
    Part,
    Pipeline,
    Pos,
    Redir,
    Sequence,
    Simple,
    Subshell,
    Word,
)
from shell._parser import LineBuffer, is_complete, parse
from shell._unparse import unparse
from shell.errors import ExpansionError, IncompleteInput, ShellError, ShellSyntaxError

__all__ = [
    "AndOr",
    "Arith",
    "Assign",
    "Background",
    "BraceGroup",
    "CmdSub",
    "Command",
    "Context",
    "ExpansionError",
    "GlobFS",
    "HereDoc",
    "IncompleteInput",
    "LineBuffer",
    "Lit",
    "Param",
    "Part",
    "Pipeline",
    "Pos",
    "Redir",
    "Sequence",
    "ShellError",
    "ShellSyntaxError",
    "Simple",
    "Subshell",
    "Token",
    "Word",
    "expand_assignment",
    "expand_heredoc",
    "expand_word",
    "expand_words",
    "fnmatch",
    "glob",
    "is_complete",
    "is_name",
    "lex_word",
    "parse",
    "tokenize",
    "unparse",
]

# The runner and the session need the kernel; they are loaded on first use so that
# parsing and expansion (and their tests) stay free of it.
_LAZY = {"Session": "shell._session", "CAPTURE": "shell._session", "Job": "shell._runner"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'shell' has no attribute {name!r}")


__all__ += ["CAPTURE", "Job", "Session"]
