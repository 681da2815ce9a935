"""The catalogue page on a real temporary database: search, filters, sort, edits."""

from __future__ import annotations

import pytest
from conftest import (
    AMLODIPINE,
    AMOXICILLIN,
    ATORVASTATIN,
    CEFIXIME,
    IBUPROFEN,
    OLD_DRUG,
    OMEPRAZOLE,
    SYRINGE,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ui.catalogue.model import COLUMNS, CatalogueModel
from ui.catalogue.page import CataloguePage
from ui.catalogue.product_dialog import ProductDialog
from ui.main_window import MainWindow

ACTIVE = {AMOXICILLIN, CEFIXIME, IBUPROFEN, AMLODIPINE, ATORVASTATIN, OMEPRAZOLE, SYRINGE}


@pytest.fixture
def window(qtbot, worker, catalogue_db, wait_idle) -> MainWindow:
    win = MainWindow(worker)
    qtbot.addWidget(win)
    win.show()
    win.load()
    wait_idle(worker)
    return win


@pytest.fixture
def page(window) -> CataloguePage:
    return window.catalogue


def shown_codes(page: CataloguePage) -> set[str]:
    return {page.model.code_at(r) for r in range(page.model.rowCount())}


def column(field: str) -> int:
    return next(i for i, c in enumerate(COLUMNS) if c.field == field)


def cell(page: CataloguePage, code: str, field: str) -> str:
    row = page.model.row_of_code(code)
    assert row is not None, f"{code} not shown"
    return page.model.index(row, column(field)).data()


def type_text(qtbot, edit, text: str) -> None:
    """Keystrokes for ASCII; Chinese arrives as an input-method commit
    (QTest cannot synthesise keys for non-ASCII characters)."""
    if text.isascii():
        qtbot.keyClicks(edit, text)
    else:
        edit.insert(text)


def search(qtbot, page: CataloguePage, text: str) -> None:
    page.search.clear()
    type_text(qtbot, page.search, text)
    page.apply_search_now()


def test_model_passes_qtmodeltester(qtmodeltester, page):
    assert page.model.rowCount() == len(ACTIVE)
    qtmodeltester.check(page.model, force_py=True)


def test_empty_model_passes_qtmodeltester(qtmodeltester):
    qtmodeltester.check(CatalogueModel(), force_py=True)


def test_shows_active_products_with_counts_in_the_status_bar(window, page):
    assert shown_codes(page) == ACTIVE
    assert window.counts_label.text() == "7 of 8 products"


def test_cells_are_formatted(page):
    assert cell(page, AMOXICILLIN, "generic_name") == "阿莫西林"
    assert cell(page, AMOXICILLIN, "conversion") == "24"
    assert cell(page, AMOXICILLIN, "price") == "12.50"
    assert cell(page, AMOXICILLIN, "is_essential") == "Yes"
    assert cell(page, AMOXICILLIN, "is_vbp") == "第二批"
    assert cell(page, CEFIXIME, "is_vbp") == ""
    assert cell(page, SYRINGE, "kind") == "Consumable"
    assert cell(page, SYRINGE, "price") == "0.35"
    assert cell(page, AMOXICILLIN, "active") == "Active"


def test_typing_pinyin_initials_finds_amoxicillin(qtbot, window, page):
    search(qtbot, page, "amxl")
    assert shown_codes(page) == {AMOXICILLIN}  # 阿莫西林克拉维酸钾 is inactive
    assert window.counts_label.text() == "1 of 8 products"


def test_search_waits_for_a_pause_in_typing(qtbot, page):
    type_text(qtbot, page.search, "齐鲁")
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=2000)
    assert shown_codes(page) == {CEFIXIME, ATORVASTATIN}


def test_search_by_code_and_manufacturer(qtbot, page):
    search(qtbot, page, AMLODIPINE.lower())
    assert shown_codes(page) == {AMLODIPINE}
    search(qtbot, page, "辉瑞")
    assert shown_codes(page) == {AMLODIPINE}
    search(qtbot, page, "")
    assert shown_codes(page) == ACTIVE


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("is_essential", {AMOXICILLIN, IBUPROFEN, ATORVASTATIN}),
        ("is_vbp", {AMOXICILLIN, ATORVASTATIN}),
        ("consistency", {AMOXICILLIN, CEFIXIME}),
        ("originator", {IBUPROFEN, AMLODIPINE}),
        ("negotiated", {AMLODIPINE}),
    ],
)
def test_flag_filters(qtbot, page, field, expected):
    qtbot.mouseClick(page.flag_buttons[field], Qt.MouseButton.LeftButton)
    assert shown_codes(page) == expected
    qtbot.mouseClick(page.flag_buttons[field], Qt.MouseButton.LeftButton)
    assert shown_codes(page) == ACTIVE


def test_status_filter(page):
    page.status_filter.setCurrentIndex(page.status_filter.findData(False))
    assert shown_codes(page) == {OLD_DRUG}
    page.status_filter.setCurrentIndex(page.status_filter.findData(None))
    assert shown_codes(page) == ACTIVE | {OLD_DRUG}


def test_kind_filter(page):
    page.kind_filter.setCurrentIndex(page.kind_filter.findData("consumable"))
    assert shown_codes(page) == {SYRINGE}
    page.kind_filter.setCurrentIndex(page.kind_filter.findData("drug"))
    assert shown_codes(page) == ACTIVE - {SYRINGE}


def test_filters_and_search_combine(qtbot, page):
    qtbot.mouseClick(page.flag_buttons["is_essential"], Qt.MouseButton.LeftButton)
    search(qtbot, page, "齐鲁")
    assert shown_codes(page) == {ATORVASTATIN}


def test_header_click_sorts_in_the_data_layer(page):
    price = column("price")
    page.view.sortByColumn(price, Qt.SortOrder.AscendingOrder)
    prices = [page.model.index(r, price).data() for r in range(page.model.rowCount())]
    assert prices == ["0.35", "6.30", "8.25", "12.50", "15.80", "32.00", "45.00"]
    page.view.sortByColumn(price, Qt.SortOrder.DescendingOrder)
    assert page.model.index(0, price).data() == "45.00"


def test_selection_survives_a_search_that_keeps_the_row(qtbot, page):
    assert page.select_code(AMLODIPINE)
    search(qtbot, page, "辉瑞")
    assert page.current_code() == AMLODIPINE


def test_new_product_dialog_refuses_a_bad_code(qtbot, worker, page):
    dialog = ProductDialog(worker, None, code_exists=page._code_exists)
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(qtbot, dialog.edits["code"], "XA123")
    type_text(qtbot, dialog.edits["generic_name"], "维生素C")
    type_text(qtbot, dialog.edits["package"], "100片/瓶")
    error = dialog.error_labels["code"]
    assert error.isVisible()
    assert "23" in error.text()
    assert not dialog.ok_button.isEnabled()
    # An existing code is refused too.
    dialog.edits["code"].setText(CEFIXIME)
    assert "already" in error.text()
    assert not dialog.ok_button.isEnabled()


def test_new_product_saved_through_the_worker_appears_in_the_table(
    qtbot, worker, page, catalogue_db, wait_idle
):
    dialog = ProductDialog(worker, None, code_exists=page._code_exists)
    qtbot.addWidget(dialog)
    dialog.saved.connect(page.select_code_when_loaded)
    dialog.show()
    code = "XA11GAA001A001010100011"
    qtbot.keyClicks(dialog.edits["code"], code.lower())  # normalised to upper case
    type_text(qtbot, dialog.edits["generic_name"], "维生素C")
    type_text(qtbot, dialog.edits["dosage_form"], "片")
    type_text(qtbot, dialog.edits["package"], "0.1g*100片/瓶")
    type_text(qtbot, dialog.edits["price"], "￥3.5")
    dialog.checks["is_essential"].setChecked(True)
    assert dialog.ok_button.isEnabled(), dialog.ok_button.toolTip()
    with qtbot.waitSignal(dialog.finished):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    wait_idle(worker)
    assert cell(page, code, "generic_name") == "维生素C"
    assert cell(page, code, "conversion") == "100"
    assert cell(page, code, "price") == "3.50"
    assert page.current_code() == code
    row = catalogue_db.execute(
        "SELECT is_essential, version FROM products WHERE code=?", (code,)
    ).fetchone()
    assert tuple(row) == (1, 1)


def test_edit_through_the_dialog_bumps_the_version(qtbot, window, page, catalogue_db, wait_idle):
    page.select_code(CEFIXIME)
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: window.findChild(ProductDialog) is not None, timeout=5000)
    dialog = window.findChild(ProductDialog)
    assert dialog.edits["code"].isReadOnly()
    assert dialog.edits["generic_name"].text() == "头孢克肟"

    # A validation error first: a conversion that is not a number.
    dialog.edits["conversion"].setText("six")
    assert dialog.error_labels["conversion"].isVisible()
    assert not dialog.ok_button.isEnabled()
    dialog.edits["conversion"].setText("6")

    dialog.edits["manufacturer"].setText("广州白云山制药股份有限公司")
    dialog.edits["price"].setText("9.9")
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    wait_idle(page.worker)
    # Closed and deleted (WA_DeleteOnClose) once the worker saved it.
    qtbot.waitUntil(lambda: window.findChild(ProductDialog) is None, timeout=5000)
    assert cell(page, CEFIXIME, "manufacturer") == "广州白云山制药股份有限公司"
    assert cell(page, CEFIXIME, "price") == "9.90"
    version = catalogue_db.execute(
        "SELECT version FROM products WHERE code=?", (CEFIXIME,)
    ).fetchone()[0]
    assert version == 2


def test_enter_on_a_row_opens_the_editor(qtbot, window, page, wait_idle):
    page.select_code(AMOXICILLIN)
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.findChild(ProductDialog) is not None, timeout=5000)
    dialog = window.findChild(ProductDialog)
    assert dialog.edits["code"].text() == AMOXICILLIN
    dialog.reject()


def test_delete_deactivates_and_reactivate_restores(qtbot, window, page, catalogue_db, wait_idle):
    page.select_code(OMEPRAZOLE)
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_Delete)
    wait_idle(page.worker)
    assert OMEPRAZOLE not in shown_codes(page)
    assert window.counts_label.text() == "6 of 8 products"
    active, version = catalogue_db.execute(
        "SELECT active, version FROM products WHERE code=?", (OMEPRAZOLE,)
    ).fetchone()
    assert (active, version) == (0, 2)

    page.status_filter.setCurrentIndex(page.status_filter.findData(False))
    assert page.select_code(OMEPRAZOLE)
    assert page.reactivate_action.isEnabled()
    assert not page.deactivate_action.isEnabled()
    page.reactivate_action.trigger()
    wait_idle(page.worker)
    assert shown_codes(page) == {OLD_DRUG}
    active = catalogue_db.execute(
        "SELECT active FROM products WHERE code=?", (OMEPRAZOLE,)
    ).fetchone()[0]
    assert active == 1


def test_delete_in_the_search_box_edits_text_not_products(qtbot, page, wait_idle):
    page.select_code(OMEPRAZOLE)
    page.search.setText("abc")
    page.search.setFocus()
    page.search.setCursorPosition(0)
    qtbot.keyClick(page.search, Qt.Key.Key_Delete)
    wait_idle(page.worker)
    assert page.search.text() == "bc"
    page.search.clear()
    page.apply_search_now()
    assert OMEPRAZOLE in shown_codes(page)


def test_outside_changes_reload_on_data_changed(qtbot, page, catalogue_db, wait_idle):
    """A write by any operation (here: another connection, then Refresh)
    reaches the table through the one data-changed signal."""
    catalogue_db.execute("UPDATE products SET generic_name='头孢克肟X' WHERE code=?", (CEFIXIME,))
    page.worker.refresh_all()
    wait_idle(page.worker)
    assert cell(page, CEFIXIME, "generic_name") == "头孢克肟X"


def test_hidden_page_reloads_when_shown(qtbot, window, page, catalogue_db, wait_idle):
    window.show_page("home")
    wait_idle(page.worker)
    catalogue_db.execute("UPDATE products SET generic_name='布洛芬Y' WHERE code=?", (IBUPROFEN,))
    page.worker.refresh_all()
    wait_idle(page.worker)
    assert cell(page, IBUPROFEN, "generic_name") == "布洛芬"  # not reloaded while hidden
    window.show_page("catalogue")
    wait_idle(page.worker)
    assert cell(page, IBUPROFEN, "generic_name") == "布洛芬Y"


def test_ctrl_f_focuses_the_search_box(qtbot, window, page):
    window.activateWindow()
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is page.search


def test_a_change_is_taken_into_the_loaded_index_without_a_reload(
    qtbot, page, catalogue_db, wait_idle
):
    """The worker reads just the changed product; the table keeps its sort."""
    page.model.sort(column("price"), Qt.SortOrder.AscendingOrder)
    index = page.model.index_data
    catalogue_db.execute(
        "UPDATE products SET manufacturer='新厂家制药', price='0.01', version=version+1 "
        "WHERE code=?",
        (ATORVASTATIN,),
    )
    page.worker.refresh_all()
    wait_idle(page.worker)
    assert page.model.index_data is index
    assert cell(page, ATORVASTATIN, "manufacturer") == "新厂家制药"
    assert page.model.code_at(0) == ATORVASTATIN  # cheapest now, first by price
    search(qtbot, page, "新厂家")
    assert shown_codes(page) == {ATORVASTATIN}

    # A deleted product cannot be taken in place: the catalogue is read again.
    search(qtbot, page, "")
    catalogue_db.execute("DELETE FROM products WHERE code=?", (OMEPRAZOLE,))
    page.worker.refresh_all()
    wait_idle(page.worker)
    assert page.model.index_data is not index
    assert OMEPRAZOLE not in shown_codes(page)
    assert page.model.index_data.position_of(OMEPRAZOLE) is None
