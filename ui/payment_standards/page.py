"""The payment-standards page (医保支付标准): PS-1 … PS-4 per product of every VBP 通用名.

Every figure comes from `pharmacy_app.payment_standards.payment_standards_table`
— the code behind `pharmacy-app payment-standards` — run on the database
worker. Filtering is the domain's `filter_rows` over the computed rows (a
few hundred products at most), export the domain's `export_xlsx`, run on the
worker too; this module only lays them out.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ui.essential.page import PAGE_STYLE
from ui.i18n import N_, tr
from ui.page_parts import AsOfPage, fit_columns, message_label, page_layout
from ui.suppliers.models import Column, ColumnTableModel
from ui.tables import make_table_view
from ui.worker import DbWorker, OpContext

if TYPE_CHECKING:
    from pharmacy_app.payment_standards import StandardsTable

WATCHED = ("products", "agreements", "institutions", "policy_profiles", "app_settings")

KIND_NAMES = {
    "selected": N_("Selected product"),
    "originator": N_("Originator / reference"),
    "evaluated": N_("Consistency-evaluated generic"),
    "not_evaluated": N_("Generic not evaluated"),
    "consumable": N_("Consumable"),
}

Row = dict[str, Any]


def _year(r: Row) -> str:
    text = tr("Year {0}").format(r["policy_year"])
    return text if r["in_force"] else tr("{0} (not yet in force)").format(text)


COLUMNS: list[Column[Row]] = [
    Column(N_("Batch"), lambda r: r["batch"]),
    Column(N_("Generic name"), lambda r: r["generic"]),
    Column(N_("Manufacturer"), lambda r: r["manufacturer"], tooltip=lambda r: r["manufacturer"]),
    Column(N_("Specification"), lambda r: r["spec"],
           warn=lambda r: r["spec_differs"],
           tooltip=lambda r: tr("Another specification than the selected product's: "
                                "compared per smallest unit") if r["spec_differs"] else ""),
    Column(N_("Kind"), lambda r: tr(KIND_NAMES[r["kind"]])),
    Column(N_("Rule"), lambda r: r["rule"]),
    Column(N_("Selected price"), lambda r: f"{r['selected_price']:.4f}", align_right=True),
    Column(N_("Product price"), lambda r: str(r["price"]), align_right=True,
           warn=lambda r: r["gradient"],
           tooltip=lambda r: tr("Above the gradient multiple of the selected price: "
                                "steps down over three years") if r["gradient"] else ""),
    Column(N_("Year 1"), lambda r: str(r["year1"]), align_right=True),
    Column(N_("Year 2"), lambda r: str(r["year2"]), align_right=True),
    Column(N_("Year 3"), lambda r: str(r["year3"]), align_right=True),
    Column(N_("Policy year"), _year),
    Column(N_("Standard in force"), lambda r: str(r["standard"]), align_right=True),
    Column(N_("Patient pays extra per package"), lambda r: f"{r['patient_extra_per_package']:,.2f}",
           align_right=True, warn=lambda r: r["patient_extra_per_package"] > 0,
           tooltip=lambda r: tr("Per package {0} ({1} smallest units)").format(
               r["package"], r["conversion"])),
]


def load_table(conn: Any, as_of: dt.date | None) -> tuple[StandardsTable, str]:
    """Runs on the worker: the table the CLI prints, and the institution's name."""
    from pharmacy_app.institutions import current_institution
    from pharmacy_app.payment_standards import payment_standards_table
    from ui.essential.page import default_as_of

    table = payment_standards_table(conn, as_of or default_as_of(conn))
    inst = current_institution(conn)
    return table, (f"{inst.name}（{inst.code}）" if inst else "")


class PaymentStandardsPage(AsOfPage):
    """医保支付标准: the year 1/2/3 standards, the one in force and the patient's extra cost."""

    watched = WATCHED

    table_shown = Signal()
    exported = Signal(object)  # Path

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(worker, parent)
        self.table: StandardsTable | None = None
        self.institution = ""
        self.setStyleSheet(PAGE_STYLE)
        self._build()

    def _build(self) -> None:
        outer = page_layout(self)
        self._add_header(outer, self.tr("Payment standards"))

        self.message = message_label()
        outer.addWidget(self.message)

        rules = QLabel(self.tr(
            "PS-1 originator, reference and consistency-evaluated products: up to twice the "
            "selected price (twice included) the standard is the selected price; above it, "
            "year 1 is 70% of the product's price, year 2 a further 30% of it lower, year 3 the "
            "selected price, never below it; a product cheaper than the selected one is paid "
            "at its own price. PS-2 generics not evaluated: the lower of the two prices, no "
            "transition. PS-3 the patient pays the part above the standard. PS-4 consumables: "
            "the category's negotiated price. Prices per smallest unit, in yuan."))
        rules.setObjectName("figureCaption")
        rules.setWordWrap(True)
        outer.addWidget(rules)

        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText(self.tr("Search generic name, product, code, maker, batch"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._apply_filter)
        bar.addWidget(self.search, 2)
        self.kind_combo = QComboBox()
        self.kind_combo.setObjectName("kindFilter")
        self.kind_combo.addItem(self.tr("All kinds"), "")
        for key, name in KIND_NAMES.items():
            self.kind_combo.addItem(tr(name), key)
        self.kind_combo.currentIndexChanged.connect(self._apply_filter)
        bar.addWidget(self.kind_combo)
        self.extra_check = QCheckBox(self.tr("Only where the patient pays extra"))
        self.extra_check.toggled.connect(self._apply_filter)
        bar.addWidget(self.extra_check)
        bar.addStretch(1)
        self.export_button = QPushButton(self.tr("Export to Excel…"))
        self.export_button.clicked.connect(self._choose_export)
        bar.addWidget(self.export_button)
        outer.addLayout(bar)

        self.summary = QLabel()
        self.summary.setObjectName("summaryLabel")
        self.summary.setWordWrap(True)
        outer.addWidget(self.summary)
        self.model: ColumnTableModel[Row] = ColumnTableModel(COLUMNS, self)
        self.view = make_table_view(self.model, "paymentStandardsTable")
        outer.addWidget(self.view, 1)
        self.missing_label = QLabel()
        self.missing_label.setObjectName("figureCaption")
        self.missing_label.setWordWrap(True)
        outer.addWidget(self.missing_label)

    # -- loading -------------------------------------------------------------------

    def load(self) -> None:
        if not self._start_load():
            return
        as_of = self.chosen_as_of()

        def work(ctx: OpContext) -> tuple[StandardsTable, str]:
            return load_table(ctx.conn, as_of)

        self.worker.op(work).success(self._loaded).failure(self._failed).parent(self).run()

    def _loaded(self, result: tuple[StandardsTable, str]) -> None:
        if not self._load_finished():
            return
        self.table, self.institution = result
        self._show()
        self.table_shown.emit()

    def _failed(self, exc: BaseException) -> None:
        self._loading = False
        from ui.errors import show_error

        show_error(exc, self.window())

    # -- showing -------------------------------------------------------------------

    def _show(self) -> None:
        t = self.table
        if t is None:
            return
        self._set_as_of(t.as_of)
        self.institution_label.setText(self.institution)
        self.profile_label.setText(self.tr("Policy profile: {0}").format(t.profile))
        if not t.rows:
            self.message.setText(self.tr(
                "No agreed volumes yet: payment standards follow the selected prices of the "
                "VBP agreements (import agreements first)."))
            self.message.show()
        else:
            self.message.hide()
        if t.missing_price:
            self.missing_label.setText(self.tr(
                "No price in the catalogue, so no standard: {0}").format(
                "、".join(f"{m['generic']} {m['manufacturer']}（{m['code']}）"
                         for m in t.missing_price)))
        else:
            self.missing_label.setText("")
        self._apply_filter()

    def filtered_rows(self) -> list[Row]:
        from pharmacy_app.payment_standards import filter_rows

        if self.table is None:
            return []
        return filter_rows(self.table.rows, self.search.text(),
                           self.kind_combo.currentData() or "", self.extra_check.isChecked())

    def _apply_filter(self) -> None:
        rows = self.filtered_rows()
        self.model.set_rows(rows)
        fit_columns(self.view, 170)
        generics = {(r["batch"], r["generic"]) for r in rows}
        total = len(self.table.rows) if self.table else 0
        self.summary.setText(self.tr(
            "{0} of {1} products, {2} VBP generic names; {3} step down over three years; "
            "the patient pays extra for {4}.").format(
            len(rows), total, len(generics), sum(r["gradient"] for r in rows),
            sum(r["patient_extra_per_package"] > 0 for r in rows)))

    # -- export --------------------------------------------------------------------

    def _choose_export(self) -> None:
        if self.table is None:
            return
        name, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export payment standards"),
            f"医保支付标准_{self.table.as_of.isoformat()}.xlsx", self.tr("Excel files (*.xlsx)"))
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> None:
        """Write the rows shown (after filter and search) to `path` on the worker."""
        table, rows, institution = self.table, self.filtered_rows(), self.institution
        if table is None:
            return

        def work(_ctx: OpContext) -> Path:
            from pharmacy_app.payment_standards import export_xlsx

            return export_xlsx(table, rows, path, institution)

        def done(out: Path) -> None:
            self.summary.setText(self.tr("Exported {0} products to {1}").format(len(rows), out))
            self.exported.emit(out)

        def failed(exc: BaseException) -> None:
            from pharmacy_app.payment_standards import StandardsError

            if isinstance(exc, StandardsError):
                self.summary.setText(self.tr("Not exported: {0}").format(exc))
                return
            from ui.errors import show_error

            show_error(exc, self.window())

        self.worker.op(work).success(done).failure(failed).parent(self).run()
