"""Shortage reports in the database: save, load, list, advance (SH-1, SH-2).

Every write is one transaction; the SYNC-1 triggers of migration 0010 log
each change. A save bumps the report's version, so a synced copy can tell
which edit is newer. The information liaison (SH-1) is an institution
setting in `app_settings` and is copied onto each report when it is saved,
so a report keeps naming the liaison who filed it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Iterable

from db import transaction
from pharmacy_app.shortage.model import (
    DRAFT,
    OPEN_STATUSES,
    PHONE_RE,
    STATUS_LABELS,
    STATUSES,
    FieldError,
    Liaison,
    ReportInvalid,
    ShortageReport,
    Step,
    Substitute,
    TransitionRefused,
    blank_report,
    next_statuses,
    validate_report,
)

STAMP = "%Y-%m-%d %H:%M:%S"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

LIAISON_NAME_KEY = "shortage_liaison_name"
LIAISON_PHONE_KEY = "shortage_liaison_phone"

REPORT_COLUMNS = (
    "uuid",
    "version",
    "institution_code",
    "product_code",
    "generic_name",
    "dosage_form",
    "specification",
    "manufacturer",
    "start_date",
    "stock_on_hand",
    "monthly_use",
    "kind",
    "cause",
    "cause_detail",
    "clinical_impact",
    "substitutes",
    "measures_taken",
    "reporter",
    "contact",
    "liaison",
    "liaison_contact",
    "status",
    "signal",
    "created_at",
    "updated_at",
)
# The columns a save writes (identity, version and stamps are the database's).
EDITABLE = REPORT_COLUMNS[2:23]


class ReportNotFound(LookupError):
    pass


def now_stamp() -> str:
    return dt.datetime.now().strftime(STAMP)


# -- the liaison setting -------------------------------------------------------


def get_liaison(conn: sqlite3.Connection) -> Liaison:
    rows = dict(
        conn.execute(
            "SELECT key, value FROM app_settings WHERE key IN (?, ?)",
            (LIAISON_NAME_KEY, LIAISON_PHONE_KEY),
        ).fetchall()
    )
    return Liaison(rows.get(LIAISON_NAME_KEY) or "", rows.get(LIAISON_PHONE_KEY) or "")


def set_liaison(conn: sqlite3.Connection, name: str, phone: str) -> Liaison:
    """Store the liaison; the phone must look like a phone number when given."""
    name, phone = name.strip(), phone.strip()
    if not name:
        raise ReportInvalid([FieldError("liaison", "信息联络员：姓名必填")])
    if phone and not PHONE_RE.match(phone):
        raise ReportInvalid([FieldError("liaison_contact", f"联络员电话：“{phone}”不是电话号码")])
    with transaction(conn):
        conn.executemany(
            "INSERT INTO app_settings (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            ((LIAISON_NAME_KEY, name), (LIAISON_PHONE_KEY, phone)),
        )
    return Liaison(name, phone)


def new_report(conn: sqlite3.Connection, start_date: dt.date | None = None) -> ShortageReport:
    """`blank_report` for this installation's institution and liaison."""
    from pharmacy_app.institutions import current_institution

    inst = current_institution(conn)
    return blank_report(inst.code if inst else "", get_liaison(conn), start_date)


# -- reading -------------------------------------------------------------------


def _from_row(row: sqlite3.Row | tuple) -> ShortageReport:
    values = dict(zip(REPORT_COLUMNS, tuple(row), strict=True))
    subs = json.loads(values["substitutes"] or "[]")
    values["substitutes"] = tuple(Substitute.from_json(s) for s in subs)
    values["start_date"] = dt.date.fromisoformat(values["start_date"]) if values["start_date"] else None
    return ShortageReport(**values)


def _steps(conn: sqlite3.Connection, uuids: list[str]) -> dict[str, list[Step]]:
    out: dict[str, list[Step]] = {u: [] for u in uuids}
    if not uuids:
        return out
    marks = ",".join("?" * len(uuids))
    for r in conn.execute(
        f"""SELECT report_uuid, from_status, to_status, at, by, note, uuid
            FROM shortage_report_steps WHERE report_uuid IN ({marks}) ORDER BY id""",
        uuids,
    ):
        out[r[0]].append(Step(r[1], r[2], r[3], r[4], r[5], r[6]))
    return out


def load_report(conn: sqlite3.Connection, uuid: str) -> ShortageReport:
    row = conn.execute(
        f"SELECT {', '.join(REPORT_COLUMNS)} FROM shortage_reports WHERE uuid=?", (uuid,)
    ).fetchone()
    if row is None:
        raise ReportNotFound(f"没有短缺报告 {uuid}")
    report = _from_row(row)
    return report.with_changes(steps=tuple(_steps(conn, [uuid])[uuid]))


def list_reports(
    conn: sqlite3.Connection, statuses: Iterable[str] | None = None
) -> list[ShortageReport]:
    """Reports (with their steps), newest shortage first; `statuses` filters."""
    sql = f"SELECT {', '.join(REPORT_COLUMNS)} FROM shortage_reports"
    params: list[str] = []
    if statuses is not None:
        wanted = list(statuses)
        unknown = [s for s in wanted if s not in STATUSES]
        if unknown:
            raise ValueError(f"未知状态：{', '.join(unknown)}（可用：{', '.join(STATUSES)}）")
        sql += f" WHERE status IN ({','.join('?' * len(wanted))})"
        params = wanted
    sql += " ORDER BY coalesce(start_date, created_at) DESC, created_at DESC, id DESC"
    reports = [_from_row(r) for r in conn.execute(sql, params)]
    steps = _steps(conn, [r.uuid for r in reports])
    return [r.with_changes(steps=tuple(steps[r.uuid])) for r in reports]


def open_reports(conn: sqlite3.Connection) -> list[ShortageReport]:
    """SH-2: the unresolved list (drafts, reported, being handled, escalated)."""
    return list_reports(conn, OPEN_STATUSES)


# -- writing -------------------------------------------------------------------


def _values(report: ShortageReport) -> list[object]:
    out: list[object] = []
    for name in EDITABLE:
        value = getattr(report, name)
        if name == "substitutes":
            value = json.dumps([s.to_json() for s in value], ensure_ascii=False)
        elif name == "start_date":
            value = value.isoformat() if value else None
        out.append(value)
    return out


def save_report(
    conn: sqlite3.Connection,
    report: ShortageReport,
    *,
    today: dt.date | None = None,
    by: str = "",
) -> ShortageReport:
    """Insert or update `report` (by UUID); returns it as stored (version, steps).

    A report with a UUID not yet in the database is inserted under that
    UUID, so the window can name a draft before its first save and queue
    saves without ever inserting it twice.

    A draft is saved as typed, however incomplete (drafts are saved
    automatically so nothing typed is lost). A report past draft must stay
    complete: a save that would break SH-1 is refused with every field error
    and writes nothing. Status changes go through `advance`, never a save.
    A new report gets its first SH-2 step (created as draft).
    """
    today = today or dt.date.today()
    row = None
    if report.uuid:
        if not UUID_RE.match(report.uuid):
            raise ValueError(f"报告编号不是 UUID：{report.uuid!r}")
        row = conn.execute(
            "SELECT status FROM shortage_reports WHERE uuid=?", (report.uuid,)
        ).fetchone()
    if row is not None:
        report = report.with_changes(status=row[0])
        if row[0] != DRAFT:
            errors = validate_report(report, today)
            if errors:
                raise ReportInvalid(errors)
    else:
        report = report.with_changes(status=DRAFT)
    if not report.liaison:
        liaison = get_liaison(conn)
        report = report.with_changes(liaison=liaison.name, liaison_contact=liaison.phone)
    stamp = now_stamp()
    with transaction(conn):
        if row is not None:
            sets = ", ".join(f"{c}=?" for c in EDITABLE)
            conn.execute(
                f"UPDATE shortage_reports SET {sets}, version=version+1, updated_at=? WHERE uuid=?",
                [*_values(report), stamp, report.uuid],
            )
            uuid = report.uuid
        else:
            # A UUID chosen by the window when the draft was started is kept
            # (SYNC-1 stable id); otherwise the database draws one.
            columns = [*EDITABLE, "created_at", "updated_at"]
            values = [*_values(report), stamp, stamp]
            if report.uuid:
                columns.append("uuid")
                values.append(report.uuid)
            cur = conn.execute(
                f"INSERT INTO shortage_reports ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                values,
            )
            uuid = conn.execute(
                "SELECT uuid FROM shortage_reports WHERE id=?", (cur.lastrowid,)
            ).fetchone()[0]
            _insert_step(conn, uuid, None, DRAFT, stamp, by or report.reporter or report.liaison, "")
        _record_report_stock(conn, uuid, report, stamp)
    return load_report(conn, uuid)


def _insert_step(
    conn: sqlite3.Connection,
    uuid: str,
    from_status: str | None,
    to_status: str,
    at: str,
    by: str,
    note: str,
) -> None:
    conn.execute(
        """INSERT INTO shortage_report_steps (report_uuid, from_status, to_status, at, by, note)
           VALUES (?, ?, ?, ?, ?, ?)""",
        (uuid, from_status, to_status, at, by, note),
    )


def _record_report_stock(
    conn: sqlite3.Connection, uuid: str, report: ShortageReport, stamp: str
) -> None:
    """The stock typed on a report is an entered stock count (SH-3 low-cover
    signal); one row per report, replaced when the report's stock changes."""
    source = f"report:{uuid}"
    keep = report.product_code and report.stock_on_hand is not None and report.stock_on_hand >= 0
    stored = [tuple(r) for r in conn.execute(
        "SELECT product_code, qty FROM stock_counts WHERE source=?", (source,))]
    if keep and stored == [(report.product_code, float(report.stock_on_hand or 0))]:
        return  # unchanged: the count keeps the time it was entered
    conn.execute("DELETE FROM stock_counts WHERE source=?", (source,))
    if keep:
        conn.execute(
            "INSERT INTO stock_counts (product_code, counted_at, qty, counted_by, source) "
            "VALUES (?, ?, ?, ?, ?)",
            (report.product_code, stamp, report.stock_on_hand, report.reporter, source),
        )


def advance(
    conn: sqlite3.Connection,
    uuid: str,
    to_status: str,
    *,
    by: str,
    note: str = "",
    today: dt.date | None = None,
    at: str | None = None,
) -> ShortageReport:
    """SH-2: move a report one step on, dated and signed, in one transaction.

    Refused (nothing written) when the move is not allowed from the current
    status, when nobody is named, or when the report is not complete (SH-1):
    no status past draft holds an incomplete report.
    """
    today = today or dt.date.today()
    report = load_report(conn, uuid)
    if to_status not in next_statuses(report.status):
        allowed = "、".join(STATUS_LABELS[s] for s in next_statuses(report.status)) or "无"
        raise TransitionRefused(
            f"报告状态为“{STATUS_LABELS.get(report.status, report.status)}”，"
            f"不能改为“{STATUS_LABELS.get(to_status, to_status)}”（可改为：{allowed}）"
        )
    if not by.strip():
        raise TransitionRefused("操作人：必填（谁办理了这一步）")
    errors = validate_report(report, today)
    if errors:
        raise ReportInvalid(errors)
    stamp = at or now_stamp()
    with transaction(conn):
        conn.execute(
            "UPDATE shortage_reports SET status=?, version=version+1, updated_at=? WHERE uuid=?",
            (to_status, stamp, uuid),
        )
        _insert_step(conn, uuid, report.status, to_status, stamp, by.strip(), note.strip())
    return load_report(conn, uuid)


def delete_draft(conn: sqlite3.Connection, uuid: str) -> None:
    """Discard a draft (a report that was never filed); filed reports stay."""
    report = load_report(conn, uuid)
    if report.status != DRAFT:
        raise TransitionRefused("只能删除草稿；已上报的报告保留全部记录")
    with transaction(conn):
        conn.execute("DELETE FROM stock_counts WHERE source=?", (f"report:{uuid}",))
        conn.execute("DELETE FROM shortage_report_steps WHERE report_uuid=?", (uuid,))
        conn.execute("DELETE FROM shortage_reports WHERE uuid=?", (uuid,))


def record_stock_count(
    conn: sqlite3.Connection,
    product_code: str,
    qty: float,
    *,
    counted_at: str | None = None,
    by: str = "",
) -> None:
    """An entered stock count (smallest units) for the SH-3 low-cover signal."""
    if qty < 0:
        raise ValueError("库存数量：不能为负数")
    row = conn.execute("SELECT 1 FROM products WHERE code=?", (product_code,)).fetchone()
    if row is None:
        raise ValueError(f"产品编码：目录中没有 {product_code}")
    with transaction(conn):
        conn.execute(
            "INSERT INTO stock_counts (product_code, counted_at, qty, counted_by, source) "
            "VALUES (?, ?, ?, ?, 'count')",
            (product_code, counted_at or now_stamp(), qty, by),
        )
