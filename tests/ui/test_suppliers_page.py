"""The suppliers page (SUP-1, SUP-2, SUP-3, SUP-5, SUP-6) on the demo data.

The page's figures must equal `compute_indicators` (the `indicators --json`
code path) at the page's as-of date, also after the as-of picker moves; the
selected company's lines and 48-hour list agree with its counts; the export
runs through the worker after the file dialog and writes the company's
lines (read back with python-calamine); every model passes qtmodeltester.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QFileDialog
from python_calamine import CalamineWorkbook

from pharmacy_app.exports.unresponded import HEADERS, SHEET
from pharmacy_app.indicators import compute_indicators
from pharmacy_app.store import open_store
from ui.main_window import MainWindow
from ui.suppliers.columns import TIER_NAMES
from ui.suppliers.page import SuppliersPage

DEMO_DAY = dt.date(2026, 11, 23)


def indicators(path: Path, as_of: dt.date) -> dict:
    conn = open_store(path)
    try:
        return compute_indicators(conn, as_of)
    finally:
        conn.close()


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


@pytest.fixture
def page(qtbot, demo_worker, wait_idle) -> SuppliersPage:
    p = SuppliersPage(demo_worker)
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    qtbot.waitUntil(lambda: p.overview is not None and p.detail is not None, timeout=20_000)
    wait_idle(demo_worker)
    return p


def assert_rows_equal_indicators(page: SuppliersPage, expected: dict) -> None:
    model = page.suppliers_model
    rows = expected["suppliers"]
    assert model.rowCount() == len(rows) > 0
    for i, s in enumerate(rows):
        assert model.cell(i, "Delivery company") == s["supplier"]
        assert model.cell(i, "Order lines") == f"{s['orders']:,}"
        assert model.cell(i, "Response rate (SUP-1)") == pct(s["response_rate"])
        assert model.cell(i, "Timeliness (SUP-2)") == pct(s["timeliness"])
        assert model.cell(i, "Unresponded ≥ 48 h (SUP-3)") == f"{s['unresponded_48h']:,}"
        assert model.cell(i, "Score tier (SUP-5)") == TIER_NAMES[s["tier"]]
        interview = model.cell(i, "Interview (约谈)")
        assert bool(interview) == s["interview"]
        if s["interview"]:
            assert interview.startswith(s["interview_quarters"][0])
            assert interview.endswith(s["interview_quarters"][-1])


def test_sup_figures_equal_compute_indicators(page, demo_copy):
    """SUP-1, SUP-2, SUP-3, SUP-5 on the page = `indicators --json` (one code path)."""
    assert page.overview.as_of == DEMO_DAY  # the demo's own 'today'
    expected = indicators(demo_copy, DEMO_DAY)
    assert_rows_equal_indicators(page, expected)
    # The demo's late deliverer is listed for interview (SUP-2, 2 quarters) in the warning tier.
    interviewed = [s["supplier"] for s in expected["suppliers"] if s["interview"]]
    assert interviewed
    row = [s.supplier for s in page.suppliers_model.rows()].index(interviewed[0])
    index = page.suppliers_model.index(row, 5)
    assert page.suppliers_model.data(index, Qt.ItemDataRole.ForegroundRole) is not None


def test_as_of_picker_recomputes(qtbot, page, demo_copy, wait_idle):
    with qtbot.waitSignal(page.overview_shown, timeout=20_000):
        page.date_edit.setDate(QDate(2026, 6, 30))
    wait_idle(page.worker)
    assert page.overview.as_of == dt.date(2026, 6, 30)
    assert_rows_equal_indicators(page, indicators(demo_copy, dt.date(2026, 6, 30)))


def test_selected_supplier_lines_quarters_and_48h_list(qtbot, page, wait_idle):
    o = page.overview
    worst = max(o.suppliers, key=lambda s: s.unresponded_48h)
    with qtbot.waitSignal(page.detail_shown, timeout=20_000):
        page.select_supplier(worst.supplier)
    wait_idle(page.worker)
    assert page.selected_supplier() == worst.supplier
    assert page.delayed_model.rowCount() == worst.unresponded_48h > 0
    assert page.lines_model.rowCount() == worst.orders
    assert sum(x.delayed_48h for x in page.lines_model.rows()) == worst.unresponded_48h
    assert [q.quarter for q in page.quarters_model.rows()] == [q.quarter for q in worst.quarters]
    with qtbot.waitSignal(page.detail_shown, timeout=20_000):
        page.only_open.setChecked(True)
    open_rows = page.delayed_model.rows()
    assert open_rows and all(r.still_open for r in open_rows)
    assert len(open_rows) < worst.unresponded_48h


def test_supplier_asked_for_before_loading_is_selected(qtbot, demo_worker, wait_idle):
    """The home page's alerts may open a company before the page has its figures."""
    p = SuppliersPage(demo_worker)
    qtbot.addWidget(p)
    p.select_supplier("海南琼岛医药物流有限公司")
    p.show()
    qtbot.waitUntil(lambda: p.detail is not None, timeout=20_000)
    wait_idle(demo_worker)
    assert p.selected_supplier() == "海南琼岛医药物流有限公司"
    assert p.detail.supplier == "海南琼岛医药物流有限公司"


def test_sup_alert_subject_opens_the_company_and_its_48h_list(qtbot, page):
    """ui.home.page.open_from_home calls focus_subject with the alert's subject."""
    page.tabs.setCurrentIndex(2)
    with qtbot.waitSignal(page.detail_shown, timeout=20_000):
        page.focus_subject("海南琼岛医药物流有限公司")
    assert page.tabs.currentIndex() == 0
    assert page.detail.supplier == "海南琼岛医药物流有限公司"


def test_models_pass_qtmodeltester(qtmodeltester, page):
    for model in (page.suppliers_model, page.quarters_model, page.lines_model,
                  page.delayed_model, page.over_limit_model):
        qtmodeltester.check(model)


def test_export_runs_on_the_worker_after_the_file_dialog(qtbot, page, monkeypatch, tmp_path):
    """SUP-3: the company's 48-hour list, written by the worker, read back."""
    name = page.selected_supplier()
    expected = page.overview.supplier(name).unresponded_48h
    out = tmp_path / "list.xlsx"
    asked: list[str] = []

    def fake_dialog(parent, caption, directory, file_filter):
        asked.append(directory)
        return str(out), file_filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_dialog))
    with qtbot.waitSignal(page.exported, timeout=20_000) as signal:
        qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    assert asked and asked[0].endswith(".xlsx") and name in asked[0]
    assert signal.args[0].supplier == name
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name(SHEET).to_python()
    assert tuple(rows[0]) == HEADERS
    assert len(rows) - 1 == expected
    assert {r[HEADERS.index("配送企业")] for r in rows[1:]} == {name}
    assert str(out) in page.export_status.text()


def test_export_cancelled_or_rejected_writes_nothing(qtbot, page, monkeypatch, tmp_path,
                                                      wait_idle):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a: ("", "")))
    page.export_all()
    wait_idle(page.worker)
    assert page.worker.is_idle() and page.export_status.text() == ""
    page.export_to(tmp_path / "no such folder" / "x.xlsx", None)
    qtbot.waitUntil(lambda: "Not exported" in page.export_status.text(), timeout=20_000)
    assert not (tmp_path / "no such folder").exists()


def test_main_window_opens_suppliers_and_payments_by_key(qtbot, demo_worker, wait_idle):
    window = MainWindow(demo_worker)
    qtbot.addWidget(window)
    window.show()
    window.show_page("suppliers")
    assert window.current_page() == "suppliers" and window.suppliers.isVisible()
    window.show_page("payments")
    assert window.current_page() == "payments" and window.payments.isVisible()
    assert not window.suppliers.isVisible()
    qtbot.waitUntil(lambda: window.payments.overview is not None, timeout=20_000)
    wait_idle(demo_worker)
