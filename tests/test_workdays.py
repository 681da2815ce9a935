"""SUP-4: supplier answers within 2 working days, fix date within 5, on the official calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pharmacy_app.workdays import (
    CalendarFileError,
    CalendarMissing,
    WorkCalendar,
    covered_years,
    ensure_bundled_calendar,
    import_calendar,
)

D = dt.date

CAL_2027 = """date,kind,holiday,holiday_zh
2027-01-01,holiday,new_years_day,元旦
2027-02-06,holiday,spring_festival,春节
2027-02-07,holiday,spring_festival,春节
2027-02-08,holiday,spring_festival,春节
2027-02-20,makeup_workday,spring_festival,春节
"""


@pytest.fixture
def cal(conn) -> WorkCalendar:
    ensure_bundled_calendar(conn)
    return WorkCalendar.load(conn)


def test_bundled_calendar_covers_2025_2026_and_is_idempotent(conn):
    assert ensure_bundled_calendar(conn) > 0
    count = conn.execute("SELECT count(*) FROM calendar_days").fetchone()[0]
    assert ensure_bundled_calendar(conn) == 0
    assert conn.execute("SELECT count(*) FROM calendar_days").fetchone()[0] == count
    assert covered_years(conn) == {2025, 2026}
    # in_lieu rows are stored as holiday
    kind = conn.execute("SELECT kind FROM calendar_days WHERE day = '2026-10-07'").fetchone()[0]
    assert kind == "holiday"


def test_sup4_deadlines_across_national_day_2026(cal):
    # Feedback on Wed 2026-09-30; 10-01..10-07 are holidays, Sat 10-10 is a make-up working day.
    assert cal.add_workdays(D(2026, 9, 30), 2) == D(2026, 10, 9)  # answer due (Fri)
    assert cal.add_workdays(D(2026, 9, 30), 3) == D(2026, 10, 10)  # make-up Saturday counts
    assert cal.add_workdays(D(2026, 9, 30), 5) == D(2026, 10, 13)  # fix date no later than (Tue)
    # Feedback on Fri 2026-09-18: Sun 09-20 is a make-up working day.
    assert cal.add_workdays(D(2026, 9, 18), 1) == D(2026, 9, 20)
    assert cal.add_workdays(D(2026, 9, 18), 2) == D(2026, 9, 21)
    # Start itself not counted; n = 0 is the start.
    assert cal.add_workdays(D(2026, 9, 30), 0) == D(2026, 9, 30)


def test_makeup_weekend_is_workday_and_holiday_weekday_is_not(cal):
    assert D(2026, 10, 10).weekday() == 5 and cal.is_workday(D(2026, 10, 10))
    assert D(2026, 9, 20).weekday() == 6 and cal.is_workday(D(2026, 9, 20))
    assert D(2026, 10, 1).weekday() == 3 and not cal.is_workday(D(2026, 10, 1))
    assert D(2026, 9, 25).weekday() == 4 and not cal.is_workday(D(2026, 9, 25))  # 中秋
    assert not cal.is_workday(D(2026, 10, 17))  # an ordinary Saturday
    assert cal.is_workday(D(2026, 10, 16))  # an ordinary Friday


def test_uncovered_year_raises_not_monday_friday(cal):
    with pytest.raises(CalendarMissing, match="2027年的工作日历尚未载入") as err:
        cal.is_workday(D(2027, 1, 4))
    assert err.value.year == 2027
    with pytest.raises(CalendarMissing):
        cal.add_workdays(D(2026, 12, 31), 2)  # 2026-12-31 + 2 runs into 2027


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_import_user_calendar_for_2027(conn, tmp_path: Path, encoding):
    ensure_bundled_calendar(conn)
    path = tmp_path / "2027.csv"
    path.write_text(CAL_2027, encoding=encoding)  # saved by Excel on a Chinese Windows: GBK
    assert import_calendar(conn, path) == 5
    assert covered_years(conn) == {2025, 2026, 2027}
    cal = WorkCalendar.load(conn)
    assert not cal.is_workday(D(2027, 1, 1))
    assert cal.is_workday(D(2027, 2, 20))  # make-up Saturday
    # Thu 2026-12-31 + 2: Fri 2027-01-01 is a holiday → Mon 01-04, Tue 01-05
    assert cal.add_workdays(D(2026, 12, 31), 2) == D(2027, 1, 5)
    row = conn.execute("SELECT name, source FROM calendar_days WHERE day = '2027-01-01'").fetchone()
    assert tuple(row) == ("元旦", "导入：2027.csv")


def test_a_corrected_calendar_replaces_the_year_it_covers(conn, tmp_path: Path):
    """SUP-4 deadlines follow the corrected file: a day it no longer lists is gone."""
    ensure_bundled_calendar(conn)
    first = tmp_path / "2027.csv"
    first.write_text(CAL_2027 + "2027-10-08,holiday,national_day,国庆节\n", encoding="utf-8")
    import_calendar(conn, first)
    assert not WorkCalendar.load(conn).is_workday(D(2027, 10, 8))
    fixed = tmp_path / "2027-fixed.csv"
    fixed.write_text(CAL_2027, encoding="utf-8")
    assert import_calendar(conn, fixed) == 5
    cal = WorkCalendar.load(conn)
    assert cal.is_workday(D(2027, 10, 8))  # a Friday again
    assert not cal.is_workday(D(2026, 10, 1))  # the bundled 2026 is untouched
    assert {r[0] for r in conn.execute(
        "SELECT DISTINCT source FROM calendar_days WHERE day LIKE '2027%'")} == {"导入：2027-fixed.csv"}


def test_a_calendar_replaces_its_own_year_only_and_stays_after_a_restart(conn, tmp_path: Path):
    """A notice also listing 2026-12-31 does not wipe 2026; a corrected bundled year is not
    filled back in by the next start."""
    ensure_bundled_calendar(conn)
    bundled_2026 = conn.execute("SELECT count(*) FROM calendar_days WHERE day LIKE '2026%'"
                                ).fetchone()[0]
    notice = tmp_path / "2027.csv"
    notice.write_text(CAL_2027 + "2026-12-31,holiday,new_years_day,元旦\n", encoding="utf-8")
    import_calendar(conn, notice)
    assert conn.execute("SELECT count(*) FROM calendar_days WHERE day LIKE '2026%'"
                        ).fetchone()[0] >= bundled_2026
    corrected = tmp_path / "2026.csv"
    corrected.write_text("date,kind,holiday_zh\n2026-01-01,holiday,元旦\n", encoding="utf-8")
    import_calendar(conn, corrected)
    assert ensure_bundled_calendar(conn) == 0  # the next start puts nothing back
    assert WorkCalendar.load(conn).is_workday(D(2026, 10, 8))


@pytest.mark.parametrize(
    ("line", "column", "fragment"),
    [
        ("2027-13-01,holiday,,", "date", "第4行「date」列"),
        ("2027-03-01,vacation,,", "kind", "第4行「kind」列"),
        ("2027-03-01,makeup_workday,,", "kind", "第4行「kind」列"),  # a Monday
    ],
)
def test_bad_row_names_file_row_column_and_writes_nothing(conn, tmp_path, line, column, fragment):
    ensure_bundled_calendar(conn)
    before = conn.execute("SELECT count(*) FROM calendar_days").fetchone()[0]
    lines = CAL_2027.splitlines()
    lines.insert(3, line)  # header is line 1, so this is line 4
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CalendarFileError) as err:
        import_calendar(conn, path)
    assert "bad.csv" in str(err.value) and fragment in str(err.value)
    assert conn.execute("SELECT count(*) FROM calendar_days").fetchone()[0] == before
    assert 2027 not in covered_years(conn)


def test_missing_column_is_reported(conn, tmp_path):
    path = tmp_path / "nokind.csv"
    path.write_text("date,holiday_zh\n2027-01-01,元旦\n", encoding="utf-8")
    with pytest.raises(CalendarFileError, match="「kind」列"):
        import_calendar(conn, path)


def test_open_store_loads_bundled_calendar(db_path):
    from pharmacy_app.store import open_store

    conn = open_store(db_path)
    try:
        assert covered_years(conn) == {2025, 2026}
    finally:
        conn.close()
    conn = open_store(db_path)  # second start adds nothing and does not fail
    try:
        assert ensure_bundled_calendar(conn) == 0
    finally:
        conn.close()
