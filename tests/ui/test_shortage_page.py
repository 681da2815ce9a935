"""The shortage page: fill, validate, autosave, reopen and advance a report through
every SH-2 status; SH-3 proposals start prefilled drafts; print through the worker."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import shiboken6
from conftest import AMLODIPINE, AMOXICILLIN
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from pharmacy_app.shortage.store import list_reports, load_report, set_liaison
from ui.shortage.page import ShortagePage


@pytest.fixture
def page(qtbot, worker, catalogue_db, wait_idle) -> ShortagePage:
    set_liaison(catalogue_db, "王芳", "0898-65301234")
    p = ShortagePage(worker)
    qtbot.addWidget(p)
    p.resize(1300, 820)
    p.show()
    wait_idle(worker)
    return p


def saved(form) -> bool:
    return form.stored and not form.dirty and not form.saving and form.worker.is_idle()


def fill_and_autosave(qtbot, page: ShortagePage, wait_idle) -> None:
    form = page.form
    page.new_report()
    assert page.tabs.currentWidget() is form
    # Keyboard first: the cursor waits in the product search.
    assert QApplication.focusWidget() is form.search
    # Sensible defaults: the liaison reports, today is the start date.
    assert (form.reporter.text(), form.contact.text()) == ("王芳", "0898-65301234")
    qtbot.keyClicks(form.search, "amxl")
    assert form.matches.rowCount() == 1  # the inactive 阿莫西林克拉维酸钾 is not offered
    qtbot.keyClick(form.search, Qt.Key.Key_Return)
    assert form.product_code.text() == AMOXICILLIN
    assert form.generic_name.text() == "阿莫西林" and form.dosage_form.text() == "胶囊"
    assert QApplication.focusWidget() is form.start_date  # on to the next field
    wait_idle(page.worker)
    qtbot.keyClicks(form.stock, "48")
    qtbot.keyClicks(form.monthly_use, "240")
    assert form.cover_label.text() == "6.0 days"
    form.cause.setCurrentIndex(form.cause.findData("distribution"))
    form.kind.setCurrentIndex(form.kind.findData("complete"))
    form.clinical_impact.insertPlainText("儿童感染首选")
    form.other_substitutes.insert("头孢克肟胶囊")
    form.measures.insertPlainText("催促配送企业")
    assert form.substitutability_label.text() == "Same-class substitute only"
    assert form.level_label.text() == "Red"  # 6 days < 7
    # Drafts save themselves through the worker.
    qtbot.waitUntil(lambda: saved(form), timeout=5000)


def test_sh1_fill_autosave_validate_and_sh2_every_status(qtbot, page, catalogue_db, wait_idle,
                                                          tmp_path: Path):
    form = page.form
    fill_and_autosave(qtbot, page, wait_idle)
    uuid = form.report.uuid
    stored = load_report(catalogue_db, uuid)
    assert stored.status == "draft" and stored.stock_on_hand == 48
    assert stored.clinical_impact == "儿童感染首选"
    assert [s.name for s in stored.substitutes] == ["头孢克肟胶囊"]

    # Validation names the field and marks it; nothing moves on.
    form.clinical_impact.clear()
    form.advance_buttons["reported"].click()
    assert "临床影响：必填" in form.errors_label.text()
    assert form.clinical_impact.property("invalid") is True
    wait_idle(page.worker)
    assert load_report(catalogue_db, uuid).status == "draft"

    form.clinical_impact.insertPlainText("儿童感染首选")
    assert form.advance_buttons["reported"].isVisible()
    qtbot.keyClick(form.measures, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    wait_idle(page.worker)
    assert form.report.status == "reported" and not form.errors_label.text()
    assert form.clinical_impact.property("invalid") is False
    assert form.advance_buttons["handling"].isVisible()
    assert not form.advance_buttons["reported"].isVisible()

    # Reopen from the list: every field comes back from the database.
    page.tabs.setCurrentIndex(0)
    wait_idle(page.worker)
    rows = {page.reports.row_at(i).uuid: i for i in range(page.reports.rowCount())}
    page.open_row(rows[uuid])
    wait_idle(page.worker)
    assert form.product_code.text() == AMOXICILLIN
    assert (form.stock.text(), form.monthly_use.text()) == ("48", "240")
    assert form.cause.currentData() == "distribution" and form.kind.currentData() == "complete"
    assert form.clinical_impact.toPlainText() == "儿童感染首选"
    assert form.other_substitutes.text() == "头孢克肟胶囊"
    assert form.status_label.text() == "Status: Reported"

    # SH-2 onwards, each step dated and signed by the person named.
    form.done_by.setText("李主任")
    for status in ("handling", "unresolvable", "resolved"):
        form.step_note.setText(f"→ {status}")
        form.advance_buttons[status].click()
        wait_idle(page.worker)
        assert form.report.status == status
    steps = load_report(catalogue_db, uuid).steps
    assert [s.to_status for s in steps] == ["draft", "reported", "handling", "unresolvable",
                                           "resolved"]
    assert [s.by for s in steps[2:]] == ["李主任"] * 3 and steps[3].note == "→ unresolvable"
    assert form.steps.rowCount() == 5
    assert not form.measures.isEnabled()  # resolved: read-only
    assert not any(b.isVisible() for b in form.advance_buttons.values())
    # The unresolved list no longer shows it.
    page.tabs.setCurrentIndex(0)
    wait_idle(page.worker)
    assert uuid not in {page.reports.row_at(i).uuid for i in range(page.reports.rowCount())}

    # Print / save PDF goes through the worker.
    out = tmp_path / "report.pdf"
    form.open_report(load_report(catalogue_db, uuid))
    form.print_pdf(out)
    wait_idle(page.worker)
    assert out.read_bytes().startswith(b"%PDF")


def test_sh1_nothing_typed_is_lost_when_switching_reports(qtbot, page, catalogue_db, wait_idle):
    form = page.form
    fill_and_autosave(qtbot, page, wait_idle)
    first = form.report.uuid
    form.measures.insertPlainText("；已向县医院调剂")
    assert form.dirty
    page.new_report()  # before the timer fires
    wait_idle(page.worker)
    assert load_report(catalogue_db, first).measures_taken == "催促配送企业；已向县医院调剂"
    # An empty new report is not stored until a product is picked.
    wait_idle(page.worker)
    assert len(list_reports(catalogue_db)) == 1


def test_sh1_filed_report_keeps_its_fields_complete(qtbot, page, catalogue_db, wait_idle):
    form = page.form
    fill_and_autosave(qtbot, page, wait_idle)
    form.advance_buttons["reported"].click()
    wait_idle(page.worker)
    form.contact.setText("call me")
    form.save_now()
    wait_idle(page.worker)
    assert "联系电话" in form.errors_label.text()
    assert load_report(catalogue_db, form.report.uuid).contact == "0898-65301234"


def test_sh3_proposal_starts_a_prefilled_draft(qtbot, page, catalogue_db, wait_idle, qtmodeltester):
    for i, day in enumerate(("2026-11-10", "2026-11-15")):
        catalogue_db.execute(
            """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, price,
                   amount_fen, ordered_at, delivered_at, supplier)
               VALUES (?, '1', 'H46010001', ?, 2, '10', 2000, ?, NULL, '国药控股海南有限公司')""",
            (f"PO{i}", AMLODIPINE, f"{day} 09:00:00"),
        )
    catalogue_db.execute(
        "INSERT INTO app_settings (key, value) VALUES ('demo_as_of', '2026-11-23')"
    )
    page.worker.refresh_all()
    wait_idle(page.worker)
    assert page.proposals.rowCount() == 1
    assert page.proposals.row_at(0).product.code == AMLODIPINE
    assert page.proposals_title.text() == "Proposed reports (SH-3): 1"
    qtmodeltester.check(page.proposals)
    page.proposal_view.setFocus()
    page.proposal_view.selectRow(0)
    page.draft_button.click()
    wait_idle(page.worker)
    form = page.form
    assert page.tabs.currentWidget() is form
    assert form.product_code.text() == AMLODIPINE and form.report.uuid
    assert form.cause.currentData() == "distribution"
    assert form.start_date.date().toPython() == dt.date(2026, 11, 12)  # first deadline passed
    conversion = catalogue_db.execute(
        "SELECT conversion FROM products WHERE code=?", (AMLODIPINE,)
    ).fetchone()[0]
    # Four packages ordered in the last 90 days, in smallest units per 30 days.
    assert float(form.monthly_use.text()) == pytest.approx(4 * conversion * 30 / 90, abs=0.1)
    assert load_report(catalogue_db, form.report.uuid).signal == "undelivered"
    # The proposal is answered: it leaves the list.
    page.tabs.setCurrentIndex(0)
    wait_idle(page.worker)
    assert page.proposals.rowCount() == 0
    qtmodeltester.check(page.reports)


def test_liaison_dialog_refuses_a_bad_phone(qtbot, page, catalogue_db, wait_idle):
    page.edit_liaison()
    dialog = page._dialog
    assert dialog is not None and dialog.name.text() == "王芳"
    dialog.phone.setText("no phone")
    dialog.save_requested.emit()
    wait_idle(page.worker)
    assert "联络员电话" in dialog.error.text() and dialog.isVisible()
    dialog.name.setText("李明")
    dialog.phone.setText("13800138000")
    dialog.save_requested.emit()
    wait_idle(page.worker)
    assert not shiboken6.isValid(dialog) or not dialog.isVisible()  # closed (and deleted)
    assert page.liaison_button.text() == "Information liaison: 李明"


def test_sh3_stock_count_feeds_the_low_cover_proposal(qtbot, page, catalogue_db, wait_idle):
    catalogue_db.execute(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, price,
               amount_fen, ordered_at, delivered_at, supplier)
           VALUES ('PO1', '1', 'H46010001', ?, 30, '10', 30000, '2026-11-01 09:00:00',
                   '2026-11-01 15:00:00', '国药控股海南有限公司')""",
        (AMLODIPINE,),
    )
    catalogue_db.execute("INSERT INTO app_settings (key, value) VALUES ('demo_as_of', '2026-11-23')")
    page.worker.refresh_all()
    wait_idle(page.worker)
    assert page.proposals.rowCount() == 0
    page.record_stock()
    dialog = page._dialog
    dialog.save_requested.emit()
    assert dialog.error.text() == "Pick the product first."
    qtbot.keyClicks(dialog.search, AMLODIPINE.lower())
    assert dialog.chosen().code == AMLODIPINE
    qtbot.keyClicks(dialog.qty, "10")
    dialog.save_requested.emit()
    wait_idle(page.worker)
    assert tuple(catalogue_db.execute(
        "SELECT qty, source FROM stock_counts WHERE product_code=?", (AMLODIPINE,)
    ).fetchone()) == (10.0, "count")
    assert [p.reason for p in page.proposals.rows()] == ["low_cover"]


def test_sh1_saves_queue_without_duplicates(qtbot, page, catalogue_db, wait_idle):
    """Typing on while a save runs, then leaving: every keystroke is stored,
    in one record."""
    form = page.form
    fill_and_autosave(qtbot, page, wait_idle)
    uuid = form.report.uuid
    for word in ("一", "二", "三"):
        form.measures.insertPlainText(word)
        form.save_now()  # each save queues behind the previous one
    form.measures.insertPlainText("四")
    page.tabs.setCurrentIndex(0)  # hiding the form saves the rest
    wait_idle(page.worker)
    assert [r.uuid for r in list_reports(catalogue_db)] == [uuid]
    stored = load_report(catalogue_db, uuid)
    assert stored.measures_taken == "催促配送企业一二三四"
    assert form.report.version == stored.version


def test_discarded_draft_leaves_a_fresh_report(qtbot, page, catalogue_db, wait_idle):
    form = page.form
    fill_and_autosave(qtbot, page, wait_idle)
    first = form.report.uuid
    assert form.delete_button.isVisible()
    form.discard_draft()
    wait_idle(page.worker)
    assert list_reports(catalogue_db) == []
    assert form.report.uuid and form.report.uuid != first and form.product_code.text() == ""
    # The fresh report saves under its own id.
    qtbot.keyClicks(form.search, "amxl")
    qtbot.keyClick(form.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: saved(form) and form.stored, timeout=5000)
    assert [r.uuid for r in list_reports(catalogue_db)] == [form.report.uuid]


def test_save_dialogs_write_pdf_and_exports(qtbot, page, catalogue_db, wait_idle, tmp_path: Path):
    form = page.form
    fill_and_autosave(qtbot, page, wait_idle)
    form.choose_pdf_file()
    dialog = form._file_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.defaultSuffix() == "pdf"
    pdf = tmp_path / "one.pdf"
    dialog.fileSelected.emit(str(pdf))
    dialog.reject()
    wait_idle(page.worker)
    assert pdf.read_bytes().startswith(b"%PDF")
    form.choose_export_file()
    export = tmp_path / "one.json"
    form._file_dialog.fileSelected.emit(str(export))
    form._file_dialog.reject()
    wait_idle(page.worker)
    assert export.read_text(encoding="utf-8").count('"id"') >= 1
    page.tabs.setCurrentIndex(0)
    wait_idle(page.worker)
    page.choose_export_file()
    listing = tmp_path / "list.xlsx"
    page._file_dialog.fileSelected.emit(str(listing))
    page._file_dialog.reject()
    page.print_unresolved(tmp_path / "open.pdf")
    wait_idle(page.worker)
    assert listing.stat().st_size > 0 and (tmp_path / "open.pdf").stat().st_size > 0
    assert page.message.text().startswith("Saved ")


def test_list_reloads_when_shown_not_after_every_autosave(qtbot, page, catalogue_db, wait_idle):
    form = page.form
    fill_and_autosave(qtbot, page, wait_idle)
    loads: list[int] = []
    page.overview_shown.connect(lambda: loads.append(1))
    form.measures.insertPlainText("；再催")
    form.save_now()
    wait_idle(page.worker)
    assert loads == []  # the form is in front: no reload per save
    page.tabs.setCurrentIndex(0)
    wait_idle(page.worker)
    assert loads == [1]
    assert page.reports.row_at(0).measures_taken == "催促配送企业；再催"


def test_sh3_a_corrected_pick_shows_the_new_products_figures(qtbot, demo_worker, demo_copy,
                                                             wait_idle):
    """Picking 地高辛 then correcting to 硝酸甘油: the stock and monthly use are 硝酸甘油's
    (the first pick's stock, saved as a count, would drive the low-cover signal)."""
    import datetime as dt

    from db import open_db
    from pharmacy_app.shortage.signals import estimated_stock, monthly_use
    from ui.shortage.form import number_text

    page = ShortagePage(demo_worker)
    qtbot.addWidget(page)
    page.show()
    wait_idle(demo_worker)
    form = page.form
    page.new_report()
    wait_idle(demo_worker)

    def pick(code: str) -> None:
        form.search.setText(code)
        assert form.matches.rowCount() >= 1
        form.pick_row(0)
        wait_idle(demo_worker)

    pick("XC01AAA069A003010001501")  # 地高辛
    first = (form.stock.text(), form.monthly_use.text())
    assert all(first)
    pick("XC01DAA066A003010003901")  # 硝酸甘油
    conn = open_db(demo_copy)
    try:
        day = dt.date(2026, 11, 23)
        use = monthly_use(conn, "XC01DAA066A003010003901", day)
        stock = estimated_stock(conn, "XC01DAA066A003010003901", day, use)
    finally:
        conn.close()
    assert form.monthly_use.text() == ("" if use is None else number_text(use))
    assert form.stock.text() == ("" if stock is None else number_text(stock))
    assert (form.stock.text(), form.monthly_use.text()) != first


def test_sh1_a_filed_report_that_cannot_be_saved_is_not_left(qtbot, demo_worker, wait_idle):
    """Edits to a reported report with a bad field keep the form on it (nothing typed is lost)."""
    page = ShortagePage(demo_worker)
    qtbot.addWidget(page)
    page.show()
    wait_idle(demo_worker)
    form = page.form

    def row_of(name: str) -> int:
        return next(i for i in range(page.reports.rowCount())
                    if page.reports.row_at(i).generic_name == name)

    page.open_row(row_of("硫酸阿托品"))
    wait_idle(demo_worker)
    assert form.report.status != "draft"
    form.measures.setPlainText("向县医院申请调剂")
    form.contact.setText("abc")
    page.open_row(row_of("缩宫素"))
    wait_idle(demo_worker)
    assert form.generic_name.text() == "硫酸阿托品"
    assert form.measures.toPlainText() == "向县医院申请调剂" and form.contact.text() == "abc"
    assert "尚未保存" in form.save_state.text() or "not saved" in form.save_state.text()
    form.contact.setText("0898-12345678")
    page.open_row(row_of("缩宫素"))
    wait_idle(demo_worker)
    assert form.generic_name.text() == "缩宫素"


def test_sh1_a_new_draft_without_a_product_can_be_left(qtbot, demo_worker, wait_idle):
    page = ShortagePage(demo_worker)
    qtbot.addWidget(page)
    page.show()
    wait_idle(demo_worker)
    page.new_report()
    wait_idle(demo_worker)
    page.form.measures.setPlainText("还没选产品")  # typed, but nothing worth a record yet
    page.open_row(0)
    wait_idle(demo_worker)
    assert page.form.generic_name.text() == page.reports.row_at(0).generic_name
