"""PAY-0 … PAY-4 behind the payments page: indicators.payment_detail on hand-made lines.

Pins: the settlement calendar's status per month (PAY-2: paid on the 10th of
the next month is on time, the 11th late; a month before its deadline is not
judged); the PAY-3 denominator rule (a line delivered exactly 30 days before
the as-of date is due, 29 days not yet; undelivered lines left out; the three
parts add up to the period's amount), a payment on day 30 in time and day 31
short; a whole-order payment spread over the month's lines (PAY-0); the
drill-down rows add up to compute_payments' figures; yuan shown with two
decimals from integer fen.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from pharmacy_app.indicators.payment_detail import (
    ON_TIME,
    OPEN,
    OVERDUE,
    PAID_EARLY,
    PAID_LATE,
    month_lines,
    offline_lines,
    order_lines,
    order_payments,
    payment_overview,
    settlement_status,
    thirty_day_shortfall,
    yuan_text,
)
from pharmacy_app.indicators.payments import MonthSettlement
from pharmacy_app.institutions import init_institution
from pharmacy_app.policy import builtin_profile

PROFILE = builtin_profile()
AS_OF = dt.date(2026, 6, 30)


@pytest.fixture
def db(conn: sqlite3.Connection) -> sqlite3.Connection:
    init_institution(conn, "H1", "平原卫生院", "grassroots")
    conn.execute("INSERT INTO products (code, generic_name, is_vbp) VALUES ('VBP', '阿托伐他汀钙片', 1)")
    conn.execute("INSERT INTO products (code, generic_name, is_vbp) VALUES ('NON', '维生素C片', 0)")
    return conn


def line(conn: sqlite3.Connection, order_id: str, line_no: str, amount_fen: int,
         delivered: str | None, *, ordered: str | None = None, code: str = "VBP",
         channel: str = "online") -> None:
    ordered = ordered or (delivered[:10] + " 08:00:00" if delivered else "2026-06-01 08:00:00")
    conn.execute(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, amount_fen,
                                       ordered_at, responded_at, delivered_at, supplier, channel)
           VALUES (?, ?, 'H1', ?, 1, ?, ?, ?, ?, '甲配送', ?)""",
        (order_id, line_no, code, amount_fen, ordered, ordered, delivered, channel),
    )


def pay(conn: sqlite3.Connection, order_id: str, line_no: str, amount_fen: int, paid_on: str) -> None:
    conn.execute("INSERT INTO payments (order_id, line_no, amount_fen, paid_on) VALUES (?, ?, ?, ?)",
                 (order_id, line_no, amount_fen, paid_on))


def month(delivered: int, by_deadline: int, unpaid: int, due: bool) -> MonthSettlement:
    return MonthSettlement("2026-03", dt.date(2026, 4, 10), due, delivered, by_deadline, unpaid)


@pytest.mark.parametrize(
    ("settlement", "status"),
    [
        (month(1000, 1000, 0, True), ON_TIME),
        (month(1000, 400, 0, True), PAID_LATE),
        (month(1000, 400, 1, True), OVERDUE),
        (month(1000, 1000, 0, False), PAID_EARLY),
        (month(1000, 400, 600, False), OPEN),
    ],
)
def test_pay2_settlement_status(settlement, status):
    assert settlement_status(settlement) == status


def test_pay2_calendar_tenth_is_on_time_eleventh_late(db):
    line(db, "M", "1", 10000, "2026-03-15 10:00:00")  # March: due 2026-04-10
    line(db, "A", "1", 20000, "2026-04-15 10:00:00")  # April: due 2026-05-10
    line(db, "J", "1", 5000, "2026-06-02 10:00:00")  # June: due 2026-07-10, not yet
    pay(db, "M", "1", 10000, "2026-04-10")
    pay(db, "A", "1", 20000, "2026-05-11")
    overview = payment_overview(db, AS_OF, PROFILE)
    cal = {m.month: m for m in overview.calendar}
    assert cal["2026-03"].status == ON_TIME and cal["2026-03"].late_fen == 0
    assert cal["2026-04"].status == PAID_LATE and cal["2026-04"].late_fen == 20000
    assert cal["2026-04"].paid_now_fen == 20000 and cal["2026-04"].unpaid_fen == 0
    assert cal["2026-06"].status == OPEN and cal["2026-06"].deadline == dt.date(2026, 7, 10)
    assert overview.late_total_fen == 20000
    assert overview.unpaid_overdue_fen == 0


def test_pay2_non_vbp_lines_are_not_in_the_calendar(db):
    line(db, "N", "1", 9999, "2026-03-15 10:00:00", code="NON")
    assert payment_overview(db, AS_OF, PROFILE).calendar == []


def test_pay0_whole_order_payment_spread_in_month_lines(db):
    line(db, "O", "1", 6000, "2026-03-02 10:00:00")
    line(db, "O", "2", 4000, "2026-03-02 10:00:00")
    pay(db, "O", "", 5000, "2026-04-10")  # by the deadline: 3000 + 2000
    pay(db, "O", "", 5000, "2026-05-01")  # after it
    overview = payment_overview(db, AS_OF, PROFILE)
    lines = month_lines(db, overview.figures, "2026-03", 10)
    assert [(x.line_no, x.amount_fen, x.paid_by_cutoff_fen, x.paid_now_fen) for x in lines] == [
        ("1", 6000, 3000, 6000), ("2", 4000, 2000, 4000)]
    late = overview.figures.late_orders
    assert [(o.order_id, o.late_fen) for o in late] == [("O", 5000)]
    assert sum(x.amount_fen for x in month_lines(db, overview.figures, "2026-03", 10,
                                                 order_id="O")) == late[0].amount_fen
    records = order_payments(db, "O", dt.date(2026, 4, 30))
    assert [(r.line_no, r.amount_fen, r.paid_on, r.whole_order) for r in records] == [
        ("", 5000, "2026-04-10", True)]  # the May payment is after that as-of date
    by_deadline = order_lines(db, overview.figures, "O", dt.date(2026, 4, 10))
    assert [x.paid_by_cutoff_fen for x in by_deadline] == [3000, 2000]


def test_pay3_denominator_rule(db):
    # AS_OF 2026-06-30: delivered on or before 2026-05-31 (30 days) is due.
    line(db, "D30", "1", 10000, "2026-05-31 18:00:00")  # exactly 30 days: due
    line(db, "D29", "1", 7000, "2026-06-01 09:00:00")  # 29 days: not yet due
    line(db, "U", "1", 3000, None, ordered="2026-06-20 08:00:00")  # not delivered
    line(db, "X", "1", 500, "2026-07-01 09:00:00", ordered="2026-06-29 08:00:00")  # after as-of
    b = payment_overview(db, AS_OF, PROFILE).thirty_day
    assert b.last_due_delivery == dt.date(2026, 5, 31)
    assert (b.due_fen, b.not_yet_due_fen, b.undelivered_fen) == (10000, 7000, 3500)
    assert b.due_fen + b.not_yet_due_fen + b.undelivered_fen == b.total_fen == 20500


def test_pay3_day_30_in_time_day_31_short(db):
    line(db, "P30", "1", 10000, "2026-04-01 10:00:00")
    line(db, "P31", "1", 10000, "2026-04-01 10:00:00")
    pay(db, "P30", "1", 10000, "2026-05-01")  # day 30
    pay(db, "P31", "1", 10000, "2026-05-02")  # day 31
    overview = payment_overview(db, AS_OF, PROFILE)
    f = overview.figures
    short = thirty_day_shortfall(db, f)
    assert [(x.order_id, x.short_fen, x.paid_now_fen) for x in short] == [("P31", 10000, 10000)]
    assert sum(x.short_fen for x in short) == f.due_fen - f.paid_in_window_fen == 10000


def test_pay4_offline_lines_add_up_to_the_share(db):
    line(db, "ON", "1", 95000, "2026-03-02 10:00:00")
    line(db, "OFF", "1", 5000, "2026-03-02 10:00:00", channel="offline")
    f = payment_overview(db, AS_OF, PROFILE).figures
    offline = offline_lines(db, f)
    assert [x.order_id for x in offline] == ["OFF"]
    assert sum(x.amount_fen for x in offline) == f.offline_fen == 5000
    assert not f.offline_over_limit  # exactly 5%: within the limit


def test_pay1_prepayment_totals(db):
    db.execute(
        """INSERT INTO agreements (institution_code, batch, generic, selected_price, agreed_qty,
                                   start_date, end_date)
           VALUES ('H1', '第一批', '阿托伐他汀钙片', '0.125', 1001, '2026-01-01', '2026-12-31')""")
    overview = payment_overview(db, AS_OF, PROFILE)
    assert overview.agreed_total_fen == 12513  # 125.125 yuan, half up
    assert overview.prepayment_total_fen == 5005  # 40% of 125.125 = 50.05


@pytest.mark.parametrize(("fen", "text"), [(0, "0.00"), (5, "0.05"), (123456, "1,234.56"),
                                           (-250, "-2.50"), (100000000001, "1,000,000,000.01")])
def test_yuan_text_two_decimals(fen, text):
    assert yuan_text(fen) == text
