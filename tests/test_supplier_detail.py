"""SUP-1, SUP-2, SUP-3, SUP-6 per line: indicators.supplier_detail on hand-made lines.

Pins: a response at exactly 24 h is in time and 24 h + 1 s late (SUP-1); a
delivery at exactly 48 h in time, 72 h for a remote institution (SUP-2); a
response at exactly 48 h keeps a line off the delayed-response list, 48 h +
1 s puts it on, and an unanswered line goes on once exactly 48 h have passed
at the as-of time (SUP-3); a line still inside its window is pending; a line
ordered after the as-of date and a response stamped after it do not count;
6 companies for a product is over the limit of 5, 5 is not (SUP-6). The line
statuses add up to compute_suppliers' counts (one code path).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter

import pytest

from pharmacy_app.indicators.periods import natural_year_to_date
from pharmacy_app.indicators.supplier_detail import (
    IN_TIME,
    LATE,
    MISSING,
    PENDING,
    Thresholds,
    delayed_rows,
    known_suppliers,
    supplier_lines,
    supplier_overview,
)
from pharmacy_app.indicators.suppliers import compute_suppliers
from pharmacy_app.institutions import Institution, init_institution
from pharmacy_app.policy import builtin_profile

INST = Institution("H1", "平原卫生院", "grassroots")
REMOTE = Institution("H1", "平原卫生院", "grassroots", remote=True)
PROFILE = builtin_profile()
AS_OF = dt.date(2026, 6, 30)  # the end of the day: 2026-07-01 00:00:00
A = "甲医药有限公司"
B = "乙医药有限公司"


@pytest.fixture
def db(conn: sqlite3.Connection) -> sqlite3.Connection:
    init_institution(conn, "H1", "平原卫生院", "grassroots")
    conn.execute(
        """INSERT INTO products (code, generic_name, dosage_form, specification, package,
                                 manufacturer, is_vbp)
           VALUES ('P1', '阿莫西林', '胶囊', '0.25g', '0.25g*24粒/盒', '华北制药股份有限公司', 1)""")
    return conn


def line(conn: sqlite3.Connection, n: str, ordered: str, responded: str | None,
         delivered: str | None = None, *, supplier: str = A, code: str = "P1",
         qty: float = 10) -> None:
    conn.execute(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, amount_fen,
                                       ordered_at, responded_at, delivered_at, supplier)
           VALUES (?, '1', 'H1', ?, ?, 1000, ?, ?, ?, ?)""",
        (n, code, qty, ordered, responded, delivered, supplier),
    )


@pytest.fixture
def boundaries(db: sqlite3.Connection) -> sqlite3.Connection:
    o = "2026-06-01 08:00:00"
    line(db, "L1", o, "2026-06-02 08:00:00", "2026-06-03 08:00:00")  # exactly 24 h / 48 h
    line(db, "L2", o, "2026-06-02 08:00:01", "2026-06-03 08:00:01")  # one second over
    line(db, "L3", o, "2026-06-03 08:00:00", "2026-06-04 08:00:00")  # response exactly 48 h
    line(db, "L4", o, "2026-06-03 08:00:01", None)  # response 48 h + 1 s
    line(db, "L5", o, None, None)  # never answered
    line(db, "L6", "2026-06-30 10:00:00", None, None)  # 14 h before the as-of time
    line(db, "L7", "2026-06-29 00:00:00", None, None)  # exactly 48 h before
    line(db, "L8", "2026-06-29 00:00:01", None, None)  # 47 h 59 min 59 s before
    line(db, "L9", "2026-07-01 09:00:00", None, None)  # after the as-of date
    line(db, "L10", "2026-06-28 10:00:00", "2026-07-02 10:00:00", None)  # answered after as-of
    return db


def by_order(lines):
    return {x.order_id: x for x in lines}


def test_sup1_sup2_line_status_boundaries(boundaries):
    lines = by_order(supplier_lines(boundaries, INST, AS_OF, PROFILE, A))
    assert "L9" not in lines  # ordered after the as-of date
    assert lines["L1"].response == IN_TIME and lines["L1"].delivery == IN_TIME
    assert lines["L2"].response == LATE and lines["L2"].delivery == LATE
    assert lines["L3"].response == LATE
    assert lines["L5"].response == MISSING and lines["L5"].delivery == MISSING
    assert lines["L6"].response == PENDING and lines["L6"].delivery == PENDING
    # 48 h elapsed: past the 24 h response window; the 48 h delivery window is over too.
    assert lines["L7"].response == MISSING and lines["L7"].delivery == MISSING
    assert lines["L8"].response == MISSING and lines["L8"].delivery == PENDING
    # A response stamped after the as-of time has not happened yet.
    assert lines["L10"].responded_at is None and lines["L10"].response == MISSING


def test_sup2_remote_institution_has_72_hours(boundaries):
    boundaries.execute("UPDATE purchase_lines SET delivered_at = '2026-06-04 08:00:00' "
                       "WHERE order_id = 'L5'")  # exactly 72 h
    local = by_order(supplier_lines(boundaries, INST, AS_OF, PROFILE, A))
    remote = by_order(supplier_lines(boundaries, REMOTE, AS_OF, PROFILE, A))
    assert local["L5"].delivery == LATE
    assert remote["L5"].delivery == IN_TIME
    assert Thresholds.of(REMOTE, PROFILE).delivery_hours == 72
    assert Thresholds.of(INST, PROFILE).delivery_hours == 48


def test_sup3_delayed_list_boundaries(boundaries):
    lines = by_order(supplier_lines(boundaries, INST, AS_OF, PROFILE, A))
    delayed = {k for k, x in lines.items() if x.delayed_48h}
    assert delayed == {"L4", "L5", "L7", "L10"}  # L3 at exactly 48 h is in time; L8 not yet 48 h
    rows = delayed_rows(boundaries, INST, AS_OF, PROFILE)
    assert {r.order_id for r in rows} == delayed
    still_open = {r.order_id for r in delayed_rows(boundaries, INST, AS_OF, PROFILE,
                                                   only_open=True)}
    assert still_open == {"L5", "L7", "L10"}  # L4 was answered, late


def test_sup3_delayed_rows_carry_product_details_and_waiting_hours(boundaries):
    rows = {r.order_id: r for r in delayed_rows(boundaries, INST, AS_OF, PROFILE, supplier=A)}
    l7 = rows["L7"]
    assert (l7.generic_name, l7.dosage_form, l7.specification, l7.package, l7.manufacturer) == (
        "阿莫西林", "胶囊", "0.25g", "0.25g*24粒/盒", "华北制药股份有限公司")
    assert l7.qty == 10 and l7.supplier == A and l7.still_open
    assert l7.hours_waited == 48.0  # up to the as-of time
    assert rows["L4"].hours_waited == 48.0  # up to the response (48 h + 1 s, rounded)
    assert not rows["L4"].still_open


def test_line_statuses_add_up_to_compute_suppliers(boundaries):
    """SUP-1/SUP-2/SUP-3: the page's lines and the `indicators` counts are one code path."""
    line(boundaries, "B1", "2026-05-01 08:00:00", "2026-05-01 09:00:00", "2026-05-02 08:00:00",
         supplier=B)
    for figures in compute_suppliers(boundaries, INST, AS_OF, PROFILE):
        lines = supplier_lines(boundaries, INST, AS_OF, PROFILE, figures.supplier)
        response = Counter(x.response for x in lines)
        delivery = Counter(x.delivery for x in lines)
        c = figures.counts
        assert len(lines) == c.lines
        assert response[IN_TIME] == c.responded_in_time
        assert response[PENDING] == c.response_pending
        assert delivery[IN_TIME] == c.delivered_in_time
        assert delivery[PENDING] == c.delivery_pending
        assert sum(x.delayed_48h for x in lines) == c.unresponded_48h


def test_sup6_more_than_five_companies(db):
    for i in range(5):
        line(db, f"F{i}", "2026-03-01 08:00:00", "2026-03-01 09:00:00", supplier=f"公司{i}")
    overview = supplier_overview(db, AS_OF, PROFILE)
    assert overview.over_limit == []  # 5 companies: allowed
    line(db, "F5", "2026-03-01 08:00:00", "2026-03-01 09:00:00", supplier="公司5")
    overview = supplier_overview(db, AS_OF, PROFILE)
    assert [(p.code, len(p.suppliers)) for p in overview.over_limit] == [("P1", 6)]
    assert overview.thresholds.max_companies == 5


def test_overview_is_compute_suppliers(boundaries):
    overview = supplier_overview(boundaries, AS_OF, PROFILE)
    expected = compute_suppliers(boundaries, INST, AS_OF, PROFILE)
    assert [s.to_json() for s in overview.suppliers] == [s.to_json() for s in expected]
    assert overview.supplier(A) is not None and overview.supplier("无此企业") is None
    assert overview.thresholds.response_hours == 24
    assert overview.thresholds.unresponded_hours == 48


def test_known_suppliers_of_the_period(boundaries):
    line(boundaries, "OLD", "2025-12-30 08:00:00", None, supplier="旧公司")
    assert known_suppliers(boundaries, INST, natural_year_to_date(AS_OF)) == [A]
