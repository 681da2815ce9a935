"""Dialogs of the tickets page: raise or edit a ticket, and record a step.

Each dialog runs its write on the database worker and closes only when the
domain accepted it; a refusal (TicketError, CalendarMissing) is shown in
the dialog, naming the field. Shown with open(), never exec().
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ui.essential.models import RowColumn, RowTableModel
from ui.i18n import N_
from ui.tables import make_table_view
from ui.worker import DbWorker, OpContext

if TYPE_CHECKING:
    from pharmacy_app.tickets import ProductChoice, TicketView

SEARCH_DELAY_MS = 200

PRODUCT_COLUMNS: list[RowColumn[ProductChoice]] = [
    RowColumn(N_("Product"), lambda p: p.label, tooltip=True),
    RowColumn(N_("Code"), lambda p: p.code),
]


def _date_edit(day: dt.date, name: str) -> QDateEdit:
    edit = QDateEdit()
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setDate(QDate(day.year, day.month, day.day))
    return edit


def refusal_text(exc: BaseException) -> str | None:
    """The message for a refusal the user can fix; None for a bug."""
    from pharmacy_app.tickets import CalendarMissing, TicketError, calendar_message

    if isinstance(exc, CalendarMissing):
        return calendar_message(exc)
    if isinstance(exc, TicketError):
        return str(exc)
    return None


class _WorkerDialog(QDialog):
    saved = Signal(int)  # ticket id

    def __init__(self, worker: DbWorker, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.layout_ = QVBoxLayout(self)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.error = QLabel()
        self.error.setObjectName("dialogError")
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.rejected.connect(self.reject)

    def finish_layout(self) -> None:
        """Add the error line and the buttons; OK calls the subclass's `submit`."""
        self.buttons.accepted.connect(self.submit)  # type: ignore[attr-defined]
        self.layout_.addWidget(self.error)
        self.layout_.addWidget(self.buttons)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def run(self, fn, ticket_id: int | None = None) -> None:  # noqa: ANN001 - worker function
        def done(result: object) -> None:
            self.buttons.setEnabled(True)
            self.saved.emit(int(result) if isinstance(result, int) else int(ticket_id or 0))
            self.accept()

        def failed(exc: BaseException) -> None:
            self.buttons.setEnabled(True)
            text = refusal_text(exc)
            if text is None:
                from ui.errors import show_error

                show_error(exc, self)
                return
            self.show_error(text)

        self.buttons.setEnabled(False)
        self.worker.op(fn).success(done).failure(failed).parent(self).run()


class TicketDialog(_WorkerDialog):
    """Raise a ticket (product picked with search, supplier from known companies), or edit one."""

    def __init__(
        self,
        worker: DbWorker,
        today: dt.date,
        user: str,
        parent: QWidget | None = None,
        *,
        ticket: TicketView | None = None,
    ) -> None:
        super().__init__(worker, parent)
        self.ticket = ticket
        self.setWindowTitle(self.tr("Edit supply problem") if ticket else self.tr("Raise a supply problem"))
        self.resize(620, 520)
        self.chosen_code: str | None = ticket.ticket.product_code if ticket else None

        self.search = QLineEdit()
        self.search.setObjectName("productSearch")
        self.search.setPlaceholderText(self.tr("Name, code or pinyin initials (amxl)"))
        self.products = RowTableModel(PRODUCT_COLUMNS, parent=self)
        self.product_view = make_table_view(self.products, "productResults")
        self.product_view.setMinimumHeight(150)
        self.chosen_label = QLabel(ticket.ticket.product_name if ticket else self.tr("No product chosen"))
        self.chosen_label.setObjectName("chosenProduct")
        self.supplier = QComboBox()
        self.supplier.setObjectName("supplier")
        self.supplier.setEditable(True)
        self.supplier.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.problem = QPlainTextEdit()
        self.problem.setObjectName("problem")
        self.problem.setPlaceholderText(self.tr("What went wrong: no response, shortage, wrong batch…"))
        self.raised_on = _date_edit(ticket.ticket.raised_on if ticket else today, "raisedOn")
        self.by = QLineEdit(user)
        self.by.setObjectName("by")
        if ticket is None:
            self.form.addRow(self.tr("Find product"), self.search)
            self.form.addRow("", self.product_view)
        self.form.addRow(self.tr("Product"), self.chosen_label)
        self.form.addRow(self.tr("Delivery company"), self.supplier)
        self.form.addRow(self.tr("Problem"), self.problem)
        self.form.addRow(self.tr("Raised on"), self.raised_on)
        self.form.addRow(self.tr("Entered by"), self.by)
        if ticket is not None:
            self.search.hide()
            self.product_view.hide()
            self.raised_on.setEnabled(False)
            self.problem.setPlainText(ticket.ticket.problem)
        self.finish_layout()

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.find_products)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.product_view.selectionModel().selectionChanged.connect(self._product_chosen)
        self._load_suppliers(ticket.ticket.supplier if ticket else "")

    def _load_suppliers(self, current: str) -> None:
        def work(ctx: OpContext) -> list[str]:
            from pharmacy_app.tickets import known_suppliers

            return known_suppliers(ctx.conn)

        def loaded(names: list[str]) -> None:
            self.supplier.clear()
            self.supplier.addItems(names)
            self.supplier.setCurrentText(current)

        self.worker.op(work).success(loaded).parent(self).run()

    def find_products(self) -> None:
        text = self.search.text()

        def work(ctx: OpContext) -> list[ProductChoice]:
            from pharmacy_app.tickets import find_products

            return find_products(ctx.conn, text)

        def found(rows: list[ProductChoice]) -> None:
            if text != self.search.text():
                return  # a newer search is on its way
            self.products.set_rows(rows)
            self.product_view.resizeColumnToContents(0)
            if len(rows) == 1:
                self.product_view.selectRow(0)

        self.worker.op(work).success(found).parent(self).run()

    def _product_chosen(self) -> None:
        rows = self.product_view.selectionModel().selectedRows()
        if not rows:
            return
        choice = self.products.row_at(rows[0].row())
        self.chosen_code = choice.code
        self.chosen_label.setText(choice.label)

    def submit(self) -> None:
        supplier = self.supplier.currentText().strip()
        problem = self.problem.toPlainText().strip()
        by = self.by.text().strip()
        if self.ticket is not None:
            ticket_id = self.ticket.ticket.id

            def update(ctx: OpContext) -> int:
                from pharmacy_app.tickets import update_ticket

                update_ticket(ctx.conn, ticket_id, supplier=supplier, problem=problem, by=by)
                return ticket_id

            self.run(update, ticket_id)
            return
        if not self.chosen_code:
            self.show_error(self.tr("Product: search and pick the product first."))
            return
        code = self.chosen_code
        raised_on = self.raised_on.date().toPython()

        def create(ctx: OpContext) -> int:
            from pharmacy_app.tickets import raise_ticket

            return raise_ticket(ctx.conn, code, supplier, problem, raised_on, by)

        self.run(create)


class StepDialog(_WorkerDialog):
    """Record one step: the answer, the committed fix date, the resolution or the escalation."""

    def __init__(
        self,
        worker: DbWorker,
        step: str,
        view: TicketView,
        today: dt.date,
        user: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(worker, parent)
        self.step = step
        self.view = view
        titles = {
            "answer": self.tr("Record the supplier's answer"),
            "commit": self.tr("Record the committed fix date"),
            "resolve": self.tr("Mark as resolved"),
            "escalate": self.tr("Report to the insurance bureau"),
        }
        self.setWindowTitle(titles[step])
        self.resize(480, 300)
        t = view.ticket
        intro = QLabel(self.tr("{0} · {1}\nRaised {2}: {3}").format(
            t.product_name, t.supplier, t.raised_on.isoformat(), t.problem))
        intro.setWordWrap(True)
        self.form.addRow(intro)
        labels = {
            "answer": self.tr("Answered on"),
            "commit": self.tr("Committed on"),
            "resolve": self.tr("Resolved on"),
            "escalate": self.tr("Reported on"),
        }
        self.day = _date_edit(today, "stepDate")
        self.form.addRow(labels[step], self.day)
        self.fix_date: QDateEdit | None = None
        if step == "commit":
            self.fix_date = _date_edit(view.fix_limit, "fixDate")
            self.form.addRow(self.tr("Fix date"), self.fix_date)
            limit = QLabel(self.tr("No later than {0} ({1} working days after it was raised)").format(
                view.fix_limit.isoformat(), view.fix_workdays))
            self.form.addRow("", limit)
        self.text = QPlainTextEdit()
        self.text.setObjectName("stepText")
        self.text.setMaximumHeight(90)
        if step != "commit":
            text_labels = {
                "answer": self.tr("Answer"),
                "resolve": self.tr("How it was resolved"),
                "escalate": self.tr("Note"),
            }
            self.form.addRow(text_labels[step], self.text)
        self.by = QLineEdit(user)
        self.by.setObjectName("by")
        self.form.addRow(self.tr("Entered by"), self.by)
        self.finish_layout()
        self.setWindowModality(Qt.WindowModality.WindowModal)

    def submit(self) -> None:
        ticket_id = self.view.ticket.id
        day = self.day.date().toPython()
        text = self.text.toPlainText().strip()
        by = self.by.text().strip()
        fix = self.fix_date.date().toPython() if self.fix_date is not None else None
        step = self.step

        def work(ctx: OpContext) -> int:
            from pharmacy_app import tickets

            if step == "answer":
                tickets.answer_ticket(ctx.conn, ticket_id, day, text, by)
            elif step == "commit":
                assert fix is not None
                tickets.commit_fix(ctx.conn, ticket_id, day, fix, by)
            elif step == "resolve":
                tickets.resolve_ticket(ctx.conn, ticket_id, day, text, by)
            else:
                tickets.escalate_ticket(ctx.conn, ticket_id, day, text, by)
            return ticket_id

        self.run(work, ticket_id)
