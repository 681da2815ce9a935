"""The assessment page (SR-2 scoring, SR-3 basis and institution changes) on the demo data.

The page shows what `pharmacy-app assessment --json` prints (one code path:
compute_assessment) for the chosen basis; entered figures are validated
(the field is named, nothing written) and change the score; an institution
change recorded in the dialog moves agreed volume from its date. Models pass
qtmodeltester.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pharmacy_app.cli import main
from ui.assessment.page import AssessmentPage, ChangeDialog

DEMO_DAY = dt.date(2026, 11, 23)


@pytest.fixture
def page(qtbot, demo_worker, wait_idle) -> AssessmentPage:
    p = AssessmentPage(demo_worker)
    qtbot.addWidget(p)
    p.resize(1400, 900)
    p.show()
    qtbot.waitUntil(lambda: p.result is not None, timeout=20_000)
    wait_idle(demo_worker)
    return p


def cli(db: Path, capsys, *extra: str) -> dict:
    capsys.readouterr()  # qtmodeltester prints
    assert main(["--db", str(db), "assessment", "--as-of", "2026-11-23", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def assert_page_equals(page: AssessmentPage, expected: dict) -> None:
    assert page.total_card.value.text() == f"{expected['total']:.2f}"
    assert page.result_card.value.text() == expected["result"]
    m = page.model
    assert m.rowCount() == len(expected["indicators"]) == 8
    for i, ind in enumerate(expected["indicators"]):
        assert m.cell(i, "Indicator") == ind["name"]
        assert m.cell(i, "Indicator value") == ind["display"]
        assert m.cell(i, "Score") == f"{ind['score']:.2f}"
        assert m.cell(i, "Scoring method") == ind["method"]
    assert expected["period"]["start"] in page.period_card.detail.text()


def test_page_shows_the_cli_assessment(page, capsys, qtmodeltester):
    """SR-2 on the page = `assessment --json`; the demo's entered figures give a full total."""
    qtmodeltester.check(page.model)
    qtmodeltester.check(page.change_model)
    expected = cli(page.worker.db_path, capsys)
    assert expected["missing"] == []  # demo_extras/assessment.py entered the four figures
    assert_page_equals(page, expected)
    assert page.entry_edits["cost_growth"].text().endswith("%")


def test_natural_year_basis_recomputes(qtbot, page, capsys, wait_idle):
    """SR-3: the basis picker switches to the natural year and says so."""
    with qtbot.waitSignal(page.assessment_shown, timeout=20_000):
        page.basis_combo.setCurrentIndex(page.basis_combo.findData("natural"))
    wait_idle(page.worker)
    expected = cli(page.worker.db_path, capsys, "--basis", "natural")
    assert page.result["period"]["basis"] == "natural"
    assert_page_equals(page, expected)
    assert page.period_card.value.text() == "Natural year"


def test_entered_figures_are_validated_and_saved(qtbot, page, wait_idle):
    edit = page.entry_edits["price_violations"]
    edit.setText("1.5")
    page.save_entries()
    assert "价格违规次数" in page.entry_error.text()
    wait_idle(page.worker)
    before = page.result["total"]
    edit.setText("2")  # the demo entered 1
    with qtbot.waitSignal(page.assessment_shown, timeout=20_000):
        page.save_entries()
    wait_idle(page.worker)
    price = next(i for i in page.result["indicators"] if i["id"] == "ref_price_violations")
    assert price["display"] == "2 次" and price["earned"] == 0 and page.result["total"] < before
    # Clearing a field makes the figure missing again (0 points, never invented).
    page.entry_edits["cost_growth"].setText("")
    with qtbot.waitSignal(page.assessment_shown, timeout=20_000):
        page.save_entries()
    wait_idle(page.worker)
    assert "key_cost_growth" in page.result["missing"]


def refused_change(page, wait_idle, qty: str, from_code: str, to_code: str | None = None
                   ) -> ChangeDialog:
    """The change dialog filled in for 阿卡波糖片 and saved once: the domain's message shown."""
    dialog = page.open_change_dialog()
    assert isinstance(dialog, ChangeDialog)
    dialog.from_code.setText(from_code)
    if to_code is not None:
        dialog.to_code.setText(to_code)
    dialog.generic.setCurrentIndex(dialog.generic.findText("阿卡波糖片（第二批）"))
    dialog.qty.setText(qty)
    dialog.save()
    wait_idle(page.worker)
    return dialog


def test_change_dialog_records_an_sr3_change(qtbot, page, wait_idle):
    dialog = refused_change(page, wait_idle, "abc", "S0001")
    assert "转移约定量" in dialog.error.text()
    dialog.qty.setText("5000")
    with qtbot.waitSignal(page.assessment_shown, timeout=20_000):
        dialog.save()
    wait_idle(page.worker)
    # The demo's station transfer (1,200) and this one.
    assert page.change_model.rowCount() == 2
    assert [page.change_model.cell(i, "From institution") for i in range(2)] == [
        "H46010001-03", "S0001"]
    row = next(a for a in page.result["agreements"] if a["generic"] == "阿卡波糖片")
    assert row["moved_qty"] == 1200 + 5000
    assert any("SR-3" in n for n in page.result["notes"])


def test_completion_rows_add_up_to_the_indicator(page, qtmodeltester):
    """SR-2 key indicator 1: the agreement rows behind it sum to its value."""
    qtmodeltester.check(page.agreement_model)
    rows = [page.agreement_model.row_at(i) for i in range(page.agreement_model.rowCount())]
    assessed = [r for r in rows if not r["exempt"] and r["due_qty"]]
    completion = next(i for i in page.result["indicators"] if i["id"] == "key_completion")
    assert sum(r["selected_qty"] for r in assessed) / sum(r["due_qty"] for r in assessed) == \
        pytest.approx(completion["value"], abs=1e-6)
    moved = [page.agreement_model.cell(i, "Moved by changes (SR-3)") for i in range(len(rows))]
    assert "1,200" in moved  # the demo's station transfer
    page.view.doubleClicked.emit(page.model.index(0, 1))
    assert page.tabs.currentIndex() == 1


def test_deleting_a_change_asks_first(qtbot, page, wait_idle):
    from PySide6.QtWidgets import QMessageBox

    page.change_view.selectRow(0)
    box = page.delete_selected_change()
    assert isinstance(box, QMessageBox) and "阿卡波糖片" in box.text()
    box.button(QMessageBox.StandardButton.No).click()
    wait_idle(page.worker)
    assert page.change_model.rowCount() == 1
    page.change_view.selectRow(0)
    box = page.delete_selected_change()
    with qtbot.waitSignal(page.assessment_shown, timeout=20_000):
        box.button(QMessageBox.StandardButton.Yes).click()
    wait_idle(page.worker)
    assert page.change_model.rowCount() == 0
    assert all(a["moved_qty"] == 0 for a in page.result["agreements"])


def _entered(page: AssessmentPage, indicator: str) -> float | None:
    from db import open_db
    from pharmacy_app.scoring import entered_figures

    period = page.result["period"]
    conn = open_db(page.worker.db_path)
    try:
        figures = entered_figures(conn, page.result["institution"]["code"], period["basis"],
                                  dt.date.fromisoformat(period["start"]))
    finally:
        conn.close()
    entry = figures.get(indicator)
    return None if entry is None else entry.value


def test_the_growth_rate_field_is_in_percent_and_kept_exactly(qtbot, page, wait_idle):
    """SR-2: 3.5 typed in the (%) field is 3.5 %, and 12.3456 % survives saving other figures."""
    growth = page.entry_edits["cost_growth"]
    growth.setText("3.5")
    with qtbot.waitSignal(page.assessment_shown, timeout=20_000):
        page.save_entries()
    wait_idle(page.worker)
    assert _entered(page, "cost_growth") == pytest.approx(0.035)
    assert growth.text() == "3.5%"
    growth.setText("12.3456%")
    with qtbot.waitSignal(page.assessment_shown, timeout=20_000):
        page.save_entries()
    wait_idle(page.worker)
    page.entry_edits["price_violations"].setText("3")
    with qtbot.waitSignal(page.assessment_shown, timeout=20_000):
        page.save_entries()
    wait_idle(page.worker)
    assert _entered(page, "cost_growth") == pytest.approx(0.123456)
    assert _entered(page, "price_violations") == 3


def test_a_figure_typed_but_not_saved_survives_a_reload(qtbot, page, wait_idle):
    page.entry_edits["vbp_violations"].setText("3")
    with qtbot.waitSignal(page.assessment_shown, timeout=20_000):
        page.load()  # as another change in the database would
    wait_idle(page.worker)
    assert page.entry_edits["vbp_violations"].text() == "3"


def test_a_change_must_involve_this_institution_and_shows_whole_units(qtbot, page, wait_idle):
    dialog = refused_change(page, wait_idle, "1234567", "H1", "H2")
    assert "须有一方是本机构" in dialog.error.text()
    dialog.from_code.setText("S0001")
    dialog.to_code.setText(page.result["institution"]["code"])
    with qtbot.waitSignal(page.assessment_shown, timeout=20_000):
        dialog.save()
    wait_idle(page.worker)
    moved = [page.change_model.cell(i, "Quantity moved") for i in range(page.change_model.rowCount())]
    assert "1,234,567" in moved
