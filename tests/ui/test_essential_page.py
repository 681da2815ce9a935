"""The essential-drug dashboard on a real temporary database (ED-1, ED-2, ED-4, ED-5).

The page must show exactly what `compute_indicators` (the CLI's JSON) says:
one code path for the window and the command line.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import AMLODIPINE, AMOXICILLIN, CEFIXIME, OMEPRAZOLE
from PySide6.QtCore import QDate, QModelIndex, Qt
from PySide6.QtWidgets import QApplication

from pharmacy_app.indicators import compute_indicators
from pharmacy_app.institutions import init_institution
from ui.essential.charts import percent
from ui.essential.columns import SPEC_COLUMNS
from ui.essential.models import RowTableModel
from ui.essential.page import EssentialPage, RowsDialog
from ui.main_window import MainWindow


def add_purchases(conn) -> None:
    """Two months of drug purchases."""
    rows = [
        ("O1", "2026-01-10 09:00:00", AMOXICILLIN, 10, 30000),
        ("O2", "2026-01-11 09:00:00", CEFIXIME, 5, 10000),
        ("O3", "2026-02-03 09:00:00", AMOXICILLIN, 4, 12000),
        ("O4", "2026-02-04 09:00:00", AMLODIPINE, 2, 18000),
    ]
    for order, when, code, qty, fen in rows:
        conn.execute(
            """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, price,
                   amount_fen, ordered_at, supplier)
               VALUES (?, '1', 'H46010001', ?, ?, NULL, ?, ?, '国药控股')""",
            (order, code, qty, fen, when),
        )
    conn.commit()


@pytest.fixture
def window(qtbot, worker, catalogue_db, wait_idle) -> MainWindow:
    win = MainWindow(worker)
    qtbot.addWidget(win)
    win.show()
    win.load()
    wait_idle(worker)
    return win


@pytest.fixture
def page(window, worker, wait_idle) -> EssentialPage:
    window.show_page("essential")
    wait_idle(worker)
    assert window.essential.loaded is not None
    return window.essential


def test_ed1_page_shows_the_same_figures_as_compute_indicators(page, catalogue_db):
    """ED-1 / ED-2 / ED-4: the numbers shown are the CLI JSON's numbers."""
    as_of = page.as_of()
    expected = compute_indicators(catalogue_db, as_of)["essential"]
    f = page.loaded.figures
    assert f.essential_specs == expected["essential_specs"] == 3
    assert f.catalogue_specs == expected["catalogue_specs"] == 6
    assert page.spec_card.value.text() == percent(expected["spec_share"])
    assert "3 of 6" in page.spec_card.detail.text()
    assert page.list_card.value.text() == percent(expected["list_share"])
    assert page.amount_card.value.text() == percent(expected["amount_share"])
    assert f.target_basis == expected["target_basis"] == "catalogue"
    assert "85%" in page.basis_label.text() and "not met" in page.basis_label.text()
    gap = expected["gap"]
    assert page.gap_text(f) == (
        f"Add {gap['add_essential']} essential 品规 or retire "
        f"{gap['retire_non_essential']} non-essential ones to reach 85%."
    )
    assert page.gap_label.text() == page.gap_text(f)
    assert page.gauge.share == pytest.approx(expected["spec_share"], abs=1e-6)
    assert page.gauge.target == pytest.approx(expected["target"])
    assert "national@1" in page.profile_label.text()
    # The tables: non-essential active 品规, list entries not equipped.
    names = {page.retire_model.row_at(r).generic_name for r in range(page.retire_model.rowCount())}
    assert names == {"头孢克肟", "苯磺酸氨氯地平", "奥美拉唑"}
    assert (
        page.entries_model.rowCount() == expected["list_entries"] - expected["list_entries_matched"]
    )
    assert page.tabs.tabText(0) == "Non-essential 品规 (3)"


def test_ed4_ed5_trend_and_structure_match_the_domain(qtbot, worker, catalogue_db, wait_idle):
    """ED-4 monthly trend and ED-5 structure come straight from the figures."""
    add_purchases(catalogue_db)
    win = MainWindow(worker)
    qtbot.addWidget(win)
    win.show()
    win.show_page("essential")
    wait_idle(worker)
    page = win.essential
    page.date_edit.setDate(QDate(2026, 2, 28))
    wait_idle(worker)
    expected = compute_indicators(catalogue_db, dt.date(2026, 2, 28))["essential"]
    assert page.amount_card.value.text() == percent(expected["amount_share"])
    assert [m for m, _s in page.trend.points] == ["2026-01", "2026-02"]
    shares = [s for _m, s in page.trend.points]
    assert shares == pytest.approx([m["share"] for m in expected["trend"]], abs=1e-6)
    labels = [
        page.structure_model.index(r, 0).data() for r in range(page.structure_model.rowCount())
    ]
    assert labels == [s["label"] for s in expected["structure"]]
    essential_row = page.structure_model.index(0, 1).data()
    assert essential_row == f"{expected['structure'][0]['amount']:,.2f}"


def test_ed1_recomputes_after_a_product_is_deactivated(page, worker, wait_idle, catalogue_db):
    """ED-1: a write through the worker moves the figures without a restart."""
    before = page.loaded.figures.essential_specs

    def deactivate(ctx):
        from pharmacy_app.catalogue import set_active

        return set_active(ctx.conn, [AMOXICILLIN], False)

    worker.op(deactivate).run()
    wait_idle(worker)
    f = page.loaded.figures
    assert f.essential_specs == before - 1
    assert page.spec_card.value.text() == percent(
        compute_indicators(catalogue_db, page.as_of())["essential"]["spec_share"]
    )
    assert page.activate_model.rowCount() == 1
    assert page.activate_model.row_at(0).code == AMOXICILLIN


def test_ed1_what_if_changes_the_shown_share_without_writing(page, worker, wait_idle, qtbot):
    """ED-1 what-if: retiring the non-essential 品规 reaches the target in the
    simulation only; the catalogue is untouched and reset restores the figures."""
    active_before = active_codes(worker, wait_idle)
    assert not page.simulation_note.isVisible()
    for row in range(page.retire_model.rowCount()):
        index = page.retire_model.index(row, 0)
        assert page.retire_model.setData(
            index, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole
        )
    wait_idle(worker)
    assert page.simulated is not None
    assert page.simulated.spec_share == 1
    assert page.simulated.meets_target
    assert page.simulation_note.isVisible()
    assert page.simulation_note.text() == "This is a simulation; the catalogue was not changed"
    assert "100.0%" in page.simulation_label.text()
    assert "target met" in page.simulation_label.text()
    assert page.gauge.share == pytest.approx(1.0)
    # Nothing written: the real figures and the database are as before.
    assert page.loaded.figures.spec_share == pytest.approx(0.5)
    assert page.spec_card.value.text() == "50.0%"
    assert active_codes(worker, wait_idle) == active_before
    qtbot.mouseClick(page.reset_button, Qt.MouseButton.LeftButton)
    assert page.simulated is None
    assert not page.simulation_note.isVisible()
    assert page.gauge.share == pytest.approx(0.5)
    assert page.retire_model.checked_rows() == []


def test_ed1_what_if_activating_an_essential_product(page, worker, wait_idle, catalogue_db):
    """Ticking an inactive essential product simulates its activation."""

    def deactivate(ctx):
        from pharmacy_app.catalogue import set_active

        return set_active(ctx.conn, [AMOXICILLIN], False)

    worker.op(deactivate).run()
    wait_idle(worker)
    assert page.loaded.figures.essential_specs == 2
    page.activate_model.set_checked(0, True)
    wait_idle(worker)
    assert page.simulated is not None and page.simulated.essential_specs == 3
    row = catalogue_db.execute("SELECT active FROM products WHERE code=?", (AMOXICILLIN,))
    assert row.fetchone()[0] == 0


def active_codes(worker, wait_idle) -> set[str]:
    got: list[set[str]] = []
    worker.op(
        lambda ctx: {r[0] for r in ctx.conn.execute("SELECT code FROM products WHERE active=1")}
    ).success(got.append).run()
    wait_idle(worker)
    return got[0]


def test_ed2_secondary_hospital_is_assessed_on_the_list(qtbot, worker, conn, wait_idle):
    """ED-2: a secondary hospital's gauge shows the list share and the entries to equip."""
    from conftest import sample_products

    from pharmacy_app.catalogue import save_products

    init_institution(conn, "H46020001", "某某县人民医院", "secondary")
    save_products(conn, sample_products())
    win = MainWindow(worker)
    qtbot.addWidget(win)
    win.show()
    win.show_page("essential")
    wait_idle(worker)
    page = win.essential
    expected = compute_indicators(conn, page.as_of())["essential"]
    f = page.loaded.figures
    assert f.target_basis == expected["target_basis"] == "list"
    assert page.gauge.share == pytest.approx(expected["list_share"], abs=1e-6)
    assert page.gap_label.text() == (
        f"Equip {expected['gap']['equip_entries']} more list entries to reach 50%."
    )
    assert "ED-2" in page.basis_label.text()
    # The spec share is still shown beside it.
    assert page.spec_card.value.text() == percent(expected["spec_share"])


def test_drill_down_from_the_spec_share_to_products(page, qtbot):
    """ED-1 drill-down: the spec share opens the 品规 with their product codes;
    double-clicking a 品规 opens its products."""
    qtbot.mouseClick(page.spec_card, Qt.MouseButton.LeftButton)
    dialogs = [d for d in QApplication.topLevelWidgets() if isinstance(d, RowsDialog)]
    assert len(dialogs) == 1
    dialog = dialogs[0]
    assert dialog.model.rowCount() == 6
    codes = {dialog.model.row_at(r).codes for r in range(6)}
    assert (AMOXICILLIN,) in codes
    row = next(r for r in range(6) if dialog.model.row_at(r).codes == (OMEPRAZOLE,))
    products = page.show_products(dialog.model.row_at(row).codes)
    assert products is not None and products.model.rowCount() == 1
    assert products.model.index(0, 0).data() == OMEPRAZOLE
    products.reject()
    dialog.reject()


def test_double_click_a_non_essential_spec_opens_its_products(page, qtbot):
    view = page.retire_view
    index = page.retire_model.index(0, 1)
    rect = view.visualRect(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    dialogs = [d for d in QApplication.topLevelWidgets() if isinstance(d, RowsDialog)]
    assert dialogs and dialogs[0].model.rowCount() == 1
    for d in dialogs:
        d.reject()


def test_models_pass_qtmodeltester(qtmodeltester, page):
    for model in (page.retire_model, page.entries_model, page.structure_model):
        qtmodeltester.check(model, force_py=True)
    page.activate_model.set_rows([])
    qtmodeltester.check(page.activate_model, force_py=True)


def test_empty_model_passes_qtmodeltester(qtmodeltester):
    qtmodeltester.check(RowTableModel(SPEC_COLUMNS, check_key=lambda s: s.key), force_py=True)


def test_checkable_model_reports_checks(qtmodeltester, page):
    model = page.retire_model
    assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsUserCheckable
    assert not model.flags(model.index(0, 1)) & Qt.ItemFlag.ItemIsUserCheckable
    assert not model.flags(QModelIndex()) & Qt.ItemFlag.ItemIsEnabled
    model.set_checked(0, True)
    assert model.index(0, 0).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    qtmodeltester.check(model, force_py=True)
    page.reset_simulation()


def test_as_of_defaults_to_the_demo_date(qtbot, worker, catalogue_db, wait_idle):
    """The demo database's own 'today' (app_settings demo_as_of) is the default as-of."""
    catalogue_db.execute(
        "INSERT INTO app_settings (key, value) VALUES ('demo_as_of', '2026-10-15') "
        "ON CONFLICT(key) DO UPDATE SET value=excluded.value"
    )
    catalogue_db.commit()
    win = MainWindow(worker)
    qtbot.addWidget(win)
    win.show()
    win.show_page("essential")
    wait_idle(worker)
    page = win.essential
    assert page.as_of() == dt.date(2026, 10, 15)
    assert page.loaded.figures.as_of == dt.date(2026, 10, 15)
    assert "2026-10-15" in page.amount_card.detail.text()
    # Choosing another date recomputes for it.
    page.date_edit.setDate(QDate(2026, 9, 30))
    wait_idle(worker)
    assert page.loaded.figures.as_of == dt.date(2026, 9, 30)


def test_ed4_trend_chart_tooltips_and_click_drill_down(qtbot, worker, catalogue_db, wait_idle):
    """ED-4: each month's bar explains its amounts; a click opens the monthly rows."""
    add_purchases(catalogue_db)
    win = MainWindow(worker)
    qtbot.addWidget(win)
    win.show()
    win.show_page("essential")
    wait_idle(worker)
    page = win.essential
    page.date_edit.setDate(QDate(2026, 2, 28))
    wait_idle(worker)
    assert page.trend.tooltips[0] == "2026-01: essential 300.00 of 400.00 yuan (75.0%)"
    qtbot.mouseClick(page.trend, Qt.MouseButton.LeftButton)
    dialogs = [d for d in QApplication.topLevelWidgets() if isinstance(d, RowsDialog)]
    assert len(dialogs) == 1 and dialogs[0].model.rowCount() == 2
    assert dialogs[0].model.index(0, 3).data() == "75.0%"
    dialogs[0].reject()


def test_ed2_entry_drill_down_opens_the_equipping_products(page, qtbot):
    """ED-2 drill-down: the list share opens every entry; an equipped one its products."""
    page.list_card.setFocus()
    qtbot.keyClick(page.list_card, Qt.Key.Key_Return)
    dialogs = [d for d in QApplication.topLevelWidgets() if isinstance(d, RowsDialog)]
    assert len(dialogs) == 1
    dialog = dialogs[0]
    f = page.loaded.figures
    assert dialog.model.rowCount() == f.list_entries
    row = next(r for r in range(dialog.model.rowCount()) if dialog.model.row_at(r).matched_codes)
    dialog.view.doubleClicked.emit(dialog.model.index(row, 1))
    products = [
        d for d in QApplication.topLevelWidgets() if isinstance(d, RowsDialog) and d is not dialog
    ]
    assert len(products) == 1
    assert products[0].model.row_at(0).code in dialog.model.row_at(row).matched_codes
    for d in (*products, dialog):
        d.reject()
