"""Dialogs of the agreements page: purchase lines, supply emergencies, exemptions.

- `LinesDialog`: the purchase lines behind one agreement's figures, each with
  how the AV rules count it; a month filter; totals that equal the figures.
- `EmergenciesDialog` (AV-7/AV-8) and `ExemptionsDialog` (AV-9): the records
  listed, a form to add one, Remove for the selected one. Checks and writes
  are `pharmacy_app.agreement_records`' (the same for any caller), run on the
  worker; the page recomputes from the worker's data-changed signal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.agreements.models import (
    EMERGENCY_COLUMNS,
    EXEMPTION_COLUMNS,
    LINE_COLUMNS,
    REASON_NAMES,
    Column,
    ColumnTableModel,
    qty_text,
)
from ui.i18n import tr
from ui.page_parts import fit_columns
from ui.tables import make_table_view
from ui.worker import Changes, DbWorker, OpContext

if TYPE_CHECKING:
    from pharmacy_app.agreement_records import (
        AgreementYear,
        EmergencyRecord,
        ExemptionRecord,
        Records,
    )
    from pharmacy_app.indicators.agreement_detail import AgreementDetail, LineRow
    from pharmacy_app.indicators.agreements import AgreementFigures

ERROR_STYLE = "color: #b3261e;"
RECORD_TABLES = ("agreement_emergencies", "agreement_exemptions", "agreements", "institutions")


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


class LinesDialog(QDialog):
    """The purchase lines of one agreement's year up to the as-of date."""

    def __init__(
        self,
        figures: AgreementFigures,
        detail: AgreementDetail,
        month: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.figures = figures
        self.detail = detail
        self.setWindowTitle(self.tr("Purchase lines of {0} {1}").format(figures.batch, figures.generic))
        self.resize(1240, 640)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.intro = QLabel(
            self.tr(
                "Lines ordered from {0} to {1} of the selected, backup, non-selected and "
                "substitutable products of this 通用名, and how each counts."
            ).format(figures.start.isoformat(), min(figures.as_of, figures.end).isoformat())
        )
        self.intro.setWordWrap(True)
        top.addWidget(self.intro, 1)
        top.addWidget(QLabel(self.tr("Month")))
        self.month_combo = QComboBox()
        self.month_combo.setObjectName("monthFilter")
        self.month_combo.addItem(self.tr("All months"), None)
        for m in detail.months:
            if m.reached:
                self.month_combo.addItem(m.month, m.month)
        top.addWidget(self.month_combo)
        layout.addLayout(top)
        self.totals = QLabel()
        self.totals.setObjectName("linesTotals")
        self.totals.setWordWrap(True)
        layout.addWidget(self.totals)
        self.model: ColumnTableModel[LineRow] = ColumnTableModel(LINE_COLUMNS, self)
        self.view = make_table_view(self.model, "linesTable")
        layout.addWidget(self.view, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.month_combo.currentIndexChanged.connect(self._show)
        if month is not None:
            i = self.month_combo.findData(month)
            if i >= 0:
                self.month_combo.setCurrentIndex(i)
        self._show()

    def month(self) -> str | None:
        value = self.month_combo.currentData()
        return str(value) if value else None

    def _show(self) -> None:
        from pharmacy_app.indicators.agreement_detail import lines_in_month, summarise

        lines = lines_in_month(self.detail.lines, self.month())
        self.model.set_rows(lines)
        s = summarise(lines)
        excluded = sum(s.excluded.values(), 0)
        self.totals.setText(
            self.tr(
                "{0} lines · selected {1} (of which emergency backup {2}, AV-7) · "
                "non-selected {3} (AV-5) · excluded {4} (AV-8) · substitutable {5}"
            ).format(
                s.lines, qty_text(s.selected_qty), qty_text(s.emergency_backup_qty),
                qty_text(s.non_selected_qty), qty_text(excluded), qty_text(s.substitute_qty),
            )
        )
        fit_columns(self.view)


class RecordsDialog(QDialog):
    """A list of dated records, a form to add one, and Remove for the selected one.

    What differs between emergencies and exemptions is passed in: the columns,
    which records of `Records` to list, the extra form fields, how to read the
    form into a record, and the domain's save and delete functions (imported
    on the worker, so opening the dialog never loads the database layer).
    """

    saved = Signal()
    records_shown = Signal()

    def __init__(
        self,
        worker: DbWorker,
        title: str,
        intro: str,
        form_title: str,
        columns: list[Column[Any]],
        rows_of: Callable[[Records], Sequence[Any]],
        describe: Callable[[Any], str],
        delete: Callable[[OpContext, str, int], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.worker = worker
        self.records: Records | None = None
        self._rows_of = rows_of
        self._describe = describe
        self._delete = delete
        self._busy = False
        self.confirm_box: QMessageBox | None = None
        self.setWindowTitle(title)
        self.resize(880, 580)
        layout = QVBoxLayout(self)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        self.model: ColumnTableModel[Any] = ColumnTableModel(columns, self)
        self.view = make_table_view(self.model, "recordsTable")
        layout.addWidget(self.view, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.remove_button = QPushButton(self.tr("Remove…"))
        self.remove_button.setObjectName("removeRecord")
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self.ask_remove)
        row.addWidget(self.remove_button)
        layout.addLayout(row)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)

        self.form_box = QGroupBox(form_title)
        self.form = QFormLayout(self.form_box)
        self.generic_combo = QComboBox()
        self.generic_combo.setObjectName("genericCombo")
        self.batch_combo = QComboBox()
        self.batch_combo.setObjectName("batchCombo")
        self.form.addRow(self.tr("Generic name"), self.generic_combo)
        self.form.addRow(self.tr("Batch"), self.batch_combo)
        self.error_label = QLabel()
        self.error_label.setObjectName("recordErrors")
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.form.addRow(self.error_label)
        add_row = QHBoxLayout()
        add_row.addStretch(1)
        self.add_button = QPushButton(self.tr("Add"))
        self.add_button.setObjectName("addRecord")
        add_row.addWidget(self.add_button)
        self.form.addRow(add_row)
        layout.addWidget(self.form_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.generic_combo.currentIndexChanged.connect(self._fill_batches)
        worker.data_changed.connect(self._on_data_changed)

    def add_field(self, label: str, widget: QWidget) -> None:
        """A form row above the error line and the Add button."""
        self.form.insertRow(self.form.rowCount() - 2, label, widget)

    # -- loading -------------------------------------------------------------------
    def load(self) -> None:
        def work(ctx: OpContext) -> Records:
            from pharmacy_app.agreement_records import load_records

            return load_records(ctx.conn)

        self.worker.op(work).success(self._loaded).parent(self).run()

    def _loaded(self, records: Records) -> None:
        self.records = records
        self.model.set_rows(self._rows_of(records))
        fit_columns(self.view)
        self._fill_generics(records.agreements)
        self._selection_changed()
        self.records_shown.emit()

    def _on_data_changed(self, changes: Changes) -> None:
        if changes.touches(*RECORD_TABLES):
            self.load()

    def _fill_generics(self, agreements: tuple[AgreementYear, ...]) -> None:
        current = self.generic_combo.currentData()
        self.generic_combo.blockSignals(True)
        self.generic_combo.clear()
        for g in sorted({a.generic for a in agreements}):
            self.generic_combo.addItem(g, g)
        self.generic_combo.setCurrentIndex(max(0, self.generic_combo.findData(current)))
        self.generic_combo.blockSignals(False)
        self._fill_batches()

    def _fill_batches(self) -> None:
        generic = self.generic_combo.currentData()
        current = self.batch_combo.currentData()
        self.batch_combo.clear()
        self.batch_combo.addItem(self.tr("All batches"), "")
        if self.records is not None:
            for batch in sorted({a.batch for a in self.records.agreements if a.generic == generic}):
                self.batch_combo.addItem(batch, batch)
        self.batch_combo.setCurrentIndex(max(0, self.batch_combo.findData(current)))

    def select_generic(self, generic: str, batch: str = "") -> None:
        """Preset the form to one agreement (the page's selected row)."""
        i = self.generic_combo.findData(generic)
        if i >= 0:
            self.generic_combo.setCurrentIndex(i)
            self._fill_batches()
            self.batch_combo.setCurrentIndex(max(0, self.batch_combo.findData(batch)))

    def form_generic(self) -> tuple[str, str]:
        return str(self.generic_combo.currentData() or ""), str(self.batch_combo.currentData() or "")

    # -- adding --------------------------------------------------------------------
    def submit(self, save: Callable[[OpContext, str], Any]) -> None:
        """Run `save(ctx, institution_code)` on the worker; errors go under the form."""
        if self.records is None or self._busy:
            return
        code = self.records.institution_code
        self._busy = True
        self.add_button.setEnabled(False)

        def work(ctx: OpContext) -> Any:
            return save(ctx, code)

        self.worker.op(work).success(self._added).failure(self._add_failed).parent(self).run()

    def _added(self, _record: Any) -> None:
        self._busy = False
        self.add_button.setEnabled(True)
        self.error_label.clear()
        self.error_label.hide()
        self.saved.emit()

    def _add_failed(self, exc: BaseException) -> None:
        self._busy = False
        self.add_button.setEnabled(True)
        from pharmacy_app.agreement_records import RecordInvalid

        if isinstance(exc, RecordInvalid):
            self.error_label.setText("\n".join(str(e) for e in exc.errors))
            self.error_label.show()
            return
        from ui.errors import show_error

        show_error(exc, self)

    # -- removing ------------------------------------------------------------------
    def _selection_changed(self, *_args: Any) -> None:
        self.remove_button.setEnabled(self.selected_record() is not None)

    def selected_record(self) -> Any:
        rows = self.view.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def ask_remove(self) -> None:
        record = self.selected_record()
        if record is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.windowTitle(),
            self.tr("Remove {0}? The figures are recomputed without it.").format(
                self._describe(record)
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.accepted.connect(lambda: self.remove(int(record.id)))
        box.open()
        self.confirm_box = box

    def remove(self, record_id: int) -> None:
        """Delete one record on the worker (the confirmation has been given)."""
        if self.records is None:
            return
        code = self.records.institution_code
        delete = self._delete

        def work(ctx: OpContext) -> None:
            delete(ctx, code, record_id)

        self.worker.op(work).success(lambda _r: self.saved.emit()).parent(self).run()


def delete_emergency(ctx: OpContext, code: str, record_id: int) -> None:
    """On the worker: the domain's delete (imported there, not at startup)."""
    from pharmacy_app.agreement_records import delete_emergency as delete

    delete(ctx.conn, code, record_id)


def delete_exemption(ctx: OpContext, code: str, record_id: int) -> None:
    from pharmacy_app.agreement_records import delete_exemption as delete

    delete(ctx.conn, code, record_id)


def describe_emergency(record: EmergencyRecord) -> str:
    return tr("the emergency of {0} from {1} to {2}").format(
        record.generic, record.start.isoformat(), record.end.isoformat()
    )


def describe_exemption(record: ExemptionRecord) -> str:
    return tr("the exemption of {0} from {1}").format(record.generic, record.declared_on.isoformat())


def _date_edit(name: str, day: dt.date) -> QDateEdit:
    edit = QDateEdit()
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setDate(_qdate(day))
    return edit


class EmergenciesDialog(RecordsDialog):
    """AV-7/AV-8: declared supply emergencies of a 通用名 and date range."""

    def __init__(self, worker: DbWorker, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(
            worker,
            tr("Supply emergencies (AV-7)"),
            tr(
                "During a declared supply emergency of a 通用名 (经核实的供应紧张), purchases "
                "of the backup supplier's product count as selected (AV-7) and non-selected "
                "purchases leave the assessment (AV-8). Both days count."
            ),
            tr("Declare an emergency"),
            EMERGENCY_COLUMNS,
            lambda records: records.emergencies,
            describe_emergency,
            delete_emergency,
            parent,
        )
        self.start_edit = _date_edit("startDate", today)
        self.end_edit = _date_edit("endDate", today)
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("reasonEdit")
        self.reason_edit.setPlaceholderText(self.tr("e.g. the selected company cannot deliver"))
        self.confirmed_edit = QLineEdit()
        self.confirmed_edit.setObjectName("confirmedEdit")
        self.add_field(self.tr("First day"), self.start_edit)
        self.add_field(self.tr("Last day"), self.end_edit)
        self.add_field(self.tr("Reason"), self.reason_edit)
        self.add_field(self.tr("Confirmed by"), self.confirmed_edit)
        self.add_button.clicked.connect(self.add)
        self.load()

    def add(self) -> None:
        generic, batch = self.form_generic()
        start: dt.date = self.start_edit.date().toPython()
        end: dt.date = self.end_edit.date().toPython()
        reason, confirmed = self.reason_edit.text(), self.confirmed_edit.text()

        def save(ctx: OpContext, code: str) -> Any:
            from pharmacy_app.agreement_records import EmergencyRecord, save_emergency

            return save_emergency(ctx.conn, code, EmergencyRecord(
                generic=generic, batch=batch, start=start, end=end, reason=reason,
                confirmed_by=confirmed))

        self.submit(save)


EXEMPTION_REASONS = ("key_monitoring", "public_health_event", "guideline_change", "other")


class ExemptionsDialog(RecordsDialog):
    """AV-9: 通用名 exempt from the completion assessment, with reason and date."""

    def __init__(self, worker: DbWorker, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(
            worker,
            tr("Exemptions (AV-9)"),
            tr(
                "An exempt 通用名 is not assessed for completion of its agreed volume from the "
                "day the exemption is declared, for the procurement year containing that day."
            ),
            tr("Record an exemption"),
            EXEMPTION_COLUMNS,
            lambda records: records.exemptions,
            describe_exemption,
            delete_exemption,
            parent,
        )
        self.reason_combo = QComboBox()
        self.reason_combo.setObjectName("reasonCombo")
        for key in EXEMPTION_REASONS:
            self.reason_combo.addItem(tr(REASON_NAMES[key]), key)
        self.declared_edit = _date_edit("declaredOn", today)
        self.note_edit = QLineEdit()
        self.note_edit.setObjectName("noteEdit")
        self.note_edit.setPlaceholderText(self.tr("Required when the reason is Other"))
        self.add_field(self.tr("Reason"), self.reason_combo)
        self.add_field(self.tr("Declared on"), self.declared_edit)
        self.add_field(self.tr("Note"), self.note_edit)
        self.add_button.clicked.connect(self.add)
        self.load()

    def add(self) -> None:
        generic, batch = self.form_generic()
        reason = str(self.reason_combo.currentData())
        declared: dt.date = self.declared_edit.date().toPython()
        note = self.note_edit.text()

        def save(ctx: OpContext, code: str) -> Any:
            from pharmacy_app.agreement_records import ExemptionRecord, save_exemption

            return save_exemption(ctx.conn, code, ExemptionRecord(
                generic=generic, batch=batch, reason=reason, declared_on=declared, note=note))

        self.submit(save)
