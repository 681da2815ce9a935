"""The catalogue page: search box, filters, the product table and its actions."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pharmacy_app.catalogue_search import (
    CatalogueIndex,
    Filters,
    IndexChanges,
    changes_since,
    load_index,
)
from ui import settings
from ui.catalogue.model import COLUMNS, CatalogueModel
from ui.i18n import N_
from ui.worker import Changes, DbWorker, OpContext

# Typing is answered within milliseconds; the pause only coalesces a burst
# of keystrokes (or an IME committing several characters) into one search.
SEARCH_DELAY_MS = 60

FLAG_FILTERS = (
    ("is_essential", N_("Essential")),
    ("is_vbp", N_("VBP")),
    ("consistency", N_("Consistency")),
    ("originator", N_("Originator")),
    ("negotiated", N_("Negotiated")),
)


class CataloguePage(QWidget):
    """All products of the procurement catalogue.

    Data arrives from the worker as a `CatalogueIndex`. When an operation
    reports a change to `products` (at once if the page is visible,
    otherwise when it is next shown) the worker reads only the products the
    change log names since the load and the index takes them in place
    (`changes_since` / `CatalogueIndex.apply`): editing one product of
    100,000 costs milliseconds, not a 1.3 s reload. Deletions, big changes
    (an import) or an index that no longer matches the table reload it all.
    """

    counts_changed = Signal(int, int)

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.model = CatalogueModel(self)
        self._loading = False
        self._stale = True
        self._loaded_once = False
        self._select_after_load: str | None = None
        self._full_pending = False
        self._build()
        self.model.counts_changed.connect(self.counts_changed)
        worker.data_changed.connect(self._on_data_changed)

    # -- layout ------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 6)
        layout.setSpacing(8)

        bar = QHBoxLayout()
        bar.setSpacing(6)
        self.search = QLineEdit()
        self.search.setObjectName("catalogueSearch")
        self.search.setPlaceholderText(
            self.tr("Search code, name, manufacturer or pinyin initials (Ctrl+F)")
        )
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(280)
        bar.addWidget(self.search, 3)

        self.status_filter = QComboBox()
        self.status_filter.addItem(self.tr("Active"), True)
        self.status_filter.addItem(self.tr("Inactive"), False)
        self.status_filter.addItem(self.tr("All statuses"), None)
        self.status_filter.setToolTip(self.tr("Status"))
        bar.addWidget(self.status_filter)

        self.kind_filter = QComboBox()
        self.kind_filter.addItem(self.tr("Drugs and consumables"), None)
        self.kind_filter.addItem(self.tr("Drugs"), "drug")
        self.kind_filter.addItem(self.tr("Consumables"), "consumable")
        self.kind_filter.setToolTip(self.tr("Kind"))
        bar.addWidget(self.kind_filter)

        self.flag_buttons: dict[str, QToolButton] = {}
        for field, title in FLAG_FILTERS:
            button = QToolButton()
            button.setText(self.tr(title))
            button.setCheckable(True)
            button.setToolTip(self.tr("Show only products with this mark"))
            button.setObjectName(f"filter_{field}")
            button.toggled.connect(self._filters_changed)
            self.flag_buttons[field] = button
            bar.addWidget(button)
        bar.addStretch(1)
        # A button without the menu's mnemonic: "新增产品", not "新增产品(N)".
        self.new_button = QPushButton(self.tr("New product"))
        bar.addWidget(self.new_button)
        layout.addLayout(bar)

        self.view = QTableView()
        self.view.setObjectName("catalogueTable")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.view.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        header.setSortIndicatorClearable(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.setStretchLastSection(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        metrics = self.view.fontMetrics()
        for i, column in enumerate(COLUMNS):
            title = str(self.model.headerData(i, Qt.Orientation.Horizontal))
            text = max(metrics.horizontalAdvance(column.sample), metrics.horizontalAdvance(title))
            header.resizeSection(i, text + 20)
        self.view.setSortingEnabled(True)
        state = settings.load_state("catalogue_header")
        if state is not None:
            header.restoreState(state)
        layout.addWidget(self.view, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_search)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self._focus_first_row)
        self.status_filter.currentIndexChanged.connect(self._filters_changed)
        self.kind_filter.currentIndexChanged.connect(self._filters_changed)
        self.view.doubleClicked.connect(lambda _index: self.edit_action.trigger())

        self._make_actions()
        self.new_button.clicked.connect(self.new_action.trigger)
        selection = self.view.selectionModel()
        selection.selectionChanged.connect(self._update_actions)
        self.model.modelReset.connect(self._update_actions)
        self._update_actions()

    def _make_actions(self) -> None:
        """The page's actions; the window puts them in its Catalogue menu.

        Edit and Deactivate use Return/F2 and Del only while the table has the
        focus, so those keys keep their meaning in the search box.
        """
        self.new_action = QAction(self.tr("&New product…"), self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_action.triggered.connect(self.new_product)

        self.edit_action = QAction(self.tr("&Edit product…"), self)
        self.edit_action.setShortcuts(
            [
                QKeySequence(Qt.Key.Key_F2),
                QKeySequence(Qt.Key.Key_Return),
                QKeySequence(Qt.Key.Key_Enter),
            ]
        )
        self.edit_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.edit_action.triggered.connect(self.edit_selected)
        self.view.addAction(self.edit_action)

        self.deactivate_action = QAction(self.tr("&Deactivate"), self)
        self.deactivate_action.setShortcut(QKeySequence(Qt.Key.Key_Delete))
        self.deactivate_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.deactivate_action.triggered.connect(lambda: self.set_selected_active(False))
        self.view.addAction(self.deactivate_action)

        self.reactivate_action = QAction(self.tr("&Reactivate"), self)
        self.reactivate_action.triggered.connect(lambda: self.set_selected_active(True))

        self.find_action = QAction(self.tr("&Find"), self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.find_action.triggered.connect(self.focus_search)

    # -- data ----------------------------------------------------------------------

    def load(self, *, full: bool = False) -> None:
        """Bring the table up to date from the worker: the products changed
        since the last load, or (first time, `full`) the whole catalogue."""
        if self._loading:
            self._stale = True
            self._full_pending |= full
            return
        self._loading = True
        self._stale = False
        full = full or self._full_pending or not self._loaded_once
        self._full_pending = False
        if full:
            sort = self.model.sort_field

            def read_all(ctx: OpContext) -> CatalogueIndex:
                index = load_index(ctx.conn)
                if sort is not None:
                    index.prepare_sort(sort)  # on the worker, not at the first paint
                return index

            op = self.worker.op(read_all).success(self._loaded)
        else:
            index = self.model.index_data
            seq, forms = index.log_seq, index.known_forms()
            op = self.worker.op(lambda ctx: changes_since(ctx.conn, seq, forms))
            op = op.success(self._changed)
        op.failure(self._load_failed).parent(self.window()).run()

    def _loaded(self, index: CatalogueIndex) -> None:
        target = self._select_after_load or self.current_code()
        self.model.set_index(index)
        self._loaded_once = True
        self._done(target)

    def _changed(self, changes: IndexChanges | None) -> None:
        target = self._select_after_load or self.current_code()
        if changes is None or not self.model.apply_changes(changes):
            self._loading = False
            self.load(full=True)
            return
        self._done(target)

    def _done(self, target: str | None) -> None:
        self._loading = False
        self._select_after_load = None
        if target is not None:
            self.select_code(target)
        if self._stale:
            self.load()

    def _load_failed(self, exc: BaseException) -> None:
        self._loading = False
        self._full_pending = True  # whatever happened, read it all next time
        from ui.errors import show_error

        show_error(exc, self.window())

    def _on_data_changed(self, changes: Changes) -> None:
        if not changes.touches("products"):
            return
        if self.isVisible() or not self._loaded_once:
            self.load()
        else:
            self._stale = True

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale and self._loaded_once:
            self.load()

    # -- search and filters --------------------------------------------------------

    def current_filters(self) -> Filters:
        flags = {field: (True if b.isChecked() else None) for field, b in self.flag_buttons.items()}
        return Filters(
            active=self.status_filter.currentData(),
            kind=self.kind_filter.currentData(),
            **flags,
        )

    def _filters_changed(self) -> None:
        current = self.current_code()
        self.model.set_filters(self.current_filters())
        if current is not None:
            self.select_code(current)

    def _apply_search(self) -> None:
        current = self.current_code()
        self.model.set_query(self.search.text())
        if current is not None:
            self.select_code(current)

    def apply_search_now(self) -> None:
        """Run a pending search at once (tests; Return in the search box)."""
        if self._search_timer.isActive():
            self._search_timer.stop()
            self._apply_search()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _focus_first_row(self) -> None:
        self.apply_search_now()
        if self.model.rowCount() and not self.selected_codes():
            self.view.selectRow(0)
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- selection -----------------------------------------------------------------

    def selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.view.selectionModel().selectedRows()})

    def selected_codes(self) -> list[str]:
        return [self.model.code_at(r) for r in self.selected_rows()]

    def current_code(self) -> str | None:
        index = self.view.currentIndex()
        if not index.isValid() or not self.view.selectionModel().isRowSelected(index.row()):
            return None
        return self.model.code_at(index.row())

    def select_code(self, code: str) -> bool:
        row = self.model.row_of_code(code)
        if row is None:
            return False
        index = self.model.index(row, 0)
        self.view.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.view.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        return True

    def _update_actions(self) -> None:
        rows = self.selected_rows()
        states = {bool(self.model.value_at(r, "active")) for r in rows}
        self.edit_action.setEnabled(len(rows) == 1)
        self.deactivate_action.setEnabled(True in states)
        self.reactivate_action.setEnabled(False in states)

    # -- product actions -----------------------------------------------------------

    def new_product(self) -> None:
        from ui.catalogue.product_dialog import ProductDialog

        dialog = ProductDialog(
            self.worker, None, code_exists=self._code_exists, parent=self.window()
        )
        self._open_dialog(dialog)

    def edit_selected(self) -> None:
        code = self.current_code()
        if code is None:
            rows = self.selected_rows()
            if len(rows) != 1:
                return
            code = self.model.code_at(rows[0])
        from ui.catalogue.product_dialog import ProductDialog

        def fetch(ctx: OpContext) -> object:
            from pharmacy_app.catalogue import get_product

            return get_product(ctx.conn, code)

        def opened(product: object) -> None:
            if product is None:
                return  # deleted meanwhile; the reload will drop the row
            dialog = ProductDialog(
                self.worker, product, code_exists=self._code_exists, parent=self.window()
            )
            self._open_dialog(dialog)

        self.worker.op(fetch).success(opened).parent(self.window()).run()

    def _open_dialog(self, dialog: QDialog) -> None:
        """Window-modal, non-blocking (open(), not exec()), deleted when closed."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.saved.connect(self.select_code_when_loaded)  # type: ignore[attr-defined]
        dialog.open()

    def set_selected_active(self, active: bool) -> None:
        codes = self.selected_codes()
        if not codes:
            return

        def change(ctx: OpContext) -> int:
            from pharmacy_app.catalogue import set_active

            return set_active(ctx.conn, codes, active)

        self.worker.op(change).parent(self.window()).run()

    def _code_exists(self, code: str) -> bool:
        return self.model.index_data.position_of(code) is not None

    def select_code_when_loaded(self, code: str) -> None:
        """After a save the reload arrives later; select the product then."""
        self._select_after_load = code
        if self.model.row_of_code(code) is not None:
            self.select_code(code)

    def save_header_state(self) -> None:
        settings.save_state("catalogue_header", self.view.horizontalHeader().saveState())
