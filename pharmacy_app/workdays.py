"""Working days on the official Chinese calendar (SUP-4 deadlines).

SUP-4: a supplier answers supply-problem feedback within 2 working days and
commits a fix date within 5. Working days follow the State Council schedule
(statutory holidays and weekend make-up working days), not Monday–Friday.

The schedule lives in the `calendar_days` table (migration 0006): the bundled
years (resources/reference/cn_calendar_2025_2026.csv, see its README.md) are
loaded at every start, and the user imports each later year when the State
Council publishes it. A date is a working day iff (Mon–Fri and not a holiday)
or it is a make-up working day. A year with no rows is not covered: asking
about it raises `CalendarMissing` instead of guessing Monday–Friday.
"""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from db import transaction
from pharmacy_app.paths import RESOURCES

BUNDLED_CALENDAR = RESOURCES / "reference" / "cn_calendar_2025_2026.csv"
BUNDLED_SOURCE = (
    "内置：resources/reference/cn_calendar_2025_2026.csv（PyPI chinese-calendar 1.11.0，MIT 许可）"
)

# File kind → stored kind. in_lieu days (调休放假) are holidays too.
KINDS = {
    "holiday": "holiday",
    "in_lieu": "holiday",
    "makeup_workday": "makeup_workday",
}

CalendarRow = tuple[str, str, str]  # (day ISO, stored kind, name)


class CalendarMissing(LookupError):
    """The calendar table has no schedule for a year a deadline needs."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"{year}年的工作日历尚未载入：请导入国务院办公厅公布的{year}年"
            f"节假日安排（date、kind 两列）后再计算期限。"
        )


class CalendarFileError(ValueError):
    """A calendar file that cannot be imported; the message names file, row and column."""


def read_calendar_file(path: str | Path) -> list[CalendarRow]:
    """The rows of a calendar CSV (date, kind[, holiday_zh]), checked; nothing is written.

    Raises CalendarFileError naming the file, the line (the header is line 1)
    and the column of the first problem.
    """
    path = Path(path)
    name = path.name

    def fail(line: int | None, column: str | None, what: str) -> CalendarFileError:
        where = f"文件「{name}」"
        if line is not None:
            where += f"第{line}行"
        if column is not None:
            where += f"「{column}」列"
        return CalendarFileError(f"{where}：{what}")

    from pharmacy_app.importers.reading import detect_encoding
    from pharmacy_app.importers.result import ImportFailed

    if not path.is_file():
        raise fail(None, None, "文件不存在")
    try:  # UTF-8 (with or without BOM), GBK or GB18030, as every CSV the app reads
        codec = detect_encoding(path).codec
    except ImportFailed:
        raise fail(None, None, "无法识别文件编码（支持 UTF-8、GBK、GB18030）") from None
    text = path.read_text(encoding="utf-8-sig" if codec == "utf-8" else codec)
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    for required in ("date", "kind"):
        if required not in header:
            raise fail(
                1, required, f"缺少必需的列（需要 date、kind，可选 holiday_zh）；现有列：{header}"
            )

    seen: dict[str, tuple[str, int]] = {}
    rows: list[CalendarRow] = []
    for record in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in record.values() if isinstance(v, str)):
            continue  # blank line
        raw_day = (record.get("date") or "").strip()
        try:
            day = dt.date.fromisoformat(raw_day)
            if len(raw_day) != 10:
                raise ValueError
        except ValueError:
            raise fail(line, "date", f"日期「{raw_day}」无效，应为 YYYY-MM-DD") from None
        raw_kind = (record.get("kind") or "").strip()
        kind = KINDS.get(raw_kind)
        if kind is None:
            raise fail(
                line, "kind", f"类型「{raw_kind}」无效，应为 holiday、makeup_workday 或 in_lieu"
            )
        if kind == "makeup_workday" and day.weekday() < 5:
            raise fail(line, "kind", f"{day.isoformat()} 是工作日（周一至周五），不能是调休上班日")
        iso = day.isoformat()
        if iso in seen:
            earlier_kind, earlier_line = seen[iso]
            if earlier_kind != kind:
                raise fail(line, "kind", f"{iso} 与第{earlier_line}行矛盾（既是放假又是调休上班）")
            continue
        seen[iso] = (kind, line)
        label = (record.get("holiday_zh") or record.get("holiday") or "").strip()
        rows.append((iso, kind, label))
    if not rows:
        raise fail(None, None, "没有任何日期行")
    return rows


def ensure_bundled_calendar(conn: sqlite3.Connection) -> int:
    """Load the bundled years into calendar_days; how many rows were added.

    Idempotent and in one transaction: INSERT OR IGNORE, so a day the user
    has imported or corrected is kept as it is.
    """
    rows = read_calendar_file(BUNDLED_CALENDAR)  # read before taking the write lock
    # A year the user imported a calendar for is theirs: not filled back in.
    imported = {y for (y,) in conn.execute(
        "SELECT DISTINCT substr(day, 1, 4) FROM calendar_days WHERE source <> ?",
        (BUNDLED_SOURCE,))}
    rows = [r for r in rows if r[0][:4] not in imported]
    if not rows:
        return 0
    days = [r[0] for r in rows]
    present = conn.execute(
        f"SELECT count(*) FROM calendar_days WHERE day IN ({', '.join('?' * len(days))})", days
    ).fetchone()[0]
    if present == len(days):
        return 0
    with transaction(conn):
        before = conn.total_changes
        conn.executemany(
            "INSERT OR IGNORE INTO calendar_days (day, kind, name, source) VALUES (?, ?, ?, ?)",
            [(*r, BUNDLED_SOURCE) for r in rows],
        )
        return conn.total_changes - before


def import_calendar(conn: sqlite3.Connection, path: str | Path) -> int:
    """Import a user's calendar file (e.g. the next year's State Council schedule).

    The whole file is checked before anything is written, then written in one
    transaction. A file is the schedule of its year (the year most of its days
    fall in; a State Council notice also lists a day or two around it): the
    days stored for that year before (bundled or an earlier file) are
    replaced, so a corrected file removes a holiday it no longer lists, and
    the bundled calendar does not put it back. Other days of the file are
    merged in. Returns the number of rows.
    """
    path = Path(path)
    rows = read_calendar_file(path)
    source = f"导入：{path.name}"
    year = Counter(r[0][:4] for r in rows).most_common(1)[0][0]
    with transaction(conn):
        conn.execute("DELETE FROM calendar_days WHERE substr(day, 1, 4) = ?", (year,))
        conn.executemany(
            """INSERT INTO calendar_days (day, kind, name, source) VALUES (?, ?, ?, ?)
               ON CONFLICT (day) DO UPDATE SET
                   kind = excluded.kind, name = excluded.name, source = excluded.source""",
            [(*r, source) for r in rows],
        )
    return len(rows)


def covered_years(conn: sqlite3.Connection) -> set[int]:
    """Years with at least one row in calendar_days."""
    return {int(y) for (y,) in conn.execute("SELECT DISTINCT substr(day, 1, 4) FROM calendar_days")}


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[dt.date]
    makeup_workdays: frozenset[dt.date]
    years: frozenset[int]

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> WorkCalendar:
        holidays: set[dt.date] = set()
        makeup: set[dt.date] = set()
        for day, kind in conn.execute("SELECT day, kind FROM calendar_days"):
            (holidays if kind == "holiday" else makeup).add(dt.date.fromisoformat(day))
        years = {d.year for d in holidays | makeup}
        return cls(frozenset(holidays), frozenset(makeup), frozenset(years))

    def is_workday(self, day: dt.date) -> bool:
        """(Mon–Fri and not a holiday) or a make-up working day; CalendarMissing if uncovered."""
        if day.year not in self.years:
            raise CalendarMissing(day.year)
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (start itself not counted); n = 0 gives start."""
        if n < 0:
            raise ValueError(f"工作日数不能为负：{n}")
        day = start
        remaining = n
        while remaining:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day
