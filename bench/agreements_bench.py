"""AV speed: `compute_agreements` with 500 agreements and 1,000,000 purchase lines.

The target is well under 1 s. The database is built with plain SQL
`executemany` (the query is measured, not the importer): 20,000 drug
products, 500 agreements of five products each (2 selected, 1 backup, 1
substitute, and two more products of the same 通用名 found by name), and
1,000,000 purchase lines from 2025-01-01 to 2026-11-30, 60 % of them on the
agreements' products. Deterministic (seeded).

It prints compute_indicators (every section) cold — the first call after the
purchase summaries were dropped, as after a 1,000,000-line import — and
warm, and compute_agreements (the agreements page's rows) cold and warm.

    .venv/bin/python bench/agreements_bench.py [--lines 1000000] [--agreements 500]
        [--runs 5] [--db PATH (reused if it exists)]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from db import open_db  # noqa: E402
from pharmacy_app.indicators import compute_indicators  # noqa: E402
from pharmacy_app.indicators.agreements import compute_agreements  # noqa: E402
from pharmacy_app.institutions import init_institution  # noqa: E402
from pharmacy_app.policy import builtin_profile  # noqa: E402

INSTITUTION = "H46010001"
FORMS = ("片剂", "胶囊", "缓释片", "肠溶胶囊", "注射液")
SUFFIX = {"片剂": "片", "胶囊": "胶囊", "缓释片": "缓释片", "肠溶胶囊": "肠溶胶囊", "注射液": "注射液"}
CJK = "阿莫西林头孢克洛氨氯地平他汀沙坦普利洛尔唑胺酸钠钙镁钾苯磺甲硝替诺福韦恩曲他滨"


def build(path: Path, lines: int, agreements: int) -> None:
    rng = random.Random(20261123)
    conn = open_db(path)
    products = []
    names = set()
    while len(names) < 4000:
        names.add("".join(rng.choice(CJK) for _ in range(rng.randint(3, 6))))
    names_l = sorted(names)
    for i in range(20_000):
        name = names_l[i // 5]
        form = FORMS[(i // 5) % len(FORMS)]
        products.append((f"X{i:022d}", name, form, f"{(i % 5 + 1) * 10}mg", rng.choice((7, 14, 28)),
                         int(rng.random() < 0.5), int(rng.random() < 0.1), f"{rng.uniform(1, 50):.2f}"))
    conn.executemany(
        """INSERT INTO products (code, generic_name, dosage_form, specification, conversion,
               consistency, originator, price) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        products,
    )
    starts = (dt.date(2026, 1, 1), dt.date(2026, 3, 1))
    for a in range(agreements):
        base = a * 5 * 8  # every 8th 通用名
        name, form = products[base][1], products[base][2]
        start = starts[a % 2]
        end = start.replace(year=start.year + 1) - dt.timedelta(days=1)
        cur = conn.execute(
            """INSERT INTO agreements (institution_code, batch, generic, selected_price, agreed_qty,
                   last_year_qty, start_date, end_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (INSTITUTION, f"第{a % 10 + 1}批", name + SUFFIX[form], "0.35", 40000, 60000,
             start.isoformat(), end.isoformat()),
        )
        roles = [(base, "selected"), (base + 1, "selected"), (base + 2, "backup"), (base + 7, "substitute")]
        conn.executemany(
            "INSERT INTO agreement_products (agreement_id, code, role) VALUES (?, ?, ?)",
            [(cur.lastrowid, products[i][0], role) for i, role in roles],
        )
    involved = [products[a * 40 + k][0] for a in range(agreements) for k in (0, 1, 2, 3, 4, 7)]
    others = [p[0] for p in products]
    first = dt.datetime(2025, 1, 1)
    span = int((dt.datetime(2026, 11, 30) - first).total_seconds())
    batch = []
    for n in range(lines):
        code = rng.choice(involved) if rng.random() < 0.6 else rng.choice(others)
        at = first + dt.timedelta(seconds=rng.randrange(span))
        qty = rng.randint(1, 20)
        batch.append((f"PO{n // 10:07d}", str(n % 10), INSTITUTION, code, qty, qty * rng.randint(200, 900),
                      at.strftime("%Y-%m-%d %H:%M:%S")))
        if len(batch) == 50_000:
            _insert_lines(conn, batch)
            batch = []
    _insert_lines(conn, batch)
    conn.commit()
    conn.close()


def _insert_lines(conn, batch: list[tuple]) -> None:
    # batch_id set: the bulk path (migration 0003) skips the per-row change-log trigger.
    conn.executemany(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, amount_fen,
               ordered_at, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, 1)""",
        batch,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--agreements", type=int, default=500)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--db", type=Path, default=Path("/tmp/agreements_bench.db"))
    args = ap.parse_args()
    if not args.db.exists():
        t = time.perf_counter()
        build(args.db, args.lines, args.agreements)
        print(f"built {args.db} in {time.perf_counter() - t:.1f} s")
    conn = open_db(args.db)
    # compute_indicators needs the installation's institution (older bench files lack it).
    init_institution(conn, INSTITUTION, "基准医院", "tertiary")
    profile = builtin_profile()
    as_of = dt.date(2026, 11, 23)
    # The purchase summaries dropped, as after a 1,000,000-line import: the
    # first call rebuilds them (compute_agreements itself reads the lines).
    conn.execute("UPDATE summary_state SET value = 0 WHERE key = 'built'")
    t = time.perf_counter()
    compute_indicators(conn, as_of, profile)
    print(f"compute_indicators cold (first call after a 1M import, builds the summaries): "
          f"{time.perf_counter() - t:.3f} s")
    conn.close()
    conn = open_db(args.db)
    t = time.perf_counter()
    figures = compute_agreements(conn, INSTITUTION, as_of, profile)
    print(f"compute_agreements cold (new connection): {time.perf_counter() - t:.3f} s, "
          f"{len(figures)} agreements")
    report("compute_agreements warm (the agreements page's rows)",
           lambda: compute_agreements(conn, INSTITUTION, as_of, profile), args.runs)
    from pharmacy_app.indicators.agreement_detail import load_agreements_view

    # What the agreements page asks the worker for when it opens (ui/agreements/page.py
    # load_view): compute_agreements plus the selected products' names for the rows.
    report("agreements page data (load_agreements_view)",
           lambda: load_agreements_view(conn, as_of, profile), args.runs)
    report("compute_indicators warm (every section)",
           lambda: compute_indicators(conn, as_of, profile), args.runs)
    f = figures[0].to_json()
    print({k: f[k] for k in ("generic", "selected_qty", "non_selected_qty", "progress")})


def report(label: str, call, runs: int) -> None:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    print(f"{label}: median {statistics.median(times):.3f} s, min {min(times):.3f} s, "
          f"max {max(times):.3f} s")


if __name__ == "__main__":
    main()
