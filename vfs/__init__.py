"""The virtual filesystem: nodes, the in-memory tree, host mounts, devices, the resolver.

It knows nothing of processes, descriptors or rights (the kernel's); errors are
`OSError`s with POSIX errno values, plus `ENOTCAPABLE` for attempts to leave a sandbox.
"""

from vfs.devices import DevNull, DevUrandom, DevZero, make_devfs, seeded_random
from vfs.errors import ENOTCAPABLE, NotCapableError, errno_name, fs_error
from vfs.hostfs import HostDir, HostFile, HostFs, HostSymlink
from vfs.memfs import MemDir, MemFile, MemFs, MemSymlink
from vfs.namespace import MAX_SYMLINKS, Namespace, Parent
from vfs.node import (
    COOKIE_START,
    NAME_MAX,
    PATH_MAX,
    Clock,
    Directory,
    DirEntry,
    Filesystem,
    FileType,
    Node,
    Stat,
)

__all__ = [
    "COOKIE_START",
    "ENOTCAPABLE",
    "MAX_SYMLINKS",
    "NAME_MAX",
    "PATH_MAX",
    "Clock",
    "DevNull",
    "DevUrandom",
    "DevZero",
    "DirEntry",
    "Directory",
    "FileType",
    "Filesystem",
    "HostDir",
    "HostFile",
    "HostFs",
    "HostSymlink",
    "MemDir",
    "MemFile",
    "MemFs",
    "MemSymlink",
    "Namespace",
    "Node",
    "NotCapableError",
    "Parent",
    "Stat",
    "errno_name",
    "fs_error",
    "make_devfs",
    "seeded_random",
]
