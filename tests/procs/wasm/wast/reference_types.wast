;; Reference types (Wasm 2.0): funcref and externref values.
;; Covers: ref.null func/extern as results, ref.is_null on both kinds, ref.func
;; and its declaration rule (a function referenced by ref.func inside a function
;; body must be declared elsewhere in the module: an elem segment, incl.
;; `(elem declare ...)`, an export or a global initialiser; "undeclared function
;; reference" otherwise), typed select on references (untyped select on
;; reference operands is invalid), externref values passed through params,
;; results, locals, globals and tables, funcref globals used to fill a table.

(module
  (type $ii (func (result i32)))
  (func $f1 (type $ii) (i32.const 11))
  (func $f2 (type $ii) (i32.const 22))
  (func $f3 (type $ii) (i32.const 33))
  (func $f4 (type $ii) (i32.const 44))
  (elem declare func $f1)
  (export "f2" (func $f2))
  (global $gf3 funcref (ref.func $f3))
  (elem (i32.const 0) func $f4)
  (table $t 4 funcref)

  (global $gf (export "gf") (mut funcref) (ref.null func))
  (global $ge (export "ge") (mut externref) (ref.null extern))

  (func (export "null_func") (result funcref) (ref.null func))
  (func (export "null_extern") (result externref) (ref.null extern))
  (func (export "is_null_func_null") (result i32) (ref.is_null (ref.null func)))
  (func (export "is_null_func") (result i32) (ref.is_null (ref.func $f1)))
  (func (export "is_null_extern") (param externref) (result i32) (ref.is_null (local.get 0)))
  (func (export "local_defaults") (result i32) (local funcref externref)
    (i32.add (ref.is_null (local.get 0)) (ref.is_null (local.get 1))))

  ;; each ref.func below is legal because of the declarations above
  (func (export "call_ref_func") (param i32) (result i32)
    (table.set $t (i32.const 1) (ref.func $f1))
    (table.set $t (i32.const 2) (ref.func $f2))
    (table.set $t (i32.const 3) (ref.func $f3))
    (call_indirect $t (type $ii) (local.get 0)))
  (func (export "call_via_global") (result i32)
    (global.set $gf (global.get $gf3))
    (table.set $t (i32.const 0) (global.get $gf))
    (call_indirect $t (type $ii) (i32.const 0)))
  (func (export "clear_global") (global.set $gf (ref.null func)))
  (func (export "gf_is_null") (result i32) (ref.is_null (global.get $gf)))

  ;; typed select
  (func (export "select_func") (param i32) (result i32)
    (table.set $t (i32.const 0)
      (select (result funcref) (ref.func $f1) (ref.func $f2) (local.get 0)))
    (call_indirect $t (type $ii) (i32.const 0)))
  (func (export "select_extern") (param externref externref i32) (result externref)
    (select (result externref) (local.get 0) (local.get 1) (local.get 2)))
  (func (export "select_null") (param i32) (result funcref)
    (select (result funcref) (ref.null func) (ref.null func) (local.get 0)))

  ;; externref through params, results, locals, globals, tables
  (func (export "id") (param externref) (result externref) (local.get 0))
  (func (export "swap") (param externref externref) (result externref externref)
    (local.get 1) (local.get 0))
  (func (export "via_local") (param externref) (result externref) (local externref)
    (local.set 1 (local.get 0)) (local.get 1))
  (func (export "set_ge") (param externref) (global.set $ge (local.get 0)))
  (func (export "get_ge") (result externref) (global.get $ge))
  (table $te 2 externref)
  (func (export "via_table") (param externref) (result externref)
    (table.set $te (i32.const 1) (local.get 0))
    (table.get $te (i32.const 1)))
  (func $callee (param externref i32) (result externref i32) (local.get 0) (local.get 1))
  (func (export "via_call") (param externref) (result externref)
    (call $callee (local.get 0) (i32.const 5)) (drop))
)

(assert_return (invoke "null_func") (ref.null func))
(assert_return (invoke "null_extern") (ref.null extern))
(assert_return (invoke "is_null_func_null") (i32.const 1))
(assert_return (invoke "is_null_func") (i32.const 0))
(assert_return (invoke "is_null_extern" (ref.null extern)) (i32.const 1))
(assert_return (invoke "is_null_extern" (ref.extern 0)) (i32.const 0))
(assert_return (invoke "is_null_extern" (ref.extern 1)) (i32.const 0))
(assert_return (invoke "local_defaults") (i32.const 2))
(assert_return (invoke "call_ref_func" (i32.const 1)) (i32.const 11))
(assert_return (invoke "call_ref_func" (i32.const 2)) (i32.const 22))
(assert_return (invoke "call_ref_func" (i32.const 3)) (i32.const 33))
(assert_return (invoke "gf_is_null") (i32.const 1))
(assert_return (get "gf") (ref.null func))
(assert_return (invoke "call_via_global") (i32.const 33))
(assert_return (invoke "gf_is_null") (i32.const 0))
(invoke "clear_global")
(assert_return (invoke "gf_is_null") (i32.const 1))
(assert_return (get "gf") (ref.null func))
(assert_return (invoke "select_func" (i32.const 1)) (i32.const 11))
(assert_return (invoke "select_func" (i32.const 0)) (i32.const 22))
(assert_return (invoke "select_extern" (ref.extern 1) (ref.extern 2) (i32.const 1)) (ref.extern 1))
(assert_return (invoke "select_extern" (ref.extern 1) (ref.extern 2) (i32.const 0)) (ref.extern 2))
(assert_return (invoke "select_extern" (ref.null extern) (ref.extern 2) (i32.const -1)) (ref.null extern))
(assert_return (invoke "select_null" (i32.const 0)) (ref.null func))
(assert_return (invoke "id" (ref.extern 42)) (ref.extern 42))
(assert_return (invoke "id" (ref.null extern)) (ref.null extern))
(assert_return (invoke "swap" (ref.extern 1) (ref.null extern)) (ref.null extern) (ref.extern 1))
(assert_return (invoke "via_local" (ref.extern 3)) (ref.extern 3))
(assert_return (get "ge") (ref.null extern))
(invoke "set_ge" (ref.extern 4))
(assert_return (invoke "get_ge") (ref.extern 4))
(assert_return (get "ge") (ref.extern 4))
(assert_return (invoke "via_table" (ref.extern 5)) (ref.extern 5))
(assert_return (invoke "via_call" (ref.extern 6)) (ref.extern 6))
;; distinct host references stay distinct
(assert_return (invoke "select_extern" (ref.extern 0) (ref.extern 1) (i32.const 1)) (ref.extern 0))

;; ---- the declaration rule for ref.func
(assert_invalid
  (module (func $f) (func (drop (ref.func $f))))
  "undeclared function reference"
)
;; a reference in another function's body does not declare it either
(assert_invalid
  (module (func $f) (func (drop (ref.func $f))) (func (drop (ref.func $f))))
  "undeclared function reference"
)
;; nor does being the start function
(assert_invalid
  (module (func $f) (start $f) (func (drop (ref.func $f))))
  "undeclared function reference"
)
;; a ref.func to an unknown function index
(assert_invalid
  (module (elem declare func 0) (func (drop (ref.func 7))))
  "unknown function 7"
)
;; declared by (elem declare)
(module (func $f) (elem declare func $f) (func (drop (ref.func $f))))
;; by a passive or active segment
(module (func $f) (elem func $f) (func (drop (ref.func $f))))
(module (func $f) (table 1 funcref) (elem (i32.const 0) $f) (func (drop (ref.func $f))))
(module (func $f) (elem funcref (ref.func $f)) (func (drop (ref.func $f))))
;; by an export
(module (func $f (export "f")) (func (drop (ref.func $f))))
;; by a global initialiser
(module (func $f) (global funcref (ref.func $f)) (func (drop (ref.func $f))))
;; an imported function may be referenced the same way
(module (import "spectest" "print" (func $p)) (elem declare func $p) (func (drop (ref.func $p))))
(assert_invalid
  (module (import "spectest" "print" (func $p)) (func (drop (ref.func $p))))
  "undeclared function reference"
)
;; a global initialiser may itself use ref.func of any function
(module (func $f) (global funcref (ref.func $f)))

;; ---- typing of reference instructions
(assert_invalid
  (module (func (result i32)
    (select (ref.null func) (ref.null func) (i32.const 1)) (drop) (i32.const 0)))
  "type mismatch"
)
(assert_invalid
  (module (func (param externref externref) (result externref)
    (select (local.get 0) (local.get 1) (i32.const 1))))
  "type mismatch"
)
(assert_invalid
  (module (func (result externref)
    (select (result externref) (ref.null func) (ref.null func) (i32.const 1))))
  "type mismatch"
)
(assert_invalid
  (module (func (result funcref) (ref.null extern)))
  "type mismatch"
)
(assert_invalid
  (module (func (result externref) (ref.null func)))
  "type mismatch"
)
(assert_invalid
  (module (func (result i32) (ref.is_null (i32.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (func (result i32) (ref.is_null)))
  "type mismatch"
)
(assert_invalid
  (module (global (mut externref) (ref.null func)))
  "type mismatch"
)
(assert_invalid
  (module (func $f) (global externref (ref.func $f)))
  "type mismatch"
)
