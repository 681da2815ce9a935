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

from _shots import demo_window


def main() -> int:
    from PySide6.QtCore import QDate

    with demo_window((1440, 860)) as shot:
        window = shot.window
        window.show_page("home")
        shot.wait_idle()
        while window.home.alerts is None:
            shot.wait_idle()
        shot.save(window, "home_alerts.png")

        window.show_page("agreements")
        shot.wait_idle()
        page = window.agreements
        while page.view_data is None:
            shot.wait_idle()
        page.focus_subject("第二批 阿莫西林胶囊")
        shot.wait_idle()
        shot.save(window, "agreements_page.png")

        page.focus_subject("第三批 头孢呋辛酯片")
        shot.wait_idle()
        page.show_lines()
        shot.wait_idle()
        lines = page.dialogs[-1]
        shot.save(lines, "agreements_lines.png")
        lines.reject()
        shot.wait_idle()

        dialog = page.open_emergencies()
        shot.wait_idle()
        dialog.select_generic("阿莫西林胶囊", "第二批")
        dialog.start_edit.setDate(QDate(2026, 9, 10))
        dialog.end_edit.setDate(QDate(2026, 9, 1))
        dialog.add()
        shot.wait_idle()
        shot.save(dialog, "agreements_emergencies.png")
        dialog.reject()
        shot.wait_idle()

        dialog = page.open_exemptions()
        shot.wait_idle()
        shot.save(dialog, "agreements_exemptions.png")
        dialog.reject()
        shot.wait_idle()
        shot.session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
