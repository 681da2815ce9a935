"""Screenshots of the suppliers and payments pages, headless.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/shots_suppliers_payments.py

Starts the real window on a fresh temporary data folder (first-start demo
data, Chinese interface), then saves:

- suppliers.png — 配送企业 as of the demo date, the slow-responding company
  selected with its 48-hour list (SUP-1/2/3/5, 约谈 in red);
- payments.png — 回款 as of the demo date: PAY-3 rate and its denominator,
  PAY-4 share, PAY-2 settlement calendar, PAY-1 prepayment.
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

        window.show_page("suppliers")
        wait_idle()
        page = window.suppliers
        while page.overview is None:
            wait_idle()
        worst = max(page.overview.suppliers, key=lambda s: s.unresponded_48h)
        page.select_supplier(worst.supplier)
        wait_idle()
        window.grab().save(str(HERE / "suppliers.png"))

        window.show_page("payments")
        wait_idle()
        payments = window.payments
        while payments.overview is None:
            wait_idle()
        window.grab().save(str(HERE / "payments.png"))
        session.worker.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
