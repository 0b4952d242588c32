"""args_* and environ_*: fixed for a process's life, so a worker may cache them (DESIGN.md §2).

The kernel returns the strings as UTF-8 bytes without terminators; the stub writes each
NUL-terminated into the buffer and its address into the pointer array, which is why the
sizes count one extra byte per string.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernel.proc import Process


def _encoded(strings: list[str]) -> list[bytes]:
    return [s.encode("utf-8", "surrogateescape") for s in strings]


def _sizes(strings: list[str]) -> list[int]:
    data = _encoded(strings)
    return [len(data), sum(len(b) + 1 for b in data)]


async def args_sizes_get(proc: Process) -> list[int]:
    """→ [argc, argv_buf_size (with the NULs)]."""
    return _sizes(proc.argv)


async def args_get(proc: Process) -> list[list[bytes]]:
    """→ [argv as bytes, no NULs]."""
    return [_encoded(proc.argv)]


async def environ_sizes_get(proc: Process) -> list[int]:
    """→ [environc, environ_buf_size (with the NULs)]."""
    return _sizes(proc.environ)


async def environ_get(proc: Process) -> list[list[bytes]]:
    """→ ["KEY=value" entries as bytes, no NULs]."""
    return [_encoded(proc.environ)]
