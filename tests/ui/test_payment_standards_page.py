"""The payment-standards page (PS-1 … PS-4) on the demo data.

The page shows the rows `pharmacy-app payment-standards --json` prints (one
code path: payment_standards_table), filters and searches them in the
domain, and exports what it shows as xlsx. The model passes qtmodeltester.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QDate

from pharmacy_app.cli import main
from ui.payment_standards.page import PaymentStandardsPage

DEMO_DAY = dt.date(2026, 11, 23)


@pytest.fixture
def page(qtbot, demo_worker, wait_idle) -> PaymentStandardsPage:
    p = PaymentStandardsPage(demo_worker)
    qtbot.addWidget(p)
    p.resize(1400, 800)
    p.show()
    qtbot.waitUntil(lambda: p.table is not None, timeout=20_000)
    wait_idle(demo_worker)
    return p


def cli_rows(db: Path, as_of: str, capsys) -> list[dict]:
    capsys.readouterr()  # qtmodeltester prints
    assert main(["--db", str(db), "payment-standards", "--as-of", as_of, "--json"]) == 0
    return json.loads(capsys.readouterr().out)["products"]


def test_page_shows_the_cli_figures(page, capsys, qtmodeltester):
    """PS-1/PS-2/PS-3 per product on the page = `payment-standards --json`."""
    qtmodeltester.check(page.model)
    expected = cli_rows(page.worker.db_path, "2026-11-23", capsys)
    m = page.model
    assert m.rowCount() == len(expected) > 20
    for i, r in enumerate(expected):
        assert m.cell(i, "Generic name") == r["generic"]
        assert m.cell(i, "Manufacturer") == r["manufacturer"]
        assert m.cell(i, "Rule") == r["rule"]
        assert Decimal(m.cell(i, "Selected price")) == Decimal(r["selected_price"])
        for col, key in (("Product price", "price"), ("Year 1", "year1"), ("Year 2", "year2"),
                         ("Year 3", "year3"), ("Standard in force", "standard")):
            assert m.cell(i, col) == r[key]
        assert m.cell(i, "Patient pays extra per package") == f"{float(r['patient_extra_per_package']):,.2f}"
    # The demo has originators above 2× stepping down (PS-1) and non-evaluated generics (PS-2).
    assert {r["rule"] for r in expected} == {"PS-1", "PS-2"}
    assert any(r["gradient"] for r in expected)


def test_search_and_filters_narrow_the_rows(page, qtmodeltester):
    total = page.model.rowCount()
    page.search.setText("阿莫西林")
    assert 0 < page.model.rowCount() < total
    assert all(page.model.cell(i, "Generic name") == "阿莫西林胶囊"
               for i in range(page.model.rowCount()))
    page.search.clear()
    page.kind_combo.setCurrentIndex(page.kind_combo.findData("not_evaluated"))
    assert all(page.model.cell(i, "Rule") == "PS-2" for i in range(page.model.rowCount()))
    page.kind_combo.setCurrentIndex(0)
    page.extra_check.setChecked(True)
    assert all(page.model.row_at(i)["patient_extra_per_package"] > 0
               for i in range(page.model.rowCount()))
    qtmodeltester.check(page.model)
    assert str(page.model.rowCount()) in page.summary.text()


def test_export_writes_the_rows_shown(qtbot, page, tmp_path):
    from python_calamine import CalamineWorkbook

    page.search.setText("瑞舒伐他汀")
    shown = page.model.rowCount()
    out = tmp_path / "标准.xlsx"
    with qtbot.waitSignal(page.exported, timeout=20_000):
        page.export_to(out)
    sheet = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("支付标准").to_python()
    assert len(sheet) == 1 + shown and sheet[1][1] == "瑞舒伐他汀钙片"


def test_as_of_picker_recomputes_policy_year(qtbot, page, wait_idle):
    with qtbot.waitSignal(page.table_shown, timeout=20_000):
        page.date_edit.setDate(QDate(2027, 6, 1))
    wait_idle(page.worker)
    assert page.table.as_of == dt.date(2027, 6, 1)
    years = {r["generic"]: r["policy_year"] for r in page.table.rows}
    assert years["阿托伐他汀钙片"] == 2  # calendar-year agreement started 2026-01-01
