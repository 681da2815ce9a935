"""Leaving the built-in demo for the user's own institution (File menu).

Why a fresh database rather than editing the demo's: the demo's catalogue,
purchases, agreements and its as-of day would otherwise become the user's
figures. The demo database is kept beside the new one, renamed
(`pharmacy_app.demo.start_own_institution`, the same step as
`pharmacy-app init --replace-demo`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from ui.dialog_parts import error_label, refusal_shown_in, save_cancel
from ui.home.page import level_name
from ui.worker import DbWorker, OpContext

LEVELS = ("grassroots", "secondary", "tertiary", "specialty")


class OwnInstitutionDialog(QDialog):
    """Code, name and level of the user's institution; saving sets the demo aside."""

    started = Signal(object)  # the path the demo database was moved to (or None)

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.setWindowTitle(self.tr("Start with my own institution"))
        form = QFormLayout(self)
        intro = QLabel(self.tr(
            "Your institution starts with an empty database: import your catalogue, "
            "agreements and purchases next (File › Import). The demo database is kept "
            "beside it, renamed, and is no longer opened."))
        intro.setWordWrap(True)
        form.addRow(intro)
        self.code = QLineEdit()
        self.code.setObjectName("institutionCode")
        self.code.setPlaceholderText("H46010001")
        form.addRow(self.tr("Institution code"), self.code)
        self.name = QLineEdit()
        self.name.setObjectName("institutionName")
        form.addRow(self.tr("Institution name"), self.name)
        self.level = QComboBox()
        for level in LEVELS:
            self.level.addItem(level_name(level), level)
        form.addRow(self.tr("Level"), self.level)
        self.remote = QCheckBox(self.tr("Remote area (72-hour delivery limit)"))
        form.addRow(self.remote)
        self.error = error_label()
        form.addRow(self.error)
        form.addRow(save_cancel(self, self.save))

    def save(self) -> None:
        from pharmacy_app.institutions import InstitutionError

        code, name = self.code.text(), self.name.text()
        level, remote = str(self.level.currentData()), self.remote.isChecked()

        def work(ctx: OpContext) -> Path | None:
            from pharmacy_app.demo import start_own_institution
            from pharmacy_app.institutions import check_institution

            check_institution(code, name, level)  # a mistake leaves the demo open
            ctx.close_connection()
            return start_own_institution(ctx.db_path, code, name, level, remote=remote)

        def done(aside: Path | None) -> None:
            self.started.emit(aside)
            self.accept()

        failed = refusal_shown_in(self.error, InstitutionError)
        self.worker.op(work).success(done).failure(failed).parent(self).run()
