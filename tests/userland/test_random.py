"""Seeded random inputs, each run by our tool and by GNU's: same stdout, same status."""

from __future__ import annotations

import os
import random

import pytest

ALPHABET = "ab AB.*01\t-"
CASES = int(os.environ.get("USERLAND_RANDOM_CASES", "12"))  # more for a longer hunt


def random_text(rng: random.Random) -> bytes:
    lines = []
    for _ in range(rng.randint(0, 12)):
        lines.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 10))))
    text = "\n".join(lines)
    if lines and rng.random() < 0.7:
        text += "\n"
    return text.encode()


def random_numbers(rng: random.Random) -> bytes:
    out = []
    for _ in range(rng.randint(0, 15)):
        n = rng.choice(["", "-", " ", "  -"]) + str(rng.randint(0, 120))
        if rng.random() < 0.3:
            n += "." + str(rng.randint(0, 99))
        if rng.random() < 0.3:
            n += rng.choice([" x", "a", " 5"])
        out.append(n)
    return ("\n".join(out) + "\n").encode() if out else b""


def random_table(rng: random.Random) -> bytes:
    rows = []
    for _ in range(rng.randint(0, 12)):
        cells = [rng.choice(["a", "b", "B", "10", "9", "-2", " 3", "", "x y"]) for _ in range(4)]
        rows.append(rng.choice([",", ":", " ", "  "]).join(cells))
    return "".join(r + "\n" for r in rows).encode()


def random_key(rng: random.Random) -> str:
    f1 = rng.randint(1, 3)
    spec = str(f1)
    if rng.random() < 0.3:
        spec += f".{rng.randint(1, 3)}"
    if rng.random() < 0.3:
        spec += rng.choice(["n", "r", "b", "f", "nr"])
    if rng.random() < 0.6:
        spec += f",{rng.randint(f1, 4)}"
        if rng.random() < 0.3:
            spec += f".{rng.randint(1, 3)}"
    return spec


ATOMS = ["a", "b", "A", ".", "[ab]", "[^a]", "[0-9]", "\\.", "\\*", " ", "[[:upper:]]", "\\w"]


def random_re(rng: random.Random, ere: bool, depth: int = 0) -> str:
    """A random valid pattern in basic (GNU escapes) or extended syntax."""
    quants = ["*", "+", "?", "{1,2}", "{2}"] if ere else ["*", "\\+", "\\?", "\\{1,2\\}", "\\{2\\}"]
    parts = []
    for _ in range(rng.randint(1, 3)):
        if depth < 2 and rng.random() < 0.2:
            inner = random_re(rng, ere, depth + 1)
            atom = f"({inner})" if ere else f"\\({inner}\\)"
        else:
            atom = rng.choice(ATOMS)
        if rng.random() < 0.35:
            atom += rng.choice(quants)
        parts.append(atom)
    pat = "".join(parts)
    if depth < 2 and rng.random() < 0.2:
        pat += ("|" if ere else "\\|") + random_re(rng, ere, depth + 1)
    if depth == 0 and rng.random() < 0.3:
        pat = "^" + pat
    if depth == 0 and rng.random() < 0.3:
        pat += "$"
    return pat


@pytest.mark.parametrize("seed", range(CASES))
def test_grep_random(same, seed):
    rng = random.Random(seed)
    text = random_text(rng)
    for _ in range(4):
        flags = rng.sample(["-i", "-v", "-c", "-n", "-x", "-w"], rng.randint(0, 2))
        ere = rng.random() < 0.5
        pat = random_re(rng, ere)
        same("grep", [*flags, *(["-E"] if ere else []), "-e", pat], stdin=text)


@pytest.mark.parametrize("seed", range(CASES))
def test_sort_uniq_random(same, seed):
    rng = random.Random(seed)
    text, nums = random_text(rng), random_numbers(rng)
    for flags in ([], ["-r"], ["-u"], ["-ru"]):
        same("sort", flags, stdin=text)
        same("sort", ["-n", *flags], stdin=nums)
    table = random_table(rng)
    for _ in range(4):
        spec = random_key(rng)
        flags = rng.sample(["-n", "-r", "-u", "-s", "-b", "-f"], rng.randint(0, 2))
        sep = rng.choice([[], ["-t", ","], ["-t", ":"]])
        same("sort", [*flags, *sep, "-k", spec], stdin=table)
    same("sort", ["-t", ",", "-k", "2,2", "-k", "1n"], stdin=table)
    for flags in ([], ["-c"], ["-d"], ["-u"], ["-i"]):
        same("uniq", flags, stdin=b"".join(sorted(text.splitlines(True))))


@pytest.mark.parametrize("seed", range(CASES))
def test_counting_and_slicing_random(same, seed):
    rng = random.Random(seed)
    text = random_text(rng)
    same("wc", [], stdin=text)
    same("wc", ["-w"], stdin=text)
    n = str(rng.randint(0, 6))
    same("head", ["-n", n], stdin=text)
    same("head", ["-n", "-" + n], stdin=text)
    same("head", ["-c", "-" + n], stdin=text)
    same("tail", ["-n", n], stdin=text)
    same("tail", ["-c", n], stdin=text)
    same("cut", ["-d", " ", "-f", f"{rng.randint(1, 3)}-{rng.randint(3, 4)}"], stdin=text)
    same("cut", ["-c", f"{rng.randint(1, 3)},{rng.randint(4, 6)}-"], stdin=text)


@pytest.mark.parametrize("seed", range(CASES))
def test_tr_random(same, seed):
    rng = random.Random(seed)
    text = random_text(rng)
    sets = ["a-b", "ab", "[:upper:]", "[:lower:]", "[:space:]", "0-9", ".*", "A"]
    s1, s2 = rng.choice(sets), rng.choice(sets[:2] + ["xy", "Z"])
    same("tr", [s1, s2], stdin=text)
    same("tr", ["-d", s1], stdin=text)
    same("tr", ["-s", s1], stdin=text)
    same("tr", ["-cd", s1], stdin=text)


@pytest.mark.parametrize("seed", range(CASES))
def test_dumps_random(same, seed):
    rng = random.Random(seed)
    data = bytes(
        rng.choice([0, 0, 10, 65, 97, 255, rng.randrange(256)]) for _ in range(rng.randint(0, 80))
    )
    for args in ([], ["-c"], ["-x"], ["-b"]):
        same("od", args, stdin=data)
    types = ["a", "c"] + [f"{k}{n}" for k in "doux" for n in (1, 2, 4, 8)]
    chosen = [a for t in rng.sample(types, rng.randint(1, 3)) for a in ("-t", t)]
    same("od", [*chosen, "-A", rng.choice("doxn")], stdin=data)
    same("hexdump", ["-C"], stdin=data)
    same("hexdump", [], stdin=data)
    same("sha256sum", [], stdin=data)
