"""Character devices: ``/dev/null``, ``/dev/zero`` and ``/dev/urandom``.

They ignore offsets, as their Linux counterparts do, and live in a small in-memory
filesystem of their own (`make_devfs`) that the namespace mounts at ``/dev``.
"""

from __future__ import annotations

import errno
import os
import random
import time
from collections.abc import Callable

from vfs.errors import fs_error
from vfs.memfs import MemFs, MemNode
from vfs.node import Clock, FileType

#: Where ``/dev/urandom`` gets its bytes: n → n bytes.
RandomSource = Callable[[int], bytes]

#: Longest single read a device answers (a guest asking for 4 GiB gets this much).
MAX_DEVICE_READ = 1 << 20


def seeded_random(seed: int) -> RandomSource:
    """A reproducible byte source for deterministic runs (NOT cryptographic)."""
    rng = random.Random(seed)
    return rng.randbytes


class CharDevice(MemNode):
    """Base of character devices: reads and writes ignore the offset; no size."""

    filetype = FileType.CHARACTER_DEVICE

    def _check(self, offset: int, n: int) -> int:
        if offset < 0 or n < 0:
            raise fs_error(errno.EINVAL, "negative offset or length")
        return min(n, MAX_DEVICE_READ)

    def write_at(self, offset: int, data: bytes) -> int:
        self._check(offset, 0)
        return len(data)

    def set_size(self, size: int) -> None:
        raise fs_error(errno.EINVAL, "set_size on a character device")


class DevNull(CharDevice):
    """Reads end of file at once; writes vanish."""

    def read_at(self, offset: int, n: int) -> bytes:
        self._check(offset, n)
        return b""


class DevZero(CharDevice):
    """Reads zeros; writes vanish."""

    def read_at(self, offset: int, n: int) -> bytes:
        return bytes(self._check(offset, n))


class DevUrandom(CharDevice):
    """Reads random bytes from its source; writes are accepted (and ignored), as on Linux."""

    def __init__(self, fs: MemFs, source: RandomSource = os.urandom) -> None:
        super().__init__(fs)
        self.source = source

    def read_at(self, offset: int, n: int) -> bytes:
        return self.source(self._check(offset, n))


def make_devfs(*, clock: Clock = time.time_ns, random_source: RandomSource = os.urandom) -> MemFs:
    """A filesystem whose root holds ``null``, ``zero`` and ``urandom``."""
    fs = MemFs(clock=clock)
    fs.root.add("null", DevNull(fs))
    fs.root.add("zero", DevZero(fs))
    fs.root.add("urandom", DevUrandom(fs, random_source))
    return fs
