"""The on-disk cache of decoded modules and translated functions (issue 3 §5).

Why: decoding and validating a ~1 MB module costs a few hundred milliseconds of pure
Python on every start, and translating hot functions costs more; neither result changes
until the module or the engine does. So both are kept on disk, keyed by

    sha256(kind, engine version, sha256(module bytes or text), options)

where the *engine version* is a hash of the engine's own source files (and of the
Python version and marshal format), so that any change to the engine invalidates every
entry without anyone having to remember to bump a number.

The cache is trusted code and data (entries are `marshal` payloads, and translated
functions are code objects): `marshal.loads` on hostile bytes can crash the interpreter
or run anything. That is only acceptable because

* the directory must belong to the current user and must not be writable by group or
  others (otherwise the cache is silently disabled), and is created with mode 0700;
* every entry carries a header (magic, format version, the digest of its key, the
  payload length and the sha256 of the payload) that is checked before the payload is
  touched: a truncated, corrupted, mislabelled or foreign entry is deleted and rebuilt,
  never trusted;
* entries are written to a temporary file in the same directory and moved into place
  with `os.replace`, so readers see a whole entry or none, whatever other processes or
  threads are doing at the same time.

Size is bounded (default 256 MiB, `WASIOS_CACHE_MAX`): when the bytes this process has
written push its estimate of the total past the bound, it rescans the directory and
deletes the least recently used entries (a hit refreshes an entry's mtime) down to 90%
of the bound.

Environment: `WASIOS_CACHE=off` disables the cache, `WASIOS_CACHE_DIR` chooses the
directory (default `$XDG_CACHE_HOME/wasios`, else `~/.cache/wasios`), `WASIOS_CACHE_MAX`
the size bound in bytes (a `K`/`M`/`G` suffix is allowed). Modules smaller than
`MIN_MODULE_BYTES` are not stored (decoding them costs less than reading the entry), but
they still get a key, so their translated functions are cached.

Translated functions: the JIT asks its hook `jit.CODE_CACHE(module, defined, metered,
osr_block)` for a code object before translating; `jit_code` is that hook (installed when
the first module is loaded through `load_module`): it returns the cached code object
(`marshal`), or translates, compiles and stores it. It only serves modules loaded
through `api.Module`, which registers their content key (`module_key`). For other
payloads, `get_code(module, func_index, options)` / `put_code(...)` store opaque bytes
under the same kind of key; `Cache.get_code` / `Cache.put_code` take an explicit key.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import stat
import struct
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .module import (
    EXT_FUNC,
    EXT_GLOBAL,
    EXT_MEMORY,
    EXT_TABLE,
    Custom,
    Data,
    Elem,
    Export,
    Func,
    FuncType,
    Global,
    GlobalType,
    Import,
    Limits,
    MemoryType,
    Module,
    TableType,
)

__all__ = [
    "Cache",
    "default_cache",
    "engine_version",
    "load_module",
    "module_key",
    "get_code",
    "put_code",
    "jit_code",
    "module_to_plain",
    "module_from_plain",
]

FORMAT_VERSION = 1
MAGIC = b"WASIOSC\0"
# magic, format version, sha256(key), payload length, sha256(payload)
_HEADER = struct.Struct("<8sH32sQ32s")
DEFAULT_MAX_SIZE = 256 << 20
# Below this a module decodes and validates faster than its entry can be read back.
MIN_MODULE_BYTES = 64 << 10
# Temporary files left by a writer that died are removed by a sweep after this long.
_STALE_TMP_SECONDS = 600.0
_SUBDIR = f"v{FORMAT_VERSION}"
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


# --- engine version -------------------------------------------------------------------

_engine_version: str | None = None


def engine_version() -> str:
    """Hash of the engine's source files, the Python version and the marshal format.

    Any edit to `procs/wasm/*.py` changes it, so no entry made by another engine (or by
    another Python, whose code objects and marshal format differ) is ever used.
    """
    global _engine_version
    if _engine_version is None:
        h = hashlib.sha256()
        h.update(f"{sys.implementation.cache_tag}\0{sys.version}\0{marshal.version}\0".encode())
        h.update(f"{FORMAT_VERSION}\0".encode())
        for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
            h.update(path.name.encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
        _engine_version = h.hexdigest()
    return _engine_version


# --- the directory --------------------------------------------------------------------


def default_dir() -> Path:
    """Where the cache lives unless `WASIOS_CACHE_DIR` says otherwise."""
    env = os.environ.get("WASIOS_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "wasios"


def _parse_size(text: str) -> int:
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    if scale != 1:
        text = text[:-1]
    return max(0, int(float(text) * scale))


def _safe_dir(path: Path) -> bool:
    """Create `path` (mode 0700) if needed; True if only the current user can write it."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.stat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        return False
    return not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


_default_lock = threading.Lock()
_default: tuple[tuple[str | None, ...], Cache | None] | None = None


def default_cache() -> Cache | None:
    """The cache the environment asks for, or None when it is off or its directory unsafe.

    Re-read from the environment on each call (cheap: one tuple compare), so that tests
    and embedders can point it elsewhere at run time.
    """
    global _default
    env = tuple(
        os.environ.get(v)
        for v in ("WASIOS_CACHE", "WASIOS_CACHE_DIR", "XDG_CACHE_HOME", "WASIOS_CACHE_MAX", "HOME")
    )
    current = _default
    if current is not None and current[0] == env:
        return current[1]
    with _default_lock:
        cache: Cache | None = None
        if (env[0] or "").lower() not in ("off", "0", "no", "false"):
            max_size = DEFAULT_MAX_SIZE
            if env[3]:
                with contextlib.suppress(ValueError):
                    max_size = _parse_size(env[3])
            try:
                cache = Cache(default_dir(), max_size)
            except (OSError, RuntimeError):  # no home directory, unusable path
                cache = None
            if cache is not None and not cache.enabled:
                cache = None
        _default = (env, cache)
        return cache


# --- the cache ------------------------------------------------------------------------


class Cache:
    """A directory of checksummed entries with a size bound (see the module docstring)."""

    def __init__(self, directory: str | os.PathLike[str], max_size: int = DEFAULT_MAX_SIZE):
        self.directory = Path(directory)
        self.max_size = max_size
        self.enabled = _safe_dir(self.directory)
        self._root = self.directory / _SUBDIR
        self._lock = threading.Lock()
        self._estimate: int | None = None  # total bytes, from the last scan + our writes

    # keys
    @staticmethod
    def key(kind: str, content: str, options: str = "") -> str:
        """The entry key: kind, engine version, content hash and options, hashed."""
        text = f"{kind}\0{engine_version()}\0{content}\0{options}"
        return hashlib.sha256(text.encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self._root / key[:2] / key[2:]

    # raw entries
    def get(self, key: str) -> bytes | None:
        """The payload stored under `key`, or None (missing, or invalid and now removed)."""
        if not self.enabled:
            return None
        path = self._path(key)
        try:
            with open(path, "rb") as f:
                blob = f.read()
        except OSError:
            return None
        payload = _check(blob, key)
        if payload is None:
            with contextlib.suppress(OSError):
                os.unlink(path)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: last to be evicted
        return payload

    def put(self, key: str, payload: bytes) -> None:
        """Store `payload` under `key` atomically; failures (disk full, ...) are ignored."""
        if not self.enabled:
            return
        path = self._path(key)
        header = _HEADER.pack(
            MAGIC,
            FORMAT_VERSION,
            hashlib.sha256(key.encode()).digest(),
            len(payload),
            hashlib.sha256(payload).digest(),
        )
        tmp = None
        try:
            if not path.parent.is_dir():
                self._root.mkdir(mode=0o700, exist_ok=True)
                path.parent.mkdir(mode=0o700, exist_ok=True)
            # Not tempfile.mkstemp: importing tempfile adds ~4 ms to every start.
            name = str(path.parent / f".tmp-{os.getpid()}-{os.urandom(6).hex()}")
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW, 0o600)
            tmp = name
            with os.fdopen(fd, "wb") as f:
                f.write(header)
                f.write(payload)
            os.replace(tmp, path)
            tmp = None
        except OSError:
            return
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        self._account(len(header) + len(payload))

    def remove(self, key: str) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self._path(key))

    # translated functions
    def get_code(self, module_key: str, func_index: int, options: str = "") -> bytes | None:
        """A translated function stored by `put_code`, or None."""
        return self.get(self.key(f"code{func_index}", module_key, options))

    def put_code(self, module_key: str, func_index: int, options: str, payload: bytes) -> None:
        self.put(self.key(f"code{func_index}", module_key, options), payload)

    # size bound
    def _entries(self) -> Iterator[tuple[float, int, str, bool]]:
        """(mtime, size, path, is_temp) of every file in the cache."""
        try:
            subdirs = list(os.scandir(self._root))
        except OSError:
            return
        for sub in subdirs:
            if not sub.is_dir(follow_symlinks=False):
                continue
            try:
                files = list(os.scandir(sub.path))
            except OSError:
                continue
            for e in files:
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                yield st.st_mtime, st.st_size, e.path, e.name.startswith(".tmp-")

    def size(self) -> int:
        """Total bytes of the entries now on disk."""
        return sum(size for _, size, _, tmp in self._entries() if not tmp)

    def _account(self, nbytes: int) -> None:
        with self._lock:
            if self._estimate is None:
                self._estimate = self.size()
            else:
                self._estimate += nbytes
            over = self._estimate > self.max_size
        if over:
            self.evict()

    def evict(self, target: int | None = None) -> None:
        """Delete least recently used entries until the total is at most `target`
        (default 90% of the bound), and temporary files left by dead writers."""
        if target is None:
            target = self.max_size * 9 // 10
        now = time.time()
        entries = []
        total = 0
        for mtime, size, path, is_tmp in self._entries():
            if is_tmp:
                if now - mtime > _STALE_TMP_SECONDS:
                    with contextlib.suppress(OSError):
                        os.unlink(path)
                continue
            entries.append((mtime, size, path))
            total += size
        entries.sort()
        for _mtime, size, path in entries:
            if total <= target:
                break
            with contextlib.suppress(OSError):
                os.unlink(path)
            total -= size
        with self._lock:
            self._estimate = total

    def clear(self) -> None:
        """Delete every entry."""
        self.evict(0)


def _check(blob: bytes, key: str) -> bytes | None:
    """The payload of an entry if its header is right and its checksum matches."""
    if len(blob) < _HEADER.size:
        return None
    magic, version, key_digest, length, digest = _HEADER.unpack_from(blob)
    if magic != MAGIC or version != FORMAT_VERSION:
        return None
    if key_digest != hashlib.sha256(key.encode()).digest():
        return None
    if length != len(blob) - _HEADER.size:
        return None
    payload = blob[_HEADER.size :]
    if hashlib.sha256(payload).digest() != digest:
        return None
    return payload


# --- modules as plain data ------------------------------------------------------------

_MODULE_FIELDS = (
    "types imports funcs tables mems globals exports start elems datas data_count customs "
    "func_names module_name section_sizes"
).split()


def _shared_body(body: list, seen: dict[tuple, tuple]) -> list:
    """The body with equal instruction tuples made one object.

    A large module repeats the same few instructions (`local.get 0`, `i32.add`, ...)
    hundreds of thousands of times, each its own tuple after decoding; written once and
    referenced (marshal keeps shared objects shared), they make the entry half the size
    and reading it back 2-3x faster. Safe because tuples are immutable, no pass keys
    anything on an instruction's identity, and immediates are ints (float constants are
    stored as their bits, module.py), so values that compare equal are the same value.
    """
    try:
        return list(map(seen.setdefault, body, body))
    except TypeError:  # an unhashable immediate (none today): store the body as it is
        return body


def module_to_plain(m: Module) -> tuple:
    """The module as nested tuples/lists/ints/bytes/str that `marshal` can write."""
    if list(Module.__dataclass_fields__) != _MODULE_FIELDS:
        raise TypeError("module.Module changed: update cache.module_to_plain")
    seen: dict[tuple, tuple] = {}

    def desc(imp: Import) -> Any:
        d = imp.desc
        if imp.kind == EXT_FUNC:
            return d
        if imp.kind == EXT_TABLE:
            return (d.elem, d.limits.min, d.limits.max)  # type: ignore[union-attr]
        if imp.kind == EXT_MEMORY:
            return (d.limits.min, d.limits.max)  # type: ignore[union-attr]
        return (d.valtype, d.mutable)  # type: ignore[union-attr]

    return (
        [(t.params, t.results) for t in m.types],
        [(i.module, i.name, i.kind, desc(i)) for i in m.imports],
        [(f.type_idx, f.locals, _shared_body(f.body, seen), f.offset) for f in m.funcs],
        [(t.elem, t.limits.min, t.limits.max) for t in m.tables],
        [(t.limits.min, t.limits.max) for t in m.mems],
        [(g.type.valtype, g.type.mutable, g.init) for g in m.globals],
        [(e.name, e.kind, e.index) for e in m.exports],
        m.start,
        [(e.mode, e.type, e.init, e.table, e.offset) for e in m.elems],
        [(d.mode, d.init, d.memory, d.offset) for d in m.datas],
        m.data_count,
        [(c.name, c.data) for c in m.customs],
        m.func_names,
        m.module_name,
        m.section_sizes,
    )


def module_from_plain(p: tuple) -> Module:
    """Inverse of `module_to_plain`."""
    (
        types,
        imports,
        funcs,
        tables,
        mems,
        globals_,
        exports,
        start,
        elems,
        datas,
        data_count,
        customs,
        func_names,
        module_name,
        section_sizes,
    ) = p
    ftypes = [FuncType(params, results) for params, results in types]

    def desc(kind: int, d: Any) -> Any:
        if kind == EXT_FUNC:
            return d
        if kind == EXT_TABLE:
            return TableType(d[0], Limits(d[1], d[2]))
        if kind == EXT_MEMORY:
            return MemoryType(Limits(d[0], d[1]))
        if kind == EXT_GLOBAL:
            return GlobalType(d[0], d[1])
        raise ValueError(f"bad import kind {kind}")

    return Module(
        types=ftypes,
        imports=[Import(mod, name, kind, desc(kind, d)) for mod, name, kind, d in imports],
        funcs=[Func(t, locals_, body, offset) for t, locals_, body, offset in funcs],
        tables=[TableType(elem, Limits(lo, hi)) for elem, lo, hi in tables],
        mems=[MemoryType(Limits(lo, hi)) for lo, hi in mems],
        globals=[Global(GlobalType(t, mut), init) for t, mut, init in globals_],
        exports=[Export(name, kind, index) for name, kind, index in exports],
        start=start,
        elems=[Elem(mode, t, init, table, off) for mode, t, init, table, off in elems],
        datas=[Data(mode, init, mem, off) for mode, init, mem, off in datas],
        data_count=data_count,
        customs=[Custom(name, data) for name, data in customs],
        func_names=func_names,
        module_name=module_name,
        section_sizes=section_sizes,
    )


# --- module keys, for the JIT -----------------------------------------------------------

# id(module) -> (module, key). Module is a slots dataclass (no weak references), so the
# entry keeps it alive and is removed by `forget` when the api.Module that registered it
# is collected; holding the module prevents its id from being reused while registered.
_keys: dict[int, tuple[Module, str]] = {}


def module_key(module: Module) -> str | None:
    """The content key of a module loaded through `load_module`, or None."""
    entry = _keys.get(id(module))
    if entry is not None and entry[0] is module:
        return entry[1]
    return None


def forget(module: Module) -> None:
    """Drop a module's key (its owner is gone)."""
    entry = _keys.get(id(module))
    if entry is not None and entry[0] is module:
        del _keys[id(module)]


def get_code(module: Module, func_index: int, options: str = "") -> bytes | None:
    """A translated function of `module` cached by `put_code`, or None."""
    key = module_key(module)
    if key is None:
        return None
    cache = default_cache()
    return None if cache is None else cache.get_code(key, func_index, options)


def put_code(module: Module, func_index: int, options: str, payload: bytes) -> None:
    """Cache a translated function of `module` (no-op if the module has no key)."""
    key = module_key(module)
    if key is None:
        return
    cache = default_cache()
    if cache is not None:
        cache.put_code(key, func_index, options, payload)


# Marks a cached "this function cannot be translated" (marshal output never starts with 0).
_UNTRANSLATABLE = b"\0"


def jit_code(module: Module, defined: int, metered: bool, osr_block: int | None) -> Any:
    """The JIT's compiled-code hook (`jit.CODE_CACHE`): the code object for a function
    (or its on-stack-replacement variant) from the cache, else translated, compiled and
    stored. None (the JIT translates by itself) when the module has no key or the cache
    is off. A function the JIT cannot translate is remembered too, so that a later run
    does not try again: its TranslateError is raised from the cache.
    """
    from . import jit

    key = module_key(module)
    cache = default_cache() if key is not None else None
    if cache is None or getattr(jit.translate, "__module__", None) != jit.__name__:
        return None  # no cache, or a translator swapped in (tests): let the JIT do it
    # The JIT's limits (MAX_BODY, ...) decide what is translated: part of the key, so
    # that code made under other limits (a test's, say) is never taken for this one's.
    limits = sorted((k, v) for k, v in vars(jit).items() if k.isupper() and type(v) is int)
    options = f"metered={int(metered)};osr={osr_block};{limits}"
    entry = cache.key(f"code{defined}", key, options)
    payload = cache.get(entry)
    if payload is not None:
        if payload[:1] == _UNTRANSLATABLE:
            raise jit.TranslateError(payload[1:].decode("utf-8", "replace"))
        try:
            code = marshal.loads(payload)
        except (ValueError, TypeError, EOFError):
            code = None
        if isinstance(code, types.CodeType):
            return code
        cache.remove(entry)  # checksummed but not a code object: an engine bug; rebuild
    try:
        tr = jit.translate(module, defined, metered=metered, osr_block=osr_block)
        code = jit.compile_translation(tr)
    except jit.TranslateError as e:
        cache.put(entry, _UNTRANSLATABLE + str(e).encode())
        raise
    cache.put(entry, marshal.dumps(code))
    return code


_hooked = False


def _hook_jit() -> None:
    """Give the JIT the code cache (once, when the first module gets a key)."""
    global _hooked
    if _hooked:
        return
    _hooked = True
    from . import jit

    if getattr(jit, "CODE_CACHE", False) is None:
        jit.CODE_CACHE = jit_code


def load_module(
    raw: bytes,
    build: Callable[[], Module],
    *,
    kind: str = "wasm",
    cache: Cache | None | bool = True,
    min_bytes: int = MIN_MODULE_BYTES,
) -> Module:
    """The decoded and validated module for `raw`, from the cache or from `build()`.

    `build` decodes (or parses) and validates; its errors propagate and nothing is
    stored. `kind` separates binary from text sources. `cache=True` uses the default
    cache, None/False none. The returned module is registered under its content key
    (see `module_key`) so that the JIT can cache its translated functions.
    """
    if cache is True:
        cache = default_cache()
    if not cache:
        return build()
    assert isinstance(cache, Cache)
    content = f"{kind}:{hashlib.sha256(raw).hexdigest()}"
    key = cache.key("module", content)
    store = len(raw) >= min_bytes
    module = None
    if store:
        payload = cache.get(key)
        if payload is not None:
            try:
                module = module_from_plain(marshal.loads(payload))
            except (ValueError, TypeError, EOFError, IndexError, KeyError):
                cache.remove(key)  # checksummed but unreadable: an engine bug; rebuild
                module = None
    if module is None:
        module = build()
        if store:
            try:
                payload = marshal.dumps(module_to_plain(module))
            except (ValueError, TypeError):
                payload = None
            if payload is not None:
                cache.put(key, payload)
    _keys[id(module)] = (module, content)
    _hook_jit()
    return module
