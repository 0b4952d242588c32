;; Linking between instances (Wasm 2.0 semantics).
;; Covers: a memory, a table and a mutable global shared between instances via
;; `register` (writes and growth through one instance are visible through the
;; other); import matching against the exporter's *current* limits (after growth);
;; failed instantiation: elem/data segments are applied in order, so segments
;; before the trapping one stay written into imported memories/tables, element
;; segments are applied before data segments, and the start function does not run;
;; assert_unlinkable for unknown imports, wrong kinds, incompatible limits
;; (bigger min, max not satisfied, max required but absent), wrong table element
;; type, wrong global type or mutability, and wrong function signature.

(module $M
  (type $ii (func (result i32)))
  (memory (export "mem") 1 5)
  (table (export "tab") 4 8 funcref)
  (global (export "g") (mut i32) (i32.const 10))
  (global (export "gi") i32 (i32.const 20))
  (global (export "ge") (mut externref) (ref.null extern))
  (func (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "tsize") (result i32) (table.size 0))
  (func (export "call") (param i32) (result i32) (call_indirect (type $ii) (local.get 0)))
  (func (export "get_g") (result i32) (global.get 0))
  (func (export "set_g") (param i32) (global.set 0 (local.get 0)))
)
(register "M" $M)

;; ---- shared memory
(module $N
  (type $ii (func (result i32)))
  (import "M" "mem" (memory 1))
  (import "M" "tab" (table 4 funcref))
  (import "M" "g" (global $g (mut i32)))
  (func $seven (type $ii) (i32.const 7))
  (func $eight (type $ii) (i32.const 8))
  (elem (i32.const 1) $seven $eight)
  (data (i32.const 16) "hi")
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "call") (param i32) (result i32) (call_indirect (type $ii) (local.get 0)))
  (func (export "set_tab") (param i32 i32) (table.set 0 (local.get 0) (table.get 0 (local.get 1))))
  (func (export "get_g") (result i32) (global.get $g))
  (func (export "set_g") (param i32) (global.set $g (local.get 0)))
)
(assert_return (invoke $M "load8" (i32.const 16)) (i32.const 0x68))
(assert_return (invoke $M "load8" (i32.const 17)) (i32.const 0x69))
(invoke $M "store8" (i32.const 100) (i32.const 42))
(assert_return (invoke $N "load8" (i32.const 100)) (i32.const 42))
(invoke $N "store8" (i32.const 101) (i32.const 43))
(assert_return (invoke $M "load8" (i32.const 101)) (i32.const 43))
;; growth through N is seen by M
(assert_return (invoke $N "grow" (i32.const 2)) (i32.const 1))
(assert_return (invoke $M "size") (i32.const 3))
(invoke $N "store8" (i32.const 0x2ffff) (i32.const 9))
(assert_return (invoke $M "load8" (i32.const 0x2ffff)) (i32.const 9))
(assert_return (invoke $M "grow" (i32.const 3)) (i32.const -1))
(assert_return (invoke $M "grow" (i32.const 2)) (i32.const 3))
(assert_return (invoke $N "size") (i32.const 5))
(assert_return (invoke $N "grow" (i32.const 1)) (i32.const -1))

;; ---- shared table
(assert_return (invoke $M "call" (i32.const 1)) (i32.const 7))
(assert_return (invoke $M "call" (i32.const 2)) (i32.const 8))
(assert_trap (invoke $M "call" (i32.const 0)) "uninitialized element")
(invoke $N "set_tab" (i32.const 0) (i32.const 2))
(assert_return (invoke $M "call" (i32.const 0)) (i32.const 8))
(assert_return (invoke $N "call" (i32.const 0)) (i32.const 8))

;; ---- shared mutable global
(assert_return (invoke $N "get_g") (i32.const 10))
(invoke $N "set_g" (i32.const 11))
(assert_return (invoke $M "get_g") (i32.const 11))
(assert_return (get $M "g") (i32.const 11))
(invoke $M "set_g" (i32.const 12))
(assert_return (invoke $N "get_g") (i32.const 12))

;; ---- import matching uses the current size: the memory now has 5 pages
(module (import "M" "mem" (memory 5)))
(module (import "M" "mem" (memory 5 5)))
(module (import "M" "mem" (memory 0 6)))
(module (import "M" "mem" (memory 1)))
(assert_unlinkable
  (module (import "M" "mem" (memory 6)))
  "incompatible import type"
)
(assert_unlinkable
  (module (import "M" "mem" (memory 1 4)))
  "incompatible import type"
)
(module (import "M" "tab" (table 4 8 funcref)))
(module (import "M" "tab" (table 0 funcref)))
(assert_unlinkable
  (module (import "M" "tab" (table 5 funcref)))
  "incompatible import type"
)
(assert_unlinkable
  (module (import "M" "tab" (table 4 7 funcref)))
  "incompatible import type"
)
(assert_unlinkable
  (module (import "M" "tab" (table 4 externref)))
  "incompatible import type"
)

;; ---- an exporter without a maximum does not satisfy an importer with one
(module $U
  (memory (export "mem") 1)
  (table (export "tab") 1 funcref)
)
(register "U" $U)
(module (import "U" "mem" (memory 1)))
(assert_unlinkable
  (module (import "U" "mem" (memory 1 65536)))
  "incompatible import type"
)
(assert_unlinkable
  (module (import "U" "tab" (table 1 0xffff_ffff funcref)))
  "incompatible import type"
)

;; ---- globals: type and mutability must match exactly
(module (import "M" "g" (global (mut i32))))
(module (import "M" "gi" (global i32)))
(module (import "M" "ge" (global (mut externref))))
(assert_unlinkable
  (module (import "M" "g" (global i32)))
  "incompatible import type"
)
(assert_unlinkable
  (module (import "M" "gi" (global (mut i32))))
  "incompatible import type"
)
(assert_unlinkable
  (module (import "M" "gi" (global i64)))
  "incompatible import type"
)
(assert_unlinkable
  (module (import "M" "g" (global (mut i64))))
  "incompatible import type"
)
(assert_unlinkable
  (module (import "M" "ge" (global (mut funcref))))
  "incompatible import type"
)

;; ---- functions: the signature must match exactly
(module (import "M" "f" (func (param i32) (result i32))))
(assert_unlinkable
  (module (import "M" "f" (func (param i32))))
  "incompatible import type"
)
(assert_unlinkable
  (module (import "M" "f" (func (param i64) (result i32))))
  "incompatible import type"
)
(assert_unlinkable
  (module (import "M" "f" (func (param i32) (result i32 i32))))
  "incompatible import type"
)
(assert_unlinkable
  (module (import "M" "f" (func (result i32))))
  "incompatible import type"
)

;; ---- wrong kind, unknown names
(assert_unlinkable
  (module (import "M" "mem" (table 1 funcref)))
  "incompatible import type"
)
(assert_unlinkable
  (module (import "M" "f" (global i32)))
  "incompatible import type"
)
(assert_unlinkable
  (module (import "M" "g" (func)))
  "incompatible import type"
)
(assert_unlinkable
  (module (import "M" "tab" (memory 1)))
  "incompatible import type"
)
(assert_unlinkable
  (module (import "M" "nope" (func)))
  "unknown import"
)
(assert_unlinkable
  (module (import "nowhere" "f" (func)))
  "unknown import"
)
;; matching is case-sensitive
(assert_unlinkable
  (module (import "M" "F" (func (param i32) (result i32))))
  "unknown import"
)

;; ---- a failing instantiation keeps the writes of earlier segments
(module $S
  (memory (export "mem") 1)
  (table (export "tab") 2 funcref)
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get 0 (local.get 0))))
)
(register "S" $S)
;; data: first segment written, second out of bounds
(assert_trap
  (module
    (import "S" "mem" (memory 1))
    (data (i32.const 0) "ab")
    (data (i32.const 0xffff) "cd")
    (data (i32.const 4) "ef"))
  "out of bounds memory access"
)
(assert_return (invoke $S "load8" (i32.const 0)) (i32.const 0x61))
(assert_return (invoke $S "load8" (i32.const 1)) (i32.const 0x62))
(assert_return (invoke $S "load8" (i32.const 0xffff)) (i32.const 0))
(assert_return (invoke $S "load8" (i32.const 4)) (i32.const 0))
;; elements: first segment written, second out of bounds; data never applied
(assert_trap
  (module
    (import "S" "mem" (memory 1))
    (import "S" "tab" (table 2 funcref))
    (func $f)
    (elem (i32.const 0) $f)
    (elem (i32.const 1) $f $f)
    (data (i32.const 8) "x"))
  "out of bounds table access"
)
(assert_return (invoke $S "is_null" (i32.const 0)) (i32.const 0))
(assert_return (invoke $S "is_null" (i32.const 1)) (i32.const 1))
(assert_return (invoke $S "load8" (i32.const 8)) (i32.const 0))
;; an out-of-bounds segment of length 0 traps too (offset past the end)
(assert_trap
  (module (import "S" "mem" (memory 1)) (data (i32.const 0x10001) ""))
  "out of bounds memory access"
)
(assert_trap
  (module (import "S" "tab" (table 2 funcref)) (elem (i32.const 3)))
  "out of bounds table access"
)
;; ... but at exactly the end it is fine
(module (import "S" "mem" (memory 1)) (data (i32.const 0x10000) ""))
(module (import "S" "tab" (table 2 funcref)) (elem (i32.const 2)))
;; the start function runs after the segments; a trap there keeps their writes
(assert_trap
  (module
    (import "S" "mem" (memory 1))
    (data (i32.const 12) "z")
    (func $start (i32.store8 (i32.const 13) (i32.const 0x7a)) (unreachable))
    (start $start))
  "unreachable"
)
(assert_return (invoke $S "load8" (i32.const 12)) (i32.const 0x7a))
(assert_return (invoke $S "load8" (i32.const 13)) (i32.const 0x7a))
;; a failed segment stops before the start function
(assert_trap
  (module
    (import "S" "mem" (memory 1))
    (func $start (i32.store8 (i32.const 14) (i32.const 1)))
    (start $start)
    (data (i32.const 0x10000) "!"))
  "out of bounds memory access"
)
(assert_return (invoke $S "load8" (i32.const 14)) (i32.const 0))

;; ---- a module instance's exports can be re-exported and imported again
(module $R
  (import "M" "f" (func $f (param i32) (result i32)))
  (import "M" "g" (global $g (mut i32)))
  (export "f2" (func $f))
  (export "g2" (global $g))
)
(register "R" $R)
(module $T
  (import "R" "f2" (func $f (param i32) (result i32)))
  (import "R" "g2" (global $g (mut i32)))
  (func (export "run") (result i32) (global.set $g (i32.const 40)) (call $f (global.get $g)))
)
(assert_return (invoke $T "run") (i32.const 41))
(assert_return (invoke $M "get_g") (i32.const 40))

;; ---- functions from other instances in a table: call_indirect compares
;; function types structurally, across modules; host functions work too
(module $H
  (type $ii (func (param i32) (result i32)))
  (import "M" "f" (func $mf (type $ii)))
  (import "spectest" "print_i32" (func $print (param i32)))
  (table (export "tab") 3 funcref)
  (elem (i32.const 0) $mf $print)
  (func (export "call_ii") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 1) (local.get 0)))
  (func (export "call_print") (param i32)
    (call_indirect (param i32) (i32.const 5) (local.get 0)))
  (func (export "grow") (param i32) (result i32) (table.grow 0 (ref.null func) (local.get 0)))
)
(register "H" $H)
(assert_return (invoke $H "call_ii" (i32.const 0) (i32.const 41)) (i32.const 42))
(assert_trap (invoke $H "call_ii" (i32.const 1) (i32.const 41)) "indirect call type mismatch")
(assert_trap (invoke $H "call_ii" (i32.const 2) (i32.const 41)) "uninitialized element")
(assert_return (invoke $H "call_print" (i32.const 1)))
(assert_trap (invoke $H "call_print" (i32.const 0)) "indirect call type mismatch")
;; a second module fills the shared table and grows it; the exporter sees both
(module $K
  (type $ii (func (param i32) (result i32)))
  (import "H" "tab" (table $t 3 funcref))
  (func $double (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (elem (table $t) (i32.const 2) func $double)
  (func (export "grow_and_set") (result i32)
    (table.grow $t (ref.func $double) (i32.const 2)))
  (func (export "size") (result i32) (table.size $t))
)
(assert_return (invoke $H "call_ii" (i32.const 2) (i32.const 21)) (i32.const 42))
(assert_return (invoke $K "grow_and_set") (i32.const 3))
(assert_return (invoke $K "size") (i32.const 5))
(assert_return (invoke $H "call_ii" (i32.const 4) (i32.const 8)) (i32.const 16))
(assert_return (invoke $H "grow" (i32.const 1)) (i32.const 5))
(assert_return (invoke $K "size") (i32.const 6))
(assert_trap (invoke $H "call_ii" (i32.const 5) (i32.const 8)) "uninitialized element")
;; the import check sees the grown size
(module (import "H" "tab" (table 6 funcref)))
(assert_unlinkable
  (module (import "H" "tab" (table 7 funcref)))
  "incompatible import type"
)

;; ---- imported globals as segment offsets (spectest global_i32 is 666)
(module $O
  (import "spectest" "global_i32" (global $off i32))
  (import "S" "mem" (memory 1))
  (data (global.get $off) "\2a")
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
)
(assert_return (invoke $O "load8" (i32.const 666)) (i32.const 42))
(assert_return (invoke $S "load8" (i32.const 666)) (i32.const 42))

;; ---- a mutable externref global shared between instances
(module $X
  (global (export "ge") (mut externref) (ref.null extern))
  (func (export "set") (param externref) (global.set 0 (local.get 0)))
)
(register "X" $X)
(module $Y
  (import "X" "ge" (global $g (mut externref)))
  (func (export "get") (result externref) (global.get $g))
  (func (export "is_null") (result i32) (ref.is_null (global.get $g)))
)
(assert_return (invoke $Y "is_null") (i32.const 1))
(invoke $X "set" (ref.extern 77))
(assert_return (invoke $Y "get") (ref.extern 77))
(assert_return (get $X "ge") (ref.extern 77))
(assert_return (invoke $Y "is_null") (i32.const 0))

;; ---- a funcref exported through a global keeps its identity and type
(module $FG
  (func $seven (result i32) (i32.const 7))
  (global (export "fr") funcref (ref.func $seven))
  (global (export "fr_mut") (mut funcref) (ref.null func))
  (func (export "set_fr_mut") (global.set 1 (ref.func $seven)))
)
(register "FG" $FG)
(module $FU
  (type $v_i (func (result i32)))
  (type $v_l (func (result i64)))
  (import "FG" "fr" (global $fr funcref))
  (import "FG" "fr_mut" (global $frm (mut funcref)))
  (table 2 funcref)
  (func $init (table.set 0 (i32.const 0) (global.get $fr)))
  (start $init)
  (func (export "call0") (result i32) (call_indirect (type $v_i) (i32.const 0)))
  (func (export "call0_wrong") (result i64) (call_indirect (type $v_l) (i32.const 0)))
  (func (export "call_mut") (result i32)
    (table.set 0 (i32.const 1) (global.get $frm))
    (call_indirect (type $v_i) (i32.const 1)))
)
(assert_return (invoke $FU "call0") (i32.const 7))
(assert_trap (invoke $FU "call0_wrong") "indirect call type mismatch")
(assert_trap (invoke $FU "call_mut") "uninitialized element")
(invoke $FG "set_fr_mut")
(assert_return (invoke $FU "call_mut") (i32.const 7))
(assert_unlinkable
  (module (import "FG" "fr" (global externref)))
  "incompatible import type"
)
;; an element expression may be global.get of an imported global (wabt 1.0.32
;; cannot read this module: it only accepts ref.null/ref.func in element
;; expressions; the spec and wasmtime accept it)
(module $FE
  (type $v_i (func (result i32)))
  (import "FG" "fr" (global $fr funcref))
  (table 1 funcref)
  (elem (i32.const 0) funcref (global.get $fr))
  (func (export "call0") (result i32) (call_indirect (type $v_i) (i32.const 0)))
)
(assert_return (invoke $FE "call0") (i32.const 7))
