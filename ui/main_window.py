"""The main window: a navigation list on the left, one page at a time on the right.

Pages register with `add_page`, so later features (dashboard, agreements,
suppliers, payments, shortage reports, reports) each add their own page and
menu entries without touching the others. Only pages that work are added.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from pharmacy_app import __version__
from ui import settings
from ui.catalogue.page import CataloguePage
from ui.essential.page import EssentialPage
from ui.home.page import HomePage
from ui.policy.page import PolicyPage
from ui.worker import DbWorker

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
        self.essential = EssentialPage(worker)
        self.add_page("home", self.tr("Home"), self.home)
        self.add_page("essential", self.tr("Essential drugs"), self.essential)
        self.add_page("catalogue", self.tr("Catalogue"), self.catalogue)
        from ui.agreements.page import AgreementsPage
        from ui.home.page import open_from_home

        self.agreements = AgreementsPage(worker)
        self.add_page("agreements", self.tr("Agreed volumes"), self.agreements)
        self.home.open_page.connect(lambda key, subject: open_from_home(self, key, subject))
        from ui.payments.page import PaymentsPage
        from ui.suppliers.page import SuppliersPage

        self.suppliers = SuppliersPage(worker)
        self.add_page("suppliers", self.tr("Suppliers"), self.suppliers)
        self.payments = PaymentsPage(worker)
        self.add_page("payments", self.tr("Payments"), self.payments)
        from ui.reported.page import ReportedPage
        from ui.tickets.page import TicketsPage

        self.tickets = TicketsPage(worker)
        self.add_page("tickets", self.tr("Supply problems"), self.tickets)
        self.reported = ReportedPage(worker)
        self.add_page("reported", self.tr("Reported volumes"), self.reported)
        from ui.shortage.page import ShortagePage

        self.shortage = ShortagePage(worker)
        self.add_page("shortage", self.tr("Shortage reports"), self.shortage)
        from ui.assessment.page import AssessmentPage
        from ui.payment_standards.page import PaymentStandardsPage

        self.assessment = AssessmentPage(worker)
        self.add_page("assessment", self.tr("Assessment"), self.assessment)
        self.payment_standards = PaymentStandardsPage(worker)
        self.add_page("payment_standards", self.tr("Payment standards"), self.payment_standards)
        from ui.reports.page import ReportsPage

        self.reports = ReportsPage(worker)
        self.add_page("reports", self.tr("Reports"), self.reports)
        self.policy = PolicyPage(worker)
        self.add_page("policy", self.tr("Policy parameters"), self.policy)
        self.home.open_catalogue.connect(lambda: self.show_page("catalogue"))
        self.home.import_requested.connect(self.open_import)

        self.counts_label = QLabel()
        self.busy_label = QLabel()
        self.statusBar().addPermanentWidget(self.busy_label)
        self.statusBar().addPermanentWidget(self.counts_label)
        self.catalogue.counts_changed.connect(self._show_counts)
        worker.busy_changed.connect(self._show_busy)

        self._make_menus()
        self._restore_state()
        self.show_page("catalogue")

    # -- pages ---------------------------------------------------------------------

    def add_page(self, key: str, title: str, page: QWidget) -> None:
        self.pages[key] = page
        self._page_keys.append(key)
        self.stack.addWidget(page)
        item = QListWidgetItem(title)
        item.setData(Qt.ItemDataRole.UserRole, key)
        self.navigation.addItem(item)

    def show_page(self, key: str) -> None:
        self.navigation.setCurrentRow(self._page_keys.index(key))

    def current_page(self) -> str:
        return self._page_keys[self.stack.currentIndex()]

    def _navigate(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        key = self._page_keys[row]
        self.counts_label.setVisible(key == "catalogue")
        self.page_changed.emit(key)

    def load(self) -> None:
        """First load of every page, once the database is ready."""
        self.catalogue.load()
        self.home.load()

    # -- menus ---------------------------------------------------------------------

    def _make_menus(self) -> None:
        menu = self.menuBar().addMenu(self.tr("&File"))
        self.import_action = QAction(self.tr("&Import…"), self)
        self.import_action.setShortcut(QKeySequence("Ctrl+I"))
        self.import_action.triggered.connect(self.open_import)
        menu.addAction(self.import_action)
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
