"""Report speed: a 200-page PDF builds in under 10 s (issue 6).

The agreements progress report over a generated database with 600
agreements (bench/agreements_bench.py's generator: 20,000 products, purchase
lines 2025-01 to 2026-11): a 600-row summary table that runs over ~16 pages
with its header repeated, then one section per agreement (progress bar,
month-end chart, month-end table) — about 215 pages. Printed: the time to
read the figures (the domain's, including `compute_agreements` at each of
the 12 month ends), the time to lay out and write the PDF (the target), the
pages, the file size, and the time the window needs to read the pages back
for its preview.

A second run times one long table alone: the demo's payment-standard rows
repeated to 12,400 rows (the size STYLE.md measured: one platypus Table took
10.5 s), which `LongTable` lays out a window at a time.

    .venv/bin/python bench/report_bench.py [--agreements 600] [--lines 200000] [--db PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = dt.date(2026, 11, 23)


def _agreements_generator():
    spec = importlib.util.spec_from_file_location("agreements_bench", ROOT / "bench" / "agreements_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prepare(path: Path, agreements: int, lines: int) -> None:
    from pharmacy_app.institutions import init_institution
    from pharmacy_app.store import open_store

    gen = _agreements_generator()
    t = time.perf_counter()
    base = min(agreements, 500)  # the generator's catalogue holds 500 通用名 with agreements
    gen.build(path, lines, base)
    conn = open_store(path)
    init_institution(conn, gen.INSTITUTION, "基准测试卫生院", "grassroots")
    # Past 500: a later batch of the same 通用名 (same products, its own agreement).
    rows = conn.execute(
        "SELECT id, institution_code, batch, generic, selected_price, agreed_qty, last_year_qty, "
        "start_date, end_date FROM agreements ORDER BY id LIMIT ?", (agreements - base,)).fetchall()
    for row in rows:
        cur = conn.execute(
            """INSERT INTO agreements (institution_code, batch, generic, selected_price, agreed_qty,
                   last_year_qty, start_date, end_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (row[1], row[2] + "（续）", row[3], row[4], row[5], row[6], row[7], row[8]))
        conn.execute(
            "INSERT INTO agreement_products (agreement_id, code, role) "
            "SELECT ?, code, role FROM agreement_products WHERE agreement_id = ?",
            (cur.lastrowid, row[0]))
    conn.commit()
    conn.close()
    print(f"built {path}: {agreements} agreements, {lines:,} purchase lines "
          f"in {time.perf_counter() - t:.1f} s")


def bench_agreements(path: Path) -> None:
    from pharmacy_app.store import open_store
    from reports.kinds import build_report
    from reports.pdfpages import PdfPages

    conn = open_store(path)
    buffer = io.BytesIO()
    built = build_report("agreements", conn, AS_OF, buffer)
    conn.close()
    data = buffer.getvalue()
    t = time.perf_counter()
    pages = PdfPages(data)
    first = pages[0]
    preview = time.perf_counter() - t
    t = time.perf_counter()
    for i in range(len(pages)):
        pages[i]
    every = time.perf_counter() - t
    print(f"agreements report: {built.pages} pages, {len(data) / 1e6:.1f} MB")
    print(f"  figures read (domain, 12 month ends): {built.gather_seconds:.2f} s")
    print(f"  layout and PDF written:               {built.layout_seconds:.2f} s"
          f"  ({built.layout_seconds / built.pages * 1000:.0f} ms/page)  target < 10 s: "
          f"{'met' if built.layout_seconds < 10 and built.pages >= 200 else 'NOT met'}")
    print(f"  preview: sizes and first page ready:  {preview:.2f} s ({len(first.ops)} drawing ops)")
    print(f"  every page read back (printing):      {every:.2f} s ({len(pages)} pages,"
          f" {every / len(pages) * 1000:.0f} ms/page)")


def bench_long_table(rows: int) -> None:
    from reportlab.lib.units import mm
    from reportlab.platypus import Table

    from reports.layout import (
        LANDSCAPE_CONTENT_WIDTH,
        ReportMeta,
        Styles,
        build,
        data_table,
        fit_cells,
        table_style,
    )
    from reports.payment_standards import HEADER, WIDTHS

    styles = Styles()
    row = ["第一批", "瑞舒伐他汀钙片", "XC10AAA078A003010001201", "瑞舒伐他汀钙", "片剂 / 10mg",
           "浙江海正药业股份有限公司", "中选产品", "PS-1", "0.16", "0.1600", "0.1600", "0.1600",
           "0.1600", "1", "0.1600", "0.00"]
    body = [[str(i), *row[1:]] for i in range(rows)]
    meta = ReportMeta("长表基准", "基准测试卫生院", "H46010001", AS_OF)
    t = time.perf_counter()
    buffer = io.BytesIO()
    pages = build(buffer, meta, [data_table(HEADER, body, [w * mm for w in WIDTHS], styles,
                                            align_right_from=8,
                                            content_width=LANDSCAPE_CONTENT_WIDTH)],
                  cover=False, landscape=True)
    chunked = time.perf_counter() - t
    print(f"{rows:,}-row table in LongTable: {pages} pages in {chunked:.2f} s")
    if rows <= 12_400:
        # The same cells (long names wrapped onto lines the same way) as one Table.
        widths = [w * mm * LANDSCAPE_CONTENT_WIDTH / (sum(WIDTHS) * mm) for w in WIDTHS]
        cells = fit_cells([HEADER, *body], widths)
        t = time.perf_counter()
        one = Table(cells, repeatRows=1, colWidths=widths)
        one.setStyle(table_style(1))
        buffer = io.BytesIO()
        pages_one = build(buffer, meta, [one], cover=False, landscape=True)
        print(f"  the same rows as one platypus Table: {pages_one} pages in "
              f"{time.perf_counter() - t:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--agreements", type=int, default=600)
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--rows", type=int, default=12_400)
    ap.add_argument("--db", type=Path, default=Path("/tmp/report_bench.db"))
    args = ap.parse_args()
    if not args.db.exists():
        prepare(args.db, args.agreements, args.lines)
    bench_agreements(args.db)
    bench_long_table(args.rows)


if __name__ == "__main__":
    main()
