"""The home page: which institution this is, what the database holds, what to do first.

The alerts panel (ui/home/alerts.py) lists `compute_alerts` as of the demo's
date or today — the `pharmacy-app alerts` list — and asks for the page that
deals with the alert the user clicks (`open_page`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmacy_app.overview import Summary, load_summary
from ui.home.alerts import AlertsPanel
from ui.i18n import tr
from ui.worker import Changes, DbWorker, OpContext

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

# Tables whose change can add or clear an alert (AV, SUP, PAY rules; SUP-4 tickets).
ALERT_TABLES = (
    "supply_tickets",
    "agreements",
    "agreement_products",
    "agreement_emergencies",
    "agreement_exemptions",
    "purchase_lines",
    "payments",
    "products",
    "institutions",
    "policy_profiles",
    "calendar_days",
    "app_settings",
)


def level_name(level: str) -> str:
    """The institution level as the user calls it (institutions.LEVELS)."""
    names = {
        "grassroots": tr("Grassroots institution"),
        "secondary": tr("Secondary hospital"),
        "tertiary": tr("Tertiary hospital"),
        "specialty": tr("Specialty hospital"),
    }
    return names.get(level, level)


class StatCard(QFrame):
    """One number with its caption."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        self.value = QLabel("–")
        self.value.setObjectName("statValue")
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.9)
        font.setBold(True)
        self.value.setFont(font)
        layout.addWidget(self.value)
        self.caption = QLabel(caption)
        self.caption.setObjectName("statCaption")
        layout.addWidget(self.caption)

    def set_value(self, value: int) -> None:
        self.value.setText(f"{value:,}")


class HomePage(QWidget):
    """Institution name and level, and the size of the catalogue and purchases."""

    open_catalogue = Signal()
    import_requested = Signal()
    open_page = Signal(str, str)  # page key, the alert's subject

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.summary: Summary | None = None
        self._stale = True
        self._loading = False
        self._alerts_loading = False
        self._alerts_stale = True
        self.alerts: list[dict[str, Any]] | None = None
        self.alerts_as_of: dt.date | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.setSpacing(14)

        self.title = QLabel()
        self.title.setObjectName("homeTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title.setFont(font)
        layout.addWidget(self.title)
        self.subtitle = QLabel()
        self.subtitle.setWordWrap(True)
        layout.addWidget(self.subtitle)

        grid = QGridLayout()
        grid.setSpacing(12)
        self.cards = {
            "products_active": StatCard(self.tr("Products in use")),
            "essential": StatCard(self.tr("Essential drugs in use")),
            "vbp": StatCard(self.tr("VBP products in use")),
            "consumables": StatCard(self.tr("Consumables in use")),
            "products_inactive": StatCard(self.tr("Inactive products")),
            "purchase_lines": StatCard(self.tr("Purchase lines")),
            "agreements": StatCard(self.tr("Agreed-volume entries")),
        }
        for i, card in enumerate(self.cards.values()):
            grid.addWidget(card, i // 4, i % 4)
        layout.addLayout(grid)

        actions = QHBoxLayout()
        catalogue = QPushButton(self.tr("Open the catalogue"))
        catalogue.clicked.connect(self.open_catalogue)
        importing = QPushButton(self.tr("Import data…"))
        importing.clicked.connect(self.import_requested)
        actions.addWidget(catalogue)
        actions.addWidget(importing)
        actions.addStretch(1)
        layout.addLayout(actions)
        self.alerts_panel = AlertsPanel()
        self.alerts_panel.open_page.connect(self.open_page)
        layout.addWidget(self.alerts_panel, 1)
        self._show(None)
        worker.data_changed.connect(self._on_data_changed)

    def load(self) -> None:
        if self._loading:
            self._stale = True
            return
        self._loading = True
        self._stale = False

        def fetch(ctx: OpContext) -> Summary:
            return load_summary(ctx.conn)

        self.worker.op(fetch).success(self._loaded).failure(self._failed).run()
        self.load_alerts()

    def load_alerts(self) -> None:
        """`compute_alerts` on the worker, as of the demo's date or today."""
        if self._alerts_loading:
            self._alerts_stale = True
            return
        self._alerts_loading = True
        self._alerts_stale = False

        def fetch(ctx: OpContext) -> tuple[dt.date, list[dict[str, Any]]]:
            from pharmacy_app.indicators import compute_alerts
            from ui.essential.page import default_as_of

            as_of = default_as_of(ctx.conn)
            return as_of, compute_alerts(ctx.conn, as_of)

        self.worker.op(fetch).success(self._alerts_loaded).failure(self._alerts_failed).run()

    def _alerts_loaded(self, result: tuple[dt.date, list[dict[str, Any]]]) -> None:
        self._alerts_loading = False
        if self._alerts_stale:
            self.load_alerts()
            return
        self.alerts_as_of, self.alerts = result
        self.alerts_panel.set_alerts(self.alerts, self.alerts_as_of.isoformat())

    def _alerts_failed(self, exc: BaseException) -> None:
        self._alerts_loading = False
        from pharmacy_app.indicators import NoInstitution

        if isinstance(exc, NoInstitution):
            self.alerts = []
            self.alerts_panel.set_message(self.tr("No alerts until the institution is set up."))
            return
        from ui.errors import show_error

        show_error(exc, self.window())

    def _loaded(self, summary: Summary) -> None:
        self._loading = False
        self._show(summary)
        if self._stale and self.isVisible():
            self.load()

    def _failed(self, exc: BaseException) -> None:
        self._loading = False
        from ui.errors import show_error

        show_error(exc, self.window())

    def _show(self, summary: Summary | None) -> None:
        self.summary = summary
        if summary is None or summary.institution_name is None:
            self.title.setText(self.tr("Pharmacy Desk"))
            self.subtitle.setText(
                self.tr("Loading…")
                if summary is None
                else self.tr(
                    "No institution is set up yet. Run “pharmacy-app init” to set the "
                    "institution code, name and level."
                )
            )
        else:
            level = level_name(summary.level or "")
            self.title.setText(summary.institution_name)
            self.subtitle.setText(
                self.tr("Institution code {0} · {1}").format(summary.institution_code, level)
            )
        for key, card in self.cards.items():
            if summary is None:
                card.value.setText("–")
            else:
                card.set_value(int(getattr(summary, key)))

    def _on_data_changed(self, changes: Changes) -> None:
        if changes.touches(*ALERT_TABLES):
            if self.isVisible():
                self.load_alerts()
            else:
                self._alerts_stale = True
        if not changes.touches("products", "institutions", "purchase_lines", "agreements"):
            return
        if self.isVisible():
            self.load()
        else:
            self._stale = True

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.load()
        elif self._alerts_stale:
            self.load_alerts()


def open_from_home(window: QMainWindow, key: str, subject: str) -> bool:
    """Show the page an alert belongs to; False (and a status message) when the
    window has no such page yet — the suppliers and payments pages are added
    by their own features, and an alert must never fail to click.
    """
    has_page = getattr(window, "has_page", None)
    if not callable(has_page) or not has_page(key):
        window.statusBar().showMessage(
            tr("The page for this alert is not available in this version."), 5000
        )
        return False
    window.show_page(key)  # type: ignore[attr-defined]
    page = window.page(key)  # type: ignore[attr-defined]
    focus = getattr(page, "focus_subject", None)
    if callable(focus) and subject:
        focus(subject)
    return True
