"""The lexer: operators, words and their quoting, comments, continuations, here-docs."""

from __future__ import annotations

import pytest

from shell import HereDoc, IncompleteInput, Lit, Param, ShellSyntaxError, tokenize
from shell._nodes import Arith, CmdSub


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(text)]


def parts(text: str) -> tuple:
    toks = tokenize(text)
    assert [t.kind for t in toks] == ["WORD", "EOF"], toks
    return toks[0].word.parts


def test_operators_longest_match():
    got = kinds("a&&b||c;d&e|f>g>>h<i<<-J<&3>&4<>k>|l;;\nJ\n")
    ops = [t for k, t in got if k == "OP"]
    assert ops == ["&&", "||", ";", "&", "|", ">", ">>", "<", "<<-", "<&", ">&", "<>", ">|", ";;"]


def test_words_end_at_metacharacters_only():
    assert kinds("echo a#b {x} }y") == [
        ("WORD", "echo"),
        ("WORD", "a#b"),
        ("WORD", "{x}"),
        ("WORD", "}y"),
        ("EOF", ""),
    ]


def test_io_number_only_directly_before_a_redirection():
    assert kinds("cmd 2>f 2 >g x2>h") == [
        ("WORD", "cmd"),
        ("IO_NUMBER", "2"),
        ("OP", ">"),
        ("WORD", "f"),
        ("WORD", "2"),
        ("OP", ">"),
        ("WORD", "g"),
        ("WORD", "x2"),
        ("OP", ">"),
        ("WORD", "h"),
        ("EOF", ""),
    ]


def test_comment_only_at_word_start_and_keeps_the_newline():
    assert kinds("echo a # b | c\nd") == [
        ("WORD", "echo"),
        ("WORD", "a"),
        ("NEWLINE", "\n"),
        ("WORD", "d"),
        ("EOF", ""),
    ]


def test_line_continuation_joins_words_and_lines():
    toks = tokenize("ec\\\nho a\\\n b")
    assert [t.word.literal() for t in toks if t.kind == "WORD"] == ["echo", "a", "b"]
    assert [t.kind for t in toks].count("NEWLINE") == 0


def test_single_quotes_are_literal():
    assert parts("'a $x \\ \"'") == (Lit('a $x \\ "', True),)


def test_double_quotes_expand_dollar_and_escape_few_characters():
    got = parts('"a\\$b \\x $c\\\\"')
    assert got == (Lit("a$b \\x ", True), Param("c", quoted=True), Lit("\\", True))


def test_backslash_outside_quotes_quotes_one_character():
    assert parts("a\\*b") == (Lit("a"), Lit("*", True), Lit("b"))


def test_empty_quotes_leave_a_quoted_empty_part():
    assert parts('""') == (Lit("", True),)
    assert parts("''") == (Lit("", True),)


def test_mixed_quoting_keeps_structure():
    got = parts("a'b c'\"$d\"e")
    assert got == (Lit("a"), Lit("b c", True), Param("d", quoted=True), Lit("e"))


@pytest.mark.parametrize(
    "text, name, op",
    [
        ("$x", "x", None),
        ("${x}", "x", None),
        ("${x:-d}", "x", ":-"),
        ("${x-d}", "x", "-"),
        ("${x:=d}", "x", ":="),
        ("${x?d}", "x", "?"),
        ("${x:+d}", "x", ":+"),
        ("${#x}", "x", "len"),
        ("${x##d}", "x", "##"),
        ("${x%d}", "x", "%"),
        ("${10}", "10", None),
        ("$1", "1", None),
        ("$?", "?", None),
        ("$$", "$", None),
        ("$!", "!", None),
        ("$#", "#", None),
        ("${#}", "#", None),
        ("$@", "@", None),
    ],
)
def test_parameter_forms(text, name, op):
    (p,) = parts(text)
    assert isinstance(p, Param) and (p.name, p.op) == (name, op)


def test_positional_beyond_nine_needs_braces():
    assert parts("$10") == (Param("1"), Lit("0"))


def test_dollar_without_name_is_literal():
    assert parts("a$") == (Lit("a$"),)
    assert parts("$%") == (Lit("$%"),)


def test_command_and_arithmetic_substitution():
    (c,) = parts("$(echo a)")
    assert isinstance(c, CmdSub) and c.text == "$(echo a)"
    (b,) = parts("`echo \\`x\\``")
    assert isinstance(b, CmdSub)
    (a,) = parts("$((1 + $n))")
    assert isinstance(a, Arith) and a.expr.raw == "1 + $n"
    (s,) = parts("$( (echo a) )")
    assert isinstance(s, CmdSub)


def test_command_substitution_ends_at_its_own_paren():
    toks = tokenize("echo $(echo ')' \")\" # )\n) x")
    assert [t.kind for t in toks] == ["WORD", "WORD", "WORD", "EOF"]
    assert toks[2].text == "x"


def test_heredoc_body_is_attached_and_expands():
    toks = tokenize("cat <<EOF; echo b\nhello $USER\nEOF\necho c\n")
    doc = next(t.heredoc for t in toks if t.heredoc)
    assert isinstance(doc, HereDoc)
    assert doc.delimiter == "EOF" and doc.expand and not doc.strip_tabs
    assert doc.body.parts == (Lit("hello ", True), Param("USER", quoted=True), Lit("\n", True))
    words = [t.text for t in toks if t.kind == "WORD"]
    assert words == ["cat", "EOF", "echo", "b", "echo", "c"]


def test_quoted_heredoc_delimiter_turns_expansion_off():
    for delim in ("'EOF'", '"EOF"', "\\EOF", "E'O'F"):
        toks = tokenize(f"cat <<{delim}\n$x `y` \\$\nEOF\n")
        doc = next(t.heredoc for t in toks if t.heredoc)
        assert doc.delimiter == "EOF" and not doc.expand
        assert doc.body.parts == (Lit("$x `y` \\$\n", True),)


def test_heredoc_dash_strips_leading_tabs():
    toks = tokenize("cat <<-EOF\n\t\tone\n\ttwo\n\tEOF\n")
    doc = next(t.heredoc for t in toks if t.heredoc)
    assert doc.body.parts == (Lit("one\ntwo\n", True),)


def test_two_heredocs_on_one_line_read_in_order():
    toks = tokenize("a <<X; b <<Y\nx\nX\ny\nY\n")
    docs = [t.heredoc for t in toks if t.heredoc]
    assert [d.body.raw for d in docs] == ["x\n", "y\n"]


def test_heredoc_double_quote_is_not_special_in_body():
    toks = tokenize('cat <<E\n"$a" \\"\nE\n')
    doc = next(t.heredoc for t in toks if t.heredoc)
    assert doc.body.parts == (Lit('"', True), Param("a", quoted=True), Lit('" \\"\n', True))


def test_heredoc_at_end_without_final_newline():
    toks = tokenize("cat <<E\nbody\nE")
    assert next(t.heredoc for t in toks if t.heredoc).body.raw == "body\n"


@pytest.mark.parametrize(
    "text, where, what",
    [
        ("echo 'abc", (1, 6), "single quote"),
        ('echo "abc', (1, 6), "double quote"),
        ("echo `abc", (1, 6), "'`'"),
        ("echo ${abc", (1, 6), "'${'"),
        ("echo $(abc", (1, 6), "'$('"),
        ("echo $((1+", (1, 6), "'$(('"),
        ("echo abc\\\n", (1, 9), "continuation"),
        ("x\ncat <<EOF\nbody\n", (2, 5), "here-document 'EOF'"),
        ("cat <<'E F'\nbody\n", (1, 5), "here-document 'E F'"),
    ],
)
def test_incomplete_input_points_at_what_is_open(text, where, what):
    with pytest.raises(IncompleteInput) as e:
        tokenize(text)
    assert (e.value.line, e.value.col) == where
    assert what in str(e.value)
    assert str(e.value).startswith(f"syntax error at {where[0]}:{where[1]}: ")


def test_bad_substitution_is_a_plain_syntax_error():
    with pytest.raises(ShellSyntaxError) as e:
        tokenize("echo ok\necho ${a!b}")
    assert not isinstance(e.value, IncompleteInput)
    assert str(e.value) == "syntax error at 2:6: bad substitution '${a!b}'"


def test_positions_are_line_and_column():
    toks = tokenize("a  b\n  c")
    assert [tuple(t.pos) for t in toks] == [(1, 1), (1, 4), (1, 5), (2, 3), (2, 4)]
