"""Purchase summaries the indicators read instead of a million lines (migration 0007).

Why: `compute_indicators` re-aggregated every purchase line on every call
(1,000,000 lines: essential ~0.7 s, suppliers 1.5-5 s, payments 7-20 s).
Most of each figure depends only on the lines and payments, not on the
as-of date, so it is computed once per line (`purchase_facts`) and added up
per month (`ps_*` tables); a call adds up a few thousand summary rows plus
the lines of the as-of month, whose figures do depend on the as-of instant.

Correct after every write. The writers are many (the importers in bulk, the
demo generator, the window, tests writing SQL), so the summaries find out
for themselves what changed — `ensure_fresh` runs at the start of every
indicator call:

- rows with an id above the last one summarised (new lines, new payments);
- rows stamped with a batch id newer than the last import_batches row seen
  (a bulk re-import updating lines or payments in place);
- orders noted by the 0007 triggers (any write that is not a bulk stamp,
  and every delete), and product codes whose VBP flag changed.

The unit of refresh is the ORDER: PAY-0 spreads whole-order payments over
all lines of an order, so a changed line or payment changes its siblings'
paid amounts. The old rows of those orders are subtracted from the sums,
their lines recomputed and added back, in one transaction. Above
`FULL_REBUILD_ORDERS` changed orders, and above one changed order per
`FULL_REBUILD_LINES_PER_ORDER` lines in the table (a large import), everything
is rebuilt: patching costs ~0.11 ms an order, rebuilding ~0.013 ms a line
(1,000,000 lines: 20,000 orders patched in 2.2 s, 100,000 in 11 s; rebuilt
in ~10 s), so an import of a month into a year of lines is patched.
When the database cannot be written (read-only, locked) the indicators fall
back to computing from the lines (`ensure_fresh` returns None).

Hours buckets (SUP): `resp_b` / `deliv_b` are the hours from ordering to
response / delivery rounded UP, so "within H hours" (inclusive, RULES.md
SUP-1/2) is `0 <= bucket <= H` for whole hours H: exactly 24 h is bucket 24.
NO_EVENT codes a line never answered (never within, always late for SUP-3)
and UNKNOWN a stamp SQLite cannot read (neither; as the direct query).
A response before the order is bucket 0.

Limits, on purpose: a write that stamps a batch_id on existing rows must
add its import_batches row (the importers do; 0003 relies on the same
rule). PAY-0 cut-offs use the active profile's pay_window_days and
pay_settlement_day; a call with a profile that differs reads the lines. A
full rebuild of 1,000,000 lines takes ~10-11 s on the 2-core box and holds
the write lock meanwhile (WAL readers are not blocked).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from db import transaction

NO_EVENT = 1_000_000
UNKNOWN = -1
FULL_REBUILD_ORDERS = 20_000
FULL_REBUILD_LINES_PER_ORDER = 8
QTY_SCALE = 1_000_000

SCHEMA = 5  # summary_state 'schema' of the tables this module reads
_SUM_TABLES = ("ps_code_year", "ps_supplier_month", "ps_month", "ps_pay3", "ps_pay2_day")
_ALL_TABLES = ("purchase_facts", *_SUM_TABLES, "ps_pay2_orders")


@dataclass(frozen=True)
class SummaryInfo:
    """The summaries are current; built with these profile parameters (PAY-0 cut-offs)."""

    pay_window_days: int
    settlement_day: int


def _bucket_sql(stamp: str) -> str:
    """Hours from l.ordered_at to `stamp`, rounded up (see the module docstring).

    Whole seconds first (julianday is exact to ~50 µs here), so 24 h 0 s is
    bucket 24 and 24 h 1 s bucket 25. A stamp on the day of ordering is within
    any window of 24 h or more, as `suppliers.within_sql` says.
    """
    secs = f"max(CAST(round((julianday({stamp}) - julianday(l.ordered_at)) * 86400) AS INTEGER), 0)"
    same_day = f"substr({stamp}, 1, 10) = substr(l.ordered_at, 1, 10)"
    return (
        f"CASE WHEN {stamp} IS NULL THEN {NO_EVENT} "
        f"ELSE coalesce(min(({secs} + 3599) / 3600, {NO_EVENT - 1}, "
        f"CASE WHEN {same_day} THEN 24 ELSE {NO_EVENT - 1} END), "
        f"CASE WHEN {same_day} THEN 24 ELSE {UNKNOWN} END) END"
    )


def _state(conn: sqlite3.Connection) -> dict[str, object]:
    return {k: v for k, v in conn.execute("SELECT key, value FROM summary_state")}


def _max_id(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0])


def _profile_params(conn: sqlite3.Connection) -> tuple[int, int]:
    from pharmacy_app.policy import active_profile

    profile = active_profile(conn)
    return int(profile["pay_window_days"]), int(profile["pay_settlement_day"])


def _has_tables(conn: sqlite3.Connection) -> bool:
    """Migration 0007 applied, in the form this module reads.

    A file whose summary tables have an older layout (written by a build of
    this feature in development) has them dropped and created afresh from
    the migration's own DDL: they hold derived data only, rebuilt on the
    next refresh. Without write access the figures come from the lines.
    """
    if conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'summary_state'"
    ).fetchone() is None:
        return False
    if state_value(conn, "schema") == SCHEMA:
        return True
    try:
        with _optional_write(conn):
            if state_value(conn, "schema") != SCHEMA:
                _recreate(conn)
    except sqlite3.OperationalError as exc:
        if not _cannot_write(exc):
            raise
        return False
    return True


# Tables of earlier development layouts, dropped with the rest.
FORMER_OBJECTS = ("purchase_paid_steps", "ps_code_month")


def _recreate(conn: sqlite3.Connection) -> None:
    from db.connection import applied_migrations
    from db.steps import m0007_purchase_summary as step
    from db.steps.m0012_summary_triggers_upsert_safe import replace_triggers

    objects = conn.execute(
        """SELECT type, name FROM sqlite_master
           WHERE type IN ('table', 'trigger') AND name IN (SELECT value FROM json_each(?))""",
        (json.dumps([*step.OBJECTS, *FORMER_OBJECTS]),),
    ).fetchall()
    for kind, name in sorted(objects, key=lambda o: o[0] != "trigger"):
        conn.execute(f"DROP {kind.upper()} IF EXISTS {name}")
    for statement in step.statements():
        conn.execute(statement)
    # The triggers as migration 0012 rewrote them, if this file has had it.
    if "0012_summary_triggers_upsert_safe" in applied_migrations(conn):
        replace_triggers(conn)


def _is_current(conn: sqlite3.Connection, state: dict[str, object],
                params: tuple[int, int]) -> bool:
    if not state.get("built"):
        return False
    if (state.get("pay_window_days"), state.get("settlement_day")) != params:
        return False
    if (state.get("lines_max_id"), state.get("payments_max_id"), state.get("batches_max_id")) != (
        _max_id(conn, "purchase_lines"), _max_id(conn, "payments"), _max_id(conn, "import_batches")
    ):
        return False
    return (
        conn.execute("SELECT 1 FROM summary_dirty_orders LIMIT 1").fetchone() is None
        and conn.execute("SELECT 1 FROM summary_dirty_codes LIMIT 1").fetchone() is None
    )


def ensure_fresh(conn: sqlite3.Connection) -> SummaryInfo | None:
    """Bring the summaries up to date with the lines, payments and products.

    None when they cannot be used: the schema predates migration 0007, or
    the refresh could not write (a read-only connection, a locked file) —
    the caller then computes from the lines directly.
    """
    if not _has_tables(conn):
        return None
    try:
        params = _profile_params(conn)
    except sqlite3.OperationalError as exc:  # the profile could not be stored
        if not _cannot_write(exc):
            raise
        return None
    state = _state(conn)
    if _is_current(conn, state, params):
        return SummaryInfo(*params)
    try:
        with _optional_write(conn):
            state = _state(conn)  # another connection may have refreshed meanwhile
            if not _is_current(conn, state, params):
                _refresh(conn, state, params)
    except sqlite3.OperationalError as exc:
        if not _cannot_write(exc):
            raise
        return None
    return SummaryInfo(*params)


# Summaries and caches are written only when the write lock is free at once: while
# another program holds it (an import in another window), the figures come from the
# lines — correct, if slower — instead of each waiting out the 5 s busy timeout.
OPTIONAL_WRITE_WAIT_MS = 200


@contextmanager
def _optional_write(conn: sqlite3.Connection) -> Iterator[None]:
    """transaction(conn) that gives up after OPTIONAL_WRITE_WAIT_MS on a held lock."""
    if conn.in_transaction:  # joins the caller's transaction: it holds the lock already
        yield
        return
    old = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute(f"PRAGMA busy_timeout = {OPTIONAL_WRITE_WAIT_MS}")
    try:
        with transaction(conn):
            conn.execute(f"PRAGMA busy_timeout = {int(old)}")  # the lock is ours
            yield
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(old)}")


def _cannot_write(exc: sqlite3.OperationalError) -> bool:
    """A refresh that failed for want of write access, not for a fault of its own."""
    text = str(exc).lower()
    return any(w in text for w in ("readonly", "read-only", "locked", "busy"))


def rebuild(conn: sqlite3.Connection) -> SummaryInfo | None:
    """Rebuild every summary from scratch (tests, and after a schema repair)."""
    if not _has_tables(conn):
        return None
    params = _profile_params(conn)
    with transaction(conn):
        _full(conn, params)
        _save_state(conn, params)
    return SummaryInfo(*params)


def _refresh(conn: sqlite3.Connection, state: dict[str, object], params: tuple[int, int]) -> None:
    """Patch the summaries for the orders changed since `state`, or rebuild them."""
    if not state.get("built") or (
        state.get("pay_window_days"), state.get("settlement_day")) != params:
        _full(conn, params)
        _save_state(conn, params)
        return
    batches_max = int(state.get("batches_max_id") or 0)
    if _max_id(conn, "import_batches") < batches_max:
        _full(conn, params)  # batches were removed: ids may be reused, trust nothing
        _save_state(conn, params)
        return
    conn.execute("DROP TABLE IF EXISTS temp.ps_scope")
    conn.execute("CREATE TEMP TABLE ps_scope (order_id TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.execute("INSERT OR IGNORE INTO temp.ps_scope SELECT order_id FROM summary_dirty_orders")
    conn.execute(
        """INSERT OR IGNORE INTO temp.ps_scope
           SELECT order_id FROM purchase_lines
           WHERE code IN (SELECT code FROM summary_dirty_codes)""")
    conn.execute("INSERT OR IGNORE INTO temp.ps_scope SELECT order_id FROM purchase_lines WHERE id > ?",
                 (int(state.get("lines_max_id") or 0),))
    conn.execute("INSERT OR IGNORE INTO temp.ps_scope SELECT order_id FROM payments WHERE id > ?",
                 (int(state.get("payments_max_id") or 0),))
    if _max_id(conn, "import_batches") > batches_max:
        for table in ("purchase_lines", "payments"):
            conn.execute(
                f"INSERT OR IGNORE INTO temp.ps_scope SELECT order_id FROM {table} WHERE batch_id > ?",
                (batches_max,))
    changed = conn.execute("SELECT count(*) FROM temp.ps_scope").fetchone()[0]
    if changed > FULL_REBUILD_ORDERS and (
        changed * FULL_REBUILD_LINES_PER_ORDER
        > conn.execute("SELECT count(*) FROM purchase_lines").fetchone()[0]
    ):
        _full(conn, params)
    elif changed:
        _apply_scope(conn, -1)
        for table in ("purchase_facts", "ps_pay2_orders"):
            conn.execute(f"DELETE FROM {table} WHERE order_id IN (SELECT order_id FROM temp.ps_scope)")
        _compute(conn, params, "WHERE l.order_id IN (SELECT order_id FROM temp.ps_scope)")
        _apply_scope(conn, +1)
        for table in _SUM_TABLES:
            empty = " + ".join(f"n{m}" for m in _MONTHS) if table == "ps_code_year" else "lines"
            conn.execute(f"DELETE FROM {table} WHERE {empty} = 0")
    conn.execute("DROP TABLE IF EXISTS temp.ps_scope")
    _save_state(conn, params)


def _save_state(conn: sqlite3.Connection, params: tuple[int, int]) -> None:
    """Record what the summaries now cover: the watermarks `_is_current` compares."""
    conn.execute("DELETE FROM summary_dirty_orders")
    conn.execute("DELETE FROM summary_dirty_codes")
    values = {
        "built": 1,
        "pay_window_days": params[0],
        "settlement_day": params[1],
        "lines_max_id": _max_id(conn, "purchase_lines"),
        "payments_max_id": _max_id(conn, "payments"),
        "batches_max_id": _max_id(conn, "import_batches"),
    }
    conn.executemany(
        "INSERT INTO summary_state (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        list(values.items()),
    )


# Page cache for a full rebuild (KiB): purchase_facts is clustered by time, so
# lines imported out of time order land all over its B-tree; with SQLite's
# default 2 MB cache each of a million inserts re-reads and spills pages
# (12 s for 1,000,000 lines in random order, ~3 s with the B-tree in memory).
FULL_REBUILD_CACHE_KIB = 256 * 1024


def _full(conn: sqlite3.Connection, params: tuple[int, int]) -> None:
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = -{FULL_REBUILD_CACHE_KIB}")
    try:
        for table in _ALL_TABLES:
            conn.execute(f"DELETE FROM {table}")
        # The order index is built once at the end, not row by row (~1 s of ~3).
        conn.execute("DROP INDEX IF EXISTS purchase_facts_order")
        _compute(conn, params, "")
        conn.execute("CREATE INDEX purchase_facts_order ON purchase_facts(order_id)")
        _aggregate(conn, "", +1, upsert=False)
        _pay2_orders(conn, "")
    finally:
        conn.execute(f"PRAGMA cache_size = {cache}")


def _apply_scope(conn: sqlite3.Connection, sign: int) -> None:
    """Add (+1) or subtract (-1) the scope orders' facts to / from the monthly sums."""
    where = "WHERE order_id IN (SELECT order_id FROM temp.ps_scope)"
    _aggregate(conn, where, sign, upsert=True)
    if sign > 0:
        _pay2_orders(conn, "AND order_id IN (SELECT order_id FROM temp.ps_scope)")


# Each summary: (table, key columns, value expressions over purchase_facts, extra WHERE).
# ps_code_year reads the facts added up per month first (_CODE_MONTHS): its 36
# filtered sums then run over a few thousand rows, not once per line
# (1,000,000 lines: 0.6 s instead of 3.3 s).
_MONTHS = [f"{m:02d}" for m in range(1, 13)]
_CODE_MONTHS = (
    "(SELECT institution_code, month, code, sum(amount_fen) AS amount_fen, "
    "sum(qty_u) AS qty_u, count(*) AS lines FROM purchase_facts {where} "
    "GROUP BY institution_code, month, code)"
)
_AGGREGATES = (
    ("ps_code_year", ("institution_code", "substr(month, 1, 4)", "code"),
     tuple(f"coalesce(sum({e}) FILTER (WHERE substr(month, 6, 2) = '{m}'), 0)"
           for e in ("amount_fen", "qty_u", "lines") for m in _MONTHS),
     tuple(f"{k}{m}" for k in "aqn" for m in _MONTHS), ""),
    ("ps_month", ("institution_code", "month"),
     ("sum(amount_fen)", "sum(CASE WHEN offline THEN amount_fen ELSE 0 END)", "count(*)"),
     ("amount_fen", "offline_fen", "lines"), ""),
    ("ps_pay3", ("institution_code", "month", "delivered_day"),
     ("sum(amount_fen)", "sum(paid_w)", "count(*)"), ("due_fen", "paid_w", "lines"),
     "delivered_day IS NOT NULL"),
    ("ps_pay2_day", ("institution_code", "delivered_day"),
     ("sum(amount_fen)", "sum(paid_deadline)", "sum(paid_final)", "count(*)"),
     ("amount_fen", "paid_deadline", "paid_final", "lines"),
     "vbp AND delivered_day IS NOT NULL"),
    # SUP: every line once by response hours (kind 1), once by delivery hours (kind 2).
    ("ps_supplier_month", ("institution_code", "month", "supplier", "1", "resp_b"),
     ("count(*)",), ("lines",), ""),
    ("ps_supplier_month", ("institution_code", "month", "supplier", "2", "deliv_b"),
     ("count(*)",), ("lines",), ""),
)
_KEY_COLUMNS = {
    "ps_supplier_month": ("institution_code", "month", "supplier", "kind", "bucket"),
    "ps_code_year": ("institution_code", "year", "code"),
}


def _upsert(conn: sqlite3.Connection, table: str, keys: tuple[str, ...], exprs: tuple[str, ...],
            columns: tuple[str, ...], where: str, sign: int, *, upsert: bool) -> None:
    target_keys = _KEY_COLUMNS.get(table, keys)
    group = ", ".join(k for k in keys if not k.isdigit())
    values = ", ".join(f"{sign} * {e}" for e in exprs)
    source = f"purchase_facts {where}"
    if table == "ps_code_year":
        source = _CODE_MONTHS.format(where=where)
    sql = (f"INSERT INTO {table} ({', '.join(target_keys)}, {', '.join(columns)}) "
           f"SELECT {', '.join(keys)}, {values} FROM {source} GROUP BY {group}")
    if upsert:
        sql += (f" ON CONFLICT ({', '.join(target_keys)}) DO UPDATE SET "
                + ", ".join(f"{c} = {c} + excluded.{c}" for c in columns))
    conn.execute(sql)


def _aggregate(conn: sqlite3.Connection, where: str, sign: int, *, upsert: bool) -> None:
    for table, keys, exprs, columns, extra in _AGGREGATES:
        condition = where
        if extra:
            condition = f"{where} AND {extra}" if where else f"WHERE {extra}"
        _upsert(conn, table, keys, exprs, columns, condition, sign, upsert=upsert)


def _pay2_orders(conn: sqlite3.Connection, and_where: str) -> None:
    conn.execute(
        f"""INSERT INTO ps_pay2_orders (institution_code, month, order_id, supplier, amount_fen,
                                        paid_deadline, paid_final, last_paid_on)
            SELECT institution_code, delivered_month, order_id, min(supplier), sum(amount_fen),
                   sum(paid_deadline), sum(paid_final), max(last_paid_on)
            FROM purchase_facts WHERE vbp AND delivered_day IS NOT NULL {and_where}
            GROUP BY institution_code, delivered_month, order_id""")


def _paid_sql(direct: str, whole: str) -> str:
    """PAY-0 of line l with `direct` line payments and `whole` order payments (payments.paid_sql)."""
    return (f"min(l.amount_fen, {direct} + CASE WHEN t.total > 0 "
            f"THEN ({whole}) * l.amount_fen / t.total ELSE 0 END)")


def _compute(conn: sqlite3.Connection, params: tuple[int, int], where: str) -> None:
    """Facts of the lines `where` selects (whole orders, alias l), PAY-0 included."""
    window_days, settlement_day = params
    for name in ("ps_totals", "ps_paid"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
    conn.execute("CREATE TEMP TABLE ps_totals (order_id TEXT PRIMARY KEY, total) WITHOUT ROWID")
    # Order totals spread whole-order payments (PAY-0): only orders with payments need one.
    paid = "l.order_id IN (SELECT order_id FROM payments)"
    conn.execute(f"INSERT INTO temp.ps_totals SELECT l.order_id, sum(l.amount_fen) "
                 f"FROM purchase_lines l {where} {'AND' if where else 'WHERE'} {paid} "
                 f"GROUP BY l.order_id")
    pay_scope = where.replace("l.order_id", "p.order_id")
    conj = "AND" if pay_scope else "WHERE"
    # Each payment date of a line changes its PAY-0 amount by `delta`: the
    # amount with the payments up to that date less the amount without that
    # date's payments (running sums, one window pass). PAY-0 by a cut-off is
    # then the sum of the changes dated on or before it, as paid_sql gives.
    # Rows of one line and date may repeat (a line and a whole-order payment,
    # two payments a day): the changes still add up to the right amounts.
    running_d, running_w = "sum(direct) OVER w", "sum(whole) OVER w"
    after = _paid_sql(running_d, running_w)
    before = _paid_sql(f"({running_d} - direct)", f"{running_w} - whole")
    conn.execute("CREATE TEMP TABLE ps_paid (id INTEGER PRIMARY KEY, final, w, deadline, last_on)")
    conn.execute(
        f"""INSERT INTO temp.ps_paid
            WITH ev AS (
                SELECT l.id, p.paid_on, p.amount_fen AS direct, 0 AS whole,
                       l.amount_fen, t.total, l.delivered_at
                FROM payments p JOIN purchase_lines l
                     ON l.order_id = p.order_id AND l.line_no = p.line_no
                     JOIN temp.ps_totals t ON t.order_id = p.order_id
                {pay_scope} {conj} p.line_no <> ''
                UNION ALL
                SELECT l.id, p.paid_on, 0, p.amount_fen, l.amount_fen, t.total, l.delivered_at
                FROM payments p JOIN purchase_lines l ON l.order_id = p.order_id
                     JOIN temp.ps_totals t ON t.order_id = p.order_id
                {pay_scope} {conj} p.line_no = ''),
            steps AS (
                SELECT id, paid_on, delivered_at,
                       {after.replace("l.amount_fen", "amount_fen").replace("t.total", "total")}
                       - {before.replace("l.amount_fen", "amount_fen").replace("t.total", "total")}
                       AS delta
                FROM ev
                WINDOW w AS (PARTITION BY id ORDER BY paid_on ROWS UNBOUNDED PRECEDING))
            SELECT id, sum(delta),
                   sum(delta) FILTER (WHERE paid_on <= date(delivered_at, '+{window_days} days')),
                   sum(delta) FILTER (WHERE paid_on <= date(delivered_at, 'start of month',
                                                            '+1 month', '+{settlement_day - 1} days')),
                   max(paid_on) FILTER (WHERE delta <> 0)
            FROM steps GROUP BY id""")
    vbp = "EXISTS (SELECT 1 FROM products v WHERE v.code = l.code AND v.is_vbp = 1)"
    conn.execute(
        f"""INSERT INTO purchase_facts
            SELECT l.institution_code, l.ordered_at, l.id, l.order_id, l.code,
                   substr(l.ordered_at, 1, 7), l.amount_fen,
                   CAST(round(l.qty * {QTY_SCALE}) AS INTEGER), l.supplier,
                   l.channel = 'offline', {_bucket_sql('l.responded_at')},
                   {_bucket_sql('l.delivered_at')},
                   substr(l.delivered_at, 1, 10), substr(l.delivered_at, 1, 7), {vbp},
                   min(l.amount_fen, 0) + coalesce(p.final, 0),
                   min(l.amount_fen, 0) + coalesce(p.w, 0),
                   min(l.amount_fen, 0) + coalesce(p.deadline, 0), p.last_on
            FROM purchase_lines l LEFT JOIN temp.ps_paid p ON p.id = l.id {where}""")
    for name in ("ps_totals", "ps_paid"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{name}")


def month_split(start: dt.date, end: dt.date) -> tuple[str, str, list[tuple[str, str]]]:
    """[start, end] as whole months for the summaries plus edge spans for purchase_facts.

    Returns (first full month, month after the last full month, edges) with
    months as 'YYYY-MM' (an empty month range when first >= after) and edges
    as [from, to) stamp-text ranges of ordered_at.
    """
    first_full = start if start.day == 1 else _month_after(start)
    after_end = end + dt.timedelta(days=1)
    after_full = after_end if after_end.day == 1 else after_end.replace(day=1)
    if first_full >= after_full:
        return "", "", [(start.isoformat(), after_end.isoformat())]
    edges = []
    if start < first_full:
        edges.append((start.isoformat(), first_full.isoformat()))
    if after_full < after_end:
        edges.append((after_full.isoformat(), after_end.isoformat()))
    return first_full.isoformat()[:7], after_full.isoformat()[:7], edges


def _month_after(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def edges_sql(edges: list[tuple[str, str]], column: str = "ordered_at") -> tuple[str, list[str]]:
    """SQL condition (and its parameters) for `column` inside any of the edge spans."""
    if not edges:
        return "0", []
    params: list[str] = []
    for lo, hi in edges:
        params += [lo, hi]
    return "(" + " OR ".join(f"({column} >= ? AND {column} < ?)" for _ in edges) + ")", params


def state_value(conn: sqlite3.Connection, key: str) -> object:
    row = conn.execute("SELECT value FROM summary_state WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def products_generation(conn: sqlite3.Connection) -> int | None:
    """How many product changes the 0007 triggers have counted (None before 0007)."""
    if not _has_tables(conn):
        return None
    value = state_value(conn, "products_gen")
    return None if value is None else int(value)


def specs_stamp(generation: int) -> str:
    """What the stored 品规 were built from: the catalogue's generation and the key rules.

    A build that normalises 规格 differently (essential_match.KEY_RULES) must
    not read 品规 grouped by the old rules, though the catalogue is unchanged.
    """
    from pharmacy_app.essential_match import KEY_RULES

    return f"{generation}:{KEY_RULES}"


def store_specs(conn: sqlite3.Connection, generation: int, rows: list[tuple],
                raw: list[tuple]) -> None:
    """Keep the catalogue's 品规 and raw groups (essential.stored_catalogue_specs) for
    products `generation`.

    Skipped when the database cannot be written: the caller has its rows anyway.
    """
    try:
        with _optional_write(conn):
            if products_generation(conn) != generation:
                return  # the catalogue changed while the rows were computed
            conn.execute("DELETE FROM ps_catalogue_specs")
            conn.executemany(
                """INSERT INTO ps_catalogue_specs (key_name, key_form, key_spec, generic_name,
                       dosage_form, specification, essential, codes)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""", rows)
            conn.execute("DELETE FROM ps_catalogue_raw")
            conn.executemany(
                """INSERT INTO ps_catalogue_raw (generic_name, dosage_form, specification, codes)
                   VALUES (?, ?, ?, ?)""", raw)
            conn.execute(
                "INSERT INTO summary_state (key, value) VALUES ('specs_gen', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (specs_stamp(generation),))
    except sqlite3.OperationalError as exc:
        if not _cannot_write(exc):
            raise


def product_flags_current(conn: sqlite3.Connection) -> bool:
    """Bring ps_product_flags (the drugs' ED-5 flags by code) up to the catalogue.

    False when it could not be rebuilt (read-only): read products instead.
    """
    gen = products_generation(conn)
    if gen is None:
        return False
    if gen == state_value(conn, "flags_gen"):
        return True
    try:
        with _optional_write(conn):
            gen = products_generation(conn)
            conn.execute("DELETE FROM ps_product_flags")
            conn.execute(
                """INSERT INTO ps_product_flags
                   SELECT code, id, is_essential, originator, negotiated, is_vbp, conversion
                   FROM products WHERE kind = 'drug'""")
            conn.execute(
                "INSERT INTO summary_state (key, value) VALUES ('flags_gen', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (gen,))
    except sqlite3.OperationalError as exc:
        if not _cannot_write(exc):
            raise
        return False
    return True


def stored_raw_groups(conn: sqlite3.Connection) -> list[tuple[str, str, str, str]] | None:
    """The active drugs' raw (name, form, spec) groups kept with the 品规, if current.

    (name, form, spec, codes joined by U+001F), or None when the catalogue
    changed since they were stored (essential.stored_catalogue_specs stores them).
    """
    gen = products_generation(conn)
    if gen is None or specs_stamp(gen) != state_value(conn, "specs_gen"):
        return None
    cur = conn.cursor()
    cur.row_factory = None
    try:
        return cur.execute(
            "SELECT generic_name, dosage_form, specification, codes FROM ps_catalogue_raw "
            "ORDER BY seq").fetchall()
    finally:
        cur.close()


SUMMARISED_IMPORTS = frozenset({"purchases", "payments", "catalogue"})
"""The import kinds whose rows the summaries are built from (lines, payments,
and the products' flags)."""


def is_current(conn: sqlite3.Connection) -> bool:
    """True when the summaries match the lines, payments and products now."""
    if not _has_tables(conn):
        return False
    return _is_current(conn, _state(conn), _profile_params(conn))


def refresh_after_import(conn: sqlite3.Connection, kind: str) -> bool:
    """Bring the summaries up to date right after an import of `kind`.

    Why here and not at the next figure: after a large import the refresh
    takes seconds (~10 s for a million lines on the bench machine), and the
    user expects that wait while importing, with its own progress label —
    not when they next open the dashboard. Returns whether a refresh ran.
    """
    if kind not in SUMMARISED_IMPORTS or not _has_tables(conn) or is_current(conn):
        return False
    return ensure_fresh(conn) is not None
