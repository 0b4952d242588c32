"""Host streams pumped through kernel pipes into a process's stdio."""

import trio
import trio.testing

from kernel.abi import Filetype
from kernel.stdio import pump_in, pump_out, stdin_pipe, stdout_pipe

from .conftest import ok


async def test_host_stdin_to_stdout_through_a_process(kernel):
    host_in_send, host_in_recv = trio.testing.memory_stream_pair()
    host_out_send, host_out_recv = trio.testing.memory_stream_pair()
    fd0, feed = stdin_pipe(tty=True)
    fd1, drain = stdout_pipe()
    p = kernel.spawn(["cat"], stdio=[fd0, fd1, None])
    assert (await ok(p, "fd_fdstat_get", 0))[0] == Filetype.CHARACTER_DEVICE
    received = bytearray()

    async def host_reader():
        while data := await host_out_recv.receive_some(100):
            received.extend(data)

    async with trio.open_nursery() as n:
        n.start_soon(pump_in, host_in_recv, feed)
        n.start_soon(pump_out, drain, host_out_send)
        n.start_soon(host_reader)
        await host_in_send.send_all(b"line one\n")
        await host_in_send.aclose()  # host EOF
        while chunk := (await ok(p, "fd_read", 0, [4]))[0]:  # a tiny cat
            await ok(p, "fd_write", 1, [chunk])
        kernel.exit(p, 0)  # closes fd 1: the output pump sees EOF and stops
        await trio.testing.wait_all_tasks_blocked()
        await host_out_send.aclose()
    assert bytes(received) == b"line one\n"


async def test_pump_in_stops_when_the_process_closes_stdin(kernel):
    send, recv = trio.testing.memory_stream_pair()
    fd0, feed = stdin_pipe()
    p = kernel.spawn(["p"], stdio=[fd0, None, None])
    async with trio.open_nursery() as n:
        n.start_soon(pump_in, recv, feed)
        await ok(p, "fd_close", 0)
        await send.send_all(b"nobody reads this")
    assert feed.closed
