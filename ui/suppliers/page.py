"""The suppliers page (配送企业): SUP-1, SUP-2 (quarters, 约谈), SUP-3, SUP-5, SUP-6.

Every figure comes from `pharmacy_app.indicators.supplier_detail.supplier_overview`,
which calls `compute_suppliers` — the code behind `pharmacy-app indicators
--json` — on the database worker. Selecting a company loads its order lines
and its 48-hour list (SUP-3) on the worker; the list is exported to xlsx by
`pharmacy_app.exports.unresponded`, the same code as
`pharmacy-app suppliers unresponded`, also on the worker.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.home.page import level_name
from ui.page_parts import AsOfPage, fit_columns, page_layout
from ui.suppliers.columns import (
    DELAYED_COLUMNS,
    LINE_COLUMNS,
    OVER_LIMIT_COLUMNS,
    SUPPLIER_COLUMNS,
    quarter_columns,
)
from ui.suppliers.models import ColumnTableModel, pct
from ui.tables import make_table_view
from ui.worker import DbWorker, OpContext

if TYPE_CHECKING:  # the domain pulls in sqlite-utils: imported on the worker only
    from pharmacy_app.exports.unresponded import UnrespondedList
    from pharmacy_app.indicators.supplier_detail import (
        DelayedRow,
        SupplierLine,
        SupplierOverview,
    )
    from pharmacy_app.indicators.suppliers import ProductSuppliers, QuarterFigures, SupplierFigures

# Tables whose change can move a figure.
WATCHED = ("purchase_lines", "products", "institutions", "policy_profiles", "app_settings")


def load_overview(conn: object, as_of: dt.date | None) -> SupplierOverview:
    """Runs on the worker: the figures `indicators --json` prints, for the page."""
    from pharmacy_app.indicators.supplier_detail import supplier_overview
    from ui.essential.page import default_as_of

    return supplier_overview(conn, as_of or default_as_of(conn))  # type: ignore[arg-type]


@dataclass(frozen=True)
class SupplierDetail:
    supplier: str
    lines: list[SupplierLine]
    delayed: list[DelayedRow]


class SuppliersPage(AsOfPage):
    """配送企业: one row per delivery company; its quarters, lines and 48-hour list below."""

    watched = WATCHED

    overview_shown = Signal()
    detail_shown = Signal()
    exported = Signal(object)  # UnrespondedList

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(worker, parent)
        self.overview: SupplierOverview | None = None
        self.detail: SupplierDetail | None = None
        self.last_export: Path | None = None
        self._detail_requested: str | None = None
        self._wanted_supplier: str | None = None
        self._build()

    # -- layout ------------------------------------------------------------------

    def _build(self) -> None:
        outer = page_layout(self)

        self._add_header(outer, self.tr("Suppliers"))

        self.rules_label = QLabel()
        self.rules_label.setObjectName("rulesLabel")
        self.rules_label.setWordWrap(True)
        outer.addWidget(self.rules_label)
        self.summary_label = QLabel()
        self.summary_label.setObjectName("summaryLabel")
        self.summary_label.setWordWrap(True)
        outer.addWidget(self.summary_label)
        self.message = QLabel()
        self.message.setObjectName("pageMessage")
        self.message.setStyleSheet("color: #b3261e;")
        self.message.setWordWrap(True)
        self.message.hide()
        outer.addWidget(self.message)

        self.suppliers_model: ColumnTableModel[SupplierFigures] = ColumnTableModel(
            SUPPLIER_COLUMNS, self)
        self.suppliers_view = make_table_view(self.suppliers_model, "suppliersTable")
        self.suppliers_view.selectionModel().currentRowChanged.connect(self._supplier_selected)

        self.quarters_model: ColumnTableModel[QuarterFigures] = ColumnTableModel([], self)
        self.lines_model: ColumnTableModel[SupplierLine] = ColumnTableModel(LINE_COLUMNS, self)
        self.delayed_model: ColumnTableModel[DelayedRow] = ColumnTableModel(DELAYED_COLUMNS, self)
        self.over_limit_model: ColumnTableModel[ProductSuppliers] = ColumnTableModel(
            OVER_LIMIT_COLUMNS, self)
        self.quarters_view = make_table_view(self.quarters_model, "quartersTable")
        self.lines_view = make_table_view(self.lines_model, "linesTable")
        self.delayed_view = make_table_view(self.delayed_model, "delayedTable")
        self.over_limit_view = make_table_view(self.over_limit_model, "overLimitTable")

        delayed_tab = QWidget()
        dl = QVBoxLayout(delayed_tab)
        dl.setContentsMargins(0, 6, 0, 0)
        export_row = QHBoxLayout()
        self.delayed_note = QLabel()
        self.delayed_note.setWordWrap(True)
        export_row.addWidget(self.delayed_note, 1)
        self.only_open = QCheckBox(self.tr("Only lines still unanswered"))
        self.only_open.toggled.connect(self._only_open_toggled)
        export_row.addWidget(self.only_open)
        self.export_button = QPushButton(self.tr("Export this company's list…"))
        self.export_button.setObjectName("exportSupplier")
        self.export_button.clicked.connect(self.export_selected)
        export_row.addWidget(self.export_button)
        self.export_all_button = QPushButton(self.tr("Export all companies…"))
        self.export_all_button.setObjectName("exportAll")
        self.export_all_button.clicked.connect(self.export_all)
        export_row.addWidget(self.export_all_button)
        dl.addLayout(export_row)
        dl.addWidget(self.delayed_view, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(delayed_tab, "")
        self.tabs.addTab(self.quarters_view, "")
        self.tabs.addTab(self.lines_view, "")
        self.tabs.addTab(self.over_limit_view, "")
        self._set_tab_titles()

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.suppliers_view)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        outer.addWidget(split, 1)
        self.export_status = QLabel()
        self.export_status.setObjectName("exportStatus")
        self.export_status.setWordWrap(True)
        outer.addWidget(self.export_status)
        self._update_buttons()

    def _set_tab_titles(self) -> None:
        name = self.selected_supplier()
        self.tabs.setTabText(0, self.tr("48-hour list (SUP-3): {0}").format(
            self.delayed_model.rowCount()))
        self.tabs.setTabText(1, self.tr("Quarters (SUP-2)") if name is None
                             else self.tr("Quarters of {0}").format(name))
        self.tabs.setTabText(2, self.tr("Order lines ({0})").format(
            f"{self.lines_model.rowCount():,}"))
        limit = self.overview.thresholds.max_companies if self.overview else 5
        self.tabs.setTabText(3, self.tr("Products with more than {0} companies (SUP-6): {1}").format(
            limit, self.over_limit_model.rowCount()))

    def _update_buttons(self) -> None:
        self.export_button.setEnabled(self.detail is not None)
        self.export_all_button.setEnabled(self.overview is not None)

    # -- loading -----------------------------------------------------------------

    def load(self) -> None:
        """Recompute on the worker; the page updates when the figures arrive."""
        if not self._start_load():
            return
        as_of = self.chosen_as_of()

        def work(ctx: OpContext) -> SupplierOverview:
            return load_overview(ctx.conn, as_of)

        self.worker.op(work).success(self._loaded).failure(self._failed).parent(self).run()

    def _loaded(self, overview: SupplierOverview) -> None:
        if not self._load_finished():
            return
        wanted = self._wanted_supplier
        previous = wanted or self.selected_supplier()
        self._wanted_supplier = None
        self.overview = overview
        self.detail = None
        self._detail_requested = None
        self._show(overview)
        if wanted is not None and any(p.code == wanted for p in overview.over_limit):
            self.focus_subject(wanted)  # a SUP-6 product asked for before loading
        names = [s.supplier for s in overview.suppliers]
        row = names.index(previous) if previous in names else (0 if names else -1)
        if row >= 0:
            self.suppliers_view.setCurrentIndex(self.suppliers_model.index(row, 0))
            if self._detail_requested is None:
                self.load_detail(names[row])
        else:
            self._clear_detail()
        self._update_buttons()
        self.overview_shown.emit()

    # -- showing -----------------------------------------------------------------

    def _show(self, o: SupplierOverview) -> None:
        self.message.hide()
        self._set_as_of(o.as_of)
        self.institution_label.setText(self.tr("{0} · {1}").format(
            o.institution.name, level_name(o.institution.level)))
        self.profile_label.setText(self.tr("Policy profile: {0} ({1})").format(
            o.profile.name, o.profile.label))
        t = o.thresholds
        self.rules_label.setText(self.tr(
            "Order lines from {0} to {1}. Response within {2} h, alert below {3} (SUP-1); "
            "delivery within {4} h, alert below {5}, interview (约谈) after {6} consecutive "
            "complete quarters below it (SUP-2); no response {7} h after ordering puts a line "
            "on the 48-hour list, to send to the company within 1 working day (SUP-3); "
            "at most {8} delivery companies per product (SUP-6)."
        ).format(o.period.start_text, o.as_of.isoformat(), t.response_hours,
                 pct(t.response_min, 0), t.delivery_hours, pct(t.timeliness_min, 0),
                 t.interview_quarters, t.unresponded_hours, t.max_companies))
        interviews = sum(s.interview for s in o.suppliers)
        delayed = sum(s.unresponded_48h for s in o.suppliers)
        self.summary_label.setText(self.tr(
            "{0} delivery companies · {1} listed for interview · {2} lines on the 48-hour list "
            "· {3} products over the company limit").format(
                len(o.suppliers), interviews, delayed, len(o.over_limit)))
        self.summary_label.setStyleSheet(
            "color: #c62828; font-weight: bold;" if interviews or delayed or o.over_limit
            else "color: #2e7d32; font-weight: bold;")
        self.suppliers_model.set_rows(o.suppliers)
        self.over_limit_model.set_rows(o.over_limit)
        fit_columns(self.suppliers_view)
        fit_columns(self.over_limit_view)
        self._set_tab_titles()

    def selected_supplier(self) -> str | None:
        index = self.suppliers_view.currentIndex()
        if not index.isValid() or index.row() >= self.suppliers_model.rowCount():
            return None
        return self.suppliers_model.row_at(index.row()).supplier

    def focus_subject(self, subject: str) -> None:
        """Show what an alert is about (ui.home.page.open_from_home calls this):
        a company (SUP-1/2/3: its row and its 48-hour list) or a product code
        (SUP-6: its row among the products over the company limit)."""
        codes = [p.code for p in self.over_limit_model.rows()]
        if subject in codes:
            self.tabs.setCurrentIndex(3)
            self.over_limit_view.selectRow(codes.index(subject))
            return
        self.tabs.setCurrentIndex(0)
        self.select_supplier(subject)

    def select_supplier(self, name: str) -> None:
        """Select `name`'s row (the home page's alerts open the page this way).

        Before the figures have arrived, the wish is kept and honoured when they do.
        """
        self._wanted_supplier = name
        for row, s in enumerate(self.suppliers_model.rows()):
            if s.supplier == name:
                self._wanted_supplier = None
                self.suppliers_view.setCurrentIndex(self.suppliers_model.index(row, 0))
                return

    def _supplier_selected(self, current: object, _previous: object) -> None:
        name = self.selected_supplier()
        if name is not None and name != self._detail_requested:
            self.load_detail(name)

    def _clear_detail(self) -> None:
        self.detail = None
        self.quarters_model.set_rows([])
        self.lines_model.set_rows([])
        self.delayed_model.set_rows([])
        self.delayed_note.setText("")
        self._set_tab_titles()
        self._update_buttons()

    def load_detail(self, supplier: str) -> None:
        """The company's quarters at once; its lines and 48-hour list from the worker."""
        o = self.overview
        if o is None:
            return
        self._detail_requested = supplier
        figures = o.supplier(supplier)
        if figures is not None:
            self.quarters_model.set_columns(quarter_columns(figures.timeliness_min),
                                            figures.quarters)
            fit_columns(self.quarters_view)
        only_open = self.only_open.isChecked()

        def work(ctx: OpContext) -> SupplierDetail:
            from pharmacy_app.indicators.supplier_detail import delayed_rows, supplier_lines

            return SupplierDetail(
                supplier,
                supplier_lines(ctx.conn, o.institution, o.as_of, o.profile, supplier),
                delayed_rows(ctx.conn, o.institution, o.as_of, o.profile, supplier=supplier,
                             only_open=only_open),
            )

        self.worker.op(work).success(self._detail_loaded).parent(self).run()

    def _detail_loaded(self, detail: SupplierDetail) -> None:
        if detail.supplier != self._detail_requested:
            return  # the user moved on; that selection has its own load
        self.detail = detail
        self.lines_model.set_rows(detail.lines)
        self.delayed_model.set_rows(detail.delayed)
        open_count = sum(r.still_open for r in detail.delayed)
        self.delayed_note.setText(self.tr(
            "{0}: {1} lines not responded within {2} h of ordering, {3} of them still "
            "unanswered. Send the list to the company within 1 working day.").format(
                detail.supplier, len(detail.delayed),
                self.overview.thresholds.unresponded_hours if self.overview else 48, open_count))
        fit_columns(self.lines_view, 200)
        fit_columns(self.delayed_view, 240)
        self._set_tab_titles()
        self._update_buttons()
        self.detail_shown.emit()

    def _only_open_toggled(self, _checked: bool) -> None:
        name = self.selected_supplier()
        if name is not None:
            self.load_detail(name)

    # -- export --------------------------------------------------------------------

    def _ask_path(self, supplier: str | None) -> Path | None:
        as_of = self.overview.as_of.isoformat() if self.overview else ""
        from pharmacy_app.parsing import file_name_part

        company = file_name_part(supplier) if supplier else self.tr("all companies")
        name = self.tr("Delayed-response list") + f"_{company}_{as_of}.xlsx"
        folder = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation)
        if self.last_export is not None:
            folder = str(self.last_export.parent)
        chosen, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Export the 48-hour list"), str(Path(folder) / name),
            self.tr("Excel workbook (*.xlsx)"))
        if not chosen:
            return None
        path = Path(chosen)
        return path if path.suffix.lower() == ".xlsx" else path.with_suffix(".xlsx")

    def export_selected(self) -> None:
        """File dialog, then the selected company's list to xlsx on the worker."""
        name = self.selected_supplier()
        if name is None:
            return
        path = self._ask_path(name)
        if path is not None:
            self.export_to(path, name)

    def export_all(self) -> None:
        path = self._ask_path(None)
        if path is not None:
            self.export_to(path, None)

    def export_to(self, path: Path, supplier: str | None) -> None:
        """Write the list for `supplier` (None: all) as of the page's date to `path`."""
        if self.overview is None:
            return
        as_of = self.overview.as_of
        only_open = self.only_open.isChecked()

        def work(ctx: OpContext) -> UnrespondedList:
            from pharmacy_app.exports.unresponded import export_unresponded

            return export_unresponded(ctx.conn, as_of, path, supplier=supplier,
                                      only_open=only_open)

        self.export_status.setText(self.tr("Exporting…"))
        self.worker.op(work).success(
            lambda data: self._exported(path, data)
        ).failure(self._export_failed).with_progress(
            self.tr("Exporting the 48-hour list…"), parent=self
        ).run()

    def _exported(self, path: Path, data: UnrespondedList) -> None:
        self.last_export = path
        self.export_status.setStyleSheet("color: #2e7d32;")
        self.export_status.setText(self.tr("Exported {0} lines ({1}) to {2}").format(
            len(data.rows), data.supplier or self.tr("all companies"), str(path)))
        self.exported.emit(data)

    def _export_failed(self, exc: BaseException) -> None:
        from pharmacy_app.exports.unresponded import ExportRejected

        self.export_status.setStyleSheet("color: #c62828;")
        if isinstance(exc, ExportRejected | OSError):
            self.export_status.setText(self.tr("Not exported: {0}").format(str(exc)))
            return
        self.export_status.setText("")
        from ui.errors import show_error

        show_error(exc, self.window())
