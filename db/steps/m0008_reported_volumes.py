"""Reported volumes (报量) per 通用名 and report year (AV-10; seed 001 §8, §12).

One row per institution × report year × 通用名. `quantity` NULL means the
通用名 is on the report but not reported yet (AV-10 flags it: no surplus
retention, 001 §8). The explanation is stored with the figure because the
export of a report that moved more than the policy allows (< −20 % or
> +150 % against last year's actual purchases) is refused without one.
Synced (SYNC-1): a report is entered at a member institution and may be
collected by the alliance's lead.
"""

from __future__ import annotations

from sqlite_utils import Database

from db.migrations import RECORD_COLUMNS, change_log_triggers

NAME = "0008_reported_volumes"
SYNCED = ("reported_volumes",)


def apply(db: Database) -> None:
    db.executescript(
        f"""
CREATE TABLE reported_volumes ({RECORD_COLUMNS},
    institution_code TEXT NOT NULL,
    report_year INTEGER NOT NULL CHECK (report_year BETWEEN 2000 AND 2100),
    batch TEXT NOT NULL DEFAULT '',
    generic TEXT NOT NULL CHECK (length(trim(generic)) > 0),
    quantity INTEGER CHECK (quantity IS NULL OR quantity >= 0),
    explanation TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'import', 'demo')),
    entered_by TEXT NOT NULL DEFAULT '',
    UNIQUE (institution_code, report_year, generic)
);
"""
        + change_log_triggers("reported_volumes")
    )
