"""Translations: English source strings, Chinese by default.

UI strings are written in English inside `self.tr("…")` (or `tr("…")` below
for code outside a QObject; `N_("…")` marks literals in tables translated
later) and translated through
`resources/translations/zh_CN.json`, a flat {English: Chinese} dictionary,
plus one fragment per feature area in `resources/translations/zh_CN/*.json`
(merged at load; a phrase must not get two different translations), so
features developed side by side never edit the same file.
Why JSON and not a compiled .qm: PySide6 does call a Python override of
`QTranslator.translate()` (checked when this was written, and by
tests/ui/test_i18n.py), so the dictionary is edited and reviewed as plain
text, and tests/ui/test_i18n.py fails when a `tr()` literal has no entry.

Qt's own `qtbase_zh_CN.qm` is loaded too, or standard dialogs (file
pickers, message-box buttons) would stay in English (Picard's lesson).
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from pharmacy_app.paths import resource

DEFAULT_LANGUAGE = "zh_CN"


def translations_file(language: str) -> Path:
    return resource("translations", f"{language}.json")


def translation_files(language: str) -> list[Path]:
    """The main file of `language` and its per-area fragments, in load order."""
    main = translations_file(language)
    fragments = main.with_suffix("")
    files = [main] if main.exists() else []
    if fragments.is_dir():
        files.extend(sorted(fragments.glob("*.json")))
    return files


def load_catalog(language: str) -> dict[str, str]:
    """The {English: translation} entries of `language` ({} if none)."""
    catalog: dict[str, str] = {}
    for path in translation_files(language):
        data = json.loads(path.read_text(encoding="utf-8"))
        catalog.update({str(k): str(v) for k, v in data.items() if v})
    return catalog


class JsonTranslator(QTranslator):
    """A QTranslator answering from a dictionary instead of a .qm file.

    The context is ignored: one English phrase has one translation app-wide,
    which keeps the vocabulary consistent. Unknown strings return None — a
    *null* QString — so Qt asks the next translator (qtbase) and finally
    shows the source text. Returning '' instead would be an empty but
    non-null answer: Qt would stop there and show a blank label.
    """

    def __init__(self, catalog: dict[str, str], parent: QCoreApplication | None = None) -> None:
        super().__init__(parent)
        self._catalog = catalog

    def translate(  # type: ignore[override]
        self,
        context: str,
        source_text: str,
        disambiguation: str | None = None,
        n: int = -1,
    ) -> str | None:
        return self._catalog.get(source_text)

    def isEmpty(self) -> bool:  # noqa: N802 - Qt's name
        return not self._catalog


def install_translations(app: QCoreApplication, language: str) -> list[QTranslator]:
    """Install Qt's and the app's translators for `language`; returns them so
    the caller keeps them alive (a collected translator is a dangling pointer).

    English needs nothing: the sources are English.
    """
    installed: list[QTranslator] = []
    if language == "en":
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
        return installed
    QLocale.setDefault(QLocale(language))
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    qtbase = QTranslator(app)
    if qtbase.load(f"qtbase_{language}", qt_dir):
        app.installTranslator(qtbase)
        installed.append(qtbase)
    catalog = load_catalog(language)
    if catalog:
        # Installed last, so it is asked first.
        ours = JsonTranslator(catalog, app)
        app.installTranslator(ours)
        installed.append(ours)
    return installed


def N_(text: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a literal for translation where it is defined (a table of labels)
    and translate it where it is shown, with tr(variable). Returns it as is;
    tests/ui/test_i18n.py collects N_ literals like tr literals."""
    return text


def tr(text: str) -> str:
    """Translate a UI string outside a QObject (module-level tables, helpers)."""
    return QCoreApplication.translate("PharmacyDesk", text)
