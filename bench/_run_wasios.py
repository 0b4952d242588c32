"""Run one benchmark program on wasios (child process of bench.py): a WASI process in a
worker, through the kernel, exactly as `wasios run` does.

The JIT mode comes from the environment (`WASIOS_JIT=off|lazy|eager`, set by bench.py),
which the worker inherits and the engine reads.
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import wasios  # noqa: E402

wasm, name, *args = sys.argv[1:]
r = wasios.run(wasm, args, stdin=sys.stdin.buffer.read(), argv0=name)
sys.stdout.buffer.write(r.stdout)
sys.stderr.buffer.write(r.stderr)
sys.exit(r.returncode)
