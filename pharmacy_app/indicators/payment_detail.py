"""What the payments page shows beyond the FORMATS.md figures (PAY-0 … PAY-4).

The figures — 30-day payment rate, offline share, prepayments, the monthly
settlements and late orders — come from `indicators.payments.compute_payments`,
the function behind `pharmacy-app indicators --json`. This module adds:

- the settlement calendar's status per month (PAY-2), decided here and not
  in a widget;
- the PAY-3 denominator rule made visible: of the period's purchases, what
  is due (delivered at least 30 days before the as-of date), what is not yet
  due, what is not delivered — the three add up to the period's amount;
- the rows behind each figure (drill-down): a month's VBP lines with what
  was paid by the deadline and by now, the lines not paid within 30 days,
  the offline lines, an order's payment records. Each uses the same PAY-0
  expression (`payments.paid_sql`) as the figures, and
  tests/test_payment_detail.py checks that the rows add up to the figures.

Money is integer fen throughout; `yuan_text` is the one place it becomes
"1,234.56" for display (Decimal, so no binary rounding).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from decimal import Decimal

from pharmacy_app.indicators import require_institution
from pharmacy_app.indicators.payments import (
    MonthSettlement,
    PaymentFigures,
    compute_payments,
    paid_sql,
    settlement_deadline,
)
from pharmacy_app.institutions import Institution
from pharmacy_app.policy import PolicyProfile, active_profile

# PAY-2 status of a settlement month at the as-of date.
ON_TIME = "on_time"  # deadline passed, paid in full by it
PAID_LATE = "paid_late"  # deadline passed, paid in full only after it
OVERDUE = "overdue"  # deadline passed, still owed
PAID_EARLY = "paid"  # deadline not reached, already paid in full
OPEN = "open"  # deadline not reached, still to pay

_ORDER_TOTALS = """t AS (SELECT order_id, sum(amount_fen) AS total FROM purchase_lines
                         WHERE order_id IN (SELECT order_id FROM l) GROUP BY order_id)"""


def yuan_text(fen: int) -> str:
    """Fen as yuan with two decimals and thousands separators: 123456 → '1,234.56'."""
    return f"{Decimal(fen) / 100:,.2f}"


@dataclass(frozen=True)
class SettlementRow:
    """PAY-2: one month of the settlement calendar."""

    month: str  # 'YYYY-MM' of delivery
    deadline: dt.date  # last day to pay in full (inclusive)
    purchased_fen: int  # VBP lines delivered in the month
    paid_by_deadline_fen: int
    paid_now_fen: int  # paid by the as-of date
    late_fen: int  # not paid by the deadline (0 before it)
    unpaid_fen: int  # still owed at the as-of date
    status: str


def settlement_status(month: MonthSettlement) -> str:
    """PAY-2 status: judged once the deadline is on or before the as-of date."""
    if month.due:
        if month.late_fen <= 0:
            return ON_TIME
        return PAID_LATE if month.unpaid_now_fen == 0 else OVERDUE
    return PAID_EARLY if month.unpaid_now_fen == 0 else OPEN


def settlement_calendar(figures: PaymentFigures) -> list[SettlementRow]:
    """The month-by-month table of `compute_payments`' PAY-2 settlements."""
    return [
        SettlementRow(m.month, m.deadline, m.delivered_fen, m.paid_by_deadline_fen,
                      m.delivered_fen - m.unpaid_now_fen, m.late_fen, m.unpaid_now_fen,
                      settlement_status(m))
        for m in figures.settlements
    ]


@dataclass(frozen=True)
class ThirtyDayBasis:
    """PAY-3's denominator rule, in money: which purchases of the period count."""

    window_days: int
    last_due_delivery: dt.date  # lines delivered on or before this day are due
    due_fen: int  # the denominator
    paid_in_window_fen: int  # the numerator
    not_yet_due_fen: int  # delivered less than `window_days` days before the as-of date
    undelivered_fen: int  # not delivered by the as-of date
    total_fen: int  # all lines ordered in the period (= due + not yet due + undelivered)


@dataclass(frozen=True)
class PaymentOverview:
    """Everything the payments page shows for one as-of date."""

    institution: Institution
    as_of: dt.date
    profile: PolicyProfile
    figures: PaymentFigures
    calendar: list[SettlementRow]
    thirty_day: ThirtyDayBasis

    @property
    def late_total_fen(self) -> int:
        return sum(m.late_fen for m in self.calendar)

    @property
    def unpaid_overdue_fen(self) -> int:
        return sum(m.unpaid_fen for m in self.calendar if m.status == OVERDUE)

    @property
    def prepayment_total_fen(self) -> int:
        return sum(p.prepayment_fen for p in self.figures.prepayments)

    @property
    def agreed_total_fen(self) -> int:
        return sum(p.agreed_fen for p in self.figures.prepayments)


def _thirty_day_basis(conn: sqlite3.Connection, f: PaymentFigures) -> ThirtyDayBasis:
    last_due = f.as_of - dt.timedelta(days=f.window_days)
    row = conn.execute(
        """SELECT coalesce(sum(CASE WHEN delivered_at >= :due_before AND delivered_at < :end
                                    THEN amount_fen ELSE 0 END), 0),
                  coalesce(sum(CASE WHEN delivered_at IS NULL OR delivered_at >= :end
                                    THEN amount_fen ELSE 0 END), 0)
           FROM purchase_lines
           WHERE institution_code = :inst AND ordered_at >= :ps AND ordered_at < :end""",
        {"inst": f.institution.code, "ps": f.period.start_text, "end": f.period.end_exclusive_text,
         "due_before": (last_due + dt.timedelta(days=1)).isoformat()},
    ).fetchone()
    return ThirtyDayBasis(f.window_days, last_due, f.due_fen, f.paid_in_window_fen,
                          int(row[0]), int(row[1]), f.total_fen)


def payment_overview(
    conn: sqlite3.Connection, as_of: dt.date, profile: PolicyProfile | None = None
) -> PaymentOverview:
    """PAY-1…PAY-4 as `indicators` computes them, with the calendar and the PAY-3 basis."""
    institution = require_institution(conn)
    profile = profile or active_profile(conn)
    figures = compute_payments(conn, institution, as_of, profile)
    return PaymentOverview(institution, as_of, profile, figures, settlement_calendar(figures),
                           _thirty_day_basis(conn, figures))


@dataclass(frozen=True)
class PaidLine:
    """A purchase line with what PAY-0 counts as paid at two cut-offs."""

    order_id: str
    line_no: str
    code: str
    generic_name: str
    supplier: str
    ordered_at: str
    delivered_at: str | None
    amount_fen: int
    paid_by_cutoff_fen: int  # by the deadline (PAY-2) or within the window (PAY-3)
    paid_now_fen: int  # by the as-of date

    @property
    def short_fen(self) -> int:
        """Not paid by the cut-off."""
        return self.amount_fen - self.paid_by_cutoff_fen


def _paid_lines(conn: sqlite3.Connection, where: str, cutoff: str,
                params: dict[str, object]) -> list[PaidLine]:
    rows = conn.execute(
        f"""WITH l AS (SELECT * FROM purchase_lines WHERE {where}), {_ORDER_TOTALS}
            SELECT l.order_id, l.line_no, l.code,
                   coalesce(p.generic_name || p.dosage_form, ''), l.supplier, l.ordered_at,
                   l.delivered_at, l.amount_fen, {paid_sql('l', 't.total', cutoff)},
                   {paid_sql('l', 't.total', ':as_of')}
            FROM l JOIN t USING (order_id) LEFT JOIN products p ON p.code = l.code
            ORDER BY coalesce(l.delivered_at, l.ordered_at), l.order_id,
                     length(l.line_no), l.line_no""",
        params,
    ).fetchall()
    return [PaidLine(r[0], r[1], r[2], r[3], r[4], r[5], r[6], int(r[7]), int(r[8]), int(r[9]))
            for r in rows]


def month_lines(
    conn: sqlite3.Connection,
    figures: PaymentFigures,
    month: str,
    settlement_day: int,
    *,
    order_id: str | None = None,
) -> list[PaidLine]:
    """PAY-2 drill-down: the VBP lines delivered in `month` ('YYYY-MM') within the
    period, each with what was paid by the month's deadline and by the as-of date.

    With `order_id`, only that order's lines: the rows behind one late order
    (`LateOrder` counts exactly these)."""
    year, mon = int(month[:4]), int(month[5:7])
    first = max(dt.date(year, mon, 1), figures.period.start)
    after = min(dt.date(year + (mon == 12), mon % 12 + 1, 1),
                figures.period.end + dt.timedelta(days=1))
    deadline = settlement_deadline(month, settlement_day)
    return _paid_lines(
        conn,
        """institution_code = :inst AND delivered_at >= :first AND delivered_at < :after
           AND code IN (SELECT code FROM products WHERE is_vbp = 1)
           AND (:order IS NULL OR order_id = :order)""",
        ":cutoff",
        {"inst": figures.institution.code, "first": first.isoformat(), "order": order_id,
         "after": after.isoformat(), "cutoff": min(figures.as_of, deadline).isoformat(),
         "as_of": figures.as_of.isoformat()},
    )


def thirty_day_shortfall(conn: sqlite3.Connection, figures: PaymentFigures) -> list[PaidLine]:
    """PAY-3 drill-down: the due lines not paid in full within the window of their delivery.

    Their shortfalls add up to the denominator minus the numerator.
    """
    last_due = figures.as_of - dt.timedelta(days=figures.window_days)
    lines = _paid_lines(
        conn,
        """institution_code = :inst AND ordered_at >= :ps AND ordered_at < :end
           AND delivered_at IS NOT NULL AND delivered_at < :due_before""",
        "date(l.delivered_at, :window)",
        {"inst": figures.institution.code, "ps": figures.period.start_text,
         "end": figures.period.end_exclusive_text,
         "due_before": (last_due + dt.timedelta(days=1)).isoformat(),
         "window": f"+{figures.window_days} days", "as_of": figures.as_of.isoformat()},
    )
    return [x for x in lines if x.short_fen > 0]


def offline_lines(conn: sqlite3.Connection, figures: PaymentFigures) -> list[PaidLine]:
    """PAY-4 drill-down: the period's lines bought outside the platform (线下)."""
    return _paid_lines(
        conn,
        """institution_code = :inst AND ordered_at >= :ps AND ordered_at < :end
           AND channel = 'offline'""",
        ":as_of",
        {"inst": figures.institution.code, "ps": figures.period.start_text,
         "end": figures.period.end_exclusive_text, "as_of": figures.as_of.isoformat()},
    )


def order_lines(conn: sqlite3.Connection, figures: PaymentFigures, order_id: str,
                cutoff: dt.date) -> list[PaidLine]:
    """An order's lines with what was paid by `cutoff` and by the as-of date (PAY-0)."""
    return _paid_lines(
        conn, "order_id = :order", ":cutoff",
        {"order": order_id, "cutoff": min(cutoff, figures.as_of).isoformat(),
         "as_of": figures.as_of.isoformat()},
    )


@dataclass(frozen=True)
class PaymentRecord:
    """One payment as imported: for a line, or for the whole order (line_no '')."""

    order_id: str
    line_no: str
    amount_fen: int
    paid_on: str

    @property
    def whole_order(self) -> bool:
        return self.line_no == ""


def order_payments(conn: sqlite3.Connection, order_id: str, as_of: dt.date) -> list[PaymentRecord]:
    """The payments of an order made on or before the as-of date, oldest first."""
    return [PaymentRecord(r[0], r[1], int(r[2]), r[3]) for r in conn.execute(
        """SELECT order_id, line_no, amount_fen, paid_on FROM payments
           WHERE order_id = ? AND paid_on <= ? ORDER BY paid_on, line_no, amount_fen""",
        (order_id, as_of.isoformat()),
    )]
