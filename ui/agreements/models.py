"""Read-only table models of the agreements page and its dialogs.

Rows are plain objects computed on the worker (`AgreementRow`, `LineRow`,
`EmergencyRecord` …); a model formats one cell at a time. One class serves
every table: a column is (English title, text, and optionally colour and
tooltip). The agreements table also hands the progress delegate the exact
figures it draws (PROGRESS_ROLE).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor

from ui.column_model import AnyIndex, ColumnRowsModel, pct
from ui.i18n import N_, tr

if TYPE_CHECKING:
    from pharmacy_app.agreement_records import EmergencyRecord, ExemptionRecord
    from pharmacy_app.indicators.agreement_detail import AgreementRow, LineRow

R = TypeVar("R")

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 2

COMPLETE = QColor("#2e7d32")
INCOMPLETE = QColor("#b26a00")
UNQUALIFIED = QColor("#c62828")
EXEMPT = QColor("#6b7280")
BAND_COLOURS = {"complete": COMPLETE, "incomplete": INCOMPLETE, "unqualified": UNQUALIFIED}
BAND_NAMES = {
    "complete": N_("Completed"),
    "incomplete": N_("Not completed"),
    "unqualified": N_("Unqualified"),
    "not_started": N_("Not started yet"),
}
ROLE_NAMES = {
    "selected": N_("Selected"),
    "backup": N_("Backup"),
    "non_selected": N_("Non-selected"),
    "substitute": N_("Substitutable"),
}
COUNTS_AS_NAMES = {
    "selected": N_("Selected (AV-2)"),
    "emergency_backup": N_("Counted as selected: emergency (AV-7)"),
    "backup": N_("Excluded: backup supplier (AV-8)"),
    "non_selected": N_("Non-selected (AV-5)"),
    "cheaper_equivalent": N_("Excluded: cheaper equivalent (AV-8)"),
    "emergency_non_selected": N_("Excluded: during emergency (AV-8)"),
    "substitute": N_("Substitutable (AV-6)"),
}
REASON_NAMES = {
    "key_monitoring": N_("Key-monitoring list"),
    "public_health_event": N_("Public health event"),
    "guideline_change": N_("Clinical guideline change"),
    "other": N_("Other"),
}


def qty_text(value: int | Fraction | None) -> str:
    """A quantity in smallest units: whole numbers with separators, else 2 decimals."""
    if value is None:
        return "–"
    if isinstance(value, int) or value.denominator == 1:
        return f"{int(value):,}"
    return f"{float(value):,.2f}"


def yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


@dataclass(frozen=True)
class Column(Generic[R]):
    """One column: English title (translated when shown), text, colour, tooltip."""

    title: str
    text: Callable[[R], str]
    align_right: bool = False
    colour: Callable[[R], QColor | None] | None = None
    tooltip: Callable[[R], str | None] | None = None
    bold: Callable[[R], bool] | None = None


class ColumnTableModel(ColumnRowsModel[R]):
    """Rows of one kind of object shown through a list of `Column`s."""

    _columns: list[Column[R]]

    def __init__(self, columns: Sequence[Column[R]], parent: QObject | None = None) -> None:
        super().__init__(columns, parent)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if not (0 <= row < len(self._rows) and 0 <= col < len(self._columns)):
            return None
        item, column = self._rows[row], self._columns[col]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(item)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(item)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column.colour is not None:
            return column.colour(item)
        if role == Qt.ItemDataRole.FontRole and column.bold is not None and column.bold(item):
            from PySide6.QtGui import QFont

            font = QFont()
            font.setBold(True)
            return font
        if role == ROW_ROLE:
            return item
        return self.extra_data(item, col, role)

    def extra_data(self, item: R, column: int, role: int) -> Any:
        """Roles a subclass adds (the progress delegate's figures)."""
        return None


# ---------------------------------------------------------------------------
# Agreements
# ---------------------------------------------------------------------------
def band_text(row: AgreementRow) -> str:
    f = row.figures
    if f.exempt:
        return tr("Exempt")
    if not f.started:
        return tr(BAND_NAMES["not_started"])
    name = tr(BAND_NAMES[f.band])
    if f.assessment == "unqualified" and f.band != "unqualified":
        return tr("{0} → unqualified (AV-5)").format(name)
    return name


def band_colour(row: AgreementRow) -> QColor:
    f = row.figures
    if f.exempt or not f.started:
        return EXEMPT
    if f.assessment == "unqualified":
        return UNQUALIFIED
    return BAND_COLOURS[f.band]


def selected_text(row: AgreementRow) -> str:
    parts = []
    for code, p in zip(row.selected_codes, row.selected, strict=True):
        parts.append(f"{p.label} · {p.manufacturer}" if p is not None else code)
    return "；".join(parts)


def progress_text(row: AgreementRow) -> str:
    f = row.figures
    return tr("{0} (schedule {1})").format(pct(f.progress), pct(f.time_progress))


def share_text(row: AgreementRow) -> str:
    f = row.figures
    if f.non_selected_share is None:
        return "–"
    text = pct(f.non_selected_share)
    return tr("{0} ⚠ over {1}").format(text, pct(f.non_selected_max, 0)) if f.non_selected_alert else text


def exempt_text(row: AgreementRow) -> str:
    e = row.figures.exemption
    if e is None:
        return ""
    return tr("{0} since {1}").format(tr(REASON_NAMES.get(e.reason, N_("Other"))), e.declared_on.isoformat())


def agreement_tooltip(row: AgreementRow) -> str:
    return "\n".join(a.message for a in row.figures.alerts) or tr("No alerts")


AGREEMENT_COLUMNS: list[Column[AgreementRow]] = [
    Column(N_("Batch"), lambda r: r.figures.batch),
    Column(N_("Generic name"), lambda r: r.figures.generic, bold=lambda r: bool(r.figures.alerts)),
    Column(N_("Selected product"), selected_text,
           tooltip=lambda r: "\n".join([selected_text(r), *r.selected_codes])),
    Column(N_("Agreed qty"), lambda r: qty_text(r.figures.agreed_qty), align_right=True),
    Column(N_("Selected qty"), lambda r: qty_text(r.figures.selected_qty), align_right=True,
           tooltip=lambda r: tr("Of which backup purchases in an emergency (AV-7): {0}").format(
               qty_text(r.figures.emergency_backup_qty)) if r.figures.emergency_backup_qty else None),
    Column(N_("Progress"), progress_text),
    Column(N_("Band"), band_text, colour=band_colour),
    Column(N_("Non-selected share"), share_text, align_right=True,
           colour=lambda r: UNQUALIFIED if r.figures.non_selected_alert else None),
    Column(N_("Exempt"), exempt_text, colour=lambda r: EXEMPT,
           tooltip=lambda r: r.figures.exemption.note if r.figures.exemption else None),
    Column(N_("Alerts"), lambda r: " ".join(r.alert_rules), tooltip=agreement_tooltip,
           colour=lambda r: UNQUALIFIED if r.alert_rules else None),
]
PROGRESS_COLUMN = 5


@dataclass(frozen=True)
class ProgressFigures:
    """What the progress delegate draws: exact figures turned into floats once."""

    progress: float | None
    time_progress: float
    colour: QColor
    text: str


class AgreementsModel(ColumnTableModel["AgreementRow"]):
    """One row per agreement (AV-1…AV-9, AV-11, AV-12 figures of `compute_agreements`)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(AGREEMENT_COLUMNS, parent)

    def extra_data(self, item: AgreementRow, column: int, role: int) -> Any:
        if role == PROGRESS_ROLE and column == PROGRESS_COLUMN:
            f = item.figures
            return ProgressFigures(
                None if f.progress is None else float(f.progress),
                float(f.time_progress),
                band_colour(item),
                pct(f.progress),
            )
        return None

    def row_of(self, agreement_id: int) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.id == agreement_id), None)


# ---------------------------------------------------------------------------
# Purchase lines, emergencies, exemptions
# ---------------------------------------------------------------------------
def _counts_colour(line: LineRow) -> QColor | None:
    if line.excluded_reason is not None:
        return EXEMPT
    if line.counts_as == "non_selected":
        return INCOMPLETE
    if line.counts_as in ("selected", "emergency_backup"):
        return COMPLETE
    return None


LINE_COLUMNS: list[Column[LineRow]] = [
    Column(N_("Ordered at"), lambda r: r.ordered_at[:16]),
    Column(N_("Order"), lambda r: r.order_id),
    Column(N_("Line"), lambda r: r.line_no, align_right=True),
    Column(N_("Product code"), lambda r: r.code),
    Column(N_("Product"), lambda r: r.product, tooltip=lambda r: r.manufacturer or None),
    Column(N_("Role"), lambda r: tr(ROLE_NAMES.get(r.role, r.role))),
    Column(N_("Counts as"), lambda r: tr(COUNTS_AS_NAMES[r.counts_as]), colour=_counts_colour),
    Column(N_("Packages"), lambda r: qty_text(r.packages), align_right=True),
    Column(N_("Units"), lambda r: qty_text(r.units), align_right=True,
           tooltip=lambda r: tr("{0} packages × {1}").format(qty_text(r.packages), r.conversion)),
    Column(N_("Amount (yuan)"), lambda r: yuan(r.amount_fen), align_right=True),
    Column(N_("Supplier"), lambda r: r.supplier),
]


def batch_text(batch: str) -> str:
    return batch or tr("All batches")


EMERGENCY_COLUMNS: list[Column[EmergencyRecord]] = [
    Column(N_("Generic name"), lambda r: r.generic),
    Column(N_("Batch"), lambda r: batch_text(r.batch)),
    Column(N_("First day"), lambda r: r.start.isoformat()),
    Column(N_("Last day"), lambda r: r.end.isoformat()),
    Column(N_("Days"), lambda r: str(r.days), align_right=True),
    Column(N_("Reason"), lambda r: r.reason, tooltip=lambda r: r.reason or None),
    Column(N_("Confirmed by"), lambda r: r.confirmed_by),
]

EXEMPTION_COLUMNS: list[Column[ExemptionRecord]] = [
    Column(N_("Generic name"), lambda r: r.generic),
    Column(N_("Batch"), lambda r: batch_text(r.batch)),
    Column(N_("Reason"), lambda r: tr(REASON_NAMES.get(r.reason, N_("Other")))),
    Column(N_("Declared on"), lambda r: r.declared_on.isoformat()),
    Column(N_("Note"), lambda r: r.note, tooltip=lambda r: r.note or None),
]
