"""The one OSError → Errno mapping."""

import errno

from kernel.abi import Errno
from kernel.errors import KernelError, errno_from_oserror, kernel_error_from_oserror
from vfs.errors import ENOTCAPABLE, NotCapableError, fs_error


def test_posix_values_map_by_meaning():
    cases = {
        errno.ENOENT: Errno.NOENT,
        errno.EEXIST: Errno.EXIST,
        errno.ENOTDIR: Errno.NOTDIR,
        errno.EISDIR: Errno.ISDIR,
        errno.ENOTEMPTY: Errno.NOTEMPTY,
        errno.EINVAL: Errno.INVAL,
        errno.EPIPE: Errno.PIPE,
        errno.EROFS: Errno.ROFS,
        errno.EXDEV: Errno.XDEV,
        errno.ELOOP: Errno.LOOP,
        errno.EAGAIN: Errno.AGAIN,
        errno.EACCES: Errno.ACCES,
        errno.EPERM: Errno.PERM,
        errno.ENAMETOOLONG: Errno.NAMETOOLONG,
        errno.EILSEQ: Errno.ILSEQ,
        errno.ENOTSUP: Errno.NOTSUP,
    }
    for host, wasi in cases.items():
        assert errno_from_oserror(OSError(host, "x")) == wasi, errno.errorcode[host]


def test_vfs_not_capable_is_notcapable():
    assert errno_from_oserror(NotCapableError("..")) == Errno.NOTCAPABLE
    assert errno_from_oserror(fs_error(ENOTCAPABLE)) == Errno.NOTCAPABLE


def test_unknown_or_missing_errno_is_io():
    assert errno_from_oserror(OSError("no errno")) == Errno.IO
    assert errno_from_oserror(OSError(99999, "strange")) == Errno.IO


def test_kernel_error_carries_errno_and_detail():
    exc = kernel_error_from_oserror(FileNotFoundError(errno.ENOENT, "gone", "a/b"))
    assert isinstance(exc, KernelError) and exc.errno == Errno.NOENT
    assert "noent" in str(KernelError(Errno.NOENT, "a/b"))
