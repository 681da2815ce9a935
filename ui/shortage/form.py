"""The shortage report form (SH-1) with its workflow buttons (SH-2).

Built for the pharmacist filing on a Friday afternoon: the cursor starts in
the product search (the catalogue page's search: code, name, maker or
pinyin initials), Enter picks the first match, Tab walks the fields in
reading order; the start date defaults to today, reporter and contact to
the information liaison, stock and monthly use to what purchase data and
the last count suggest, substitutes to the catalogue's proposals.

Drafts save themselves: every change restarts a short timer and the save
runs on the database worker, so nothing typed is lost and the window never
waits. Saves never overlap (a change during a save saves again after it).
Rules come from `pharmacy_app.shortage` — validation, days of cover, the
SH-3 level, the allowed next statuses; this widget only shows them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from PySide6.QtCore import QDate, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QDoubleValidator, QHideEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from pharmacy_app.shortage.model import (
    CAUSES,
    DRAFT,
    KINDS,
    RESOLVED,
    FieldError,
    Liaison,
    ShortageReport,
    Substitute,
    blank_report,
    days_of_cover,
    next_statuses,
    substitutability,
    validate_report,
    warning_level,
)
from ui import errors
from ui.essential.models import RowColumn, RowTableModel
from ui.i18n import N_
from ui.shortage.columns import (
    ADVANCE_TEXT,
    CAUSE_TEXT,
    KIND_TEXT,
    LEVEL_COLOURS,
    LEVEL_TEXT,
    STATUS_TEXT,
    STEP_COLUMNS,
    SUBSTITUTABILITY_TEXT,
    SUBSTITUTE_COLUMNS,
    cover_text,
    number_text,
)
from ui.tables import make_table_view
from ui.worker import DbWorker, OpContext

if TYPE_CHECKING:
    from pharmacy_app.catalogue_search import CatalogueIndex
    from pharmacy_app.policy import PolicyProfile
    from pharmacy_app.shortage.signals import SubstituteProposal

AUTOSAVE_MS = 700
MAX_MATCHES = 50
SPLIT_RE = re.compile(r"[；;\n]+")

FORM_STYLE = """
*[invalid="true"] { border: 1px solid #c62828; }
QLabel#formErrors { color: #b3261e; }
QLabel#saveState { color: #555; }
QLabel#levelBadge { border-radius: 4px; padding: 2px 8px; }
"""


@dataclass(frozen=True)
class Match:
    """One catalogue search result (a row of the picker)."""

    code: str
    generic_name: str
    dosage_form: str
    specification: str
    manufacturer: str
    active: bool


MATCH_COLUMNS: list[RowColumn[Match]] = [
    RowColumn(N_("Code"), lambda m: m.code),
    RowColumn(N_("Generic name"), lambda m: m.generic_name, tooltip=True),
    RowColumn(N_("Dosage form"), lambda m: m.dosage_form),
    RowColumn(N_("Specification"), lambda m: m.specification),
    RowColumn(N_("Manufacturer"), lambda m: m.manufacturer, tooltip=True),
]


def match_at(index: CatalogueIndex, position: int) -> Match:
    value = index.value
    return Match(
        str(value(position, "code")), str(value(position, "generic_name")),
        str(value(position, "dosage_form")), str(value(position, "specification")),
        str(value(position, "manufacturer")), bool(value(position, "active")),
    )


@dataclass(frozen=True)
class ProductDefaults:
    """What the worker finds for a picked product."""

    code: str
    monthly_use: float | None
    stock: float | None
    substitutes: list[SubstituteProposal]


def _number(text: str) -> float | None:
    text = text.strip().replace(",", "")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


class _SearchKeys(QObject):
    """Down moves from the search box into the matches; Enter picks."""

    def __init__(self, form: ReportForm) -> None:
        super().__init__(form)
        self._form = form

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            form = self._form
            if watched is form.search and key == Qt.Key.Key_Down and form.matches.rowCount():
                form.match_view.setFocus()
                form.match_view.selectRow(0)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if watched is form.search and form.matches.rowCount():
                    form.pick_row(0)
                    return True
                if watched is form.match_view:
                    index = form.match_view.currentIndex()
                    form.pick_row(index.row() if index.isValid() else 0)
                    return True
        return False


class ReportForm(QWidget):
    """One shortage report: every SH-1 field, its steps and the next SH-2 moves."""

    report_saved = Signal(object)  # ShortageReport as stored
    message = Signal(str)

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.report = ShortageReport()
        self.profile: PolicyProfile | None = None
        self.as_of = dt.date.today()
        self.liaison_name = ""
        self.liaison_phone = ""
        self.institution_code = ""
        self.index: CatalogueIndex | None = None
        self._loading = False
        self._dirty = False
        self._in_flight = 0
        self._extra_substitutes: list[Substitute] = []
        # The figures a product pick filled in, by field (replaced by the next pick).
        self._filled_in: dict[QLineEdit, str] = {}
        self._file_dialog: QFileDialog | None = None
        self.last_errors: list[FieldError] = []
        self.autosave = QTimer(self)
        self.autosave.setSingleShot(True)
        self.autosave.setInterval(AUTOSAVE_MS)
        self.autosave.timeout.connect(self.save_now)
        self.setStyleSheet(FORM_STYLE)
        self._build()
        self._show_report(self.report)

    # -- layout ------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        scroll.setWidget(body)
        outer.addWidget(scroll)
        grid = QGridLayout(body)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.setHorizontalSpacing(12)

        # Product, picked from the catalogue.
        product_box = QGroupBox(self.tr("Product"))
        pv = QVBoxLayout(product_box)
        self.search = QLineEdit()
        self.search.setObjectName("productSearch")
        self.search.setPlaceholderText(
            self.tr("Search code, name, manufacturer or pinyin initials; Enter picks")
        )
        self.search.setClearButtonEnabled(True)
        pv.addWidget(self.search)
        self.matches: RowTableModel[Match] = RowTableModel(MATCH_COLUMNS, parent=self)
        self.match_view = make_table_view(self.matches, "productMatches")
        self.match_view.setMaximumHeight(150)
        self.match_view.setVisible(False)
        pv.addWidget(self.match_view)
        pf = QFormLayout()
        self.product_code = self._readonly("productCode")
        self.generic_name = self._readonly("genericName")
        self.dosage_form = self._readonly("dosageForm")
        self.specification = self._readonly("specification")
        self.manufacturer = self._readonly("manufacturer")
        pf.addRow(self.tr("Product code"), self.product_code)
        pf.addRow(self.tr("Generic name"), self.generic_name)
        form_spec = QHBoxLayout()
        form_spec.addWidget(self.dosage_form)
        form_spec.addWidget(self.specification)
        pf.addRow(self.tr("Form and specification"), form_spec)
        pf.addRow(self.tr("Manufacturer"), self.manufacturer)
        pv.addLayout(pf)
        grid.addWidget(product_box, 0, 0)

        # Supply figures.
        supply_box = QGroupBox(self.tr("Shortage"))
        sf = QFormLayout(supply_box)
        self.start_date = QDateEdit()
        self.start_date.setObjectName("startDate")
        self.start_date.setCalendarPopup(True)
        self.start_date.setDisplayFormat("yyyy-MM-dd")
        sf.addRow(self.tr("Shortage since"), self.start_date)
        self.stock = self._number_edit("stockOnHand")
        self.monthly_use = self._number_edit("monthlyUse")
        sf.addRow(self.tr("Stock on hand (smallest units)"), self.stock)
        sf.addRow(self.tr("Average monthly use (smallest units)"), self.monthly_use)
        figures = QHBoxLayout()
        self.cover_label = QLabel()
        self.cover_label.setObjectName("daysOfCover")
        self.level_label = QLabel()
        self.level_label.setObjectName("levelBadge")
        figures.addWidget(self.cover_label)
        figures.addWidget(self.level_label)
        figures.addStretch(1)
        sf.addRow(self.tr("Days of cover"), figures)
        self.kind = QComboBox()
        self.kind.setObjectName("kind")
        for kind in KINDS[::-1]:  # partial first: the usual case
            self.kind.addItem(self.tr(KIND_TEXT[kind]), kind)
        sf.addRow(self.tr("Shortage kind"), self.kind)
        self.cause = QComboBox()
        self.cause.setObjectName("cause")
        self.cause.addItem(self.tr("— choose a cause —"), "")
        for cause in CAUSES:
            self.cause.addItem(self.tr(CAUSE_TEXT[cause]), cause)
        sf.addRow(self.tr("Cause"), self.cause)
        self.cause_detail = QLineEdit()
        self.cause_detail.setObjectName("causeDetail")
        self.cause_detail.setPlaceholderText(self.tr("Details (required for “Other cause”)"))
        sf.addRow(self.tr("Cause details"), self.cause_detail)
        grid.addWidget(supply_box, 1, 0)

        # Impact, substitutes, measures, reporter.
        impact_box = QGroupBox(self.tr("Impact and substitutes"))
        iv = QFormLayout(impact_box)
        self.clinical_impact = self._text_edit("clinicalImpact", 56)
        self.clinical_impact.setPlaceholderText(
            self.tr("Which patients or treatments are affected, and how badly")
        )
        iv.addRow(self.tr("Clinical impact"), self.clinical_impact)
        self.substitutes: RowTableModel[SubstituteProposal] = RowTableModel(
            SUBSTITUTE_COLUMNS, check_key=lambda s: s.product.code, parent=self
        )
        self.substitute_view = make_table_view(self.substitutes, "substituteTable")
        self.substitute_view.setMinimumHeight(110)
        self.substitute_view.setMaximumHeight(150)
        iv.addRow(self.tr("Proposed substitutes (tick)"), self.substitute_view)
        self.other_substitutes = QLineEdit()
        self.other_substitutes.setObjectName("otherSubstitutes")
        self.other_substitutes.setPlaceholderText(
            self.tr("Substitutes outside the catalogue, separated by ；")
        )
        iv.addRow(self.tr("Other substitutes"), self.other_substitutes)
        self.substitutability_label = QLabel()
        self.substitutability_label.setObjectName("substitutability")
        iv.addRow(self.tr("Substitutability"), self.substitutability_label)
        self.measures = self._text_edit("measuresTaken", 56)
        self.measures.setPlaceholderText(
            self.tr("What the pharmacy has done: urged the distributor, borrowed stock …")
        )
        iv.addRow(self.tr("Measures taken"), self.measures)
        contact_row = QHBoxLayout()
        self.reporter = QLineEdit()
        self.reporter.setObjectName("reporter")
        self.contact = QLineEdit()
        self.contact.setObjectName("contact")
        self.contact.setPlaceholderText(self.tr("Phone"))
        contact_row.addWidget(self.reporter)
        contact_row.addWidget(self.contact)
        iv.addRow(self.tr("Reporter and phone"), contact_row)
        self.liaison_label = QLabel()
        self.liaison_label.setObjectName("liaisonLabel")
        iv.addRow(self.tr("Information liaison"), self.liaison_label)
        grid.addWidget(impact_box, 0, 1, 2, 1)

        # Workflow (SH-2).
        flow_box = QGroupBox(self.tr("Workflow"))
        fv = QVBoxLayout(flow_box)
        top = QHBoxLayout()
        self.status_label = QLabel()
        self.status_label.setObjectName("statusLabel")
        font = self.status_label.font()
        font.setBold(True)
        self.status_label.setFont(font)
        top.addWidget(self.status_label)
        top.addStretch(1)
        self.save_state = QLabel()
        self.save_state.setObjectName("saveState")
        top.addWidget(self.save_state)
        fv.addLayout(top)
        self.steps: RowTableModel[Any] = RowTableModel(STEP_COLUMNS, parent=self)
        self.step_view = make_table_view(self.steps, "stepTable")
        self.step_view.setMaximumHeight(120)
        fv.addWidget(self.step_view)
        actions = QHBoxLayout()
        self.done_by = QLineEdit()
        self.done_by.setObjectName("doneBy")
        self.done_by.setPlaceholderText(self.tr("Done by"))
        self.done_by.setMaximumWidth(140)
        self.step_note = QLineEdit()
        self.step_note.setObjectName("stepNote")
        self.step_note.setPlaceholderText(self.tr("Note for this step (optional)"))
        actions.addWidget(self.done_by)
        actions.addWidget(self.step_note, 1)
        self.advance_buttons: dict[str, QPushButton] = {}
        for status, text in ADVANCE_TEXT.items():
            button = QPushButton(self.tr(text))
            button.setObjectName(f"advance_{status}")
            button.clicked.connect(lambda _c=False, s=status: self.advance(s))
            self.advance_buttons[status] = button
            actions.addWidget(button)
        fv.addLayout(actions)
        self.errors_label = QLabel()
        self.errors_label.setObjectName("formErrors")
        self.errors_label.setWordWrap(True)
        fv.addWidget(self.errors_label)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(self.tr("Save now (Ctrl+S)"))
        self.save_button.clicked.connect(self.save_now)
        self.print_button = QPushButton(self.tr("Print / save PDF… (Ctrl+P)"))
        self.print_button.clicked.connect(self.choose_pdf_file)
        self.export_button = QPushButton(self.tr("Export…"))
        self.export_button.clicked.connect(self.choose_export_file)
        self.delete_button = QPushButton(self.tr("Discard draft"))
        self.delete_button.clicked.connect(self.discard_draft)
        for b in (self.save_button, self.print_button, self.export_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)
        fv.addLayout(buttons)
        grid.addWidget(flow_box, 2, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

        self.field_widgets: dict[str, QWidget] = {
            "product_code": self.search,
            "generic_name": self.generic_name,
            "dosage_form": self.dosage_form,
            "specification": self.specification,
            "manufacturer": self.manufacturer,
            "start_date": self.start_date,
            "stock_on_hand": self.stock,
            "monthly_use": self.monthly_use,
            "kind": self.kind,
            "cause": self.cause,
            "cause_detail": self.cause_detail,
            "clinical_impact": self.clinical_impact,
            "substitutes": self.other_substitutes,
            "measures_taken": self.measures,
            "reporter": self.reporter,
            "contact": self.contact,
        }

        keys = _SearchKeys(self)
        self.search.installEventFilter(keys)
        self.match_view.installEventFilter(keys)
        self.search.textChanged.connect(self._search_changed)
        self.match_view.doubleClicked.connect(lambda index: self.pick_row(index.row()))
        for edit in (self.stock, self.monthly_use, self.cause_detail, self.other_substitutes,
                     self.reporter, self.contact):
            edit.textChanged.connect(self._changed)
        for text in (self.clinical_impact, self.measures):
            text.textChanged.connect(self._changed)
        self.start_date.dateChanged.connect(self._changed)
        self.kind.currentIndexChanged.connect(self._changed)
        self.cause.currentIndexChanged.connect(self._changed)
        self.substitutes.checks_changed.connect(self._changed)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save_now)
        # Ctrl+Enter files a finished draft without reaching for the mouse.
        QShortcut(QKeySequence("Ctrl+Return"), self, self._file_if_draft)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self._file_if_draft)
        QShortcut(QKeySequence.StandardKey.Print, self, self.choose_pdf_file)

    def _readonly(self, name: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setReadOnly(True)
        edit.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        edit.setPlaceholderText(self.tr("from the catalogue"))
        return edit

    def _number_edit(self, name: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        validator = QDoubleValidator(0.0, 1e9, 2, edit)
        validator.setNotation(QDoubleValidator.Notation.StandardNotation)
        edit.setValidator(validator)
        return edit

    def _text_edit(self, name: str, height: int) -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setObjectName(name)
        edit.setTabChangesFocus(True)
        edit.setMaximumHeight(height * 2)
        edit.setMinimumHeight(height)
        return edit

    # -- context from the page -----------------------------------------------------

    def set_context(
        self,
        profile: PolicyProfile,
        as_of: dt.date,
        liaison: Liaison,
        institution_code: str,
    ) -> None:
        self.profile = profile
        self.as_of = as_of
        self.liaison_name, self.liaison_phone = liaison.name, liaison.phone
        self.institution_code = institution_code
        self.liaison_label.setText(self._liaison_text())
        if not self.done_by.text():
            self.done_by.setText(liaison.name)
        self._update_figures()

    def _liaison_text(self) -> str:
        if not self.liaison_name:
            return self.tr("not named yet: set it with “Information liaison…”")
        return f"{self.liaison_name}  {self.liaison_phone}".strip()

    def set_index(self, index: CatalogueIndex) -> None:
        self.index = index
        if self.search.text():
            self._search_changed(self.search.text())

    # -- showing a report ----------------------------------------------------------

    def start_new(self, prefill: ShortageReport | None = None) -> bool:
        """A new draft: empty with the defaults, or prefilled from a proposal
        (then saved at once, so the proposal leaves the list). False when the
        report shown has changes that cannot be saved yet (see flush)."""
        if not self.flush():
            return False
        report = prefill or blank_report(
            self.institution_code, Liaison(self.liaison_name, self.liaison_phone), self.as_of
        )
        report = report.with_changes(uuid="", version=0)
        self._show_report(report)
        if report.product_code:
            self._load_substitutes(report.product_code, report)
            self._dirty = True
            self.save_now()
            self.start_date.setFocus()
        else:
            self.search.setFocus()
        return True

    def open_report(self, report: ShortageReport) -> bool:
        """Show `report`; False (and the current one kept) when its changes cannot be saved."""
        if not self.flush():
            return False
        self._show_report(report)
        if report.product_code:
            self._load_substitutes(report.product_code, report)
        return True

    def _show_report(self, report: ShortageReport) -> None:
        if not report.uuid:
            # A new report is named now (SYNC-1 stable id), before its first save.
            report = report.with_changes(uuid=str(uuid4()))
        self._loading = True
        try:
            self.report = report
            self._filled_in = {}  # a saved report's figures are the user's
            # Coded substitutes until the proposals arrive and tick them;
            # typed ones live in the free-text field.
            self._extra_substitutes = [s for s in report.substitutes if s.code]
            self.search.clear()
            self.match_view.setVisible(False)
            for name in ("product_code", "generic_name", "dosage_form", "specification",
                         "manufacturer"):
                getattr(self, name).setText(getattr(report, name))
            day = report.start_date or self.as_of
            self.start_date.setDate(QDate(day.year, day.month, day.day))
            self.stock.setText(number_text(report.stock_on_hand))
            self.monthly_use.setText(number_text(report.monthly_use))
            self.kind.setCurrentIndex(max(0, self.kind.findData(report.kind)))
            self.cause.setCurrentIndex(max(0, self.cause.findData(report.cause)))
            self.cause_detail.setText(report.cause_detail)
            self.clinical_impact.setPlainText(report.clinical_impact)
            self.substitutes.set_rows([])
            self.other_substitutes.setText(
                "；".join(s.name for s in report.substitutes if not s.code)
            )
            self.measures.setPlainText(report.measures_taken)
            self.reporter.setText(report.reporter)
            self.contact.setText(report.contact)
            self.step_note.clear()
            self._dirty = False
            self._show_errors([])
            self.save_state.setText(self._saved_text(report))
        finally:
            self._loading = False
        self._show_status()
        self._update_figures()

    def _saved_text(self, report: ShortageReport) -> str:
        if report.version == 0:
            return self.tr("Not saved yet")
        return self.tr("Saved {0} (version {1})").format(report.updated_at, report.version)

    def _show_status(self) -> None:
        report = self.report
        self.status_label.setText(
            self.tr("Status: {0}").format(self.tr(STATUS_TEXT[report.status]))
        )
        self.steps.set_rows(list(report.steps))
        self.step_view.resizeColumnsToContents()
        allowed = next_statuses(report.status)
        for status, button in self.advance_buttons.items():
            button.setVisible(status in allowed)
        editable = report.status != RESOLVED
        for widget in (self.search, self.start_date, self.stock, self.monthly_use, self.kind,
                       self.cause, self.cause_detail, self.clinical_impact, self.substitute_view,
                       self.other_substitutes, self.measures, self.reporter, self.contact):
            widget.setEnabled(editable)
        self.delete_button.setVisible(report.status == DRAFT and report.version > 0)
        has_id = report.version > 0
        self.print_button.setEnabled(has_id)
        self.export_button.setEnabled(has_id)

    # -- product search ------------------------------------------------------------

    def _search_changed(self, text: str) -> None:
        if self.index is None or not text.strip():
            self.matches.set_rows([])
            self.match_view.setVisible(False)
            return
        from pharmacy_app.catalogue_search import Filters

        positions = self.index.search(text, Filters(active=True, kind="drug"))[:MAX_MATCHES]
        self.matches.set_rows([match_at(self.index, p) for p in positions])
        self.match_view.setVisible(bool(positions))
        if positions:
            self.match_view.resizeColumnsToContents()

    def pick_row(self, row: int) -> None:
        if not 0 <= row < self.matches.rowCount():
            return
        self.pick(self.matches.row_at(row))

    def pick(self, match: Match) -> None:
        """The product of the report: its catalogue fields now, the defaults
        (monthly use, estimated stock, substitutes) when the worker has them."""
        self._loading = True
        try:
            self.product_code.setText(match.code)
            self.generic_name.setText(match.generic_name)
            self.dosage_form.setText(match.dosage_form)
            self.specification.setText(match.specification)
            self.manufacturer.setText(match.manufacturer)
            self.search.clear()
            self.match_view.setVisible(False)
            self.substitutes.set_rows([])
        finally:
            self._loading = False
        self._extra_substitutes = []
        self._load_substitutes(match.code, None)
        self._changed()
        self.start_date.setFocus()

    def _load_substitutes(self, code: str, shown: ShortageReport | None) -> None:
        """Proposals from the catalogue; for a picked product also the
        monthly use and estimated stock when those fields are empty."""
        as_of = self.as_of
        exclude = self.report.uuid

        def work(ctx: OpContext) -> ProductDefaults:
            from pharmacy_app.shortage.signals import (
                estimated_stock,
                monthly_use,
                propose_substitutes,
            )

            subs = propose_substitutes(ctx.conn, code, as_of, exclude_report=exclude)
            use = stock = None
            if shown is None:
                use = monthly_use(ctx.conn, code, as_of)
                stock = estimated_stock(ctx.conn, code, as_of, use)
            return ProductDefaults(code, use, stock, subs)

        self.worker.op(work).success(lambda d: self._defaults_arrived(d, shown)).parent(self).run()

    def _defaults_arrived(self, defaults: ProductDefaults, shown: ShortageReport | None) -> None:
        if defaults.code != self.product_code.text():
            return  # another product was picked meanwhile
        self._loading = True
        try:
            self.substitutes.set_rows(defaults.substitutes)
            chosen = {s.code for s in (shown.substitutes if shown else ()) if s.code}
            codes = {s.product.code for s in defaults.substitutes}
            for row, sub in enumerate(defaults.substitutes):
                if sub.product.code in chosen:
                    self.substitutes.set_checked(row, True)
            # Coded substitutes no longer proposed (deactivated …) are kept.
            self._extra_substitutes = [
                s for s in self._extra_substitutes if s.code and s.code not in codes
            ]
            if shown is None:
                # An empty field, or one still holding what an earlier pick filled
                # in, takes this product's figure: a corrected pick must not keep
                # the first product's stock (saved as a count, it would drive SH-3).
                for edit, value in ((self.monthly_use, defaults.monthly_use),
                                    (self.stock, defaults.stock)):
                    if not edit.text() or edit.text() == self._filled_in.get(edit):
                        text = "" if value is None else number_text(value)
                        edit.setText(text)
                        self._filled_in[edit] = text
            self.substitute_view.resizeColumnsToContents()
        finally:
            self._loading = False
        if shown is None:
            self._changed()
        else:
            self._update_figures()

    # -- reading the form ----------------------------------------------------------

    def collect(self) -> ShortageReport:
        """The report as the form shows it (domain object, nothing checked yet)."""
        date = self.start_date.date()
        subs = [s.as_substitute() for s in self.substitutes.checked_rows()]
        subs += self._extra_substitutes
        subs += [
            Substitute(name.strip(), "other")
            for name in SPLIT_RE.split(self.other_substitutes.text())
            if name.strip()
        ]
        return self.report.with_changes(
            institution_code=self.report.institution_code or self.institution_code,
            product_code=self.product_code.text(),
            generic_name=self.generic_name.text(),
            dosage_form=self.dosage_form.text(),
            specification=self.specification.text(),
            manufacturer=self.manufacturer.text(),
            start_date=dt.date(date.year(), date.month(), date.day()),
            stock_on_hand=_number(self.stock.text()),
            monthly_use=_number(self.monthly_use.text()),
            kind=self.kind.currentData(),
            cause=self.cause.currentData(),
            cause_detail=self.cause_detail.text().strip(),
            clinical_impact=self.clinical_impact.toPlainText().strip(),
            substitutes=tuple(subs),
            measures_taken=self.measures.toPlainText().strip(),
            reporter=self.reporter.text().strip(),
            contact=self.contact.text().strip(),
        )

    def _changed(self, *_args: Any) -> None:
        if self._loading or self.report.status == RESOLVED:
            return
        self._dirty = True
        self._update_figures()
        self.save_state.setText(self.tr("Unsaved changes…"))
        self.autosave.start()

    def _update_figures(self) -> None:
        cover = days_of_cover(_number(self.stock.text()), _number(self.monthly_use.text()))
        self.cover_label.setText(
            self.tr("{0} days").format(cover_text(cover)) if cover is not None else "—"
        )
        subs = [s.as_substitute() for s in self.substitutes.checked_rows()]
        subs += self._extra_substitutes
        subs += [Substitute(n, "other") for n in SPLIT_RE.split(self.other_substitutes.text())
                 if n.strip()]
        subst = substitutability(subs)
        self.substitutability_label.setText(self.tr(SUBSTITUTABILITY_TEXT[subst]))
        if self.profile is None:
            self.level_label.setText("")
            return
        level = "none" if self.report.status == RESOLVED else warning_level(cover, subst, self.profile)
        self.level_label.setText(self.tr(LEVEL_TEXT[level]))
        colour = LEVEL_COLOURS.get(level, "transparent")
        self.level_label.setStyleSheet(f"background: {colour};")

    def _show_errors(self, found: list[FieldError]) -> None:
        self.last_errors = list(found)
        fields = {e.field for e in found}
        for name, widget in self.field_widgets.items():
            invalid = name in fields
            if bool(widget.property("invalid")) != invalid:
                widget.setProperty("invalid", invalid)
                widget.style().unpolish(widget)
                widget.style().polish(widget)
        self.errors_label.setText("\n".join(e.message for e in found))
        if found:
            first = self.field_widgets.get(found[0].field)
            if first is not None and first.isEnabled() and not self._loading:
                first.setFocus()

    def validate(self) -> list[FieldError]:
        """SH-1 check of what is on the form, shown next to the fields."""
        found = validate_report(self.collect(), dt.date.today())
        self._show_errors(found)
        return found

    # -- saving --------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return self._dirty

    @property
    def saving(self) -> bool:
        return self._in_flight > 0

    @property
    def stored(self) -> bool:
        """The report exists in the database (a new one has version 0)."""
        return self.report.version > 0

    def flush(self) -> bool:
        """Save pending changes now (before showing another report).

        False when they cannot be saved — a filed report with fields SH-1
        refuses (shown): the form then stays on it, so nothing typed is lost.
        """
        if self._dirty:
            self.save_now()
        if self._dirty:
            self.save_state.setText(
                self.tr("Correct the marked fields first: this report's changes are not saved."))
            return False
        return True

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        # Leaving the form (another tab, another page, closing the window)
        # saves what was typed instead of waiting for the timer.
        self.flush()
        super().hideEvent(event)

    def save_now(self) -> None:
        """Save through the worker; a draft as typed, a filed report only when
        complete (SH-1 errors are shown instead, nothing written).

        The report carries its UUID from the start (`start_new`), so saves
        can simply queue on the one worker thread: a second save while the
        first is running updates the same record, never inserts another."""
        self.autosave.stop()
        if not self._dirty:
            return
        report = self.collect()
        if not report.product_code and not self.stored:
            self._dirty = False  # nothing worth a record yet (no product): nothing to keep
            return
        if report.status != DRAFT:
            found = validate_report(report, dt.date.today())
            self._show_errors(found)
            if found:
                return
        self._dirty = False
        self._in_flight += 1
        self.save_state.setText(self.tr("Saving…"))
        by = self.liaison_name

        def work(ctx: OpContext) -> ShortageReport:
            from pharmacy_app.shortage.store import save_report

            return save_report(ctx.conn, report, by=by)

        self.worker.op(work).success(self._saved).failure(self._save_failed).parent(self).run()

    def _take(self, stored: ShortageReport) -> bool:
        """Copy what the database decided (version, status, steps, stamps)
        onto the shown report, if `stored` is still the one shown."""
        if stored.uuid != self.report.uuid or stored.version < self.report.version:
            return False
        self.report = self.report.with_changes(
            version=stored.version, status=stored.status, created_at=stored.created_at,
            updated_at=stored.updated_at, steps=stored.steps, liaison=stored.liaison,
            liaison_contact=stored.liaison_contact,
        )
        return True

    def _saved(self, stored: ShortageReport) -> None:
        self._in_flight -= 1
        if self._take(stored):
            if not self._dirty:
                self.save_state.setText(self._saved_text(self.report))
                if self.report.status == DRAFT:
                    self._show_errors([])
            self._show_status()
        self.report_saved.emit(stored)

    def _save_failed(self, exc: BaseException) -> None:
        from pharmacy_app.shortage.model import ReportInvalid

        self._in_flight -= 1
        self._dirty = True
        if isinstance(exc, ReportInvalid):
            self._show_errors(exc.errors)
            self.save_state.setText(self.tr("Not saved: see the errors below"))
        else:
            self.save_state.setText(self.tr("Not saved"))
            errors.show_error(exc, self)

    # -- workflow (SH-2) -----------------------------------------------------------

    def advance(self, to_status: str) -> None:
        """Save what is typed, then move the report on, dated and signed
        (one operation, queued after any save still running)."""
        self.autosave.stop()
        report = self.collect()
        found = validate_report(report, dt.date.today())
        self._show_errors(found)
        if found:
            self.message.emit(self.tr("The report is not complete: see the fields marked in red."))
            return
        by = self.done_by.text().strip() or self.liaison_name or report.reporter
        note = self.step_note.text().strip()
        dirty = self._dirty or not self.stored
        self._dirty = False
        self._in_flight += 1

        def work(ctx: OpContext) -> ShortageReport:
            from pharmacy_app.shortage.store import advance, save_report

            if dirty:
                save_report(ctx.conn, report, by=by)
            return advance(ctx.conn, report.uuid, to_status, by=by, note=note)

        self.worker.op(work).success(self._advanced).failure(self._advance_failed).parent(
            self
        ).run()

    def _file_if_draft(self) -> None:
        if self.report.status == DRAFT:
            self.advance("reported")

    def _advanced(self, stored: ShortageReport) -> None:
        self._in_flight -= 1
        if self._take(stored):
            self.step_note.clear()
            self.save_state.setText(self._saved_text(self.report))
            self._show_status()
            self._update_figures()
        self.message.emit(self.tr("Status: {0}").format(self.tr(STATUS_TEXT[stored.status])))
        self.report_saved.emit(stored)

    def _advance_failed(self, exc: BaseException) -> None:
        from pharmacy_app.shortage.model import ReportInvalid, TransitionRefused

        self._in_flight -= 1
        self._dirty = True
        if isinstance(exc, ReportInvalid):
            self._show_errors(exc.errors)
        elif isinstance(exc, TransitionRefused):
            self.errors_label.setText(str(exc))
        else:
            errors.show_error(exc, self)

    def discard_draft(self) -> None:
        uuid = self.report.uuid
        if self.report.status != DRAFT:
            return
        self.autosave.stop()
        self._dirty = False
        if not self.stored:
            self._show_report(ShortageReport())
            return

        def work(ctx: OpContext) -> None:
            from pharmacy_app.shortage.store import delete_draft

            delete_draft(ctx.conn, uuid)

        def done(_none: None) -> None:
            if self.report.uuid == uuid:
                self._show_report(ShortageReport())
            self.message.emit(self.tr("Draft discarded."))

        self.worker.op(work).success(done).parent(self).run()

    # -- output --------------------------------------------------------------------

    def _default_name(self, suffix: str) -> str:
        r = self.report
        return f"短缺药品报告_{r.generic_name}{r.dosage_form}_{self.as_of.isoformat()}.{suffix}"

    def _save_dialog(self, title: str, name_filter: str, suffix: str) -> QFileDialog:
        dialog = QFileDialog(self.window(), title)
        dialog.setNameFilter(name_filter)
        dialog.setDefaultSuffix(suffix)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.selectFile(self._default_name(suffix))
        self._file_dialog = dialog
        return dialog

    def choose_pdf_file(self) -> None:
        if not self.stored:
            return
        dialog = self._save_dialog(self.tr("Save PDF"), self.tr("PDF (*.pdf)"), "pdf")
        dialog.fileSelected.connect(self.print_pdf)
        dialog.open()

    def choose_export_file(self) -> None:
        if not self.stored:
            return
        dialog = self._save_dialog(
            self.tr("Export report"), self.tr("Excel or JSON (*.xlsx *.json)"), "xlsx"
        )
        dialog.fileSelected.connect(self.export_to)
        dialog.open()

    def print_pdf(self, path: str | Path) -> None:
        """The printed form of this report (one A4 page), written on the worker."""
        self._write_output(Path(path), pdf=True)

    def export_to(self, path: str | Path) -> None:
        self._write_output(Path(path), pdf=False)

    def _write_output(self, target: Path, *, pdf: bool) -> None:
        """Written after any save still queued: the file shows what is typed."""
        self.flush()
        uuid = self.report.uuid
        if not self.stored and not self.saving:
            return
        as_of = self.as_of

        def work(ctx: OpContext) -> Path:
            from pharmacy_app.shortage.service import export_for
            from pharmacy_app.shortage.store import load_report

            document = export_for(ctx.conn, [load_report(ctx.conn, uuid)], as_of)
            if pdf:
                from reports.shortage_form import write_shortage_pdf

                write_shortage_pdf(document, target)
            else:
                from pharmacy_app.shortage.export import write_export

                write_export(document, target)
            return target

        self.worker.op(work).success(
            lambda p: self.message.emit(self.tr("Saved {0}").format(p))
        ).with_progress(self.tr("Writing the report…"), parent=self).parent(self).run()
