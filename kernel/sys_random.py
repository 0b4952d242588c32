"""random_get, and the kernel's random source (seeded in deterministic mode)."""

from __future__ import annotations

import os
import random
from typing import TYPE_CHECKING

from kernel.abi import Errno
from kernel.errors import KernelError

if TYPE_CHECKING:
    from kernel.proc import Process

#: One call's cap. A guest may ask for its whole 4 GiB memory in one call; the kernel must
#: not allocate that in one message. The stub splits larger requests into calls of this size.
MAX_RANDOM_GET = 1 << 24


class RandomSource:
    """Host entropy, or a seeded generator so that deterministic runs repeat exactly."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = None if seed is None else random.Random(seed)

    def __call__(self, n: int) -> bytes:
        if self._rng is None:
            return os.urandom(n)
        return self._rng.randbytes(n)


async def random_get(proc: Process, buf_len: int) -> list[bytes]:
    """→ [buf_len random bytes]."""
    if buf_len > MAX_RANDOM_GET:
        raise KernelError(Errno.INVAL, f"random_get of {buf_len} bytes: split it")
    return [proc.kernel.random(buf_len)]
