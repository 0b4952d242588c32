"""Run one benchmark program on wasmtime (child process of bench.py)."""

import sys

import wasmtime

wasm, name, *args = sys.argv[1:]
engine = wasmtime.Engine()
store = wasmtime.Store(engine)
linker = wasmtime.Linker(engine)
linker.define_wasi()
cfg = wasmtime.WasiConfig()
cfg.argv = [name, *args]
cfg.inherit_stdin()
cfg.inherit_stdout()
store.set_wasi(cfg)
inst = linker.instantiate(store, wasmtime.Module.from_file(engine, wasm))
try:
    inst.exports(store)["_start"](store)
except wasmtime.ExitTrap as e:
    sys.exit(e.code)
