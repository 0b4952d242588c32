"""The compiled-code cache (`procs/wasm/cache.py`): keys, integrity, directory safety,
the size bound, concurrent writers, and its use by `api.Module`.

Every test points the cache at a temporary directory through the environment; none
touches the user's real cache.
"""

from __future__ import annotations

import marshal
import multiprocessing
import os
import struct
import threading
from pathlib import Path

import pytest
import wasmtime

import wasios
from procs.wasm import api
from procs.wasm import cache as cache_mod
from procs.wasm.cache import Cache, load_module, module_from_plain, module_to_plain
from procs.wasm.decode import decode
from procs.wasm.errors import MalformedError
from procs.wasm.validate import validate

RICH = """(module $rich
  (type $t (func (param i32 i64) (result f32)))
  (import "env" "f" (func $imp (type $t)))
  (import "env" "tab" (table 1 10 funcref))
  (import "env" "mem" (memory 1 2))
  (import "env" "g" (global $gi (mut i64)))
  (table $t2 2 externref)
  (global $g (mut f64) (f64.const -0x1.8p3))
  (global i32 (i32.const 7))
  (func $f (export "f") (param $x i32) (param i64) (result f32)
    (local f64 i32)
    (block $b (result i32)
      (br_table $b $b (local.get $x) (local.get $x)))
    (drop)
    (f32.const nan:0x123))
  (func $s (i64.store offset=8 align=4 (i32.const 0) (i64.const -1)))
  (start $s)
  (elem (table 0) (i32.const 0) func $f)
  (elem declare func $s)
  (elem funcref (ref.null func) (ref.func $f))
  (data (i32.const 16) "hello\\00\\ff")
  (data "passive")
  (export "tab2" (table $t2)))
"""


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("WASIOS_CACHE_DIR", str(d))
    monkeypatch.delenv("WASIOS_CACHE", raising=False)
    monkeypatch.delenv("WASIOS_CACHE_MAX", raising=False)
    return d


def entry_files(d: Path) -> list[Path]:
    return sorted(p for p in d.rglob("*") if p.is_file())


def rich_module():
    return decode(wasmtime.wat2wasm(RICH))


def big_binary(extra: int = 70_000) -> bytes:
    """A valid module past the size below which modules are not stored."""
    base = wasmtime.wat2wasm('(module (func (export "two") (result i32) i32.const 2))')
    payload = b"\x03pad" + bytes(extra)  # a custom section named "pad"
    n = len(payload)
    size = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        size.append(b | (0x80 if n else 0))
        if not n:
            break
    return base + b"\x00" + bytes(size) + payload


# --- plain data ------------------------------------------------------------------------


def test_module_round_trips_through_marshal(bench_wasm):
    modules = [rich_module(), *(decode(w) for w in bench_wasm.values())]
    for m in modules:
        back = module_from_plain(marshal.loads(marshal.dumps(module_to_plain(m))))
        assert back == m
        validate(back)


# --- raw entries -------------------------------------------------------------------------


def test_hit_and_miss(cache_dir):
    c = Cache(cache_dir)
    assert c.enabled
    k = c.key("module", "abc")
    assert c.get(k) is None
    c.put(k, b"payload")
    assert c.get(k) == b"payload"
    assert c.get(c.key("module", "abd")) is None  # another content
    # entries are files of the owner only; the directory is 0700
    assert (os.stat(cache_dir).st_mode & 0o777) == 0o700
    for f in entry_files(cache_dir):
        assert (f.stat().st_mode & 0o077) == 0


def test_options_and_engine_version_change_the_key(cache_dir, monkeypatch):
    c = Cache(cache_dir)
    assert c.key("code3", "m", "jit=eager") != c.key("code3", "m", "jit=lazy")
    assert c.key("code3", "m") != c.key("code4", "m")
    c.put_code("m", 3, "jit=eager", b"code")
    assert c.get_code("m", 3, "jit=eager") == b"code"
    assert c.get_code("m", 3, "jit=lazy") is None
    assert c.get_code("m", 4, "jit=eager") is None
    assert c.get_code("n", 3, "jit=eager") is None
    monkeypatch.setattr(cache_mod, "_engine_version", "another engine")
    assert c.get_code("m", 3, "jit=eager") is None


def test_engine_version_hashes_the_engine_sources():
    v = cache_mod.engine_version()
    assert len(v) == 64 and v == cache_mod.engine_version()


def _only_entry(d: Path) -> Path:
    (f,) = entry_files(d)
    return f


@pytest.mark.parametrize(
    "damage",
    ["flip_payload", "truncate", "truncate_header", "empty", "bad_magic", "bad_checksum",
     "bad_length", "bad_version"],
)  # fmt: skip
def test_damaged_entry_is_ignored_removed_and_rebuilt(cache_dir, damage):
    c = Cache(cache_dir)
    raw = wasmtime.wat2wasm(RICH)
    built = []

    def build():
        built.append(1)
        m = decode(raw)
        validate(m)
        return m

    first = load_module(raw, build, cache=c, min_bytes=0)
    f = _only_entry(cache_dir)
    blob = bytearray(f.read_bytes())
    hsize = cache_mod._HEADER.size
    if damage == "flip_payload":
        blob[hsize + 5] ^= 0x40
    elif damage == "truncate":
        del blob[len(blob) // 2 :]
    elif damage == "truncate_header":
        del blob[hsize - 3 :]
    elif damage == "empty":
        blob = bytearray()
    elif damage == "bad_magic":
        blob[0] ^= 1
    elif damage == "bad_checksum":
        blob[hsize - 1] ^= 1
    elif damage == "bad_length":
        struct.pack_into("<Q", blob, 42, len(blob))
    elif damage == "bad_version":
        struct.pack_into("<H", blob, 8, 99)
    f.write_bytes(bytes(blob))
    assert c.get(f.parent.name + f.name) is None  # the raw layer refuses it ...
    assert not f.exists()  # ... and removes it
    f.write_bytes(bytes(blob))
    second = load_module(raw, build, cache=c, min_bytes=0)
    assert len(built) == 2  # rebuilt, not trusted
    assert second == first
    third = load_module(raw, build, cache=c, min_bytes=0)
    assert len(built) == 2  # and the rebuilt entry is good
    assert third == first


def test_entry_under_another_key_is_rejected(cache_dir):
    c = Cache(cache_dir)
    k1, k2 = c.key("module", "one"), c.key("module", "two")
    c.put(k1, b"one's payload")
    src = c._path(k1)
    dst = c._path(k2)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(src.read_bytes())
    assert c.get(k2) is None
    assert not dst.exists()
    assert c.get(k1) == b"one's payload"


def test_checksummed_but_unreadable_payload_is_rebuilt(cache_dir):
    c = Cache(cache_dir)
    raw = wasmtime.wat2wasm(RICH)
    key = c.key("module", "wasm:" + __import__("hashlib").sha256(raw).hexdigest())
    c.put(key, marshal.dumps(("not", "a", "module")))
    m = load_module(raw, lambda: decode(raw), cache=c, min_bytes=0)
    assert m == decode(raw)
    assert module_from_plain(marshal.loads(c.get(key))) == m


# --- the directory ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o722, 0o702])
def test_group_or_world_writable_directory_disables_the_cache(cache_dir, mode):
    cache_dir.mkdir(mode=0o700)
    os.chmod(cache_dir, mode)
    assert not Cache(cache_dir).enabled
    assert cache_mod.default_cache() is None
    m = wasios.Module(big_binary())  # still loads, silently without the cache
    assert wasios.Instance(m).exports.two() == 2
    assert entry_files(cache_dir) == []


def test_directory_of_another_user_disables_the_cache(cache_dir):
    if os.geteuid() != 0:
        pytest.skip("only root can give a directory away")
    cache_dir.mkdir(mode=0o700)
    os.chown(cache_dir, 4242, -1)
    assert not Cache(cache_dir).enabled
    assert cache_mod.default_cache() is None


def test_a_file_in_place_of_the_directory_disables_the_cache(cache_dir):
    cache_dir.write_bytes(b"")
    assert not Cache(cache_dir).enabled


def test_env_switches(cache_dir, monkeypatch, tmp_path):
    assert cache_mod.default_cache().directory == cache_dir
    monkeypatch.setenv("WASIOS_CACHE", "off")
    assert cache_mod.default_cache() is None
    monkeypatch.delenv("WASIOS_CACHE")
    monkeypatch.setenv("WASIOS_CACHE_MAX", "3M")
    assert cache_mod.default_cache().max_size == 3 << 20
    monkeypatch.delenv("WASIOS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_mod.default_dir() == tmp_path / "xdg" / "wasios"


# --- size bound ------------------------------------------------------------------------


def test_eviction_keeps_the_bound_and_drops_least_recently_used(cache_dir):
    c = Cache(cache_dir, max_size=12_000)  # room for 11 entries
    keys = [c.key("module", str(i)) for i in range(15)]
    for i, k in enumerate(keys[:10]):
        c.put(k, bytes([i]) * 1000)
        os.utime(c._path(k), (1000 + i, 1000 + i))  # deterministic ages: 0 is oldest
    assert c.get(keys[0]) is not None  # a hit makes 0 the most recently used
    for k in keys[10:]:
        c.put(k, b"x" * 1000)
        assert c.size() <= c.max_size
    assert c.get(keys[0]) is not None
    assert c.get(keys[1]) is None  # the oldest untouched ones went first
    assert c.get(keys[-1]) is not None


def test_stale_temporary_files_are_swept(cache_dir):
    c = Cache(cache_dir)
    c.put(c.key("module", "a"), b"a")
    tmp = c._path(c.key("module", "a")).parent / ".tmp-dead-1"
    tmp.write_bytes(b"half")
    os.utime(tmp, (1000, 1000))
    c.evict()
    assert not tmp.exists()
    assert c.get(c.key("module", "a")) == b"a"


# --- concurrency -----------------------------------------------------------------------


def _payload(key: int, writer: int, n: int) -> bytes:
    body = bytes([writer]) * (1000 + 37 * key + n)
    return struct.pack("<II", key, len(body)) + body


def _valid(key: int, p: bytes) -> bool:
    k, n = struct.unpack_from("<II", p)
    body = p[8:]
    return k == key and n == len(body) and len(set(body)) == 1


def _writer(args: tuple[str, int]) -> int:
    directory, writer = args
    c = Cache(directory, max_size=20_000)  # small: evictions run while others write
    for n in range(60):
        for key in (0, 1, 2, 10 + writer):  # shared keys, and one of its own
            c.put(c.key("module", str(key)), _payload(key, writer, n))
            got = c.get(c.key("module", str(key)))
            assert got is None or _valid(key, got)
    return writer


def test_concurrent_writers_leave_only_valid_entries(cache_dir):
    Cache(cache_dir)  # create it
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        assert sorted(pool.map(_writer, [(str(cache_dir), w) for w in range(4)])) == [0, 1, 2, 3]
    threads = [threading.Thread(target=_writer, args=((str(cache_dir), w),)) for w in (4, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    c = Cache(cache_dir)
    files = entry_files(cache_dir)
    assert files and not [f for f in files if f.name.startswith(".tmp-")]
    for key in (0, 1, 2, *range(10, 16)):
        got = c.get(c.key("module", str(key)))
        assert got is None or _valid(key, got)  # None only if evicted
    assert len(entry_files(cache_dir)) == len(files)  # every entry passed its checks


# --- api.Module ------------------------------------------------------------------------


def test_module_is_loaded_from_the_cache_the_second_time(cache_dir, monkeypatch):
    raw = big_binary()
    first = wasios.Module(raw)
    assert len(entry_files(cache_dir)) == 1

    def fail(*args):
        raise AssertionError("decoded or validated although cached")

    monkeypatch.setattr(api, "decode", fail)
    monkeypatch.setattr(api, "validate", fail)
    second = wasios.Module(raw)
    assert second._module == first._module
    assert wasios.Instance(second).exports.two() == 2
    # a changed module misses
    with pytest.raises(AssertionError, match="although cached"):
        wasios.Module(big_binary(extra=70_001))


def test_text_modules_are_keyed_by_their_text(cache_dir, monkeypatch):
    text = RICH + ";;" + "x" * 70_000 + "\n"
    first = wasios.Module(text)
    import procs.wasm.text as text_mod

    monkeypatch.setattr(text_mod, "parse_module", lambda *a: 1 / 0)
    assert wasios.Module(text)._module == first._module
    assert wasios.Module(text.encode())._module == first._module
    with pytest.raises(ZeroDivisionError):
        wasios.Module(text + " ")


def test_small_modules_and_cache_false_store_nothing(cache_dir):
    wasios.Module(RICH)
    wasios.Module(big_binary(), cache=False)
    assert entry_files(cache_dir) == []


def test_errors_are_not_cached(cache_dir):
    bad = big_binary()[:-5]
    for _ in range(2):
        with pytest.raises(MalformedError):
            wasios.Module(bad)
    assert entry_files(cache_dir) == []


def test_code_entries_for_the_jit(cache_dir, monkeypatch):
    m = wasios.Module(RICH)  # small: not stored, but keyed
    data = m._module
    assert cache_mod.module_key(data) is not None
    assert cache_mod.get_code(data, 1, "jit=eager") is None
    cache_mod.put_code(data, 1, "jit=eager", b"translated")
    assert cache_mod.get_code(data, 1, "jit=eager") == b"translated"
    assert cache_mod.get_code(data, 1, "jit=lazy") is None
    assert cache_mod.get_code(wasios.Module(RICH)._module, 1, "jit=eager") == b"translated"
    assert cache_mod.get_code(decode(wasmtime.wat2wasm(RICH)), 1, "jit=eager") is None  # no key
    monkeypatch.setenv("WASIOS_CACHE", "off")
    assert cache_mod.get_code(data, 1, "jit=eager") is None
    cache_mod.put_code(data, 2, "jit=eager", b"x")  # a no-op


def test_module_key_is_forgotten_with_its_module(cache_dir):
    import gc

    m = wasios.Module(RICH)
    data = m._module
    assert cache_mod.module_key(data) is not None
    del m
    gc.collect()
    assert cache_mod.module_key(data) is None


# --- translated functions (the JIT's CODE_CACHE hook) ----------------------------------

LOOP = """(module
  (func $sum (export "sum") (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $top
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $top)))
    (local.get $acc)))
"""


def test_translated_functions_are_cached(cache_dir, monkeypatch):
    from procs.wasm import jit

    monkeypatch.setenv("WASIOS_JIT", "eager")
    m = wasios.Module(LOOP)
    assert jit.CODE_CACHE is cache_mod.jit_code  # installed by the first api.Module
    assert wasios.Instance(m).exports.sum(100) == 5050
    assert len(entry_files(cache_dir)) == 1  # the code of $sum

    translated = []
    real = jit.compile_translation
    monkeypatch.setattr(jit, "compile_translation", lambda tr: translated.append(1) or real(tr))
    jit._MODULE_CACHES.clear()  # the JIT's own in-memory cache, as in a new process
    m2 = wasios.Module(LOOP)
    assert wasios.Instance(m2).exports.sum(10) == 55
    assert translated == []  # came from the disk cache
    # another module, or metered code, is another entry
    wasios.Instance(wasios.Module(LOOP.replace("(i32.const 1)", "(i32.const 2)"))).exports.sum(8)
    assert len(translated) == 1
    inst = wasios.Instance(wasios.Module(LOOP))
    jit.configure(inst._inst, "eager", fuel=10_000)
    assert inst.exports.sum(10) == 55
    assert len(translated) == 2


def test_damaged_code_entry_is_translated_again(cache_dir, monkeypatch):
    from procs.wasm import jit

    monkeypatch.setenv("WASIOS_JIT", "eager")
    assert wasios.Instance(wasios.Module(LOOP)).exports.sum(4) == 10
    f = _only_entry(cache_dir)
    blob = bytearray(f.read_bytes())
    blob[-1] ^= 0xFF
    f.write_bytes(bytes(blob))
    jit._MODULE_CACHES.clear()
    assert wasios.Instance(wasios.Module(LOOP)).exports.sum(5) == 15
    jit._MODULE_CACHES.clear()
    c = Cache(cache_dir)
    assert c.get(f.parent.name + f.name) is not None  # rewritten, valid


def test_untranslatable_functions_are_remembered(cache_dir, monkeypatch):
    from procs.wasm import jit

    monkeypatch.setenv("WASIOS_JIT", "eager")
    monkeypatch.setattr(jit, "MAX_BODY", 3)  # $sum is longer: left to the interpreter
    attempts = []
    real = jit._Translator
    monkeypatch.setattr(jit, "_Translator", lambda *a: attempts.append(1) or real(*a))
    assert wasios.Instance(wasios.Module(LOOP)).exports.sum(4) == 10  # the interpreter
    assert len(attempts) == 1
    assert _only_entry(cache_dir).read_bytes()[cache_mod._HEADER.size :][:1] == b"\0"
    jit._MODULE_CACHES.clear()
    assert wasios.Instance(wasios.Module(LOOP)).exports.sum(4) == 10
    assert len(attempts) == 1  # not tried again
    monkeypatch.setattr(jit, "MAX_BODY", 100_000)  # other limits: another entry
    jit._MODULE_CACHES.clear()
    assert wasios.Instance(wasios.Module(LOOP)).exports.sum(4) == 10
    assert len(attempts) == 2 and len(entry_files(cache_dir)) == 2


def test_a_swapped_translator_bypasses_the_cache(cache_dir, monkeypatch):
    from procs.wasm import jit

    monkeypatch.setenv("WASIOS_JIT", "eager")
    real = jit.translate
    monkeypatch.setattr(jit, "translate", lambda *a, **k: real(*a, **k))
    assert wasios.Instance(wasios.Module(LOOP)).exports.sum(4) == 10
    assert entry_files(cache_dir) == []


def test_no_code_cache_without_a_key_or_with_the_cache_off(cache_dir, monkeypatch):
    from procs.wasm import jit

    monkeypatch.setenv("WASIOS_JIT", "eager")
    wasios.Instance(wasios.Module(LOOP, cache=False)).exports.sum(3)
    monkeypatch.setenv("WASIOS_CACHE", "off")
    jit._MODULE_CACHES.clear()
    wasios.Instance(wasios.Module(LOOP)).exports.sum(3)
    assert entry_files(cache_dir) == []


def test_equal_instructions_are_stored_once():
    m = rich_module()
    m.funcs[0].body = [(0x20, 0), (0x20, 0), (0x1A,), (0x0E, (0, 1), 0), (0x0E, (0, 1), 0)]
    body = module_to_plain(m)[2][0][2]
    assert body[0] is body[1] and body[3] is body[4]
    back = module_from_plain(marshal.loads(marshal.dumps(module_to_plain(m))))
    assert back.funcs[0].body == m.funcs[0].body
    assert back.funcs[0].body[0] is back.funcs[0].body[1]
