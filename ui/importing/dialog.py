"""Importing an Excel/CSV file: choose, check the header mapping, run, review.

Three steps on one dialog:

1. Choose the kind of data and the file. The importer previews it on the
   worker (encoding, header row, detected mapping, sample rows); each field
   shows the file header it maps to in an editable combo box, and required
   fields with no header are highlighted — Import stays disabled until every
   required field is mapped.
2. The import runs on the worker with a progress bar and Cancel.
3. Success: a summary. Rejection (FORMATS.md: an import is atomic, nothing
   was written): every bad row with its column, value and reason, and
   "Save rejected rows…" to fix them in Excel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui import settings
from ui.i18n import N_, tr
from ui.worker import DbWorker, OpContext, Progress

AnyIndex = QModelIndex | QPersistentModelIndex

MISSING_COLOUR = QColor(253, 226, 226)
ERROR_STYLE = "color: #b3261e;"
OK_STYLE = "color: #1e6b35;"
FILE_FILTER = "Excel / CSV (*.xlsx *.xls *.csv)"

# Page numbers of the dialog's stack.
CHOOSE, RUNNING, RESULT = range(3)


def kind_title(kind: str) -> str:
    """The user's name for an import kind (FORMATS.md section titles)."""
    titles = {
        "catalogue": tr("Procurement catalogue"),
        "essential-list": tr("Essential medicines list"),
        "agreements": tr("Agreed volumes"),
        "purchases": tr("Purchase lines"),
        "payments": tr("Payments"),
    }
    return titles.get(kind, kind)


class RowErrorModel(QAbstractTableModel):
    """Rejected rows as a table: row, column, value, reason.

    A model, not a QTableWidget, because a bad export can reject tens of
    thousands of rows.
    """

    HEADERS = (N_("Row"), N_("Column"), N_("Value"), N_("Reason"))

    def __init__(self, errors: list[Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._errors = errors

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._errors)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._errors):
            return None
        error = self._errors[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            values = (error.row, error.column, error.value, error.message)
            value = values[index.column()] if 0 <= index.column() < 4 else None
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.HEADERS)
        ):
            return tr(self.HEADERS[section])
        return None


class ImportDialog(QDialog):
    """File → Import…: preview, map, import, review."""

    imported = Signal(object)  # the ImportResult of a committed import

    def __init__(
        self, worker: DbWorker, parent: QWidget | None = None, *, kind: str | None = None
    ) -> None:
        super().__init__(parent)
        from pharmacy_app.importers import KINDS

        self.worker = worker
        self.preview: Any = None
        self.result: Any = None
        self.mapping_combos: dict[str, QComboBox] = {}
        self._op: Any = None
        self._previewing = False
        self.setWindowTitle(self.tr("Import data"))
        self.resize(920, 640)
        self._build(list(KINDS))
        if kind is not None:
            self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(kind)))

    # -- layout ------------------------------------------------------------------

    def _build(self, kinds: list[str]) -> None:
        outer = QVBoxLayout(self)

        top = QGridLayout()
        top.addWidget(QLabel(self.tr("Data")), 0, 0)
        self.kind_combo = QComboBox()
        for kind in kinds:
            self.kind_combo.addItem(kind_title(kind), kind)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        top.addWidget(self.kind_combo, 0, 1)
        top.addWidget(QLabel(self.tr("File")), 1, 0)
        self.file_edit = QLineEdit()
        self.file_edit.setReadOnly(True)
        self.file_edit.setPlaceholderText(self.tr("Choose an Excel or CSV file"))
        top.addWidget(self.file_edit, 1, 1)
        self.browse_button = QPushButton(self.tr("Choose file…"))
        self.browse_button.clicked.connect(self.choose_file)
        top.addWidget(self.browse_button, 1, 2)
        top.setColumnStretch(1, 1)
        outer.addLayout(top)
        outer.addWidget(self._build_list_options())

        self.stack = QStackedWidget()
        self.stack.addWidget(self._build_choose_page())
        self.stack.addWidget(self._build_running_page())
        self.stack.addWidget(self._build_result_page())
        outer.addWidget(self.stack, 1)

        buttons = QHBoxLayout()
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons.addWidget(self.message, 1)
        self.back_button = QPushButton(self.tr("Back"))
        self.back_button.clicked.connect(self.back_to_mapping)
        self.import_button = QPushButton(self.tr("Import"))
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.start_import)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancel_import)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.clicked.connect(self.reject)
        for button in (self.back_button, self.import_button, self.cancel_button, self.close_button):
            buttons.addWidget(button)
        outer.addLayout(buttons)
        self.list_options.setVisible(self.kind == "essential-list")
        self._show_page(CHOOSE)

    def _build_list_options(self) -> QWidget:
        """An essential-medicines list's date in force, name and edition (ED-2).

        The list in force on a day is the latest list effective by then: a list
        dated today would leave every earlier day without it.
        """
        box = QGroupBox(self.tr("Essential-medicines list"))
        box.setObjectName("listOptions")
        row = QHBoxLayout(box)
        row.addWidget(QLabel(self.tr("In force from")))
        self.effective_edit = QDateEdit(QDate.currentDate())
        self.effective_edit.setCalendarPopup(True)
        self.effective_edit.setDisplayFormat("yyyy-MM-dd")
        row.addWidget(self.effective_edit)
        row.addWidget(QLabel(self.tr("Name")))
        self.list_name_edit = QLineEdit()
        self.list_name_edit.setPlaceholderText(self.tr("the file's name"))
        row.addWidget(self.list_name_edit, 2)
        row.addWidget(QLabel(self.tr("Edition")))
        self.edition_edit = QLineEdit()
        self.edition_edit.setPlaceholderText("2026")
        row.addWidget(self.edition_edit, 1)
        box.setVisible(False)
        self.list_options = box
        return box

    def import_options(self) -> dict[str, object]:
        """What run_import needs besides the file (the list's date, name and edition)."""
        if self.kind != "essential-list":
            return {}
        return {
            "effective_from": self.effective_edit.date().toPython(),
            "name": self.list_name_edit.text().strip(),
            "edition": self.edition_edit.text().strip(),
        }

    def _build_choose_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.file_info = QLabel()
        self.file_info.setWordWrap(True)
        layout.addWidget(self.file_info)
        splitter = QSplitter(Qt.Orientation.Vertical)

        mapping_box = QGroupBox(self.tr("Columns: which header of the file holds each field"))
        mapping_layout = QVBoxLayout(mapping_box)
        self.mapping_table = QTableWidget(0, 3)
        self.mapping_table.setHorizontalHeaderLabels(
            [self.tr("Field"), self.tr("Header in the file"), self.tr("Note")]
        )
        self.mapping_table.verticalHeader().setVisible(False)
        self.mapping_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.mapping_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.mapping_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 260)
        header.setStretchLastSection(True)
        mapping_layout.addWidget(self.mapping_table)
        splitter.addWidget(mapping_box)

        sample_box = QGroupBox(self.tr("First rows of the file"))
        sample_layout = QVBoxLayout(sample_box)
        self.sample_table = QTableWidget(0, 0)
        self.sample_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.sample_table.setWordWrap(False)
        sample_layout.addWidget(self.sample_table)
        splitter.addWidget(sample_box)
        splitter.setSizes([330, 220])
        layout.addWidget(splitter, 1)
        return page

    def _build_running_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        self.progress_label = QLabel(self.tr("Importing…"))
        self.progress_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.progress_label)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 0)
        layout.addWidget(self.progress_bar)
        layout.addStretch(2)
        return page

    def _build_result_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result_label)
        self.rejected_view = QTableView()
        self.rejected_view.setAlternatingRowColors(True)
        self.rejected_view.setWordWrap(False)
        self.rejected_view.verticalHeader().setVisible(False)
        self.rejected_view.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.rejected_view, 1)
        row = QHBoxLayout()
        self.save_rejected_button = QPushButton(self.tr("Save rejected rows…"))
        self.save_rejected_button.clicked.connect(self.choose_rejected_file)
        row.addWidget(self.save_rejected_button)
        row.addStretch(1)
        layout.addLayout(row)
        return page

    def _show_page(self, page: int) -> None:
        self.stack.setCurrentIndex(page)
        rejected = page == RESULT and self.result is not None and not self.result.committed
        self.back_button.setVisible(page == RESULT and rejected)
        self.import_button.setVisible(page == CHOOSE)
        self.cancel_button.setVisible(page == RUNNING)
        self.close_button.setVisible(page != RUNNING)
        self.kind_combo.setEnabled(page == CHOOSE)
        self.browse_button.setEnabled(page == CHOOSE)
        self.list_options.setEnabled(page == CHOOSE)
        self._update_import_button()

    # -- choosing ------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return str(self.kind_combo.currentData())

    def choose_file(self) -> None:
        """A non-blocking file dialog (open(), not exec()) starting where the user was."""
        start = str(settings.open_settings().value("import/last_dir", "") or "")
        dialog = QFileDialog(self, self.tr("Choose a file to import"), start, FILE_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.set_file)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()

    def set_file(self, path: str | Path) -> None:
        path = Path(path)
        self.file_edit.setText(str(path))
        store = settings.open_settings()
        store.setValue("import/last_dir", str(path.parent))
        self.load_preview()

    @property
    def path(self) -> Path | None:
        text = self.file_edit.text()
        return Path(text) if text else None

    def _kind_changed(self) -> None:
        self.list_options.setVisible(self.kind == "essential-list")
        if self.path is not None:
            self.load_preview()

    def load_preview(self, mapping: dict[str, str] | None = None) -> None:
        """Read the file's header and first rows on the worker."""
        path, kind = self.path, self.kind
        if path is None:
            return
        self._previewing = True
        self.preview = None
        self._set_message(self.tr("Reading the file…"))
        self._update_import_button()

        def work(ctx: OpContext) -> Any:
            from pharmacy_app.importers import preview

            return preview(kind, path, mapping=mapping)

        self.worker.op(work).success(self._show_preview).failure(self._preview_failed).parent(
            self
        ).run()

    def _preview_failed(self, exc: BaseException) -> None:
        self._previewing = False
        self.preview = None
        self.mapping_table.setRowCount(0)
        self.sample_table.clear()
        self.sample_table.setRowCount(0)
        self.sample_table.setColumnCount(0)
        self.file_info.clear()
        self._report_failure(exc)
        self._update_import_button()

    def _show_preview(self, preview: Any) -> None:
        self._previewing = False
        self.preview = preview
        self._set_message("")
        details = [self.tr("Encoding: {0}").format(preview.encoding)] if preview.encoding else []
        if preview.sheet:
            details.append(self.tr("Sheet: {0}").format(preview.sheet))
        details.append(self.tr("Header on row {0}").format(preview.header_row))
        if preview.unmapped_headers:
            details.append(self.tr("Not imported: {0}").format("、".join(preview.unmapped_headers)))
        self.file_info.setText("    ".join(details))
        self._fill_mapping(preview)
        self._fill_samples(preview)
        self._update_import_button()

    def _fill_mapping(self, preview: Any) -> None:
        self.mapping_combos.clear()
        fields = list(preview.field_labels)
        required = set(preview.required_fields)
        self.mapping_table.setRowCount(len(fields))
        for row, field in enumerate(fields):
            label = preview.field_labels[field]
            item = QTableWidgetItem(f"{label} *" if field in required else label)
            item.setData(Qt.ItemDataRole.UserRole, field)
            item.setToolTip(field)
            self.mapping_table.setItem(row, 0, item)
            combo = QComboBox()
            combo.setObjectName(f"map_{field}")
            combo.addItem(self.tr("(not in the file)"), "")
            for header in preview.headers:
                combo.addItem(header, header)
            combo.setCurrentIndex(max(0, combo.findData(preview.mapping.get(field, ""))))
            combo.currentIndexChanged.connect(self._mapping_edited)
            self.mapping_combos[field] = combo
            self.mapping_table.setCellWidget(row, 1, combo)
            self.mapping_table.setItem(row, 2, QTableWidgetItem())
        self._mark_missing()

    def _fill_samples(self, preview: Any) -> None:
        headers = list(preview.headers)
        mapped = {header: field for field, header in self.current_mapping().items()}
        self.sample_table.clear()
        self.sample_table.setColumnCount(len(headers))
        labels = []
        for header in headers:
            field = mapped.get(header)
            labels.append(f"{header}\n→ {preview.field_labels[field]}" if field else header)
        self.sample_table.setHorizontalHeaderLabels(labels)
        self.sample_table.setRowCount(len(preview.sample_rows))
        for r, values in enumerate(preview.sample_rows):
            for c, value in enumerate(values[: len(headers)]):
                self.sample_table.setItem(r, c, QTableWidgetItem(str(value)))
        self.sample_table.resizeColumnsToContents()
        for c in range(len(headers)):
            if self.sample_table.columnWidth(c) > 220:
                self.sample_table.setColumnWidth(c, 220)

    def current_mapping(self) -> dict[str, str]:
        """field → file header, as the combo boxes now say."""
        return {f: str(c.currentData()) for f, c in self.mapping_combos.items() if c.currentData()}

    def mapping_override(self) -> dict[str, str | None]:
        """What the importer gets: every field the user left at "(not in the
        file)" is passed as None, because an omitted field is auto-detected."""
        return {f: (str(c.currentData()) or None) for f, c in self.mapping_combos.items()}

    def missing_required(self) -> list[str]:
        if self.preview is None:
            return []
        mapping = self.current_mapping()
        return [f for f in self.preview.required_fields if f not in mapping]

    def _mapping_edited(self) -> None:
        self._mark_missing()
        if self.preview is not None:
            self._fill_samples(self.preview)
        self._update_import_button()

    def _mark_missing(self) -> None:
        """Highlight the required fields no header maps to."""
        missing = set(self.missing_required())
        used: dict[str, list[str]] = {}
        for field, header in self.current_mapping().items():
            used.setdefault(header, []).append(field)
        for row in range(self.mapping_table.rowCount()):
            name_item = self.mapping_table.item(row, 0)
            note_item = self.mapping_table.item(row, 2)
            field = str(name_item.data(Qt.ItemDataRole.UserRole))
            header = self.current_mapping().get(field)
            brush = QBrush(MISSING_COLOUR) if field in missing else QBrush()
            for item in (name_item, note_item):
                item.setBackground(brush)
            if field in missing:
                note_item.setText(self.tr("Required: choose the header that holds it"))
                note_item.setForeground(QBrush(QColor("#b3261e")))
            elif header and len(used.get(header, [])) > 1:
                note_item.setText(self.tr("This header is used for more than one field"))
                note_item.setForeground(QBrush(QColor("#8a5a00")))
            else:
                note_item.setText("")

    def _update_import_button(self) -> None:
        ready = (
            self.preview is not None
            and not self._previewing
            and not self.missing_required()
            and self.stack.currentIndex() == CHOOSE
        )
        self.import_button.setEnabled(ready)
        if self.preview is not None and self.missing_required():
            names = [self.preview.field_labels.get(f, f) for f in self.missing_required()]
            self._set_message(
                self.tr("Required fields not found in the file: {0}").format("、".join(names)),
                error=True,
            )

    # -- running -------------------------------------------------------------------

    def start_import(self) -> None:
        if self.preview is None or self.missing_required() or self.path is None:
            return
        path, kind, mapping = self.path, self.kind, self.mapping_override()
        options = self.import_options()
        self.result = None
        self.progress_bar.setRange(0, 0)
        self.progress_label.setText(self.tr("Importing {0}…").format(path.name))
        self._set_message("")
        self._show_page(RUNNING)
        self.cancel_button.setEnabled(True)

        updating = self.tr("Updating the figures…")

        def work(ctx: OpContext) -> Any:
            from pharmacy_app.importers import run_import
            from pharmacy_app.purchase_summary import refresh_after_import

            result = run_import(
                ctx.conn,
                kind,
                path,
                mapping=mapping,  # type: ignore[arg-type] - None unmaps (spec.apply_overrides)
                progress=ctx.progress,
                cancel=ctx.cancelled,
                options=options,
            )
            if not result.errors:
                # The import is committed; the summaries follow in their own
                # transaction (pharmacy_app/purchase_summary.py).
                ctx.progress(0, 0, updating)
                refresh_after_import(ctx.conn, kind)
            return result

        self._op = (
            self.worker.op(work)
            .on_progress(self._progress)
            .success(self._finished)
            .failure(self._import_failed)
            .cancelled(self._cancelled)
            .parent(self)
            .run()
        )

    def _progress(self, progress: Progress) -> None:
        if progress.total > 0:
            self.progress_bar.setRange(0, progress.total)
            self.progress_bar.setValue(min(progress.done, progress.total))
            self.progress_label.setText(
                self.tr("Importing: row {0} of {1}").format(progress.done, progress.total)
            )
        elif progress.label:
            # After the rows: the figures' summaries are brought up to date
            # (the import itself is committed and can no longer be cancelled).
            self.progress_bar.setRange(0, 0)
            self.progress_label.setText(progress.label)
            self.cancel_button.setEnabled(False)

    def cancel_import(self) -> None:
        if self._op is not None:
            self._op.cancel()
            self.cancel_button.setEnabled(False)
            self.progress_label.setText(self.tr("Cancelling…"))

    def _cancelled(self) -> None:
        self._op = None
        self._show_page(CHOOSE)
        self._set_message(self.tr("Import cancelled; nothing was written."), error=True)

    def _import_failed(self, exc: BaseException) -> None:
        self._op = None
        self._show_page(CHOOSE)
        self._report_failure(exc)

    def _finished(self, result: Any) -> None:
        self._op = None
        self.result = result
        if result.committed:
            self.result_label.setStyleSheet(OK_STYLE)
            text = self.tr("Imported {0} rows: {1} new, {2} updated, {3} unchanged.").format(
                result.rows_total, result.inserted, result.updated, result.unchanged
            )
            if result.skipped:
                text += " " + self.tr("Skipped {0} totals or notes rows (row {1}).").format(
                    len(result.skipped), ", ".join(str(row) for row, _text in result.skipped[:5])
                )
            for warning in result.warnings:  # the domain's own words (Chinese)
                text += " " + warning
            self.result_label.setText(text)
            self.rejected_view.hide()
            self.save_rejected_button.hide()
            self.imported.emit(result)
        else:
            self.result_label.setStyleSheet(ERROR_STYLE)
            text = self.tr(
                "{0} of {1} rows have errors, so nothing was imported. Fix the rows below "
                "(or save them to a file, fix them there) and import again."
            ).format(result.rejected_count, result.rows_total)
            if result.errors_omitted:
                text += " " + self.tr("Only the first {0} errors are listed.").format(
                    len(result.errors)
                )
            self.result_label.setText(text)
            self.rejected_view.setModel(RowErrorModel(list(result.errors), self.rejected_view))
            header = self.rejected_view.horizontalHeader()
            for column, width in enumerate((60, 140, 200)):
                header.resizeSection(column, width)
            self.rejected_view.show()
            self.save_rejected_button.show()
        self._show_page(RESULT)
        self.close_button.setFocus()

    def back_to_mapping(self) -> None:
        self._show_page(CHOOSE)
        self._set_message("")
        self._update_import_button()

    # -- rejected rows -------------------------------------------------------------

    def choose_rejected_file(self) -> None:
        if self.result is None or self.path is None:
            return
        suggested = self.path.with_name(f"{self.path.stem}_{self.tr('rejected')}.xlsx")
        dialog = QFileDialog(self, self.tr("Save rejected rows"), str(suggested), FILE_FILTER)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("xlsx")
        dialog.fileSelected.connect(self.save_rejected_to)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()

    def save_rejected_to(self, path: str | Path) -> None:
        result, out = self.result, Path(path)

        def work(ctx: OpContext) -> Path:
            from pharmacy_app.importers import save_rejected

            save_rejected(result, out)
            return out

        self.worker.op(work).success(
            lambda saved: self._set_message(self.tr("Rejected rows saved to {0}").format(saved))
        ).failure(self._report_failure).parent(self).run()

    # -- messages ------------------------------------------------------------------

    def _report_failure(self, exc: BaseException) -> None:
        """The environment's faults inline, bugs in the crash dialog."""
        from ui.errors import environment_message, is_environment_error, show_error

        if is_environment_error(exc):
            self._set_message(environment_message(exc), error=True)
        else:
            self._set_message("")
            show_error(exc, self)

    def _set_message(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet(ERROR_STYLE if error else "")
        self.message.setText(text)

    def reject(self) -> None:
        """Closing while an import runs cancels it first (nothing is written)."""
        if self._op is not None:
            self.cancel_import()
            return
        super().reject()
