"""Assessment figures the institution enters (SR-2) and institution changes (SR-3); seed 004.

`assessment_entries`: the SR-2 indicators our data cannot derive — the
per-visit drug cost growth rate (人次均药品费用增长率, from the hospital's
statistics) and the counts of VBP-policy violations, price violations and
irregular circulation findings (from inspections) — one row per institution,
period basis, period start and indicator. The period is named by its basis
(natural year or procurement year, SR-3: never mixed) and its first day, so
a figure entered for the 2026 natural year is never read for the procurement
year that starts on 2026-03-01.

`institution_changes`: SR-3 dated records (merger, split, transfer of a
community station, closure, loss of designated status) that move an agreed
quantity of one 通用名 between institutions from `effective_on`. They are
records, not edits of `agreements`, because figures as of an earlier date
must not see them and the agreement stays as the platform allocated it.

Both synced (SYNC-1): the lead hospital and the bureau read them too.
"""

from __future__ import annotations

from sqlite_utils import Database

from db.migrations import RECORD_COLUMNS, change_log_triggers

NAME = "0011_assessment"
SYNCED = ("assessment_entries", "institution_changes")


def apply(db: Database) -> None:
    db.executescript(
        f"""
CREATE TABLE assessment_entries ({RECORD_COLUMNS},
    institution_code TEXT NOT NULL,
    basis TEXT NOT NULL CHECK (basis IN ('procurement', 'natural')),
    period_start TEXT NOT NULL,
    indicator TEXT NOT NULL CHECK (indicator IN
        ('cost_growth', 'vbp_violations', 'price_violations', 'circulation')),
    value REAL NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    entered_by TEXT NOT NULL DEFAULT '',
    UNIQUE (institution_code, basis, period_start, indicator)
);
CREATE TABLE institution_changes ({RECORD_COLUMNS},
    kind TEXT NOT NULL CHECK (kind IN
        ('merger', 'split', 'station_transfer', 'closure', 'designation_lost')),
    effective_on TEXT NOT NULL,
    from_code TEXT NOT NULL,
    to_code TEXT NOT NULL DEFAULT '',
    batch TEXT NOT NULL DEFAULT '',
    generic TEXT NOT NULL,
    qty REAL NOT NULL CHECK (qty > 0),
    note TEXT NOT NULL DEFAULT '',
    CHECK (from_code <> to_code)
);
CREATE INDEX institution_changes_codes ON institution_changes(from_code, to_code, effective_on);
"""
        + change_log_triggers("assessment_entries")
        + change_log_triggers("institution_changes")
    )
