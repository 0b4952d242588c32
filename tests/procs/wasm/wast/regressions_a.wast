;; Regressions found while checking the engine against the official Wasm 2.0 scripts.
;; Written for this project; each case says what used to go wrong.

;; call_indirect traps name the table slot, as the reference interpreter does: scripts
;; may expect "uninitialized element 3", not only the bare prefix.
(module
  (type $v (func (result i32)))
  (table 4 funcref)
  (elem (i32.const 1) $seven)
  (func $seven (type $v) (i32.const 7))
  (func (export "pick") (param i32) (result i32)
    (call_indirect (type $v) (local.get 0)))
)
(assert_return (invoke "pick" (i32.const 1)) (i32.const 7))
(assert_trap (invoke "pick" (i32.const 3)) "uninitialized element 3")
(assert_trap (invoke "pick" (i32.const 0)) "uninitialized element 0")
(assert_trap (invoke "pick" (i32.const 4)) "undefined element")

;; A line comment stops at any newline, and a lone carriage return is one: the
;; instruction after it is live code, not part of the comment.
(module quote
  "(func (export \"cr\") (result i32)"
  "  (i32.const 10) ;; ends here\r (drop) (i32.const 20))"
  "(func (export \"crlf\") (result i32)"
  "  (i32.const 30) ;; and here\r\n (drop) (i32.const 40))"
  "(func (export \"lf\") (result i32)"
  "  (i32.const 50) ;; and here\n (drop) (i32.const 60))"
)
(assert_return (invoke "cr") (i32.const 20))
(assert_return (invoke "crlf") (i32.const 40))
(assert_return (invoke "lf") (i32.const 60))

;; A section size larger than what follows it is "length out of bounds" at once.
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\10\01\60\00\00")
  "length out of bounds"
)
;; One table promised, nothing after the count: the input simply ends.
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\04\01\01")
  "unexpected end"
)

;; Parameter names inside a type definition bind nothing, so a repeated one is fine
;; there (it is an error only among a function's own parameters and locals).
(module
  (type $two (func (param $v i32) (param $v i32) (result i32)))
  (func (export "first") (type $two) (local.get 0))
)
(assert_return (invoke "first" (i32.const 5) (i32.const 6)) (i32.const 5))
(assert_malformed
  (module quote "(func (param $v i32) (param $v i32))")
  "duplicate local"
)
