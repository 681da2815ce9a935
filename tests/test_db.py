"""Schema, migrations and the change log (SYNC-1)."""

from __future__ import annotations

import re
import sqlite3

import pytest

from db import DatabaseTooNew, open_db, transaction
from db.connection import schema_version
from db.migrations import SCHEMA_VERSION, SYNCED_TABLES


def test_new_database_is_wal_and_fully_migrated(db_path):
    conn = open_db(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert schema_version(conn) == SCHEMA_VERSION >= 1
    conn.close()
    # Re-opening applies nothing twice.
    conn = open_db(db_path)
    assert schema_version(conn) == SCHEMA_VERSION


def test_database_from_a_newer_build_is_refused(db_path):
    conn = open_db(db_path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('pharmacy_desk', '9999_future', 'x')"
    )
    conn.close()
    with pytest.raises(DatabaseTooNew):
        open_db(db_path)


@pytest.mark.parametrize("table", SYNCED_TABLES)
def test_sync1_every_synced_table_has_uuid_version_and_logs_changes(conn, table):
    """SYNC-1: stable UUIDs, versions, and a change-log row for every change."""
    cols = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
    assert {"uuid", "version"} <= cols
    triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    for op in ("insert", "update", "delete"):
        assert f"{table}_log_{op}" in triggers


def test_sync1_change_log_records_insert_update_delete_in_same_transaction(conn):
    conn.execute("INSERT INTO institutions (code, name, level) VALUES ('H1', 'A', 'grassroots')")
    uuid = conn.execute("SELECT uuid FROM institutions").fetchone()[0]
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", uuid
    )
    conn.execute("UPDATE institutions SET name='B', version=version+1 WHERE code='H1'")
    with pytest.raises(sqlite3.IntegrityError), transaction(conn):
        conn.execute("UPDATE institutions SET name='C', version=version+1 WHERE code='H1'")
        conn.execute(
            "INSERT INTO institutions (code, name, level) VALUES ('H1', 'dup', 'grassroots')"
        )
    conn.execute("DELETE FROM institutions WHERE code='H1'")
    log = conn.execute("SELECT row_uuid, version, op FROM change_log ORDER BY seq").fetchall()
    # The rolled-back update left no trace.
    assert [tuple(r) for r in log] == [
        (uuid, 1, "insert"),
        (uuid, 2, "update"),
        (uuid, 2, "delete"),
    ]


def test_transaction_rolls_back_everything_on_error(conn):
    with pytest.raises(RuntimeError), transaction(conn):
        conn.execute("INSERT INTO app_settings VALUES ('a', '1')")
        raise RuntimeError("boom")
    assert conn.execute("SELECT count(*) FROM app_settings").fetchone()[0] == 0


def test_an_error_sqlite_rolled_back_itself_is_raised_as_it_is(conn):
    """Disk full (SQLITE_FULL) ends the transaction inside SQLite: the user must see that
    error, not "cannot rollback - no transaction is active"."""

    class DiskFull(sqlite3.OperationalError):
        pass

    with pytest.raises(DiskFull), transaction(conn):
        conn.execute("INSERT INTO app_settings VALUES ('a', '1')")
        conn.execute("ROLLBACK")  # as SQLite does on SQLITE_FULL
        raise DiskFull("database or disk is full")
    assert not conn.in_transaction
    assert conn.execute("SELECT count(*) FROM app_settings WHERE key = 'a'").fetchone()[0] == 0


def test_sync1_migration_0003_upgrades_a_0002_database_and_logs_non_bulk_changes(db_path):
    """SYNC-1 after 0003: rows written without a batch_id are still logged by the triggers."""
    import sqlite3 as sq

    from sqlite_utils import Database

    from db.migrations import migrations

    raw = sq.connect(str(db_path), isolation_level=None)
    migrations.apply(Database(raw), stop_before="0003_bulk_change_log")
    raw.execute(
        "INSERT INTO payments (order_id, amount_fen, paid_on) VALUES ('PO1', 100, '2026-03-01')"
    )
    raw.close()
    conn = open_db(db_path)
    assert schema_version(conn) == SCHEMA_VERSION
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "purchase_lines_code_time" in indexes and "purchase_lines_time" not in indexes
    conn.execute("UPDATE payments SET amount_fen = 200, version = version + 1")
    conn.execute(
        "INSERT INTO payments (order_id, amount_fen, paid_on) VALUES ('PO2', 5, '2026-03-02')"
    )
    conn.execute(
        "INSERT INTO payments (order_id, amount_fen, paid_on, batch_id) "
        "VALUES ('PO3', 5, '2026-03-02', 7)"
    )  # a bulk import logs these itself
    conn.execute("DELETE FROM payments WHERE order_id = 'PO3'")
    ops = [
        tuple(r)
        for r in conn.execute(
            "SELECT op, version FROM change_log WHERE table_name = 'payments' ORDER BY seq"
        )
    ]
    assert ops == [("insert", 1), ("update", 2), ("insert", 1), ("delete", 1)]
    conn.close()


def test_sync1_migration_0013_gives_existing_stock_counts_uuids_and_log_rows(db_path):
    """SYNC-1: stock counts written before 0013 are kept, get UUIDs and insert entries."""
    import sqlite3 as sq

    from sqlite_utils import Database

    from db.migrations import migrations

    raw = sq.connect(str(db_path), isolation_level=None)
    migrations.apply(Database(raw), stop_before="0013_stock_counts_synced")
    raw.execute("INSERT INTO stock_counts (product_code, counted_at, qty, counted_by, source) "
                "VALUES ('X1', '2026-11-01 09:00:00', 12, '王芳', 'manual')")
    raw.close()
    conn = open_db(db_path)
    row = conn.execute("SELECT uuid, version, qty, counted_by FROM stock_counts").fetchone()
    assert row["uuid"] and row["version"] == 1 and (row["qty"], row["counted_by"]) == (12, "王芳")
    logged = conn.execute(
        "SELECT op FROM change_log WHERE table_name = 'stock_counts' AND row_uuid = ?",
        (row["uuid"],)).fetchall()
    assert [r[0] for r in logged] == ["insert"]
    conn.execute("UPDATE stock_counts SET qty = 10, version = version + 1")
    assert conn.execute("SELECT count(*) FROM change_log WHERE table_name = 'stock_counts'"
                        ).fetchone()[0] == 2


def test_migration_0014_repairs_hashes_deactivation_left_stale(db_path):
    """A product deactivated before 0014 (hash not following `active`) can be put back in use."""
    import sqlite3 as sq

    from sqlite_utils import Database

    from db.migrations import migrations
    from db.steps import m0014_product_hashes_follow_active as step
    from pharmacy_app.catalogue import (
        HASHED_COLUMNS,
        Product,
        content_hash,
        normalise_product,
        product_row,
    )

    assert step.HASHED == HASHED_COLUMNS  # the frozen copy means what the domain means
    raw = sq.connect(str(db_path), isolation_level=None)
    migrations.apply(Database(raw), stop_before="0014_product_hashes_follow_active")
    row = product_row(normalise_product(Product(
        code="XA01ABD075A000000000001", generic_name="阿莫西林", package="24粒/盒")))
    raw.execute(f"INSERT INTO products ({', '.join(HASHED_COLUMNS)}, pinyin, content_hash) "
                f"VALUES ({', '.join('?' * 19)})", row)
    raw.execute("UPDATE products SET active = 0")  # as set_active did: the hash left as it was
    raw.close()
    conn = open_db(db_path)
    values = tuple(conn.execute(f"SELECT {', '.join(HASHED_COLUMNS)} FROM products").fetchone())
    assert values[15] == 0
    assert conn.execute("SELECT content_hash FROM products").fetchone()[0] == content_hash(values)


def test_migration_0015_stores_supplier_names_as_imports_do(db_path):
    """SUP-6: full- and half-width spellings of one company become one after the upgrade."""
    import sqlite3 as sq

    from sqlite_utils import Database

    from db.migrations import migrations

    raw = sq.connect(str(db_path), isolation_level=None)
    migrations.apply(Database(raw), stop_before="0015_supplier_names_nfkc")
    for n, name in enumerate(("国药控股（海南）有限公司", "国药控股(海南)有限公司")):
        raw.execute(
            "INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, amount_fen,"
            " ordered_at, supplier) VALUES (?, '1', 'H1', 'X', 1, 100, '2026-03-01', ?)",
            (f"O{n}", name))
    raw.close()
    conn = open_db(db_path)
    assert [r[0] for r in conn.execute("SELECT DISTINCT supplier FROM purchase_lines")] == [
        "国药控股(海南)有限公司"]
