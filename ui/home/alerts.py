"""The home page's alerts panel: every alert of `compute_alerts`, what to do first on top.

The alerts are exactly those `pharmacy-app alerts --as-of DATE` lists (one
code path), as of the demo's own date when the database is the demo, else
today. Here they are only arranged and worded for the user:

* grouped by what to do first — agreements heading for "unqualified" (AV-3)
  and behind 序时进度 (AV-2), the non-selected share (AV-5), the suppliers'
  48-hour list (SUP-3, due within one working day), late payments (PAY-2),
  then products not in the hospital, substitutes, prices, supplier rates and
  the rest; inside a group the worst figure first;
* each alert with its rule ID, its object, the figure that crossed the line
  against the line, and one plain sentence saying what to do;
* clicking an alert asks for the page that deals with it (`open_page`):
  agreements for AV rules, "suppliers" for SUP, "payments" for PAY.

Rule IDs no group names (a feature added later) still show, last, with their
own message as the action, so no alert is ever hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QLabel, QTableView, QVBoxLayout, QWidget

from ui.i18n import N_, tr
from ui.page_parts import fit_columns
from ui.tables import make_table_view

AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class AlertGroup:
    """One kind of work: which rules, in what order, and how worst is judged."""

    key: str
    title: str  # English, translated when shown
    rules: tuple[str, ...]
    lower_is_worse: bool = False


# What to do first, first.
GROUPS: tuple[AlertGroup, ...] = (
    AlertGroup("unqualified", N_("Agreements heading for “unqualified”"), ("AV-3",), True),
    AlertGroup("behind", N_("Agreements behind the time-sequence schedule"), ("AV-2",), True),
    AlertGroup("non_selected", N_("Non-selected purchases above the limit"), ("AV-5",)),
    AlertGroup("unresponded", N_("Orders unanswered after 48 hours"), ("SUP-3",)),
    AlertGroup("late_payments", N_("Late payments to delivery companies"), ("PAY-2",)),
    AlertGroup("not_in_hospital", N_("Selected products not yet in the hospital"), ("AV-12",)),
    AlertGroup("substitutes", N_("Substitutable drugs above last year"), ("AV-6",)),
    AlertGroup("pre_vbp_price", N_("Pre-VBP prices below the selected price"), ("AV-11",)),
    AlertGroup("suppliers", N_("Supplier performance"), ("SUP-1", "SUP-2", "SUP-4", "SUP-5", "SUP-6"),
               True),
    AlertGroup("payments", N_("Payments and offline purchases"), ("PAY-1", "PAY-3", "PAY-4")),
)
OTHER = AlertGroup("other", N_("Other alerts"), ())

ACTIONS = {
    "AV-3": N_("Buy the selected product now: below the line the 通用名 fails the assessment."),
    "AV-2": N_("Order more of the selected product to catch up with the time-sequence progress."),
    "AV-5": N_("Switch this 通用名's orders from non-selected products to the selected product."),
    "SUP-3": N_("Send the delayed-response list to the delivery company within 1 working day."),
    "PAY-2": N_("Pay the month's VBP purchases in full; they were due by the 10th."),
    "AV-12": N_("Bring the selected product into the hospital; if two products are kept, "
                "prefer the backup supplier's."),
    "AV-6": N_("Review prescribing of the substitutable drug: it is bought more than last year."),
    "AV-11": N_("Report the product to the medical insurance office (pre-VBP price lower)."),
    "SUP-1": N_("Remind the delivery company to answer orders within the response window."),
    "SUP-2": N_("Ask the delivery company to deliver on time; repeated quarters mean an interview."),
    "SUP-4": N_("Chase the supplier's answer to the supply-problem ticket."),
    "SUP-5": N_("Review the supplier's score tier."),
    "SUP-6": N_("Reduce the delivery companies of this product to the limit."),
    "PAY-1": N_("Check the prepayment against the agreed amount."),
    "PAY-3": N_("Pay delivered goods within 30 days."),
    "PAY-4": N_("Buy on the platform: offline purchases are above the limit."),
}

SHARE_RULES = ("AV-2", "AV-3", "AV-5", "SUP-1", "SUP-2", "PAY-3", "PAY-4")


def group_of(rule: str) -> AlertGroup:
    return next((g for g in GROUPS if rule in g.rules), OTHER)


def page_for(rule: str) -> str | None:
    """The page that deals with a rule's alerts (its key in MainWindow.pages)."""
    if rule == "SUP-4":
        return "tickets"
    family = rule.split("-")[0]
    return {"AV": "agreements", "SUP": "suppliers", "PAY": "payments", "ED": "essential"}.get(family)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def figure_text(alert: dict[str, Any]) -> str:
    """The figure that crossed the line, against the line, in the rule's own unit."""
    rule = str(alert.get("rule", ""))
    fig, line = _number(alert.get("figure")), _number(alert.get("threshold"))
    if fig is None:
        return tr("not bought") if rule == "AV-12" else "–"
    if rule == "SUP-2" and isinstance(alert.get("figure"), int):
        return tr("{0} quarters in a row (limit {1})").format(int(fig), int(line or 0))
    if rule in SHARE_RULES:
        text = f"{fig * 100:.1f}%"
        return text if line is None else tr("{0} (line {1})").format(text, f"{line * 100:.1f}%")
    if rule == "AV-6":
        return tr("{0} units (last year {1})").format(f"{fig:,.0f}", f"{line or 0:,.0f}")
    if rule == "AV-11":
        return tr("{0} yuan (selected price {1})").format(f"{fig:.4f}", f"{line or 0:.4f}")
    if rule == "SUP-3":
        return tr("{0} lines over {1} h").format(int(fig), int(line or 0))
    if rule == "SUP-6":
        return tr("{0} companies (limit {1})").format(int(fig), int(line or 0))
    if rule == "PAY-2":
        return tr("{0} yuan late").format(f"{fig:,.2f}")
    return f"{fig:g}" if line is None else f"{fig:g} / {line:g}"


def action_text(alert: dict[str, Any]) -> str:
    rule = str(alert.get("rule", ""))
    return tr(ACTIONS[rule]) if rule in ACTIONS else str(alert.get("message", ""))


@dataclass(frozen=True)
class AlertItem:
    """One line of the panel: a group heading (alert None) or an alert."""

    group: AlertGroup
    alert: dict[str, Any] | None = None
    count: int = 0
    rank: int = 0  # the group's place, 1 = first

    @property
    def is_heading(self) -> bool:
        return self.alert is None

    @property
    def rule(self) -> str:
        return "" if self.alert is None else str(self.alert.get("rule", ""))

    @property
    def subject(self) -> str:
        return "" if self.alert is None else str(self.alert.get("subject", ""))

    @property
    def page(self) -> str | None:
        return page_for(self.rule) if self.alert is not None else None


def arrange(alerts: Sequence[dict[str, Any]]) -> list[AlertItem]:
    """Headings and alerts in the order to act on them (see the module docstring)."""
    by_group: dict[str, list[dict[str, Any]]] = {}
    for alert in alerts:
        by_group.setdefault(group_of(str(alert.get("rule", ""))).key, []).append(alert)
    items: list[AlertItem] = []
    rank = 0
    for group in (*GROUPS, OTHER):
        members = by_group.get(group.key)
        if not members:
            continue
        rank += 1

        def worst_first(alert: dict[str, Any], group: AlertGroup = group) -> tuple[int, float, str]:
            fig = _number(alert.get("figure"))
            if fig is None:
                return (1, 0.0, str(alert.get("subject", "")))
            return (0, fig if group.lower_is_worse else -fig, str(alert.get("subject", "")))

        members.sort(key=worst_first)
        items.append(AlertItem(group, None, len(members), rank))
        items.extend(AlertItem(group, a, 0, rank) for a in members)
    return items


HEADING_BG = QColor("#eef2f8")
RULE_COLOURS = {"AV": QColor("#2f6fb3"), "SUP": QColor("#7a4bb3"), "PAY": QColor("#b26a00")}
COLUMNS = (N_("Rule"), N_("Object"), N_("Figure"), N_("What to do"))


class AlertsModel(QAbstractTableModel):
    """Group headings (spanning the row in the view) and alerts, in order."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.items: list[AlertItem] = []

    def set_alerts(self, alerts: Sequence[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.items = arrange(alerts)
        self.endResetModel()

    def item_at(self, row: int) -> AlertItem:
        return self.items[row]

    def alert_count(self) -> int:
        return sum(1 for i in self.items if not i.is_heading)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        if not 0 <= index.column() < len(COLUMNS):
            return None
        item, col = self.items[index.row()], index.column()
        if item.alert is None:
            if role == Qt.ItemDataRole.DisplayRole and col == 0:
                return tr("{0}. {1} ({2})").format(item.rank, tr(item.group.title), item.count)
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                return font
            if role == Qt.ItemDataRole.BackgroundRole:
                return HEADING_BG
            return None
        alert = item.alert
        if role == Qt.ItemDataRole.DisplayRole:
            return (item.rule, item.subject, figure_text(alert), action_text(alert))[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(alert.get("message", ""))
        if role == Qt.ItemDataRole.ForegroundRole and col == 0:
            return RULE_COLOURS.get(item.rule.split("-")[0])
        return None

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return tr(COLUMNS[section])
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return Qt.ItemFlag.NoItemFlags
        if self.items[index.row()].is_heading:
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class AlertsPanel(QWidget):
    """The alerts as of a date; clicking one emits `open_page(page key, subject)`."""

    open_page = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.heading = QLabel(self.tr("Alerts"))
        self.heading.setObjectName("alertsHeading")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.heading.setFont(font)
        layout.addWidget(self.heading)
        self.note = QLabel()
        self.note.setObjectName("alertsNote")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.model = AlertsModel(self)
        self.view: QTableView = make_table_view(self.model, "alertsTable")
        self.view.setMouseTracking(True)
        self.view.clicked.connect(self._activated)
        self.view.activated.connect(self._activated)
        layout.addWidget(self.view, 1)

    def set_alerts(self, alerts: Sequence[dict[str, Any]], as_of: str) -> None:
        self.model.set_alerts(alerts)
        self.view.clearSpans()
        for row, item in enumerate(self.model.items):
            if item.is_heading:
                self.view.setSpan(row, 0, 1, len(COLUMNS))
        fit_columns(self.view, 320)
        self.view.horizontalHeader().resizeSection(0, 70)
        count = self.model.alert_count()
        self.heading.setText(self.tr("Alerts as of {0} ({1})").format(as_of, count))
        self.note.setText(
            self.tr("Nothing crosses a line: no alerts.")
            if count == 0
            else self.tr("What to do first is on top. Click an alert to open its page.")
        )

    def set_message(self, text: str) -> None:
        self.model.set_alerts([])
        self.view.clearSpans()
        self.heading.setText(self.tr("Alerts"))
        self.note.setText(text)

    def _activated(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        item = self.model.item_at(index.row())
        if item.is_heading or item.page is None:
            return
        self.open_page.emit(item.page, item.subject)
