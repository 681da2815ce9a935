"""Screenshots of the agreed-volumes page and the home page's alerts, headless.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/shots_agreements.py

Starts the real window (Chinese) on a fresh temporary data folder, so the
first-start demo data is built as of today, then saves:

- agreements_page.png — the 约定采购量 page with 阿莫西林胶囊 selected (AV-5 over
  30 %, behind 序时进度) and its month-by-month chart;
- agreements_lines.png — the purchase lines behind 头孢呋辛酯片, with the
  backup purchases of the declared supply emergency counted as selected (AV-7);
- agreements_emergencies.png — the supply-emergency dialog with the demo's record
  and a rejected entry (end before start) showing its message;
- agreements_exemptions.png — the exemptions dialog (AV-9);
- home_alerts.png — the home page with the alerts, what to do first on top.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

SIZE = (1440, 860)


def main() -> int:
    from PySide6.QtCore import QDate
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PHARMACY_DESK_HOME"] = tmp
        from ui.app import start

        session = start(Path(tmp) / "pharmacy.db", app)
        window = session.window
        window.resize(*SIZE)

        def pump(seconds: float) -> None:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                app.processEvents()
                time.sleep(0.01)

        def wait_idle(limit: float = 120) -> None:
            end = time.monotonic() + limit
            pump(0.2)
            while not session.worker.is_idle() and time.monotonic() < end:
                pump(0.05)
            pump(0.3)

        wait_idle()
        while window.catalogue.model.rowCount() == 0:
            wait_idle()

        window.show_page("home")
        wait_idle()
        while window.home.alerts is None:
            wait_idle()
        window.grab().save(str(HERE / "home_alerts.png"))

        window.show_page("agreements")
        wait_idle()
        page = window.agreements
        while page.view_data is None:
            wait_idle()
        page.focus_subject("第二批 阿莫西林胶囊")
        wait_idle()
        window.grab().save(str(HERE / "agreements_page.png"))

        page.focus_subject("第三批 头孢呋辛酯片")
        wait_idle()
        page.show_lines()
        wait_idle()
        lines = page.dialogs[-1]
        lines.grab().save(str(HERE / "agreements_lines.png"))
        lines.reject()
        wait_idle()

        dialog = page.open_emergencies()
        wait_idle()
        dialog.select_generic("阿莫西林胶囊", "第二批")
        dialog.start_edit.setDate(QDate(2026, 9, 10))
        dialog.end_edit.setDate(QDate(2026, 9, 1))
        dialog.add()
        wait_idle()
        dialog.grab().save(str(HERE / "agreements_emergencies.png"))
        dialog.reject()
        wait_idle()

        dialog = page.open_exemptions()
        wait_idle()
        dialog.grab().save(str(HERE / "agreements_exemptions.png"))
        dialog.reject()
        wait_idle()
        session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
