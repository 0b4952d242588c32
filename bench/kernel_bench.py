"""Kernel benchmarks: the cost of the process machinery, as ratios measured in one run.

* syscall round trip: a trivial syscall (fd_fdstat_get) through the whole stack — the
  guest's stub, msgpack, the channel, the kernel's dispatcher and back — against a raw
  Python socketpair ping-pong between two processes (the floor for any design that
  crosses a process boundary per call); sched_yield is shown too (it also lets every
  other kernel task run);
* writes: ../shared/bench/c/writes.c, one fd_write per line, per line against
  wasmtime (the Python package, with WASI) writing to /dev/null;
* spawn: a small module from the warm worker pool, to its exit;
* pipe throughput: `cat | cat > /dev/null` of 100 MB between two Wasm processes
  (the first cat reads a file in a host mount).

Per-call and per-line costs are differences between two runs of different sizes, so
start-up cancels out. Several rounds; medians reported.

    python bench/kernel_bench.py [--rounds N] [--mb 100]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import trio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kernel.system import DEVNULL, PIPE, System  # noqa: E402

SHARED = REPO.parent / "shared" / "bench"

LOOP = """(module
  (import "wasi_snapshot_preview1" "{name}" (func $f {params} (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $a (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $g (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $count (result i32)   ;; argv[1] as a decimal number
    (local $p i32) (local $n i32) (local $c i32)
    (drop (call $a (i32.const 0) (i32.const 4)))
    (drop (call $g (i32.const 16) (i32.const 256)))
    (local.set $p (i32.load (i32.const 20)))
    (block $done (loop $digit
      (local.set $c (i32.load8_u (local.get $p)))
      (br_if $done (i32.eqz (local.get $c)))
      (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10))
                             (i32.sub (local.get $c) (i32.const 48))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $digit)))
    (local.get $n))
  (func (export "_start") (local $i i32) (local $n i32)
    (local.set $n (call $count))
    (block $out (loop $l
      (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
      (drop (call $f {args}))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))))"""

FDSTAT = LOOP.format(
    name="fd_fdstat_get", params="(param i32 i32)", args="(i32.const 1) (i32.const 1024)"
)
YIELD = LOOP.format(name="sched_yield", params="", args="")

CAT = """(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "_start") (local $n i32)
    (i32.store (i32.const 0) (i32.const 65536))
    (loop $more
      (i32.store (i32.const 4) (i32.const 65536))
      (br_if 1 (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $n (i32.load (i32.const 8)))
      (br_if 1 (i32.eqz (local.get $n)))
      (i32.store (i32.const 4) (local.get $n))
      (br_if 1 (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br $more))))"""

HELLO = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1) (data (i32.const 16) "hi\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 3))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"""


# --- the floor: a raw socketpair ping-pong between two processes ------------------------


def raw_round_trip(n: int) -> float:
    a, b = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        a.close()
        for _ in range(n):
            b.sendall(b.recv(100))
        os._exit(0)
    b.close()
    msg = b"\x93\x00\x14\x91\x01"  # about the size of a request
    t = time.perf_counter()
    for _ in range(n):
        a.sendall(msg)
        a.recv(100)
    dt = time.perf_counter() - t
    os.waitpid(pid, 0)
    a.close()
    return dt / n


# --- wasios ---------------------------------------------------------------------------------


async def timed_run(system: System, module: bytes, args: list[str], **kw) -> float:
    t = time.perf_counter()
    p = await system.spawn(module, args, stdout=DEVNULL, stderr=PIPE, **kw)
    status = await p.wait()
    dt = time.perf_counter() - t
    if status != 0:
        raise RuntimeError(f"benchmark program failed with {status}: {p._out.get(2)!r}")
    return dt


async def per_unit(system: System, module: bytes, small: int, large: int, **kw) -> float:
    t_small = await timed_run(system, module, [str(small)], **kw)
    t_large = await timed_run(system, module, [str(large)], **kw)
    return (t_large - t_small) / (large - small)


def wasmtime_writes(wasm: Path, n: int) -> float:
    import wasmtime

    engine = wasmtime.Engine()
    module = wasmtime.Module.from_file(engine, str(wasm))
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store = wasmtime.Store(engine)
    cfg = wasmtime.WasiConfig()
    cfg.argv = ["writes", str(n)]
    cfg.stdout_file = "/dev/null"
    store.set_wasi(cfg)
    inst = linker.instantiate(store, module)
    t = time.perf_counter()
    try:
        inst.exports(store)["_start"](store)
    except wasmtime.ExitTrap as e:
        if e.code:
            raise
    return time.perf_counter() - t


def build_writes() -> Path:
    sys.path.insert(0, str(REPO / "tests" / "procs" / "wasm"))
    from conftest import build_c  # the tests' cached ziglang build

    out = Path(tempfile.mkdtemp()) / "writes.wasm"
    out.write_bytes(build_c(SHARED / "c" / "writes.c"))
    return out


async def pipe_throughput(system: System, path_in_vfs: str, size: int) -> float:
    rd, wr = system.pipe()
    t = time.perf_counter()
    # the first cat reads the file as its stdin (a file in the host mount)
    node = system.kernel.namespace.lookup(path_in_vfs)
    from kernel.file import NodeFile

    first = await system.spawn(CAT.encode(), stdin=NodeFile(node), stdout=wr, stderr=PIPE)
    second = await system.spawn(CAT.encode(), stdin=rd, stdout=DEVNULL, stderr=PIPE)
    s1, s2 = await first.wait(), await second.wait()
    dt = time.perf_counter() - t
    if s1 or s2:
        raise RuntimeError(f"cat | cat failed: {s1} {s2}")
    return size / dt / 1e6


def median(xs: list[float]) -> float:
    return statistics.median(xs)


async def main_async(args: argparse.Namespace) -> None:
    writes = build_writes()
    data_dir = Path(tempfile.mkdtemp())
    size = args.mb * 1_000_000
    with open(data_dir / "big", "wb") as f:
        chunk = os.urandom(1 << 20)
        for _ in range(size // len(chunk)):
            f.write(chunk)
        f.write(chunk[: size % len(chunk)])
    wbytes = writes.read_bytes()
    rows: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        rows.setdefault(key, []).append(value)

    async with System(dirs=[f"{data_dir}::/data"]) as system:
        await timed_run(system, HELLO.encode(), [])  # warm the pool
        for r in range(args.rounds):
            add("raw socketpair round trip (us)", raw_round_trip(20000) * 1e6)
            add(
                "fd_fdstat_get round trip (us)",
                await per_unit(system, FDSTAT.encode(), 2000, 12000) * 1e6,
            )
            add(
                "sched_yield round trip (us)",
                await per_unit(system, YIELD.encode(), 2000, 12000) * 1e6,
            )
            add(
                "writes.c per line, wasios (us)", await per_unit(system, wbytes, 10000, 60000) * 1e6
            )
            w_small = wasmtime_writes(writes, 20000)
            w_large = wasmtime_writes(writes, 220000)
            add("writes.c per line, wasmtime (us)", (w_large - w_small) / 200000 * 1e6)
            spawns = [await timed_run(system, HELLO.encode(), []) for _ in range(10)]
            add("spawn to exit from the warm pool (ms)", median(spawns) * 1e3)
            add("cat | cat > /dev/null (MB/s)", await pipe_throughput(system, "/data/big", size))
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    m = {k: median(v) for k, v in rows.items()}
    lines = ["| measure | median | all rounds |", "|---|---|---|"]
    for k, v in rows.items():
        lines.append(f"| {k} | {m[k]:.1f} | {', '.join(f'{x:.1f}' for x in v)} |")
    rt = m["fd_fdstat_get round trip (us)"] / m["raw socketpair round trip (us)"]
    yt = m["sched_yield round trip (us)"] / m["raw socketpair round trip (us)"]
    wr = m["writes.c per line, wasios (us)"] / m["writes.c per line, wasmtime (us)"]
    lines += [
        "",
        f"* round trip / raw socketpair ping-pong: **{rt:.2f}x** (target ≤ 2x); "
        f"sched_yield: {yt:.2f}x",
        f"* writes.c per line, wasios / wasmtime: **{wr:.2f}x** (target ≤ 5x)",
        f"* spawn from the warm pool: **{m['spawn to exit from the warm pool (ms)']:.1f} ms** "
        "(target ≤ 10 ms)",
        f"* pipe throughput: **{m['cat | cat > /dev/null (MB/s)']:.0f} MB/s** (target ≥ 200)",
    ]
    print("\n".join(lines))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--mb", type=int, default=100)
    trio.run(main_async, p.parse_args())


if __name__ == "__main__":
    main()
