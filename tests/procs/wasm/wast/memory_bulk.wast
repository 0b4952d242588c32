;; Bulk memory operations (Wasm 2.0): memory.copy, memory.fill, memory.init, data.drop.
;; Covers: overlapping copies in both directions (memmove semantics); length 0
;; exactly at the end of memory / segment is fine, one past traps; bounds are
;; checked before anything is written (a trapping op writes nothing); no 32-bit
;; wrap-around of address + length; the fill value is truncated to a byte;
;; dropped segments behave as length 0 (and dropping twice is fine); active
;; segments are dropped once instantiation has applied them; zero-page memories
;; and memories that grew.

(module
  (memory 1 1)
  (data $p "\01\02\03\04\05\06\07\08")
  (data $a (i32.const 0x100) "abc")
  (func (export "init") (param i32 i32 i32) (memory.init $p (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init_active") (param i32 i32 i32) (memory.init $a (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop") (data.drop $p))
  (func (export "drop_active") (data.drop $a))
  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "load64") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "store64") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
)

;; the active segment was written
(assert_return (invoke "load8" (i32.const 0x100)) (i32.const 0x61))
(assert_return (invoke "load8" (i32.const 0x102)) (i32.const 0x63))

;; ---- memory.init from the passive segment
(invoke "init" (i32.const 0) (i32.const 0) (i32.const 8))
(assert_return (invoke "load64" (i32.const 0)) (i64.const 0x0807060504030201))
(invoke "init" (i32.const 0x20) (i32.const 5) (i32.const 3))
(assert_return (invoke "load64" (i32.const 0x20)) (i64.const 0x080706))
(invoke "init" (i32.const 0xfff8) (i32.const 0) (i32.const 8))
(assert_return (invoke "load64" (i32.const 0xfff8)) (i64.const 0x0807060504030201))
;; length 0: at the very end of memory and of the segment is fine
(invoke "init" (i32.const 0x10000) (i32.const 0) (i32.const 0))
(invoke "init" (i32.const 0) (i32.const 8) (i32.const 0))
(invoke "init" (i32.const 0x10000) (i32.const 8) (i32.const 0))
;; one past either end traps, even with length 0
(assert_trap (invoke "init" (i32.const 0x10001) (i32.const 0) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "init" (i32.const 0) (i32.const 9) (i32.const 0)) "out of bounds memory access")
;; partly out of bounds: traps and writes nothing
(invoke "store64" (i32.const 0xfff8) (i64.const 0))
(assert_trap (invoke "init" (i32.const 0xfffc) (i32.const 0) (i32.const 8)) "out of bounds memory access")
(assert_return (invoke "load64" (i32.const 0xfff8)) (i64.const 0))
(assert_trap (invoke "init" (i32.const 0x40) (i32.const 4) (i32.const 5)) "out of bounds memory access")
(assert_return (invoke "load64" (i32.const 0x40)) (i64.const 0))
;; no wrap-around of dst + n or src + n
(assert_trap (invoke "init" (i32.const 0xffff_ffff) (i32.const 0) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "init" (i32.const 0) (i32.const 0xffff_ffff) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "init" (i32.const 1) (i32.const 1) (i32.const 0xffff_ffff)) "out of bounds memory access")
;; dropping: afterwards the segment has length 0
(invoke "drop")
(invoke "drop")
(invoke "init" (i32.const 0) (i32.const 0) (i32.const 0))
(invoke "init" (i32.const 0x10000) (i32.const 0) (i32.const 0))
(assert_trap (invoke "init" (i32.const 0x60) (i32.const 0) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "init" (i32.const 0) (i32.const 1) (i32.const 0)) "out of bounds memory access")
(assert_return (invoke "load8" (i32.const 0x60)) (i32.const 0))
;; the active segment was dropped by instantiation
(assert_trap (invoke "init_active" (i32.const 0x80) (i32.const 0) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "init_active" (i32.const 0x80) (i32.const 1) (i32.const 0)) "out of bounds memory access")
(invoke "init_active" (i32.const 0x80) (i32.const 0) (i32.const 0))
(invoke "drop_active")
(invoke "init_active" (i32.const 0x80) (i32.const 0) (i32.const 0))
(assert_return (invoke "load8" (i32.const 0x80)) (i32.const 0))

;; ---- memory.copy
;; overlapping, dst > src (must copy backwards)
(invoke "store64" (i32.const 0x200) (i64.const 0x0807060504030201))
(invoke "copy" (i32.const 0x202) (i32.const 0x200) (i32.const 6))
(assert_return (invoke "load64" (i32.const 0x200)) (i64.const 0x0605040302010201))
;; overlapping, dst < src (must copy forwards)
(invoke "store64" (i32.const 0x200) (i64.const 0x0807060504030201))
(invoke "copy" (i32.const 0x200) (i32.const 0x202) (i32.const 6))
(assert_return (invoke "load64" (i32.const 0x200)) (i64.const 0x0807080706050403))
;; overlap by one byte, both directions
(invoke "store64" (i32.const 0x200) (i64.const 0x0807060504030201))
(invoke "copy" (i32.const 0x201) (i32.const 0x200) (i32.const 7))
(assert_return (invoke "load64" (i32.const 0x200)) (i64.const 0x0706050403020101))
(invoke "store64" (i32.const 0x200) (i64.const 0x0807060504030201))
(invoke "copy" (i32.const 0x200) (i32.const 0x201) (i32.const 7))
(assert_return (invoke "load64" (i32.const 0x200)) (i64.const 0x0808070605040302))
;; src == dst
(invoke "copy" (i32.const 0x200) (i32.const 0x200) (i32.const 8))
(assert_return (invoke "load64" (i32.const 0x200)) (i64.const 0x0808070605040302))
;; to and from the last bytes
(invoke "copy" (i32.const 0xfff8) (i32.const 0x200) (i32.const 8))
(assert_return (invoke "load64" (i32.const 0xfff8)) (i64.const 0x0808070605040302))
(invoke "copy" (i32.const 0x300) (i32.const 0xfff8) (i32.const 8))
(assert_return (invoke "load64" (i32.const 0x300)) (i64.const 0x0808070605040302))
;; length 0 at the end is fine; one past traps
(invoke "copy" (i32.const 0x10000) (i32.const 0x10000) (i32.const 0))
(invoke "copy" (i32.const 0x10000) (i32.const 0) (i32.const 0))
(invoke "copy" (i32.const 0) (i32.const 0x10000) (i32.const 0))
(assert_trap (invoke "copy" (i32.const 0x10001) (i32.const 0) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "copy" (i32.const 0) (i32.const 0x10001) (i32.const 0)) "out of bounds memory access")
;; partly out of bounds: nothing is written
(invoke "store64" (i32.const 0xfff8) (i64.const 0))
(invoke "store64" (i32.const 0x400) (i64.const 0x1111111111111111))
(assert_trap (invoke "copy" (i32.const 0xfffc) (i32.const 0x200) (i32.const 8)) "out of bounds memory access")
(assert_return (invoke "load64" (i32.const 0xfff8)) (i64.const 0))
(assert_trap (invoke "copy" (i32.const 0x400) (i32.const 0xfffc) (i32.const 8)) "out of bounds memory access")
(assert_return (invoke "load64" (i32.const 0x400)) (i64.const 0x1111111111111111))
;; overlapping and out of bounds (backward copy would write the top bytes first)
(invoke "store64" (i32.const 0xfff8) (i64.const 0x0807060504030201))
(assert_trap (invoke "copy" (i32.const 0xfffa) (i32.const 0xfff8) (i32.const 8)) "out of bounds memory access")
(assert_return (invoke "load64" (i32.const 0xfff8)) (i64.const 0x0807060504030201))
;; no wrap-around
(assert_trap (invoke "copy" (i32.const 0) (i32.const 0) (i32.const 0xffff_ffff)) "out of bounds memory access")
(assert_trap (invoke "copy" (i32.const 0xffff_ff00) (i32.const 0) (i32.const 0x100)) "out of bounds memory access")
(assert_trap (invoke "copy" (i32.const 0) (i32.const 0xffff_ff00) (i32.const 0x100)) "out of bounds memory access")

;; ---- memory.fill
(invoke "fill" (i32.const 0x500) (i32.const 0xab) (i32.const 3))
(assert_return (invoke "load64" (i32.const 0x500)) (i64.const 0xababab))
;; only the low byte of the value is used
(invoke "fill" (i32.const 0x508) (i32.const 0x1234_5678) (i32.const 2))
(assert_return (invoke "load64" (i32.const 0x508)) (i64.const 0x7878))
(invoke "fill" (i32.const 0x510) (i32.const -1) (i32.const 8))
(assert_return (invoke "load64" (i32.const 0x510)) (i64.const -1))
(invoke "fill" (i32.const 0xffff) (i32.const 0x5a) (i32.const 1))
(assert_return (invoke "load8" (i32.const 0xffff)) (i32.const 0x5a))
(invoke "fill" (i32.const 0x10000) (i32.const 0x5a) (i32.const 0))
(assert_trap (invoke "fill" (i32.const 0x10001) (i32.const 0) (i32.const 0)) "out of bounds memory access")
;; partly out of bounds: nothing written
(invoke "store64" (i32.const 0xfff8) (i64.const 0))
(assert_trap (invoke "fill" (i32.const 0xfffa) (i32.const 0xff) (i32.const 7)) "out of bounds memory access")
(assert_return (invoke "load64" (i32.const 0xfff8)) (i64.const 0))
(assert_trap (invoke "fill" (i32.const 1) (i32.const 0) (i32.const 0xffff_ffff)) "out of bounds memory access")
(assert_trap (invoke "fill" (i32.const 0xffff_ffff) (i32.const 0) (i32.const 1)) "out of bounds memory access")
(assert_return (invoke "load8" (i32.const 1)) (i32.const 2))

;; ---- memory with no pages, then grown
(module
  (memory 0)
  (data $d "xy")
  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32) (memory.init $d (local.get 0) (local.get 1) (local.get 2)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "load16") (param i32) (result i32) (i32.load16_u (local.get 0)))
)
(invoke "copy" (i32.const 0) (i32.const 0) (i32.const 0))
(invoke "fill" (i32.const 0) (i32.const 0) (i32.const 0))
(invoke "init" (i32.const 0) (i32.const 0) (i32.const 0))
(assert_trap (invoke "fill" (i32.const 0) (i32.const 0) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "copy" (i32.const 1) (i32.const 0) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "init" (i32.const 0) (i32.const 0) (i32.const 1)) "out of bounds memory access")
(assert_return (invoke "grow" (i32.const 1)) (i32.const 0))
(invoke "init" (i32.const 0xfffe) (i32.const 0) (i32.const 2))
(assert_return (invoke "load16" (i32.const 0xfffe)) (i32.const 0x7978))
(invoke "copy" (i32.const 0) (i32.const 0xfffe) (i32.const 2))
(assert_return (invoke "load16" (i32.const 0)) (i32.const 0x7978))
(invoke "fill" (i32.const 0xfffe) (i32.const 0) (i32.const 2))
(assert_return (invoke "load16" (i32.const 0xfffe)) (i32.const 0))
(assert_trap (invoke "fill" (i32.const 0xffff) (i32.const 0) (i32.const 2)) "out of bounds memory access")

;; ---- a module whose active segment is applied, then inspected by memory.init of
;; the same (now dropped) segment at offset 0 with length 0
(module
  (memory 1)
  (data (i32.const 0) "q")
  (func (export "init0") (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 0)))
  (func (export "init1") (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 1)))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
)
(invoke "init0")
(assert_trap (invoke "init1") "out of bounds memory access")
(assert_return (invoke "load8" (i32.const 0)) (i32.const 0x71))

;; ---- validation
(assert_invalid
  (module (func (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))))
  "unknown memory 0"
)
(assert_invalid
  (module (func (memory.copy (i32.const 0) (i32.const 0) (i32.const 0))))
  "unknown memory 0"
)
(assert_invalid
  (module (memory 1) (func (memory.fill (i32.const 0) (i64.const 0) (i32.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (memory 1) (func (memory.copy (i32.const 0) (i32.const 0))))
  "type mismatch"
)
(assert_invalid
  (module (memory 1) (data "") (func (memory.init 1 (i32.const 0) (i32.const 0) (i32.const 0))))
  "unknown data segment 1"
)
(assert_invalid
  (module (memory 1) (func (data.drop 0)))
  "unknown data segment 0"
)
