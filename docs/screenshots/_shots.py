"""What the screenshot scripts (shots_*.py) share: the real window on demo data, headless.

Why one module: each script started the window on a fresh temporary data
folder and pumped the event loop until the database worker was idle, with its
own copy of the same forty lines. Importing this module also prepares the
process (offscreen Qt unless told otherwise, the repository on sys.path), so
a script imports it before anything from the application.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))


@dataclass
class Shot:
    """A running window (`session.window`) and the helpers to wait for it."""

    app: Any  # QApplication: kept here so it lives as long as the window
    session: Any  # ui.app.Session
    tmp: Path

    @property
    def window(self) -> Any:
        return self.session.window

    def pump(self, seconds: float) -> None:
        """Process events for `seconds` (paints, queued signals)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents()
            time.sleep(0.01)

    def wait_idle(self, limit: float = 120) -> None:
        """Until the database worker has nothing left to do (at most `limit` s),
        then a little more for the results to be shown."""
        end = time.monotonic() + limit
        self.pump(0.2)
        while not self.session.worker.is_idle() and time.monotonic() < end:
            self.pump(0.05)
        self.pump(0.3)

    def until(self, ready: Callable[[], bool]) -> None:
        """Wait (idle by idle) until `ready()`: a page's figures have arrived."""
        while not ready():
            self.wait_idle()

    def save(self, widget: Any, name: str) -> None:
        """Grab `widget` as HERE/`name`."""
        widget.grab().save(str(HERE / name))


def start_window(db: Path, home: Path, size: tuple[int, int], tmp: Path) -> Shot:
    """The real window on `db`, settings in `home`, resized to `size`."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    os.environ["PHARMACY_DESK_HOME"] = str(home)
    from ui.app import start

    session = start(db, app)
    session.window.resize(*size)
    return Shot(app, session, tmp)


@contextmanager
def demo_window(size: tuple[int, int]) -> Iterator[Shot]:
    """The window on a fresh temporary data folder, so the first-start demo is
    built (Chinese interface); yielded once the catalogue has loaded. The
    script closes the session itself."""
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        shot = start_window(tmp / "pharmacy.db", tmp, size, tmp)
        shot.wait_idle()
        shot.until(lambda: shot.window.catalogue.model.rowCount() > 0)
        yield shot
