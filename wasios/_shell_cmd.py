"""``wasios shell``: the non-interactive front end of `shell.Session`.

    wasios shell -c 'CMD' [NAME [ARG...]]    # $0 is NAME, $1… the ARGs (as sh -c)
    wasios shell SCRIPT [ARG...]             # a host file
    … | wasios shell                         # commands on stdin

Ctrl-C, TERM and HUP kill the running programs and end the script with 128 + signal.
The whole text is parsed before anything runs, so a syntax error anywhere prints one
line and runs nothing (status 2). The exit status is that of the last command (or of
``exit N``). Programs share the host's stdio through the shell's own kernel pipes.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from typing import Any

import trio

from kernel.system import parse_dirs
from shell._runner import STATUS_USAGE
from shell._session import Session
from wasios._env import environment


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="wasios shell", description="A POSIX-like shell whose programs are WASI modules."
    )
    p.add_argument("-c", dest="command", metavar="CMD", help="run CMD and exit")
    p.add_argument(
        "--dir",
        action="append",
        default=[],
        metavar="HOST[::GUEST][:ro]",
        help="mount a host directory into the VFS (read-only with :ro)",
    )
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY[=VALUE]",
        help="set an environment variable (KEY alone: copy it from the host)",
    )
    p.add_argument("--inherit-env", action="store_true", help="start with the host environment")
    p.add_argument(
        "--jit", choices=("off", "lazy", "eager"), default=None, help="tier-1 translation mode"
    )
    p.add_argument("args", nargs=argparse.REMAINDER, help="SCRIPT [ARG...], or NAME ARG... with -c")
    return p


async def _forward_signals(sh: Session, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
    """Ctrl-C, TERM and HUP end the running line (status 128 + signal) and the script,
    as they end a non-interactive sh and its foreground job."""
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM, signal.SIGHUP) as signals:
        task_status.started()
        async for sig in signals:
            sh.exited = True
            sh.interrupt(sig)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``wasios shell`` with ``argv`` (the words after ``shell``); the exit status."""
    args = build_parser().parse_args(argv)
    try:
        env = environment(args.inherit_env, args.env)
        parse_dirs(args.dir)  # a bad --dir is a usage error before anything starts
    except (ValueError, NotADirectoryError) as e:
        print(f"wasios shell: {e}", file=sys.stderr)
        return STATUS_USAGE
    rest = list(args.args)
    if args.command is not None:
        text, name = args.command, "-c"
        arg0 = rest.pop(0) if rest else "wasios"
    elif rest:
        name = arg0 = rest.pop(0)
        try:
            with open(name, "rb") as f:
                text = f.read().decode("utf-8", "surrogateescape")
        except OSError as e:
            print(f"wasios shell: {name}: {e.strerror or e}", file=sys.stderr)
            return 127
    elif sys.stdin.isatty() and sys.stdout.isatty():
        return _interactive(env, args)
    else:
        name = arg0 = "stdin"
        text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
        rest = []

    async def run() -> int:
        async with Session(env=env, dirs=args.dir, arg0=arg0, args=rest, jit=args.jit) as sh:
            async with trio.open_nursery() as nursery:
                await nursery.start(_forward_signals, sh)
                status = await sh.run_script(text, name)
                nursery.cancel_scope.cancel()
            return status

    from kernel.workers import POOL

    POOL.refill()  # a worker starts its imports while the kernel boots
    try:
        status = trio.run(run)
    except KeyboardInterrupt:
        return 130
    return status & 0xFF


def _interactive(env: dict[str, str], args: argparse.Namespace) -> int:
    """A terminal on both ends: the line editor, history, completion, jobs."""
    from kernel.workers import POOL
    from shell._interactive import run_interactive

    POOL.refill()
    status = trio.run(lambda: run_interactive(env=env, dirs=args.dir, jit=args.jit))
    return status & 0xFF


if __name__ == "__main__":
    sys.exit(main())
