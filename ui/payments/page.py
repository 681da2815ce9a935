"""The payments page (回款与结算): PAY-0 … PAY-4.

Every figure comes from `pharmacy_app.indicators.payment_detail.payment_overview`,
which calls `compute_payments` — the code behind `pharmacy-app indicators
--json` — on the database worker. The settlement calendar's status, the PAY-3
denominator split and the drill-down rows are domain functions too; this
module only lays them out.

Drill-down: double-click a month (its VBP lines, PAY-2), a late order (its
lines and payment records, PAY-0), or click the 30-day rate (lines not paid
within 30 days, PAY-3) or the offline share (offline lines, PAY-4).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.essential.page import PAGE_STYLE, FigureCard
from ui.home.page import level_name
from ui.page_parts import AsOfPage, fit_columns, message_label, page_layout
from ui.payments.columns import (
    CALENDAR_COLUMNS,
    LATE_COLUMNS,
    MONTH_LINE_COLUMNS,
    OFFLINE_COLUMNS,
    PAYMENT_RECORD_COLUMNS,
    PREPAYMENT_COLUMNS,
    SHORTFALL_COLUMNS,
    yuan,
)
from ui.suppliers.models import Column, ColumnTableModel, pct
from ui.tables import make_table_view
from ui.worker import DbWorker, OpContext

if TYPE_CHECKING:  # the domain pulls in sqlite-utils: imported on the worker only
    from pharmacy_app.indicators.payment_detail import (
        PaidLine,
        PaymentOverview,
        PaymentRecord,
        SettlementRow,
    )
    from pharmacy_app.indicators.payments import LateOrder, Prepayment

WATCHED = ("purchase_lines", "payments", "products", "agreements", "institutions",
           "policy_profiles", "app_settings")


def load_overview(conn: Any, as_of: dt.date | None) -> PaymentOverview:
    """Runs on the worker: the figures `indicators --json` prints, for the page."""
    from pharmacy_app.indicators.payment_detail import payment_overview
    from ui.essential.page import default_as_of

    return payment_overview(conn, as_of or default_as_of(conn))


class LinesDialog(QDialog):
    """Rows behind a figure: one or two tables under an explanation."""

    def __init__(self, title: str, intro: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(980, 560)
        self._layout = QVBoxLayout(self)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self._layout.addWidget(self.intro)
        self.models: list[ColumnTableModel[Any]] = []
        self._buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self._buttons.rejected.connect(self.reject)

    def add_table(self, columns: list[Column[Any]], rows: list[Any], name: str,
                  caption: str | None = None) -> ColumnTableModel[Any]:
        if caption:
            self._layout.addWidget(QLabel(caption))
        model: ColumnTableModel[Any] = ColumnTableModel(columns, self)
        model.set_rows(rows)
        view = make_table_view(model, name)
        fit_columns(view, 220)
        self._layout.addWidget(view, 1)
        self.models.append(model)
        return model

    def finish(self) -> LinesDialog:
        self._layout.addWidget(self._buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.open()
        return self


class PaymentsPage(AsOfPage):
    """回款: settlement calendar, late payments, 30-day rate, prepayments, offline share."""

    watched = WATCHED

    overview_shown = Signal()
    dialog_opened = Signal(object)  # LinesDialog

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(worker, parent)
        self.overview: PaymentOverview | None = None
        self._wanted_month: str | None = None
        self.setStyleSheet(PAGE_STYLE)
        self._build()

    # -- layout ------------------------------------------------------------------

    def _build(self) -> None:
        outer = page_layout(self)

        self._add_header(outer, self.tr("Payments"))

        self.message = message_label()
        outer.addWidget(self.message)

        cards = QGridLayout()
        cards.setSpacing(10)
        self.rate_card = FigureCard(self.tr("30-day payment rate (PAY-3)"))
        self.offline_card = FigureCard(self.tr("Offline purchase share (PAY-4)"))
        self.late_card = FigureCard(self.tr("Settled late (PAY-2)"))
        self.prepay_card = FigureCard(self.tr("Prepayment (PAY-1)"))
        self.rate_card.setToolTip(self.tr("Click to see the lines not paid within the window"))
        self.offline_card.setToolTip(self.tr("Click to see the offline purchase lines"))
        self.late_card.setToolTip(self.tr("Click to see the late payments"))
        self.prepay_card.setToolTip(self.tr("Click to see the prepayment per agreement"))
        self.rate_card.clicked.connect(self.show_shortfall)
        self.offline_card.clicked.connect(self.show_offline)
        self.late_card.clicked.connect(lambda: self.tabs.setCurrentIndex(1))
        self.prepay_card.clicked.connect(lambda: self.tabs.setCurrentIndex(2))
        for i, card in enumerate((self.rate_card, self.offline_card, self.late_card,
                                  self.prepay_card)):
            card.detail.setWordWrap(True)
            cards.addWidget(card, 0, i)
            cards.setColumnStretch(i, 1)
        outer.addLayout(cards)

        self.basis_label = QLabel()
        self.basis_label.setObjectName("basisLabel")
        self.basis_label.setWordWrap(True)
        outer.addWidget(self.basis_label)
        self.settlement_label = QLabel()
        self.settlement_label.setObjectName("settlementLabel")
        self.settlement_label.setWordWrap(True)
        outer.addWidget(self.settlement_label)

        self.calendar_model: ColumnTableModel[SettlementRow] = ColumnTableModel(
            CALENDAR_COLUMNS, self)
        self.late_model: ColumnTableModel[LateOrder] = ColumnTableModel(LATE_COLUMNS, self)
        self.prepay_model: ColumnTableModel[Prepayment] = ColumnTableModel(
            PREPAYMENT_COLUMNS, self)
        self.calendar_view = make_table_view(self.calendar_model, "calendarTable")
        self.late_view = make_table_view(self.late_model, "lateTable")
        self.prepay_view = make_table_view(self.prepay_model, "prepaymentTable")
        self.calendar_view.doubleClicked.connect(self._month_double_clicked)
        self.late_view.doubleClicked.connect(self._late_double_clicked)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.calendar_view, "")
        self.tabs.addTab(self.late_view, "")
        self.tabs.addTab(self.prepay_view, "")
        self._set_tab_titles()
        outer.addWidget(self.tabs, 1)
        hint = QLabel(self.tr(
            "Double-click a month or a late order to see its lines and payments. A payment "
            "for a whole order is spread over its lines by amount, never more than a line's "
            "amount (PAY-0)."))
        hint.setObjectName("figureCaption")
        hint.setWordWrap(True)
        outer.addWidget(hint)

    def _set_tab_titles(self) -> None:
        self.tabs.setTabText(0, self.tr("Settlement calendar (PAY-2)"))
        self.tabs.setTabText(1, self.tr("Late payments (PAY-2): {0}").format(
            self.late_model.rowCount()))
        self.tabs.setTabText(2, self.tr("Prepayments (PAY-1): {0}").format(
            self.prepay_model.rowCount()))

    # -- loading -----------------------------------------------------------------

    def load(self) -> None:
        if not self._start_load():
            return
        as_of = self.chosen_as_of()

        def work(ctx: OpContext) -> PaymentOverview:
            return load_overview(ctx.conn, as_of)

        self.worker.op(work).success(self._loaded).failure(self._failed).parent(self).run()

    def _loaded(self, overview: PaymentOverview) -> None:
        if not self._load_finished():
            return
        self.overview = overview
        self._show(overview)
        if self._wanted_month is not None:
            self.focus_subject(self._wanted_month)
            self._wanted_month = None
        self.overview_shown.emit()

    # -- showing -----------------------------------------------------------------

    def _show(self, o: PaymentOverview) -> None:
        f = o.figures
        self.message.hide()
        self._set_as_of(o.as_of)
        self.institution_label.setText(self.tr("{0} · {1}").format(
            o.institution.name, level_name(o.institution.level)))
        self.profile_label.setText(self.tr("Policy profile: {0} ({1})").format(
            o.profile.name, o.profile.label))
        b = o.thirty_day
        self.rate_card.set_figure(
            pct(f.thirty_day_rate),
            self.tr("{0} of {1} yuan paid within {2} days").format(
                yuan(b.paid_in_window_fen), yuan(b.due_fen), b.window_days))
        self.offline_card.set_figure(
            pct(f.offline_share, 2),
            self.tr("{0} of {1} yuan; limit {2}").format(
                yuan(f.offline_fen), yuan(f.total_fen), pct(f.offline_max, 0)))
        self.offline_card.value.setStyleSheet(
            "color: #c62828;" if f.offline_over_limit else "color: #2e7d32;")
        overdue_months = sum(m.status == "overdue" for m in o.calendar)
        self.late_card.set_figure(
            yuan(o.late_total_fen),
            self.tr("yuan not paid by the deadline; {0} yuan still owed ({1} months)").format(
                yuan(o.unpaid_overdue_fen), overdue_months))
        self.late_card.value.setStyleSheet(
            "color: #c62828;" if o.late_total_fen else "color: #2e7d32;")
        self.prepay_card.set_figure(
            yuan(o.prepayment_total_fen),
            self.tr("yuan: {0} of {1} yuan agreed, {2} agreements").format(
                pct(o.profile["pay_prepayment"], 0), yuan(o.agreed_total_fen),
                len(f.prepayments)))
        self.basis_label.setText(self.tr(
            "30-day rate (PAY-3): of the {0} yuan ordered from {1} to {2}, {3} yuan was "
            "delivered on or before {4} ({5} days before the as-of date) and is due — the "
            "denominator; {6} yuan delivered later is not yet due and {7} yuan is not "
            "delivered, so both are left out. Paid within {5} days of delivery: {8} yuan."
        ).format(yuan(b.total_fen), f.period.start_text, f.period.end.isoformat(),
                 yuan(b.due_fen), b.last_due_delivery.isoformat(), b.window_days,
                 yuan(b.not_yet_due_fen), yuan(b.undelivered_fen),
                 yuan(b.paid_in_window_fen)))
        day = int(o.profile["pay_settlement_day"])
        self.settlement_label.setText(self.tr(
            "Settlement (PAY-2): each month's VBP purchases, by delivery date, are paid to the "
            "delivery company in full by the {0}th of the next month (the day itself counts)."
        ).format(day))
        self.calendar_model.set_rows(o.calendar)
        self.late_model.set_rows(f.late_orders)
        self.prepay_model.set_rows(f.prepayments)
        for view in (self.calendar_view, self.late_view, self.prepay_view):
            fit_columns(view, 220)
        self._set_tab_titles()

    def focus_subject(self, subject: str) -> None:
        """Show what an alert is about (ui.home.page.open_from_home calls this):
        a PAY-2 month ('YYYY-MM') is selected in the settlement calendar; any
        other subject (PAY-4 names the institution) leaves the page as it is.
        Before the figures have arrived, the wish is kept for when they do."""
        months = [m.month for m in self.calendar_model.rows()]
        if subject in months:
            self._wanted_month = None
            self.tabs.setCurrentIndex(0)
            self.calendar_view.selectRow(months.index(subject))
        elif self.overview is None:
            self._wanted_month = subject

    # -- drill-down ----------------------------------------------------------------

    def _month_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.show_month(self.calendar_model.row_at(index.row()).month)

    def _late_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.show_late_order(self.late_model.row_at(index.row()))

    def show_month(self, month: str) -> None:
        """PAY-2: the month's VBP lines, paid by the deadline and by now."""
        o = self.overview
        if o is None:
            return
        row = next((m for m in o.calendar if m.month == month), None)
        if row is None:
            return
        day = int(o.profile["pay_settlement_day"])

        def work(ctx: OpContext) -> list[PaidLine]:
            from pharmacy_app.indicators.payment_detail import month_lines

            return month_lines(ctx.conn, o.figures, month, day)

        def shown(lines: list[PaidLine]) -> None:
            dialog = LinesDialog(
                self.tr("VBP purchases delivered in {0}").format(month),
                self.tr("{0} lines, {1} yuan, due by {2}: paid by then {3} yuan, "
                        "to date {4} yuan.").format(
                    len(lines), yuan(row.purchased_fen), row.deadline.isoformat(),
                    yuan(row.paid_by_deadline_fen), yuan(row.paid_now_fen)),
                self.window())
            dialog.add_table(MONTH_LINE_COLUMNS, lines, "monthLines")
            self.dialog_opened.emit(dialog.finish())

        self.worker.op(work).success(shown).parent(self).run()

    def show_late_order(self, late: LateOrder) -> None:
        """PAY-2 / PAY-0: a late order's VBP lines of the month and its payment records."""
        o = self.overview
        if o is None:
            return
        day = int(o.profile["pay_settlement_day"])

        def work(ctx: OpContext) -> tuple[list[PaidLine], list[PaymentRecord]]:
            from pharmacy_app.indicators.payment_detail import month_lines, order_payments

            return (month_lines(ctx.conn, o.figures, late.month, day, order_id=late.order_id),
                    order_payments(ctx.conn, late.order_id, o.as_of))

        def shown(result: tuple[list[PaidLine], list[PaymentRecord]]) -> None:
            lines, payments = result
            dialog = LinesDialog(
                self.tr("Order {0}").format(late.order_id),
                self.tr("{0}, VBP lines delivered in {1}: {2} yuan, due by {3}; paid by then "
                        "{4} yuan, late {5} yuan, still owed {6} yuan.").format(
                    late.supplier, late.month, yuan(late.amount_fen), late.deadline.isoformat(),
                    yuan(late.paid_by_deadline_fen), yuan(late.late_fen),
                    yuan(late.unpaid_now_fen)),
                self.window())
            dialog.add_table(MONTH_LINE_COLUMNS, lines, "orderLines")
            dialog.add_table(PAYMENT_RECORD_COLUMNS, payments, "orderPayments",
                             self.tr("Payments of the order up to the as-of date"))
            self.dialog_opened.emit(dialog.finish())

        self.worker.op(work).success(shown).parent(self).run()

    def show_shortfall(self) -> None:
        """PAY-3: the due lines not paid in full within the window of their delivery."""
        o = self.overview
        if o is None:
            return

        def work(ctx: OpContext) -> list[PaidLine]:
            from pharmacy_app.indicators.payment_detail import thirty_day_shortfall

            return thirty_day_shortfall(ctx.conn, o.figures)

        def shown(lines: list[PaidLine]) -> None:
            b = o.thirty_day
            dialog = LinesDialog(
                self.tr("Not paid within {0} days (PAY-3)").format(b.window_days),
                self.tr("{0} due lines were not paid in full within {1} days of delivery; "
                        "together {2} yuan short of the {3} yuan due.").format(
                    len(lines), b.window_days, yuan(b.due_fen - b.paid_in_window_fen),
                    yuan(b.due_fen)),
                self.window())
            dialog.add_table(SHORTFALL_COLUMNS, lines, "shortfallLines")
            self.dialog_opened.emit(dialog.finish())

        self.worker.op(work).success(shown).with_progress(
            self.tr("Reading the lines…"), parent=self).run()

    def show_offline(self) -> None:
        """PAY-4: the period's lines bought outside the platform."""
        o = self.overview
        if o is None:
            return

        def work(ctx: OpContext) -> list[PaidLine]:
            from pharmacy_app.indicators.payment_detail import offline_lines

            return offline_lines(ctx.conn, o.figures)

        def shown(lines: list[PaidLine]) -> None:
            f = o.figures
            dialog = LinesDialog(
                self.tr("Offline purchases (PAY-4)"),
                self.tr("{0} lines bought outside the platform, {1} of {2} yuan ({3}); "
                        "limit {4}.").format(
                    len(lines), yuan(f.offline_fen), yuan(f.total_fen), pct(f.offline_share, 2),
                    pct(f.offline_max, 0)),
                self.window())
            dialog.add_table(OFFLINE_COLUMNS, lines, "offlineLines")
            self.dialog_opened.emit(dialog.finish())

        self.worker.op(work).success(shown).parent(self).run()
