"""How fast any import of the bench CSV could be here: the floor under issue 2's 1.5x.

Times, on the same file in the same run:

1. `sqlite3 .import` into a new plain table (the issue's yardstick);
2. Python's sqlite3 `executemany` of the file's twelve text columns, already
   in memory as lists (no reading, no checking), into a plain table with no
   index: the least any pure-Python importer writes;
3. SQLite alone (`INSERT … SELECT` from the table of step 1, no Python per
   row) filling `purchase_lines` as the migrations made it: its uuid and
   (order_id, line_no) unique indexes, then its two plain indexes and the
   SYNC-1 change log, as an import must leave them.

If 2 alone is about 1x the yardstick and 3 alone above 1.5x, no importer
built on this stack can meet 1.5x while keeping the schema's keys, indexes
and change log: the gap is the schema's work, not the importer's.

    .venv/bin/python bench/import_floor.py [--lines 1000000] [--csv FILE]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from import_bench import load, sqlite_cli_import, write_csv  # noqa: E402

from db import open_db  # noqa: E402


def timed(conn: sqlite3.Connection, sql: str, params: object = ()) -> float:
    started = time.perf_counter()
    conn.execute(sql, params)  # type: ignore[arg-type]
    return time.perf_counter() - started


def python_floor(rows: list[list[str]], path: Path) -> tuple[float, float]:
    """executemany of the raw rows into a plain table: (insert, commit) seconds."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")  # as the importer: checkpointed later
    conn.execute("CREATE TABLE lines (" + ", ".join(f"c{i}" for i in range(12)) + ")")
    conn.execute("BEGIN")
    started = time.perf_counter()
    conn.executemany("INSERT INTO lines VALUES (" + ", ".join("?" * 12) + ")", rows)
    inserted = time.perf_counter() - started
    conn.execute("COMMIT")
    committed = time.perf_counter() - started - inserted
    conn.close()
    return inserted, committed


SELECT = """
INSERT INTO purchase_lines (uuid, order_id, line_no, institution_code, code, qty, price,
    amount_fen, ordered_at, responded_at, delivered_at, supplier, channel, content_hash,
    batch_id, updated_at)
SELECT printf('0190abcd-1234-7abc-8def-%012x', rowid), "订单号", "行号", "机构编码", "药品编码",
    CAST("数量" AS REAL), "单价", CAST(round(CAST("金额" AS REAL) * 100) AS INTEGER),
    "下单时间", nullif("响应时间", ''), nullif("配送时间", ''), "配送企业",
    CASE "采购方式" WHEN '线下' THEN 'offline' ELSE 'online' END,
    printf('%016x', rowid * 2654435761), 1, '2026-11-23 10:00:00'
FROM cli.purchase_lines WHERE true
ON CONFLICT (order_id, line_no) DO NOTHING
"""
LOG = """
INSERT INTO change_log (at, table_name, row_uuid, version, op)
SELECT '2026-11-23 10:00:00', 'purchase_lines', uuid, version, 'insert'
FROM purchase_lines ORDER BY id
"""


def sqlite_floor(cli_db: Path, path: Path) -> dict[str, float]:
    """SQLite's own work to fill purchase_lines as an import must leave it."""
    conn = open_db(path)
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'purchase_lines'"
        " AND sql IS NOT NULL"
    ).fetchall()
    triggers = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'purchase_lines'"
    ).fetchall()
    conn.execute("PRAGMA wal_autocheckpoint = 0")  # as the importer: checkpointed later
    conn.execute(f"ATTACH '{cli_db}' AS cli")
    conn.execute("BEGIN IMMEDIATE")
    for (name,) in triggers:  # the import suspends them too (see importers/bulk.py)
        conn.execute(f'DROP TRIGGER "{name}"')
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    seconds = {"insert with unique keys": timed(conn, SELECT)}
    conn.execute("PRAGMA threads = 2")
    seconds["plain indexes"] = sum(timed(conn, sql) for _, sql in indexes)
    seconds["change log"] = timed(conn, LOG)
    seconds["commit"] = timed(conn, "COMMIT")
    conn.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--csv", type=Path, help="an existing bench CSV (else one is generated)")
    args = parser.parse_args()
    print(f"machine: {load()}")
    work = Path(tempfile.mkdtemp(prefix="pharmacy-floor-"))
    try:
        csv_path = args.csv or work / "purchases.csv"
        if args.csv is None:
            write_csv(csv_path, args.lines)
        cli = sqlite_cli_import(csv_path, work)
        if cli is None:
            print("sqlite3 CLI not found: no yardstick")
            return
        with csv_path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))[1:]
        n = len(rows)
        print(f"{'1. sqlite3 .import':<46}{cli:6.2f} s  1.00x  ({n:,} lines)")
        inserted, committed = python_floor(rows, work / "python.db")
        del rows
        print(f"{'2. executemany, raw text, no index':<46}{inserted:6.2f} s  {inserted / cli:.2f}x"
              f"  (+ commit {committed:.2f} s)")
        seconds = sqlite_floor(work / "cli.db", work / "schema.db")
        total = sum(seconds.values())
        print(f"{'3. SQLite alone into purchase_lines':<46}{total:6.2f} s  {total / cli:.2f}x")
        for what, s in seconds.items():
            print(f"{'':>6}{what:<40}{s:6.2f} s")
        print(f"machine: {load()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
