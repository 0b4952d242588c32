"""Host TCP listeners on loopback, bridged onto kernel sockets."""

import socket

import pytest
import trio

from kernel.abi import Errno
from kernel.errors import KernelError
from kernel.hostsock import tcp_listen

from .conftest import ok


async def test_loopback_client_talks_to_a_guest_server(kernel):
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            listener, port = await tcp_listen(kernel, nursery, "127.0.0.1", 0)
            server = kernel.spawn(["server"])
            lfd = server.fds.install(listener, listener.max_rights)
            client = await trio.open_tcp_stream("127.0.0.1", port)
            (cfd,) = await ok(server, "sock_accept", lfd, 0)
            await client.send_all(b"GET / HTTP/1.0\r\n\r\n")
            got = b""
            while not got.endswith(b"\r\n\r\n"):
                (chunk,) = (await ok(server, "sock_recv", cfd, [100], 0))[:1]
                assert chunk
                got += chunk
            assert got == b"GET / HTTP/1.0\r\n\r\n"
            await ok(server, "sock_send", cfd, [b"HTTP/1.0 200 OK\r\n"], 0)
            await ok(server, "sock_shutdown", cfd, 2)
            reply = b""
            while data := await client.receive_some(100):
                reply += data
            assert reply == b"HTTP/1.0 200 OK\r\n"
            await client.send_all(b"bye")
            await client.aclose()
            # the host closed: the guest reads what was sent, then EOF
            got = b""
            while chunk := (await ok(server, "sock_recv", cfd, [100], 0))[0]:
                got += chunk
            assert got == b"bye"
            kernel.exit(server, 0)  # closes the listener: accepting stops, nursery ends
        assert listener.address not in kernel.listeners


async def test_port_in_use_is_addrinuse(kernel):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    try:
        async with trio.open_nursery() as nursery:
            with pytest.raises(KernelError) as exc:
                await tcp_listen(kernel, nursery, "127.0.0.1", s.getsockname()[1])
            assert exc.value.errno == Errno.ADDRINUSE
    finally:
        s.close()
