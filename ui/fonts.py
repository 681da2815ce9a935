"""Making sure Chinese never renders as boxes.

A bare Linux install (and some stripped-down Windows images) has no CJK
font; Qt then draws every Chinese character as a box. When the font database
reports no family for Simplified Chinese, the bundled WenQuanYi Micro Hei
(`resources/fonts/`, Apache-2.0) is registered and made the fallback of the
application font.
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication

from pharmacy_app.paths import resource

BUNDLED_FONT = resource("fonts", "wqy-microhei.ttc")


def system_has_cjk_font() -> bool:
    return bool(QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese))


def ensure_cjk_font(app: QGuiApplication, *, force: bool = False) -> str | None:
    """Register the bundled CJK font if the system has none (or `force`).

    Returns the family registered, or None when the system's own fonts are
    used. Must run after the QGuiApplication exists and before windows are
    created, so every widget inherits the application font.
    """
    if not force and system_has_cjk_font():
        return None
    font_id = QFontDatabase.addApplicationFont(str(BUNDLED_FONT))
    if font_id < 0:
        return None
    families = QFontDatabase.applicationFontFamilies(font_id)
    if not families:
        return None
    family = families[0]
    # The application font lists it after the platform's default, so Latin
    # text keeps the system look and Chinese finds its glyphs; fonts named
    # explicitly elsewhere (monospace in the crash dialog) get it as their
    # substitute. (Qt's per-script fallback API is not exposed by PySide6.)
    font = QFont(app.font())
    base = list(font.families()) or [font.family()]
    if family not in base:
        font.setFamilies([*base, family])
        app.setFont(font)
    for name in {*base, "Sans Serif", "Serif", "Monospace"}:
        QFont.insertSubstitution(name, family)
    return family
