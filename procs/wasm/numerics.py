"""Pure semantics of every Wasm 2.0 numeric instruction, on the run-time representation.

Values are as described in `runtime.py`: i32/i64 are unsigned ints below 2**32 / 2**64;
f32/f64 are Python floats, an f32 always exactly representable in binary32, and an f32
NaN with payload p (23 bits, quiet bit included) held as the f64 NaN with mantissa
`p << 29` and the same sign.  In that encoding the f32 quiet bit *is* the f64 quiet bit,
so f64 hardware arithmetic on f32 NaNs quiets and propagates them in f32 terms.

Every operator is one plain function named after the text name (`i32.add` ->
`i32_add`); `BY_CODE` maps each numeric opcode to its function.  Preconditions (the
validator and the interpreter guarantee them): every operand is of its instruction's
type in the representation above.  No function checks types (speed: the interpreter
calls them in its hot loop).  Operations that are the same on f32 and f64 values (the
comparisons, abs/neg/copysign, min/max, ceil/floor/trunc/nearest, the float-to-int
conversions) share one function object.  Traps are raised as `Trap(kind)` with the
spec's message and no function name; the caller adds where it happened.

NaN results follow the spec's rule: a NaN computed from non-NaN operands is canonical
(any sign); a NaN result from NaN operands is a quiet ("arithmetic") NaN, and canonical
when every NaN operand was canonical.  Hardware propagation of a (quieted) operand NaN
satisfies both, so the arithmetic operators rely on the float unit for it.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable

from .errors import Trap
from .opcodes import OPS, Imm

__all__ = [
    "BY_CODE",
    "f32_from_bits",
    "f32_to_bits",
    "f64_from_bits",
    "f64_to_bits",
    "f32_round",
    "s32",
    "s64",
    "f32_is_canonical_nan",
    "f32_is_arithmetic_nan",
    "f64_is_canonical_nan",
    "f64_is_arithmetic_nan",
]

_pack_f = struct.Struct("<f").pack
_unpack_f = struct.Struct("<f").unpack
_pack_d = struct.Struct("<d").pack
_unpack_d = struct.Struct("<d").unpack
_pack_I = struct.Struct("<I").pack
_unpack_I = struct.Struct("<I").unpack
_pack_Q = struct.Struct("<Q").pack
_unpack_Q = struct.Struct("<Q").unpack

_INF = math.inf
_NINF = -math.inf
_copysign = math.copysign
_sqrt = math.sqrt
_ldexp = math.ldexp

# f64 bit layout.
_F64_QUIET = 0x0008000000000000
_F64_CANON = 0x7FF8000000000000
# The canonical NaN, the same Python float for f32 and f64 under the payload convention.
CANONICAL_NAN: float = _unpack_d(_pack_Q(_F64_CANON))[0]

_TRAP_DIV0 = "integer divide by zero"
_TRAP_OVERFLOW = "integer overflow"
_TRAP_INVALID = "invalid conversion to integer"


# --- bits and helpers --------------------------------------------------------------


def f64_from_bits(b: int) -> float:
    """The f64 with IEEE bits `b` (0 <= b < 2**64); bit-exact, signalling NaNs included."""
    return _unpack_d(_pack_Q(b))[0]


def f64_to_bits(x: float) -> int:
    """The IEEE bits of an f64; bit-exact, NaN payloads included."""
    return _unpack_Q(_pack_d(x))[0]


def f32_from_bits(b: int) -> float:
    """The f32 with IEEE bits `b` (0 <= b < 2**32), in the run-time representation.

    NaNs are built by hand: CPython's own binary32 unpacking quiets signalling NaNs.
    """
    if (b & 0x7FFFFFFF) > 0x7F800000:  # NaN
        return _unpack_d(
            _pack_Q(((b & 0x80000000) << 32) | 0x7FF0000000000000 | ((b & 0x007FFFFF) << 29))
        )[0]
    return _unpack_f(_pack_I(b))[0]


def f32_to_bits(x: float) -> int:
    """The IEEE binary32 bits of an f32 value.

    Precondition: `x` is an f32 value (exactly representable, NaN payload in the top 23
    mantissa bits); otherwise non-NaN values get rounded and huge ones raise.
    """
    if x != x:
        b = _unpack_Q(_pack_d(x))[0]
        return ((b >> 32) & 0x80000000) | 0x7F800000 | ((b >> 29) & 0x007FFFFF or 0x00400000)
    return _unpack_I(_pack_f(x))[0]


def f32_round(x: float) -> float:
    """Round any double to the nearest f32 (ties to even, overflow to +-inf).

    A NaN becomes a quiet f32 NaN keeping the top 23 payload bits (as a binary32
    conversion in hardware does), so a canonical f64 NaN gives the canonical f32 NaN.
    """
    if x != x:
        b = _unpack_Q(_pack_d(x))[0]
        return _unpack_d(_pack_Q((b | _F64_QUIET) & 0xFFFFFFFFE0000000))[0]
    try:
        return _unpack_f(_pack_f(x))[0]
    except OverflowError:
        return _INF if x > 0 else _NINF


def _r32(x: float) -> float:
    """f32_round for results of f64 arithmetic on f32 operands.

    Such a NaN is already quiet with a 23-bit payload, which the binary32 round trip
    keeps, so the NaN test of `f32_round` is skipped.  Double rounding is innocuous for
    + - * / sqrt because 53 >= 2 * 24 + 2.
    """
    try:
        return _unpack_f(_pack_f(x))[0]
    except OverflowError:
        return _INF if x > 0 else _NINF


def _quiet(x: float) -> float:
    """Set the quiet bit of a NaN (f32 and f64 share it in the run-time encoding)."""
    return _unpack_d(_pack_Q(_unpack_Q(_pack_d(x))[0] | _F64_QUIET))[0]


def s32(v: int) -> int:
    """Unsigned i32 -> signed Python int."""
    return (v ^ 0x80000000) - 0x80000000


def s64(v: int) -> int:
    """Unsigned i64 -> signed Python int."""
    return (v ^ 0x8000000000000000) - 0x8000000000000000


def u32(v: int) -> int:
    """Any int -> unsigned i32 (wraparound)."""
    return v & 0xFFFFFFFF


def u64(v: int) -> int:
    """Any int -> unsigned i64 (wraparound)."""
    return v & 0xFFFFFFFFFFFFFFFF


def f32_is_canonical_nan(x: float) -> bool:
    """Spec `nan:canonical` for an f32 value (either sign)."""
    return x != x and (f32_to_bits(x) & 0x7FFFFFFF) == 0x7FC00000


def f32_is_arithmetic_nan(x: float) -> bool:
    """Spec `nan:arithmetic` for an f32 value: a NaN with the quiet bit set."""
    return x != x and bool(f32_to_bits(x) & 0x00400000)


def f64_is_canonical_nan(x: float) -> bool:
    """Spec `nan:canonical` for an f64 value (either sign)."""
    return x != x and (f64_to_bits(x) & 0x7FFFFFFFFFFFFFFF) == _F64_CANON


def f64_is_arithmetic_nan(x: float) -> bool:
    """Spec `nan:arithmetic` for an f64 value: a NaN with the quiet bit set."""
    return x != x and bool(f64_to_bits(x) & _F64_QUIET)


# --- i32 -----------------------------------------------------------------------------


def i32_eqz(a: int) -> int:
    return 1 if a == 0 else 0


def i32_eq(a: int, b: int) -> int:
    return 1 if a == b else 0


def i32_ne(a: int, b: int) -> int:
    return 1 if a != b else 0


def i32_lt_s(a: int, b: int) -> int:
    return 1 if (a ^ 0x80000000) < (b ^ 0x80000000) else 0


def i32_lt_u(a: int, b: int) -> int:
    return 1 if a < b else 0


def i32_gt_s(a: int, b: int) -> int:
    return 1 if (a ^ 0x80000000) > (b ^ 0x80000000) else 0


def i32_gt_u(a: int, b: int) -> int:
    return 1 if a > b else 0


def i32_le_s(a: int, b: int) -> int:
    return 1 if (a ^ 0x80000000) <= (b ^ 0x80000000) else 0


def i32_le_u(a: int, b: int) -> int:
    return 1 if a <= b else 0


def i32_ge_s(a: int, b: int) -> int:
    return 1 if (a ^ 0x80000000) >= (b ^ 0x80000000) else 0


def i32_ge_u(a: int, b: int) -> int:
    return 1 if a >= b else 0


def i32_clz(a: int) -> int:
    return 32 - a.bit_length()


def i32_ctz(a: int) -> int:
    return (a & -a).bit_length() - 1 if a else 32


def i32_popcnt(a: int) -> int:
    return a.bit_count()


def i32_add(a: int, b: int) -> int:
    return (a + b) & 0xFFFFFFFF


def i32_sub(a: int, b: int) -> int:
    return (a - b) & 0xFFFFFFFF


def i32_mul(a: int, b: int) -> int:
    return (a * b) & 0xFFFFFFFF


def i32_div_s(a: int, b: int) -> int:
    """Truncating signed division; traps on zero and on INT_MIN / -1."""
    if a < 0x80000000 and 0 < b < 0x80000000:  # non-negative: floor = trunc
        return a // b
    if b == 0:
        raise Trap(_TRAP_DIV0)
    if b == 0xFFFFFFFF:
        if a == 0x80000000:
            raise Trap(_TRAP_OVERFLOW)
        return -a & 0xFFFFFFFF
    a = (a ^ 0x80000000) - 0x80000000
    b = (b ^ 0x80000000) - 0x80000000
    q = abs(a) // abs(b)
    return (-q if (a ^ b) < 0 else q) & 0xFFFFFFFF


def i32_div_u(a: int, b: int) -> int:
    try:
        return a // b
    except ZeroDivisionError:
        raise Trap(_TRAP_DIV0) from None


def i32_rem_s(a: int, b: int) -> int:
    """Remainder with the sign of the dividend (C semantics); INT_MIN % -1 is 0."""
    if a < 0x80000000 and 0 < b < 0x80000000:
        return a % b
    if b == 0:
        raise Trap(_TRAP_DIV0)
    a = (a ^ 0x80000000) - 0x80000000
    r = abs(a) % abs((b ^ 0x80000000) - 0x80000000)
    return (-r if a < 0 else r) & 0xFFFFFFFF


def i32_rem_u(a: int, b: int) -> int:
    try:
        return a % b
    except ZeroDivisionError:
        raise Trap(_TRAP_DIV0) from None


def i32_and(a: int, b: int) -> int:
    return a & b


def i32_or(a: int, b: int) -> int:
    return a | b


def i32_xor(a: int, b: int) -> int:
    return a ^ b


def i32_shl(a: int, b: int) -> int:
    return (a << (b & 31)) & 0xFFFFFFFF


def i32_shr_s(a: int, b: int) -> int:
    return (((a ^ 0x80000000) - 0x80000000) >> (b & 31)) & 0xFFFFFFFF


def i32_shr_u(a: int, b: int) -> int:
    return a >> (b & 31)


def i32_rotl(a: int, b: int) -> int:
    b &= 31
    return ((a << b) | (a >> (32 - b))) & 0xFFFFFFFF


def i32_rotr(a: int, b: int) -> int:
    b &= 31
    return ((a >> b) | (a << (32 - b))) & 0xFFFFFFFF


# --- i64 -----------------------------------------------------------------------------

i64_eqz = i32_eqz
i64_eq = i32_eq
i64_ne = i32_ne
i64_lt_u = i32_lt_u
i64_gt_u = i32_gt_u
i64_le_u = i32_le_u
i64_ge_u = i32_ge_u
i64_popcnt = i32_popcnt
i64_and = i32_and
i64_or = i32_or
i64_xor = i32_xor
i64_div_u = i32_div_u
i64_rem_u = i32_rem_u


def i64_lt_s(a: int, b: int) -> int:
    return 1 if (a ^ 0x8000000000000000) < (b ^ 0x8000000000000000) else 0


def i64_gt_s(a: int, b: int) -> int:
    return 1 if (a ^ 0x8000000000000000) > (b ^ 0x8000000000000000) else 0


def i64_le_s(a: int, b: int) -> int:
    return 1 if (a ^ 0x8000000000000000) <= (b ^ 0x8000000000000000) else 0


def i64_ge_s(a: int, b: int) -> int:
    return 1 if (a ^ 0x8000000000000000) >= (b ^ 0x8000000000000000) else 0


def i64_clz(a: int) -> int:
    return 64 - a.bit_length()


def i64_ctz(a: int) -> int:
    return (a & -a).bit_length() - 1 if a else 64


def i64_add(a: int, b: int) -> int:
    return (a + b) & 0xFFFFFFFFFFFFFFFF


def i64_sub(a: int, b: int) -> int:
    return (a - b) & 0xFFFFFFFFFFFFFFFF


def i64_mul(a: int, b: int) -> int:
    return (a * b) & 0xFFFFFFFFFFFFFFFF


def i64_div_s(a: int, b: int) -> int:
    """Truncating signed division; traps on zero and on INT_MIN / -1."""
    if a < 0x8000000000000000 and 0 < b < 0x8000000000000000:  # non-negative: floor = trunc
        return a // b
    if b == 0:
        raise Trap(_TRAP_DIV0)
    if b == 0xFFFFFFFFFFFFFFFF:
        if a == 0x8000000000000000:
            raise Trap(_TRAP_OVERFLOW)
        return -a & 0xFFFFFFFFFFFFFFFF
    a = (a ^ 0x8000000000000000) - 0x8000000000000000
    b = (b ^ 0x8000000000000000) - 0x8000000000000000
    q = abs(a) // abs(b)
    return (-q if (a ^ b) < 0 else q) & 0xFFFFFFFFFFFFFFFF


def i64_rem_s(a: int, b: int) -> int:
    """Remainder with the sign of the dividend (C semantics); INT_MIN % -1 is 0."""
    if a < 0x8000000000000000 and 0 < b < 0x8000000000000000:
        return a % b
    if b == 0:
        raise Trap(_TRAP_DIV0)
    a = (a ^ 0x8000000000000000) - 0x8000000000000000
    r = abs(a) % abs((b ^ 0x8000000000000000) - 0x8000000000000000)
    return (-r if a < 0 else r) & 0xFFFFFFFFFFFFFFFF


def i64_shl(a: int, b: int) -> int:
    return (a << (b & 63)) & 0xFFFFFFFFFFFFFFFF


def i64_shr_s(a: int, b: int) -> int:
    return (((a ^ 0x8000000000000000) - 0x8000000000000000) >> (b & 63)) & 0xFFFFFFFFFFFFFFFF


def i64_shr_u(a: int, b: int) -> int:
    return a >> (b & 63)


def i64_rotl(a: int, b: int) -> int:
    b &= 63
    return ((a << b) | (a >> (64 - b))) & 0xFFFFFFFFFFFFFFFF


def i64_rotr(a: int, b: int) -> int:
    b &= 63
    return ((a >> b) | (a << (64 - b))) & 0xFFFFFFFFFFFFFFFF


# --- float comparisons (f32 and f64) -----------------------------------------------


def f64_eq(a: float, b: float) -> int:
    return 1 if a == b else 0


def f64_ne(a: float, b: float) -> int:
    return 1 if a != b else 0


def f64_lt(a: float, b: float) -> int:
    return 1 if a < b else 0


def f64_gt(a: float, b: float) -> int:
    return 1 if a > b else 0


def f64_le(a: float, b: float) -> int:
    return 1 if a <= b else 0


def f64_ge(a: float, b: float) -> int:
    return 1 if a >= b else 0


f32_eq, f32_ne, f32_lt, f32_gt, f32_le, f32_ge = f64_eq, f64_ne, f64_lt, f64_gt, f64_le, f64_ge


# --- float unary -------------------------------------------------------------------
# abs/neg/copysign are sign-bit operations in C (fabs, unary minus, copysign) and keep
# NaN payloads untouched, as the spec requires.


def f64_abs(a: float) -> float:
    return abs(a)


def f64_neg(a: float) -> float:
    return -a


def f64_copysign(a: float, b: float) -> float:
    return _copysign(a, b)


f32_abs, f32_neg, f32_copysign = f64_abs, f64_neg, f64_copysign

# Above this magnitude every double (and every f32) is an integer.
_TWO52 = 4503599627370496.0


def f64_ceil(a: float) -> float:
    if -_TWO52 < a < _TWO52:
        r = float(math.ceil(a))
        return r if r else _copysign(0.0, a)
    return a if a == a else _quiet(a)


def f64_floor(a: float) -> float:
    if -_TWO52 < a < _TWO52:
        r = float(math.floor(a))
        return r if r else _copysign(0.0, a)
    return a if a == a else _quiet(a)


def f64_trunc(a: float) -> float:
    if -_TWO52 < a < _TWO52:
        r = float(int(a))
        return r if r else _copysign(0.0, a)
    return a if a == a else _quiet(a)


def f64_nearest(a: float) -> float:
    """Round half to even (Python's round), keeping the sign of a zero result."""
    if -_TWO52 < a < _TWO52:
        r = float(round(a))
        return r if r else _copysign(0.0, a)
    return a if a == a else _quiet(a)


f32_ceil, f32_floor, f32_trunc, f32_nearest = f64_ceil, f64_floor, f64_trunc, f64_nearest


def f64_sqrt(a: float) -> float:
    if a >= 0.0:  # includes -0.0 (sqrt(-0) = -0) and +inf
        return _sqrt(a)
    if a < 0.0:
        return CANONICAL_NAN
    return _quiet(a)


def f32_sqrt(a: float) -> float:
    if a >= 0.0:
        return _r32(_sqrt(a))
    if a < 0.0:
        return CANONICAL_NAN
    return _quiet(a)


# --- float binary ------------------------------------------------------------------


def f64_add(a: float, b: float) -> float:
    return a + b


def f64_sub(a: float, b: float) -> float:
    return a - b


def f64_mul(a: float, b: float) -> float:
    return a * b


def _div_by_zero(a: float, b: float) -> float:
    """x / +-0 without Python's ZeroDivisionError: +-inf, or NaN for 0/0 and NaN/0."""
    if a != a:
        return _quiet(a)
    if a == 0.0:
        return CANONICAL_NAN
    return _INF if (a < 0.0) == (_copysign(1.0, b) < 0.0) else _NINF


def f64_div(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        return _div_by_zero(a, b)


def f32_add(a: float, b: float) -> float:
    try:
        return _unpack_f(_pack_f(a + b))[0]
    except OverflowError:
        return _INF if a + b > 0 else _NINF


def f32_sub(a: float, b: float) -> float:
    try:
        return _unpack_f(_pack_f(a - b))[0]
    except OverflowError:
        return _INF if a - b > 0 else _NINF


def f32_mul(a: float, b: float) -> float:
    try:
        return _unpack_f(_pack_f(a * b))[0]
    except OverflowError:
        return _INF if a * b > 0 else _NINF


def f32_div(a: float, b: float) -> float:
    try:
        return _r32(a / b)
    except ZeroDivisionError:
        return _div_by_zero(a, b)


def f64_min(a: float, b: float) -> float:
    """NaN if either is NaN; -0 is below +0."""
    if a < b:
        return a
    if b < a:
        return b
    if a == b:
        return a if a else -(-a - b)  # for two zeros: -0 if either is -0
    return a + b  # a NaN operand, quieted and propagated


def f64_max(a: float, b: float) -> float:
    """NaN if either is NaN; +0 is above -0."""
    if a > b:
        return a
    if b > a:
        return b
    if a == b:
        return a + b if a == 0.0 else a  # +0 unless both zeros are -0
    return a + b


f32_min, f32_max = f64_min, f64_max


# --- conversions -------------------------------------------------------------------


def i32_wrap_i64(a: int) -> int:
    return a & 0xFFFFFFFF


def i64_extend_i32_s(a: int) -> int:
    return ((a ^ 0x80000000) - 0x80000000) & 0xFFFFFFFFFFFFFFFF


def i64_extend_i32_u(a: int) -> int:
    return a


def i32_extend8_s(a: int) -> int:
    return (((a & 0xFF) ^ 0x80) - 0x80) & 0xFFFFFFFF


def i32_extend16_s(a: int) -> int:
    return (((a & 0xFFFF) ^ 0x8000) - 0x8000) & 0xFFFFFFFF


def i64_extend8_s(a: int) -> int:
    return (((a & 0xFF) ^ 0x80) - 0x80) & 0xFFFFFFFFFFFFFFFF


def i64_extend16_s(a: int) -> int:
    return (((a & 0xFFFF) ^ 0x8000) - 0x8000) & 0xFFFFFFFFFFFFFFFF


def i64_extend32_s(a: int) -> int:
    return (((a & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000) & 0xFFFFFFFFFFFFFFFF


# Float -> int. The bounds are exact doubles; f32 operands are exact doubles too, so one
# function serves both source types. int() truncates toward zero.


def _trunc_trap(a: float) -> Trap:
    return Trap(_TRAP_INVALID if a != a else _TRAP_OVERFLOW)


def i32_trunc_f64_s(a: float) -> int:
    if -2147483649.0 < a < 2147483648.0:
        return int(a) & 0xFFFFFFFF
    raise _trunc_trap(a)


def i32_trunc_f64_u(a: float) -> int:
    if -1.0 < a < 4294967296.0:
        return int(a)
    raise _trunc_trap(a)


def i64_trunc_f64_s(a: float) -> int:
    if -9223372036854775808.0 <= a < 9223372036854775808.0:
        return int(a) & 0xFFFFFFFFFFFFFFFF
    raise _trunc_trap(a)


def i64_trunc_f64_u(a: float) -> int:
    if -1.0 < a < 18446744073709551616.0:
        return int(a)
    raise _trunc_trap(a)


def i32_trunc_sat_f64_s(a: float) -> int:
    if -2147483649.0 < a < 2147483648.0:
        return int(a) & 0xFFFFFFFF
    if a != a:
        return 0
    return 0x7FFFFFFF if a > 0.0 else 0x80000000


def i32_trunc_sat_f64_u(a: float) -> int:
    if -1.0 < a < 4294967296.0:
        return int(a)
    if a > 0.0:
        return 0xFFFFFFFF
    return 0  # NaN or below


def i64_trunc_sat_f64_s(a: float) -> int:
    if -9223372036854775808.0 <= a < 9223372036854775808.0:
        return int(a) & 0xFFFFFFFFFFFFFFFF
    if a != a:
        return 0
    return 0x7FFFFFFFFFFFFFFF if a > 0.0 else 0x8000000000000000


def i64_trunc_sat_f64_u(a: float) -> int:
    if -1.0 < a < 18446744073709551616.0:
        return int(a)
    if a > 0.0:
        return 0xFFFFFFFFFFFFFFFF
    return 0


i32_trunc_f32_s, i32_trunc_f32_u = i32_trunc_f64_s, i32_trunc_f64_u
i64_trunc_f32_s, i64_trunc_f32_u = i64_trunc_f64_s, i64_trunc_f64_u
i32_trunc_sat_f32_s, i32_trunc_sat_f32_u = i32_trunc_sat_f64_s, i32_trunc_sat_f64_u
i64_trunc_sat_f32_s, i64_trunc_sat_f32_u = i64_trunc_sat_f64_s, i64_trunc_sat_f64_u


# Int -> float. float(int) is correctly rounded in CPython; an i32 is exact in a double,
# so one more rounding to f32 is the only rounding.  An i64 above 2**53 is first reduced
# to 26 significant bits plus a sticky bit, exactly representable, so that the one
# binary32 rounding sees every bit that matters (no double rounding).


def _big_to_f32(n: int) -> float:
    """Correctly rounded f32 of a non-negative int with more than 53 bits (< 2**64)."""
    s = n.bit_length() - 26
    m = n >> s
    if n & ((1 << s) - 1):
        m |= 1
    return _unpack_f(_pack_f(_ldexp(float(m), s)))[0]


def f32_convert_i32_s(a: int) -> float:
    return _unpack_f(_pack_f(float((a ^ 0x80000000) - 0x80000000)))[0]


def f32_convert_i32_u(a: int) -> float:
    return _unpack_f(_pack_f(float(a)))[0]


def f32_convert_i64_s(a: int) -> float:
    if a < 0x20000000000000 or a > 0xFFE0000000000000:  # |value| <= 2**53: exact double
        return _unpack_f(_pack_f(float((a ^ 0x8000000000000000) - 0x8000000000000000)))[0]
    if a & 0x8000000000000000:
        return -_big_to_f32(0x10000000000000000 - a)
    return _big_to_f32(a)


def f32_convert_i64_u(a: int) -> float:
    if a < 0x20000000000000:
        return _unpack_f(_pack_f(float(a)))[0]
    return _big_to_f32(a)


def f64_convert_i32_s(a: int) -> float:
    return float((a ^ 0x80000000) - 0x80000000)


def f64_convert_i32_u(a: int) -> float:
    return float(a)


def f64_convert_i64_s(a: int) -> float:
    return float((a ^ 0x8000000000000000) - 0x8000000000000000)


def f64_convert_i64_u(a: int) -> float:
    return float(a)


def f32_demote_f64(a: float) -> float:
    """Round to f32; a NaN keeps its top 23 payload bits and is quieted."""
    return f32_round(a)


def f64_promote_f32(a: float) -> float:
    """Exact; a NaN (already in f64 layout) only gets its quiet bit set."""
    return a if a == a else _quiet(a)


i32_reinterpret_f32 = f32_to_bits
i64_reinterpret_f64 = f64_to_bits
f32_reinterpret_i32 = f32_from_bits
f64_reinterpret_i64 = f64_from_bits


# --- dispatch table ----------------------------------------------------------------


def _build_by_code() -> dict[int, Callable]:
    """Every opcode with a fixed signature and no immediate (the numeric ones)."""
    table: dict[int, Callable] = {}
    names = globals()
    for op in OPS:
        if op.imm is Imm.NONE and op.sig is not None:
            fn = names.get(op.name.replace(".", "_"))
            if fn is not None:
                table[op.code] = fn
    return table


BY_CODE: dict[int, Callable] = _build_by_code()
