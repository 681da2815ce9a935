"""Telling the user what went wrong, in two kinds (qutebrowser's lesson).

The environment's fault — the database is locked or too new, the disk is
full, a file cannot be read, an import file is unusable, a product is
invalid — gets a plain message: the user can act on it and it is not a bug.
Anything else is a bug: it reaches a crash dialog with the traceback and a
"Copy details" button, so the user can send it to support.
"""

from __future__ import annotations

import platform
import sqlite3
import sys
import traceback
from types import TracebackType

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmacy_app import __version__ as app_version

# sqlite3 messages that describe the file or the machine, not our code.
_SQLITE_ENVIRONMENT = (
    "database is locked",
    "database table is locked",
    "database is busy",
    "disk i/o error",
    "database or disk is full",
    "unable to open database",
    "readonly database",
    "file is not a database",
    "database disk image is malformed",
)

# Exception classes, by module, that carry a message meant for the user.
# Looked up in sys.modules rather than imported: if the module was never
# loaded, the exception cannot be one of its classes, and startup stays light.
_USER_FACING = {
    "db.connection": ("DatabaseTooNew", "NotOurDatabase"),
    "pharmacy_app.importers": ("ImportFailed",),
    "pharmacy_app.catalogue": ("ProductInvalid",),
    "pharmacy_app.institutions": ("InstitutionError",),
}


def is_environment_error(exc: BaseException) -> bool:
    """True when `exc` is the environment's fault (plain message), False for a bug."""
    if isinstance(exc, OSError):
        return True
    if isinstance(exc, sqlite3.DatabaseError):
        # Constraint and SQL errors are ours; these messages are the file's.
        message = str(exc).lower()
        return any(part in message for part in _SQLITE_ENVIRONMENT)
    for module_name, names in _USER_FACING.items():
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for name in names:
            cls = getattr(module, name, None)
            if isinstance(cls, type) and isinstance(exc, cls):
                return True
    return False


def environment_message(exc: BaseException) -> str:
    """The plain message for an environment error, in the UI language."""
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            return _tr("The database is in use by another program. Close it and try again.")
        if "full" in text:
            return _tr("The disk is full. Free some space and try again.")
        if "readonly" in text:
            return _tr("The database file is read-only. Check its permissions.")
        if "not a database" in text or "malformed" in text:
            return _tr("The database file is damaged. Restore it from a backup.")
        return _tr("The database cannot be opened: {0}").format(exc)
    if isinstance(exc, PermissionError):
        return _tr("Permission denied: {0}").format(exc.filename or exc)
    if isinstance(exc, FileNotFoundError):
        return _tr("File not found: {0}").format(exc.filename or exc)
    if isinstance(exc, OSError) and exc.errno == 28:
        return _tr("The disk is full. Free some space and try again.")
    if isinstance(exc, OSError):
        return _tr("The file cannot be read or written: {0}").format(exc)
    return str(exc)


def _tr(text: str) -> str:
    return QCoreApplication.translate("Errors", text)


def crash_details(exc: BaseException, tb: str | None = None) -> str:
    """What support needs: versions, platform and the traceback."""
    if tb is None:
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return (
        f"Pharmacy Desk {app_version}\n"
        f"Python {platform.python_version()}, PySide6 {pyside_version}\n"
        f"{platform.platform()}\n\n{tb}"
    )


class CrashDialog(QDialog):
    """An unexpected error: what happened, the details, and a way to copy them."""

    def __init__(self, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Unexpected error"))
        self.details = details
        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "Pharmacy Desk ran into a problem it did not expect. Your data is safe: "
                "the operation was not completed. Please copy the details and send them "
                "to your support contact."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        text = QPlainTextEdit(details)
        text.setReadOnly(True)
        text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        text.setMinimumSize(560, 220)
        layout.addWidget(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton(self.tr("Copy details"))
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details)
        self.copy_button.setText(self.tr("Copied"))


def show_error(
    exc: BaseException, parent: QWidget | None = None, *, tb: str | None = None
) -> QDialog:
    """The default failure handler: a plain message or the crash dialog.

    Opened window-modal with open(), not exec(): no nested event loop, so
    nothing else runs re-entrantly under it. Returns the dialog (tests look
    at it; callers may ignore it).
    """
    parent = parent or QApplication.activeWindow()
    dialog: QDialog
    if is_environment_error(exc):
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(_tr("Pharmacy Desk"))
        box.setText(environment_message(exc))
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        dialog = box
    else:
        dialog = CrashDialog(crash_details(exc, tb), parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dialog.open()
    return dialog


def install_excepthook() -> None:
    """Send exceptions escaping Qt slots to the crash dialog instead of stderr only."""
    previous = sys.excepthook

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        previous(exc_type, exc, tb)
        if QApplication.instance() is None or issubclass(exc_type, KeyboardInterrupt):
            return
        show_error(exc, tb="".join(traceback.format_exception(exc_type, exc, tb)))

    sys.excepthook = hook
