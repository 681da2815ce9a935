"""The part of the read-only column table models that every page's model shares.

Why: the suppliers/payments model (`ui.suppliers.models.ColumnTableModel`) and
the agreements model (`ui.agreements.models.ColumnTableModel`) were written
side by side with the same row storage, counts, header and flags; only how a
cell is shown (warning colours, bold, the progress delegate's figures) differs.
That difference stays in each model's `data()`; the rest is here.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from ui.i18n import tr

AnyIndex = QModelIndex | QPersistentModelIndex
R = TypeVar("R")


def pct(value: Fraction | float | None, digits: int = 1) -> str:
    """A share as a percentage; '–' when nothing was judged (null)."""
    return "–" if value is None else f"{float(value) * 100:.{digits}f}%"


class ColumnRowsModel(QAbstractTableModel, Generic[R]):
    """Rows of one kind, read-only and selectable, under columns that each
    have an English `title` (translated in the header). A subclass says how a
    cell looks in `data()`."""

    def __init__(self, columns: Sequence[Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns: list[Any] = list(columns)
        self._rows: list[R] = []

    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[R]:
        return list(self._rows)

    def row_at(self, row: int) -> R:
        return self._rows[row]

    def column_title(self, section: int) -> str:
        """The English title of column `section` (a column object's `title`)."""
        return str(self._columns[section].title)

    def column_titles(self) -> list[str]:
        return [self.column_title(i) for i in range(len(self._columns))]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._columns)

    def headerData(  # noqa: N802
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return tr(self.column_title(section))
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
