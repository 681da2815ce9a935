"""供应问题: supply-problem tickets with their SUP-4 working-day deadlines.

The list is `pharmacy_app.tickets.list_tickets` as of the chosen day — the
same code as `pharmacy-app tickets list` — run on the database worker.
Deadlines count working days on the official calendar; when a year is not
loaded the page says which calendar to import instead of guessing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from ui.i18n import N_
from ui.page_parts import AsOfPage, fit_columns, message_label, page_layout
from ui.reported.page import current_user
from ui.tables import make_table_view
from ui.tickets.dialogs import StepDialog, TicketDialog, refusal_text
from ui.tickets.model import TicketModel
from ui.worker import DbWorker, OpContext

if TYPE_CHECKING:
    from pharmacy_app.tickets import TicketView

WATCHED = (
    "supply_tickets",
    "calendar_days",
    "products",
    "institutions",
    "policy_profiles",
    "app_settings",
)

FILTER_NAMES = (
    ("open", N_("Unresolved")),
    ("overdue", N_("Overdue")),
    ("all", N_("All")),
)


class TicketsPage(AsOfPage):
    """List, raise and follow supply problems until they are resolved (SUP-4)."""

    watched = WATCHED

    tickets_shown = Signal()

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(worker, parent)
        self.views: list[TicketView] = []
        self.as_of_loaded: dt.date | None = None
        self.dialog: QDialog | None = None
        self._file_dialog: QFileDialog | None = None
        self._notice = ""
        self._pending_select = 0
        self._build()

    def _build(self) -> None:
        outer = page_layout(self)
        self.filter_combo = QComboBox()
        self.filter_combo.setObjectName("ticketFilter")
        for key, name in FILTER_NAMES:
            self.filter_combo.addItem(self.tr(name), key)
        self.filter_combo.currentIndexChanged.connect(lambda _i: self.load())
        self._add_header(outer, self.tr("Supply problems (SUP-4)"), institution=False,
                         profile=False, controls=(QLabel(self.tr("Show")), self.filter_combo))

        self.rule_label = QLabel()
        self.rule_label.setWordWrap(True)
        self.rule_label.setStyleSheet("color: #555;")
        outer.addWidget(self.rule_label)
        self.message = message_label()
        self.message.setStyleSheet("color: #b3261e;")
        outer.addWidget(self.message)

        actions = QHBoxLayout()
        self.raise_button = QPushButton(self.tr("Raise a problem…"))
        self.raise_button.clicked.connect(self.open_raise)
        actions.addWidget(self.raise_button)
        self.edit_button = QPushButton(self.tr("Edit…"))
        self.edit_button.clicked.connect(self.open_edit)
        actions.addWidget(self.edit_button)
        actions.addSpacing(16)
        self.answer_button = QPushButton(self.tr("Record answer…"))
        self.answer_button.clicked.connect(lambda: self.open_step("answer"))
        self.commit_button = QPushButton(self.tr("Record fix date…"))
        self.commit_button.clicked.connect(lambda: self.open_step("commit"))
        self.resolve_button = QPushButton(self.tr("Mark resolved…"))
        self.resolve_button.clicked.connect(lambda: self.open_step("resolve"))
        self.escalate_button = QPushButton(self.tr("Report to insurance bureau…"))
        self.escalate_button.clicked.connect(lambda: self.open_step("escalate"))
        for b in (self.answer_button, self.commit_button, self.resolve_button, self.escalate_button):
            actions.addWidget(b)
        actions.addStretch(1)
        self.calendar_button = QPushButton(self.tr("Import working-day calendar…"))
        self.calendar_button.setToolTip(self.tr(
            "A CSV with the State Council's holidays and make-up working days of a year "
            "(columns date, kind)"))
        self.calendar_button.clicked.connect(self.choose_calendar_file)
        actions.addWidget(self.calendar_button)
        self.count_label = QLabel()
        actions.addWidget(self.count_label)
        outer.addLayout(actions)

        self.model = TicketModel(self)
        self.view = make_table_view(self.model, "ticketsTable")
        self.view.doubleClicked.connect(lambda _i: self.open_edit())
        outer.addWidget(self.view, 1)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self._update_buttons()

    # -- loading -----------------------------------------------------------------

    def which(self) -> str:
        return str(self.filter_combo.currentData())

    def set_filter(self, which: str) -> None:
        self.filter_combo.setCurrentIndex(self.filter_combo.findData(which))

    def load(self) -> None:
        if not self._start_load():
            return
        as_of = self.chosen_as_of()
        which = self.which()

        def work(ctx: OpContext) -> tuple[dt.date, list[TicketView], tuple[int, int]]:
            from pharmacy_app.policy import active_profile
            from pharmacy_app.tickets import list_tickets
            from ui.essential.page import default_as_of

            day = as_of or default_as_of(ctx.conn)
            profile = active_profile(ctx.conn)
            limits = (int(profile["sup_feedback_answer_workdays"]), int(profile["sup_fix_workdays"]))
            return day, list_tickets(ctx.conn, day, which, profile), limits

        self.worker.op(work).success(self._loaded).failure(self._failed).parent(self).run()

    def _loaded(self, result: tuple[dt.date, list[TicketView], tuple[int, int]]) -> None:
        if not self._load_finished():
            return
        day, views, (answer_n, fix_n) = result
        self.as_of_loaded = day
        self._set_as_of(day)
        self.rule_label.setText(self.tr(
            "The delivery company answers within {0} working days of the report and commits a "
            "fix no later than {1} working days; overdue problems are escalated. Working days "
            "follow the official calendar (holidays and make-up working days)."
        ).format(answer_n, fix_n))
        selected = self.selected()
        self.views = views
        self.model.set_rows(views)
        self.message.hide()
        overdue = sum(1 for v in views if v.escalated)
        counts = self.tr("{0} shown, {1} overdue").format(len(views), overdue)
        notice, self._notice = self._notice, ""
        self.count_label.setText(f"{counts} · {notice}" if notice else counts)
        fit_columns(self.view, 240)
        if selected is not None:
            self.select_ticket(selected.ticket.id)
        self._update_buttons()
        self.tickets_shown.emit()

    def _failed(self, exc: BaseException) -> None:
        self._loading = False
        from pharmacy_app.indicators import NoInstitution

        text = str(exc) if isinstance(exc, NoInstitution) else refusal_text(exc)
        if text is None:
            from ui.errors import show_error

            show_error(exc, self.window())
            return
        self.model.set_rows([])
        self.views = []
        self.message.setText(text)
        self.message.show()
        self._update_buttons()
        self.tickets_shown.emit()

    # -- selection and actions -----------------------------------------------------

    def selected(self) -> TicketView | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select_ticket(self, ticket_id: int) -> None:
        row = self.model.row_of_id(ticket_id)
        if row is not None:
            self.view.selectRow(row)

    def _update_buttons(self) -> None:
        v = self.selected()
        stored = v.ticket.status if v else None
        self.edit_button.setEnabled(v is not None and stored != "resolved")
        self.answer_button.setEnabled(stored == "open")
        self.commit_button.setEnabled(stored == "answered")
        self.resolve_button.setEnabled(v is not None and stored != "resolved")
        self.escalate_button.setEnabled(v is not None and v.escalated)

    def _today(self) -> dt.date:
        return self.as_of_loaded or self.as_of()

    def _open(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.saved.connect(self._saved)  # type: ignore[attr-defined]
        dialog.destroyed.connect(self._dialog_closed)
        self.dialog = dialog
        dialog.open()

    def _dialog_closed(self) -> None:
        self.dialog = None

    def _saved(self, ticket_id: int) -> None:
        self._pending_select = ticket_id
        self.tickets_shown.connect(self._select_pending, Qt.ConnectionType.SingleShotConnection)

    def _select_pending(self) -> None:
        self.select_ticket(self._pending_select)

    def open_raise(self) -> None:
        self._open(TicketDialog(self.worker, self._today(), current_user(), self))

    def open_edit(self) -> None:
        v = self.selected()
        if v is None or v.ticket.status == "resolved":
            return
        self._open(TicketDialog(self.worker, self._today(), current_user(), self, ticket=v))

    def open_step(self, step: str) -> None:
        v = self.selected()
        if v is None:
            return
        self._open(StepDialog(self.worker, step, v, self._today(), current_user(), self))

    # -- calendar ------------------------------------------------------------------

    def choose_calendar_file(self) -> None:
        dialog = QFileDialog(self.window())
        dialog.setNameFilter(self.tr("Calendar (*.csv)"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setWindowTitle(self.tr("Import working-day calendar"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.fileSelected.connect(self.import_calendar)
        self._file_dialog = dialog
        dialog.open()

    def import_calendar(self, path: str | Path) -> None:
        """Load a year's official holidays and make-up days (workdays.import_calendar)."""
        source = Path(path)

        def work(ctx: OpContext) -> int:
            from pharmacy_app.workdays import import_calendar

            return import_calendar(ctx.conn, source)

        def done(count: int) -> None:
            # Said beside the counts once the reload is shown (the reload rewrites the rule).
            self._notice = self.tr("Imported {0} calendar days from {1}.").format(
                count, source.name)
            self.load()

        def failed(exc: BaseException) -> None:
            from pharmacy_app.workdays import CalendarFileError

            if isinstance(exc, CalendarFileError):
                self.message.setText(str(exc))
                self.message.show()
                return
            from ui.errors import show_error

            show_error(exc, self.window())

        self.worker.op(work).success(done).failure(failed).parent(self).run()
