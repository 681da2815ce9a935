"""SUP-1, SUP-2, SUP-3, SUP-5, SUP-6: supplier figures on small hand-made purchase lines.

Every boundary of RULES.md "SUP" is pinned here: the inclusive 24 h / 48 h /
72 h windows, pending lines inside their window, data after the as-of time,
two consecutive quarters for interview, 48 h or more for the delayed list,
and "at most 5" delivery companies.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from pharmacy_app.indicators.suppliers import (
    compute_suppliers,
    delayed_responses,
    products_over_supplier_limit,
    supplier_limit_alerts,
)
from pharmacy_app.institutions import Institution
from pharmacy_app.policy import builtin_profile

AS_OF = dt.date(2026, 6, 30)  # as-of time: 2026-07-01 00:00:00
PLAIN = Institution("H1", "平原卫生院", "grassroots", remote=False)
REMOTE = Institution("H2", "山区卫生院", "grassroots", remote=True)
PROFILE = builtin_profile()

_seq = iter(range(1, 1_000_000))


def line(conn: sqlite3.Connection, ordered: str, responded: str | None = None,
         delivered: str | None = None, *, supplier: str = "甲配送", code: str = "P1",
         inst: str = "H1") -> None:
    """One purchase line in its own order."""
    conn.execute(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, amount_fen,
                                       ordered_at, responded_at, delivered_at, supplier)
           VALUES (?, '1', ?, ?, 1, 100, ?, ?, ?, ?)""",
        (f"O{next(_seq)}", inst, code, ordered, responded, delivered, supplier),
    )


@pytest.fixture
def db(conn: sqlite3.Connection) -> sqlite3.Connection:
    conn.execute("INSERT INTO institutions (code, name, level, remote) VALUES ('H1', '平原卫生院', 'grassroots', 0)")
    conn.execute("INSERT INTO institutions (code, name, level, remote) VALUES ('H2', '山区卫生院', 'grassroots', 1)")
    return conn


def figures(conn: sqlite3.Connection, as_of: dt.date = AS_OF, inst: Institution = PLAIN) -> dict:
    return {f.supplier: f for f in compute_suppliers(conn, inst, as_of, PROFILE)}


def test_sup1_response_at_exactly_24h_counts_one_second_later_does_not(db):
    line(db, "2026-03-01 08:00:00", "2026-03-02 08:00:00", "2026-03-02 09:00:00")
    line(db, "2026-03-01 08:00:00", "2026-03-02 08:00:01", "2026-03-02 09:00:00")
    f = figures(db)["甲配送"]
    assert f.orders == 2
    assert f.response_rate == 0.5
    assert f.to_json()["response_rate"] == 0.5
    [alert] = [a for a in f.alerts if a.rule == "SUP-1"]
    assert alert.threshold == 0.95 and "订单响应率" in alert.message


def test_sup1_pending_line_inside_window_counts_in_orders_not_in_rate(db):
    line(db, "2026-06-01 08:00:00", "2026-06-01 09:00:00", "2026-06-01 10:00:00")
    # 14 h before the as-of time, no response: pending (out of the denominator).
    line(db, "2026-06-30 10:00:00")
    # Exactly 24 h before the as-of time, no response: the window has elapsed.
    line(db, "2026-06-30 00:00:00", supplier="乙配送")
    f = figures(db)
    assert f["甲配送"].orders == 2
    assert f["甲配送"].response_rate == 1
    assert f["乙配送"].response_rate == 0
    # Delivery window (48 h) of the 乙 line is still open: pending for SUP-2.
    assert f["乙配送"].timeliness is None
    assert f["乙配送"].to_json()["timeliness"] is None


def test_lines_ordered_after_as_of_and_stamps_after_as_of_are_ignored(db):
    line(db, "2026-07-01 00:00:00", "2026-07-01 01:00:00", "2026-07-01 02:00:00")
    # Responded and delivered after the as-of time: as of then, still pending.
    line(db, "2026-06-30 20:00:00", "2026-07-01 01:00:00", "2026-07-01 02:00:00")
    line(db, "2026-06-01 08:00:00", "2026-06-01 09:00:00", "2026-06-01 10:00:00")
    f = figures(db)["甲配送"]
    assert f.orders == 2
    assert f.response_rate == 1 and f.timeliness == 1
    # The same lines a day later: the late-stamped line now counts, on time.
    later = figures(db, AS_OF + dt.timedelta(days=1))["甲配送"]
    assert later.orders == 3


def test_sup2_delivery_at_exactly_48h_counts_and_remote_institutions_get_72h(db):
    for inst in ("H1", "H2"):
        line(db, "2026-04-01 08:00:00", "2026-04-01 09:00:00", "2026-04-03 08:00:00", inst=inst)
        line(db, "2026-04-01 08:00:00", "2026-04-01 09:00:00", "2026-04-03 20:00:00", inst=inst)
        line(db, "2026-04-01 08:00:00", "2026-04-01 09:00:00", "2026-04-04 08:00:01", inst=inst)
    assert figures(db, inst=PLAIN)["甲配送"].timeliness == pytest.approx(1 / 3)
    assert figures(db, inst=REMOTE)["甲配送"].timeliness == pytest.approx(2 / 3)


def test_sup2_remote_pending_window_is_72h(db):
    line(db, "2026-06-28 08:00:00", "2026-06-28 09:00:00", inst="H2")  # 64 h, undelivered
    assert figures(db, inst=REMOTE)["甲配送"].timeliness is None
    line(db, "2026-06-28 08:00:00", "2026-06-28 09:00:00", inst="H1")
    assert figures(db, inst=PLAIN)["甲配送"].timeliness == 0


def quarter_lines(conn: sqlite3.Connection, month: int, on_time: int, late: int,
                  supplier: str = "乙配送") -> None:
    day = f"2026-{month:02d}-10 08:00:00"
    for _ in range(on_time):
        line(conn, day, f"2026-{month:02d}-10 09:00:00", f"2026-{month:02d}-11 08:00:00",
             supplier=supplier)
    for _ in range(late):
        line(conn, day, f"2026-{month:02d}-10 09:00:00", f"2026-{month:02d}-15 08:00:00",
             supplier=supplier)


def test_sup2_interview_after_two_consecutive_complete_quarters_below_90(db):
    quarter_lines(db, 2, on_time=8, late=2)  # Q1 80%
    quarter_lines(db, 5, on_time=17, late=3)  # Q2 85%
    f = figures(db)["乙配送"]
    assert [q.quarter for q in f.quarters if q.in_period] == ["2026-Q1", "2026-Q2"]
    assert f.interview and f.interview_quarters == ["2026-Q1", "2026-Q2"]
    assert f.tier == "warning_interview"
    assert any(a.rule == "SUP-2" and "约谈" in a.message for a in f.alerts)
    # A day earlier Q2 is not complete: no interview yet, still a warning.
    early = figures(db, dt.date(2026, 6, 29))["乙配送"]
    assert not early.interview and early.tier == "warning_notice"


def test_sup2_interview_needs_consecutive_quarters(db):
    quarter_lines(db, 2, on_time=8, late=2)  # Q1 80%
    quarter_lines(db, 5, on_time=10, late=0)  # Q2 100%
    quarter_lines(db, 8, on_time=8, late=2)  # Q3 80%
    f = figures(db, dt.date(2026, 9, 30))["乙配送"]
    assert [bool(q.timeliness < 0.9) for q in f.quarters if q.in_period] == [True, False, True]
    assert not f.interview
    assert f.to_json()["quarters"][0] == {
        "quarter": "2026-Q1", "complete": True, "orders": 10, "timeliness": 0.8,
        "below_threshold": True}


def test_sup2_interview_run_reaches_back_across_1_january(db):
    for _ in range(8):
        line(db, "2025-11-10 08:00:00", "2025-11-10 09:00:00", "2025-11-11 08:00:00",
             supplier="乙配送")
    for _ in range(2):
        line(db, "2025-11-10 08:00:00", "2025-11-10 09:00:00", "2025-11-20 08:00:00",
             supplier="乙配送")
    quarter_lines(db, 2, on_time=8, late=2)
    f = figures(db, dt.date(2026, 4, 15))["乙配送"]
    assert f.interview_quarters == ["2025-Q4", "2026-Q1"]
    assert f.orders == 10  # 2025 lines are read for the run only
    assert [q["quarter"] for q in f.to_json()["quarters"]] == ["2026-Q1", "2026-Q2"]


def test_sup3_no_response_48h_or_more(db):
    line(db, "2026-06-28 00:00:00")  # 72 h without response
    line(db, "2026-06-29 00:00:00")  # exactly 48 h: on the list
    line(db, "2026-06-29 00:00:01")  # 1 s short of 48 h: not yet
    line(db, "2026-06-20 08:00:00", "2026-06-22 08:00:00")  # answered at exactly 48 h
    line(db, "2026-06-20 08:00:00", "2026-06-22 08:00:01")  # answered 1 s late
    f = figures(db)["甲配送"]
    assert f.unresponded_48h == 3
    assert f.to_json()["unresponded_48h"] == 3
    listed = delayed_responses(db, PLAIN, AS_OF, PROFILE)
    assert [(x.ordered_at, x.still_open) for x in listed] == [
        ("2026-06-20 08:00:00", False),
        ("2026-06-28 00:00:00", True),
        ("2026-06-29 00:00:00", True),
    ]
    assert listed[1].hours_unanswered == 72.0
    to_send = delayed_responses(db, PLAIN, AS_OF, PROFILE, only_open=True, supplier="甲配送")
    assert len(to_send) == 2
    [alert] = [a for a in f.alerts if a.rule == "SUP-3"]
    assert alert.figure == 3 and "1 个工作日" in alert.message


def test_sup5_tiers(db):
    for _ in range(20):
        line(db, "2026-03-02 08:00:00", "2026-03-02 09:00:00", "2026-03-03 08:00:00",
             supplier="激励企业")
    for i in range(20):  # response 90%, timeliness 100%
        line(db, "2026-03-02 08:00:00", "2026-03-03 09:00:00" if i < 2 else "2026-03-02 09:00:00",
             "2026-03-03 10:00:00", supplier="一般企业")
    quarter_lines(db, 3, on_time=8, late=2, supplier="预警企业")  # one quarter at 80%
    line(db, "2026-06-30 20:00:00", supplier="新企业")  # only a pending line
    f = figures(db)
    assert f["激励企业"].tier == "incentive"
    assert f["一般企业"].tier == "standard"
    assert f["预警企业"].tier == "warning_notice"
    assert f["新企业"].tier == "no_data"
    assert f["新企业"].orders == 1
    assert f["预警企业"].to_json()["tier_label"].startswith("预警")


def test_sup6_more_than_five_delivery_companies(db):
    for n in range(6):
        line(db, "2026-05-01 08:00:00", supplier=f"企业{n}", code="P6")
    for n in range(5):  # 5 included is allowed
        line(db, "2026-05-01 08:00:00", supplier=f"企业{n}", code="P5")
    line(db, "2026-07-02 08:00:00", supplier="企业9", code="P5")  # after as-of
    db.execute("INSERT INTO products (code, generic_name, dosage_form, is_vbp) VALUES ('P6', '阿莫西林', '胶囊', 1)")
    over = products_over_supplier_limit(db, PLAIN, AS_OF, PROFILE)
    assert [(p.code, len(p.suppliers), p.vbp) for p in over] == [("P6", 6, True)]
    [alert] = supplier_limit_alerts(over, PROFILE)
    assert alert.rule == "SUP-6" and alert.figure == 6 and alert.threshold == 5
    assert "阿莫西林胶囊" in alert.message


def test_json_has_the_formats_keys_and_no_data_means_no_supplier(db):
    assert compute_suppliers(db, PLAIN, AS_OF, PROFILE) == []
    line(db, "2026-01-05 08:00:00", "2026-01-05 09:00:00", "2026-01-06 08:00:00")
    line(db, "2026-01-05 08:00:00", inst="H2")  # another institution
    [f] = compute_suppliers(db, PLAIN, AS_OF, PROFILE)
    out = f.to_json()
    assert {"supplier", "orders", "response_rate", "timeliness", "unresponded_48h"} <= set(out)
    assert {"quarters", "tier", "interview", "alerts"} <= set(out)
    assert (out["orders"], out["response_rate"], out["timeliness"]) == (1, 1.0, 1.0)
