"""LEB128 integers as the Wasm binary format defines them, with the spec's error rules.

A value of N bits may take at most ceil(N / 7) bytes ("integer representation too long"),
and the bits of the last byte beyond N must be zero for unsigned values or copies of the
sign bit for signed ones ("integer too large").  Readers return `(value, next_pos)`;
signed readers return the signed value, callers store it unsigned where module.py says so.
"""

from __future__ import annotations

from .errors import MalformedError

EOS = "unexpected end of section or function"


def read_unsigned(data: bytes, pos: int, bits: int) -> tuple[int, int]:
    """Read an unsigned LEB128 of at most `bits` bits starting at `pos`."""
    result = 0
    shift = 0
    left = bits
    try:
        while True:
            if left <= 0:
                raise MalformedError("integer representation too long", pos)
            b = data[pos]
            pos += 1
            if left < 7 and (b & 0x7F) >= (1 << left):
                raise MalformedError("integer too large", pos - 1)
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result, pos
            shift += 7
            left -= 7
    except IndexError:
        raise MalformedError(EOS, len(data)) from None


def read_signed(data: bytes, pos: int, bits: int) -> tuple[int, int]:
    """Read a signed LEB128 of at most `bits` bits starting at `pos` (signed result)."""
    result = 0
    shift = 0
    left = bits
    try:
        while True:
            if left <= 0:
                raise MalformedError("integer representation too long", pos)
            b = data[pos]
            pos += 1
            if left < 7:
                mask = (-1 << (left - 1)) & 0x7F
                if (b & mask) not in (0, mask):
                    raise MalformedError("integer too large", pos - 1)
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                if b & 0x40:
                    result -= 1 << shift
                return result, pos
            left -= 7
    except IndexError:
        raise MalformedError(EOS, len(data)) from None


def read_u32(data: bytes, pos: int) -> tuple[int, int]:
    return read_unsigned(data, pos, 32)


def read_u64(data: bytes, pos: int) -> tuple[int, int]:
    return read_unsigned(data, pos, 64)


def read_s32(data: bytes, pos: int) -> tuple[int, int]:
    return read_signed(data, pos, 32)


def read_s33(data: bytes, pos: int) -> tuple[int, int]:
    return read_signed(data, pos, 33)


def read_s64(data: bytes, pos: int) -> tuple[int, int]:
    return read_signed(data, pos, 64)


def encode_unsigned(value: int) -> bytes:
    """Minimal unsigned LEB128 encoding (for tests and tools that build binaries)."""
    if value < 0:
        raise ValueError("negative value for unsigned LEB128")
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def encode_signed(value: int) -> bytes:
    """Minimal signed LEB128 encoding."""
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if (value == 0 and not b & 0x40) or (value == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)
