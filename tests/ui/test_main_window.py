"""The main window: pages, menus and shortcuts, settings, window state, Chinese UI."""

from __future__ import annotations

import pytest
from conftest import AMOXICILLIN
from PySide6.QtCore import QCoreApplication, QSize, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox

from pharmacy_app.paths import data_dir
from ui import settings
from ui.catalogue.model import COLUMNS
from ui.catalogue.product_dialog import ProductDialog
from ui.i18n import install_translations
from ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, worker, catalogue_db, wait_idle) -> MainWindow:
    win = MainWindow(worker)
    qtbot.addWidget(win)
    win.show()
    win.load()
    wait_idle(worker)
    return win


def nav_titles(window: MainWindow) -> list[str]:
    return [window.navigation.item(i).text() for i in range(window.navigation.count())]


def test_only_working_pages_are_listed(window):
    assert nav_titles(window) == [
        "Home",
        "Essential drugs",
        "Catalogue",
        "Agreed volumes",
        "Suppliers",
        "Payments",
        "Supply problems",
        "Reported volumes",
        "Shortage reports",
        "Assessment",
        "Payment standards",
        "Reports",
        "Policy parameters",
    ]
    assert window.current_page() == "catalogue"
    window.navigation.setCurrentRow(0)
    assert window.current_page() == "home"
    assert window.stack.currentWidget() is window.home


def test_home_page_shows_institution_and_counts(window, wait_idle):
    window.show_page("home")
    wait_idle(window.worker)
    home = window.home
    assert home.title.text() == "海口市某某卫生院"
    assert "H46010001" in home.subtitle.text()
    assert "Grassroots" in home.subtitle.text()
    assert home.cards["products_active"].value.text() == "7"
    assert home.cards["products_inactive"].value.text() == "1"
    assert home.cards["essential"].value.text() == "3"
    assert home.cards["vbp"].value.text() == "2"
    assert home.cards["consumables"].value.text() == "1"


def test_home_page_without_institution(qtbot, worker, conn, wait_idle):
    win = MainWindow(worker)
    qtbot.addWidget(win)
    win.show()
    win.show_page("home")
    win.load()
    wait_idle(worker)
    assert "pharmacy-app init" in win.home.subtitle.text()
    assert win.home.cards["products_active"].value.text() == "0"


def test_home_counts_follow_changes(qtbot, window, catalogue_db, wait_idle):
    window.show_page("home")
    wait_idle(window.worker)
    window.catalogue.select_code(AMOXICILLIN)
    window.catalogue.deactivate_action.trigger()
    wait_idle(window.worker)
    assert window.home.cards["products_active"].value.text() == "6"


@pytest.mark.parametrize(
    ("action", "keys"),
    [
        ("import_action", ["Ctrl+I"]),
        ("quit_action", ["Ctrl+Q"]),
        ("refresh_action", ["F5"]),
    ],
)
def test_window_shortcuts(window, action, keys):
    shortcuts = [s.toString() for s in getattr(window, action).shortcuts()]
    assert shortcuts == keys


def test_catalogue_shortcuts(window):
    page = window.catalogue
    assert page.new_action.shortcut() == QKeySequence(QKeySequence.StandardKey.New)
    assert page.find_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Find)
    assert {s.toString() for s in page.edit_action.shortcuts()} == {"F2", "Return", "Enter"}
    assert page.deactivate_action.shortcut().toString() == "Del"
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    catalogue_menu = [a for a in menus["&Catalogue"].actions() if not a.isSeparator()]
    assert page.new_action in catalogue_menu
    assert page.deactivate_action in catalogue_menu


def test_ctrl_n_from_home_opens_a_new_product_on_the_catalogue(qtbot, window):
    window.show_page("home")
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() == "catalogue"
    dialog = window.findChild(ProductDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.edits["code"].text() == ""
    assert not dialog.edits["code"].isReadOnly()
    dialog.reject()


def test_window_geometry_is_kept_in_the_redirected_settings(qtbot, worker, catalogue_db):
    first = MainWindow(worker)
    qtbot.addWidget(first)
    first.resize(QSize(920, 577))  # the offscreen screen is small; Qt clamps to it
    first.show()
    saved = first.saveGeometry()
    first.close()
    ini = data_dir() / settings.SETTINGS_FILE
    assert ini.exists()
    assert "geometry" in ini.read_text(encoding="utf-8")
    assert settings.load_state("geometry") == saved
    second = MainWindow(worker)
    qtbot.addWidget(second)
    assert second.height() == 577


def test_language_choice_is_stored_for_the_next_start(qtbot, window):
    assert settings.LANGUAGE.get() == "zh_CN"
    english = next(a for a in window.language_group.actions() if a.data() == "en")
    english.trigger()
    assert settings.LANGUAGE.get() == "en"
    box = window.findChild(QMessageBox)
    assert box is not None and "next start" in box.text()
    box.close()


def test_settings_registry_types(qapp):
    flag = settings.Setting("test/flag", bool, False, "Flag")
    flag.set(True)
    assert flag.get() is True
    number = settings.Setting("test/number", int, 3, "Number")
    assert number.get() == 3
    settings.open_settings().setValue("test/number", "not a number")
    assert number.get() == 3


def test_chinese_interface(qtbot, qapp, worker, catalogue_db, wait_idle):
    installed = install_translations(qapp, "zh_CN")
    try:
        win = MainWindow(worker)
        qtbot.addWidget(win)
        win.show()
        win.load()
        wait_idle(worker)
        assert win.windowTitle() == "药事台"
        assert nav_titles(win) == [
            "首页",
            "基本药物",
            "采购目录",
            "约定采购量",
            "配送企业",
            "回款",
            "供应问题",
            "集采报量",
            "短缺药品上报",
            "考核评分",
            "医保支付标准",
            "报表",
            "政策参数",
        ]
        model = win.catalogue.model
        headers = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(len(COLUMNS))]
        assert headers[:3] == ["药品编码", "通用名", "剂型"]
        assert win.counts_label.text() == "显示 7 / 共 8 个产品"
        row = model.row_of_code(AMOXICILLIN)
        status = next(i for i, c in enumerate(COLUMNS) if c.field == "active")
        assert model.index(row, status).data() == "在用"
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
    finally:
        for translator in installed:
            qapp.removeTranslator(translator)


def test_pages_are_built_on_first_use(window):
    """Only the home and catalogue pages exist when the window opens; the
    others (and the modules they import) are built when first shown."""
    assert set(window.pages) == {"home", "catalogue"}
    window.show_page("agreements")
    assert "agreements" in window.pages
    assert window.stack.currentWidget().layout().itemAt(0).widget() is window.pages["agreements"]
    assert window.suppliers is window.page("suppliers")  # attribute access builds it too
    with pytest.raises(AttributeError):
        _ = window.no_such_page
