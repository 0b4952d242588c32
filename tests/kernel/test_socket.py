"""kernel/socket.py: virtual listeners, connections, shutdown, backlog."""

import pytest

from kernel.abi import Errno, Sdflags
from kernel.errors import KernelError
from kernel.socket import connect, listen, socketpair


async def test_socketpair_carries_both_ways_and_eof_on_shutdown():
    a, b = socketpair()
    a.acquire()
    b.acquire()
    await a.write(b"ping")
    assert await b.read(10) == b"ping"
    await b.write(b"pong")
    assert await a.read(10) == b"pong"
    a.shutdown(Sdflags.WR)
    assert await b.read(10) == b""
    with pytest.raises(KernelError) as exc:
        await a.write(b"x")
    assert exc.value.errno == Errno.PIPE
    b.release()
    with pytest.raises(KernelError) as exc:  # peer fully closed
        await a.write(b"x")
    assert exc.value.errno == Errno.PIPE


async def test_listen_connect_and_address_rules(kernel):
    lst = listen(kernel, "svc")
    lst.acquire()
    with pytest.raises(KernelError) as exc:
        listen(kernel, "svc")
    assert exc.value.errno == Errno.ADDRINUSE
    with pytest.raises(KernelError) as exc:
        connect(kernel, "nobody")
    assert exc.value.errno == Errno.CONNREFUSED
    client = connect(kernel, "svc")
    client.acquire()
    server = await lst.accept(0)
    server.acquire()
    await client.write(b"hi")
    assert await server.read(5) == b"hi"
    lst.release()
    assert "svc" not in kernel.listeners


async def test_backlog_limit_and_close_refuses_pending(kernel):
    lst = listen(kernel, "svc", backlog=1)
    lst.acquire()
    c1 = connect(kernel, "svc")
    c1.acquire()
    with pytest.raises(KernelError) as exc:
        connect(kernel, "svc")
    assert exc.value.errno == Errno.CONNREFUSED
    lst.release()  # the queued connection is closed: the client reads EOF
    assert await c1.read(10) == b""
