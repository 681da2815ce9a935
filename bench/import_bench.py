"""Import speed: 1,000,000 purchase lines from CSV and 100,000 rows from xlsx.

Prints rows/second and peak memory beside the time of the sqlite3 CLI's own
`.import` of the same CSV on the same machine (the issue's yardstick: at most
1.5x, target 1.0x). Each import runs in a child process so its peak resident
memory can be read cleanly.

    .venv/bin/python bench/import_bench.py [--lines 1000000] [--xlsx-rows 100000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = ["订单号", "行号", "机构编码", "药品编码", "数量", "单价", "金额", "下单时间", "响应时间",
          "配送时间", "配送企业", "采购方式"]
SUPPLIERS = ["国药控股海南有限公司", "华润海南医药有限公司", "上药控股海南有限公司", "九州通医药集团海南有限公司"]
INSTITUTION = "H46010001"
N_PRODUCTS = 2000


def product_codes(n: int = N_PRODUCTS) -> list[str]:
    return [f"XA01ABD075A{i:012d}" for i in range(n)]


def purchase_rows(n: int, seed: int = 1):
    """Deterministic purchase lines: ~4 lines per order over a year."""
    rng = random.Random(seed)
    codes = product_codes()
    for i in range(n):
        order, line = divmod(i, 4)
        day = 1 + (order * 365 // max(1, n // 4)) % 365
        month, mday = min(12, 1 + (day - 1) // 31), 1 + (day - 1) % 28
        hour = 8 + rng.randrange(9)
        qty = rng.randrange(1, 200)
        price_fen = rng.randrange(100, 20000)
        ordered = f"2026-{month:02d}-{mday:02d} {hour:02d}:{rng.randrange(60):02d}:00"
        responded = f"2026-{month:02d}-{mday:02d} {min(23, hour + 2):02d}:00:00" if i % 50 else ""
        delivered = f"2026-{month:02d}-{min(28, mday + 1):02d} 10:00:00" if i % 40 else ""
        yield [
            f"PO{order:09d}", str(line + 1), INSTITUTION, codes[rng.randrange(len(codes))], str(qty),
            f"{price_fen / 100:.2f}", f"{qty * price_fen / 100:.2f}", ordered, responded, delivered,
            SUPPLIERS[i % len(SUPPLIERS)], "线下" if i % 33 == 0 else "线上",
        ]


def write_csv(path: Path, n: int) -> None:
    import csv

    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(purchase_rows(n))


def write_xlsx(path: Path, n: int) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("采购明细")
    ws.write_row(0, 0, HEADER)
    for r, row in enumerate(purchase_rows(n, seed=2), start=1):
        ws.write_row(r, 0, row)
    wb.close()


def prepare_db(path: Path) -> None:
    """A database with the institution and the catalogue the purchases refer to."""
    from decimal import Decimal

    from db import open_db
    from pharmacy_app.catalogue import Product, save_products
    from pharmacy_app.institutions import init_institution

    conn = open_db(path)
    init_institution(conn, INSTITUTION, "基准测试卫生院", "grassroots")
    save_products(conn, [
        Product(code=c, generic_name=f"测试药品{i}", dosage_form="片剂", specification="10mg",
                package="10mg*24片/盒", manufacturer="测试制药", price=Decimal("12.5"))
        for i, c in enumerate(product_codes())
    ])
    conn.close()


CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from db import open_db
from pharmacy_app.importers import run_import
conn = open_db({db!r})
t = time.perf_counter()
result = run_import(conn, "purchases", __import__("pathlib").Path({file!r}))
elapsed = time.perf_counter() - t
t = time.perf_counter()
conn.close()  # a WAL checkpoint the import left for later may run here
closed = time.perf_counter() - t
print(json.dumps({{"seconds": elapsed, "close_seconds": closed, "committed": result.committed, "rows": result.rows_total,
  "errors": len(result.errors), "inserted": result.inserted,
  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run_import_child(db: Path, file: Path) -> dict:
    code = CHILD.format(root=str(ROOT), db=str(db), file=str(file))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def sqlite_cli_import(csv_path: Path, workdir: Path) -> float | None:
    exe = shutil.which("sqlite3")
    if exe is None:
        return None
    db = workdir / "cli.db"
    db.unlink(missing_ok=True)
    t = time.perf_counter()
    subprocess.run([exe, str(db), ".mode csv", f".import {csv_path} purchase_lines"], check=True)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="pharmacy-bench-"))
    try:
        csv_path = work / "purchases.csv"
        xlsx_path = work / "purchases.xlsx"
        t = time.perf_counter()
        write_csv(csv_path, args.lines)
        write_xlsx(xlsx_path, args.xlsx_rows)
        print(f"generated {args.lines:,} CSV lines ({csv_path.stat().st_size / 1e6:.0f} MB) and "
              f"{args.xlsx_rows:,} xlsx rows in {time.perf_counter() - t:.1f} s")

        cli = sqlite_cli_import(csv_path, work)
        if cli is None:
            print("sqlite3 CLI not found: no yardstick")
        else:
            print(f"sqlite3 .import          {args.lines:>9,} rows  {cli:6.2f} s  "
                  f"{args.lines / cli:>10,.0f} rows/s")

        template = work / "template.db"
        prepare_db(template)
        for label, file, rows in (("CSV", csv_path, args.lines), ("xlsx", xlsx_path, args.xlsx_rows)):
            db = work / f"{label}.db"
            shutil.copy(template, db)
            res = run_import_child(db, file)
            ratio = f"  {res['seconds'] / cli:.2f}x sqlite3" if cli and label == "CSV" else ""
            print(f"pharmacy-app import {label:<5}{rows:>9,} rows  {res['seconds']:6.2f} s  "
                  f"{rows / res['seconds']:>10,.0f} rows/s  peak {res['peak_mb']:.0f} MB{ratio}"
                  f"  (committed={res['committed']}, errors={res['errors']};"
                  f" then close {res['close_seconds']:.2f} s)")
            if label == "CSV":
                res2 = run_import_child(db, file)
                print(f"re-import of same CSV    {rows:>9,} rows  {res2['seconds']:6.2f} s  "
                      f"(inserted={res2['inserted']}: no duplicates)")
    finally:
        if args.keep:
            print(f"files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
