"""Benchmarks: wasios against hand-written Python and pywasm, measured side by side.

Builds ../shared/bench/c/*.c with ziglang, then for each program runs every engine at two
sizes, interleaved, several rounds, in fresh subprocesses. The cost per unit of work is
the difference of the two median times divided by the difference in units, so start-up
(interpreter launch, decode, validate, instantiate) cancels out. Ratios are printed
against the hand-written Python twin (../shared/bench/py) and against pywasm.

    python bench/bench.py                 # all programs, default engines
    python bench/bench.py fib --rounds 5  # one program
    python bench/bench.py --engines wasios,python

Speed claims in this project come from this script's output, never from tests.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "bench"
BUILD = REPO / "bench" / "build"


def gen_text(size: int) -> bytes:
    out = bytearray()
    words = b"the of and memory module function value stack table import loop".split()
    i = 0
    while len(out) < size:
        i = (i * 1103515245 + 12345) & 0x7FFFFFFF
        n = i % 12
        out += b" ".join(words[(i >> (3 + k)) % len(words)] for k in range(n)) + b"\n"
    return bytes(out[:size])


# program -> (args at size, units of work at size, stdin at size); two sizes each.
def fib_units(n: int) -> int:
    a, b = 1, 1  # calls made by fib(n): 2*fib(n+1) - 1
    for _ in range(n):
        a, b = b, a + b
    return 2 * a - 1


PROGRAMS = {
    "fib": [(["16"], fib_units(16), None), (["20"], fib_units(20), None)],
    "sieve": [(["20000", "1"], 20000, None), (["20000", "4"], 80000, None)],
    "hash": [(["20000"], 20000, None), (["80000"], 80000, None)],
    "matmul": [(["12"], 12**3, None), (["20"], 20**3, None)],
    "wc": [([], 20000, 20000), ([], 80000, 80000)],
    "writes": [(["500"], 500, None), (["2000"], 2000, None)],
}
UNIT = {
    "fib": "call",
    "sieve": "cell",
    "hash": "byte",
    "matmul": "mul-add",
    "wc": "byte",
    "writes": "line",
}


def build(name: str) -> Path:
    src = SHARED / "c" / f"{name}.c"
    key = hashlib.sha256(src.read_bytes()).hexdigest()[:16]
    out = BUILD / f"{name}-{key}.wasm"
    if not out.exists():
        BUILD.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "ziglang", "cc", "-target", "wasm32-wasi", "-O2", "-s"]
        subprocess.run([*cmd, str(src), "-o", str(out)], check=True)
    return out


def command(engine: str, name: str, wasm: Path, args: list[str]) -> list[str]:
    if engine == "python":
        return [sys.executable, str(SHARED / "py" / f"{name}.py"), *args]
    if engine == "pywasm":
        wargs = [a for arg in args for a in ("--wasi-args", arg)]
        return [sys.executable, "-m", "pywasm", "--wasi", "preview1", *wargs, str(wasm)]
    if engine == "wasios":
        return [sys.executable, str(REPO / "bench" / "_run_wasios.py"), str(wasm), name, *args]
    if engine == "wasmtime":
        return [sys.executable, str(REPO / "bench" / "_run_wasmtime.py"), str(wasm), name, *args]
    raise SystemExit(f"unknown engine {engine}")


def time_once(cmd: list[str], stdin: bytes | None) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, input=stdin or b"", capture_output=True, cwd=REPO)
    t = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.decode()[-500:]}")
    return t


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("programs", nargs="*", default=list(PROGRAMS))
    ap.add_argument("--engines", default="python,wasios,pywasm")
    ap.add_argument("--rounds", type=int, default=3)
    opts = ap.parse_args()
    engines = opts.engines.split(",")
    print(f"# wasios benchmarks — CPython {sys.version.split()[0]}, {os.cpu_count()} cores")
    print(
        f"# per-unit cost = (median t(large) - median t(small)) / (units large - small), {opts.rounds} rounds\n"
    )
    header = "| program | unit | " + " | ".join(f"{e} ns/unit" for e in engines)
    ratios = [e for e in engines if e not in ("python",)]
    header += "".join(f" | {e}/python" for e in ratios if "python" in engines)
    if "wasios" in engines and "pywasm" in engines:
        header += " | pywasm/wasios"
    print(header + " |")
    print("|" + "---|" * (header.count("|")))
    for name in opts.programs:
        wasm = build(name)
        sizes = PROGRAMS[name]
        times: dict[tuple[str, int], list[float]] = {}
        for _ in range(opts.rounds):
            for engine in engines:  # interleaved so that machine noise hits all alike
                for i, (args, _units, stdin_size) in enumerate(sizes):
                    stdin = gen_text(stdin_size) if stdin_size else None
                    cmd = command(engine, name, wasm, args)
                    times.setdefault((engine, i), []).append(time_once(cmd, stdin))
        cost = {}
        for engine in engines:
            small = statistics.median(times[(engine, 0)])
            large = statistics.median(times[(engine, 1)])
            cost[engine] = (large - small) / (sizes[1][1] - sizes[0][1]) * 1e9
        row = f"| {name} | {UNIT[name]} | " + " | ".join(f"{cost[e]:,.1f}" for e in engines)
        if "python" in engines:
            row += "".join(f" | {cost[e] / cost['python']:,.1f}x" for e in ratios)
        if "wasios" in engines and "pywasm" in engines:
            row += f" | {cost['pywasm'] / cost['wasios']:,.1f}x"
        print(row + " |", flush=True)


if __name__ == "__main__":
    main()
