"""Wait queues: how a blocked syscall learns that retrying may now succeed.

Blocking in the kernel is always "try, wait for readiness, retry" (DESIGN.md §2). An
object that can make a waiter's retry succeed (a pipe gaining data or losing its last
writer, a listener gaining a connection) owns a `WaitQueue` and calls `notify()` on every
such change. A waiter parks on one or several queues at once (poll_oneoff waits on many)
through a single trio Event, so waking is one `set()` per waiter and nothing ever polls.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import trio


class WaitQueue:
    """Waiters parked until the owner reports a change of state."""

    __slots__ = ("_events",)

    def __init__(self) -> None:
        self._events: set[trio.Event] = set()

    def notify(self) -> None:
        """Wake every waiter; each retries and parks again if it still cannot proceed."""
        events, self._events = self._events, set()
        for ev in events:
            ev.set()

    def __len__(self) -> int:
        return len(self._events)


async def wait_any(queues: Iterable[WaitQueue], deadline: float = math.inf) -> bool:
    """Park until one of ``queues`` is notified or trio's clock reaches ``deadline``.

    Returns True when woken by a queue, False on the deadline. The caller must have
    checked its condition just before (with no await in between), so no wake-up can be
    lost: trio only switches tasks at an await.
    """
    ev = trio.Event()
    qs = list(queues)
    for q in qs:
        q._events.add(ev)
    try:
        with trio.move_on_at(deadline):
            await ev.wait()
            return True
        return False
    finally:
        for q in qs:
            q._events.discard(ev)
