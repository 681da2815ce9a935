"""The agreed-volumes page (约定采购量; RULES.md AV-1…AV-9, AV-11, AV-12).

One row per agreement with its progress bar against 序时进度, band,
non-selected share and alerts; selecting a row shows its year month by
month and the purchase lines behind it. Every figure is
`indicators.agreements.compute_agreements`' — what `compute_indicators` and
`pharmacy-app indicators --json` print — computed on the database worker
(`indicators.agreement_detail` adds names, months and lines). Supply
emergencies (AV-7) and exemptions (AV-9) are entered from here; after a save
the worker's data-changed signal makes the page recompute.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ui.agreements.charts import ChartMonth, MonthlyChart, ProgressDelegate
from ui.agreements.dialogs import EmergenciesDialog, ExemptionsDialog, LinesDialog
from ui.agreements.models import (
    BAND_NAMES,
    PROGRESS_COLUMN,
    AgreementsModel,
    band_colour,
    pct,
    qty_text,
)
from ui.i18n import N_, tr
from ui.page_parts import AsOfPage, message_label, page_layout
from ui.tables import make_table_view
from ui.worker import DbWorker, OpContext

if TYPE_CHECKING:
    from pharmacy_app.indicators.agreement_detail import (
        AgreementDetail,
        AgreementRow,
        AgreementsView,
    )
    from pharmacy_app.indicators.agreements import AgreementFigures

# Tables whose change can move a figure.
WATCHED = (
    "agreements",
    "agreement_products",
    "agreement_emergencies",
    "agreement_exemptions",
    "purchase_lines",
    "products",
    "institutions",
    "policy_profiles",
    "app_settings",
)

# Widest a column is sized to fit (pixels): long product and exemption texts
# would push the alerts column off screen; their tooltips keep the full text.
COLUMN_WIDTHS = {2: 250, 8: 170}

FILTER_NAMES = (
    ("all", N_("All agreements")),
    ("behind", N_("Behind schedule (AV-2)")),
    ("unqualified", N_("Unqualified (AV-3)")),
)


def load_view(conn: Any, as_of: dt.date | None) -> AgreementsView:
    """Runs on the worker: the figures the CLI prints, as of the chosen or default date."""
    from pharmacy_app.indicators.agreement_detail import load_agreements_view
    from ui.essential.page import default_as_of

    return load_agreements_view(conn, as_of or default_as_of(conn))


class AgreementsPage(AsOfPage):
    """约定采购量: progress against 序时进度, bands, non-selected share, alerts."""

    watched = WATCHED

    figures_shown = Signal()
    detail_shown = Signal()

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(worker, parent)
        self.view_data: AgreementsView | None = None
        self.detail: AgreementDetail | None = None
        self._detail_figures: AgreementFigures | None = None
        self._asked_figures: AgreementFigures | None = None
        self._pending_subject: str | None = None
        self._lines_request: tuple[int, str | None] | None = None
        self.dialogs: list[QDialog] = []
        self._build()

    # -- layout ------------------------------------------------------------------
    def _build(self) -> None:
        outer = page_layout(self)

        self._add_header(outer, self.tr("Agreed volumes"))
        self.profile_label.setObjectName("profileLabel")

        bar = QHBoxLayout()
        self.filter_combo = QComboBox()
        self.filter_combo.setObjectName("agreementFilter")
        for key, name in FILTER_NAMES:
            self.filter_combo.addItem(self.tr(name), key)
        self.filter_combo.currentIndexChanged.connect(self._apply_filter)
        bar.addWidget(self.filter_combo)
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("agreementSearch")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setPlaceholderText(
            self.tr("Search batch, 通用名, code, manufacturer or pinyin initials")
        )
        self.search_edit.textChanged.connect(self._apply_filter)
        bar.addWidget(self.search_edit, 1)
        self.emergencies_button = QPushButton(self.tr("Supply emergencies…"))
        self.emergencies_button.setToolTip(
            self.tr("Declare a supply emergency: backup purchases count as selected (AV-7)")
        )
        self.emergencies_button.clicked.connect(self.open_emergencies)
        bar.addWidget(self.emergencies_button)
        self.exemptions_button = QPushButton(self.tr("Exemptions…"))
        self.exemptions_button.setToolTip(
            self.tr("Record a 通用名 exempt from the completion assessment (AV-9)")
        )
        self.exemptions_button.clicked.connect(self.open_exemptions)
        bar.addWidget(self.exemptions_button)
        outer.addLayout(bar)

        self.summary_label = QLabel()
        self.summary_label.setObjectName("agreementsSummary")
        self.summary_label.setWordWrap(True)
        outer.addWidget(self.summary_label)
        self.message = message_label()
        self.message.setStyleSheet("color: #b3261e;")
        outer.addWidget(self.message)

        splitter = QSplitter(Qt.Orientation.Vertical)
        self.model = AgreementsModel(self)
        self.table = make_table_view(self.model, "agreementsTable")
        self.table.setItemDelegateForColumn(PROGRESS_COLUMN, ProgressDelegate(self.table))
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        splitter.addWidget(self.table)

        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 4, 0, 0)
        detail_row = QHBoxLayout()
        self.detail_label = QLabel(self.tr("Select an agreement to see its months."))
        self.detail_label.setObjectName("detailLabel")
        self.detail_label.setWordWrap(True)
        detail_row.addWidget(self.detail_label, 1)
        self.lines_button = QPushButton(self.tr("Purchase lines…"))
        self.lines_button.setObjectName("linesButton")
        self.lines_button.setEnabled(False)
        self.lines_button.clicked.connect(lambda: self.show_lines())
        detail_row.addWidget(self.lines_button)
        lower_layout.addLayout(detail_row)
        self.chart = MonthlyChart()
        self.chart.setToolTip("")
        self.chart.month_clicked.connect(lambda month: self.show_lines(month=month))
        lower_layout.addWidget(self.chart, 1)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        outer.addWidget(splitter, 1)

    # -- loading -------------------------------------------------------------------
    def load(self) -> None:
        """Recompute on the worker; the page updates when the figures arrive."""
        if not self._start_load():
            return
        as_of = self.chosen_as_of()

        def work(ctx: OpContext) -> AgreementsView:
            return load_view(ctx.conn, as_of)

        self.worker.op(work).success(self._loaded).failure(self._failed).parent(self).run()

    def _loaded(self, data: AgreementsView) -> None:
        if not self._load_finished():
            return
        self.message.hide()
        self.view_data = data
        self._set_as_of(data.as_of)
        self.institution_label.setText(data.institution_name)
        self.profile_label.setText(
            self.tr("Policy profile: {0} ({1})").format(data.profile_name, data.profile_label)
        )
        self.summary_label.setText(self.summary_text(data))
        self._apply_filter()
        self.figures_shown.emit()

    def summary_text(self, data: AgreementsView) -> str:
        """AV-3 (004): the total over all assessed 通用名, and how many are behind."""
        rows = [r.figures for r in data.rows]
        behind = sum(1 for f in rows if not f.exempt and f.behind_schedule)
        unqualified = sum(1 for f in rows if not f.exempt and f.started and f.band == "unqualified")
        exempt = sum(1 for f in rows if f.exempt)
        t = data.total
        return self.tr(
            "{0} agreements, {1} assessed: total progress {2} ({3}; {4} of {5} units) · "
            "{6} behind schedule · {7} unqualified · {8} exempt"
        ).format(
            len(rows), t.agreements, pct(t.progress), tr(BAND_NAMES[t.band]),
            qty_text(t.selected_qty), qty_text(t.agreed_qty), behind, unqualified, exempt,
        )

    # -- filter and selection ------------------------------------------------------
    def filter_key(self) -> str:
        return str(self.filter_combo.currentData())

    def _apply_filter(self) -> None:
        if self.view_data is None:
            return
        from pharmacy_app.indicators.agreement_detail import filter_rows

        keep = self.selected_id()
        rows = filter_rows(self.view_data.rows, self.filter_key(), self.search_edit.text())
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        for c in range(header.count() - 1):
            header.resizeSection(c, min(header.sectionSize(c) + 12, COLUMN_WIDTHS.get(c, 300)))
        header.resizeSection(PROGRESS_COLUMN, max(header.sectionSize(PROGRESS_COLUMN), 200))
        if self._pending_subject is not None:
            subject, self._pending_subject = self._pending_subject, None
            self.focus_subject(subject)
            return
        row = self.model.row_of(keep) if keep is not None else None
        if row is None and self.model.rowCount():
            row = 0
        if row is not None:
            self.select_row(row)
        else:
            self._show_detail(None)

    def selected_id(self) -> int | None:
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= self.model.rowCount():
            return None
        return self.model.row_at(index.row()).id

    def selected_row(self) -> AgreementRow | None:
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= self.model.rowCount():
            return None
        return self.model.row_at(index.row())

    def select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        self._request_detail()

    def focus_subject(self, subject: str) -> bool:
        """Select the agreement an alert names (`batch 通用名`, maybe `/ code` after it).

        Called by the home page's alerts panel; before the figures arrive the
        subject is remembered and selected when they do.
        """
        key = subject.split(" / ")[0].strip()
        if self.view_data is None:
            self._pending_subject = key
            return False
        match = next((r for r in self.view_data.rows if r.subject == key), None)
        if match is None:
            return False
        if self.model.row_of(match.id) is None:
            self.filter_combo.blockSignals(True)
            self.filter_combo.setCurrentIndex(0)
            self.filter_combo.blockSignals(False)
            self.search_edit.blockSignals(True)
            self.search_edit.clear()
            self.search_edit.blockSignals(False)
            self._apply_filter()
        row = self.model.row_of(match.id)
        if row is None:
            return False
        self.select_row(row)
        return True

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self._request_detail()

    # -- month chart and lines -----------------------------------------------------
    def _request_detail(self) -> None:
        """Months and lines of the selected agreement, read once per figures object."""
        row = self.selected_row()
        self.lines_button.setEnabled(row is not None)
        if row is None:
            self._show_detail(None)
            return
        if self.detail is not None and self._detail_figures is row.figures:
            self._show_detail(self.detail)
            return
        if self._asked_figures is row.figures:
            return  # already asked; the answer is on its way
        figures = row.figures
        self._asked_figures = figures

        def work(ctx: OpContext) -> AgreementDetail:
            from pharmacy_app.indicators.agreement_detail import load_agreement_detail

            return load_agreement_detail(ctx.conn, figures)

        self.worker.op(work).success(
            lambda detail: self._detail_loaded(detail, figures)
        ).parent(self).run()

    def _detail_loaded(self, detail: AgreementDetail, figures: AgreementFigures) -> None:
        if self._asked_figures is figures:
            self._asked_figures = None
        row = self.selected_row()
        if row is None or row.figures is not figures:
            return  # the selection or the figures moved on; their own request follows
        self.detail = detail
        self._detail_figures = figures
        self._show_detail(detail)
        if self._lines_request is not None and self._lines_request[0] == detail.agreement_id:
            month = self._lines_request[1]
            self._lines_request = None
            self.show_lines(month=month)
        self.detail_shown.emit()

    def _show_detail(self, detail: AgreementDetail | None) -> None:
        row = self.selected_row()
        if detail is None or row is None:
            self.lines_button.setEnabled(row is not None)
            self.chart.set_months([])
            self.detail_label.setText(self.tr("Select an agreement to see its months."))
            return
        f = row.figures
        months = []
        for m in detail.months:
            tip = self.tr(
                "{0}: selected {1}, non-selected {2}, excluded {3}\n"
                "cumulative progress {4} against time-sequence {5}"
            ).format(
                m.month, qty_text(m.selected_qty), qty_text(m.non_selected_qty),
                qty_text(m.excluded_qty), pct(m.progress), pct(m.time_progress),
            ) if m.reached else self.tr("{0}: not reached yet").format(m.month)
            months.append(ChartMonth(
                m.month, float(m.selected_qty), float(m.non_selected_qty),
                None if m.progress is None else float(m.progress), float(m.time_progress), tip,
            ))
        self.chart.set_months(months, self.tr("{0} {1} · {2} to {3}").format(
            f.batch, f.generic, f.start.isoformat(), f.end.isoformat()))
        colour = band_colour(row).name()
        ratio = f.last_year_ratio
        self.detail_label.setText(self.tr(
            "Progress {0} against time-sequence {1} (AV-2); agreed {2} = {3} of last year's "
            "{4} (AV-1); selected price {5} yuan per unit. Click a month or press "
            "“Purchase lines…” to see the lines."
        ).format(
            f"<b style='color:{colour}'>{pct(f.progress)}</b>", pct(f.time_progress),
            qty_text(f.agreed_qty), pct(ratio, 0), qty_text(f.last_year_qty),
            f"{float(f.selected_price):.4f}",
        ))

    def show_lines(self, agreement_id: int | None = None, month: str | None = None) -> None:
        """Drill-down: the purchase lines behind the selected agreement (one month or all)."""
        row = self.selected_row()
        if agreement_id is not None and (row is None or row.id != agreement_id):
            r = self.model.row_of(agreement_id)
            if r is None:
                return
            self.select_row(r)
            row = self.selected_row()
        if row is None:
            return
        if self.detail is None or self._detail_figures is not row.figures:
            self._lines_request = (row.id, month)
            self._request_detail()
            return
        dialog = LinesDialog(row.figures, self.detail, month, self.window())
        self._open(dialog)

    def _double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.show_lines(self.model.row_at(index.row()).id)

    # -- emergencies and exemptions ------------------------------------------------
    def _open(self, dialog: QDialog) -> QDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.dialogs = [d for d in self.dialogs if _alive(d)]
        self.dialogs.append(dialog)
        dialog.open()
        return dialog

    def _today(self) -> dt.date:
        return self.view_data.as_of if self.view_data is not None else dt.date.today()

    def open_emergencies(self) -> EmergenciesDialog:
        dialog = EmergenciesDialog(self.worker, self._today(), self.window())
        self._preset(dialog)
        self._open(dialog)
        return dialog

    def open_exemptions(self) -> ExemptionsDialog:
        dialog = ExemptionsDialog(self.worker, self._today(), self.window())
        self._preset(dialog)
        self._open(dialog)
        return dialog

    def _preset(self, dialog: EmergenciesDialog | ExemptionsDialog) -> None:
        row = self.selected_row()
        if row is not None:
            generic, batch = row.figures.generic, row.figures.batch
            dialog.records_shown.connect(
                lambda: dialog.select_generic(generic, batch),
                Qt.ConnectionType.SingleShotConnection,
            )


def _alive(widget: QWidget) -> bool:
    import shiboken6

    return shiboken6.isValid(widget)
