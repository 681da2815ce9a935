"""Timing check for the importers — run by hand, not collected by pytest.

    .venv/bin/python tests/importers/timing_check.py [--lines 1000000] [--xlsx-rows 100000] [--variants]

Prints the sqlite3 CLI's `.import` of the same CSV into a plain table (the
yardstick), then each import's phases (from the importers' DEBUG log), wall
time and peak memory, each in its own process. --variants repeats the CSV
import on scratch databases without the change_log triggers and/or the two
secondary indexes of purchase_lines, to show what the schema itself costs;
the project's schema is not changed.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEADER = [
    "订单号",
    "行号",
    "机构编码",
    "药品编码",
    "数量",
    "单价",
    "金额",
    "下单时间",
    "响应时间",
    "配送时间",
    "配送企业",
    "采购方式",
]
CODES = [f"XA01ABD075A{i:012d}" for i in range(2000)]


def rows(n: int, seed: int = 1):
    rng = random.Random(seed)
    for i in range(n):
        order, line = divmod(i, 4)
        day = 1 + order * 365 // max(1, n // 4) % 365
        month, mday = min(12, 1 + (day - 1) // 31), 1 + (day - 1) % 28
        qty, fen = rng.randrange(1, 200), rng.randrange(100, 20000)
        hour = 8 + rng.randrange(9)
        yield [
            f"PO{order:09d}",
            str(line + 1),
            "H46010001",
            CODES[rng.randrange(len(CODES))],
            str(qty),
            f"{fen / 100:.2f}",
            f"{qty * fen / 100:.2f}",
            f"2026-{month:02d}-{mday:02d} {hour:02d}:15:00",
            "" if i % 50 == 0 else f"2026-{month:02d}-{mday:02d} {hour + 2:02d}:00:00",
            "" if i % 40 == 0 else f"2026-{month:02d}-{min(28, mday + 1):02d} 10:00:00",
            "国药控股海南有限公司",
            "线下" if i % 33 == 0 else "线上",
        ]


CHILD = """
import json, logging, resource, sys, time
sys.path.insert(0, {root!r})
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())
logging.getLogger("pharmacy_app.importers").addHandler(Keep())
logging.getLogger("pharmacy_app.importers").setLevel(logging.DEBUG)
from db import open_db
from pharmacy_app.importers import run_import
conn = open_db({db!r})
for sql in {prepare!r}:
    conn.execute(sql)
t = time.perf_counter()
r = run_import(conn, "purchases", {file!r})
print(json.dumps({{"seconds": time.perf_counter() - t, "committed": r.committed, "inserted": r.inserted,
    "unchanged": r.unchanged, "errors": len(r.errors), "phases": records,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def child(db: Path, file: Path, prepare: list[str] = ()) -> dict:
    code = CHILD.format(root=str(ROOT), db=str(db), file=str(file), prepare=list(prepare))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(label: str, n: int, res: dict, yardstick: float | None) -> None:
    ratio = f"  {res['seconds'] / yardstick:.1f}x .import" if yardstick else ""
    print(
        f"{label:<34}{n:>9,} rows {res['seconds']:6.2f} s  peak {res['peak_mb']:4.0f} MB{ratio}"
        f"  inserted={res['inserted']} unchanged={res['unchanged']} errors={res['errors']}"
    )
    for phase in res["phases"]:
        print(f"{'':<38}{phase}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--variants", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from db import open_db
    from pharmacy_app.institutions import init_institution

    work = Path(tempfile.mkdtemp(prefix="importers-timing-"))
    try:
        csv_path, xlsx_path = work / "purchases.csv", work / "purchases.xlsx"
        with csv_path.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(HEADER)
            w.writerows(rows(args.lines))
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(xlsx_path), {"constant_memory": True})
        ws = wb.add_worksheet()
        ws.write_row(0, 0, HEADER)
        for r, row in enumerate(rows(args.xlsx_rows, seed=2), start=1):
            ws.write_row(r, 0, row)
        wb.close()

        yardstick = None
        if shutil.which("sqlite3"):
            t = time.perf_counter()
            subprocess.run(
                ["sqlite3", str(work / "cli.db"), ".mode csv", f".import {csv_path} t"], check=True
            )
            yardstick = time.perf_counter() - t
            print(f"{'sqlite3 .import (plain table)':<34}{args.lines:>9,} rows {yardstick:6.2f} s")

        template = work / "template.db"
        conn = open_db(template)
        init_institution(conn, "H46010001", "计时卫生院", "grassroots")
        conn.executemany(
            "INSERT INTO products (code, generic_name) VALUES (?, '测试')", [(c,) for c in CODES]
        )
        conn.close()

        def fresh(name: str) -> Path:
            db = work / f"{name}.db"
            shutil.copy(template, db)
            return db

        db = fresh("csv")
        report("CSV import", args.lines, child(db, csv_path), yardstick)
        report("CSV re-import (all unchanged)", args.lines, child(db, csv_path), yardstick)
        report("xlsx import", args.xlsx_rows, child(fresh("xlsx"), xlsx_path), None)
        if args.variants:
            no_triggers = [
                f"DROP TRIGGER purchase_lines_log_{op}" for op in ("insert", "update", "delete")
            ]
            no_indexes = [
                "DROP INDEX purchase_lines_code_time",
                "DROP INDEX IF EXISTS purchase_lines_time",  # gone since migration 0003
            ]
            for name, label, prepare in (
                ("notrig", "CSV, scratch db: no change_log trigger", no_triggers),
                ("noidx", "CSV, scratch db: no secondary index", no_indexes),
                ("neither", "CSV, scratch db: neither", no_triggers + no_indexes),
            ):
                report(label, args.lines, child(fresh(name), csv_path, prepare), yardstick)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
