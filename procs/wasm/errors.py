"""The engine's exceptions: one base, one class per way a module can fail.

Each message is a single line that says what was wrong and where (byte offset,
function index or name), because it is what a user sees.
"""

from __future__ import annotations


class WasmError(Exception):
    """Base of every error the engine raises on purpose."""


class MalformedError(WasmError):
    """The bytes (or text) are not a well-formed module: decoding or parsing failed."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        self.offset = offset
        if offset is not None:
            message = f"{message} (at byte offset 0x{offset:x})"
        super().__init__(message)


class UnsupportedError(MalformedError):
    """A feature from a later proposal (SIMD, threads, GC, ...) that is not supported yet."""


class InvalidError(WasmError):
    """The module decodes but breaks a validation (typing) rule."""

    def __init__(self, message: str, func: int | None = None, offset: int | None = None) -> None:
        self.func = func
        self.offset = offset
        where = []
        if func is not None:
            where.append(f"in function {func}")
        if offset is not None:
            where.append(f"at byte offset 0x{offset:x}")
        if where:
            message = f"{message} ({', '.join(where)})"
        super().__init__(message)


class LinkError(WasmError):
    """Instantiation failed because an import is missing or has the wrong type."""


class Trap(WasmError):
    """Execution trapped. `kind` is the spec's trap message, e.g. "integer divide by zero"."""

    def __init__(self, kind: str, func: str | None = None) -> None:
        self.kind = kind
        self.func = func
        self.frames: list[str] = []
        super().__init__(kind)

    def __str__(self) -> str:
        if self.func is not None:
            return f"{self.kind} in function {self.func}"
        return self.kind


class Exhaustion(Trap):
    """The call stack (or another resource) ran out: "call stack exhausted"."""

    def __init__(self, kind: str = "call stack exhausted", func: str | None = None) -> None:
        super().__init__(kind, func)
