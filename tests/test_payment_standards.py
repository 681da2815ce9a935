"""PS-1, PS-2, PS-3, PS-4 payment standards (RULES.md PS; seed 000 §4.7).

Pins: P = 2S exactly gets S (2× included, "含2倍"); just above 2S steps down;
the year-2 step floored at S; a product cheaper than S is paid at its own
price; PS-2 min(P, S) with no transition; PS-3 the patient's extra cost per
package via the conversion factor; PS-4 consumables at the category's
negotiated price; policy years counted from the batch's first start date.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from fractions import Fraction as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pharmacy_app.payment_standards import (
    StandardsError,
    compute_payment_standards,
    export_xlsx,
    filter_rows,
    patient_extra,
    payment_standards_table,
    policy_year,
    ps1_gradient,
    ps2_standard,
)

TWO, R1, STEP = F(2), F(7, 10), F(3, 10)
AS_OF = dt.date(2026, 6, 30)


def test_ps1_price_exactly_twice_selected_gets_selected_price():
    g = ps1_gradient(F(2), F(1), TWO, R1, STEP)
    assert (g.year1, g.year2, g.year3) == (1, 1, 1)


def test_ps1_just_above_twice_steps_down_over_three_years():
    p = F(201, 100)  # 2.01 × S
    g = ps1_gradient(p, F(1), TWO, R1, STEP)
    assert g.year1 == F(7, 10) * p  # 1.407
    assert g.year2 == 1  # 0.4 × 2.01 = 0.804 < S → floored at S
    assert g.year3 == 1


def test_ps1_year2_is_year1_minus_30_percent_when_above_floor():
    g = ps1_gradient(F(10), F(1), TWO, R1, STEP)
    assert (g.year1, g.year2, g.year3) == (7, 4, 1)


def test_ps1_year2_floor_at_selected_price():
    g = ps1_gradient(F(22, 10), F(1), TWO, R1, STEP)  # 0.4 × 2.2 = 0.88 < 1
    assert g.year1 == F(154, 100)
    assert g.year2 == 1


def test_ps1_year1_never_below_selected_with_a_steep_local_ratio():
    g = ps1_gradient(F(3), F(1), TWO, F(1, 10), STEP)  # 0.1 × 3 = 0.3 < S
    assert g.year1 == 1 and g.year2 == 1


def test_ps1_cheaper_than_selected_is_paid_at_its_own_price():
    g = ps1_gradient(F(8, 10), F(1), TWO, R1, STEP)
    assert (g.year1, g.year2, g.year3) == (F(8, 10),) * 3


def test_ps2_not_evaluated_min_of_price_and_selected_without_transition():
    assert ps2_standard(F(5), F(1)).year1 == 1  # far above 2S: still S in year 1
    assert ps2_standard(F(1, 2), F(1)).year3 == F(1, 2)


def test_ps3_patient_pays_only_above_standard():
    assert patient_extra(F(3), F(1)) == 2
    assert patient_extra(F(1, 2), F(1)) == 0


def test_policy_years_count_from_start():
    start = dt.date(2026, 3, 1)
    assert policy_year(start, dt.date(2026, 3, 1)) == 1
    assert policy_year(start, dt.date(2027, 2, 28)) == 1
    assert policy_year(start, dt.date(2027, 3, 1)) == 2
    assert policy_year(start, dt.date(2028, 3, 1)) == 3
    assert policy_year(start, dt.date(2031, 1, 1)) == 3


# ---------------------------------------------------------------------------
# On the database
# ---------------------------------------------------------------------------
def product(conn, code, name, form, price, conv, *, kind="drug", consistency=0, originator=0,
            spec="10mg", maker="", active=1):
    conn.execute(
        """INSERT INTO products (code, kind, generic_name, dosage_form, specification, conversion,
                                 manufacturer, consistency, originator, price, active)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (code, kind, name, form, spec, conv, maker or code, consistency, originator, price, active))


def agreement(conn, generic, price, start, end, selected=(), backup=(), batch="第一批", inst="H1"):
    cur = conn.execute(
        """INSERT INTO agreements (institution_code, batch, generic, selected_price, agreed_qty,
                                   start_date, end_date) VALUES (?, ?, ?, ?, 1000, ?, ?)""",
        (inst, batch, generic, price, start, end))
    for code in selected:
        conn.execute("INSERT INTO agreement_products (agreement_id, code, role) VALUES (?, ?, 'selected')",
                     (cur.lastrowid, code))
    for code in backup:
        conn.execute("INSERT INTO agreement_products (agreement_id, code, role) VALUES (?, ?, 'backup')",
                     (cur.lastrowid, code))


@pytest.fixture
def db(conn: sqlite3.Connection) -> sqlite3.Connection:
    from pharmacy_app.institutions import init_institution

    init_institution(conn, "H1", "平原卫生院", "grassroots")
    # S = 0.5 per tablet; packages of 20.
    product(conn, "SEL", "阿托伐他汀钙", "片剂", "10.00", 20, consistency=1)  # P = 0.50
    product(conn, "ORI", "阿托伐他汀钙", "片", "20.00", 20, originator=1)  # P = 1.00 = 2S
    product(conn, "BIG", "阿托伐他汀钙", "片剂", "22.00", 20, originator=1)  # P = 1.10 = 2.2S
    product(conn, "HUG", "阿托伐他汀钙", "片剂", "100.00", 20, originator=1)  # P = 5.00 = 10S
    product(conn, "CHP", "阿托伐他汀钙", "片剂", "8.00", 20, consistency=1)  # P = 0.40 < S
    product(conn, "GEN", "阿托伐他汀钙", "片剂", "30.00", 20)  # not evaluated, P = 1.50
    product(conn, "OTH", "辛伐他汀", "片剂", "99.00", 20)  # another 通用名
    product(conn, "NOP", "阿托伐他汀钙", "片剂", None, 20, consistency=1)  # no price
    agreement(conn, "阿托伐他汀钙片", "0.5", "2026-01-01", "2026-12-31", selected=["SEL"])
    agreement(conn, "阿托伐他汀钙片", "0.45", "2027-01-01", "2027-12-31", selected=["SEL"])
    return conn


def by_code(rows):
    return {r["code"]: r for r in rows}


def test_table_lists_every_priced_product_of_the_vbp_generic(db):
    table = payment_standards_table(db, AS_OF)
    rows = by_code(table.rows)
    assert set(rows) == {"SEL", "ORI", "BIG", "HUG", "CHP", "GEN"}
    assert [m["code"] for m in table.missing_price] == ["NOP"]
    assert rows["SEL"]["kind"] == "selected" and rows["SEL"]["rule"] == "PS-1"
    assert rows["ORI"]["kind"] == "originator"
    assert rows["CHP"]["kind"] == "evaluated"
    assert rows["GEN"]["kind"] == "not_evaluated" and rows["GEN"]["rule"] == "PS-2"


def test_ps1_boundary_and_floor_on_the_database(db):
    rows = by_code(compute_payment_standards(db, AS_OF))
    assert rows["ORI"]["price"] == Decimal("1.0000")
    assert rows["ORI"]["standard"] == Decimal("0.5")  # P = 2S → S
    assert rows["ORI"]["patient_extra_per_package"] == Decimal("10.00")  # (1.00 − 0.50) × 20
    big = rows["BIG"]
    assert (big["year1"], big["year2"], big["year3"]) == (
        Decimal("0.7700"), Decimal("0.5000"), Decimal("0.5000"))  # 0.4 × 1.10 = 0.44: floored at S
    assert big["policy_year"] == 1 and big["standard"] == Decimal("0.77")
    assert big["patient_extra_per_package"] == Decimal("6.60")  # (1.10 − 0.77) × 20
    hug = rows["HUG"]
    assert (hug["year1"], hug["year2"], hug["year3"]) == (Decimal("3.5"), Decimal("2"), Decimal("0.5"))
    chp = rows["CHP"]
    assert chp["standard"] == Decimal("0.4") and chp["patient_extra_per_package"] == 0


def test_ps2_and_ps3_on_the_database(db):
    gen = by_code(compute_payment_standards(db, AS_OF))["GEN"]
    assert gen["year1"] == gen["year2"] == gen["year3"] == Decimal("0.5")
    assert gen["patient_extra_per_package"] == Decimal("20.00")  # (1.50 − 0.50) × 20


def test_policy_year_from_the_first_start_and_selected_price_of_the_year_in_force(db):
    rows = by_code(compute_payment_standards(db, dt.date(2027, 6, 30)))
    assert rows["HUG"]["policy_year"] == 2
    # 2027's agreement: S = 0.45; P = 5.00: year 2 = 3.50 − 1.50 = 2.00
    assert rows["HUG"]["selected_price"] == Decimal("0.45")
    assert rows["HUG"]["standard"] == Decimal("2.0000")
    # P = 1.10 > 2 × 0.45: year 2 = 0.77 − 0.33 = 0.44 < S → 0.45
    assert rows["BIG"]["standard"] == Decimal("0.45")
    assert by_code(compute_payment_standards(db, dt.date(2028, 1, 1)))["HUG"]["standard"] == \
        Decimal("0.45")


def test_before_the_policy_starts_it_is_not_in_force(db):
    rows = by_code(compute_payment_standards(db, dt.date(2025, 12, 31)))
    assert rows["BIG"]["in_force"] is False and rows["BIG"]["policy_year"] == 1


def test_ps4_consumable_category_standard_is_the_negotiated_price(db):
    product(db, "C1", "一次性使用输液器", "", "3.00", 1, kind="consumable")
    product(db, "C2", "一次性使用输液器", "", "1.50", 1, kind="consumable")
    agreement(db, "一次性使用输液器", "2.00", "2026-01-01", "2026-12-31", batch="耗材联盟", selected=["C2"])
    rows = by_code(compute_payment_standards(db, AS_OF))
    assert rows["C1"]["rule"] == "PS-4" and rows["C1"]["kind"] == "consumable"
    assert rows["C1"]["standard"] == Decimal("2.00")
    assert rows["C1"]["patient_extra_per_package"] == Decimal("1.00")
    assert rows["C2"]["patient_extra_per_package"] == 0


def test_filter_and_export(db, tmp_path):
    table = payment_standards_table(db, AS_OF)
    assert {r["code"] for r in filter_rows(table.rows, kind="originator")} == {"ORI", "BIG", "HUG"}
    assert {r["code"] for r in filter_rows(table.rows, only_extra=True)} == {"ORI", "BIG", "HUG", "GEN"}
    assert filter_rows(table.rows, text="ori")[0]["code"] == "ORI"
    out = export_xlsx(table, table.rows, tmp_path / "ps.xlsx", "平原卫生院")
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("支付标准").to_python()
    assert sheet[0][0] == "集采批次" and len(sheet) == 1 + len(table.rows)
    with pytest.raises(StandardsError, match="xlsx"):
        export_xlsx(table, table.rows, tmp_path / "ps.csv")
    assert not (tmp_path / "ps.csv").exists()


def test_cli_json_equals_domain(db, db_path, capsys):
    import json

    from pharmacy_app.cli import main

    db.commit()
    assert main(["--db", str(db_path), "payment-standards", "--as-of", "2026-06-30", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert {p["code"]: p["standard"] for p in printed["products"]} == {
        r["code"]: str(r["standard"]) for r in compute_payment_standards(db, AS_OF)}


# ---------------------------------------------------------------------------
# Properties of PS-1 / PS-2 over any prices
# ---------------------------------------------------------------------------
prices = st.fractions(min_value=F(1, 10000), max_value=F(10000), max_denominator=10000)


@given(p=prices, s=prices)
def test_ps1_properties(p, s):
    """PS-1: never above the product's price, never below min(P, S), steps never rise,
    year 3 is S for anything at or above S."""
    g = ps1_gradient(p, s, TWO, R1, STEP)
    years = (g.year1, g.year2, g.year3)
    assert all(min(p, s) <= y <= p for y in years)
    assert g.year1 >= g.year2 >= g.year3
    if p >= s:
        assert g.year3 == s and min(years) >= s
    if s <= p <= 2 * s:
        assert years == (s, s, s)


@given(p=prices, s=prices)
def test_ps2_and_ps3_properties(p, s):
    g = ps2_standard(p, s)
    assert g.year1 == g.year2 == g.year3 == min(p, s)
    assert patient_extra(p, g.year1) == max(F(0), p - s)
