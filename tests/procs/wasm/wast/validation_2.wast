;; Validation rules of Wasm 2.0 that implementations tend to miss.
;; Covers: select typing (untyped select on references, typed select arity),
;; br_table label arity/type rules (incl. the unreachable "bottom" cases that
;; ARE valid), bulk-memory and table instructions referring to missing or
;; mismatched memories/tables/segments, element segment types, global
;; mutability, constant expressions (only imported immutable globals, no
;; non-constant instructions), start function type, duplicate exports, memory
;; alignment for every load/store width, limits, and the stack-polymorphism
;; rules after unreachable/br/return (valid and invalid cases).
;;
;; Note: the Python wasmtime package accepts three of the modules asserted
;; invalid here because it enables later proposals by default: two memories
;; (multi-memory), i32.add in a constant expression (extended-const) and
;; global.get of a non-imported global in a constant expression (GC). Wasm 2.0
;; rejects all three; wabt's spectest-interp agrees.

;; ---- select
(assert_invalid
  (module (func (param funcref funcref) (result funcref)
    (select (local.get 0) (local.get 1) (i32.const 1))))
  "type mismatch"
)
(assert_invalid
  (module (func (param externref) (drop (select (local.get 0) (local.get 0) (i32.const 0)))))
  "type mismatch"
)
(assert_invalid
  (module (func (result i32)
    (select (result i64) (i32.const 1) (i32.const 2) (i32.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (func (result i32)
    (select (result i32) (i32.const 1) (i32.const 2) (i64.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (func (result i32)
    (select (i32.const 1) (i64.const 2) (i32.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (func
    (select (result i32 i32) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (drop) (drop)))
  "invalid result arity"
)
(assert_invalid
  (module (func (select (result) (nop) (nop) (i32.const 0))))
  "invalid result arity"
)
;; binary: typed select (0x1c) with an empty type vector
(assert_invalid
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\0c" "\01\0a\00\41\00\41\00\41\00\1c\00\0b")
  "invalid result arity"
)
;; valid: typed select on references and on numbers
(module
  (func (param funcref externref i32)
    (drop (select (result funcref) (local.get 0) (ref.null func) (local.get 2)))
    (drop (select (result externref) (local.get 1) (ref.null extern) (local.get 2)))
    (drop (select (result f64) (f64.const 1) (f64.const 2) (local.get 2)))
    (drop (select (i64.const 1) (i64.const 2) (local.get 2)))))

;; ---- br_table
;; labels of different arity
(assert_invalid
  (module (func
    (block (result i32) (block (br_table 0 1 (i32.const 0) (i32.const 0))) (i32.const 0)) (drop)))
  "type mismatch"
)
;; ... even in unreachable code
(assert_invalid
  (module (func
    (block (result i32) (block (unreachable) (br_table 0 1 (i32.const 0))) (i32.const 0)) (drop)))
  "type mismatch"
)
;; same arity but different types, with a real operand
(assert_invalid
  (module (func
    (block (result f32) (block (result i32) (br_table 0 1 (i32.const 0) (i32.const 0))) (drop) (f32.const 0)) (drop)))
  "type mismatch"
)
;; valid: same arity, different types, operand comes from the polymorphic stack
(module (func
  (block (result f64)
    (block (result i64) (unreachable) (br_table 0 1 1 (i32.const 0)))
    (drop) (f64.const 0))
  (drop)))
;; br_table index must be i32
(assert_invalid
  (module (func (block (br_table 0 (i64.const 0)))))
  "type mismatch"
)
(assert_invalid
  (module (func (block (br_table 0 2 (i32.const 0)))))
  "unknown label"
)

;; ---- memory instructions without a memory, bad segment indices
(assert_invalid
  (module (data "") (func (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 0))))
  "unknown memory 0"
)
(assert_invalid
  (module (memory 1) (data "") (func (memory.init 1 (i32.const 0) (i32.const 0) (i32.const 0))))
  "unknown data segment 1"
)
(assert_invalid
  (module (memory 1) (data "") (func (data.drop 1)))
  "unknown data segment 1"
)
(assert_invalid
  (module (func (drop (memory.size))))
  "unknown memory"
)
(assert_invalid
  (module (func (drop (memory.grow (i32.const 0)))))
  "unknown memory"
)
(assert_invalid
  (module (func (drop (i32.load (i32.const 0)))))
  "unknown memory"
)
(assert_invalid
  (module (func (i64.store8 (i32.const 0) (i64.const 0))))
  "unknown memory"
)
(assert_invalid
  (module (data (i32.const 0) ""))
  "unknown memory"
)
;; valid: data.drop needs no memory
(module (data "") (func (data.drop 0)))
(assert_invalid
  (module (memory 1) (data "") (func (memory.init 0 (i32.const 0) (i32.const 0) (i64.const 0))))
  "type mismatch"
)

;; ---- tables and element segments
(assert_invalid
  (module (table 1 funcref) (elem externref (ref.null extern))
    (func (table.init 0 0 (i32.const 0) (i32.const 0) (i32.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (table 1 externref) (func $f) (elem func $f)
    (func (table.init 0 0 (i32.const 0) (i32.const 0) (i32.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (table $f 1 funcref) (table $e 1 externref)
    (func (table.copy $e $f (i32.const 0) (i32.const 0) (i32.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (table $f 1 funcref) (table $e 1 externref)
    (func (table.copy $f $e (i32.const 0) (i32.const 0) (i32.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (table 1 funcref) (func (table.init 0 0 (i32.const 0) (i32.const 0) (i32.const 0))))
  "unknown elem segment 0"
)
(assert_invalid
  (module (func $f) (elem func $f) (func (table.init 0 0 (i32.const 0) (i32.const 0) (i32.const 0))))
  "unknown table 0"
)
(assert_invalid
  (module (table 1 funcref) (func (table.copy 0 1 (i32.const 0) (i32.const 0) (i32.const 0))))
  "unknown table 1"
)
(assert_invalid
  (module (func (drop (table.get 0 (i32.const 0)))))
  "unknown table 0"
)
(assert_invalid
  (module (type (func)) (func (call_indirect (type 0) (i32.const 0))))
  "unknown table 0"
)
(assert_invalid
  (module (table 1 funcref) (func (call_indirect (type 3) (i32.const 0))))
  "unknown type"
)
;; active segment into a table of the other reference type
(assert_invalid
  (module (table 1 externref) (func $f) (elem (i32.const 0) func $f))
  "type mismatch"
)
(assert_invalid
  (module (table 1 funcref) (elem (table 0) (i32.const 0) externref (ref.null extern)))
  "type mismatch"
)
;; element expressions must have the segment's type
(assert_invalid
  (module (elem funcref (ref.null extern)))
  "type mismatch"
)
(assert_invalid
  (module (func $f) (elem externref (ref.func $f)))
  "type mismatch"
)
;; offsets must be i32 constant expressions
(assert_invalid
  (module (table 1 funcref) (elem (i64.const 0)))
  "type mismatch"
)
(assert_invalid
  (module (memory 1) (data (i64.const 0) ""))
  "type mismatch"
)
(assert_invalid
  (module (memory 1) (data (offset (i32.const 0) (i32.const 0)) ""))
  "type mismatch"
)
(assert_invalid
  (module (table 1 funcref) (func $f) (elem (offset (i32.const 0) (drop (i32.const 0)) (i32.const 0)) $f))
  "constant expression required"
)

;; ---- globals
;; (Wasm 2.0 validates global initialisers and element/data segments under a
;; context C' whose globals are only the imported ones.)
(assert_invalid
  (module (global $g (import "spectest" "global_i32") i32)
    (func (global.set $g (i32.const 1))))
  "global is immutable"
)
(assert_invalid
  (module (global $g i32 (i32.const 0)) (func (global.set $g (i32.const 1))))
  "global is immutable"
)
(assert_invalid
  (module (global $g (mut i32) (i32.const 0)) (func (global.set $g (i64.const 1))))
  "type mismatch"
)
;; constant expressions: global.get only of imported globals ...
(assert_invalid
  (module (global $g i32 (i32.const 0)) (global i32 (global.get $g)))
  "unknown global 0"
)
(assert_invalid
  (module (global i32 (global.get 0)))
  "unknown global 0"
)
(assert_invalid
  (module (global $g i32 (i32.const 0)) (memory 1) (data (global.get $g) ""))
  "unknown global 0"
)
(assert_invalid
  (module (global $g i32 (i32.const 0)) (table 1 funcref) (elem (global.get $g)))
  "unknown global 0"
)
(assert_invalid
  (module (global $g funcref (ref.null func)) (elem funcref (item global.get $g)))
  "unknown global 0"
)
;; ... and immutable ones
(assert_invalid
  (module (import "m" "g" (global $g (mut i32))) (global i32 (global.get $g)))
  "constant expression required"
)
(assert_invalid
  (module (import "m" "g" (global $g (mut i32))) (table 1 funcref) (elem (global.get $g)))
  "constant expression required"
)
(assert_invalid
  (module (import "m" "g" (global $g (mut i32))) (memory 1) (data (global.get $g) ""))
  "constant expression required"
)
;; valid: imported immutable global in all three places
(module
  (import "spectest" "global_i32" (global $g i32))
  (global i32 (global.get $g))
  (memory 1) (data (global.get $g) "")
  (table 1000 funcref) (elem (global.get $g))
)
;; non-constant instructions
(assert_invalid
  (module (global i32 (i32.ctz (i32.const 0))))
  "constant expression required"
)
(assert_invalid
  (module (global i32 (i32.add (i32.const 0) (i32.const 1))))
  "constant expression required"
)
(assert_invalid
  (module (global i32 (nop) (i32.const 0)))
  "constant expression required"
)
(assert_invalid
  (module (global i32))
  "type mismatch"
)
(assert_invalid
  (module (global i32 (i32.const 0) (i32.const 0)))
  "type mismatch"
)
(assert_invalid
  (module (global funcref (ref.null extern)))
  "type mismatch"
)

;; ---- start function
(assert_invalid
  (module (func $s (param i32)) (start $s))
  "start function"
)
(assert_invalid
  (module (func $s (result i32) (i32.const 0)) (start $s))
  "start function"
)
(assert_invalid
  (module (start 0))
  "unknown function"
)
(module (func $s) (start $s))

;; ---- exports
(assert_invalid
  (module (func $f) (export "a" (func $f)) (export "a" (func $f)))
  "duplicate export name"
)
(assert_invalid
  (module (func $f) (memory 1) (export "a" (func $f)) (export "a" (memory 0)))
  "duplicate export name"
)
(assert_invalid
  (module (global i32 (i32.const 0)) (table 1 funcref) (export "" (global 0)) (export "" (table 0)))
  "duplicate export name"
)
(assert_invalid
  (module (export "f" (func 0)))
  "unknown function"
)
(assert_invalid
  (module (export "g" (global 0)))
  "unknown global"
)
(assert_invalid
  (module (export "t" (table 0)))
  "unknown table"
)
(assert_invalid
  (module (export "m" (memory 0)))
  "unknown memory"
)
;; valid: the same item under two names; a mutable global export
(module (func $f) (export "a" (func $f)) (export "b" (func $f))
  (global $g (mut i32) (i32.const 0)) (export "g" (global $g)))

;; ---- alignment must not be larger than natural
(assert_invalid (module (memory 1) (func (drop (i32.load8_s align=2 (i32.const 0))))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (drop (i32.load8_u align=2 (i32.const 0))))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (drop (i32.load16_s align=4 (i32.const 0))))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (drop (i32.load16_u align=4 (i32.const 0))))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (drop (i32.load align=8 (i32.const 0))))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (drop (i64.load8_s align=2 (i32.const 0))))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (drop (i64.load8_u align=2 (i32.const 0))))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (drop (i64.load16_s align=4 (i32.const 0))))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (drop (i64.load16_u align=4 (i32.const 0))))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (drop (i64.load32_s align=8 (i32.const 0))))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (drop (i64.load32_u align=8 (i32.const 0))))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (drop (i64.load align=16 (i32.const 0))))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (drop (f32.load align=8 (i32.const 0))))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (drop (f64.load align=16 (i32.const 0))))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (i32.store8 align=2 (i32.const 0) (i32.const 0)))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (i32.store16 align=4 (i32.const 0) (i32.const 0)))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (i32.store align=8 (i32.const 0) (i32.const 0)))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (i64.store8 align=2 (i32.const 0) (i64.const 0)))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (i64.store16 align=4 (i32.const 0) (i64.const 0)))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (i64.store32 align=8 (i32.const 0) (i64.const 0)))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (i64.store align=16 (i32.const 0) (i64.const 0)))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (f32.store align=8 (i32.const 0) (f32.const 0)))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (f64.store align=16 (i32.const 0) (f64.const 0)))) "alignment must not be larger than natural")
;; binary: alignment exponent 32 on an i32.load (far too large, but well-formed LEB)
(assert_invalid
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\05\03" "\01\00\01"
    "\0a\0a" "\01\08\00\41\00\28\20\00\1a\0b")
  "alignment must not be larger than natural"
)
;; valid: natural and smaller alignments
(module (memory 1)
  (func
    (drop (i64.load align=8 (i32.const 0))) (drop (i64.load align=1 (i32.const 0)))
    (drop (i64.load32_u align=4 (i32.const 0))) (drop (i32.load16_s align=2 (i32.const 0)))
    (drop (i32.load8_u align=1 (i32.const 0))) (f64.store align=8 (i32.const 0) (f64.const 0))))

;; ---- limits
(assert_invalid (module (memory 2 1)) "size minimum must not be greater than maximum")
(assert_invalid (module (table 2 1 funcref)) "size minimum must not be greater than maximum")
(assert_invalid (module (memory 65537)) "memory size must be at most 65536 pages (4GiB)")
(assert_invalid (module (memory 0 65537)) "memory size must be at most 65536 pages (4GiB)")
(assert_invalid (module (memory 1) (memory 1)) "multiple memories")
(assert_invalid (module (import "spectest" "memory" (memory 1)) (memory 1)) "multiple memories")
(module (memory 0 65536))
(module (table 0 0xffff_ffff externref))

;; ---- reference instructions on numbers
(assert_invalid
  (module (func (result i32) (ref.is_null (i32.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (func (param i64) (result i32) (ref.is_null (local.get 0))))
  "type mismatch"
)
(assert_invalid
  (module (table 1 funcref) (func (table.set 0 (i32.const 0) (i32.const 0))))
  "type mismatch"
)

;; ---- stack polymorphism: valid cases (these modules must simply validate)
(module
  (func (result i32) (unreachable) (i32.add))
  (func (result i32) (unreachable) (i32.const 0) (i32.add))
  (func (unreachable) (drop))
  (func (result i32) (unreachable) (select))
  (func (result i32) (unreachable) (i32.const 0) (select))
  (func (result i32 i64) (unreachable))
  (func (result i32) (br 0 (i32.const 0)) (i32.add))
  (func (result f64) (return (f64.const 1)) (i32.const 0) (drop))
  (func (result i32) (loop (result i32) (br 0)))
  (func (unreachable) (br_if 0) (i32.add) (drop))
  (func (result i32) (block (result i32) (unreachable) (br_table 0 0)))
  (func (result externref) (unreachable) (ref.is_null) (drop) (ref.null extern))
  (func (block (unreachable) (i64.const 0) (i64.eqz) (drop)))
  (func (result i32) (unreachable) (return))
  (func (param i32) (result i32)
    (block (result i32) (br_if 0 (i32.const 1) (local.get 0)) (unreachable)))
  (func (result i32) (unreachable) (block (result i32) (i32.const 1)))
  (func (unreachable) (if (then)))
)
;; ... and invalid ones
(assert_invalid
  (module (func (unreachable) (i32.const 0) (i64.add) (drop)))
  "type mismatch"
)
(assert_invalid
  (module (func (return) (i64.const 0) (i32.add) (drop)))
  "type mismatch"
)
(assert_invalid
  (module (func (result i32) (unreachable) (i64.const 0)))
  "type mismatch"
)
(assert_invalid
  (module (func (unreachable) (i32.const 1)))
  "type mismatch"
)
(assert_invalid
  (module (func (result i32) (block (unreachable)) (i32.add)))
  "type mismatch"
)
(assert_invalid
  (module (func (result i32) (block (result i32) (i32.const 1) (br 0) (f32.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (func (unreachable) (block (i32.add) (drop))))
  "type mismatch"
)
(assert_invalid
  (module (func (result i32) (unreachable) (select (i64.const 0) (i32.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (func (result i32) (unreachable) (i64.const 0) (i32.const 0) (i32.const 0) (select)))
  "type mismatch"
)
(assert_invalid
  (module (func (unreachable) (if (then (i32.const 0)))))
  "type mismatch"
)
