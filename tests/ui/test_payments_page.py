"""The payments page (PAY-0 … PAY-4) on the demo data.

The page's figures must equal `compute_indicators` (the `indicators --json`
code path): the 30-day rate (PAY-3) and offline share (PAY-4) on the cards,
every settlement month (PAY-2) in the calendar, the late orders, the
prepayments (PAY-1); money shown as yuan with two decimals. The drill-down
dialogs add up to the row they open from; every model passes qtmodeltester.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from PySide6.QtCore import QDate

from pharmacy_app.indicators import compute_indicators
from pharmacy_app.store import open_store
from ui.payments.page import LinesDialog, PaymentsPage
from ui.worker import DbWorker

DEMO_DAY = dt.date(2026, 11, 23)


def indicators(worker: DbWorker, as_of: dt.date) -> dict:
    conn = open_store(worker.db_path)
    try:
        return compute_indicators(conn, as_of)
    finally:
        conn.close()


def yuan(amount: float) -> str:
    """JSON money (yuan, float) as the page shows it."""
    return f"{Decimal(str(amount)):,.2f}"


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


@pytest.fixture
def page(qtbot, demo_worker, wait_idle) -> PaymentsPage:
    p = PaymentsPage(demo_worker)
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    qtbot.waitUntil(lambda: p.overview is not None, timeout=20_000)
    wait_idle(demo_worker)
    return p


def assert_page_equals_indicators(page: PaymentsPage, expected: dict) -> None:
    pay = expected["payments"]
    assert page.rate_card.value.text() == pct(pay["thirty_day_rate"])
    assert page.offline_card.value.text() == pct(pay["offline_share"], 2)
    assert yuan(pay["thirty_day"]["due_amount"]) in page.rate_card.detail.text()
    assert yuan(pay["thirty_day"]["paid_in_window"]) in page.rate_card.detail.text()
    assert page.prepay_card.value.text() == yuan(pay["prepayment_total"])
    cal = page.calendar_model
    assert cal.rowCount() == len(pay["settlements"]) > 0
    for i, m in enumerate(pay["settlements"]):
        assert cal.cell(i, "Month") == m["month"]
        assert cal.cell(i, "VBP purchases (yuan)") == yuan(m["delivered_amount"])
        assert cal.cell(i, "Due by") == m["deadline"]
        assert cal.cell(i, "Paid by the deadline (yuan)") == yuan(m["paid_by_deadline"])
        assert cal.cell(i, "Late amount (yuan)") == yuan(m["late_amount"])
        assert cal.cell(i, "Still owed (yuan)") == yuan(m["unpaid_amount"])
    late = page.late_model
    assert late.rowCount() == len(pay["late_settlements"])
    for i, o in enumerate(pay["late_settlements"]):
        assert late.cell(i, "Order") == o["order_id"]
        assert late.cell(i, "Late amount (yuan)") == yuan(o["late_amount"])
    prepay = page.prepay_model
    assert [prepay.cell(i, "Prepayment (yuan)") for i in range(prepay.rowCount())] == [
        yuan(p["prepayment"]) for p in pay["prepayments"]]


def test_pay_figures_equal_compute_indicators(page):
    """PAY-1, PAY-2, PAY-3, PAY-4 on the page = `indicators --json` (one code path)."""
    assert page.overview.as_of == DEMO_DAY
    expected = indicators(page.worker, DEMO_DAY)
    assert_page_equals_indicators(page, expected)
    # The demo pays some months late (PAY-2) and stays under the 5% offline line (PAY-4).
    assert any(m["late_amount"] > 0 for m in expected["payments"]["settlements"])
    assert "5%" in page.offline_card.detail.text()


def test_as_of_picker_recomputes(qtbot, page, wait_idle):
    with qtbot.waitSignal(page.overview_shown, timeout=20_000):
        page.date_edit.setDate(QDate(2026, 5, 10))
    wait_idle(page.worker)
    assert page.overview.as_of == dt.date(2026, 5, 10)
    assert_page_equals_indicators(page, indicators(page.worker, dt.date(2026, 5, 10)))
    # On its deadline day April is judged; May is not yet due (PAY-2).
    status = {page.calendar_model.cell(i, "Month"): page.calendar_model.row_at(i).status
              for i in range(page.calendar_model.rowCount())}
    assert status["2026-04"] in ("on_time", "paid_late", "overdue")
    assert status["2026-05"] in ("open", "paid")


def test_pay3_basis_explains_the_denominator(page):
    b = page.overview.thirty_day
    assert b.due_fen + b.not_yet_due_fen + b.undelivered_fen == b.total_fen
    text = page.basis_label.text()
    assert b.last_due_delivery.isoformat() == "2026-10-24"  # 30 days before 2026-11-23
    assert "2026-10-24" in text


def opened(qtbot, page: PaymentsPage, action) -> LinesDialog:
    with qtbot.waitSignal(page.dialog_opened, timeout=20_000) as signal:
        action()
    return signal.args[0]


def fen(text: str) -> int:
    return int(Decimal(text.replace(",", "")) * 100)


def test_pay2_month_drill_down_adds_up(qtbot, page):
    row = page.overview.calendar[0]
    dialog = opened(qtbot, page, lambda: page.show_month(row.month))
    lines = dialog.models[0]
    assert sum(fen(lines.cell(i, "Amount (yuan)")) for i in range(lines.rowCount())) == \
        row.purchased_fen
    assert sum(x.paid_by_cutoff_fen for x in lines.rows()) == row.paid_by_deadline_fen
    dialog.close()


def test_pay0_late_order_drill_down_shows_lines_and_payments(qtbot, page):
    late = page.overview.figures.late_orders[0]
    dialog = opened(qtbot, page, lambda: page.show_late_order(late))
    lines, payments = dialog.models
    assert sum(x.amount_fen for x in lines.rows()) == late.amount_fen
    assert sum(x.paid_by_cutoff_fen for x in lines.rows()) == late.paid_by_deadline_fen
    assert all(p.order_id == late.order_id for p in payments.rows())
    dialog.close()


def test_pay3_and_pay4_drill_downs_add_up(qtbot, page):
    f = page.overview.figures
    dialog = opened(qtbot, page, page.show_shortfall)
    assert sum(x.short_fen for x in dialog.models[0].rows()) == f.due_fen - f.paid_in_window_fen
    dialog.close()
    dialog = opened(qtbot, page, page.show_offline)
    assert sum(x.amount_fen for x in dialog.models[0].rows()) == f.offline_fen
    dialog.close()


def test_pay2_alert_subject_selects_its_month(qtbot, demo_worker, wait_idle):
    """The home page's PAY-2 alert names a month; the page selects it, also before loading."""
    p = PaymentsPage(demo_worker)
    qtbot.addWidget(p)
    p.focus_subject("2026-03")
    p.show()
    qtbot.waitUntil(lambda: p.overview is not None, timeout=20_000)
    wait_idle(demo_worker)
    assert p.tabs.currentIndex() == 0
    assert p.calendar_view.currentIndex().row() == 2  # 2026-01, 2026-02, 2026-03
    p.focus_subject("2026-05")
    assert p.calendar_model.row_at(p.calendar_view.currentIndex().row()).month == "2026-05"


def test_models_pass_qtmodeltester(qtmodeltester, qtbot, page):
    for model in (page.calendar_model, page.late_model, page.prepay_model):
        qtmodeltester.check(model)
    dialog = opened(qtbot, page, lambda: page.show_late_order(page.overview.figures.late_orders[0]))
    for model in dialog.models:
        qtmodeltester.check(model)
    dialog.close()
