"""Errors raised by the VFS: `OSError`s carrying POSIX errno values.

The VFS speaks the host's language (``errno``) so that host-filesystem errors need no
translation here; the kernel maps errno to WASI errno in one function. POSIX has no
"not capable", so the one sandbox-specific error gets its own number, chosen outside
the range any POSIX system uses so it can never be confused with a host error.
"""

from __future__ import annotations

import errno as _errno
import os

#: An attempt to leave the directory a path was resolved from (``..`` above the start,
#: an absolute path, an absolute symlink target). The kernel maps it to WASI ``notcapable``.
#: (wasmtime answers such attempts with ``perm``; see RATIONALE.md.)
ENOTCAPABLE = 0x10000


class NotCapableError(PermissionError):
    """A path tried to leave its sandbox; ``.errno`` is `ENOTCAPABLE`.

    A `PermissionError` subclass, so code that only cares about "not allowed" can catch it.
    """

    def __init__(self, detail: str = "") -> None:
        super().__init__(ENOTCAPABLE, "not capable", detail or None)
        # PermissionError's constructor maps errno to a subclass only for known values;
        # set it explicitly so `.errno` is always ours.
        self.errno = ENOTCAPABLE


def fs_error(code: int, detail: str = "") -> OSError:
    """Build the `OSError` (subclass chosen by Python from the errno) for ``code``.

    ``detail`` names what failed (a path component, an operation) for logs; the kernel
    only looks at ``.errno``.
    """
    if code == ENOTCAPABLE:
        return NotCapableError(detail)
    if detail:
        return OSError(code, os.strerror(code), detail)
    return OSError(code, os.strerror(code))


def errno_name(code: int) -> str:
    """Symbolic name of an errno this module may raise (for messages and tests)."""
    if code == ENOTCAPABLE:
        return "ENOTCAPABLE"
    return _errno.errorcode.get(code, str(code))
