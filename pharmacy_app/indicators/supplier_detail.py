"""What the suppliers page shows beyond the FORMATS.md figures (SUP-1, 2, 3, 5, 6).

The per-supplier figures themselves (rates, quarters, interview, tier,
`unresponded_48h`) come from `indicators.suppliers.compute_suppliers`, the
function behind `pharmacy-app indicators --json`, so the page and the CLI
cannot disagree. This module adds what a pharmacist needs to act on them:

- `supplier_overview`: those figures plus the SUP-6 products and the policy
  thresholds they were judged against, for one as-of date, in one call the
  window runs on its database worker;
- `supplier_lines`: one supplier's order lines of the period, each with its
  SUP-1 / SUP-2 status. The status uses the same window test
  (`suppliers.within_sql`) and the same pending rule as the counts, and
  tests/test_supplier_detail.py checks that the statuses add up to
  `compute_suppliers`' counts, so a line list can never contradict a rate;
- `delayed_rows`: the SUP-3 delayed-response list (`suppliers.delayed_responses`)
  with the product's name, specification, manufacturer and quantity that the
  company needs to find the order — what the page lists and the xlsx export
  (`pharmacy_app.exports.unresponded`) writes.

No Qt here: the CLI and the window share it.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from fractions import Fraction

from pharmacy_app.indicators import require_institution
from pharmacy_app.indicators.periods import Period, natural_year_to_date
from pharmacy_app.indicators.suppliers import (
    STAMP,
    ProductSuppliers,
    SupplierFigures,
    as_of_end,
    compute_suppliers,
    delayed_responses,
    delivery_hours,
    products_over_supplier_limit,
    within_sql,
)
from pharmacy_app.institutions import Institution
from pharmacy_app.policy import PolicyProfile, active_profile

# SUP-1 / SUP-2 status of one line at the as-of time.
IN_TIME = "in_time"  # within the window (inclusive)
LATE = "late"  # answered / delivered, but after the window
MISSING = "missing"  # nothing by the as-of time, and the window has passed
PENDING = "pending"  # nothing yet, window still open: left out of the denominator


@dataclass(frozen=True)
class Thresholds:
    """The policy values the page states next to the figures (all from the profile)."""

    response_hours: int
    response_min: Fraction
    delivery_hours: int
    timeliness_min: Fraction
    interview_quarters: int
    unresponded_hours: int
    max_companies: int

    @classmethod
    def of(cls, institution: Institution, profile: PolicyProfile) -> Thresholds:
        return cls(
            response_hours=int(profile["sup_response_hours"]),
            response_min=Fraction(str(profile["sup_response_min"])),
            delivery_hours=delivery_hours(institution, profile),
            timeliness_min=Fraction(str(profile["sup_timeliness_min"])),
            interview_quarters=int(profile["sup_interview_quarters"]),
            unresponded_hours=int(profile["sup_unresponded_hours"]),
            max_companies=int(profile["sup_max_delivery_companies"]),
        )


@dataclass(frozen=True)
class SupplierOverview:
    """Everything the suppliers page shows for one as-of date."""

    institution: Institution
    as_of: dt.date
    period: Period
    profile: PolicyProfile
    thresholds: Thresholds
    suppliers: list[SupplierFigures]
    over_limit: list[ProductSuppliers]

    def supplier(self, name: str) -> SupplierFigures | None:
        return next((s for s in self.suppliers if s.supplier == name), None)


def supplier_overview(
    conn: sqlite3.Connection, as_of: dt.date, profile: PolicyProfile | None = None
) -> SupplierOverview:
    """SUP-1/2/3/5 per supplier and the SUP-6 products, as `indicators` computes them."""
    institution = require_institution(conn)
    profile = profile or active_profile(conn)
    return SupplierOverview(
        institution=institution,
        as_of=as_of,
        period=natural_year_to_date(as_of),
        profile=profile,
        thresholds=Thresholds.of(institution, profile),
        suppliers=compute_suppliers(conn, institution, as_of, profile),
        over_limit=sorted(products_over_supplier_limit(conn, institution, as_of, profile),
                          key=lambda p: (-len(p.suppliers), p.code)),
    )


@dataclass(frozen=True)
class SupplierLine:
    """One order line of a supplier, as known at the end of the as-of day."""

    order_id: str
    line_no: str
    code: str
    generic_name: str
    specification: str
    qty: float
    ordered_at: str
    responded_at: str | None  # None: no response by the as-of time
    delivered_at: str | None
    response: str  # IN_TIME / LATE / MISSING / PENDING (SUP-1)
    delivery: str  # the same for SUP-2
    delayed_48h: bool  # on the SUP-3 list


def _status_sql(stamp: str, hours: int, pending_after: str) -> str:
    return (f"CASE WHEN {within_sql(stamp, hours)} THEN '{IN_TIME}' "
            f"WHEN {stamp} IS NOT NULL THEN '{LATE}' "
            f"WHEN ordered_at > {pending_after} THEN '{PENDING}' ELSE '{MISSING}' END")


def supplier_lines(
    conn: sqlite3.Connection,
    institution: Institution,
    as_of: dt.date,
    profile: PolicyProfile,
    supplier: str,
    period: Period | None = None,
) -> list[SupplierLine]:
    """SUP-1/SUP-2/SUP-3 status of each of `supplier`'s lines ordered in the period.

    Same counting as `compute_suppliers`: lines ordered from the period start
    up to the end of the as-of day; a stamp at or after that instant has not
    happened yet; "pending" = nothing yet and strictly less than the window
    elapsed. Newest first, as the page lists them.
    """
    period = period or natural_year_to_date(as_of)
    t = Thresholds.of(institution, profile)
    end = as_of_end(min(as_of, period.end))
    r = "(CASE WHEN l.responded_at < :end THEN l.responded_at END)"
    d = "(CASE WHEN l.delivered_at < :end THEN l.delivered_at END)"
    rows = conn.execute(
        f"""SELECT l.order_id, l.line_no, l.code, coalesce(p.generic_name || p.dosage_form, ''),
                   coalesce(p.specification, ''), l.qty, l.ordered_at, {r}, {d},
                   {_status_sql(r, t.response_hours, ':resp_pending_after')},
                   {_status_sql(d, t.delivery_hours, ':deliv_pending_after')},
                   l.ordered_at <= :late_before AND NOT {within_sql(r, t.unresponded_hours)}
            FROM purchase_lines l LEFT JOIN products p ON p.code = l.code
            WHERE l.institution_code = :inst AND l.supplier = :supplier
              AND l.ordered_at >= :start AND l.ordered_at < :end
            ORDER BY l.ordered_at DESC, l.order_id, length(l.line_no), l.line_no""",
        {
            "inst": institution.code,
            "supplier": supplier,
            "start": period.start_text,
            "end": end.strftime(STAMP),
            "resp_pending_after": (end - dt.timedelta(hours=t.response_hours)).strftime(STAMP),
            "deliv_pending_after": (end - dt.timedelta(hours=t.delivery_hours)).strftime(STAMP),
            "late_before": (end - dt.timedelta(hours=t.unresponded_hours)).strftime(STAMP),
        },
    ).fetchall()
    return [SupplierLine(row[0], row[1], row[2], row[3], row[4], float(row[5]), row[6], row[7],
                         row[8], row[9], row[10], bool(row[11])) for row in rows]


@dataclass(frozen=True)
class DelayedRow:
    """SUP-3: one line of the delayed-response list, with what the company needs to find it."""

    order_id: str
    line_no: str
    code: str
    generic_name: str
    dosage_form: str
    specification: str
    package: str
    manufacturer: str
    qty: float  # packages, as ordered
    ordered_at: str
    responded_at: str | None  # None: still unanswered at the as-of time
    hours_waited: float  # until the response, or until the as-of time
    supplier: str

    @property
    def still_open(self) -> bool:
        return self.responded_at is None


def delayed_rows(
    conn: sqlite3.Connection,
    institution: Institution,
    as_of: dt.date,
    profile: PolicyProfile,
    *,
    supplier: str | None = None,
    only_open: bool = False,
) -> list[DelayedRow]:
    """SUP-3: `delayed_responses` (the lines `unresponded_48h` counts) with product details.

    `only_open` keeps the lines still unanswered at the as-of time. The order
    is the domain function's: supplier, then ordering time.
    """
    lines = delayed_responses(conn, institution, as_of, profile, supplier=supplier,
                              only_open=only_open)
    if not lines:
        return []
    keys = json.dumps([[x.order_id, x.line_no] for x in lines])
    details = {
        (order_id, line_no): rest
        for order_id, line_no, *rest in conn.execute(
            """SELECT l.order_id, l.line_no, l.qty, coalesce(p.generic_name, ''),
                      coalesce(p.dosage_form, ''), coalesce(p.specification, ''),
                      coalesce(p.package, ''), coalesce(p.manufacturer, '')
               FROM json_each(?) k
               JOIN purchase_lines l ON l.order_id = k.value ->> 0 AND l.line_no = k.value ->> 1
               LEFT JOIN products p ON p.code = l.code""",
            (keys,),
        )
    }
    result = []
    for x in lines:
        qty, name, form, spec, package, maker = details.get(
            (x.order_id, x.line_no), (0.0, "", "", "", "", ""))
        result.append(DelayedRow(x.order_id, x.line_no, x.code, name, form, spec, package, maker,
                                 float(qty), x.ordered_at, x.responded_at,
                                 float(x.hours_unanswered), x.supplier))
    return result


def known_suppliers(conn: sqlite3.Connection, institution: Institution, period: Period) -> list[str]:
    """Delivery companies with at least one line ordered in the period (for input checks)."""
    return [r[0] for r in conn.execute(
        """SELECT DISTINCT supplier FROM purchase_lines
           WHERE institution_code = ? AND ordered_at >= ? AND ordered_at < ? AND supplier <> ''
           ORDER BY supplier""",
        (institution.code, period.start_text, period.end_exclusive_text),
    )]
