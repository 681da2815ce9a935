"""The essential-drug dashboard (RULES.md ED-1, ED-2, ED-4, ED-5).

Every figure comes from `pharmacy_app.indicators.essential.compute_essential`
— the same code path as `pharmacy-app indicators --json` — run on the
database worker. The page recomputes whenever an operation reports a change
to the catalogue, purchases, lists, mappings or policy (`data_changed`).

The what-if panel ticks non-essential 品规 to retire and inactive essential
products to activate, and asks `what_if` for the figures as they would be:
nothing is written.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.essential.charts import ShareGauge, TrendChart, percent
from ui.essential.columns import (
    ALL_ENTRY_COLUMNS,
    ALL_SPEC_COLUMNS,
    ENTRY_COLUMNS,
    PRODUCT_COLUMNS,
    SPEC_COLUMNS,
    STRUCTURE_COLUMNS,
    TREND_COLUMNS,
    money,
)
from ui.essential.models import RowColumn, RowTableModel
from ui.home.page import level_name
from ui.page_parts import AsOfPage, fit_columns, message_label, page_layout
from ui.tables import make_table_view
from ui.worker import DbWorker, OpContext

if TYPE_CHECKING:  # the domain pulls in sqlite-utils: imported on the worker only
    from pharmacy_app.indicators.essential import (
        CatalogueProduct,
        EntryRow,
        EssentialFigures,
        SpecRow,
    )
    from pharmacy_app.policy import PolicyProfile

# Tables whose change can move a figure.
WATCHED = (
    "products",
    "purchase_lines",
    "institutions",
    "essential_lists",
    "essential_list_entries",
    "name_mappings",
    "policy_profiles",
    "app_settings",
)

PAGE_STYLE = """
QFrame#figureCard {
    background: palette(base);
    border: 1px solid palette(mid);
    border-radius: 6px;
}
QFrame#figureCard:hover { border: 1px solid #2f6fb3; }
QLabel#figureValue { font-weight: bold; }
QLabel#figureCaption, QLabel#figureDetail { color: #555; }
QFrame#panel {
    background: palette(base);
    border: 1px solid palette(mid);
    border-radius: 6px;
}
QLabel#simulationNote {
    color: #8a5a00;
    background: #fff4d6;
    border: 1px solid #e8c66a;
    border-radius: 4px;
    padding: 3px 8px;
}
QLabel#pageMessage { color: #b3261e; }
"""


@dataclass(frozen=True)
class Loaded:
    """What the worker hands back: the figures and the profile behind them."""

    figures: EssentialFigures
    profile: PolicyProfile
    inactive_essential: list[CatalogueProduct]


def default_as_of(conn: sqlite3.Connection) -> dt.date:
    """The demo database's own 'today' when it has one, else today."""
    row = conn.execute("SELECT value FROM app_settings WHERE key='demo_as_of'").fetchone()
    if row is not None and row[0]:
        try:
            return dt.date.fromisoformat(str(row[0])[:10])
        except ValueError:
            pass
    return dt.date.today()


def load_figures(conn: sqlite3.Connection, as_of: dt.date | None) -> Loaded:
    """Runs on the worker: the one computation the CLI uses too."""
    from pharmacy_app.indicators import require_institution
    from pharmacy_app.indicators.essential import compute_essential
    from pharmacy_app.policy import active_profile

    institution = require_institution(conn)
    profile = active_profile(conn)
    figures = compute_essential(conn, institution, as_of or default_as_of(conn), profile)
    inactive = sorted(
        (p for p in figures.products if p.kind == "drug" and p.is_essential and not p.active),
        key=lambda p: (p.generic_name, p.dosage_form, p.specification, p.code),
    )
    return Loaded(figures, profile, inactive)


def share_float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)




class FigureCard(QFrame):
    """A clickable figure: caption, big value, detail line. Click = drill down."""

    clicked = Signal()

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("figureCard")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(2)
        self.caption = QLabel(caption)
        self.caption.setObjectName("figureCaption")
        self.value = QLabel("–")
        self.value.setObjectName("figureValue")
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.value.setFont(font)
        self.detail = QLabel()
        self.detail.setObjectName("figureDetail")
        for label in (self.caption, self.value, self.detail):
            layout.addWidget(label)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit()
            return
        super().keyPressEvent(event)

    def set_figure(self, value: str, detail: str) -> None:
        self.value.setText(value)
        self.detail.setText(detail)

    def mouseReleaseEvent(self, event: Any) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class RowsDialog(QDialog):
    """The rows behind a figure; double-clicking a 品规 opens its products."""

    def __init__(
        self,
        title: str,
        intro: str,
        model: RowTableModel[Any],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(900, 540)
        layout = QVBoxLayout(self)
        label = QLabel(intro)
        label.setWordWrap(True)
        layout.addWidget(label)
        self.model = model
        model.setParent(self)
        self.view = make_table_view(model, "drillTable")
        fit_columns(self.view, 260)
        layout.addWidget(self.view, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class EssentialPage(AsOfPage):
    """基本药物: shares against targets, the gap, the rows behind them, what-if."""

    watched = WATCHED

    figures_shown = Signal()
    simulation_shown = Signal()

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(worker, parent)
        self.loaded: Loaded | None = None
        self.simulated: EssentialFigures | None = None
        self._simulating = False
        self._simulate_again = False
        self._dialogs: list[QDialog] = []
        self.setStyleSheet(PAGE_STYLE)
        self._build()

    def open_list_check(self) -> None:
        """The official-PDF check of the stored lists (ui/essential/list_check.py)."""
        from ui.essential.list_check import ListCheckDialog

        dialog = ListCheckDialog(self.worker, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()

    # -- layout ------------------------------------------------------------------

    def _build(self) -> None:
        outer = page_layout(self, 10)

        top = self._add_header(outer, self.tr("Essential drugs")).layout
        self.profile_label.setObjectName("profileLabel")
        self.check_list_button = QPushButton(self.tr("Check list against PDF…"))
        self.check_list_button.setToolTip(
            self.tr("Compare the stored essential list with the official PDF, entry by entry")
        )
        self.check_list_button.clicked.connect(self.open_list_check)
        top.addWidget(self.check_list_button)

        self.message = message_label()
        outer.addWidget(self.message)

        upper = QHBoxLayout()
        upper.setSpacing(12)
        left = QVBoxLayout()
        left.setSpacing(10)
        cards = QGridLayout()
        cards.setSpacing(10)
        self.spec_card = FigureCard(self.tr("Essential 品规 share (ED-1)"))
        self.list_card = FigureCard(self.tr("List entries equipped (ED-2)"))
        self.amount_card = FigureCard(self.tr("Essential amount share (ED-4)"))
        self.spec_card.setToolTip(self.tr("Click to see the 品规 and their product codes"))
        self.list_card.setToolTip(self.tr("Click to see the list entries and what equips them"))
        self.amount_card.setToolTip(self.tr("Click to see the amounts per month"))
        self.spec_card.clicked.connect(self.show_spec_rows)
        self.list_card.clicked.connect(self.show_entry_rows)
        self.amount_card.clicked.connect(self.show_trend_rows)
        for i, card in enumerate((self.spec_card, self.list_card, self.amount_card)):
            cards.addWidget(card, 0, i)
            cards.setColumnStretch(i, 1)
        left.addLayout(cards)

        target_panel = QFrame()
        target_panel.setObjectName("panel")
        tp = QVBoxLayout(target_panel)
        tp.setContentsMargins(14, 10, 14, 10)
        tp.setSpacing(6)
        self.basis_label = QLabel()
        self.basis_label.setObjectName("basisLabel")
        self.basis_label.setWordWrap(True)
        tp.addWidget(self.basis_label)
        self.gauge = ShareGauge()
        tp.addWidget(self.gauge)
        self.gap_label = QLabel()
        self.gap_label.setObjectName("gapLabel")
        self.gap_label.setWordWrap(True)
        tp.addWidget(self.gap_label)

        sim_row = QHBoxLayout()
        self.simulation_note = QLabel(
            self.tr("This is a simulation; the catalogue was not changed")
        )
        self.simulation_note.setObjectName("simulationNote")
        sim_row.addWidget(self.simulation_note)
        self.simulation_label = QLabel()
        self.simulation_label.setObjectName("simulationLabel")
        self.simulation_label.setWordWrap(True)
        sim_row.addWidget(self.simulation_label, 1)
        tp.addLayout(sim_row)
        hint_row = QHBoxLayout()
        self.simulation_hint = QLabel(
            self.tr(
                "What-if: tick non-essential 品规 to retire or inactive essential products "
                "to activate below; the share is recomputed without changing the catalogue."
            )
        )
        self.simulation_hint.setWordWrap(True)
        self.simulation_hint.setObjectName("figureCaption")
        hint_row.addWidget(self.simulation_hint, 1)
        self.reset_button = QPushButton(self.tr("Reset simulation"))
        self.reset_button.clicked.connect(self.reset_simulation)
        hint_row.addWidget(self.reset_button, 0, Qt.AlignmentFlag.AlignBottom)
        tp.addLayout(hint_row)
        tp.addStretch(1)
        left.addWidget(target_panel)
        upper.addLayout(left, 3)

        trend_panel = QFrame()
        trend_panel.setObjectName("panel")
        tl = QVBoxLayout(trend_panel)
        tl.setContentsMargins(14, 10, 14, 10)
        self.trend_title = QLabel(self.tr("Monthly essential amount share (ED-4)"))
        bold = self.trend_title.font()
        bold.setBold(True)
        self.trend_title.setFont(bold)
        tl.addWidget(self.trend_title)
        self.trend = TrendChart()
        self.trend.clicked.connect(self.show_trend_rows)
        tl.addWidget(self.trend, 1)
        upper.addWidget(trend_panel, 2)
        outer.addLayout(upper)

        self.retire_model: RowTableModel[SpecRow] = RowTableModel(
            SPEC_COLUMNS, check_key=lambda s: s.key, parent=self
        )
        self.entries_model: RowTableModel[EntryRow] = RowTableModel(ENTRY_COLUMNS, parent=self)
        self.activate_model: RowTableModel[CatalogueProduct] = RowTableModel(
            PRODUCT_COLUMNS, check_key=lambda p: p.code, parent=self
        )
        self.structure_model = RowTableModel(STRUCTURE_COLUMNS, parent=self)
        self.tabs = QTabWidget()
        self.retire_view = make_table_view(self.retire_model, "nonEssentialTable")
        self.entries_view = make_table_view(self.entries_model, "unequippedTable")
        self.activate_view = make_table_view(self.activate_model, "inactiveEssentialTable")
        self.structure_view = make_table_view(self.structure_model, "structureTable")
        self.tabs.addTab(self.retire_view, "")
        self.tabs.addTab(self.entries_view, "")
        self.tabs.addTab(self.activate_view, "")
        self.tabs.addTab(self.structure_view, self.tr("Use structure (ED-5)"))
        self._set_tab_titles()
        outer.addWidget(self.tabs, 1)

        self.retire_view.doubleClicked.connect(self._spec_double_clicked)
        self.activate_view.doubleClicked.connect(self._product_double_clicked)
        self.retire_model.checks_changed.connect(self.simulate)
        self.activate_model.checks_changed.connect(self.simulate)
        self._show_simulation()

    def _set_tab_titles(self) -> None:
        self.tabs.setTabText(
            0, self.tr("Non-essential 品规 ({0})").format(self.retire_model.rowCount())
        )
        self.tabs.setTabText(
            1, self.tr("List entries not equipped ({0})").format(self.entries_model.rowCount())
        )
        self.tabs.setTabText(
            2, self.tr("Inactive essential products ({0})").format(self.activate_model.rowCount())
        )

    # -- loading -----------------------------------------------------------------

    def load(self) -> None:
        """Recompute on the worker; the page updates when the figures arrive."""
        if not self._start_load():
            return
        as_of = self.chosen_as_of()

        def work(ctx: OpContext) -> Loaded:
            return load_figures(ctx.conn, as_of)

        self.worker.op(work).success(self._loaded).failure(self._failed).parent(self).run()

    def _loaded(self, loaded: Loaded) -> None:
        if not self._load_finished():
            return
        self.loaded = loaded
        self._show(loaded)
        if self.retire_model.checked_rows() or self.activate_model.checked_rows():
            self.simulate()
        else:
            self.simulated = None
            self._show_simulation()
        self.figures_shown.emit()


    # -- showing -----------------------------------------------------------------

    def _show(self, loaded: Loaded) -> None:
        f = loaded.figures
        self._set_as_of(f.as_of)
        self.institution_label.setText(
            self.tr("{0} · {1}").format(f.institution.name, level_name(f.institution.level))
        )
        self.profile_label.setText(
            self.tr("Policy profile: {0} ({1})").format(loaded.profile.name, f.profile)
        )
        self.spec_card.set_figure(
            percent(share_float(f.spec_share)),
            self.tr("{0} of {1} 品规 essential").format(f.essential_specs, f.catalogue_specs),
        )
        if f.entries is None:
            from pharmacy_app.essential_lists import no_list_message

            self.list_card.set_figure("–", self.tr("No list in force"))
            self.message.setText(no_list_message(f.as_of))
            self.message.show()
        else:
            self.message.hide()
            self.list_card.set_figure(
                percent(share_float(f.list_share)),
                self.tr("{0} of {1} entries").format(f.list_entries_matched, f.list_entries),
            )
            self.list_card.detail.setToolTip(f.list_name or "")
        self.amount_card.set_figure(
            percent(share_float(f.amount_share)),
            self.tr("{0} to {1}").format(f.period.start_text, f.period.end.isoformat()),
        )
        basis_card = self.spec_card if f.target_basis == "catalogue" else self.list_card
        for card in (self.spec_card, self.list_card):
            card.caption.setStyleSheet("font-weight: bold;" if card is basis_card else "")
        self.basis_label.setText(self.basis_text(f))
        self.list_card.caption.setToolTip(f.list_name or "")
        self.gauge.set_values(
            share_float(f.basis_share),
            float(f.target),
            self.tr("Target {0}").format(percent(float(f.target), 0)),
        )
        self.gap_label.setText(self.gap_text(f))
        self.gap_label.setStyleSheet(
            "color: #2e7d32; font-weight: bold;"
            if f.meets_target
            else "color: #c62828; font-weight: bold;"
        )
        self.trend.set_points(
            [(m.month, share_float(m.share)) for m in f.trend],
            None,
            [
                self.tr("{0}: essential {1} of {2} yuan ({3})").format(
                    m.month,
                    money(m.essential_fen),
                    money(m.total_fen),
                    percent(share_float(m.share)),
                )
                for m in f.trend
            ],
        )
        self.retire_model.set_rows(f.non_essential_specs())
        self.entries_model.set_rows(f.unequipped_entries())
        self.activate_model.set_rows(loaded.inactive_essential)
        self.structure_model.set_rows(f.structure)
        for view in (self.retire_view, self.entries_view, self.activate_view, self.structure_view):
            fit_columns(view, 260)
        self._set_tab_titles()

    def basis_text(self, f: EssentialFigures) -> str:
        if f.target_basis == "catalogue":
            return self.tr(
                "Assessed on the catalogue basis (ED-1, grassroots): essential 品规 {0} "
                "against a target of {1} — {2}"
            ).format(
                percent(share_float(f.basis_share)),
                percent(float(f.target), 0),
                self.tr("met") if f.meets_target else self.tr("not met"),
            )
        return self.tr(
            "Assessed on the list basis (ED-2): list entries equipped {0} "
            "against a target of {1} — {2}"
        ).format(
            percent(share_float(f.basis_share)),
            percent(float(f.target), 0),
            self.tr("met") if f.meets_target else self.tr("not met"),
        )

    def gap_text(self, f: EssentialFigures) -> str:
        target = percent(float(f.target), 0)
        if f.meets_target:
            return self.tr("The target of {0} is met.").format(target)
        gap = f.gap()
        if f.target_basis == "catalogue":
            if gap.retire_non_essential:
                return self.tr(
                    "Add {0} essential 品规 or retire {1} non-essential ones to reach {2}."
                ).format(gap.add_essential, gap.retire_non_essential, target)
            return self.tr("Add {0} essential 品规 to reach {1}.").format(gap.add_essential, target)
        if f.entries is None:
            return self.tr("No essential-medicines list is in force on this date.")
        return self.tr("Equip {0} more list entries to reach {1}.").format(
            gap.equip_entries, target
        )

    # -- what-if -------------------------------------------------------------------

    def retire_codes(self) -> list[str]:
        return [c for s in self.retire_model.checked_rows() for c in s.codes]

    def activate_codes(self) -> list[str]:
        return [p.code for p in self.activate_model.checked_rows()]

    def simulate(self) -> None:
        """Ask `what_if` for the figures with the ticked changes; nothing is written."""
        if self.loaded is None:
            return
        retire, activate = self.retire_codes(), self.activate_codes()
        if not retire and not activate:
            self.simulated = None
            self._show_simulation()
            return
        if self._simulating:
            self._simulate_again = True
            return
        self._simulating = True
        figures, profile = self.loaded.figures, self.loaded.profile

        def work(ctx: OpContext) -> EssentialFigures:
            from pharmacy_app.indicators.essential import what_if

            return what_if(ctx.conn, figures, profile, retire=retire, activate=activate)

        self.worker.op(work).success(self._simulated).failure(self._simulation_failed).parent(
            self
        ).run()

    def _simulated(self, figures: EssentialFigures) -> None:
        self._simulating = False
        if self._simulate_again:
            self._simulate_again = False
            self.simulate()
            return
        still_ticked = self.retire_codes() or self.activate_codes()
        self.simulated = figures if still_ticked else None
        self._show_simulation()
        self.simulation_shown.emit()

    def _simulation_failed(self, exc: BaseException) -> None:
        self._simulating = False
        self._simulate_again = False
        from ui.errors import show_error

        show_error(exc, self.window())

    def _show_simulation(self) -> None:
        sim = self.simulated
        active = sim is not None
        self.simulation_note.setVisible(active)
        self.simulation_label.setVisible(active)
        self.reset_button.setEnabled(
            bool(self.retire_model.checked_rows() or self.activate_model.checked_rows())
        )
        if sim is None:
            self.simulation_label.clear()
            if self.loaded is not None:
                f = self.loaded.figures
                self.gauge.set_values(
                    share_float(f.basis_share),
                    float(f.target),
                    self.tr("Target {0}").format(percent(float(f.target), 0)),
                )
            return
        self.simulation_label.setText(
            self.tr("Retire {0} 品规, activate {1} products: share {2} — {3}").format(
                len(self.retire_model.checked_rows()),
                len(self.activate_model.checked_rows()),
                percent(share_float(sim.basis_share)),
                self.tr("target met") if sim.meets_target else self.tr("target not met"),
            )
        )
        self.simulation_label.setStyleSheet(
            "color: #2e7d32; font-weight: bold;"
            if sim.meets_target
            else "color: #c62828; font-weight: bold;"
        )
        self.gauge.set_values(
            share_float(sim.basis_share),
            float(sim.target),
            self.tr("Target {0}").format(percent(float(sim.target), 0)),
        )

    def reset_simulation(self) -> None:
        self.retire_model.clear_checks()
        self.activate_model.clear_checks()
        self.simulated = None
        self._show_simulation()

    # -- drill-down ----------------------------------------------------------------

    def _open(self, dialog: QDialog) -> QDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()
        return dialog

    def _rows_dialog(
        self, title: str, intro: str, columns: list[RowColumn[Any]], rows: list[Any]
    ) -> RowsDialog:
        model: RowTableModel[Any] = RowTableModel(columns)
        model.set_rows(rows)
        dialog = RowsDialog(title, intro, model, self.window())
        self._open(dialog)
        return dialog

    def show_spec_rows(self) -> RowsDialog | None:
        """ED-1: every 品规 of the active catalogue with its product codes."""
        if self.loaded is None:
            return None
        f = self.loaded.figures
        dialog = self._rows_dialog(
            self.tr("品规 of the active catalogue"),
            self.tr(
                "{0} 品规 counted (active drugs; one 品规 per generic name, form and "
                "specification), {1} of them essential. Double-click a 品规 to see its products."
            ).format(f.catalogue_specs, f.essential_specs),
            ALL_SPEC_COLUMNS,
            f.specs,
        )
        dialog.view.doubleClicked.connect(
            lambda index: self.show_products(dialog.model.row_at(index.row()).codes)
        )
        return dialog

    def show_entry_rows(self) -> RowsDialog | None:
        """ED-2: every entry of the list in force and the products equipping it."""
        if self.loaded is None or self.loaded.figures.entries is None:
            return None
        f = self.loaded.figures
        dialog = self._rows_dialog(
            self.tr("Entries of {0}").format(f.list_name or ""),
            self.tr(
                "{0} of {1} entries are equipped by at least one active product. "
                "Double-click an equipped entry to see its products."
            ).format(f.list_entries_matched, f.list_entries),
            ALL_ENTRY_COLUMNS,
            f.entries,
        )

        def open_entry(index: QModelIndex) -> None:
            codes = dialog.model.row_at(index.row()).matched_codes
            if codes:
                self.show_products(codes)

        dialog.view.doubleClicked.connect(open_entry)
        return dialog

    def show_trend_rows(self) -> RowsDialog | None:
        """ED-4: drug purchase amounts per month."""
        if self.loaded is None:
            return None
        f = self.loaded.figures
        return self._rows_dialog(
            self.tr("Essential amount share per month"),
            self.tr("Drug purchases ordered from {0} to {1}; consumables are not counted.").format(
                f.period.start_text, f.period.end.isoformat()
            ),
            TREND_COLUMNS,
            f.trend,
        )

    def show_products(self, codes: tuple[str, ...] | list[str]) -> RowsDialog | None:
        """The products behind a 品规 (active and inactive)."""
        if self.loaded is None:
            return None
        wanted = set(codes)
        rows = [p for p in self.loaded.figures.products if p.code in wanted]
        rows.sort(key=lambda p: p.code)
        title = rows[0].generic_name if rows else ""
        return self._rows_dialog(
            self.tr("Products of {0}").format(title),
            self.tr("{0} products").format(len(rows)),
            PRODUCT_COLUMNS,
            rows,
        )

    def _spec_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.show_products(self.retire_model.row_at(index.row()).codes)

    def _product_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.show_products([self.activate_model.row_at(index.row()).code])
