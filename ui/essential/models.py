"""Small read-only table models for the essential-drug and policy pages.

The rows are plain Python objects already computed on the worker (SpecRow,
EntryRow, StructureRow …); a model only formats one cell at a time. One
class serves every table: columns are (title, how to show a row), and a
model may carry a check box in its first column (the what-if ticks).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

AnyIndex = QModelIndex | QPersistentModelIndex
R = TypeVar("R")

ROW_ROLE = Qt.ItemDataRole.UserRole + 1


def _tr(text: str) -> str:
    return QCoreApplication.translate("EssentialModels", text)


@dataclass(frozen=True)
class RowColumn(Generic[R]):
    """One column: an English title (translated when shown) and its text."""

    title: str
    text: Callable[[R], str]
    align_right: bool = False
    tooltip: bool = False


class RowTableModel(QAbstractTableModel, Generic[R]):
    """Rows of one dataclass; optionally checkable by a key (the what-if)."""

    checks_changed = Signal()

    def __init__(
        self,
        columns: Sequence[RowColumn[R]],
        *,
        check_key: Callable[[R], Hashable] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._rows: list[R] = []
        self._check_key = check_key
        self._checked: set[Hashable] = set()

    # -- data ------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[R]) -> None:
        """New rows; ticks whose row is gone are dropped."""
        self.beginResetModel()
        self._rows = list(rows)
        if self._check_key is not None:
            keys = {self._check_key(r) for r in self._rows}
            self._checked &= keys
        self.endResetModel()

    def rows(self) -> list[R]:
        return list(self._rows)

    def row_at(self, row: int) -> R:
        return self._rows[row]

    @property
    def checkable(self) -> bool:
        return self._check_key is not None

    def checked_rows(self) -> list[R]:
        if self._check_key is None:
            return []
        key = self._check_key
        return [r for r in self._rows if key(r) in self._checked]

    def set_checked(self, row: int, checked: bool) -> None:
        if self._check_key is None:
            return
        key = self._check_key(self._rows[row])
        if (key in self._checked) == checked:
            return
        if checked:
            self._checked.add(key)
        else:
            self._checked.discard(key)
        index = self.index(row, 0)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.checks_changed.emit()

    def clear_checks(self) -> None:
        if not self._checked:
            return
        self._checked.clear()
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(len(self._rows) - 1, 0),
                [Qt.ItemDataRole.CheckStateRole],
            )
        self.checks_changed.emit()

    # -- QAbstractTableModel -------------------------------------------------------

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
        item = self._rows[row]
        column = self._columns[col]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(item)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip:
            return column.text(item) or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.CheckStateRole and col == 0 and self._check_key is not None:
            checked = self._check_key(item) in self._checked
            return Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        if role == ROW_ROLE:
            return item
        return None

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if (
            role != Qt.ItemDataRole.CheckStateRole
            or self._check_key is None
            or not index.isValid()
            or index.column() != 0
            or not 0 <= index.row() < len(self._rows)
        ):
            return False
        state = value.value if isinstance(value, Qt.CheckState) else int(value)
        self.set_checked(index.row(), state == Qt.CheckState.Checked.value)
        return True

    def headerData(  # noqa: N802
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _tr(self._columns[section].title)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self._check_key is not None and index.column() == 0:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags
