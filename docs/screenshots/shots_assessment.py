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

from _shots import demo_window


def main() -> int:
    with demo_window((1440, 900)) as shot:
        window = shot.window
        window.show_page("assessment")
        shot.wait_idle()
        page = window.assessment
        while page.result is None:
            shot.wait_idle()
        shot.save(window, "assessment.png")
        page.tabs.setCurrentIndex(1)
        shot.pump(0.3)
        shot.save(window, "assessment_agreements.png")
        page.tabs.setCurrentIndex(0)

        window.show_page("payment_standards")
        shot.wait_idle()
        standards = window.payment_standards
        while standards.table is None:
            shot.wait_idle()
        standards.view.selectRow(1)
        shot.pump(0.3)
        shot.save(window, "payment_standards.png")
        shot.session.worker.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
