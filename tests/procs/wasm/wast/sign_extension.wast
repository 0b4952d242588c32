;; Sign-extension operators (Wasm 2.0): i32.extend8_s, i32.extend16_s,
;; i64.extend8_s, i64.extend16_s, i64.extend32_s.
;; Covers: zero, small positives, the sign bit of the narrow width set/clear,
;; the largest/smallest narrow values, garbage in the high bits being ignored,
;; all-ones, and the type rules (operand/result types).

(module
  (func (export "i32.extend8_s") (param i32) (result i32) (i32.extend8_s (local.get 0)))
  (func (export "i32.extend16_s") (param i32) (result i32) (i32.extend16_s (local.get 0)))
  (func (export "i64.extend8_s") (param i64) (result i64) (i64.extend8_s (local.get 0)))
  (func (export "i64.extend16_s") (param i64) (result i64) (i64.extend16_s (local.get 0)))
  (func (export "i64.extend32_s") (param i64) (result i64) (i64.extend32_s (local.get 0)))
  ;; constant-operand forms, so a folding/lowering path is exercised too
  (func (export "c8") (result i32) (i32.extend8_s (i32.const 0x1234_5680)))
  (func (export "c64_32") (result i64) (i64.extend32_s (i64.const 0x1_8000_0000)))
)

;; i32.extend8_s
(assert_return (invoke "i32.extend8_s" (i32.const 0)) (i32.const 0))
(assert_return (invoke "i32.extend8_s" (i32.const 1)) (i32.const 1))
(assert_return (invoke "i32.extend8_s" (i32.const 0x7f)) (i32.const 127))
(assert_return (invoke "i32.extend8_s" (i32.const 0x80)) (i32.const -128))
(assert_return (invoke "i32.extend8_s" (i32.const 0x81)) (i32.const -127))
(assert_return (invoke "i32.extend8_s" (i32.const 0xfe)) (i32.const -2))
(assert_return (invoke "i32.extend8_s" (i32.const 0xff)) (i32.const -1))
(assert_return (invoke "i32.extend8_s" (i32.const 0x100)) (i32.const 0))
(assert_return (invoke "i32.extend8_s" (i32.const 0x17f)) (i32.const 127))
(assert_return (invoke "i32.extend8_s" (i32.const 0x0123_4500)) (i32.const 0))
(assert_return (invoke "i32.extend8_s" (i32.const 0xfedc_ba80)) (i32.const -0x80))
(assert_return (invoke "i32.extend8_s" (i32.const 0xffff_ff7f)) (i32.const 0x7f))
(assert_return (invoke "i32.extend8_s" (i32.const 0x8000_0000)) (i32.const 0))
(assert_return (invoke "i32.extend8_s" (i32.const 0x7fff_ffff)) (i32.const -1))
(assert_return (invoke "i32.extend8_s" (i32.const -1)) (i32.const -1))
(assert_return (invoke "c8") (i32.const -128))

;; i32.extend16_s
(assert_return (invoke "i32.extend16_s" (i32.const 0)) (i32.const 0))
(assert_return (invoke "i32.extend16_s" (i32.const 0x7fff)) (i32.const 32767))
(assert_return (invoke "i32.extend16_s" (i32.const 0x8000)) (i32.const -32768))
(assert_return (invoke "i32.extend16_s" (i32.const 0x8001)) (i32.const -32767))
(assert_return (invoke "i32.extend16_s" (i32.const 0xffff)) (i32.const -1))
(assert_return (invoke "i32.extend16_s" (i32.const 0x80)) (i32.const 0x80))
(assert_return (invoke "i32.extend16_s" (i32.const 0xff)) (i32.const 0xff))
(assert_return (invoke "i32.extend16_s" (i32.const 0x0001_0000)) (i32.const 0))
(assert_return (invoke "i32.extend16_s" (i32.const 0x0123_0000)) (i32.const 0))
(assert_return (invoke "i32.extend16_s" (i32.const 0xfedc_8000)) (i32.const -0x8000))
(assert_return (invoke "i32.extend16_s" (i32.const 0xffff_7fff)) (i32.const 0x7fff))
(assert_return (invoke "i32.extend16_s" (i32.const 0x8000_0000)) (i32.const 0))
(assert_return (invoke "i32.extend16_s" (i32.const 0x7fff_ffff)) (i32.const -1))
(assert_return (invoke "i32.extend16_s" (i32.const 0x1234_5678)) (i32.const 0x5678))
(assert_return (invoke "i32.extend16_s" (i32.const 0x1234_9abc)) (i32.const 0xffff_9abc))
(assert_return (invoke "i32.extend16_s" (i32.const -1)) (i32.const -1))

;; i64.extend8_s
(assert_return (invoke "i64.extend8_s" (i64.const 0)) (i64.const 0))
(assert_return (invoke "i64.extend8_s" (i64.const 0x7f)) (i64.const 127))
(assert_return (invoke "i64.extend8_s" (i64.const 0x80)) (i64.const -128))
(assert_return (invoke "i64.extend8_s" (i64.const 0xff)) (i64.const -1))
(assert_return (invoke "i64.extend8_s" (i64.const 0x0123_4567_89ab_cd00)) (i64.const 0))
(assert_return (invoke "i64.extend8_s" (i64.const 0xfedc_ba98_7654_3280)) (i64.const -0x80))
(assert_return (invoke "i64.extend8_s" (i64.const 0xffff_ffff_ffff_ff7f)) (i64.const 0x7f))
(assert_return (invoke "i64.extend8_s" (i64.const 0x8000_0000_0000_0000)) (i64.const 0))
(assert_return (invoke "i64.extend8_s" (i64.const 0x7fff_ffff_ffff_ffff)) (i64.const -1))
(assert_return (invoke "i64.extend8_s" (i64.const 0x0000_0000_8000_0080)) (i64.const -128))
(assert_return (invoke "i64.extend8_s" (i64.const -1)) (i64.const -1))

;; i64.extend16_s
(assert_return (invoke "i64.extend16_s" (i64.const 0)) (i64.const 0))
(assert_return (invoke "i64.extend16_s" (i64.const 0x7fff)) (i64.const 32767))
(assert_return (invoke "i64.extend16_s" (i64.const 0x8000)) (i64.const -32768))
(assert_return (invoke "i64.extend16_s" (i64.const 0xffff)) (i64.const -1))
(assert_return (invoke "i64.extend16_s" (i64.const 0x1234_5678_9abc_0000)) (i64.const 0))
(assert_return (invoke "i64.extend16_s" (i64.const 0xfedc_ba98_7654_8000)) (i64.const -0x8000))
(assert_return (invoke "i64.extend16_s" (i64.const 0xffff_ffff_ffff_7fff)) (i64.const 0x7fff))
(assert_return (invoke "i64.extend16_s" (i64.const 0x8000_0000_0000_0000)) (i64.const 0))
(assert_return (invoke "i64.extend16_s" (i64.const 0x7fff_ffff_ffff_ffff)) (i64.const -1))
(assert_return (invoke "i64.extend16_s" (i64.const 0x0000_0000_0000_9abc)) (i64.const 0xffff_ffff_ffff_9abc))
(assert_return (invoke "i64.extend16_s" (i64.const -1)) (i64.const -1))

;; i64.extend32_s
(assert_return (invoke "i64.extend32_s" (i64.const 0)) (i64.const 0))
(assert_return (invoke "i64.extend32_s" (i64.const 0x7fff)) (i64.const 32767))
(assert_return (invoke "i64.extend32_s" (i64.const 0x8000)) (i64.const 32768))
(assert_return (invoke "i64.extend32_s" (i64.const 0xffff)) (i64.const 65535))
(assert_return (invoke "i64.extend32_s" (i64.const 0x7fff_ffff)) (i64.const 0x7fff_ffff))
(assert_return (invoke "i64.extend32_s" (i64.const 0x8000_0000)) (i64.const -0x8000_0000))
(assert_return (invoke "i64.extend32_s" (i64.const 0xffff_ffff)) (i64.const -1))
(assert_return (invoke "i64.extend32_s" (i64.const 0x0123_4567_0000_0000)) (i64.const 0))
(assert_return (invoke "i64.extend32_s" (i64.const 0xfedc_ba98_8000_0000)) (i64.const -0x8000_0000))
(assert_return (invoke "i64.extend32_s" (i64.const 0xffff_ffff_7fff_ffff)) (i64.const 0x7fff_ffff))
(assert_return (invoke "i64.extend32_s" (i64.const 0x8000_0000_0000_0000)) (i64.const 0))
(assert_return (invoke "i64.extend32_s" (i64.const 0x7fff_ffff_ffff_ffff)) (i64.const -1))
(assert_return (invoke "i64.extend32_s" (i64.const 0x1_2345_6789)) (i64.const 0x2345_6789))
(assert_return (invoke "i64.extend32_s" (i64.const 0x1_89ab_cdef)) (i64.const 0xffff_ffff_89ab_cdef))
(assert_return (invoke "i64.extend32_s" (i64.const -1)) (i64.const -1))
(assert_return (invoke "c64_32") (i64.const -0x8000_0000))

;; Type rules: operand and result have the operator's own width.
(assert_invalid
  (module (func (result i32) (i32.extend8_s (i64.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (func (result i64) (i64.extend16_s (i32.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (func (result i64) (i64.extend32_s (i32.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (func (result i64) (i32.extend16_s (i32.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (func (result i32) (i32.extend8_s)))
  "type mismatch"
)
;; There is no i32.extend32_s: it is not an operator (text) ...
(assert_malformed
  (module quote "(func (result i32) (i32.extend32_s (i32.const 0)))")
  "unknown operator"
)
