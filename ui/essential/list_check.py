"""Check a stored essential list against the official PDF (pharmacy_app/essential_check.py).

The bundled 2026 list came from a third party's table, so the dashboard
offers this check next to the figures that depend on it. The dialog only
chooses the list and the file and shows the result; reading the PDF and
comparing runs on the database worker, with progress and cancel.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.essential.models import RowColumn, RowTableModel
from ui.i18n import N_, tr
from ui.tables import make_table_view

if TYPE_CHECKING:
    from pharmacy_app.essential_check import EntryProblem, ListCheck, StoredList
    from ui.worker import DbWorker, OpContext


def _problem_text(p: EntryProblem) -> str:
    if p.problem == "name_missing":
        return tr("Generic name not found in the PDF")
    return tr("Specification not found next to the name")


PROBLEM_COLUMNS: list[RowColumn[EntryProblem]] = [
    RowColumn(N_("No."), lambda p: p.seq),
    RowColumn(N_("Generic name"), lambda p: p.generic_name, tooltip=True),
    RowColumn(N_("Dosage form"), lambda p: p.dosage_form),
    RowColumn(N_("Specification"), lambda p: p.specification or ""),
    RowColumn(N_("Problem"), _problem_text),
]


class ListCheckDialog(QDialog):
    """Choose a stored list and the official PDF; see the entries to review."""

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.result_: ListCheck | None = None
        self.pdf: Path | None = None
        self.setWindowTitle(self.tr("Check the essential list against the official PDF"))
        self.resize(860, 560)

        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "The bundled list was converted from a published table, not typed from the "
                "official document. Choose the official PDF to compare every entry's generic "
                "name and specification with it. Nothing is changed."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("List")))
        self.lists = QComboBox()
        self.lists.setObjectName("listChoice")
        row.addWidget(self.lists, 1)
        layout.addLayout(row)

        row = QHBoxLayout()
        self.file_label = QLabel(self.tr("No file chosen"))
        self.file_label.setObjectName("pdfLabel")
        row.addWidget(self.file_label, 1)
        self.choose_button = QPushButton(self.tr("Choose PDF…"))
        self.choose_button.clicked.connect(self.choose_pdf)
        row.addWidget(self.choose_button)
        self.check_button = QPushButton(self.tr("Check"))
        self.check_button.setEnabled(False)
        self.check_button.clicked.connect(self.run_check)
        row.addWidget(self.check_button)
        layout.addLayout(row)

        self.summary = QLabel()
        self.summary.setObjectName("checkSummary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.model: RowTableModel[EntryProblem] = RowTableModel(PROBLEM_COLUMNS, parent=self)
        self.view = make_table_view(self.model, "checkProblems")
        layout.addWidget(self.view, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = buttons.addButton(
            self.tr("Save entries to review…"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.choose_save_path)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        self._load_lists()

    def _load_lists(self) -> None:
        from pharmacy_app.essential_check import stored_lists

        self.worker.op(lambda ctx: stored_lists(ctx.conn)).success(self._show_lists).parent(
            self
        ).run()

    def _show_lists(self, lists: list[StoredList]) -> None:
        self.lists.clear()
        for lst in lists:
            self.lists.addItem(lst.label(), lst.id)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.check_button.setEnabled(self.pdf is not None and self.lists.count() > 0)

    def choose_pdf(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose the official PDF"), "", self.tr("PDF files (*.pdf)")
        )
        if path:
            self.set_pdf(Path(path))

    def set_pdf(self, path: Path) -> None:
        self.pdf = path
        self.file_label.setText(str(path))
        self._update_buttons()

    def run_check(self) -> None:
        from pharmacy_app.essential_check import check_list_against_pdf

        list_id = self.lists.currentData()
        pdf = self.pdf
        if list_id is None or pdf is None:
            return

        def work(ctx: OpContext) -> ListCheck:
            return check_list_against_pdf(
                ctx.conn, int(list_id), pdf, progress=ctx.progress, cancelled=ctx.cancelled
            )

        self.check_button.setEnabled(False)
        self._clear_result()  # the previous PDF's entries are not this one's
        self.summary.setText(self.tr("Reading the PDF…"))
        self.worker.op(work).with_progress(
            self.tr("Checking the list against the PDF…"), cancellable=True, parent=self
        ).success(self._show_result).failure(self._failed).parent(self).run()

    def _show_result(self, result: ListCheck) -> None:
        self.result_ = result
        self.summary.setText(result.summary())
        self.model.set_rows(result.problems)
        self.save_button.setEnabled(bool(result.problems))
        self._update_buttons()

    def _failed(self, exc: BaseException) -> None:
        self._clear_result()
        self.summary.setText(str(exc))
        self._update_buttons()

    def _clear_result(self) -> None:
        self.result_ = None
        self.model.set_rows([])
        self.save_button.setEnabled(False)

    def choose_save_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save entries to review"), "基药目录核对.csv", self.tr("CSV files (*.csv)")
        )
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> None:
        from pharmacy_app.essential_check import save_problems

        result = self.result_
        if result is None:
            return
        self.worker.op(lambda _ctx: save_problems(result, path)).success(
            lambda _none: self.summary.setText(
                result.summary() + "\n" + self.tr("Saved to {0}").format(str(path))
            )
        ).failure(self._failed).parent(self).run()
