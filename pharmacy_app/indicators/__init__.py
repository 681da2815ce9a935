"""Indicators of RULES.md, computed in one place for the window, CLI and PDF."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from pharmacy_app.indicators.common import without_gc_pauses
from pharmacy_app.institutions import Institution, current_institution
from pharmacy_app.policy import PolicyProfile, active_profile


class NoInstitution(RuntimeError):
    """The database has no institution yet: `pharmacy-app init` first."""


def require_institution(conn: sqlite3.Connection) -> Institution:
    inst = current_institution(conn)
    if inst is None:
        raise NoInstitution("尚未设置本机构：请先运行 pharmacy-app init（或 pharmacy-app demo）")
    return inst


@without_gc_pauses
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


RULE_ORDER = ("AV", "SUP", "PAY", "ED")


def compute_alerts(
    conn: sqlite3.Connection, as_of: dt.date, profile: PolicyProfile | None = None
) -> list[dict[str, Any]]:
    """Every alert as of `as_of`, each with its rule ID, subject and the figure that
    crossed the line — the list the window's alerts panel and `pharmacy-app alerts` show."""
    from pharmacy_app.indicators.agreements import collect_alerts, compute_agreements
    from pharmacy_app.indicators.payments import compute_payments, payment_alerts
    from pharmacy_app.indicators.suppliers import (
        compute_suppliers,
        products_over_supplier_limit,
        supplier_limit_alerts,
    )

    inst = require_institution(conn)
    profile = profile or active_profile(conn)
    alerts = list(collect_alerts(compute_agreements(conn, inst.code, as_of, profile)))
    for supplier in compute_suppliers(conn, inst, as_of, profile):
        alerts.extend(supplier.alerts)
    alerts.extend(supplier_limit_alerts(
        products_over_supplier_limit(conn, inst, as_of, profile), profile))
    alerts.extend(payment_alerts(compute_payments(conn, inst, as_of, profile)))
    found = [a.to_json() for a in alerts]
    # SUP-4: supply-problem tickets past their working-day deadlines.
    from pharmacy_app.tickets import ticket_alerts

    found.extend(ticket_alerts(conn, as_of))

    def order(alert: dict[str, Any]) -> tuple[int, str]:
        rule = str(alert["rule"])
        family = rule.split("-")[0]
        return (RULE_ORDER.index(family) if family in RULE_ORDER else len(RULE_ORDER), rule)

    return sorted(found, key=order)
