"""`wasios inspect`: the report names everything in a module with the right values.

Counts, section offsets and sizes are cross-checked against `wasm-objdump`, parsed here
independently; the other expectations are read off the module's source text.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

wasmtime = pytest.importorskip("wasmtime")

from procs.wasm.describe import describe  # noqa: E402
from procs.wasm.errors import MalformedError  # noqa: E402

SOURCE = r"""
(module $demo
  (type (func (param i32 i32 i32 i32) (result i32)))
  (type (func (param i32 i32) (result i32)))
  (type (func))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (type 0)))
  (import "wasi_unstable" "proc_exit" (func $old_exit (param i32)))
  (import "env" "log" (func $log (param i32)))
  (import "env" "counter" (global $counter (mut i64)))
  (table $tab 3 8 funcref)
  (memory $mem 2 16)
  (global $sp (mut i32) (i32.const 66560))
  (global $pi f64 (f64.const 3.5))
  (export "add" (func $add))
  (export "memory" (memory $mem))
  (export "table" (table $tab))
  (export "sp" (global $sp))
  (start $init)
  (func $add (type 1) (local i64 i64 f32) local.get 0 local.get 1 i32.add)
  (func $init (type 2) i32.const 0 call $log)
  (func (type 2))
  (elem (i32.const 1) $add $init)
  (elem funcref (ref.null func))
  (data (i32.const 1024) "Hello, world!\n")
  (data "\00\01rest"))
"""


def _binary() -> bytes:
    return bytes(wasmtime.wat2wasm(SOURCE))


def _objdump(tmp_path, data: bytes, flag: str) -> str:
    if shutil.which("wasm-objdump") is None:
        pytest.skip("wabt not installed")
    path = tmp_path / "m.wasm"
    path.write_bytes(data)
    return subprocess.run(
        ["wasm-objdump", flag, str(path)], check=True, capture_output=True, text=True
    ).stdout


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


def test_header_says_binary_and_size() -> None:
    raw = _binary()
    first = describe(raw, "demo.wasm").splitlines()[0]
    assert first == f"demo.wasm: {len(raw)} bytes, WebAssembly binary module (version 1)"


def test_each_thing_is_named_with_its_values() -> None:
    lines = _lines(describe(_binary(), "demo.wasm"))
    expected = [
        "module name: demo",
        "type[0] (i32, i32, i32, i32) -> i32",
        "type[1] (i32, i32) -> i32",
        "type[2] () -> ()",
        "Imports (4, 2 from WASI):",
        "func[0] <fd_write> sig=0 (i32, i32, i32, i32) -> i32"
        " <- wasi_snapshot_preview1.fd_write  [WASI]",
        "func[1] <old_exit> sig=3 (i32) -> () <- wasi_unstable.proc_exit  [WASI]",
        "func[2] <log> sig=3 (i32) -> () <- env.log",
        "global[0] i64 mutable <- env.counter",
        "Functions (6: 3 imported, 3 defined):",
        "table[0] funcref initial=3 max=8",
        "memory[0] initial=2 pages (128 KiB), max=16 pages (1 MiB)",
        "global[1] i32 mutable = i32.const 66560",
        "global[2] f64 immutable = f64.const 3.5",
        'func[3] <add> -> "add"',
        'memory[0] -> "memory"',
        'table[0] -> "table"',
        'global[1] -> "sp"',
        "Start function: func[4] <init> (runs when instantiated)",
        "elem[0] active table[0] offset=(i32.const 1) funcref, 2 items: "
        "func[3] <add>, func[4] <init>",
        "elem[1] passive funcref, 1 item: ref.null func",
        'data[0] active memory[0] offset=(i32.const 1024), 14 bytes: "Hello, world!\\n"',
        'data[1] passive, 6 bytes: "\\00\\01rest"',
    ]
    for line in expected:
        assert line in lines, line
    # The type (i32) -> () was added by the inline import type; locate defined functions.
    add = next(line for line in lines if line.startswith("func[3] <add> sig="))
    assert "(i32, i32) -> i32" in add and "3 locals" in add
    assert any(line.startswith("func[5] sig=2 () -> (), 0 locals") for line in lines)
    assert any(line.startswith('"name"') for line in lines)


def test_counts_and_sections_match_wasm_objdump(tmp_path) -> None:
    raw = _binary()
    text = describe(raw, "demo.wasm")
    details = _objdump(tmp_path, raw, "-x")
    theirs = dict(re.findall(r"^(\w+)\[(\d+)\]:$", details, re.M))
    ours = {
        "Type": r"^Types \((\d+)\):",
        "Import": r"^Imports \((\d+)",
        "Function": r"^Functions \(\d+: \d+ imported, (\d+) defined\):",
        "Code": r"^  code\s+start=\S+ size=\d+\s+(\d+) bodies",
        "Table": r"^Tables \((\d+)\):",
        "Memory": r"^Memories \((\d+)",
        "Global": r"^Globals \((\d+)\):",
        "Export": r"^Exports \((\d+)\):",
        "Elem": r"^Element segments \((\d+)\):",
        "Data": r"^Data segments \((\d+)\):",
    }
    assert set(theirs) == set(ours)
    for key, pattern in ours.items():
        match = re.search(pattern, text, re.M)
        assert match is not None, key
        assert match.group(1) == theirs[key], key
    # Section offsets and sizes: wasm-objdump -h reports the contents' start and size.
    headers = re.findall(
        r"^\s*(\w+) start=0x([0-9a-f]+) end=0x[0-9a-f]+ \(size=0x([0-9a-f]+)\)",
        _objdump(tmp_path, raw, "-h"),
        re.M,
    )
    ours_sections = re.findall(r"^  (\w+)\s+start=0x([0-9a-f]+) size=(\d+)", text, re.M)
    assert len(ours_sections) == len(headers)
    for (name, start, size), (oname, ostart, osize) in zip(headers, ours_sections, strict=True):
        assert name.lower() == oname
        assert int(start, 16) == int(ostart, 16)
        assert int(size, 16) == int(osize)


def test_text_and_binary_describe_the_same_module() -> None:
    from_text = describe(SOURCE.encode(), "demo.wat")
    from_binary = describe(_binary(), "demo.wasm")
    assert (
        from_text.splitlines()[0]
        == f"demo.wat: {len(SOURCE.encode())} bytes, WebAssembly text module"
    )
    assert "binary encoding" in from_text.splitlines()[1]

    def part(text: str, title: str) -> str:
        start = text.index("\n" + title)
        end = text.find("\n\n", start + 1)
        return text[start:end]

    for title in (
        "Types",
        "Imports",
        "Functions",
        "Tables",
        "Memories",
        "Globals",
        "Exports",
        "Start",
        "Element",
        "Data",
    ):
        assert part(from_text, title) == part(from_binary, title), title


def test_text_sizes_are_those_of_wat2wasm(tmp_path) -> None:
    if shutil.which("wat2wasm") is None:
        pytest.skip("wabt not installed")
    src = tmp_path / "m.wat"
    src.write_text(SOURCE)
    out = tmp_path / "m.wasm"
    subprocess.run(
        ["wat2wasm", "--debug-names", str(src), "-o", str(out)], check=True, capture_output=True
    )
    ours = re.findall(
        r"^  (\w+)\s+start=0x([0-9a-f]+) size=(\d+)", describe(SOURCE.encode(), "m.wat"), re.M
    )
    theirs = re.findall(
        r"^  (\w+)\s+start=0x([0-9a-f]+) size=(\d+)", describe(out.read_bytes(), "m.wasm"), re.M
    )
    # Identical up to the name section, whose contents wat2wasm fills differently.
    assert ours[:-1] == theirs[:-1]
    assert ours[-1][0] == "custom"


def test_long_function_lists_are_cut_short() -> None:
    funcs = "".join(f"(func $f{i})" for i in range(120))
    text = describe(f"(module {funcs})".encode(), "many.wat")
    lines = _lines(text)
    assert "Functions (120: 0 imported, 120 defined):" in lines
    assert "... 70 more" in lines
    assert sum(1 for line in lines if re.match(r"func\[\d+\] <f\d+> sig=0", line)) == 50


def test_memory_without_max_and_empty_module() -> None:
    lines = _lines(describe(b"(module (memory 1))", "m.wat"))
    assert "memory[0] initial=1 page (64 KiB), no max (can grow up to 4 GiB)" in lines
    empty = describe(b"\x00asm\x01\x00\x00\x00", "e.wasm")
    assert empty.startswith("e.wasm: 8 bytes, WebAssembly binary module")
    assert "Sections (0" in empty


@pytest.mark.parametrize(
    "raw",
    [
        b"\x00asm\x01\x00\x00",  # truncated header
        b"\x00asm\x02\x00\x00\x00",  # wrong version
        b"\x00asm\x01\x00\x00\x00\x01\x05\x01\x60\x00",  # section runs off the end
        b"\x7fELF\x02\x01\x01\xff\xfe",  # neither Wasm nor text
        b"(module (func (result i32) i32.const))",  # bad text
        b"\x00\x00\x00\x00",  # bad magic
    ],
)
def test_malformed_input_raises_malformed_error(raw: bytes) -> None:
    with pytest.raises(MalformedError):
        describe(raw, "bad.wasm")


def test_real_program_describes(tmp_path) -> None:
    """A C program built for WASI: its imports are marked and the report is complete."""
    from tests.procs.wasm.conftest import build_c

    src = tmp_path / "hello.c"
    src.write_text('#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n')
    try:
        raw = build_c(src)
    except Exception as exc:  # pragma: no cover - compiler missing on this machine
        pytest.skip(f"cannot build C: {exc}")
    lines = _lines(describe(raw, "hello.wasm"))
    wasi = [line for line in lines if line.endswith("[WASI]")]
    assert wasi and all("<- wasi_snapshot_preview1." in line for line in wasi)
    assert any(line.startswith("func[") and '-> "_start"' in line for line in lines)


def test_cli_prints_report_or_one_line_error(tmp_path, capsys) -> None:
    from wasios.__main__ import main

    good = tmp_path / "demo.wat"
    good.write_text(SOURCE)
    assert main(["inspect", str(good)]) == 0
    out = capsys.readouterr().out
    assert out == describe(SOURCE.encode(), str(good))
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"\x00asm\x01\x00")
    assert main(["inspect", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("wasios: error: ") and err.count("\n") == 1
