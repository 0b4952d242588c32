"""Typed command-line values for `wasios run --invoke`: parse arguments by the export's
signature and print its results, as `wasmtime run --invoke` does."""

from __future__ import annotations

from typing import Any

from procs.wasm import numerics
from procs.wasm.errors import WasmError
from procs.wasm.module import EXTERNREF, F32, F64, FUNCREF, I32, I64, TYPE_NAMES, FuncType


def _parse_int(text: str, bits: int) -> int:
    try:
        v = int(text.replace("_", ""), 0)
    except ValueError:
        raise ValueError(f"{text!r} is not an integer") from None
    if not -(1 << (bits - 1)) <= v < (1 << bits):
        raise ValueError(f"{text!r} does not fit in i{bits}")
    return v & ((1 << bits) - 1)


def _parse_float(text: str) -> float:
    t = text.strip().lower().replace("_", "")
    try:
        if "0x" in t and not t.lstrip("+-").startswith(("inf", "nan")):
            return float.fromhex(t)
        return float(t)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None


def parse_arg(t: int, text: str) -> Any:
    """Parse one argument of type `t` into the engine's representation."""
    if t == I32:
        return _parse_int(text, 32)
    if t == I64:
        return _parse_int(text, 64)
    if t == F32:
        return numerics.f32_round(_parse_float(text))
    if t == F64:
        return _parse_float(text)
    if t in (FUNCREF, EXTERNREF) and text == "null":
        return None
    raise ValueError(f"cannot pass a {TYPE_NAMES.get(t, t)} from the command line")


def parse_args_for(ft: FuncType, texts: list[str], name: str) -> list[Any]:
    if len(texts) != len(ft.params):
        raise WasmError(
            f"export `{name}` takes {len(ft.params)} argument(s) {ft}, {len(texts)} given"
        )
    out = []
    for i, (t, text) in enumerate(zip(ft.params, texts, strict=True)):
        try:
            out.append(parse_arg(t, text))
        except ValueError as e:
            raise WasmError(f"argument {i + 1} of `{name}`: {e}") from None
    return out


def format_value(t: int, v: Any) -> str:
    if t == I32:
        return str(v - (1 << 32) if v >> 31 else v)
    if t == I64:
        return str(v - (1 << 64) if v >> 63 else v)
    if t in (F32, F64):
        return repr(v)
    if v is None:
        return "null"
    return f"<{TYPE_NAMES.get(t, t)}>"


def format_results(ft: FuncType, results: list[Any]) -> str:
    return "\n".join(format_value(t, v) for t, v in zip(ft.results, results, strict=True))
