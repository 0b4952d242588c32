"""Word expansion, checked against the host's POSIX shell (dash, else sh) where it can
be: the same words, variables and files, and the same fields must come out."""

from __future__ import annotations

import os
import posixpath
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shell import (
    Context,
    ExpansionError,
    ShellSyntaxError,
    Simple,
    expand_assignment,
    expand_heredoc,
    expand_word,
    expand_words,
    fnmatch,
    glob,
    lex_word,
    parse,
)

HOST_SH = shutil.which("dash") or shutil.which("sh")
needs_sh = pytest.mark.skipif(HOST_SH is None, reason="no POSIX shell on this machine")

FILES = [
    "a.c",
    "b.c",
    "ab.h",
    ".hidden.c",
    "sub/x.c",
    "sub/y.txt",
    "sub/deep/z.c",
    "[x]",
    "q?",
    "qa",
]


class HostDir:
    """GlobFS over a real directory (the shell's cwd), as the runner does over the VFS."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def listdir(self, path: str) -> list[str] | None:
        p = self.root / path if not path.startswith("/") else Path(path)
        return os.listdir(p) if p.is_dir() else None


class FakeFS:
    """GlobFS over a dict tree; records what was listed."""

    def __init__(self, tree: dict) -> None:
        self.tree = tree
        self.listed: list[str] = []

    def listdir(self, path: str) -> list[str] | None:
        self.listed.append(path)
        node = self.tree
        for comp in posixpath.normpath(path).strip("/").split("/"):
            if comp in ("", "."):
                continue
            if not isinstance(node, dict) or comp not in node:
                return None
            node = node[comp]
        return list(node) if isinstance(node, dict) else None


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("globtree")
    for f in FILES:
        (root / f).parent.mkdir(parents=True, exist_ok=True)
        (root / f).write_text("")
    return root


def words_of(src: str):
    return parse("f " + src).commands[0].words[1:]


def echo_only(ctx: Context):
    """A stand-in runner for ``$(…)``: it only knows ``echo`` (and ``;``), enough to
    compare command substitution with the host shell."""

    def run(program) -> str:
        out = []
        for cmd in program.commands:
            argv = expand_words(cmd.words, ctx)
            assert argv[0] == "echo", argv
            out.append(" ".join(argv[1:]) + "\n")
        return "".join(out)

    return run


def ours(src: str, env: dict, args: list[str], root: Path) -> list[str]:
    ctx = Context(vars=dict(env), args=list(args), arg0="prog", fs=HostDir(root))
    ctx.substitute = echo_only(ctx)
    return expand_words(words_of(src), ctx)


def host(src: str, env: dict, args: list[str], root: Path) -> list[str]:
    setup = "".join(f"{k}={shlex.quote(v)}\n" for k, v in env.items())
    script = setup + "f() { for a; do printf '%s\\0' \"$a\"; done; }\nf " + src + "\n"
    proc = subprocess.run(
        [HOST_SH, "-c", script, "prog", *args],
        cwd=root,
        capture_output=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
        timeout=10,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    return out.split("\0")[:-1] if out else []


ENV = {
    "HOME": "/home/user",
    "x": "a  b",
    "e": "",
    "star": "*.c",
    "sp": "  lead and trail  ",
    "path": "/usr/local/bin:/usr/bin",
    "file": "archive.tar.gz",
    "tab": "a\tb\nc",
    "bs": "q\\?",
    "bs2": "\\q*",
}
ARGS = ["one", "two words", "", " three "]

CASES = [
    # quoting and quote removal
    "plain 'single $x' \"double $x\" back\\ slash \\$x",
    "'' \"\" a''b \"\"''",
    "a\"b\"'c'\\d",
    '"a\\$b\\\\c\\"d\\e"',
    # parameters and field splitting
    '$x "$x" ${x} "${x}"',
    '$e "$e" ${e}x x${e}',
    '$sp "$sp" pre$sp post',
    "$tab",
    '$nope "$nope"',
    "${nope-default} ${e-default} ${e:-default} ${x:-default}",
    '${nope:-"a  b"} ${nope:-a  b} "${nope:-a  b}"',
    "\"${nope:-'a b'}\" ${nope:-'a  b'} ${nope:-$x} \"${nope:-$x}\" ${nope:-\\*}",
    '"${x:+"$x"}" ${nope-"$@"} ${file#"archive"}',
    "${x:+alt} ${e:+alt} ${e+alt} ${nope+alt}",
    "${#x} ${#e} ${#nope} ${#file}",
    "${file#*.} ${file##*.} ${file%.*} ${file%%.*} ${file#nomatch}",
    '${file%"."*} ${path%%:*} ${path#*:}',
    '$1 $2 "$2" $3 "$3" $4 ${4} $# $0 $9 ${10}',
    '"$@"',
    "$@",
    '"$*"',
    "$*",
    'a"$@"b',
    '"$@$@"',
    "${nope:=assigned} $nope",
    # arithmetic
    "$((1 + 2 * 3)) $(( (1+2)*3 )) $((7 / 2)) $((-7 / 2)) $((-7 % 3)) $((1 << 4))",
    "$((x2 = 5)) $((x2 + 1)) $((0x10 + 010)) $((1 ? 2 : 3)) $((!0)) $((~0))",
    "$((3 > 2 && 2 > 3)) $((0 || 5)) $((6 & 3)) $((6 | 3)) $((6 ^ 3))",
    # command substitution (an echo-only runner on our side)
    '$(echo "a  b") "$(echo "a  b")" `echo a  b` "`echo \\"a  b\\"`" $(echo; echo)x',
    '"$(echo "$x" ")")" $(echo \'$x\') $(echo $(echo nested  deep)) a$(echo)b',
    "$(echo '*.c') \"$(echo '*.c')\"",
    # tilde
    "~ ~/bin a~ '~' \"~\" ~nouser/x \\~",
    # globbing
    "*.c",
    "*",
    "'*'.c \"*\".c \\*.c",
    "?.c [ab].c [!a].c [a-b].c",
    "sub/*.c sub/* */*.c */ s*/*",
    "*.nomatch nomatch/*",
    ".*.c .h*",
    '$star "$star"',
    '$bs $bs2 "$bs2"',
    "\\[x\\] [[]x[]] q\\? q?",
    "[[:alpha:]].c [[:digit:]]*",
    "sub/deep/*.c sub/*/*.c ./*.h",
]


@needs_sh
@pytest.mark.parametrize("src", CASES)
def test_fields_match_the_host_shell(src, tree):
    env = dict(ENV)
    assert ours(src, env, ARGS, tree) == host(src, env, ARGS, tree)


@needs_sh
@pytest.mark.parametrize(
    "ifs, src",
    [
        (":", "$path"),
        (":", "$x"),
        (": ", "$v"),
        (":", "$v"),
        ("", "$x $sp"),
        ("", '"$*"'),
        (":", '"$*" $*'),
        ("x", "${nope:-axbxxc}"),
    ],
)
def test_field_splitting_with_ifs_matches_the_host_shell(ifs, src, tree):
    env = dict(ENV, IFS=ifs, v=":a::b : c:")
    assert ours(src, env, ARGS, tree) == host(src, env, ARGS, tree)


HEREDOCS = [
    "cat <<E\n$x ${e:-d} '$1' \\$y \\x \"$2\" $((2*3)) ~\nE\n",
    "cat <<'E'\n$x \\$y `z`\nE\n",
    "cat <<-E\n\t\tindented $x\n\tE\n",
    "cat <<E\na\\\nb $x\\\nE\nE\n",
    "cat <<E\n\nE\n",
    'cat <<"E"\n\t$x\nE\n',
]


@needs_sh
@pytest.mark.parametrize("src", HEREDOCS)
def test_heredoc_text_matches_the_host_shell(src, tree):
    (cmd,) = parse(src).commands
    ctx = Context(vars=dict(ENV), args=list(ARGS))
    mine = expand_heredoc(cmd.redirs[0].target, ctx)
    setup = "".join(f"{k}={shlex.quote(v)}\n" for k, v in ENV.items())
    proc = subprocess.run(
        [HOST_SH, "-c", setup + src, "prog", *ARGS],
        capture_output=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
        timeout=10,
    )
    assert proc.returncode == 0, proc.stderr
    assert mine == proc.stdout.decode()


@needs_sh
@pytest.mark.parametrize("args", [[], [""], ["a"], ["a b", ""]])
def test_at_and_star_with_few_args_match_the_host_shell(args, tree):
    src = '"$@" x"$@"y $@ "$*" $* "${1-unset}" $#'
    assert ours(src, ENV, args, tree) == host(src, ENV, args, tree)


# ---------------------------------------------------------------- without a host shell


def ctx(**kw) -> Context:
    base = {"vars": dict(ENV), "args": list(ARGS)}
    base.update(kw)
    return Context(**base)


def test_special_parameters():
    c = ctx(status=3, pid=42, last_bg=77, flags="ix")
    assert expand_words(words_of("$? $$ $! $- $#"), c) == ["3", "42", "77", "ix", "4"]
    assert expand_words(words_of("x$!"), ctx()) == ["x"]


def test_length_of_at_is_the_argument_count_as_in_bash():
    # POSIX leaves ${#@} unspecified; dash gives the length of "$*".
    assert expand_words(words_of("${#@} ${#*}"), ctx()) == ["4", "4"]


def test_globbing_is_off_without_a_filesystem():
    assert expand_words(words_of("*.c ?"), ctx(fs=None)) == ["*.c", "?"]


def test_glob_hides_dotfiles_and_sorts():
    fs = FakeFS({"b": 1, "a": 1, ".a": 1, "C": 1, "dir": {"x": 1, ".y": 1}})
    assert glob("*", fs) == ["C", "a", "b", "dir"]
    assert glob(".*", fs) == [".a"]
    assert glob("dir/*", fs) == ["dir/x"]
    assert glob("dir/.*", fs) == ["dir/.y"]
    assert glob("[.]a", fs) == []
    assert glob("?a", fs) == []
    assert glob("*/", fs) == ["dir/"]
    assert glob("/di?/x", fs) == ["/dir/x"]
    assert glob("a/*", fs) == []  # a is not a directory


def test_glob_literal_components_must_exist():
    fs = FakeFS({"d": {"x": 1}, "e": {}})
    assert glob("*/x", fs) == ["d/x"]
    assert glob("*/../d", fs) == ["d/../d", "e/../d"]


@pytest.mark.parametrize(
    "pattern, text, ok",
    [
        ("a*", "abc", True),
        ("a*", "ba", False),
        ("*/*", "a/b", True),
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("[]]", "]", True),
        ("[!]]", "]", False),
        ("[^a]", "b", True),  # as bash; POSIX leaves '^' unspecified, dash takes it literally
        ("[^a]", "a", False),
        ("[a-c]x", "bx", True),
        ("[!a-c]x", "bx", False),
        ("[", "[", True),
        ("a[", "a[", True),
        ("\\*", "*", True),
        ("\\*", "a", False),
        ("[[:upper:]]*", "Hello", True),
        ("[[:upper:]]*", "hello", False),
        ("*.tar.gz", "x.tar.gz", True),
        ("a.b", "axb", False),
        ("(x)+", "(x)+", True),
    ],
)
def test_fnmatch(pattern, text, ok):
    assert fnmatch(pattern, text) is ok


def test_expand_word_does_not_split_or_glob():
    c = ctx(fs=FakeFS({"a.c": 1}))
    assert expand_word(words_of("$x*.c")[0], c) == "a  b*.c"
    assert expand_word(words_of("~/f")[0], c) == "/home/user/f"
    assert expand_word(words_of("$@")[0], c) == "one two words   three "


def test_assignment_value_expansion():
    (cmd,) = parse("A=~/x$x B=$@").commands
    c = ctx()
    assert expand_assignment(cmd.assigns[0].value, c) == "/home/user/xa  b"
    assert expand_assignment(cmd.assigns[1].value, c) == "one two words   three "


@needs_sh
@pytest.mark.parametrize(
    "value",
    ["~/a:~/b:~:a~:~x", "a:~", "~", "~x", "'~'/a:\\~/b", "$path:~/bin", '~"/q":~'],
)
def test_assignment_tildes_match_the_host_shell(value, tree):
    (cmd,) = parse(f"v={value}").commands
    mine = expand_assignment(cmd.assigns[0].value, Context(vars=dict(ENV)))
    setup = "".join(f"{k}={shlex.quote(v)}\n" for k, v in ENV.items())
    proc = subprocess.run(
        [HOST_SH, "-c", f'{setup}v={value}\nprintf %s "$v"'],
        capture_output=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
        timeout=10,
    )
    assert mine == proc.stdout.decode()


def test_heredoc_expansion():
    (cmd,) = parse("cat <<E\n$x ${e:-d} '$1' \\$y\nE\n").commands
    assert expand_heredoc(cmd.redirs[0].target, ctx()) == "a  b d 'one' $y\n"
    (cmd,) = parse("cat <<'E'\n$x\nE\n").commands
    assert expand_heredoc(cmd.redirs[0].target, ctx()) == "$x\n"


def test_command_substitution_uses_the_callback():
    seen = []

    def run(program):
        seen.append(program)
        return "out  put\n\n"

    c = ctx(substitute=run)
    assert expand_words(words_of('$(x) "$(y)" `z`'), c) == ["out", "put", "out  put", "out", "put"]
    assert len(seen) == 3
    with pytest.raises(ExpansionError, match="command substitution"):
        expand_words(words_of("$(x)"), ctx())


def test_error_expansions():
    with pytest.raises(ExpansionError) as e:
        expand_words(words_of("${nope?is required}"), ctx())
    assert str(e.value) == "nope: is required"
    with pytest.raises(ExpansionError, match="e: parameter null or not set"):
        expand_words(words_of("${e:?}"), ctx())
    assert expand_words(words_of("${e?}"), ctx()) == []
    with pytest.raises(ExpansionError, match="nope: parameter not set"):
        expand_words(words_of("$nope"), ctx(nounset=True))
    with pytest.raises(ExpansionError, match="cannot assign"):
        expand_words(words_of("${1:=x}"), ctx(args=[]))
    with pytest.raises(ExpansionError, match="division by zero"):
        expand_words(words_of("$((1/0))"), ctx())
    with pytest.raises(ExpansionError, match="arithmetic"):
        expand_words(words_of("$((1 +))"), ctx())
    with pytest.raises(ExpansionError, match="arithmetic"):
        expand_words(words_of("$((1 2))"), ctx())


def test_assign_default_sets_the_variable():
    c = ctx()
    assert expand_words(words_of("${new:=v a l}"), c) == ["v", "a", "l"]
    assert c.vars["new"] == "v a l"


def test_arithmetic_short_circuit_and_assignment():
    c = ctx()
    assert expand_words(words_of("$((0 && (y=1))) $((1 || (y=2))) ${y-unset}"), c) == [
        "0",
        "1",
        "unset",
    ]
    assert expand_words(words_of("$((n += 2)) $((n *= 3)) $n"), ctx()) == ["2", "6", "6"]
    assert expand_words(words_of("$((9223372036854775807 + 1))"), c) == ["-9223372036854775808"]


def test_lex_word_for_prompts():
    c = ctx(vars={"PWD": "/w"})
    assert expand_word(lex_word("$PWD \\$ "), c) == "/w $ "


# ---------------------------------------------------------------- hostile input

_PIECES = list("ab $'\"\\|;*?[]!=-:+%#~0123456789@") + [
    "${",
    "$(",
    "$((",
    "}",
    "x",
    "${x",
    "${#",
    ":-",
    ":=",
    ")",
    "))",
]


@settings(derandomize=True, max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(_PIECES), max_size=20).map("".join),
    st.sampled_from([" ", ":", "", " :"]),
)
def test_any_words_expand_or_give_an_expansion_error(text, ifs):
    try:
        cmd = parse("f " + text).commands[0]
    except (ShellSyntaxError, IndexError):
        return
    if not isinstance(cmd, Simple):
        return
    c = Context(
        vars={"x": "a b:c", "IFS": ifs},
        args=["p q", ""],
        fs=FakeFS({"a": 1, "b": {"c": 1}, ".d": 1, "x:y": 1}),
        substitute=lambda program: "s  t\n",
    )
    try:
        fields = expand_words(cmd.words, c)
        for a in cmd.assigns:
            expand_assignment(a.value, c)
    except ExpansionError as e:
        assert "\n" not in str(e)
        return
    assert all(isinstance(f, str) for f in fields)
