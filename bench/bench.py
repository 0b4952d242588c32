"""Benchmarks: wasios (JIT and interpreter-only) against hand-written Python, pywasm and
wasmtime, measured side by side in one session.

Builds ../shared/bench/c/*.c with ziglang, then for each program runs every engine at a
baseline size and at two sizes 4x apart, interleaved, several rounds, each run in a
fresh subprocess. Reported per engine and program:

* the per-unit cost: (t(large) - t(small)) / (units large - small), so
  that start-up (interpreter launch, decode, validate, instantiate) cancels out; the
  ratios wasios/python and pywasm/wasios use it;
* the per-unit cost at each size separately, (t(size) - t(baseline)) /
  (units(size) - units(baseline)), so "the cost per unit stays flat as the work grows
  4x" can be checked (for the JIT the small size also pays for translation);
* the start-up time of the ~1 MB module from ../shared/bench/gen_big.py (load + validate
  + instantiate, measured inside the process, and the whole process), cold (cache off)
  and from the cache.

Children run with Python's bytecode cache on (in the bench's temporary directory, via
PYTHONPYCACHEPREFIX), as an installed Python would, whatever PYTHONDONTWRITEBYTECODE
says here: otherwise every start would compile the engine's sources again.

Engines: `python` (the twin in ../shared/bench/py), `wasios` (JIT, lazy tiering),
`wasios-interp` (tier 0 only, `WASIOS_JIT=off`), `pywasm`, `wasmtime`. pywasm is about a
thousand times slower than the others, so it runs at smaller sizes, and wasmtime, fifty
times faster, at bigger ones (each its own two sizes, also 4x apart); the per-unit costs
are comparable because they are per unit.

    python bench/bench.py                       # everything
    python bench/bench.py fib sieve --rounds 5  # some programs
    python bench/bench.py --engines python,wasios --no-startup
    python bench/bench.py --output bench/RESULTS.md

Speed claims in this project come from this script's output, never from tests.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "bench"
BUILD = REPO / "bench" / "build"
ENGINES = ["python", "wasios", "wasios-interp", "pywasm", "wasmtime"]
SIZE_CLASS = {"pywasm": "slow", "wasmtime": "native"}  # the others run the `fast` sizes
BIG_FUNCS = 1900  # gen_big.py argument giving the ~1 MB module
# How the wall times of the rounds combine. The minimum is the default: on a shared
# machine, noise only ever adds time, so the fastest round is the least disturbed one.
STAT = {"min": min, "median": statistics.median}


def gen_text(size: int) -> bytes:
    out = bytearray()
    words = b"the of and memory module function value stack table import loop".split()
    i = 0
    while len(out) < size:
        i = (i * 1103515245 + 12345) & 0x7FFFFFFF
        n = i % 12
        out += b" ".join(words[(i >> (3 + k)) % len(words)] for k in range(n)) + b"\n"
    return bytes(out[:size])


def fib_units(n: int) -> int:
    a, b = 1, 1  # calls made by fib(n): 2*fib(n+1) - 1
    for _ in range(n):
        a, b = b, a + b
    return 2 * a - 1


# A run: (args, units of work, bytes of generated stdin or None).
Run = tuple[list[str], int, int | None]


def fib(n: int) -> Run:
    return [str(n)], fib_units(n), None


def sieve(n: int, reps: int) -> Run:
    return [str(n), str(reps)], n * reps, None


def simple(k: int, units: int | None = None) -> Run:
    return [str(k)], k if units is None else units, None


def wc(size: int) -> Run:
    return [], size, size


# program -> {"base": run, size class: (small, large)}; large = 4x small. The `native`
# sizes (wasmtime, ~50x faster than Python) are bigger so that the work is not lost in
# the noise of process start-up; where they are missing the `fast` ones are used.
PROGRAMS: dict[str, dict] = {
    "fib": {
        "base": fib(1),
        "fast": (fib(24), fib(27)),
        "slow": (fib(19), fib(22)),
        "native": (fib(30), fib(33)),
    },
    "sieve": {
        "base": sieve(100000, 0),
        "fast": (sieve(100000, 1), sieve(100000, 4)),
        "slow": (sieve(10000, 1), sieve(10000, 4)),
        "native": (sieve(100000, 16), sieve(100000, 64)),
    },
    "hash": {
        "base": simple(0),
        "fast": (simple(100000), simple(400000)),
        "slow": (simple(20000), simple(80000)),
        "native": (simple(1600000), simple(6400000)),
    },
    "matmul": {
        "base": simple(1, 1),
        "fast": (simple(60, 60**3), simple(96, 96**3)),
        "slow": (simple(20, 20**3), simple(32, 32**3)),
        "native": (simple(150, 150**3), simple(240, 240**3)),
    },
    "wc": {"base": wc(0), "fast": (wc(250000), wc(1000000)), "slow": (wc(10000), wc(40000))},
    "writes": {
        "base": simple(0),
        "fast": (simple(20000), simple(80000)),
        "slow": (simple(1000), simple(4000)),
    },
}
UNIT = {
    "fib": "call",
    "sieve": "cell",
    "hash": "byte",
    "matmul": "mul-add",
    "wc": "byte",
    "writes": "line",
}


def build(name: str, src: Path | None = None) -> Path:
    src = src or SHARED / "c" / f"{name}.c"
    key = hashlib.sha256(src.read_bytes()).hexdigest()[:16]
    out = BUILD / f"{name}-{key}.wasm"
    if not out.exists():
        BUILD.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "ziglang", "cc", "-target", "wasm32-wasi", "-O2", "-s"]
        tmp = out.with_suffix(f".tmp{os.getpid()}.wasm")
        subprocess.run([*cmd, str(src), "-o", str(tmp)], check=True)
        tmp.replace(out)
    return out


def build_big() -> Path:
    """The ~1 MB module of gen_big.py, built once (ziglang takes ~15 s)."""
    BUILD.mkdir(parents=True, exist_ok=True)
    text = subprocess.run(
        [sys.executable, str(SHARED / "gen_big.py"), str(BIG_FUNCS)],
        check=True,
        capture_output=True,
    ).stdout
    src = BUILD / f"big{BIG_FUNCS}.c"
    if not src.exists() or src.read_bytes() != text:
        src.write_bytes(text)
    return build(f"big{BIG_FUNCS}", src)


def command(engine: str, name: str, wasm: Path, args: list[str]) -> list[str]:
    if engine == "python":
        return [sys.executable, str(SHARED / "py" / f"{name}.py"), *args]
    if engine == "pywasm":
        wargs = [a for arg in args for a in ("--wasi-args", arg)]
        return [sys.executable, "-m", "pywasm", "--wasi", "preview1", *wargs, str(wasm)]
    if engine in ("wasios", "wasios-interp"):
        return [sys.executable, str(REPO / "bench" / "_run_wasios.py"), str(wasm), name, *args]
    if engine == "wasmtime":
        return [sys.executable, str(REPO / "bench" / "_run_wasmtime.py"), str(wasm), name, *args]
    raise SystemExit(f"unknown engine {engine}")


def base_env(cache_dir: str) -> dict[str, str]:
    """The children's environment: bytecode cached (as in any installed Python), but in
    the bench's temporary directory, never in the source tree; and the bench's own
    wasios cache, never the user's."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(cache_dir, "pycache")
    env["WASIOS_CACHE_DIR"] = os.path.join(cache_dir, "wasios")
    return env


def environment(engine: str, cache_dir: str) -> dict[str, str]:
    env = base_env(cache_dir)
    env.pop("WASIOS_CACHE", None)
    if engine == "wasios":
        env["WASIOS_JIT"] = "lazy"
    elif engine == "wasios-interp":
        env["WASIOS_JIT"] = "off"
    return env


def time_once(cmd: list[str], stdin: bytes | None, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, input=stdin or b"", capture_output=True, cwd=REPO, env=env)
    t = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.decode()[-500:]}")
    return t


def measure(name: str, engines: list[str], rounds: int, cache_dir: str, stat: str) -> dict:
    """Median wall time of every (engine, size) of one program; sizes: 0 base, 1, 2."""
    wasm = build(name)
    spec = PROGRAMS[name]
    runs = {e: [spec["base"], *spec.get(SIZE_CLASS.get(e, "fast"), spec["fast"])] for e in engines}
    stdins: dict[int, bytes] = {}
    times: dict[tuple[str, int], list[float]] = {}
    envs = {e: environment(e, cache_dir) for e in engines}
    for e in engines:  # warm-up: OS file cache, ziglang-free module caches
        args, _, stdin_size = runs[e][1]
        time_once(command(e, name, wasm, args), gen_text(stdin_size or 0), envs[e])
    for _ in range(rounds):
        for e in engines:  # interleaved so that machine noise hits all alike
            for i, (args, _units, stdin_size) in enumerate(runs[e]):
                if stdin_size and stdin_size not in stdins:
                    stdins[stdin_size] = gen_text(stdin_size)
                stdin = stdins.get(stdin_size) if stdin_size else None
                t = time_once(command(e, name, wasm, args), stdin, envs[e])
                times.setdefault((e, i), []).append(t)
    out = {}
    for e in engines:
        med = [STAT[stat](times[(e, i)]) for i in range(3)]
        units = [r[1] for r in runs[e]]
        out[e] = {
            "cost": (med[2] - med[1]) / (units[2] - units[1]) * 1e9,
            "small": (med[1] - med[0]) / (units[1] - units[0]) * 1e9,
            "large": (med[2] - med[0]) / (units[2] - units[0]) * 1e9,
            "units": units[1:],
            "seconds": med,
        }
    return out


def startup(rounds: int, cache_dir: str, stat: str) -> list[str]:
    """Start-up of the ~1 MB module: cold (cache off), first run (filling the cache),
    and from the cache; in-process (load + validate + instantiate) and whole process."""
    big = build_big()
    child = [sys.executable, str(REPO / "bench" / "_startup.py"), str(big)]
    cold_env = dict(base_env(cache_dir), WASIOS_CACHE="off")
    with tempfile.TemporaryDirectory(dir=cache_dir) as d:
        warm_env = dict(base_env(cache_dir), WASIOS_CACHE_DIR=d)
        warm_env.pop("WASIOS_CACHE", None)
        subprocess.run(child, capture_output=True, env=cold_env, check=True)  # bytecode

        def run(env: dict[str, str]) -> tuple[float, float]:
            t0 = time.perf_counter()
            r = subprocess.run(child, capture_output=True, env=env, check=True)
            wall = time.perf_counter() - t0
            return json.loads(r.stdout)["start"], wall

        first = run(warm_env)  # fills the cache
        cold, warm = [], []
        for _ in range(rounds):
            cold.append(run(cold_env))
            warm.append(run(warm_env))
    size = big.stat().st_size

    def med(xs: list[tuple[float, float]], i: int) -> float:
        return STAT[stat]([x[i] for x in xs])

    lines = [
        f"Start-up of the ~1 MB module (`gen_big.py {BIG_FUNCS}`, {size:,} bytes), "
        f"{stat} of {rounds}:",
        "",
        "| | load + validate + instantiate (in process) | whole process |",
        "|---|---|---|",
        f"| cold (cache off) | {med(cold, 0):.3f} s | {med(cold, 1):.3f} s |",
        f"| first run (fills the cache) | {first[0]:.3f} s | {first[1]:.3f} s |",
        f"| from the cache | {med(warm, 0):.3f} s | {med(warm, 1):.3f} s |",
    ]
    return lines


def fmt(x: float) -> str:
    return f"{x:,.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("programs", nargs="*", default=list(PROGRAMS))
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument(
        "--stat",
        choices=sorted(STAT),
        default="min",
        help="how the rounds of one run combine (default min: noise only ever adds time)",
    )
    ap.add_argument("--no-startup", action="store_true", help="skip the start-up measurement")
    ap.add_argument("--output", help="also write the report (Markdown) to this file")
    opts = ap.parse_args()
    engines = opts.engines.split(",")
    for e in engines:
        if e not in ENGINES:
            raise SystemExit(f"unknown engine {e}; known: {', '.join(ENGINES)}")
    report: list[str] = []

    def emit(line: str = "") -> None:
        print(line, flush=True)
        report.append(line)

    emit(f"# wasios benchmarks — CPython {sys.version.split()[0]}, {os.cpu_count()} cores")
    emit()
    emit(
        f"Per-unit cost = (t(large) − t(small)) / (units large − small), t = {opts.stat} "
        f"wall time of "
        f"{opts.rounds} rounds, engines interleaved; `wasios` is the JIT (lazy tiering), "
        f"`wasios-interp` the tier-0 interpreter alone; pywasm runs at smaller sizes and "
        f"wasmtime at bigger ones (see the growth table)."
    )
    emit()
    cols = [f"{e} ns/unit" for e in engines]
    if "python" in engines:
        cols += [f"{e}/python" for e in engines if e != "python"]
    if "wasios" in engines and "pywasm" in engines:
        cols.append("pywasm/wasios")
    emit("| program | unit | " + " | ".join(cols) + " |")
    emit("|---|---|" + "---:|" * len(cols))
    growth: list[str] = []
    with tempfile.TemporaryDirectory(prefix="wasios-bench-") as cache_dir:
        os.chmod(cache_dir, 0o700)
        for name in opts.programs:
            r = measure(name, engines, opts.rounds, cache_dir, opts.stat)
            row = [fmt(r[e]["cost"]) for e in engines]
            if "python" in engines:
                py = r["python"]["cost"]
                row += [f"{r[e]['cost'] / py:,.2f}x" for e in engines if e != "python"]
            if "wasios" in engines and "pywasm" in engines:
                row.append(f"{r['pywasm']['cost'] / r['wasios']['cost']:,.0f}x")
            emit(f"| {name} | {UNIT[name]} | " + " | ".join(row) + " |")
            for e in engines:
                s, l_ = r[e]["small"], r[e]["large"]
                u = r[e]["units"]
                growth.append(
                    f"| {name} | {e} | {u[0]:,} → {u[1]:,} | {fmt(s)} | {fmt(l_)} | "
                    f"{l_ / s if s > 0 else float('nan'):.2f} |"
                )
        emit()
        emit(
            "Cost growth: per-unit cost at each size, (t(size) − t(baseline)) / units, "
            "baseline = the program at (almost) no work; flat means large/small ≈ 1."
        )
        emit()
        emit(
            "| program | engine | units small → large | ns/unit small | ns/unit large | large/small |"
        )
        emit("|---|---|---:|---:|---:|---:|")
        for line in growth:
            emit(line)
        if not opts.no_startup:
            emit()
            for line in startup(max(opts.rounds, 3), cache_dir, opts.stat):
                emit(line)
    if opts.output:
        Path(opts.output).write_text("\n".join(report) + "\n")


if __name__ == "__main__":
    main()
