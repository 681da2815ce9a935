"""What the small entry dialogs share: the error line, Save/Cancel, and a refusal shown inline.

A refused entry (the domain names the field) is the user's to correct and is
shown in the dialog; anything else is a fault and goes to the error dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel


def error_label() -> QLabel:
    """The wrapping line a dialog shows a refused entry in."""
    label = QLabel()
    label.setObjectName("pageMessage")
    label.setWordWrap(True)
    return label


def save_cancel(dialog: QDialog, save: Callable[[], Any] | Any) -> QDialogButtonBox:
    """Save (calls or emits `save`) and Cancel (rejects the dialog)."""
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(save)
    buttons.rejected.connect(dialog.reject)
    return buttons


def refusal_shown_in(label: QLabel, refused: type[BaseException]
                     ) -> Callable[[BaseException], None]:
    """An operation's failure callback: `refused` in `label`, anything else as an error."""

    def failed(exc: BaseException) -> None:
        if isinstance(exc, refused):
            label.setText(str(exc))
            return
        from ui.errors import show_error

        show_error(exc, label.window())

    return failed
