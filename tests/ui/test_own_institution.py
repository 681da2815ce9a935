"""Leaving the demo from the window: the demo is marked, and File › Start with my own
institution gives the user's institution a new, empty database (the demo kept aside)."""

from __future__ import annotations

import shutil

from db import open_db
from pharmacy_app.institutions import current_institution
from ui.main_window import MainWindow
from ui.own_institution import OwnInstitutionDialog


def test_the_demo_is_marked_and_left_for_an_empty_database(qtbot, demo_file, db_path, worker,
                                                          wait_idle):
    shutil.copy(demo_file, db_path)
    window = MainWindow(worker)
    qtbot.addWidget(window)
    window.show()
    window.load()
    wait_idle(worker)
    assert window.is_demo and window.demo_label.isVisible()
    assert window.own_action.isVisible() and window.windowTitle() != "Pharmacy Desk"
    assert window.catalogue.model.rowCount() > 0
    # Pages used during the demo: a date picked on one, a report generated on another.
    import datetime as dt

    from PySide6.QtCore import QDate

    window.show_page("agreements")
    agreements = window.page("agreements")
    wait_idle(worker)
    agreements.date_edit.setDate(QDate(2026, 6, 30))
    wait_idle(worker)
    assert agreements.chosen_as_of() == dt.date(2026, 6, 30)
    window.show_page("reports")
    reports = window.page("reports")
    wait_idle(worker)
    reports.set_choice("payment-standards", dt.date(2026, 6, 30))
    with qtbot.waitSignal(reports.generated, timeout=30_000):
        reports.generate()
    wait_idle(worker)
    assert reports.save_button.isEnabled()

    dialog = window.start_own_institution()
    assert isinstance(dialog, OwnInstitutionDialog)
    dialog.code.setText("H53012301")
    dialog.save()  # no name: refused, the demo still open
    wait_idle(worker)
    assert "机构名称" in dialog.error.text() and window.is_demo
    dialog.name.setText("某某镇卫生院")
    dialog.level.setCurrentIndex(dialog.level.findData("grassroots"))
    with qtbot.waitSignal(dialog.started, timeout=10_000):
        dialog.save()
    wait_idle(worker)

    assert not window.is_demo and not window.demo_label.isVisible()
    assert window.windowTitle() == "Pharmacy Desk" and not window.own_action.isVisible()
    assert window.catalogue.model.rowCount() == 0
    assert "示例数据" in window.statusBar().currentMessage()
    # Nothing of the demo's choices is left on the pages built before.
    assert agreements.chosen_as_of() is None
    assert reports.result is None and not reports.save_button.isEnabled()
    conn = open_db(db_path)
    try:
        assert current_institution(conn).code == "H53012301"
        assert conn.execute("SELECT count(*) FROM purchase_lines").fetchone()[0] == 0
    finally:
        conn.close()
    assert (db_path.parent / f"{db_path.stem}-示例数据{db_path.suffix}").exists()
