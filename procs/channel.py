"""The worker's end of a process's channel: blocking msgpack messages over a stream socket.

The Wasm thread of a process owns its channel: it sends a request and blocks on the
reply, which is how a syscall blocks the guest (DESIGN.md §2). The kernel may also send
an unsolicited MSG_REVOKE (write credit withdrawn); `call` and `poll_revoked` collect
those so the stub can answer the next write with the errno the kernel saw.
"""

from __future__ import annotations

import socket
from typing import Any

import msgpack

from kernel.abi import MSG_CALL, MSG_REVOKE, MSG_SEND

RECV_CHUNK = 1 << 18
#: A reply larger than this is a protocol error (reads are capped at abi.MAX_IO).
MAX_MESSAGE = 64 << 20


class ChannelClosed(Exception):
    """The kernel closed the channel: the process was killed or the kernel is gone."""


class Channel:
    """One process's blocking request/reply stream to the kernel."""

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(True)
        self.sock = sock
        self._unpacker = msgpack.Unpacker(raw=False, max_buffer_size=MAX_MESSAGE)
        self._pack = msgpack.Packer(use_bin_type=True).pack
        #: fd → errno of a write the kernel failed after granting credit.
        self.revoked: dict[int, int] = {}

    def send(self, msg: list[Any]) -> None:
        try:
            self.sock.sendall(self._pack(msg))
        except OSError as e:
            raise ChannelClosed(str(e)) from None

    def call(self, number: int, args: list[Any]) -> list[Any]:
        """Send one syscall and wait for its reply: [errno, results, ...]."""
        self.send([MSG_CALL, number, args])
        while True:
            msg = self._next()
            if msg[0] == MSG_REVOKE:
                self.revoked[msg[1]] = msg[2]
                continue
            return msg

    def send_nowait(self, number: int, args: list[Any]) -> None:
        self.send([MSG_SEND, number, args])

    def poll_revoked(self) -> dict[int, int]:
        """Collect any revocation already sent, without blocking."""
        try:
            data = self.sock.recv(RECV_CHUNK, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return self.revoked
        except OSError as e:
            raise ChannelClosed(str(e)) from None
        if not data:
            raise ChannelClosed("kernel closed the channel")
        self._unpacker.feed(data)
        for msg in self._unpacker:
            if isinstance(msg, list) and msg and msg[0] == MSG_REVOKE:
                self.revoked[msg[1]] = msg[2]
        return self.revoked

    def _next(self) -> list[Any]:
        while True:
            try:
                msg = next(self._unpacker)
            except StopIteration:
                pass
            else:
                if not isinstance(msg, list) or not msg:
                    raise ChannelClosed(f"malformed message from the kernel: {msg!r:.80}")
                return msg
            try:
                data = self.sock.recv(RECV_CHUNK)
            except OSError as e:
                raise ChannelClosed(str(e)) from None
            if not data:
                raise ChannelClosed("kernel closed the channel")
            self._unpacker.feed(data)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
