"""Screenshots of the reported-volumes (AV-10) and supply-problem tickets (SUP-4) pages.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/shots_reported_tickets.py

Starts the real window on a fresh temporary data folder (the first-start
demo data, in Chinese) and saves:

- reported_volumes.png — the 集采报量 page after an export attempt: 阿卡波糖片
  reported −40 % without an explanation, so the export is refused and the
  row is marked; three VBP 通用名 without an agreement are flagged unreported;
- tickets.png — the 供应问题 page showing all demo tickets: the overdue one
  (no answer within 2 working days) in red, an answered one selected.
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

SIZE = (1500, 820)


def main() -> int:
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

        window.show_page("reported")
        wait_idle()
        reported = window.reported
        while reported.report is None:
            wait_idle()
        reported.export_to(Path(tmp) / "报量.xlsx")
        wait_idle()
        reported.view.clearSelection()  # the refused row's red marking stays visible
        pump(0.3)
        window.grab().save(str(HERE / "reported_volumes.png"))

        window.show_page("tickets")
        wait_idle()
        tickets = window.tickets
        tickets.set_filter("all")
        wait_idle()
        answered = next(v for v in tickets.model.rows() if v.status == "answered")
        tickets.select_ticket(answered.ticket.id)  # the overdue row above keeps its red status
        pump(0.3)
        window.grab().save(str(HERE / "tickets.png"))
        session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
