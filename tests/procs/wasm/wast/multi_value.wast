;; Multi-value (Wasm 2.0): functions and blocks with several results, blocks,
;; loops and ifs with parameters (type-use block types), br/br_if/br_table
;; carrying several values (including out of nested blocks, dropping extra
;; operands below them), return with several values, calls that return several
;; values to a caller that consumes them, call_indirect with multi-value types,
;; and the typing rules around them.

(module
  (type $pair (func (result i32 i64)))
  (type $i2 (func (param i32 i32) (result i32 i32)))
  (type $i_i (func (param i32) (result i32)))
  (type $i_ii (func (param i32) (result i32 i32)))

  (func $pair (export "pair") (type $pair) (i32.const 1) (i64.const 2))
  (func (export "triple") (result i32 f64 i64) (i32.const -1) (f64.const 1.5) (i64.const -2))
  (func (export "four") (result f32 i32 i64 externref)
    (f32.const -0.0) (i32.const 7) (i64.const 8) (ref.null extern))
  (func $swap (export "swap") (type $i2) (local.get 1) (local.get 0))

  ;; caller uses all results of a callee
  (func (export "use_pair") (result i64) (local i64)
    (call $pair)
    (local.set 0)
    (i64.extend_i32_s)
    (i64.add (local.get 0)))
  (func (export "swap_twice") (param i32 i32) (result i32 i32)
    (call $swap (call $swap (local.get 0) (local.get 1))))
  (func (export "sub_swapped") (param i32 i32) (result i32)
    (i32.sub (call $swap (local.get 0) (local.get 1))))
  (func $divmod (param i32 i32) (result i32 i32)
    (i32.div_u (local.get 0) (local.get 1))
    (i32.rem_u (local.get 0) (local.get 1)))
  (func (export "divmod") (param i32 i32) (result i32 i32) (call $divmod (local.get 0) (local.get 1)))
  (func (export "divmod_sum") (param i32 i32) (result i32)
    (i32.add (call $divmod (local.get 0) (local.get 1))))
  ;; results go into locals in reverse order
  (func (export "store_results") (result i32) (local i32 i32)
    (call $divmod (i32.const 17) (i32.const 5))
    (local.set 1) (local.set 0)
    (i32.add (i32.mul (local.get 0) (i32.const 100)) (local.get 1)))

  ;; blocks with results and params
  (func (export "block_results") (result i32 i32)
    (block (result i32 i32) (i32.const 3) (i32.const 4)))
  (func (export "block_params") (param i32 i32) (result i32)
    (local.get 0) (local.get 1)
    (block (param i32 i32) (result i32) (i32.sub)))
  (func (export "block_type_use") (param i32 i32) (result i32 i32)
    (local.get 0) (local.get 1)
    (block (type $i2) (call $swap)))
  (func (export "block_type_use_inline") (param i32) (result i32 i32)
    (local.get 0)
    (block (type $i_ii) (param i32) (result i32 i32) (i32.const 1) (i32.add) (i32.const 9)))
  (func (export "nested") (result i32 i32 i32)
    (i32.const 1)
    (block (param i32) (result i32 i32 i32)
      (i32.const 2)
      (block (param i32 i32) (result i32 i32 i32) (i32.const 3))))

  ;; loops with params: the branch to a loop carries its params
  (func (export "loop_sum") (param i32) (result i32)
    ;; sum n + (n-1) + ... + 1 with (acc, n) on the stack as the loop params
    (i32.const 0) (local.get 0)
    (loop $l (param i32 i32) (result i32)
      (local.set 0)                          ;; n
      (i32.add (local.get 0))                ;; acc += n
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (local.get 0)                          ;; (acc, n-1)
      (br_if $l (i32.ge_s (local.get 0) (i32.const 0)))
      (drop)))
  (func (export "loop_fib") (param i32) (result i64)
    ;; (a, b, k) -> (b, a+b, k-1)
    (i64.const 0) (i64.const 1) (local.get 0)
    (loop $l (param i64 i64 i32) (result i64 i64 i32)
      (local.set 0)
      (local.get 0)
      (if (param i64 i64) (result i64 i64 i32) (i32.eqz)
        (then (local.get 0))
        (else
          (call $fibstep)
          (i32.sub (local.get 0) (i32.const 1))
          (br $l))))
    (drop) (drop))
  (func $fibstep (param i64 i64) (result i64 i64) (local.get 1) (i64.add (local.get 0) (local.get 1)))

  ;; if/else with params and several results
  (func (export "if_params") (param i32 i32 i32) (result i32 i32)
    (local.get 0) (local.get 1)
    (if (param i32 i32) (result i32 i32) (local.get 2)
      (then (i32.add) (i32.const 1))
      (else (i32.sub) (i32.const 0))))
  (func (export "if_no_else_params") (param i32 i32) (result i32)
    ;; an if without else must have the same params and results
    (local.get 0)
    (if (param i32) (result i32) (local.get 1)
      (then (i32.const 10) (i32.mul))))

  ;; br / br_if / br_table with several values
  (func (export "br_multi") (result i32 i64)
    (block (result i32 i64)
      (i32.const 5) (i64.const 6)
      (br 0)
      (i32.const 0) (i64.const 0)))
  (func (export "br_outer") (result i32 i32)
    ;; extra operands below the carried values are dropped by the branch
    (block $out (result i32 i32)
      (i32.const 99)
      (block (result i32)
        (i64.const 1234) (drop)
        (f64.const 1) (i32.const 1) (i32.const 2) (br $out))))
  (func (export "br_if_multi") (param i32) (result i32 i32)
    (block (result i32 i32)
      (i32.const 10) (i32.const 20) (local.get 0) (br_if 0)
      (drop) (drop) (i32.const 30) (i32.const 40)))
  (func (export "br_if_fallthrough_values") (param i32) (result i32)
    ;; br_if leaves its carried values on the stack when not taken
    (block (result i32 i32)
      (i32.const 3) (i32.const 4) (local.get 0) (br_if 0))
    (i32.sub))
  (func (export "br_table_multi") (param i32) (result i32 i64)
    (block $a (result i32 i64)
      (block $b (result i32 i64)
        (block $c (result i32 i64)
          (i32.const 1) (i64.const 10) (local.get 0)
          (br_table $a $b $c $b))
        (i64.add (i64.const 100)) (return))
      (i64.add (i64.const 1000)) (return)))
  (func (export "return_multi") (param i32) (result i32 i32)
    (block (result i32)
      (i32.const 1) (i32.const 2) (i32.const 3) (local.get 0) (br_if 0)
      (return))
    (i32.const 4))
  (func (export "return_from_nested") (result f32 f64)
    (block (block (loop (f32.const 1) (f64.const 2) (return))))
    (f32.const 3) (f64.const 4))

  ;; indirect calls with multi-value signatures
  (table funcref (elem $swap $pair))
  (func (export "call_indirect_swap") (param i32 i32 i32) (result i32 i32)
    (call_indirect (type $i2) (local.get 0) (local.get 1) (local.get 2)))

  ;; (the traps are asserted through single-result wrappers: wast2json 1.0.32
  ;; writes broken JSON for assert_trap on a multi-result function)
  (func (export "call_indirect_first") (param i32) (result i32)
    (call_indirect (type $i2) (i32.const 1) (i32.const 2) (local.get 0)) (drop))
  ;; unreachable code may produce any number of values
  (func $unreachable_multi (result i32 i64 f32)
    (block (result i32 i64 f32) (unreachable)))
  (func (export "unreachable_first") (result i32)
    (call $unreachable_multi) (drop) (drop))
)

(assert_return (invoke "pair") (i32.const 1) (i64.const 2))
(assert_return (invoke "triple") (i32.const -1) (f64.const 1.5) (i64.const -2))
(assert_return (invoke "four") (f32.const -0.0) (i32.const 7) (i64.const 8) (ref.null extern))
(assert_return (invoke "swap" (i32.const 1) (i32.const 2)) (i32.const 2) (i32.const 1))
(assert_return (invoke "use_pair") (i64.const 3))
(assert_return (invoke "swap_twice" (i32.const 1) (i32.const 2)) (i32.const 1) (i32.const 2))
(assert_return (invoke "sub_swapped" (i32.const 10) (i32.const 3)) (i32.const -7))
(assert_return (invoke "divmod" (i32.const 17) (i32.const 5)) (i32.const 3) (i32.const 2))
(assert_trap (invoke "divmod_sum" (i32.const 17) (i32.const 0)) "integer divide by zero")
(assert_return (invoke "store_results") (i32.const 302))
(assert_return (invoke "block_results") (i32.const 3) (i32.const 4))
(assert_return (invoke "block_params" (i32.const 10) (i32.const 3)) (i32.const 7))
(assert_return (invoke "block_type_use" (i32.const 5) (i32.const 6)) (i32.const 6) (i32.const 5))
(assert_return (invoke "block_type_use_inline" (i32.const 5)) (i32.const 6) (i32.const 9))
(assert_return (invoke "nested") (i32.const 1) (i32.const 2) (i32.const 3))
(assert_return (invoke "loop_sum" (i32.const 0)) (i32.const 0))
(assert_return (invoke "loop_sum" (i32.const 1)) (i32.const 1))
(assert_return (invoke "loop_sum" (i32.const 10)) (i32.const 55))
(assert_return (invoke "loop_fib" (i32.const 0)) (i64.const 0))
(assert_return (invoke "loop_fib" (i32.const 1)) (i64.const 1))
(assert_return (invoke "loop_fib" (i32.const 10)) (i64.const 55))
(assert_return (invoke "loop_fib" (i32.const 90)) (i64.const 2880067194370816120))
(assert_return (invoke "if_params" (i32.const 7) (i32.const 2) (i32.const 1)) (i32.const 9) (i32.const 1))
(assert_return (invoke "if_params" (i32.const 7) (i32.const 2) (i32.const 0)) (i32.const 5) (i32.const 0))
(assert_return (invoke "if_no_else_params" (i32.const 7) (i32.const 1)) (i32.const 70))
(assert_return (invoke "if_no_else_params" (i32.const 7) (i32.const 0)) (i32.const 7))
(assert_return (invoke "br_multi") (i32.const 5) (i64.const 6))
(assert_return (invoke "br_outer") (i32.const 1) (i32.const 2))
(assert_return (invoke "br_if_multi" (i32.const 1)) (i32.const 10) (i32.const 20))
(assert_return (invoke "br_if_multi" (i32.const 0)) (i32.const 30) (i32.const 40))
(assert_return (invoke "br_if_fallthrough_values" (i32.const 0)) (i32.const -1))
(assert_return (invoke "br_if_fallthrough_values" (i32.const 1)) (i32.const -1))
(assert_return (invoke "br_table_multi" (i32.const 0)) (i32.const 1) (i64.const 10))
(assert_return (invoke "br_table_multi" (i32.const 1)) (i32.const 1) (i64.const 1010))
(assert_return (invoke "br_table_multi" (i32.const 2)) (i32.const 1) (i64.const 110))
(assert_return (invoke "br_table_multi" (i32.const 3)) (i32.const 1) (i64.const 1010))
(assert_return (invoke "br_table_multi" (i32.const 100)) (i32.const 1) (i64.const 1010))
(assert_return (invoke "return_multi" (i32.const 0)) (i32.const 2) (i32.const 3))
(assert_return (invoke "return_multi" (i32.const 1)) (i32.const 3) (i32.const 4))
(assert_return (invoke "return_from_nested") (f32.const 1) (f64.const 2))
(assert_return (invoke "call_indirect_swap" (i32.const 1) (i32.const 2) (i32.const 0)) (i32.const 2) (i32.const 1))
(assert_trap (invoke "call_indirect_first" (i32.const 1)) "indirect call type mismatch")
(assert_trap (invoke "call_indirect_first" (i32.const 2)) "undefined element")
(assert_trap (invoke "unreachable_first") "unreachable")

;; ---- typing
(assert_invalid
  (module (func (result i32 i32) (i32.const 1)))
  "type mismatch"
)
(assert_invalid
  (module (func (result i32) (i32.const 1) (i32.const 2)))
  "type mismatch"
)
(assert_invalid
  (module (func (result i32 i64) (i64.const 1) (i32.const 2)))
  "type mismatch"
)
(assert_invalid
  (module (func (param i32) (result i32)
    (block (param i32) (result i32) (local.get 0))))
  "type mismatch"
)
(assert_invalid
  (module (func (result i32 i32)
    (i32.const 1) (block (param i32 i32) (result i32 i32))))
  "type mismatch"
)
(assert_invalid
  (module (func (result i32)
    (i32.const 1) (if (param i32) (result i32) (i32.const 1) (then (drop)))))
  "type mismatch"
)
(assert_invalid
  (module (func (result i32 i32)
    (block (result i32 i32) (i32.const 1) (br 0))))
  "type mismatch"
)
(assert_invalid
  (module (func (result i32 i32)
    (block (result i32 i32) (i32.const 1) (i64.const 2) (br 0))))
  "type mismatch"
)
(assert_invalid
  (module (func (param i32) (result i32)
    (loop (param i32) (result i32) (i64.const 1) (br 0))))
  "type mismatch"
)
(assert_invalid
  (module (func (result i32 i32) (i32.const 1) (return)))
  "type mismatch"
)
;; inline params/results must match the referenced type
(assert_malformed
  (module quote "(type $t (func (param i32) (result i32)))"
    "(func (param i32) (result i32) (local.get 0) (block (type $t) (param i32) (result i64)))")
  "inline function type"
)
