"""User preferences and window state, over QSettings.

Picard's lesson: one typed registry of settings (key, type, default, title),
so a setting is declared once and read with the right type everywhere; the
window's geometry and splitter/header states are kept apart from preferences
(they are not something the user chooses, and resetting preferences must not
lose them). Settings are read and written on the main thread only.

The file is an INI file in the installation's data folder
(`pharmacy_app.paths.data_dir()`), not the registry or ~/.config: tests
redirect the data folder with PHARMACY_DESK_HOME, so no test touches the
user's real settings, and a user's data and preferences move together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from PySide6.QtCore import QByteArray, QSettings

from pharmacy_app.paths import data_dir

ORGANIZATION = "PharmacyDesk"
APPLICATION = "PharmacyDesk"
SETTINGS_FILE = "settings.ini"

# Bumped when a setting is renamed or its meaning changes; `upgrade` then
# moves old values over once.
SETTINGS_VERSION = 1

T = TypeVar("T", str, int, bool)


def open_settings() -> QSettings:
    """The settings file of the current data folder.

    Opened by explicit path each time (cheap), so a change of data folder —
    every test has its own — is always honoured.
    """
    path = data_dir() / SETTINGS_FILE
    return QSettings(str(path), QSettings.Format.IniFormat)


def redirect_default_settings() -> None:
    """Make a plain `QSettings()` (Qt's own widgets, a future page) write an
    INI file in the data folder too, never the registry or ~/.config."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(data_dir() / "qt-settings")
    )


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One user preference. `title` is shown in the UI (translated there)."""

    key: str
    type: type[T]
    default: T
    title: str

    def get(self) -> T:
        value = open_settings().value(self.key, self.default)
        if self.type is bool and isinstance(value, str):
            # INI files hand back 'true'/'false' as text.
            return value.lower() in ("true", "1")  # type: ignore[return-value]
        try:
            return self.type(value)  # type: ignore[call-arg]
        except (TypeError, ValueError):
            return self.default

    def set(self, value: T) -> None:
        settings = open_settings()
        settings.setValue(self.key, value)
        settings.sync()


LANGUAGES = {"zh_CN": "中文（简体）", "en": "English"}

LANGUAGE = Setting("ui/language", str, "zh_CN", "Language")

REGISTRY: tuple[Setting, ...] = (LANGUAGE,)


def upgrade() -> None:
    """Bring an older settings file up to SETTINGS_VERSION (nothing to move yet)."""
    settings = open_settings()
    version = int(settings.value("settings_version", 0) or 0)
    if version < SETTINGS_VERSION:
        settings.setValue("settings_version", SETTINGS_VERSION)
        settings.sync()


# -- window state (kept apart from preferences) ------------------------------


def save_state(name: str, state: QByteArray) -> None:
    """Store a widget's saveGeometry()/saveState() bytes under window/<name>."""
    settings = open_settings()
    settings.setValue(f"window/{name}", state)
    settings.sync()


def load_state(name: str) -> QByteArray | None:
    value = open_settings().value(f"window/{name}")
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None
