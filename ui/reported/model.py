"""The editable table of the 报量 page: one row per 通用名 (AV-10).

The rows come from `pharmacy_app.reported_volumes.compute_report`, run on
the worker. The user edits 报量 and 说明 in place; edits are a draft held
here until "Save", and every edited row is judged again with the domain's
own `needs_explanation` (the same function the export uses), so the table
shows which rows will block the export before anything is saved.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from ui.i18n import N_, tr

if TYPE_CHECKING:
    from pharmacy_app.reported_volumes import Entry, ReportRow, VolumeReport

AnyIndex = QModelIndex | QPersistentModelIndex

MISSING_COLOUR = QColor("#fde7e7")
UNREPORTED_COLOUR = QColor("#fff4d6")
CHANGED_COLOUR = QColor("#e3effb")
BAD_TEXT = QColor("#b3261e")

ORIGIN_NAMES = {
    "agreement": N_("Agreement"),
    "catalogue": N_("VBP product, no agreement"),
    "user": N_("Added"),
}


def percent_change(change: Fraction | None) -> str:
    return "–" if change is None else f"{float(change) * 100:+.1f}%"


class ReportModel(QAbstractTableModel):
    """通用名 rows with an editable 报量 (column QUANTITY) and 说明 (column EXPLANATION)."""

    edited = Signal()
    rejected = Signal(str)  # a cell value the model refused, with the reason

    COLUMNS = (
        N_("Batch"),
        N_("Generic name"),
        N_("Source"),
        N_("Last year's actual purchases"),
        N_("Proposed"),
        N_("Reported quantity"),
        N_("Change"),
        N_("Explanation"),
        N_("Check"),
    )
    QUANTITY = 5
    EXPLANATION = 7
    CHECK = 8

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ReportRow] = []
        self._drafts: dict[str, tuple[int | None, str]] = {}
        self._low = Fraction(-1, 5)
        self._high = Fraction(3, 2)
        self.report_year = 0

    # -- data ----------------------------------------------------------------------

    def set_report(self, report: VolumeReport) -> None:
        """New rows from the worker; drafts are dropped (they were saved or reverted)."""
        self.beginResetModel()
        self._rows = list(report.rows)
        self._drafts = {}
        self._low, self._high = report.low, report.high
        self.report_year = report.report_year
        self.endResetModel()

    def row_at(self, row: int) -> ReportRow:
        return self._rows[row]

    def row_of(self, generic: str) -> int:
        return next(i for i, r in enumerate(self._rows) if r.generic == generic)

    def values(self, row: int) -> tuple[int | None, str]:
        r = self._rows[row]
        return self._drafts.get(r.generic, (r.quantity, r.explanation))

    def has_changes(self) -> bool:
        return bool(self._drafts)

    def change(self, row: int) -> Fraction | None:
        from pharmacy_app.reported_volumes import change_of

        quantity, _ = self.values(row)
        return change_of(quantity, self._rows[row].last_year_qty)

    def needs_explanation(self, row: int) -> bool:
        from pharmacy_app.reported_volumes import needs_explanation

        quantity, _ = self.values(row)
        return needs_explanation(quantity, self._rows[row].last_year_qty, self._low, self._high)

    def missing_explanation(self, row: int) -> bool:
        return self.needs_explanation(row) and not self.values(row)[1].strip()

    def missing_explanations(self) -> list[str]:
        return [r.generic for i, r in enumerate(self._rows) if self.missing_explanation(i)]

    def unreported(self) -> list[str]:
        return [r.generic for i, r in enumerate(self._rows) if self.values(i)[0] is None]

    def entries(self) -> list[Entry]:
        """The edited rows, for `save_entries`."""
        from pharmacy_app.reported_volumes import Entry

        return [
            Entry(r.generic, *self._drafts[r.generic], batch=r.batch)
            for r in self._rows
            if r.generic in self._drafts
        ]

    def set_values(self, row: int, quantity: int | None, explanation: str) -> None:
        r = self._rows[row]
        if (quantity, explanation) == (r.quantity, r.explanation):
            self._drafts.pop(r.generic, None)
        else:
            self._drafts[r.generic] = (quantity, explanation)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))
        self.edited.emit()

    def use_proposals(self) -> int:
        """Put the proposal into every row not reported yet; how many rows changed."""
        count = 0
        for i, r in enumerate(self._rows):
            quantity, explanation = self.values(i)
            if quantity is None:
                self.set_values(i, r.proposed_qty, explanation)
                count += 1
        return count

    def status_text(self, row: int) -> str:
        quantity, explanation = self.values(row)
        if quantity is None:
            return tr("Not reported: no surplus retention")
        if self.needs_explanation(row):
            if explanation.strip():
                return tr("Explained ({0})").format(percent_change(self.change(row)))
            return tr("Explanation required: {0} is outside {1} to {2}").format(
                percent_change(self.change(row)),
                percent_change(self._low),
                percent_change(self._high),
            )
        return tr("Within limits")

    # -- QAbstractTableModel -------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if not (0 <= row < len(self._rows) and 0 <= col < len(self.COLUMNS)):
            return None
        r = self._rows[row]
        quantity, explanation = self.values(row)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if col == 0:
                return r.batch
            if col == 1:
                return r.generic
            if col == 2:
                return tr(ORIGIN_NAMES.get(r.origin, r.origin))
            if col == 3:
                return f"{r.last_year_qty:,}"
            if col == 4:
                return f"{r.proposed_qty:,}"
            if col == self.QUANTITY:
                if quantity is None:
                    return "" if role == Qt.ItemDataRole.EditRole else "–"
                return str(quantity) if role == Qt.ItemDataRole.EditRole else f"{quantity:,}"
            if col == 6:
                return percent_change(self.change(row))
            if col == self.EXPLANATION:
                return explanation
            return self.status_text(row)
        if role == Qt.ItemDataRole.BackgroundRole:
            if col in (self.QUANTITY, self.EXPLANATION, self.CHECK):
                if self.missing_explanation(row) and col != self.QUANTITY:
                    return QBrush(MISSING_COLOUR)
                if quantity is None and col != self.EXPLANATION:
                    return QBrush(UNREPORTED_COLOUR)
                if r.generic in self._drafts and col != self.CHECK:
                    return QBrush(CHANGED_COLOUR)
            return None
        if role == Qt.ItemDataRole.ForegroundRole and col == self.CHECK:
            if self.missing_explanation(row):
                return QBrush(BAD_TEXT)
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == self.CHECK:
                return self.status_text(row)
            if col == self.EXPLANATION:
                return explanation or None
            if col == self.QUANTITY:
                return tr("Whole smallest units; leave empty for not reported")
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (3, 4, self.QUANTITY, 6):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        row, col = index.row(), index.column()
        if not 0 <= row < len(self._rows) or col not in (self.QUANTITY, self.EXPLANATION):
            return False
        from pharmacy_app.reported_volumes import ReportError, parse_quantity

        quantity, explanation = self.values(row)
        if col == self.QUANTITY:
            try:
                quantity = parse_quantity(value)
            except ReportError as exc:
                self.rejected.emit(
                    tr("{0}, reported quantity: {1}").format(self._rows[row].generic, str(exc))
                )
                return False
        else:
            explanation = str(value or "").strip()
        self.set_values(row, quantity, explanation)
        return True

    def headerData(  # noqa: N802
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return tr(self.COLUMNS[section])
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() in (self.QUANTITY, self.EXPLANATION):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags
