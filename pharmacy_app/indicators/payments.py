"""Money flows: PAY-0, PAY-1, PAY-2, PAY-3, PAY-4 (RULES.md, seeds 000 and 004).

Money is integer fen inside (stored `amount_fen`), yuan only in JSON. Shares
are exact fractions computed once here; null when the denominator is zero.

Why SQL: a year can hold a million purchase lines. What a line counts as
paid by a cut-off date (PAY-0) is one SQL expression, evaluated per line
inside the aggregate query with two range scans of the covering index
UNIQUE(order_id, line_no, paid_on, amount_fen) of `payments`; Python only
sees per-month and per-late-order rows. On 1,000,000 lines with 880,000
payments that took 7–20 s (the per-line index probes of PAY-0), so
`compute_payments` reads the purchase summaries (pharmacy_app/
purchase_summary.py: PAY-0 at the cut-offs that do not move with the as-of
date stored per line, summed per month) and keeps the queries below for
periods the summaries cannot answer and for orders paid after the as-of
date; the tests compare both.

Decisions (pinned by tests/test_indicators_payments.py):
- PAY-0: a whole-order payment (line_no '') is spread over ALL lines of the
  order in proportion to their amounts; each share is floored to the fen
  (integer arithmetic: sum of order payments × line amount // order total),
  so a spread never over-counts and a payment equal to the order total pays
  every line exactly. Direct line payments plus the share are capped at the
  line amount (an over-payment of one line never pays another). Payments
  dated after the as-of date are ignored.
- PAY-1: agreed amount = agreed qty × selected price per smallest unit, in
  Decimal; prepayment = agreed amount × pay_prepayment, rounded half up to
  the fen once (no double rounding). Agreements listed: the institution's
  agreements whose procurement year has started by the as-of date and has
  not ended before 1 January of the as-of year.
- PAY-2: seed 000 §4.2 "本月中选药品采购费用的全款必须在下月10日前与配送企业结算".
  In Chinese administrative usage "X日前" includes day X (as in filing
  deadlines "每月15日前"), and the profile parameter is the deadline day
  (pay_settlement_day 10), so paid_on ≤ the 10th of the next month is on
  time and the 11th is late. "The month's purchases" are the VBP lines
  (products flagged is_vbp) DELIVERED in that month — what the delivery
  company bills — with delivery dates in the period. A month is judged once
  its deadline is on or before the as-of date; later months are shown as
  not yet due.
- PAY-3: a line delivered on day D is due when D + 30 ≤ as-of (delivered at
  least 30 days before the as-of date); it is paid in time by what was paid
  on or before D + 30 (day 30 counts, day 31 does not; payments made before
  delivery count). Lines are those ordered in the period, all channels and
  all products (RULES.md PAY-3 names no restriction).
- PAY-4: offline amount / all amount of the lines ordered in the period;
  the limit is inclusive (exactly 5% is within it; above raises an alert).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from pharmacy_app import purchase_summary
from pharmacy_app.indicators.common import Alert, as_float, ratio, without_gc_pauses
from pharmacy_app.indicators.periods import Period, natural_year_to_date
from pharmacy_app.institutions import Institution
from pharmacy_app.policy import PolicyProfile

FEN = Decimal("0.01")


def yuan(fen: int) -> float:
    """JSON money: yuan (FORMATS.md); exact for any realistic fen amount."""
    return fen / 100


def paid_sql(line: str, total: str, cutoff: str) -> str:
    """PAY-0: SQL for what line `line` counts as paid on or before `cutoff` (capped).

    `line` is the alias of a purchase_lines row, `total` an expression for
    its order's total amount in fen, `cutoff` a 'YYYY-MM-DD' SQL expression.
    """
    return f"""min({line}.amount_fen,
        coalesce((SELECT sum(p.amount_fen) FROM payments p
                  WHERE p.order_id = {line}.order_id AND p.line_no = {line}.line_no
                    AND {line}.line_no <> '' AND p.paid_on <= {cutoff}), 0)
      + CASE WHEN {total} > 0 THEN
          coalesce((SELECT sum(p.amount_fen) FROM payments p
                    WHERE p.order_id = {line}.order_id AND p.line_no = ''
                      AND p.paid_on <= {cutoff}), 0) * {line}.amount_fen / {total}
        ELSE 0 END)"""


_ORDER_TOTALS = """
    SELECT order_id, sum(amount_fen) AS total FROM purchase_lines
    WHERE order_id IN (SELECT order_id FROM l) GROUP BY order_id"""


def order_lines_paid(
    conn: sqlite3.Connection, order_id: str, as_of: dt.date
) -> list[tuple[str, int, int]]:
    """PAY-0 for one order: (line_no, amount_fen, paid_fen) as of the end of `as_of`.

    The drill-down of a late order, and the place tests pin the spreading.
    """
    return [
        (r[0], r[1], r[2])
        for r in conn.execute(
            f"""WITH l AS (SELECT * FROM purchase_lines WHERE order_id = :o),
                     t AS ({_ORDER_TOTALS})
                SELECT l.line_no, l.amount_fen, {paid_sql('l', 't.total', ':as_of')}
                FROM l JOIN t USING (order_id)
                ORDER BY length(l.line_no), l.line_no""",
            {"o": order_id, "as_of": as_of.isoformat()},
        )
    ]


@dataclass(frozen=True)
class Prepayment:
    """PAY-1: one agreement's prepayment."""

    agreement_id: int
    batch: str
    generic: str
    agreed_qty: Decimal
    selected_price: Decimal  # yuan per smallest unit
    start: str
    end: str
    agreed_fen: int
    prepayment_fen: int

    def to_json(self) -> dict[str, Any]:
        return {"batch": self.batch, "generic": self.generic, "agreed_qty": float(self.agreed_qty),
                "selected_price": str(self.selected_price), "start": self.start, "end": self.end,
                "agreed_amount": yuan(self.agreed_fen), "prepayment": yuan(self.prepayment_fen)}


def to_fen(yuan_amount: Decimal) -> int:
    """Half up to the fen, as money is rounded on Chinese invoices."""
    return int((yuan_amount.quantize(FEN, rounding=ROUND_HALF_UP) * 100).to_integral_value())


def prepayments(
    conn: sqlite3.Connection, institution: Institution, as_of: dt.date, profile: PolicyProfile
) -> list[Prepayment]:
    """PAY-1: 40% of agreed qty × selected price, per agreement, in fen."""
    share = Decimal(str(profile["pay_prepayment"]))
    rows = conn.execute(
        """SELECT id, batch, generic, agreed_qty, selected_price, start_date, end_date
           FROM agreements
           WHERE institution_code = ? AND start_date <= ? AND end_date >= ?
           ORDER BY batch, generic, start_date""",
        (institution.code, as_of.isoformat(), dt.date(as_of.year, 1, 1).isoformat()),
    ).fetchall()
    result = []
    for agreement_id, batch, generic, qty, price, start, end in rows:
        qty_d, price_d = Decimal(str(qty)), Decimal(str(price).strip())
        agreed = qty_d * price_d
        result.append(Prepayment(agreement_id, batch, generic, qty_d, price_d, start, end,
                                 to_fen(agreed), to_fen(agreed * share)))
    return result


@dataclass(frozen=True)
class MonthSettlement:
    """PAY-2: one delivery month of VBP purchases."""

    month: str  # 'YYYY-MM' of delivery
    deadline: dt.date
    due: bool  # deadline on or before the as-of date
    delivered_fen: int
    paid_by_deadline_fen: int
    unpaid_now_fen: int

    @property
    def late_fen(self) -> int:
        """Not paid by the deadline (0 while not yet due)."""
        return self.delivered_fen - self.paid_by_deadline_fen if self.due else 0

    def to_json(self) -> dict[str, Any]:
        return {"month": self.month, "deadline": self.deadline.isoformat(), "due": self.due,
                "delivered_amount": yuan(self.delivered_fen),
                "paid_by_deadline": yuan(self.paid_by_deadline_fen),
                "late_amount": yuan(self.late_fen), "unpaid_amount": yuan(self.unpaid_now_fen)}


@dataclass(frozen=True)
class LateOrder:
    """PAY-2: an order whose month's VBP lines were not paid in full by the deadline."""

    month: str
    order_id: str
    supplier: str
    deadline: dt.date
    amount_fen: int
    paid_by_deadline_fen: int
    unpaid_now_fen: int

    @property
    def late_fen(self) -> int:
        return self.amount_fen - self.paid_by_deadline_fen

    def to_json(self) -> dict[str, Any]:
        return {"month": self.month, "order_id": self.order_id, "supplier": self.supplier,
                "deadline": self.deadline.isoformat(), "amount": yuan(self.amount_fen),
                "paid_by_deadline": yuan(self.paid_by_deadline_fen),
                "late_amount": yuan(self.late_fen), "unpaid_amount": yuan(self.unpaid_now_fen),
                "paid_late": self.unpaid_now_fen == 0}


def _late_json(orders: list[LateOrder]) -> list[dict[str, Any]]:
    """[o.to_json() for o in orders], with each deadline's text made once.

    A year's late list can hold 100,000 orders; the per-order isoformat and
    method calls were a third of the payments section's time.
    """
    texts: dict[dt.date, str] = {}
    out = []
    append = out.append
    for o in orders:
        deadline = texts.get(o.deadline)
        if deadline is None:
            deadline = texts[o.deadline] = o.deadline.isoformat()
        amount, by_deadline, unpaid = o.amount_fen, o.paid_by_deadline_fen, o.unpaid_now_fen
        append({"month": o.month, "order_id": o.order_id, "supplier": o.supplier,
                "deadline": deadline, "amount": amount / 100,
                "paid_by_deadline": by_deadline / 100,
                "late_amount": (amount - by_deadline) / 100, "unpaid_amount": unpaid / 100,
                "paid_late": unpaid == 0})
    return out


def settlement_deadline(month: str, day: int) -> dt.date:
    """PAY-2: the `day` of the month after `month` ('YYYY-MM'), inclusive."""
    year, mon = int(month[:4]), int(month[5:7])
    return dt.date(year + (mon == 12), mon % 12 + 1, day)


@dataclass
class PaymentFigures:
    institution: Institution
    as_of: dt.date
    period: Period
    profile: str
    window_days: int
    due_fen: int  # PAY-3 denominator
    paid_in_window_fen: int  # PAY-3 numerator
    offline_fen: int
    total_fen: int
    offline_max: Fraction
    prepayments: list[Prepayment]
    settlements: list[MonthSettlement]
    late_orders: list[LateOrder]
    alerts: list[Alert] = field(default_factory=list)

    @property
    def thirty_day_rate(self) -> Fraction | None:
        """PAY-3: paid within 30 days of delivery / delivered, over due lines."""
        return ratio(self.paid_in_window_fen, self.due_fen)

    @property
    def offline_share(self) -> Fraction | None:
        """PAY-4: offline amount / all purchase amount of the period."""
        return ratio(self.offline_fen, self.total_fen)

    @property
    def offline_over_limit(self) -> bool:
        share = self.offline_share
        return share is not None and share > self.offline_max

    def to_json(self) -> dict[str, Any]:
        """The FORMATS.md `payments` object (more keys may follow, none renamed)."""
        return {
            "thirty_day_rate": as_float(self.thirty_day_rate),
            "offline_share": as_float(self.offline_share),
            "period": {"start": self.period.start_text, "end": self.period.end.isoformat()},
            "thirty_day": {"window_days": self.window_days, "due_amount": yuan(self.due_fen),
                           "paid_in_window": yuan(self.paid_in_window_fen)},
            "offline": {"offline_amount": yuan(self.offline_fen),
                        "total_amount": yuan(self.total_fen),
                        "limit": as_float(self.offline_max),
                        "over_limit": self.offline_over_limit},
            "prepayments": [p.to_json() for p in self.prepayments],
            "prepayment_total": yuan(sum(p.prepayment_fen for p in self.prepayments)),
            "settlements": [m.to_json() for m in self.settlements],
            "late_settlements": _late_json(self.late_orders),
            "alerts": [a.to_json() for a in self.alerts],
        }


def _thirty_day(conn: sqlite3.Connection, inst: str, as_of: dt.date, period: Period,
                days: int) -> tuple[int, int]:
    """PAY-3: (due fen, paid-in-window fen) over lines delivered ≥ `days` days before as-of."""
    last_delivery_day = as_of - dt.timedelta(days=days)
    row = conn.execute(
        f"""WITH l AS (SELECT * FROM purchase_lines
                       WHERE institution_code = :inst AND ordered_at >= :ps AND ordered_at < :end
                         AND delivered_at IS NOT NULL AND delivered_at < :deliv_before),
                 t AS ({_ORDER_TOTALS})
            SELECT coalesce(sum(l.amount_fen), 0),
                   coalesce(sum({paid_sql('l', 't.total', "date(l.delivered_at, :window)")}), 0)
            FROM l JOIN t USING (order_id)""",
        {"inst": inst, "ps": period.start_text, "end": period.end_exclusive_text,
         "deliv_before": (last_delivery_day + dt.timedelta(days=1)).isoformat(),
         "window": f"+{days} days"},
    ).fetchone()
    return int(row[0]), int(row[1])


def _settlements(conn: sqlite3.Connection, inst: str, as_of: dt.date, period: Period,
                 day: int) -> tuple[list[MonthSettlement], list[LateOrder]]:
    """PAY-2: per delivery month and per late order, VBP lines only."""
    rows = conn.execute(
        f"""WITH l AS (SELECT * FROM purchase_lines
                       WHERE institution_code = :inst AND delivered_at >= :ps
                         AND delivered_at < :end
                         AND code IN (SELECT code FROM products WHERE is_vbp = 1)),
                 t AS ({_ORDER_TOTALS}),
                 per_line AS (
                   SELECT substr(l.delivered_at, 1, 7) AS month, l.order_id, l.supplier,
                          l.amount_fen AS amount,
                          {paid_sql('l', 't.total', "min(:as_of, date(l.delivered_at, 'start of month', '+1 month', :day))")} AS by_deadline,
                          {paid_sql('l', 't.total', ':as_of')} AS by_now
                   FROM l JOIN t USING (order_id))
            SELECT month, order_id, min(supplier), sum(amount), sum(by_deadline), sum(by_now)
            FROM per_line GROUP BY month, order_id ORDER BY month, order_id""",
        {"inst": inst, "ps": period.start_text, "end": period.end_exclusive_text,
         "as_of": as_of.isoformat(), "day": f"+{day - 1} days"},
    ).fetchall()
    months: dict[str, list[int]] = {}
    late: list[LateOrder] = []
    for month, order_id, supplier, amount, by_deadline, by_now in rows:
        cell = months.setdefault(month, [0, 0, 0])
        cell[0] += amount
        cell[1] += by_deadline
        cell[2] += amount - by_now
        deadline = settlement_deadline(month, day)
        if deadline <= as_of and by_deadline < amount:
            late.append(LateOrder(month, order_id, supplier, deadline, amount, by_deadline,
                                  amount - by_now))
    settlements = []
    for month, (amount, by_deadline, unpaid) in sorted(months.items()):
        deadline = settlement_deadline(month, day)
        settlements.append(MonthSettlement(month, deadline, deadline <= as_of, amount,
                                           by_deadline, unpaid))
    return settlements, late


def _offline(conn: sqlite3.Connection, inst: str, period: Period) -> tuple[int, int]:
    row = conn.execute(
        """SELECT coalesce(sum(CASE WHEN channel = 'offline' THEN amount_fen ELSE 0 END), 0),
                  coalesce(sum(amount_fen), 0)
           FROM purchase_lines
           WHERE institution_code = ? AND ordered_at >= ? AND ordered_at < ?""",
        (inst, period.start_text, period.end_exclusive_text),
    ).fetchone()
    return int(row[0]), int(row[1])


# ---------------------------------------------------------------------------
# The same figures from the purchase summaries (migration 0007)
# ---------------------------------------------------------------------------
# purchase_facts holds, per line, PAY-0 at the cut-offs that do not depend on
# the as-of date (delivery day + window for PAY-3, the settlement deadline of
# the delivery month for PAY-2, and with every payment) and
# the last payment date that changed it: "paid by the as-of date" is the
# final amount except for the few orders paid (again) after the as-of date,
# whose lines are computed as `_settlements` does.


def _summary_thirty_day(conn: sqlite3.Connection, inst: str, as_of: dt.date, period: Period,
                        days: int) -> tuple[int, int]:
    """`_thirty_day` from ps_pay3 (whole months of ordering) and purchase_facts (the rest)."""
    first, after, edges = purchase_summary.month_split(period.start, period.end)
    edge_sql, edge_params = purchase_summary.edges_sql(edges)
    last = (as_of - dt.timedelta(days=days)).isoformat()
    row = conn.execute(
        f"""SELECT coalesce(sum(due), 0), coalesce(sum(paid), 0) FROM (
                SELECT sum(due_fen) AS due, sum(paid_w) AS paid FROM ps_pay3
                WHERE institution_code = ? AND month >= ? AND month < ? AND delivered_day <= ?
                UNION ALL
                SELECT sum(amount_fen), sum(paid_w) FROM purchase_facts
                WHERE institution_code = ? AND {edge_sql}
                  AND delivered_day IS NOT NULL AND delivered_day <= ?)""",
        (inst, first, after, last, inst, *edge_params, last),
    ).fetchone()
    return int(row[0]), int(row[1])


def _summary_offline(conn: sqlite3.Connection, inst: str, period: Period) -> tuple[int, int]:
    """`_offline` from ps_month and purchase_facts."""
    first, after, edges = purchase_summary.month_split(period.start, period.end)
    edge_sql, edge_params = purchase_summary.edges_sql(edges)
    row = conn.execute(
        f"""SELECT coalesce(sum(o), 0), coalesce(sum(a), 0) FROM (
                SELECT sum(offline_fen) AS o, sum(amount_fen) AS a FROM ps_month
                WHERE institution_code = ? AND month >= ? AND month < ?
                UNION ALL
                SELECT sum(CASE WHEN offline THEN amount_fen ELSE 0 END), sum(amount_fen)
                FROM purchase_facts WHERE institution_code = ? AND {edge_sql})""",
        (inst, first, after, inst, *edge_params),
    ).fetchone()
    return int(row[0]), int(row[1])


def _paid_after(conn: sqlite3.Connection, inst: str, period: Period, as_of: dt.date
                ) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """PAY-0 of the period's delivered VBP lines paid only after `as_of`: final − by as-of.

    Per delivery month and per (month, order), for orders with a payment
    dated after `as_of` that changed what a line counts as paid.
    """
    last, ps = as_of.isoformat(), period.start_text
    by_month: dict[str, int] = {}
    by_order: dict[tuple[str, str], int] = {}
    for month, order_id, later in conn.execute(
        f"""WITH o AS MATERIALIZED (
                SELECT DISTINCT order_id FROM ps_pay2_orders
                WHERE institution_code = :inst AND month >= :ps_month AND month <= :end_month
                  AND last_paid_on > :as_of),
                 l AS MATERIALIZED (
                SELECT pl.* FROM o JOIN purchase_lines pl ON pl.order_id = o.order_id
                WHERE pl.institution_code = :inst AND pl.delivered_at >= :ps
                  AND pl.delivered_at < :end
                  AND pl.code IN (SELECT code FROM products WHERE is_vbp = 1)),
                 t AS (SELECT pl.order_id, sum(pl.amount_fen) AS total
                       FROM o JOIN purchase_lines pl ON pl.order_id = o.order_id
                       GROUP BY pl.order_id)
            SELECT substr(l.delivered_at, 1, 7), l.order_id,
                   sum(f.paid_final - {paid_sql('l', 't.total', ':as_of')})
            FROM l JOIN t USING (order_id)
                 JOIN purchase_facts f ON f.order_id = l.order_id AND f.id = l.id
            GROUP BY 1, 2""",
        {"inst": inst, "ps": ps, "ps_month": ps[:7], "end_month": period.end.isoformat()[:7],
         "as_of": last, "end": period.end_exclusive_text},
    ):
        by_month[month] = by_month.get(month, 0) + later
        by_order[(month, order_id)] = later
    return by_month, by_order


def _summary_settlements(conn: sqlite3.Connection, inst: str, as_of: dt.date, period: Period,
                         day: int) -> tuple[list[MonthSettlement], list[LateOrder]]:
    """`_settlements` from ps_pay2_day, ps_pay2_orders and purchase_facts."""
    # Lines delivered in the period (its end may be before as-of), paid as of as-of.
    ps, last = period.start_text, period.end.isoformat()
    later_by_month, later_by_order = _paid_after(conn, inst, period, as_of)
    settlements = []
    due_months = []
    for month, amount, by_deadline_stored, final in conn.execute(
        """SELECT substr(delivered_day, 1, 7), sum(amount_fen), sum(paid_deadline), sum(paid_final)
           FROM ps_pay2_day
           WHERE institution_code = ? AND delivered_day >= ? AND delivered_day <= ?
           GROUP BY 1 ORDER BY 1""",
        (inst, ps, last),
    ):
        deadline = settlement_deadline(month, day)
        by_now = final - later_by_month.get(month, 0)
        due = deadline <= as_of
        if due:
            due_months.append(month)
        by_deadline = by_deadline_stored if due else by_now
        settlements.append(MonthSettlement(month, deadline, due, amount, by_deadline,
                                           amount - by_now))
    late: list[LateOrder] = []
    if due_months:
        deadlines = {m: settlement_deadline(m, day) for m in due_months}
        cur = conn.cursor()
        cur.row_factory = None  # tuples: a late list can hold 100,000 orders
        try:
            rows = cur.execute(
                """SELECT month, order_id, supplier, amount_fen, paid_deadline, paid_final
                   FROM ps_pay2_orders
                   WHERE institution_code = ? AND month >= ? AND month <= ?
                     AND paid_deadline < amount_fen
                   ORDER BY month, order_id""",
                (inst, due_months[0], due_months[-1]),
            ).fetchall()
        finally:
            cur.close()
        new, get = object.__new__, later_by_order.get
        for month, order_id, supplier, amount, by_deadline, final in rows:
            # LateOrder(...) without the frozen dataclass __init__'s per-field setattr.
            order = new(LateOrder)
            order.__dict__.update(
                month=month, order_id=order_id, supplier=supplier, deadline=deadlines[month],
                amount_fen=amount, paid_by_deadline_fen=by_deadline,
                unpaid_now_fen=amount - final + get((month, order_id), 0))
            late.append(order)
    return settlements, late


@without_gc_pauses
def compute_payments(
    conn: sqlite3.Connection,
    institution: Institution,
    as_of: dt.date,
    profile: PolicyProfile,
    period: Period | None = None,
) -> PaymentFigures:
    """PAY-1…PAY-4 (with PAY-0 spreading) for `institution` as of the end of `as_of`."""
    period = period or natural_year_to_date(as_of)
    if period.end > as_of:
        period = Period(period.start, as_of)  # nothing after the as-of date counts
    days = int(profile["pay_window_days"])
    day = int(profile["pay_settlement_day"])
    # The summaries hold whole delivery months: a period ending inside a month
    # whose settlement is already due is computed from the lines.
    whole = period.start.day == 1 and (
        period.end == as_of or (period.end + dt.timedelta(days=1)).day == 1)
    summary = purchase_summary.ensure_fresh(conn) if whole else None
    if summary is not None and (summary.pay_window_days, summary.settlement_day) == (days, day):
        due, in_window = _summary_thirty_day(conn, institution.code, as_of, period, days)
        offline, total = _summary_offline(conn, institution.code, period)
        settlements, late = _summary_settlements(conn, institution.code, as_of, period, day)
    else:
        due, in_window = _thirty_day(conn, institution.code, as_of, period, days)
        offline, total = _offline(conn, institution.code, period)
        settlements, late = _settlements(conn, institution.code, as_of, period, day)
    figures = PaymentFigures(
        institution=institution, as_of=as_of, period=period, profile=profile.label,
        window_days=days, due_fen=due, paid_in_window_fen=in_window,
        offline_fen=offline, total_fen=total,
        offline_max=Fraction(str(profile["pay_offline_max"])),
        prepayments=prepayments(conn, institution, as_of, profile),
        settlements=settlements, late_orders=late,
    )
    figures.alerts = payment_alerts(figures)
    return figures


def payment_alerts(f: PaymentFigures) -> list[Alert]:
    """PAY-2 late months and PAY-4 over the offline limit (PAY-3 has no alert line in RULES)."""
    alerts = []
    for m in f.settlements:
        if m.late_fen > 0:
            alerts.append(Alert(
                "PAY-2", m.month, yuan(m.late_fen), 0,
                f"{m.month} 集采药品货款未在 {m.deadline.isoformat()} 前结清，"
                f"逾期 {yuan(m.late_fen):,.2f} 元（尚欠 {yuan(m.unpaid_now_fen):,.2f} 元）"))
    if f.offline_over_limit:
        alerts.append(Alert(
            "PAY-4", f.institution.code, as_float(f.offline_share), as_float(f.offline_max) or 0.0,
            f"线下采购金额占比 {float(f.offline_share or 0) * 100:.2f}%，"
            f"超过 {float(f.offline_max) * 100:.0f}% 上限"))
    return alerts
