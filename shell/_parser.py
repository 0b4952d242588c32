"""Recursive-descent parser over the lexer's tokens (a subset of the POSIX grammar).

    program   : linebreak list? EOF
    list      : and_or ((';' | '&' | newline) linebreak and_or)* [';' | '&']
    and_or    : pipeline (('&&' | '||') linebreak pipeline)*
    pipeline  : ['!'] command ('|' linebreak command)*
    command   : simple | '(' list ')' redir* | '{' list '}' redir*
    simple    : (assignment | redir)* (word | redir)*

The whole text is parsed before anything runs. Running out of tokens where the grammar
needs more (after ``|``, ``&&``, inside ``(``/``{``) is `IncompleteInput`.
"""

from __future__ import annotations

from shell._lexer import Token, _Lexer, is_name
from shell._nodes import (
    AndOr,
    Assign,
    Background,
    BraceGroup,
    Command,
    HereDoc,
    Lit,
    Pipeline,
    Redir,
    Sequence,
    Simple,
    Subshell,
    Word,
)
from shell.errors import IncompleteInput, ShellSyntaxError

REDIR_OPS = frozenset(("<", ">", ">>", ">|", "<>", "<&", ">&", "<<", "<<-"))
_INPUT_OPS = frozenset(("<", "<>", "<&", "<<", "<<-"))
#: Compound commands this shell does not have: a clear error rather than "if: not found".
UNSUPPORTED = frozenset(("if", "while", "until", "for", "case", "function", "select"))
#: Reserved words that can only continue a compound command.
_CLOSERS = frozenset(("then", "else", "elif", "fi", "do", "done", "esac", "}"))
#: Words that mean something else in command position.
RESERVED = UNSUPPORTED | _CLOSERS | {"{", "!"}


def _describe(tok: Token) -> str:
    if tok.kind == "NEWLINE":
        return "newline"
    if tok.kind == "EOF":
        return "')'" if tok.text == ")" else "end of input"
    return f"'{tok.text}'"


#: Deepest nesting of ( ) and { } groups accepted.
MAX_NESTING = 150


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.toks = tokens
        self.k = 0
        self.nesting = 0

    # ------------------------------------------------------------ helpers

    def peek(self) -> Token:
        tok = self.toks[self.k]
        if tok.error is not None:
            raise tok.error
        return tok

    def next(self) -> Token:
        tok = self.peek()
        if tok.kind != "EOF":
            self.k += 1
        return tok

    def unexpected(self, tok: Token, what: str = "") -> ShellSyntaxError:
        if tok.kind == "EOF" and tok.text == "":
            detail = "unexpected end of input" + (f" ({what})" if what else "")
            return IncompleteInput(detail, *tok.pos)
        return ShellSyntaxError(f"unexpected {_describe(tok)}", *tok.pos)

    def linebreak(self) -> None:
        while self.peek().kind == "NEWLINE":
            self.k += 1

    def is_op(self, *ops: str) -> bool:
        tok = self.peek()
        return tok.kind == "OP" and tok.text in ops

    def is_reserved(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "WORD" and tok.text == word

    # ------------------------------------------------------------ grammar

    def program(self) -> Sequence:
        seq = self.list_(())
        tok = self.peek()
        if tok.kind != "EOF":
            raise self.unexpected(tok)
        return seq

    def list_(self, closers: tuple[str, ...]) -> Sequence:
        """Commands up to EOF or one of ``closers`` (``)`` or ``}``), not consumed."""
        items: list[Command] = []
        self.linebreak()
        start = self.peek().pos
        while not self._at_close(closers):
            cmd = self.and_or()
            tok = self.peek()
            if tok.kind == "OP" and tok.text == "&":
                self.next()
                cmd = Background(cmd, tok.pos)
            elif tok.kind == "OP" and tok.text == ";":
                self.next()
            elif tok.kind == "NEWLINE":
                pass
            elif not self._at_close(closers):
                raise self.unexpected(tok)
            items.append(cmd)
            self.linebreak()
        return Sequence(tuple(items), start)

    def _at_close(self, closers: tuple[str, ...]) -> bool:
        tok = self.peek()
        if tok.kind == "EOF":
            return True
        if tok.kind == "OP" and tok.text == ")" and ")" in closers:
            return True
        return tok.kind == "WORD" and tok.text == "}" and "}" in closers

    def and_or(self) -> Command:
        start = self.peek().pos
        first = self.pipeline()
        rest: list[tuple[str, Command]] = []
        while self.is_op("&&", "||"):
            op = self.next()
            self.linebreak()
            rest.append((op.text, self.pipeline()))
        return AndOr(first, tuple(rest), start) if rest else first

    def pipeline(self) -> Command:
        start = self.peek()
        negate = False
        if self.is_reserved("!"):
            self.next()
            negate = True
            if self.is_reserved("!"):
                raise self.unexpected(self.peek())
        cmds = [self.command()]
        while self.is_op("|"):
            self.next()
            self.linebreak()
            cmds.append(self.command())
        if len(cmds) == 1 and not negate:
            return cmds[0]
        return Pipeline(tuple(cmds), negate, start.pos)

    def command(self) -> Command:
        tok = self.peek()
        if (tok.kind == "OP" and tok.text == "(") or (tok.kind == "WORD" and tok.text == "{"):
            if self.nesting >= MAX_NESTING:  # a limit of its own, not the interpreter's
                raise ShellSyntaxError("nesting too deep", *tok.pos)
            self.nesting += 1
            try:
                return self._group(tok)
            finally:
                self.nesting -= 1
        if tok.kind == "WORD" and tok.text in UNSUPPORTED:
            raise ShellSyntaxError(f"'{tok.text}' is not supported by this shell", *tok.pos)
        if tok.kind == "WORD" and (tok.text in _CLOSERS or tok.text == "!"):
            raise self.unexpected(tok)
        return self.simple()

    def _group(self, tok: Token) -> Command:
        """A subshell ``( … )`` or a brace group ``{ …; }``."""
        if tok.kind == "OP" and tok.text == "(":
            self.next()
            body = self.list_((")",))
            end = self.peek()
            if end.kind == "EOF" and end.text == "":
                raise IncompleteInput("unexpected end of input (expecting ')')", *end.pos)
            if not (end.kind == "OP" and end.text == ")"):
                raise self.unexpected(end)
            if not body.commands:
                raise self.unexpected(end)
            self.next()
            return Subshell(body, self.redirs(), tok.pos)
        if tok.kind == "WORD" and tok.text == "{":
            self.next()
            body = self.list_(("}",))
            end = self.peek()
            if end.kind == "EOF" and end.text == "":
                raise IncompleteInput("unexpected end of input (expecting '}')", *end.pos)
            if not (end.kind == "WORD" and end.text == "}"):
                raise self.unexpected(end)
            if not body.commands:
                raise self.unexpected(end)
            self.next()
            return BraceGroup(body, self.redirs(), tok.pos)
        raise AssertionError("not a group")  # pragma: no cover

    def redirs(self) -> tuple[Redir, ...]:
        out = []
        while self._at_redir():
            out.append(self.redir())
        return tuple(out)

    def _at_redir(self) -> bool:
        tok = self.peek()
        return tok.kind == "IO_NUMBER" or (tok.kind == "OP" and tok.text in REDIR_OPS)

    def redir(self) -> Redir:
        first = self.next()
        fd = None
        op = first
        if first.kind == "IO_NUMBER":
            fd = int(first.text)
            op = self.next()
        target = self.peek()
        if target.kind != "WORD":
            if target.kind == "EOF" and target.text == "":
                raise ShellSyntaxError(
                    f"unexpected end of input (expecting a word after '{op.text}')", *target.pos
                )
            raise self.unexpected(target)
        self.next()
        if fd is None:
            fd = 0 if op.text in _INPUT_OPS else 1
        if op.text in ("<<", "<<-"):
            doc = target.heredoc
            if doc is None:
                # Lexing stopped before the body; the error it stopped on is in the last
                # token and will be raised when the parser gets there, unless an error
                # in between comes first. The placeholder never leaves the parser.
                assert self.toks[-1].error is not None, "every body is read before a clean EOF"
                doc = HereDoc(Word(()), target.text, False, op.text == "<<-")
            return Redir(fd, op.text, doc, first.pos)
        assert target.word is not None
        return Redir(fd, op.text, target.word, first.pos)

    def simple(self) -> Command:
        start = self.peek()
        assigns: list[Assign] = []
        words: list[Word] = []
        redirs: list[Redir] = []
        while True:
            tok = self.peek()
            if self._at_redir():
                redirs.append(self.redir())
            elif tok.kind == "WORD":
                assert tok.word is not None
                assign = None if words else _assignment(tok.word)
                if assign is not None:
                    assigns.append(assign)
                else:
                    words.append(tok.word)
                self.next()
            else:
                break
        if not (assigns or words or redirs):
            raise self.unexpected(start)
        return Simple(tuple(assigns), tuple(words), tuple(redirs), start.pos)


def _assignment(word: Word) -> Assign | None:
    first = word.parts[0] if word.parts else None
    if not isinstance(first, Lit) or first.quoted or "=" not in first.text:
        return None
    name, _, rest = first.text.partition("=")
    if not is_name(name):
        return None
    parts = ((Lit(rest),) if rest else ()) + word.parts[1:]
    raw = word.raw.partition("=")[2]
    vpos = word.pos._replace(col=word.pos.col + len(name) + 1)
    return Assign(name, Word(parts, raw, vpos), word.pos)


def parse_tokens(tokens: list[Token]) -> Sequence:
    """Parse a token list from the lexer (used for ``$(…)`` bodies too)."""
    return _Parser(tokens).program()


def parse(text: str) -> Sequence:
    """Parse a whole shell program. Raises `ShellSyntaxError` (one line, with line and
    column) or its subclass `IncompleteInput` when the text ends too early."""
    try:
        return parse_tokens(_Lexer(text).run())
    except RecursionError:
        raise ShellSyntaxError("nesting too deep", 1, 1) from None


def is_complete(text: str) -> bool:
    """False when ``text`` needs more lines (a REPL shows its continuation prompt);
    True when it parses or has an error that more input cannot fix."""
    try:
        parse(text)
    except IncompleteInput:
        return False
    except ShellSyntaxError:
        return True
    return True


class LineBuffer:
    """Collects lines for an interactive front end: `feed` each line as typed; it returns
    the parsed program once the text is complete, or None to ask for another line (show
    the continuation prompt, ``PS2``). A syntax error empties the buffer and is raised,
    so the next line starts afresh, as in sh."""

    def __init__(self) -> None:
        self.text = ""

    @property
    def pending(self) -> bool:
        """Whether earlier lines wait for more (the prompt to show is ``PS2``)."""
        return bool(self.text)

    def feed(self, line: str) -> Sequence | None:
        """Add one line (a missing final newline is added)."""
        self.text += line if line.endswith("\n") else line + "\n"
        try:
            tree = parse(self.text)
        except IncompleteInput:
            return None
        except ShellSyntaxError:
            self.text = ""
            raise
        self.text = ""
        return tree

    def finish(self) -> None:
        """End of input (Ctrl-D): raise if a command was left open, as sh reports
        "end of file unexpected"."""
        text, self.text = self.text, ""
        if text:
            parse(text)
