"""The payment-standard table (issue 6, 3c): every product of a VBP 通用名 with
the PS-1/PS-2/PS-4 standards for years 1–3 and the patient's extra per package
(PS-3), printed exactly as `pharmacy-app payment-standards --json` gives them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from report_fixtures import AS_OF, build_demo_db, cli_json, page_count, pdftotext, squeeze

from pharmacy_app.store import open_store
from reports import sources
from reports.kinds import build_report
from reports.payment_standards import price


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_db(tmp_path_factory.mktemp("standards"))


@pytest.fixture(scope="module")
def report(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("standards_pdf") / "standards.pdf"
    conn = open_store(demo_db)
    try:
        build_report("payment-standards", conn, AS_OF, out)
    finally:
        conn.close()
    return out


def cli_products(demo_db: Path) -> list[dict]:
    if sources.optional("pharmacy_app.payment_standards", "compute_payment_standards") is None:
        pytest.skip("this build has no payment-standards module")
    return cli_json(demo_db, "payment-standards", "--as-of", AS_OF.isoformat(), "--json")["products"]


def test_every_product_row_carries_the_cli_figures(demo_db: Path, report: Path):
    products = cli_products(demo_db)
    assert products
    lines = [squeeze(line) for line in pdftotext(report).splitlines()]
    for p in products:
        figures = squeeze(
            f"{p['rule']}{p['selected_price']}{p['price']}{p['year1']}{p['year2']}{p['year3']}"
            f"{p['policy_year']}{p['standard']}{p['patient_extra_per_package']}"
        )
        assert any(p["code"] in line and figures in line for line in lines), (p["code"], figures)
    assert f"共{len(products)}个产品" in squeeze(pdftotext(report))


def test_ps1_gradient_rows_show_the_patient_extra(demo_db: Path, report: Path):
    """PS-1 above 2× the selected price: year 1 < P, year 3 = S, and the patient pays the rest."""
    products = cli_products(demo_db)
    gradient = [p for p in products if p.get("gradient")]
    assert gradient
    text = squeeze(pdftotext(report))
    for p in gradient:
        assert Decimal(p["year1"]) < Decimal(p["price"])
        assert Decimal(p["year3"]) == Decimal(p["selected_price"])
        assert Decimal(p["patient_extra_per_package"]) > 0
        assert p["patient_extra_per_package"] in text


def test_landscape_pages_with_the_header_on_each(report: Path):
    from pypdf import PdfReader

    reader = PdfReader(str(report))
    for pdf_page in reader.pages:
        assert pdf_page.mediabox.width > pdf_page.mediabox.height
    pages = page_count(report)
    table_pages = [n for n in range(1, pages + 1) if "H46010001" in pdftotext(report, n, n)]
    assert len(table_pages) == pages
    # Every page the table runs over starts with its header row.
    for n in range(1, pages + 1):
        page = squeeze(pdftotext(report, n, n))
        if "XC" in page or "XB" in page or "XJ" in page:
            assert "批次通用名药品编码" in page


def test_prices_print_exactly_as_the_domain_gives_them():
    assert price(Decimal("0.1600")) == "0.1600"
    assert price(Decimal("0.055")) == "0.055"
    assert price(Decimal("8.52")) == "8.52"
    assert price(None) == "—"
