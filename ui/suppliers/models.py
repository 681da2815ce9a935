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
from fractions import Fraction
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

AnyIndex = QModelIndex | QPersistentModelIndex
R = TypeVar("R")

WARNING = QColor("#c62828")
GOOD = QColor("#2e7d32")


def pct(value: Fraction | float | None, digits: int = 1) -> str:
    """A share as a percentage; '–' when nothing was judged (null)."""
    return "–" if value is None else f"{float(value) * 100:.{digits}f}%"


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


class ColumnTableModel(QAbstractTableModel, Generic[R]):
    """Rows of one kind shown through a list of `Column`s."""

    def __init__(self, columns: Sequence[Column[R]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._rows: list[R] = []

    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def set_columns(self, columns: Sequence[Column[R]], rows: Sequence[R]) -> None:
        """New columns and rows at once (a column may depend on a threshold)."""
        self.beginResetModel()
        self._columns = list(columns)
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[R]:
        return list(self._rows)

    def row_at(self, row: int) -> R:
        return self._rows[row]

    def column_titles(self) -> list[str]:
        return [c.title for c in self._columns]

    def cell(self, row: int, title: str) -> str:
        """The text shown in `row` under the (English) column `title` — for tests and export."""
        column = next(c for c in self._columns if c.title == title)
        return column.text(self._rows[row])

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._columns)

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

    def headerData(  # noqa: N802
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return QCoreApplication.translate("SupplierPaymentModels", self._columns[section].title)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
