"""The catalogue table: a thin Qt model over `pharmacy_app.catalogue_search`.

The model holds the index (every product, column by column) and the list of
row positions the current search, filters and sort produced. Searching and
sorting happen in the data layer (`CatalogueIndex.search`), never in a
QSortFilterProxyModel: with 100,000 products a proxy took 0.43 s per
keystroke and 10 s to sort, the index a few milliseconds. `data()` only maps
a view row to a position and formats one cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from pharmacy_app.catalogue_search import CatalogueIndex, Filters, IndexChanges
from ui.i18n import N_

AnyIndex = QModelIndex | QPersistentModelIndex

CODE_ROLE = Qt.ItemDataRole.UserRole + 1


def _tr(text: str) -> str:
    return QCoreApplication.translate("CatalogueModel", text)


def _flag(value: object) -> str:
    return _tr("Yes") if value else ""


def _price(value: object) -> str:
    """Prices with at least two decimals (12.5 → 12.50), never rounded away."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        number = number.quantize(Decimal("0.01"))
    return f"{number:f}"


@dataclass(frozen=True)
class Column:
    """One table column: the field it shows and sorts by, and how."""

    title: str  # English source text, translated when shown
    field: str
    sample: str  # a typical wide value, for the initial width
    align_right: bool = False
    centre: bool = False
    display: Callable[[CatalogueIndex, int], str] | None = None


def _vbp(index: CatalogueIndex, p: int) -> str:
    if not index.value(p, "is_vbp"):
        return ""
    return str(index.value(p, "vbp_batch") or "") or _tr("Yes")


def _status(index: CatalogueIndex, p: int) -> str:
    return _tr("Active") if index.value(p, "active") else _tr("Inactive")


def _kind(index: CatalogueIndex, p: int) -> str:
    return _tr("Consumable") if index.value(p, "kind") == "consumable" else _tr("Drug")


def _flag_column(field: str) -> Callable[[CatalogueIndex, int], str]:
    return lambda index, p: _flag(index.value(p, field))


# Titles are marked with N_ here and translated in headerData. `sample` is a
# typical wide value: the page sizes each column to fit it (or its title) in
# the font in use, so the table fits the window in Chinese and in English.
COLUMNS: tuple[Column, ...] = (
    Column(N_("Code"), "code", "XA00AAA000A000000000000"),
    Column(N_("Generic name"), "generic_name", "阿莫西林克拉维酸钾"),
    Column(N_("Dosage form"), "dosage_form", "肠溶胶囊"),
    Column(N_("Specification"), "specification", "0.2285g"),
    Column(N_("Package"), "package", "0.25g*24粒/盒"),
    Column(N_("Conversion"), "conversion", "100", align_right=True),
    Column(N_("Manufacturer"), "manufacturer", "石药集团欧意药业有限公司"),
    Column(
        N_("Essential"), "is_essential", "是", centre=True, display=_flag_column("is_essential")
    ),
    Column(N_("VBP / batch"), "is_vbp", "第十批", centre=True, display=_vbp),
    Column(
        N_("Consistency"), "consistency", "是", centre=True, display=_flag_column("consistency")
    ),
    Column(N_("Originator"), "originator", "是", centre=True, display=_flag_column("originator")),
    Column(N_("Negotiated"), "negotiated", "是", centre=True, display=_flag_column("negotiated")),
    Column(
        N_("Price"),
        "price",
        "1234.50",
        align_right=True,
        display=lambda i, p: _price(i.value(p, "price")),
    ),
    Column(N_("Status"), "active", "停用", centre=True, display=_status),
    Column(N_("Kind"), "kind", "耗材", centre=True, display=_kind),
)

INACTIVE_COLOUR = QColor(140, 140, 140)


class CatalogueModel(QAbstractTableModel):
    """Products shown in the catalogue table, after search, filters and sort."""

    # (shown, total in catalogue) after every change of what is shown.
    counts_changed = Signal(int, int)

    def __init__(self, parent: QCoreApplication | None = None) -> None:
        super().__init__(parent)
        self._index = CatalogueIndex([])
        self._rows: list[int] = []
        self._query = ""
        self._filters = Filters()
        self._sort_field: str | None = None
        self._descending = False
        self._grey = QBrush(INACTIVE_COLOUR)

    # -- state ---------------------------------------------------------------------

    @property
    def index_data(self) -> CatalogueIndex:
        return self._index

    @property
    def query(self) -> str:
        return self._query

    @property
    def filters(self) -> Filters:
        return self._filters

    @property
    def sort_field(self) -> str | None:
        return self._sort_field

    def set_index(self, index: CatalogueIndex) -> None:
        """New data from the worker: keep the user's search, filters and sort."""
        self._index = index
        self._apply()

    def apply_changes(self, changes: IndexChanges) -> bool:
        """Changed products from the worker, put in place without a reload.

        False when the index no longer matches the table: reload it then.
        """
        if not self._index.apply(changes):
            return False
        self._apply()
        return True

    def set_query(self, query: str) -> None:
        if query != self._query:
            self._query = query
            self._apply()

    def set_filters(self, filters: Filters) -> None:
        if filters != self._filters:
            self._filters = filters
            self._apply()

    def _apply(self) -> None:
        rows = self._index.search(
            self._query, self._filters, sort=self._sort_field, descending=self._descending
        )
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()
        self.counts_changed.emit(len(self._rows), len(self._index))

    # -- lookups for the page ----------------------------------------------------

    def code_at(self, row: int) -> str:
        return str(self._index.value(self._rows[row], "code"))

    def value_at(self, row: int, field: str) -> object:
        return self._index.value(self._rows[row], field)

    def row_of_code(self, code: str) -> int | None:
        """The view row showing `code`, or None if it is filtered out."""
        position = self._index.position_of(code)
        if position is None:
            return None
        try:
            return self._rows.index(position)
        except ValueError:
            return None

    # -- QAbstractTableModel -----------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if not (0 <= row < len(self._rows) and 0 <= col < len(COLUMNS)):
            return None
        position = self._rows[row]
        column = COLUMNS[col]
        if role == Qt.ItemDataRole.DisplayRole:
            if column.display is not None:
                return column.display(self._index, position)
            value = self._index.value(position, column.field)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column.align_right:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if column.centre:
                return int(Qt.AlignmentFlag.AlignCenter)
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            return None if self._index.value(position, "active") else self._grey
        if role == Qt.ItemDataRole.ToolTipRole and column.field in (
            "generic_name",
            "manufacturer",
            "package",
        ):
            value = self._index.value(position, column.field)
            return str(value) if value else None
        if role == CODE_ROLE:
            return self._index.value(position, "code")
        return None

    def headerData(  # noqa: N802
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> object:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _tr(COLUMNS[section].title)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Header clicks sort in the data layer; column -1 restores load order."""
        field = COLUMNS[column].field if 0 <= column < len(COLUMNS) else None
        descending = order == Qt.SortOrder.DescendingOrder
        if (field, descending) == (self._sort_field, self._descending):
            return
        self._sort_field, self._descending = field, descending
        self._apply()
