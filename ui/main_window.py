"""The main window: a navigation list on the left, one page at a time on the right.

Pages register with `add_page`, so later features (dashboard, agreements,
suppliers, payments, shortage reports, reports) each add their own page and
menu entries without touching the others. Only pages that work are added.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from pharmacy_app import __version__
from ui import settings
from ui.catalogue.page import CataloguePage
from ui.home.page import HomePage
from ui.worker import DbWorker, OpContext

PageFactory = Callable[[DbWorker], QWidget]


def _page(module: str, cls: str) -> PageFactory:
    """A factory that imports `module` and builds its page class on first use."""

    def build(worker: DbWorker) -> QWidget:
        import importlib

        return getattr(importlib.import_module(module), cls)(worker)

    return build


STYLE = """
QListWidget#navigation {
    border: none;
    outline: 0;
    background: palette(window);
    font-size: 11pt;
    padding-top: 8px;
}
QListWidget#navigation::item {
    padding: 9px 16px;
    border-left: 3px solid transparent;
}
QListWidget#navigation::item:selected {
    background: palette(base);
    color: palette(text);
    border-left: 3px solid #2f6fb3;
}
QFrame#statCard {
    background: palette(base);
    border: 1px solid palette(mid);
    border-radius: 6px;
}
QLabel#statCaption { color: palette(dark); }
QFrame#divider { color: palette(mid); }
"""


class MainWindow(QMainWindow):
    """Navigation + pages + menus + status bar. Data comes only via `worker`."""

    page_changed = Signal(str)

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.setWindowTitle(self.tr("Pharmacy Desk"))
        self.setMinimumSize(QSize(900, 560))
        self.setStyleSheet(STYLE)
        self.pages: dict[str, QWidget] = {}
        self._factories: dict[str, tuple[PageFactory, QWidget]] = {}
        self._page_keys: list[str] = []
        self._import_dialog: QWidget | None = None

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setFixedWidth(150)
        self.navigation.setFrameShape(QListWidget.Shape.NoFrame)
        self.stack = QStackedWidget()
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.navigation)
        divider = QFrame()
        divider.setFrameShape(QFrame.Shape.VLine)
        divider.setObjectName("divider")
        layout.addWidget(divider)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.navigation.currentRowChanged.connect(self._navigate)

        self.home = HomePage(worker)
        self.catalogue = CataloguePage(worker)
        self.add_page("home", self.tr("Home"), self.home)
        self.add_page(
            "essential", self.tr("Essential drugs"), _page("ui.essential.page", "EssentialPage")
        )
        self.add_page("catalogue", self.tr("Catalogue"), self.catalogue)
        self.add_page(
            "agreements", self.tr("Agreed volumes"), _page("ui.agreements.page", "AgreementsPage")
        )
        self.add_page(
            "suppliers", self.tr("Suppliers"), _page("ui.suppliers.page", "SuppliersPage")
        )
        self.add_page("payments", self.tr("Payments"), _page("ui.payments.page", "PaymentsPage"))
        self.add_page(
            "tickets", self.tr("Supply problems"), _page("ui.tickets.page", "TicketsPage")
        )
        self.add_page(
            "reported", self.tr("Reported volumes"), _page("ui.reported.page", "ReportedPage")
        )
        self.add_page(
            "shortage", self.tr("Shortage reports"), _page("ui.shortage.page", "ShortagePage")
        )
        self.add_page(
            "assessment", self.tr("Assessment"), _page("ui.assessment.page", "AssessmentPage")
        )
        self.add_page(
            "payment_standards",
            self.tr("Payment standards"),
            _page("ui.payment_standards.page", "PaymentStandardsPage"),
        )
        self.add_page("reports", self.tr("Reports"), _page("ui.reports.page", "ReportsPage"))
        self.add_page("policy", self.tr("Policy parameters"), _page("ui.policy.page", "PolicyPage"))
        from ui.home.page import open_from_home

        self.home.open_page.connect(lambda key, subject: open_from_home(self, key, subject))
        self.home.open_catalogue.connect(lambda: self.show_page("catalogue"))
        self.home.import_requested.connect(self.open_import)

        self.counts_label = QLabel()
        self.busy_label = QLabel()
        # While the database is the built-in demo, said for as long as it is open.
        self.demo_label = QLabel(self.tr("Demo data — File › Start with my own institution…"))
        self.demo_label.setObjectName("demoLabel")
        self.demo_label.setStyleSheet("color: #b45309; font-weight: bold;")
        self.demo_label.hide()
        self.is_demo = False
        self.statusBar().addPermanentWidget(self.demo_label)
        self.statusBar().addPermanentWidget(self.busy_label)
        self.statusBar().addPermanentWidget(self.counts_label)
        self.catalogue.counts_changed.connect(self._show_counts)
        worker.busy_changed.connect(self._show_busy)

        self._make_menus()
        self._restore_state()
        self.show_page("catalogue")

    # -- pages ---------------------------------------------------------------------

    def add_page(self, key: str, title: str, page: QWidget | PageFactory) -> None:
        """Add a page, built now (a widget) or on first use (a factory).

        Most pages are factories: their modules, and what those import
        (reportlab for the reports page …), load when the page is first
        opened, so the window appears quickly and a page nobody opens costs
        nothing — no imports, no queries on the worker.
        """
        self._page_keys.append(key)
        if isinstance(page, QWidget):
            self.pages[key] = page
            self.stack.addWidget(page)
        else:
            holder = QWidget()
            layout = QVBoxLayout(holder)
            layout.setContentsMargins(0, 0, 0, 0)
            self._factories[key] = (page, holder)
            self.stack.addWidget(holder)
        item = QListWidgetItem(title)
        item.setData(Qt.ItemDataRole.UserRole, key)
        self.navigation.addItem(item)

    def page(self, key: str) -> QWidget:
        """The page `key`, built now if it has not been yet (KeyError if there is none)."""
        if key in self.pages:
            return self.pages[key]
        factory, holder = self._factories.pop(key)
        widget = factory(self.worker)
        holder.layout().addWidget(widget)
        self.pages[key] = widget
        return widget

    def has_page(self, key: str) -> bool:
        return key in self._page_keys

    def __getattr__(self, name: str) -> QWidget:
        # window.agreements, window.suppliers …: the page, built on first use.
        pages = self.__dict__.get("pages")
        if pages is not None and name in pages:
            return pages[name]
        factories = self.__dict__.get("_factories")
        if factories is not None and name in factories:
            return self.page(name)
        raise AttributeError(name)

    def show_page(self, key: str) -> None:
        self.navigation.setCurrentRow(self._page_keys.index(key))

    def current_page(self) -> str:
        return self._page_keys[self.stack.currentIndex()]

    def _navigate(self, row: int) -> None:
        if row < 0:
            return
        key = self._page_keys[row]
        self.page(key)
        self.stack.setCurrentIndex(row)
        self.counts_label.setVisible(key == "catalogue")
        self.page_changed.emit(key)

    def load(self) -> None:
        """First load of every page, once the database is ready."""
        self.catalogue.load()
        self.home.load()

        def demo(ctx: OpContext) -> bool:
            from pharmacy_app.demo_marker import holds_demo

            return holds_demo(ctx.conn)

        self.worker.op(demo).success(self._show_demo).run()

    def _show_demo(self, demo: bool) -> None:
        self.is_demo = demo
        self.setWindowTitle(self.tr("Pharmacy Desk — demo data") if demo else self.tr("Pharmacy Desk"))
        self.demo_label.setVisible(demo)
        self.own_action.setVisible(demo)

    def start_own_institution(self) -> QDialog:
        """Leave the demo: the user's institution in a new, empty database."""
        from ui.own_institution import OwnInstitutionDialog

        dialog = OwnInstitutionDialog(self.worker, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.started.connect(self._own_institution_started)
        dialog.open()
        return dialog

    def _own_institution_started(self, aside: object) -> None:
        for page in self.pages.values():  # the pages built so far: their dates were the demo's
            forget = getattr(page, "forget_chosen_date", None)
            if callable(forget):
                forget()
        self.load()
        self.worker.refresh_all()
        if aside is not None:
            self.statusBar().showMessage(
                self.tr("The demo database was kept as {0}.").format(aside), 15_000)

    # -- menus ---------------------------------------------------------------------

    def _make_menus(self) -> None:
        menu = self.menuBar().addMenu(self.tr("&File"))
        self.import_action = QAction(self.tr("&Import…"), self)
        self.import_action.setShortcut(QKeySequence("Ctrl+I"))
        self.import_action.triggered.connect(self.open_import)
        menu.addAction(self.import_action)
        self.own_action = QAction(self.tr("Start with my own institution…"), self)
        self.own_action.triggered.connect(self.start_own_institution)
        self.own_action.setVisible(False)
        menu.addAction(self.own_action)
        menu.addSeparator()
        self.quit_action = QAction(self.tr("&Quit"), self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        menu.addAction(self.quit_action)

        menu = self.menuBar().addMenu(self.tr("&Catalogue"))
        page = self.catalogue
        menu.addAction(page.new_action)
        menu.addAction(page.edit_action)
        menu.addSeparator()
        menu.addAction(page.deactivate_action)
        menu.addAction(page.reactivate_action)
        menu.addSeparator()
        menu.addAction(page.find_action)
        # Window-wide shortcuts: Ctrl+N and Ctrl+F work from any page and
        # bring the catalogue forward.
        for action in (page.new_action, page.find_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False: self.show_page("catalogue"))
            self.addAction(action)

        menu = self.menuBar().addMenu(self.tr("&View"))
        self.refresh_action = QAction(self.tr("&Refresh"), self)
        self.refresh_action.setShortcut(QKeySequence.StandardKey.Refresh)
        self.refresh_action.triggered.connect(self.worker.refresh_all)
        menu.addAction(self.refresh_action)
        language_menu = menu.addMenu(self.tr("&Language"))
        self.language_group = QActionGroup(self)
        current = settings.LANGUAGE.get()
        for code, name in settings.LANGUAGES.items():
            action = QAction(name, self)
            action.setCheckable(True)
            action.setChecked(code == current)
            action.setData(code)
            action.triggered.connect(lambda _checked=False, c=code: self.set_language(c))
            self.language_group.addAction(action)
            language_menu.addAction(action)

        menu = self.menuBar().addMenu(self.tr("&Help"))
        about = QAction(self.tr("&About Pharmacy Desk"), self)
        about.setMenuRole(QAction.MenuRole.AboutRole)
        about.triggered.connect(self.show_about)
        menu.addAction(about)

    def set_language(self, code: str) -> None:
        if code == settings.LANGUAGE.get():
            return
        settings.LANGUAGE.set(code)
        box = QMessageBox(
            QMessageBox.Icon.Information,
            self.tr("Language"),
            self.tr("The new language is used from the next start of Pharmacy Desk."),
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.open()

    def show_about(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            self.tr("About Pharmacy Desk"),
            self.tr(
                "Pharmacy Desk {0}\nProcurement catalogue, essential-drug shares, "
                "agreed volumes of volume-based procurement and shortage reports, "
                "offline.\n\nChinese font: WenQuanYi Micro Hei (Apache License 2.0)."
            ).format(__version__),
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.open()

    def open_import(self) -> None:
        """File → Import…; one import dialog at a time."""
        from ui.importing.dialog import ImportDialog

        if self._import_dialog is not None and self._import_dialog.isVisible():
            self._import_dialog.raise_()
            self._import_dialog.activateWindow()
            return
        dialog = ImportDialog(self.worker, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.destroyed.connect(self._import_closed)
        self._import_dialog = dialog
        dialog.open()

    def _import_closed(self) -> None:
        self._import_dialog = None

    # -- status bar ----------------------------------------------------------------

    def _show_counts(self, shown: int, total: int) -> None:
        self.counts_label.setText(self.tr("{0} of {1} products").format(f"{shown:,}", f"{total:,}"))

    def _show_busy(self, busy: bool) -> None:
        self.busy_label.setText(self.tr("Working…") if busy else "")

    # -- window state --------------------------------------------------------------

    def _restore_state(self) -> None:
        geometry = settings.load_state("geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 780)
        state = settings.load_state("state")
        if state is not None:
            self.restoreState(state)

    def save_window_state(self) -> None:
        settings.save_state("geometry", self.saveGeometry())
        settings.save_state("state", self.saveState())
        self.catalogue.save_header_state()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_window_state()
        super().closeEvent(event)
