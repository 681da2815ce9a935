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

from _shots import demo_window


def main() -> int:
    with demo_window((1440, 860)) as shot:
        window = shot.window
        window.show_page("suppliers")
        shot.wait_idle()
        page = window.suppliers
        while page.overview is None:
            shot.wait_idle()
        worst = max(page.overview.suppliers, key=lambda s: s.unresponded_48h)
        page.select_supplier(worst.supplier)
        shot.wait_idle()
        shot.save(window, "suppliers.png")

        window.show_page("payments")
        shot.wait_idle()
        payments = window.payments
        while payments.overview is None:
            shot.wait_idle()
        shot.save(window, "payments.png")
        shot.session.worker.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
