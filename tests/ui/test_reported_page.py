"""The 报量 page (AV-10) on a real temporary database: enter, check, save, export refused then allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import AMOXICILLIN
from PySide6.QtCore import Qt

from pharmacy_app.reported_volumes import compute_report
from ui.reported.model import MISSING_COLOUR, ReportModel
from ui.reported.page import ReportedPage

AS_OF = "2026-11-23"


@pytest.fixture
def report_db(catalogue_db):
    conn = catalogue_db
    cur = conn.execute(
        """INSERT INTO agreements (institution_code, batch, generic, selected_price, agreed_qty,
               start_date, end_date)
           VALUES ('H46010001', '第二批', '阿莫西林胶囊', '0.52', 500, '2026-03-01', '2027-02-28')"""
    )
    conn.execute("INSERT INTO agreement_products (agreement_id, code, role) VALUES (?, ?, 'selected')",
                 (cur.lastrowid, AMOXICILLIN))
    conn.executemany(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, amount_fen,
               ordered_at, supplier) VALUES (?, '1', 'H46010001', ?, ?, 1250, ?, '国药控股海南有限公司')""",
        [("O1", AMOXICILLIN, 25, "2026-04-01 09:00:00"), ("O2", AMOXICILLIN, 25, "2026-09-01 09:00:00")],
    )
    conn.execute("INSERT INTO app_settings (key, value) VALUES ('demo_as_of', ?)", (AS_OF,))
    return conn


@pytest.fixture
def page(qtbot, worker, report_db, wait_idle) -> ReportedPage:
    p = ReportedPage(worker)
    qtbot.addWidget(p)
    p.resize(1200, 600)
    p.show()
    wait_idle(worker)
    assert p.report is not None
    return p


def edit(page: ReportedPage, generic: str, column: int, value: str) -> bool:
    model = page.model
    return model.setData(model.index(model.row_of(generic), column), value, Qt.ItemDataRole.EditRole)


def test_rows_figures_and_unreported_flag(page):
    model = page.model
    assert page.report.report_year == 2027
    assert [model.row_at(i).generic for i in range(model.rowCount())] == ["阿莫西林胶囊", "阿托伐他汀钙片"]
    row = model.row_of("阿莫西林胶囊")
    assert model.index(row, 3).data() == "1,200"  # 50 boxes × 24 capsules
    assert model.index(row, ReportModel.CHECK).data() == "Not reported: no surplus retention"
    assert "2 not reported" in page.summary_label.text()
    assert "12 个月" in page.method_label.text()  # the proposal method is stated


def test_report_model_passes_qtmodeltester(qtmodeltester, page):
    qtmodeltester.check(page.model, force_py=True)
    qtmodeltester.check(ReportModel(), force_py=True)


def test_av10_entered_change_beyond_limit_is_marked_then_explained(page):
    """+150 % exactly passes; one more unit needs an explanation (AV-10)."""
    model = page.model
    row = model.row_of("阿莫西林胶囊")
    assert edit(page, "阿莫西林胶囊", ReportModel.QUANTITY, "3000")  # exactly +150 %
    assert model.index(row, ReportModel.CHECK).data() == "Within limits"
    assert edit(page, "阿莫西林胶囊", ReportModel.QUANTITY, "3001")
    assert model.index(row, 6).data() == "+150.1%"
    assert model.index(row, ReportModel.CHECK).data().startswith("Explanation required")
    assert model.index(row, ReportModel.EXPLANATION).data(Qt.ItemDataRole.BackgroundRole).color() \
        == MISSING_COLOUR
    assert "1 need a written explanation" in page.summary_label.text()
    assert page.save_button.isEnabled()
    # A reload would drop the draft: the controls that reload wait for save or revert.
    assert not page.year_spin.isEnabled() and not page.import_button.isEnabled()
    assert edit(page, "阿莫西林胶囊", ReportModel.EXPLANATION, "新开发热门诊")
    assert model.index(row, ReportModel.CHECK).data() == "Explained (+150.1%)"


def test_bad_quantity_is_refused_with_the_reason(page):
    assert not edit(page, "阿莫西林胶囊", ReportModel.QUANTITY, "12.5盒")
    assert page.message.isVisible() and "阿莫西林胶囊" in page.message.text()
    assert "整数" in page.message.text()
    assert not page.model.has_changes()


def test_save_export_refused_then_allowed(page, worker, wait_idle, db_path, tmp_path):
    out = tmp_path / "报量.xlsx"
    assert edit(page, "阿莫西林胶囊", ReportModel.QUANTITY, "600")  # −50 %
    page.save()
    wait_idle(worker)
    assert not page.model.has_changes()
    from pharmacy_app.store import open_store

    conn = open_store(db_path)
    try:
        import datetime as dt

        stored = compute_report(conn, dt.date(2026, 11, 23)).row("阿莫西林胶囊")
        assert stored.quantity == 600 and stored.missing_explanation
    finally:
        conn.close()

    page.export_to(out)
    wait_idle(worker)
    assert not out.exists()
    assert "Export refused (AV-10)" in page.message.text() and "阿莫西林胶囊" in page.message.text()

    assert edit(page, "阿莫西林胶囊", ReportModel.EXPLANATION, "门诊量下降，改用头孢类")
    page.export_to(out)  # saves the draft first, then exports
    wait_idle(worker)
    assert out.exists()
    assert "Exported to" in page.message.text() and "阿托伐他汀钙片" in page.message.text()


def test_use_proposals_then_add_and_remove_a_generic(page, worker, wait_idle):
    assert page.model.use_proposals() == 2
    page.save()
    wait_idle(worker)
    assert page.model.unreported() == []
    page.add_edit.setText("甲硝唑片")
    page.add_generic()
    wait_idle(worker)
    row = page.model.row_of("甲硝唑片")
    assert page.model.row_at(row).origin == "user"
    page.view.selectRow(row)
    assert page.remove_button.isEnabled()
    page.remove_selected()
    wait_idle(worker)
    assert "甲硝唑片" not in [page.model.row_at(i).generic for i in range(page.model.rowCount())]


def test_import_bad_file_names_row_and_column(page, worker, wait_idle, tmp_path: Path):
    bad = tmp_path / "报量.csv"
    bad.write_text("通用名,报量,说明\n阿莫西林胶囊,很多,\n", encoding="utf-8")
    page.import_from(bad)
    wait_idle(worker)
    assert "文件「报量.csv」第2行「报量」列" in page.message.text()
    good = tmp_path / "ok.csv"
    good.write_text("通用名,报量,说明\n阿莫西林胶囊,1300,\n", encoding="utf-8")
    page.import_from(good)
    wait_idle(worker)
    model = page.model
    assert model.values(model.row_of("阿莫西林胶囊"))[0] == 1300


def test_revert_drops_the_draft(page, worker, wait_idle):
    assert edit(page, "阿莫西林胶囊", ReportModel.QUANTITY, "5")
    assert page.revert_button.isEnabled()
    page.load()
    wait_idle(worker)
    assert not page.model.has_changes() and page.year_spin.isEnabled()
    assert page.model.values(page.model.row_of("阿莫西林胶囊"))[0] is None


def test_adding_a_spelling_variant_of_a_row_is_refused(page, worker, wait_idle):
    """AV-10 entries are keyed by the normalised 通用名: `阿托伐他汀钙 片` (a space,
    as pasted from a PDF) is the row 阿托伐他汀钙片, and adding it would overwrite
    that row's quantity and explanation."""
    rows_before = page.model.rowCount()
    existing = page.model.row_at(0).generic
    page.add_edit.setText(existing[:2] + " " + existing[2:])
    page.add_generic()
    wait_idle(worker)
    assert page.model.rowCount() == rows_before
    assert "already on the report" in page.message.text()
    # The dosage form written another way (片 / 片剂) is the same 通用名 too.
    tablet = next(page.model.row_at(i).generic for i in range(page.model.rowCount())
                  if page.model.row_at(i).generic.endswith("片"))
    page.add_edit.setText(tablet + "剂")
    page.add_generic()
    wait_idle(worker)
    assert page.model.rowCount() == rows_before and tablet in page.message.text()
