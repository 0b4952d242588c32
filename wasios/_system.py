"""The embedding API's process half: run WASI programs from Python, add syscalls.

`run` is `subprocess.run` for Wasm: one call, a fresh kernel, the output back as bytes.
`System` (from kernel/system.py) is the async form for trio programs that want several
processes connected by pipes. `syscall` registers a custom import served by the kernel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import trio

from kernel import syscalls
from kernel.system import CompletedRun, System, trio_clock


def run(
    module: Any,
    args: Sequence[str] = (),
    *,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    dirs: Mapping[str, str] | Iterable[str] | None = None,
    timeout: float | None = None,
    argv0: str | None = None,
    jit: str | None = None,
    deterministic: bool = False,
) -> CompletedRun:
    """Run ``module`` (a path to .wasm/.wat, bytes, or a `wasios.Module`) as a WASI process.

    ``stdin`` is its whole input; ``env`` its environment (empty by default, as wasmtime);
    ``dirs`` maps guest paths to host directories, or lists ``HOST[::GUEST][:ro]``
    strings. Returns ``returncode``, ``stdout`` and ``stderr``; after ``timeout``
    seconds the process is killed and `subprocess.TimeoutExpired` raised.
    """

    async def main() -> CompletedRun:
        async with System(dirs=dirs, env=env, jit=jit, deterministic=deterministic) as system:
            return await system.run(module, args, stdin=stdin, timeout=timeout, argv0=argv0)

    return trio.run(main, clock=trio_clock(deterministic))


def syscall(
    module: str, name: str, *, params: Sequence[str] = (), results: Sequence[str] = ()
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the import ``module.name`` of processes spawned
    from now on.

    ``params`` are ``i32 i64 f32 f64`` (plain numbers), or ``string`` / ``bytes`` (a
    pointer and a length in the guest, read for you). ``results`` are Wasm types. The
    function gets a context first (``ctx.pid``, ``ctx.proc``, ``ctx.write(addr, data)``
    to copy bytes into guest memory), may be async, and returns the results; an
    exception traps the guest with its message.
    """

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        syscalls.custom(module, name, fn, params, results)
        return fn

    return register


def unregister_syscall(module: str, name: str) -> None:
    syscalls.unregister(module, name)
