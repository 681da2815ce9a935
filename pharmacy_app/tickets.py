"""Supply-problem tickets with working-day deadlines: SUP-4 (RULES.md; seed 001 §4).

When a selected product is not supplied as it should be, the institution
reports the problem to the delivery company (and the local insurance
bureau). The company must answer within `sup_feedback_answer_workdays` (2)
working days and commit a fix date no later than `sup_fix_workdays` (5)
working days; a problem not solved in time is escalated (约谈、督导).

Both deadlines count working days after the day the ticket was raised (the
day itself is not counted) on the official Chinese calendar
(`pharmacy_app.workdays`: statutory holidays and weekend make-up working
days). A year the calendar table does not cover raises `CalendarMissing`:
a deadline is never guessed on Monday–Friday.

Statuses: open → answered → fix_committed → resolved. A ticket is
*escalated* (as of a date) when a deadline was missed and it is not
resolved: no answer by the answer deadline, or an answer recorded after it
(late answers stay escalated until the fix), or not resolved by the fix
deadline — the committed fix date, or the 5-working-day limit if the
company committed a later date or none. Escalation depends on the as-of
date, so it is computed, never stored; the user may record that the
ticket was reported to the insurance bureau (`escalate`), dated and signed
like every step. Steps dated after the as-of date are not seen.

The window, `pharmacy-app tickets` and `ticket_alerts` (the alerts panel
and `pharmacy-app alerts`) all read `list_tickets`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import unicodedata
from dataclasses import dataclass

from db import transaction
from pharmacy_app.policy import PolicyProfile, active_profile
from pharmacy_app.workdays import CalendarMissing, WorkCalendar

STATUSES = ("open", "answered", "fix_committed", "resolved", "escalated")
STATUS_LABELS = {
    "open": "待答复",
    "answered": "已答复",
    "fix_committed": "已承诺解决",
    "resolved": "已解决",
    "escalated": "已逾期升级",
}
FILTERS = ("open", "overdue", "all")

__all__ = [
    "CalendarMissing",
    "TicketError",
    "Ticket",
    "TicketView",
    "raise_ticket",
    "answer_ticket",
    "commit_fix",
    "resolve_ticket",
    "escalate_ticket",
    "update_ticket",
    "list_tickets",
    "ticket_alerts",
    "known_suppliers",
    "calendar_message",
]


class TicketError(ValueError):
    """A ticket step the rules do not allow; the message names the field."""


def calendar_message(exc: CalendarMissing) -> str:
    """What the user is told when a deadline needs a year the calendar lacks."""
    return (
        f"{exc}（供应问题的答复和解决期限按国务院办公厅公布的工作日计算，"
        f"缺少 {exc.year} 年的节假日安排时不按周一至周五估算。）"
    )


# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Ticket:
    """A stored ticket (every step taken, whatever the as-of date)."""

    id: int
    uuid: str
    product_code: str
    product_name: str
    supplier: str
    problem: str
    raised_on: dt.date
    raised_by: str
    status: str
    answered_on: dt.date | None = None
    answered_by: str | None = None
    answer: str = ""
    fix_date: dt.date | None = None
    fix_committed_on: dt.date | None = None
    fix_committed_by: str | None = None
    resolved_on: dt.date | None = None
    resolved_by: str | None = None
    resolution: str = ""
    escalated_on: dt.date | None = None
    escalated_by: str | None = None
    escalation_note: str = ""


@dataclass(frozen=True)
class TicketView:
    """A ticket as of a date: its deadlines, effective status and days left/overdue.

    `days_left` counts working days from the as-of day to the deadline that
    matters now (0 = due today); `days_overdue` working days past it.
    """

    ticket: Ticket
    as_of: dt.date
    answer_due: dt.date
    fix_limit: dt.date
    fix_due: dt.date
    status: str  # effective: one of STATUSES
    answered: bool
    answered_late: bool
    resolved: bool
    resolved_late: bool
    commitment_too_late: bool
    next_due: dt.date | None
    days_left: int | None
    days_overdue: int
    overdue_reason: str
    answer_workdays: int
    fix_workdays: int
    missed_limit: int  # the working-day limit missed (answer or fix), 0 when none

    @property
    def escalated(self) -> bool:
        return self.status == "escalated"

    @property
    def is_open(self) -> bool:
        return not self.resolved

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def to_json(self) -> dict[str, object]:
        t = self.ticket

        def day(d: dt.date | None) -> str | None:
            return None if d is None else d.isoformat()

        return {
            "id": t.id,
            "uuid": t.uuid,
            "product_code": t.product_code,
            "product": t.product_name,
            "supplier": t.supplier,
            "problem": t.problem,
            "raised_on": day(t.raised_on),
            "raised_by": t.raised_by,
            "status": self.status,
            "stored_status": t.status,
            "answer_due": day(self.answer_due),
            "fix_due": day(self.fix_due),
            "fix_limit": day(self.fix_limit),
            "answered_on": day(t.answered_on if self.answered else None),
            "answered_late": self.answered_late,
            "fix_date": day(t.fix_date if t.fix_committed_on and t.fix_committed_on <= self.as_of else None),
            "commitment_too_late": self.commitment_too_late,
            "resolved_on": day(t.resolved_on if self.resolved else None),
            "resolved_late": self.resolved_late,
            "escalated_on": day(t.escalated_on if t.escalated_on and t.escalated_on <= self.as_of else None),
            "next_due": day(self.next_due),
            "days_left": self.days_left,
            "days_overdue": self.days_overdue,
            "overdue_reason": self.overdue_reason,
        }


def _date(text: str | None) -> dt.date | None:
    return None if not text else dt.date.fromisoformat(str(text)[:10])


def _ticket(row: sqlite3.Row) -> Ticket:
    return Ticket(
        id=row["id"], uuid=row["uuid"], product_code=row["product_code"],
        product_name=row["product_name"], supplier=row["supplier"], problem=row["problem"],
        raised_on=dt.date.fromisoformat(row["raised_on"][:10]), raised_by=row["raised_by"],
        status=row["status"],
        answered_on=_date(row["answered_on"]), answered_by=row["answered_by"],
        answer=row["answer"], fix_date=_date(row["fix_date"]),
        fix_committed_on=_date(row["fix_committed_on"]),
        fix_committed_by=row["fix_committed_by"],
        resolved_on=_date(row["resolved_on"]), resolved_by=row["resolved_by"],
        resolution=row["resolution"], escalated_on=_date(row["escalated_on"]),
        escalated_by=row["escalated_by"], escalation_note=row["escalation_note"],
    )


def get_ticket(conn: sqlite3.Connection, ticket_id: int) -> Ticket:
    row = conn.execute("SELECT * FROM supply_tickets WHERE id = ?", (ticket_id,)).fetchone()
    if row is None:
        raise TicketError(f"没有编号为 {ticket_id} 的供应问题")
    return _ticket(row)


# ---------------------------------------------------------------------------
# Deadlines
# ---------------------------------------------------------------------------
def _between(cal: WorkCalendar, start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if cal.is_workday(day):
            count += 1
    return count


def view_ticket(
    ticket: Ticket, as_of: dt.date, cal: WorkCalendar, profile: PolicyProfile
) -> TicketView:
    """The ticket as of the end of `as_of`: SUP-4 deadlines and escalation."""
    answer_n = int(profile["sup_feedback_answer_workdays"])
    fix_n = int(profile["sup_fix_workdays"])
    t = ticket
    answer_due = cal.add_workdays(t.raised_on, answer_n)
    fix_limit = cal.add_workdays(t.raised_on, fix_n)

    def seen(d: dt.date | None) -> bool:
        return d is not None and d <= as_of

    answered = seen(t.answered_on)
    committed = seen(t.fix_committed_on) and t.fix_date is not None
    resolved = seen(t.resolved_on)
    fix_due = min(t.fix_date, fix_limit) if committed and t.fix_date else fix_limit
    answered_late = answered and t.answered_on is not None and t.answered_on > answer_due
    resolved_late = resolved and t.resolved_on is not None and t.resolved_on > fix_due
    too_late = committed and t.fix_date is not None and t.fix_date > fix_limit

    reason = ""
    missed: dt.date | None = None
    missed_limit = 0
    if not resolved:
        if not answered and as_of > answer_due:
            reason, missed, missed_limit = f"未在 {answer_n} 个工作日内答复", answer_due, answer_n
        elif answered_late:
            reason, missed, missed_limit = f"答复晚于 {answer_n} 个工作日期限", answer_due, answer_n
        if as_of > fix_due:
            what = "承诺的解决日期" if committed and fix_due == t.fix_date else f" {fix_n} 个工作日"
            reason = f"未在{what}内解决" + (f"；{reason}" if reason else "")
            missed = fix_due if missed is None else missed
            missed_limit = fix_n
    if resolved:
        status = "resolved"
    elif missed is not None:
        status = "escalated"
    elif committed:
        status = "fix_committed"
    elif answered:
        status = "answered"
    else:
        status = "open"

    next_due: dt.date | None = None
    if not resolved:
        next_due = answer_due if not answered and as_of <= answer_due else fix_due
    days_left: int | None = None
    days_overdue = 0
    if next_due is not None:
        if as_of <= next_due:
            days_left = _between(cal, as_of, next_due)
        else:
            days_overdue = _between(cal, next_due, as_of)
    if status == "escalated" and days_overdue == 0 and missed is not None and not resolved:
        # Answered late, fix deadline still ahead: overdue by the answer's delay.
        days_overdue = _between(cal, missed, min(as_of, t.answered_on or as_of))
    return TicketView(
        ticket=t, as_of=as_of, answer_due=answer_due, fix_limit=fix_limit, fix_due=fix_due,
        status=status, answered=answered, answered_late=answered_late, resolved=resolved,
        resolved_late=resolved_late, commitment_too_late=too_late, next_due=next_due,
        days_left=days_left, days_overdue=days_overdue, overdue_reason=reason,
        answer_workdays=answer_n, fix_workdays=fix_n, missed_limit=missed_limit,
    )


def list_tickets(
    conn: sqlite3.Connection,
    as_of: dt.date,
    which: str = "all",
    profile: PolicyProfile | None = None,
) -> list[TicketView]:
    """Tickets raised on or before `as_of`, escalated first, then by next deadline.

    `which`: open (not resolved), overdue (escalated) or all. Raises
    CalendarMissing when a deadline needs a year the calendar lacks.
    """
    from pharmacy_app.indicators import require_institution

    if which not in FILTERS:
        raise TicketError(f"筛选条件必须是 {'/'.join(FILTERS)} 之一，收到：{which!r}")
    inst = require_institution(conn)
    profile = profile or active_profile(conn)
    cal = WorkCalendar.load(conn)
    rows = conn.execute(
        "SELECT * FROM supply_tickets WHERE institution_code = ? AND raised_on <= ? ORDER BY raised_on, id",
        (inst.code, as_of.isoformat()),
    ).fetchall()
    views = [view_ticket(_ticket(r), as_of, cal, profile) for r in rows]
    if which == "open":
        views = [v for v in views if v.is_open]
    elif which == "overdue":
        views = [v for v in views if v.escalated]
    order = {"escalated": 0, "open": 1, "answered": 2, "fix_committed": 3, "resolved": 4}
    views.sort(key=lambda v: (order[v.status], v.next_due or dt.date.max, v.ticket.id))
    return views


def ticket_alerts(conn: sqlite3.Connection, as_of: dt.date) -> list[dict[str, object]]:
    """SUP-4 alerts as of `as_of`, shaped like `indicators.compute_alerts` items.

    One per escalated ticket: figure = working days overdue, threshold = the
    working-day limit that was missed. A calendar gap gives one alert saying
    which year to import instead of failing the whole alerts list.
    """
    from pharmacy_app.indicators.common import Alert

    try:
        views = list_tickets(conn, as_of, "overdue")
    except CalendarMissing as exc:
        return [Alert("SUP-4", "工作日历", None, None, calendar_message(exc)).to_json()]
    alerts = []
    for v in views:
        t = v.ticket
        alerts.append(Alert(
            "SUP-4", f"{t.supplier} / {t.product_name or t.product_code}", v.days_overdue,
            v.missed_limit,
            f"{t.supplier}：{t.product_name or t.product_code} 供应问题（{t.raised_on.isoformat()} 反馈）"
            f"{v.overdue_reason}，已逾期 {v.days_overdue} 个工作日，请报医保部门约谈督导",
        ).to_json())
    return alerts


# ---------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------
def company_name(text: str) -> str:
    """A delivery company's name as purchases store it (NFKC: （海南） is (海南))."""
    return unicodedata.normalize("NFKC", text).strip()


def _need(text: str, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise TicketError(f"「{field}」不能为空")
    return text


def _check_calendar(conn: sqlite3.Connection, day: dt.date, profile: PolicyProfile) -> None:
    """Refuse a ticket whose deadlines the calendar cannot compute (CalendarMissing)."""
    cal = WorkCalendar.load(conn)
    cal.add_workdays(day, int(profile["sup_fix_workdays"]))


def known_suppliers(conn: sqlite3.Connection) -> list[str]:
    """Delivery companies seen in purchase lines and earlier tickets, most used first."""
    rows = conn.execute(
        """SELECT supplier FROM (
               SELECT supplier, count(*) AS n FROM purchase_lines WHERE supplier <> '' GROUP BY supplier
               UNION ALL
               SELECT supplier, 0 FROM supply_tickets)
           GROUP BY supplier ORDER BY max(n) DESC, supplier"""
    ).fetchall()
    return [r[0] for r in rows]


@dataclass(frozen=True)
class ProductChoice:
    """A catalogue product offered by the ticket dialog's product search."""

    code: str
    label: str


def product_label(name: str, form: str, spec: str, maker: str = "") -> str:
    """阿卡波糖 + 片剂 + 50mg → 阿卡波糖片 50mg (as prescriptions and agreements write it)."""
    form = form or ""
    if form.endswith("片剂"):
        form = form[:-1]
    text = " ".join(p for p in (name + ("" if name.endswith(form) else form), spec or "") if p)
    return f"{text}（{maker}）" if maker else text


def find_products(conn: sqlite3.Connection, text: str, limit: int = 50) -> list[ProductChoice]:
    """Active products whose name, code or pinyin initials (amxl → 阿莫西林) contain `text`."""
    needle = text.strip().lower()
    if not needle:
        return []
    like = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = conn.execute(
        r"""SELECT code, generic_name, dosage_form, specification, manufacturer FROM products
           WHERE active = 1 AND (generic_name LIKE :like ESCAPE '\' OR lower(code) LIKE :like ESCAPE '\'
                                 OR pinyin LIKE :like ESCAPE '\')
           ORDER BY is_vbp DESC, generic_name, specification, code LIMIT :limit""",
        {"like": like, "limit": limit},
    ).fetchall()
    return [ProductChoice(r[0], product_label(r[1], r[2], r[3], r[4])) for r in rows]


def raise_ticket(
    conn: sqlite3.Connection,
    product_code: str,
    supplier: str,
    problem: str,
    raised_on: dt.date,
    by: str,
) -> int:
    """Record a new supply problem; returns its id. The product must be in the catalogue."""
    from pharmacy_app.indicators import require_institution

    inst = require_institution(conn)
    code = _need(product_code, "产品")
    supplier = company_name(_need(supplier, "配送企业"))
    problem = _need(problem, "问题描述")
    by = _need(by, "经办人")
    row = conn.execute(
        "SELECT generic_name, dosage_form, specification FROM products WHERE code = ?", (code,)
    ).fetchone()
    if row is None:
        raise TicketError(f"「产品」：采购目录中没有编码为 {code} 的产品")
    name = product_label(row[0], row[1], row[2])
    _check_calendar(conn, raised_on, active_profile(conn))
    _not_ahead(raised_on, "反馈日期")
    with transaction(conn):
        cur = conn.execute(
            """INSERT INTO supply_tickets (institution_code, product_code, product_name, supplier,
                   problem, raised_on, raised_by) VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (inst.code, code, name, supplier, problem, raised_on.isoformat(), by),
        )
    return int(cur.lastrowid or 0)


def update_ticket(
    conn: sqlite3.Connection, ticket_id: int, *, supplier: str, problem: str, by: str
) -> None:
    """Correct the supplier or problem text of an unresolved ticket."""
    t = get_ticket(conn, ticket_id)
    if t.status == "resolved":
        raise TicketError("已解决的供应问题不能再修改")
    _need(by, "经办人")
    _write(conn, ticket_id, supplier=company_name(_need(supplier, "配送企业")),
           problem=_need(problem, "问题描述"))


def _write(conn: sqlite3.Connection, ticket_id: int, **values: object) -> None:
    sets = ", ".join(f"{k} = ?" for k in values)
    with transaction(conn):
        conn.execute(
            f"""UPDATE supply_tickets SET {sets}, version = version + 1,
                   updated_at = strftime('%Y-%m-%d %H:%M:%S', 'now', 'localtime')
                WHERE id = ?""",
            (*values.values(), ticket_id),
        )


def _check_day(t: Ticket, day: dt.date, field: str, after: dt.date | None = None) -> None:
    floor = after or t.raised_on
    if day < floor:
        raise TicketError(f"「{field}」不能早于 {floor.isoformat()}")
    _not_ahead(day, field)


def _today() -> dt.date:
    return dt.date.today()


def _not_ahead(day: dt.date, field: str) -> None:
    """A step is recorded when it happened: never on a day still to come.

    (A ticket dated after the day the pages show would be saved and then be
    nowhere to see; an answer dated ahead would leave the ticket overdue.)
    """
    today = _today()
    if day > today:
        raise TicketError(f"「{field}」不能晚于今天（{today.isoformat()}）")


def answer_ticket(
    conn: sqlite3.Connection, ticket_id: int, answered_on: dt.date, answer: str, by: str
) -> None:
    """The company answered (open → answered). A late answer is kept and shown as late."""
    t = get_ticket(conn, ticket_id)
    if t.status != "open":
        raise TicketError(f"只有待答复的问题可以登记答复（当前：{STATUS_LABELS[t.status]}）")
    _check_day(t, answered_on, "答复日期")
    _write(conn, ticket_id, status="answered", answered_on=answered_on.isoformat(),
           answer=_need(answer, "答复内容"), answered_by=_need(by, "经办人"))


def commit_fix(
    conn: sqlite3.Connection, ticket_id: int, committed_on: dt.date, fix_date: dt.date, by: str
) -> None:
    """The company committed a fix date (answered → fix_committed).

    A date beyond the 5-working-day limit is recorded as said but does not
    move the deadline: the ticket is judged on the limit and shown as an
    over-long commitment.
    """
    t = get_ticket(conn, ticket_id)
    if t.status != "answered":
        raise TicketError(f"只有已答复的问题可以登记承诺解决日期（当前：{STATUS_LABELS[t.status]}）")
    assert t.answered_on is not None
    _check_day(t, committed_on, "承诺登记日期", t.answered_on)
    if fix_date < committed_on:  # a promise: the day may still be to come
        raise TicketError(f"「承诺解决日期」不能早于 {committed_on.isoformat()}")
    _write(conn, ticket_id, status="fix_committed", fix_date=fix_date.isoformat(),
           fix_committed_on=committed_on.isoformat(), fix_committed_by=_need(by, "经办人"))


def resolve_ticket(
    conn: sqlite3.Connection, ticket_id: int, resolved_on: dt.date, resolution: str, by: str
) -> None:
    """The problem is solved (any unresolved status → resolved)."""
    t = get_ticket(conn, ticket_id)
    if t.status == "resolved":
        raise TicketError("该问题已经解决")
    _check_day(t, resolved_on, "解决日期", t.answered_on)
    _write(conn, ticket_id, status="resolved", resolved_on=resolved_on.isoformat(),
           resolution=_need(resolution, "解决情况"), resolved_by=_need(by, "经办人"))


def escalate_ticket(
    conn: sqlite3.Connection, ticket_id: int, escalated_on: dt.date, note: str, by: str
) -> None:
    """Record that an overdue ticket was reported to the insurance bureau (001 §4).

    Only an escalated (overdue) ticket can be reported; the status stays
    what the steps make it.
    """
    t = get_ticket(conn, ticket_id)
    _not_ahead(escalated_on, "上报日期")
    view = view_ticket(t, escalated_on, WorkCalendar.load(conn), active_profile(conn))
    if not view.escalated:
        raise TicketError("只有逾期未答复或未解决的问题需要上报医保部门")
    _write(conn, ticket_id, escalated_on=escalated_on.isoformat(),
           escalation_note=_need(note, "上报说明"), escalated_by=_need(by, "经办人"))
