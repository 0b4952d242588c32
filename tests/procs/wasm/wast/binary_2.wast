;; Malformed binary encodings (assert_malformed on `module binary`) that the old
;; binary.wast / binary-leb128.wast copy lacks or covers with pre-2.0 messages.
;; Covers: LEB128 too long / too large in positions the old copy misses (function
;; section type index, export index, local counts, memarg offset and alignment,
;; br/call immediates, table limits, segment flags, data count, i64 constants);
;; data count section mismatch / missing with memory.init and data.drop; bad
;; element and data segment flags and element kind; malformed reference type
;; bytes (table, ref.null, element segment, typed select); bad global mutability;
;; section size mismatch (section and function body); function/code count
;; mismatch; truncated sections; unknown section ids; out-of-order and duplicate
;; sections; malformed import/export kinds; non-zero reserved bytes; illegal
;; opcodes; too many locals; invalid UTF-8 in export/import names; and a few
;; well-formed edge encodings that must be accepted.
;; Messages are those of the reference interpreter's decoder; the spec runner
;; matches them as prefixes.

;; ---- LEB128: one byte too many ("integer representation too long")
;; function section: type index 0 in 6 bytes
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\07" "\01\80\80\80\80\80\00"
    "\0a\04" "\01\02\00\0b")
  "integer representation too long"
)
;; section size in 6 bytes
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\84\80\80\80\80\00\01\60\00\00")
  "integer representation too long"
)
;; vector count in 6 bytes (type section)
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\09" "\81\80\80\80\80\00\60\00\00")
  "integer representation too long"
)
;; export function index in 6 bytes
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\07\0a" "\01\01\66\00\80\80\80\80\80\00"
    "\0a\04" "\01\02\00\0b")
  "integer representation too long"
)
;; local declaration count in 6 bytes
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\0b" "\01\09\01\81\80\80\80\80\00\7f\0b")
  "integer representation too long"
)
;; call function index in 6 bytes
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\0b" "\01\09\00\10\80\80\80\80\80\00\0b")
  "integer representation too long"
)
;; br label index in 6 bytes
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\0b" "\01\09\00\0c\80\80\80\80\80\00\0b")
  "integer representation too long"
)
;; i64.const in 11 bytes
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\11" "\01\0f\00\42\80\80\80\80\80\80\80\80\80\80\00\1a\0b")
  "integer representation too long"
)
;; table limits maximum in 6 bytes (a u32 in Wasm 2.0; the wasmtime package reads
;; it as u64 for table64 and accepts this module)
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\04\0a" "\01\70\01\00\80\80\80\80\80\00")
  "integer representation too long"
)
;; element segment flags in 6 bytes
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\04\04" "\01\70\00\00"
    "\09\0b" "\01\80\80\80\80\80\00\41\00\0b\00")
  "integer representation too long"
)
;; data count in 6 bytes
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\05\03" "\01\00\01"
    "\0c\06" "\80\80\80\80\80\00")
  "integer representation too long"
)
;; memory.init data index in 6 bytes
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\05\03" "\01\00\01"
    "\0c\01" "\01"
    "\0a\13" "\01\11\00\41\00\41\00\41\00\fc\08\80\80\80\80\80\00\00\0b"
    "\0b\03" "\01\01\00")
  "integer representation too long"
)
;; prefixed opcode (0xfc) sub-opcode in 6 bytes
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\11" "\01\0f\00\43\00\00\00\00\fc\80\80\80\80\80\00\1a\0b")
  "integer representation too long"
)

;; ---- LEB128: unused bits of the last byte ("integer too large")
;; function section type index with bits above 32
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\06" "\01\80\80\80\80\10"
    "\0a\04" "\01\02\00\0b")
  "integer too large"
)
;; local count with bits above 32
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\0a" "\01\08\01\ff\ff\ff\ff\1f\7f\0b")
  "integer too large"
)
;; memarg offset with bits above 32
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\05\03" "\01\00\01"
    "\0a\0e" "\01\0c\00\41\00\28\02\ff\ff\ff\ff\10\1a\0b")
  "integer too large"
)
;; memarg alignment with bits above 32
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\05\03" "\01\00\01"
    "\0a\0e" "\01\0c\00\41\00\28\80\80\80\80\20\00\1a\0b")
  "integer too large"
)
;; i32.const: positive value with a sign bit pattern that does not extend
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\0b" "\01\09\00\41\ff\ff\ff\ff\0f\1a\0b")
  "integer too large"
)
;; i32.const: negative value whose high bits are not all ones
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\0b" "\01\09\00\41\80\80\80\80\70\1a\0b")
  "integer too large"
)
;; i64.const: 10th byte with bits beyond 64
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\10" "\01\0e\00\42\80\80\80\80\80\80\80\80\80\02\1a\0b")
  "integer too large"
)
;; memory limits minimum with bits above 32
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\05\07" "\01\00\80\80\80\80\10")
  "integer too large"
)
;; the largest u32 in 5 bytes is fine where a u32 is expected
;; memory.grow delta as i32.const 0x7fffffff in 5 bytes, memarg offset 0xffffffff (valid)
(module binary "\00asm" "\01\00\00\00"
  "\01\04" "\01\60\00\00"
  "\03\02" "\01\00"
  "\05\03" "\01\00\01"
  "\0a\17" "\01\15\00\41\ff\ff\ff\ff\07\40\00\1a\41\00\28\02\ff\ff\ff\ff\0f\1a\0b")

;; ---- data count section
;; data count 2, one data segment
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\05\03" "\01\00\01"
    "\0c\01" "\02"
    "\0b\03" "\01\01\00")
  "data count and data section have inconsistent lengths"
)
;; data count 0, one data segment
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\05\03" "\01\00\01"
    "\0c\01" "\00"
    "\0b\03" "\01\01\00")
  "data count and data section have inconsistent lengths"
)
;; data count 1, no data section (a missing data section counts as empty; wabt 1.0.32
;; accepts this module, the reference interpreter and wasmtime reject it)
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\05\03" "\01\00\01"
    "\0c\01" "\01")
  "data count and data section have inconsistent lengths"
)
;; data count 0 and no data section (valid)
(module binary "\00asm" "\01\00\00\00"
  "\05\03" "\01\00\01"
  "\0c\01" "\00")
;; data count 1 and one passive segment (valid)
(module binary "\00asm" "\01\00\00\00"
  "\05\03" "\01\00\01"
  "\0c\01" "\01"
  "\0b\03" "\01\01\00")
;; memory.init without a data count section
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\05\03" "\01\00\01"
    "\0a\0e" "\01\0c\00\41\00\41\00\41\00\fc\08\00\00\0b"
    "\0b\03" "\01\01\00")
  "data count section required"
)
;; data.drop without a data count section
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\05\03" "\01\00\01"
    "\0a\07" "\01\05\00\fc\09\00\0b"
    "\0b\03" "\01\01\00")
  "data count section required"
)
;; passive data without a data count section but no memory.init/data.drop (valid)
(module binary "\00asm" "\01\00\00\00"
  "\05\03" "\01\00\01"
  "\0b\03" "\01\01\00")
;; data count section after the code section
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\05\03" "\01\00\01"
    "\0a\04" "\01\02\00\0b"
    "\0c\01" "\00")
  "unexpected content after last section"
)

;; ---- element and data segment encodings
;; element segment flags 8
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\04\04" "\01\70\00\01"
    "\09\06" "\01\08\41\00\0b\00"
    "\0a\04" "\01\02\00\0b")
  "malformed elements segment kind"
)
;; element segment flags 0xff (as u32)
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\04\04" "\01\70\00\01"
    "\09\07" "\01\ff\01\41\00\0b\00")
  "malformed elements segment kind"
)
;; element kind 0x01 in a passive (flags 1) segment
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\09\05" "\01\01\01\01\00"
    "\0a\04" "\01\02\00\0b")
  "malformed element kind"
)
;; element kind 0x70 (a reference type, not an elemkind) in flags 3
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\09\05" "\01\03\70\01\00"
    "\0a\04" "\01\02\00\0b")
  "malformed element kind"
)
;; element reference type 0x7f (i32) in flags 5
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\09\04" "\01\05\7f\00")
  "malformed reference type"
)
;; element reference type 0x40 in flags 7
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\09\04" "\01\07\40\00")
  "malformed reference type"
)
;; data segment flags 3
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\05\03" "\01\00\01"
    "\0b\06" "\01\03\41\00\0b\00")
  "malformed data segment kind"
)
;; every element segment form 0-7 (valid)
(module binary "\00asm" "\01\00\00\00"
  "\01\04" "\01\60\00\00"
  "\03\02" "\01\00"
  "\04\04" "\01\70\00\04"
  "\09\38" "\08\00\41\00\0b\01\00\01\00\01\00\02\00\41\01\0b\00\01\00\03\00\01\00\04\41\02\0b\01\d2\00\0b\05\70\02\d2\00\0b\d0\70\0b\06\00\41\03\0b\70\01\d0\70\0b\07\70\01\d2\00\0b"
  "\0a\04" "\01\02\00\0b")
;; every data segment form 0-2 (valid)
(module binary "\00asm" "\01\00\00\00"
  "\05\03" "\01\00\01"
  "\0b\11" "\03\00\41\00\0b\01\61\01\01\62\02\00\41\01\0b\01\63")

;; ---- reference types and mutability bytes
;; table element type 0x7f (i32)
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\04\04" "\01\7f\00\01")
  "malformed reference type"
)
;; table element type 0x60
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\04\04" "\01\60\00\01")
  "malformed reference type"
)
;; imported table element type 0x40
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\02\09" "\01\01\6d\01\74\01\40\00\01")
  "malformed reference type"
)
;; ref.null with heap type 0x7f
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\07" "\01\05\00\d0\7f\1a\0b")
  "malformed reference type"
)
;; ref.null with heap type 0x40
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\07" "\01\05\00\d0\40\1a\0b")
  "malformed reference type"
)
;; global mutability 2
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\06\06" "\01\7f\02\41\00\0b")
  "malformed mutability"
)
;; global mutability 0xff
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\06\06" "\01\7f\ff\41\00\0b")
  "malformed mutability"
)
;; imported global mutability 2
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\02\08" "\01\01\6d\01\67\03\7f\02")
  "malformed mutability"
)

;; ---- section and body sizes
;; type section declares 5 bytes but holds 4 (next section follows)
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\05" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\04" "\01\02\00\0b")
  "section size mismatch"
)
;; type section declares 3 bytes but holds 4
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\03" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\04" "\01\02\00\0b")
  "section size mismatch"
)
;; memory section one byte short
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\05\02" "\01\00\01")
  "section size mismatch"
)
;; function body declares one byte more than it holds
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\03" "\02\00\00"
    "\0a\07" "\02\03\00\0b\02\00\0b")
  "section size mismatch"
)
;; function body declares one byte less than it holds
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\03" "\02\00\00"
    "\0a\08" "\02\02\00\01\0b\02\00\0b")
  "section size mismatch"
)
;; custom section whose name length exceeds the section
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\00\03" "\05\61\62")
  "length out of bounds"
)
;; section size beyond the end of the module
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\0a\01\60\00\00")
  "length out of bounds"
)
;; export name length beyond the end of the module
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\07\05\01\20\61\62\63")
  "length out of bounds"
)

;; ---- function and code sections
;; two declared functions, one body
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\03" "\02\00\00"
    "\0a\04" "\01\02\00\0b")
  "function and code section have inconsistent lengths"
)
;; one declared function, two bodies
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\07" "\02\02\00\0b\02\00\0b")
  "function and code section have inconsistent lengths"
)
;; a declared function and no code section
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00")
  "function and code section have inconsistent lengths"
)
;; a code section without function section
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\0a\04" "\01\02\00\0b")
  "function and code section have inconsistent lengths"
)
;; empty function and code sections (valid)
(module binary "\00asm" "\01\00\00\00"
  "\03\01" "\00"
  "\0a\01" "\00")

;; ---- truncated content
;; type section ends inside a function type
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\03" "\01\60\01")
  "unexpected end"
)
;; function body ends before its end opcode (end of module)
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\04\01\02\00\01")
  "unexpected end"
)
;; import section ends after the import kind
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\02\06" "\01\01\6d\01\66\00")
  "unexpected end"
)
;; memory limits flag says a maximum follows, but the module ends
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\05\03" "\01\01\00")
  "unexpected end"
)
;; a section id with no size
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03")
  "unexpected end"
)

;; ---- section ids and order
;; unknown section id 0x0e
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\0e\00")
  "malformed section id"
)
;; unknown section id 0x11
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\11\00")
  "malformed section id"
)
;; unknown section id 0x7f
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\7f\00")
  "malformed section id"
)
;; unknown section id 0x80
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\80\00")
  "malformed section id"
)
;; unknown section id 0xff
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\ff\00")
  "malformed section id"
)
;; unknown section id after valid sections
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\04" "\01\02\00\0b"
    "\0e\01\00")
  "malformed section id"
)
;; function section before type section
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\03\01" "\00"
    "\01\01" "\00")
  "unexpected content after last section"
)
;; duplicate memory section
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\05\03" "\01\00\01"
    "\05\03" "\01\00\01")
  "unexpected content after last section"
)
;; data count section before element section
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\0c\01" "\00"
    "\09\01" "\00")
  "unexpected content after last section"
)
;; duplicate start section
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\08\01" "\00"
    "\08\01" "\00"
    "\0a\04" "\01\02\00\0b")
  "unexpected content after last section"
)
;; custom sections between every section (valid)
(module binary "\00asm" "\01\00\00\00"
  "\00\02" "\01\61"
  "\01\04" "\01\60\00\00"
  "\00\02" "\01\62"
  "\03\02" "\01\00"
  "\00\02" "\01\63"
  "\05\03" "\01\00\01"
  "\00\01" "\00"
  "\0c\01" "\00"
  "\00\02" "\01\64"
  "\0a\04" "\01\02\00\0b"
  "\00\02" "\01\65")

;; ---- import/export kinds, reserved bytes, opcodes, locals
;; import kind 5
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\02\07" "\01\01\6d\01\66\05\00")
  "malformed import kind"
)
;; export kind 5
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\07\05" "\01\01\66\05\00"
    "\0a\04" "\01\02\00\0b")
  "malformed export kind"
)
;; memory.size reserved byte 1
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\05\03" "\01\00\01"
    "\0a\07" "\01\05\00\3f\01\1a\0b")
  "zero byte expected"
)
;; memory.grow reserved byte encoded as 0x80 0x00 (a single byte in Wasm 2.0; the
;; wasmtime package reads a multi-memory LEB index and accepts this module)
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\05\03" "\01\00\01"
    "\0a\0a" "\01\08\00\41\00\40\80\00\1a\0b")
  "zero byte expected"
)
;; memory.fill reserved byte 1
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\05\03" "\01\00\01"
    "\0a\0d" "\01\0b\00\41\00\41\00\41\00\fc\0b\01\0b")
  "zero byte expected"
)
;; memory.copy second reserved byte 1
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\05\03" "\01\00\01"
    "\0a\0e" "\01\0c\00\41\00\41\00\41\00\fc\0a\00\01\0b")
  "zero byte expected"
)
;; memory.init reserved byte 1
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\05\03" "\01\00\01"
    "\0c\01" "\01"
    "\0a\0e" "\01\0c\00\41\00\41\00\41\00\fc\08\00\01\0b"
    "\0b\03" "\01\01\00")
  "zero byte expected"
)
;; illegal opcode 0x27
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\05" "\01\03\00\27\0b")
  "illegal opcode"
)
;; illegal opcode 0xd3
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\05" "\01\03\00\d3\0b")
  "illegal opcode"
)
;; illegal prefixed opcode 0xfc 0x12
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\06" "\01\04\00\fc\12\0b")
  "illegal opcode"
)
;; illegal opcode 0xff
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\05" "\01\03\00\ff\0b")
  "illegal opcode"
)
;; too many locals: 0xffffffff + 1
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\0c" "\01\0a\02\ff\ff\ff\ff\0f\7f\01\7e\0b")
  "too many locals"
)
;; too many locals: two groups of 0x80000000
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\10" "\01\0e\02\80\80\80\80\08\7f\80\80\80\80\08\7f\0b")
  "too many locals"
)

;; ---- names must be valid UTF-8
;; export name: 0xff byte
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\07\05" "\01\01\ff\00\00"
    "\0a\04" "\01\02\00\0b")
  "malformed UTF-8 encoding"
)
;; export name: lone continuation byte
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\07\05" "\01\01\80\00\00"
    "\0a\04" "\01\02\00\0b")
  "malformed UTF-8 encoding"
)
;; export name: overlong NUL
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\07\06" "\01\02\c0\80\00\00"
    "\0a\04" "\01\02\00\0b")
  "malformed UTF-8 encoding"
)
;; export name: overlong 3-byte
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\07\07" "\01\03\e0\80\80\00\00"
    "\0a\04" "\01\02\00\0b")
  "malformed UTF-8 encoding"
)
;; export name: UTF-16 surrogate
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\07\07" "\01\03\ed\a0\80\00\00"
    "\0a\04" "\01\02\00\0b")
  "malformed UTF-8 encoding"
)
;; export name: above U+10FFFF
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\07\08" "\01\04\f4\90\80\80\00\00"
    "\0a\04" "\01\02\00\0b")
  "malformed UTF-8 encoding"
)
;; export name: truncated 3-byte sequence
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\07\06" "\01\02\e2\82\00\00"
    "\0a\04" "\01\02\00\0b")
  "malformed UTF-8 encoding"
)
;; export name: truncated at the end
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\07\06" "\01\02\61\c3\00\00"
    "\0a\04" "\01\02\00\0b")
  "malformed UTF-8 encoding"
)
;; import module name: 0xfe byte
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\02\08" "\01\01\fe\01\66\02\00\00")
  "malformed UTF-8 encoding"
)
;; export names with 2-, 3- and 4-byte UTF-8 sequences and a NUL (valid)
(module binary "\00asm" "\01\00\00\00"
  "\01\04" "\01\60\00\00"
  "\03\02" "\01\00"
  "\07\17" "\04\02\c3\a9\00\00\03\e2\82\ac\00\00\04\f0\9f\98\80\00\00\01\00\00\00"
  "\0a\04" "\01\02\00\0b")

;; ---- decodes fine but is invalid (so not malformed)
;; data segment with memory index 1 (flags 2)
(assert_invalid
  (module binary "\00asm" "\01\00\00\00"
    "\05\03" "\01\00\01"
    "\0b\07" "\01\02\01\41\00\0b\00")
  "unknown memory 1"
)
;; block type index 5 with one type
(assert_invalid
  (module binary "\00asm" "\01\00\00\00"
    "\01\04" "\01\60\00\00"
    "\03\02" "\01\00"
    "\0a\07" "\01\05\00\02\05\0b\0b")
  "unknown type"
)
