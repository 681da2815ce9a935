"""The import dialog end to end: a CSV file written here, a real database."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ui.importing.dialog import CHOOSE, RESULT, RUNNING, ImportDialog

GOOD = "XA01CAA040A001010100483"
GOOD2 = "XJ01DDD029A001010104328"
GOOD3 = "XM01AEB039E001010104455"

HEADER = "药品编码,通用名,剂型,规格,包装,生产企业,基药,集采,单价\n"


@pytest.fixture
def importers():
    """The real importers package: the dialog is tested against what the CLI uses."""
    import pharmacy_app.importers as real

    return real


def write_csv(path: Path, header: str, *lines: str) -> Path:
    path.write_text(header + "".join(line + "\n" for line in lines), encoding="utf-8-sig")
    return path


@pytest.fixture
def good_csv(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "目录.csv",
        HEADER,
        f"{GOOD},阿莫西林,胶囊,0.25g,0.25g*24粒/盒,华北制药股份有限公司,是,是,12.50",
        f"{GOOD2},头孢克肟,片,0.1g,0.1g*6片/盒,齐鲁制药有限公司,否,否,8.25",
        f"{GOOD3},布洛芬,缓释胶囊,0.3g,0.3g*20粒/盒,中美天津史克制药有限公司,是,否,15.8",
    )


@pytest.fixture
def dialog(qtbot, worker, importers, wait_idle) -> ImportDialog:
    d = ImportDialog(worker, kind="catalogue")
    qtbot.addWidget(d)
    d.show()
    return d


def choose(dialog: ImportDialog, path: Path, wait_idle) -> None:
    dialog.set_file(path)
    wait_idle(dialog.worker)


def product_count(conn) -> int:
    return conn.execute("SELECT count(*) FROM products").fetchone()[0]


def test_preview_shows_detected_mapping_and_sample_rows(dialog, good_csv, wait_idle):
    choose(dialog, good_csv, wait_idle)
    assert dialog.preview is not None
    assert dialog.current_mapping()["code"] == "药品编码"
    assert dialog.current_mapping()["generic_name"] == "通用名"
    assert dialog.missing_required() == []
    assert dialog.sample_table.rowCount() == 3
    assert dialog.sample_table.item(0, 1).text() == "阿莫西林"
    assert dialog.import_button.isEnabled()


def test_successful_import_writes_and_summarises(qtbot, dialog, good_csv, conn, wait_idle):
    choose(dialog, good_csv, wait_idle)
    with qtbot.waitSignal(dialog.imported, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    wait_idle(dialog.worker)
    assert blocker.args[0].committed
    assert dialog.stack.currentIndex() == RESULT
    assert "3" in dialog.result_label.text()
    assert not dialog.save_rejected_button.isVisible()
    assert product_count(conn) == 3


def test_bad_row_shows_rejected_rows_and_writes_nothing(qtbot, dialog, tmp_path, conn, wait_idle):
    path = write_csv(
        tmp_path / "bad.csv",
        HEADER,
        f"{GOOD},阿莫西林,胶囊,0.25g,0.25g*24粒/盒,华北制药股份有限公司,是,是,12.50",
        "XA123,头孢克肟,片,0.1g,0.1g*6片/盒,齐鲁制药有限公司,否,否,8.25",
    )
    choose(dialog, path, wait_idle)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    wait_idle(dialog.worker)
    assert dialog.stack.currentIndex() == RESULT
    assert not dialog.result.committed
    model = dialog.rejected_view.model()
    assert model.rowCount() >= 1
    cells = [model.index(0, c).data() for c in range(4)]
    assert cells[0] == "3"  # file row 3: the header is row 1
    assert "XA123" in (cells[2] + cells[3])
    assert dialog.save_rejected_button.isVisible()
    assert dialog.back_button.isVisible()
    assert product_count(conn) == 0

    out = tmp_path / "rejected.csv"
    dialog.save_rejected_to(out)
    wait_idle(dialog.worker)
    assert out.exists()
    assert "XA123" in out.read_text(encoding="utf-8-sig")
    assert str(out) in dialog.message.text()


def test_missing_required_field_is_highlighted_until_mapped(
    qtbot, dialog, tmp_path, conn, wait_idle
):
    path = write_csv(
        tmp_path / "odd_headers.csv",
        "药品编码,品名,包装\n",
        f"{GOOD},阿莫西林,0.25g*24粒/盒",
    )
    choose(dialog, path, wait_idle)
    assert "generic_name" in dialog.missing_required()
    assert not dialog.import_button.isEnabled()
    row = next(
        r
        for r in range(dialog.mapping_table.rowCount())
        if dialog.mapping_table.item(r, 0).data(Qt.ItemDataRole.UserRole) == "generic_name"
    )
    assert dialog.mapping_table.item(row, 2).text()  # the "required" note
    combo = dialog.mapping_combos["generic_name"]
    combo.setCurrentIndex(combo.findData("品名"))
    assert dialog.missing_required() == []
    assert dialog.import_button.isEnabled()
    assert dialog.mapping_table.item(row, 2).text() == ""
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    wait_idle(dialog.worker)
    assert dialog.result.committed
    assert conn.execute("SELECT generic_name FROM products").fetchone()[0] == "阿莫西林"


def test_unreadable_file_gets_a_plain_message(dialog, tmp_path, wait_idle, importers, monkeypatch):
    def refuse(*args, **kwargs):
        raise importers.ImportFailed("坏文件：无法识别表头")

    monkeypatch.setattr(importers, "preview", refuse)
    choose(dialog, write_csv(tmp_path / "x.csv", "a\n"), wait_idle)
    assert "无法识别表头" in dialog.message.text()
    assert not dialog.import_button.isEnabled()


def test_cancel_stops_the_import(qtbot, dialog, good_csv, wait_idle, importers, monkeypatch):
    def slow(conn, kind, path, *, mapping=None, progress=None, cancel=None, options=None):
        for i in range(500):
            progress(i, 500)
            if cancel():
                raise importers.ImportCancelled()
            time.sleep(0.01)
        pytest.fail("not cancelled")

    monkeypatch.setattr(importers, "run_import", slow)
    choose(dialog, good_csv, wait_idle)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.stack.currentIndex() == RUNNING
    qtbot.waitUntil(lambda: dialog.progress_bar.maximum() == 500, timeout=5000)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    wait_idle(dialog.worker)
    assert dialog.stack.currentIndex() == CHOOSE
    assert dialog.message.text()


def test_import_refreshes_the_catalogue_page(qtbot, worker, importers, good_csv, wait_idle):
    from ui.main_window import MainWindow

    window = MainWindow(worker)
    qtbot.addWidget(window)
    window.show()
    window.load()
    wait_idle(worker)
    assert window.catalogue.model.rowCount() == 0
    qtbot.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    dialog = window.findChild(ImportDialog)
    assert dialog is not None and dialog.isVisible()
    choose(dialog, good_csv, wait_idle)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    wait_idle(worker)
    assert window.catalogue.model.rowCount() == 3
    assert window.counts_label.text() == "3 of 3 products"
    dialog.reject()


def test_field_set_to_none_is_passed_as_none(dialog, good_csv, wait_idle, importers, monkeypatch):
    """Choosing "(not in the file)" unmaps the field: the importer gets None, not an
    omitted key (an omitted field would be auto-detected again)."""
    seen: dict = {}
    real_run = importers.run_import

    def spy(conn, kind, path, *, mapping=None, **kwargs):
        seen.update(mapping or {})
        return real_run(conn, kind, path, mapping=mapping, **kwargs)

    monkeypatch.setattr(importers, "run_import", spy)
    choose(dialog, good_csv, wait_idle)
    combo = dialog.mapping_combos["price"]
    combo.setCurrentIndex(combo.findData(""))
    dialog.start_import()
    wait_idle(dialog.worker)
    assert "price" in seen and seen["price"] is None
    assert seen["code"] == "药品编码"
    assert dialog.result.committed


def test_an_essential_list_is_imported_with_its_date_name_and_edition(qtbot, dialog, tmp_path, conn,
                                                                      wait_idle):
    """ED-2: the list is in force from the date the user gives, not from today."""
    import datetime as dt

    from PySide6.QtCore import QDate

    assert not dialog.list_options.isVisibleTo(dialog)  # a catalogue has no such options
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("essential-list"))
    assert dialog.list_options.isVisibleTo(dialog)
    path = write_csv(tmp_path / "基药.csv", "序号,通用名,剂型,规格,类别\n",
                     "1,阿莫西林,胶囊,0.25g,化学药品和生物制品", "2,布洛芬,片剂,,化学药品和生物制品")
    choose(dialog, path, wait_idle)
    dialog.effective_edit.setDate(QDate(2018, 11, 1))
    dialog.list_name_edit.setText("国家基本药物目录")
    dialog.edition_edit.setText("2018")
    with qtbot.waitSignal(dialog.imported, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    wait_idle(dialog.worker)
    assert blocker.args[0].committed
    row = conn.execute(
        "SELECT name, edition, effective_from FROM essential_lists WHERE builtin = 0").fetchone()
    assert tuple(row) == ("国家基本药物目录", "2018", dt.date(2018, 11, 1).isoformat())
