"""Periods and as-of boundaries shared by every indicator.

The as-of date means the end of that day (RULES.md): data stamped after it is
ignored. Timestamps are stored as 'YYYY-MM-DD HH:MM:SS' text, so "up to the
end of as-of" is `< next day` as text, which uses the index.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Period:
    """Inclusive first and last day."""

    start: dt.date
    end: dt.date

    @property
    def start_text(self) -> str:
        return self.start.isoformat()

    @property
    def end_exclusive_text(self) -> str:
        """First instant after the period, as stored-timestamp text."""
        return (self.end + dt.timedelta(days=1)).isoformat()

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def shifted_years(self, years: int) -> Period:
        return Period(_shift_year(self.start, years), _shift_year(self.end, years))


def _shift_year(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def natural_year_to_date(as_of: dt.date) -> Period:
    """Default period of a figure: 1 January of the as-of year to the as-of date."""
    return Period(dt.date(as_of.year, 1, 1), as_of)


def months_between(period: Period) -> list[str]:
    """'YYYY-MM' of every month the period touches, in order."""
    months = []
    year, month = period.start.year, period.start.month
    while (year, month) <= (period.end.year, period.end.month):
        months.append(f"{year:04d}-{month:02d}")
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return months
