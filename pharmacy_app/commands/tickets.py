"""`pharmacy-app tickets list --as-of DATE [--json]`: supply-problem tickets (SUP-4).

`pharmacy-app tickets import-calendar FILE` loads a later year's official
holidays and make-up working days, which the deadlines need.

Deadlines in working days on the official calendar; a year the calendar
table lacks is reported (exit 1) with what to import, never guessed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pharmacy_app.cli_support import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_REJECTED,
    as_of_date,
    db_path,
    err,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tickets", help="供应问题反馈：答复和解决期限（SUP-4，工作日）")
    actions = p.add_subparsers(dest="tickets_action", required=True)
    q = actions.add_parser("list", help="列出供应问题及其期限、剩余或逾期工作日")
    q.add_argument("--as-of", required=True, type=as_of_date, help="截至日期 YYYY-MM-DD")
    q.add_argument("--show", choices=("open", "overdue", "all"), default="all",
                   help="open 未解决，overdue 已逾期，all 全部（默认）")
    q.add_argument("--json", action="store_true", help="输出 JSON 数组")
    q.set_defaults(handler=cmd_list)
    q = actions.add_parser(
        "import-calendar",
        help="导入某年的工作日历（国务院办公厅节假日安排，CSV：date, kind[, holiday_zh]）",
    )
    q.add_argument("file", type=Path)
    q.set_defaults(handler=cmd_import_calendar)


def cmd_list(args: argparse.Namespace) -> int:
    from pharmacy_app.indicators import NoInstitution
    from pharmacy_app.store import open_store
    from pharmacy_app.tickets import CalendarMissing, calendar_message, list_tickets

    conn = open_store(db_path(args))
    try:
        views = list_tickets(conn, args.as_of, args.show)
    except CalendarMissing as exc:
        err(calendar_message(exc))
        return EXIT_FAILURE
    except NoInstitution as exc:
        err(str(exc))
        return EXIT_FAILURE
    if args.json:
        print(json.dumps([v.to_json() for v in views], ensure_ascii=False, indent=2))
        return EXIT_OK
    for v in views:
        t = v.ticket
        if v.resolved:
            when = f"{t.resolved_on.isoformat() if t.resolved_on else ''} 解决" + ("（逾期）" if v.resolved_late else "")
        elif v.days_overdue:
            when = f"逾期 {v.days_overdue} 个工作日：{v.overdue_reason}"
        elif v.escalated:
            when = v.overdue_reason
        else:
            when = f"{v.next_due.isoformat() if v.next_due else ''} 到期，剩 {v.days_left} 个工作日"
        print(f"#{t.id} [{v.status_label}] {t.supplier} / {t.product_name}（{t.raised_on.isoformat()}）"
              f" 答复期限 {v.answer_due.isoformat()}，解决期限 {v.fix_due.isoformat()} — {when}")
    print(f"共 {len(views)} 条（截至 {args.as_of.isoformat()}）")
    return EXIT_OK


def cmd_import_calendar(args: argparse.Namespace) -> int:
    from pharmacy_app.store import open_store
    from pharmacy_app.workdays import CalendarFileError, covered_years, import_calendar

    conn = open_store(db_path(args))
    try:
        count = import_calendar(conn, args.file)
    except CalendarFileError as exc:
        err(str(exc))
        err(f"{args.file}: 未写入任何数据。")
        return EXIT_REJECTED
    years = "、".join(str(y) for y in sorted(covered_years(conn)))
    print(f"已导入 {count} 个日期（{args.file.name}）；工作日历现覆盖 {years} 年")
    return EXIT_OK
