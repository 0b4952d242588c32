"""Shared fixtures: a deterministic kernel and a process whose preopen is a fresh directory.

The preopen is ``/sandbox`` (not the namespace root) so that ``..`` escapes and the
rest of the tree are really outside the process's reach.
"""

from __future__ import annotations

import pytest

from kernel import syscalls
from kernel.abi import ALL_RIGHTS, Errno
from kernel.proc import Kernel, Process

ALL = int(ALL_RIGHTS)


@pytest.fixture
async def kernel() -> Kernel:
    # async: built inside the trio run, so the kernel clock anchors on its (mock) clock
    return Kernel(deterministic=True, seed=7)


@pytest.fixture
def sandbox(kernel):
    ns = kernel.namespace
    ns.root.mkdir("sandbox")
    return ns.lookup("/sandbox")


@pytest.fixture
def proc(kernel, sandbox) -> Process:
    return kernel.spawn(["prog", "arg1"], {"HOME": "/sandbox"}, preopens=[("/sandbox", sandbox)])


async def call(proc: Process, name: str, *args, module: str | None = None):
    """Dispatch and return (Errno, results), as the stub would receive them."""
    kw = {} if module is None else {"module": module}
    errno, results = await syscalls.dispatch(proc, name, list(args), **kw)
    return Errno(errno), results


async def ok(proc: Process, name: str, *args):
    """Dispatch a call that must succeed; return its results."""
    errno, results = await call(proc, name, *args)
    assert errno == Errno.SUCCESS, f"{name}{args} -> {errno.name}"
    return results


async def err(proc: Process, name: str, *args) -> Errno:
    """Dispatch a call that must fail; return its errno."""
    errno, results = await call(proc, name, *args)
    assert errno != Errno.SUCCESS, f"{name}{args} succeeded with {results}"
    assert results == []
    return errno


async def open_file(proc: Process, path: str, oflags: int = 0, rights: int = ALL, fdflags: int = 0):
    (fd,) = await ok(proc, "path_open", 3, 1, path, oflags, rights, ALL, fdflags)
    return fd
