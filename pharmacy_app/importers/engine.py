"""Running an import: one transaction, every error collected, nothing half-written.

The flow for every kind: open the file (ImportFailed if it cannot be read or
a required column is missing), then inside one BEGIN IMMEDIATE transaction
record the import in import_batches (its id is the batch_id the written rows
carry) and feed the rows chunk by chunk to the kind's importer, which
validates them and either keeps the good ones for write() (catalogue,
agreements, essential list) or writes them at once (purchases, payments:
bulk.py). If any row was bad the transaction is rolled back — the
import_batches row and anything written with it — and the result lists every
bad cell; otherwise the importer finishes writing, the import_batches row
gets its counts, and everything commits together. Cancelling rolls back too.
Progress and cancel are checked after every chunk (≤ 50,000 rows) and
between write steps.
"""

from __future__ import annotations

import logging
import os
import queue
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from db import transaction

from .columns import trimmed
from .reading import Chunk, Source, open_source
from .result import ImportCancelled, ImportFailed, ImportResult, RowError
from .spec import KindSpec, describe_missing, get_spec, missing_required, resolve_mapping

log = logging.getLogger(__name__)

MAX_KEPT_ERRORS = 100_000
# Share of the progress bar given to reading and checking; the rest is writing.
READ_SHARE = 0.5
# Pipelined importers check in a worker thread (False: all on the caller's thread).
PIPELINED = True
# Checked chunks a pipelined import lets wait for writing.
PIPELINE_DEPTH = 1

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


@dataclass
class Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


class _Rejected(Exception):
    """Raised inside the transaction to roll it back when rows were bad."""


class Context:
    """What an importer needs: the connection, the file, the mapping, and error sinks."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        spec: KindSpec,
        source: Source,
        mapping: dict[str, int],
        options: dict,
        result: ImportResult,
        progress: Progress | None,
        cancel: Cancel | None,
    ) -> None:
        self.conn = conn
        self.spec = spec
        self.source = source
        self.mapping = mapping
        self.options = options
        self.result = result
        self._progress = progress
        self._cancel = cancel
        self.rows_seen = 0
        self.batch_id: int | None = None
        self.read_share = READ_SHARE
        self._last_progress = -1
        self._rejected_seen = bytearray()

    @property
    def file(self) -> str:
        return self.source.name

    def has(self, field: str) -> bool:
        return field in self.mapping

    def column(self, chunk: Chunk, field: str) -> pa.Array | None:
        """The raw cells of `field` in this chunk, or None when the file has no such column."""
        index = self.mapping.get(field)
        if index is None or index >= len(chunk.columns):
            return None
        return chunk.columns[index]

    def texts(self, chunk: Chunk, field: str) -> list[str] | None:
        arr = self.column(chunk, field)
        return None if arr is None else trimmed(arr).to_pylist()

    def header(self, field: str | None) -> str | None:
        if field is None or field not in self.mapping:
            return None
        index = self.mapping[field]
        headers = self.source.headers
        return (
            headers[index] if index < len(headers) and headers[index] else self.spec.labels[field]
        )

    def error(
        self, chunk: Chunk, i: int, field: str | None, message: str, value: str | None = None
    ) -> None:
        """Record a bad cell of row `i` of `chunk` (value defaults to the cell's text)."""
        row = int(chunk.rows[i])
        self._keep_row(row, lambda: chunk.cells(i))
        if len(self.result.errors) >= MAX_KEPT_ERRORS:
            self.result.errors_omitted += 1  # past the cap: counted, nothing looked up
            return
        if value is None:
            arr = self.column(chunk, field) if field else None
            value = "" if arr is None else str(arr[i].as_py()).strip()
        self.add(RowError(self.file, row, self.header(field), field, value, message))

    def _keep_row(self, row: int, cells: Callable[[], list[str]]) -> None:
        """Keep the original cells of a rejected row; past the cap only count it.

        Rows already counted are marked in a bytearray (one byte a row), so a
        wholly wrong million-row file costs a megabyte here, not a set of ints.
        """
        seen = self._rejected_seen
        if row >= len(seen):
            seen.extend(bytes(max(row + 1 - len(seen), len(seen))))
        if seen[row]:
            return
        seen[row] = 1
        result = self.result
        if len(result.rejected_rows) < MAX_KEPT_ERRORS:
            result.rejected_rows[row] = cells()
        else:
            result.rejected_omitted += 1

    def errors(self, chunk: Chunk, field: str, issues: Iterable[tuple[int, str]]) -> np.ndarray:
        """Record (index, message) issues of one field; returns the indices."""
        bad = []
        for i, message in issues:
            self.error(chunk, i, field, message)
            bad.append(i)
        return np.array(bad, dtype=np.int64)

    def add(self, error: RowError) -> None:
        if len(self.result.errors) < MAX_KEPT_ERRORS:
            self.result.errors.append(error)
        else:
            self.result.errors_omitted += 1

    def reject_row(self, row: int, cells: list[str], message: str) -> None:
        """A row the reader itself could not split (wrong number of cells)."""
        self._keep_row(row, lambda: cells)
        self.add(RowError(self.file, row, None, None, "", message))

    @property
    def has_errors(self) -> bool:
        return bool(self.result.errors) or self.result.errors_omitted > 0

    def check_cancel(self) -> None:
        if self._cancel is not None and self._cancel():
            raise ImportCancelled(f"{self.file}：导入已取消，未写入任何数据")

    def report(self, fraction: float) -> None:
        """Progress as a share of the whole job, shown as rows of the file."""
        if self._progress is None:
            return
        total = max(self.source.estimated_rows, self.rows_seen, 1)
        done = min(int(total * fraction), total)
        if done != self._last_progress:
            self._last_progress = done
            self._progress(done, total)

    def read_progress(self) -> None:
        total = max(self.source.estimated_rows, self.rows_seen, 1)
        self.report(self.read_share * min(self.rows_seen / total, 1.0))

    def write_progress(self, fraction: float) -> None:
        self.report(self.read_share + (1 - self.read_share) * fraction)


class Importer(ABC):
    """One kind's validation and writing. Subclasses fill in feed() and write()."""

    spec: KindSpec
    # Share of the progress bar for reading and checking (the rest: write()).
    read_share: float = READ_SHARE

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.conn = ctx.conn
        ctx.read_share = self.read_share

    def prepare(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Checks before the transaction that can fail the whole file (ImportFailed)."""

    def begin(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Inside the transaction, before the first chunk (e.g. create a staging table)."""

    @abstractmethod
    def feed(self, chunk: Chunk) -> None:
        """Check one chunk of rows and stage the valid ones."""

    def end_of_input(self) -> None:  # noqa: B027 - optional hook, empty by default
        """After the last chunk: checks across chunks (e.g. duplicate keys)."""

    @abstractmethod
    def write(self, batch_id: int) -> Counts:
        """Write the staged rows inside the transaction; return what changed."""

    def cleanup(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Inside the transaction after a successful write (drop staging tables)."""

    def close(self) -> None:  # noqa: B027 - optional hook, empty by default
        """After the transaction, committed or not (restore connection settings)."""


class PipelinedImporter(Importer):
    """An importer whose checking runs beside its writing.

    check() gets each chunk in a worker thread, in file order, and may not
    touch the database; store() gets what check() returned, on the caller's
    thread (the connection's), while the worker checks the next chunk.
    SQLite releases the GIL while it steps, so checking (pyarrow, numpy)
    and writing overlap on a second core. check() returns None when there
    is nothing to write (a bad row anywhere means the import is rolled back).
    """

    @abstractmethod
    def check(self, chunk: Chunk) -> object | None:
        """Check one chunk (worker thread): record its errors, return what to write."""

    def to_bind(self, checked: object) -> object:
        """Turn what check() returned into what store() binds (worker thread).

        Work done here, not in store(), leaves the writing thread nothing but
        the database's own work: both threads need the GIL for Python work,
        and SQLite lets it go only while it steps.
        """
        return checked

    @abstractmethod
    def store(self, checked: object) -> None:
        """Write what check() returned (caller's thread)."""

    def feed(self, chunk: Chunk) -> None:
        checked = self.check(chunk)
        if checked is not None:
            self.store(self.to_bind(checked))


def default_institution(ctx: Context) -> str | None:
    """options['institution_code'], else the installation's own institution."""
    from pharmacy_app.institutions import current_institution

    code = (ctx.options.get("institution_code") or "").strip()
    if code:
        return code
    inst = current_institution(ctx.conn)
    return inst.code if inst else None


def require_institution(ctx: Context) -> str | None:
    """The default institution; ImportFailed when the file has none and there is none set."""
    code = default_institution(ctx)
    if code is None and not ctx.has("institution"):
        raise ImportFailed(
            f"{ctx.file}：文件没有「机构编码」列，且尚未设置本机构"
            "（请先运行 pharmacy-app init，或在导入选项中指定机构编码）"
        )
    return code


@contextmanager
def atomic(conn: sqlite3.Connection) -> Iterator[None]:
    """db.transaction, or a savepoint when the caller already has a transaction open.

    db.transaction joins an outer transaction, which would leave a rejected or
    cancelled import's partial work for the caller to commit; a savepoint
    undoes it whatever the caller does next.
    """
    if not conn.in_transaction:
        with transaction(conn):
            yield
        return
    conn.execute("SAVEPOINT pharmacy_import")
    try:
        yield
    except BaseException:
        if conn.in_transaction:  # not when SQLite rolled everything back itself (disk full)
            conn.execute("ROLLBACK TO pharmacy_import")
            conn.execute("RELEASE pharmacy_import")
        raise
    conn.execute("RELEASE pharmacy_import")


# A WAL at least this big after an import is checkpointed in a background
# thread; a smaller one inline (it takes milliseconds).
BACKGROUND_CHECKPOINT_BYTES = 16 << 20


def _main_file(conn: sqlite3.Connection) -> str:
    """Path of the connection's main database file ('' for an in-memory one)."""
    for row in conn.execute("PRAGMA database_list"):
        if row[1] == "main":
            return row[2] or ""
    return ""


def _checkpoint(path: str) -> None:
    """A PASSIVE checkpoint on a connection of its own; errors only logged."""
    try:
        other = sqlite3.connect(path, timeout=5, check_same_thread=False)
        try:
            started = time.perf_counter()
            other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            log.debug("background checkpoint: %.2f s", time.perf_counter() - started)
        finally:
            other.close()
    except Exception:  # pragma: no cover - best effort; the next checkpoint catches up
        log.warning("background WAL checkpoint failed", exc_info=True)


@contextmanager
def deferred_checkpoint(conn: sqlite3.Connection) -> Iterator[None]:
    """Keep the commit of a big import from waiting for a WAL checkpoint.

    COMMIT in WAL mode appends the import's pages to the WAL; with the
    default wal_autocheckpoint the committing connection then copies them all
    into the database file before COMMIT returns (~3 s for a million purchase
    lines). Durability does not depend on that copy: with synchronous=NORMAL
    a committed WAL survives an application crash (and the checkpoint itself
    is crash-safe), so the import turns automatic checkpoints off for its own
    transaction and afterwards runs a PASSIVE checkpoint (which never blocks
    readers or writers) on a separate connection in a background thread when
    the WAL is big, inline when it is small. Inside a caller's transaction
    nothing is changed: the caller's COMMIT decides.
    """
    path = "" if conn.in_transaction else _main_file(conn)
    if not path:
        yield
        return
    old = conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA wal_autocheckpoint = {int(old)}")
        try:
            wal = os.path.getsize(path + "-wal")
        except OSError:
            wal = 0
        if old <= 0:
            pass  # automatic checkpoints were off before the import: leave it so
        elif wal >= BACKGROUND_CHECKPOINT_BYTES:
            threading.Thread(
                target=_checkpoint, args=(path,), name="wal-checkpoint", daemon=True
            ).start()
        elif wal:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


def open_for(kind: str, path: str | Path, mapping: dict[str, str] | None, options: dict):
    spec = get_spec(kind)
    source = open_source(path, spec, options)
    resolved = resolve_mapping(spec, source.headers, mapping, source.name)
    return spec, source, resolved


def _rejected_by_reader(ctx: Context, chunk: Chunk) -> None:
    for row, cells, message in chunk.invalid:
        ctx.reject_row(row, cells, message)


# How the totals and notes rows of exports begin (合计, 总计：4条, 制表人：张三 …).
# The marker is the whole cell or is followed by a colon, a space or a count
# (合计, 总计：4条, 小计 12, 制表人：张三); 审核通过 (a status) is not one.
_SUMMARY_ROW = (
    r"^(?:(?:合计|总计|小计|共计|累计)(?:$|[：:\s\d])"
    r"|(?:制表|审核|打印|备注|说明|注)(?:人|日期|时间)?(?:$|[：:]))"
)


def _without_summary_rows(ctx: Context, chunk: Chunk) -> Chunk:
    """The chunk less its totals and notes rows, each noted in the result.

    A row is one when its first filled cell (of the first three) begins like
    合计 or 制表人 and a field every row must have is empty: platform exports end
    with such rows, and refusing the whole file for them helps no one. A data
    row has its required fields, so it is never taken for one.
    """
    if not len(chunk) or not chunk.columns:
        return chunk
    first = trimmed(chunk.columns[0])
    for col in chunk.columns[1:3]:
        first = pc.if_else(pc.equal(pc.binary_length(first), 0), trimmed(col), first)
    marked = np.asarray(
        pc.match_substring_regex(first, _SUMMARY_ROW).to_numpy(zero_copy_only=False), dtype=bool)
    if not marked.any():
        return chunk
    lacking = np.zeros(len(chunk), dtype=bool)
    for name in ctx.spec.required:
        arr = ctx.column(chunk, name)
        if arr is not None:
            lacking |= np.asarray(
                pc.equal(pc.binary_length(trimmed(arr)), 0).to_numpy(zero_copy_only=False))
    drop = marked & lacking
    if not drop.any():
        return chunk
    texts = first.to_pylist()
    ctx.result.skipped.extend(
        (int(chunk.rows[i]), str(texts[i])[:40]) for i in np.flatnonzero(drop))
    keep = pa.array(~drop)
    return Chunk([pc.filter(c, keep) for c in chunk.columns], chunk.rows[~drop], chunk.invalid)


def _count(ctx: Context, chunk: Chunk) -> None:
    ctx.result.rows_total += len(chunk) + len(chunk.invalid)
    ctx.rows_seen = ctx.result.rows_total


_DONE = object()


def _pipelined(source: Source, importer: PipelinedImporter, ctx: Context) -> None:
    """Read and check in a worker thread, store on this one (see PipelinedImporter).

    At most PIPELINE_DEPTH checked chunks wait, so memory stays that of a
    few chunks. Progress and cancel are handled here, on the caller's
    thread; an exception in the worker is raised here; on any exit the
    worker is stopped before this returns. Errors are recorded by the worker
    only, in file order, as in the sequential loop.
    """
    handoff: queue.Queue = queue.Queue(maxsize=PIPELINE_DEPTH)
    stop = threading.Event()
    seconds = {"read": 0.0, "check": 0.0, "wait": 0.0, "store": 0.0}

    def work() -> None:
        try:
            chunks = iter(source.chunks())
            while not stop.is_set():
                started = time.perf_counter()
                chunk = next(chunks, None)
                checked_at = time.perf_counter()
                seconds["read"] += checked_at - started
                if chunk is None:
                    break
                _rejected_by_reader(ctx, chunk)
                data = _without_summary_rows(ctx, chunk)
                checked = importer.check(data) if len(data) else None
                if checked is not None and not ctx.has_errors:
                    checked = importer.to_bind(checked)
                seconds["check"] += time.perf_counter() - checked_at
                handoff.put((chunk, checked))
            handoff.put(_DONE)
        except BaseException as exc:  # handed to the caller's thread
            handoff.put(exc)

    worker = threading.Thread(target=work, name="import-check", daemon=True)
    worker.start()
    try:
        while True:
            ctx.check_cancel()
            started = time.perf_counter()
            item = handoff.get()
            stored_at = time.perf_counter()
            seconds["wait"] += stored_at - started
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                raise item
            chunk, checked = item
            _count(ctx, chunk)
            if checked is not None and not ctx.has_errors:
                importer.store(checked)
            ctx.read_progress()
            seconds["store"] += time.perf_counter() - stored_at
    finally:
        stop.set()
        while worker.is_alive():
            with suppress(queue.Empty):
                handoff.get(timeout=0.05)
        worker.join()
    log.debug(
        "%s: worker read %.2f s and checked %.2f s; writer stored %.2f s, waited %.2f s",
        source.name,
        seconds["read"],
        seconds["check"],
        seconds["store"],
        seconds["wait"],
    )


def run(
    conn: sqlite3.Connection,
    kind: str,
    path: str | Path,
    importer_cls: type[Importer],
    *,
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    options: dict | None = None,
) -> ImportResult:
    started = time.perf_counter()
    options = dict(options or {})
    spec, source, resolved = open_for(kind, path, mapping, options)
    missing = missing_required(spec, resolved)
    if missing:
        raise ImportFailed(
            f"{source.name}：缺少必需的列 {describe_missing(spec, missing)}"
            f"（表头在第 {source.header_row} 行：{'、'.join(h for h in source.headers if h)}）"
        )
    result = ImportResult(
        kind=kind,
        file=source.name,
        headers=list(source.headers),
        encoding=source.encoding,
        sheet=source.sheet,
    )
    ctx = Context(conn, spec, source, resolved, options, result, progress, cancel)
    importer = importer_cls(ctx)
    importer.prepare()
    ctx.check_cancel()
    log.debug("%s: opened in %.2f s", source.name, time.perf_counter() - started)
    try:
        with deferred_checkpoint(conn), atomic(conn):
            cur = conn.execute(
                "INSERT INTO import_batches (kind, file, sha256, rows_total, inserted, updated, unchanged)"
                " VALUES (?, ?, '', 0, 0, 0, 0)",
                (kind, str(Path(path).name)),
            )
            batch_id = ctx.batch_id = int(cur.lastrowid or 0)
            importer.begin()
            if isinstance(importer, PipelinedImporter) and PIPELINED:
                _pipelined(source, importer, ctx)
            else:
                for chunk in source.chunks():
                    ctx.check_cancel()
                    _rejected_by_reader(ctx, chunk)
                    _count(ctx, chunk)
                    data = _without_summary_rows(ctx, chunk)
                    if len(data):
                        importer.feed(data)
                    ctx.read_progress()
            ctx.check_cancel()
            importer.end_of_input()
            log.debug("%s: read and checked by %.2f s", source.name, time.perf_counter() - started)
            if ctx.has_errors:
                raise _Rejected
            counts = importer.write(batch_id)
            ctx.check_cancel()
            conn.execute(
                "UPDATE import_batches SET sha256=?, rows_total=?, inserted=?, updated=?,"
                " unchanged=?, at=strftime('%Y-%m-%d %H:%M:%S', 'now', 'localtime') WHERE id=?",
                (
                    source.sha256(),
                    result.rows_total,
                    counts.inserted,
                    counts.updated,
                    counts.unchanged,
                    batch_id,
                ),
            )
            importer.cleanup()
            log.debug("%s: written by %.2f s", source.name, time.perf_counter() - started)
    except _Rejected:
        importer.close()
        result.errors.sort(key=lambda e: (e.row, e.column or ""))
        result.committed = False
    except BaseException:
        importer.close()
        raise
    else:
        importer.close()
        result.inserted, result.updated, result.unchanged = (
            counts.inserted,
            counts.updated,
            counts.unchanged,
        )
        result.batch_id = batch_id
        result.committed = True
        log.debug("%s: committed by %.2f s", source.name, time.perf_counter() - started)
        ctx.report(1.0)
    result.seconds = time.perf_counter() - started
    return result
