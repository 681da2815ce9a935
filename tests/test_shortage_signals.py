"""SH-3 proposals from supply signals (undelivered orders, low cover) and SH-1
substitutes and defaults from the catalogue and purchase data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pharmacy_app.catalogue import Product, save_products
from pharmacy_app.institutions import current_institution, init_institution
from pharmacy_app.policy import builtin_profile
from pharmacy_app.shortage.model import ShortageReport
from pharmacy_app.shortage.signals import (
    draft_from_proposal,
    estimated_stock,
    monthly_use,
    propose_reports,
    propose_substitutes,
    therapeutic_class,
)
from pharmacy_app.shortage.store import advance, record_stock_count, save_report
from pharmacy_app.store import open_store

AS_OF = dt.date(2026, 11, 23)
END = "2026-11-24 00:00:00"  # the as-of date means 24:00
NITRO = "XC01DAA066A003010003901"
NITRO_B = "XC01DAA066A003020004001"  # same 通用名, another specification and maker
ISDN = "XC01DAA068A003010001501"  # same class C01DA (organic nitrates)
ISMN_OLD = "XC01DAA067A012010003601"  # same class, inactive
DIGOXIN = "XC01AAA069A003010001501"  # another class (C01AA)
HERBAL = "ZA01AAA0001010101000001"  # a Chinese patent medicine: no ATC group
PROFILE = builtin_profile()


def product(code, name, form, spec, maker, package, active=True) -> Product:
    return Product(code=code, generic_name=name, dosage_form=form, specification=spec,
                   package=package, manufacturer=maker, active=active)


@pytest.fixture
def conn(tmp_path: Path):
    c = open_store(tmp_path / "signals.db")
    init_institution(c, "H46010001", "某某卫生院", "grassroots")
    save_products(c, [
        product(NITRO, "硝酸甘油", "片剂", "0.5mg", "北京益民药业有限公司", "0.5mg*100片/瓶"),
        product(NITRO_B, "硝酸甘油", "片剂", "0.3mg", "山东信谊制药有限公司", "0.3mg*100片/瓶"),
        product(ISDN, "硝酸异山梨酯", "片剂", "5mg", "上海信谊药厂有限公司", "5mg*100片/瓶"),
        product(ISMN_OLD, "单硝酸异山梨酯", "缓释片", "40mg", "鲁南贝特", "40mg*24片/盒",
                active=False),
        product(DIGOXIN, "地高辛", "片剂", "0.25mg", "上海信谊药厂有限公司", "0.25mg*100片/瓶"),
    ])
    yield c
    c.close()


def line(conn, order_id, code, ordered_at, delivered_at=None, qty=1.0, line_no="1"):
    conn.execute(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, price,
               amount_fen, ordered_at, responded_at, delivered_at, supplier)
           VALUES (?, ?, 'H46010001', ?, ?, '10', 1000, ?, ?, ?, '国药控股海南有限公司')""",
        (order_id, line_no, code, qty, ordered_at, ordered_at, delivered_at),
    )


def proposals(conn, as_of=AS_OF):
    return propose_reports(conn, current_institution(conn), as_of, PROFILE)


def codes(found):
    return [(p.product.code, p.reason) for p in found]


def test_sh3_two_overdue_orders_after_the_last_delivery_propose_a_report(conn):
    line(conn, "PO1", NITRO, "2026-11-01 09:00:00", "2026-11-02 09:00:00", qty=3)
    line(conn, "PO2", NITRO, "2026-11-10 09:00:00", qty=2)
    line(conn, "PO3", NITRO, "2026-11-18 09:00:00", qty=2)
    found = proposals(conn)
    assert codes(found) == [(NITRO, "undelivered")]
    p = found[0]
    assert p.overdue_lines == 2 and p.oldest_order == "2026-11-10 09:00:00"
    assert p.deadline_hours == 48 and p.start_date == dt.date(2026, 11, 12)
    assert p.monthly_use == pytest.approx(7 * 100 * 30 / 90, abs=0.1)


def test_sh3_a_later_delivery_means_supply_came_back(conn):
    line(conn, "PO1", NITRO, "2026-11-10 09:00:00")
    line(conn, "PO2", NITRO, "2026-11-12 09:00:00")
    line(conn, "PO3", NITRO, "2026-11-15 09:00:00", "2026-11-16 09:00:00")
    assert proposals(conn) == []


def test_sh3_one_order_must_stay_overdue_for_twice_the_deadline(conn):
    # 96 h after ordering (2 × 48 h) is the as-of moment itself: not yet.
    line(conn, "PO1", NITRO, "2026-11-20 00:00:00")
    assert proposals(conn) == []
    conn.execute("UPDATE purchase_lines SET ordered_at='2026-11-19 23:59:59'")
    assert codes(proposals(conn)) == [(NITRO, "undelivered")]


def test_sh3_deadline_boundary_48h_and_72h_remote(conn):
    # Two orders; the newer one reaches its 48 h deadline exactly at 24:00.
    line(conn, "PO1", NITRO, "2026-11-15 09:00:00")
    line(conn, "PO2", NITRO, "2026-11-22 00:00:00")
    found = proposals(conn)
    assert found[0].overdue_lines == 1  # exactly at the deadline is not overdue
    conn.execute("UPDATE purchase_lines SET ordered_at='2026-11-21 23:59:59' WHERE order_id='PO2'")
    assert proposals(conn)[0].overdue_lines == 2
    # Remote institution: 72 h, so the 2026-11-21 order is not overdue yet.
    init_institution(conn, "H46010001", "某某卫生院", "grassroots", remote=True)
    found = proposals(conn)
    assert found[0].deadline_hours == 72 and found[0].overdue_lines == 1


def test_sh3_delivery_after_the_as_of_moment_has_not_happened_yet(conn):
    line(conn, "PO1", NITRO, "2026-11-10 09:00:00", END)
    line(conn, "PO2", NITRO, "2026-11-12 09:00:00")
    assert proposals(conn)[0].overdue_lines == 2
    # As of the next day PO1 has arrived; PO2, ordered after it, is still missing.
    assert [p.overdue_lines for p in proposals(conn, dt.date(2026, 11, 24))] == [1]


def test_sh3_open_report_silences_the_signal_until_resolved(conn):
    line(conn, "PO1", NITRO, "2026-11-10 09:00:00")
    line(conn, "PO2", NITRO, "2026-11-12 09:00:00")
    draft = draft_from_proposal(conn, proposals(conn)[0], AS_OF)
    assert draft.product_code == NITRO and draft.signal == "undelivered"
    assert draft.cause == "distribution" and draft.start_date == dt.date(2026, 11, 12)
    stored = save_report(conn, draft)
    assert proposals(conn) == []
    filled = stored.with_changes(stock_on_hand=10, clinical_impact="急救", measures_taken="催货",
                                 reporter="王芳", contact="13800138000")
    stored = save_report(conn, filled)
    for status in ("reported", "handling", "resolved"):
        advance(conn, stored.uuid, status, by="王芳")
    assert codes(proposals(conn)) == [(NITRO, "undelivered")]


def test_sh3_low_cover_from_entered_stock_and_purchases(conn):
    # 30 bottles of 100 ordered in the last 90 days: 1,000 tablets a month.
    for i in range(3):
        line(conn, f"PO{i}", DIGOXIN, f"2026-{9 + i:02d}-01 09:00:00",
             f"2026-{9 + i:02d}-02 09:00:00", qty=10)
    assert monthly_use(conn, DIGOXIN, AS_OF) == pytest.approx(1000.0)
    assert proposals(conn) == []  # no stock entered: no cover to judge
    record_stock_count(conn, DIGOXIN, 1000, counted_at="2026-11-23 00:00:00")
    # 1,000 counted − one day of use (33.3) = 966.7 → 29 days < 30 (yellow line)
    found = proposals(conn)
    assert codes(found) == [(DIGOXIN, "low_cover")]
    assert float(found[0].cover) == pytest.approx(29.0, abs=0.01)
    # A delivery after the count raises the stock above the line.
    line(conn, "PO9", DIGOXIN, "2026-11-23 08:00:00", "2026-11-23 10:00:00", qty=1)
    assert estimated_stock(conn, DIGOXIN, AS_OF, 1000.0) == pytest.approx(1066.7, abs=0.1)
    assert proposals(conn) == []


def test_sh3_old_counts_are_not_used(conn):
    line(conn, "PO1", DIGOXIN, "2026-10-01 09:00:00", "2026-10-02 09:00:00", qty=30)
    record_stock_count(conn, DIGOXIN, 0, counted_at="2026-10-23 23:00:00")
    assert proposals(conn) == []
    record_stock_count(conn, DIGOXIN, 0, counted_at="2026-10-24 00:00:00")
    assert codes(proposals(conn)) == [(DIGOXIN, "low_cover")]


def test_sh1_substitutes_same_generic_first_then_same_class(conn):
    line(conn, "PO1", ISDN, "2026-11-01 09:00:00", "2026-11-02 09:00:00")
    found = propose_substitutes(conn, NITRO, AS_OF)
    assert [(s.product.code, s.kind) for s in found] == [
        (NITRO_B, "same_generic"),
        (ISDN, "same_class"),
    ]  # the inactive same-class product and the other class are left out
    assert found[1].last_delivered == "2026-11-02 09:00:00"
    assert found[0].as_substitute().kind == "same_generic"


def test_sh1_therapeutic_class_is_the_atc_level_4_group():
    assert therapeutic_class(NITRO) == "C01DA"
    assert therapeutic_class(DIGOXIN) == "C01AA"
    assert therapeutic_class(HERBAL) is None
    assert therapeutic_class("C" + "01" * 13) is None


def test_sh1_substitutes_flag_products_in_shortage(conn):
    save_report(conn, ShortageReport(product_code=ISDN))
    found = {s.product.code: s for s in propose_substitutes(conn, NITRO, AS_OF)}
    assert found[ISDN].in_shortage and not found[NITRO_B].in_shortage


def test_sh3_proposal_level_needs_a_cover(conn):
    from pharmacy_app.shortage.signals import proposal_level

    line(conn, "PO1", NITRO, "2026-11-10 09:00:00", qty=3)
    line(conn, "PO2", NITRO, "2026-11-12 09:00:00", qty=3)
    (p,) = proposals(conn)
    assert p.cover is None and proposal_level(p, PROFILE) == "none"
    record_stock_count(conn, NITRO, 10, counted_at="2026-11-23 23:00:00")
    (p,) = proposals(conn)
    assert p.cover is not None and p.cover < 7 and proposal_level(p, PROFILE) == "red"


def test_sh3_use_and_stock_count_only_this_institutions_lines(conn):
    """SH-3 days of cover: another institution's orders and deliveries in the same
    database (an alliance member's, MA-4) change neither this institution's average
    monthly use nor its estimated stock."""
    line(conn, "PO1", DIGOXIN, "2026-10-01 09:00:00", "2026-10-02 09:00:00", qty=30)
    conn.execute(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, price,
               amount_fen, ordered_at, responded_at, delivered_at, supplier)
           VALUES ('M1', '1', 'H99', ?, 300, '10', 300000, '2026-10-05 09:00:00',
                   '2026-10-05 09:00:00', '2026-11-23 10:00:00', '国药控股海南有限公司')""",
        (DIGOXIN,),
    )
    assert monthly_use(conn, DIGOXIN, AS_OF) == pytest.approx(1000.0)
    record_stock_count(conn, DIGOXIN, 1000, counted_at="2026-11-23 00:00:00")
    assert estimated_stock(conn, DIGOXIN, AS_OF, 1000.0) == pytest.approx(966.7, abs=0.1)
    assert codes(proposals(conn)) == [(DIGOXIN, "low_cover")]
