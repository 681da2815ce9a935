"""The home page's alerts panel: `compute_alerts` as of the demo's date, what to do first on top.

Rules named: AV-2, AV-3, AV-5, AV-6, AV-11, AV-12 (agreements), SUP-2, SUP-3,
SUP-6 (suppliers), PAY-2, PAY-4 (payments).
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from PySide6.QtCore import Qt

from db import open_db
from pharmacy_app.indicators import compute_alerts
from ui.home.alerts import AlertsModel, arrange, figure_text, page_for
from ui.home.page import open_from_home
from ui.main_window import MainWindow

DEMO_DAY = dt.date(2026, 11, 23)


def alert(rule, subject, figure, threshold, message="msg"):
    return {"rule": rule, "subject": subject, "figure": figure, "threshold": threshold,
            "message": message}


def test_alerts_are_grouped_by_what_to_do_first():
    alerts = [
        alert("PAY-2", "2026-01", 769.95, 0),
        alert("SUP-3", "海南康信", 54, 48),
        alert("AV-2", "第二批 甲", 0.70, 0.73),
        alert("AV-5", "第二批 乙", 0.38, 0.30),
        alert("AV-2", "第二批 乙", 0.44, 0.73),
        alert("AV-3", "第二批 乙", 0.44, 0.50),
        alert("XX-1", "something new", None, None, "新规则的预警"),
        alert("AV-12", "第一批 丙 / X1", None, None),
        alert("SUP-3", "华润", 6, 48),
    ]
    items = arrange(alerts)
    headings = [i.group.key for i in items if i.is_heading]
    assert headings == ["unqualified", "behind", "non_selected", "unresponded", "late_payments",
                        "not_in_hospital", "other"]
    rules = [i.rule for i in items if not i.is_heading]
    assert rules == ["AV-3", "AV-2", "AV-2", "AV-5", "SUP-3", "SUP-3", "PAY-2", "AV-12", "XX-1"]
    # Worst first: the lowest progress (AV-2), the most unanswered lines (SUP-3).
    subjects = [i.subject for i in items if i.rule in ("AV-2", "SUP-3")]
    assert subjects == ["第二批 乙", "第二批 甲", "海南康信", "华润"]
    assert [i.count for i in items if i.is_heading][:2] == [1, 2]
    # An unknown rule is never hidden: its own message is the action.
    model = AlertsModel()
    model.set_alerts(alerts)
    last = model.rowCount() - 1
    assert model.index(last, 0).data() == "XX-1"
    assert model.index(last, 3).data() == "新规则的预警"
    assert model.index(0, 0).data() == "1. Agreements heading for “unqualified” (1)"
    assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsSelectable


@pytest.mark.parametrize(
    ("a", "text"),
    [
        (alert("AV-3", "s", 0.44, 0.5), "44.0% (line 50.0%)"),
        (alert("AV-5", "s", 0.3000001, 0.3), "30.0% (line 30.0%)"),
        (alert("AV-6", "s", 41790, 4466), "41,790 units (last year 4,466)"),
        (alert("AV-11", "s", 0.12, 0.14), "0.1200 yuan (selected price 0.1400)"),
        (alert("AV-12", "s", None, None), "not bought"),
        (alert("SUP-2", "s", 4, 2), "4 quarters in a row (limit 2)"),
        (alert("SUP-2", "s", 0.809, 0.9), "80.9% (line 90.0%)"),
        (alert("SUP-3", "s", 54, 48), "54 lines over 48 h"),
        (alert("SUP-6", "s", 6, 5), "6 companies (limit 5)"),
        (alert("PAY-2", "s", 1427.18, 0), "1,427.18 yuan late"),
        (alert("PAY-4", "s", 0.052, 0.05), "5.2% (line 5.0%)"),
    ],
)
def test_figure_that_crossed_the_line(a, text):
    assert figure_text(a) == text


def test_pages_for_rules():
    assert page_for("AV-5") == "agreements"
    assert page_for("SUP-3") == "suppliers"
    assert page_for("PAY-2") == "payments"
    assert page_for("XX-1") is None


@pytest.fixture
def window(qtbot, demo_file, db_path, worker, wait_idle) -> MainWindow:
    shutil.copy(demo_file, db_path)
    win = MainWindow(worker)
    qtbot.addWidget(win)
    win.show()
    win.load()
    win.show_page("home")
    wait_idle(worker)
    assert win.home.alerts is not None
    return win


def test_panel_lists_compute_alerts_as_of_the_demo_day(window, db_path, qtmodeltester):
    home = window.home
    assert home.alerts_as_of == DEMO_DAY  # app_settings demo_as_of, not the clock
    conn = open_db(db_path)
    try:
        expected = compute_alerts(conn, DEMO_DAY)
    finally:
        conn.close()
    assert home.alerts == expected
    model = home.alerts_panel.model
    qtmodeltester.check(model)
    assert model.alert_count() == len(expected)
    assert f"({len(expected)})" in home.alerts_panel.heading.text()
    first = model.item_at(1)
    assert first.rule == "AV-3" and first.subject == "第二批 阿卡波糖片"
    rules = [i.rule for i in model.items if not i.is_heading]
    assert rules.index("SUP-3") < rules.index("PAY-2") < rules.index("AV-12")


def row_of(model, rule: str, subject: str | None = None) -> int:
    return next(i for i, item in enumerate(model.items)
                if item.rule == rule and (subject is None or item.subject == subject))


def test_clicking_an_av_alert_opens_the_agreement(window, qtbot, wait_idle):
    panel = window.home.alerts_panel
    row = row_of(panel.model, "AV-5", "第二批 阿莫西林胶囊")
    rect = panel.view.visualRect(panel.model.index(row, 1))
    with qtbot.waitSignal(window.home.open_page) as signal:
        qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert signal.args == ["agreements", "第二批 阿莫西林胶囊"]
    wait_idle(window.worker)
    assert window.current_page() == "agreements"
    assert window.agreements.selected_row().subject == "第二批 阿莫西林胶囊"


def test_clicking_a_heading_does_nothing(window, qtbot):
    panel = window.home.alerts_panel
    rect = panel.view.visualRect(panel.model.index(0, 0))
    with qtbot.assertNotEmitted(panel.open_page):
        qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_page() == "home"


def test_sup_and_pay_alerts_ask_for_their_pages(window, qtbot):
    panel = window.home.alerts_panel
    for rule, key in (("SUP-3", "suppliers"), ("PAY-2", "payments")):
        index = panel.model.index(row_of(panel.model, rule), 0)
        with qtbot.waitSignal(panel.open_page) as signal:
            panel.view.clicked.emit(index)
        assert signal.args[0] == key


def test_unregistered_page_is_guarded(window):
    """A page another feature has not added yet: no error, a status message, same page."""
    window.show_page("home")
    assert open_from_home(window, "not_built_yet", "海南康信") is False
    assert window.current_page() == "home"
    assert "not available" in window.statusBar().currentMessage()
    assert open_from_home(window, "agreements", "第二批 阿卡波糖片") is True
    assert window.current_page() == "agreements"


def test_alerts_follow_a_saved_exemption(window, wait_idle):
    """AV-9: exempting 阿卡波糖片 takes its AV-2 and AV-3 alerts off the panel."""
    from pharmacy_app.agreement_records import ExemptionRecord, save_exemption

    def exempt(ctx):
        save_exemption(ctx.conn, "H46010001", ExemptionRecord(
            "阿卡波糖片", "guideline_change", dt.date(2026, 11, 1), batch="第二批"))

    window.worker.op(exempt).run()
    wait_idle(window.worker)
    subjects = {(a["rule"], a["subject"]) for a in window.home.alerts}
    assert ("AV-3", "第二批 阿卡波糖片") not in subjects
    assert ("AV-2", "第二批 阿卡波糖片") not in subjects
    assert window.home.alerts_panel.model.item_at(1).rule == "AV-2"


def test_alerts_follow_a_raised_supply_ticket(window, db_path, wait_idle):
    """SUP-4: a ticket overdue for an answer shows on home as soon as it is raised."""
    from pharmacy_app.tickets import raise_ticket

    code = open_db(db_path).execute(
        "SELECT code FROM products WHERE kind = 'drug' AND active ORDER BY code LIMIT 1"
    ).fetchone()[0]
    before = sum(1 for a in window.home.alerts if a["rule"] == "SUP-4")

    def raise_one(ctx):
        raise_ticket(ctx.conn, code, "海南测试医药有限公司", "断货", dt.date(2026, 11, 2), "王敏")

    window.worker.op(raise_one).run()
    wait_idle(window.worker)
    conn = open_db(db_path)
    try:
        expected = compute_alerts(conn, DEMO_DAY)
    finally:
        conn.close()
    assert sum(1 for a in expected if a["rule"] == "SUP-4") == before + 1
    assert window.home.alerts == expected


def test_no_institution_no_alerts(qtbot, conn, worker, wait_idle):
    win = MainWindow(worker)
    qtbot.addWidget(win)
    win.show()
    win.show_page("home")
    win.load()
    wait_idle(worker)
    assert win.home.alerts == []
    assert "institution" in win.home.alerts_panel.note.text()
