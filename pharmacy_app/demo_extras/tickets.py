"""Demo supply-problem tickets (SUP-4) in every state, dated back from `today`.

Dates are working days before `today` on the official calendar, so the
states hold for any demo day the calendar covers: one ticket overdue
(no answer after 2 working days — escalated), one answered, one with a fix
date committed, one resolved, one just raised. Products and suppliers are
the demo's own: the slow responder is the one that does not answer.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

TABLES = ("supply_tickets",)

BY = "药剂科 王敏"


def _back(cal, today: dt.date, n: int) -> dt.date:  # noqa: ANN001 - a WorkCalendar
    day = today
    while n:
        day -= dt.timedelta(days=1)
        if cal.is_workday(day):
            n -= 1
    return day


def _product(conn: sqlite3.Connection, name: str, form: str) -> str:
    row = conn.execute(
        "SELECT code FROM products WHERE generic_name = ? AND dosage_form = ? AND is_vbp = 1 "
        "ORDER BY code LIMIT 1",
        (name, form),
    ).fetchone()
    if row is None:
        row = conn.execute(
            "SELECT code FROM products WHERE generic_name = ? ORDER BY code LIMIT 1", (name,)
        ).fetchone()
    return str(row[0])


def write(conn: sqlite3.Connection, today: dt.date, seed: int) -> None:
    from pharmacy_app.demo import LATE_DELIVERER, SLOW_RESPONDER, SUPPLIERS
    from pharmacy_app.tickets import (
        answer_ticket,
        commit_fix,
        raise_ticket,
        resolve_ticket,
    )
    from pharmacy_app.workdays import CalendarMissing, WorkCalendar

    cal = WorkCalendar.load(conn)
    try:
        back = [_back(cal, today, n) for n in (0, 1, 2, 3, 4, 9, 12)]
    except CalendarMissing:
        return  # a demo day outside the loaded calendar: no tickets rather than wrong deadlines
    d0, d1, d2, d3, d4, d9, d12 = back
    good = SUPPLIERS[0].name

    # Open and past its 2-working-day answer deadline: escalated.
    raise_ticket(conn, _product(conn, "阿卡波糖", "片剂"), SLOW_RESPONDER,
                 "订单已下 3 天未响应，库存仅够 5 天使用", d4, BY)

    answered = raise_ticket(conn, _product(conn, "阿莫西林", "胶囊"), LATE_DELIVERER,
                            "到货批次效期不足 6 个月，要求更换", d2, BY)
    answer_ticket(conn, answered, d1, "已安排仓库核查批号，次日回复处理方案", "配送企业 李强（电话）")

    committed = raise_ticket(conn, _product(conn, "苯磺酸氨氯地平", "片剂"), good,
                             "中选产品连续两次缺货，改配非中选产品", d3, BY)
    answer_ticket(conn, committed, d2, "厂家排产延迟，已协调备供企业", "配送企业 陈芳")
    commit_fix(conn, committed, d2, cal.add_workdays(d3, 4), BY)

    resolved = raise_ticket(conn, _product(conn, "盐酸二甲双胍", "片剂"), good,
                            "配送到货数量少于订单数量（少 20 盒）", d12, BY)
    answer_ticket(conn, resolved, d12, "确认少发，补发 20 盒", "配送企业 陈芳")
    commit_fix(conn, resolved, d12, cal.add_workdays(d12, 3), BY)
    resolve_ticket(conn, resolved, d9, "已补发到货并签收", BY)

    raise_ticket(conn, _product(conn, "左氧氟沙星", "片剂"), SUPPLIERS[1].name,
                 "发票与随货同行单价格不一致", d0, BY)
