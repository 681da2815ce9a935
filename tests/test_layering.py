"""The layers stay apart (Anki's rule): only ui/ imports Qt, nothing imports ui/.

The domain (`pharmacy_app`, `db`, `reports`) must run headless — the command
line, the tests, a server — so it never imports PySide6; and it must not
depend on the window, so nothing outside ui/ imports ui, except the command
line's one lazy import that opens the window.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ("pharmacy_app", "db", "reports")
# (file, function) allowed to import ui lazily.
ALLOWED_UI_IMPORTS = {("pharmacy_app/cli.py", "open_window")}


def imports(path: Path) -> list[tuple[str, str | None]]:
    """(module imported, enclosing function or None) for every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[tuple[str, str | None]] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, child.name)
                continue
            if isinstance(child, ast.Import):
                found.extend((alias.name, function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.append((child.module, function))
            elif isinstance(child, ast.Call):
                # importlib.import_module("…") / __import__("…") with a literal.
                name = getattr(child.func, "attr", getattr(child.func, "id", ""))
                if name in ("import_module", "__import__") and child.args:
                    arg = child.args[0]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.append((arg.value, function))
            visit(child, function)

    visit(tree, None)
    return found


def python_files(*packages: str) -> list[Path]:
    files: list[Path] = []
    for package in packages:
        files.extend(p for p in (ROOT / package).rglob("*.py") if ".venv" not in p.parts)
    return sorted(files)


def top(module: str) -> str:
    return module.split(".")[0]


def test_domain_never_imports_qt():
    offenders = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in python_files(*DOMAIN)
        for module, _ in imports(path)
        if top(module) in ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pytestqt")
    ]
    assert offenders == []


def test_nothing_outside_ui_imports_ui():
    offenders = []
    for path in python_files(*DOMAIN, "resources", "scripts", "bench"):
        rel = path.relative_to(ROOT).as_posix()
        for module, function in imports(path):
            if top(module) == "ui" and (rel, function) not in ALLOWED_UI_IMPORTS:
                offenders.append(f"{rel}: {module} (in {function or 'module'})")
    assert offenders == []


def test_the_scan_sees_imports():
    """Guard against a scan that passes because it finds nothing."""
    cli = imports(ROOT / "pharmacy_app" / "cli.py")
    assert ("ui.app", "open_window") in cli
    assert any(top(m) == "PySide6" for m, _ in imports(ROOT / "ui" / "worker.py"))
