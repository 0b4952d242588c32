"""Start-up of one module on wasios (child process of bench.py): prints, as JSON, the
seconds spent importing the engine and loading + validating + instantiating the module
(`WASIOS_CACHE` / `WASIOS_CACHE_DIR` in the environment decide whether the cache is used).
"""

import json
import sys
import time
from pathlib import Path

t0 = time.perf_counter()
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import wasios  # noqa: E402
from tests.procs.wasm.minwasi import MiniWasi  # noqa: E402

t1 = time.perf_counter()
module = wasios.Module.from_file(sys.argv[1])
wasi = MiniWasi(["big", "0"])
wasios.Instance(module, wasi.imports(module))
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "start": t2 - t1}))
