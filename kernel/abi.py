"""The WASI preview1 ABI as data: the shared leaf both sides of a syscall use.

The worker side (procs/) reads arguments out of guest memory and writes results back by
these layouts; the kernel side decides what each call means using these numbers. This
module imports nothing from the project (DESIGN.md §1), so either side can use it.

Everything is the wasi_snapshot_preview1 numbering; where the older `wasi_unstable`
(snapshot 0) differs, the `UNSTABLE_*` names say how.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum, IntFlag


class Errno(IntEnum):
    """WASI errno values: the only error numbering inside the kernel."""

    SUCCESS = 0
    TOOBIG = 1  # "2big": argument list too long
    ACCES = 2
    ADDRINUSE = 3
    ADDRNOTAVAIL = 4
    AFNOSUPPORT = 5
    AGAIN = 6
    ALREADY = 7
    BADF = 8
    BADMSG = 9
    BUSY = 10
    CANCELED = 11
    CHILD = 12
    CONNABORTED = 13
    CONNREFUSED = 14
    CONNRESET = 15
    DEADLK = 16
    DESTADDRREQ = 17
    DOM = 18
    DQUOT = 19
    EXIST = 20
    FAULT = 21
    FBIG = 22
    HOSTUNREACH = 23
    IDRM = 24
    ILSEQ = 25
    INPROGRESS = 26
    INTR = 27
    INVAL = 28
    IO = 29
    ISCONN = 30
    ISDIR = 31
    LOOP = 32
    MFILE = 33
    MLINK = 34
    MSGSIZE = 35
    MULTIHOP = 36
    NAMETOOLONG = 37
    NETDOWN = 38
    NETRESET = 39
    NETUNREACH = 40
    NFILE = 41
    NOBUFS = 42
    NODEV = 43
    NOENT = 44
    NOEXEC = 45
    NOLCK = 46
    NOLINK = 47
    NOMEM = 48
    NOMSG = 49
    NOPROTOOPT = 50
    NOSPC = 51
    NOSYS = 52
    NOTCONN = 53
    NOTDIR = 54
    NOTEMPTY = 55
    NOTRECOVERABLE = 56
    NOTSOCK = 57
    NOTSUP = 58
    NOTTY = 59
    NXIO = 60
    OVERFLOW = 61
    OWNERDEAD = 62
    PERM = 63
    PIPE = 64
    PROTO = 65
    PROTONOSUPPORT = 66
    PROTOTYPE = 67
    RANGE = 68
    ROFS = 69
    SPIPE = 70
    SRCH = 71
    STALE = 72
    TIMEDOUT = 73
    TXTBSY = 74
    XDEV = 75
    NOTCAPABLE = 76


class Rights(IntFlag):
    FD_DATASYNC = 1 << 0
    FD_READ = 1 << 1
    FD_SEEK = 1 << 2
    FD_FDSTAT_SET_FLAGS = 1 << 3
    FD_SYNC = 1 << 4
    FD_TELL = 1 << 5
    FD_WRITE = 1 << 6
    FD_ADVISE = 1 << 7
    FD_ALLOCATE = 1 << 8
    PATH_CREATE_DIRECTORY = 1 << 9
    PATH_CREATE_FILE = 1 << 10
    PATH_LINK_SOURCE = 1 << 11
    PATH_LINK_TARGET = 1 << 12
    PATH_OPEN = 1 << 13
    FD_READDIR = 1 << 14
    PATH_READLINK = 1 << 15
    PATH_RENAME_SOURCE = 1 << 16
    PATH_RENAME_TARGET = 1 << 17
    PATH_FILESTAT_GET = 1 << 18
    PATH_FILESTAT_SET_SIZE = 1 << 19
    PATH_FILESTAT_SET_TIMES = 1 << 20
    FD_FILESTAT_GET = 1 << 21
    FD_FILESTAT_SET_SIZE = 1 << 22
    FD_FILESTAT_SET_TIMES = 1 << 23
    PATH_SYMLINK = 1 << 24
    PATH_REMOVE_DIRECTORY = 1 << 25
    PATH_UNLINK_FILE = 1 << 26
    POLL_FD_READWRITE = 1 << 27
    SOCK_SHUTDOWN = 1 << 28
    SOCK_ACCEPT = 1 << 29


ALL_RIGHTS = Rights((1 << 30) - 1)


class Filetype(IntEnum):
    UNKNOWN = 0
    BLOCK_DEVICE = 1
    CHARACTER_DEVICE = 2
    DIRECTORY = 3
    REGULAR_FILE = 4
    SOCKET_DGRAM = 5
    SOCKET_STREAM = 6
    SYMBOLIC_LINK = 7


class Fdflags(IntFlag):
    APPEND = 1
    DSYNC = 2
    NONBLOCK = 4
    RSYNC = 8
    SYNC = 16


class Oflags(IntFlag):
    CREAT = 1
    DIRECTORY = 2
    EXCL = 4
    TRUNC = 8


class Lookupflags(IntFlag):
    SYMLINK_FOLLOW = 1


class Whence(IntEnum):
    SET = 0
    CUR = 1
    END = 2


# wasi_unstable numbered whence differently: CUR = 0, END = 1, SET = 2.
UNSTABLE_WHENCE = {0: Whence.CUR, 1: Whence.END, 2: Whence.SET}


class Clockid(IntEnum):
    REALTIME = 0
    MONOTONIC = 1
    PROCESS_CPUTIME_ID = 2
    THREAD_CPUTIME_ID = 3


class Eventtype(IntEnum):
    CLOCK = 0
    FD_READ = 1
    FD_WRITE = 2


class Eventrwflags(IntFlag):
    FD_READWRITE_HANGUP = 1


class Subclockflags(IntFlag):
    SUBSCRIPTION_CLOCK_ABSTIME = 1


class Fstflags(IntFlag):
    ATIM = 1
    ATIM_NOW = 2
    MTIM = 4
    MTIM_NOW = 8


class Advice(IntEnum):
    NORMAL = 0
    SEQUENTIAL = 1
    RANDOM = 2
    WILLNEED = 3
    DONTNEED = 4
    NOREUSE = 5


class Riflags(IntFlag):
    RECV_PEEK = 1
    RECV_WAITALL = 2


class Roflags(IntFlag):
    RECV_DATA_TRUNCATED = 1


class Sdflags(IntFlag):
    RD = 1
    WR = 2


class Preopentype(IntEnum):
    DIR = 0


class Signal(IntEnum):
    NONE = 0
    HUP = 1
    INT = 2
    QUIT = 3
    ILL = 4
    TRAP = 5
    ABRT = 6
    BUS = 7
    FPE = 8
    KILL = 9
    USR1 = 10
    SEGV = 11
    USR2 = 12
    PIPE = 13
    ALRM = 14
    TERM = 15
    CHLD = 16
    CONT = 17
    STOP = 18
    TSTP = 19
    TTIN = 20
    TTOU = 21
    URG = 22
    XCPU = 23
    XFSZ = 24
    VTALRM = 25
    PROF = 26
    WINCH = 27
    POLL = 28
    PWR = 29
    SYS = 30


# --- struct layouts (little-endian, as in guest memory) ------------------------------

IOVEC = struct.Struct("<II")  # buf, buf_len
FDSTAT = struct.Struct("<BxHxxxxQQ")  # filetype, flags, rights_base, rights_inheriting
FILESTAT = struct.Struct("<QQBxxxxxxxQQQQQ")  # dev, ino, filetype, nlink, size, atim, mtim, ctim
UNSTABLE_FILESTAT = struct.Struct("<QQBxxxIQQQQ")  # nlink is u32 in snapshot 0
DIRENT = struct.Struct("<QQIBxxx")  # d_next, d_ino, d_namlen, d_type (name follows)
PRESTAT = struct.Struct("<BxxxI")  # tag, pr_name_len
EVENT = struct.Struct("<QHBxxxxxQHxxxxxx")  # userdata, error, type, nbytes, flags
SUBSCRIPTION_HEAD = struct.Struct("<QB")  # userdata, tag (union at offset 16)
SUBSCRIPTION_CLOCK = struct.Struct("<IxxxxQQH")  # id, timeout, precision, flags (at 16)
UNSTABLE_SUBSCRIPTION_CLOCK = struct.Struct("<QIxxxxQQH")  # identifier first (at 16)
SUBSCRIPTION_FD = struct.Struct("<I")  # file_descriptor (at 16)
SUBSCRIPTION_SIZE = 48
UNSTABLE_SUBSCRIPTION_SIZE = 56
SUBSCRIPTION_UNION_OFFSET = 16

assert IOVEC.size == 8 and FDSTAT.size == 24 and FILESTAT.size == 64
assert UNSTABLE_FILESTAT.size == 56 and DIRENT.size == 24 and PRESTAT.size == 8
assert EVENT.size == 32


# --- syscall signatures --------------------------------------------------------------

# Parameter kinds: how a value is read from the guest and shown by --strace.
FD = "fd"
PTR = "ptr"  # guest address
LEN = "len"  # byte count paired with the preceding pointer
U32 = "u32"
U64 = "u64"
STR = "path"  # (ptr, len) pair: the pointer parameter carries this kind, len follows


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    wasm: str  # "i32" or "i64": the Wasm type of the import's parameter
    kind: str  # FD, PTR, LEN, U32, U64, or an enum/flag type name such as "Oflags"


@dataclass(frozen=True, slots=True)
class Signature:
    name: str
    params: tuple[Param, ...]
    returns_errno: bool = True  # proc_exit returns nothing


def _sig(name: str, *params: str, returns_errno: bool = True) -> Signature:
    out = []
    for p in params:
        pname, _, kind = p.partition(":")
        wasm = "i64" if kind in (U64, "Rights", "Timestamp", "Filesize", "Filedelta") else "i32"
        out.append(Param(pname, wasm, kind or U32))
    return Signature(name, tuple(out), returns_errno)


SIGNATURES: tuple[Signature, ...] = (
    _sig("args_get", "argv:ptr", "argv_buf:ptr"),
    _sig("args_sizes_get", "argc:ptr", "argv_buf_size:ptr"),
    _sig("environ_get", "environ:ptr", "environ_buf:ptr"),
    _sig("environ_sizes_get", "environc:ptr", "environ_buf_size:ptr"),
    _sig("clock_res_get", "id:Clockid", "resolution:ptr"),
    _sig("clock_time_get", "id:Clockid", "precision:Timestamp", "time:ptr"),
    _sig("fd_advise", "fd:fd", "offset:Filesize", "len:Filesize", "advice:Advice"),
    _sig("fd_allocate", "fd:fd", "offset:Filesize", "len:Filesize"),
    _sig("fd_close", "fd:fd"),
    _sig("fd_datasync", "fd:fd"),
    _sig("fd_fdstat_get", "fd:fd", "stat:ptr"),
    _sig("fd_fdstat_set_flags", "fd:fd", "flags:Fdflags"),
    _sig("fd_fdstat_set_rights", "fd:fd", "fs_rights_base:Rights", "fs_rights_inheriting:Rights"),
    _sig("fd_filestat_get", "fd:fd", "buf:ptr"),
    _sig("fd_filestat_set_size", "fd:fd", "size:Filesize"),
    _sig(
        "fd_filestat_set_times", "fd:fd", "atim:Timestamp", "mtim:Timestamp", "fst_flags:Fstflags"
    ),
    _sig("fd_pread", "fd:fd", "iovs:ptr", "iovs_len:len", "offset:Filesize", "nread:ptr"),
    _sig("fd_prestat_get", "fd:fd", "buf:ptr"),
    _sig("fd_prestat_dir_name", "fd:fd", "path:ptr", "path_len:len"),
    _sig("fd_pwrite", "fd:fd", "iovs:ptr", "iovs_len:len", "offset:Filesize", "nwritten:ptr"),
    _sig("fd_read", "fd:fd", "iovs:ptr", "iovs_len:len", "nread:ptr"),
    _sig("fd_readdir", "fd:fd", "buf:ptr", "buf_len:len", "cookie:u64", "bufused:ptr"),
    _sig("fd_renumber", "fd:fd", "to:fd"),
    _sig("fd_seek", "fd:fd", "offset:Filedelta", "whence:Whence", "newoffset:ptr"),
    _sig("fd_sync", "fd:fd"),
    _sig("fd_tell", "fd:fd", "offset:ptr"),
    _sig("fd_write", "fd:fd", "iovs:ptr", "iovs_len:len", "nwritten:ptr"),
    _sig("path_create_directory", "fd:fd", "path:path", "path_len:len"),
    _sig("path_filestat_get", "fd:fd", "flags:Lookupflags", "path:path", "path_len:len", "buf:ptr"),
    _sig(
        "path_filestat_set_times",
        "fd:fd",
        "flags:Lookupflags",
        "path:path",
        "path_len:len",
        "atim:Timestamp",
        "mtim:Timestamp",
        "fst_flags:Fstflags",
    ),  # fmt: skip
    _sig(
        "path_link",
        "old_fd:fd",
        "old_flags:Lookupflags",
        "old_path:path",
        "old_path_len:len",
        "new_fd:fd",
        "new_path:path",
        "new_path_len:len",
    ),  # fmt: skip
    _sig(
        "path_open",
        "fd:fd",
        "dirflags:Lookupflags",
        "path:path",
        "path_len:len",
        "oflags:Oflags",
        "fs_rights_base:Rights",
        "fs_rights_inheriting:Rights",
        "fdflags:Fdflags",
        "fd_out:ptr",
    ),  # fmt: skip
    _sig(
        "path_readlink",
        "fd:fd",
        "path:path",
        "path_len:len",
        "buf:ptr",
        "buf_len:len",
        "bufused:ptr",
    ),  # fmt: skip
    _sig("path_remove_directory", "fd:fd", "path:path", "path_len:len"),
    _sig(
        "path_rename",
        "fd:fd",
        "old_path:path",
        "old_path_len:len",
        "new_fd:fd",
        "new_path:path",
        "new_path_len:len",
    ),  # fmt: skip
    _sig(
        "path_symlink",
        "old_path:path",
        "old_path_len:len",
        "fd:fd",
        "new_path:path",
        "new_path_len:len",
    ),  # fmt: skip
    _sig("path_unlink_file", "fd:fd", "path:path", "path_len:len"),
    _sig("poll_oneoff", "in:ptr", "out:ptr", "nsubscriptions:u32", "nevents:ptr"),
    _sig("proc_exit", "rval:u32", returns_errno=False),
    _sig("proc_raise", "sig:Signal"),
    _sig("sched_yield"),
    _sig("random_get", "buf:ptr", "buf_len:len"),
    _sig("sock_accept", "fd:fd", "flags:Fdflags", "fd_out:ptr"),
    _sig(
        "sock_recv",
        "fd:fd",
        "ri_data:ptr",
        "ri_data_len:len",
        "ri_flags:Riflags",
        "ro_datalen:ptr",
        "ro_flags:ptr",
    ),  # fmt: skip
    _sig("sock_send", "fd:fd", "si_data:ptr", "si_data_len:len", "si_flags:u32", "so_datalen:ptr"),
    _sig("sock_shutdown", "fd:fd", "how:Sdflags"),
)
BY_NAME: dict[str, Signature] = {s.name: s for s in SIGNATURES}
assert len(SIGNATURES) == 46

#: The plain-value convention between a worker's stub and the kernel, per call: what the
#: stub sends (after reading guest memory) and the results it writes back, as
#: ``name:shape`` lists (shapes are described in kernel/syscalls.py). Parameter names
#: match the Wasm parameter names of SIGNATURES, which is how the stub finds, for a
#: ``path`` or ``lens`` value, its pointer and ``_len`` parameters, and for a result, its
#: output pointer.
_FILESTAT_WIRE = "dev:u64 ino:u64 filetype:u32 nlink:u64 size:u64 atim:u64 mtim:u64 ctim:u64"
WIRE: dict[str, tuple[str, str]] = {
    "args_get": ("", "argv:strings"),
    "args_sizes_get": ("", "argc:u32 argv_buf_size:u32"),
    "environ_get": ("", "environ:strings"),
    "environ_sizes_get": ("", "environc:u32 environ_buf_size:u32"),
    "clock_res_get": ("id:u32", "resolution:u64"),
    "clock_time_get": ("id:u32 precision:u64", "time:u64"),
    "fd_advise": ("fd:fd offset:u64 len:u64 advice:u32", ""),
    "fd_allocate": ("fd:fd offset:u64 len:u64", ""),
    "fd_close": ("fd:fd", ""),
    "fd_datasync": ("fd:fd", ""),
    "fd_fdstat_get": (
        "fd:fd",
        "fs_filetype:u32 fs_flags:u32 fs_rights_base:u64 fs_rights_inheriting:u64",
    ),
    "fd_fdstat_set_flags": ("fd:fd flags:u32", ""),
    "fd_fdstat_set_rights": ("fd:fd fs_rights_base:u64 fs_rights_inheriting:u64", ""),
    "fd_filestat_get": (
        "fd:fd",
        _FILESTAT_WIRE,
    ),
    "fd_filestat_set_size": ("fd:fd size:u64", ""),
    "fd_filestat_set_times": ("fd:fd atim:u64 mtim:u64 fst_flags:u32", ""),
    "fd_pread": ("fd:fd iovs:lens offset:u64", "data:bytes"),
    "fd_prestat_get": ("fd:fd", "tag:u32 pr_name_len:u32"),
    "fd_prestat_dir_name": ("fd:fd path_len:u32", "path:bytes"),
    "fd_pwrite": ("fd:fd iovs:bufs offset:u64", "nwritten:u32"),
    "fd_read": ("fd:fd iovs:lens", "data:bytes"),
    "fd_readdir": ("fd:fd buf_len:u32 cookie:u64", "entries:dirents"),
    "fd_renumber": ("fd:fd to:fd", ""),
    "fd_seek": ("fd:fd offset:s64 whence:u32", "newoffset:u64"),
    "fd_sync": ("fd:fd", ""),
    "fd_tell": ("fd:fd", "offset:u64"),
    "fd_write": ("fd:fd iovs:bufs", "nwritten:u32"),
    "path_create_directory": ("fd:fd path:path", ""),
    "path_filestat_get": (
        "fd:fd flags:u32 path:path",
        _FILESTAT_WIRE,
    ),
    "path_filestat_set_times": ("fd:fd flags:u32 path:path atim:u64 mtim:u64 fst_flags:u32", ""),
    "path_link": ("old_fd:fd old_flags:u32 old_path:path new_fd:fd new_path:path", ""),
    "path_open": (
        "fd:fd dirflags:u32 path:path oflags:u32 fs_rights_base:u64 fs_rights_inheriting:u64 fdflags:u32",
        "fd_out:fd",
    ),
    "path_readlink": ("fd:fd path:path buf_len:u32", "target:bytes"),
    "path_remove_directory": ("fd:fd path:path", ""),
    "path_rename": ("fd:fd old_path:path new_fd:fd new_path:path", ""),
    "path_symlink": ("old_path:path fd:fd new_path:path", ""),
    "path_unlink_file": ("fd:fd path:path", ""),
    "poll_oneoff": ("subscriptions:subs", "events:events"),
    "proc_exit": ("rval:u32", ""),
    "proc_raise": ("sig:u32", ""),
    "sched_yield": ("", ""),
    "random_get": ("buf_len:u32", "data:bytes"),
    "sock_accept": ("fd:fd flags:u32", "fd_out:fd"),
    "sock_recv": ("fd:fd ri_data:lens ri_flags:u32", "data:bytes ro_flags:u16"),
    "sock_send": ("fd:fd si_data:bufs si_flags:u32", "so_datalen:u32"),
    "sock_shutdown": ("fd:fd how:u32", ""),
}
assert list(WIRE) == [s.name for s in SIGNATURES]

# Calls that the older `wasi_unstable` module also has (all but sock_accept), and the
# ones whose memory layouts or numbering differ there.
UNSTABLE_NAMES = tuple(s.name for s in SIGNATURES if s.name != "sock_accept")
UNSTABLE_DIFFERENCES = {
    "fd_seek": "whence is numbered CUR=0, END=1, SET=2",
    "fd_filestat_get": "filestat has a 32-bit nlink (56 bytes)",
    "path_filestat_get": "filestat has a 32-bit nlink (56 bytes)",
    "poll_oneoff": "a clock subscription carries a 64-bit identifier first (56-byte entries)",
}

# The two module names programs import WASI from.
PREVIEW1 = "wasi_snapshot_preview1"
UNSTABLE = "wasi_unstable"


# --- the IPC protocol between a worker's stub and the kernel (msgpack arrays) ----------
#
# One stream per Wasm process. The worker sends requests; the kernel answers CALLs in
# order. Calls are numbered by `call_number`: preview1 by SIGNATURES index, snapshot 0
# from UNSTABLE_BASE, custom syscalls from CUSTOM_BASE in the order the kernel lists them
# at spawn.
MSG_CALL = 0  # [0, call, args] → reply [errno, results] (custom calls: [errno, results, writes])
MSG_SEND = 1  # [1, call, args]: no reply (fd_write under credit; proc_exit)
MSG_TRAP = 2  # [2, message]: the guest trapped; the last message
MSG_ERROR = 3  # [3, message]: the module could not start (link error, ...); the last message
MSG_WRITES = 4  # [4, [[fd, bufs], ...]]: fd_writes made under credit, in order; no reply
MSG_CPU = 5  # [5, ns]: the CPU time the guest has used (sent before its last message)
MSG_REVOKE = -1  # kernel → worker, unsolicited: [-1, fd, errno]: write credit for fd is gone
UNSTABLE_BASE = 100
CUSTOM_BASE = 1000
#: A worker's control socket carries msgpack arrays, each after this little-endian length
#: (the spawn message may carry a whole module; see procs/worker.py).
CONTROL_HEADER = struct.Struct("<I")
#: In a reply to fd_write, a third element 1 grants write credit: later writes to that fd
#: may be sent with MSG_SEND (no reply) until the stub changes its fd table or is revoked.
CREDIT = 1
#: Largest byte count one read or write moves (a partial transfer, as POSIX allows).
MAX_IO = 1 << 22


def call_number(module: str, name: str) -> int | None:
    """The wire number of a WASI call (None: not a WASI call of that module)."""
    sig = BY_NAME.get(name)
    if sig is None:
        return None
    index = SIGNATURES.index(sig)
    if module == PREVIEW1:
        return index
    if module == UNSTABLE and name in UNSTABLE_NAMES:
        return UNSTABLE_BASE + index
    return None
