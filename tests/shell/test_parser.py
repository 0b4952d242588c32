"""The parser: tree shapes, redirections, here-docs, errors with positions, incomplete
input for the REPL, and printing back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shell import (
    AndOr,
    Background,
    BraceGroup,
    HereDoc,
    IncompleteInput,
    LineBuffer,
    Pipeline,
    Sequence,
    ShellSyntaxError,
    Simple,
    Subshell,
    is_complete,
    parse,
    unparse,
)


def one(text: str):
    seq = parse(text)
    assert isinstance(seq, Sequence) and len(seq.commands) == 1
    return seq.commands[0]


def argv(cmd: Simple) -> list[str]:
    return [w.literal() for w in cmd.words]


def test_empty_and_blank_programs():
    assert parse("") == Sequence(())
    assert parse("\n\n  # just a comment\n") == Sequence(())


def test_simple_command_with_assignments_words_and_redirections():
    cmd = one("A=1 B='x y' prog a C=3 <in 2>>err b")
    assert isinstance(cmd, Simple)
    assert [(a.name, a.value.literal()) for a in cmd.assigns] == [("A", "1"), ("B", "x y")]
    assert argv(cmd) == ["prog", "a", "C=3", "b"]
    assert [(r.fd, r.op, r.target.literal()) for r in cmd.redirs] == [
        (0, "<", "in"),
        (2, ">>", "err"),
    ]


def test_not_an_assignment():
    cmd = one("'A'=1 1A=2 =3")
    assert cmd.assigns == () and argv(cmd) == ["A=1", "1A=2", "=3"]


def test_assignment_only_and_redirection_only_commands():
    cmd = one("A=1")
    assert cmd.words == () and cmd.assigns[0].name == "A"
    assert one("A=").assigns[0].value.literal() == ""
    cmd = one(">f")
    assert cmd.words == () and cmd.redirs[0].op == ">"


@pytest.mark.parametrize(
    "text, fd, op, target",
    [
        ("c >f", 1, ">", "f"),
        ("c <f", 0, "<", "f"),
        ("c >>f", 1, ">>", "f"),
        ("c 2>f", 2, ">", "f"),
        ("c 2>&1", 2, ">&", "1"),
        ("c >&2", 1, ">&", "2"),
        ("c 3<f", 3, "<", "f"),
        ("c 0<&-", 0, "<&", "-"),
        ("c <&3", 0, "<&", "3"),
        ("c 1<>f", 1, "<>", "f"),
        ("c <>f", 0, "<>", "f"),
        ("c >|f", 1, ">|", "f"),
        ("c 12>f", 12, ">", "f"),
    ],
)
def test_redirection_forms(text, fd, op, target):
    (r,) = one(text).redirs
    assert (r.fd, r.op, r.target.literal()) == (fd, op, target)


def test_redirections_keep_source_order():
    cmd = one("c >out 2>&1")
    assert [(r.fd, r.op) for r in cmd.redirs] == [(1, ">"), (2, ">&")]
    cmd = one("c 2>&1 >out")
    assert [(r.fd, r.op) for r in cmd.redirs] == [(2, ">&"), (1, ">")]


def test_pipeline_and_negation():
    p = one("a | b 2>/dev/null | c")
    assert isinstance(p, Pipeline) and not p.negate
    assert [argv(c) for c in p.commands] == [["a"], ["b"], ["c"]]
    n = one("! a | b")
    assert isinstance(n, Pipeline) and n.negate and len(n.commands) == 2
    n1 = one("! a")
    assert isinstance(n1, Pipeline) and n1.negate and len(n1.commands) == 1
    assert argv(one("a !")) == ["a", "!"]


def test_and_or_is_a_flat_chain_and_binds_tighter_than_separators():
    t = one("a && b || c")
    assert isinstance(t, AndOr) and argv(t.first) == ["a"]
    assert [(op, argv(c)) for op, c in t.rest] == [("&&", ["b"]), ("||", ["c"])]
    seq = parse("a || b; c & d && e &")
    kinds = [type(c).__name__ for c in seq.commands]
    assert kinds == ["AndOr", "Background", "Background"]
    assert isinstance(seq.commands[2].command, AndOr)


def test_newlines_allowed_after_pipe_and_andor():
    t = one("a |\n\n b &&\n c")
    assert isinstance(t, AndOr) and isinstance(t.first, Pipeline)


def test_subshell_and_brace_group_with_redirections():
    s = one("( a; b ) >out")
    assert isinstance(s, Subshell) and len(s.body.commands) == 2
    assert s.redirs[0].target.literal() == "out"
    g = one("{ a; b & } 2>err")
    assert isinstance(g, BraceGroup) and isinstance(g.body.commands[1], Background)
    nested = one("(a; (b | c) && { d; })")
    assert isinstance(nested, Subshell)
    assert one("{ echo }; }").body.commands[0].words[1].literal() == "}"


def test_braces_are_reserved_only_as_separate_words_in_command_position():
    assert argv(one("{a}")) == ["{a}"]
    assert argv(one("echo { }")) == ["echo", "{", "}"]


def test_heredoc_redirection_carries_its_body():
    (r,) = one("cat <<-'END'\n\tliteral $x\nEND\n").redirs
    assert isinstance(r.target, HereDoc)
    assert (r.fd, r.op, r.target.expand, r.target.strip_tabs) == (0, "<<-", False, True)
    assert r.target.body.literal() == "literal $x\n"
    seq = parse("cat <<A && cat <<B\na\nA\nb\nB\necho after\n")
    assert len(seq.commands) == 2
    assert argv(seq.commands[1]) == ["echo", "after"]


def test_command_substitution_is_parsed_recursively():
    w = one("echo $(a | b; c)").words[1]
    prog = w.parts[0].program
    assert isinstance(prog, Sequence) and isinstance(prog.commands[0], Pipeline)


@pytest.mark.parametrize(
    "text, message",
    [
        ("echo a | | b", "syntax error at 1:10: unexpected '|'"),
        ("| a", "syntax error at 1:1: unexpected '|'"),
        ("a ;; b", "syntax error at 1:3: unexpected ';;'"),
        ("a & ; b", "syntax error at 1:5: unexpected ';'"),
        ("a\nb && && c", "syntax error at 2:6: unexpected '&&'"),
        ("echo >", "syntax error at 1:7: unexpected end of input (expecting a word after '>')"),
        ("echo >\n", "syntax error at 1:7: unexpected newline"),
        ("echo > |", "syntax error at 1:8: unexpected '|'"),
        ("( )", "syntax error at 1:3: unexpected ')'"),
        ("{ }", "syntax error at 1:3: unexpected '}'"),
        (")", "syntax error at 1:1: unexpected ')'"),
        ("a )", "syntax error at 1:3: unexpected ')'"),
        ("}", "syntax error at 1:1: unexpected '}'"),
        ("(a) b", "syntax error at 1:5: unexpected 'b'"),
        ("echo $(a |)", "syntax error at 1:11: unexpected ')'"),
        ("f() { a; }", "syntax error at 1:2: unexpected '('"),
        ("if true; then a; fi", "syntax error at 1:1: 'if' is not supported by this shell"),
        ("a; fi", "syntax error at 1:4: unexpected 'fi'"),
        ("! ! a", "syntax error at 1:3: unexpected '!'"),
        ("!\n", "syntax error at 1:2: unexpected newline"),
        ("cat <<E\nx\nE\n  echo ${}", "syntax error at 4:8: bad substitution '${}'"),
    ],
)
def test_syntax_errors_name_line_and_column(text, message):
    with pytest.raises(ShellSyntaxError) as e:
        parse(text)
    assert str(e.value) == message
    assert not isinstance(e.value, IncompleteInput) or "end of input" in message


@pytest.mark.parametrize(
    "text",
    [
        "echo a |\n",
        "echo a &&\n",
        "echo a ||\n\n",
        "( echo a\n",
        "{ echo a\n",
        "{ echo a; }; ( b;\n",
        "echo 'open\n",
        'echo "open\n',
        "echo $(ls\n",
        "echo `ls\n",
        "echo ${x\n",
        "echo a \\\n",
        "cat <<EOF\nline\n",
        "cat <<EOF\n",
    ],
)
def test_incomplete_input_for_the_repl(text):
    with pytest.raises(IncompleteInput):
        parse(text)
    assert not is_complete(text)


def test_repl_loop_reads_until_complete():
    lines = iter(["cat <<EOF | wc &&\n", "hello 'x\n", "EOF\n", "echo 'a\n", "b'\n", "next\n"])
    buf = ""
    prompts = 0
    for line in lines:
        buf += line
        if is_complete(buf):
            break
        prompts += 1
    assert prompts == 4
    tree = parse(buf)
    andor = tree.commands[0]
    assert isinstance(andor, AndOr)
    assert andor.first.commands[0].redirs[0].target.body.raw == "hello 'x\n"
    assert andor.rest[0][1].words[1].literal() == "a\nb"


@pytest.mark.parametrize(
    "text, message",
    [
        ("a | | b 'open", "syntax error at 1:5: unexpected '|'"),
        ('|| echo "$(', "syntax error at 1:1: unexpected '||'"),
        (") ${a!b}", "syntax error at 1:1: unexpected ')'"),
        ("cat <<E ) 'x\nbody\nE\n", "syntax error at 1:9: unexpected ')'"),
    ],
)
def test_an_earlier_error_wins_over_a_later_open_quote(text, message):
    with pytest.raises(ShellSyntaxError) as e:
        parse(text)
    assert str(e.value) == message
    assert is_complete(text)


def test_open_quote_after_a_heredoc_operator_is_incomplete():
    with pytest.raises(IncompleteInput, match="1:9: unterminated single quote"):
        parse("cat <<E 'x\nbody\nE\n")


def test_line_buffer_for_the_repl():
    buf = LineBuffer()
    assert buf.feed("echo 'a") is None and buf.pending
    assert buf.feed("b' |") is None
    tree = buf.feed("wc")
    assert not buf.pending
    assert tree.commands[0].commands[0].words[1].literal() == "a\nb"
    assert buf.feed("echo one").commands[0].words[1].literal() == "one"
    assert buf.feed("cat <<E") is None
    with pytest.raises(IncompleteInput):
        buf.finish()
    assert not buf.pending
    with pytest.raises(ShellSyntaxError, match="unexpected '\\|'"):
        buf.feed("( a | | b")
    assert not buf.pending  # the next line starts afresh
    assert buf.feed("b") is not None
    buf.finish()


def test_complete_input_and_unfixable_errors_are_complete():
    assert is_complete("echo a\n")
    assert is_complete("echo a | | b\n")  # an error: more lines cannot fix it
    assert is_complete("")


def test_long_chains_need_no_deep_recursion():
    n = 5000
    tree = parse("a && " * n + "b")
    assert len(tree.commands[0].rest) == n
    assert parse(unparse(tree)) == tree
    assert len(parse("a | " * n + "b").commands[0].commands) == n + 1
    assert len(parse("a; " * n).commands) == n


def test_too_deep_nesting_is_a_one_line_error():
    with pytest.raises(ShellSyntaxError, match="nesting too deep"):
        parse("(" * 5000 + "a" + ")" * 5000)


def test_errors_are_found_before_anything_runs():
    # A later error makes the whole text fail: the caller never sees the first command.
    with pytest.raises(ShellSyntaxError, match="3:1"):
        parse("echo one\necho two\n)\n")


def test_positions_are_recorded():
    seq = parse("a\n  b | c && d &")
    bg = seq.commands[1]
    assert tuple(bg.pos) == (2, 14)
    assert tuple(bg.command.pos) == (2, 3)
    assert tuple(bg.command.first.commands[1].pos) == (2, 7)


@pytest.mark.parametrize(
    "text",
    [
        "a",
        'A=1 B="$x y" prog \'q\' "$@" >f 2>&1 <in',
        "a | b | c && ! d || e & f; g",
        "( a; b & ) >out; { c; d; } 2>err",
        "cat <<EOF >f\nhello $x\nEOF\n",
        "cat <<-'EOF'\n\tliteral $x\nEOF\n",
        'echo $(a | b) ${x:-"y z"} $((1 + 2))',
    ],
)
def test_unparse_round_trips(text):
    tree = parse(text)
    assert parse(unparse(tree)) == tree


def test_unparse_is_readable_for_job_listings():
    assert unparse(one("sleep   10 |  wc -l  &")) == "sleep 10 | wc -l &"
    assert unparse(one("{ a;b; }>f")) == "{ a; b; } >f"


def test_heredoc_inside_command_substitution():
    tree = parse("x=$(cat <<EOF\nhi $y\nEOF\n) z\necho b")
    (cmd, echo) = tree.commands
    inner = cmd.assigns[0].value.parts[0].program.commands[0]
    assert inner.redirs[0].target.body.raw == "hi $y\n"
    assert [w.literal() for w in cmd.words] == ["z"]
    assert argv(echo) == ["echo", "b"]


# ---------------------------------------------------------------- hostile input

_PIECES = list("ab $'\"\\\n|&;<>(){}#`*?[]!=-:+%~0123456789\t") + [
    "${",
    "$(",
    "$((",
    "<<",
    "<<-",
    "EOF",
    "x=",
    "2>&1",
    "&&",
    "||",
]


@settings(derandomize=True, max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=25).map("".join))
def test_any_text_parses_or_gives_a_syntax_error_and_round_trips(text):
    try:
        tree = parse(text)
    except ShellSyntaxError as e:
        assert str(e).startswith("syntax error at ") and "\n" not in str(e)
        return
    assert parse(unparse(tree)) == tree
