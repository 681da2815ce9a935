"""PAY-0, PAY-1, PAY-2, PAY-3, PAY-4 on small hand-made lines and payments.

Pins: whole-order payments spread by amount and capped per line (PAY-0),
half-up fen rounding of prepayments (PAY-1), the 10th of the next month as
the last on-time day (PAY-2), payment on day 30 in time and day 31 not, and
lines delivered under 30 days before as-of left out (PAY-3), exactly 5%
offline within the limit (PAY-4).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from fractions import Fraction

import pytest

from pharmacy_app.indicators.payments import (
    compute_payments,
    order_lines_paid,
    prepayments,
    settlement_deadline,
)
from pharmacy_app.institutions import Institution
from pharmacy_app.policy import builtin_profile

INST = Institution("H1", "平原卫生院", "grassroots")
PROFILE = builtin_profile()
AS_OF = dt.date(2026, 6, 30)


@pytest.fixture
def db(conn: sqlite3.Connection) -> sqlite3.Connection:
    conn.execute("INSERT INTO institutions (code, name, level) VALUES ('H1', '平原卫生院', 'grassroots')")
    conn.execute("INSERT INTO products (code, generic_name, is_vbp) VALUES ('VBP', '阿托伐他汀钙片', 1)")
    conn.execute("INSERT INTO products (code, generic_name, is_vbp) VALUES ('NON', '维生素C片', 0)")
    return conn


def line(conn: sqlite3.Connection, order_id: str, line_no: str, amount_fen: int,
         delivered: str | None, *, ordered: str | None = None, code: str = "VBP",
         channel: str = "online", inst: str = "H1") -> None:
    ordered = ordered or (delivered[:10] + " 08:00:00" if delivered else "2026-03-01 08:00:00")
    conn.execute(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, amount_fen,
                                       ordered_at, responded_at, delivered_at, supplier, channel)
           VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, '甲配送', ?)""",
        (order_id, line_no, inst, code, amount_fen, ordered, ordered, delivered, channel),
    )


def pay(conn: sqlite3.Connection, order_id: str, line_no: str, amount_fen: int, paid_on: str) -> None:
    conn.execute("INSERT INTO payments (order_id, line_no, amount_fen, paid_on) VALUES (?, ?, ?, ?)",
                 (order_id, line_no, amount_fen, paid_on))


def test_pay0_whole_order_payment_is_spread_by_amount(db):
    line(db, "O1", "1", 6000, "2026-03-02 10:00:00")
    line(db, "O1", "2", 4000, "2026-03-02 10:00:00")
    pay(db, "O1", "", 5000, "2026-03-05")
    assert order_lines_paid(db, "O1", AS_OF) == [("1", 6000, 3000), ("2", 4000, 2000)]


def test_pay0_spread_is_capped_per_line_and_never_spills_over(db):
    line(db, "O1", "1", 6000, "2026-03-02 10:00:00")
    line(db, "O1", "2", 4000, "2026-03-02 10:00:00")
    pay(db, "O1", "1", 5000, "2026-03-03")  # direct
    pay(db, "O1", "", 5000, "2026-03-05")  # spread: 3000 + 2000
    assert order_lines_paid(db, "O1", AS_OF) == [("1", 6000, 6000), ("2", 4000, 2000)]
    pay(db, "O1", "", 20000, "2026-03-06")  # far too much: each line capped
    assert order_lines_paid(db, "O1", AS_OF) == [("1", 6000, 6000), ("2", 4000, 4000)]


def test_pay0_shares_floor_to_the_fen_and_ignore_payments_after_as_of(db):
    for n in ("1", "2", "3"):
        line(db, "O1", n, 100, "2026-03-02 10:00:00")
    pay(db, "O1", "", 100, "2026-03-05")
    pay(db, "O1", "", 200, "2026-07-01")  # after the as-of date
    assert [p for _n, _a, p in order_lines_paid(db, "O1", AS_OF)] == [33, 33, 33]
    assert [p for _n, _a, p in order_lines_paid(db, "O1", dt.date(2026, 7, 1))] == [100, 100, 100]


def test_pay1_prepayment_is_40_percent_rounded_half_up_to_the_fen(db):
    db.execute(
        """INSERT INTO agreements (institution_code, batch, generic, selected_price, agreed_qty,
                                   start_date, end_date)
           VALUES ('H1', '第二批', '阿托伐他汀钙片', '0.0125', 25, '2026-03-01', '2027-02-28'),
                  ('H1', '第二批', '氨氯地平片', '0.18', 21000, '2026-01-01', '2026-12-31'),
                  ('H1', '第九批', '未开始', '1', 1, '2026-07-01', '2027-06-30'),
                  ('H9', '第二批', '他院', '1', 1, '2026-01-01', '2026-12-31')"""
    )
    rows = prepayments(db, INST, AS_OF, PROFILE)
    # 25 × 0.0125 = 0.3125 yuan → 31 fen; 40% = 0.125 yuan → 13 fen (half up, not 12).
    assert sorted((p.generic, p.agreed_fen, p.prepayment_fen) for p in rows) == sorted([
        ("阿托伐他汀钙片", 31, 13), ("氨氯地平片", 378000, 151200)])
    out = compute_payments(db, INST, AS_OF, PROFILE).to_json()
    assert {p["generic"]: p["prepayment"] for p in out["prepayments"]}["氨氯地平片"] == 1512.0
    assert out["prepayment_total"] == 1512.13


def test_pay2_paid_on_the_10th_is_on_time_the_11th_is_late(db):
    assert settlement_deadline("2026-03", 10) == dt.date(2026, 4, 10)
    assert settlement_deadline("2026-12", 10) == dt.date(2027, 1, 10)
    line(db, "A", "1", 1000, "2026-03-15 10:00:00")
    pay(db, "A", "1", 1000, "2026-04-10")
    line(db, "B", "1", 2000, "2026-03-20 10:00:00")
    line(db, "B", "2", 2000, "2026-03-20 10:00:00")
    pay(db, "B", "", 1000, "2026-04-10")
    pay(db, "B", "", 3000, "2026-04-11")
    line(db, "C", "1", 5000, "2026-03-20 10:00:00", code="NON")  # not VBP: no PAY-2
    line(db, "D", "1", 700, "2026-04-02 10:00:00")  # April: due 10 May
    before = compute_payments(db, INST, dt.date(2026, 4, 9), PROFILE)
    assert [(m.month, m.due) for m in before.settlements] == [("2026-03", False), ("2026-04", False)]
    assert before.late_orders == [] and not any(a.rule == "PAY-2" for a in before.alerts)

    on_day = compute_payments(db, INST, dt.date(2026, 4, 10), PROFILE)
    march = on_day.settlements[0]
    assert (march.delivered_fen, march.paid_by_deadline_fen, march.late_fen) == (5000, 2000, 3000)
    [late] = on_day.late_orders
    assert (late.order_id, late.late_fen, late.unpaid_now_fen) == ("B", 3000, 3000)

    after = compute_payments(db, INST, dt.date(2026, 4, 11), PROFILE)
    [late] = after.late_orders
    assert late.unpaid_now_fen == 0 and late.to_json()["paid_late"] is True
    assert after.settlements[0].late_fen == 3000
    [alert] = [a for a in after.alerts if a.rule == "PAY-2"]
    assert alert.subject == "2026-03" and alert.figure == 30.0 and "2026-04-10" in alert.message
    assert after.to_json()["late_settlements"][0]["late_amount"] == 30.0


def test_pay3_day_30_counts_day_31_does_not(db):
    line(db, "A", "1", 1000, "2026-05-01 10:00:00")
    pay(db, "A", "1", 1000, "2026-05-31")  # day 30
    line(db, "B", "1", 3000, "2026-05-01 10:00:00")
    pay(db, "B", "1", 3000, "2026-06-01")  # day 31
    f = compute_payments(db, INST, AS_OF, PROFILE)
    assert (f.due_fen, f.paid_in_window_fen) == (4000, 1000)
    assert f.to_json()["thirty_day_rate"] == 0.25


def test_pay3_only_lines_delivered_at_least_30_days_before_as_of(db):
    line(db, "A", "1", 1000, "2026-05-31 23:59:59")  # 30 days before as-of: due, unpaid
    line(db, "B", "1", 3000, "2026-06-01 00:00:00")  # 29 days: not yet due
    line(db, "C", "1", 500, None)  # never delivered
    f = compute_payments(db, INST, AS_OF, PROFILE)
    assert (f.due_fen, f.paid_in_window_fen) == (1000, 0)
    assert f.thirty_day_rate == 0
    empty = compute_payments(db, INST, dt.date(2026, 5, 30), PROFILE)
    assert empty.to_json()["thirty_day_rate"] is None


def test_pay3_with_a_whole_order_payment_spread_within_the_window(db):
    line(db, "A", "1", 6000, "2026-05-01 10:00:00")
    line(db, "A", "2", 4000, "2026-05-20 10:00:00")
    pay(db, "A", "", 10000, "2026-06-05")  # day 35 for line 1, day 16 for line 2
    f = compute_payments(db, INST, AS_OF, PROFILE)
    assert (f.due_fen, f.paid_in_window_fen) == (10000, 4000)


def test_pay4_exactly_5_percent_offline_is_within_the_limit(db):
    line(db, "A", "1", 9500, None, ordered="2026-02-01 08:00:00", code="NON")
    line(db, "B", "1", 500, None, ordered="2026-02-01 08:00:00", code="NON", channel="offline")
    line(db, "C", "1", 9999, None, ordered="2026-07-01 00:00:00", channel="offline")  # after as-of
    line(db, "D", "1", 9999, None, ordered="2025-12-31 23:59:59", channel="offline")  # last year
    f = compute_payments(db, INST, AS_OF, PROFILE)
    assert f.offline_share == Fraction(5, 100) and not f.offline_over_limit
    assert f.to_json()["offline_share"] == 0.05
    assert not any(a.rule == "PAY-4" for a in f.alerts)
    line(db, "E", "1", 1, None, ordered="2026-02-02 08:00:00", channel="offline")
    f = compute_payments(db, INST, AS_OF, PROFILE)
    assert f.offline_over_limit
    [alert] = [a for a in f.alerts if a.rule == "PAY-4"]
    assert alert.threshold == 0.05 and "线下采购金额占比" in alert.message


def test_json_has_the_formats_keys_and_null_shares_without_data(db):
    out = compute_payments(db, INST, AS_OF, PROFILE).to_json()
    assert out["thirty_day_rate"] is None and out["offline_share"] is None
    assert {"prepayments", "settlements", "late_settlements", "alerts"} <= set(out)
