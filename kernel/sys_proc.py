"""proc_exit and proc_raise.

WASI has no signal handlers, so raising a signal applies its POSIX default action:
terminate (status 128 + sig, as a shell reports a signalled child) or, for the signals
whose default is to be ignored, nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import Errno, Signal
from kernel.errors import KernelError

if TYPE_CHECKING:
    from kernel.proc import Process

#: Signals whose POSIX default action is "ignore" (CONT's "continue" included: nothing is
#: stopped), and the stop signals, which have no job control to act on yet.
IGNORED_BY_DEFAULT = {Signal.CHLD, Signal.CONT, Signal.URG, Signal.WINCH}
STOP_SIGNALS = {Signal.STOP, Signal.TSTP, Signal.TTIN, Signal.TTOU}


async def proc_exit(proc: Process, rval: int) -> list[object]:
    """End the process with status ``rval``; no reply reaches the guest (the stub unwinds it).

    Its fds close here, so pipe readers see EOF before any waiter learns the status.
    """
    proc.kernel.exit(proc, rval)
    return []


async def proc_raise(proc: Process, sig: int) -> list[object]:
    """Apply ``sig``'s default action to the caller: terminate, or ignore."""
    if sig == Signal.NONE:
        return []
    if not 0 < sig <= max(Signal):
        raise KernelError(Errno.INVAL, f"signal {sig}")
    if sig in IGNORED_BY_DEFAULT or sig in STOP_SIGNALS:
        return []
    proc.kernel._end_by_signal(proc, sig)
    return []
