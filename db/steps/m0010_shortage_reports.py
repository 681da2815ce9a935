"""Shortage reports (短缺药品信息直报, RULES.md SH-1/SH-2) and their workflow steps.

`shortage_reports` holds one report per row with every SH-1 field; the
product's code, 通用名, dosage form, specification and manufacturer are
copied from the catalogue when the report is filed, because the report must
still say what was reported if the catalogue row changes later.
Quantities are in the smallest dispensing unit (RULES.md preamble).
`substitutes` is a JSON array (see pharmacy_app/shortage/model.py).

`shortage_report_steps` is the SH-2 history: one row per status change, with
the moment and who did it. Steps point at the report's UUID, not its integer
id, so a step synced to another machine (SYNC-1/SYNC-2) finds its report.

`stock_counts` are stock-on-hand figures a pharmacist entered (a report's
stock, or a count). With purchase data they give the estimated days of cover
behind the SH-3 low-cover proposal. They are a local working figure, not a
record the province receives, so they are not synced.
"""

from __future__ import annotations

from sqlite_utils import Database

from db.migrations import NOW_SQL, RECORD_COLUMNS, change_log_triggers

NAME = "0010_shortage_reports"
SYNCED = ("shortage_reports", "shortage_report_steps")

STATUSES = "('draft', 'reported', 'handling', 'resolved', 'unresolvable')"


def apply(db: Database) -> None:
    db.executescript(
        f"""
CREATE TABLE shortage_reports ({RECORD_COLUMNS},
    institution_code TEXT NOT NULL DEFAULT '',
    product_code TEXT NOT NULL DEFAULT '',
    generic_name TEXT NOT NULL DEFAULT '',
    dosage_form TEXT NOT NULL DEFAULT '',
    specification TEXT NOT NULL DEFAULT '',
    manufacturer TEXT NOT NULL DEFAULT '',
    start_date TEXT,
    stock_on_hand REAL,
    monthly_use REAL,
    kind TEXT NOT NULL DEFAULT 'partial' CHECK (kind IN ('complete', 'partial')),
    cause TEXT NOT NULL DEFAULT '',
    cause_detail TEXT NOT NULL DEFAULT '',
    clinical_impact TEXT NOT NULL DEFAULT '',
    substitutes TEXT NOT NULL DEFAULT '[]',
    measures_taken TEXT NOT NULL DEFAULT '',
    reporter TEXT NOT NULL DEFAULT '',
    contact TEXT NOT NULL DEFAULT '',
    liaison TEXT NOT NULL DEFAULT '',
    liaison_contact TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN {STATUSES}),
    signal TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL DEFAULT {NOW_SQL}
);
CREATE INDEX shortage_reports_status ON shortage_reports(status);
CREATE INDEX shortage_reports_product ON shortage_reports(product_code);

CREATE TABLE shortage_report_steps ({RECORD_COLUMNS},
    report_uuid TEXT NOT NULL REFERENCES shortage_reports(uuid) ON DELETE CASCADE,
    from_status TEXT CHECK (from_status IS NULL OR from_status IN {STATUSES}),
    to_status TEXT NOT NULL CHECK (to_status IN {STATUSES}),
    at TEXT NOT NULL,
    by TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX shortage_report_steps_report ON shortage_report_steps(report_uuid, at);

CREATE TABLE stock_counts (
    id INTEGER PRIMARY KEY,
    product_code TEXT NOT NULL,
    counted_at TEXT NOT NULL,
    qty REAL NOT NULL CHECK (qty >= 0),
    counted_by TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT ''
);
CREATE INDEX stock_counts_product ON stock_counts(product_code, counted_at);
"""
        + change_log_triggers("shortage_reports")
        + change_log_triggers("shortage_report_steps")
    )
