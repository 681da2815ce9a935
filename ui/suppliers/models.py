"""The read-only table model of the suppliers and payments pages.

Rows are plain domain objects computed on the database worker
(SupplierFigures, SupplierLine, SettlementRow …); a column says how to show
one row as text and, optionally, when to show it as a warning (a rate below
its line, an overdue month). The warning itself is decided by the domain
object; the column only asks it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush, QColor

from ui.column_model import AnyIndex, ColumnRowsModel, pct

__all__ = ["GOOD", "WARNING", "Column", "ColumnTableModel", "pct"]  # pct: where the pages look

R = TypeVar("R")

WARNING = QColor("#c62828")
GOOD = QColor("#2e7d32")


@dataclass(frozen=True)
class Column(Generic[R]):
    """One column: an English title (translated when shown), its text, and
    optionally whether a row's cell is a warning (red) or good news (green)."""

    title: str
    text: Callable[[R], str]
    align_right: bool = False
    warn: Callable[[R], bool] | None = None
    good: Callable[[R], bool] | None = None
    tooltip: Callable[[R], str] | None = None


class ColumnTableModel(ColumnRowsModel[R]):
    """Rows of one kind shown through a list of `Column`s."""

    _columns: list[Column[R]]

    def __init__(self, columns: Sequence[Column[R]], parent: QObject | None = None) -> None:
        super().__init__(columns, parent)

    def set_columns(self, columns: Sequence[Column[R]], rows: Sequence[R]) -> None:
        """New columns and rows at once (a column may depend on a threshold)."""
        self.beginResetModel()
        self._columns = list(columns)
        self._rows = list(rows)
        self.endResetModel()

    def cell(self, row: int, title: str) -> str:
        """The text shown in `row` under the (English) column `title` — for tests and export."""
        column = next(c for c in self._columns if c.title == title)
        return column.text(self._rows[row])

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if not (0 <= row < len(self._rows) and 0 <= col < len(self._columns)):
            return None
        item, column = self._rows[row], self._columns[col]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(item)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column.warn is not None and column.warn(item):
                return QBrush(WARNING)
            if column.good is not None and column.good(item):
                return QBrush(GOOD)
            return None
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(item) or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
