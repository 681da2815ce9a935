"""Agreed volumes: AV-1, AV-2, AV-3, AV-4, AV-5, AV-6, AV-7, AV-8, AV-9, AV-11, AV-12.

Small data built with SQL inserts: one agreement for 阿莫西林胶囊 (selected
price 0.10 yuan per capsule, 24 capsules a box) with a second selected
specification, a backup supplier, non-selected products of the same 通用名
(one plain, one 过评, one 原研), a substitute and a product of another dosage
form that is NOT the same 通用名. Every boundary the rules draw is pinned.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from pharmacy_app.indicators.agreements import (
    Exemption,
    SupplyEmergency,
    add_months,
    agreement_alerts,
    agreement_keys,
    agreement_total,
    band_for,
    compute_agreements,
    not_in_hospital_from,
    time_progress,
)
from pharmacy_app.policy import PolicyProfile, builtin_profile

H = "H1"
START, END = "2026-03-01", "2027-02-28"
PROFILE = builtin_profile()

SEL = "XA-SEL-025"  # selected 0.25g, 24 per box
SEL2 = "XA-SEL-050"  # second selected specification 0.5g, 12 per box
BAK = "XA-BAK-025"  # backup supplier
NON = "XA-NON-025"  # non-selected, not 过评
EQV = "XA-EQV-025"  # non-selected, 过评
ORI = "XA-ORI-025"  # non-selected, 原研
SUB = "XA-SUB"  # substitute (头孢氨苄胶囊)
DSP = "XA-DSP"  # 阿莫西林分散片: another 通用名

FORMATS_KEYS = [
    "batch", "generic", "agreed_qty", "selected_qty", "progress", "time_progress",
    "behind_schedule", "non_selected_qty", "non_selected_share", "non_selected_alert",
    "band", "exempt",
]


def add_product(conn, code, name, form, spec, conv, consistency=0, originator=0, active=1):
    conn.execute(
        """INSERT INTO products (code, generic_name, dosage_form, specification, conversion,
               consistency, originator, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (code, name, form, spec, conv, consistency, originator, active),
    )


def add_agreement(conn, generic="阿莫西林胶囊", start=START, end=END, agreed=2400, last=4000,
                  price="0.10", roles=((SEL, "selected"), (SEL2, "selected"), (BAK, "backup"),
                                       (SUB, "substitute")), batch="第二批", inst=H):
    cur = conn.execute(
        """INSERT INTO agreements (institution_code, batch, generic, selected_price, agreed_qty,
               last_year_qty, start_date, end_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (inst, batch, generic, price, agreed, last, start, end),
    )
    conn.executemany(
        "INSERT INTO agreement_products (agreement_id, code, role) VALUES (?, ?, ?)",
        [(cur.lastrowid, code, role) for code, role in roles],
    )
    return cur.lastrowid


_order = iter(range(1, 10**6))


def buy(conn, code, boxes, at, unit_fen=Fraction(10), conv=24, inst=H):
    """`boxes` packages at `unit_fen` fen per smallest unit, ordered at `at`."""
    amount = unit_fen * boxes * conv
    assert amount.denominator == 1
    conn.execute(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, amount_fen,
               ordered_at) VALUES (?, '1', ?, ?, ?, ?, ?)""",
        (f"PO{next(_order)}", inst, code, boxes, int(amount), at if " " in at else at + " 10:00:00"),
    )


@pytest.fixture
def db(conn):
    add_product(conn, SEL, "阿莫西林", "胶囊", "0.25g", 24, consistency=1)
    add_product(conn, SEL2, "阿莫西林", "胶囊", "0.5g", 12, consistency=1)
    add_product(conn, BAK, "阿莫西林", "胶囊剂", "0.25g", 24, consistency=1)  # form synonym
    add_product(conn, NON, "阿莫西林", "胶囊", "0.25g", 24)
    add_product(conn, EQV, "阿莫西林", "硬胶囊", "0.25g", 24, consistency=1)
    add_product(conn, ORI, "阿莫西林胶囊", "胶囊", "0.25g", 24, originator=1)  # name repeats form
    add_product(conn, SUB, "头孢氨苄", "胶囊", "0.25g", 24, consistency=1)
    add_product(conn, DSP, "阿莫西林", "分散片", "0.25g", 24, consistency=1)
    add_product(conn, "OTHER", "布洛芬", "片剂", "0.2g", 20)
    return conn


def one(conn, as_of, profile: PolicyProfile = PROFILE, **kw):
    figures = compute_agreements(conn, H, dt.date.fromisoformat(as_of), profile, **kw)
    assert len(figures) == 1
    return figures[0]


def product(f, code):
    return next(p for p in f.products if p.code == code)


# ---------------------------------------------------------------------------
# AV-1
# ---------------------------------------------------------------------------
def test_av1_agreement_figures_and_last_year_ratio(db):
    add_agreement(db)
    f = one(db, "2026-06-30")
    assert f.agreed_qty == 2400 and f.last_year_qty == 4000
    assert f.last_year_ratio == Fraction(3, 5)
    assert f.selected_price == Fraction(1, 10)
    j = f.to_json()
    assert list(j)[: len(FORMATS_KEYS)] == FORMATS_KEYS
    assert j["last_year_ratio"] == 0.6 and j["start"] == START and j["end"] == END
    assert j["profile"] == PROFILE.label
    assert j["uuid"] and j["id"] == f.id
    roles = {p.code: p.role for p in f.products}
    assert roles == {SEL: "selected", SEL2: "selected", BAK: "backup", SUB: "substitute",
                     NON: "non_selected", EQV: "non_selected", ORI: "non_selected"}
    assert DSP not in roles and "OTHER" not in roles  # 分散片 is another 通用名


def test_av1_tongyongming_keys_compare_generic_plus_form():
    assert agreement_keys("阿莫西林胶囊") == {("阿莫西林", "胶囊")}
    assert ("奥美拉唑", "肠溶胶囊") in agreement_keys("奥美拉唑肠溶胶囊")
    assert ("奥美拉唑", "胶囊") not in agreement_keys("奥美拉唑肠溶胶囊")
    assert agreement_keys("阿托伐他汀钙片") == {("阿托伐他汀钙", "片剂")}
    assert ("硝苯地平", "缓释片") in agreement_keys("硝苯地平缓释片")
    assert ("硝苯地平", "片剂") not in agreement_keys("硝苯地平缓释片")
    # 素片 is a form word too, but 克拉霉素片 is 克拉霉素 + 片, not 克拉霉 + 素片.
    assert ("克拉霉素", "片剂") in agreement_keys("克拉霉素片")
    assert ("阿奇霉素", "片剂") in agreement_keys("阿奇霉素片")
    assert ("头孢曲松钠", "注射用无菌粉末") in agreement_keys("注射用头孢曲松钠")


def test_av1_no_last_year_quantity_gives_no_ratio(db):
    add_agreement(db, last=None)
    assert one(db, "2026-06-30").to_json()["last_year_ratio"] is None


# ---------------------------------------------------------------------------
# AV-2
# ---------------------------------------------------------------------------
def test_av2_time_progress_counts_start_and_as_of_day_inclusively():
    start, end = dt.date(2026, 3, 1), dt.date(2027, 2, 28)
    assert time_progress(start, end, dt.date(2026, 2, 28)) == 0  # before the start
    assert time_progress(start, end, start) == Fraction(1, 365)  # the start day counts
    assert time_progress(start, end, dt.date(2026, 3, 10)) == Fraction(10, 365)
    assert time_progress(start, end, end) == 1
    assert time_progress(start, end, dt.date(2027, 6, 1)) == 1  # capped after the end
    leap = (dt.date(2028, 1, 1), dt.date(2028, 12, 31))
    assert time_progress(*leap, dt.date(2028, 3, 1)) == Fraction(61, 366)


def test_av2_progress_counts_smallest_units_and_behind_schedule_is_strict(db):
    # agreed 365 boxes of 24: one box a day keeps exactly to 序时进度.
    add_agreement(db, agreed=365 * 24)
    buy(db, SEL, 10, "2026-03-05")
    f = one(db, "2026-03-10")
    assert f.selected_qty == 240  # 10 boxes × 24 capsules
    assert f.progress == f.time_progress == Fraction(10, 365)
    assert not f.behind_schedule
    assert "AV-2" not in f.to_json()["alerts"]
    f = one(db, "2026-03-11")
    assert f.behind_schedule
    alert = next(a for a in f.alerts if a.rule == "AV-2")
    assert alert.figure == Fraction(10, 365) and alert.threshold == Fraction(11, 365)
    assert "序时进度" in alert.message


def test_av2_line_ordered_after_the_as_of_date_is_ignored(db):
    add_agreement(db)
    buy(db, SEL, 10, "2026-06-30 23:59:59")
    buy(db, SEL, 20, "2026-07-01 00:00:00")
    buy(db, SEL, 40, "2026-07-01 00:00:01")
    buy(db, NON, 5, "2026-07-01 00:00:01")
    f = one(db, "2026-06-30")
    assert f.selected_qty == 240 and f.non_selected_qty == 0
    assert one(db, "2026-07-01").selected_qty == 70 * 24


def test_av2_agreement_year_that_started_last_year(db):
    add_agreement(db, start="2025-11-01", end="2026-10-31")
    buy(db, SEL, 1, "2025-10-31 23:59:59")  # the day before the year: not counted
    buy(db, SEL, 2, "2025-11-01 00:00:00")
    buy(db, SEL, 3, "2026-01-15")
    buy(db, SEL, 4, "2026-11-01")  # after the year's end
    f = one(db, "2026-02-15")
    assert f.selected_qty == 5 * 24
    assert f.time_progress == Fraction((dt.date(2026, 2, 15) - dt.date(2025, 11, 1)).days + 1, 365)
    ended = one(db, "2026-12-31")
    assert ended.selected_qty == 5 * 24 and ended.time_progress == 1
    assert ended.year_ended and ended.assessment == "unqualified"


def test_av2_before_the_start_everything_is_zero(db):
    add_agreement(db)
    buy(db, SEL, 10, "2026-02-20")
    f = one(db, "2026-02-28")
    assert f.selected_qty == 0 and f.time_progress == 0 and not f.behind_schedule


def test_av2_other_institutions_lines_are_ignored(db):
    add_agreement(db)
    buy(db, SEL, 10, "2026-04-01", inst="H2")
    assert one(db, "2026-06-30").selected_qty == 0


# ---------------------------------------------------------------------------
# AV-3 / AV-4
# ---------------------------------------------------------------------------
def test_av3_bands_at_exactly_50_and_exactly_100_percent():
    half, full = Fraction(1, 2), Fraction(1)
    assert band_for(Fraction(1, 2), full, half) == "incomplete"
    assert band_for(Fraction(1, 2) - Fraction(1, 10**9), full, half) == "unqualified"
    assert band_for(Fraction(1), full, half) == "complete"
    assert band_for(Fraction(1) - Fraction(1, 10**9), full, half) == "incomplete"


def test_av3_exactly_50_percent_progress_is_incomplete_not_unqualified(db):
    add_agreement(db)  # 2400 units = 100 boxes
    buy(db, SEL, 50, "2026-04-01")
    f = one(db, "2026-06-30")
    assert f.progress == Fraction(1, 2)
    assert f.band == "incomplete" and f.to_json()["band"] == "incomplete"
    assert "AV-3" not in {a.rule for a in f.alerts}
    buy(db, SEL2, 1, "2026-04-02", conv=12)  # 12 more capsules; still 50.5 %
    db.execute("DELETE FROM purchase_lines WHERE code = ?", (SEL,))
    buy(db, SEL, 49, "2026-04-01")  # 1176 + 12 = 1188 < 1200
    f = one(db, "2026-06-30")
    assert f.progress < Fraction(1, 2) and f.band == "unqualified"
    alert = next(a for a in f.alerts if a.rule == "AV-3")
    assert alert.threshold == Fraction(1, 2) and "不合格" in alert.message


def test_av3_exactly_100_percent_is_complete(db):
    add_agreement(db)
    buy(db, SEL, 100, "2026-04-01")
    f = one(db, "2026-06-30")
    assert f.progress == 1 and f.band == "complete"


def test_av3_profile_lines_are_used():
    custom = PolicyProfile("p", 1, "p", params={"av_unqualified_below": 0.6, "av_complete": 0.9})
    assert band_for(Fraction(55, 100), Fraction("0.9"), Fraction("0.6")) == "unqualified"
    assert custom["av_unqualified_below"] == 0.6


def test_av3_total_over_all_tongyongming(db):
    add_agreement(db)  # 2400
    add_agreement(db, generic="头孢氨苄胶囊", agreed=1200, last=2000, roles=((SUB, "selected"),))
    buy(db, SEL, 100, "2026-04-01")  # 2400
    buy(db, SUB, 10, "2026-04-01")  # 240
    figures = compute_agreements(db, H, dt.date(2026, 6, 30), PROFILE)
    total = agreement_total(figures, PROFILE)
    assert total.agreements == 2
    assert total.agreed_qty == 3600 and total.selected_qty == 2640
    assert total.progress == Fraction(2640, 3600) and total.band == "incomplete"
    exempt = compute_agreements(
        db, H, dt.date(2026, 6, 30), PROFILE,
        exemptions=[Exemption("头孢氨苄胶囊", "guideline_change", dt.date(2026, 5, 1))],
    )
    t2 = agreement_total(exempt, PROFILE)
    assert t2.agreements == 1 and t2.band == "complete"
    assert t2.to_json()["progress"] == 1.0


def test_av4_purchases_after_reaching_the_agreed_quantity_still_count(db):
    add_agreement(db)
    buy(db, SEL, 100, "2026-04-01")  # reaches 100 %
    buy(db, SEL, 50, "2026-09-01")  # goes on at the selected price
    f = one(db, "2026-10-31")
    assert f.selected_qty == 3600 and f.progress == Fraction(3, 2)
    assert f.band == "complete" and f.to_json()["progress"] == 1.5


# ---------------------------------------------------------------------------
# AV-5
# ---------------------------------------------------------------------------
def test_av5_exactly_30_percent_non_selected_is_not_above(db):
    add_agreement(db)
    buy(db, SEL, 70, "2026-04-01")
    buy(db, NON, 30, "2026-04-02")
    f = one(db, "2026-06-30")
    assert f.non_selected_qty == 720
    assert f.non_selected_share == Fraction(3, 10)
    assert not f.non_selected_alert
    assert f.to_json()["non_selected_share"] == 0.3
    buy(db, NON, 1, "2026-04-03")
    f = one(db, "2026-06-30")
    assert f.non_selected_share > Fraction(3, 10) and f.non_selected_alert
    alert = next(a for a in f.alerts if a.rule == "AV-5")
    assert alert.threshold == Fraction(3, 10) and "非中选" in alert.message


def test_av5_backup_and_other_forms_are_not_non_selected(db):
    add_agreement(db)
    buy(db, SEL, 50, "2026-04-01")
    buy(db, BAK, 50, "2026-04-01")
    buy(db, DSP, 50, "2026-04-01")
    f = one(db, "2026-06-30")
    assert f.non_selected_qty == 0 and f.non_selected_share == 0


def test_av5_no_purchases_gives_null_share(db):
    add_agreement(db)
    j = one(db, "2026-06-30").to_json()
    assert j["non_selected_share"] is None and j["progress"] == 0.0 and j["band"] == "unqualified"


def test_av5_after_the_year_ended_a_high_share_makes_the_assessment_unqualified(db):
    add_agreement(db, start="2025-03-01", end="2026-02-28")
    buy(db, SEL, 110, "2025-05-01")
    buy(db, NON, 60, "2025-05-01")
    f = one(db, "2026-06-30")
    assert f.band == "complete" and f.non_selected_alert and f.assessment == "unqualified"


# ---------------------------------------------------------------------------
# AV-8 (each exclusion kind) and AV-7
# ---------------------------------------------------------------------------
def test_av8_backup_supplier_purchases_are_excluded(db):
    add_agreement(db)
    buy(db, SEL, 10, "2026-04-01")
    buy(db, BAK, 5, "2026-04-01")
    f = one(db, "2026-06-30")
    assert f.selected_qty == 240 and f.backup_qty == 120
    assert f.excluded == {"backup": 120}
    assert f.to_json()["excluded"] == {"backup": 120}


def test_av8_cheaper_evaluated_or_originator_non_selected_lines_are_excluded(db):
    add_agreement(db)
    buy(db, SEL, 10, "2026-04-01")
    buy(db, EQV, 2, "2026-04-01", unit_fen=Fraction(9))  # 过评, below 0.10: excluded
    buy(db, ORI, 3, "2026-04-01", unit_fen=Fraction(5))  # 原研, below: excluded
    buy(db, EQV, 4, "2026-04-02", unit_fen=Fraction(10))  # equal price is not below: counted
    buy(db, EQV, 1, "2026-04-03", unit_fen=Fraction(20))  # dearer: counted
    buy(db, NON, 5, "2026-04-01", unit_fen=Fraction(1))  # cheap but not 过评/原研: counted
    f = one(db, "2026-06-30")
    assert f.excluded == {"cheaper_equivalent": 5 * 24}
    assert f.non_selected_qty == (4 + 1 + 5) * 24
    assert product(f, EQV).excluded == {"cheaper_equivalent": 48}
    assert product(f, EQV).qty == 7 * 24


def test_av8_price_per_smallest_unit_uses_the_conversion(db):
    # A 12-capsule box at 1.08 yuan is 0.09 per capsule: below the selected 0.10.
    add_product(db, "XA-EQV-12", "阿莫西林", "胶囊", "0.25g", 12, consistency=1)
    add_agreement(db)
    buy(db, "XA-EQV-12", 10, "2026-04-01", unit_fen=Fraction(9), conv=12)
    f = one(db, "2026-06-30")
    assert f.excluded == {"cheaper_equivalent": 120} and f.non_selected_qty == 0


def test_av8_non_selected_purchases_during_an_emergency_are_excluded(db):
    add_agreement(db)
    buy(db, SEL, 10, "2026-04-01")
    buy(db, NON, 3, "2026-05-09 23:59:59")  # before the emergency: counted
    buy(db, NON, 4, "2026-05-10 00:00:00")  # first day: excluded
    buy(db, NON, 5, "2026-05-20 23:59:59")  # last day: excluded
    buy(db, NON, 6, "2026-05-21 00:00:00")  # after: counted
    em = SupplyEmergency("阿莫西林胶囊", dt.date(2026, 5, 10), dt.date(2026, 5, 20), "中选企业停产")
    f = one(db, "2026-06-30", emergencies=[em])
    assert f.excluded == {"emergency_non_selected": 9 * 24}
    assert f.non_selected_qty == 9 * 24
    without = one(db, "2026-06-30")
    assert without.non_selected_qty == 18 * 24


def test_av8_cheaper_equivalent_substitute_lines_are_not_counted_for_av6(db):
    add_agreement(db)
    buy(db, SUB, 5, "2025-06-01")  # last year: 120
    buy(db, SUB, 5, "2026-04-01", unit_fen=Fraction(10))  # counted
    buy(db, SUB, 10, "2026-04-01", unit_fen=Fraction(8))  # 过评 and cheaper: excluded
    f = one(db, "2026-06-30")
    sub = product(f, SUB)
    assert sub.counted == 120 and sub.last_year_counted == 120
    assert sub.excluded == {"cheaper_equivalent": 240}
    assert "AV-6" not in {a.rule for a in f.alerts}


def test_av7_backup_purchases_during_an_emergency_count_as_selected(db):
    add_agreement(db)
    buy(db, SEL, 10, "2026-04-01")
    buy(db, BAK, 5, "2026-05-10")  # inside: selected
    buy(db, BAK, 2, "2026-05-21")  # after: backup, excluded
    em = SupplyEmergency("阿莫西林胶囊", dt.date(2026, 5, 10), dt.date(2026, 5, 20), batch="第二批")
    f = one(db, "2026-06-30", emergencies=[em])
    assert f.selected_qty == 15 * 24
    assert f.emergency_backup_qty == 5 * 24
    assert f.excluded == {"backup": 48}
    assert product(f, BAK).emergency_as_selected == 120
    other_batch = SupplyEmergency("阿莫西林胶囊", dt.date(2026, 5, 10), dt.date(2026, 5, 20),
                                  batch="第三批")
    assert one(db, "2026-06-30", emergencies=[other_batch]).selected_qty == 240


def test_av7_emergencies_declared_in_the_database_apply(db):
    """AV-7: an emergency stored in agreement_emergencies (migration 0005) is honoured."""
    add_agreement(db)
    buy(db, BAK, 5, "2026-05-10")
    db.execute(
        """INSERT INTO agreement_emergencies (institution_code, batch, generic, start_date,
               end_date, reason) VALUES ('H1', '', '阿莫西林胶囊', '2026-05-01', '2026-05-31', '停产')"""
    )
    assert one(db, "2026-06-30").selected_qty == 120


# ---------------------------------------------------------------------------
# AV-9
# ---------------------------------------------------------------------------
def test_av9_exempt_flag_with_reason_and_no_completion_alerts(db):
    add_agreement(db)
    buy(db, SEL, 10, "2026-04-01")
    ex = Exemption("阿莫西林胶囊", "public_health_event", dt.date(2026, 6, 1), note="流感")
    f = one(db, "2026-06-30", exemptions=[ex])
    assert f.exempt and f.band == "unqualified"
    j = f.to_json()
    assert j["exempt"] is True and j["exempt_reason"] == "public_health_event"
    assert j["exempt_reason_label"] == "发生公共卫生事件" and j["exempt_since"] == "2026-06-01"
    assert not {"AV-2", "AV-3"} & set(j["alerts"])
    # Not yet declared on the as-of date; a declaration in another year does not apply.
    assert not one(db, "2026-05-31", exemptions=[ex]).exempt
    old = Exemption("阿莫西林胶囊", "key_monitoring", dt.date(2025, 6, 1))
    assert not one(db, "2026-06-30", exemptions=[old]).exempt


def test_av9_exemptions_recorded_in_the_database_apply(db):
    """AV-9: an exemption stored in agreement_exemptions (migration 0005) is honoured."""
    add_agreement(db)
    db.execute(
        """INSERT INTO agreement_exemptions (institution_code, batch, generic, reason, declared_on,
               agreement_start, note)
           VALUES ('H1', '第二批', '阿莫西林胶囊', 'key_monitoring', '2027-03-15', '2026-03-01', '')"""
    )
    # Recorded after the year ended, aimed at that year by its start date.
    assert one(db, "2027-03-20").exempt
    assert not one(db, "2027-03-14").exempt
    assert one(db, "2027-03-20").assessment == "exempt"


def test_av9_waives_completion_only_not_the_av5_non_selected_line(db):
    """AV-9 "not assessed for completion"; AV-5 above 30% still makes the 通用名 unqualified."""
    add_agreement(db)
    buy(db, SEL, 1, "2026-04-01")
    buy(db, NON, 9, "2026-05-01")  # 90% non-selected
    ex = Exemption("阿莫西林胶囊", "public_health_event", dt.date(2026, 6, 1))
    f = one(db, "2027-03-20", exemptions=[ex])
    assert f.exempt and f.non_selected_alert
    assert f.assessment == "unqualified"


# ---------------------------------------------------------------------------
# AV-6
# ---------------------------------------------------------------------------
def test_av6_substitute_purchases_above_last_years_quantity_alert(db):
    add_agreement(db)
    buy(db, SUB, 10, "2025-03-01")  # first day of last year's span
    buy(db, SUB, 99, "2025-02-28")  # before it: not last year
    buy(db, SUB, 10, "2026-04-01")
    f = one(db, "2026-06-30")
    assert product(f, SUB).last_year_counted == 240 and product(f, SUB).counted == 240
    assert "AV-6" not in {a.rule for a in f.alerts}  # equal is not above
    buy(db, SUB, 1, "2026-06-30 23:59:59")
    f = one(db, "2026-06-30")
    alert = next(a for a in f.alerts if a.rule == "AV-6")
    assert alert.figure == 264 and alert.threshold == 240 and "可替代" in alert.message
    assert f.to_json()["substitutes_above_last_year"] == [SUB]


# ---------------------------------------------------------------------------
# AV-11
# ---------------------------------------------------------------------------
def test_av11_pre_vbp_price_lower_than_the_selected_price_is_flagged(db):
    add_agreement(db)
    buy(db, SEL, 10, "2025-09-01", unit_fen=Fraction(12))
    buy(db, SEL, 10, "2025-10-01", unit_fen=Fraction(10))  # equal: not lower
    f = one(db, "2026-06-30")
    assert product(f, SEL).pre_vbp_price == Fraction(1, 10)
    assert f.pre_vbp_lower == ()
    buy(db, NON, 1, "2026-02-28 23:59:59", unit_fen=Fraction(9))  # same 品规, the day before start
    buy(db, SEL, 1, "2026-03-01", unit_fen=Fraction(5))  # in the year: not pre-VBP
    f = one(db, "2026-06-30")
    assert f.pre_vbp_lower == (NON,)
    alert = next(a for a in f.alerts if a.rule == "AV-11")
    assert alert.figure == Fraction(9, 100) and alert.threshold == Fraction(1, 10)
    assert "集采前" in alert.message


# ---------------------------------------------------------------------------
# AV-12
# ---------------------------------------------------------------------------
def test_av12_month_boundary_and_backup_suggested_first(db):
    add_agreement(db)
    buy(db, SEL, 10, "2026-03-02")  # SEL2 never bought
    before = one(db, "2026-04-30")
    assert before.not_in_hospital == ()
    f = one(db, "2026-05-01")  # first day of the 3rd month of execution
    assert [n.code for n in f.not_in_hospital] == [SEL2]
    n = f.not_in_hospital[0]
    assert n.suggestions[0] == BAK and set(n.suggestions) == {BAK, NON, EQV, ORI}
    alert = next(a for a in f.alerts if a.rule == "AV-12")
    assert "未进院" in alert.message and "备供企业" in alert.message
    j = f.to_json()
    assert j["not_in_hospital"][0]["code"] == SEL2 and "AV-12" in j["alerts"]


def test_av12_a_purchase_after_the_as_of_date_does_not_count(db):
    add_agreement(db)
    buy(db, SEL, 10, "2026-03-02")
    buy(db, SEL2, 1, "2026-05-02", conv=12)
    assert [n.code for n in one(db, "2026-05-01").not_in_hospital] == [SEL2]
    assert one(db, "2026-05-02").not_in_hospital == ()


def test_av12_no_suggestion_without_a_second_product(db):
    db.execute("UPDATE products SET active = 0 WHERE code IN (?, ?, ?, ?)", (BAK, NON, EQV, ORI))
    add_agreement(db)
    f = one(db, "2026-05-01")
    assert {n.code for n in f.not_in_hospital} == {SEL, SEL2}
    assert all(n.suggestions == () for n in f.not_in_hospital)


def test_av12_month_is_a_profile_parameter_and_months_clamp():
    assert not_in_hospital_from(dt.date(2026, 3, 1), PROFILE) == dt.date(2026, 5, 1)
    p1 = PolicyProfile("p", 1, "p", params={"av_not_in_hospital_month": 1})
    assert not_in_hospital_from(dt.date(2026, 3, 1), p1) == dt.date(2026, 3, 1)
    assert not_in_hospital_from(dt.date(2025, 12, 31), PROFILE) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2027, 12, 15), 2) == dt.date(2028, 2, 15)


# ---------------------------------------------------------------------------
# Alerts list
# ---------------------------------------------------------------------------
def test_agreement_alerts_list_rule_subject_figure_threshold_message(db):
    add_agreement(db)
    buy(db, SEL, 10, "2026-03-02")
    buy(db, NON, 10, "2026-03-02")
    alerts = agreement_alerts(db, H, dt.date(2026, 5, 1), PROFILE)
    rules = [a.rule for a in alerts]
    assert rules == ["AV-2", "AV-3", "AV-5", "AV-12"]
    for a in alerts:
        j = a.to_json()
        assert set(j) == {"rule", "subject", "figure", "threshold", "message"}
        assert "阿莫西林胶囊" in j["subject"]
    assert alerts[2].to_json()["figure"] == 0.5


def _all(conn, as_of):
    return compute_agreements(conn, H, dt.date.fromisoformat(as_of), PROFILE)


def test_av5_another_batchs_selected_product_is_not_non_selected(db):
    """Two batches of one 通用名 in overlapping years: each buying its own selected product
    is not the other's non-selected purchase (AV-5: "neither selected nor a backup")."""
    add_agreement(db, batch="第九批", roles=((SEL, "selected"),))
    add_agreement(db, batch="第十批", start="2026-07-01", end="2027-06-30", roles=((SEL2, "selected"),))
    buy(db, SEL, 50, "2026-05-01")
    buy(db, SEL2, 25, "2026-08-01", conv=12)
    buy(db, NON, 5, "2026-08-02")
    ninth, tenth = sorted(_all(db, "2026-10-31"), key=lambda f: f.batch)
    assert (ninth.batch, tenth.batch) == ("第九批", "第十批")
    assert ninth.non_selected_qty == tenth.non_selected_qty == 5 * 24  # the true outsider only
    assert not ninth.non_selected_alert and not tenth.non_selected_alert


def test_av3_a_renewal_imported_ahead_is_not_judged_nor_totalled_before_it_starts(db):
    add_agreement(db, agreed=2400)
    add_agreement(db, agreed=2400, start="2027-03-01", end="2028-02-29")  # next year, ahead
    buy(db, SEL, 100, "2026-05-01")  # 2,400 units: year 1 complete
    year1, year2 = sorted(_all(db, "2026-12-31"), key=lambda f: f.start)
    assert year1.band == "complete"
    assert not year2.started and not year2.alerts  # no AV-3 before its first day
    assert year2.band in ("complete", "incomplete", "unqualified")  # FORMATS.md's values
    assert year2.to_json()["started"] is False
    total = agreement_total([year1, year2], PROFILE)
    assert (total.agreements, total.agreed_qty, total.selected_qty) == (1, 2400, 2400)
    # Once year 2 has begun, it is the year the total follows.
    later = agreement_total(_all(db, "2027-03-05"), PROFILE)
    assert (later.agreements, later.selected_qty) == (1, 0)


def test_alerts_name_the_year_when_a_renewal_shares_batch_and_generic(db):
    add_agreement(db, start="2025-03-01", end="2026-02-28")
    add_agreement(db)  # the renewal, 2026-03-01 on
    first, second = sorted(_all(db, "2026-06-30"), key=lambda f: f.start)
    assert first.subject == "第二批 阿莫西林胶囊（2025-03-01起）"
    assert second.subject == "第二批 阿莫西林胶囊（2026-03-01起）"
    assert all(a.subject.split(" / ")[0] == second.subject for a in second.alerts)
    assert second.alerts  # behind schedule with nothing bought: the alert names its year
    db.execute("DELETE FROM agreements WHERE start_date = '2025-03-01'")
    assert one(db, "2026-06-30").subject == "第二批 阿莫西林胶囊"  # alone: as before
