"""Loading checked rows straight into their table, inside the import's one transaction.

Purchases and payments are written chunk by chunk as they are checked: each
chunk of valid rows goes to the real table with one `executemany` of an
INSERT … ON CONFLICT upsert (the unique key decides insert or update in
SQLite; no Python look-up of existing keys, no staging table). The import
stays atomic because every write is inside the import's transaction: as soon
as one row is bad, writing stops, checking goes on to report every bad row,
and the transaction is rolled back. Chunks of a clean file are written once.

Bulk-load measures, all undone or restored before COMMIT so the schema and
every other writer see exactly what the migrations created:

- Triggers that by their WHEN clause do nothing for a bulk import's rows
  (migration 0003's change-log triggers and 0007's summary triggers:
  `WHEN new.batch_id IS NULL` on insert, `WHEN new.batch_id IS old.batch_id
  OR new.batch_id IS NULL` on update — a bulk import always stamps a new
  batch id) are dropped for the transaction and re-created from their stored
  SQL before it commits. Even when their WHEN is false SQLite runs each
  trigger's sub-program per row.
- When the file is at least as big as the table, the table's plain
  (non-unique) indexes are dropped and re-created after the load: CREATE
  INDEX sorts once, while a million inserts at random places of a B-tree
  split pages all over it. A small file into a big table keeps them.
- INSERT OR FAIL: no statement journal per row (the import's transaction is
  rolled back on any failure anyway); updated_at and batch_id are literals,
  not a per-row `strftime(… 'localtime')` default; uuids are time-ordered
  (version 7) so the uuid index is appended to, not written at random.

SYNC-1 (migration 0003): the change log of each chunk is written set-based
right after it — inserted rows as the rowid range above the chunk's start,
updated rows (only when the chunk updated any) by probing the unique key
with the chunk's keys, which costs in proportion to the chunk, not the
table. Unchanged rows keep their version and batch id and log nothing.
Rows inserted by this import have ids above the table's maximum before it;
rows it updated carry its batch id (what the purchase summaries rely on).

Measured figures are in bench/import_bench.py's docstring.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .columns import hash_rows, hash_strings
from .engine import Context, Counts, PipelinedImporter
from .reading import Chunk

log = logging.getLogger(__name__)

NOW = "strftime('%Y-%m-%d %H:%M:%S', 'now', 'localtime')"
# Plain indexes are rebuilt when the file has at least this share of the
# rows the table already holds (see the module docstring).
REBUILD_SHARE = 0.6
# Page cache (KiB) while a file's rows go into the kept indexes of a big
# table; the connection's own size is restored afterwards. (Loading into an
# empty table and rebuilding the indexes measured faster with the default.)
KEEP_INDEXES_CACHE_KIB = 65_536
# Helper threads SQLite may use to sort while it re-creates an index.
INDEX_SORT_THREADS = 2

# WHEN clauses (lower case, single spaces) of triggers that never fire for a
# bulk import's rows, by event.
NO_OP_FOR_BULK = {
    "insert": "new.batch_id is null",
    "update": "new.batch_id is old.batch_id or new.batch_id is null",
}
_TRIGGER_RE = re.compile(
    r"create trigger (?:if not exists )?\S+ after (?P<event>insert|update)(?: of [^;]*?)? on \S+"
    r" (?:for each row )?when (?P<when>.*?) begin "
)


def uuid7_prefix() -> tuple[str, int]:
    """The fixed part of this import's UUIDs and a random counter start.

    UUID = prefix + 12 hex digits of (start + the row's counter): 48-bit
    millisecond time, version 7, 12 + 14 random bits, then a 48-bit counter
    that starts at a random 40-bit value, so imports on different machines in
    the same millisecond still differ.
    """
    ms = int(time.time() * 1000) & ((1 << 48) - 1)
    rand_a = secrets.randbits(12)
    rand_b = secrets.randbits(14)
    prefix = f"{ms >> 16:08x}-{ms & 0xFFFF:04x}-7{rand_a:03x}-{0x8 | (rand_b >> 12):x}{rand_b & 0xFFF:03x}-"
    return prefix, secrets.randbits(40)


def _normalised(sql: str) -> str:
    return " ".join(sql.split()).lower() + " "


@dataclass
class Suspended:
    """Schema objects dropped for the load, with the SQL that re-creates them."""

    indexes: list[str] = field(default_factory=list)
    triggers: list[str] = field(default_factory=list)


class BulkTable:
    """Writes checked chunks of rows into `table` by upsert on `key`.

    `columns` are (column, value SQL) pairs in the order of the values each
    row gives, e.g. ("content_hash", "printf('%016x', ?)"). With `update`
    a row whose key exists replaces the other columns when its content_hash
    differs (and the version goes up); without, an existing key is left as
    it is (counted unchanged).
    """

    def __init__(
        self,
        ctx: Context,
        table: str,
        columns: Sequence[tuple[str, str]],
        key: Sequence[str],
        *,
        update: bool,
    ) -> None:
        self.ctx = ctx
        self.conn: sqlite3.Connection = ctx.conn
        self.table = table
        self.columns = list(columns)
        self.key = list(key)
        self.update = update
        self.counts = Counts()
        self.suspended = Suspended()
        self.seconds = {"write": 0.0, "log": 0.0, "index": 0.0}
        self._counter = 0
        self._old_cache: int | None = None

    # --- set-up and tear-down ---------------------------------------------------------

    def begin(self, batch_id: int, expected_rows: int) -> None:
        """Inside the transaction, before the first chunk."""
        conn = self.conn
        self.batch_id = batch_id
        self.at = conn.execute(f"SELECT {NOW}").fetchone()[0]
        low, high = conn.execute(f"SELECT min(id), max(id) FROM {self.table}").fetchone()
        self.top = int(high or 0)
        self.existing = 0 if high is None else int(high) - int(low) + 1
        self.expected = expected_rows
        self._suspend_triggers()
        # Into an empty table the plain indexes go at once; otherwise the first
        # chunk shows how much of the file is new (a re-import changes nothing).
        self._indexes_decided = self.existing == 0
        if self._indexes_decided:
            self._suspend_indexes()
        else:
            self._grow_cache()
        prefix, base = uuid7_prefix()
        self._sql = self._upsert_sql(prefix, base)
        self._log_inserts = (
            "INSERT INTO change_log (at, table_name, row_uuid, version, op) "
            f"SELECT ?, '{self.table}', uuid, version, 'insert' FROM {self.table} "
            "WHERE id > ? ORDER BY id"
        )
        on = " AND ".join(f"{k} = ?" for k in self.key)
        self._log_updates = (
            "INSERT INTO change_log (at, table_name, row_uuid, version, op) "
            f"SELECT ?, '{self.table}', uuid, version, 'update' FROM {self.table} "
            f"WHERE {on} AND batch_id = ? AND id <= ?"
        )

    def _suspend_triggers(self) -> None:
        rows = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
            "ORDER BY rowid",
            (self.table,),
        ).fetchall()
        for name, sql in rows:
            m = _TRIGGER_RE.match(_normalised(sql or ""))
            if m and NO_OP_FOR_BULK[m["event"]] == m["when"]:
                self.conn.execute(f'DROP TRIGGER "{name}"')
                self.suspended.triggers.append(sql)

    def _grow_cache(self) -> None:
        """A bigger page cache while rows go into the indexes of a big table."""
        self._old_cache = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        self.conn.execute(f"PRAGMA cache_size = -{KEEP_INDEXES_CACHE_KIB}")

    def close(self) -> None:
        """After the transaction, committed or not: the connection's cache size back."""
        if self._old_cache is not None:
            with contextlib.suppress(sqlite3.Error):  # the connection may be closed
                self.conn.execute(f"PRAGMA cache_size = {int(self._old_cache)}")
            self._old_cache = None

    def _suspend_indexes(self) -> None:
        rows = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL ORDER BY rowid",
            (self.table,),
        ).fetchall()
        for name, sql in rows:
            if _normalised(sql).startswith("create unique"):
                continue  # a constraint: kept, so a violation is caught where it happens
            self.conn.execute(f'DROP INDEX "{name}"')
            self.suspended.indexes.append(sql)

    def _upsert_sql(self, prefix: str, base: int) -> str:
        names = ["uuid", *(c for c, _ in self.columns), "batch_id", "updated_at"]
        values = [
            f"printf('{prefix}%012x', {base} + ?)",
            *(v for _, v in self.columns),
            str(int(self.batch_id)),
            f"'{self.at}'",
        ]
        sql = (
            # OR FAIL: a failing constraint stops the statement without rolling
            # it back, so SQLite keeps no statement journal for each row.
            f"INSERT OR FAIL INTO {self.table} ({', '.join(names)}) VALUES ({', '.join(values)}) "
        )
        if not self.update:
            return sql + f"ON CONFLICT ({', '.join(self.key)}) DO NOTHING"
        sets = ", ".join(f"{c} = excluded.{c}" for c, _ in self.columns if c not in self.key)
        return (
            sql + f"ON CONFLICT ({', '.join(self.key)}) DO UPDATE SET {sets}, "
            f"batch_id = excluded.batch_id, version = {self.table}.version + 1, "
            f"updated_at = excluded.updated_at "
            f"WHERE {self.table}.content_hash IS NOT excluded.content_hash"
        )

    def finish(self) -> Counts:
        """After the last chunk of a clean file: re-create what was dropped."""
        started = time.perf_counter()
        threads = self.conn.execute("PRAGMA threads").fetchone()[0]
        # CREATE INDEX sorts with helper threads when allowed: 0.5 s instead
        # of 0.7 s for a million rows' (code, ordered_at) on two cores.
        self.conn.execute(f"PRAGMA threads = {max(int(threads), INDEX_SORT_THREADS)}")
        try:
            for i, sql in enumerate(self.suspended.indexes):
                self.ctx.check_cancel()
                self.conn.execute(sql)
                self.ctx.write_progress((i + 1) / len(self.suspended.indexes))
        finally:
            self.conn.execute(f"PRAGMA threads = {int(threads)}")
        for sql in self.suspended.triggers:
            self.conn.execute(sql)
        self.suspended = Suspended()
        self.seconds["index"] += time.perf_counter() - started
        log.debug(
            "%s: %d rows written in %.2f s, change log %.2f s, indexes rebuilt in %.2f s",
            self.table,
            self._counter,
            self.seconds["write"],
            self.seconds["log"],
            self.seconds["index"],
        )
        return self.counts

    # --- writing ----------------------------------------------------------------------

    def write(
        self,
        columns: Sequence[Iterable],
        n: int,
        keys: Callable[[], Iterable[tuple]] | None = None,
    ) -> None:
        """Upsert one chunk: `columns` give the values in the order of `self.columns`.

        `keys()` gives each row's key values (in `self.key` order), asked for
        only when the chunk updated rows that were there before.
        """
        if n == 0:
            return
        conn = self.conn
        started = time.perf_counter()
        start_top = self.top
        counter = range(self._counter, self._counter + n)
        self._counter += n
        cur = conn.executemany(self._sql, zip(counter, *columns, strict=False))
        changed = max(cur.rowcount, 0)
        self.top = int(conn.execute(f"SELECT max(id) FROM {self.table}").fetchone()[0] or 0)
        inserted = self.top - start_top
        updated = changed - inserted
        logged = time.perf_counter()
        self.seconds["write"] += logged - started
        if inserted:
            conn.execute(self._log_inserts, (self.at, start_top))
        if updated > 0 and keys is not None:
            conn.executemany(
                self._log_updates,
                ((self.at, *k, self.batch_id, start_top) for k in keys()),
            )
        self.seconds["log"] += time.perf_counter() - logged
        self.counts.inserted += inserted
        self.counts.updated += updated
        self.counts.unchanged += n - changed
        if not self._indexes_decided:
            self._indexes_decided = True
            if changed / n * max(self.expected, n) >= self.existing * REBUILD_SHARE:
                self.close()  # the default cache size rebuilds faster
                self._suspend_indexes()


def constant(value: object) -> Iterable:
    """A column with the same value in every row."""
    return repeat(value)


def shared_texts(arr: pa.Array) -> list[str]:
    """The cells as Python strings, one object per distinct value.

    For columns with few distinct values (institution, product code,
    supplier) this is quicker than to_pylist(), and sqlite3 then encodes
    each distinct string to UTF-8 once instead of once a row.
    """
    encoded = pc.dictionary_encode(arr)
    values = np.array(encoded.dictionary.to_pylist(), dtype=object)
    return values[encoded.indices.to_numpy(zero_copy_only=False)].tolist()


@dataclass
class Shared:
    """A string column to pass to SQLite as shared_texts() (few distinct values)."""

    array: pa.Array


Column = pa.Array | np.ndarray | Shared | Iterable


def python_values(column: Column) -> Iterable:
    """A column as the Python values sqlite3 binds (lists are built here, lazily)."""
    if isinstance(column, Shared):
        return shared_texts(column.array)
    if isinstance(column, pa.Array):
        return column.to_pylist()
    if isinstance(column, np.ndarray):
        return column.tolist()
    return column


@dataclass
class Rows:
    """A checked chunk for BulkTable.write: its columns (in the table's order) and length.

    check() may leave columns as Arrow or numpy arrays; to_bind() turns them
    into the Python values sqlite3 binds, still on the checking thread.
    `key_columns` are the positions of the key's columns, for logging
    updated rows.
    """

    columns: list[Column]
    n: int
    key_columns: tuple[int, ...] = ()


class BulkImporter(PipelinedImporter):
    """An importer whose check() returns Rows, written at once through a BulkTable."""

    read_share = 0.9
    table: BulkTable
    keys: KeyIndex

    def open_table(
        self, table: str, columns: Sequence[tuple[str, str]], key: Sequence[str], *, update: bool
    ) -> None:
        self.keys = KeyIndex()
        self.table = BulkTable(self.ctx, table, columns, key, update=update)
        assert self.ctx.batch_id is not None
        self.table.begin(self.ctx.batch_id, self.ctx.source.estimated_rows)

    def duplicates(
        self, chunk: Chunk, good: np.ndarray, key_columns: list[pa.Array | np.ndarray]
    ) -> list[tuple[int, int]]:
        """(index in chunk, row number of its first occurrence) of good rows with a repeated key."""
        candidates = np.flatnonzero(good)
        if len(candidates) < len(good):
            key_columns = [_take(c, good) for c in key_columns]
        found = self.keys.check(key_columns, chunk.rows[candidates])
        return sorted((int(candidates[k]), first) for k, first in found.items())

    def to_bind(self, checked: object) -> object:
        assert isinstance(checked, Rows)
        return Rows([python_values(c) for c in checked.columns], checked.n, checked.key_columns)

    def store(self, checked: object) -> None:
        assert isinstance(checked, Rows)
        values = checked.columns
        keys = None
        if checked.key_columns:

            def keys() -> Iterable[tuple]:
                return zip(*(values[i] for i in checked.key_columns), strict=False)

        self.table.write(values, checked.n, keys)

    def write(self, batch_id: int) -> Counts:
        return self.table.finish()

    def close(self) -> None:
        if hasattr(self, "table"):
            self.table.close()


# --- duplicate keys inside one file -----------------------------------------------------


def _increasing(columns: Sequence[pa.Array | np.ndarray], *, length_first: bool) -> bool:
    """Whether the rows' keys are strictly increasing (so no key repeats).

    Strings compare byte-wise, or with `length_first` shorter before longer
    (so `9` < `10` as in a file sorted by number); both are total orders, so
    either one increasing proves the keys distinct.
    """
    n = len(columns[0])
    if n < 2:
        return True
    greater = np.zeros(n - 1, dtype=bool)
    equal = np.ones(n - 1, dtype=bool)
    for col in columns:
        if isinstance(col, np.ndarray):
            a, b = col[:-1], col[1:]
            col_gt, col_eq = b > a, b == a
        else:
            a, b = col.slice(0, n - 1), col.slice(1)
            gt = pc.greater(b, a).to_numpy(zero_copy_only=False)
            eq = pc.equal(b, a).to_numpy(zero_copy_only=False)
            if length_first:
                la = pc.binary_length(a).to_numpy(zero_copy_only=False)
                lb = pc.binary_length(b).to_numpy(zero_copy_only=False)
                col_gt = (lb > la) | ((lb == la) & gt)
                col_eq = eq
            else:
                col_gt, col_eq = gt, eq
        greater |= equal & col_gt
        equal &= col_eq
        if not (greater | equal).all():
            return False
    return bool(greater.all())


def _hashes(columns: Sequence[pa.Array | np.ndarray]) -> np.ndarray:
    return hash_rows([c if isinstance(c, np.ndarray) else hash_strings(c) for c in columns])


class KeyIndex:
    """Keys of the valid rows so far, to report a key repeated within one file.

    Exports are usually sorted by their key, so while every new key is
    greater than the one before (checked column-wise, ~10 ms a million rows)
    no key can have been seen and nothing else is done. The first time the
    order breaks, a sorted array of 64-bit key hashes is built from the keys
    kept so far and used from then on; a hash match is confirmed against the
    kept key values, so a collision can never report a false duplicate.
    Keys are kept as Arrow arrays / numpy arrays (~25 bytes a row).
    """

    def __init__(self) -> None:
        self.parts: list[list[pa.Array | np.ndarray]] = []
        self.part_rows: list[np.ndarray] = []
        self.starts: list[int] = []
        self.size = 0
        self.sorted = True
        # The orders (length_first or not) every key so far has been increasing in.
        self.orders = [False, True]
        self.hashes = np.zeros(0, dtype=np.int64)
        self.positions = np.zeros(0, dtype=np.int64)

    def _key(self, position: int) -> tuple:
        part = int(np.searchsorted(self.starts, position, side="right")) - 1
        offset = position - self.starts[part]
        return tuple(_value(c, offset) for c in self.parts[part])

    def _row(self, position: int) -> int:
        part = int(np.searchsorted(self.starts, position, side="right")) - 1
        return int(self.part_rows[part][position - self.starts[part]])

    def check(self, columns: list[pa.Array | np.ndarray], rows: np.ndarray) -> dict[int, int]:
        """Index in `columns` → row number of the first earlier row with the same key.

        Rows found here are left out of the index; the others are added.
        """
        n = len(rows)
        if n == 0:
            return {}
        if self.sorted:
            joined = columns
            if self.size:
                last = [_tail(c) for c in self.parts[-1]]
                joined = [_concat(a, b) for a, b in zip(last, columns, strict=True)]
            # The same order must hold from the first key to the last.
            self.orders = [o for o in self.orders if _increasing(joined, length_first=o)]
            if self.orders:
                self._keep(columns, rows)
                return {}
            self._build_index()
        hashes = _hashes(columns)
        found: dict[int, int] = {}
        if len(self.hashes):
            pos = np.searchsorted(self.hashes, hashes)
            pos = np.minimum(pos, len(self.hashes) - 1)
            for k in np.flatnonzero(self.hashes[pos] == hashes):
                p = int(pos[k])
                key = tuple(_value(c, int(k)) for c in columns)
                # Every position with this hash (collisions are possible).
                while p < len(self.hashes) and self.hashes[p] == hashes[k]:
                    if self._key(int(self.positions[p])) == key:
                        found[int(k)] = self._row(int(self.positions[p]))
                        break
                    p += 1
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        for j in np.flatnonzero(ordered[1:] == ordered[:-1]) + 1:
            k = int(order[j])
            if k in found:
                continue
            key = tuple(_value(c, k) for c in columns)
            first = j
            while first > 0 and ordered[first - 1] == ordered[j]:
                first -= 1
            for f in range(first, j):
                earlier = int(order[f])
                if tuple(_value(c, earlier) for c in columns) == key:
                    found[k] = int(rows[earlier])
                    break
        keep = np.ones(n, dtype=bool)
        if found:
            keep[list(found)] = False
        kept = [_take(c, keep) for c in columns] if found else columns
        start = self.size
        self._keep(kept, rows[keep])
        self._index(hashes[keep], np.arange(start, start + int(keep.sum()), dtype=np.int64))
        return found

    def _keep(self, columns: list[pa.Array | np.ndarray], rows: np.ndarray) -> None:
        if not len(rows):
            return
        self.parts.append(columns)
        self.part_rows.append(rows)
        self.starts.append(self.size)
        self.size += len(rows)

    def _build_index(self) -> None:
        self.sorted = False
        for columns, start in zip(self.parts, self.starts, strict=True):
            n = len(columns[0])
            self._index(_hashes(columns), np.arange(start, start + n, dtype=np.int64))

    def _index(self, hashes: np.ndarray, positions: np.ndarray) -> None:
        if not len(hashes):
            return
        order = np.argsort(hashes, kind="stable")
        hashes, positions = hashes[order], positions[order]
        at = np.searchsorted(self.hashes, hashes, side="right")
        self.hashes = np.insert(self.hashes, at, hashes)
        self.positions = np.insert(self.positions, at, positions)


def _value(col: pa.Array | np.ndarray, i: int) -> object:
    return col[i].item() if isinstance(col, np.ndarray) else col[i].as_py()


def _tail(col: pa.Array | np.ndarray) -> pa.Array | np.ndarray:
    return col[-1:] if isinstance(col, np.ndarray) else col.slice(len(col) - 1)


def _concat(a: pa.Array | np.ndarray, b: pa.Array | np.ndarray) -> pa.Array | np.ndarray:
    if isinstance(a, np.ndarray):
        return np.concatenate([a, b])
    return pa.concat_arrays([a, b])


def _take(col: pa.Array | np.ndarray, mask: np.ndarray) -> pa.Array | np.ndarray:
    return col[mask] if isinstance(col, np.ndarray) else pc.filter(col, pa.array(mask))
