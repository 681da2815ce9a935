"""ED-1, ED-2, ED-4, ED-5 through the command line (`indicators --json`).

One small catalogue exercises the counting rules: inactive products,
consumables, two manufacturers of one 品规, dosage-form synonyms, and list
entries with and without 规格.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from pharmacy_app.catalogue import Product, save_products
from pharmacy_app.cli import main
from pharmacy_app.indicators.essential import compute_essential, what_if
from pharmacy_app.institutions import init_institution
from pharmacy_app.policy import builtin_profile

AS_OF = "2026-11-01"


def code(n: int) -> str:
    return f"XA01ABD075A{n:012d}"


CONSUMABLE = "C" + "1" * 26

PRODUCTS = [
    # Two manufacturers of one 品规: counted once.
    Product(code=code(1), generic_name="阿莫西林", dosage_form="胶囊", specification="0.25g",
            package="0.25g*24粒/盒", manufacturer="华北制药", is_essential=True),
    Product(code=code(2), generic_name="阿莫西林", dosage_form="胶囊剂", specification="0.25 g",
            package="0.25g*24粒/盒", manufacturer="石药集团", is_essential=True),
    Product(code=code(3), generic_name="阿莫西林", dosage_form="胶囊", specification="0.5g",
            package="0.5g*12粒/盒", manufacturer="华北制药", is_essential=True),
    Product(code=code(4), generic_name="头孢克洛", dosage_form="胶囊", specification="0.25g",
            package="0.25g*6粒/盒", manufacturer="苏州中化"),
    # Inactive: never counted, never equips a list entry.
    Product(code=code(5), generic_name="布洛芬", dosage_form="片剂", specification="0.2g",
            package="0.2g*20片/盒", manufacturer="中美史克", is_essential=True, active=False),
    # 片 = 片剂 (dosage-form synonym).
    Product(code=code(6), generic_name="硝苯地平", dosage_form="片", specification="10mg",
            package="10mg*100片/瓶", manufacturer="拜耳", originator=True),
    Product(code=code(7), generic_name="头孢曲松", dosage_form="注射用无菌粉末", specification="1.0g",
            package="1.0g/支", manufacturer="罗氏", negotiated=True),
    # Consumables never count, even when flagged.
    Product(code=CONSUMABLE, kind="consumable", generic_name="一次性使用输液器",
            package="1套/袋", manufacturer="威高", is_essential=True),
]


@pytest.fixture
def db(conn):
    save_products(conn, PRODUCTS)
    return conn


def add_purchase(conn, order: str, product: str, fen: int, ordered_at: str, qty: float = 1) -> None:
    conn.execute(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, price,
               amount_fen, ordered_at, supplier)
           VALUES (?, '1', 'H1', ?, ?, NULL, ?, ?, '国药控股')""",
        (order, product, qty, fen, ordered_at),
    )


def add_list(conn, effective_from: str, entries: list[tuple[str, str, str | None]]) -> None:
    cur = conn.execute(
        "INSERT INTO essential_lists (name, edition, effective_from, source) VALUES (?, ?, ?, 'test')",
        ("测试目录", "test", effective_from),
    )
    conn.executemany(
        """INSERT INTO essential_list_entries (list_id, seq, generic_name, dosage_form, specification)
           VALUES (?, ?, ?, ?, ?)""",
        [(cur.lastrowid, str(i), *e) for i, e in enumerate(entries, 1)],
    )


def run_json(db_path, capsys) -> dict:
    assert main(["--db", str(db_path), "indicators", "--as-of", AS_OF, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_ed1_grassroots_share_counts_distinct_active_drug_specs(db, db_path, capsys):
    """ED-1: essential 品规 / all 品规 of the active catalogue, target 85%."""
    init_institution(db, "H1", "某镇卫生院", "grassroots")
    out = run_json(db_path, capsys)
    ess = out["essential"]
    # 品规: 阿莫西林 0.25g (two makers, once), 阿莫西林 0.5g, 头孢克洛, 硝苯地平, 头孢曲松 = 5.
    assert ess["catalogue_specs"] == 5
    assert ess["essential_specs"] == 2
    assert ess["spec_share"] == pytest.approx(0.4)
    assert ess["target"] == 0.85 and ess["target_basis"] == "catalogue"
    assert ess["meets_target"] is False
    # (2 + x) / (5 + x) >= 0.85 → x = 15; 2 / (5 − y) >= 0.85 → y = 3.
    assert ess["gap"] == {"add_essential": 15, "retire_non_essential": 3, "equip_entries": 0}
    assert out["profile"] == "national@1"


def test_ed1_meets_target_exactly_at_the_line(conn, db_path, capsys):
    """ED-1: a share equal to the target meets it (≥ 85%)."""
    init_institution(conn, "H1", "某镇卫生院", "grassroots")
    products = [
        Product(code=code(100 + i), generic_name=f"药{i}", dosage_form="片剂", specification="1mg",
                package="1mg*10片/盒", is_essential=i < 17)
        for i in range(20)
    ]
    save_products(conn, products)
    ess = run_json(db_path, capsys)["essential"]
    assert (ess["essential_specs"], ess["catalogue_specs"]) == (17, 20)
    assert ess["spec_share"] == 0.85 and ess["meets_target"] is True


def test_ed2_secondary_share_of_list_entries_equipped(db, db_path, capsys):
    """ED-2: list entries matched by an active product / all entries, target 50%."""
    init_institution(db, "H2", "某县人民医院", "secondary")
    add_list(db, "2026-10-01", [
        ("阿莫西林", "胶囊", "0.25g"),       # two makers → matched once
        ("布洛芬", "片剂", "0.2g"),          # only an inactive product → not equipped
        ("硝苯地平", "片剂", "10mg"),        # 片 = 片剂
        ("头孢曲松", "注射用无菌粉末", None),  # no 规格: any specification equips it
        ("青霉素", "注射用无菌粉末", "0.5g"),  # not in the catalogue
    ])
    ess = run_json(db_path, capsys)["essential"]
    assert ess["list_entries"] == 5
    assert ess["list_entries_matched"] == 3
    assert ess["list_share"] == pytest.approx(0.6)
    assert ess["target"] == 0.5 and ess["target_basis"] == "list"
    assert ess["meets_target"] is True


def test_ed2_uses_the_list_in_force_on_the_as_of_date(db, db_path, capsys):
    """ED-2: a list effective after the as-of date does not apply."""
    init_institution(db, "H2", "某县人民医院", "secondary")
    add_list(db, "2026-12-01", [("阿莫西林", "胶囊", "0.25g")])
    ess = run_json(db_path, capsys)["essential"]
    assert ess["list"]["effective_from"] != "2026-12-01"


def test_ed2_specialty_target_is_the_local_default(db):
    init_institution(db, "H3", "某市口腔医院", "specialty")
    from pharmacy_app.institutions import current_institution

    figures = compute_essential(db, current_institution(db), dt.date(2026, 11, 1), builtin_profile())
    assert float(figures.target) == 0.30


def test_ed4_amount_share_counts_drug_purchases_of_the_period_up_to_as_of(db, db_path, capsys):
    """ED-4: essential amount / all drug amount; consumables, later and last-year lines excluded."""
    init_institution(db, "H1", "某镇卫生院", "grassroots")
    add_purchase(db, "A", code(1), 10_000, "2026-03-02 09:00:00")
    add_purchase(db, "B", code(4), 30_000, "2026-05-02 09:00:00")
    add_purchase(db, "C", CONSUMABLE, 100_000, "2026-05-03 09:00:00")
    add_purchase(db, "D", code(1), 50_000, "2026-11-02 00:00:00")  # after as-of
    add_purchase(db, "E", code(1), 70_000, "2025-12-31 23:59:59")  # last year
    add_purchase(db, "F", code(3), 20_000, "2026-11-01 23:59:59")  # end of as-of day counts
    ess = run_json(db_path, capsys)["essential"]
    assert ess["amount_share"] == pytest.approx(30_000 / 60_000)
    trend = {m["month"]: m for m in ess["trend"]}
    assert trend["2026-03"]["share"] == 1.0
    assert trend["2026-05"]["share"] == 0.0
    assert trend["2026-01"]["share"] is None  # no purchases: no share, not zero
    assert len(trend) == 11


def test_ed5_use_structure_by_class_with_price_change(db):
    """ED-5: amount, quantity and price change for essential / originator / negotiated …"""
    init_institution(db, "H1", "某镇卫生院", "grassroots")
    add_purchase(db, "A", code(1), 2_400, "2025-04-01 09:00:00", qty=1)   # 24 units at 1.00
    add_purchase(db, "B", code(1), 3_600, "2026-04-01 09:00:00", qty=2)   # 48 units at 0.75
    add_purchase(db, "C", code(6), 5_000, "2026-04-01 09:00:00", qty=1)   # originator
    from pharmacy_app.institutions import current_institution

    figures = compute_essential(db, current_institution(db), dt.date(2026, 11, 1), builtin_profile())
    rows = {r.klass: r for r in figures.structure}
    assert rows["essential"].amount_fen == 3_600 and rows["essential"].qty_units == 48
    assert rows["essential"].amount_fen_prev == 2_400
    assert rows["essential"].price_change == pytest.approx(-0.25)
    assert rows["originator"].amount_fen == 5_000 and rows["originator"].price_change is None
    assert rows["negotiated"].amount_fen == 0


def test_what_if_retiring_changes_the_share_without_writing(db):
    init_institution(db, "H1", "某镇卫生院", "grassroots")
    from pharmacy_app.institutions import current_institution

    profile = builtin_profile()
    figures = compute_essential(db, current_institution(db), dt.date(2026, 11, 1), profile)
    after = what_if(db, figures, profile, retire=[code(4), code(6), code(7)], activate=[code(5)])
    assert float(after.spec_share) == 1.0  # 3 essential of 3
    assert float(figures.spec_share) == 0.4
    assert db.execute("SELECT count(*) FROM products WHERE active=0").fetchone()[0] == 1


def test_indicators_without_institution_fails_clearly(db_path, capsys):
    assert main(["--db", str(db_path), "indicators", "--as-of", AS_OF]) == 1
    assert "init" in capsys.readouterr().err


def test_indicators_text_output(db, db_path, capsys):
    init_institution(db, "H1", "某镇卫生院", "grassroots")
    assert main(["--db", str(db_path), "indicators", "--as-of", AS_OF]) == 0
    out = capsys.readouterr().out
    assert "40.0%" in out and "未达标" in out


def test_money_stays_exact(db):
    """Amounts are integer fen: no float drift in sums."""
    init_institution(db, "H1", "某镇卫生院", "grassroots")
    for i in range(10):
        add_purchase(db, f"X{i}", code(1), 10, "2026-02-01 09:00:00")
    from pharmacy_app.institutions import current_institution

    figures = compute_essential(db, current_institution(db), dt.date(2026, 11, 1), builtin_profile())
    assert figures.essential_fen == 100 and Decimal(figures.essential_fen) / 100 == Decimal("1")
