"""Tests of procs/wasm/lower.py: the shape of the register IR (operand folding, fused
compare-and-branch, skipped dead code, block records for the JIT) and the run-time
correctness of the cases the lowering has to be careful about (lazy locals)."""

from __future__ import annotations

import struct

import wasmtime

from procs.wasm import opcodes as op
from procs.wasm.decode import decode
from procs.wasm.instance import instantiate
from procs.wasm.interp import invoke
from procs.wasm.lower import FIELDS, KIND, Code, K, lower
from procs.wasm.module import TYPE_NAMES
from procs.wasm.validate import validate

from .test_interp import CALLS, CONTROL, DIFF, MEMORY, TABLES


def module(wat: str):
    m = decode(wasmtime.wat2wasm(wat))
    validate(m)
    return m


def lowered(body: str, sig: str = "(param i32 i32) (result i32)", extra: str = "") -> Code:
    m = module(f"(module {extra} (func {sig} {body}))")
    return lower(m, len(m.funcs) - 1)


def kinds(code: Code) -> list[str]:
    return [K(ins[0]).name for ins in code.instrs]


def run(wat: str, name: str, *args):
    inst = instantiate(module(wat), [])
    return invoke(inst.exports[name], list(args))


def test_table_is_complete():
    assert set(FIELDS) == set(K)
    assert KIND["add"] == K.ADD and KIND["br_table"] == K.BR_TABLE


def test_constants_and_locals_are_operands():
    c = lowered(
        "(local i32) local.get 0 i32.const 1 i32.add local.set 2 local.get 2",
        "(param i32 i32) (result i32)",
    )
    assert c.nlocals == 3 and c.consts == [1] and c.base == 4
    assert c.instrs == [(K.ADD, 2, 0, 3, 0xFFFFFFFF), (K.RET1, 2)]
    # Declared local, constant, then two stack slots (the height reached, lazily).
    assert c.tail == [0, 1, None, None]


def test_constants_are_deduplicated_and_keep_float_bits():
    c = lowered(
        "i32.const 7 i32.const 7 i32.add drop f32.const nan:0x200001 drop "
        "f64.const -0 drop f64.const 0 drop i32.const 0",
        "(result i32)",
    )
    assert c.consts[0] == 7
    nan = c.consts[1]
    assert nan != nan
    assert struct.unpack("<Q", struct.pack("<d", nan))[0] == 0x7FF0000000000000 | (0x200001 << 29)
    assert len(c.consts) == 5  # 7, nan, -0.0, 0.0 and i32 0 (distinct from 0.0)
    assert str(c.consts[2]) == "-0.0" and str(c.consts[3]) == "0.0"


def test_compare_fuses_into_branch():
    c = lowered(
        "block local.get 0 local.get 1 i32.lt_s br_if 0 end "
        "block local.get 0 i32.eqz br_if 0 end "
        "local.get 0 i64.extend_i32_u i64.const 5 i64.ge_u if nop end i32.const 0"
    )
    ks = kinds(c)
    assert ks[0] == "BR_LTS" and c.instrs[0][4] == 1 << 31
    assert "BR_UNLESS" in ks
    assert "BR_LTU" in ks  # `if` jumps to its end when i64.ge_u is false
    for name in ("LTS", "EQZ", "GEU"):
        assert name not in ks


def test_dead_code_is_skipped():
    c = lowered(
        "block (result i32) i32.const 1 br 0 i32.const 2 i32.const 3 i32.add "
        "block loop unreachable end end drop end",
        "(result i32)",
    )
    assert "ADD" not in kinds(c) and "UNREACHABLE" not in kinds(c)


def test_br_to_return_is_threaded():
    c = lowered(
        "local.get 0 if (result i32) i32.const 1 else i32.const 2 end", "(param i32) (result i32)"
    )
    assert "BR" not in kinds(c)
    assert kinds(c).count("RET1") == 2


def test_blocks_are_recorded_for_the_jit():
    c = lowered(
        "(local i32) block loop local.get 0 i32.eqz br_if 1 "
        "local.get 0 i32.const 1 i32.sub local.set 0 br 0 end end local.get 2",
        "(param i32 i32) (result i32)",
    )
    blk, lp = c.blocks
    assert blk.kind == op.BLOCK and lp.kind == op.LOOP
    assert lp.start == 0 and blk.end == len(c.instrs) - 1
    backs = [ins for ins in c.instrs if ins[0] == K.BR]
    assert backs and all(ins[1] == lp.start for ins in backs)
    exits = [ins for ins in c.instrs if ins[0] == K.BR_UNLESS]
    assert exits[0][2] == blk.end


def test_every_instruction_matches_its_field_layout():
    for wat in (CONTROL, CALLS, MEMORY, TABLES, DIFF):
        m = module(wat)
        for i in range(len(m.funcs)):
            for ins in lower(m, i).instrs:
                assert len(ins) == 1 + len(FIELDS[ins[0]]), (K(ins[0]).name, ins)


def test_every_numeric_opcode_lowers():
    funcs = []
    for o in op.OPS:
        if o.imm is not op.Imm.NONE or o.sig is None:
            continue
        params, results = o.sig
        p = " ".join(TYPE_NAMES[t] for t in params)
        r = " ".join(TYPE_NAMES[t] for t in results)
        gets = " ".join(f"local.get {i}" for i in range(len(params)))
        funcs.append(f"(func (param {p}) (result {r}) {gets} {o.name})")
    m = module("(module " + "\n".join(funcs) + ")")
    for i in range(len(m.funcs)):
        code = lower(m, i)
        assert code.instrs[-1][0] == K.RET1


# --- run-time behaviour of the tricky lowering cases -------------------------------


def test_lazy_local_is_read_before_a_later_write():
    wat = """(module (func (export "f") (param i32) (result i32)
      local.get 0 local.get 0 i32.const 1 i32.add local.set 0 local.get 0 i32.mul))"""
    assert run(wat, "f", 6) == [42]  # 6 * 7


def test_lazy_local_survives_a_block_that_writes_it():
    wat = """(module (func (export "f") (param i32 i32) (result i32)
      local.get 0
      block local.get 1 br_if 0 i32.const 100 local.set 0 end
      local.get 0 i32.sub))"""
    assert run(wat, "f", 7, 1) == [0]  # block exited early: 7 - 7
    assert run(wat, "f", 7, 0) == [(7 - 100) & 0xFFFFFFFF]


def test_tee_then_overwrite():
    wat = """(module (func (export "f") (param i32) (result i32) (local i32)
      local.get 0 local.tee 1 i32.const 3 local.set 1 local.get 1 i32.add))"""
    assert run(wat, "f", 10) == [13]


def test_branch_values_do_not_clobber_each_other():
    # Three values moved down to a block's result slots in one branch.
    wat = """(module (func (export "f") (param i32) (result i32 i32 i32)
      i32.const 99
      block (result i32 i32 i32)
        i32.const 1 local.get 0 i32.const 3
        local.get 0 br_if 0
        drop drop drop i32.const 7 i32.const 8 i32.const 9
      end
      local.set 0 drop drop drop local.get 0 i32.const 0 i32.const 0))"""
    assert run(wat, "f", 5) == [3, 0, 0]
    assert run(wat, "f", 0) == [9, 0, 0]


def test_br_table_with_values_to_a_loop_and_blocks():
    wat = """(module (func (export "f") (param i32) (result i32) (local i32)
      i32.const 0
      loop $l (param i32) (result i32)
        i32.const 1 i32.add
        local.get 0 i32.const 1 i32.sub local.tee 0 i32.eqz
        br_table $l 1
      end))"""
    # Counts loop iterations until the decremented parameter reaches 0.
    assert run(wat, "f", 1) == [1]
    assert run(wat, "f", 5) == [5]
    wat2 = """(module (func (export "f") (param i32) (result i32)
      block (result i32) block (result i32) block (result i32)
        i32.const 10 local.get 0 br_table 0 1 2
      end i32.const 1 i32.add end i32.const 2 i32.add end))"""
    assert [run(wat2, "f", i)[0] for i in (0, 1, 2, 3)] == [13, 12, 10, 10]


def test_setting_a_fresh_local_to_its_default_is_elided():
    c = lowered("(local i32 f32) i32.const 0 local.set 1 local.get 1", "(param i32) (result i32)")
    assert kinds(c) == ["RET1"]
    # -0.0 is not the default 0.0 of an f32 local.
    c = lowered("(local f32) f32.const -0 local.set 1 local.get 1", "(param i32) (result f32)")
    assert kinds(c) == ["MOV", "RET1"]
    # Inside a loop the local may hold anything: the store must stay.
    wat = """(module (func (export "f") (param i32) (result i32) (local i32 i32)
      loop $l
        i32.const 0 local.set 1
        local.get 2 local.get 1 i32.add i32.const 1 i32.add local.set 2
        i32.const 5 local.set 1
        local.get 0 i32.const 1 i32.sub local.tee 0 br_if $l
      end
      local.get 2))"""
    assert run(wat, "f", 3) == [3]
