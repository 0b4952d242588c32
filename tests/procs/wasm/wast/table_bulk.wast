;; Table operations (Wasm 2.0): table.get/set/size/grow/fill/copy/init, elem.drop,
;; several tables (funcref and externref) in one module, call_indirect through a
;; table other than table 0.
;; Covers: bounds rules as for memory (length 0 at the end fine, one past traps,
;; a trapping op writes nothing, no wrap-around), overlapping copies in both
;; directions, copying between two tables, table.grow returning the old size or
;; -1 (past the maximum, or past 2^32-1 when there is none) and initialising new
;; slots, dropped and active (already applied) segments behaving as length 0,
;; call_indirect's "undefined element" / "uninitialized element" /
;; "indirect call type mismatch" traps on table 1.

(module
  (type $ii (func (result i32)))
  (table $t0 3 funcref)
  (table $t1 5 10 funcref)
  (table $te 2 externref)
  (func $f0 (type $ii) (i32.const 0))
  (func $f1 (type $ii) (i32.const 1))
  (func $f2 (type $ii) (i32.const 2))
  (func $f3 (type $ii) (i32.const 3))
  (func $fp (param i32) (result i32) (local.get 0))
  (elem $e0 funcref (ref.func $f0) (ref.func $f1) (ref.null func) (ref.func $f2))
  (elem $e1 func $f3 $fp)
  (elem $act (table $t1) (i32.const 0) func $f1 $f2)
  (elem $ee externref (ref.null extern) (ref.null extern))

  (func (export "call0") (param i32) (result i32) (call_indirect $t0 (type $ii) (local.get 0)))
  (func (export "call1") (param i32) (result i32) (call_indirect $t1 (type $ii) (local.get 0)))
  (func (export "init_e0") (param i32 i32 i32) (table.init $t1 $e0 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init_e1") (param i32 i32 i32) (table.init $t1 $e1 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init_act") (param i32 i32 i32) (table.init $t1 $act (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init_ee") (param i32 i32 i32) (table.init $te $ee (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop_e0") (elem.drop $e0))
  (func (export "drop_act") (elem.drop $act))
  (func (export "copy11") (param i32 i32 i32) (table.copy $t1 $t1 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy01") (param i32 i32 i32) (table.copy $t0 $t1 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill1_f3") (param i32 i32) (table.fill $t1 (local.get 0) (ref.func $f3) (local.get 1)))
  (func (export "fill1_null") (param i32 i32) (table.fill $t1 (local.get 0) (ref.null func) (local.get 1)))
  (func (export "grow1") (param i32) (result i32) (table.grow $t1 (ref.func $f0) (local.get 0)))
  (func (export "size0") (result i32) (table.size $t0))
  (func (export "size1") (result i32) (table.size $t1))
  (func (export "is_null1") (param i32) (result i32) (ref.is_null (table.get $t1 (local.get 0))))
  (func (export "move10") (param i32 i32) (table.set $t0 (local.get 0) (table.get $t1 (local.get 1))))
  (func (export "get_e") (param i32) (result externref) (table.get $te (local.get 0)))
  (func (export "set_e") (param i32 externref) (table.set $te (local.get 0) (local.get 1)))
  (func (export "fill_e") (param i32 externref i32) (table.fill $te (local.get 0) (local.get 1) (local.get 2)))
  (func (export "grow_e") (param externref i32) (result i32) (table.grow $te (local.get 0) (local.get 1)))
  (func (export "size_e") (result i32) (table.size $te))
)

;; ---- initial state: t1 = [f1 f2 null null null], t0 all null
(assert_return (invoke "size0") (i32.const 3))
(assert_return (invoke "size1") (i32.const 5))
(assert_return (invoke "size_e") (i32.const 2))
(assert_return (invoke "call1" (i32.const 0)) (i32.const 1))
(assert_return (invoke "call1" (i32.const 1)) (i32.const 2))
(assert_trap (invoke "call1" (i32.const 2)) "uninitialized element")
(assert_trap (invoke "call1" (i32.const 5)) "undefined element")
(assert_trap (invoke "call1" (i32.const -1)) "undefined element")
(assert_trap (invoke "call0" (i32.const 0)) "uninitialized element")
(assert_trap (invoke "call0" (i32.const 3)) "undefined element")

;; ---- table.init
(assert_trap (invoke "init_e0" (i32.const 2) (i32.const 0) (i32.const 4)) "out of bounds table access")
(assert_return (invoke "is_null1" (i32.const 2)) (i32.const 1))
(assert_trap (invoke "init_e0" (i32.const 0) (i32.const 1) (i32.const 4)) "out of bounds table access")
(assert_return (invoke "call1" (i32.const 0)) (i32.const 1))
(invoke "init_e0" (i32.const 1) (i32.const 0) (i32.const 4))
;; t1 = [f1 f0 f1 null f2]
(assert_return (invoke "call1" (i32.const 0)) (i32.const 1))
(assert_return (invoke "call1" (i32.const 1)) (i32.const 0))
(assert_return (invoke "call1" (i32.const 2)) (i32.const 1))
(assert_trap (invoke "call1" (i32.const 3)) "uninitialized element")
(assert_return (invoke "call1" (i32.const 4)) (i32.const 2))
(invoke "init_e0" (i32.const 5) (i32.const 4) (i32.const 0))
(invoke "init_e0" (i32.const 0) (i32.const 4) (i32.const 0))
(assert_trap (invoke "init_e0" (i32.const 6) (i32.const 0) (i32.const 0)) "out of bounds table access")
(assert_trap (invoke "init_e0" (i32.const 0) (i32.const 5) (i32.const 0)) "out of bounds table access")
(assert_trap (invoke "init_e0" (i32.const 0xffff_ffff) (i32.const 0) (i32.const 1)) "out of bounds table access")
(assert_trap (invoke "init_e0" (i32.const 1) (i32.const 1) (i32.const 0xffff_ffff)) "out of bounds table access")
;; dropped segment: length 0
(invoke "drop_e0")
(invoke "drop_e0")
(invoke "init_e0" (i32.const 0) (i32.const 0) (i32.const 0))
(invoke "init_e0" (i32.const 5) (i32.const 0) (i32.const 0))
(assert_trap (invoke "init_e0" (i32.const 3) (i32.const 0) (i32.const 1)) "out of bounds table access")
(assert_trap (invoke "init_e0" (i32.const 0) (i32.const 1) (i32.const 0)) "out of bounds table access")
(assert_trap (invoke "call1" (i32.const 3)) "uninitialized element")
;; active segment: already dropped by instantiation
(assert_trap (invoke "init_act" (i32.const 3) (i32.const 0) (i32.const 1)) "out of bounds table access")
(invoke "init_act" (i32.const 3) (i32.const 0) (i32.const 0))
(invoke "drop_act")
(invoke "init_act" (i32.const 3) (i32.const 0) (i32.const 0))
(assert_trap (invoke "call1" (i32.const 3)) "uninitialized element")
;; externref segment into the externref table
(invoke "set_e" (i32.const 1) (ref.extern 1))
(invoke "init_ee" (i32.const 1) (i32.const 1) (i32.const 1))
(assert_return (invoke "get_e" (i32.const 1)) (ref.null extern))

;; ---- indirect call type mismatch through table 1
(invoke "init_e1" (i32.const 3) (i32.const 0) (i32.const 2))
;; t1 = [f1 f0 f1 f3 fp]
(assert_return (invoke "call1" (i32.const 3)) (i32.const 3))
(assert_trap (invoke "call1" (i32.const 4)) "indirect call type mismatch")

;; ---- table.copy within t1, overlapping
(invoke "copy11" (i32.const 1) (i32.const 0) (i32.const 4))
;; t1 = [f1 f1 f0 f1 f3]
(assert_return (invoke "call1" (i32.const 0)) (i32.const 1))
(assert_return (invoke "call1" (i32.const 1)) (i32.const 1))
(assert_return (invoke "call1" (i32.const 2)) (i32.const 0))
(assert_return (invoke "call1" (i32.const 3)) (i32.const 1))
(assert_return (invoke "call1" (i32.const 4)) (i32.const 3))
(invoke "copy11" (i32.const 0) (i32.const 2) (i32.const 3))
;; t1 = [f0 f1 f3 f1 f3]
(assert_return (invoke "call1" (i32.const 0)) (i32.const 0))
(assert_return (invoke "call1" (i32.const 1)) (i32.const 1))
(assert_return (invoke "call1" (i32.const 2)) (i32.const 3))
(assert_return (invoke "call1" (i32.const 3)) (i32.const 1))
(assert_return (invoke "call1" (i32.const 4)) (i32.const 3))
(invoke "copy11" (i32.const 5) (i32.const 5) (i32.const 0))
(invoke "copy11" (i32.const 5) (i32.const 0) (i32.const 0))
(assert_trap (invoke "copy11" (i32.const 6) (i32.const 0) (i32.const 0)) "out of bounds table access")
(assert_trap (invoke "copy11" (i32.const 0) (i32.const 6) (i32.const 0)) "out of bounds table access")
;; partly out of bounds, overlapping: nothing written
(assert_trap (invoke "copy11" (i32.const 3) (i32.const 0) (i32.const 3)) "out of bounds table access")
(assert_trap (invoke "copy11" (i32.const 0) (i32.const 3) (i32.const 3)) "out of bounds table access")
(assert_return (invoke "call1" (i32.const 0)) (i32.const 0))
(assert_return (invoke "call1" (i32.const 3)) (i32.const 1))
(assert_return (invoke "call1" (i32.const 4)) (i32.const 3))
(assert_trap (invoke "copy11" (i32.const 0) (i32.const 0) (i32.const 0xffff_ffff)) "out of bounds table access")

;; ---- table.copy from t1 into t0 (another table), and get/set between them
(invoke "copy01" (i32.const 0) (i32.const 1) (i32.const 3))
;; t0 = [f1 f3 f1]
(assert_return (invoke "call0" (i32.const 0)) (i32.const 1))
(assert_return (invoke "call0" (i32.const 1)) (i32.const 3))
(assert_return (invoke "call0" (i32.const 2)) (i32.const 1))
(assert_trap (invoke "copy01" (i32.const 1) (i32.const 0) (i32.const 3)) "out of bounds table access")
(assert_trap (invoke "copy01" (i32.const 0) (i32.const 3) (i32.const 3)) "out of bounds table access")
(assert_return (invoke "call0" (i32.const 1)) (i32.const 3))
(invoke "copy01" (i32.const 3) (i32.const 5) (i32.const 0))
(invoke "move10" (i32.const 2) (i32.const 0))
(assert_return (invoke "call0" (i32.const 2)) (i32.const 0))
(assert_trap (invoke "move10" (i32.const 3) (i32.const 0)) "out of bounds table access")
(assert_trap (invoke "move10" (i32.const 0) (i32.const 5)) "out of bounds table access")

;; ---- table.fill
(invoke "fill1_f3" (i32.const 0) (i32.const 2))
(assert_return (invoke "call1" (i32.const 0)) (i32.const 3))
(assert_return (invoke "call1" (i32.const 1)) (i32.const 3))
(assert_return (invoke "call1" (i32.const 2)) (i32.const 3))
(invoke "fill1_null" (i32.const 2) (i32.const 1))
(assert_return (invoke "is_null1" (i32.const 2)) (i32.const 1))
(assert_trap (invoke "call1" (i32.const 2)) "uninitialized element")
(assert_trap (invoke "fill1_null" (i32.const 4) (i32.const 2)) "out of bounds table access")
(assert_return (invoke "is_null1" (i32.const 4)) (i32.const 0))
(invoke "fill1_null" (i32.const 5) (i32.const 0))
(assert_trap (invoke "fill1_null" (i32.const 6) (i32.const 0)) "out of bounds table access")
(assert_trap (invoke "fill1_null" (i32.const 1) (i32.const 0xffff_ffff)) "out of bounds table access")
(assert_return (invoke "is_null1" (i32.const 1)) (i32.const 0))

;; ---- table.grow / table.size
(assert_return (invoke "grow1" (i32.const 0)) (i32.const 5))
(assert_return (invoke "grow1" (i32.const 3)) (i32.const 5))
(assert_return (invoke "size1") (i32.const 8))
(assert_return (invoke "call1" (i32.const 5)) (i32.const 0))
(assert_return (invoke "call1" (i32.const 7)) (i32.const 0))
(assert_trap (invoke "call1" (i32.const 8)) "undefined element")
(assert_return (invoke "grow1" (i32.const 3)) (i32.const -1))
(assert_return (invoke "size1") (i32.const 8))
(assert_return (invoke "grow1" (i32.const 2)) (i32.const 8))
(assert_return (invoke "size1") (i32.const 10))
(assert_return (invoke "grow1" (i32.const 1)) (i32.const -1))
(assert_return (invoke "grow1" (i32.const 0xffff_ffff)) (i32.const -1))
(assert_return (invoke "grow1" (i32.const 0)) (i32.const 10))
(assert_return (invoke "size1") (i32.const 10))
(invoke "fill1_null" (i32.const 0) (i32.const 10))
(assert_trap (invoke "call1" (i32.const 9)) "uninitialized element")

;; ---- externref table: get/set/fill/grow
(assert_return (invoke "get_e" (i32.const 0)) (ref.null extern))
(invoke "set_e" (i32.const 0) (ref.extern 7))
(assert_return (invoke "get_e" (i32.const 0)) (ref.extern 7))
(assert_return (invoke "get_e" (i32.const 1)) (ref.null extern))
(assert_trap (invoke "get_e" (i32.const 2)) "out of bounds table access")
(assert_trap (invoke "set_e" (i32.const 2) (ref.extern 1)) "out of bounds table access")
(assert_trap (invoke "set_e" (i32.const -1) (ref.null extern)) "out of bounds table access")
(assert_return (invoke "grow_e" (ref.extern 9) (i32.const 2)) (i32.const 2))
(assert_return (invoke "size_e") (i32.const 4))
(assert_return (invoke "get_e" (i32.const 2)) (ref.extern 9))
(assert_return (invoke "get_e" (i32.const 3)) (ref.extern 9))
(invoke "fill_e" (i32.const 1) (ref.extern 5) (i32.const 2))
(assert_return (invoke "get_e" (i32.const 0)) (ref.extern 7))
(assert_return (invoke "get_e" (i32.const 1)) (ref.extern 5))
(assert_return (invoke "get_e" (i32.const 2)) (ref.extern 5))
(assert_return (invoke "get_e" (i32.const 3)) (ref.extern 9))
(assert_trap (invoke "fill_e" (i32.const 3) (ref.null extern) (i32.const 2)) "out of bounds table access")
(assert_return (invoke "get_e" (i32.const 3)) (ref.extern 9))
(invoke "fill_e" (i32.const 4) (ref.null extern) (i32.const 0))
(assert_return (invoke "grow_e" (ref.null extern) (i32.const 0xffff_ffff)) (i32.const -1))
(assert_return (invoke "grow_e" (ref.null extern) (i32.const 0)) (i32.const 4))
(assert_return (invoke "size_e") (i32.const 4))

;; ---- a table can grow from 0 and starts out filled with the given value
(module
  (table $t 0 externref)
  (func (export "grow") (param externref i32) (result i32) (table.grow $t (local.get 0) (local.get 1)))
  (func (export "get") (param i32) (result externref) (table.get $t (local.get 0)))
  (func (export "size") (result i32) (table.size $t))
)
(assert_trap (invoke "get" (i32.const 0)) "out of bounds table access")
(assert_return (invoke "grow" (ref.extern 3) (i32.const 1)) (i32.const 0))
(assert_return (invoke "get" (i32.const 0)) (ref.extern 3))
(assert_return (invoke "size") (i32.const 1))

;; ---- type rules
(assert_invalid
  (module (table $a 1 funcref) (table $b 1 externref)
    (func (table.copy $a $b (i32.const 0) (i32.const 0) (i32.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (table 1 externref) (func $f) (elem declare func $f)
    (func (table.fill 0 (i32.const 0) (ref.func $f) (i32.const 1))))
  "type mismatch"
)
(assert_invalid
  (module (table 1 externref) (func (param funcref) (table.set 0 (i32.const 0) (local.get 0))))
  "type mismatch"
)
(assert_invalid
  (module (table 1 funcref) (func (result externref) (table.get 0 (i32.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (table 1 funcref) (func (result i32) (table.grow 0 (ref.null extern) (i32.const 1))))
  "type mismatch"
)
(assert_invalid
  (module (table 1 funcref) (func (result i32) (table.size 1)))
  "unknown table"
)
(assert_invalid
  (module (table 1 funcref) (func (elem.drop 0)))
  "unknown elem segment 0"
)
;; call_indirect requires a funcref table. (wabt 1.0.32's spectest-interp wrongly
;; accepts this module; the spec and wasmtime reject it.)
(assert_invalid
  (module (type (func)) (table 1 externref) (func (call_indirect (type 0) (i32.const 0))))
  "type mismatch"
)

;; ---- declarative segments are dropped at instantiation, like active ones
(module
  (type $v_i (func (result i32)))
  (table 2 funcref)
  (func $f (type $v_i) (i32.const 5))
  (elem $decl declare func $f)
  (elem $pass func $f)
  (func (export "init_decl") (param i32) (table.init 0 $decl (i32.const 0) (i32.const 0) (local.get 0)))
  (func (export "init_pass") (param i32) (table.init 0 $pass (i32.const 1) (i32.const 0) (local.get 0)))
  (func (export "call") (param i32) (result i32) (call_indirect (type $v_i) (local.get 0)))
)
(invoke "init_decl" (i32.const 0))
(assert_trap (invoke "init_decl" (i32.const 1)) "out of bounds table access")
(assert_trap (invoke "call" (i32.const 0)) "uninitialized element")
(invoke "init_pass" (i32.const 1))
(assert_return (invoke "call" (i32.const 1)) (i32.const 5))

;; ---- active segments with expressions overwrite in order, nulls included
(module
  (type $v_i (func (result i32)))
  (table 3 funcref)
  (func $a (type $v_i) (i32.const 1))
  (func $b (type $v_i) (i32.const 2))
  (elem (i32.const 0) func $a $a $a)
  (elem (i32.const 1) funcref (ref.null func) (ref.func $b))
  (func (export "call") (param i32) (result i32) (call_indirect (type $v_i) (local.get 0)))
)
(assert_return (invoke "call" (i32.const 0)) (i32.const 1))
(assert_trap (invoke "call" (i32.const 1)) "uninitialized element")
(assert_return (invoke "call" (i32.const 2)) (i32.const 2))
