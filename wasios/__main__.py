"""The `wasios` command: `run`, `inspect` and `wast`.

Errors a user can cause (a malformed module, a missing import, a bad argument) print
one line on stderr and exit non-zero; they never show a Python traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence

import trio

from kernel.errors import KernelError
from procs.wasm.errors import Exhaustion, LinkError, Trap, WasmError
from wasios._env import environment

EXIT_TRAP = 134  # as wasmtime: a trap ends the program like abort()


def _load_module(path: str):  # -> api.Module
    from procs.wasm.api import Module

    if path == "-":
        return Module(sys.stdin.buffer.read(), name="<stdin>")
    return Module.from_file(path)


def _mapdir(text: str) -> str:
    guest, sep, host = text.partition("::")
    if not sep or not guest or not host:
        raise ValueError(f"--mapdir {text!r}: expected GUEST::HOST")
    return f"{host}::{guest}"


def cmd_run(args: argparse.Namespace) -> int:
    from kernel.workers import POOL

    POOL.refill()  # the worker starts its imports while we read the module
    from kernel.system import INHERIT, Image, System, load_image, trio_clock

    if args.file == "-":
        image = Image(sys.stdin.buffer.read(), "-")
    else:
        image = load_image(args.file)
    try:
        env = environment(args.inherit_env, args.env)
    except ValueError as e:
        raise WasmError(str(e)) from None
    tracer = _tracer(args)

    async def main() -> int:
        async with System(
            dirs=args.dir + [_mapdir(m) for m in args.mapdir],
            env=env,
            jit=args.jit,
            tracer=tracer,
            tcplisten=args.tcplisten,
            deterministic=args.deterministic or args.seed is not None,
            seed=args.seed or 0,
        ) as system:
            p = await system.spawn(
                image,
                args.args,
                argv0=args.argv0,
                stdin=INHERIT,
                stdout=INHERIT,
                stderr=INHERIT,
                invoke=args.invoke,
                invoke_args=args.args if args.invoke is not None else (),
            )
            # Ctrl-C (or a TERM) goes to the program, as a terminal sends it to the
            # foreground job: it ends with 128 + the signal, and so do we.
            with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM, signal.SIGHUP) as sigs:
                async with trio.open_nursery() as nursery:

                    async def relay() -> None:
                        async for sig in sigs:
                            p.kill(sig)

                    nursery.start_soon(relay)
                    status = await p.wait()
                    nursery.cancel_scope.cancel()
            return status

    try:
        status = trio.run(main, clock=trio_clock(args.deterministic or args.seed is not None))
    except (ValueError, NotADirectoryError) as e:
        raise WasmError(str(e)) from None
    except KernelError as e:
        raise WasmError(f"{e.errno.name.lower()}: {e}") from None
    finally:
        if tracer is not None:
            tracer.close()
    return status & 0xFF


def _tracer(args: argparse.Namespace):  # -> kernel.strace.Tracer | None
    calls = args.strace or args.strace_file is not None
    if not calls and not args.strace_summary:
        return None
    from kernel.strace import Tracer

    out = sys.stderr
    if args.strace_file is not None:
        out = open(args.strace_file, "w", encoding="utf-8")  # noqa: SIM115 (closed at exit)
    return Tracer(out, summary=args.strace_summary, per_call=calls or None)


def cmd_inspect(args: argparse.Namespace) -> int:
    if args.jit:
        return _inspect_jit(args)
    if args.func is not None:
        raise WasmError("a function argument needs --jit (show its generated Python)")
    from procs.wasm.describe import describe

    with open(args.file, "rb") as fh:
        raw = fh.read()
    sys.stdout.write(describe(raw, args.file))
    return 0


def _find_func(data, spec: str) -> int:  # data: module.Module
    """A function index from an index, a name-section name or an export name."""
    from procs.wasm.module import EXT_FUNC

    nfuncs = len(data.imported(EXT_FUNC)) + len(data.funcs)
    if spec.isdigit():
        index = int(spec)
        if index >= nfuncs:
            raise WasmError(f"no function {index}: the module has {nfuncs}")
        return index
    name = spec.removeprefix("$")
    for index, fname in sorted(data.func_names.items()):
        if fname == name:
            return index
    for ex in data.exports:
        if ex.kind == EXT_FUNC and ex.name == name:
            return ex.index
    raise WasmError(f"no function named {spec!r} (neither in the name section nor exported)")


def _inspect_jit(args: argparse.Namespace) -> int:
    """Print the Python the JIT generates for one function (like `wasmtime explore`)."""
    from procs.wasm.module import EXT_FUNC

    if args.func is None:
        raise WasmError("inspect --jit needs a function: its index, name or export name")
    try:
        import procs.wasm.jit as jit
    except ModuleNotFoundError as e:
        if e.name != "procs.wasm.jit":
            raise
        raise WasmError("the JIT (procs/wasm/jit.py) is not available in this build") from None
    function_source = getattr(jit, "function_source", None)
    if function_source is None:
        raise WasmError("this build's JIT cannot show its source (no jit.function_source)")
    data = _load_module(args.file)._module  # decoded and validated
    index = _find_func(data, args.func)
    imported = data.imported(EXT_FUNC)
    if index < len(imported):
        imp = imported[index]
        raise WasmError(f"function {index} is an import ({imp.module}::{imp.name}): no code")
    source = function_source(data, index - len(imported))  # takes the defined index
    sys.stdout.write(source if source.endswith("\n") else source + "\n")
    return 0


def _shell(rest: list[str]) -> int:
    from wasios._shell_cmd import main as shell_main

    return shell_main(rest)


def cmd_wast(args: argparse.Namespace) -> int:

    from procs.wasm.wast_runner import LATER_PROPOSAL_FILES, run_file

    failed = 0
    for path in args.files:
        later = LATER_PROPOSAL_FILES.get(os.path.basename(path))
        if later is not None:
            print(f"{path}: {later} is not supported yet: modules that use it are skipped")
        result = run_file(path)
        for failure in result.failures:
            print(f"{path}:{failure}", file=sys.stderr)
        counts = f"{result.passed} passed, {len(result.failures)} failed, {result.skipped} skipped"
        print(f"{path}: {counts}")
        failed += len(result.failures)
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="wasios", description="Run WebAssembly programs.")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a module (.wasm or .wat) as a WASI process")
    run.add_argument(
        "--invoke", metavar="NAME", help="call this export with ARGS and print its results"
    )
    run.add_argument(
        "--dir",
        action="append",
        default=[],
        metavar="HOST[::GUEST][:ro]",
        help="give the program a host directory (read-only with :ro)",
    )
    run.add_argument(
        "--mapdir",
        action="append",
        default=[],
        metavar="GUEST::HOST",
        help="older wasmtime spelling of --dir HOST::GUEST",
    )
    run.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY[=VALUE]",
        help="set an environment variable (KEY alone: copy it from the host)",
    )
    run.add_argument("--inherit-env", action="store_true", help="pass the whole host environment")
    run.add_argument("--argv0", metavar="NAME", help="argv[0] the program sees")
    run.add_argument(
        "--tcplisten",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="listen on a host TCP socket and hand it to the program (fd 3, ...)",
    )
    run.add_argument(
        "--deterministic",
        action="store_true",
        help="reproducible run: clocks start at 2000-01-01 and advance only when the "
        "program sleeps; random_get is seeded (--seed N, default 0)",
    )
    run.add_argument("--seed", type=int, metavar="N", help="seed of a --deterministic run")
    run.add_argument(
        "--strace",
        action="store_true",
        help="trace every syscall of every process, decoded, one line each, to stderr",
    )
    run.add_argument(
        "--strace-file", metavar="FILE", help="write the --strace lines to FILE instead"
    )
    run.add_argument(
        "--strace-summary",
        action="store_true",
        help="at exit, print a table of syscall counts, errors and time (like strace -c)",
    )
    run.add_argument(
        "--jit",
        choices=("off", "lazy", "eager"),
        default=None,
        help="tier-1 translation to Python: off, lazy (default, hot code) or eager",
    )
    run.add_argument("file", help="module file, or - for stdin")
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments")
    run.set_defaults(fn=cmd_run)

    insp = sub.add_parser(
        "inspect",
        help="show a module's sections, types, imports and exports, "
        "or (--jit) the Python generated for a function",
    )
    insp.add_argument(
        "--jit", action="store_true", help="print the JIT's Python translation of FUNC"
    )
    insp.add_argument("file")
    insp.add_argument("func", nargs="?", metavar="FUNC", help="function index or name (--jit)")
    insp.set_defaults(fn=cmd_inspect)

    sh = sub.add_parser(
        "shell",
        help="the wasios shell: interactive on a terminal, or -c CMD, SCRIPT, or stdin",
        add_help=False,
    )
    sh.add_argument("rest", nargs=argparse.REMAINDER)
    sh.set_defaults(fn=lambda a: _shell(a.rest))

    wast = sub.add_parser("wast", help="run WebAssembly spec test scripts (.wast)")
    wast.add_argument("files", nargs="+")
    wast.set_defaults(fn=cmd_wast)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["shell"]:  # its own options, parsed by the shell's front end
        return _shell(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except Exhaustion as e:
        print(f"wasios: error: {e}", file=sys.stderr)
        return EXIT_TRAP
    except Trap as e:
        print(f"wasios: error: wasm trap: {e}", file=sys.stderr)
        return EXIT_TRAP
    except LinkError as e:
        print(f"wasios: error: {e}", file=sys.stderr)
        return 1
    except WasmError as e:
        print(f"wasios: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"wasios: error: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
