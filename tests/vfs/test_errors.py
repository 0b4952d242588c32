"""vfs/errors.py: errno-carrying errors and the sandbox's own ENOTCAPABLE."""

from __future__ import annotations

import errno

from vfs.errors import ENOTCAPABLE, NotCapableError, errno_name, fs_error


def test_enotcapable_is_outside_every_posix_errno():
    assert ENOTCAPABLE not in errno.errorcode
    assert ENOTCAPABLE > max(errno.errorcode)


def test_fs_error_picks_pythons_subclass():
    assert isinstance(fs_error(errno.ENOENT, "x"), FileNotFoundError)
    assert isinstance(fs_error(errno.EEXIST), FileExistsError)
    assert isinstance(fs_error(errno.ENOTDIR), NotADirectoryError)
    e = fs_error(errno.EROFS, "ro")
    assert type(e) is OSError and e.errno == errno.EROFS


def test_not_capable_error():
    e = fs_error(ENOTCAPABLE, "..")
    assert isinstance(e, NotCapableError) and isinstance(e, PermissionError)
    assert e.errno == ENOTCAPABLE
    assert NotCapableError().errno == ENOTCAPABLE


def test_errno_name():
    assert errno_name(errno.ELOOP) == "ELOOP"
    assert errno_name(ENOTCAPABLE) == "ENOTCAPABLE"
