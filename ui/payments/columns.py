"""The columns of the payments page's tables (titles marked N_, shown translated).

Money arrives in fen and is shown in yuan by `payment_detail.yuan_text`
(two decimals, Decimal arithmetic), the one formatter for money on this page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ui.i18n import N_, tr
from ui.suppliers.models import Column

if TYPE_CHECKING:
    from pharmacy_app.indicators.payment_detail import PaidLine, PaymentRecord, SettlementRow
    from pharmacy_app.indicators.payments import LateOrder, Prepayment


def yuan(fen: int) -> str:
    from pharmacy_app.indicators.payment_detail import yuan_text

    return yuan_text(fen)


# PAY-2 month status (indicators.payment_detail).
STATUS_NAMES = {
    "on_time": N_("Paid on time"),
    "paid_late": N_("Paid late"),
    "overdue": N_("Overdue, still owed"),
    "paid": N_("Paid, deadline not reached"),
    "open": N_("Not yet due"),
}

CALENDAR_COLUMNS: list[Column[SettlementRow]] = [
    Column(N_("Month"), lambda m: m.month),
    Column(N_("VBP purchases (yuan)"), lambda m: yuan(m.purchased_fen), align_right=True),
    Column(N_("Due by"), lambda m: m.deadline.isoformat()),
    Column(N_("Paid by the deadline (yuan)"), lambda m: yuan(m.paid_by_deadline_fen),
           align_right=True),
    Column(N_("Paid to date (yuan)"), lambda m: yuan(m.paid_now_fen), align_right=True),
    Column(N_("Late amount (yuan)"), lambda m: yuan(m.late_fen), align_right=True,
           warn=lambda m: m.late_fen > 0),
    Column(N_("Still owed (yuan)"), lambda m: yuan(m.unpaid_fen), align_right=True,
           warn=lambda m: m.status == "overdue"),
    Column(N_("Status"), lambda m: tr(STATUS_NAMES[m.status]),
           warn=lambda m: m.status in ("overdue", "paid_late"),
           good=lambda m: m.status in ("on_time", "paid")),
]

LATE_COLUMNS: list[Column[LateOrder]] = [
    Column(N_("Month"), lambda o: o.month),
    Column(N_("Order"), lambda o: o.order_id),
    Column(N_("Delivery company"), lambda o: o.supplier),
    Column(N_("Due by"), lambda o: o.deadline.isoformat()),
    Column(N_("VBP amount (yuan)"), lambda o: yuan(o.amount_fen), align_right=True),
    Column(N_("Paid by the deadline (yuan)"), lambda o: yuan(o.paid_by_deadline_fen),
           align_right=True),
    Column(N_("Late amount (yuan)"), lambda o: yuan(o.late_fen), align_right=True,
           warn=lambda o: True),
    Column(N_("Still owed (yuan)"), lambda o: yuan(o.unpaid_now_fen), align_right=True,
           warn=lambda o: o.unpaid_now_fen > 0),
    Column(N_("Status"), lambda o: tr("Paid late") if o.unpaid_now_fen == 0
           else tr("Overdue, still owed"), warn=lambda o: o.unpaid_now_fen > 0),
]

PREPAYMENT_COLUMNS: list[Column[Prepayment]] = [
    Column(N_("Batch"), lambda p: p.batch),
    Column(N_("Generic name"), lambda p: p.generic),
    Column(N_("Agreed quantity (units)"), lambda p: f"{p.agreed_qty:,.0f}", align_right=True),
    Column(N_("Selected price (yuan/unit)"), lambda p: str(p.selected_price), align_right=True),
    Column(N_("Agreed amount (yuan)"), lambda p: yuan(p.agreed_fen), align_right=True),
    Column(N_("Prepayment (yuan)"), lambda p: yuan(p.prepayment_fen), align_right=True),
    Column(N_("From"), lambda p: p.start),
    Column(N_("To"), lambda p: p.end),
]


def paid_line_columns(cutoff_title: str) -> list[Column[PaidLine]]:
    """Lines with what was paid by a cut-off (`cutoff_title`, English) and by now."""
    return [
        Column(N_("Order"), lambda x: x.order_id),
        Column(N_("Line"), lambda x: x.line_no, align_right=True),
        Column(N_("Code"), lambda x: x.code),
        Column(N_("Generic name"), lambda x: x.generic_name),
        Column(N_("Delivery company"), lambda x: x.supplier),
        Column(N_("Ordered"), lambda x: x.ordered_at),
        Column(N_("Delivered"), lambda x: x.delivered_at or ""),
        Column(N_("Amount (yuan)"), lambda x: yuan(x.amount_fen), align_right=True),
        Column(cutoff_title, lambda x: yuan(x.paid_by_cutoff_fen), align_right=True,
               warn=lambda x: x.short_fen > 0),
        Column(N_("Paid to date (yuan)"), lambda x: yuan(x.paid_now_fen), align_right=True,
               warn=lambda x: x.paid_now_fen < x.amount_fen),
    ]


MONTH_LINE_COLUMNS = paid_line_columns(N_("Paid by the deadline (yuan)"))
SHORTFALL_COLUMNS = paid_line_columns(N_("Paid within the window (yuan)"))
OFFLINE_COLUMNS = paid_line_columns(N_("Paid to date (yuan)"))[:-1]

PAYMENT_RECORD_COLUMNS: list[Column[PaymentRecord]] = [
    Column(N_("Paid on"), lambda p: p.paid_on),
    Column(N_("Order"), lambda p: p.order_id),
    Column(N_("Line"), lambda p: tr("Whole order (PAY-0: spread by amount)") if p.whole_order
           else p.line_no),
    Column(N_("Amount (yuan)"), lambda p: yuan(p.amount_fen), align_right=True),
]
