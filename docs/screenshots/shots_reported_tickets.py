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

from _shots import demo_window


def main() -> int:
    with demo_window((1500, 820)) as shot:
        window = shot.window
        window.show_page("reported")
        shot.wait_idle()
        reported = window.reported
        while reported.report is None:
            shot.wait_idle()
        reported.export_to(shot.tmp / "报量.xlsx")
        shot.wait_idle()
        reported.view.clearSelection()  # the refused row's red marking stays visible
        shot.pump(0.3)
        shot.save(window, "reported_volumes.png")

        window.show_page("tickets")
        shot.wait_idle()
        tickets = window.tickets
        tickets.set_filter("all")
        shot.wait_idle()
        answered = next(v for v in tickets.model.rows() if v.status == "answered")
        tickets.select_ticket(answered.ticket.id)  # the overdue row above keeps its red status
        shot.pump(0.3)
        shot.save(window, "tickets.png")
        shot.session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
