"""Catalogue search speed: every keystroke on 100,000 products, and column sorts.

The catalogue page answers each keystroke from `CatalogueIndex.search` on the
main thread, so a slow search freezes typing. This builds an index the way
`load_index` does (FIELDS tuples, pinyin initials of name and maker, dosage
form initials) over 100,000 deterministic products made from the demo
catalogue's real generic names, forms, specifications and manufacturers, then
types queries one letter at a time — pinyin initials, Chinese, a code prefix —
with the filters off and on, and prints the median and slowest time of each
keystroke over several runs. Target: < 50 ms per keystroke.

It also times the first sort of a column (the sort order is computed once,
then cached) and the same sort again from the cache, and taking one edited
and one new product into the loaded index (`CatalogueIndex.apply`, what the
catalogue page does after a save instead of reloading every product).

    .venv/bin/python bench/search_bench.py [--rows 100000] [--runs 7] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pharmacy_app.catalogue import pinyin_initials  # noqa: E402
from pharmacy_app.catalogue_search import (  # noqa: E402
    FIELDS,
    CatalogueIndex,
    Filters,
    IndexChanges,
)

TARGET_MS = 50.0
SORT_COLUMNS = ("generic_name", "manufacturer", "price", "code")


def catalogue_rows(n: int, seed: int) -> list[tuple]:
    """`n` FIELDS tuples: the demo catalogue's products cycled with other makers,
    flags drawn at realistic rates, unique 23-character drug / 27-character
    consumable codes."""
    from pharmacy_app.demo import MAKERS, build_catalogue

    rng = random.Random(seed)
    base = [item.product for item in build_catalogue()]
    makers = sorted(MAKERS.values())
    rows = []
    for i in range(n):
        p = base[i % len(base)]
        maker = p.manufacturer if i < len(base) else makers[rng.randrange(len(makers))]
        width = 11 if p.kind == "drug" else 15
        code = f"{p.code[:12]}{i:0{width}d}"
        values = {
            "id": i + 1,
            "version": 1,
            "code": code,
            "kind": p.kind,
            "generic_name": p.generic_name,
            "dosage_form": p.dosage_form,
            "specification": p.specification,
            "package": p.package,
            "conversion": p.conversion,
            "manufacturer": maker,
            "is_essential": int(p.is_essential or rng.random() < 0.1),
            "is_vbp": int(rng.random() < 0.2),
            "vbp_batch": "第九批" if rng.random() < 0.2 else "",
            "consistency": int(rng.random() < 0.3),
            "originator": int(rng.random() < 0.1),
            "negotiated": int(p.negotiated),
            "price": None if rng.random() < 0.02 else str(rng.randrange(1, 100_000) / 100),
            "active": int(rng.random() < 0.9),
            "pinyin": f"{pinyin_initials(p.generic_name)} {pinyin_initials(maker)}",
        }
        rows.append(tuple(values[f] for f in FIELDS))
    rng.shuffle(rows)
    return rows


def build_index(rows: list[tuple]) -> CatalogueIndex:
    """As load_index builds it (rows in load order, code ranks made on the worker)."""
    forms = {str(r[FIELDS.index("dosage_form")]) for r in rows}
    forms.discard("")
    p, c = FIELDS.index("pinyin"), FIELDS.index("code")
    rows = sorted(rows, key=lambda r: (r[p], r[c]))
    index = CatalogueIndex(rows, form_initials={f: pinyin_initials(f) for f in forms})
    index._code_rank()
    return index


def _row_at(index: CatalogueIndex, position: int) -> list[object]:
    return [index.value(position, f) for f in FIELDS]


def _edited(index: CatalogueIndex, run: int) -> IndexChanges:
    """A new maker and price for one product (as the product dialog saves it)."""
    row = _row_at(index, (run * 7919) % len(index))
    row[FIELDS.index("manufacturer")] = f"新厂家{run}制药有限公司"
    row[FIELDS.index("pinyin")] = f"{str(row[FIELDS.index('pinyin')]).split(' ')[0]} xcj{run}"
    row[FIELDS.index("price")] = f"{run + 1}.5"
    return IndexChanges([tuple(row)], {}, 0, len(index))


def _added(index: CatalogueIndex, run: int) -> IndexChanges:
    row = _row_at(index, run)
    row[FIELDS.index("id")] = 10_000_000 + run
    row[FIELDS.index("code")] = f"XZ99ZZZ999Z{run:012d}"
    return IndexChanges([tuple(row)], {}, 0, len(index) + 1)


def typed(text: str) -> list[str]:
    """What the search box holds after each keystroke of `text`."""
    return [text[: i + 1] for i in range(len(text))]


def scenarios(code_prefix: str) -> list[tuple[str, Filters, str | None, list[str]]]:
    off = Filters(active=None)
    on = Filters(kind="drug", is_essential=True)
    out = []
    for label, filters, sort in (
        ("off", off, None),
        ("active", Filters(), None),
        ("drug+基药", on, None),
        ("drug+基药, sorted 通用名", on, "generic_name"),
    ):
        for keys in (typed("amxl"), typed("阿莫"), typed(code_prefix)):
            out.append((label, filters, sort, keys))
    return out


def time_keystrokes(
    index: CatalogueIndex, filters: Filters, sort: str | None, keys: list[str], runs: int
) -> list[tuple[str, int, list[float]]]:
    """Each run starts from an empty box, then types `keys` in order, so the
    index narrows the previous answer as it does for a user."""
    times: list[list[float]] = [[] for _ in keys]
    counts = [0] * len(keys)
    for _ in range(runs):
        index.search("", filters, sort=sort)
        for k, query in enumerate(keys):
            start = time.perf_counter()
            found = index.search(query, filters, sort=sort)
            times[k].append((time.perf_counter() - start) * 1000)
            counts[k] = len(found)
    return [(q, counts[k], times[k]) for k, q in enumerate(keys)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="products (default 100000)")
    parser.add_argument("--runs", type=int, default=7, help="runs per keystroke (default 7)")
    parser.add_argument("--seed", type=int, default=7, help="data seed (default 7)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    rows = catalogue_rows(args.rows, args.seed)
    made = time.perf_counter() - start
    start = time.perf_counter()
    index = build_index(rows)
    built = time.perf_counter() - start
    print(f"{len(index):,} products: rows made in {made:.2f} s, index built in {built:.2f} s")

    drug_codes = [
        index.value(p, "code") for p in range(len(index)) if index.value(p, "kind") == "drug"
    ]
    code_prefix = str(drug_codes[len(drug_codes) // 2])[:6].lower()

    # Sorts first: the sorted keystroke scenario then uses the cached order,
    # as the page does after the user's first click on a header.
    print()
    print(f"{'sort column':<14}{'first ms':>10}{'cached ms':>11}")
    for column in SORT_COLUMNS:
        start = time.perf_counter()
        index.search("", Filters(active=None), sort=column)
        first = (time.perf_counter() - start) * 1000
        cached = []
        for _ in range(args.runs):
            start = time.perf_counter()
            index.search("", Filters(active=None), sort=column)
            cached.append((time.perf_counter() - start) * 1000)
        print(f"{column:<14}{first:>10.1f}{statistics.median(cached):>11.1f}")

    print()
    print("taking changes into the index (every sort above cached):")
    for label, make in (("edit one product", _edited), ("add one product", _added)):
        times = []
        for run in range(args.runs):
            changes = make(index, run)
            start = time.perf_counter()
            assert index.apply(changes)
            index.search("", Filters(active=None), sort="generic_name")
            times.append((time.perf_counter() - start) * 1000)
        print(f"  {label:<18} median {statistics.median(times):6.1f} ms, max {max(times):6.1f} ms")
    print(
        f"  (a reload builds the whole index again: {built * 1000:.0f} ms here, plus the SQL read)"
    )

    print()
    print(f"{'filters':<24}{'query':<10}{'matches':>9}{'median ms':>11}{'max ms':>9}")
    worst = 0.0
    for label, filters, sort, keys in scenarios(code_prefix):
        for query, count, times in time_keystrokes(index, filters, sort, keys, args.runs):
            worst = max(worst, max(times))
            print(
                f"{label:<24}{query!r:<10}{count:>9,}"
                f"{statistics.median(times):>11.2f}{max(times):>9.2f}"
            )
    verdict = "OK" if worst < TARGET_MS else "OVER TARGET"
    print(f"\nslowest keystroke {worst:.1f} ms (target < {TARGET_MS:.0f} ms): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
