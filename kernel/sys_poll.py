"""poll_oneoff and sched_yield.

poll_oneoff checks every subscription; if none is ready it parks on the wait queues of all
the fds involved and the earliest clock deadline at once, then checks again, and returns
every event that is ready at that moment (not just the first), as wasmtime does.
As in wasmtime, a malformed subscription (unknown clock or flags, a closed fd) fails the
whole call; an fd polled in a direction it cannot go (reading a write end) gets an event
with `BADF`, so it never makes the poll hang.

Subscriptions arrive decoded, one list each:
``[userdata, 0 (clock), clock_id, timeout, precision, flags]`` or
``[userdata, 1 (fd_read) | 2 (fd_write), fd]``; events go back as
``[userdata, errno, type, nbytes, flags]``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import trio

from kernel.abi import Clockid, Errno, Eventrwflags, Eventtype, Rights, Subclockflags
from kernel.errors import KernelError
from kernel.wait import WaitQueue, wait_any

if TYPE_CHECKING:
    from kernel.file import OpenFile, Readiness
    from kernel.proc import Process

Event = list[int]


def _clock_deadline(proc: Process, clock_id: int, timeout: int, flags: int) -> int:
    """Monotonic ns at which a clock subscription fires."""
    clock = proc.kernel.clock
    if flags & ~int(Subclockflags.SUBSCRIPTION_CLOCK_ABSTIME):
        raise KernelError(Errno.INVAL, f"subclockflags {flags:#x}")
    now = clock.monotonic_ns()
    if not flags & Subclockflags.SUBSCRIPTION_CLOCK_ABSTIME:
        if clock_id not in set(Clockid):
            raise KernelError(Errno.INVAL, f"clock id {clock_id}")
        return now + timeout
    if clock_id == Clockid.MONOTONIC:
        return timeout
    if clock_id == Clockid.REALTIME:
        return now + (timeout - clock.realtime_ns())
    # An absolute CPU-time deadline cannot be mapped onto a wall clock.
    raise KernelError(Errno.NOTSUP, f"absolute timeout on clock {clock_id}")


async def poll_oneoff(proc: Process, subscriptions: list[list[int]]) -> list[list[Event]]:
    """→ [events]: every subscription ready when the call returns (at least one)."""
    if not subscriptions:
        raise KernelError(Errno.INVAL, "no subscriptions")
    clocks: list[tuple[int, int]] = []  # (userdata, deadline ns)
    fds: list[tuple[int, int, OpenFile]] = []  # (userdata, type, file)
    for sub in subscriptions:
        userdata, tag = sub[0], sub[1]
        if tag == Eventtype.CLOCK:
            _, _, clock_id, timeout, _precision, flags = sub
            clocks.append((userdata, _clock_deadline(proc, clock_id, timeout, flags)))
        elif tag in (Eventtype.FD_READ, Eventtype.FD_WRITE):
            # A closed fd or a missing right fails the whole call, as in wasmtime.
            fds.append((userdata, tag, proc.fds.get(sub[2], Rights.POLL_FD_READWRITE).file))
        else:
            raise KernelError(Errno.INVAL, f"subscription tag {tag}")

    clock = proc.kernel.clock
    deadline = min((d for _, d in clocks), default=None)
    reached = -math.inf  # a deadline trio already woke us for (float rounding aside)
    while True:
        events: list[Event] = []
        queues: list[WaitQueue] = []
        for userdata, tag, file in fds:
            try:
                r: Readiness = (
                    file.read_readiness() if tag == Eventtype.FD_READ else file.write_readiness()
                )
            except KernelError as exc:  # the wrong direction: reported, never waited on
                events.append([userdata, int(exc.errno), tag, 0, 0])
                continue
            if r.ready:
                flags = Eventrwflags.FD_READWRITE_HANGUP if r.hangup else 0
                events.append([userdata, 0, tag, r.nbytes, int(flags)])
            else:
                queues.extend(file.queues())
        now = clock.monotonic_ns()
        for userdata, at in clocks:
            if now >= at or at <= reached:
                events.append([userdata, 0, int(Eventtype.CLOCK), 0, 0])
        if events:
            return [events]
        wake_at = math.inf if deadline is None else clock.deadline_of(deadline)
        if not await wait_any(queues, wake_at):
            reached = deadline if deadline is not None else reached


async def sched_yield(proc: Process) -> list[object]:
    """Let other kernel tasks run (a checkpoint), then return."""
    await trio.lowlevel.checkpoint()
    return []
