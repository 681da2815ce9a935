"""The purchase summaries (migration 0007) give the figures the lines give, after every write.

`compute_indicators` reads pharmacy_app/purchase_summary.py's tables; the
"direct" figures are the same calls with the summaries switched off (the
SQL over purchase_lines and payments that RULES.md's tests pin). After a
bulk import, a re-import that changes quantities, codes and times in place,
payments added by import and by hand, deleted lines and payments, product
flag changes and a read-only connection, both must agree — ED-4/ED-5,
SUP-1/SUP-2/SUP-3, PAY-0/PAY-2/PAY-3/PAY-4 — and the incrementally
refreshed tables must equal a rebuild from scratch.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "importers"))

from importer_fixtures import (  # noqa: E402
    D1,
    D2,
    D3,
    INSTITUTION,
    PURCHASE_HEADER,
    setup_institution_and_catalogue,
    write_csv,
)

from pharmacy_app import purchase_summary  # noqa: E402
from pharmacy_app.importers import run_import  # noqa: E402
from pharmacy_app.indicators import compute_indicators  # noqa: E402
from pharmacy_app.policy import builtin_profile  # noqa: E402

CODES = (D1, D2, D3)
SUPPLIERS = ("国药控股海南有限公司", "华润海南医药有限公司", "")
# Month ends, mid-month days, the first of a month, the day after a settlement deadline.
AS_OF_DATES = (
    dt.date(2026, 6, 30), dt.date(2026, 6, 15), dt.date(2026, 7, 1), dt.date(2026, 5, 11),
    dt.date(2026, 3, 3), dt.date(2026, 12, 31),
)
SUMMARY_TABLES = (
    "purchase_facts", "ps_code_year", "ps_supplier_month", "ps_month",
    "ps_pay3", "ps_pay2_day", "ps_pay2_orders",
)


def direct(conn: sqlite3.Connection, as_of: dt.date, monkeypatch: pytest.MonkeyPatch) -> dict:
    """The figures computed from the lines, with the summaries switched off."""
    with monkeypatch.context() as m:
        m.setattr(purchase_summary, "ensure_fresh", lambda _conn: None)
        return compute_indicators(conn, as_of)


def assert_same(conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    assert purchase_summary.ensure_fresh(conn) is not None  # the summaries are in use
    for as_of in AS_OF_DATES:
        fast = compute_indicators(conn, as_of)
        assert fast == direct(conn, as_of, monkeypatch), as_of
    # Incremental refreshes leave exactly what a rebuild from scratch makes.
    before = snapshot(conn)
    purchase_summary.rebuild(conn)
    assert snapshot(conn) == before


def snapshot(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    return {t: sorted(tuple(r) for r in conn.execute(f"SELECT * FROM {t}")) for t in SUMMARY_TABLES}


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def purchase_rows(rng: random.Random, orders: int, prefix: str = "PO") -> list[list[str]]:
    """CSV rows: responses and deliveries at exactly 24 / 48 / 72 h and either side."""
    rows = []
    start = dt.datetime(2025, 11, 1, 8)
    for o in range(orders):
        ordered = start + dt.timedelta(hours=rng.randrange(0, 430 * 24), minutes=rng.choice((0, 30)))
        for n in range(1, rng.randint(2, 4)):
            resp = rng.choice((None, 1, 23, 24, 25, 47, 48, 49))
            deliv = rng.choice((None, 10, 47, 48, 49, 72, 73, 24 * 35))
            qty = rng.randint(1, 40)
            price = rng.choice(("12.50", "3.20", "0.33"))
            rows.append([
                f"{prefix}{o:05d}", str(n), INSTITUTION, rng.choice(CODES), str(qty), price, "",
                stamp(ordered),
                "" if resp is None else stamp(ordered + dt.timedelta(hours=resp, seconds=rng.choice((0, 0, 1)))),
                "" if deliv is None else stamp(ordered + dt.timedelta(hours=deliv)),
                rng.choice(SUPPLIERS), rng.choice(("线上", "线上", "线下")),
            ])
    return rows


def payment_rows(conn: sqlite3.Connection, rng: random.Random) -> list[list[str]]:
    """Whole-order and line payments 0–45 days after delivery, some split, some partial."""
    rows = []
    for order_id, total, delivered in conn.execute(
        "SELECT order_id, sum(amount_fen), max(delivered_at) FROM purchase_lines "
        "WHERE delivered_at IS NOT NULL GROUP BY order_id"
    ):
        day = dt.date.fromisoformat(delivered[:10])
        kind = rng.random()
        if kind < 0.4:
            rows.append([order_id, "", f"{total / 100:.2f}", str(day + dt.timedelta(days=rng.randint(0, 45)))])
        elif kind < 0.6:
            half = total // 2
            rows.append([order_id, "", f"{half / 100:.2f}", str(day + dt.timedelta(days=rng.randint(0, 20)))])
            rows.append([order_id, "", f"{(total - half + 7) / 100:.2f}",
                         str(day + dt.timedelta(days=rng.randint(21, 60)))])
        elif kind < 0.9:
            for line_no, amount in conn.execute(
                "SELECT line_no, amount_fen FROM purchase_lines WHERE order_id = ?", (order_id,)
            ):
                rows.append([order_id, line_no, f"{amount / 100:.2f}",
                             str(day + dt.timedelta(days=rng.choice((0, 29, 30, 31, 40))))])
    return rows


@pytest.fixture
def shop(conn: sqlite3.Connection) -> sqlite3.Connection:
    setup_institution_and_catalogue(conn)
    conn.execute("UPDATE products SET is_vbp = 1, is_essential = 1 WHERE code = ?", (D1,))
    return conn


def test_bulk_import_reimport_and_hand_edits_keep_summaries_exact(shop, tmp_path, monkeypatch):
    """ED-4/5, SUP-1/2/3, PAY-0/2/3/4 from the summaries = from the lines, at every step."""
    rng = random.Random(20261123)
    rows = purchase_rows(rng, 160)
    path = write_csv(tmp_path / "p.csv", PURCHASE_HEADER, rows)
    assert run_import(shop, "purchases", path).committed
    pay = write_csv(tmp_path / "pay.csv", ["订单号", "行号", "付款金额", "付款日期"],
                    payment_rows(shop, rng))
    assert run_import(shop, "payments", pay).committed
    assert_same(shop, monkeypatch)

    # Re-import in place: changed quantities, codes, order times (across a month),
    # responses now exactly on the 24 h line (bulk update, new batch id).
    for row in rows[::5]:
        row[4] = str(int(row[4]) + 3)
        row[3] = D2 if row[3] != D2 else D3
    for row in rows[1::7]:
        ordered = dt.datetime.fromisoformat(row[7]) - dt.timedelta(days=16)
        row[7] = stamp(ordered)
        row[8] = stamp(ordered + dt.timedelta(hours=24))
    assert run_import(shop, "purchases", write_csv(tmp_path / "p2.csv", PURCHASE_HEADER, rows)).committed
    assert_same(shop, monkeypatch)

    # Lines and payments written by hand (no batch id): the triggers note the orders.
    shop.execute(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, amount_fen,
               ordered_at, responded_at, delivered_at, supplier)
           VALUES ('HAND1', '1', ?, ?, 3, 900, '2026-06-29 23:00:00', '2026-06-30 23:00:00',
                   '2026-07-01 00:00:00', '华润海南医药有限公司')""", (INSTITUTION, D1))
    shop.execute("INSERT INTO payments (order_id, line_no, amount_fen, paid_on) "
                 "VALUES ('HAND1', '', 500, '2026-06-30')")
    first_order = rows[0][0]
    shop.execute("INSERT INTO payments (order_id, line_no, amount_fen, paid_on) "
                 "VALUES (?, '', 12345, '2026-06-14')", (first_order,))
    assert_same(shop, monkeypatch)

    # Deletes of lines and payments, an edited line, product flags changed.
    shop.execute("DELETE FROM purchase_lines WHERE order_id IN (SELECT order_id FROM purchase_lines "
                 "GROUP BY order_id ORDER BY order_id LIMIT 9)")
    shop.execute("DELETE FROM payments WHERE id IN (SELECT id FROM payments ORDER BY id DESC LIMIT 15)")
    shop.execute("UPDATE purchase_lines SET amount_fen = amount_fen * 2, delivered_at = NULL "
                 "WHERE id IN (SELECT id FROM purchase_lines ORDER BY id LIMIT 20 OFFSET 30)")
    shop.execute("UPDATE products SET is_vbp = 0 WHERE code = ?", (D1,))
    shop.execute("UPDATE products SET is_vbp = 1, is_essential = 1 WHERE code = ?", (D3,))
    assert_same(shop, monkeypatch)


def test_sup_exactly_24h_and_pending_lines_at_the_as_of_boundary(shop, monkeypatch):
    """SUP-1/SUP-2: a response exactly 24 h after ordering is in time (settled month and
    last hours alike); 24 h 1 s is not; a line inside its window at as-of is pending."""
    lines = [
        ("A", "2026-03-10 08:00:00", "2026-03-11 08:00:00", "2026-03-12 08:00:00"),  # exactly
        ("B", "2026-03-10 08:00:00", "2026-03-11 08:00:01", "2026-03-12 08:00:01"),  # 1 s over
        ("C", "2026-06-29 00:00:00", "2026-06-30 00:00:00", None),  # last hours, exactly 24 h
        ("D", "2026-06-30 12:00:00", None, None),  # pending at the as-of time
        ("E", "2026-06-27 23:59:59", None, None),  # 48 h passed: SUP-3
    ]
    for order_id, ordered, responded, delivered in lines:
        shop.execute(
            """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty,
                   amount_fen, ordered_at, responded_at, delivered_at, supplier)
               VALUES (?, '1', ?, ?, 1, 100, ?, ?, ?, '甲')""",
            (order_id, INSTITUTION, D1, ordered, responded, delivered))
    fast = compute_indicators(shop, dt.date(2026, 6, 30))
    assert fast == direct(shop, dt.date(2026, 6, 30), monkeypatch)
    (supplier,) = fast["suppliers"]
    # Judged responses: A, B, C and E (D pending); in time: A and C.
    assert supplier["response_rate"] == 0.5
    assert supplier["unresponded_48h"] == 1


def test_read_only_connection_computes_from_the_lines(shop, db_path, monkeypatch):
    """A caller that cannot write still gets correct figures (no refresh possible)."""
    shop.execute(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, amount_fen,
               ordered_at, delivered_at, supplier)
           VALUES ('R1', '1', ?, ?, 2, 2000, '2026-04-02 09:00:00', '2026-04-03 09:00:00', '甲')""",
        (INSTITUTION, D1))
    expected = direct(shop, dt.date(2026, 6, 30), monkeypatch)
    ro = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, isolation_level=None)
    ro.row_factory = sqlite3.Row
    try:
        assert purchase_summary.ensure_fresh(ro) is None
        assert compute_indicators(ro, dt.date(2026, 6, 30), builtin_profile()) == expected
    finally:
        ro.close()
    assert compute_indicators(shop, dt.date(2026, 6, 30)) == expected


def test_large_change_rebuilds_everything(shop, monkeypatch):
    """Past FULL_REBUILD_ORDERS changed orders the refresh rebuilds instead of patching."""
    monkeypatch.setattr(purchase_summary, "FULL_REBUILD_ORDERS", 3)
    rng = random.Random(5)
    for n, row in enumerate(purchase_rows(rng, 12, prefix="Q")):
        shop.execute(
            """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty,
                   amount_fen, ordered_at, responded_at, delivered_at, supplier, channel, batch_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, nullif(?, ''), nullif(?, ''), ?, 'online', 1)""",
            (*row[:5], 100 + n, *row[7:11]))
    assert_same(shop, monkeypatch)


def test_a_month_into_a_big_table_is_patched_not_rebuilt(shop, tmp_path, monkeypatch):
    """Past FULL_REBUILD_ORDERS, a change small beside the table is still patched.

    Patching costs per changed order, rebuilding per line in the table: a
    month's import into a year of lines must not rebuild everything.
    """
    rng = random.Random(8)
    year = write_csv(tmp_path / "year.csv", PURCHASE_HEADER, purchase_rows(rng, 150))
    assert run_import(shop, "purchases", year).committed
    assert purchase_summary.ensure_fresh(shop) is not None
    lines = shop.execute("SELECT count(*) FROM purchase_lines").fetchone()[0]
    monkeypatch.setattr(purchase_summary, "FULL_REBUILD_ORDERS", 3)
    month = write_csv(tmp_path / "month.csv", PURCHASE_HEADER, purchase_rows(rng, 8, prefix="M"))
    assert run_import(shop, "purchases", month).committed
    assert lines > 8 * purchase_summary.FULL_REBUILD_LINES_PER_ORDER
    rebuilds = []
    with monkeypatch.context() as m:
        m.setattr(purchase_summary, "_full", lambda *args: rebuilds.append(args))
        assert purchase_summary.ensure_fresh(shop) is not None
    assert rebuilds == []
    assert_same(shop, monkeypatch)


def test_catalogue_caches_follow_product_edits(shop, monkeypatch):
    """ED-1 品规 and the ED-5 flags kept between calls change with every product edit."""
    from pharmacy_app.indicators.essential import _group_catalogue_specs, stored_catalogue_specs

    for n, code in enumerate(CODES):
        shop.execute(
            """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty,
                   amount_fen, ordered_at) VALUES (?, '1', ?, ?, 4, 1000, '2026-02-03 10:00:00')""",
            (f"C{n}", INSTITUTION, code))
    edits = (
        ("UPDATE products SET conversion = 7, originator = 1 WHERE code = ?", (D2,)),
        ("UPDATE products SET is_essential = 1, negotiated = 1 WHERE code = ?", (D3,)),
        ("UPDATE products SET generic_name = '阿莫西林', dosage_form = '胶囊剂' WHERE code = ?", (D2,)),
        ("UPDATE products SET active = 0 WHERE code = ?", (D1,)),
        ("INSERT INTO products (code, generic_name, dosage_form, is_essential) "
         "VALUES ('NEW1', '布洛芬', '片剂', 1)", ()),
        ("DELETE FROM products WHERE code = ?", (D3,)),
    )
    for sql, args in edits:
        assert stored_catalogue_specs(shop) == _group_catalogue_specs(shop)
        assert compute_indicators(shop, dt.date(2026, 6, 30)) == direct(
            shop, dt.date(2026, 6, 30), monkeypatch)
        shop.execute(sql, args)
    assert stored_catalogue_specs(shop) == _group_catalogue_specs(shop)
    assert compute_indicators(shop, dt.date(2026, 6, 30)) == direct(
        shop, dt.date(2026, 6, 30), monkeypatch)


def test_stored_pinggui_built_under_older_key_rules_are_rebuilt(shop, monkeypatch):
    """ED-1: after an upgrade that groups 规格 differently, the stored 品规 are not reused."""
    from pharmacy_app import essential_match
    from pharmacy_app.indicators.essential import _group_catalogue_specs, stored_catalogue_specs

    fresh = stored_catalogue_specs(shop)  # stores them
    shop.execute("UPDATE ps_catalogue_specs SET key_spec = 'stale'")
    assert stored_catalogue_specs(shop) != fresh  # read back as stored while the rules hold
    monkeypatch.setattr(essential_match, "KEY_RULES", essential_match.KEY_RULES + 1)
    assert stored_catalogue_specs(shop) == _group_catalogue_specs(shop) == fresh


def test_pay2_late_list_json_is_each_orders_own(shop, tmp_path):
    """PAY-2: the payments JSON lists each late order exactly as LateOrder.to_json says."""
    from pharmacy_app.indicators.payments import compute_payments
    from pharmacy_app.institutions import current_institution

    rng = random.Random(3)
    assert run_import(shop, "purchases",
                      write_csv(tmp_path / "p.csv", PURCHASE_HEADER, purchase_rows(rng, 60))).committed
    assert run_import(shop, "payments", write_csv(
        tmp_path / "pay.csv", ["订单号", "行号", "付款金额", "付款日期"], payment_rows(shop, rng))).committed
    figures = compute_payments(shop, current_institution(shop), dt.date(2026, 9, 30), builtin_profile())
    assert figures.late_orders
    assert figures.to_json()["late_settlements"] == [o.to_json() for o in figures.late_orders]


def test_pay_and_sup_for_a_period_ending_before_as_of(shop, tmp_path, monkeypatch):
    """PAY-2/3/4 and SUP-1/2 over a period that ends before the as-of date (whole month
    and mid-month ends) equal the figures from the lines."""
    from pharmacy_app.indicators.payments import compute_payments
    from pharmacy_app.indicators.periods import Period
    from pharmacy_app.indicators.suppliers import compute_suppliers
    from pharmacy_app.institutions import current_institution

    rng = random.Random(11)
    assert run_import(shop, "purchases",
                      write_csv(tmp_path / "p.csv", PURCHASE_HEADER, purchase_rows(rng, 80))).committed
    assert run_import(shop, "payments", write_csv(
        tmp_path / "pay.csv", ["订单号", "行号", "付款金额", "付款日期"], payment_rows(shop, rng))).committed
    inst, profile = current_institution(shop), builtin_profile()
    as_of = dt.date(2026, 6, 30)
    for period in (Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
                   Period(dt.date(2026, 1, 1), dt.date(2026, 3, 15)),
                   Period(dt.date(2026, 2, 1), dt.date(2026, 6, 30))):
        fast = (compute_payments(shop, inst, as_of, profile, period).to_json(),
                [s.to_json() for s in compute_suppliers(shop, inst, as_of, profile, period)])
        with monkeypatch.context() as m:
            m.setattr(purchase_summary, "ensure_fresh", lambda _conn: None)
            slow = (compute_payments(shop, inst, as_of, profile, period).to_json(),
                    [s.to_json() for s in compute_suppliers(shop, inst, as_of, profile, period)])
        assert fast == slow, period


def test_older_summary_layout_is_recreated_then_rebuilt(shop, monkeypatch):
    """A file holding an earlier layout of the derived tables gets them afresh (same figures)."""
    shop.execute(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, amount_fen,
               ordered_at, responded_at, supplier)
           VALUES ('L1', '1', ?, ?, 2, 500, '2026-03-02 09:00:00', '2026-03-02 10:00:00', '甲')""",
        (INSTITUTION, D1))
    assert purchase_summary.ensure_fresh(shop) is not None
    shop.execute("UPDATE summary_state SET value = 4 WHERE key = 'schema'")
    shop.execute("DROP TABLE ps_catalogue_raw")
    shop.execute("CREATE TABLE purchase_paid_steps (paid_on TEXT)")
    assert purchase_summary.ensure_fresh(shop) is not None
    tables = {r[0] for r in shop.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "ps_catalogue_raw" in tables and "purchase_paid_steps" not in tables
    triggers = {r[0] for r in shop.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"ps_lines_insert", "ps_payments_delete", "ps_products_vbp"} <= triggers
    assert_same(shop, monkeypatch)


def test_an_upsert_of_a_noted_line_still_saves(shop):
    """A line upserted twice by hand notes its order once and does not abort (0012)."""
    upsert = """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty,
                    amount_fen, ordered_at) VALUES ('U1', '1', ?, ?, ?, 1000, '2026-02-03 10:00:00')
                ON CONFLICT (order_id, line_no) DO UPDATE SET qty = excluded.qty"""
    for qty in (1, 2, 3):
        shop.execute(upsert, (INSTITUTION, D1, qty))
    assert shop.execute("SELECT qty FROM purchase_lines WHERE order_id = 'U1'").fetchone()[0] == 3
    assert [r[0] for r in shop.execute("SELECT order_id FROM summary_dirty_orders")] == ["U1"]


def test_a_held_write_lock_gives_figures_from_the_lines_without_waiting(shop, tmp_path,
                                                                        monkeypatch):
    """While another program writes, stale summaries are not refreshed: the figures come
    from the lines (the same figures), and the connection keeps its own busy timeout."""
    assert purchase_summary.ensure_fresh(shop) is not None  # built, the profile stored
    shop.execute(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty,
               amount_fen, ordered_at) VALUES ('L1', '1', ?, ?, 4, 1000, '2026-02-03 10:00:00')""",
        (INSTITUTION, D1))
    path = shop.execute("PRAGMA database_list").fetchone()[2]
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        waited: list[int] = []
        real = purchase_summary.transaction

        def watching(conn):
            waited.append(conn.execute("PRAGMA busy_timeout").fetchone()[0])
            return real(conn)

        monkeypatch.setattr(purchase_summary, "transaction", watching)
        assert purchase_summary.ensure_fresh(shop) is None
        assert waited and max(waited) == purchase_summary.OPTIONAL_WRITE_WAIT_MS
        assert shop.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        expected = direct(shop, dt.date(2026, 6, 30), monkeypatch)
        assert compute_indicators(shop, dt.date(2026, 6, 30)) == expected
    finally:
        locker.execute("ROLLBACK")
        locker.close()
