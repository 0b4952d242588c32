"""clock_res_get / clock_time_get, and the kernel clock they read.

The kernel reads time through trio's clock (`trio.current_time`), the same clock that
poll_oneoff's timeouts wait on, so a test running under `trio.testing.MockClock` controls
both what the guest reads and when its sleeps end. In deterministic mode the realtime
clock starts at a fixed instant and advances with that clock; otherwise it is the host's.
Process and thread CPU time are what the worker reports for the process (it alone sees the
guest run); until one reports, the time since spawn stands in.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import trio

from kernel.abi import Clockid, Errno
from kernel.errors import KernelError

if TYPE_CHECKING:
    from kernel.proc import Process

#: Realtime start of a deterministic run: 2000-01-01T00:00:00Z (a recognisable date).
DETERMINISTIC_START_NS = 946_684_800 * 10**9
#: Monotonic clock origin: an arbitrary nonzero value, as on a host that has been up a while.
MONOTONIC_START_NS = 10**12


class KernelClock:
    """Time as the guest sees it."""

    def __init__(self, *, deterministic: bool = False, start_ns: int = DETERMINISTIC_START_NS):
        self.deterministic = deterministic
        self.start_ns = start_ns
        self._boot: float | None = None  # trio time of the first reading

    def _trio_now(self) -> float:
        try:
            now = trio.current_time()
        except RuntimeError:  # outside trio (building a filesystem before the run)
            return self._boot or 0.0
        if self._boot is None:
            self._boot = now
        return now

    def monotonic_ns(self) -> int:
        """Nanoseconds on a clock that never goes back; trio deadlines use the same clock."""
        now = self._trio_now()
        return MONOTONIC_START_NS + round((now - (self._boot or 0.0)) * 1e9)

    def deadline_of(self, monotonic_ns: int) -> float:
        """The trio time at which `monotonic_ns` reads ``monotonic_ns``."""
        self._trio_now()
        return (self._boot or 0.0) + (monotonic_ns - MONOTONIC_START_NS) / 1e9

    def realtime_ns(self) -> int:
        """Nanoseconds since the Unix epoch (fixed start in deterministic mode)."""
        if self.deterministic:
            return self.start_ns + self.monotonic_ns() - MONOTONIC_START_NS
        return time.time_ns()

    def now(self, clock_id: int, proc: Process | None = None) -> int:
        """Reading of ``clock_id``: `INVAL` for an unknown one."""
        if clock_id == Clockid.REALTIME:
            return self.realtime_ns()
        if clock_id == Clockid.MONOTONIC:
            return self.monotonic_ns()
        if clock_id in (Clockid.PROCESS_CPUTIME_ID, Clockid.THREAD_CPUTIME_ID):
            if proc is None:
                return 0
            if proc.cpu_time_ns is not None:
                return proc.cpu_time_ns
            return max(0, self.monotonic_ns() - proc.start_ns)
        raise KernelError(Errno.INVAL, f"clock id {clock_id}")

    def resolution(self, clock_id: int) -> int:
        """Resolution in ns: 1 for the wall clocks, 1 µs for CPU time (worker reports)."""
        if clock_id in (Clockid.REALTIME, Clockid.MONOTONIC):
            return 1
        if clock_id in (Clockid.PROCESS_CPUTIME_ID, Clockid.THREAD_CPUTIME_ID):
            return 1000
        raise KernelError(Errno.INVAL, f"clock id {clock_id}")


async def clock_res_get(proc: Process, id: int) -> list[int]:
    """→ [resolution_ns]."""
    return [proc.kernel.clock.resolution(id)]


async def clock_time_get(proc: Process, id: int, precision: int) -> list[int]:
    """→ [time_ns]. ``precision`` is a hint the kernel may ignore (all runtimes do)."""
    return [proc.kernel.clock.now(id, proc)]
