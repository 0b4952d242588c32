"""``wasios shell``: the non-interactive front end of `shell.Session`.

    wasios shell -c 'CMD' [NAME [ARG...]]    # $0 is NAME, $1… the ARGs (as sh -c)
    wasios shell SCRIPT [ARG...]             # a host file
    … | wasios shell                         # commands on stdin

The whole text is parsed before anything runs, so a syntax error anywhere prints one
line and runs nothing (status 2). The exit status is that of the last command (or of
``exit N``). Programs share the host's stdio through the shell's own kernel pipes.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import trio

from shell._runner import STATUS_USAGE
from shell._session import Session


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


def _environment(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ) if args.inherit_env else {}
    for item in args.env:
        key, sep, value = item.partition("=")
        if not key:
            raise ValueError(f"--env {item!r}: expected KEY=VALUE or KEY")
        if sep:
            env[key] = value
        elif key in os.environ:
            env[key] = os.environ[key]
    return env


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``wasios shell`` with ``argv`` (the words after ``shell``); the exit status."""
    args = build_parser().parse_args(argv)
    try:
        env = _environment(args)
        for d in args.dir:
            host = d[:-3] if d.endswith(":ro") else d
            host = host.partition("::")[0]
            if not os.path.isdir(host):
                raise ValueError(f"--dir {d}: not a directory")
    except ValueError as e:
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
    else:
        name = arg0 = "stdin"
        text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
        rest = []

    async def run() -> int:
        async with Session(env=env, dirs=args.dir, arg0=arg0, args=rest, jit=args.jit) as sh:
            return await sh.run_script(text, name)

    from kernel.workers import POOL

    POOL.refill()  # a worker starts its imports while the kernel boots
    try:
        status = trio.run(run)
    except KeyboardInterrupt:
        return 130
    return status & 0xFF


if __name__ == "__main__":
    sys.exit(main())
