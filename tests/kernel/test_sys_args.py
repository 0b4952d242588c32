"""args_* and environ_*: sizes count the NULs; data comes back as bytes without them."""

from .conftest import ok


async def test_args(kernel):
    p = kernel.spawn(["prog", "héllo", ""])
    assert await ok(p, "args_sizes_get") == [3, 5 + 7 + 1]
    assert await ok(p, "args_get") == [[b"prog", "héllo".encode(), b""]]


async def test_environ(kernel):
    p = kernel.spawn(["prog"], {"A": "1", "PATH": "/bin"})
    assert await ok(p, "environ_sizes_get") == [2, 4 + 10]
    assert await ok(p, "environ_get") == [[b"A=1", b"PATH=/bin"]]


async def test_empty_environ(kernel):
    p = kernel.spawn(["prog"])
    assert await ok(p, "environ_sizes_get") == [0, 0]
    assert await ok(p, "environ_get") == [[]]
