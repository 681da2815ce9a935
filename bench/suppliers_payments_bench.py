"""Time SUP and PAY figures on 1,000,000 synthetic purchase lines.

    .venv/bin/python bench/suppliers_payments_bench.py [/tmp/supbench.db]

The database is built once (about 90 s: 250,000 orders of 4 lines in 2026,
responses 0–40 h, deliveries 0–60 h, 1 in 30 offline, one payment per line
for most orders and one whole-order payment for a few) and reused.

compute_suppliers (SUP-1/2/3) and compute_payments (PAY-2/3/4) read the
purchase summaries (pharmacy_app/purchase_summary.py, migration 0007):
hours to response / delivery and PAY-0 at the fixed cut-offs stored per
line, summed per month. The first call after a large import rebuilds them
(printed as "cold"); later calls read them (warm). SUP-6 and the SUP-3 list
(alerts, drill-down) still read the lines.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from pathlib import Path

from db import open_db
from pharmacy_app.indicators import compute_indicators
from pharmacy_app.indicators.payments import compute_payments
from pharmacy_app.indicators.suppliers import (
    compute_suppliers,
    delayed_responses,
    products_over_supplier_limit,
)
from pharmacy_app.institutions import Institution, init_institution
from pharmacy_app.policy import builtin_profile

BUILD = [
    "INSERT INTO institutions (code, name, level) VALUES ('H1', '基准医院', 'tertiary')",
    """INSERT INTO import_batches (kind, file, sha256, rows_total, inserted, updated, unchanged)
       VALUES ('bench', 'bench', '', 0, 0, 0, 0)""",
    """INSERT INTO products (code, generic_name, is_vbp)
       WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 499)
       SELECT 'P' || i, 'g' || i, i % 3 = 0 FROM c""",
    """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, amount_fen,
                                   ordered_at, responded_at, delivered_at, supplier, channel,
                                   batch_id)
       WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 999999),
       x AS (SELECT i, i / 4 AS o, i % 4 + 1 AS ln,
                    datetime('2026-01-01', '+' || ((i / 4) * 120) || ' seconds') AS t FROM c)
       SELECT 'O' || o, ln, 'H1', 'P' || (abs(random()) % 500), 1,
              100 + abs(random()) % 100000, t,
              datetime(t, '+' || (abs(random()) % (40 * 3600)) || ' seconds'),
              CASE WHEN abs(random()) % 50 = 0 THEN NULL
                   ELSE datetime(t, '+' || (abs(random()) % (60 * 3600)) || ' seconds') END,
              'S' || (o % 7), CASE WHEN abs(random()) % 30 = 0 THEN 'offline' ELSE 'online' END,
              1
       FROM x""",
    """INSERT INTO payments (order_id, line_no, amount_fen, paid_on, batch_id)
       SELECT order_id, '', sum(amount_fen),
              date(max(delivered_at), '+' || (abs(random()) % 40) || ' days'), 1
       FROM purchase_lines WHERE delivered_at IS NOT NULL AND order_id LIKE '%1'
       GROUP BY order_id HAVING count(*) = 4 AND abs(random()) % 2 = 0""",
    """INSERT INTO payments (order_id, line_no, amount_fen, paid_on, batch_id)
       SELECT order_id, line_no, amount_fen,
              date(delivered_at, '+' || (abs(random()) % 40) || ' days'), 1
       FROM purchase_lines WHERE delivered_at IS NOT NULL AND order_id NOT LIKE '%1'""",
]


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/supbench.db")
    fresh = not path.exists()
    conn = open_db(path)
    if fresh:
        started = time.perf_counter()
        for statement in BUILD:
            conn.execute(statement)
        conn.commit()
        print(f"built {path} in {time.perf_counter() - started:.1f} s")
    inst, profile, as_of = Institution("H1", "基准医院", "tertiary"), builtin_profile(), dt.date(2026, 12, 10)
    init_institution(conn, inst.code, inst.name, inst.level)  # compute_indicators needs it
    # The purchase summaries dropped, as after a 1,000,000-line import.
    conn.execute("UPDATE summary_state SET value = 0 WHERE key = 'built'")
    started = time.perf_counter()
    compute_indicators(conn, as_of, profile)
    print(f"compute_indicators cold (first call after a 1M import, builds the summaries): "
          f"{time.perf_counter() - started:.2f} s")
    for name, run in (
        ("compute_suppliers", lambda: compute_suppliers(conn, inst, as_of, profile)),
        ("SUP-6 products_over_supplier_limit",
         lambda: products_over_supplier_limit(conn, inst, as_of, profile)),
        ("SUP-3 delayed_responses", lambda: delayed_responses(conn, inst, as_of, profile)),
        ("compute_payments", lambda: compute_payments(conn, inst, as_of, profile)),
        ("compute_indicators (every section)", lambda: compute_indicators(conn, as_of, profile)),
    ):
        times = []
        for _ in range(3):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        print(f"{name}: warm median {statistics.median(times):.2f} s (min {min(times):.2f} s)")


if __name__ == "__main__":
    main()
