"""The database worker: one background thread, one SQLite connection.

Anki's design, for the reasons Anki learned the hard way:

- Every database operation runs on one QThread that owns its own connection,
  opened inside that thread (SQLite connections belong to their thread). The
  window never blocks on SQL, an import or a report.
- Screens build an operation and run it::

      worker.op(lambda ctx: save_products(ctx.conn, [p])).success(done).run()

  `success` and `failure` callbacks run on the main thread, delivered by a
  queued signal. Without a failure callback a default dialog explains the
  error (plain message for the environment's faults, crash dialog for bugs;
  see ui.errors).
- After every operation the worker reads the change log (SYNC-1 triggers log
  every write, whoever made it) and emits one `data_changed` signal naming
  the tables written, so each page decides whether to refresh. No page polls.
- Progress: the operation writes `ctx.progress(done, total)` and reads
  `ctx.cancelled()`; a QTimer on the main thread reads the progress every
  100 ms and the progress dialog appears only after half a second, so quick
  operations never flash one. Never processEvents(); worker code never
  touches a widget.
- Qt objects must not be destroyed on the worker thread: the callbacks stay
  in the main-thread `Op`; the worker only sees a plain `_Job` and drops its
  reference to the function before handing the job back.

For tests, `DbWorker(path, synchronous=True)` runs each operation inline on
the calling thread (the "fake pool"): callbacks have run when `run()`
returns. The threaded worker is waited for with `qtbot.waitSignal(worker.idle)`.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from ui import errors

T = TypeVar("T")

POLL_INTERVAL_MS = 100
DIALOG_DELAY_S = 0.5

ALL_TABLES = "*"


@dataclass(frozen=True)
class Changes:
    """What an operation wrote: table names from the change log, or '*'."""

    tables: frozenset[str]

    def touches(self, *tables: str) -> bool:
        return ALL_TABLES in self.tables or any(t in self.tables for t in tables)

    def __bool__(self) -> bool:
        return bool(self.tables)


EVERYTHING = Changes(frozenset({ALL_TABLES}))


@dataclass(frozen=True)
class Progress:
    """A snapshot of an operation's progress; total <= 0 means unknown."""

    done: int = 0
    total: int = 0
    label: str | None = None


class Cancelled(Exception):
    """Raised by `OpContext.check_cancelled()` when the user pressed Cancel."""


def is_cancellation(exc: BaseException) -> bool:
    if isinstance(exc, Cancelled):
        return True
    importers = sys.modules.get("pharmacy_app.importers")
    cls = getattr(importers, "ImportCancelled", None) if importers else None
    return isinstance(cls, type) and isinstance(exc, cls)


class _Job:
    """What crosses the thread boundary: the function, its progress, its outcome.

    Plain Python only (no Qt objects, no callbacks), so whichever thread drops
    the last reference, nothing Qt is destroyed there.
    """

    __slots__ = (
        "fn",
        "declared",
        "progress",
        "cancel_requested",
        "result",
        "error",
        "tb",
        "changes",
        "stop",
    )

    def __init__(self, fn: Callable[[OpContext], Any] | None, declared: frozenset[str]) -> None:
        self.fn = fn
        self.declared = declared
        self.progress = Progress()
        self.cancel_requested = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.tb: str | None = None
        self.changes = Changes(frozenset())
        self.stop = False


class OpContext:
    """Handed to an operation's function on the worker thread."""

    def __init__(self, runner: _Runner, job: _Job) -> None:
        self._runner = runner
        self._job = job

    @property
    def conn(self) -> sqlite3.Connection:
        """The worker's connection, opened (and migrated) on first use."""
        return self._runner.connection()

    @property
    def db_path(self) -> Path:
        return self._runner.db_path

    def close_connection(self) -> None:
        """Close the worker's connection (reopened by the next use of `conn`).

        For an operation that moves or replaces the database file itself.
        """
        self._runner.close()

    def progress(self, done: int, total: int, label: str | None = None) -> None:
        """Record progress; the UI reads it on its own timer. Cheap: call freely."""
        self._job.progress = Progress(done, total, label)

    def cancelled(self) -> bool:
        return self._job.cancel_requested

    def check_cancelled(self) -> None:
        if self._job.cancel_requested:
            raise Cancelled


class _Runner(QObject):
    """Lives on the worker thread; executes jobs one at a time, in order."""

    finished = Signal(object)

    def __init__(self, db_path: Path) -> None:
        super().__init__()
        self.db_path = db_path
        self._conn: sqlite3.Connection | None = None
        self._opened_at_seq = 0

    def connection(self) -> sqlite3.Connection:
        if self._conn is None:
            from pharmacy_app.store import (
                open_store,  # sqlite-utils is slow to import: not at startup
            )

            self._conn = open_store(self.db_path)
            self._opened_at_seq = self._log_seq()
        return self._conn

    def _log_seq(self) -> int:
        assert self._conn is not None
        row = self._conn.execute("SELECT max(seq) FROM change_log").fetchone()
        return int(row[0] or 0)

    def _changed_tables(self, seq_before: int | None, total_before: int | None) -> frozenset[str]:
        if self._conn is None:
            return frozenset()
        if seq_before is None:
            seq_before = self._opened_at_seq
        tables = frozenset(
            r[0]
            for r in self._conn.execute(
                "SELECT DISTINCT table_name FROM change_log WHERE seq > ?", (seq_before,)
            )
        )
        if not tables and total_before is not None and self._conn.total_changes != total_before:
            # Written outside the logged tables (settings, batches): say "anything".
            return frozenset({ALL_TABLES})
        return tables

    @Slot(object)
    def execute(self, job: _Job) -> None:
        if job.stop:
            self.close()
            return
        seq_before = self._log_seq() if self._conn is not None else None
        total_before = self._conn.total_changes if self._conn is not None else None
        fn = job.fn
        job.fn = None
        try:
            assert fn is not None
            job.result = fn(OpContext(self, job))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the UI
            job.tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            # The traceback's frames hold the function's locals (maybe widgets):
            # drop them here rather than keep them alive across threads.
            job.error = exc.with_traceback(None)
            if self._conn is not None and self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        finally:
            del fn
        try:
            job.changes = Changes(self._changed_tables(seq_before, total_before) | job.declared)
        except sqlite3.Error:
            job.changes = Changes(job.declared)
        self.finished.emit(job)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class Op(Generic[T]):
    """One database operation, built fluently and run once.

    All methods are called on the main thread; callbacks run there too.
    """

    def __init__(self, worker: DbWorker, fn: Callable[[OpContext], T]) -> None:
        self._worker = worker
        self._fn = fn
        self._on_success: Callable[[T], None] | None = None
        self._on_failure: Callable[[BaseException], None] | None = None
        self._on_cancelled: Callable[[], None] | None = None
        self._on_progress: Callable[[Progress], None] | None = None
        self._dialog_label: str | None = None
        self._cancellable = False
        self._parent: QWidget | None = None
        self._declared: set[str] = set()
        self._job: _Job | None = None
        self._started = 0.0
        self._last_progress: Progress | None = None
        self.dialog: ProgressDialog | None = None
        self.finished = False

    def success(self, callback: Callable[[T], None]) -> Op[T]:
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[BaseException], None]) -> Op[T]:
        """Replace the default error dialog (cancellation is not a failure)."""
        self._on_failure = callback
        return self

    def cancelled(self, callback: Callable[[], None]) -> Op[T]:
        self._on_cancelled = callback
        return self

    def on_progress(self, callback: Callable[[Progress], None]) -> Op[T]:
        """Receive progress snapshots every 100 ms (for a dialog's own bar)."""
        self._on_progress = callback
        return self

    def with_progress(
        self, label: str, *, cancellable: bool = False, parent: QWidget | None = None
    ) -> Op[T]:
        """Show the standard progress dialog if the operation takes over 0.5 s."""
        self._dialog_label = label
        self._cancellable = cancellable
        self._parent = parent
        return self

    def parent(self, widget: QWidget | None) -> Op[T]:
        """The widget that asked: error dialogs attach to it, and if it has
        been deleted by the time the operation ends (a dialog closed
        meanwhile), the callbacks are skipped instead of touching a dead
        C++ object."""
        self._parent = widget
        return self

    def changes(self, *tables: str) -> Op[T]:
        """Declare writes the change log cannot see (a file-level rebuild)."""
        self._declared.update(tables)
        return self

    def run(self) -> Op[T]:
        if self._job is not None:
            raise RuntimeError("an operation runs once")
        self._job = _Job(self._fn, frozenset(self._declared))
        self._started = time.monotonic()
        self._worker._start(self)
        return self

    def cancel(self) -> None:
        """Ask the operation to stop; it does at its next cancel check."""
        if self._job is not None:
            self._job.cancel_requested = True
        if self.dialog is not None:
            self.dialog.set_cancelling()

    @property
    def cancel_requested(self) -> bool:
        return self._job is not None and self._job.cancel_requested

    # -- main-thread bookkeeping, called by DbWorker ---------------------------

    def _wants_polling(self) -> bool:
        return self._on_progress is not None or self._dialog_label is not None

    def _poll(self) -> None:
        assert self._job is not None
        snapshot = self._job.progress
        due = time.monotonic() - self._started >= DIALOG_DELAY_S
        if self._dialog_label is not None and self.dialog is None and due:
            self.dialog = ProgressDialog(
                self._dialog_label, cancellable=self._cancellable, parent=self._parent
            )
            self.dialog.cancel_requested.connect(self.cancel)
            self.dialog.show()
        if snapshot == self._last_progress:
            return
        self._last_progress = snapshot
        if self.dialog is not None:
            self.dialog.set_progress(snapshot)
        if self._on_progress is not None:
            self._on_progress(snapshot)

    def _finish(self) -> None:
        job = self._job
        assert job is not None
        self.finished = True
        if self.dialog is not None:
            self.dialog.done_and_close()
            self.dialog = None
        if self._parent is not None and not shiboken6.isValid(self._parent):
            return
        if job.error is None:
            if self._on_success is not None:
                self._on_success(job.result)
        elif is_cancellation(job.error):
            if self._on_cancelled is not None:
                self._on_cancelled()
        elif self._on_failure is not None:
            self._on_failure(job.error)
        else:
            errors.show_error(job.error, self._parent, tb=job.tb)


class DbWorker(QObject):
    """The application's single database worker. Create one; `shutdown()` at exit."""

    data_changed = Signal(object)  # Changes
    busy_changed = Signal(bool)
    idle = Signal()
    _submit = Signal(object)

    def __init__(
        self, db_path: str | Path, *, synchronous: bool = False, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self.synchronous = synchronous
        self._runner = _Runner(self.db_path)
        self._running: list[Op[Any]] = []
        self._thread: QThread | None = None
        if synchronous:
            connection = Qt.ConnectionType.DirectConnection
        else:
            self._thread = QThread()
            self._thread.setObjectName("db-worker")
            self._runner.moveToThread(self._thread)
            self._thread.start()
            connection = Qt.ConnectionType.QueuedConnection
        self._submit.connect(self._runner.execute, connection)
        self._runner.finished.connect(self._on_finished, connection)
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(POLL_INTERVAL_MS)
        self._poll_timer.timeout.connect(self._poll)
        self._owner = threading.get_ident()

    def op(self, fn: Callable[[OpContext], T]) -> Op[T]:
        return Op(self, fn)

    @property
    def pending(self) -> int:
        """Operations submitted whose callbacks have not run yet."""
        return len(self._running)

    def is_idle(self) -> bool:
        return not self._running

    def refresh_all(self) -> None:
        """Tell every page to reload (after an outside change, e.g. the CLI)."""
        self.data_changed.emit(EVERYTHING)

    def shutdown(self) -> None:
        """Close the connection on its own thread and stop the thread.

        Running operations are asked to cancel first, so quitting during a
        long import waits only until its next cancel check (the import then
        rolls back: nothing half-written).
        """
        self._poll_timer.stop()
        for op in self._running:
            if op._job is not None:
                op._job.cancel_requested = True
        stop = _Job(None, frozenset())
        stop.stop = True
        self._submit.emit(stop)
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
            self._thread = None

    # -- internals ---------------------------------------------------------------

    def _start(self, op: Op[Any]) -> None:
        assert threading.get_ident() == self._owner, "operations start on the main thread"
        was_idle = not self._running
        self._running.append(op)
        if was_idle:
            self.busy_changed.emit(True)
        if op._wants_polling() and not self._poll_timer.isActive() and not self.synchronous:
            self._poll_timer.start()
        self._submit.emit(op._job)

    @Slot(object)
    def _on_finished(self, job: _Job) -> None:
        op = next((o for o in self._running if o._job is job), None)
        if op is None:
            return
        self._running.remove(op)
        if not any(o._wants_polling() for o in self._running):
            self._poll_timer.stop()
        try:
            if job.changes:
                self.data_changed.emit(job.changes)
            op._finish()
        finally:
            if not self._running:
                self.busy_changed.emit(False)
                self.idle.emit()

    def _poll(self) -> None:
        for op in list(self._running):
            if op._wants_polling():
                op._poll()


class ProgressDialog(QDialog):
    """The standard progress window: a label, a bar and maybe Cancel.

    Window-modal and shown with show(), never exec(): the user cannot start a
    conflicting action, and no nested event loop runs.
    """

    cancel_requested = Signal()

    def __init__(self, label: str, *, cancellable: bool, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Please wait"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(380)
        self._base_label = label
        layout = QVBoxLayout(self)
        self.label = QLabel(label)
        self.label.setWordWrap(True)
        layout.addWidget(self.label)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        layout.addWidget(self.bar)
        self._closing = False
        self.buttons: QDialogButtonBox | None = None
        if cancellable:
            self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
            self.buttons.rejected.connect(self.cancel_requested)
            layout.addWidget(self.buttons)

    def set_progress(self, progress: Progress) -> None:
        if progress.total > 0:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(min(progress.done, progress.total))
        else:
            self.bar.setRange(0, 0)
        if progress.label:
            self.label.setText(progress.label)

    def set_cancelling(self) -> None:
        self.label.setText(self.tr("Cancelling…"))
        if self.buttons is not None:
            self.buttons.setEnabled(False)

    def done_and_close(self) -> None:
        self._closing = True
        self.close()
        self.deleteLater()

    def reject(self) -> None:
        """Escape or the window's close button cancel the operation if allowed."""
        if self._closing:
            super().reject()
        elif self.buttons is not None:
            self.cancel_requested.emit()
