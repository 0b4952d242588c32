"""The WebAssembly text format (WAT) front end: source text to the same `Module` the
binary decoder produces, so that validation and everything after it is written once.

Two passes over the module fields: the first assigns every index space's ids (so that
fields may refer forward) and collects the explicit types; the second builds each field
and resolves inline type uses, appending implicit types after all explicit ones, in
order of appearance, as the spec's abbreviation rules say. Instruction sequences are
expanded with an explicit work stack, never Python recursion, so deep nesting is safe.

Only text-level errors are reported here (syntax, unknown names, literal ranges);
typing errors are left to the validator, so a module of an `assert_invalid` parses.
"""

from __future__ import annotations

import re

from . import opcodes
from .errors import UnsupportedError
from .lexer import (
    Atom,
    Node,
    SList,
    TextError,
    error,
    looks_numeric,
    parse_float,
    parse_int,
    parse_uint,
    read_sexprs,
    string_to_name,
)
from .module import (
    ACTIVE,
    BLOCK_EMPTY,
    DECLARATIVE,
    EXT_FUNC,
    EXT_GLOBAL,
    EXT_MEMORY,
    EXT_TABLE,
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    PAGE_SIZE,
    PASSIVE,
    Data,
    Elem,
    Export,
    Func,
    FuncType,
    Global,
    GlobalType,
    Import,
    Limits,
    MemoryType,
    Module,
    TableType,
    blocktype_of,
)
from .opcodes import Imm

__all__ = ["parse_module", "parse_module_node", "parse_module_fields", "ModuleParser", "TextError"]

VALTYPES = {
    "i32": I32,
    "i64": I64,
    "f32": F32,
    "f64": F64,
    "funcref": FUNCREF,
    "externref": EXTERNREF,
    "anyfunc": FUNCREF,  # pre-2.0 name
}
REFTYPES = {"funcref": FUNCREF, "externref": EXTERNREF, "anyfunc": FUNCREF}
HEAPTYPES = {"func": FUNCREF, "extern": EXTERNREF}

_EXT_KIND = {"func": EXT_FUNC, "table": EXT_TABLE, "memory": EXT_MEMORY, "global": EXT_GLOBAL}
_SPACES = ("type", "func", "table", "memory", "global", "elem", "data")
# How the spec's messages name an index space ("unknown function $f", "duplicate func $f").
_UNKNOWN_NAMES = {"func": "function", "elem": "elem segment", "data": "data segment"}

# Pre-2.0 instruction names still used by older test files.
_LEGACY = {
    "get_local": "local.get",
    "set_local": "local.set",
    "tee_local": "local.tee",
    "get_global": "global.get",
    "set_global": "global.set",
    "current_memory": "memory.size",
    "grow_memory": "memory.grow",
}
_LEGACY_CONV = re.compile(r"(i32|i64|f32|f64)\.([a-z]+)(?:_([su]))?(:sat)?/(i32|i64|f32|f64)")

# Name prefixes of later proposals: "not supported" rather than "unknown operator".
_UNSUPPORTED_PREFIXES = {
    "v128.": "SIMD (v128)",
    "i8x16.": "SIMD (v128)",
    "i16x8.": "SIMD (v128)",
    "i32x4.": "SIMD (v128)",
    "i64x2.": "SIMD (v128)",
    "f32x4.": "SIMD (v128)",
    "f64x2.": "SIMD (v128)",
    "struct.": "GC",
    "array.": "GC",
    "i31.": "GC",
    "ref.i31": "GC",
    "ref.cast": "GC",
    "ref.test": "GC",
    "ref.eq": "GC",
    "ref.as_non_null": "typed function references",
    "br_on_": "typed function references",
    "call_ref": "typed function references",
    "return_call": "tail calls",
    "try": "exception handling",
    "throw": "exception handling",
    "rethrow": "exception handling",
    "delegate": "exception handling",
    "catch": "exception handling",
    "memory.atomic.": "threads (atomics)",
    "atomic.fence": "threads (atomics)",
}


# Keywords of the surrounding syntax: out of place in an instruction sequence.
_NOT_INSTRUCTIONS = frozenset(
    ("param", "result", "local", "type", "export", "import", "then", "item", "offset", "mut")
)


def _op_by_name(name: str) -> opcodes.Op | None:
    op = opcodes.BY_NAME.get(name)
    if op is not None:
        return op
    alias = _LEGACY.get(name)
    if alias is None:
        m = _LEGACY_CONV.fullmatch(name)
        if m:
            to, verb, su, sat, src = m.groups()
            alias = f"{to}.{verb}{'_sat' if sat else ''}_{src}{'_' + su if su else ''}"
    return opcodes.BY_NAME.get(alias) if alias else None


def _unsupported(name: str, where: Node) -> UnsupportedError | None:
    """An "unsupported" error if `name` is an instruction of a later proposal."""
    what = "threads (atomics)" if ".atomic." in name else None
    for prefix, proposal in _UNSUPPORTED_PREFIXES.items():
        if what is None and name.startswith(prefix):
            what = proposal
    if what is None:
        return None
    return UnsupportedError(f"{where.line}:{where.col}: {what} is not supported yet: {name}")


def _is_id(node: Node | None) -> bool:
    return isinstance(node, Atom) and node.data is None and node.text.startswith("$")


def _is_index(node: Node | None) -> bool:
    return (
        isinstance(node, Atom)
        and node.data is None
        and (node.text.startswith("$") or node.text[:1].isdigit())
    )


def _is_list(node: Node | None, head: str | None = None) -> bool:
    return isinstance(node, SList) and (head is None or node.head == head)


class _Cursor:
    """Reads the items of one list (or a slice of one) left to right."""

    __slots__ = ("items", "i", "end", "owner")

    def __init__(self, items: list[Node], i: int, owner: Node, end: int | None = None) -> None:
        self.items = items
        self.i = i
        self.end = len(items) if end is None else end
        self.owner = owner

    def peek(self) -> Node | None:
        return self.items[self.i] if self.i < self.end else None

    def done(self) -> bool:
        return self.i >= self.end

    def next(self, what: str = "more") -> Node:
        if self.i >= self.end:
            raise error(f"unexpected token ), expected {what}", self._end_node())
        node = self.items[self.i]
        self.i += 1
        return node

    def _end_node(self) -> Node:
        if self.i > 0 and self.i - 1 < len(self.items):
            return self.items[self.i - 1]
        return self.owner

    def keyword(self) -> str | None:
        """The next item's text if it is a bare atom (keyword, id or number)."""
        node = self.peek()
        if isinstance(node, Atom) and node.data is None:
            return node.text
        return None

    def take_id(self) -> Atom | None:
        node = self.peek()
        if _is_id(node):
            self.i += 1
            return node  # type: ignore[return-value]
        return None

    def take_list(self, head: str) -> SList | None:
        node = self.peek()
        if isinstance(node, SList) and node.head == head:
            self.i += 1
            return node
        return None

    def expect_end(self) -> None:
        if self.i < self.end:
            node = self.items[self.i]
            text = node.text if isinstance(node, Atom) else "("
            raise error(f"unexpected token {text}", node)


def _id_name(atom: Atom) -> str:
    if len(atom.text) < 2:
        raise error("unexpected token $", atom)
    return atom.text[1:]


# Type syntax of later proposals: "not supported yet" rather than "unexpected token".
_LATER_TYPES = {
    "v128": "SIMD (v128)",
    "ref": "typed function references",
    "anyref": "GC",
    "eqref": "GC",
    "i31ref": "GC",
    "structref": "GC",
    "arrayref": "GC",
    "nullref": "GC",
    "nullfuncref": "GC",
    "nullexternref": "GC",
    "exnref": "exception handling",
    "array": "GC",
    "struct": "GC",
    "sub": "GC",
    "rec": "GC",
    "tag": "exception handling",
    "i64": "memory64",
    "shared": "threads",
}


def _later_type(node: Node | None) -> UnsupportedError | None:
    """ "not supported yet" if `node` is type syntax of a later proposal."""
    if isinstance(node, SList):
        word, where = node.head, node
    elif isinstance(node, Atom) and node.data is None:
        word, where = node.text, node
    else:
        return None
    what = _LATER_TYPES.get(word or "")
    if what is None:
        return None
    return UnsupportedError(f"{where.line}:{where.col}: {what} is not supported yet: {word}")


def _valtype(node: Node | None, where: Node) -> int:
    if isinstance(node, Atom) and node.data is None:
        t = VALTYPES.get(node.text)
        if t is not None:
            return t
    later = _later_type(node)
    if later is not None:
        raise later
    raise error("unexpected token, expected a value type", node if node is not None else where)


def _reftype(node: Node | None, where: Node) -> int:
    if isinstance(node, Atom) and node.text in REFTYPES and node.data is None:
        return REFTYPES[node.text]
    later = _later_type(node)
    if later is not None and not (isinstance(node, Atom) and node.text == "i64"):
        raise later
    raise error("unexpected token, expected a reference type", node if node is not None else where)


class _Labels:
    """The label stack of one function body: (name, kind, node) per open block."""

    def __init__(self) -> None:
        self.stack: list[list] = []

    def resolve(self, node: Node) -> int:
        if _is_id(node):
            name = _id_name(node)  # type: ignore[arg-type]
            for depth, entry in enumerate(reversed(self.stack)):
                if entry[0] == name:
                    return depth
            raise error(f"unknown label {node.text}", node)  # type: ignore[union-attr]
        return parse_uint(node)


class ModuleParser:
    """Builds a `Module` from the fields of one `(module ...)`."""

    def __init__(self) -> None:
        self.m = Module()
        self.ids: dict[str, dict[str, int]] = {s: {} for s in _SPACES}
        self.counts: dict[str, int] = dict.fromkeys(_SPACES, 0)

    # --- identifiers -------------------------------------------------------------

    def _bind(self, space: str, atom: Atom | None) -> int:
        idx = self.counts[space]
        self.counts[space] += 1
        if atom is not None:
            name = _id_name(atom)
            if name in self.ids[space]:
                raise error(f"duplicate {space} {atom.text}", atom)
            self.ids[space][name] = idx
        return idx

    def index(self, node: Node | None, space: str, where: Node) -> int:
        """An index into a module index space, by `$id` or number."""
        if node is None:
            raise error(f"unexpected token ), expected a {space} index", where)
        if _is_id(node):
            idx = self.ids[space].get(_id_name(node))  # type: ignore[arg-type]
            if idx is None:
                what = _UNKNOWN_NAMES.get(space, space)
                raise error(f"unknown {what} {node.text}", node)  # type: ignore[union-attr]
            return idx
        return parse_uint(node)

    # --- pass 1: ids and explicit types --------------------------------------------

    def scan(self, fields: list[Node]) -> None:
        defined: str | None = None  # first kind of definition seen (imports must precede)
        for node in fields:
            if not isinstance(node, SList) or node.head is None:
                raise error("unexpected token, expected a module field", node)
            head = node.head
            cur = _Cursor(node.items, 1, node)
            if head == "type":
                ident = cur.take_id()
                fl = cur.take_list("func")
                if fl is None:
                    raise _later_type(cur.peek()) or error(
                        "unexpected token, expected (func ...)", cur.peek() or node
                    )
                cur.expect_end()
                fcur = _Cursor(fl.items, 1, fl)
                # Parameter names in a type definition bind nothing (the reference
                # interpreter drops them), so repeating one is not an error there.
                params, results = self._func_sig(fcur, names=None, in_typedef=True)
                fcur.expect_end()
                self._bind("type", ident)
                self.m.types.append(FuncType(tuple(params), tuple(results)))
            elif head == "import":
                if defined is not None:
                    raise error(f"import after {defined}", node)
                desc = node.items[3] if len(node.items) > 3 else None
                if not isinstance(desc, SList) or desc.head not in _EXT_KIND:
                    raise error("unexpected token, expected an import description", desc or node)
                ident = desc.items[1] if len(desc.items) > 1 else None
                self._bind(desc.head, ident if _is_id(ident) else None)  # type: ignore[arg-type]
            elif head in _EXT_KIND:
                ident = cur.take_id()
                while cur.take_list("export"):
                    pass
                if cur.take_list("import"):
                    if defined is not None:
                        raise error(f"import after {defined}", node)
                else:
                    defined = defined or {"func": "function"}.get(head, head)
                    if head == "table" and any(_is_list(x, "elem") for x in node.items):
                        self._bind("elem", None)
                    if head == "memory" and any(_is_list(x, "data") for x in node.items):
                        self._bind("data", None)
                self._bind(head, ident)
            elif head in ("elem", "data"):
                self._bind(head, cur.take_id())
            elif head in ("export", "start"):
                pass
            else:
                raise _later_type(node) or error(f"unknown module field {head}", node)

    # --- type uses -----------------------------------------------------------------

    def _func_sig(
        self,
        cur: _Cursor,
        names: dict[str, int] | None,
        allow_names: bool = True,
        in_typedef: bool = False,
    ) -> tuple[list[int], list[int]]:
        """`(param ...)* (result ...)*`; binds param ids into `names` when given."""
        params: list[int] = []
        results: list[int] = []
        while (pl := cur.take_list("param")) is not None:
            pc = _Cursor(pl.items, 1, pl)
            ident = pc.take_id()
            if ident is not None:
                if not allow_names:
                    raise error("unexpected token, named parameter not allowed here", ident)
                params.append(_valtype(pc.next("a value type"), pl))
                pc.expect_end()
                if names is not None:
                    name = _id_name(ident)
                    if name in names:
                        raise error(f"duplicate local {ident.text}", ident)
                    names[name] = len(params) - 1
            else:
                while not pc.done():
                    params.append(_valtype(pc.next(), pl))
        while (rl := cur.take_list("result")) is not None:
            rc = _Cursor(rl.items, 1, rl)
            while not rc.done():
                results.append(_valtype(rc.next(), rl))
        late = cur.peek()
        if _is_list(late, "param"):
            # Wasm 2.0's scripts expect "unexpected token" for both type definitions and
            # other type uses; older copies expected "result before parameter".
            where = ": result before parameter" if in_typedef else ""
            raise error(f"unexpected token (param) after (result){where}", late)
        return params, results

    def implicit_type(self, ft: FuncType) -> int:
        """Index of the first type equal to `ft`, appending it if there is none."""
        for i, t in enumerate(self.m.types):
            if t == ft:
                return i
        self.m.types.append(ft)
        return len(self.m.types) - 1

    def typeuse(
        self, cur: _Cursor, names: dict[str, int] | None = None, allow_names: bool = True
    ) -> tuple[int, bool, FuncType]:
        """`(type x)? (param ...)* (result ...)*` -> (type index, had (type x), type)."""
        tl = cur.take_list("type")
        params, results = self._func_sig(cur, names, allow_names)
        ft = FuncType(tuple(params), tuple(results))
        if tl is None:
            return self.implicit_type(ft), False, ft
        tc = _Cursor(tl.items, 1, tl)
        x = tc.next("a type index")
        idx = self.index(x, "type", tl)
        tc.expect_end()
        if idx >= len(self.m.types):
            # A numeric index out of range is a validation error ("unknown type"), which
            # the validator reports; keep the index and the inline signature.
            return idx, True, ft
        declared = self.m.types[idx]
        if (params or results) and declared != ft:
            raise error("inline function type does not match the type definition", tl)
        return idx, True, declared

    def blocktype(self, cur: _Cursor) -> int:
        if _is_list(cur.peek(), "type"):
            return self.typeuse(cur, allow_names=False)[0]
        params, results = self._func_sig(cur, None, allow_names=False)
        if not params and not results:
            return BLOCK_EMPTY
        if not params and len(results) == 1:
            return blocktype_of(results[0])
        return self.implicit_type(FuncType(tuple(params), tuple(results)))

    # --- pass 2: fields --------------------------------------------------------------

    def build(self, fields: list[Node]) -> Module:
        m = self.m
        counters = dict.fromkeys(_SPACES, 0)
        for node in fields:
            assert isinstance(node, SList)
            head = node.head
            cur = _Cursor(node.items, 1, node)
            if head == "type":
                continue
            if head == "import":
                mod = string_to_name(cur.next("a module name"))
                name = string_to_name(cur.next("an import name"))
                desc = cur.next()
                assert isinstance(desc, SList) and desc.head is not None
                cur.expect_end()
                dc = _Cursor(desc.items, 1, desc)
                ident = dc.take_id()
                idx = counters[desc.head]
                counters[desc.head] += 1
                self._import(desc.head, dc, mod, name, ident, idx)
                dc.expect_end()
            elif head in _EXT_KIND:
                ident = cur.take_id()
                idx = counters[head]
                counters[head] += 1
                while (el := cur.take_list("export")) is not None:
                    ec = _Cursor(el.items, 1, el)
                    m.exports.append(
                        Export(string_to_name(ec.next("a name")), _EXT_KIND[head], idx)
                    )
                    ec.expect_end()
                il = cur.take_list("import")
                if il is not None:
                    ic = _Cursor(il.items, 1, il)
                    mod = string_to_name(ic.next("a module name"))
                    name = string_to_name(ic.next("an import name"))
                    ic.expect_end()
                    self._import(head, cur, mod, name, ident, idx)
                    cur.expect_end()
                elif head == "func":
                    self._func(cur, ident, idx)
                elif head == "table":
                    self._table(cur, node, counters)
                elif head == "memory":
                    self._memory(cur, node, counters)
                else:
                    gt = self._globaltype(cur, node)
                    init = self.expr(cur)
                    m.globals.append(Global(gt, init))
            elif head == "export":
                name = string_to_name(cur.next("a name"))
                desc = cur.next("an export description")
                cur.expect_end()
                if not isinstance(desc, SList) or desc.head not in _EXT_KIND:
                    raise error("unexpected token, expected an export description", desc)
                dc = _Cursor(desc.items, 1, desc)
                idx = self.index(dc.next("an index"), desc.head, desc)
                dc.expect_end()
                m.exports.append(Export(name, _EXT_KIND[desc.head], idx))
            elif head == "start":
                if m.start is not None:
                    raise error("multiple start sections", node)
                m.start = self.index(cur.next("a function index"), "func", node)
                cur.expect_end()
            elif head == "elem":
                cur.take_id()
                counters["elem"] += 1
                self._elem(cur, node)
            elif head == "data":
                cur.take_id()
                counters["data"] += 1
                self._data(cur, node)
        m.data_count = len(m.datas)
        return m

    def _import(
        self, kind: str, cur: _Cursor, mod: str, name: str, ident: Atom | None, idx: int
    ) -> None:
        m = self.m
        if kind == "func":
            tidx = self.typeuse(cur, {})[0]
            m.imports.append(Import(mod, name, EXT_FUNC, tidx))
            if ident is not None:
                m.func_names[idx] = _id_name(ident)
        elif kind == "table":
            limits = self._limits(cur, cur.owner, 32)
            elem = _reftype(cur.next("a reference type"), cur.owner)
            m.imports.append(Import(mod, name, EXT_TABLE, TableType(elem, limits)))
        elif kind == "memory":
            m.imports.append(
                Import(mod, name, EXT_MEMORY, MemoryType(self._limits(cur, cur.owner)))
            )
        else:
            m.imports.append(Import(mod, name, EXT_GLOBAL, self._globaltype(cur, cur.owner)))

    def _limits(self, cur: _Cursor, where: Node, bits: int = 32) -> Limits:
        if cur.keyword() == "i64":
            raise UnsupportedError(f"{where.line}:{where.col}: memory64 is not supported yet")
        lo = parse_uint(cur.next("a limit"), bits)
        hi = None
        node = cur.peek()
        if isinstance(node, Atom) and node.data is None and node.text[:1].isdigit():
            hi = parse_uint(cur.next(), bits)
        return Limits(lo, hi)

    def _globaltype(self, cur: _Cursor, where: Node) -> GlobalType:
        ml = cur.take_list("mut")
        if ml is not None:
            mc = _Cursor(ml.items, 1, ml)
            t = _valtype(mc.next("a value type"), ml)
            mc.expect_end()
            return GlobalType(t, True)
        return GlobalType(_valtype(cur.next("a value type"), where), False)

    def _func(self, cur: _Cursor, ident: Atom | None, idx: int) -> None:
        names: dict[str, int] = {}
        tidx, _, ft = self.typeuse(cur, names)
        nparams = len(ft.params)
        locals_: list[int] = []
        while (ll := cur.take_list("local")) is not None:
            lc = _Cursor(ll.items, 1, ll)
            lid = lc.take_id()
            if lid is not None:
                locals_.append(_valtype(lc.next("a value type"), ll))
                lc.expect_end()
                name = _id_name(lid)
                if name in names:
                    raise error(f"duplicate local {lid.text}", lid)
                names[name] = nparams + len(locals_) - 1
            else:
                while not lc.done():
                    locals_.append(_valtype(lc.next(), ll))
        body = self.instrs(cur, names)
        body.append((opcodes.END,))
        self.m.funcs.append(Func(tidx, locals_, body))
        if ident is not None:
            self.m.func_names[idx] = _id_name(ident)

    def _table(self, cur: _Cursor, node: SList, counters: dict[str, int]) -> None:
        if cur.keyword() in REFTYPES:
            elem_t = _reftype(cur.next(), node)
            el = cur.next("(elem ...)")
            cur.expect_end()
            if not _is_list(el, "elem"):
                raise error("unexpected token, expected (elem ...)", el)
            assert isinstance(el, SList)
            ec = _Cursor(el.items, 1, el)
            if _is_list(ec.peek()):
                items = self._elem_exprs(ec)
            else:
                items = self._func_indices(ec)
            n = len(items)
            table_idx = len(self.m.imported(EXT_TABLE)) + len(self.m.tables)
            self.m.tables.append(TableType(elem_t, Limits(n, n)))
            counters["elem"] += 1
            self.m.elems.append(Elem(ACTIVE, elem_t, items, table_idx, [(opcodes.I32_CONST, 0)]))
            return
        limits = self._limits(cur, node)
        elem_t = _reftype(cur.next("a reference type"), node)
        cur.expect_end()
        self.m.tables.append(TableType(elem_t, limits))

    def _memory(self, cur: _Cursor, node: SList, counters: dict[str, int]) -> None:
        dl = cur.take_list("data")
        if dl is not None:
            cur.expect_end()
            data = self._strings(_Cursor(dl.items, 1, dl))
            pages = (len(data) + PAGE_SIZE - 1) // PAGE_SIZE
            mem_idx = len(self.m.imported(EXT_MEMORY)) + len(self.m.mems)
            self.m.mems.append(MemoryType(Limits(pages, pages)))
            counters["data"] += 1
            self.m.datas.append(Data(ACTIVE, data, mem_idx, [(opcodes.I32_CONST, 0)]))
            return
        limits = self._limits(cur, node)
        cur.expect_end()
        self.m.mems.append(MemoryType(limits))

    def _strings(self, cur: _Cursor) -> bytes:
        out = bytearray()
        while not cur.done():
            node = cur.next()
            if not isinstance(node, Atom) or node.data is None:
                raise error("unexpected token, expected a string", node)
            out += node.data
        return bytes(out)

    def _offset(self, cur: _Cursor, where: Node) -> list:
        node = cur.next("an offset expression")
        if not isinstance(node, SList):
            raise error("unexpected token, expected an offset expression", node)
        if node.head == "offset":
            return self.expr(_Cursor(node.items, 1, node))
        return self.expr(_Cursor([node], 0, where))

    def _func_indices(self, cur: _Cursor) -> list[list]:
        out = []
        while not cur.done():
            out.append([(opcodes.REF_FUNC, self.index(cur.next(), "func", cur.owner))])
        return out

    def _elem_exprs(self, cur: _Cursor) -> list[list]:
        out = []
        while not cur.done():
            node = cur.next()
            if not isinstance(node, SList):
                raise error("unexpected token, expected an element expression", node)
            if node.head == "item":
                out.append(self.expr(_Cursor(node.items, 1, node)))
            else:
                out.append(self.expr(_Cursor([node], 0, node)))
        return out

    def _elemlist(self, cur: _Cursor, bare_ok: bool) -> tuple[int, list[list]]:
        kw = cur.keyword()
        if kw == "func":
            cur.next()
            return FUNCREF, self._func_indices(cur)
        if kw in REFTYPES:
            t = _reftype(cur.next(), cur.owner)
            return t, self._elem_exprs(cur)
        if bare_ok:
            return FUNCREF, self._func_indices(cur)
        raise error("unexpected token, expected an element list", cur.peek() or cur.owner)

    def _elem(self, cur: _Cursor, node: SList) -> None:
        if cur.keyword() == "declare":
            cur.next()
            t, items = self._elemlist(cur, False)
            self.m.elems.append(Elem(DECLARATIVE, t, items))
            return
        table_given = False
        table = 0
        tl = cur.take_list("table")
        if tl is not None:
            tc = _Cursor(tl.items, 1, tl)
            table = self.index(tc.next("a table index"), "table", tl)
            tc.expect_end()
            table_given = True
        elif _is_index(cur.peek()) and _is_list(
            cur.items[cur.i + 1] if cur.i + 1 < cur.end else None
        ):
            table = self.index(cur.next(), "table", node)  # pre-2.0 `(elem 0 (offset) ...)`
            table_given = True
        if _is_list(cur.peek()):
            offset = self._offset(cur, node)
            t, items = self._elemlist(cur, True)
            self.m.elems.append(Elem(ACTIVE, t, items, table, offset))
            return
        if table_given:
            raise error("unexpected token, expected an offset", cur.peek() or node)
        t, items = self._elemlist(cur, False)
        self.m.elems.append(Elem(PASSIVE, t, items))

    def _data(self, cur: _Cursor, node: SList) -> None:
        mem = 0
        ml = cur.take_list("memory")
        if ml is not None:
            mc = _Cursor(ml.items, 1, ml)
            mem = self.index(mc.next("a memory index"), "memory", ml)
            mc.expect_end()
        elif _is_index(cur.peek()):
            mem = self.index(cur.next(), "memory", node)  # pre-2.0 `(data 0 (offset) ...)`
        if _is_list(cur.peek()):
            offset = self._offset(cur, node)
            self.m.datas.append(Data(ACTIVE, self._strings(cur), mem, offset))
            return
        if ml is not None:
            raise error("unexpected token, expected an offset", cur.peek() or node)
        self.m.datas.append(Data(PASSIVE, self._strings(cur)))

    # --- instructions -------------------------------------------------------------------

    def expr(self, cur: _Cursor) -> list:
        """A constant expression: instructions without the final `end`."""
        return self.instrs(cur, {})

    def instrs(self, cur: _Cursor, locals_: dict[str, int]) -> list:
        """Expand the rest of `cur` (flat and folded instructions) into a flat list."""
        out: list[tuple] = []
        labels = _Labels()
        # Work items: ("seq", cursor, base label depth) | ("emit", instr) | ("pop",)
        #           | ("push", name, kind, node)
        work: list[tuple] = [("seq", cur, 0)]
        while work:
            task = work.pop()
            kind = task[0]
            if kind == "emit":
                out.append(task[1])
                continue
            if kind == "pop":
                labels.stack.pop()
                continue
            if kind == "push":
                labels.stack.append([task[1], task[2], task[3]])
                continue
            c: _Cursor = task[1]
            base: int = task[2]
            if c.done():
                if len(labels.stack) > base:
                    _, _, where = labels.stack[-1]
                    raise error("unclosed block: expected end", where)
                continue
            node = c.peek()
            if isinstance(node, SList):
                c.i += 1
                work.append(task)
                self._folded(node, work, labels, locals_)
            else:
                self._flat(c, out, labels, locals_, base)
                work.append(task)
        return out

    def _label_decl(self, cur: _Cursor) -> str | None:
        ident = cur.take_id()
        return _id_name(ident) if ident is not None else None

    def _check_end_label(self, cur: _Cursor, entry: list) -> None:
        ident = cur.take_id()
        if ident is not None and _id_name(ident) != entry[0]:
            raise error(f"mismatching label {ident.text}", ident)

    def _flat(
        self, c: _Cursor, out: list, labels: _Labels, locals_: dict[str, int], base: int
    ) -> None:
        node = c.next()
        assert isinstance(node, Atom)
        name = node.text
        if node.data is not None:
            raise error("unexpected token (string)", node)
        if name in ("block", "loop", "if"):
            label = self._label_decl(c)
            bt = self.blocktype(c)
            out.append((opcodes.BY_NAME[name].code, bt))
            labels.stack.append([label, name, node])
            return
        if name in ("else", "end"):
            if len(labels.stack) <= base:
                raise error(f"unexpected token {name}", node)
            entry = labels.stack[-1]
            if name == "else":
                if entry[1] != "if":
                    raise error("unexpected token else", node)
                entry[1] = "else"
                self._check_end_label(c, entry)
                out.append((opcodes.ELSE,))
            else:
                self._check_end_label(c, entry)
                labels.stack.pop()
                out.append((opcodes.END,))
            return
        out.append(self._plain(name, node, c, labels, locals_))

    def _folded(self, node: SList, work: list, labels: _Labels, locals_: dict[str, int]) -> None:
        name = node.head
        if name is None:
            raise error("unexpected token, expected an instruction", node)
        c = _Cursor(node.items, 1, node)
        first = node.items[0]
        depth = len(labels.stack)
        if name in ("block", "loop"):
            label = self._label_decl(c)
            bt = self.blocktype(c)
            # Executed in reverse order of pushing.
            work.append(("pop",))
            work.append(("emit", (opcodes.END,)))
            work.append(("seq", c, depth + 1))
            work.append(("push", label, name, node))
            work.append(("emit", (opcodes.BY_NAME[name].code, bt)))
            return
        if name == "if":
            label = self._label_decl(c)
            bt = self.blocktype(c)
            cond_start = c.i
            while not c.done() and not _is_list(c.peek(), "then"):
                if not isinstance(c.peek(), SList):
                    raise error("unexpected token, expected (then ...)", c.peek())
                c.i += 1
            cond = _Cursor(node.items, cond_start, node, c.i)
            then = c.take_list("then")
            if then is None:
                raise error("unexpected token ), expected (then ...)", node)
            els = c.take_list("else")
            c.expect_end()
            work.append(("pop",))
            work.append(("emit", (opcodes.END,)))
            if els is not None:
                work.append(("seq", _Cursor(els.items, 1, els), depth + 1))
                work.append(("emit", (opcodes.ELSE,)))
            work.append(("seq", _Cursor(then.items, 1, then), depth + 1))
            work.append(("push", label, "if", node))
            work.append(("emit", (opcodes.IF, bt)))
            work.append(("seq", cond, depth))
            return
        assert isinstance(first, Atom)
        if name in ("else", "end", "then"):
            raise error(f"unexpected token {name}", first)
        instr = self._plain(name, first, c, labels, locals_)
        for child in node.items[c.i :]:
            if not isinstance(child, SList):
                raise error(f"unexpected token {child.text}", child)
        work.append(("emit", instr))
        work.append(("seq", c, depth))

    def _plain(
        self, name: str, node: Atom, c: _Cursor, labels: _Labels, locals_: dict[str, int]
    ) -> tuple:
        """One plain instruction and its immediates."""
        op = _op_by_name(name)
        if op is None and name in _NOT_INSTRUCTIONS:
            raise error(f"unexpected token {name}", node)
        if op is None:
            unsup = _unsupported(name, node)
            if unsup is not None:
                raise unsup
            raise error(f"unknown operator {name}", node)
        imm = op.imm
        code = op.code
        if imm == Imm.NONE:
            if code == opcodes.SELECT and _is_list(c.peek(), "result"):
                types: list[int] = []
                while (rl := c.take_list("result")) is not None:
                    rc = _Cursor(rl.items, 1, rl)
                    while not rc.done():
                        types.append(_valtype(rc.next(), rl))
                return (opcodes.SELECT_T, tuple(types))
            return (code,)
        if imm == Imm.LABEL:
            return (code, labels.resolve(c.next("a label")))
        if imm == Imm.BR_TABLE:
            targets = [labels.resolve(c.next("a label"))]
            while _is_index(c.peek()):
                targets.append(labels.resolve(c.next()))
            return (code, tuple(targets[:-1]), targets[-1])
        if imm == Imm.FUNC:
            return (code, self.index(c.next("a function index"), "func", node))
        if imm == Imm.CALL_INDIRECT:
            table = 0
            if _is_index(c.peek()):
                table = self.index(c.next(), "table", node)
            tidx = self.typeuse(c, allow_names=False)[0]
            return (code, tidx, table)
        if imm == Imm.LOCAL:
            x = c.next("a local index")
            if _is_id(x):
                idx = locals_.get(_id_name(x))  # type: ignore[arg-type]
                if idx is None:
                    raise error(f"unknown local {x.text}", x)  # type: ignore[union-attr]
                return (code, idx)
            return (code, parse_uint(x))
        if imm == Imm.GLOBAL:
            return (code, self.index(c.next("a global index"), "global", node))
        if imm == Imm.TABLE:
            table = self.index(c.next(), "table", node) if _is_index(c.peek()) else 0
            return (code, table)
        if imm == Imm.MEMORY:
            mem = self.index(c.next(), "memory", node) if _is_index(c.peek()) else 0
            return (code, mem)
        if imm == Imm.MEMARG:
            return (code, *self._memarg(c, op))
        if imm in (Imm.I32, Imm.I64):
            x = c.next("a number")
            if not isinstance(x, Atom) or x.data is not None:
                raise error("unexpected token, expected a number", x)
            return (code, parse_int(x, 32 if imm == Imm.I32 else 64))
        if imm in (Imm.F32, Imm.F64):
            x = c.next("a number")
            if not isinstance(x, Atom) or x.data is not None:
                raise error("unexpected token, expected a number", x)
            if not looks_numeric(x.text):
                raise error(f"unknown operator {x.text}", x)
            return (code, parse_float(x, 32 if imm == Imm.F32 else 64))
        if imm == Imm.REFTYPE:
            x = c.next("a heap type")
            if isinstance(x, Atom) and x.data is None and x.text in HEAPTYPES:
                return (code, HEAPTYPES[x.text])
            raise error("unexpected token, expected func or extern", x)
        if imm == Imm.ELEM:
            return (code, self.index(c.next("an element index"), "elem", node))
        if imm == Imm.DATA:
            return (code, self.index(c.next("a data index"), "data", node))
        if imm == Imm.MEMORY_INIT:
            x = c.next("a data index")
            mem = 0
            if _is_index(c.peek()):  # multi-memory form: memory.init mem data
                mem = self.index(x, "memory", node)
                x = c.next()
            return (code, self.index(x, "data", node), mem)
        if imm == Imm.MEMORY_COPY:
            if _is_index(c.peek()):
                dst = self.index(c.next(), "memory", node)
                src = self.index(c.next("a memory index"), "memory", node)
                return (code, dst, src)
            return (code, 0, 0)
        if imm == Imm.TABLE_INIT:
            x = c.next("an element index")
            table = 0
            if _is_index(c.peek()):
                table = self.index(x, "table", node)
                x = c.next()
            return (code, self.index(x, "elem", node), table)
        if imm == Imm.TABLE_COPY:
            if _is_index(c.peek()):
                dst = self.index(c.next(), "table", node)
                src = self.index(c.next("a table index"), "table", node)
                return (code, dst, src)
            return (code, 0, 0)
        raise error(f"unknown operator {name}", node)  # pragma: no cover

    def _memarg(self, c: _Cursor, op: opcodes.Op) -> tuple[int, int]:
        offset = 0
        align = op.natural_align or 0
        kw = c.keyword()
        if kw is not None and kw.startswith("offset="):
            node = c.next()
            offset = parse_uint(Atom(kw[7:], node.line, node.col), 32)
            kw = c.keyword()
        if kw is not None and kw.startswith("align="):
            node = c.next()
            value = parse_uint(Atom(kw[6:], node.line, node.col), 32)
            if value == 0 or value & (value - 1):
                raise error("alignment must be a power of two", node)
            align = value.bit_length() - 1
        return align, offset


def parse_module_fields(fields: list[Node], name: str | None = None) -> Module:
    """A module from its already-read field S-expressions (used by `wast.py`)."""
    p = ModuleParser()
    p.scan(fields)
    m = p.build(fields)
    m.module_name = name
    return m


def parse_module_node(node: SList) -> Module:
    """A module from a `(module $id? field*)` list."""
    cur = _Cursor(node.items, 1, node)
    ident = cur.take_id()
    kw = cur.keyword()
    if kw in ("binary", "quote"):
        raise error(f"unexpected token {kw}: not a text module", cur.peek())
    name = _id_name(ident) if ident is not None else None
    return parse_module_fields(node.items[cur.i :], name)


def parse_module(source: str) -> Module:
    """Parse one WAT module: `(module ...)` or a bare sequence of module fields."""
    try:
        nodes = read_sexprs(source)
        if nodes and isinstance(nodes[0], SList) and nodes[0].head == "module":
            if len(nodes) > 1:
                extra = nodes[1]
                raise error("unexpected token after the module", extra)
            return parse_module_node(nodes[0])
        return parse_module_fields(nodes)
    except RecursionError:  # pragma: no cover - the parser is iterative; belt and braces
        raise TextError("nesting too deep") from None
