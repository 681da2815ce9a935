"""Screenshots of the assessment and payment-standards pages, headless.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/shots_assessment.py

Starts the real window on a fresh temporary data folder (first-start demo
data, Chinese interface), then saves:

- assessment.png — 考核评分 as of the demo date, procurement-year basis: the
  eight SR-2 indicators with value, source, points, weight and score, the
  total and result, the demo's entered figures and its SR-3 station transfer;
- assessment_agreements.png — the same page's second tab: the agreed volumes
  behind the on-time completion figure, with the quantity the transfer moved;
- payment_standards.png — 医保支付标准 as of the demo date: every product of
  the VBP 通用名 with its year 1/2/3 standard (PS-1/PS-2), the standard in
  force and the patient's extra cost per package (PS-3).
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

SIZE = (1440, 900)


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

        window.show_page("assessment")
        wait_idle()
        page = window.assessment
        while page.result is None:
            wait_idle()
        window.grab().save(str(HERE / "assessment.png"))
        page.tabs.setCurrentIndex(1)
        pump(0.3)
        window.grab().save(str(HERE / "assessment_agreements.png"))
        page.tabs.setCurrentIndex(0)

        window.show_page("payment_standards")
        wait_idle()
        standards = window.payment_standards
        while standards.table is None:
            wait_idle()
        standards.view.selectRow(1)
        pump(0.3)
        window.grab().save(str(HERE / "payment_standards.png"))
        session.worker.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
