"""The database worker: thread, callbacks, change signal, progress, errors."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
import shiboken6
from PySide6.QtGui import QGuiApplication

from pharmacy_app.catalogue import FieldError, Product, ProductInvalid, save_products
from ui import errors
from ui.worker import Changes, DbWorker, OpContext, Progress, ProgressDialog

CODE = "XA01CAA040A001010100483"
# Taken at import, before the autouse fixture replaces it with a recorder.
REAL_SHOW_ERROR = errors.show_error


def write_product(ctx: OpContext) -> object:
    return save_products(ctx.conn, [Product(code=CODE, generic_name="阿莫西林", package="24粒/盒")])


def test_operation_runs_on_the_worker_thread_and_answers_on_the_main_thread(
    qtbot, worker, wait_idle
):
    main = threading.get_ident()
    seen: dict[str, int] = {}

    def fn(ctx: OpContext) -> int:
        seen["fn"] = threading.get_ident()
        return ctx.conn.execute("SELECT 41 + 1").fetchone()[0]

    def done(value: int) -> None:
        seen["callback"] = threading.get_ident()
        seen["value"] = value

    with qtbot.waitSignal(worker.idle):
        worker.op(fn).success(done).run()
    assert seen["value"] == 42
    assert seen["callback"] == main
    assert seen["fn"] != main


def test_operations_run_in_submission_order(qtbot, worker, wait_idle):
    results: list[int] = []
    for i in range(20):
        worker.op(lambda ctx, i=i: i).success(results.append).run()
    wait_idle(worker)
    assert results == list(range(20))


def test_synchronous_worker_has_run_callbacks_when_run_returns(qapp, db_path):
    worker = DbWorker(db_path, synchronous=True)
    try:
        got: list[int] = []
        worker.op(lambda ctx: 7).success(got.append).run()
        assert got == [7]
        assert worker.is_idle()
    finally:
        worker.shutdown()


def test_data_changed_names_the_tables_written(qtbot, worker, wait_idle):
    with qtbot.waitSignal(worker.data_changed) as blocker:
        worker.op(write_product).run()
    changes = blocker.args[0]
    assert isinstance(changes, Changes)
    assert changes.touches("products")
    assert not changes.touches("purchase_lines")
    wait_idle(worker)


def test_reading_emits_no_data_changed(qtbot, worker, wait_idle):
    worker.op(lambda ctx: ctx.conn.execute("SELECT 1").fetchone()).run()
    wait_idle(worker)
    with qtbot.assertNotEmitted(worker.data_changed, wait=100):
        worker.op(lambda ctx: ctx.conn.execute("SELECT count(*) FROM products").fetchone()).run()
        wait_idle(worker)


def test_unchanged_save_emits_no_data_changed(qtbot, worker, wait_idle):
    worker.op(write_product).run()
    wait_idle(worker)
    with qtbot.assertNotEmitted(worker.data_changed, wait=100):
        worker.op(write_product).run()
        wait_idle(worker)


def test_failure_callback_receives_the_exception(qtbot, worker, wait_idle):
    failures: list[BaseException] = []

    def broken(ctx: OpContext) -> None:
        raise ValueError("boom")

    worker.op(broken).success(lambda _: pytest.fail("no success")).failure(failures.append).run()
    wait_idle(worker)
    assert [str(e) for e in failures] == ["boom"]


def test_default_failure_shows_the_error_dialog(qtbot, worker, wait_idle, shown_errors):
    def broken(ctx: OpContext) -> None:
        raise KeyError("missing")

    worker.op(broken).run()
    wait_idle(worker)
    assert [type(e) for e in shown_errors] == [KeyError]
    shown_errors.clear()


def test_failed_write_rolls_back_and_the_worker_carries_on(qtbot, worker, wait_idle, conn):
    from db import transaction

    def half_write(ctx: OpContext) -> None:
        with transaction(ctx.conn):
            write_product(ctx)
            raise RuntimeError("after the write")

    worker.op(half_write).failure(lambda e: None).run()
    counts: list[int] = []
    worker.op(lambda ctx: ctx.conn.execute("SELECT count(*) FROM products").fetchone()[0]).success(
        counts.append
    ).run()
    wait_idle(worker)
    assert counts == [0]


def test_progress_is_polled_and_cancel_stops_the_operation(qtbot, worker, wait_idle):
    snapshots: list[Progress] = []
    outcome: list[str] = []

    def long(ctx: OpContext) -> None:
        for i in range(1000):
            ctx.progress(i, 1000)
            ctx.check_cancelled()
            time.sleep(0.005)

    op = (
        worker.op(long)
        .on_progress(snapshots.append)
        .success(lambda _: outcome.append("success"))
        .failure(lambda _: outcome.append("failure"))
        .cancelled(lambda: outcome.append("cancelled"))
        .run()
    )
    qtbot.waitUntil(lambda: len(snapshots) >= 2, timeout=5000)
    assert snapshots[-1].total == 1000
    assert 0 < snapshots[-1].done < 1000
    op.cancel()
    wait_idle(worker)
    assert outcome == ["cancelled"]


def test_progress_dialog_only_for_slow_operations(qtbot, worker, wait_idle, monkeypatch):
    made: list[ProgressDialog] = []
    original = ProgressDialog.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(ProgressDialog, "__init__", spy)
    worker.op(lambda ctx: time.sleep(0.05)).with_progress("quick").run()
    wait_idle(worker)
    assert made == []

    seen_visible: list[bool] = []
    op = worker.op(lambda ctx: time.sleep(1.0)).with_progress("slow", cancellable=True).run()
    qtbot.waitUntil(lambda: op.dialog is not None, timeout=3000)
    seen_visible.append(op.dialog.isVisible())
    wait_idle(worker)
    assert seen_visible == [True]
    assert len(made) == 1
    assert op.dialog is None  # closed when the operation finished


def test_cancel_from_the_progress_dialog(qtbot, worker, wait_idle):
    outcome: list[str] = []

    def long(ctx: OpContext) -> None:
        for _ in range(400):
            ctx.check_cancelled()
            time.sleep(0.01)

    op = (
        worker.op(long)
        .with_progress("long", cancellable=True)
        .cancelled(lambda: outcome.append("cancelled"))
        .run()
    )
    qtbot.waitUntil(lambda: op.dialog is not None, timeout=3000)
    op.dialog.reject()  # Escape / the close button
    wait_idle(worker)
    assert outcome == ["cancelled"]


def test_an_operation_runs_once(qtbot, worker, wait_idle):
    op = worker.op(lambda ctx: None).run()
    with pytest.raises(RuntimeError):
        op.run()
    wait_idle(worker)


def test_connection_is_opened_in_the_worker_thread(qtbot, worker, wait_idle):
    """sqlite3 refuses a connection used from another thread: using it from
    the worker proves it was opened there."""
    got: list[str] = []
    worker.op(lambda ctx: ctx.conn.execute("PRAGMA journal_mode").fetchone()[0]).success(
        got.append
    ).run()
    wait_idle(worker)
    assert got == ["wal"]


# -- the two kinds of error ------------------------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        sqlite3.OperationalError("database is locked"),
        sqlite3.OperationalError("database or disk is full"),
        sqlite3.DatabaseError("file is not a database"),
        PermissionError(13, "Permission denied", "/x.db"),
        FileNotFoundError(2, "No such file", "/in.xlsx"),
        OSError(28, "No space left on device"),
        ProductInvalid([FieldError("code", "编码为空")]),
    ],
)
def test_environment_errors_get_a_plain_message(exc):
    assert errors.is_environment_error(exc)
    assert errors.environment_message(exc)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bug"),
        KeyError("bug"),
        sqlite3.OperationalError("no such column: nope"),
        sqlite3.IntegrityError("UNIQUE constraint failed"),
    ],
)
def test_other_errors_are_bugs(exc):
    assert not errors.is_environment_error(exc)


def test_database_too_new_is_an_environment_error():
    from db import DatabaseTooNew

    assert errors.is_environment_error(DatabaseTooNew("newer"))


def test_crash_dialog_copies_details(qtbot):
    try:
        raise ValueError("something unexpected")
    except ValueError as exc:
        details = errors.crash_details(exc)
    dialog = errors.CrashDialog(details)
    qtbot.addWidget(dialog)
    assert "ValueError: something unexpected" in details
    assert "Python" in details
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == details


def test_real_show_error_picks_the_dialog_kind(qtbot):
    plain = REAL_SHOW_ERROR(sqlite3.OperationalError("database is locked"))
    crash = REAL_SHOW_ERROR(ValueError("bug"))
    try:
        assert not isinstance(plain, errors.CrashDialog)
        assert "in use by another program" in plain.text()
        assert isinstance(crash, errors.CrashDialog)
    finally:
        plain.close()
        crash.close()


def test_callbacks_are_skipped_when_the_asking_widget_was_deleted(qtbot, worker, wait_idle):
    from PySide6.QtWidgets import QWidget

    widget = QWidget()
    called: list[str] = []
    release = threading.Event()
    worker.op(lambda ctx: release.wait(5)).parent(widget).success(
        lambda _: called.append("success")
    ).run()
    widget.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(widget), timeout=2000)
    release.set()
    wait_idle(worker)
    assert called == []


def test_shutdown_cancels_running_operations(qapp, db_path):
    worker = DbWorker(db_path)
    started = threading.Event()

    def endless(ctx: OpContext) -> None:
        started.set()
        while True:
            ctx.check_cancelled()
            time.sleep(0.01)

    worker.op(endless).run()
    assert started.wait(5)
    begin = time.monotonic()
    worker.shutdown()
    assert time.monotonic() - begin < 2
