"""The agreed-volumes page on the demo data (AV-1…AV-9, AV-11, AV-12).

The page must show exactly what `compute_indicators` (the CLI's JSON) says,
recompute when an emergency (AV-7) or exemption (AV-9) is saved, and drill
down to purchase lines whose totals are the figures.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from PySide6.QtCore import QDate, Qt

from db import open_db
from pharmacy_app.indicators import compute_indicators
from ui.agreements.charts import MonthlyChart
from ui.agreements.dialogs import LinesDialog
from ui.agreements.models import PROGRESS_COLUMN, PROGRESS_ROLE, AgreementsModel
from ui.agreements.page import AgreementsPage
from ui.main_window import MainWindow

DEMO_DAY = dt.date(2026, 11, 23)


@pytest.fixture
def demo_db(demo_file, db_path):
    shutil.copy(demo_file, db_path)
    return db_path


@pytest.fixture
def page(qtbot, demo_db, worker, wait_idle) -> AgreementsPage:
    p = AgreementsPage(worker)
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    wait_idle(worker)
    assert p.view_data is not None
    return p


def expected(db_path, as_of):
    conn = open_db(db_path)
    try:
        return compute_indicators(conn, as_of)
    finally:
        conn.close()


def test_page_figures_equal_compute_indicators(page, demo_db):
    """AV-2, AV-3, AV-5, AV-9: every row is the CLI's agreements element."""
    assert page.as_of() == DEMO_DAY  # app_settings demo_as_of, as on the essential page
    data = expected(demo_db, DEMO_DAY)
    rows = {(r.figures.batch, r.figures.generic): r.figures.to_json() for r in page.view_data.rows}
    assert len(rows) == len(data["agreements"]) == 17
    keys = ["agreed_qty", "selected_qty", "progress", "time_progress", "behind_schedule",
            "non_selected_qty", "non_selected_share", "non_selected_alert", "band", "exempt",
            "alerts", "emergency_backup_qty"]
    for a in data["agreements"]:
        shown = rows[(a["batch"], a["generic"])]
        assert {k: shown[k] for k in keys} == {k: a[k] for k in keys}
    total = data["agreements_total"]
    assert page.view_data.total.to_json() == total
    assert f"{total['progress'] * 100:.1f}%" in page.summary_label.text()


def test_model_passes_qtmodeltester_and_shows_the_cells(page, qtmodeltester):
    qtmodeltester.check(page.model)
    model = page.model
    row = next(i for i in range(model.rowCount()) if model.row_at(i).figures.generic == "阿莫西林胶囊")
    f = model.row_at(row).figures
    cell = lambda c: model.index(row, c).data()  # noqa: E731
    assert cell(0) == "第二批" and cell(1) == "阿莫西林胶囊"
    assert cell(3) == f"{f.agreed_qty:,}" and cell(4) == f"{f.selected_qty:,}"
    assert cell(6) == "Not completed"
    assert "⚠ over 30%" in cell(7)  # AV-5: 38 % above the 30 % line
    assert cell(9) == "AV-2 AV-5"
    figures = model.index(row, PROGRESS_COLUMN).data(PROGRESS_ROLE)
    assert figures.progress == pytest.approx(float(f.progress))
    assert figures.time_progress == pytest.approx(float(f.time_progress))
    exempt_row = next(i for i in range(model.rowCount()) if model.row_at(i).figures.exempt)
    assert model.index(exempt_row, 6).data() == "Exempt"
    assert "Key-monitoring list since" in model.index(exempt_row, 8).data()


def test_progress_delegate_and_chart_paint(page):
    image = page.table.viewport().grab().toImage()
    assert not image.isNull()
    assert isinstance(page.chart, MonthlyChart)
    assert not page.chart.grab().toImage().isNull()
    assert MonthlyChart.nice_max(3_400) == 5_000 and MonthlyChart.nice_max(0) == 1.0


def test_filter_and_search(page):
    """AV-2 behind schedule, AV-3 unqualified, and the search by pinyin initials."""
    rows = page.view_data.rows
    behind = {r.subject for r in rows if r.figures.behind_schedule and not r.figures.exempt}
    page.filter_combo.setCurrentIndex(page.filter_combo.findData("behind"))
    assert {page.model.row_at(i).subject for i in range(page.model.rowCount())} == behind
    page.filter_combo.setCurrentIndex(page.filter_combo.findData("unqualified"))
    assert [page.model.row_at(i).subject for i in range(page.model.rowCount())] == ["第二批 阿卡波糖片"]
    page.filter_combo.setCurrentIndex(page.filter_combo.findData("all"))
    page.search_edit.setText("amxl")
    assert [page.model.row_at(i).subject for i in range(page.model.rowCount())] == ["第二批 阿莫西林胶囊"]
    page.search_edit.setText("no such thing")
    assert page.model.rowCount() == 0
    assert not page.lines_button.isEnabled()


def test_as_of_date_recomputes(page, demo_db, wait_idle):
    """AV-2: an earlier as-of date gives that date's figures (the CLI's, again)."""
    page.date_edit.setDate(QDate(2026, 6, 30))
    wait_idle(page.worker)
    assert page.view_data.as_of == dt.date(2026, 6, 30)
    data = expected(demo_db, dt.date(2026, 6, 30))
    shown = {r.subject: r.figures.to_json()["progress"] for r in page.view_data.rows}
    assert shown == {f"{a['batch']} {a['generic']}": a["progress"] for a in data["agreements"]}


def test_selected_agreement_shows_its_months(page, wait_idle):
    assert page.focus_subject("第二批 阿莫西林胶囊 / XA01")
    wait_idle(page.worker)
    row = page.selected_row()
    assert row.subject == "第二批 阿莫西林胶囊"
    detail = page.detail
    assert detail is not None and detail.agreement_id == row.id
    months = page.chart.months
    assert [m.month for m in months][0] == "2026-03" and len(months) == 12
    last = [m for m in detail.months if m.reached][-1]
    assert last.cumulative_selected == row.figures.selected_qty
    assert last.progress == row.figures.progress
    assert months[-1].progress is None  # 2027-02: not reached yet
    assert "68.2%" in page.detail_label.text()


def test_double_click_opens_the_lines_behind_the_figures(page, qtbot, wait_idle):
    page.focus_subject("第三批 头孢呋辛酯片")
    wait_idle(page.worker)
    row = page.model.row_of(page.selected_id())
    rect = page.table.visualRect(page.model.index(row, 1))
    # Qt 6 item views emit doubleClicked only for the index pressed before.
    qtbot.mousePress(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    wait_idle(page.worker)
    dialog = page.dialogs[-1]
    assert isinstance(dialog, LinesDialog)
    f = page.selected_row().figures
    kinds = {r.counts_as for r in dialog.model.rows()}
    assert "emergency_backup" in kinds and "backup" in kinds  # the demo's AV-7 emergency
    total = sum(r.units for r in dialog.model.rows() if r.counts_as in ("selected", "emergency_backup"))
    assert total == f.selected_qty
    assert f"selected {f.selected_qty:,}" in dialog.totals.text()
    dialog.month_combo.setCurrentIndex(dialog.month_combo.findData("2026-04"))
    assert {r.month for r in dialog.model.rows()} == {"2026-04"}
    dialog.reject()


def test_lines_button_and_month_click(page, wait_idle):
    page.focus_subject("第二批 阿卡波糖片")
    wait_idle(page.worker)
    page.chart.month_clicked.emit("2026-05")
    wait_idle(page.worker)
    dialog = page.dialogs[-1]
    assert dialog.month() == "2026-05"
    assert all(r.month == "2026-05" for r in dialog.model.rows()) and dialog.model.rowCount() > 0
    dialog.reject()
    page.lines_button.click()
    wait_idle(page.worker)
    assert page.dialogs[-1].month() is None


def test_av7_emergency_saved_from_the_dialog_recomputes_the_page(page, wait_idle):
    page.focus_subject("第二批 盐酸二甲双胍片")
    wait_idle(page.worker)
    before = page.selected_row().figures
    assert before.emergency_backup_qty == 0 and before.backup_qty > 0
    dialog = page.open_emergencies()
    wait_idle(page.worker)
    assert dialog.form_generic() == ("盐酸二甲双胍片", "第二批")  # preset from the selected row
    assert dialog.model.rowCount() == 1  # the demo's 头孢呋辛酯片 emergency
    # Rejected first: the message names the field and nothing is written.
    dialog.start_edit.setDate(QDate(2026, 5, 2))
    dialog.end_edit.setDate(QDate(2026, 5, 1))
    dialog.add()
    wait_idle(page.worker)
    assert dialog.error_label.isVisibleTo(dialog)
    assert dialog.error_label.text().startswith("结束日期：")
    assert dialog.model.rowCount() == 1
    dialog.start_edit.setDate(QDate(2026, 3, 1))
    dialog.end_edit.setDate(QDate(2026, 11, 23))
    dialog.reason_edit.setText("中选企业停产")
    dialog.add()
    wait_idle(page.worker)
    assert not dialog.error_label.isVisibleTo(dialog)
    assert dialog.model.rowCount() == 2
    after = page.view_data.row_by_id(before.id).figures
    assert after.emergency_backup_qty == before.backup_qty  # AV-7: all backup purchases count
    assert after.selected_qty == before.selected_qty + before.backup_qty
    # Remove it again: the figures go back.
    new_row = next(i for i in range(dialog.model.rowCount())
                   if dialog.model.row_at(i).generic == "盐酸二甲双胍片")
    dialog.view.selectRow(new_row)
    assert dialog.remove_button.isEnabled()
    dialog.ask_remove()
    assert dialog.confirm_box is not None
    dialog.confirm_box.accept()
    wait_idle(page.worker)
    assert dialog.model.rowCount() == 1
    assert page.view_data.row_by_id(before.id).figures.emergency_backup_qty == 0
    dialog.reject()


def test_av9_exemption_saved_from_the_dialog(page, wait_idle):
    page.focus_subject("第二批 阿卡波糖片")
    wait_idle(page.worker)
    dialog = page.open_exemptions()
    wait_idle(page.worker)
    assert dialog.model.rowCount() == 1  # the demo's 塞来昔布胶囊
    dialog.reason_combo.setCurrentIndex(dialog.reason_combo.findData("other"))
    dialog.declared_edit.setDate(QDate(2026, 11, 1))
    dialog.add()
    wait_idle(page.worker)
    assert dialog.error_label.text().startswith("说明：")  # "other" needs a note
    dialog.note_edit.setText("院内药事会决定")
    dialog.add()
    wait_idle(page.worker)
    assert dialog.model.rowCount() == 2
    row = page.view_data.row_by_id(page.selected_id())
    assert row.figures.exempt and row.figures.exemption.reason == "other"
    page.filter_combo.setCurrentIndex(page.filter_combo.findData("unqualified"))
    assert page.model.rowCount() == 0  # AV-9: an exempt 通用名 is not assessed
    dialog.reject()


def test_window_lists_the_page(qtbot, demo_db, worker, wait_idle):
    win = MainWindow(worker)
    qtbot.addWidget(win)
    win.show()
    win.load()
    wait_idle(worker)
    win.show_page("agreements")
    wait_idle(worker)
    assert win.current_page() == "agreements"
    assert win.agreements.view_data is not None and win.agreements.model.rowCount() == 17


def test_lines_model_passes_qtmodeltester(page, wait_idle, qtmodeltester):
    page.focus_subject("第二批 阿莫西林胶囊")
    wait_idle(page.worker)
    page.show_lines()
    dialog = page.dialogs[-1]
    qtmodeltester.check(dialog.model)
    dialog.reject()
    empty = AgreementsModel()
    qtmodeltester.check(empty)


def test_av9_dialog_offers_exactly_the_domains_reasons():
    from pharmacy_app.indicators.agreements import EXEMPTION_REASONS as DOMAIN
    from ui.agreements.dialogs import EXEMPTION_REASONS
    from ui.agreements.models import REASON_NAMES

    assert set(EXEMPTION_REASONS) == set(DOMAIN) == set(REASON_NAMES)


def test_monthly_chart_slots_hit_test_and_tooltips(qtbot):
    """The monthly chart's slots (shared SlotChart): the painted bar under the
    pointer is found, its tooltip shown, and a click emits its month."""
    from PySide6.QtCore import QPointF

    from ui.agreements.charts import ChartMonth, MonthlyChart

    chart = MonthlyChart()
    qtbot.addWidget(chart)
    chart.resize(640, 260)
    chart.set_months([
        ChartMonth("2026-03", 10, 2, 0.1, 0.08, "3月：中选 10"),
        ChartMonth("2026-04", 12, 0, 0.2, 0.17, ""),
    ])
    chart.show()
    qtbot.waitExposed(chart)
    chart.grab()  # paints, which lays out the slots
    centre = chart._slots[0].center()
    assert chart.slot_at(centre) == 0
    assert chart.slot_tooltip(0) == "3月：中选 10" and chart.slot_tooltip(1) == ""
    assert chart.slot_at(QPointF(-5, -5)) is None
    with qtbot.waitSignal(chart.month_clicked) as clicked:
        qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=centre.toPoint())
    assert clicked.args == ["2026-03"]
