"""Starting the window: show it first, then open the database and load.

Startup order, for a first window in under half a second:

1. QApplication, the bundled CJK font if the system has none, translations.
2. The main window, shown at once with empty pages. Nothing heavy is
   imported before this point: the database layer pulls in sqlite-utils
   (~0.5 s), importers pandas/pyarrow, reports reportlab, search pinyin —
   all are imported on the database worker afterwards.
3. On the worker: if the database needs demo data (first start), build it
   with a progress dialog; then open the database and load every page.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QTimer, QTranslator
from PySide6.QtWidgets import QApplication

from ui import errors, settings
from ui.fonts import ensure_cjk_font
from ui.i18n import install_translations, tr
from ui.main_window import MainWindow
from ui.worker import DbWorker, OpContext

EXIT_FAILURE = 1
# Set to 1 by bench/startup_bench.py: report when the window is shown, then quit.
EXIT_AFTER_SHOW = "PHARMACY_DESK_EXIT_AFTER_SHOW"


@dataclass
class Session:
    """What a running window consists of; kept together so nothing is collected."""

    app: QApplication
    worker: DbWorker
    window: MainWindow
    translators: list[QTranslator] = field(default_factory=list)
    cjk_font: str | None = None

    def close(self) -> None:
        self.worker.shutdown()


def configure_application(app: QApplication) -> tuple[list[QTranslator], str | None]:
    """Names, font and translations: everything widgets need before they exist."""
    app.setOrganizationName(settings.ORGANIZATION)
    app.setApplicationName(settings.APPLICATION)
    settings.redirect_default_settings()
    font = ensure_cjk_font(app)
    settings.upgrade()
    translators = install_translations(app, settings.LANGUAGE.get())
    return translators, font


def start(db_path: str | Path, app: QApplication | None = None, *, prepare: bool = True) -> Session:
    """Create and show the main window; schedule database preparation.

    `prepare=False` leaves the database alone (tests drive loading themselves).
    """
    app = app or QApplication.instance() or QApplication(sys.argv)  # type: ignore[assignment]
    assert isinstance(app, QApplication)
    translators, font = configure_application(app)
    worker = DbWorker(db_path)
    window = MainWindow(worker)
    window.show()
    session = Session(app, worker, window, translators, font)
    if prepare:
        # After the first paint: the event loop shows the window before any
        # database work is even queued.
        QTimer.singleShot(0, lambda: prepare_database(session))
    return session


def prepare_database(session: Session) -> None:
    """Demo data on first start (with progress), then open and load."""
    worker, window = session.worker, session.window

    def needs_demo(ctx: OpContext) -> bool:
        from pharmacy_app.demo import demo_is_needed

        return demo_is_needed(ctx.db_path)

    def build_demo(ctx: OpContext) -> str:
        from pharmacy_app.demo import build_demo

        return str(build_demo(ctx.db_path))

    def open_database(ctx: OpContext) -> None:
        ctx.conn  # noqa: B018 - opening (and migrating) is the point

    def loaded_demo(summary: str) -> None:
        window.statusBar().showMessage(summary.splitlines()[0] if summary else "", 15_000)
        open_and_load()

    def open_and_load() -> None:
        worker.op(open_database).success(lambda _none: loaded()).failure(fatal).run()

    def loaded() -> None:
        window.load()
        # Warm the importers (pandas, calamine) in the background so the
        # import dialog opens instantly later; a failure shows there.
        worker.op(lambda ctx: importlib.import_module("pharmacy_app.importers")).failure(
            lambda _exc: None
        ).run()

    def build() -> None:
        worker.op(build_demo).with_progress(
            tr("Creating demo data for the first start…"), parent=window
        ).success(loaded_demo).failure(fatal).run()

    def fatal(exc: BaseException) -> None:
        """The database cannot be used: say why, then quit."""
        dialog = errors.show_error(exc, window)
        dialog.finished.connect(lambda _result: session.app.exit(EXIT_FAILURE))

    worker.op(needs_demo).success(lambda needed: build() if needed else open_and_load()).failure(
        fatal
    ).run()


def run_app(db_path: str | Path) -> int:
    """The `pharmacy-app` window: returns the process exit code."""
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    errors.install_excepthook()
    if os.environ.get(EXIT_AFTER_SHOW) == "1":
        return report_shown(start(db_path, app, prepare=False))
    session = start(db_path, app)
    try:
        return int(app.exec())
    finally:
        session.close()


def report_shown(session: Session) -> int:
    """The startup benchmark's probe: once the window is on screen, print one
    JSON line — `time.monotonic()` then (one clock for every process, so the
    parent can subtract its spawn time) and the top-level modules imported —
    and quit without opening the database."""
    import json
    import time

    handle = session.window.windowHandle()
    while not handle.isExposed():
        session.app.processEvents()
    shown = time.monotonic()
    modules = sorted({name.partition(".")[0] for name in sys.modules})
    print(json.dumps({"shown_monotonic": shown, "modules": modules}), flush=True)
    session.close()
    return 0
