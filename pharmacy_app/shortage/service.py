"""What the window and the command line share: one call per screen or command.

Everything here runs on the database worker (window) or the CLI's own
connection; results are plain dataclasses, safe to hand across threads.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Any

from pharmacy_app.institutions import Institution, current_institution
from pharmacy_app.policy import PolicyProfile, active_profile
from pharmacy_app.shortage.model import ShortageReport, report_level
from pharmacy_app.shortage.signals import Proposal, propose_reports
from pharmacy_app.shortage.store import Liaison, get_liaison, list_reports


def default_as_of(conn: sqlite3.Connection) -> dt.date:
    """The demo database's own 'today' when it has one, else today (as the
    essential-drug page does), so the demo's signals stay visible."""
    row = conn.execute("SELECT value FROM app_settings WHERE key='demo_as_of'").fetchone()
    if row is not None and row[0]:
        try:
            return dt.date.fromisoformat(str(row[0])[:10])
        except ValueError:
            pass
    return dt.date.today()


@dataclass(frozen=True)
class Overview:
    """The shortage page's data: every report, the proposals, the levels."""

    as_of: dt.date
    profile: PolicyProfile
    institution: Institution | None
    liaison: Liaison
    reports: list[ShortageReport]
    proposals: list[Proposal]
    levels: dict[str, str]  # report uuid → SH-3 level


def load_overview(
    conn: sqlite3.Connection, as_of: dt.date | None = None, statuses: Any = None
) -> Overview:
    as_of = as_of or default_as_of(conn)
    profile = active_profile(conn)
    institution = current_institution(conn)
    reports = list_reports(conn, statuses)
    proposals = propose_reports(conn, institution, as_of, profile) if institution else []
    return Overview(
        as_of,
        profile,
        institution,
        get_liaison(conn),
        reports,
        proposals,
        {r.uuid: report_level(r, profile) for r in reports},
    )


def export_for(
    conn: sqlite3.Connection, reports: list[ShortageReport], as_of: dt.date | None = None
) -> dict[str, Any]:
    """The export document (pharmacy_app.shortage.export) for `reports`."""
    from pharmacy_app.shortage.export import export_document

    inst = current_institution(conn)
    liaison = get_liaison(conn)
    return export_document(
        reports,
        active_profile(conn),
        institution=(inst.code, inst.name) if inst else ("", ""),
        liaison=(liaison.name, liaison.phone),
        as_of=as_of or default_as_of(conn),
    )
