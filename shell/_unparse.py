"""Print a command back as shell text: for job listings (``[1] Running  sleep 9 &``),
``set -x``-style traces and round-trip tests of the parser."""

from __future__ import annotations

from shell._nodes import (
    AndOr,
    Background,
    BraceGroup,
    Command,
    HereDoc,
    Pipeline,
    Redir,
    Sequence,
    Simple,
    Subshell,
)
from shell._parser import RESERVED


def unparse(node: Command) -> str:
    """Shell text for ``node`` on one line; here-document bodies, if any, follow on the
    next lines, so the result parses back to an equal tree."""
    docs: list[HereDoc] = []
    line = _cmd(node, docs)
    if not docs:
        return line
    tail = "".join(d.body.raw + d.delimiter + "\n" for d in docs)
    return line + "\n" + tail


def _redir(r: Redir, docs: list[HereDoc]) -> str:
    default = 0 if r.op in ("<", "<>", "<&", "<<", "<<-") else 1
    fd = "" if r.fd == default else str(r.fd)
    if isinstance(r.target, HereDoc):
        docs.append(r.target)
        delim = r.target.delimiter if r.target.expand else "'" + r.target.delimiter + "'"
        return f"{fd}{r.op}{delim}"
    return f"{fd}{r.op}{r.target.raw}"


def _redirs(rs: tuple[Redir, ...], docs: list[HereDoc]) -> str:
    return "".join(" " + _redir(r, docs) for r in rs)


def _seq(seq: Sequence, docs: list[HereDoc]) -> str:
    out = []
    for c in seq.commands:
        text = _cmd(c, docs)
        out.append(text if isinstance(c, Background) else text + ";")
    return " ".join(out)


def _cmd(node: Command, docs: list[HereDoc]) -> str:
    if isinstance(node, Simple):
        items = [f"{a.name}={a.value.raw}" for a in node.assigns]
        redirs = [_redir(r, docs) for r in node.redirs]
        words = [w.raw for w in node.words]
        if words and not items and words[0] in RESERVED:
            items += redirs + words  # `>f }` must not come out as a closing brace
        else:
            items += words + redirs
        return " ".join(items)
    if isinstance(node, Pipeline):
        text = " | ".join(_cmd(c, docs) for c in node.commands)
        return "! " + text if node.negate else text
    if isinstance(node, AndOr):
        text = _cmd(node.first, docs)
        return text + "".join(f" {op} {_cmd(c, docs)}" for op, c in node.rest)
    if isinstance(node, Background):
        return _cmd(node.command, docs) + " &"
    if isinstance(node, Subshell):
        return f"( {_seq(node.body, docs)} ){_redirs(node.redirs, docs)}"
    if isinstance(node, BraceGroup):
        return f"{{ {_seq(node.body, docs)} }}{_redirs(node.redirs, docs)}"
    if isinstance(node, Sequence):
        return _seq(node, docs).removesuffix(";")
    raise TypeError(f"not a command node: {type(node).__name__}")
