"""Labels and table columns of the shortage page (titles marked N_, shown translated).

The domain's codes (statuses, levels, kinds, causes) get English source
labels here so the window follows the chosen language; the PDF and the
export use the domain's Chinese labels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from ui.essential.models import RowColumn, RowTableModel
from ui.i18n import N_, tr

if TYPE_CHECKING:
    from pharmacy_app.shortage.model import ShortageReport
    from pharmacy_app.shortage.signals import Proposal, SubstituteProposal

STATUS_TEXT = {
    "draft": N_("Draft"),
    "reported": N_("Reported"),
    "handling": N_("Being handled"),
    "resolved": N_("Resolved"),
    "unresolvable": N_("Cannot be resolved (escalated)"),
}
# The button that moves a report into each status (SH-2).
ADVANCE_TEXT = {
    "reported": N_("File report (Ctrl+Enter)"),
    "handling": N_("Start handling"),
    "resolved": N_("Mark resolved"),
    "unresolvable": N_("Cannot resolve: escalate"),
}
LEVEL_TEXT = {
    "red": N_("Red"),
    "orange": N_("Orange"),
    "yellow": N_("Yellow"),
    "none": N_("No warning"),
}
LEVEL_COLOURS = {"red": "#f8d0cc", "orange": "#fde0c0", "yellow": "#fbf0b8"}
KIND_TEXT = {
    "partial": N_("Partial shortage (short supply)"),
    "complete": N_("Complete shortage (cannot be bought)"),
}
CAUSE_TEXT = {
    "production_stopped": N_("Manufacturer stopped or cut production"),
    "raw_material": N_("Raw material (API) short"),
    "distribution": N_("Distributor not delivering or late"),
    "low_price": N_("Low price, makers unwilling to supply"),
    "demand_surge": N_("Sudden rise in clinical demand"),
    "not_listed": N_("Not listed on the platform or no purchase channel"),
    "other": N_("Other cause"),
}
SUBSTITUTABILITY_TEXT = {
    "none": N_("No substitute"),
    "partial": N_("Same-class substitute only"),
    "full": N_("Same generic name available"),
}
SUBSTITUTE_KIND_TEXT = {
    "same_generic": N_("Same generic name"),
    "same_class": N_("Same class"),
    "other": N_("Other"),
}
REASON_TEXT = {
    "undelivered": N_("Orders undelivered past the deadline"),
    "low_cover": N_("Days of cover under the threshold"),
}


def cover_text(value: Any) -> str:
    return "—" if value is None else f"{float(value):.1f}"


def number_text(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def _levels(levels: dict[str, str], r: ShortageReport) -> str:
    return tr(LEVEL_TEXT[levels.get(r.uuid, "none")])


class LevelModel(RowTableModel[Any]):
    """A row model that tints the row by its SH-3 level (`level_of(row)`)."""

    def __init__(self, columns: list[RowColumn[Any]], level_of: Any, **kwargs: Any) -> None:
        super().__init__(columns, **kwargs)
        self._level_of = level_of

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.BackgroundRole and index.isValid():
            if 0 <= index.row() < self.rowCount():
                colour = LEVEL_COLOURS.get(self._level_of(self.row_at(index.row())))
                return QColor(colour) if colour else None
            return None
        return super().data(index, role)


def report_columns(levels: dict[str, str]) -> list[RowColumn[ShortageReport]]:
    return [
        RowColumn(N_("Warning"), lambda r: _levels(levels, r)),
        RowColumn(N_("Status"), lambda r: tr(STATUS_TEXT[r.status])),
        RowColumn(N_("Generic name"), lambda r: r.generic_name, tooltip=True),
        RowColumn(N_("Dosage form"), lambda r: r.dosage_form),
        RowColumn(N_("Specification"), lambda r: r.specification),
        RowColumn(N_("Manufacturer"), lambda r: r.manufacturer, tooltip=True),
        RowColumn(N_("Shortage since"), lambda r: r.start_date.isoformat() if r.start_date else ""),
        RowColumn(N_("Days of cover"), lambda r: cover_text(r.days_of_cover), align_right=True),
        RowColumn(N_("Substitutes"), lambda r: tr(SUBSTITUTABILITY_TEXT[r.substitutability])),
        RowColumn(N_("Last change"), lambda r: r.updated_at),
    ]


PROPOSAL_COLUMNS: list[RowColumn[Proposal]] = [
    RowColumn(N_("Generic name"), lambda p: p.product.generic_name, tooltip=True),
    RowColumn(N_("Dosage form"), lambda p: p.product.dosage_form),
    RowColumn(N_("Specification"), lambda p: p.product.specification),
    RowColumn(N_("Manufacturer"), lambda p: p.product.manufacturer, tooltip=True),
    RowColumn(N_("Signal"), lambda p: tr(REASON_TEXT[p.reason])),
    RowColumn(N_("Overdue lines"), lambda p: str(p.overdue_lines) if p.overdue_lines else "",
              align_right=True),
    RowColumn(N_("Oldest overdue order"), lambda p: p.oldest_order or ""),
    RowColumn(N_("Days of cover"), lambda p: cover_text(p.cover), align_right=True),
]

SUBSTITUTE_COLUMNS: list[RowColumn[SubstituteProposal]] = [
    RowColumn(N_("Generic name"), lambda s: s.product.generic_name, tooltip=True),
    RowColumn(N_("Dosage form"), lambda s: s.product.dosage_form),
    RowColumn(N_("Specification"), lambda s: s.product.specification),
    RowColumn(N_("Manufacturer"), lambda s: s.product.manufacturer, tooltip=True),
    RowColumn(N_("Match"), lambda s: tr(SUBSTITUTE_KIND_TEXT[s.kind])),
    RowColumn(N_("Last delivered"), lambda s: (s.last_delivered or "")[:10]),
    RowColumn(N_("In shortage"), lambda s: tr("Yes") if s.in_shortage else ""),
]

STEP_COLUMNS: list[RowColumn[Any]] = [
    RowColumn(N_("When"), lambda s: s.at),
    RowColumn(N_("From status"), lambda s: tr(STATUS_TEXT[s.from_status]) if s.from_status else tr("New")),
    RowColumn(N_("To status"), lambda s: tr(STATUS_TEXT[s.to_status])),
    RowColumn(N_("By"), lambda s: s.by),
    RowColumn(N_("Note"), lambda s: s.note, tooltip=True),
]
