"""`--strace`: one decoded line per syscall, and the `strace -c` summary table.

The kernel calls `Tracer.syscall` after every call with the arguments as the dispatcher
decoded them (`syscalls.decode_args`) and the plain results, so the trace shows what the
kernel saw, not what the guest meant to send. Names and shapes come from the syscall
table's rows and flag/enum kinds from `abi.BY_NAME` (DESIGN.md §6.1: nothing is listed
twice). A tracer is a debugging aid: nothing it does may fail a syscall, so every
formatting problem degrades to a fallback line and every write error is swallowed.
"""

from __future__ import annotations

import reprlib
import sys
import threading
from collections.abc import Sequence
from enum import IntEnum, IntFlag
from typing import TYPE_CHECKING, TextIO

from kernel import abi
from kernel.abi import ALL_RIGHTS, BY_NAME, PREVIEW1, UNSTABLE, Errno, Rights

if TYPE_CHECKING:
    from kernel.syscalls import Syscall

__all__ = ["Tracer", "errno_text", "format_event", "format_syscall"]

#: Longest path shown whole: paths are not data, strace prints them in full too.
PATH_LIMIT = 4096
#: Most elements of a list argument or result shown (iovecs, dirents, events, argv).
MAX_ITEMS = 16
#: A rights set with at most this many names (or missing names, as ALL&~(…)) is spelled out.
RIGHTS_NAMES = 6

# --- errno ----------------------------------------------------------------------------

# Short descriptions in the words of the POSIX errno texts, for the errnos a trace shows
# most; the rest print their name only.
_ERRNO_TEXT: dict[Errno, str] = {
    Errno.TOOBIG: "Argument list too long",
    Errno.ACCES: "Permission denied",
    Errno.ADDRINUSE: "Address in use",
    Errno.AGAIN: "Resource temporarily unavailable",
    Errno.BADF: "Bad file descriptor",
    Errno.BUSY: "Device or resource busy",
    Errno.CHILD: "No child processes",
    Errno.CONNREFUSED: "Connection refused",
    Errno.CONNRESET: "Connection reset",
    Errno.EXIST: "File exists",
    Errno.FAULT: "Bad address",
    Errno.FBIG: "File too large",
    Errno.ILSEQ: "Invalid or incomplete multibyte or wide character",
    Errno.INTR: "Interrupted system call",
    Errno.INVAL: "Invalid argument",
    Errno.IO: "Input/output error",
    Errno.ISDIR: "Is a directory",
    Errno.LOOP: "Too many levels of symbolic links",
    Errno.MFILE: "Too many open files",
    Errno.MLINK: "Too many links",
    Errno.NAMETOOLONG: "File name too long",
    Errno.NFILE: "Too many open files in system",
    Errno.NOENT: "No such file or directory",
    Errno.NOMEM: "Cannot allocate memory",
    Errno.NOSPC: "No space left on device",
    Errno.NOSYS: "Function not implemented",
    Errno.NOTCONN: "Transport endpoint is not connected",
    Errno.NOTDIR: "Not a directory",
    Errno.NOTEMPTY: "Directory not empty",
    Errno.NOTSOCK: "Not a socket",
    Errno.NOTSUP: "Not supported",
    Errno.NOTTY: "Inappropriate ioctl for device",
    Errno.NXIO: "No such device or address",
    Errno.OVERFLOW: "Value too large for defined data type",
    Errno.PERM: "Operation not permitted",
    Errno.PIPE: "Broken pipe",
    Errno.RANGE: "Result out of range",
    Errno.ROFS: "Read-only file system",
    Errno.SPIPE: "Illegal seek",
    Errno.SRCH: "No such process",
    Errno.TIMEDOUT: "Connection timed out",
    Errno.XDEV: "Invalid cross-device link",
    Errno.NOTCAPABLE: "Capabilities insufficient",
}


def errno_text(errno: int) -> str:
    """`44` → ``44 ENOENT (No such file or directory)``: the number first, as strace."""
    try:
        e = Errno(errno)
    except ValueError:
        return str(errno)
    name = "E2BIG" if e is Errno.TOOBIG else "E" + e.name
    desc = _ERRNO_TEXT.get(e)
    return f"{errno} {name} ({desc})" if desc else f"{errno} {name}"


def _errno_name(errno: int) -> str:
    try:
        e = Errno(errno)
    except ValueError:
        return str(errno)
    return "E2BIG" if e is Errno.TOOBIG else "E" + e.name


# --- strings and buffers ----------------------------------------------------------------

_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\", '"': '\\"'}


def _escape(text: str) -> str:
    """C-string escaping of ``text``; a surrogateescape'd byte comes back as its \\xNN."""
    out = []
    for c in text:
        esc = _ESCAPES.get(c)
        if esc is not None:
            out.append(esc)
            continue
        o = ord(c)
        if 0xDC80 <= o <= 0xDCFF:
            out.append(f"\\x{o - 0xDC00:02x}")
        elif c.isprintable():
            out.append(c)
        elif o < 0x100:
            out.append(f"\\x{o:02x}")
        elif o <= 0xFFFF:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    return "".join(out)


def _quote(value: str | bytes, limit: int) -> tuple[str, bool]:
    """→ (the quoted first ``limit`` bytes/chars, whether it was cut)."""
    cut = len(value) > limit
    part = value[:limit]
    text = part.decode("utf-8", "surrogateescape") if isinstance(part, bytes) else part
    return f'"{_escape(text)}"' + ("…" if cut else ""), cut


def _path(value: object) -> str:
    if isinstance(value, str | bytes):
        return _quote(value, PATH_LIMIT)[0]
    return _plain(value)


def _items(values: Sequence[object], fmt) -> str:  # noqa: ANN001 - a local formatter
    """``[a, b, …]`` with at most MAX_ITEMS shown and a count of the rest."""
    shown = [fmt(v) for v in values[:MAX_ITEMS]]
    if len(values) > MAX_ITEMS:
        shown.append(f"…+{len(values) - MAX_ITEMS}")
    return "[" + ", ".join(shown) + "]"


def _plain(value: object, depth: int = 0) -> str:
    """Any value, shown without knowing what it means (custom rows, malformed input)."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, str | bytes):
        return _quote(value, PATH_LIMIT)[0]
    if isinstance(value, list | tuple) and depth < 4:
        return _items(value, lambda v: _plain(v, depth + 1))
    return _escape(reprlib.repr(value))


# --- flags, enums, rights ---------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _flag_members(cls: type[IntFlag]) -> list[tuple[int, str]]:
    return [(int(m), m.name or "") for m in cls.__members__.values() if int(m).bit_count() == 1]


def _enum_member_names(cls: type[IntEnum]) -> dict[int, str]:
    prefix = "SIG" if cls is abi.Signal else ""
    return {int(m): prefix + m.name for m in cls if not (cls is abi.Signal and int(m) == 0)}


_FLAGS: dict[str, list[tuple[int, str]]] = {}
_ENUMS: dict[str, dict[int, str]] = {}
for _name in dir(abi):
    _cls = getattr(abi, _name)
    if isinstance(_cls, type) and _cls.__module__ == abi.__name__ and _cls is not Rights:
        if issubclass(_cls, IntFlag):
            _FLAGS[_name] = _flag_members(_cls)
        elif issubclass(_cls, IntEnum) and _cls is not Errno:
            _ENUMS[_name] = _enum_member_names(_cls)
_RIGHTS = _flag_members(Rights)
_ALL = int(ALL_RIGHTS)


def _flags(members: list[tuple[int, str]], value: int) -> str:
    if value == 0:
        return "0"
    names = [name for bit, name in members if value & bit]
    rest = value & ~sum(bit for bit, _ in members)
    if rest:
        names.append(hex(rest))
    return "|".join(names)


def _rights(value: int) -> str:
    """Rights: ALL, the names of a short set, ALL&~(…) for a set missing a few, else abridged."""
    if value == 0:
        return "0"
    known, extra = value & _ALL, value & ~_ALL
    names = [name for bit, name in _RIGHTS if known & bit]
    if known == _ALL:
        text = "ALL"
    elif not names:
        text = ""
    elif len(names) <= RIGHTS_NAMES:
        text = "|".join(names)
    elif len(_RIGHTS) - len(names) <= RIGHTS_NAMES:
        missing = [name for bit, name in _RIGHTS if not known & bit]
        text = "ALL&~" + (missing[0] if len(missing) == 1 else "(" + "|".join(missing) + ")")
    else:
        text = "|".join(names[:3]) + f"|…({len(names)} rights, {known:#x})"
    if extra:
        text = f"{text}|{extra:#x}" if text else hex(extra)
    return text


def _kind(kind: str | None, value: object) -> str:
    """An integer shown as its flag/enum type says (``kind`` from abi.Param or a result)."""
    if not _is_int(value):
        return _plain(value)
    n = int(value)  # type: ignore[call-overload]
    if kind == "Rights":
        return _rights(n) if n >= 0 else str(n)
    if kind in _FLAGS:
        return _flags(_FLAGS[kind], n) if n >= 0 else str(n)
    if kind in _ENUMS:
        return _ENUMS[kind].get(n, str(n))
    return str(n)


# --- shapes -----------------------------------------------------------------------------

# Results carry no kinds in abi (they are pointers there): the few that mean a flag or enum.
_RESULT_KINDS = {
    "fs_filetype": "Filetype",
    "filetype": "Filetype",
    "fs_flags": "Fdflags",
    "fs_rights_base": "Rights",
    "fs_rights_inheriting": "Rights",
    "ro_flags": "Roflags",
    "tag": "Preopentype",
}


def _int_list(values: object) -> str:
    if isinstance(values, list | tuple):
        return _items(values, _plain)
    return _plain(values)


def _subscription(sub: object) -> str:
    if not isinstance(sub, list | tuple) or len(sub) < 2 or not all(map(_is_int, sub)):
        return _plain(sub)
    userdata, tag = sub[0], sub[1]
    if tag == abi.Eventtype.CLOCK and len(sub) == 6:
        _, _, clock_id, timeout, precision, flags = sub
        parts = [f"userdata={userdata}", "CLOCK", f"id={_kind('Clockid', clock_id)}"]
        parts.append(f"timeout={timeout}")
        if precision:
            parts.append(f"precision={precision}")
        if flags:
            parts.append(f"flags={_kind('Subclockflags', flags)}")
        return "{" + ", ".join(parts) + "}"
    if tag in (abi.Eventtype.FD_READ, abi.Eventtype.FD_WRITE) and len(sub) == 3:
        return f"{{userdata={userdata}, {_kind('Eventtype', tag)}, fd={sub[2]}}}"
    return _plain(sub)


def _event(event: object) -> str:
    if not isinstance(event, list | tuple) or len(event) != 5 or not all(map(_is_int, event)):
        return _plain(event)
    userdata, errno, etype, nbytes, flags = event
    parts = [f"userdata={userdata}", _kind("Eventtype", etype)]
    if errno:
        parts.append(f"error={_errno_name(errno)}")
    if etype != abi.Eventtype.CLOCK or nbytes:
        parts.append(f"nbytes={nbytes}")
    if flags:
        parts.append(f"flags={_kind('Eventrwflags', flags)}")
    return "{" + ", ".join(parts) + "}"


def _dirent(entry: object) -> str:
    if not isinstance(entry, list | tuple) or len(entry) != 4:
        return _plain(entry)
    d_next, d_ino, d_type, name = entry
    return (
        f"{{d_next={_plain(d_next)}, d_ino={_plain(d_ino)}, d_type={_kind('Filetype', d_type)}, "
        f"d_name={_path(name)}}}"
    )


class _Formatter:
    """Per-shape formatting with a tracer's byte budget."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def buf(self, value: object) -> str:
        """A data buffer inside a list: cut ones say their length."""
        if not isinstance(value, bytes | str):
            return _plain(value)
        text, cut = _quote(value, self.max_bytes)
        return f"{text}({len(value)} bytes)" if cut else text

    def arg(self, shape: str | None, kind: str | None, value: object) -> str:
        if shape in ("fd", "u32", "u64", "s64"):
            return _kind(kind, value)
        if shape == "path":
            return _path(value)
        if shape == "lens":
            return _int_list(value)
        if shape == "bufs" and isinstance(value, list | tuple):
            return _items(value, self.buf)
        if shape == "subs" and isinstance(value, list | tuple):
            return _items(value, _subscription)
        return _plain(value)

    def result(self, name: str, shape: str | None, value: object, kinds: bool) -> str:
        if shape in ("fd", "u16", "u32", "u64"):
            return f"{name}={_kind(_RESULT_KINDS.get(name) if kinds else None, value)}"
        if shape == "bytes" and isinstance(value, bytes | str):
            text, cut = _quote(value, self.max_bytes)
            # The length of a read is its count (nread); a cut buffer always says its length.
            if cut or name == "data":
                return f"{name}={text}, {len(value)} bytes"
            return f"{name}={text}"
        if shape == "strings" and isinstance(value, list | tuple):
            return f"{name}={_items(value, self.buf)}"
        if shape == "dirents" and isinstance(value, list | tuple):
            return f"{name}={_items(value, _dirent)}"
        if shape == "events" and isinstance(value, list | tuple):
            return f"{name}={_items(value, _event)}"
        return f"{name}={_plain(value)}"


def _label(name: object) -> str:
    """A parameter or result name; escaped unless plainly an identifier (custom rows)."""
    return name if isinstance(name, str) and name.isidentifier() else _escape(str(name))


def _call_name(module: str, name: str) -> str:
    """``name``, or ``module.name`` outside preview1; escaped: custom names are anyone's text."""
    return _escape(str(name) if module == PREVIEW1 else f"{module}.{name}")


def _param_kinds(module: str, row: Syscall) -> dict[str, str] | None:
    """Kinds by parameter name, for WASI calls only: a custom row's values print plainly."""
    if module not in (PREVIEW1, UNSTABLE):
        return None
    sig = BY_NAME.get(row.name)
    return None if sig is None else {p.name: p.kind for p in sig.params}


def format_syscall(
    pid: int,
    module: str,
    row: Syscall,
    args: Sequence[object],
    errno: int,
    results: Sequence[object],
    *,
    max_bytes: int = 32,
    elapsed_ns: int | None = None,
) -> str:
    """One trace line (no newline); may raise on values no row could produce."""
    fmt = _Formatter(max_bytes)
    kinds = _param_kinds(module, row)
    params = list(row.params)
    shown = []
    for i, value in enumerate(args):
        name, shape = params[i] if i < len(params) else (f"arg{i}", None)
        kind = kinds.get(name) if kinds is not None else None
        shown.append(f"{_label(name)}={fmt.arg(shape, kind, value)}")
    line = f"[pid {pid}] {_call_name(module, row.name)}({', '.join(shown)}) = "
    if errno == 0 and row.noreturn:
        line += "?"
    elif errno == 0:
        line += "0"
        if results:
            rparams = list(row.results)
            parts = []
            for i, value in enumerate(results):
                name, shape = rparams[i] if i < len(rparams) else (f"result{i}", None)
                parts.append(fmt.result(_label(name), shape, value, kinds is not None))
            line += " (" + ", ".join(parts) + ")"
    else:
        line += errno_text(errno) if _is_int(errno) else _plain(errno)
    if elapsed_ns is not None:
        line += f" <{elapsed_ns / 1e9:.6f}>"
    return line


def format_event(pid: int, text: str) -> str:
    """``[pid 3] +++ exited with 0 +++``; the text is escaped to stay on one line."""
    return f"[pid {pid}] +++ {_escape(str(text))} +++"


def _fallback(pid: object, module: object, row: object, errno: object, exc: BaseException) -> str:
    """The line a formatting bug leaves: the call's name and errno still show."""
    try:
        name = _escape(str(getattr(row, "name", "?")))
        mod = _escape(str(module))
        call = name if mod == PREVIEW1 else f"{mod}.{name}"
        return (
            f"[pid {_escape(str(pid))}] {call}(…) = {_escape(str(errno))} "
            f"<strace: cannot format: {type(exc).__name__}>"
        )
    except Exception:  # noqa: BLE001 - the last resort must not fail
        return "[pid ?] ?(…) = ? <strace: cannot format>"


# --- the tracer ---------------------------------------------------------------------------


class _Counts:
    __slots__ = ("calls", "errors", "ns")

    def __init__(self) -> None:
        self.calls = self.errors = self.ns = 0


class Tracer:
    """Writes the trace of every process's syscalls to ``out`` (default: stderr).

    ``summary`` asks for the `strace -c` table at `close`; per-call lines are then off
    unless ``per_call=True`` (strace -C). ``max_bytes`` bounds the data shown of each
    buffer; ``timing`` appends each call's duration (strace -T). ``out`` is not closed.
    """

    def __init__(
        self,
        out: TextIO | None = None,
        *,
        summary: bool = False,
        max_bytes: int = 32,
        per_call: bool | None = None,
        timing: bool = False,
    ) -> None:
        if not _is_int(max_bytes) or max_bytes < 0:
            raise ValueError(f"strace: max_bytes must be a non-negative integer, not {max_bytes!r}")
        self._out = out
        self.summary = summary
        self.max_bytes = max_bytes
        self.per_call = (not summary) if per_call is None else per_call
        self.timing = timing
        self._counts: dict[str, _Counts] = {}
        self._lock = threading.Lock()  # worker threads may report too: whole lines only
        self._closed = False

    def _write(self, line: str) -> None:
        out = self._out if self._out is not None else sys.stderr
        with self._lock:
            try:
                try:
                    out.write(line + "\n")
                except UnicodeEncodeError:  # a file in an encoding without "…" or the path's
                    out.write(line.encode("ascii", "backslashreplace").decode("ascii") + "\n")
                out.flush()
            except Exception:  # noqa: BLE001 - a closed or broken trace file never fails a call
                pass

    def syscall(
        self,
        pid: int,
        module: str,
        row: Syscall,
        args: Sequence[object],
        errno: int,
        results: Sequence[object],
        elapsed_ns: int,
    ) -> None:
        """Account for one finished call and, unless summary-only, print its line."""
        try:
            ns = max(int(elapsed_ns), 0)
        except Exception:  # noqa: BLE001 - an unknown duration still counts the call
            ns = 0
        try:
            key = _call_name(module, row.name)
            with self._lock:
                counts = self._counts.get(key)
                if counts is None:
                    counts = self._counts[key] = _Counts()
                counts.calls += 1
                counts.errors += errno != 0
                counts.ns += ns
        except Exception:  # noqa: BLE001 - a report without a name is dropped from the table
            pass
        if not self.per_call:
            return
        try:
            line = format_syscall(
                pid,
                module,
                row,
                args,
                errno,
                results,
                max_bytes=self.max_bytes,
                elapsed_ns=ns if self.timing else None,
            )
        except Exception as exc:  # noqa: BLE001 - see the module docstring
            line = _fallback(pid, module, row, errno, exc)
        self._write(line)

    def event(self, pid: int, text: str) -> None:
        """A process event (spawn, exit, kill, trap), between the calls, as strace's +++ lines."""
        if not self.per_call:
            return
        try:
            line = format_event(pid, text)
        except Exception:  # noqa: BLE001
            line = "[pid ?] +++ ? +++"
        self._write(line)

    def summary_text(self) -> str:
        """The `strace -c` table: calls by total time (then count, then name), and a total."""
        with self._lock:
            rows = [(k, c.ns, c.calls, c.errors) for k, c in self._counts.items()]
        rows.sort(key=lambda r: (-r[1], -r[2], r[0]))
        total_ns = sum(r[1] for r in rows)
        total_calls = sum(r[2] for r in rows)
        total_errors = sum(r[3] for r in rows)
        rule = "------ ----------- ----------- --------- --------- ----------------"
        lines = ["% time     seconds  usecs/call     calls    errors syscall", rule]

        def line(name: str, ns: int, calls: int, errors: int, pct: float) -> str:
            usecs = ns // (calls * 1000) if calls else 0
            err = str(errors) if errors else ""
            return f"{pct:6.2f} {ns / 1e9:11.6f} {usecs:11d} {calls:9d} {err:>9} {name}"

        for name, ns, calls, errors in rows:
            pct = 100.0 * ns / total_ns if total_ns else 0.0
            lines.append(line(name, ns, calls, errors, pct))
        lines.append(rule)
        lines.append(line("total", total_ns, total_calls, total_errors, 100.0))  # as strace
        return "\n".join(lines) + "\n"

    def close(self) -> None:
        """Print the summary (in summary mode) once; later reports are still accepted."""
        if self._closed:
            return
        self._closed = True
        if self.summary:
            self._write(self.summary_text().rstrip("\n"))

    def __enter__(self) -> Tracer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
