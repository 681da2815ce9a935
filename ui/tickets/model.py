"""The tickets table: one row per supply problem as of a date (SUP-4).

Rows are `TicketView`s computed on the worker by `pharmacy_app.tickets.
list_tickets`; the model only formats them. Escalated (overdue) rows are red.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush, QColor

from ui.column_model import AnyIndex, ColumnRowsModel
from ui.i18n import N_, tr

if TYPE_CHECKING:
    from pharmacy_app.tickets import TicketView

OVERDUE_TEXT = QColor("#b3261e")
OVERDUE_BACK = QColor("#fde7e7")
DONE_TEXT = QColor("#666666")

STATUS_NAMES = {
    "open": N_("Awaiting answer"),
    "answered": N_("Answered"),
    "fix_committed": N_("Fix date committed"),
    "resolved": N_("Resolved"),
    "escalated": N_("Overdue – escalated"),
}


def status_name(status: str) -> str:
    return tr(STATUS_NAMES.get(status, status))


def days_text(v: TicketView) -> str:
    """Working days left to the deadline that matters now, or overdue."""
    if v.resolved:
        return tr("Resolved late") if v.resolved_late else tr("Resolved in time")
    if v.days_overdue:
        return tr("{0} working days overdue").format(v.days_overdue)
    if v.days_left is None:
        return ""
    if v.days_left == 0:
        return tr("Due today")
    return tr("{0} working days left").format(v.days_left)


def last_step(v: TicketView) -> str:
    t = v.ticket
    steps = [(t.raised_on, tr("Raised by {0}").format(t.raised_by))]
    if v.answered and t.answered_on:
        steps.append((t.answered_on, tr("Answered ({0})").format(t.answered_by or "")))
    if t.fix_committed_on and t.fix_committed_on <= v.as_of and t.fix_date:
        steps.append((t.fix_committed_on, tr("Fix by {0} ({1})").format(
            t.fix_date.isoformat(), t.fix_committed_by or "")))
    if v.resolved and t.resolved_on:
        steps.append((t.resolved_on, tr("Resolved ({0})").format(t.resolved_by or "")))
    if t.escalated_on and t.escalated_on <= v.as_of:
        steps.append((t.escalated_on, tr("Reported to the insurance bureau ({0})").format(
            t.escalated_by or "")))
    day, text = max(steps, key=lambda s: s[0])
    return f"{day.isoformat()} {text}"


class TicketModel(ColumnRowsModel["TicketView"]):
    """The columns are fixed: titles here, texts in `_text`."""

    COLUMNS = (
        N_("No."),
        N_("Product"),
        N_("Supplier"),
        N_("Problem"),
        N_("Raised"),
        N_("Status"),
        N_("Answer due"),
        N_("Fix due"),
        N_("Working days"),
        N_("Last step"),
    )

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(self.COLUMNS, parent)

    def column_title(self, section: int) -> str:
        return self.COLUMNS[section]

    def row_of_id(self, ticket_id: int) -> int | None:
        return next((i for i, v in enumerate(self._rows) if v.ticket.id == ticket_id), None)

    def _text(self, v: TicketView, col: int) -> str:
        t = v.ticket
        if col == 0:
            return str(t.id)
        if col == 1:
            return t.product_name or t.product_code
        if col == 2:
            return t.supplier
        if col == 3:
            return t.problem
        if col == 4:
            return t.raised_on.isoformat()
        if col == 5:
            return status_name(v.status)
        if col == 6:
            late = " " + tr("(answered late)") if v.answered_late else ""
            return v.answer_due.isoformat() + late
        if col == 7:
            extra = " " + tr("(committed date beyond the limit)") if v.commitment_too_late else ""
            return v.fix_due.isoformat() + extra
        if col == 8:
            return days_text(v)
        return last_step(v)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if not (0 <= row < len(self._rows) and 0 <= col < len(self.COLUMNS)):
            return None
        v = self._rows[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(v, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 3:
                return v.ticket.problem
            if col in (5, 8) and v.overdue_reason:
                return v.overdue_reason
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if v.escalated and col in (5, 8):
                return QBrush(OVERDUE_TEXT)
            if v.resolved:
                return QBrush(DONE_TEXT)
            return None
        if role == Qt.ItemDataRole.BackgroundRole and v.escalated and col in (5, 8):
            return QBrush(OVERDUE_BACK)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
