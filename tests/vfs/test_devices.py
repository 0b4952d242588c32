"""vfs/devices.py: /dev/null, /dev/zero, /dev/urandom."""

from __future__ import annotations

import errno

import pytest

from vfs.devices import MAX_DEVICE_READ, DevNull, DevUrandom, DevZero, make_devfs, seeded_random
from vfs.node import FileType


def err(fn, *args) -> int:
    with pytest.raises(OSError) as info:
        fn(*args)
    return info.value.errno


@pytest.fixture
def dev(clock):
    return make_devfs(clock=clock, random_source=seeded_random(42))


def test_devfs_lists_the_three_devices(dev):
    names = [e.name for e in dev.root.readdir()]
    assert names == [".", "..", "null", "zero", "urandom"]
    for e in list(dev.root.readdir())[2:]:
        assert e.filetype == FileType.CHARACTER_DEVICE


def test_null(dev):
    null = dev.root.lookup("null")
    assert isinstance(null, DevNull)
    assert null.read_at(0, 100) == b""
    assert null.write_at(12345, b"gone") == 4
    assert null.stat().size == 0 and null.stat().filetype == FileType.CHARACTER_DEVICE


def test_zero(dev):
    zero = dev.root.lookup("zero")
    assert isinstance(zero, DevZero)
    assert zero.read_at(999, 5) == b"\0" * 5
    assert len(zero.read_at(0, 1 << 40)) == MAX_DEVICE_READ  # never a huge allocation
    assert zero.write_at(0, b"x") == 1


def test_urandom_is_seeded_and_reproducible(clock):
    a = make_devfs(clock=clock, random_source=seeded_random(7)).root.lookup("urandom")
    b = make_devfs(clock=clock, random_source=seeded_random(7)).root.lookup("urandom")
    c = make_devfs(clock=clock, random_source=seeded_random(8)).root.lookup("urandom")
    assert isinstance(a, DevUrandom)
    x = a.read_at(0, 32)
    assert len(x) == 32 and x == b.read_at(0, 32) and x != c.read_at(0, 32)
    assert a.read_at(0, 32) != x  # the stream moves on
    assert a.write_at(0, b"entropy") == 7


def test_urandom_default_source_is_os_urandom(clock):
    u = make_devfs(clock=clock).root.lookup("urandom")
    assert len(u.read_at(0, 16)) == 16


def test_device_errors(dev):
    for name in ("null", "zero", "urandom"):
        node = dev.root.lookup(name)
        assert err(node.read_at, -1, 1) == errno.EINVAL
        assert err(node.set_size, 0) == errno.EINVAL
        assert err(node.allocate, 0, 1) == errno.ENODEV
        assert err(node.lookup, "x") == errno.ENOTDIR
        assert err(node.readlink) == errno.EINVAL


def test_device_times(dev, clock):
    null = dev.root.lookup("null")
    t = clock.advance()
    null.set_times(mtime_now=True)
    assert null.stat().mtim == t
