"""Declared supply emergencies (AV-7, AV-8) and exemptions (AV-9): check, save, delete.

The tables come from migration 0005 (`agreement_emergencies`,
`agreement_exemptions`); `indicators.agreements` reads them for every figure.
The window's dialogs and any future command call these functions, so a
record is checked the same way whoever enters it:

* the 通用名 must be one of the institution's agreements (and of the batch
  when one is given), or the record would silently apply to nothing;
* an emergency's range must be a real range (end not before start) that
  touches the procurement year of such an agreement, and must not overlap
  another emergency of the same 通用名 and batch (AV-7 counts each day once);
* an exemption needs one of the four reasons of seed 001 §14, a date inside
  the procurement year of a matching agreement (it applies from that day,
  `indicators.agreements.Exemption`), a note when the reason is "other",
  and at most one exemption per agreement year.

Each save or delete is one transaction; the change-log triggers of 0005 log
it (SYNC-1), so the window's worker reports the change and pages recompute.
Messages are Chinese and start with the field's name, like the catalogue's.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from db import transaction
from pharmacy_app.indicators.agreements import EXEMPTION_REASONS, agreement_keys

FIELD_LABELS = {
    "generic": "通用名",
    "batch": "批次",
    "start": "开始日期",
    "end": "结束日期",
    "reason": "原因",
    "declared_on": "认定日期",
    "note": "说明",
    "confirmed_by": "核实人",
}
MAX_TEXT = 500


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    @property
    def label(self) -> str:
        return FIELD_LABELS.get(self.field, self.field)

    def __str__(self) -> str:
        return f"{self.label}：{self.message}"


class RecordInvalid(ValueError):
    """The record was not saved; `errors` name each field and what is wrong."""

    def __init__(self, errors: Sequence[FieldError]):
        self.errors = list(errors)
        super().__init__("；".join(str(e) for e in self.errors))


class RecordNotFound(LookupError):
    """The record to delete is gone (deleted elsewhere, or by sync)."""


@dataclass(frozen=True)
class EmergencyRecord:
    """AV-7: a declared supply emergency of a 通用名 (all batches when batch is '')."""

    generic: str
    start: dt.date
    end: dt.date
    batch: str = ""
    reason: str = ""
    confirmed_by: str = ""
    id: int | None = None
    uuid: str | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class ExemptionRecord:
    """AV-9: a 通用名 exempt from the completion assessment from `declared_on`."""

    generic: str
    reason: str
    declared_on: dt.date
    batch: str = ""
    note: str = ""
    agreement_start: dt.date | None = None
    id: int | None = None
    uuid: str | None = None

    @property
    def reason_label(self) -> str:
        return EXEMPTION_REASONS.get(self.reason, self.reason)


@dataclass(frozen=True)
class AgreementYear:
    """One agreement the records can name: batch, 通用名 and procurement year."""

    batch: str
    generic: str
    start: dt.date
    end: dt.date


def agreement_years(conn: sqlite3.Connection, institution_code: str) -> list[AgreementYear]:
    """The institution's agreements, for the dialogs' choices and the checks below."""
    return [
        AgreementYear(r[0], r[1], dt.date.fromisoformat(r[2][:10]), dt.date.fromisoformat(r[3][:10]))
        for r in conn.execute(
            """SELECT batch, generic, start_date, end_date FROM agreements
               WHERE institution_code = ? ORDER BY generic, batch, start_date""",
            (institution_code,),
        )
    ]


def _matching(years: Sequence[AgreementYear], generic: str, batch: str) -> list[AgreementYear]:
    keys = agreement_keys(generic)
    return [y for y in years if (not batch or y.batch == batch) and agreement_keys(y.generic) & keys]


def _text_errors(values: dict[str, str]) -> list[FieldError]:
    return [
        FieldError(name, f"不能超过 {MAX_TEXT} 个字符（现有 {len(v)} 个）")
        for name, v in values.items()
        if len(v) > MAX_TEXT
    ]


def _clean(text: str) -> str:
    return " ".join(text.split())


def validate_emergency(
    conn: sqlite3.Connection, institution_code: str, record: EmergencyRecord
) -> list[FieldError]:
    """Why `record` cannot be saved (empty when it can)."""
    errors: list[FieldError] = []
    generic, batch = _clean(record.generic), _clean(record.batch)
    errors += _text_errors({"reason": record.reason, "confirmed_by": record.confirmed_by})
    if not generic:
        return [FieldError("generic", "请填写通用名（含剂型，如 阿莫西林胶囊）"), *errors]
    matching = _matching(agreement_years(conn, institution_code), generic, batch)
    if not matching:
        where = f"{batch}中" if batch else ""
        errors.append(FieldError("generic", f"本机构{where}没有“{generic}”的约定采购量"))
    if record.end < record.start:
        errors.append(FieldError(
            "end", f"结束日期 {record.end.isoformat()} 早于开始日期 {record.start.isoformat()}"))
        return errors
    if matching and not any(y.start <= record.end and record.start <= y.end for y in matching):
        years = "、".join(f"{y.start.isoformat()} 至 {y.end.isoformat()}" for y in matching)
        errors.append(FieldError("start", f"日期范围不在“{generic}”的采购年度内（{years}）"))
    keys = agreement_keys(generic)
    for other in list_emergencies(conn, institution_code):
        if other.id == record.id or not (agreement_keys(other.generic) & keys):
            continue
        if other.batch and batch and other.batch != batch:
            continue
        if other.start <= record.end and record.start <= other.end:
            errors.append(FieldError(
                "start",
                f"与已登记的短缺期 {other.start.isoformat()} 至 {other.end.isoformat()} 重叠",
            ))
            break
    return errors


def validate_exemption(
    conn: sqlite3.Connection, institution_code: str, record: ExemptionRecord
) -> list[FieldError]:
    """Why `record` cannot be saved (empty when it can)."""
    errors: list[FieldError] = []
    generic, batch = _clean(record.generic), _clean(record.batch)
    errors += _text_errors({"note": record.note})
    if record.reason not in EXEMPTION_REASONS:
        errors.append(FieldError(
            "reason", f"“{record.reason}”不是可选原因（{'、'.join(EXEMPTION_REASONS.values())}）"))
    elif record.reason == "other" and not record.note.strip():
        errors.append(FieldError("note", "原因为“其他”时须写明说明"))
    if not generic:
        return [FieldError("generic", "请填写通用名（含剂型，如 阿莫西林胶囊）"), *errors]
    matching = _matching(agreement_years(conn, institution_code), generic, batch)
    if not matching:
        where = f"{batch}中" if batch else ""
        errors.append(FieldError("generic", f"本机构{where}没有“{generic}”的约定采购量"))
        return errors
    if record.agreement_start is not None:
        years = [y for y in matching if y.start == record.agreement_start]
    else:
        years = [y for y in matching if y.start <= record.declared_on <= y.end]
    if not years:
        spans = "、".join(f"{y.start.isoformat()} 至 {y.end.isoformat()}" for y in matching)
        errors.append(FieldError(
            "declared_on",
            f"{record.declared_on.isoformat()} 不在“{generic}”的采购年度内（{spans}）"))
        return errors
    keys = agreement_keys(generic)
    for other in list_exemptions(conn, institution_code):
        if other.id == record.id or not (agreement_keys(other.generic) & keys):
            continue
        if other.batch and batch and other.batch != batch:
            continue
        other_years = [
            y for y in matching
            if (other.agreement_start == y.start if other.agreement_start is not None
                else y.start <= other.declared_on <= y.end)
        ]
        if set(other_years) & set(years):
            errors.append(FieldError(
                "generic",
                f"该采购年度已登记免考核（{other.reason_label}，{other.declared_on.isoformat()} 起）",
            ))
            break
    return errors


def save_emergency(
    conn: sqlite3.Connection, institution_code: str, record: EmergencyRecord
) -> EmergencyRecord:
    """Check and store `record` in one transaction; returns it with its id and uuid."""
    record = EmergencyRecord(
        _clean(record.generic), record.start, record.end, _clean(record.batch),
        record.reason.strip(), _clean(record.confirmed_by), record.id, record.uuid,
    )
    with transaction(conn):
        errors = validate_emergency(conn, institution_code, record)
        if errors:
            raise RecordInvalid(errors)
        row_id = _store(conn, _EMERGENCIES, institution_code, record.id, {
            "batch": record.batch, "generic": record.generic,
            "start_date": record.start.isoformat(), "end_date": record.end.isoformat(),
            "reason": record.reason, "confirmed_by": record.confirmed_by,
        })
    return _emergency(conn.execute(_EMERGENCY_SQL + " WHERE id = ?", (row_id,)).fetchone())


def save_exemption(
    conn: sqlite3.Connection, institution_code: str, record: ExemptionRecord
) -> ExemptionRecord:
    """Check and store `record` in one transaction; returns it with its id and uuid."""
    record = ExemptionRecord(
        _clean(record.generic), record.reason, record.declared_on, _clean(record.batch),
        record.note.strip(), record.agreement_start, record.id, record.uuid,
    )
    with transaction(conn):
        errors = validate_exemption(conn, institution_code, record)
        if errors:
            raise RecordInvalid(errors)
        row_id = _store(conn, _EXEMPTIONS, institution_code, record.id, {
            "batch": record.batch, "generic": record.generic, "reason": record.reason,
            "declared_on": record.declared_on.isoformat(),
            "agreement_start": (record.agreement_start.isoformat()
                                if record.agreement_start else None),
            "note": record.note,
        })
    return _exemption(conn.execute(_EXEMPTION_SQL + " WHERE id = ?", (row_id,)).fetchone())


def delete_emergency(conn: sqlite3.Connection, institution_code: str, record_id: int) -> None:
    """Remove one emergency; the figures lose its AV-7/AV-8 effect from then on."""
    _delete(conn, _EMERGENCIES, institution_code, record_id)


def delete_exemption(conn: sqlite3.Connection, institution_code: str, record_id: int) -> None:
    """Remove one exemption; the agreement is assessed again (AV-9)."""
    _delete(conn, _EXEMPTIONS, institution_code, record_id)


@dataclass(frozen=True)
class _Table:
    """A record table and what a missing row is called in the refusal."""

    name: str
    record: str


_EMERGENCIES = _Table("agreement_emergencies", "短缺期记录")
_EXEMPTIONS = _Table("agreement_exemptions", "免考核记录")


def _store(
    conn: sqlite3.Connection, table: _Table, institution_code: str, record_id: int | None,
    values: dict[str, object],
) -> int:
    """Insert a new row, or update row `record_id` of the institution (its
    version + 1, updated_at now); the row's id. Emergencies and exemptions are
    stored the same way, so they share this. The table and column names are
    this module's constants, never user input."""
    columns = list(values)
    if record_id is None:
        cur = conn.execute(
            f"INSERT INTO {table.name} (institution_code, {', '.join(columns)})"
            f" VALUES ({', '.join('?' * (len(columns) + 1))})",
            (institution_code, *values.values()),
        )
        return int(cur.lastrowid or 0)
    cur = conn.execute(
        f"UPDATE {table.name} SET {', '.join(f'{c} = ?' for c in columns)},"
        " version = version + 1,"
        " updated_at = strftime('%Y-%m-%d %H:%M:%S', 'now', 'localtime')"
        " WHERE id = ? AND institution_code = ?",
        (*values.values(), record_id, institution_code),
    )
    if cur.rowcount != 1:
        raise RecordNotFound(f"{table.record} {record_id} 已不存在")
    return record_id


def _delete(
    conn: sqlite3.Connection, table: _Table, institution_code: str, record_id: int
) -> None:
    with transaction(conn):
        cur = conn.execute(
            f"DELETE FROM {table.name} WHERE id = ? AND institution_code = ?",
            (record_id, institution_code),
        )
        if cur.rowcount != 1:
            raise RecordNotFound(f"{table.record} {record_id} 已不存在")


_EMERGENCY_SQL = """SELECT id, uuid, generic, start_date, end_date, batch, reason, confirmed_by
                    FROM agreement_emergencies"""
_EXEMPTION_SQL = """SELECT id, uuid, generic, reason, declared_on, batch, note, agreement_start
                    FROM agreement_exemptions"""


def _emergency(r: sqlite3.Row | tuple) -> EmergencyRecord:
    return EmergencyRecord(
        generic=r[2], start=dt.date.fromisoformat(r[3][:10]), end=dt.date.fromisoformat(r[4][:10]),
        batch=r[5] or "", reason=r[6] or "", confirmed_by=r[7] or "", id=int(r[0]), uuid=r[1],
    )


def _exemption(r: sqlite3.Row | tuple) -> ExemptionRecord:
    return ExemptionRecord(
        generic=r[2], reason=r[3], declared_on=dt.date.fromisoformat(r[4][:10]), batch=r[5] or "",
        note=r[6] or "", agreement_start=dt.date.fromisoformat(r[7][:10]) if r[7] else None,
        id=int(r[0]), uuid=r[1],
    )


def list_emergencies(conn: sqlite3.Connection, institution_code: str) -> list[EmergencyRecord]:
    return [
        _emergency(r)
        for r in conn.execute(
            _EMERGENCY_SQL + " WHERE institution_code = ? ORDER BY start_date, generic, batch",
            (institution_code,),
        )
    ]


def list_exemptions(conn: sqlite3.Connection, institution_code: str) -> list[ExemptionRecord]:
    return [
        _exemption(r)
        for r in conn.execute(
            _EXEMPTION_SQL + " WHERE institution_code = ? ORDER BY declared_on, generic, batch",
            (institution_code,),
        )
    ]


@dataclass(frozen=True)
class Records:
    """What the emergencies and exemptions dialogs list and offer."""

    institution_code: str
    agreements: tuple[AgreementYear, ...]
    emergencies: tuple[EmergencyRecord, ...]
    exemptions: tuple[ExemptionRecord, ...]


def load_records(conn: sqlite3.Connection) -> Records:
    """The institution's agreements, emergencies and exemptions (for the dialogs)."""
    from pharmacy_app.indicators import require_institution

    code = require_institution(conn).code
    return Records(
        code,
        tuple(agreement_years(conn, code)),
        tuple(list_emergencies(conn, code)),
        tuple(list_exemptions(conn, code)),
    )
