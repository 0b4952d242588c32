"""Shell benchmarks, measured side by side in one run.

* Enter → first output byte of `echo hi` in the interactive `wasios shell` (on a
  pseudo-terminal), for the builtin and for /bin/echo (a Wasm process from the warm pool);
* a pipeline of 5 userland programs over a 10 MB text file, against the same pipeline in
  bash with GNU tools (the ratio);
* 100 concurrent background `sleep 10` jobs: the memory they take, per process (the
  resident size of the worker processes), one process per worker and packed 8 per worker.

    python bench/shell_bench.py [--rounds N] [--mb 10] [--jobs 100]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PIPELINE = "cat big.txt | grep -v zz | tr a-z A-Z | sort | uniq -c | wc -l"


def first_byte_latency(rounds: int) -> dict[str, list[float]]:
    import pexpect

    env = dict(os.environ, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
    env["WASIOS_HISTFILE"] = os.path.join(tempfile.mkdtemp(), "history")
    sh = pexpect.spawn(sys.executable, ["-m", "wasios", "shell"], cwd=str(REPO), env=env,
                       timeout=60, encoding="utf-8")  # fmt: skip
    sh.delaybeforesend = None  # pexpect waits 50 ms before each send by default
    sh.expect(r"wasios:/\$")
    out: dict[str, list[float]] = {"builtin echo": [], "/bin/echo": []}
    sh.sendline("/bin/echo warm")
    sh.expect("warm\r\n")
    sh.expect(r"wasios:/\$")
    for r in range(rounds):
        for name, cmd in (("builtin echo", "echo"), ("/bin/echo", "/bin/echo")):
            marker = f"hi{r}{len(name)}"
            sh.send(f"{cmd} {marker}")
            sh.expect(marker)  # the editor has drawn the typed line
            time.sleep(0.2)
            t = time.perf_counter()
            sh.send("\r")
            sh.expect(f"{marker}\r\n")  # the program's output line
            out[name].append((time.perf_counter() - t) * 1e3)
            sh.expect(r"wasios:/\$")
    sh.sendeof()
    sh.close()
    return out


def make_text(path: Path, mb: int) -> None:
    rng = random.Random(7)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
             for _ in range(5000)]  # fmt: skip
    with open(path, "w") as f:
        size = 0
        while size < mb * 1_000_000:
            line = " ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) + "\n"
            f.write(line)
            size += len(line)


def pipeline_times(rounds: int, mb: int) -> dict[str, list[float]]:
    d = Path(tempfile.mkdtemp())
    make_text(d / "big.txt", mb)
    out: dict[str, list[float]] = {"bash + GNU": [], "wasios shell": []}
    for _ in range(rounds):
        t = time.perf_counter()
        a = subprocess.run(["bash", "-c", PIPELINE], cwd=d, capture_output=True,
                           env=dict(os.environ, LC_ALL="C"))  # fmt: skip
        out["bash + GNU"].append(time.perf_counter() - t)
        t = time.perf_counter()
        b = subprocess.run([sys.executable, "-m", "wasios", "shell", "--dir", f"{d}::/w",
                            "-c", f"cd /w; {PIPELINE}"], capture_output=True)  # fmt: skip
        out["wasios shell"].append(time.perf_counter() - t)
        if a.stdout.split() != b.stdout.split():
            raise RuntimeError(f"different results: {a.stdout!r} vs {b.stdout!r} {b.stderr!r}")
    return out


def background_memory(jobs: int, per_worker: int) -> float:
    """MB of resident memory per process while `jobs` background sleeps run."""
    import trio

    from kernel.workers import WorkerPool
    from shell._session import CAPTURE, Session

    async def main() -> float:
        async with Session(stdout=CAPTURE, stderr=CAPTURE) as sh:
            sh.system.host.pool = WorkerPool(idle=0)
            sh.system.host.procs_per_worker = per_worker
            status = await sh.run_script(" ".join(["sleep 10 &"] * jobs))
            if status:
                raise RuntimeError(f"starting the jobs failed: {sh.output(2)!r}")
            await trio.sleep(2)
            pids = {w.popen.pid for w in sh.system.host.workers.values()}
            rss = sum(_rss_kb(p) for p in pids) / 1024
            running = sum(1 for p in sh.system.kernel.procs.values() if p.running) - 1
            if running != jobs:
                raise RuntimeError(f"{running} of {jobs} jobs running")
            return rss / jobs

    return trio.run(main)


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--mb", type=int, default=10)
    p.add_argument("--jobs", type=int, default=100)
    args = p.parse_args()
    lat = first_byte_latency(max(args.rounds, 5))
    pipe = pipeline_times(args.rounds, args.mb)
    mem1 = background_memory(args.jobs, 1)
    mem8 = background_memory(args.jobs, 8)
    med = statistics.median
    print("| measure | median | all |")
    print("|---|---|---|")
    for k, v in lat.items():
        print(
            f"| Enter → first byte, {k} (ms) | {med(v):.1f} | {', '.join(f'{x:.1f}' for x in v)} |"
        )
    for k, v in pipe.items():
        print(f"| 5-program pipeline over {args.mb} MB, {k} (s) | {med(v):.2f} | "
              f"{', '.join(f'{x:.2f}' for x in v)} |")  # fmt: skip
    print(f"| {args.jobs} background sleeps, 1 per worker (MB per process) | {mem1:.1f} | |")
    print(f"| {args.jobs} background sleeps, 8 per worker (MB per process) | {mem8:.1f} | |")
    ratio = med(pipe["wasios shell"]) / med(pipe["bash + GNU"])
    print(f"\n* pipeline `{PIPELINE}`: wasios / bash+GNU = **{ratio:.0f}x**")
    print(f"* Enter → first byte: builtin {med(lat['builtin echo']):.1f} ms, "
          f"/bin/echo {med(lat['/bin/echo']):.1f} ms (target ≤ 50 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
