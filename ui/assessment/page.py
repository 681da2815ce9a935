"""The assessment page (考核评分): SR-2 scores for a period, SR-3 basis and institution changes.

Every figure comes from `pharmacy_app.scoring.compute_assessment` — the code
behind `pharmacy-app assessment` — on the database worker. Entered figures
are validated by the domain (`validate_entry`, `save_entry`) and institution
changes recorded by `record_change`; a rejected value is shown beside the
form, naming the field, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.dialog_parts import error_label, refusal_shown_in, save_cancel
from ui.essential.page import PAGE_STYLE, FigureCard
from ui.home.page import level_name
from ui.i18n import N_, tr
from ui.page_parts import AsOfPage, fit_columns, message_label, page_layout
from ui.suppliers.models import Column, ColumnTableModel
from ui.tables import make_table_view
from ui.worker import DbWorker, OpContext

WATCHED = ("purchase_lines", "payments", "products", "agreements", "institutions",
           "policy_profiles", "app_settings", "assessment_entries", "institution_changes",
           "agreement_exemptions", "agreement_emergencies")

BASIS_NAMES = {"procurement": N_("Procurement year"), "natural": N_("Natural year")}
SOURCE_NAMES = {"computed": N_("Computed"), "entered": N_("Entered"), "missing": N_("Missing")}
KIND_NAMES = {"key": N_("Key"), "reference": N_("Reference")}
CHANGE_NAMES = {
    "merger": N_("Merger"),
    "split": N_("Split"),
    "station_transfer": N_("Transfer of a community station"),
    "closure": N_("Closure"),
    "designation_lost": N_("Loss of designated status"),
}
ENTRY_FIELDS = (
    ("cost_growth", N_("Per-visit drug cost growth rate (%)")),
    ("vbp_violations", N_("VBP-policy violations (count)")),
    ("price_violations", N_("Price violations (count)")),
    ("circulation", N_("Irregular circulation of VBP drugs (findings)")),
)

Row = dict[str, Any]


def _num(value: float) -> str:
    return f"{value:g}"


INDICATOR_COLUMNS: list[Column[Row]] = [
    Column(N_("Kind"), lambda r: tr(KIND_NAMES[r["kind"]])),
    Column(N_("Indicator"), lambda r: r["name"]),
    Column(N_("Indicator value"), lambda r: r["display"], align_right=True,
           warn=lambda r: r["source"] == "missing"),
    Column(N_("Source"), lambda r: tr(SOURCE_NAMES[r["source"]]),
           warn=lambda r: r["source"] == "missing"),
    Column(N_("Points earned"), lambda r: f"{_num(r['earned'])} / {_num(r['points'])}",
           align_right=True, warn=lambda r: r["earned"] < r["points"],
           good=lambda r: r["earned"] >= r["points"]),
    Column(N_("Weight"), lambda r: f"{r['weight'] * 100:g}%", align_right=True),
    Column(N_("Score"), lambda r: f"{r['score']:.2f}", align_right=True),
    Column(N_("Scoring method"), lambda r: r["method"], tooltip=lambda r: r["method"]),
]

def _qty(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _moved(value: float) -> str:
    """A quantity moved by an SR-3 change: whole units with separators, never 1.2e+06."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


AGREEMENT_COLUMNS: list[Column[Row]] = [
    Column(N_("Batch"), lambda r: r["batch"]),
    Column(N_("Generic name"), lambda r: r["generic"]),
    Column(N_("Procurement year"), lambda r: f"{r['start']} – {r['end']}"),
    Column(N_("Agreed quantity"), lambda r: _qty(r["agreed_qty"]), align_right=True),
    Column(N_("Moved by changes (SR-3)"), lambda r: _qty(r["moved_qty"]) if r["moved_qty"] else "",
           align_right=True),
    Column(N_("Due in the period"), lambda r: _qty(r["due_qty"]), align_right=True),
    Column(N_("Selected bought in the period"), lambda r: _qty(r["selected_qty"]),
           align_right=True),
    Column(N_("On-time completion"), lambda r: "—" if r["completion"] is None
           else f"{r['completion'] * 100:.1f}%", align_right=True,
           warn=lambda r: r["below_line"], good=lambda r: r["completion"] is not None
           and r["completion"] >= 1 and not r["exempt"]),
    Column(N_("Non-selected bought"), lambda r: _qty(r["non_selected_qty"]), align_right=True),
    Column(N_("Exempt (AV-9)"), lambda r: tr("Yes") if r["exempt"] else ""),
]

CHANGE_COLUMNS: list[Column[Row]] = [
    Column(N_("Effective"), lambda r: r["effective_on"]),
    Column(N_("Change type"), lambda r: tr(CHANGE_NAMES[r["kind"]])),
    Column(N_("From institution"), lambda r: r["from_code"]),
    Column(N_("To institution"), lambda r: r["to_code"] or "—"),
    Column(N_("Batch"), lambda r: r["batch"] or "—"),
    Column(N_("Generic name"), lambda r: r["generic"]),
    Column(N_("Quantity moved"), lambda r: _moved(r["qty"]), align_right=True),
    Column(N_("In effect"), lambda r: tr("Yes") if r["in_effect"] else tr("Not yet"),
           warn=lambda r: not r["in_effect"]),
    Column(N_("Note"), lambda r: r["note"]),
]


def load_assessment(conn: Any, as_of: dt.date | None, basis: str) -> dict[str, Any]:
    """Runs on the worker: the CLI's assessment, every change record and the agreements' names."""
    from pharmacy_app.scoring import compute_assessment, list_changes
    from ui.essential.page import default_as_of

    as_of = as_of or default_as_of(conn)
    result = compute_assessment(conn, as_of, year_basis=basis)
    code = result["institution"]["code"]
    result["all_changes"] = [
        {**c.to_json(), "in_effect": c.effective_on <= as_of} for c in list_changes(conn, code)]
    result["generics"] = [
        (r[0], r[1]) for r in conn.execute(
            "SELECT DISTINCT batch, generic FROM agreements WHERE institution_code = ? "
            "ORDER BY batch, generic", (code,))]
    result["entries"] = {
        e.indicator: e.value for e in _entries(conn, code, result["period"])}
    return result


def _entries(conn: Any, code: str, period: dict[str, str]) -> list[Any]:
    from pharmacy_app.scoring import entered_figures

    return list(entered_figures(conn, code, period["basis"],
                                dt.date.fromisoformat(period["start"])).values())


def entry_text(indicator: str, value: float | None) -> str:
    """How an entered value is shown in its field: a percentage for the rate, else a count."""
    if value is None:
        return ""
    if indicator == "cost_growth":
        return f"{value * 100:.10g}%"  # as entered: a rounded text would be saved back rounded
    return f"{value:g}"


class ChangeDialog(QDialog):
    """Record one SR-3 institution change (the domain validates it on saving)."""

    saved = Signal()

    def __init__(self, worker: DbWorker, institution_code: str, as_of: dt.date,
                 generics: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.institution_code = institution_code
        self.setWindowTitle(self.tr("Record an institution change"))
        form = QFormLayout(self)
        intro = QLabel(self.tr(
            "A merger, split, transfer of a community station, closure or loss of designated "
            "status moves agreed volume of a generic name between institutions from the day "
            "it takes effect (SR-3). Figures as of an earlier date do not see it."))
        intro.setWordWrap(True)
        form.addRow(intro)
        self.kind = QComboBox()
        for key, name in CHANGE_NAMES.items():
            self.kind.addItem(tr(name), key)
        form.addRow(self.tr("Change type"), self.kind)
        self.effective = QDateEdit()
        self.effective.setCalendarPopup(True)
        self.effective.setDisplayFormat("yyyy-MM-dd")
        self.effective.setDate(QDate(as_of.year, as_of.month, as_of.day))
        form.addRow(self.tr("Effective from"), self.effective)
        self.from_code = QLineEdit()
        self.from_code.setObjectName("fromCode")
        self.to_code = QLineEdit(institution_code)
        self.to_code.setObjectName("toCode")
        form.addRow(self.tr("From institution (code)"), self.from_code)
        form.addRow(self.tr("To institution (code, empty when volume leaves)"), self.to_code)
        self.generic = QComboBox()
        self.generic.setEditable(True)
        self.generic.setObjectName("generic")
        for batch, generic in generics:
            self.generic.addItem(f"{generic}（{batch}）", (batch, generic))
        self.generic.setCurrentIndex(-1)
        form.addRow(self.tr("Generic name"), self.generic)
        self.qty = QLineEdit()
        self.qty.setObjectName("qty")
        self.qty.setPlaceholderText(self.tr("smallest units"))
        form.addRow(self.tr("Agreed quantity moved"), self.qty)
        self.note = QLineEdit()
        form.addRow(self.tr("Note"), self.note)
        self.error = error_label()
        form.addRow(self.error)
        form.addRow(save_cancel(self, self.save))
        self.setStyleSheet(PAGE_STYLE)

    def _generic(self) -> tuple[str, str]:
        data = self.generic.currentData()
        text = self.generic.currentText().strip()
        if data is not None and self.generic.itemText(self.generic.currentIndex()) == text:
            return data  # type: ignore[no-any-return]
        return "", text

    def save(self) -> None:
        from pharmacy_app.scoring import AssessmentInputError, record_change

        batch, generic = self._generic()
        values = dict(kind=self.kind.currentData(), effective_on=self.effective.date().toPython(),
                      from_code=self.from_code.text(), to_code=self.to_code.text(),
                      generic=generic, qty=self.qty.text(), batch=batch, note=self.note.text(),
                      institution_code=self.institution_code)

        def work(ctx: OpContext) -> int:
            return record_change(ctx.conn, **values)

        def done(_id: int) -> None:
            self.saved.emit()
            self.accept()

        failed = refusal_shown_in(self.error, AssessmentInputError)
        self.worker.op(work).success(done).failure(failed).parent(self).run()


class AssessmentPage(AsOfPage):
    """考核评分: the SR-2 table for a period and basis, entered figures, SR-3 changes."""

    watched = WATCHED

    assessment_shown = Signal()
    dialog_opened = Signal(object)

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(worker, parent)
        self.result: dict[str, Any] | None = None
        self.setStyleSheet(PAGE_STYLE)
        self._build()

    # -- layout --------------------------------------------------------------------

    def _build(self) -> None:
        outer = page_layout(self)
        self.basis_combo = QComboBox()
        self.basis_combo.setObjectName("basis")
        for key, name in BASIS_NAMES.items():
            self.basis_combo.addItem(tr(name), key)
        self.basis_combo.currentIndexChanged.connect(lambda _i: self.load())
        self._add_header(outer, self.tr("Assessment"), controls=(
            QLabel(self.tr("Year basis")), self.basis_combo))

        self.message = message_label()
        outer.addWidget(self.message)

        cards = QGridLayout()
        cards.setSpacing(10)
        self.total_card = FigureCard(self.tr("Total score (SR-2)"))
        self.result_card = FigureCard(self.tr("Result"))
        self.period_card = FigureCard(self.tr("Period (SR-3)"))
        self.missing_card = FigureCard(self.tr("Figures missing"))
        for i, card in enumerate((self.total_card, self.result_card, self.period_card,
                                  self.missing_card)):
            card.detail.setWordWrap(True)
            cards.addWidget(card, 0, i)
            cards.setColumnStretch(i, 1)
        outer.addLayout(cards)

        self.model: ColumnTableModel[Row] = ColumnTableModel(INDICATOR_COLUMNS, self)
        self.view = make_table_view(self.model, "assessmentTable")
        self.agreement_model: ColumnTableModel[Row] = ColumnTableModel(AGREEMENT_COLUMNS, self)
        self.agreement_view = make_table_view(self.agreement_model, "assessmentAgreements")
        self.view.doubleClicked.connect(self._indicator_double_clicked)
        self.view.setToolTip(self.tr(
            "Double-click the completion or non-selected share indicator to see the agreed "
            "volumes behind it"))
        self.tabs = QTabWidget()
        self.tabs.addTab(self.view, self.tr("Indicators"))
        self.tabs.addTab(self.agreement_view, self.tr("Agreed volumes behind the completion"))
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.tabs)

        lower = QWidget()
        lower_layout = QHBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        entry_box = QGroupBox(self.tr("Figures entered for this period"))
        entry_form = QFormLayout(entry_box)
        self.entry_period = QLabel()
        self.entry_period.setWordWrap(True)
        entry_form.addRow(self.entry_period)
        self.entry_edits: dict[str, QLineEdit] = {}
        self._shown_entries: dict[str, str] = {}  # the text each field was last given
        self._entries_period: tuple[str, str] | None = None
        for key, label in ENTRY_FIELDS:
            edit = QLineEdit()
            edit.setObjectName(f"entry_{key}")
            edit.setPlaceholderText(self.tr("not entered"))
            self.entry_edits[key] = edit
            entry_form.addRow(tr(label), edit)
        self.entry_error = QLabel()
        self.entry_error.setObjectName("pageMessage")
        self.entry_error.setWordWrap(True)
        entry_form.addRow(self.entry_error)
        self.save_entries_button = QPushButton(self.tr("Save entered figures"))
        self.save_entries_button.clicked.connect(self.save_entries)
        entry_form.addRow(self.save_entries_button)
        lower_layout.addWidget(entry_box, 2)

        change_box = QGroupBox(self.tr("Institution changes (SR-3)"))
        change_layout = QVBoxLayout(change_box)
        self.change_model: ColumnTableModel[Row] = ColumnTableModel(CHANGE_COLUMNS, self)
        self.change_view = make_table_view(self.change_model, "changesTable")
        change_layout.addWidget(self.change_view, 1)
        buttons = QHBoxLayout()
        self.add_change_button = QPushButton(self.tr("Record a change…"))
        self.add_change_button.clicked.connect(self.open_change_dialog)
        self.delete_change_button = QPushButton(self.tr("Delete selected change"))
        self.delete_change_button.clicked.connect(self.delete_selected_change)
        buttons.addWidget(self.add_change_button)
        buttons.addWidget(self.delete_change_button)
        buttons.addStretch(1)
        change_layout.addLayout(buttons)
        lower_layout.addWidget(change_box, 3)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        outer.addWidget(splitter, 1)

        self.notes_label = QLabel()
        self.notes_label.setObjectName("figureCaption")
        self.notes_label.setWordWrap(True)
        outer.addWidget(self.notes_label)

    # -- loading -------------------------------------------------------------------

    def basis(self) -> str:
        return str(self.basis_combo.currentData())

    def load(self) -> None:
        if not self._start_load():
            return
        as_of = self.chosen_as_of()
        basis = self.basis()

        def work(ctx: OpContext) -> dict[str, Any]:
            return load_assessment(ctx.conn, as_of, basis)

        self.worker.op(work).success(self._loaded).failure(self._failed).parent(self).run()

    def _loaded(self, result: dict[str, Any]) -> None:
        if not self._load_finished():
            return
        self.result = result
        self._show(result)
        self.assessment_shown.emit()

    # -- showing -------------------------------------------------------------------

    def _show(self, r: dict[str, Any]) -> None:
        self.message.hide()
        as_of = dt.date.fromisoformat(r["as_of"])
        self._set_as_of(as_of)
        inst, period = r["institution"], r["period"]
        self.institution_label.setText(self.tr("{0} · {1}").format(
            inst["name"], level_name(inst["level"])))
        self.profile_label.setText(self.tr("Policy profile: {0}").format(r["profile"]))
        basis = tr(BASIS_NAMES[period["basis"]])
        self.total_card.set_figure(
            f"{r['total']:.2f}",
            self.tr("of {0:.2f} points; pass line {1:g}").format(r["max_total"], r["pass_score"]))
        self.result_card.set_figure(r["result"], self.tr("{0}, as of {1}").format(
            basis, r["as_of"]))
        passed = r["total"] >= r["pass_score"]
        self.result_card.value.setStyleSheet("color: #2e7d32;" if passed else "color: #c62828;")
        self.period_card.set_figure(basis, self.tr("{0} to {1} (year ends {2})").format(
            period["start"], period["end"], period["year_end"]))
        missing = len(r["missing"])
        self.missing_card.set_figure(str(missing), self.tr(
            "indicators without a figure score 0 until entered") if missing else self.tr(
            "every indicator has its figure"))
        self.missing_card.value.setStyleSheet("color: #c62828;" if missing else "color: #2e7d32;")
        self.model.set_rows(r["indicators"])
        fit_columns(self.view, 300)
        below = set(next(i for i in r["indicators"] if i["id"] == "key_completion")
                    .get("below_line", []))
        self.agreement_model.set_rows([{**a, "below_line": a["generic"] in below and not a["exempt"]}
                                       for a in r["agreements"]])
        fit_columns(self.agreement_view, 220)
        self.entry_period.setText(self.tr(
            "For the {0} starting {1}; empty means not entered. Rate as a percentage "
            "(e.g. 3.5%), counts as whole numbers.").format(basis, period["start"]))
        # A figure typed but not saved survives a reload of the same period (another
        # change elsewhere reloads the page); a new period or a save shows what is stored.
        period_key = (period["basis"], period["start"])
        same_period = period_key == self._entries_period
        self._entries_period = period_key
        for key, edit in self.entry_edits.items():
            text = entry_text(key, r["entries"].get(key))
            shown = self._shown_entries.get(key)
            if not (same_period and shown is not None and edit.text() != shown):
                edit.setText(text)
            self._shown_entries[key] = text
        self.entry_error.setText("")
        self.change_model.set_rows(r["all_changes"])
        fit_columns(self.change_view, 200)
        self.notes_label.setText("\n".join(f"· {n}" for n in r["notes"]))

    def _indicator_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid() and self.model.row_at(index.row())["id"] in (
                "key_completion", "ref_non_selected"):
            self.tabs.setCurrentIndex(1)

    # -- entering --------------------------------------------------------------------

    def save_entries(self) -> None:
        """Validate every field first (nothing written on an error), then store or clear each."""
        from pharmacy_app.scoring import AssessmentInputError, validate_entry

        r = self.result
        if r is None:
            return
        values: dict[str, float | None] = {}
        for key, edit in self.entry_edits.items():
            text = edit.text().strip()
            if text == self._shown_entries.get(key, "").strip():
                continue  # not changed: stored as it is
            if not text:
                values[key] = None
                continue
            if key == "cost_growth" and not text.endswith(("%", "％")):
                text += "%"  # the field is in percent: 3.5 means 3.5%
            try:
                values[key] = validate_entry(key, text)
            except AssessmentInputError as exc:
                self.entry_error.setText(str(exc))
                edit.setFocus()
                return
        code = r["institution"]["code"]
        basis = r["period"]["basis"]
        start = dt.date.fromisoformat(r["period"]["start"])

        def work(ctx: OpContext) -> None:
            from db import transaction
            from pharmacy_app.scoring import delete_entry, save_entry

            with transaction(ctx.conn):
                for key, value in values.items():
                    if value is None:
                        delete_entry(ctx.conn, code, basis, start, key)
                    else:
                        save_entry(ctx.conn, code, basis, start, key, value)

        self.entry_error.setText("")
        self._shown_entries = {}  # the reload after saving shows the stored figures
        self.worker.op(work).parent(self).run()

    def open_change_dialog(self) -> ChangeDialog | None:
        r = self.result
        if r is None:
            return None
        dialog = ChangeDialog(self.worker, r["institution"]["code"],
                              dt.date.fromisoformat(r["as_of"]), r["generics"], self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()
        self.dialog_opened.emit(dialog)
        return dialog

    def delete_selected_change(self, *, confirm: bool = True) -> QMessageBox | None:
        """Delete the selected SR-3 record, after the user confirms (returns the question)."""
        rows = self.change_view.selectionModel().selectedRows()
        if not rows:
            return None
        change = self.change_model.row_at(rows[0].row())
        change_id = int(change["id"])

        def delete() -> None:
            def work(ctx: OpContext) -> bool:
                from pharmacy_app.scoring import delete_change

                return delete_change(ctx.conn, change_id)

            self.worker.op(work).parent(self).run()

        if not confirm:
            delete()
            return None
        box = QMessageBox(
            QMessageBox.Icon.Question, self.tr("Delete institution change"),
            self.tr("Delete the {0} of {1} effective {2} ({3} moved)? Figures will no longer "
                    "count it.").format(tr(CHANGE_NAMES[change["kind"]]), change["generic"],
                                        change["effective_on"], _moved(change["qty"])),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.buttonClicked.connect(
            lambda button: delete() if box.standardButton(button)
            == QMessageBox.StandardButton.Yes else None)
        box.open()
        return box
