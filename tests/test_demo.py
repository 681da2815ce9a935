"""The built-in demo data set (`pharmacy-app demo`).

The demo is what a new pharmacist, the screenshots and the sample reports
show, so these tests pin both its mechanics (determinism, refusing to
overwrite data, the command line) and the outcomes it is built to
demonstrate, computed here independently from the rules in RULES.md.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from db import open_db
from pharmacy_app.catalogue import Product, save_products, validate_code
from pharmacy_app.cli import main
from pharmacy_app.demo import (
    INSTITUTION_CODE,
    INSTITUTION_NAME,
    LATE_DELIVERER,
    SLOW_RESPONDER,
    DemoExists,
    build_demo,
    demo_is_needed,
    generate,
)
from pharmacy_app.institutions import current_institution
from pharmacy_app.parsing import yuan_to_fen

TODAY = dt.date(2026, 11, 23)
END_OF_TODAY = f"{TODAY} 23:59:59"
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    return path, build_demo(path, today=TODAY)


@pytest.fixture
def db(demo_db: tuple[Path, str]) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(demo_db[0])
    yield conn
    conn.close()


def fingerprint(conn: sqlite3.Connection) -> tuple:
    """What must be equal between two builds with the same seed and day."""
    return (
        [r[0] for r in conn.execute("SELECT code FROM products ORDER BY id")],
        conn.execute("SELECT count(*), sum(amount_fen), sum(qty) FROM purchase_lines").fetchone(),
        conn.execute("SELECT count(*), sum(amount_fen) FROM payments").fetchone(),
        conn.execute(
            "SELECT group_concat(generic || agreed_qty, ',') FROM (SELECT * FROM agreements ORDER BY id)"
        ).fetchone(),
    )


def test_build_reports_what_it_made(db: sqlite3.Connection, demo_db: tuple[Path, str]) -> None:
    summary = demo_db[1]
    products = db.execute("SELECT count(*) FROM products").fetchone()[0]
    lines = db.execute("SELECT count(*) FROM purchase_lines").fetchone()[0]
    agreements = db.execute("SELECT count(*) FROM agreements").fetchone()[0]
    payments = db.execute("SELECT count(*) FROM payments").fetchone()[0]
    assert 300 <= products <= 400
    assert 12 <= agreements <= 20
    assert 15_000 <= lines <= 30_000
    assert payments > 1000
    assert INSTITUTION_NAME in summary and INSTITUTION_CODE in summary
    assert f"{products} 个产品" in summary and f"{lines:,} 行" in summary
    assert f"约定采购量 {agreements} 个" in summary and f"回款 {payments:,} 笔" in summary


def test_institution_is_a_current_township_health_centre(demo_db: tuple[Path, str]) -> None:
    conn = open_db(demo_db[0])
    try:
        inst = current_institution(conn)
    finally:
        conn.close()
    assert inst is not None
    assert (inst.code, inst.level) == (INSTITUTION_CODE, "grassroots")
    assert inst.name.endswith("卫生院")


def test_con1_codes_are_valid_national_codes(db: sqlite3.Connection) -> None:
    rows = db.execute("SELECT code, kind FROM products").fetchall()
    assert len({code for code, _ in rows}) == len(rows)
    for code, kind in rows:
        assert validate_code(code, kind) is None, code
        if kind == "consumable":
            assert code.startswith("C") and len(code) == 27
        else:
            assert code[0] in "XZ" and len(code) == 23


def test_catalogue_exercises_every_flag(db: sqlite3.Connection) -> None:
    def count(where: str) -> int:
        return db.execute(f"SELECT count(*) FROM products WHERE {where}").fetchone()[0]

    assert 10 <= count("kind='consumable'") <= 20
    assert count("kind='consumable' AND udi IS NOT NULL") >= 1
    assert 8 <= count("active=0") <= 12
    assert count("originator=1") >= 5
    assert count("negotiated=1") >= 3
    assert count("consistency=1") >= 50
    assert count("code LIKE 'Z%'") >= 30
    batches = {r[0] for r in db.execute("SELECT vbp_batch FROM products WHERE is_vbp=1")}
    assert {"第一批", "第二批", "第三批", "第五批", "第七批", "第九批"} <= batches
    assert count("is_vbp=0 AND vbp_batch<>''") == 0
    # Two manufacturers of one 品规 (ED: counted once).
    shared = db.execute(
        """SELECT count(*) FROM (SELECT 1 FROM products WHERE kind='drug' AND active=1
           GROUP BY generic_name, dosage_form, specification
           HAVING count(DISTINCT manufacturer) >= 2)"""
    ).fetchone()[0]
    assert shared >= 10
    # Packages and conversions agree (`0.25g*24粒/盒` = 24).
    assert db.execute(
        "SELECT conversion FROM products WHERE package='0.25g*24粒/盒' LIMIT 1"
    ).fetchone() == (24,)


def test_ed1_essential_spec_share_is_just_above_the_grassroots_target(
    db: sqlite3.Connection,
) -> None:
    """ED-1: essential 品规 / all 品规 of the active drug catalogue, just above 85%."""
    specs = db.execute(
        """SELECT generic_name, dosage_form, specification, max(is_essential), min(is_essential)
           FROM products WHERE kind='drug' AND active=1
           GROUP BY generic_name, dosage_form, specification"""
    ).fetchall()
    # One 品规 is either essential or not, whoever makes it.
    assert all(hi == lo for *_, hi, lo in specs)
    share = sum(hi for *_, hi, _lo in specs) / len(specs)
    assert 0.85 <= share <= 0.90


def test_every_referenced_code_is_in_the_catalogue(db: sqlite3.Connection) -> None:
    assert db.execute(
        "SELECT count(*) FROM purchase_lines WHERE code NOT IN (SELECT code FROM products)"
    ).fetchone() == (0,)
    assert db.execute(
        "SELECT count(*) FROM agreement_products WHERE code NOT IN (SELECT code FROM products)"
    ).fetchone() == (0,)
    assert db.execute(
        "SELECT count(*) FROM payments WHERE order_id NOT IN (SELECT order_id FROM purchase_lines)"
    ).fetchone() == (0,)
    assert db.execute(
        """SELECT count(*) FROM payments p WHERE line_no<>'' AND NOT EXISTS
           (SELECT 1 FROM purchase_lines l WHERE l.order_id=p.order_id AND l.line_no=p.line_no)"""
    ).fetchone() == (0,)


def test_amounts_are_integer_fen_of_quantity_times_price(db: sqlite3.Connection) -> None:
    for qty, price, fen in db.execute("SELECT qty, price, amount_fen FROM purchase_lines"):
        assert isinstance(fen, int)
        assert float(qty).is_integer() and qty >= 1
        assert fen == yuan_to_fen(Decimal(int(qty)) * Decimal(price))


def test_orders_and_timestamps_are_plausible(db: sqlite3.Connection) -> None:
    rows = db.execute(
        "SELECT order_id, line_no, ordered_at, responded_at, delivered_at FROM purchase_lines"
    ).fetchall()
    lines_per_order: dict[str, int] = defaultdict(int)
    for order_id, line_no, ordered, responded, delivered in rows:
        assert re.fullmatch(r"PO\d{8}-\d{4}", order_id) and order_id[2:10] == ordered[:10].replace("-", "")
        assert line_no.isdigit()
        lines_per_order[order_id] += 1
        assert TS_RE.match(ordered) and "2025-12-01" <= ordered <= END_OF_TODAY
        at = dt.datetime.fromisoformat(ordered)
        assert dt.time(8) <= at.time() <= dt.time(17, 30) and not dt.time(11, 45) < at.time() < dt.time(14, 30)
        if responded:
            assert TS_RE.match(responded) and ordered <= responded <= END_OF_TODAY
        if delivered:
            assert responded and responded <= delivered <= END_OF_TODAY
    assert sum(n > 1 for n in lines_per_order.values()) > 0.8 * len(lines_per_order)
    suppliers = db.execute("SELECT count(DISTINCT supplier) FROM purchase_lines").fetchone()[0]
    assert 5 <= suppliers <= 8
    # SUP-6: at most 5 delivery companies per product.
    assert db.execute(
        "SELECT max(n) FROM (SELECT count(DISTINCT supplier) n FROM purchase_lines GROUP BY code)"
    ).fetchone()[0] <= 5
    # Recent orders are still pending; a few confirmed orders never arrived (SH-3).
    assert db.execute(
        "SELECT count(*) FROM purchase_lines WHERE delivered_at IS NULL AND ordered_at >= ?",
        (f"{TODAY - dt.timedelta(days=2)}",),
    ).fetchone()[0] > 0
    assert db.execute(
        """SELECT count(DISTINCT code) FROM purchase_lines WHERE responded_at IS NOT NULL
           AND delivered_at IS NULL AND ordered_at < ?""",
        (f"{TODAY - dt.timedelta(days=7)}",),
    ).fetchone()[0] >= 2


def agreement_figures(db: sqlite3.Connection, as_of: dt.date) -> list[dict]:
    """AV-2, AV-5, AV-8 computed directly from the tables."""
    out = []
    agreements = db.execute(
        "SELECT id, generic, selected_price, agreed_qty, last_year_qty, start_date, end_date FROM agreements"
    ).fetchall()
    for aid, generic, selected_price, agreed, last_year, start, end in agreements:
        roles: dict[str, str] = dict(
            db.execute("SELECT code, role FROM agreement_products WHERE agreement_id=?", (aid,))
        )
        selected = [c for c, r in roles.items() if r == "selected"]
        s, e = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        ref = min(as_of, e)
        time_progress = ((ref - s).days + 1) / ((e - s).days + 1)
        name, form = db.execute(
            "SELECT generic_name, dosage_form FROM products WHERE code=?", (selected[0],)
        ).fetchone()
        selected_qty = non_selected = 0.0
        for code, qty, price, conversion, evaluated, originator in db.execute(
            """SELECT l.code, l.qty, l.price, p.conversion, p.consistency, p.originator
               FROM purchase_lines l JOIN products p ON p.code=l.code
               WHERE p.generic_name=? AND p.dosage_form=? AND l.ordered_at BETWEEN ? AND ?""",
            (name, form, f"{start} 00:00:00", f"{ref} 23:59:59"),
        ):
            units = qty * conversion
            if roles.get(code) == "selected":
                selected_qty += units
            elif code in roles:
                continue  # backup: excluded from assessment (AV-8)
            elif Decimal(price) / conversion < Decimal(selected_price) and (evaluated or originator):
                continue  # cheaper equivalent-quality product (AV-8)
            else:
                non_selected += units
        out.append(
            {
                "generic": generic,
                "roles": roles,
                "ratio": agreed / last_year,
                "ended": e < as_of,
                "progress": selected_qty / agreed,
                "time_progress": time_progress,
                "non_selected_share": non_selected / (selected_qty + non_selected),
                "generic_matches_name": generic.startswith(name),
            }
        )
    return out


def test_av_agreements_show_every_outcome(db: sqlite3.Connection) -> None:
    """AV-1, AV-2, AV-3, AV-5: ahead, behind, unqualified, over 100%, ended, >30% non-selected."""
    figures = agreement_figures(db, TODAY)
    for f in figures:
        assert 0.5 <= f["ratio"] <= 0.8, f["generic"]
        assert f["generic_matches_name"], f["generic"]
    ongoing = [f for f in figures if not f["ended"]]
    assert [f["generic"] for f in figures if f["progress"] < 0.5] == ["阿卡波糖片"]
    assert [f["generic"] for f in ongoing if f["progress"] >= 1.0] == ["苯磺酸氨氯地平片"]
    assert sum(f["progress"] < f["time_progress"] for f in ongoing) >= 4
    assert sum(f["progress"] > f["time_progress"] for f in ongoing) >= 4
    ended = [f for f in figures if f["ended"]]
    assert len(ended) == 1 and ended[0]["progress"] >= 1.0
    assert [f["generic"] for f in figures if f["non_selected_share"] > 0.3] == ["阿莫西林胶囊"]
    roles = [set(f["roles"].values()) for f in figures]
    assert sum("backup" in r for r in roles) >= 3
    assert sum("substitute" in r for r in roles) >= 2


def test_av_selected_and_backup_products_are_vbp_and_one_is_not_in_hospital(
    db: sqlite3.Connection,
) -> None:
    """AV-1 selected/backup codes are VBP products; AV-12 needs one never purchased."""
    assert db.execute(
        """SELECT count(*) FROM agreement_products ap JOIN products p ON p.code=ap.code
           WHERE ap.role IN ('selected', 'backup') AND p.is_vbp=0"""
    ).fetchone() == (0,)
    unbought = db.execute(
        """SELECT count(*) FROM agreement_products ap WHERE role='selected'
           AND NOT EXISTS (SELECT 1 FROM purchase_lines l WHERE l.code=ap.code)"""
    ).fetchone()[0]
    assert unbought == 1
    # AV-10: VBP products with no agreement (not reported).
    assert db.execute(
        "SELECT count(*) FROM products WHERE is_vbp=1 AND code NOT IN (SELECT code FROM agreement_products)"
    ).fetchone()[0] >= 2


def supplier_rates(db: sqlite3.Connection, start: str, end: str) -> dict[str, tuple[float, float]]:
    """SUP-1 response and SUP-2 timeliness per supplier over lines ordered in [start, end]."""
    cutoff = dt.datetime.fromisoformat(end)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for supplier, ordered, responded, delivered in db.execute(
        """SELECT supplier, ordered_at, responded_at, delivered_at FROM purchase_lines
           WHERE ordered_at BETWEEN ? AND ?""",
        (start, end),
    ):
        at = dt.datetime.fromisoformat(ordered)
        c = counts[supplier]
        if responded or cutoff - at >= dt.timedelta(hours=24):
            c[1] += 1
            c[0] += bool(responded) and dt.datetime.fromisoformat(responded) - at <= dt.timedelta(hours=24)
        if delivered or cutoff - at >= dt.timedelta(hours=48):
            c[3] += 1
            c[2] += bool(delivered) and dt.datetime.fromisoformat(delivered) - at <= dt.timedelta(hours=48)
    return {s: (c[0] / c[1], c[2] / c[3]) for s, c in counts.items()}


def test_sup_one_slow_responder_and_one_late_deliverer(db: sqlite3.Connection) -> None:
    """SUP-1 (<95% alert), SUP-2 (<90% alert, two quarters running → interview), SUP-3."""
    year = supplier_rates(db, "2026-01-01 00:00:00", END_OF_TODAY)
    assert [s for s, (resp, _) in year.items() if resp < 0.95] == [SLOW_RESPONDER]
    assert [s for s, (_, timely) in year.items() if timely < 0.90] == [LATE_DELIVERER]
    for start, end in (("2026-04-01", "2026-06-30"), ("2026-07-01", "2026-09-30")):
        quarter = supplier_rates(db, f"{start} 00:00:00", f"{end} 23:59:59")
        assert quarter[LATE_DELIVERER][1] < 0.90
    late_answers = db.execute(
        """SELECT count(*) FROM purchase_lines WHERE supplier=? AND ordered_at < ? AND
           (responded_at IS NULL OR julianday(responded_at) - julianday(ordered_at) >= 2)""",
        (SLOW_RESPONDER, f"{TODAY - dt.timedelta(days=2)}"),
    ).fetchone()[0]
    assert late_answers >= 20


def test_pay_payments_cover_every_case(db: sqlite3.Connection) -> None:
    """PAY-0 whole-order and per-line payments, PAY-3 late payments, PAY-4 offline share."""
    order_amount = dict(
        db.execute("SELECT order_id, sum(amount_fen) FROM purchase_lines GROUP BY order_id")
    )
    paid = dict(db.execute("SELECT order_id, sum(amount_fen) FROM payments GROUP BY order_id"))
    assert all(paid[o] <= order_amount[o] for o in paid)  # never more than bought
    whole, per_line = db.execute(
        "SELECT sum(line_no=''), sum(line_no<>'') FROM payments"
    ).fetchone()
    assert whole > 500 and per_line > 500
    split = db.execute(
        "SELECT count(*) FROM (SELECT order_id FROM payments WHERE line_no='' GROUP BY order_id HAVING count(*) > 1)"
    ).fetchone()[0]
    assert split > 0
    delivered_orders = {
        r[0]
        for r in db.execute(
            "SELECT DISTINCT order_id FROM purchase_lines WHERE delivered_at < ?", ("2026-10-01",)
        )
    }
    unpaid_old = delivered_orders - set(paid)
    assert 0 < len(unpaid_old) < 0.05 * len(delivered_orders)
    late = db.execute(
        """SELECT count(DISTINCT p.order_id) FROM payments p JOIN purchase_lines l
           ON l.order_id=p.order_id
           WHERE julianday(p.paid_on) - julianday(date(l.delivered_at)) > 30"""
    ).fetchone()[0]
    assert late > 0.03 * len(paid)
    on_time = db.execute(
        """SELECT count(DISTINCT p.order_id) FROM payments p JOIN purchase_lines l
           ON l.order_id=p.order_id
           WHERE julianday(p.paid_on) - julianday(date(l.delivered_at)) BETWEEN 0 AND 30"""
    ).fetchone()[0]
    assert on_time > 0.8 * len(paid)
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", r[0]) for r in db.execute("SELECT paid_on FROM payments"))
    assert db.execute("SELECT max(paid_on) FROM payments").fetchone()[0] <= TODAY.isoformat()
    total, offline = db.execute(
        "SELECT sum(amount_fen), sum(CASE WHEN channel='offline' THEN amount_fen END) FROM purchase_lines"
    ).fetchone()
    assert 0.01 <= offline / total <= 0.05


def test_two_builds_are_identical(db: sqlite3.Connection, tmp_path: Path) -> None:
    again = tmp_path / "again.db"
    build_demo(again, today=TODAY)
    conn = sqlite3.connect(again)
    try:
        assert fingerprint(conn) == fingerprint(db)
    finally:
        conn.close()


def test_another_seed_gives_other_purchases_but_the_same_catalogue() -> None:
    a, b = generate(TODAY), generate(TODAY, seed=7)
    assert [i.product for i in a.items] == [i.product for i in b.items]
    assert sum(len(o.lines) for o in a.orders) != sum(len(o.lines) for o in b.orders)


def test_existing_data_is_refused_unless_forced(db_path: Path, db: sqlite3.Connection) -> None:
    conn = open_db(db_path)
    save_products(
        conn,
        [Product(code="XA01ABD075A002010100483", generic_name="自有药品", package="10片/盒")],
    )
    conn.close()
    with pytest.raises(DemoExists) as excinfo:
        build_demo(db_path, today=TODAY)
    assert "--force" in str(excinfo.value) and "--db" in str(excinfo.value)
    assert not demo_is_needed(db_path)

    build_demo(db_path, today=TODAY, force=True)
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute(
            "SELECT count(*) FROM products WHERE code='XA01ABD075A002010100483'"
        ).fetchone() == (0,)
        assert fingerprint(conn) == fingerprint(db)
    finally:
        conn.close()


def test_demo_is_needed(tmp_path: Path, demo_db: tuple[Path, str]) -> None:
    missing = tmp_path / "none" / "pharmacy.db"
    assert demo_is_needed(missing)
    assert not missing.exists()
    empty = tmp_path / "empty.db"
    open_db(empty).close()
    assert demo_is_needed(empty)
    assert not demo_is_needed(demo_db[0])
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database file at all" * 100)
    assert not demo_is_needed(garbage)
    # `init` first, then the window: the user's own (still empty) database, no demo.
    mine = tmp_path / "mine.db"
    assert main(["--db", str(mine), "init", "--institution-code", "H53012301",
                 "--name", "某某镇卫生院", "--level", "grassroots"]) == 0
    assert not demo_is_needed(mine)


def test_leaving_the_demo_sets_it_aside_and_starts_empty(tmp_path: Path, demo_db: tuple[Path, str],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """The user's institution never inherits the demo's catalogue, purchases or as-of day."""
    import shutil

    path = tmp_path / "pharmacy.db"
    shutil.copy(demo_db[0], path)
    args = ["--db", str(path), "init", "--institution-code", "H53012301", "--name", "某某镇卫生院",
            "--level", "grassroots"]
    assert main(args) == 2
    assert "--replace-demo" in capsys.readouterr().err
    assert path.exists() and not (tmp_path / "pharmacy-示例数据.db").exists()  # nothing moved
    assert main([*args, "--replace-demo"]) == 0
    aside = tmp_path / "pharmacy-示例数据.db"
    assert str(aside) in capsys.readouterr().out
    conn = open_db(path)
    try:
        assert current_institution(conn).code == "H53012301"
        assert conn.execute("SELECT count(*) FROM products").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM purchase_lines").fetchone()[0] == 0
        assert conn.execute("SELECT 1 FROM app_settings WHERE key = 'demo_as_of'").fetchone() is None
    finally:
        conn.close()
    demo = open_db(aside)
    try:
        assert current_institution(demo).name == INSTITUTION_NAME  # kept whole to look at
        assert demo.execute("SELECT count(*) FROM purchase_lines").fetchone()[0] > 0
    finally:
        demo.close()


def test_today_before_the_data_start_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        build_demo(tmp_path / "x.db", today=dt.date(2025, 6, 1))
    assert not (tmp_path / "x.db").exists()


def test_cli_demo_without_window(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cli.db"
    assert main(["--db", str(path), "demo", "--no-window"]) == 0
    assert INSTITUTION_NAME in capsys.readouterr().out
    assert main(["--db", str(path), "demo", "--no-window"]) == 2
    assert "--force" in capsys.readouterr().err
