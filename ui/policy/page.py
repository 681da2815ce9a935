"""政策参数: policy profiles and the salt-name mappings used by ED-2 matching.

A stored profile version is never edited in place (pharmacy_app.policy):
the table edits a draft, `validate_params` checks it as it is typed, and
"Save as new version" stores it with `save_profile`. Everything that touches
the database runs on the worker; `pharmacy_app.policy` is imported there
first (it pulls in the database layer), so the page never imports it at
startup.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.essential.models import RowColumn, RowTableModel
from ui.i18n import N_
from ui.page_parts import WatchingPage, page_layout, title_label
from ui.tables import make_table_view
from ui.worker import DbWorker, OpContext

if TYPE_CHECKING:
    from pharmacy_app.essential_match import MappingSuggestion, NameMapping
    from pharmacy_app.policy import ParamDef, PolicyProfile

AnyIndex = QModelIndex | QPersistentModelIndex
ERROR_COLOUR = QColor("#fde7e7")
CHANGED_COLOUR = QColor("#fff4d6")

KIND_NAMES = {
    "share": N_("share (0–1)"),
    "int": N_("whole number"),
    "number": N_("number"),
    "hours": N_("hours"),
    "days": N_("days"),
    "workdays": N_("working days"),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("PolicyPage", text)


@dataclass(frozen=True)
class PolicyState:
    """What the worker loads for the page."""

    params: tuple[ParamDef, ...]
    profiles: list[PolicyProfile]
    active: PolicyProfile
    mappings: list[NameMapping]
    suggestions: list[MappingSuggestion]


def load_policy_state(conn: sqlite3.Connection) -> PolicyState:
    from pharmacy_app.essential_match import list_mappings, suggest_salt_mappings
    from pharmacy_app.policy import PARAMS, active_profile, list_profiles

    return PolicyState(
        PARAMS,
        list_profiles(conn),
        active_profile(conn),
        list_mappings(conn),
        suggest_salt_mappings(conn),
    )


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def parse_value(text: str) -> Any:
    """A number when the text is one; otherwise the text (validation reports it)."""
    text = text.strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number


class ParamsModel(QAbstractTableModel):
    """Every parameter of RULES.md: label, rule ID, value (editable), default."""

    edited = Signal()

    COLUMNS = (
        N_("Parameter"),
        N_("Rule"),
        N_("Current value"),
        N_("Default"),
        N_("Unit"),
        N_("Note"),
    )
    VALUE = 2

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._defs: tuple[ParamDef, ...] = ()
        self._values: dict[str, Any] = {}
        self._stored: dict[str, Any] = {}
        self._errors: dict[str, str] = {}

    def set_profile(self, defs: tuple[ParamDef, ...], profile: PolicyProfile) -> None:
        self.beginResetModel()
        self._defs = defs
        self._values = {d.key: profile[d.key] for d in defs}
        self._stored = dict(self._values)
        self._errors = {}
        self.endResetModel()

    def values(self) -> dict[str, Any]:
        return dict(self._values)

    def changed(self) -> bool:
        return self._values != self._stored

    def key_at(self, row: int) -> str:
        return self._defs[row].key

    def row_of(self, key: str) -> int:
        return next(i for i, d in enumerate(self._defs) if d.key == key)

    def set_errors(self, errors: dict[str, str]) -> None:
        self._errors = errors
        if self._defs:
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(len(self._defs) - 1, len(self.COLUMNS) - 1),
                [Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ToolTipRole],
            )

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._defs)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if not (0 <= row < len(self._defs) and 0 <= col < len(self.COLUMNS)):
            return None
        d = self._defs[row]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if col == 0:
                return d.label
            if col == 1:
                return d.rule
            if col == 2:
                return format_value(self._values.get(d.key, d.default))
            if col == 3:
                return format_value(d.default)
            if col == 4:
                return _tr(KIND_NAMES.get(d.kind, d.kind))
            return d.note
        if role == Qt.ItemDataRole.ToolTipRole:
            if d.key in self._errors:
                return self._errors[d.key]
            return d.key if col == 0 else (d.note or None)
        if role == Qt.ItemDataRole.BackgroundRole and col == self.VALUE:
            if d.key in self._errors:
                return QBrush(ERROR_COLOUR)
            if self._values.get(d.key) != self._stored.get(d.key):
                return QBrush(CHANGED_COLOUR)
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (2, 3):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() != self.VALUE:
            return False
        if not 0 <= index.row() < len(self._defs):
            return False
        key = self._defs[index.row()].key
        self._values[key] = parse_value(str(value))
        self.dataChanged.emit(index, index)
        self.edited.emit()
        return True

    def headerData(  # noqa: N802
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _tr(self.COLUMNS[section])
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.VALUE:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags


MAPPING_COLUMNS: list[RowColumn[NameMapping]] = [
    RowColumn(N_("Catalogue name"), lambda m: m.catalogue_name),
    RowColumn(N_("List name"), lambda m: m.list_name),
    RowColumn(N_("Note"), lambda m: m.note, tooltip=True),
]

SUGGESTION_COLUMNS: list[RowColumn[MappingSuggestion]] = [
    RowColumn(N_("Catalogue name"), lambda m: m.catalogue_name),
    RowColumn(N_("List name"), lambda m: m.list_name),
    RowColumn(N_("Why suggested"), lambda m: m.reason, tooltip=True),
]




class PolicyPage(WatchingPage):
    """Choose, edit (as a new version), export and import policy profiles;
    review the salt-name mappings ED-2 matching uses."""

    watched = ("policy_profiles", "name_mappings", "app_settings", "products")

    loaded_state = Signal()
    message_shown = Signal(str)

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(worker, parent)
        self.state: PolicyState | None = None
        self._shown_profile: str | None = None
        self._file_dialog: QFileDialog | None = None
        self._build()

    # -- layout ------------------------------------------------------------------

    def _build(self) -> None:
        outer = page_layout(self)
        top = QHBoxLayout()
        top.addWidget(title_label(self.tr("Policy parameters")))
        self.active_label = QLabel()
        self.active_label.setObjectName("activeProfile")
        top.addWidget(self.active_label)
        top.addStretch(1)
        outer.addLayout(top)

        splitter = QSplitter(Qt.Orientation.Vertical)
        profile_box = QGroupBox(self.tr("Policy profile"))
        pl = QVBoxLayout(profile_box)
        choose = QHBoxLayout()
        choose.addWidget(QLabel(self.tr("Profile")))
        self.profile_combo = QComboBox()
        self.profile_combo.setObjectName("profileCombo")
        self.profile_combo.setMinimumWidth(280)
        self.profile_combo.currentIndexChanged.connect(self._profile_chosen)
        choose.addWidget(self.profile_combo)
        self.activate_button = QPushButton(self.tr("Use this profile"))
        self.activate_button.clicked.connect(self.activate_selected)
        choose.addWidget(self.activate_button)
        choose.addStretch(1)
        self.import_button = QPushButton(self.tr("Import profile…"))
        self.import_button.clicked.connect(self.choose_import_file)
        self.export_button = QPushButton(self.tr("Export profile…"))
        self.export_button.clicked.connect(self.choose_export_file)
        choose.addWidget(self.import_button)
        choose.addWidget(self.export_button)
        pl.addLayout(choose)

        self.params_model = ParamsModel(self)
        self.params_model.edited.connect(self.validate)
        self.params_view = make_table_view(self.params_model, "paramsTable", editable=True)
        self.params_view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        pl.addWidget(self.params_view, 1)

        hint = QLabel(
            self.tr(
                "Double-click a value to change it. A stored version is never changed: "
                "saving makes a new version, so earlier results stay explainable."
            )
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555;")
        pl.addWidget(hint)
        self.validation_label = QLabel()
        self.validation_label.setObjectName("validationLabel")
        self.validation_label.setWordWrap(True)
        pl.addWidget(self.validation_label)

        save_row = QHBoxLayout()
        self.id_edit = QLineEdit()
        self.id_edit.setObjectName("profileId")
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("profileName")
        self.region_edit = QLineEdit()
        self.region_edit.setObjectName("profileRegion")
        save_row.addWidget(QLabel(self.tr("Profile ID")))
        save_row.addWidget(self.id_edit)
        save_row.addWidget(QLabel(self.tr("Name")))
        save_row.addWidget(self.name_edit, 1)
        save_row.addWidget(QLabel(self.tr("Region")))
        save_row.addWidget(self.region_edit)
        self.save_button = QPushButton(self.tr("Save as new version"))
        self.save_button.clicked.connect(self.save_new_version)
        save_row.addWidget(self.save_button)
        pl.addLayout(save_row)
        self.message = QLabel()
        self.message.setObjectName("policyMessage")
        self.message.setWordWrap(True)
        pl.addWidget(self.message)
        splitter.addWidget(profile_box)

        mapping_box = QGroupBox(self.tr("Salt-name mappings for list matching (ED-2)"))
        ml = QHBoxLayout(mapping_box)
        confirmed = QVBoxLayout()
        confirmed.addWidget(QLabel(self.tr("Confirmed mappings")))
        self.mappings_model: RowTableModel[NameMapping] = RowTableModel(
            MAPPING_COLUMNS, parent=self
        )
        self.mappings_view = make_table_view(self.mappings_model, "mappingsTable")
        self.mappings_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        confirmed.addWidget(self.mappings_view, 1)
        self.remove_button = QPushButton(self.tr("Remove mapping"))
        self.remove_button.clicked.connect(self.remove_selected_mapping)
        confirmed.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignLeft)
        ml.addLayout(confirmed, 1)
        suggested = QVBoxLayout()
        suggested.addWidget(QLabel(self.tr("Suggestions (not used until confirmed)")))
        self.suggestions_model: RowTableModel[MappingSuggestion] = RowTableModel(
            SUGGESTION_COLUMNS, parent=self
        )
        self.suggestions_view = make_table_view(self.suggestions_model, "suggestionsTable")
        self.suggestions_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        suggested.addWidget(self.suggestions_view, 1)
        self.confirm_button = QPushButton(self.tr("Confirm mapping"))
        self.confirm_button.clicked.connect(self.confirm_selected_suggestion)
        suggested.addWidget(self.confirm_button, 0, Qt.AlignmentFlag.AlignLeft)
        ml.addLayout(suggested, 1)
        splitter.addWidget(mapping_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        outer.addWidget(splitter, 1)

    # -- loading -----------------------------------------------------------------

    def load(self) -> None:
        if not self._start_load():
            return
        self.worker.op(lambda ctx: load_policy_state(ctx.conn)).success(self._loaded).failure(
            self._failed
        ).parent(self).run()

    def _loaded(self, state: PolicyState) -> None:
        if not self._load_finished():
            return
        self.state = state
        self.active_label.setText(
            self.tr("Active profile: {0} ({1})").format(state.active.name, state.active.label)
        )
        wanted = self._shown_profile or state.active.profile_id
        self.profile_combo.blockSignals(True)
        self.profile_combo.clear()
        for p in state.profiles:
            self.profile_combo.addItem(self.tr("{0} ({1})").format(p.name, p.label), p.profile_id)
        index = self.profile_combo.findData(wanted)
        self.profile_combo.setCurrentIndex(max(index, 0))
        self.profile_combo.blockSignals(False)
        self._profile_chosen()
        self.mappings_model.set_rows(state.mappings)
        self.suggestions_model.set_rows(state.suggestions)
        for view in (self.mappings_view, self.suggestions_view):
            view.resizeColumnsToContents()
        self.loaded_state.emit()

    # -- profiles ----------------------------------------------------------------

    def selected_profile(self) -> PolicyProfile | None:
        if self.state is None:
            return None
        profile_id = self.profile_combo.currentData()
        return next((p for p in self.state.profiles if p.profile_id == profile_id), None)

    def _profile_chosen(self) -> None:
        profile = self.selected_profile()
        if profile is None or self.state is None:
            return
        self._shown_profile = profile.profile_id
        self.params_model.set_profile(self.state.params, profile)
        header = self.params_view.horizontalHeader()
        self.params_view.resizeColumnsToContents()
        header.resizeSection(0, min(header.sectionSize(0) + 12, 380))
        for column in (1, ParamsModel.VALUE, 3, 4):
            header.resizeSection(column, max(header.sectionSize(column) + 16, 72))
        builtin = profile.profile_id == "national"
        self.id_edit.setText("" if builtin else profile.profile_id)
        self.name_edit.setText("" if builtin else profile.name)
        self.region_edit.setText("" if builtin else profile.region)
        self.id_edit.setPlaceholderText(self.tr("e.g. hainan"))
        self.name_edit.setPlaceholderText(self.tr("e.g. 海南省基层考核口径"))
        is_active = self.state.active.profile_id == profile.profile_id
        self.activate_button.setEnabled(not is_active)
        self.validate()

    def validate(self) -> bool:
        """Check the draft with validate_params; mark the rows it names."""
        from pharmacy_app.policy import ProfileError, validate_params

        values = self.params_model.values()
        try:
            validate_params(values)
        except ProfileError as exc:
            text = str(exc)
            errors = {
                key: part for part in text.split("；") for key in values if f"（{key}）" in part
            }
            self.params_model.set_errors(errors)
            self.validation_label.setText(text)
            self.validation_label.setStyleSheet("color: #b3261e;")
            self.save_button.setEnabled(False)
            return False
        self.params_model.set_errors({})
        if self.params_model.changed():
            self.validation_label.setText(
                self.tr("Changed values are valid; save them as a new version to use them.")
            )
        else:
            self.validation_label.setText("")
        self.validation_label.setStyleSheet("color: #2e7d32;")
        self.save_button.setEnabled(True)
        return True

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #b3261e;" if error else "color: #2e7d32;")
        self.message_shown.emit(text)

    def _profile_failed(self, exc: BaseException) -> None:
        from pharmacy_app.policy import ProfileError

        if isinstance(exc, ProfileError | OSError | ValueError):
            self._say(str(exc), error=True)
            return
        from ui.errors import show_error

        show_error(exc, self.window())

    def save_new_version(self) -> None:
        if not self.validate():
            return
        profile_id, name, region = (
            self.id_edit.text(),
            self.name_edit.text(),
            self.region_edit.text(),
        )
        values = self.params_model.values()

        def work(ctx: OpContext) -> PolicyProfile:
            from pharmacy_app.policy import save_profile

            return save_profile(ctx.conn, profile_id, name, region, values)

        def saved(profile: PolicyProfile) -> None:
            self._shown_profile = profile.profile_id
            self._say(self.tr("Saved as {0}.").format(profile.label))
            self.load()

        self.worker.op(work).success(saved).failure(self._profile_failed).parent(self).run()

    def activate_selected(self) -> None:
        profile = self.selected_profile()
        if profile is None:
            return
        profile_id = profile.profile_id

        def work(ctx: OpContext) -> None:
            from pharmacy_app.policy import set_active_profile

            set_active_profile(ctx.conn, profile_id)

        self.worker.op(work).success(
            lambda _none: self._say(self.tr("{0} is now the active profile.").format(profile.label))
        ).failure(self._profile_failed).changes("app_settings").parent(self).run()

    def _file_dialog_for(self, save: bool) -> QFileDialog:
        dialog = QFileDialog(self.window())
        dialog.setNameFilter(self.tr("Policy profile (*.json)"))
        dialog.setDefaultSuffix("json")
        if save:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setWindowTitle(self.tr("Export profile"))
        else:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
            dialog.setWindowTitle(self.tr("Import profile"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self._file_dialog = dialog
        return dialog

    def choose_export_file(self) -> None:
        profile = self.selected_profile()
        if profile is None:
            return
        dialog = self._file_dialog_for(save=True)
        dialog.selectFile(f"{profile.profile_id}-v{profile.version}.json")
        dialog.fileSelected.connect(self.export_to)
        dialog.open()

    def choose_import_file(self) -> None:
        dialog = self._file_dialog_for(save=False)
        dialog.fileSelected.connect(self.import_from)
        dialog.open()

    def export_to(self, path: str | Path) -> None:
        profile = self.selected_profile()
        if profile is None:
            return
        target = Path(path)

        def work(ctx: OpContext) -> None:
            from pharmacy_app.policy import export_profile

            export_profile(profile, target)

        self.worker.op(work).success(
            lambda _none: self._say(self.tr("Exported {0} to {1}.").format(profile.label, target))
        ).failure(self._profile_failed).parent(self).run()

    def import_from(self, path: str | Path) -> None:
        source = Path(path)

        def work(ctx: OpContext) -> PolicyProfile:
            from pharmacy_app.policy import import_profile

            return import_profile(ctx.conn, source)

        def imported(profile: PolicyProfile) -> None:
            self._shown_profile = profile.profile_id
            self._say(self.tr("Imported as {0}.").format(profile.label))
            self.load()

        self.worker.op(work).success(imported).failure(self._profile_failed).parent(self).run()

    # -- mappings ----------------------------------------------------------------

    def _selected_row(self, view: QTableView) -> int | None:
        rows = view.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def confirm_selected_suggestion(self) -> None:
        row = self._selected_row(self.suggestions_view)
        if row is not None:
            self.confirm_suggestion(row)

    def confirm_suggestion(self, row: int) -> None:
        suggestion = self.suggestions_model.row_at(row)

        def work(ctx: OpContext) -> None:
            from pharmacy_app.essential_match import confirm_mapping

            confirm_mapping(ctx.conn, suggestion.catalogue_name, suggestion.list_name)

        self.worker.op(work).success(lambda _none: self.load()).changes("name_mappings").parent(
            self
        ).run()

    def remove_selected_mapping(self) -> None:
        row = self._selected_row(self.mappings_view)
        if row is not None:
            self.remove_mapping(row)

    def remove_mapping(self, row: int) -> None:
        mapping = self.mappings_model.row_at(row)

        def work(ctx: OpContext) -> None:
            from pharmacy_app.essential_match import remove_mapping

            remove_mapping(ctx.conn, mapping.catalogue_name)

        self.worker.op(work).success(lambda _none: self.load()).changes("name_mappings").parent(
            self
        ).run()
