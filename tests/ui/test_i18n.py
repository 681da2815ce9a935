"""Translations: every UI string has a Chinese entry, and Qt uses them."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator
from PySide6.QtWidgets import QApplication

from ui.i18n import JsonTranslator, install_translations, load_catalog, translation_files

UI_DIR = Path(__file__).resolve().parents[2] / "ui"
TR_NAMES = {"tr", "_tr", "N_"}


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def ui_strings() -> tuple[dict[str, str], list[str]]:
    """Every literal passed to tr()/_tr()/self.tr()/N_() in ui/, and the places
    where an f-string is passed (which can never be translated)."""
    found: dict[str, str] = {}
    bad: list[str] = []
    for path in sorted(UI_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _call_name(node) not in TR_NAMES:
                continue
            if not node.args:
                continue
            arg = node.args[0]
            where = f"{path.relative_to(UI_DIR.parent)}:{node.lineno}"
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.setdefault(arg.value, where)
            elif isinstance(arg, ast.JoinedStr):
                bad.append(where)
    return found, bad


def test_every_ui_string_has_a_chinese_translation():
    strings, _ = ui_strings()
    catalog = load_catalog("zh_CN")
    missing = {s: where for s, where in strings.items() if not catalog.get(s)}
    assert not missing, "add to resources/translations/zh_CN/<area>.json:\n" + "\n".join(
        f"{json.dumps(s, ensure_ascii=False)}  ({where})" for s, where in missing.items()
    )
    assert len(strings) > 100  # the scan really found the UI's strings


def test_no_formatted_string_is_passed_to_tr():
    """tr(f"…") looks the formatted text up, which is never in the catalog:
    format after translating, tr("… {0}").format(x)."""
    _, bad = ui_strings()
    assert not bad


def test_translation_file_has_no_stale_entries():
    strings, _ = ui_strings()
    for path in translation_files("zh_CN"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert sorted(set(data) - set(strings)) == [], path


def test_translation_fragments_agree():
    """A phrase translated in two files gets the same Chinese in both, so
    which fragment loads last never changes the UI."""
    seen: dict[str, tuple[str, str]] = {}
    for path in translation_files("zh_CN"):
        for source, target in json.loads(path.read_text(encoding="utf-8")).items():
            if source in seen:
                assert seen[source][0] == target, (source, seen[source][1], path.name)
            seen[source] = (target, path.name)


def test_placeholders_survive_translation():
    catalog = load_catalog("zh_CN")
    for source, target in catalog.items():
        for i in range(5):
            assert (f"{{{i}}}" in source) == (f"{{{i}}}" in target), source


def test_pyside_calls_the_python_translator(qapp: QApplication):
    """The JSON approach depends on PySide6 calling the Python override."""
    translator = JsonTranslator({"Hello": "你好"})
    qapp.installTranslator(translator)
    try:
        assert QCoreApplication.translate("Any", "Hello") == "你好"
        assert QCoreApplication.translate("Any", "Unknown") == "Unknown"
    finally:
        qapp.removeTranslator(translator)


def test_qt_standard_dialogs_translation_is_available():
    """qtbase_zh_CN.qm ships with PySide6, so standard buttons are Chinese."""
    translator = QTranslator()
    assert translator.load(
        "qtbase_zh_CN", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    )
    assert translator.translate("QPlatformTheme", "Cancel") == "取消"


@pytest.fixture
def chinese(qapp: QApplication):
    installed = install_translations(qapp, "zh_CN")
    yield installed
    for translator in installed:
        qapp.removeTranslator(translator)


def test_install_translations_chinese(chinese):
    assert len(chinese) == 2
    assert QCoreApplication.translate("MainWindow", "Catalogue") == "采购目录"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"


def test_install_translations_english_installs_nothing(qapp: QApplication):
    assert install_translations(qapp, "en") == []
    assert QCoreApplication.translate("MainWindow", "Catalogue") == "Catalogue"
