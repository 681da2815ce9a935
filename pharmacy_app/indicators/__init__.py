"""Indicators of RULES.md, computed in one place for the window, CLI and PDF."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from pharmacy_app.institutions import Institution, current_institution
from pharmacy_app.policy import PolicyProfile, active_profile


class NoInstitution(RuntimeError):
    """The database has no institution yet: `pharmacy-app init` first."""


def require_institution(conn: sqlite3.Connection) -> Institution:
    inst = current_institution(conn)
    if inst is None:
        raise NoInstitution("尚未设置本机构：请先运行 pharmacy-app init（或 pharmacy-app demo）")
    return inst


def compute_indicators(
    conn: sqlite3.Connection, as_of: dt.date, profile: PolicyProfile | None = None
) -> dict[str, Any]:
    """The FORMATS.md `indicators --json` object."""
    from pharmacy_app.indicators.agreements import agreement_total, compute_agreements
    from pharmacy_app.indicators.essential import compute_essential
    from pharmacy_app.indicators.payments import compute_payments
    from pharmacy_app.indicators.suppliers import compute_suppliers

    inst = require_institution(conn)
    profile = profile or active_profile(conn)
    essential = compute_essential(conn, inst, as_of, profile)
    agreements = compute_agreements(conn, inst.code, as_of, profile)
    suppliers = compute_suppliers(conn, inst, as_of, profile)
    payments = compute_payments(conn, inst, as_of, profile)
    return {
        "institution": {"code": inst.code, "name": inst.name, "level": inst.level},
        "as_of": as_of.isoformat(),
        "profile": profile.label,
        "essential": essential.to_json(),
        "agreements": [a.to_json() for a in agreements],
        "agreements_total": agreement_total(agreements, profile).to_json(),
        "suppliers": [s.to_json() for s in suppliers],
        "payments": payments.to_json(),
    }
