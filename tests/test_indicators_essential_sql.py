"""ED-1/ED-4/ED-5 computed in SQL (and from plain tuples) equal a plain-Python computation.

`compute_essential` on the stored catalogue takes the fast path (aggregates
joined to products in SQL, 品规 from tuples, products built lazily); given a
catalogue in memory it takes the plain-Python path over per-(month, code)
rows. On a small random database both, and a from-scratch computation over
the raw lines, must agree exactly.
"""

from __future__ import annotations

import datetime as dt
import random
from fractions import Fraction

import pytest

from pharmacy_app.indicators.essential import (
    STRUCTURE_CLASSES,
    CatalogueProduct,
    compute_essential,
    load_products,
    what_if,
)
from pharmacy_app.indicators.periods import natural_year_to_date
from pharmacy_app.institutions import current_institution, init_institution
from pharmacy_app.policy import builtin_profile

AS_OF = dt.date(2026, 8, 17)
NAMES = [("阿莫西林", "胶囊", "0.25g"), ("阿莫西林", "胶囊剂", "0.25 g"), ("阿莫西林", "胶囊", "0.5g"),
         ("头孢克洛", "胶囊", "0.25g"), ("硝苯地平", "片", "10mg"), ("硝苯地平", "片剂", "10 mg"),
         ("头孢曲松", "注射用无菌粉末", "1.0g"), ("布洛芬", "片剂", "0.2g")]


@pytest.fixture
def random_db(conn):
    rng = random.Random(7)
    init_institution(conn, "H1", "某镇卫生院", "grassroots")
    conn.execute("INSERT INTO institutions (code, name, level) VALUES ('H2', '别的医院', 'secondary')")
    products = []
    for i in range(60):
        name, form, spec = NAMES[i % len(NAMES)]
        kind = "consumable" if i % 11 == 0 else "drug"
        products.append((f"XA{i:06d}", kind, name, form, spec, f"厂{i % 5}", rng.random() < 0.5,
                         rng.random() < 0.3, rng.random() < 0.2, rng.random() < 0.3,
                         rng.random() < 0.85, rng.choice([1, 10, 24])))
    conn.executemany(
        """INSERT INTO products (code, kind, generic_name, dosage_form, specification,
               manufacturer, is_essential, is_vbp, originator, negotiated, active, conversion)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        products,
    )
    codes = [p[0] for p in products] + ["NOT-IN-CATALOGUE"]
    lines = []
    start = dt.date(2025, 1, 1)
    for i in range(1500):
        day = start + dt.timedelta(days=rng.randrange(640))
        lines.append((f"PO{i}", "1", "H2" if i % 9 == 0 else "H1", rng.choice(codes),
                      float(rng.randrange(0, 30)), rng.randrange(0, 90_000),
                      f"{day.isoformat()} {rng.randrange(24):02d}:00:00"))
    conn.executemany(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty,
               amount_fen, ordered_at) VALUES (?, ?, ?, ?, ?, ?, ?)""",
        lines,
    )
    return conn


def by_hand(conn, period):
    """ED-4 per month and ED-5 per class straight from the raw lines, in Python."""
    products = {r["code"]: r for r in conn.execute("SELECT * FROM products")}

    def lines(p):
        return [
            (r["ordered_at"][:7], products[r["code"]], r["amount_fen"], r["qty"])
            for r in conn.execute(
                "SELECT * FROM purchase_lines WHERE institution_code = 'H1' "
                "AND ordered_at >= ? AND ordered_at < ?", (p.start_text, p.end_exclusive_text))
            if r["code"] in products and products[r["code"]]["kind"] == "drug"
        ]

    now, before = lines(period), lines(period.shifted_years(-1))
    months = {}
    for month, p, fen, _q in now:
        cell = months.setdefault(month, [0, 0])
        cell[1] += fen
        cell[0] += fen if p["is_essential"] else 0
    members = {
        "essential": lambda p: p["is_essential"], "non_essential": lambda p: not p["is_essential"],
        "generic": lambda p: not p["originator"], "originator": lambda p: p["originator"],
        "negotiated": lambda p: p["negotiated"], "vbp": lambda p: p["is_vbp"],
    }

    def per_code(rows, member):
        out = {}
        for _m, p, fen, q in rows:
            if member(p):
                a, u = out.get(p["code"], (0, 0))
                out[p["code"]] = (a + fen, u + q * p["conversion"])
        return out

    structure = {}
    for klass, _label, _m in STRUCTURE_CLASSES:
        cur, prev = per_code(now, members[klass]), per_code(before, members[klass])
        both = [c for c in cur if c in prev and cur[c][1] > 0 and prev[c][1] > 0]
        then = sum(Fraction(prev[c][0]) / Fraction(prev[c][1]) * Fraction(cur[c][1]) for c in both)
        change = Fraction(sum(cur[c][0] for c in both)) / then - 1 if then else None
        structure[klass] = (sum(a for a, _ in cur.values()), sum(u for _, u in cur.values()),
                            sum(a for a, _ in prev.values()), sum(u for _, u in prev.values()),
                            change)
    return months, structure


def test_sql_aggregates_equal_a_plain_python_computation(random_db):
    figures = compute_essential(random_db, current_institution(random_db), AS_OF, builtin_profile())
    months, structure = by_hand(random_db, natural_year_to_date(AS_OF))
    assert [m.month for m in figures.trend] == [f"2026-{m:02d}" for m in range(1, 9)]
    for m in figures.trend:
        assert (m.essential_fen, m.total_fen) == tuple(months.get(m.month, (0, 0)))
    assert figures.total_fen == sum(t for _e, t in months.values()) > 0
    assert figures.essential_fen == sum(e for e, _t in months.values()) > 0
    for row in figures.structure:
        amount, qty, amount_prev, qty_prev, change = structure[row.klass]
        assert (row.amount_fen, row.qty_units, row.amount_fen_prev, row.qty_units_prev) == (
            amount, qty, amount_prev, qty_prev)
        if change is None:
            assert row.price_change is None
        else:
            assert row.price_change == pytest.approx(float(change), rel=1e-12, abs=1e-12)


def test_fast_path_equals_the_in_memory_catalogue_path(random_db):
    """Stored catalogue (SQL, tuples) and the same catalogue passed in give equal figures."""
    inst, profile = current_institution(random_db), builtin_profile()
    fast = compute_essential(random_db, inst, AS_OF, profile)
    slow = compute_essential(random_db, inst, AS_OF, profile, products=load_products(random_db))
    assert fast.trend == slow.trend
    assert fast.structure == slow.structure
    assert fast.to_json() == slow.to_json()
    assert fast.specs == slow.specs
    assert fast.entries == slow.entries
    assert fast.products == slow.products


def test_fast_path_equals_the_in_memory_path_with_a_list_in_force(random_db):
    cur = random_db.execute(
        "INSERT INTO essential_lists (name, edition, effective_from, source) "
        "VALUES ('测试目录', 'test', '2026-01-01', 'test')")
    random_db.executemany(
        """INSERT INTO essential_list_entries (list_id, seq, generic_name, dosage_form, specification)
           VALUES (?, ?, ?, ?, ?)""",
        [(cur.lastrowid, "1", "阿莫西林", "胶囊", "0.25g"), (cur.lastrowid, "2", "硝苯地平", "片剂", None),
         (cur.lastrowid, "3", "二甲双胍", "片剂", "0.5g")],
    )
    inst, profile = current_institution(random_db), builtin_profile()
    fast = compute_essential(random_db, inst, AS_OF, profile)
    slow = compute_essential(random_db, inst, AS_OF, profile, products=load_products(random_db))
    assert fast.entries == slow.entries and fast.list_entries == 3
    assert fast.list_entries_matched == 2


def test_lazy_products_are_the_catalogue_objects(random_db):
    figures = compute_essential(random_db, current_institution(random_db), AS_OF, builtin_profile())
    rows = random_db.execute(
        """SELECT code, generic_name, dosage_form, specification, manufacturer, kind, active,
                  is_essential, is_vbp, originator, negotiated, consistency, conversion
           FROM products"""
    ).fetchall()
    expected = [
        CatalogueProduct(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), bool(r[7]), bool(r[8]),
                         bool(r[9]), bool(r[10]), bool(r[11]), r[12])
        for r in rows
    ]
    assert figures.products == expected
    assert figures.products is figures.products  # built once
    assert all(isinstance(p.active, bool) for p in figures.products)
    assert hash(figures.products[0]) == hash(expected[0])


def test_what_if_keeps_the_purchase_figures(random_db):
    inst, profile = current_institution(random_db), builtin_profile()
    figures = compute_essential(random_db, inst, AS_OF, profile)
    active = [p.code for p in figures.products if p.active and p.kind == "drug"]
    after = what_if(random_db, figures, profile, retire=active[:5])
    fresh = compute_essential(random_db, inst, AS_OF, profile, products=after.products)
    assert after.trend == fresh.trend and after.structure == fresh.structure
    assert after.specs == fresh.specs
    assert sum(len(s.codes) for s in after.specs) == sum(len(s.codes) for s in figures.specs) - 5


@pytest.mark.parametrize("start", [dt.date(2025, 3, 15), dt.date(2024, 1, 1)])
def test_other_periods_equal_the_in_memory_path(random_db, start):
    """A period across a year end, and one of more months than get a column each."""
    from pharmacy_app.indicators.periods import Period

    inst, profile = current_institution(random_db), builtin_profile()
    period = Period(start, AS_OF)
    fast = compute_essential(random_db, inst, AS_OF, profile, period=period)
    slow = compute_essential(random_db, inst, AS_OF, profile, period=period,
                             products=load_products(random_db))
    assert fast.trend == slow.trend and fast.structure == slow.structure
    assert fast.total_fen > 0
