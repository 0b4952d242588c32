"""Differential tests: the engine against wasmtime on the same modules.

1. Every benchmark program of ../shared/bench (C built with ziglang), at small sizes,
   prints the same output and exits with the same status through our engine (with a
   test-only WASI shim) as under wasmtime.
2. Random valid modules from binaryen's `wasm-opt -ttf` give the same exported results,
   the same logged values and the same traps.
"""

from __future__ import annotations

import math
import os
import random
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest
import wasmtime

import wasios

from .conftest import SHARED_BENCH
from .minwasi import MiniWasi

CASES = {
    "fib": (["fib", "15"], b""),
    "sieve": (["sieve", "3000", "2"], b""),
    "hash": (["hash", "3000"], b""),
    "matmul": (["matmul", "8"], b""),
    "wc": (["wc"], None),  # stdin: generated text
    "writes": (["writes", "50"], b""),
}


def _text(size: int) -> bytes:
    rng = random.Random(7)
    words = "the of and memory module stack table\tloop".split(" ")
    out = bytearray()
    while len(out) < size:
        out += (" ".join(rng.choice(words) for _ in range(rng.randrange(0, 9))) + "\n").encode()
    return bytes(out[:size])


def run_wasmtime(wasm: bytes, args: list[str], stdin: bytes) -> tuple[int, bytes]:
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    with tempfile.TemporaryDirectory() as d:
        inp, outp = os.path.join(d, "in"), os.path.join(d, "out")
        Path(inp).write_bytes(stdin)
        cfg = wasmtime.WasiConfig()
        cfg.argv = args
        cfg.stdin_file = inp
        cfg.stdout_file = outp
        store.set_wasi(cfg)
        inst = linker.instantiate(store, wasmtime.Module(engine, wasm))
        code = 0
        try:
            inst.exports(store)["_start"](store)
        except wasmtime.ExitTrap as e:
            code = e.code
        return code, Path(outp).read_bytes()


@pytest.fixture(params=["off", "eager"])
def jit_mode(request, monkeypatch):
    """Run our side interpreter-only and translated (procs/wasm/jit.py reads it)."""
    monkeypatch.setenv("WASIOS_JIT", request.param)
    return request.param


@pytest.mark.parametrize("name", sorted(CASES))
def test_bench_program_matches_wasmtime(name, bench_wasm, jit_mode):
    args, stdin = CASES[name]
    if stdin is None:
        stdin = _text(5000)
    wasm = bench_wasm[name]
    expected_code, expected_out = run_wasmtime(wasm, args, stdin)
    wasi = MiniWasi(args, stdin)
    code = wasi.run(wasios.Module(wasm))
    assert (code, bytes(wasi.stdout)) == (expected_code, expected_out)
    assert expected_out  # the program really printed something


def test_bench_corpus_is_complete(bench_wasm):
    assert set(bench_wasm) == {p.stem for p in (SHARED_BENCH / "c").glob("*.c")}
    assert set(CASES) == set(bench_wasm)


# --- random modules from wasm-opt -ttf -----------------------------------------------

FEATURES = [
    "--mvp-features",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-bulk-memory",
    "--enable-multivalue",
    "--enable-mutable-globals",
]
# Odd seeds also use reference types; binaryen 108 then often emits typed-reference
# encodings (beyond 2.0), which wasmtime limited to 2.0 and our engine must both refuse.
REFERENCE_TYPES = "--enable-reference-types"
N_RANDOM = int(os.environ.get("WASIOS_FUZZ_MODULES", "200"))


def _norm(t: str, v):
    """Comparable form of a value: floats by bits, NaNs as 'nan'."""
    if t in ("f32", "f64"):
        if isinstance(v, float) and math.isnan(v):
            return "nan"
        return struct.pack("<d", v)
    if t == "i32":
        return v & 0xFFFFFFFF
    if t == "i64":
        return v & 0xFFFFFFFFFFFFFFFF
    return None if v is None else "non-null reference"


TYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64"}


def _zero(t: str):
    return {"i32": 0, "i64": 0, "f32": 0.0, "f64": 0.0}.get(t)


def _ttf_module(seed: int, workdir: Path) -> bytes:
    rng = random.Random(seed)
    src = workdir / f"r{seed}.bin"
    out = workdir / f"r{seed}.wasm"
    src.write_bytes(bytes(rng.getrandbits(8) for _ in range(rng.randrange(200, 3000))))
    subprocess.run(
        ["wasm-opt", "-ttf", str(src), "-o", str(out), *FEATURES]
        + ([REFERENCE_TYPES] if seed % 2 else []),
        check=True,
        capture_output=True,
    )
    return out.read_bytes()


def _run_ours(wasm: bytes):
    log: list = []
    module = wasios.Module(wasm)
    names = {"log-i32": "i32", "log-i64": "i64", "log-f32": "f32", "log-f64": "f64"}
    imports: dict = {}
    for mod, name, kind in module.imports:
        t = names.get(name)
        if kind == "func" and t is not None:
            imports.setdefault(mod, {})[name] = lambda *a, t=t: log.append((t, _norm(t, a[0])))
    inst = wasios.Instance(module, imports)
    events = []
    for ename, kind in module.exports:
        if kind != "func" or ename == "hangLimitInitializer":
            continue
        f = inst.exports[ename]
        if "hangLimitInitializer" in inst.exports:
            inst.exports["hangLimitInitializer"]()
        try:
            r = f(*[_zero(TYPES.get(t, "ref")) for t in f.type.params])
            res = (r,) if len(f.type.results) == 1 else (r or ())
            types = [
                {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64"}.get(t, "ref")
                for t in f.type.results
            ]
            events.append(
                (ename, "ok", tuple(_norm(t, v) for t, v in zip(types, res, strict=True)))
            )
        except wasios.Trap:
            events.append((ename, "trap"))
    return events, log


def wasm2_engine() -> wasmtime.Engine:
    """wasmtime limited to Wasm 2.0 (without SIMD): the reference for our engine."""
    cfg = wasmtime.Config()
    for feature in ("gc", "function_references", "tail_call", "exceptions", "multi_memory",
                    "memory64", "threads", "simd", "relaxed_simd", "custom_page_sizes",
                    "wide_arithmetic", "stack_switching"):  # fmt: skip
        setattr(cfg, f"wasm_{feature}", False)
    return wasmtime.Engine(cfg)


def _run_ref(wasm: bytes):
    log: list = []
    engine = wasm2_engine()
    store = wasmtime.Store(engine)
    module = wasmtime.Module(engine, wasm)
    imports = []
    for imp in module.imports:
        t = {"log-i32": "i32", "log-i64": "i64", "log-f32": "f32", "log-f64": "f64"}[imp.name]
        fn = wasmtime.Func(store, imp.type, lambda *a, t=t: log.append((t, _norm(t, a[0]))))
        imports.append(fn)
    inst = wasmtime.Instance(store, module, imports)
    exports = inst.exports(store)
    events = []
    for exp in module.exports:
        if not isinstance(exp.type, wasmtime.FuncType) or exp.name == "hangLimitInitializer":
            continue
        f = exports[exp.name]
        if "hangLimitInitializer" in [e.name for e in module.exports]:
            exports["hangLimitInitializer"](store)
        try:
            r = f(store, *[_zero(str(t)) for t in exp.type.params])
            res = (r,) if len(exp.type.results) == 1 else tuple(r or ())
            types = [str(t) for t in exp.type.results]
            events.append(
                (exp.name, "ok", tuple(_norm(t, v) for t, v in zip(types, res, strict=True)))
            )
        except wasmtime.Trap:
            events.append((exp.name, "trap"))
    return events, log


def test_random_modules_match_wasmtime(tmp_path, jit_mode):
    compared = 0
    for seed in range(N_RANDOM):
        wasm = _ttf_module(seed, tmp_path)
        try:
            expected = _run_ref(wasm)
        except wasmtime.WasmtimeError:
            # binaryen 108 sometimes emits typed-reference encodings; both must refuse.
            with pytest.raises(wasios.WasmError):
                _run_ours(wasm)
            continue
        got = _run_ours(wasm)
        assert got == expected, f"seed {seed}"
        compared += 1
    assert compared >= N_RANDOM // 2
