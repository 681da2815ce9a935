"""SUP-4 supply-problem tickets: answer within 2 working days, fix no later than 5,
on the official calendar (National Day 2026 and its make-up days), escalation, alerts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pharmacy_app.catalogue import Product, save_products
from pharmacy_app.cli import main
from pharmacy_app.indicators import compute_alerts
from pharmacy_app.institutions import init_institution
from pharmacy_app.store import open_store
from pharmacy_app.tickets import (
    CalendarMissing,
    TicketError,
    answer_ticket,
    commit_fix,
    escalate_ticket,
    get_ticket,
    known_suppliers,
    list_tickets,
    raise_ticket,
    resolve_ticket,
    ticket_alerts,
    update_ticket,
)

D = dt.date
CODE = "XJ01CAA001A001010000301"
SUPPLIER = "海南康信医药有限公司"
# Tue 2026-09-29: 09-30 is working day 1; 10-01…10-07 are holidays; Thu 10-08 is day 2
# (answer due); Fri 10-09 day 3, Sat 10-10 (make-up working day) day 4, Mon 10-12 day 5.
RAISED = D(2026, 9, 29)
ANSWER_DUE = D(2026, 10, 8)
FIX_LIMIT = D(2026, 10, 12)


@pytest.fixture
def db(db_path: Path):
    conn = open_store(db_path)
    init_institution(conn, "H46010001", "测试卫生院", "grassroots")
    save_products(conn, [Product(CODE, "阿莫西林", dosage_form="胶囊", specification="0.25g",
                                 package="0.25g*24粒/盒")])
    yield conn
    conn.close()


def one(conn, as_of: dt.date):
    (view,) = list_tickets(conn, as_of)
    return view


def test_sup4_deadlines_across_national_day_not_monday_to_friday(db):
    tid = raise_ticket(db, CODE, SUPPLIER, "订单未响应", RAISED, "王敏")
    v = one(db, RAISED)
    assert v.answer_due == ANSWER_DUE  # Mon–Fri counting would say 10-01
    assert v.fix_limit == FIX_LIMIT  # the make-up Saturday 10-10 counts
    assert v.status == "open" and v.days_left == 2 and v.next_due == ANSWER_DUE
    # In the holiday: still one working day left (10-08).
    assert one(db, D(2026, 10, 5)).days_left == 1
    assert one(db, ANSWER_DUE).status == "open" and one(db, ANSWER_DUE).days_left == 0
    # Day after the deadline with no answer: escalated, 1 working day overdue.
    late = one(db, D(2026, 10, 9))
    assert late.status == "escalated" and late.days_overdue == 1
    assert "2 个工作日内答复" in late.overdue_reason
    assert get_ticket(db, tid).status == "open"  # stored step unchanged


def test_sup4_answer_on_the_deadline_day_is_on_time(db):
    tid = raise_ticket(db, CODE, SUPPLIER, "订单未响应", RAISED, "王敏")
    answer_ticket(db, tid, ANSWER_DUE, "明日补货", "企业 李强")
    v = one(db, D(2026, 10, 9))
    assert v.status == "answered" and not v.answered_late
    assert v.next_due == FIX_LIMIT and v.days_left == 2  # 10-10 (make-up) and 10-12


def test_sup4_answer_one_day_late_escalates(db):
    tid = raise_ticket(db, CODE, SUPPLIER, "订单未响应", RAISED, "王敏")
    answer_ticket(db, tid, D(2026, 10, 9), "明日补货", "企业 李强")
    v = one(db, D(2026, 10, 9))
    assert v.answered_late and v.status == "escalated"
    assert v.days_overdue == 1 and "答复晚于" in v.overdue_reason
    # Before the late answer was given it was already escalated (as-of sees no answer).
    assert one(db, D(2026, 10, 9)).escalated


def test_sup4_fix_committed_then_resolved_on_time(db):
    tid = raise_ticket(db, CODE, SUPPLIER, "缺货", RAISED, "王敏")
    answer_ticket(db, tid, D(2026, 9, 30), "排产中", "企业 李强")
    commit_fix(db, tid, D(2026, 9, 30), D(2026, 10, 10), "王敏")
    v = one(db, D(2026, 10, 9))
    assert v.status == "fix_committed" and v.fix_due == D(2026, 10, 10) and v.days_left == 1
    # Not resolved by the committed date: escalated the next day, though within 5 days.
    assert one(db, D(2026, 10, 11)).status == "escalated"
    assert "承诺的解决日期" in one(db, D(2026, 10, 11)).overdue_reason
    resolve_ticket(db, tid, D(2026, 10, 10), "已到货", "王敏")
    v = one(db, D(2026, 10, 20))
    assert v.status == "resolved" and not v.resolved_late and v.days_overdue == 0
    t = get_ticket(db, tid)
    assert (t.resolved_by, t.fix_committed_by, t.answered_by) == ("王敏", "王敏", "企业 李强")


def test_sup4_commitment_beyond_five_working_days_does_not_move_the_deadline(db):
    tid = raise_ticket(db, CODE, SUPPLIER, "缺货", RAISED, "王敏")
    answer_ticket(db, tid, D(2026, 9, 30), "排产中", "企业")
    commit_fix(db, tid, D(2026, 9, 30), D(2026, 10, 20), "王敏")
    v = one(db, FIX_LIMIT)
    assert v.commitment_too_late and v.fix_due == FIX_LIMIT and v.status == "fix_committed"
    v = one(db, D(2026, 10, 13))
    assert v.status == "escalated" and v.days_overdue == 1 and "5 个工作日" in v.overdue_reason


def test_steps_follow_the_order_and_name_the_field(db):
    tid = raise_ticket(db, CODE, SUPPLIER, "缺货", RAISED, "王敏")
    with pytest.raises(TicketError, match="已答复"):
        commit_fix(db, tid, RAISED, RAISED, "王敏")
    with pytest.raises(TicketError, match="答复内容"):
        answer_ticket(db, tid, RAISED, " ", "王敏")
    with pytest.raises(TicketError, match="答复日期"):
        answer_ticket(db, tid, D(2026, 9, 28), "x", "王敏")
    with pytest.raises(TicketError, match="经办人"):
        answer_ticket(db, tid, RAISED, "x", "")
    with pytest.raises(TicketError, match="采购目录中没有"):
        raise_ticket(db, "XNOPE", SUPPLIER, "x", RAISED, "王敏")
    with pytest.raises(TicketError, match="配送企业"):
        raise_ticket(db, CODE, "", "x", RAISED, "王敏")
    with pytest.raises(TicketError, match="逾期"):
        escalate_ticket(db, tid, RAISED, "上报", "王敏")
    update_ticket(db, tid, supplier="国药控股海南有限公司", problem="缺货两周", by="王敏")
    assert get_ticket(db, tid).supplier == "国药控股海南有限公司"
    resolve_ticket(db, tid, RAISED, "已解决", "王敏")
    with pytest.raises(TicketError, match="已解决"):
        update_ticket(db, tid, supplier="x", problem="y", by="王敏")


def test_escalation_record_and_change_log(db):
    tid = raise_ticket(db, CODE, SUPPLIER, "缺货", RAISED, "王敏")
    escalate_ticket(db, tid, D(2026, 10, 9), "已报区医保局", "王敏")
    t = get_ticket(db, tid)
    assert (t.escalated_on, t.escalated_by) == (D(2026, 10, 9), "王敏")
    uuid = t.uuid
    ops = [r[0] for r in db.execute(
        "SELECT op FROM change_log WHERE table_name='supply_tickets' AND row_uuid=?", (uuid,))]
    assert ops == ["insert", "update"]
    assert db.execute("SELECT version FROM supply_tickets").fetchone()[0] == 2


def test_filters_open_overdue_all(db):
    a = raise_ticket(db, CODE, SUPPLIER, "缺货", RAISED, "王敏")
    b = raise_ticket(db, CODE, "国药控股海南有限公司", "破损", D(2026, 10, 8), "王敏")
    c = raise_ticket(db, CODE, SUPPLIER, "效期短", RAISED, "王敏")
    answer_ticket(db, c, RAISED, "x", "y")
    resolve_ticket(db, c, D(2026, 9, 30), "换货", "王敏")
    as_of = D(2026, 10, 9)
    assert [v.ticket.id for v in list_tickets(db, as_of, "overdue")] == [a]
    assert {v.ticket.id for v in list_tickets(db, as_of, "open")} == {a, b}
    assert len(list_tickets(db, as_of, "all")) == 3
    assert list_tickets(db, D(2026, 9, 28)) == []  # raised after the as-of day
    with pytest.raises(TicketError):
        list_tickets(db, as_of, "late")


def test_ticket_alerts_have_the_compute_alerts_shape(db):
    raise_ticket(db, CODE, SUPPLIER, "缺货", RAISED, "王敏")
    assert ticket_alerts(db, ANSWER_DUE) == []
    (alert,) = ticket_alerts(db, D(2026, 10, 12))
    # Overdue working days after 10-08: 10-09, make-up Saturday 10-10, 10-12.
    assert alert["rule"] == "SUP-4" and alert["figure"] == 3 and alert["threshold"] == 2
    assert SUPPLIER in alert["subject"] and "逾期 3 个工作日" in alert["message"]
    assert set(alert) == {"rule", "subject", "figure", "threshold", "message"}
    db.execute(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, amount_fen,
               ordered_at, supplier) VALUES ('O1', '1', 'H46010001', ?, 1, 100, '2026-09-01', 'A')""",
        (CODE,),
    )
    others = compute_alerts(db, D(2026, 10, 12))
    assert others
    for other in others:
        assert set(other) == set(alert)


def test_calendar_missing_is_reported_not_guessed(db):
    with pytest.raises(CalendarMissing):
        raise_ticket(db, CODE, SUPPLIER, "缺货", D(2026, 12, 28), "王敏")  # deadline in 2027
    db.execute(
        """INSERT INTO supply_tickets (institution_code, product_code, supplier, problem,
               raised_on, raised_by) VALUES ('H46010001', ?, ?, '缺货', '2026-12-30', '王敏')""",
        (CODE, SUPPLIER),
    )
    with pytest.raises(CalendarMissing) as exc:
        list_tickets(db, D(2027, 1, 5))
    assert exc.value.year == 2027
    (alert,) = ticket_alerts(db, D(2027, 1, 5))
    assert alert["rule"] == "SUP-4" and "2027年的工作日历尚未载入" in alert["message"]


def test_no_step_is_dated_after_today_but_a_promised_fix_may_be(db, monkeypatch):
    """SUP-4: a ticket or step dated ahead would be saved and then shown nowhere (or overdue)."""
    from pharmacy_app import tickets

    monkeypatch.setattr(tickets, "_today", lambda: D(2026, 10, 9))
    with pytest.raises(TicketError, match="反馈日期.*不能晚于今天"):
        raise_ticket(db, CODE, SUPPLIER, "缺货", D(2026, 10, 12), "王敏")
    tid = raise_ticket(db, CODE, SUPPLIER, "缺货", RAISED, "王敏")
    with pytest.raises(TicketError, match="答复日期.*不能晚于今天"):
        answer_ticket(db, tid, D(2026, 10, 10), "明日补货", "企业 李强")
    answer_ticket(db, tid, ANSWER_DUE, "明日补货", "企业 李强")
    commit_fix(db, tid, D(2026, 10, 9), FIX_LIMIT, "王敏")  # the promised day is still to come
    assert get_ticket(db, tid).fix_date == FIX_LIMIT
    with pytest.raises(TicketError, match="解决日期.*不能晚于今天"):
        resolve_ticket(db, tid, FIX_LIMIT, "已到货", "王敏")


def test_known_suppliers_from_purchases_first(db):
    db.execute(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, amount_fen,
               ordered_at, supplier) VALUES ('O1', '1', 'H46010001', ?, 1, 100, '2026-09-01', 'A配送')""",
        (CODE,),
    )
    raise_ticket(db, CODE, "B配送", "x", RAISED, "王敏")
    assert known_suppliers(db) == ["A配送", "B配送"]


def test_cli_tickets_list(db, db_path, capsys):
    raise_ticket(db, CODE, SUPPLIER, "缺货", RAISED, "王敏")
    assert main(["--db", str(db_path), "tickets", "list", "--as-of", "2026-10-09", "--json"]) == 0
    (item,) = json.loads(capsys.readouterr().out)
    assert item["status"] == "escalated" and item["answer_due"] == "2026-10-08"
    assert item["days_overdue"] == 1
    assert main(["--db", str(db_path), "tickets", "list", "--as-of", "2026-10-05"]) == 0
    assert "剩 1 个工作日" in capsys.readouterr().out
    db.execute(
        """INSERT INTO supply_tickets (institution_code, product_code, supplier, problem,
               raised_on, raised_by) VALUES ('H46010001', ?, ?, '缺货', '2026-12-30', '王敏')""",
        (CODE, SUPPLIER),
    )
    assert main(["--db", str(db_path), "tickets", "list", "--as-of", "2027-01-04"]) == 1
    assert "请导入" in capsys.readouterr().err


def test_demo_tickets_one_in_each_state_one_overdue(tmp_path):
    from pharmacy_app.demo import build_demo

    path = tmp_path / "demo.db"
    build_demo(path, today=D(2026, 11, 23))
    conn = open_store(path)
    try:
        views = list_tickets(conn, D(2026, 11, 23))
        alerts = ticket_alerts(conn, D(2026, 11, 23))
    finally:
        conn.close()
    assert sorted(v.status for v in views) == sorted(
        ["escalated", "open", "answered", "fix_committed", "resolved"])
    assert [a["rule"] for a in alerts] == ["SUP-4"]
    assert "海南康信医药有限公司" in alerts[0]["subject"]  # the demo's slow responder


def test_cli_import_calendar_then_list(db, db_path, tmp_path, capsys):
    db.execute(
        """INSERT INTO supply_tickets (institution_code, product_code, supplier, problem,
               raised_on, raised_by) VALUES ('H46010001', ?, ?, '缺货', '2026-12-30', '王敏')""",
        (CODE, SUPPLIER),
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("date,kind\n2027-13-01,holiday\n", encoding="utf-8")
    assert main(["--db", str(db_path), "tickets", "import-calendar", str(bad)]) == 2
    assert "第2行「date」列" in capsys.readouterr().err
    good = tmp_path / "2027.csv"
    good.write_text("date,kind\n2027-01-01,holiday\n", encoding="utf-8")
    assert main(["--db", str(db_path), "tickets", "import-calendar", str(good)]) == 0
    assert "2027" in capsys.readouterr().out
    assert main(["--db", str(db_path), "tickets", "list", "--as-of", "2027-01-04", "--json"]) == 0
    (item,) = json.loads(capsys.readouterr().out)
    assert item["answer_due"] == "2027-01-04" and item["days_left"] == 0


def test_sup4_overdue_tickets_are_in_compute_alerts(db):
    """`pharmacy-app alerts` and the home panel list overdue tickets (SUP-4)."""
    raise_ticket(db, CODE, SUPPLIER, "缺货", RAISED, "王敏")
    assert not [a for a in compute_alerts(db, ANSWER_DUE) if a["rule"] == "SUP-4"]
    sup4 = [a for a in compute_alerts(db, D(2026, 10, 12)) if a["rule"] == "SUP-4"]
    assert sup4 == ticket_alerts(db, D(2026, 10, 12))
    assert sup4 and sup4[0]["figure"] == 3
