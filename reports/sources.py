"""What the reports read from the domain, gathered in one place (no Qt).

Every figure a report prints comes from the functions the window and the
command line call: `compute_indicators` (the `indicators --json` object),
`compute_alerts`, `compute_assessment` (SR-2), `compute_payment_standards`
(PS-1 to PS-4), the supply tickets (SUP-4) and the shortage reports (SH-2).
Nothing is recomputed here, so the PDF prints the numbers the CLI prints.

Some of those modules belong to features still being built in parallel;
a module that is not installed yet makes its section say so instead of
failing the whole report (`Unavailable`).
"""

from __future__ import annotations

import datetime as dt
import importlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Unavailable:
    """A section's source could not be read; `reason` is printed in its place."""

    reason: str


def optional(module: str, attr: str) -> Callable[..., Any] | None:
    """`module.attr` if that feature is installed in this build, else None."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    return getattr(mod, attr, None)


def table_exists(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return row is not None


def indicators(conn: sqlite3.Connection, as_of: dt.date) -> dict[str, Any]:
    from pharmacy_app.indicators import compute_indicators

    return compute_indicators(conn, as_of)


def alerts(conn: sqlite3.Connection, as_of: dt.date) -> list[dict[str, Any]]:
    from pharmacy_app.indicators import compute_alerts

    return compute_alerts(conn, as_of)


YEAR_BASES = ("procurement", "natural")


def assessment(conn: sqlite3.Connection, as_of: dt.date,
               year_basis: str = "procurement") -> dict[str, Any] | Unavailable:
    """SR-2 scores for the procurement or natural year (SR-3), or why there are none."""
    fn = optional("pharmacy_app.scoring", "compute_assessment")
    if fn is None:
        return Unavailable("本版本尚未包含考核评分模块（SR-2），本节未列出得分。")
    return fn(conn, as_of, year_basis=year_basis)


def payment_standards(conn: sqlite3.Connection, as_of: dt.date) -> list[dict[str, Any]] | Unavailable:
    fn = optional("pharmacy_app.payment_standards", "compute_payment_standards")
    if fn is None:
        return Unavailable("本版本尚未包含医保支付标准模块（PS-1 至 PS-4）。")
    return list(fn(conn, as_of))


def supply_tickets(conn: sqlite3.Connection, as_of: dt.date) -> list[dict[str, Any]] | None:
    """SUP-4 tickets raised up to `as_of` (their to_json), None when the build has none."""
    fn = optional("pharmacy_app.tickets", "list_tickets")
    if fn is None or not table_exists(conn, "supply_tickets"):
        return None
    try:
        return [view.to_json() for view in fn(conn, as_of)]
    except Exception as exc:  # noqa: BLE001 - e.g. CalendarMissing: say why, keep the report
        return [{"error": str(exc)}]


@dataclass(frozen=True)
class ShortageLine:
    """One shortage report as the assessment report lists it (SH-1 fields)."""

    product: str
    start: str
    kind: str
    measures: str
    status: str


def shortage_reports(conn: sqlite3.Connection, as_of: dt.date) -> list[ShortageLine] | None:
    """SH-2 reports whose shortage began by `as_of`, None when the build has none."""
    fn = optional("pharmacy_app.shortage.store", "list_reports")
    labels = optional("pharmacy_app.shortage.model", "STATUS_LABELS")
    if fn is None or not table_exists(conn, "shortage_reports"):
        return None
    kinds = {"complete": "完全短缺", "partial": "部分短缺"}
    status_labels: dict[str, str] = labels if isinstance(labels, dict) else {}
    lines = []
    for report in fn(conn):
        start = report.start_date
        if start is not None and start > as_of:
            continue
        lines.append(ShortageLine(
            product=report.product_label or report.product_code,
            start="—" if start is None else start.isoformat(),
            kind=kinds.get(report.kind, report.kind),
            measures=report.measures_taken or "—",
            status=status_labels.get(report.status, report.status),
        ))
    return lines


def month_ends(start: dt.date, as_of: dt.date, limit: int = 12) -> list[dt.date]:
    """The last day of every month from `start`'s month to `as_of` (as_of itself last).

    At most `limit` points, the latest ones: a chart of one agreement year.
    """
    points: list[dt.date] = []
    year, month = start.year, start.month
    while (year, month) < (as_of.year, as_of.month):
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        points.append(nxt - dt.timedelta(days=1))
        year, month = nxt.year, nxt.month
    points.append(as_of)
    return points[-limit:]


def agreement_history(
    conn: sqlite3.Connection, as_of: dt.date, agreements: list[dict[str, Any]],
    check: Callable[[], None] | None = None,
) -> dict[int, list[tuple[str, float | None, float | None]]]:
    """Each agreement's (month, progress, time progress) at every month end up to as_of.

    Computed by `compute_agreements` as of each month end — the same figures
    the CLI prints for that date — so the chart invents nothing.
    """
    from pharmacy_app.indicators import require_institution
    from pharmacy_app.indicators.agreements import compute_agreements
    from pharmacy_app.policy import active_profile

    if not agreements:
        return {}
    inst = require_institution(conn)
    profile = active_profile(conn)
    starts = {a["id"]: dt.date.fromisoformat(a["start"]) for a in agreements}
    first = max(min(starts.values()), dt.date(as_of.year - 1, as_of.month, 1))
    history: dict[int, list[tuple[str, float | None, float | None]]] = {i: [] for i in starts}
    for day in month_ends(first, as_of):
        if check is not None:
            check()
        figures = agreements if day == as_of else [
            f.to_json() for f in compute_agreements(conn, inst.code, day, profile)
        ]
        for fig in figures:
            if fig["id"] in history and day >= starts[fig["id"]]:
                history[fig["id"]].append((day.strftime("%Y-%m"), fig["progress"],
                                           fig["time_progress"]))
    return history
