"""sock_accept / sock_recv / sock_send / sock_shutdown on in-kernel virtual sockets."""

import trio

from kernel.abi import Errno, Eventtype, Fdflags, Filetype, Riflags, Rights, Sdflags
from kernel.socket import connect, listen

from .conftest import err, ok


async def server_and_client(kernel):
    lst = listen(kernel, "web")
    server = kernel.spawn(["server"], stdio=[None, None, None])
    lfd = server.fds.install(lst, lst.max_rights)
    client_end = connect(kernel, "web")
    client = kernel.spawn(["client"], stdio=[client_end, None, None])
    return server, lfd, client


async def test_sock_accept_and_exchange(kernel):
    server, lfd, client = await server_and_client(kernel)
    (cfd,) = await ok(server, "sock_accept", lfd, 0)
    ftype, flags, base, _ = await ok(server, "fd_fdstat_get", cfd)
    assert ftype == Filetype.SOCKET_STREAM and base & Rights.SOCK_SHUTDOWN and flags == 0
    assert await ok(client, "sock_send", 0, [b"GET ", b"/"], 0) == [5]
    assert await ok(server, "sock_recv", cfd, [2, 10], 0) == [b"GET /", 0]
    assert await ok(server, "fd_write", cfd, [b"200"]) == [3]  # fd_write works on sockets
    assert await ok(client, "fd_read", 0, [10]) == [b"200"]


async def test_sock_accept_blocks_and_nonblocking_gets_again(kernel):
    lst = listen(kernel, "q")
    server = kernel.spawn(["server"])
    lfd = server.fds.install(lst, lst.max_rights)
    (events,) = await ok(server, "poll_oneoff", [[1, Eventtype.FD_READ, lfd], [2, 0, 1, 0, 0, 0]])
    assert [e[0] for e in events] == [2]  # nothing to accept yet
    await ok(server, "fd_fdstat_set_flags", lfd, Fdflags.NONBLOCK)
    assert await err(server, "sock_accept", lfd, 0) == Errno.AGAIN
    await ok(server, "fd_fdstat_set_flags", lfd, 0)
    got = []

    async def acceptor():
        got.append(await ok(server, "sock_accept", lfd, Fdflags.NONBLOCK))

    async with trio.open_nursery() as n:
        n.start_soon(acceptor)
        await trio.testing.wait_all_tasks_blocked()
        assert got == []
        connect(kernel, "q").acquire()
    (cfd,) = got[0]
    assert (await ok(server, "fd_fdstat_get", cfd))[1] == Fdflags.NONBLOCK
    assert await err(server, "sock_recv", cfd, [10], 0) == Errno.AGAIN


async def test_sock_accept_errors(kernel, proc):
    server, lfd, client = await server_and_client(kernel)
    assert await err(proc, "sock_accept", 3, 0) == Errno.NOTSOCK  # a directory
    assert await err(server, "sock_accept", lfd, 1) == Errno.INVAL  # APPEND
    assert await err(client, "sock_accept", 0, 0) == Errno.INVAL  # connected, not listening
    assert await err(server, "sock_accept", 77, 0) == Errno.BADF
    _, _, base, inh = await ok(server, "fd_fdstat_get", lfd)
    await ok(server, "fd_fdstat_set_rights", lfd, base & ~Rights.SOCK_ACCEPT, inh)
    assert await err(server, "sock_accept", lfd, 0) == Errno.NOTCAPABLE


async def test_sock_recv_peek_and_waitall(kernel):
    server, lfd, client = await server_and_client(kernel)
    (cfd,) = await ok(server, "sock_accept", lfd, 0)
    await ok(client, "sock_send", 0, [b"abc"], 0)
    assert await ok(server, "sock_recv", cfd, [10], Riflags.RECV_PEEK) == [b"abc", 0]
    assert await ok(server, "sock_recv", cfd, [2], 0) == [b"ab", 0]
    got = []

    async def reader():
        got.append(await ok(server, "sock_recv", cfd, [4], Riflags.RECV_WAITALL))

    async with trio.open_nursery() as n:
        n.start_soon(reader)
        await trio.testing.wait_all_tasks_blocked()
        await ok(client, "sock_send", 0, [b"de"], 0)
        await trio.testing.wait_all_tasks_blocked()
        assert got == []  # 3 of 4 bytes: still waiting
        await ok(client, "sock_send", 0, [b"fg"], 0)
    assert got == [[b"cdef", 0]]
    assert await err(server, "sock_recv", cfd, [1], 4) == Errno.INVAL


async def test_sock_send_and_recv_errors(kernel, proc):
    server, lfd, client = await server_and_client(kernel)
    assert await err(proc, "sock_recv", 0, [1], 0) == Errno.NOTSOCK
    assert await err(proc, "sock_send", 1, [b"x"], 0) == Errno.NOTSOCK
    assert await err(server, "sock_recv", lfd, [1], 0) == Errno.NOTCONN
    assert await err(client, "sock_send", 0, [b"x"], 1) == Errno.INVAL
    _, _, base, inh = await ok(client, "fd_fdstat_get", 0)
    await ok(client, "fd_fdstat_set_rights", 0, base & ~Rights.FD_WRITE, inh)
    assert await err(client, "sock_send", 0, [b"x"], 0) == Errno.NOTCAPABLE


async def test_sock_shutdown(kernel):
    server, lfd, client = await server_and_client(kernel)
    (cfd,) = await ok(server, "sock_accept", lfd, 0)
    assert await ok(client, "sock_shutdown", 0, Sdflags.WR) == []
    assert await ok(server, "sock_recv", cfd, [10], 0) == [b"", 0]  # EOF
    (events,) = await ok(server, "poll_oneoff", [[1, Eventtype.FD_READ, cfd]])
    assert events[0][4] == 1  # hangup
    assert await err(client, "sock_send", 0, [b"x"], 0) == Errno.PIPE
    assert await ok(server, "sock_shutdown", cfd, Sdflags.RD | Sdflags.WR) == []
    assert await ok(server, "sock_recv", cfd, [10], 0) == [b"", 0]
    assert await err(server, "sock_shutdown", cfd, 0) == Errno.INVAL
    assert await err(server, "sock_shutdown", cfd, 4) == Errno.INVAL
    assert await err(server, "sock_shutdown", lfd, Sdflags.RD) == Errno.NOTCONN


async def test_server_exit_gives_client_eof(kernel):
    server, lfd, client = await server_and_client(kernel)
    await ok(server, "sock_accept", lfd, 0)
    kernel.exit(server, 0)
    assert await ok(client, "fd_read", 0, [10]) == [b""]
    assert "web" not in kernel.listeners
