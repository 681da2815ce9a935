"""短缺药品信息直报: the shortage list, the proposed reports and the report form.

Two tabs. "Shortage list": the reports (unresolved by default, SH-2) with
their SH-3 warning level, and the reports the app proposes from supply
signals (SH-3: orders undelivered past the deadline, low days of cover) —
Enter or "Start draft" opens a prefilled draft. "Report": the form
(ui/shortage/form.py). Everything comes from `pharmacy_app.shortage.service`
on the database worker, the same calls the command line makes; the page
reloads when an operation reports a change to the tables it shows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QDoubleValidator, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pharmacy_app.shortage.model import OPEN_STATUSES, STATUSES
from ui.essential.models import RowTableModel
from ui.page_parts import page_layout
from ui.shortage.columns import (
    PROPOSAL_COLUMNS,
    STATUS_TEXT,
    LevelModel,
    report_columns,
)
from ui.shortage.form import MATCH_COLUMNS, MAX_MATCHES, Match, ReportForm, match_at
from ui.tables import make_table_view
from ui.worker import Changes, DbWorker, OpContext

if TYPE_CHECKING:
    from pharmacy_app.catalogue_search import CatalogueIndex
    from pharmacy_app.shortage.model import Liaison, ShortageReport
    from pharmacy_app.shortage.service import Overview
    from pharmacy_app.shortage.signals import Proposal

WATCHED = (
    "stock_counts",
    "shortage_reports",
    "shortage_report_steps",
    "products",
    "purchase_lines",
    "institutions",
    "policy_profiles",
)
OPEN = "open"


class LiaisonDialog(QDialog):
    """SH-1: name the institution's information liaison (信息联络员).

    Save asks the page to store it (`save_requested`); the dialog closes
    only once the worker has saved, so a bad phone keeps it open with the
    reason shown.
    """

    save_requested = Signal()

    def __init__(self, liaison: Liaison, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Information liaison"))
        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "The person who files shortage reports for the institution. "
                "New reports name them as reporter and contact."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.name = QLineEdit(liaison.name)
        self.name.setObjectName("liaisonName")
        self.phone = QLineEdit(liaison.phone)
        self.phone.setObjectName("liaisonPhone")
        form.addRow(self.tr("Liaison name"), self.name)
        form.addRow(self.tr("Phone"), self.phone)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setObjectName("formErrors")
        self.error.setStyleSheet("color: #b3261e;")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save_requested)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class StockCountDialog(QDialog):
    """An entered stock count (smallest units) for the SH-3 low-cover signal.

    The product is found as on the catalogue page; Save asks the page to
    store the count (`save_requested`) and the dialog closes once stored.
    """

    save_requested = Signal()

    def __init__(self, index: CatalogueIndex | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Record stock count"))
        self.resize(720, 420)
        self.index = index
        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "Counted stock on the shelf, in smallest units (tablets, capsules, ampoules). "
                "With purchase data it gives the days of cover behind the low-cover proposals."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.search = QLineEdit()
        self.search.setObjectName("stockSearch")
        self.search.setPlaceholderText(
            self.tr("Search code, name, manufacturer or pinyin initials; Enter picks")
        )
        layout.addWidget(self.search)
        self.matches: RowTableModel[Match] = RowTableModel(MATCH_COLUMNS, parent=self)
        self.view = make_table_view(self.matches, "stockMatches")
        layout.addWidget(self.view, 1)
        form = QFormLayout()
        self.qty = QLineEdit()
        self.qty.setObjectName("stockQty")
        validator = QDoubleValidator(0.0, 1e9, 2, self.qty)
        validator.setNotation(QDoubleValidator.Notation.StandardNotation)
        self.qty.setValidator(validator)
        form.addRow(self.tr("Stock on hand (smallest units)"), self.qty)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b3261e;")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save_requested)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.search.textChanged.connect(self._search)
        self.search.returnPressed.connect(self.qty.setFocus)

    def _search(self, text: str) -> None:
        if self.index is None or not text.strip():
            self.matches.set_rows([])
            return
        from pharmacy_app.catalogue_search import Filters

        positions = self.index.search(text, Filters(active=True, kind="drug"))[:MAX_MATCHES]
        self.matches.set_rows([match_at(self.index, p) for p in positions])
        if positions:
            self.view.selectRow(0)
            self.view.resizeColumnsToContents()

    def chosen(self) -> Match | None:
        index = self.view.currentIndex()
        row = index.row() if index.isValid() else 0
        return self.matches.row_at(row) if 0 <= row < self.matches.rowCount() else None


class ShortagePage(QWidget):
    """Shortage reports: the list, the proposals, the form."""

    overview_shown = Signal()

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.overview: Overview | None = None
        self._stale = True
        self._index_stale = True
        self._loading = False
        self._dialog: QDialog | None = None
        self._file_dialog: QFileDialog | None = None
        self._build()
        worker.data_changed.connect(self._on_data_changed)

    # -- layout ------------------------------------------------------------------

    def _build(self) -> None:
        outer = page_layout(self)
        top = QHBoxLayout()
        self.title = QLabel(self.tr("Shortage reports"))
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        top.addWidget(self.title)
        self.subtitle = QLabel()
        self.subtitle.setObjectName("shortageSubtitle")
        top.addWidget(self.subtitle, 1)
        self.liaison_button = QPushButton(self.tr("Information liaison…"))
        self.liaison_button.clicked.connect(self.edit_liaison)
        top.addWidget(self.liaison_button)
        self.new_button = QPushButton(self.tr("New report"))
        self.new_button.setObjectName("newShortageReport")
        self.new_button.clicked.connect(self.new_report)
        top.addWidget(self.new_button)
        outer.addLayout(top)

        self.tabs = QTabWidget()
        outer.addWidget(self.tabs, 1)

        list_tab = QWidget()
        lv = QVBoxLayout(list_tab)
        bar = QHBoxLayout()
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("statusFilter")
        self.status_filter.addItem(self.tr("Unresolved"), OPEN)
        self.status_filter.addItem(self.tr("All reports"), None)
        for status in STATUSES:
            self.status_filter.addItem(self.tr(STATUS_TEXT[status]), status)
        self.status_filter.currentIndexChanged.connect(self._filter_changed)
        bar.addWidget(QLabel(self.tr("Show")))
        bar.addWidget(self.status_filter)
        bar.addStretch(1)
        self.open_button = QPushButton(self.tr("Open"))
        self.open_button.clicked.connect(self.open_selected)
        self.export_button = QPushButton(self.tr("Export list…"))
        self.export_button.clicked.connect(self.choose_export_file)
        self.print_button = QPushButton(self.tr("Print unresolved…"))
        self.print_button.clicked.connect(self.choose_pdf_file)
        for b in (self.open_button, self.export_button, self.print_button):
            bar.addWidget(b)
        lv.addLayout(bar)
        # The columns read the levels of the last load from this dict.
        self._levels: dict[str, str] = {}
        self.reports = LevelModel(
            report_columns(self._levels), lambda r: self._levels.get(r.uuid, "none"), parent=self
        )
        self.report_view = make_table_view(self.reports, "shortageTable")
        self.report_view.doubleClicked.connect(lambda i: self.open_row(i.row()))
        self.report_view.activated.connect(lambda i: self.open_row(i.row()))
        lv.addWidget(self.report_view, 3)
        self.list_note = QLabel()
        self.list_note.setObjectName("listNote")
        self.list_note.setWordWrap(True)
        lv.addWidget(self.list_note)

        proposals_bar = QHBoxLayout()
        self.proposals_title = QLabel()
        font = self.proposals_title.font()
        font.setBold(True)
        self.proposals_title.setFont(font)
        proposals_bar.addWidget(self.proposals_title)
        proposals_bar.addStretch(1)
        self.stock_button = QPushButton(self.tr("Record stock count…"))
        self.stock_button.clicked.connect(self.record_stock)
        proposals_bar.addWidget(self.stock_button)
        self.draft_button = QPushButton(self.tr("Start draft from proposal"))
        self.draft_button.setObjectName("startDraft")
        self.draft_button.clicked.connect(self.draft_selected_proposal)
        proposals_bar.addWidget(self.draft_button)
        lv.addLayout(proposals_bar)
        self.proposals = LevelModel(PROPOSAL_COLUMNS, self._proposal_level, parent=self)
        self.proposal_view = make_table_view(self.proposals, "proposalTable")
        self.proposal_view.doubleClicked.connect(lambda i: self.draft_from(i.row()))
        self.proposal_view.activated.connect(lambda i: self.draft_from(i.row()))
        lv.addWidget(self.proposal_view, 2)
        self.tabs.addTab(list_tab, self.tr("Shortage list"))

        self.form = ReportForm(self.worker)
        self.form.message.connect(self._say)
        self.tabs.addTab(self.form, self.tr("Report"))
        self.tabs.currentChanged.connect(self._tab_changed)

        self.message = QLabel()
        self.message.setObjectName("pageMessage")
        outer.addWidget(self.message)
        QShortcut(QKeySequence("Ctrl+Shift+N"), self, self.new_report)

    # -- loading -----------------------------------------------------------------

    def _statuses(self) -> tuple[str, ...] | None:
        wanted = self.status_filter.currentData()
        if wanted == OPEN:
            return OPEN_STATUSES
        return None if wanted is None else (wanted,)

    def load(self) -> None:
        if self._loading:
            self._stale = True
            return
        self._loading = True
        self._stale = False
        statuses = self._statuses()
        need_index = self._index_stale
        self._index_stale = False

        def work(ctx: OpContext) -> tuple[Overview, CatalogueIndex | None]:
            from pharmacy_app.catalogue_search import load_index
            from pharmacy_app.shortage.service import load_overview

            index = load_index(ctx.conn) if need_index else None
            return load_overview(ctx.conn, None, statuses), index

        def failed(exc: BaseException) -> None:
            self._loading = False
            self._index_stale = self._index_stale or need_index
            from ui import errors

            errors.show_error(exc, self)

        self.worker.op(work).success(self._loaded).failure(failed).parent(self).run()

    def _loaded(self, result: tuple[Overview, CatalogueIndex | None]) -> None:
        self._loading = False
        overview, index = result
        self.overview = overview
        if index is not None:
            self.form.set_index(index)
        inst = overview.institution
        self.subtitle.setText(
            self.tr("{0} · as of {1} · policy profile {2}").format(
                inst.name if inst else self.tr("no institution set"),
                overview.as_of.isoformat(),
                overview.profile.label,
            )
        )
        liaison = overview.liaison
        self.liaison_button.setText(
            self.tr("Information liaison: {0}").format(liaison.name)
            if liaison.name
            else self.tr("Information liaison…")
        )
        self.form.set_context(
            overview.profile, overview.as_of, liaison, inst.code if inst else ""
        )
        self._levels.clear()
        self._levels.update(overview.levels)
        self.reports.set_rows(overview.reports)
        self.proposals.set_rows(overview.proposals)
        self.proposals_title.setText(
            self.tr("Proposed reports (SH-3): {0}").format(len(overview.proposals))
        )
        escalated = sum(1 for r in overview.reports if r.status == "unresolvable")
        self.list_note.setText(
            self.tr(
                "{0} reports shown; {1} cannot be resolved and are on the shortage list "
                "(escalated). Rows are tinted by warning level."
            ).format(len(overview.reports), escalated)
        )
        for view in (self.report_view, self.proposal_view):
            view.resizeColumnsToContents()
        self.draft_button.setEnabled(bool(overview.proposals))
        if self._stale:
            self.load()
        self.overview_shown.emit()

    def _proposal_level(self, proposal: Proposal) -> str:
        from pharmacy_app.shortage.signals import proposal_level

        return "none" if self.overview is None else proposal_level(proposal, self.overview.profile)

    def _on_data_changed(self, changes: Changes) -> None:
        if changes.touches("products"):
            self._index_stale = True
        if changes.touches(*WATCHED):
            self._stale = True
            # While the form is in front its own autosaves would reload the
            # list (and the SH-3 signals) after every pause in typing: the
            # list reloads when it is shown again instead.
            if self.isVisible() and self.tabs.currentWidget() is not self.form:
                self.load()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.load()

    def _tab_changed(self, _index: int) -> None:
        if self._stale and self.isVisible() and self.tabs.currentWidget() is not self.form:
            self.load()

    def _filter_changed(self, _index: int) -> None:
        self.load()

    def _say(self, text: str) -> None:
        self.message.setText(text)

    # -- actions -----------------------------------------------------------------

    def new_report(self) -> None:
        self.tabs.setCurrentWidget(self.form)
        self.form.start_new()

    def open_row(self, row: int) -> None:
        """Open the report of a list row, as stored now (the list may be older than an
        autosave: opening its copy and saving it would put older figures back)."""
        if not 0 <= row < self.reports.rowCount():
            return
        listed: ShortageReport = self.reports.row_at(row)
        self.tabs.setCurrentWidget(self.form)
        if not self.form.flush():  # queued before the read below, so it reads the save
            return

        def work(ctx: OpContext) -> ShortageReport:
            from pharmacy_app.shortage.store import load_report

            return load_report(ctx.conn, listed.uuid)

        self.worker.op(work).success(self.form.open_report).failure(
            lambda exc: self._say(str(exc))).parent(self).run()

    def open_selected(self) -> None:
        index: QModelIndex = self.report_view.currentIndex()
        self.open_row(index.row() if index.isValid() else 0)

    def draft_selected_proposal(self) -> None:
        index = self.proposal_view.currentIndex()
        self.draft_from(index.row() if index.isValid() else 0)

    def draft_from(self, row: int) -> None:
        """SH-3 → SH-1: one click starts a draft prefilled from the signal."""
        if not 0 <= row < self.proposals.rowCount():
            return
        proposal: Proposal = self.proposals.row_at(row)
        as_of = self.overview.as_of if self.overview else dt.date.today()

        def work(ctx: OpContext) -> ShortageReport:
            from pharmacy_app.shortage.signals import draft_from_proposal

            return draft_from_proposal(ctx.conn, proposal, as_of)

        def ready(report: ShortageReport) -> None:
            self.tabs.setCurrentWidget(self.form)
            self.form.start_new(report)

        self.worker.op(work).success(ready).parent(self).run()

    def edit_liaison(self) -> None:
        from pharmacy_app.shortage.model import Liaison

        current = self.overview.liaison if self.overview else Liaison()
        dialog = LiaisonDialog(current, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self._dialog = dialog
        dialog.save_requested.connect(
            lambda: self.save_liaison(dialog.name.text(), dialog.phone.text(), dialog)
        )
        dialog.open()

    def save_liaison(self, name: str, phone: str, dialog: LiaisonDialog | None = None) -> None:
        def work(ctx: OpContext) -> Liaison:
            from pharmacy_app.shortage.store import set_liaison

            return set_liaison(ctx.conn, name, phone)

        def failed(exc: BaseException) -> None:
            from pharmacy_app.shortage.model import ReportInvalid

            if isinstance(exc, ReportInvalid) and dialog is not None:
                dialog.error.setText(str(exc))
                return
            from ui import errors

            errors.show_error(exc, self)

        def saved(liaison: Liaison) -> None:
            if dialog is not None:
                dialog.accept()
            self._say(self.tr("Information liaison: {0}").format(liaison.name))

        self.worker.op(work).success(saved).failure(failed).parent(self).run()

    def record_stock(self) -> None:
        dialog = StockCountDialog(self.form.index, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self._dialog = dialog
        dialog.save_requested.connect(lambda: self.save_stock_count(dialog))
        dialog.open()

    def save_stock_count(self, dialog: StockCountDialog) -> None:
        """Store the dialog's count; the proposals follow on the reload."""
        match = dialog.chosen()
        if match is None:
            dialog.error.setText(self.tr("Pick the product first."))
            return
        text = dialog.qty.text().strip().replace(",", "")
        try:
            qty = float(text)
        except ValueError:
            dialog.error.setText(self.tr("Enter the counted quantity."))
            return
        by = self.overview.liaison.name if self.overview else ""

        def work(ctx: OpContext) -> None:
            from pharmacy_app.shortage.store import record_stock_count

            record_stock_count(ctx.conn, match.code, qty, by=by)

        def done(_none: None) -> None:
            dialog.accept()
            self._say(self.tr("Stock count recorded: {0} {1}").format(
                f"{match.generic_name} {match.dosage_form} {match.specification}", f"{qty:g}"))

        def failed(exc: BaseException) -> None:
            if isinstance(exc, ValueError):
                dialog.error.setText(str(exc))
                return
            from ui import errors

            errors.show_error(exc, self)

        self.worker.op(work).success(done).failure(failed).changes("stock_counts").parent(
            self
        ).run()

    # -- output --------------------------------------------------------------------

    def _save_dialog(self, title: str, name_filter: str, suffix: str, name: str) -> QFileDialog:
        dialog = QFileDialog(self.window(), title)
        dialog.setNameFilter(name_filter)
        dialog.setDefaultSuffix(suffix)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.selectFile(name)
        self._file_dialog = dialog
        return dialog

    def choose_export_file(self) -> None:
        as_of = self.overview.as_of.isoformat() if self.overview else ""
        dialog = self._save_dialog(
            self.tr("Export list"), self.tr("Excel or JSON (*.xlsx *.json)"), "xlsx",
            f"短缺药品清单_{as_of}.xlsx",
        )
        dialog.fileSelected.connect(self.export_list)
        dialog.open()

    def choose_pdf_file(self) -> None:
        as_of = self.overview.as_of.isoformat() if self.overview else ""
        dialog = self._save_dialog(
            self.tr("Save PDF"), self.tr("PDF (*.pdf)"), "pdf", f"短缺药品报告_{as_of}.pdf"
        )
        dialog.fileSelected.connect(self.print_unresolved)
        dialog.open()

    def export_list(self, path: str | Path) -> None:
        """The reports the list shows, as xlsx or JSON (stable keys)."""
        self._write(Path(path), pdf=False, statuses=self._statuses())

    def print_unresolved(self, path: str | Path) -> None:
        """Every unresolved report, one A4 page each."""
        self._write(Path(path), pdf=True, statuses=OPEN_STATUSES)

    def _write(self, target: Path, *, pdf: bool, statuses: Any) -> None:
        as_of = self.overview.as_of if self.overview else None

        def work(ctx: OpContext) -> Path:
            from pharmacy_app.shortage.service import export_for
            from pharmacy_app.shortage.store import list_reports

            document = export_for(ctx.conn, list_reports(ctx.conn, statuses), as_of)
            if pdf:
                from reports.shortage_form import write_shortage_pdf

                write_shortage_pdf(document, target)
            else:
                from pharmacy_app.shortage.export import write_export

                write_export(document, target)
            return target

        self.worker.op(work).success(
            lambda p: self._say(self.tr("Saved {0}").format(p))
        ).with_progress(self.tr("Writing the report…"), parent=self).parent(self).run()

    # -- for tests and screenshots -------------------------------------------------

    @property
    def tables(self) -> tuple[QTableView, QTableView]:
        return self.report_view, self.proposal_view
