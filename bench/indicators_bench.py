"""Indicator speed: `compute_indicators` over 100,000 products and 1,000,000 purchase lines.

The dashboard, the PDF and `pharmacy-app indicators` all compute the figures
with `pharmacy_app.indicators.compute_indicators`; the target is < 0.5 s on a
large installation. This builds such a database directly with SQL
`executemany` (it is the query time that is measured here, not the importer;
bench/import_bench.py covers that): the schema and bundled reference data via
`open_store`, a grassroots institution, 100,000 products made from the demo
catalogue's real names, forms and specifications (so the bundled essential
list matches some of them), and 1,000,000 purchase lines from 2025-01-01 to
2026-06-30, so both the year to date and the same span a year before have
data. Everything is deterministic (seeded).

It prints `compute_indicators(conn, 2026-06-30)` cold (first call after the
purchase summaries were dropped, as after a 1,000,000-line import: it
rebuilds them; then the first call on a new connection), after a small
import and a delete (incremental refresh), warm (several runs), warm again on 2026-09-30 (the bundled
2026 essential list takes effect on 2026-09-01, so only then does ED-2
matching run), the time of each step inside it, and the
wall time of the command line `pharmacy-app --db X indicators --as-of
2026-06-30 --json`. With --profile it prints the cProfile top functions of a
warm call.

    .venv/bin/python bench/indicators_bench.py [--products 100000] [--lines 1000000]
        [--runs 5] [--db PATH (reused if it exists)] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = dt.date(2026, 6, 30)
# The bundled 2026 list takes effect on 2026-09-01: on AS_OF no list is in
# force and ED-2 matching does not run, so it is also timed on this date.
LIST_AS_OF = dt.date(2026, 9, 30)
INSTITUTION = "H46010001"
OTHER_INSTITUTION = "H46010002"
FIRST_DAY = dt.date(2025, 1, 1)
SUPPLIERS = [
    "国药控股海南有限公司",
    "华润海南医药有限公司",
    "上药控股海南有限公司",
    "九州通医药集团海南有限公司",
]
TARGET_S = 0.5  # the essential section
WHOLE_TARGET_S = 1.0  # every section

PRODUCT_SQL = """INSERT INTO products (code, kind, generic_name, dosage_form, specification,
    package, conversion, manufacturer, is_essential, is_vbp, vbp_batch, consistency,
    originator, negotiated, price, active, pinyin)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
LINE_SQL = """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, price,
    amount_fen, ordered_at, responded_at, delivered_at, supplier, channel)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""


def product_rows(n: int, seed: int):
    """The demo catalogue cycled with other makers and specifications; unique codes."""
    from pharmacy_app.catalogue import pinyin_initials
    from pharmacy_app.demo import MAKERS, build_catalogue

    rng = random.Random(seed)
    base = [item.product for item in build_catalogue()]
    makers = sorted(MAKERS.values())
    for i in range(n):
        p = base[i % len(base)]
        first_round = i < len(base)
        maker = p.manufacturer if first_round else makers[rng.randrange(len(makers))]
        # Later rounds add other strengths too, so 品规 counting has work to do.
        spec = p.specification if first_round or rng.random() < 0.7 else f"{rng.randrange(1, 99)}mg"
        width = 11 if p.kind == "drug" else 15
        price = rng.randrange(50, 50_000)
        yield (
            f"{p.code[:12]}{i:0{width}d}",
            p.kind,
            p.generic_name,
            p.dosage_form,
            spec,
            p.package,
            p.conversion,
            maker,
            int(p.is_essential or rng.random() < 0.1),
            int(rng.random() < 0.2),
            "",
            int(rng.random() < 0.3),
            int(rng.random() < 0.1),
            int(p.negotiated),
            f"{price / 100:.2f}",
            int(rng.random() < 0.9),
            f"{pinyin_initials(p.generic_name)} {pinyin_initials(maker)}",
        )


def line_rows(n: int, codes: list[str], seed: int):
    """~4 lines per order, spread evenly over 2025-01-01 … 2026-06-30; a third of
    the products bought, some far more often than others."""
    rng = random.Random(seed)
    bought = rng.sample(codes, len(codes) // 3)
    days = (AS_OF - FIRST_DAY).days + 1
    for i in range(n):
        order, line = divmod(i, 4)
        day = FIRST_DAY + dt.timedelta(days=order * 4 * days // n)
        hour = 8 + rng.randrange(9)
        if i % 2:  # half the lines buy the best sellers
            code = bought[min(int(rng.paretovariate(1.2)) - 1, len(bought) - 1)]
        else:
            code = bought[rng.randrange(len(bought))]
        qty = rng.randrange(1, 200)
        price_fen = rng.randrange(100, 20_000)
        stamp = f"{day.isoformat()} {hour:02d}:{rng.randrange(60):02d}:00"
        yield (
            f"PO{order:09d}",
            str(line + 1),
            OTHER_INSTITUTION if i % 20 == 0 else INSTITUTION,
            code,
            float(qty),
            f"{price_fen / 100:.2f}",
            qty * price_fen,
            stamp,
            stamp if i % 50 else None,
            stamp if i % 40 else None,
            SUPPLIERS[i % len(SUPPLIERS)],
            "offline" if i % 33 == 0 else "online",
        )


def build_db(path: Path, n_products: int, n_lines: int, seed: int) -> None:
    from db import transaction
    from pharmacy_app.institutions import init_institution
    from pharmacy_app.store import open_store

    conn = open_store(path)
    try:
        init_institution(conn, INSTITUTION, "海口市秀英区长流镇卫生院", "grassroots")
        with transaction(conn):
            conn.execute(
                "INSERT INTO institutions (code, name, level) VALUES (?, ?, 'secondary')",
                (OTHER_INSTITUTION, "海口市第四人民医院"),
            )
            start = time.perf_counter()
            conn.executemany(PRODUCT_SQL, product_rows(n_products, seed))
            print(f"  {n_products:,} products in {time.perf_counter() - start:.1f} s")
            codes = [r[0] for r in conn.execute("SELECT code FROM products ORDER BY id")]
            start = time.perf_counter()
            conn.executemany(LINE_SQL, line_rows(n_lines, codes, seed + 1))
            print(f"  {n_lines:,} purchase lines in {time.perf_counter() - start:.1f} s")
    finally:
        conn.close()


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def steps(conn, as_of: dt.date) -> list[tuple[str, float]]:
    """compute_essential's steps, timed one by one (same calls, same order)."""
    from pharmacy_app.indicators import essential as ed
    from pharmacy_app.indicators import require_institution
    from pharmacy_app.indicators.periods import natural_year_to_date
    from pharmacy_app.policy import active_profile

    out = []
    t, inst = timed(require_institution, conn)
    t2, _profile = timed(active_profile, conn)
    out.append(("institution + profile", t + t2))
    period = natural_year_to_date(as_of)
    t, specs = timed(ed.stored_catalogue_specs, conn)
    out.append((f"catalogue 品规 (ED-1, {len(specs):,})", t))
    from pharmacy_app import purchase_summary

    t, _ = timed(purchase_summary.ensure_fresh, conn)
    out.append(("summaries up to date? (check)", t))
    t, (now, _trend) = timed(lambda: ed.summary_amounts_by_code(
        conn, inst.code, period, with_months=True))
    out.append((f"purchases this year ({len(now):,} drugs, ED-4 months)", t))
    t, (before, _) = timed(ed.summary_amounts_by_code, conn, inst.code, period.shifted_years(-1))
    out.append((f"purchases year before ({len(before):,} drugs)", t))
    t, _ = timed(ed.structure_from_codes, now, before)
    out.append(("use structure (ED-5)", t))
    t, products = timed(ed.load_products, conn)
    out.append((f"load_products (lazy: UI/what-if) ({len(products):,})", t))
    t, (entries, _name, _from) = timed(ed.list_entries, conn, LIST_AS_OF, products)
    out.append((f"list_entries on {LIST_AS_OF} ({len(entries or ()):,})", t))
    return out


def sections(conn, as_of: dt.date, runs: int) -> list[tuple[str, float]]:
    """Each section of compute_indicators alone, warm (median of `runs`)."""
    from pharmacy_app.indicators import require_institution
    from pharmacy_app.indicators.agreements import compute_agreements
    from pharmacy_app.indicators.essential import compute_essential
    from pharmacy_app.indicators.payments import compute_payments
    from pharmacy_app.indicators.suppliers import compute_suppliers
    from pharmacy_app.policy import active_profile

    inst, profile = require_institution(conn), active_profile(conn)
    calls = (
        ("essential (ED)", lambda: compute_essential(conn, inst, as_of, profile)),
        ("agreements (AV)", lambda: compute_agreements(conn, inst.code, as_of, profile)),
        ("suppliers (SUP)", lambda: compute_suppliers(conn, inst, as_of, profile)),
        ("payments (PAY)", lambda: compute_payments(conn, inst, as_of, profile)),
    )
    return [(name, statistics.median(timed(call)[0] for _ in range(runs))) for name, call in calls]


def cli_command(db: Path) -> list[str]:
    script = Path(sys.executable).with_name("pharmacy-app")
    entry = [str(script)] if script.exists() else [sys.executable, "-m", "pharmacy_app"]
    return [*entry, "--db", str(db), "indicators", "--as-of", AS_OF.isoformat(), "--json"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="warm runs and CLI runs (default 5)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--db", type=Path, help="database to use; built there if missing, kept")
    parser.add_argument("--profile", action="store_true", help="cProfile one warm call")
    args = parser.parse_args(argv)

    tmp = None
    if args.db is None:
        tmp = Path(tempfile.mkdtemp(prefix="indicators_bench_"))
        db = tmp / "pharmacy.db"
    else:
        db = args.db
    try:
        if not db.exists():
            print(f"building {db}")
            start = time.perf_counter()
            build_db(db, args.products, args.lines, args.seed)
            print(
                f"  built in {time.perf_counter() - start:.1f} s, {db.stat().st_size / 1e6:.0f} MB"
            )
        run(db, args)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def forget_summaries(conn) -> None:
    """Make the next call rebuild every purchase summary, as after a 1,000,000-line import."""
    from db import transaction

    with transaction(conn):
        conn.execute("UPDATE summary_state SET value = 0 WHERE key = 'built'")
        conn.execute("UPDATE summary_state SET value = -1 WHERE key = 'specs_gen'")


def add_lines(conn, n: int) -> None:
    """A small bulk import: n new lines of one batch (what the importer writes)."""
    from db import transaction

    codes = [r[0] for r in conn.execute(
        "SELECT code FROM products WHERE kind = 'drug' ORDER BY id LIMIT 500")]
    with transaction(conn):
        batch = conn.execute(
            """INSERT INTO import_batches (kind, file, sha256, rows_total, inserted, updated,
                   unchanged) VALUES ('bench', 'bench', '', ?, ?, 0, 0)""", (n, n)).lastrowid
        conn.executemany(
            LINE_SQL.replace("channel)", "channel, batch_id)").replace("?)", "?, ?)"),
            [(f"BENCH{i:06d}", "1", INSTITUTION, codes[i % len(codes)], 2.0, "1.00", 200,
              f"2026-06-{1 + i % 29:02d} 10:00:00", None, None, SUPPLIERS[0], "online", batch)
             for i in range(n)])


def run(db: Path, args: argparse.Namespace) -> None:
    from pharmacy_app.store import open_store

    t_open, conn = timed(open_store, db)
    try:
        from pharmacy_app.indicators import compute_indicators

        forget_summaries(conn)
        refresh, result = timed(compute_indicators, conn, AS_OF)
        conn.close()
        conn = open_store(db)
        cold, result = timed(compute_indicators, conn, AS_OF)
        warm = [timed(compute_indicators, conn, AS_OF)[0] for _ in range(args.runs)]
        add_lines(conn, 1000)
        after_import = timed(compute_indicators, conn, AS_OF)[0]
        conn.execute("DELETE FROM purchase_lines WHERE order_id LIKE 'BENCH%'")
        after_delete = timed(compute_indicators, conn, AS_OF)[0]
        figures = result["essential"]
        print(
            f"\nas of {AS_OF}: 品规 {figures['catalogue_specs']:,} "
            f"(基药 {figures['essential_specs']:,}), list entries matched "
            f"{figures['list_entries_matched']}/{figures['list_entries']}, "
            f"amount share {figures['amount_share']}"
        )
        print(f"\n{'compute_indicators':<40}{'seconds':>9}")
        print(f"{'open_store (not included below)':<40}{t_open:>9.3f}")
        print(f"{'cold: first call after a 1M import':<40}{refresh:>9.3f}")
        print(f"{'  (builds every purchase summary)':<40}")
        print(f"{'cold: first call, new connection':<40}{cold:>9.3f}")
        print(f"{'first call after a 1,000-line import':<40}{after_import:>9.3f}")
        print(f"{'first call after deleting them (SQL)':<40}{after_delete:>9.3f}")
        print(f"{'warm median of ' + str(len(warm)):<40}{statistics.median(warm):>9.3f}")
        print(f"{'warm min / max':<40}{min(warm):>9.3f} / {max(warm):.3f}")
        from pharmacy_app.indicators import require_institution
        from pharmacy_app.indicators.essential import compute_essential
        from pharmacy_app.policy import active_profile

        inst, profile = require_institution(conn), active_profile(conn)
        essential = [timed(compute_essential, conn, inst, AS_OF, profile)[0]
                     for _ in range(args.runs)]
        print(f"{'essential section alone, warm median':<40}{statistics.median(essential):>9.3f}")
        listed = [timed(compute_indicators, conn, LIST_AS_OF)[0] for _ in range(args.runs)]
        print(
            f"{'warm median on ' + str(LIST_AS_OF) + ' (list)':<40}"
            f"{statistics.median(listed):>9.3f}"
        )

        print(f"\n{'section (warm median)':<40}{'seconds':>9}")
        for name, seconds in sections(conn, AS_OF, args.runs):
            print(f"{name:<40}{seconds:>9.3f}")

        print(f"\n{'step (warm)':<40}{'seconds':>9}")
        for name, seconds in steps(conn, AS_OF):
            print(f"{name:<40}{seconds:>9.3f}")

        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(compute_indicators, conn, AS_OF)
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
            print("\ncProfile, one warm call, by cumulative time:")
            print(text.getvalue())
    finally:
        conn.close()

    cli = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run(cli_command(db), check=True, capture_output=True, timeout=300, cwd=ROOT)
        cli.append(time.perf_counter() - start)
    print(f"{'CLI indicators --json wall, median':<40}{statistics.median(cli):>9.3f}")
    print(f"{'CLI min / max':<40}{min(cli):>9.3f} / {max(cli):.3f}")
    ed_warm = statistics.median(essential)
    verdict = "OK" if ed_warm < TARGET_S else "OVER TARGET"
    print(f"\nessential section warm {ed_warm:.3f} s (target < {TARGET_S} s): {verdict}")
    verdict = "OK" if statistics.median(warm) < WHOLE_TARGET_S else "OVER TARGET"
    print(
        f"compute_indicators warm {statistics.median(warm):.3f} s, cold {cold:.3f} s "
        f"(after a 1M import {refresh:.3f} s), CLI {statistics.median(cli):.3f} s "
        f"(target < {WHOLE_TARGET_S} s): {verdict}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
