"""Project-wide rules: import direction (DESIGN.md §1) and a clean ruff."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Which top-level parts each part may import (besides itself and the standard library).
ALLOWED = {
    "wasios": {"shell", "kernel", "vfs", "procs"},
    "shell": {"kernel", "vfs"},
    "kernel": {"vfs"},
    "vfs": set(),
    "procs": set(),  # plus kernel/abi.py, checked below
}
PARTS = set(ALLOWED)


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.module, node.lineno))
    return out


def test_import_direction():
    bad = []
    for part in PARTS:
        for path in sorted((REPO / part).rglob("*.py")):
            for name, line in _imports(path):
                top = name.split(".")[0]
                if top not in PARTS or top == part:
                    continue
                if part == "procs" and name in ("kernel.abi", "kernel"):
                    continue
                if top not in ALLOWED[part]:
                    bad.append(f"{path.relative_to(REPO)}:{line} imports {name}")
    assert not bad, "\n".join(bad)


def test_nothing_imports_wasios_or_shell():
    bad = []
    for part in ("kernel", "vfs", "procs"):
        for path in sorted((REPO / part).rglob("*.py")):
            for name, line in _imports(path):
                if name.split(".")[0] in ("wasios", "shell"):
                    bad.append(f"{path.relative_to(REPO)}:{line} imports {name}")
    assert not bad, "\n".join(bad)


def test_ruff_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    check = subprocess.run([ruff, "check", "."], cwd=REPO, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = subprocess.run([ruff, "format", "--check", "."], cwd=REPO, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
