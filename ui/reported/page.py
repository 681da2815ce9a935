"""报量: next year's reported volume per 通用名, with the AV-10 explanation rule.

Everything is computed by `pharmacy_app.reported_volumes` on the database
worker — the same functions `pharmacy-app reported` calls: the figures and
proposal (`compute_report`), saving (`save_entries`), importing
(`import_report`) and the export with its refusal (`export_report`). The
page holds only the draft of the user's edits (ReportModel).
"""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ui.page_parts import AsOfPage, fit_columns, message_label, page_layout
from ui.reported.model import ReportModel
from ui.tables import make_table_view
from ui.worker import Changes, DbWorker, OpContext

if TYPE_CHECKING:
    from pharmacy_app.reported_volumes import VolumeReport

WATCHED = (
    "reported_volumes",
    "agreements",
    "products",
    "purchase_lines",
    "institutions",
    "policy_profiles",
    "app_settings",
)

PAGE_STYLE = """
QLabel#pageMessage { color: #b3261e; }
QLabel#pageInfo { color: #2e7d32; }
QLabel#methodNote { color: #555; }
"""


def current_user() -> str:
    """Who entered a figure (stored with it): the operating-system user."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


def load_report(conn: object, as_of: dt.date | None, year: int | None) -> VolumeReport:
    """Runs on the worker: the report as of the chosen day (the demo's own day by default)."""
    from pharmacy_app.reported_volumes import compute_report
    from ui.essential.page import default_as_of

    return compute_report(conn, as_of or default_as_of(conn), year)  # type: ignore[arg-type]


class ReportedPage(AsOfPage):
    """Enter, import, check and export next year's reported volumes (AV-10)."""

    watched = WATCHED

    report_shown = Signal()
    exported = Signal(str)

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(worker, parent)
        self.report: VolumeReport | None = None
        self._file_dialog: QFileDialog | None = None
        self.setStyleSheet(PAGE_STYLE)
        self._build()

    # -- layout ------------------------------------------------------------------

    def _build(self) -> None:
        outer = page_layout(self)

        self.year_spin = QSpinBox()
        self.year_spin.setObjectName("reportYear")
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setValue(dt.date.today().year + 1)
        # A report year picked counts like a day picked: both are the user's choice.
        self.year_spin.valueChanged.connect(self._date_changed)
        self._add_header(outer, self.tr("Reported volumes (AV-10)"), institution=False,
                         controls=(QLabel(self.tr("Report year")), self.year_spin))

        self.method_label = QLabel()
        self.method_label.setObjectName("methodNote")
        self.method_label.setWordWrap(True)
        outer.addWidget(self.method_label)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        outer.addWidget(self.summary_label)

        tools = QHBoxLayout()
        self.proposals_button = QPushButton(self.tr("Use proposals for unreported"))
        self.proposals_button.clicked.connect(self.use_proposals)
        tools.addWidget(self.proposals_button)
        self.add_edit = QLineEdit()
        self.add_edit.setObjectName("addGeneric")
        self.add_edit.setPlaceholderText(self.tr("Another generic name, e.g. 阿司匹林肠溶片"))
        self.add_edit.returnPressed.connect(self.add_generic)
        tools.addWidget(self.add_edit, 1)
        self.add_button = QPushButton(self.tr("Add"))
        self.add_button.clicked.connect(self.add_generic)
        tools.addWidget(self.add_button)
        self.remove_button = QPushButton(self.tr("Remove added"))
        self.remove_button.setToolTip(self.tr("Remove a generic name you added"))
        self.remove_button.clicked.connect(self.remove_selected)
        tools.addWidget(self.remove_button)
        tools.addSpacing(16)
        self.import_button = QPushButton(self.tr("Import…"))
        self.import_button.clicked.connect(self.choose_import_file)
        tools.addWidget(self.import_button)
        self.revert_button = QPushButton(self.tr("Revert"))
        self.revert_button.clicked.connect(self.load)
        tools.addWidget(self.revert_button)
        self.save_button = QPushButton(self.tr("Save"))
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        tools.addWidget(self.save_button)
        self.export_button = QPushButton(self.tr("Export xlsx…"))
        self.export_button.clicked.connect(self.choose_export_file)
        tools.addWidget(self.export_button)
        outer.addLayout(tools)

        self.message = message_label()
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.message)

        self.model = ReportModel(self)
        self.view = make_table_view(self.model, "reportedTable", editable=True)
        outer.addWidget(self.view, 1)
        self.model.edited.connect(self._edited)
        self.model.rejected.connect(lambda text: self.say(text, error=True))
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self._update_buttons()

    # -- loading -----------------------------------------------------------------

    def load(self) -> None:
        if not self._start_load():
            return
        as_of = self.chosen_as_of()
        year = self.year_spin.value() if self._date_chosen else None

        def work(ctx: OpContext) -> VolumeReport:
            return load_report(ctx.conn, as_of, year)

        self.worker.op(work).success(self._loaded).failure(self._failed).parent(self).run()

    def _loaded(self, report: VolumeReport) -> None:
        if not self._load_finished():
            return
        self.report = report
        with self._setting_choices():
            self._set_as_of(report.as_of)
            self.year_spin.setValue(report.report_year)
        from pharmacy_app.reported_volumes import METHOD

        self.model.set_report(report)
        self.method_label.setText(METHOD)
        self.profile_label.setText(self.tr("Policy profile: {0}").format(report.profile))
        fit_columns(self.view, 240)
        self._show_summary()
        self._update_buttons()
        self.report_shown.emit()

    def _show_no_institution(self, text: str) -> None:
        self.say(text, error=True)

    def _on_data_changed(self, changes: Changes) -> None:
        if self.model.has_changes():
            return  # never throw away the user's draft; Revert reloads
        super()._on_data_changed(changes)

    # -- showing -----------------------------------------------------------------

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setObjectName("pageMessage" if error else "pageInfo")
        self.message.setStyleSheet("color: #b3261e;" if error else "color: #2e7d32;")
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _show_summary(self) -> None:
        rows = self.model.rowCount()
        unreported = len(self.model.unreported())
        missing = len(self.model.missing_explanations())
        text = self.tr(
            "{0} generic names · {1} reported · {2} not reported (no surplus retention) · "
            "{3} need a written explanation before export"
        ).format(rows, rows - unreported, unreported, missing)
        if self.model.has_changes():
            text += " · " + self.tr("unsaved changes")
        self.summary_label.setText(text)

    def _edited(self) -> None:
        self._show_summary()
        self._update_buttons()

    def _selected_row(self) -> int | None:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _update_buttons(self) -> None:
        changed = self.model.has_changes()
        self.save_button.setEnabled(changed)
        self.revert_button.setEnabled(changed)
        # Anything that reloads the report would drop the draft: save or revert first.
        for widget in (self.year_spin, self.date_edit, self.import_button, self.add_button,
                       self.add_edit):
            widget.setEnabled(not changed)
        row = self._selected_row()
        self.remove_button.setEnabled(
            not changed and row is not None and self.model.row_at(row).origin == "user"
        )
        self.export_button.setEnabled(self.model.rowCount() > 0)

    # -- actions -----------------------------------------------------------------

    def use_proposals(self) -> None:
        count = self.model.use_proposals()
        self.say(self.tr("Proposals entered for {0} generic names; save to keep them.").format(count))

    def save(self, then: object = None) -> None:
        """Store the draft (one transaction); `then` runs after a successful save."""
        entries = self.model.entries()
        if not entries:
            if callable(then):
                then()
            return
        year = self.model.report_year
        user = current_user()

        def work(ctx: OpContext) -> int:
            from pharmacy_app.reported_volumes import save_entries

            return save_entries(ctx.conn, year, entries, by=user)

        def saved(count: int) -> None:
            self.say(self.tr("Saved {0} generic names.").format(len(entries)))
            self._date_chosen = True
            self.load()
            if callable(then):
                then()

        self.worker.op(work).success(saved).failure(self._action_failed).parent(self).run()

    def add_generic(self) -> None:
        name = self.add_edit.text().strip()
        if not name:
            self.say(self.tr("Type the generic name to add."), error=True)
            return
        from pharmacy_app.reported_volumes import generic_keys

        # Compared as the import compares them (name and dosage form, spellings
        # folded): 厄贝沙坦片剂 is the 厄贝沙坦片 row already on the report, and a
        # second row would count the same purchases and leave the first unreported.
        keys = generic_keys(name)
        existing = next(
            (self.model.row_at(i).generic for i in range(self.model.rowCount())
             if keys & generic_keys(self.model.row_at(i).generic)),
            None,
        )
        if existing is not None:
            self.say(self.tr("{0} is already on the report.").format(existing), error=True)
            return
        year = self.model.report_year or self.year_spin.value()
        user = current_user()

        def work(ctx: OpContext) -> None:
            from pharmacy_app.reported_volumes import Entry, save_entries

            save_entries(ctx.conn, year, [Entry(name, None)], by=user)

        def added(_none: None) -> None:
            self.add_edit.clear()
            self.say(self.tr("{0} added; enter its quantity.").format(name))
            self.load()

        self.worker.op(work).success(added).failure(self._action_failed).parent(self).run()

    def remove_selected(self) -> None:
        row = self._selected_row()
        if row is None or self.model.row_at(row).origin != "user":
            return
        generic = self.model.row_at(row).generic
        year = self.model.report_year

        def work(ctx: OpContext) -> bool:
            from pharmacy_app.reported_volumes import remove_generic

            return remove_generic(ctx.conn, year, generic)

        self.worker.op(work).success(lambda _ok: self.load()).failure(
            self._action_failed).parent(self).run()

    def _action_failed(self, exc: BaseException) -> None:
        from pharmacy_app.reported_volumes import ReportError

        if isinstance(exc, ReportError):
            self.say(str(exc), error=True)
            return
        from ui.errors import show_error

        show_error(exc, self.window())

    def _file_dialog(self, save: bool) -> QFileDialog:
        dialog = QFileDialog(self.window())
        if save:
            dialog.setNameFilter(self.tr("Excel workbook (*.xlsx)"))
            dialog.setDefaultSuffix("xlsx")
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setWindowTitle(self.tr("Export reported volumes"))
            dialog.selectFile(f"报量_{self.model.report_year}.xlsx")
        else:
            dialog.setNameFilter(self.tr("Excel or CSV (*.xlsx *.xls *.csv)"))
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
            dialog.setWindowTitle(self.tr("Import reported volumes"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self._file_dialog = dialog
        return dialog

    def choose_import_file(self) -> None:
        dialog = self._file_dialog(save=False)
        dialog.fileSelected.connect(self.import_from)
        dialog.open()

    def choose_export_file(self) -> None:
        dialog = self._file_dialog(save=True)
        dialog.fileSelected.connect(self.export_to)
        dialog.open()

    def import_from(self, path: str | Path) -> None:
        """Import a file (通用名, 报量, 说明); a bad file changes nothing and names row and column."""
        source = Path(path)
        as_of, year = self.as_of(), self.model.report_year or self.year_spin.value()
        user = current_user()

        def work(ctx: OpContext) -> int:
            from pharmacy_app.reported_volumes import import_report

            return len(import_report(ctx.conn, source, as_of, year, by=user))

        def imported(count: int) -> None:
            self.say(self.tr("Imported {0} generic names from {1}.").format(count, source.name))
            self._date_chosen = True
            self.load()

        self.worker.op(work).success(imported).failure(self._action_failed).parent(self).run()

    def export_to(self, path: str | Path) -> None:
        """Save the draft, then export; AV-10 refusal names every 通用名 lacking an explanation."""
        target = Path(path)
        as_of, year = self.as_of(), self.model.report_year or self.year_spin.value()

        def work(ctx: OpContext) -> Path:
            from pharmacy_app.reported_volumes import compute_report, export_report

            return export_report(compute_report(ctx.conn, as_of, year), target)

        def done(out: Path) -> None:
            unreported = self.model.unreported()
            text = self.tr("Exported to {0}.").format(out)
            if unreported:
                text += " " + self.tr("Not reported (no surplus retention): {0}").format(
                    "、".join(unreported))
            self.say(text)
            self.exported.emit(str(out))

        def failed(exc: BaseException) -> None:
            from pharmacy_app.reported_volumes import ExportRefused

            if isinstance(exc, ExportRefused):
                self.say(
                    self.tr(
                        "Export refused (AV-10): write an explanation for {0} — the change "
                        "against last year's actual purchases is outside the allowed range."
                    ).format("、".join(exc.generics)),
                    error=True,
                )
                if exc.generics:
                    row = self.model.row_of(exc.generics[0])
                    self.view.setCurrentIndex(self.model.index(row, ReportModel.EXPLANATION))
                return
            self._action_failed(exc)

        def run_export() -> None:
            self.worker.op(work).success(done).failure(failed).parent(self).run()

        if self.model.has_changes():
            self.save(then=run_export)
        else:
            run_export()
