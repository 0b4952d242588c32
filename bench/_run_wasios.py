"""Run one benchmark program on the wasios engine (child process of bench.py).

The JIT mode comes from the environment (`WASIOS_JIT=off|lazy|eager`, set by bench.py),
which the engine reads. Uses the test suite's minimal WASI shim until the kernel
(issue 4) runs WASI programs.
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import wasios  # noqa: E402
from tests.procs.wasm.minwasi import MiniWasi  # noqa: E402

wasm, name, *args = sys.argv[1:]
wasi = MiniWasi([name, *args], sys.stdin.buffer.read())
code = wasi.run(wasios.Module.from_file(wasm))
sys.stdout.buffer.write(bytes(wasi.stdout))
sys.exit(code)
