"""Tests of procs/wasm/numerics.py: completeness, hand-picked edge cases (expected values
computed independently with struct/math or known IEEE facts) and a differential test
against the reference runtime wasmtime, which sees only raw integer bits."""

from __future__ import annotations

import math
import struct

import pytest
import wasmtime
from hypothesis import given, settings
from hypothesis import strategies as st

from procs.wasm import numerics as N
from procs.wasm.errors import Trap
from procs.wasm.module import F32, F64, I32, I64
from procs.wasm.opcodes import OPS, Imm

NUMERIC_OPS = [op for op in OPS if op.imm is Imm.NONE and op.sig is not None]


def f32b(b: int) -> float:
    """Independent decoding of a non-NaN f32 bit pattern."""
    return struct.unpack("<f", struct.pack("<I", b))[0]


def f64b(b: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", b))[0]


def bits64(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def neg_zero(x: float) -> bool:
    return x == 0.0 and math.copysign(1.0, x) < 0


FLT_MAX = f32b(0x7F7FFFFF)
FLT_TRUE_MIN = 2.0**-149
INF = math.inf


# --- (a) completeness --------------------------------------------------------------


def test_every_numeric_opcode_has_a_function() -> None:
    missing = [op.name for op in NUMERIC_OPS if op.code not in N.BY_CODE]
    assert missing == []
    assert len(NUMERIC_OPS) == 136  # the Wasm 2.0 numeric instructions incl. trunc_sat
    for op in NUMERIC_OPS:
        assert N.BY_CODE[op.code] is getattr(N, op.name.replace(".", "_")), op.name
    assert set(N.BY_CODE) == {op.code for op in NUMERIC_OPS}


# --- (b) hand-picked edge cases ----------------------------------------------------


@pytest.mark.parametrize(
    "b",
    [0, 0x80000000, 1, 0x007FFFFF, 0x00800000, 0x3F800000, 0x7F7FFFFF, 0x7F800000,
     0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001, 0x7FA00000, 0x7FFFFFFF,
     0xFFFFFFFF, 0x7FC00001],
)  # fmt: skip
def test_f32_bits_roundtrip(b: int) -> None:
    x = N.f32_from_bits(b)
    assert N.f32_to_bits(x) == b
    if (b & 0x7F800000) == 0x7F800000 and b & 0x7FFFFF:
        # the payload convention: same sign, mantissa << 29
        expect = ((b & 0x80000000) << 32) | 0x7FF0000000000000 | ((b & 0x7FFFFF) << 29)
        assert bits64(x) == expect
    else:
        assert bits64(x) == bits64(f32b(b))


@pytest.mark.parametrize(
    "b", [0, 1 << 63, 1, 0x7FF0000000000000, 0x7FF0000000000001, 0x7FF8000000000000,
          0xFFF4000000000000, 0x7FEFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF]
)  # fmt: skip
def test_f64_bits_roundtrip(b: int) -> None:
    x = N.f64_from_bits(b)
    assert N.f64_to_bits(x) == b
    assert N.f64_reinterpret_i64(b) == x or x != x
    assert N.i64_reinterpret_f64(x) == b


def test_f32_round() -> None:
    assert N.f32_round(1.0 + 2.0**-24) == 1.0  # tie -> even
    assert N.f32_round(1.0 + 3 * 2.0**-24) == 1.0 + 2.0**-22  # tie -> even (up)
    assert N.f32_round(1.0 + 2.0**-24 + 2.0**-40) == 1.0 + 2.0**-23
    half_ulp = 2.0**103  # ulp of FLT_MAX is 2**104
    assert N.f32_round(FLT_MAX + half_ulp) == INF  # tie: FLT_MAX has an odd mantissa
    assert N.f32_round(-(FLT_MAX + half_ulp)) == -INF
    assert N.f32_round(FLT_MAX + half_ulp / 2) == FLT_MAX
    assert N.f32_round(1e300) == INF and N.f32_round(-1e300) == -INF
    assert N.f32_round(2.0**-150) == 0.0  # tie between 0 and the least subnormal
    assert neg_zero(N.f32_round(-(2.0**-150)))
    assert N.f32_round(2.0**-150 * 1.5) == FLT_TRUE_MIN
    assert N.f32_round(3 * 2.0**-150) == 2 * FLT_TRUE_MIN  # tie -> even
    snan = f64b(0x7FF0000000000001)  # payload only in the low bits
    assert bits64(N.f32_round(snan)) == 0x7FF8000000000000
    assert bits64(N.f32_round(f64b(0xFFF0000040000001))) == 0xFFF8000040000000


def test_signed_helpers() -> None:
    assert N.s32(0xFFFFFFFF) == -1 and N.s32(0x7FFFFFFF) == 2**31 - 1
    assert N.s32(0x80000000) == -(2**31)
    assert N.s64(0xFFFFFFFFFFFFFFFF) == -1 and N.s64(1 << 63) == -(2**63)


M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF

INT_CASES = [
    (N.i32_add, (M32, 2), 1),
    (N.i32_sub, (0, 1), M32),
    (N.i32_mul, (0x10000, 0x10000), 0),
    (N.i32_mul, (M32, M32), 1),
    (N.i32_div_s, (-7 & M32, 2), -3 & M32),
    (N.i32_div_s, (7, -2 & M32), -3 & M32),
    (N.i32_div_s, (0x80000000, 2), 0xC0000000),
    (N.i32_div_s, (0x80000000, 1), 0x80000000),
    (N.i32_div_u, (-7 & M32, 2), 0x7FFFFFFC),
    (N.i32_rem_s, (-7 & M32, 2), M32),
    (N.i32_rem_s, (7, -2 & M32), 1),
    (N.i32_rem_s, (-7 & M32, -2 & M32), M32),
    (N.i32_rem_s, (0x80000000, M32), 0),
    (N.i32_rem_u, (-7 & M32, 2), 1),
    (N.i32_shl, (1, 33), 2),
    (N.i32_shl, (M32, 31), 0x80000000),
    (N.i32_shr_s, (0x80000000, 31), M32),
    (N.i32_shr_s, (0x80000000, 32), 0x80000000),
    (N.i32_shr_u, (0x80000000, 63), 1),
    (N.i32_rotl, (0x80000001, 1), 3),
    (N.i32_rotl, (0x12345678, 32), 0x12345678),
    (N.i32_rotr, (1, 1), 0x80000000),
    (N.i32_rotr, (0x12345678, 36), 0x81234567),
    (N.i32_clz, (0,), 32),
    (N.i32_clz, (1,), 31),
    (N.i32_ctz, (0,), 32),
    (N.i32_ctz, (0x80000000,), 31),
    (N.i32_popcnt, (M32,), 32),
    (N.i32_eqz, (0,), 1),
    (N.i32_lt_s, (M32, 0), 1),
    (N.i32_lt_u, (M32, 0), 0),
    (N.i32_ge_s, (0x80000000, 0x7FFFFFFF), 0),
    (N.i32_le_s, (0x80000000, 0x80000000), 1),
    (N.i32_gt_u, (0x80000000, 0x7FFFFFFF), 1),
    (N.i64_add, (M64, 2), 1),
    (N.i64_mul, (1 << 32, 1 << 32), 0),
    (N.i64_div_s, (1 << 63, 2), 0xC000000000000000),
    (N.i64_div_s, (-7 & M64, 2), -3 & M64),
    (N.i64_rem_s, (-7 & M64, 2), M64),
    (N.i64_rem_s, (1 << 63, M64), 0),
    (N.i64_shl, (1, 65), 2),
    (N.i64_shr_s, (1 << 63, 63), M64),
    (N.i64_rotl, (0x8000000000000001, 1), 3),
    (N.i64_rotr, (1, 1), 1 << 63),
    (N.i64_clz, (0,), 64),
    (N.i64_ctz, (0,), 64),
    (N.i64_ctz, (1 << 63,), 63),
    (N.i64_popcnt, (M64,), 64),
    (N.i64_lt_s, (M64, 0), 1),
    (N.i64_gt_s, (1 << 63, M64 >> 1), 0),
    (N.i32_wrap_i64, (0x123456789,), 0x23456789),
    (N.i64_extend_i32_s, (0x80000000,), 0xFFFFFFFF80000000),
    (N.i64_extend_i32_u, (0x80000000,), 0x80000000),
    (N.i32_extend8_s, (0x180,), 0xFFFFFF80),
    (N.i32_extend8_s, (0x17F,), 0x7F),
    (N.i32_extend16_s, (0x8000,), 0xFFFF8000),
    (N.i64_extend8_s, (0x80,), 0xFFFFFFFFFFFFFF80),
    (N.i64_extend16_s, (0x7FFF,), 0x7FFF),
    (N.i64_extend32_s, (0x180000000,), 0xFFFFFFFF80000000),
]


@pytest.mark.parametrize("fn,args,expect", INT_CASES)
def test_integer_cases(fn, args, expect) -> None:
    assert fn(*args) == expect


@pytest.mark.parametrize(
    "fn,args,kind",
    [
        (N.i32_div_s, (1, 0), "integer divide by zero"),
        (N.i32_div_u, (1, 0), "integer divide by zero"),
        (N.i32_rem_s, (0x80000000, 0), "integer divide by zero"),
        (N.i32_rem_u, (0, 0), "integer divide by zero"),
        (N.i64_div_s, (1, 0), "integer divide by zero"),
        (N.i64_div_u, (1, 0), "integer divide by zero"),
        (N.i64_rem_s, (1, 0), "integer divide by zero"),
        (N.i64_rem_u, (1, 0), "integer divide by zero"),
        (N.i32_div_s, (0x80000000, M32), "integer overflow"),
        (N.i64_div_s, (1 << 63, M64), "integer overflow"),
    ],
)
def test_integer_traps(fn, args, kind) -> None:
    with pytest.raises(Trap) as e:
        fn(*args)
    assert e.value.kind == kind


def test_float_division_and_sqrt() -> None:
    assert N.f64_div(1.0, 0.0) == INF
    assert N.f64_div(-1.0, 0.0) == -INF
    assert N.f64_div(1.0, -0.0) == -INF
    assert N.f64_div(-INF, -0.0) == INF
    assert N.f64_is_canonical_nan(N.f64_div(0.0, 0.0))
    assert N.f64_is_canonical_nan(N.f64_div(-0.0, 0.0))
    assert N.f64_is_canonical_nan(N.f64_div(INF, INF))
    assert N.f32_div(1.0, 0.0) == INF and N.f32_div(-2.0, 0.0) == -INF
    assert N.f32_is_canonical_nan(N.f32_div(0.0, -0.0))
    snan = N.f32_from_bits(0x7FA00000)
    assert N.f32_to_bits(N.f32_div(snan, 0.0)) == 0x7FE00000  # propagated, quieted
    assert N.f64_is_canonical_nan(N.f64_sqrt(-1.0))
    assert N.f32_is_canonical_nan(N.f32_sqrt(-INF))
    assert neg_zero(N.f64_sqrt(-0.0)) and neg_zero(N.f32_sqrt(-0.0))
    assert N.f64_sqrt(INF) == INF
    assert N.f32_sqrt(2.0) == f32b(0x3FB504F3)
    assert N.f32_to_bits(N.f32_sqrt(snan)) == 0x7FE00000
    assert N.f64_is_canonical_nan(N.f64_sub(INF, INF))
    assert N.f32_is_canonical_nan(N.f32_mul(0.0, -INF))


def test_f32_arithmetic_rounding() -> None:
    assert N.f32_add(FLT_MAX, FLT_MAX) == INF
    assert N.f32_mul(FLT_MAX, -2.0) == -INF
    assert N.f32_sub(-FLT_MAX, FLT_MAX) == -INF
    assert N.f32_add(FLT_MAX, 2.0**103) == INF  # exact tie rounds to even = inf
    assert N.f32_add(FLT_MAX, 2.0**102) == FLT_MAX  # below the tie
    assert N.f32_add(1.0, 2.0**-24) == 1.0
    assert N.f32_add(1.0, f32b(0x33800001)) == 1.0 + 2.0**-23  # just above the tie
    assert N.f32_mul(FLT_TRUE_MIN, 0.5) == 0.0
    assert N.f32_mul(3 * FLT_TRUE_MIN, 0.5) == 2 * FLT_TRUE_MIN
    assert N.f32_div(1.0, 3.0) == f32b(0x3EAAAAAB)
    assert N.f32_div(FLT_MAX, 0.5) == INF


def test_min_max() -> None:
    assert neg_zero(N.f64_min(0.0, -0.0)) and neg_zero(N.f64_min(-0.0, 0.0))
    assert not neg_zero(N.f64_max(0.0, -0.0)) and not neg_zero(N.f64_max(-0.0, 0.0))
    assert neg_zero(N.f64_max(-0.0, -0.0)) and not neg_zero(N.f64_min(0.0, 0.0))
    assert N.f64_min(-INF, 3.0) == -INF and N.f64_max(2.0, 2.0) == 2.0
    assert N.f64_min(-5.0, -5.0) == -5.0
    nan = N.f64_from_bits(0x7FF4000000000000)
    for r in (N.f64_min(nan, 1.0), N.f64_min(1.0, nan), N.f64_max(nan, -INF)):
        assert N.f64_to_bits(r) == 0x7FFC000000000000
    assert N.f32_is_canonical_nan(N.f32_max(N.f32_from_bits(0xFFC00000), 0.0))


def test_rounding_to_integral() -> None:
    assert N.f64_nearest(2.5) == 2.0 and N.f64_nearest(3.5) == 4.0
    assert N.f64_nearest(-3.5) == -4.0 and N.f64_nearest(-2.5) == -2.0
    assert neg_zero(N.f64_nearest(-0.5)) and N.f64_nearest(0.5) == 0.0
    assert neg_zero(N.f64_nearest(-0.0)) and neg_zero(N.f32_nearest(-0.25))
    assert N.f64_nearest(4503599627370495.5) == 4503599627370496.0
    assert N.f64_nearest(4503599627370497.0) == 4503599627370497.0
    assert N.f32_nearest(8388607.5) == 8388608.0
    assert neg_zero(N.f64_ceil(-0.5)) and N.f64_ceil(0.2) == 1.0
    assert N.f64_ceil(-1.5) == -1.0
    assert neg_zero(N.f64_floor(-0.0)) and N.f64_floor(-0.5) == -1.0
    assert neg_zero(N.f64_trunc(-0.7)) and N.f64_trunc(-1.7) == -1.0
    assert N.f64_trunc(1.7) == 1.0 and N.f64_floor(0.7) == 0.0
    for f in (N.f64_ceil, N.f64_floor, N.f64_trunc, N.f64_nearest):
        assert f(1e300) == 1e300 and f(-INF) == -INF and f(INF) == INF
        assert f(FLT_MAX) == FLT_MAX
        assert N.f64_to_bits(f(N.f64_from_bits(0xFFF0000000000001))) == 0xFFF8000000000001
        assert N.f32_to_bits(f(N.f32_from_bits(0x7F800001))) == 0x7FC00001


def test_sign_bit_ops_keep_payload() -> None:
    s = N.f32_from_bits(0x7FA00001)
    assert N.f32_to_bits(N.f32_neg(s)) == 0xFFA00001
    assert N.f32_to_bits(N.f32_abs(N.f32_neg(s))) == 0x7FA00001
    assert N.f32_to_bits(N.f32_copysign(s, -1.0)) == 0xFFA00001
    assert N.f32_copysign(1.0, N.f32_from_bits(0xFFC00000)) == -1.0
    d = N.f64_from_bits(0x7FF0000000000001)
    assert N.f64_to_bits(N.f64_neg(d)) == 0xFFF0000000000001
    assert N.f64_to_bits(N.f64_abs(N.f64_from_bits(0xFFF0000000000001))) == 0x7FF0000000000001
    assert neg_zero(N.f64_neg(0.0)) and neg_zero(N.f64_copysign(0.0, -0.0))


@pytest.mark.parametrize(
    "fn,ok,bad",
    [
        (N.i32_trunc_f32_s, [(-2147483648.0, 0x80000000), (f32b(0x4EFFFFFF), 0x7FFFFF80)],
         [2147483648.0, f32b(0xCF000001)]),
        (N.i32_trunc_f64_s, [(-2147483648.9, 0x80000000), (2147483647.9, 0x7FFFFFFF),
                             (-0.9, 0)], [2147483648.0, -2147483649.0]),
        (N.i32_trunc_f32_u, [(-0.99999, 0), (f32b(0x4F7FFFFF), 0xFFFFFF00)],
         [4294967296.0, -1.0]),
        (N.i32_trunc_f64_u, [(-0.99999, 0), (4294967295.9, M32)], [4294967296.0, -1.0]),
        (N.i64_trunc_f32_s, [(-(2.0**63), 1 << 63), (f32b(0x5EFFFFFF), 0x7FFFFF8000000000)],
         [2.0**63, f32b(0xDF000001)]),
        (N.i64_trunc_f64_s, [(-(2.0**63), 1 << 63), (f64b(0x43DFFFFFFFFFFFFF), 0x7FFFFFFFFFFFFC00),
                             (-1.5, M64)], [2.0**63, f64b(0xC3E0000000000001)]),
        (N.i64_trunc_f32_u, [(-0.5, 0), (f32b(0x5F7FFFFF), 0xFFFFFF0000000000)],
         [2.0**64, -1.0]),
        (N.i64_trunc_f64_u, [(-0.99, 0), (f64b(0x43EFFFFFFFFFFFFF), 0xFFFFFFFFFFFFF800)],
         [2.0**64, -1.0, INF]),
    ],
)  # fmt: skip
def test_trunc_bounds(fn, ok, bad) -> None:
    for x, expect in ok:
        assert fn(x) == expect, x
    for x in [*bad, INF, -INF]:
        with pytest.raises(Trap) as e:
            fn(x)
        assert e.value.kind == "integer overflow"
    for x in (math.nan, N.f32_from_bits(0xFF800001)):
        with pytest.raises(Trap) as e:
            fn(x)
        assert e.value.kind == "invalid conversion to integer"


def test_trunc_sat() -> None:
    nan = N.f32_from_bits(0x7FA00000)
    assert N.i32_trunc_sat_f32_s(nan) == 0 and N.i64_trunc_sat_f64_u(math.nan) == 0
    assert N.i32_trunc_sat_f64_s(1e10) == 0x7FFFFFFF
    assert N.i32_trunc_sat_f64_s(-1e10) == 0x80000000
    assert N.i32_trunc_sat_f64_s(-2147483648.9) == 0x80000000
    assert N.i32_trunc_sat_f64_u(-5.0) == 0 and N.i32_trunc_sat_f64_u(INF) == M32
    assert N.i32_trunc_sat_f32_u(-0.9) == 0
    assert N.i64_trunc_sat_f64_s(INF) == 0x7FFFFFFFFFFFFFFF
    assert N.i64_trunc_sat_f64_s(-INF) == 1 << 63
    assert N.i64_trunc_sat_f32_s(-(2.0**63)) == 1 << 63
    assert N.i64_trunc_sat_f64_u(2.0**64) == M64 and N.i64_trunc_sat_f32_u(-INF) == 0
    assert N.i64_trunc_sat_f64_u(f64b(0x43EFFFFFFFFFFFFF)) == 0xFFFFFFFFFFFFF800


def test_int_to_float() -> None:
    assert N.f32_convert_i32_s(0x1000001) == 16777216.0  # tie -> even
    assert N.f32_convert_i32_s(0x1000003) == 16777220.0
    assert N.f32_convert_i32_s(0x80000000) == -(2.0**31)
    assert N.f32_convert_i32_u(M32) == 2.0**32
    assert N.f32_convert_i32_u(0xFFFFFF7F) == f32b(0x4F7FFFFF)  # below the tie
    # Double rounding traps: via a double these would round to a tie and then to even.
    assert N.f32_convert_i64_u((1 << 63) + (1 << 39) + 1) == 2.0**63 + 2.0**40
    assert N.f32_convert_i64_s((1 << 62) + (1 << 38) + 1) == 2.0**62 + 2.0**39
    assert N.f32_convert_i64_s(-((1 << 62) + (1 << 38) + 1) & M64) == -(2.0**62 + 2.0**39)
    assert N.f32_convert_i64_u((1 << 63) + (1 << 39)) == 2.0**63  # exact tie -> even
    assert N.f32_convert_i64_u(M64) == 2.0**64
    assert N.f32_convert_i64_s(1 << 63) == -(2.0**63)
    assert N.f32_convert_i64_s(M64) == -1.0
    assert N.f32_convert_i64_s((1 << 53) + 1) == 2.0**53
    assert N.f64_convert_i64_u(M64) == 2.0**64
    assert N.f64_convert_i64_s((1 << 53) + 1) == 2.0**53
    assert N.f64_convert_i64_s((1 << 53) + 3) == 2.0**53 + 4
    assert N.f64_convert_i64_s(1 << 63) == -(2.0**63)
    assert N.f64_convert_i32_s(M32) == -1.0 and N.f64_convert_i32_u(M32) == 4294967295.0


def _round_int_to_f32(n: int) -> float:
    """Reference: round a non-negative int to 24 significant bits, ties to even."""
    s = n.bit_length() - 24
    if s <= 0:
        return float(n)
    q, r = divmod(n, 1 << s)
    half = 1 << (s - 1)
    if r > half or (r == half and q & 1):
        q += 1
    return float(q << s)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.integers(0, M64) | st.integers(0, 40).map(lambda k: (1 << 63) + (1 << 39) + k - 20))
def test_int_to_f32_correctly_rounded(n: int) -> None:
    assert N.f32_convert_i64_u(n) == _round_int_to_f32(n)
    signed = N.s64(n)
    expect = _round_int_to_f32(abs(signed))
    assert N.f32_convert_i64_s(n) == (-expect if signed < 0 else expect)
    if n <= M32:
        assert N.f32_convert_i32_u(n) == _round_int_to_f32(n)


def test_demote_promote() -> None:
    assert N.f32_demote_f64(1e300) == INF and N.f32_demote_f64(-1e300) == -INF
    assert N.f32_demote_f64(1e-300) == 0.0 and neg_zero(N.f32_demote_f64(-1e-300))
    assert N.f32_demote_f64(1.0 + 2.0**-24) == 1.0
    assert N.f32_demote_f64(f64b(0x3FF0000010000001)) == 1.0 + 2.0**-23
    assert N.f32_to_bits(N.f32_demote_f64(f64b(0x7FF0000000000001))) == 0x7FC00000
    assert N.f32_to_bits(N.f32_demote_f64(f64b(0xFFF4000020000000))) == 0xFFE00001
    assert N.f32_is_canonical_nan(N.f32_demote_f64(math.nan))
    assert N.f64_promote_f32(f32b(0x00000001)) == FLT_TRUE_MIN
    assert neg_zero(N.f64_promote_f32(-0.0))
    assert N.f64_to_bits(N.f64_promote_f32(N.f32_from_bits(0x7FA00000))) == 0x7FFC000000000000
    assert N.f64_to_bits(N.f64_promote_f32(N.f32_from_bits(0xFFC00000))) == 0xFFF8000000000000


def test_nan_predicates() -> None:
    assert N.f32_is_canonical_nan(N.f32_from_bits(0xFFC00000))
    assert not N.f32_is_canonical_nan(N.f32_from_bits(0x7FC00001))
    assert N.f32_is_arithmetic_nan(N.f32_from_bits(0x7FC00001))
    assert not N.f32_is_arithmetic_nan(N.f32_from_bits(0x7FA00000))
    assert not N.f32_is_arithmetic_nan(1.0)
    assert N.f64_is_canonical_nan(N.f64_from_bits(0xFFF8000000000000))
    assert not N.f64_is_arithmetic_nan(N.f64_from_bits(0x7FF0000000000001))


# --- (c) differential test against wasmtime ----------------------------------------

_BITS_TYPE = {I32: "i32", I64: "i64", F32: "i32", F64: "i64"}
_FROM_BITS = {F32: "f32.reinterpret_i32", F64: "f64.reinterpret_i64"}
_TO_BITS = {F32: "i32.reinterpret_f32", F64: "i64.reinterpret_f64"}


def _module_text() -> str:
    funcs = []
    for op in NUMERIC_OPS:
        params, (result,) = op.sig
        body = []
        for i, t in enumerate(params):
            body.append(f"local.get {i}")
            if t in _FROM_BITS:
                body.append(_FROM_BITS[t])
        body.append(op.name)
        if result in _TO_BITS:
            body.append(_TO_BITS[result])
        ps = " ".join(_BITS_TYPE[t] for t in params)
        funcs.append(
            f'(func (export "{op.name}") (param {ps}) (result {_BITS_TYPE[result]}) '
            + " ".join(body)
            + ")"
        )
    return "(module\n" + "\n".join(funcs) + "\n)"


@pytest.fixture(scope="module")
def ref():
    store = wasmtime.Store()
    module = wasmtime.Module(store.engine, wasmtime.wat2wasm(_module_text()))
    inst = wasmtime.Instance(store, module, [])
    exports = inst.exports(store)
    return store, {op.code: exports[op.name] for op in NUMERIC_OPS}


_KINDS = ("integer divide by zero", "integer overflow", "invalid conversion to integer")
_WIDTH = {I32: 32, I64: 64, F32: 32, F64: 64}
_BITWISE = ("abs", "neg", "copysign", "reinterpret")


def _is_nan_bits(b: int, t: int) -> bool:
    if t == F32:
        return (b & 0x7F800000) == 0x7F800000 and bool(b & 0x7FFFFF)
    return (b & 0x7FF0000000000000) == 0x7FF0000000000000 and bool(b & 0xFFFFFFFFFFFFF)


def _canonical_bits(b: int, t: int) -> bool:
    if t == F32:
        return (b & 0x7FFFFFFF) == 0x7FC00000
    return (b & 0x7FFFFFFFFFFFFFFF) == 0x7FF8000000000000


def check(ref, op, args: tuple[int, ...]) -> None:
    """Compare our function with wasmtime on operands given as raw bits."""
    store, funcs = ref
    params, (result,) = op.sig
    mask = (1 << _WIDTH[result]) - 1
    try:
        expect = funcs[op.code](store, *args) & mask
        expect_trap = None
    except wasmtime.Trap as e:
        expect_trap = next((k for k in _KINDS if k in str(e)), str(e))
    values = []
    for t, a in zip(params, args, strict=True):
        values.append(N.f32_from_bits(a) if t == F32 else N.f64_from_bits(a) if t == F64 else a)
    try:
        got = N.BY_CODE[op.code](*values)
    except Trap as e:
        assert expect_trap == e.kind, (op.name, [hex(a) for a in args])
        return
    where = (op.name, [hex(a) for a in args])
    assert expect_trap is None, (*where, "should trap", expect_trap)
    if result == F32:
        bits = N.f32_to_bits(got)
        # the run-time representation invariant: exactly the f32 with those bits
        assert N.f64_to_bits(N.f32_from_bits(bits)) == N.f64_to_bits(got), where
    elif result == F64:
        bits = N.f64_to_bits(got)
    else:
        assert type(got) is int and 0 <= got <= mask, (*where, got)
        assert got == expect, (*where, hex(got), hex(expect))
        return
    if not _is_nan_bits(expect, result) or any(s in op.name for s in _BITWISE):
        assert bits == expect, (*where, hex(bits), hex(expect))
        return
    assert _is_nan_bits(bits, result), (*where, hex(bits))
    quiet = 0x400000 if result == F32 else 0x8000000000000
    assert bits & quiet, (*where, "NaN result must be quiet", hex(bits))
    nan_inputs = [a for t, a in zip(params, args, strict=True) if t in (F32, F64) and
                  _is_nan_bits(a, t)]  # fmt: skip
    if all(_canonical_bits(a, params[0]) for a in nan_inputs):
        assert _canonical_bits(bits, result), (*where, "must be canonical", hex(bits))


def _near(vals: list[int], mask: int) -> list[int]:
    return sorted({(v + d) & mask for v in vals for d in (-1, 0, 1)})


F32_SPECIAL = [
    0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007FFFFF, 0x00800000, 0x3F800000,
    0xBF800000, 0x3F000000, 0xBF000000, 0x3FC00000, 0x40200000, 0xC0200000, 0x7F7FFFFF,
    0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FA00000,
    0xFFA00005, 0x7FC00001, 0x7FFFFFFF, 0x4F000000, 0xCF000000, 0x4F800000, 0x5F000000,
    0xDF000000, 0x5F800000, 0x4B000000, 0x4AFFFFFF, 0xBF7FFF58, 0x34000000, 0x3EAAAAAB,
]  # fmt: skip
F64_SPECIAL = [
    0x0, 1 << 63, 0x1, 0x8000000000000001, 0x000FFFFFFFFFFFFF, 0x0010000000000000,
    0x3FF0000000000000, 0xBFF0000000000000, 0x3FE0000000000000, 0xBFE0000000000000,
    0x4004000000000000, 0xC004000000000000, 0x7FEFFFFFFFFFFFFF, 0xFFEFFFFFFFFFFFFF,
    0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0xFFF8000000000000,
    0x7FF0000000000001, 0x7FF4000000000000, 0xFFF8000000000001, 0x7FFFFFFFFFFFFFFF,
    0x41E0000000000000, 0xC1E0000000000000, 0xC1E0000000200000, 0x41F0000000000000,
    0x43E0000000000000, 0xC3E0000000000000, 0x43F0000000000000, 0x4330000000000000,
    0x432FFFFFFFFFFFFF, 0x47EFFFFFE0000000, 0x47EFFFFFF0000000, 0x36A0000000000000,
    0x3FF0000010000000, 0xBFEFFFFFFFFFFFFF, 0x3810000000000000, 0x380FFFFFF0000000,
]  # fmt: skip
I32_SPECIAL = [0, 1, 2, 3, 7, 31, 32, 33, 0x7F, 0x80, 0xFF, 0x8000, 0xFFFF, 0x1000001,
               0x1000003, 0x55555555, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFF7F,
               0xFFFFFFFE, 0xFFFFFFFF]  # fmt: skip
I64_SPECIAL = [0, 1, 2, 3, 63, 64, 65, 0x80, 0x8000, 0x80000000, 0xFFFFFFFF, 1 << 53,
               (1 << 53) + 1, (1 << 62) + (1 << 38) + 1, (1 << 63) + (1 << 39) + 1,
               (1 << 63) + (1 << 39), 0x5555555555555555, 0x7FFFFFFFFFFFFFFF, 1 << 63,
               (1 << 63) + 1, M64 - (1 << 53), M64 - 1, M64]  # fmt: skip
SPECIAL = {F32: F32_SPECIAL, F64: F64_SPECIAL, I32: I32_SPECIAL, I64: I64_SPECIAL}
NEAR = {
    F32: _near(F32_SPECIAL, M32),
    F64: _near(F64_SPECIAL, M64),
    I32: _near(I32_SPECIAL, M32),
    I64: _near(I64_SPECIAL, M64),
}
# A smaller set per type for the full cross product of binary operators.
PAIR_VALUES = {
    F32: [0x00000000, 0x80000000, 0x00000001, 0x807FFFFF, 0x3F800000, 0xBF800000, 0x3F000000,
          0x40200000, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000,
          0x7FA00000, 0x7FC00001, 0x4B000000, 0x3EAAAAAB],
    F64: [0x0, 1 << 63, 0x1, 0x800FFFFFFFFFFFFF, 0x3FF0000000000000, 0xBFF0000000000000,
          0x3FE0000000000000, 0x4004000000000000, 0x7FEFFFFFFFFFFFFF, 0xFFEFFFFFFFFFFFFF,
          0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0xFFF8000000000000,
          0x7FF0000000000001, 0xFFF8000000000001, 0x4330000000000000, 0x3FF0000010000000],
    I32: I32_SPECIAL[::2] + [0xFFFFFFFF],
    I64: I64_SPECIAL[::2],
}  # fmt: skip


@pytest.mark.parametrize("op", NUMERIC_OPS, ids=lambda op: op.name)
def test_against_wasmtime_special_values(ref, op) -> None:
    params, _ = op.sig
    if len(params) == 1:
        for a in NEAR[params[0]]:
            check(ref, op, (a,))
    else:
        ta, tb = params
        for a in PAIR_VALUES[ta]:
            for b in PAIR_VALUES[tb]:
                check(ref, op, (a, b))


def _operand(t: int) -> st.SearchStrategy[int]:
    mask = (1 << _WIDTH[t]) - 1
    exp_bits = 8 if t == F32 else 11 if t == F64 else 0
    strategies = [
        st.sampled_from(NEAR[t]),
        st.integers(0, mask),
    ]
    if exp_bits:
        # NaNs and infinities with random payload and sign
        w = _WIDTH[t]
        mant = w - 1 - exp_bits
        top = ((1 << exp_bits) - 1) << mant
        strategies.append(
            st.tuples(st.booleans(), st.integers(0, (1 << mant) - 1)).map(
                lambda sp, top=top, w=w: (sp[0] << (w - 1)) | top | sp[1]
            )
        )
        # values of moderate magnitude (where arithmetic is interesting): exponent near bias
        bias = (1 << (exp_bits - 1)) - 1
        strategies.append(
            st.tuples(
                st.booleans(), st.integers(bias - 30, bias + 70), st.integers(0, (1 << mant) - 1)
            ).map(lambda v, w=w, mant=mant: (v[0] << (w - 1)) | (v[1] << mant) | v[2])
        )
    else:
        strategies.append(st.integers(0, _WIDTH[t] - 1).map(lambda k: 1 << k))
    return st.one_of(strategies)


_OPERANDS = {t: _operand(t) for t in (I32, I64, F32, F64)}


@st.composite
def _op_and_args(draw):
    op = draw(st.sampled_from(NUMERIC_OPS))
    args = tuple(draw(_OPERANDS[t]) for t in op.sig[0])
    return op, args


@settings(max_examples=600, deadline=None, derandomize=True, database=None)
@given(_op_and_args())
def test_against_wasmtime_random(ref, case) -> None:
    op, args = case
    check(ref, op, args)
