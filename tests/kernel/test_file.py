"""Open file descriptions: kinds, filetypes, rights ceilings, shared offsets, defaults."""

import pytest

from kernel.abi import Errno, Filetype, Rights, Whence
from kernel.errors import KernelError
from kernel.file import (
    DIRECTORY_RIGHTS,
    FILE_RIGHTS,
    NodeFile,
    OpenFile,
    PipeReadFile,
    PipeWriteFile,
)
from kernel.pipe import Pipe


def test_terminal_is_a_character_device_without_seek_or_tell():
    p = Pipe()
    tty = PipeWriteFile(p, tty=True)
    assert tty.filetype == Filetype.CHARACTER_DEVICE
    assert not tty.max_rights & (Rights.FD_SEEK | Rights.FD_TELL)
    plain = PipeReadFile(p)
    assert plain.filetype == Filetype.UNKNOWN  # a pipe is not a tty


async def test_node_file_kinds(kernel):
    ns = kernel.namespace
    d = NodeFile(ns.root)
    assert d.filetype == Filetype.DIRECTORY and d.max_rights == DIRECTORY_RIGHTS
    assert not d.seekable
    null = NodeFile(ns.lookup("/dev/null"))
    assert null.filetype == Filetype.CHARACTER_DEVICE and null.max_rights == FILE_RIGHTS
    assert null.max_rights & Rights.FD_SEEK  # /dev/null is not a tty


async def test_offset_is_per_description(kernel):
    f = kernel.namespace.root.create("f", exclusive=True)
    a, b = NodeFile(f), NodeFile(f)
    await a.write(b"0123456789")
    assert a.tell() == 10 and b.tell() == 0
    assert await b.read(4) == b"0123"
    assert b.seek(-2, Whence.END) == 8
    with pytest.raises(KernelError) as exc:
        b.seek(-100, Whence.CUR)
    assert exc.value.errno == Errno.INVAL


async def test_append_writes_at_the_end(kernel):
    f = kernel.namespace.root.create("f", exclusive=True)
    f.write_at(0, b"abc")
    a = NodeFile(f, fdflags=1)  # APPEND
    await a.write(b"def")
    assert f.read_at(0, 10) == b"abcdef" and a.tell() == 6


async def test_base_defaults_answer_posix_errnos():
    f = OpenFile()
    for fn, args, want in [
        (f.pread, (1, 0), Errno.SPIPE),
        (f.seek, (0, Whence.SET), Errno.SPIPE),
        (f.tell, (), Errno.SPIPE),
        (f.readdir, (0,), Errno.NOTDIR),
        (f.set_size, (0,), Errno.INVAL),
        (f.sync, (), Errno.INVAL),
    ]:
        with pytest.raises(KernelError) as exc:
            fn(*args)
        assert exc.value.errno == want
    with pytest.raises(KernelError) as exc:
        await f.read(1)
    assert exc.value.errno == Errno.BADF
    assert f.filestat().filetype == Filetype.UNKNOWN
