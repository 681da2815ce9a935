"""Supply-problem tickets (SUP-4; seed 001 §4).

A ticket records a supply problem reported to a delivery company and each
step after it, dated and signed: the supplier's answer, the fix date it
committed, the resolution, and an escalation to the insurance bureau. The
stored `status` is the last step taken; whether a ticket is overdue (and so
escalated) depends on the as-of date and the working-day calendar, so it is
computed (pharmacy_app/tickets.py), never stored. Synced (SYNC-1).
"""

from __future__ import annotations

from sqlite_utils import Database

from db.migrations import RECORD_COLUMNS, change_log_triggers

NAME = "0009_supply_tickets"
SYNCED = ("supply_tickets",)


def apply(db: Database) -> None:
    db.executescript(
        f"""
CREATE TABLE supply_tickets ({RECORD_COLUMNS},
    institution_code TEXT NOT NULL,
    product_code TEXT NOT NULL,
    product_name TEXT NOT NULL DEFAULT '',
    supplier TEXT NOT NULL CHECK (length(trim(supplier)) > 0),
    problem TEXT NOT NULL CHECK (length(trim(problem)) > 0),
    raised_on TEXT NOT NULL,
    raised_by TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'answered', 'fix_committed', 'resolved')),
    answered_on TEXT,
    answered_by TEXT,
    answer TEXT NOT NULL DEFAULT '',
    fix_date TEXT,
    fix_committed_on TEXT,
    fix_committed_by TEXT,
    resolved_on TEXT,
    resolved_by TEXT,
    resolution TEXT NOT NULL DEFAULT '',
    escalated_on TEXT,
    escalated_by TEXT,
    escalation_note TEXT NOT NULL DEFAULT '',
    CHECK (answered_on IS NULL OR answered_on >= raised_on),
    CHECK (resolved_on IS NULL OR resolved_on >= raised_on)
);
CREATE INDEX supply_tickets_status ON supply_tickets(institution_code, status, raised_on);
"""
        + change_log_triggers("supply_tickets")
    )
