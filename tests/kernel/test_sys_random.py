"""random_get: seeded in deterministic mode, host entropy otherwise, bounded per call."""

from kernel.abi import Errno
from kernel.proc import Kernel
from kernel.sys_random import MAX_RANDOM_GET

from .conftest import err, ok


async def test_seeded_runs_repeat():
    a = Kernel(deterministic=True, seed=1).spawn(["a"])
    b = Kernel(deterministic=True, seed=1).spawn(["b"])
    c = Kernel(deterministic=True, seed=2).spawn(["c"])
    ra, rb, rc = [(await ok(p, "random_get", 32))[0] for p in (a, b, c)]
    assert ra == rb != rc and len(ra) == 32


async def test_host_entropy_and_zero_length():
    p = Kernel().spawn(["p"])
    (x,) = await ok(p, "random_get", 16)
    (y,) = await ok(p, "random_get", 16)
    assert len(x) == 16 and x != y
    assert await ok(p, "random_get", 0) == [b""]


async def test_oversized_request_is_refused(proc):
    assert await err(proc, "random_get", MAX_RANDOM_GET + 1) == Errno.INVAL
