"""The columns of the essential-drug tables (titles marked N_, shown translated)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ui.essential.charts import percent
from ui.essential.models import RowColumn
from ui.i18n import N_, tr

if TYPE_CHECKING:
    from pharmacy_app.indicators.essential import (
        CatalogueProduct,
        EntryRow,
        MonthShare,
        SpecRow,
        StructureRow,
    )


def money(fen: int | float) -> str:
    return f"{fen / 100:,.2f}"


def _yes(flag: bool) -> str:
    return tr("Yes") if flag else ""


def _codes(codes: tuple[str, ...]) -> str:
    return "、".join(codes)


SPEC_COLUMNS: list[RowColumn[SpecRow]] = [
    RowColumn(N_("Generic name"), lambda s: s.generic_name, tooltip=True),
    RowColumn(N_("Dosage form"), lambda s: s.dosage_form),
    RowColumn(N_("Specification"), lambda s: s.specification),
    RowColumn(N_("Products"), lambda s: str(len(s.codes)), align_right=True),
    RowColumn(N_("Product codes"), lambda s: _codes(s.codes), tooltip=True),
]

ALL_SPEC_COLUMNS: list[RowColumn[SpecRow]] = [
    *SPEC_COLUMNS[:3],
    RowColumn(N_("Essential"), lambda s: _yes(s.essential)),
    *SPEC_COLUMNS[3:],
]

ENTRY_COLUMNS: list[RowColumn[EntryRow]] = [
    RowColumn(N_("No."), lambda e: e.seq or "", align_right=True),
    RowColumn(N_("Generic name"), lambda e: e.generic_name, tooltip=True),
    RowColumn(N_("Dosage form"), lambda e: e.dosage_form),
    RowColumn(N_("Specification"), lambda e: e.specification or tr("(any)")),
    RowColumn(N_("Category"), lambda e: e.category, tooltip=True),
]

ALL_ENTRY_COLUMNS: list[RowColumn[EntryRow]] = [
    *ENTRY_COLUMNS,
    RowColumn(N_("Equipped by"), lambda e: _codes(e.matched_codes), tooltip=True),
]

PRODUCT_COLUMNS: list[RowColumn[CatalogueProduct]] = [
    RowColumn(N_("Code"), lambda p: p.code),
    RowColumn(N_("Generic name"), lambda p: p.generic_name, tooltip=True),
    RowColumn(N_("Dosage form"), lambda p: p.dosage_form),
    RowColumn(N_("Specification"), lambda p: p.specification),
    RowColumn(N_("Manufacturer"), lambda p: p.manufacturer, tooltip=True),
    RowColumn(N_("Essential"), lambda p: _yes(p.is_essential)),
    RowColumn(N_("Status"), lambda p: tr("Active") if p.active else tr("Inactive")),
]

TREND_COLUMNS: list[RowColumn[MonthShare]] = [
    RowColumn(N_("Month"), lambda m: m.month),
    RowColumn(N_("Essential amount (yuan)"), lambda m: money(m.essential_fen), align_right=True),
    RowColumn(N_("Drug amount (yuan)"), lambda m: money(m.total_fen), align_right=True),
    RowColumn(
        N_("Amount share"),
        lambda m: percent(None if m.share is None else float(m.share)),
        align_right=True,
    ),
]


def _change(now: float, before: float) -> str:
    if not before:
        return "–"
    return f"{(now / before - 1) * 100:+.1f}%"


STRUCTURE_COLUMNS: list[RowColumn[StructureRow]] = [
    RowColumn(N_("Class"), lambda s: s.label),
    RowColumn(N_("Amount (yuan)"), lambda s: money(s.amount_fen), align_right=True),
    RowColumn(N_("Same span last year"), lambda s: money(s.amount_fen_prev), align_right=True),
    RowColumn(
        N_("Amount change"), lambda s: _change(s.amount_fen, s.amount_fen_prev), align_right=True
    ),
    RowColumn(N_("Quantity (units)"), lambda s: f"{s.qty_units:,.0f}", align_right=True),
    RowColumn(
        N_("Quantity change"), lambda s: _change(s.qty_units, s.qty_units_prev), align_right=True
    ),
    RowColumn(
        N_("Price change"),
        lambda s: "–" if s.price_change is None else f"{s.price_change * 100:+.1f}%",
        align_right=True,
    ),
]
