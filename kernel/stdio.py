"""Connecting host byte streams to kernel pipes: how the host's stdin/stdout reach a process.

A process's stdio is always a kernel pipe end (shown as a terminal when the host side is
one), and a pump task copies between the pipe and a trio stream (the host's fd 0/1/2 via
`trio.lowlevel.FdStream`, a socket, or a memory stream in tests). So blocking, EOF,
poll readiness and `PIPE` work the same whoever is on the other side, and host EOF on
stdin reaches the guest at once: the pump closes the pipe's write end.
"""

from __future__ import annotations

import trio

from kernel.file import PipeReadFile, PipeWriteFile
from kernel.pipe import Pipe

CHUNK = 65536


def stdin_pipe(*, tty: bool = False) -> tuple[PipeReadFile, PipeWriteFile]:
    """(the process's fd 0, the end `pump_in` feeds)."""
    pipe = Pipe()
    return PipeReadFile(pipe, tty=tty), PipeWriteFile(pipe)


def stdout_pipe(*, tty: bool = False) -> tuple[PipeWriteFile, PipeReadFile]:
    """(the process's fd 1 or 2, the end `pump_out` drains)."""
    pipe = Pipe()
    return PipeWriteFile(pipe, tty=tty), PipeReadFile(pipe)


async def pump_in(source: trio.abc.ReceiveStream, sink: PipeWriteFile) -> None:
    """Copy host input into the pipe until host EOF or no reader is left; then close it."""
    sink.acquire()
    try:
        while data := await source.receive_some(CHUNK):
            if sink.pipe.readers == 0:
                break
            try:
                await sink.write(data)
            except Exception:  # PIPE: the process closed its stdin
                break
    finally:
        sink.release()


async def pump_out(source: PipeReadFile, sink: trio.abc.SendStream) -> None:
    """Copy process output to the host until every writer is gone (EOF)."""
    source.acquire()
    try:
        while data := await source.read(CHUNK):
            await sink.send_all(data)
    finally:
        source.release()
