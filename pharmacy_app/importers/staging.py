"""Bulk upsert through a TEMP staging table, inside the import's one transaction.

Streaming a big file means rows are validated chunk by chunk; staging them
keeps the import atomic (nothing reaches the real table until every row has
passed) without holding the file in memory. The staged rows then go to the
real table with INSERT … SELECT … ON CONFLICT in steps of CHUNK_ROWS, so
progress and cancel keep working while SQLite does the heavy part. One
statement per 50,000 rows is also what makes it fast: an executemany of
single-row upserts straight into purchase_lines pays the trigger set-up and
change_log's AUTOINCREMENT bookkeeping once per row, and measured slower
than staging plus INSERT … SELECT even though that handles every row twice.

Measured on 1,000,000 purchase lines (tests/importers/timing_check.py,
2 shared cores; the sqlite3 CLI's .import of the same CSV into a plain table
took 3.0-5.1 s): staging is ~2.7 s of executemany. Before migration 0003 the
upsert into purchase_lines took 10-16 s, of which the per-row change_log
trigger was ~5-7 s and the two secondary indexes ~4-5 s (3.7 s without
both), and COMMIT ~3 s, nearly all of it the WAL checkpoint. Since 0003 the
batch is logged set-based by log_changes() (~1.2-1.5 s a million rows),
purchase_lines_time is gone (upsert ~7.7 s) and the checkpoint runs after
COMMIT, off the import's path (engine.deferred_checkpoint). New
rows get time-ordered UUIDs (RFC 9562 version 7, counter method): with the
schema's random v4 default every insert landed on a random page of the uuid
index and the upsert took ~18 s instead of ~11 s.

Finding the batch's changed rows for the log, measured on 1,000,000 rows:
new rows as the rowid range above the old maximum, 1.2-1.3 s (generating
their UUIDs from the staging rowids instead, 1.5-1.8 s); updated rows by
probing the unique key with each staged row, 2.1-2.6 s for a million
updates, vs 1.6-2.0 s for a scan of the table for the batch_id. The probe is
kept: it costs in proportion to the file, the scan to the whole table (a
50,000-line monthly file into a table of millions), and an index on
batch_id would cost every import its upkeep.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from itertools import compress

import numpy as np

from .engine import Context, Counts, Importer
from .reading import CHUNK_ROWS, Chunk

log = logging.getLogger(__name__)

STAGE = "temp.import_stage"
NOW = "strftime('%Y-%m-%d %H:%M:%S', 'now', 'localtime')"
# Page cache while bulk loading (KiB, negative = size): the indexes of a
# million-row table then stay in memory. Restored afterwards.
BULK_CACHE_KIB = 65_536


def uuid7_prefix() -> tuple[str, int]:
    """The fixed part of this import's UUIDs and a random counter start.

    UUID = prefix + 12 hex digits of (start + staged rowid): 48-bit
    millisecond time, version 7, 12 + 14 random bits, then a 48-bit counter
    that starts at a random 40-bit value, so imports on different machines in
    the same millisecond still differ.
    """
    ms = int(time.time() * 1000) & ((1 << 48) - 1)
    rand_a = secrets.randbits(12)
    rand_b = secrets.randbits(14)
    prefix = f"{ms >> 16:08x}-{ms & 0xFFFF:04x}-7{rand_a:03x}-{0x8 | (rand_b >> 12):x}{rand_b & 0xFFF:03x}-"
    return prefix, secrets.randbits(40)


class Staging:
    def __init__(
        self,
        ctx: Context,
        target: str,
        columns: Sequence[str],
        key: Sequence[str],
        *,
        hashed: bool,
    ) -> None:
        """`columns` are staged in this order; `content_hash` (int) is last when `hashed`."""
        self.ctx = ctx
        self.conn: sqlite3.Connection = ctx.conn
        self.target = target
        self.columns = list(columns)
        self.key = list(key)
        self.hashed = hashed
        self.staged = 0
        self._old_cache: int | None = None

    @property
    def staged_columns(self) -> list[str]:
        return self.columns + (["content_hash"] if self.hashed else [])

    def create(self) -> None:
        self.conn.execute(f"DROP TABLE IF EXISTS {STAGE}")
        self.conn.execute(f"CREATE TEMP TABLE import_stage ({', '.join(self.staged_columns)})")
        self._insert = f"INSERT INTO {STAGE} VALUES ({', '.join('?' * len(self.staged_columns))})"
        self._old_cache = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        self.conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")

    def add(self, rows: Iterable[tuple]) -> None:
        cur = self.conn.executemany(self._insert, rows)
        self.staged += max(cur.rowcount, 0)

    def fetch(self, rowids: Sequence[int], columns: Sequence[str]) -> list[tuple]:
        """Staged values by rowid (1-based staging order), for cross-chunk checks."""
        out: list[tuple] = []
        for start in range(0, len(rowids), 900):
            part = list(rowids[start : start + 900])
            marks = ",".join("?" * len(part))
            out.extend(
                self.conn.execute(
                    f"SELECT rowid, {', '.join(columns)} FROM {STAGE} WHERE rowid IN ({marks})",
                    part,
                ).fetchall()
            )
        return out

    def _upsert_sql(self) -> str:
        select = [*self.columns]
        cols = [*self.columns]
        if self.hashed:
            cols.append("content_hash")
            select.append("printf('%016x', content_hash)")
        # OR FAIL: a failing constraint stops the statement without rolling it
        # back, so SQLite keeps no statement journal (~1 s per million rows);
        # the import's own transaction is rolled back on any error anyway.
        insert = (
            f"INSERT OR FAIL INTO {self.target} (uuid, {', '.join(cols)}, batch_id) "
            f"SELECT printf('%s%012x', :prefix, :base + rowid), {', '.join(select)}, :batch "
            f"FROM {STAGE} WHERE rowid > :lo AND rowid <= :hi "
        )
        if not self.hashed:
            return insert + "ON CONFLICT DO NOTHING"
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in self.key)
        return (
            insert + f"ON CONFLICT({', '.join(self.key)}) DO UPDATE SET {updates}, "
            f"batch_id = excluded.batch_id, version = {self.target}.version + 1, updated_at = {NOW} "
            f"WHERE {self.target}.content_hash IS NOT excluded.content_hash"
        )

    def write(self, batch_id: int, on_step: Callable[[float], None] | None = None) -> Counts:
        """Upsert every staged row; unchanged rows keep their version and log nothing."""
        sql = self._upsert_sql()
        started = time.perf_counter()
        # New rows get ids above the current maximum (INTEGER PRIMARY KEY), so
        # "inserted by this import" is a rowid range: no count(*) scans.
        top = self.conn.execute(f"SELECT coalesce(max(id), 0) FROM {self.target}").fetchone()[0]
        prefix, base = uuid7_prefix()
        changed = 0
        for lo in range(0, self.staged, CHUNK_ROWS):
            self.ctx.check_cancel()
            cur = self.conn.execute(
                sql,
                {
                    "prefix": prefix,
                    "base": base,
                    "batch": batch_id,
                    "lo": lo,
                    "hi": lo + CHUNK_ROWS,
                },
            )
            changed += cur.rowcount
            if on_step is not None:
                on_step(min((lo + CHUNK_ROWS) / max(self.staged, 1), 1.0))
        inserted = self.conn.execute(
            f"SELECT count(*) FROM {self.target} WHERE id > ?", (top,)
        ).fetchone()[0]
        upserted = time.perf_counter()
        self.log_changes(batch_id, top, updated=changed - inserted)
        log.debug(
            "upsert of %d staged rows into %s: %.2f s, change log %.2f s",
            self.staged,
            self.target,
            upserted - started,
            time.perf_counter() - upserted,
        )
        return Counts(
            inserted=inserted, updated=changed - inserted, unchanged=self.staged - changed
        )

    def log_changes(self, batch_id: int, top: int, *, updated: int) -> None:
        """SYNC-1 for this batch: one change_log row per inserted or updated row.

        Migration 0003's triggers skip rows a bulk import writes (they carry
        the new batch_id), so the log is written here, set-based, in the
        import's own transaction: a rolled-back import leaves no log rows.
        Inserted rows are the rowid range above `top`; updated rows (only
        when there are any) are found by probing the table's unique key with
        each staged row, which costs in proportion to the file, not the table.
        Unchanged rows keep their batch_id and are not logged.
        """
        # The time once, as a value: strftime(… 'localtime') per row cost ~0.5 s a million.
        at = self.conn.execute(f"SELECT {NOW}").fetchone()[0]
        head = (
            "INSERT INTO change_log (at, table_name, row_uuid, version, op) "
            f"SELECT ?, '{self.target}', t.uuid, t.version, "
        )
        self.conn.execute(
            head + f"'insert' FROM {self.target} AS t WHERE t.id > ? AND t.batch_id = ? "
            "ORDER BY t.id",
            (at, top, batch_id),
        )
        if updated <= 0:
            return
        on = " AND ".join(f"t.{k} = s.{k}" for k in self.key)
        # CROSS JOIN keeps the staging table outermost: one index probe per staged row.
        self.conn.execute(
            head + f"'update' FROM {STAGE} AS s CROSS JOIN {self.target} AS t ON {on} "
            "WHERE t.batch_id = ? AND t.id <= ? ORDER BY s.rowid",
            (at, batch_id, top),
        )

    def drop(self) -> None:
        self.conn.execute(f"DROP TABLE IF EXISTS {STAGE}")
        self.restore_cache()

    def restore_cache(self) -> None:
        if self._old_cache is not None:
            self.conn.execute(f"PRAGMA cache_size = {self._old_cache}")
            self._old_cache = None


class KeyIndex:
    """Keys of the rows staged so far, to catch a key repeated within one file.

    Holds a sorted array of 64-bit key hashes with each row's number and
    staging rowid (24 bytes a row instead of a Python set of strings); a hash
    match is confirmed against the staged key values, so a hash collision can
    never report a false duplicate.
    """

    def __init__(self, staging: Staging, key_columns: Sequence[str]) -> None:
        self.staging = staging
        self.key_columns = list(key_columns)
        self.hashes = np.zeros(0, dtype=np.int64)
        self.rows = np.zeros(0, dtype=np.int64)
        self.rowids = np.zeros(0, dtype=np.int64)

    def duplicates(
        self, hashes: np.ndarray, rows: np.ndarray, key_at: Callable[[int], tuple]
    ) -> dict[int, int]:
        """Position in `hashes` → row number of an earlier row with the same key."""
        found: dict[int, int] = {}
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        if len(self.hashes) and len(hashes):
            # Searching sorted needles walks the index in order: far fewer cache misses.
            pos = np.empty(len(hashes), dtype=np.int64)
            pos[order] = np.searchsorted(self.hashes, ordered)
            pos = np.minimum(pos, len(self.hashes) - 1)
            hit = np.flatnonzero(self.hashes[pos] == hashes)
            if len(hit):
                stored = {
                    r[0]: tuple(r[1:])
                    for r in self.staging.fetch(self.rowids[pos[hit]].tolist(), self.key_columns)
                }
                for k in hit:
                    p = int(pos[k])
                    if stored.get(int(self.rowids[p])) == key_at(int(k)):
                        found[int(k)] = int(self.rows[p])
        for j in np.flatnonzero(ordered[1:] == ordered[:-1]) + 1:
            k = int(order[j])
            if k in found:
                continue
            first = j
            while first > 0 and ordered[first - 1] == ordered[j]:
                first -= 1
            for f in range(first, j):
                earlier = int(order[f])
                if key_at(earlier) == key_at(k):
                    found[k] = int(rows[earlier])
                    break
        return found

    def add(self, hashes: np.ndarray, rows: np.ndarray, first_rowid: int) -> None:
        """Remember rows just staged (rowids first_rowid, first_rowid+1, …)."""
        if not len(hashes):
            return
        rowids = np.arange(first_rowid, first_rowid + len(hashes), dtype=np.int64)
        order = np.argsort(hashes, kind="stable")
        hashes, rows, rowids = hashes[order], rows[order], rowids[order]
        at = np.searchsorted(self.hashes, hashes, side="right")
        self.hashes = np.insert(self.hashes, at, hashes)
        self.rows = np.insert(self.rows, at, rows)
        self.rowids = np.insert(self.rowids, at, rowids)


class StagedImporter(Importer):
    """An importer that checks chunks into a Staging table and upserts from it.

    Purchases and payments share this tail: valid rows of a chunk are staged
    and their keys remembered (duplicate keys across chunks), then one
    set-based write, then the staging table is dropped.
    """

    staging: Staging
    keys: KeyIndex

    def stage_valid(self, chunk: Chunk, rows: Iterable[tuple], bad: np.ndarray,
                    key_hash: np.ndarray) -> None:
        good = ~bad
        first_rowid = self.staging.staged + 1
        self.staging.add(compress(rows, good.tolist()) if bad.any() else rows)
        self.keys.add(key_hash[good], chunk.rows[good], first_rowid)

    def write(self, batch_id: int) -> Counts:
        return self.staging.write(batch_id, self.ctx.write_progress)

    def cleanup(self) -> None:
        self.staging.drop()

    def close(self) -> None:
        if hasattr(self, "staging"):
            self.staging.restore_cache()
