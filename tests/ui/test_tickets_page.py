"""The supply-problem tickets page (SUP-4): raise, answer, commit, resolve; deadlines
across National Day 2026; overdue filter; the calendar-missing message."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import AMOXICILLIN

from pharmacy_app.tickets import answer_ticket, raise_ticket
from ui.tickets.dialogs import StepDialog, TicketDialog
from ui.tickets.model import TicketModel
from ui.tickets.page import TicketsPage

SUPPLIER = "国药控股海南有限公司"


@pytest.fixture
def tickets_db(catalogue_db):
    from pharmacy_app.workdays import ensure_bundled_calendar

    conn = catalogue_db
    ensure_bundled_calendar(conn)
    conn.execute(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, amount_fen,
               ordered_at, supplier) VALUES ('O1', '1', 'H46010001', ?, 1, 1250,
               '2026-09-01 09:00:00', ?)""",
        (AMOXICILLIN, SUPPLIER),
    )
    # The page opens as of the database's own day (Tue before National Day).
    conn.execute("INSERT INTO app_settings (key, value) VALUES ('demo_as_of', '2026-09-29')")
    return conn


def make_page(qtbot, worker, wait_idle) -> TicketsPage:
    p = TicketsPage(worker)
    qtbot.addWidget(p)
    p.resize(1300, 600)
    p.show()
    wait_idle(worker)
    return p


@pytest.fixture
def page(qtbot, worker, tickets_db, wait_idle) -> TicketsPage:
    return make_page(qtbot, worker, wait_idle)


def raise_through_dialog(qtbot, page: TicketsPage, worker, wait_idle) -> None:
    page.open_raise()
    dialog = page.dialog
    assert isinstance(dialog, TicketDialog)
    wait_idle(worker)
    assert dialog.supplier.count() == 1 and dialog.supplier.itemText(0) == SUPPLIER
    dialog.submit()  # nothing chosen yet
    assert "Product" in dialog.error.text()
    dialog.search.setText("amxl")  # pinyin initials of 阿莫西林 (the inactive 阿莫西林克拉维酸钾 is not offered)
    qtbot.waitUntil(lambda: dialog.products.rowCount() > 0, timeout=5000)
    wait_idle(worker)
    assert dialog.chosen_code == AMOXICILLIN  # a single hit is picked
    dialog.supplier.setCurrentText(SUPPLIER)
    dialog.problem.setPlainText("订单 48 小时未响应")
    dialog.submit()
    wait_idle(worker)


def test_raise_answer_commit_resolve(qtbot, page, worker, wait_idle):
    raise_through_dialog(qtbot, page, worker, wait_idle)
    assert page.dialog is None or not page.dialog.isVisible()
    model = page.model
    assert model.rowCount() == 1
    v = model.row_at(0)
    assert v.status == "open" and v.ticket.raised_on == dt.date(2026, 9, 29)
    # SUP-4 across National Day: answer due Thu 10-08, fix by Mon 10-12 (Sat 10-10 worked).
    assert model.index(0, 6).data() == "2026-10-08"
    assert model.index(0, 7).data() == "2026-10-12"
    assert model.index(0, 8).data() == "2 working days left"
    assert page.selected() is not None and page.selected().ticket.id == v.ticket.id
    assert page.answer_button.isEnabled() and not page.commit_button.isEnabled()
    assert not page.escalate_button.isEnabled()

    page.open_step("answer")
    dialog = page.dialog
    assert isinstance(dialog, StepDialog)
    dialog.submit()  # no answer text
    wait_idle(worker)
    assert "答复内容" in dialog.error.text()
    dialog.text.setPlainText("明日补货")
    dialog.submit()
    wait_idle(worker)
    assert page.model.row_at(0).status == "answered"
    assert page.commit_button.isEnabled()

    page.open_step("commit")
    dialog = page.dialog
    assert dialog.fix_date.date().toPython() == dt.date(2026, 10, 12)  # the limit, proposed
    dialog.submit()
    wait_idle(worker)
    assert page.model.row_at(0).status == "fix_committed"

    page.open_step("resolve")
    dialog = page.dialog
    dialog.text.setPlainText("已到货")
    dialog.submit()
    wait_idle(worker)
    assert page.which() == "open" and page.model.rowCount() == 0  # resolved leaves the open list
    page.set_filter("all")
    wait_idle(worker)
    page.view.selectRow(0)
    v = page.model.row_at(0)
    assert v.status == "resolved" and v.ticket.resolved_by
    assert page.model.index(0, 8).data() == "Resolved in time"
    assert not page.resolve_button.isEnabled() and not page.edit_button.isEnabled()


def test_overdue_filter_and_escalation(qtbot, worker, tickets_db, wait_idle):
    late = raise_ticket(tickets_db, AMOXICILLIN, SUPPLIER, "缺货", dt.date(2026, 9, 29), "王敏")
    on_time = raise_ticket(tickets_db, AMOXICILLIN, "华润海南医药有限公司", "破损", dt.date(2026, 9, 29), "王敏")
    answer_ticket(tickets_db, on_time, dt.date(2026, 10, 8), "换货", "企业")
    page = make_page(qtbot, worker, wait_idle)
    page.set_filter("all")
    page.date_edit.setDate(dt.date(2026, 10, 9))
    wait_idle(worker)
    model = page.model
    assert [model.row_at(i).ticket.id for i in range(model.rowCount())] == [late, on_time]
    assert model.index(0, 5).data() == "Overdue – escalated"
    assert model.index(0, 8).data() == "1 working days overdue"
    assert model.index(1, 5).data() == "Answered"
    assert page.count_label.text() == "2 shown, 1 overdue"
    page.set_filter("overdue")
    wait_idle(worker)
    assert [model.row_at(i).ticket.id for i in range(model.rowCount())] == [late]
    page.view.selectRow(0)
    assert page.escalate_button.isEnabled()
    page.open_step("escalate")
    dialog = page.dialog
    dialog.text.setPlainText("已报区医保局")
    dialog.submit()
    wait_idle(worker)
    assert "Reported to the insurance bureau" in model.index(0, 9).data()


def test_tickets_model_passes_qtmodeltester(qtmodeltester, worker, tickets_db, qtbot, wait_idle):
    raise_ticket(tickets_db, AMOXICILLIN, SUPPLIER, "缺货", dt.date(2026, 9, 29), "王敏")
    page = make_page(qtbot, worker, wait_idle)
    assert page.model.rowCount() == 1
    qtmodeltester.check(page.model, force_py=True)
    qtmodeltester.check(TicketModel(), force_py=True)


def test_calendar_missing_year_is_a_message_then_imported(
    qtbot, worker, tickets_db, wait_idle, tmp_path
):
    tickets_db.execute(
        """INSERT INTO supply_tickets (institution_code, product_code, supplier, problem,
               raised_on, raised_by) VALUES ('H46010001', ?, ?, '缺货', '2026-12-30', '王敏')""",
        (AMOXICILLIN, SUPPLIER),
    )
    tickets_db.execute("UPDATE app_settings SET value = '2027-01-05' WHERE key = 'demo_as_of'")
    page = make_page(qtbot, worker, wait_idle)
    assert page.message.isVisible()
    assert "2027年的工作日历尚未载入" in page.message.text()
    assert page.model.rowCount() == 0

    bad = tmp_path / "cal_bad.csv"
    bad.write_text("date,kind\n2027-01-01,party\n", encoding="utf-8")
    page.import_calendar(bad)
    wait_idle(worker)
    assert "第2行「kind」列" in page.message.text()
    good = tmp_path / "cal_2027.csv"
    good.write_text("date,kind,holiday_zh\n2027-01-01,holiday,元旦\n", encoding="utf-8")
    page.import_calendar(good)
    wait_idle(worker)
    assert not page.message.isVisible()
    assert "cal_2027.csv" in page.count_label.text()  # the import is confirmed after the reload
    assert page.model.rowCount() == 1
    # Raised Wed 2026-12-30: 12-31 is day 1, 2027-01-01 a holiday, Mon 01-04 day 2.
    assert page.model.row_at(0).answer_due == dt.date(2027, 1, 4)
