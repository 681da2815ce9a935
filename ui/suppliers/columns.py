"""The columns of the suppliers page's tables (titles marked N_, shown translated)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ui.i18n import N_, tr
from ui.suppliers.models import Column, pct

if TYPE_CHECKING:
    from pharmacy_app.indicators.supplier_detail import DelayedRow, SupplierLine
    from pharmacy_app.indicators.suppliers import (
        ProductSuppliers,
        QuarterFigures,
        SupplierFigures,
    )

# SUP-5 tiers (indicators.suppliers.TIER_LABELS), in English for tr().
TIER_NAMES = {
    "incentive": N_("Incentive"),
    "standard": N_("Meets the lines"),
    "warning_notice": N_("Warning: reported-volume risk notice"),
    "warning_interview": N_("Warning: interview, agreed volume may be cut"),
    "no_data": N_("No judged orders"),
}

# SUP-1 / SUP-2 line statuses (indicators.supplier_detail).
RESPONSE_STATUS = {
    "in_time": N_("In time"),
    "late": N_("Late"),
    "missing": N_("No response"),
    "pending": N_("Pending"),
}
DELIVERY_STATUS = {
    "in_time": N_("In time"),
    "late": N_("Late"),
    "missing": N_("Not delivered"),
    "pending": N_("Pending"),
}


def _yes(flag: bool) -> str:
    return tr("Yes") if flag else ""


def _qty(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def low_quarters(s: SupplierFigures) -> list[str]:
    """Complete quarters of the period with timeliness below the SUP-2 line."""
    return [q.quarter for q in s.quarters
            if q.in_period and q.complete and q.timeliness is not None
            and q.timeliness < s.timeliness_min]


def _run(quarters: list[str]) -> str:
    """A run of consecutive quarters as 'first – last' (the tooltip lists them all)."""
    if not quarters:
        return ""
    return quarters[0] if len(quarters) == 1 else f"{quarters[0]} – {quarters[-1]}"


def _below(value: object, line: object) -> bool:
    return value is not None and value < line  # type: ignore[operator]


SUPPLIER_COLUMNS: list[Column[SupplierFigures]] = [
    Column(N_("Delivery company"), lambda s: s.supplier),
    Column(N_("Order lines"), lambda s: f"{s.orders:,}", align_right=True),
    Column(N_("Response rate (SUP-1)"), lambda s: pct(s.response_rate), align_right=True,
           warn=lambda s: _below(s.response_rate, s.response_min)),
    Column(N_("Timeliness (SUP-2)"), lambda s: pct(s.timeliness), align_right=True,
           warn=lambda s: _below(s.timeliness, s.timeliness_min)),
    Column(N_("Quarters below the line"), lambda s: "、".join(low_quarters(s)),
           warn=lambda s: bool(low_quarters(s))),
    Column(N_("Interview (约谈)"), lambda s: _run(s.interview_quarters),
           warn=lambda s: s.interview,
           tooltip=lambda s: "、".join(s.interview_quarters)),
    Column(N_("Score tier (SUP-5)"), lambda s: tr(TIER_NAMES[s.tier]),
           warn=lambda s: s.tier.startswith("warning"), good=lambda s: s.tier == "incentive"),
    Column(N_("Unresponded ≥ 48 h (SUP-3)"), lambda s: f"{s.unresponded_48h:,}",
           align_right=True, warn=lambda s: s.unresponded_48h > 0),
]


def quarter_columns(line: object) -> list[Column[QuarterFigures]]:
    """Quarter rows of one supplier; `line` is its SUP-2 timeliness line."""
    return [
        Column(N_("Quarter"), lambda q: q.quarter),
        Column(N_("Judged"), lambda q: (
            tr("Before the period (read for the interview rule)") if not q.in_period
            else tr("Complete") if q.complete else tr("Running (not judged)"))),
        Column(N_("Order lines"), lambda q: f"{q.counts.lines:,}", align_right=True),
        Column(N_("Response rate (SUP-1)"), lambda q: pct(q.counts.response_rate),
               align_right=True),
        Column(N_("Timeliness (SUP-2)"), lambda q: pct(q.timeliness), align_right=True,
               warn=lambda q: _below(q.timeliness, line)),
        Column(N_("Unresponded ≥ 48 h (SUP-3)"), lambda q: f"{q.counts.unresponded_48h:,}",
               align_right=True, warn=lambda q: q.counts.unresponded_48h > 0),
    ]


LINE_COLUMNS: list[Column[SupplierLine]] = [
    Column(N_("Order"), lambda x: x.order_id),
    Column(N_("Line"), lambda x: x.line_no, align_right=True),
    Column(N_("Code"), lambda x: x.code),
    Column(N_("Generic name"), lambda x: x.generic_name),
    Column(N_("Specification"), lambda x: x.specification),
    Column(N_("Quantity"), lambda x: _qty(x.qty), align_right=True),
    Column(N_("Ordered"), lambda x: x.ordered_at),
    Column(N_("Responded"), lambda x: x.responded_at or ""),
    Column(N_("Delivered"), lambda x: x.delivered_at or ""),
    Column(N_("Response (SUP-1)"), lambda x: tr(RESPONSE_STATUS[x.response]),
           warn=lambda x: x.response in ("late", "missing")),
    Column(N_("Delivery (SUP-2)"), lambda x: tr(DELIVERY_STATUS[x.delivery]),
           warn=lambda x: x.delivery in ("late", "missing")),
    Column(N_("48-hour list (SUP-3)"), lambda x: _yes(x.delayed_48h),
           warn=lambda x: x.delayed_48h),
]

DELAYED_COLUMNS: list[Column[DelayedRow]] = [
    Column(N_("Order"), lambda x: x.order_id),
    Column(N_("Line"), lambda x: x.line_no, align_right=True),
    Column(N_("Code"), lambda x: x.code),
    Column(N_("Generic name"), lambda x: x.generic_name + x.dosage_form),
    Column(N_("Specification"), lambda x: x.specification),
    Column(N_("Manufacturer"), lambda x: x.manufacturer),
    Column(N_("Quantity"), lambda x: _qty(x.qty), align_right=True),
    Column(N_("Ordered"), lambda x: x.ordered_at),
    Column(N_("Responded"), lambda x: x.responded_at or ""),
    Column(N_("Hours waited"), lambda x: f"{x.hours_waited:,.1f}", align_right=True),
    Column(N_("Status"), lambda x: tr("Still unanswered") if x.still_open
           else tr("Answered late"), warn=lambda x: x.still_open),
]

OVER_LIMIT_COLUMNS: list[Column[ProductSuppliers]] = [
    Column(N_("Code"), lambda p: p.code),
    Column(N_("Generic name"), lambda p: p.generic_name or ""),
    Column(N_("VBP"), lambda p: _yes(p.vbp)),
    Column(N_("Companies"), lambda p: str(len(p.suppliers)), align_right=True,
           warn=lambda p: True),
    Column(N_("Delivery companies"), lambda p: "、".join(p.suppliers),
           tooltip=lambda p: "\n".join(p.suppliers)),
]
