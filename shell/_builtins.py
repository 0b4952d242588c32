"""Builtins: commands the shell runs itself because they change or read the shell's own
state (cwd, variables, jobs, the VFS mount table) or the kernel's (ps, kill).

Each builtin is ``async def name(runner, argv, state, fds) -> status``; it writes with
``fds.write(1|2, text)`` so it redirects and pipes like a program. Messages are one line,
``wasios: NAME: what went wrong``; a usage error is status 2, as in bash.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import trio

from kernel.abi import Signal
from kernel.errors import KernelError
from shell._runner import PROG, Fds, ShellExit, State
from shell.errors import ShellSyntaxError

if TYPE_CHECKING:
    from shell._runner import Runner

Builtin = Callable[["Runner", list[str], State, Fds], Awaitable[int]]
BUILTINS: dict[str, Builtin] = {}
#: One line per builtin for ``help``: (usage, what it does).
HELP: dict[str, tuple[str, str]] = {}
#: Words the runner treats as keywords at the head of a pipeline.
KEYWORDS = ("time", "strace")


def builtin(name: str, usage: str, text: str, *aliases: str) -> Callable[[Builtin], Builtin]:
    def register(fn: Builtin) -> Builtin:
        for n in (name, *aliases):
            BUILTINS[n] = fn
            HELP[n] = (usage if n == name else usage.replace(name, n, 1), text)
        return fn

    return register


async def _err(fds: Fds, name: str, message: str, status: int = 1) -> int:
    await fds.write(2, f"{PROG}: {name}: {message}\n")
    return status


def _quote(value: str) -> str:
    if value and all(c.isalnum() or c in "@%+=:,./-_" for c in value):
        return value
    return "'" + value.replace("'", "'\\''") + "'"


# ---------------------------------------------------------------- directories


def _normalise(path: str) -> str:
    """Lexical ``.``/``..`` removal, as ``cd`` without -P does."""
    out: list[str] = []
    for comp in path.split("/"):
        if comp in ("", "."):
            continue
        if comp == "..":
            if out:
                out.pop()
            continue
        out.append(comp)
    return "/" + "/".join(out)


@builtin(
    "cd", "cd [DIR | -]", "change the shell's directory (HOME by default); programs get it as PWD"
)
async def b_cd(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    args = [a for a in argv[1:] if a not in ("-L", "--")]
    if len(args) > 1:
        return await _err(fds, "cd", "too many arguments")
    print_it = False
    if not args:
        target = st.vars.get("HOME")
        if not target:
            return await _err(fds, "cd", "HOME not set")
    elif args[0] == "-":
        target = st.vars.get("OLDPWD")
        if not target:
            return await _err(fds, "cd", "OLDPWD not set")
        print_it = True
    else:
        target = args[0]
    new = _normalise(r.abspath(st.cwd, target))
    try:
        node = r.namespace.lookup(new)
    except OSError as e:
        return await _err(fds, "cd", f"{target}: {e.strerror or os.strerror(e.errno or 0)}")
    try:
        if not node.is_dir:
            return await _err(fds, "cd", f"{target}: Not a directory")
    finally:
        node.close()
    st.vars["OLDPWD"] = st.cwd
    st.cwd = new
    st.vars["PWD"] = new
    if print_it:
        await fds.write(1, new + "\n")
    return 0


@builtin("pwd", "pwd", "print the shell's directory")
async def b_pwd(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    return 0 if await fds.write(1, st.cwd + "\n") else 1


# ---------------------------------------------------------------- variables


@builtin("export", "export [NAME[=VALUE]]...", "give variables to the programs the shell runs")
async def b_export(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    from shell._lexer import is_name

    args = [a for a in argv[1:] if a != "-p"]
    if not args:
        lines = [f"export {k}={_quote(st.vars[k])}" for k in sorted(st.exported) if k in st.vars]
        await fds.write(1, "".join(line + "\n" for line in lines))
        return 0
    status = 0
    for a in args:
        name, eq, value = a.partition("=")
        if not is_name(name):
            status = await _err(fds, "export", f"`{a}': not a valid identifier")
            continue
        if eq:
            st.vars[name] = value
        st.exported.add(name)
    return status


@builtin("unset", "unset NAME...", "remove variables")
async def b_unset(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    for name in argv[1:]:
        if name in ("-v", "-f"):
            continue
        st.vars.pop(name, None)
        st.exported.discard(name)
    return 0


@builtin(
    "set", "set [-euxf] [+euxf] [-- ARG...]", "shell options; with -- the positional parameters"
)
async def b_set(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    args = argv[1:]
    if not args:
        lines = [f"{k}={_quote(v)}" for k, v in sorted(st.vars.items())]
        await fds.write(1, "".join(line + "\n" for line in lines))
        return 0
    while args:
        a = args[0]
        if a == "--":
            st.args = args[1:]
            return 0
        if len(a) > 1 and a[0] in "-+" and all(c in "euxfa" for c in a[1:]):
            for c in a[1:]:
                (st.options.add if a[0] == "-" else st.options.discard)(c)
            args.pop(0)
            continue
        if a[0] in "-+":
            return await _err(fds, "set", f"{a}: invalid option", 2)
        st.args = args
        return 0
    return 0


@builtin("shift", "shift [N]", "drop the first N positional parameters")
async def b_shift(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    n = 1
    if len(argv) > 1:
        if not argv[1].isdigit():
            return await _err(fds, "shift", f"{argv[1]}: numeric argument required", 2)
        n = int(argv[1])
    if n > len(st.args):
        return 1
    st.args = st.args[n:]
    return 0


# ---------------------------------------------------------------- simple ones


@builtin("exit", "exit [N]", "leave the shell (or the subshell) with status N")
async def b_exit(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    if len(argv) > 2:
        return await _err(fds, "exit", "too many arguments")
    if len(argv) == 2:
        try:
            raise ShellExit(int(argv[1]) & 0xFF)
        except ValueError:
            await _err(fds, "exit", f"{argv[1]}: numeric argument required")
            raise ShellExit(2) from None
    raise ShellExit(st.status)


_ECHO_ESCAPES = {"a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_ECHO_ESCAPES.update({"v": "\v", "\\": "\\"})


def _echo_escapes(text: str) -> tuple[str, bool]:
    """Interpret ``echo -e`` escapes; True in the second place means ``\\c`` (stop)."""
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\" or i + 1 >= len(text):
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "c":
            return "".join(out), True
        if nxt in _ECHO_ESCAPES:
            out.append(_ECHO_ESCAPES[nxt])
            i += 2
        elif nxt == "0":
            j = i + 2
            while j < len(text) and j < i + 5 and text[j] in "01234567":
                j += 1
            out.append(chr(int(text[i + 2 : j] or "0", 8)))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out), False


@builtin("echo", "echo [-neE] [ARG...]", "print the arguments")
async def b_echo(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    args = argv[1:]
    newline, escapes = True, False
    while args and len(args[0]) > 1 and args[0][0] == "-" and set(args[0][1:]) <= set("neE"):
        for c in args[0][1:]:
            if c == "n":
                newline = False
            else:
                escapes = c == "e"
        args.pop(0)
    text = " ".join(args)
    if escapes:
        text, stop = _echo_escapes(text)
        if stop:
            newline = False
    if newline:
        text += "\n"
    if not await fds.write(1, text):
        return await _err(fds, "echo", "write error: Bad file descriptor")
    return 0


@builtin(
    "exec",
    "exec [CMD [ARG...]]",
    "run CMD and end the shell with its status; without CMD, make the redirections permanent",
)
async def b_exec(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    if len(argv) == 1:
        return 0  # the runner has already applied the redirections to the shell's table
    raise ShellExit(await r.run_argv(argv[1:], st, fds))


@builtin("read", "read [-r] [NAME...]", "read one line of stdin into variables (REPLY by default)")
async def b_read(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    import re

    raw = "-r" in argv[1:]
    names = [a for a in argv[1:] if a != "-r"] or ["REPLY"]
    f = fds.get(0)
    if f is None:
        return await _err(fds, "read", "0: Bad file descriptor")
    buf = bytearray()
    eof = False
    while True:  # a byte at a time: what follows the line stays for the next reader
        try:
            ch = await f.read(1)
        except KernelError as e:
            return await _err(fds, "read", f"read error: {e}")
        if not ch:
            eof = True
            break
        if ch == b"\n":
            if not raw and buf.endswith(b"\\"):
                del buf[-1:]
                continue
            break
        buf += ch
    line = buf.decode("utf-8", "surrogateescape")
    if not raw:
        line = re.sub(r"\\(.)", r"\1", line)
    ifs = st.vars.get("IFS", " \t\n")
    white = "".join(c for c in ifs if c in " \t\n")
    line = line.strip(white)
    if len(names) == 1 or not ifs:
        values = [line]
    else:
        values = re.split("[" + re.escape(ifs) + "]+", line, maxsplit=len(names) - 1)
    values += [""] * (len(names) - len(values))
    for name, value in zip(names, values, strict=False):
        st.vars[name] = value.strip(white) if name != names[-1] else value
    return 1 if eof and not buf else 0


@builtin(":", ":", "do nothing, successfully")
async def b_colon(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    return 0


@builtin("history", "history [-c]", "the lines typed in this session")
async def b_history(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    if argv[1:] == ["-c"]:
        r.history.clear()
        return 0
    lines = [f"{i:5d}  {line}\n" for i, line in enumerate(r.history, 1)]
    await fds.write(1, "".join(lines))
    return 0


@builtin("help", "help [NAME]", "list the builtins, or describe one")
async def b_help(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    if len(argv) > 1:
        status = 0
        for name in argv[1:]:
            if name not in HELP:
                status = await _err(fds, "help", f"no help topics match `{name}'")
                continue
            usage, text = HELP[name]
            await fds.write(1, f"{usage}\n    {text}\n")
        return status
    width = max(len(u) for u, _ in HELP.values())
    lines = [f"{u:<{width}}  {t}\n" for _, (u, t) in sorted(HELP.items())]
    await fds.write(1, "wasios shell builtins:\n" + "".join(lines))
    return 0


# ---------------------------------------------------------------- lookup


def _describe(r: Runner, name: str, st: State) -> tuple[str, str] | None:
    """(kind, where): ("keyword"|"builtin"|"file", path) or None."""
    if name in KEYWORDS:
        return "keyword", name
    if name in BUILTINS:
        return "builtin", name
    path = r.which(name, st)
    if path is None or "/" in name and not _exists(r, path):
        return None
    return "file", path


def _exists(r: Runner, path: str) -> bool:
    try:
        r.namespace.lookup(path).close()
    except OSError:
        return False
    return True


@builtin("type", "type NAME...", "say how a name would run: keyword, builtin or which file")
async def b_type(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    status = 0
    for name in argv[1:]:
        found = _describe(r, name, st)
        if found is None:
            status = await _err(fds, "type", f"{name}: not found")
        elif found[0] == "keyword":
            await fds.write(1, f"{name} is a shell keyword\n")
        elif found[0] == "builtin":
            await fds.write(1, f"{name} is a shell builtin\n")
        else:
            await fds.write(1, f"{name} is {found[1]}\n")
    return status


@builtin("which", "which NAME...", "the file PATH finds for each name")
async def b_which(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    status = 0
    for name in argv[1:]:
        found = _describe(r, name, st)
        if found is None:
            status = 1
        elif found[0] == "file":
            await fds.write(1, found[1] + "\n")
        else:
            await fds.write(1, f"{name}: shell {found[0]}\n")
    return status


@builtin("source", "source FILE [ARG...]", "run the commands of FILE in this shell", ".")
async def b_source(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    from shell._parser import parse

    if len(argv) < 2:
        return await _err(fds, argv[0], "filename argument required", 2)
    try:
        text = r.read_file(st.cwd, argv[1]).decode("utf-8", "surrogateescape")
    except OSError as e:
        return await _err(fds, argv[0], f"{argv[1]}: {e.strerror or e}")
    try:
        tree = parse(text)
    except ShellSyntaxError as e:
        return await _err(fds, argv[1], str(e), 2)
    saved = st.args
    if len(argv) > 2:
        st.args = argv[2:]
    try:
        return await r.run(tree, st, fds)
    finally:
        if len(argv) > 2:
            st.args = saved


# ---------------------------------------------------------------- jobs


@builtin("jobs", "jobs [-lp]", "the background jobs, and whether they are done")
async def b_jobs(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    opts = "".join(a[1:] for a in argv[1:] if a.startswith("-"))
    latest = max(r.jobs, default=None)
    out = []
    for i in sorted(r.jobs):
        job = r.jobs[i]
        if "p" in opts:
            out.append(f"{job.leader}\n")
        else:
            line = r.job_line(job, current=i == latest)
            if "l" in opts:
                line = line.replace("  ", f"  {job.leader} ", 1)
            out.append(line + "\n")
        if not job.running:
            job.reported = True
    await fds.write(1, "".join(out))
    r.forget_done_jobs()
    return 0


def _job_arg(r: Runner, arg: str | None) -> tuple[object, str | None]:
    if arg is None:
        job = r.find_job("%%")
        return job, None if job else "current: no such job"
    if arg.startswith("%"):
        job = r.find_job(arg)
        return job, None if job else f"{arg}: no such job"
    if arg.isdigit():
        job = r.job_of_pid(int(arg))
        return job, None if job else f"{arg}: no such job"
    return None, f"{arg}: no such job"


@builtin("fg", "fg [%JOB]", "wait for a background job in the foreground")
async def b_fg(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    job, err = _job_arg(r, argv[1] if len(argv) > 1 else None)
    if err:
        return await _err(fds, "fg", err)
    await fds.write(1, job.text + "\n")  # type: ignore[union-attr]
    return await _wait_job(r, job, st)


@builtin(
    "bg",
    "bg [%JOB]",
    "resume a stopped job: jobs never stop here (no SIGTSTP), so it only checks the job",
)
async def b_bg(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    job, err = _job_arg(r, argv[1] if len(argv) > 1 else None)
    if err:
        return await _err(fds, "bg", err)
    if job.running:  # type: ignore[union-attr]
        return await _err(fds, "bg", f"job {job.id} already in background", 0)  # type: ignore[union-attr]
    return await _err(fds, "bg", f"job {job.id} has terminated")  # type: ignore[union-attr]


async def _wait_job(r: Runner, job: object, st: State) -> int:
    await job.done.wait()  # type: ignore[attr-defined]
    job.reported = True  # type: ignore[attr-defined]
    if r.jobs.get(job.id) is job:  # type: ignore[attr-defined]
        del r.jobs[job.id]  # type: ignore[attr-defined]
    return job.status if job.status is not None else 0  # type: ignore[attr-defined]


@builtin("wait", "wait [%JOB | PID]...", "wait for jobs (all by default); the status of the last")
async def b_wait(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    if len(argv) == 1:
        for job in list(r.jobs.values()):
            await _wait_job(r, job, st)
        return 0
    status = 0
    for arg in argv[1:]:
        if arg.isdigit():
            pid = int(arg)
            job = r.job_of_pid(pid)
            rec = r.records.get(pid)
            if job is None and rec is None:
                status = await _err(fds, "wait", f"pid {pid} is not a child of this shell", 127)
                continue
            if job is not None:
                status = await _wait_job(r, job, st)
            if rec is not None and rec.status is not None:
                status = rec.status  # the process's own status, not its job's
        else:
            job, err = _job_arg(r, arg)
            if err:
                status = await _err(fds, "wait", err, 127)
                continue
            status = await _wait_job(r, job, st)
    return status


def _signal(text: str) -> int | None:
    t = text.upper().removeprefix("SIG")
    if t.isdigit():
        n = int(t)
        return n if 0 <= n <= max(Signal) else None
    try:
        return int(Signal[t])
    except KeyError:
        return None


@builtin("kill", "kill [-SIG | -s SIG] %JOB|PID...  |  kill -l", "end processes or jobs by signal")
async def b_kill(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    args = argv[1:]
    sig = int(Signal.TERM)
    if args and args[0] == "-l":
        names = [s.name for s in Signal if s]
        await fds.write(1, " ".join(names) + "\n")
        return 0
    if args and args[0] in ("-s", "-n") and len(args) > 1:
        found = _signal(args[1])
        if found is None:
            return await _err(fds, "kill", f"{args[1]}: invalid signal specification")
        sig, args = found, args[2:]
    elif args and args[0].startswith("-") and args[0] != "--" and len(args[0]) > 1:
        found = _signal(args[0][1:])
        if found is None:
            return await _err(fds, "kill", f"{args[0][1:]}: invalid signal specification")
        sig, args = found, args[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        return await _err(fds, "kill", "usage: kill [-SIG] %JOB|PID...", 2)
    status = 0
    for a in args:
        if a.startswith("%"):
            job = r.find_job(a)
            if job is None:
                status = await _err(fds, "kill", f"{a}: no such job")
            elif sig and job.running:
                job.kill(sig)
            continue
        if not a.isdigit():
            status = await _err(fds, "kill", f"{a}: arguments must be process or job IDs")
            continue
        pid = int(a)
        proc = r.kernel.procs.get(pid)
        if proc is None or not proc.running or pid == r.shell_proc.pid and sig:
            if proc is None or not proc.running:
                status = await _err(fds, "kill", f"({pid}) - No such process")
            else:
                status = await _err(fds, "kill", f"({pid}) - the shell itself cannot be killed")
            continue
        if sig == 0:
            continue
        job = r.job_of_pid(pid)
        if job is not None:
            job.killed_by = sig if pid == job.leader else job.killed_by
        try:
            r.kernel.kill(pid, sig)
        except KernelError as e:
            status = await _err(fds, "kill", f"({pid}) - {e}")
    await trio.lowlevel.checkpoint()
    return status


# ---------------------------------------------------------------- processes and mounts


def _cpu(ns: int | None) -> str:
    if ns is None:
        return "?"
    s = ns / 1e9
    m, s = divmod(s, 60)
    return f"{int(m)}:{s:05.2f}"


@builtin("ps", "ps", "every process in the kernel: pid, parent, tenant, state, CPU time, command")
async def b_ps(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    rows = r.process_rows()
    lines = [f"{'PID':>5} {'PPID':>5} {'TENANT':<10} {'STATE':<8} {'TIME':>8} COMMAND"]
    for pid, ppid, tenant, state, cpu, cmd in rows:
        parent = "-" if ppid is None else str(ppid)
        lines.append(f"{pid:>5} {parent:>5} {tenant:<10} {state:<8} {_cpu(cpu):>8} {cmd}")
    await fds.write(1, "\n".join(lines) + "\n")
    return 0


@builtin("mount", "mount [-r] HOST GUEST", "mount a host directory into the VFS (-r: read-only)")
async def b_mount(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    args = argv[1:]
    readonly = False
    while args:
        if args[0] == "-r":
            readonly = True
            args.pop(0)
        elif args[0] == "-o" and len(args) > 1:
            readonly = readonly or "ro" in args[1].split(",")
            args = args[2:]
        else:
            break
    if not args:
        lines = [
            f"{host} on {guest} type host ({'ro' if ro else 'rw'})\n"
            for host, guest, ro in r.mounts
        ]
        await fds.write(1, "".join(lines))
        return 0
    if len(args) != 2:
        return await _err(fds, "mount", "usage: mount [-r] HOST GUEST", 2)
    host, guest = args
    if not os.path.isdir(host):
        return await _err(fds, "mount", f"{host}: not a directory on the host")
    target = _normalise(r.abspath(st.cwd, guest))
    try:
        r.namespace.mount_host(os.path.abspath(host), target, readonly=readonly)
    except OSError as e:
        return await _err(fds, "mount", f"{guest}: {e.strerror or e}")
    r.mounts.append((os.path.abspath(host), target, readonly))
    return 0


@builtin("umount", "umount GUEST", "remove the mount at GUEST")
async def b_umount(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    if len(argv) != 2:
        return await _err(fds, "umount", "usage: umount GUEST", 2)
    target = _normalise(r.abspath(st.cwd, argv[1]))
    try:
        r.namespace.umount(target)
    except OSError as e:
        return await _err(fds, "umount", f"{argv[1]}: {e.strerror or e}")
    for k in range(len(r.mounts) - 1, -1, -1):
        if r.mounts[k][1] == target:
            del r.mounts[k]
            break
    return 0


# ---------------------------------------------------------------- time, strace (as commands)


@builtin(
    "time",
    "time PIPELINE",
    "wall time, CPU time of the workers, syscall count and peak RSS of a pipeline",
)
async def b_time(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    # Reached only when `time` is not at the head of a pipeline (`x=1 time cmd`).
    from shell._nodes import Lit, Simple, Word

    words = tuple(Word((Lit(a, True),), a) for a in argv[1:])
    statuses = await r.timed(Simple((), words, ()) if words else None, (), st, fds, None)
    return statuses[-1]


@builtin("strace", "strace [-c] [-o FILE] PIPELINE", "trace the syscalls of a pipeline's processes")
async def b_strace(r: Runner, argv: list[str], st: State, fds: Fds) -> int:
    from shell._nodes import Lit, Simple, Word

    words = tuple(Word((Lit(a, True),), a) for a in argv[1:])
    statuses = await r.traced(Simple((), words, ()) if words else None, (), st, fds, None)
    return statuses[-1]
