"""The reports page: generate off the UI thread, preview, save, print, cancel."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QSize

from pharmacy_app.demo import build_demo
from ui.reports.page import PagesView, ReportsPage, period_choices
from ui.worker import DbWorker

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reports_page") / "demo.db"
    build_demo(path, today=AS_OF)
    return path


@pytest.fixture
def worker(qtbot, demo_db: Path):
    w = DbWorker(demo_db)
    yield w
    w.shutdown()


def make_page(qtbot, worker: DbWorker) -> ReportsPage:
    page = ReportsPage(worker)
    qtbot.addWidget(page)
    page.resize(1000, 760)
    return page


def test_generates_the_agreements_report_off_the_ui_thread_and_previews_every_page(
    qtbot, worker: DbWorker
):
    page = make_page(qtbot, worker)
    page.show()
    qtbot.waitUntil(lambda: worker.is_idle(), timeout=10_000)
    page.set_choice("agreements", AS_OF)
    assert not page.save_button.isEnabled()
    with qtbot.waitSignal(page.generated, timeout=60_000):
        page.generate()
        assert not page.generate_button.isEnabled()  # returned at once: the work is on the worker
    result = page.result
    assert result is not None and result.kind == "agreements" and result.as_of == AS_OF
    assert result.data.startswith(b"%PDF")
    assert len(page.pages_view.pages) == result.built.pages > 1
    assert page.save_button.isEnabled() and page.print_button.isEnabled()
    text = "".join("".join(p.text().split()) for p in result.pages)
    assert "集采约定采购量执行进度报告" in text
    assert f"第1页/共{result.built.pages}页" in text
    # The preview paints pages (not a blank area).
    image = page.pages_view.grab().toImage()
    assert not image.isNull()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, 400, 7)}
    assert len(colours) > 5
    # The grab drew every page; the last few stay as images for scrolling back.
    cached = page.pages_view._images
    assert 0 < len(cached) <= 8


def test_save_writes_the_generated_pdf_and_print_paints_every_page(
    qtbot, worker: DbWorker, tmp_path: Path
):
    from PySide6.QtGui import QPdfWriter

    page = make_page(qtbot, worker)
    page.set_choice("payment-standards", AS_OF)
    with qtbot.waitSignal(page.generated, timeout=60_000):
        page.generate()
    out = tmp_path / "standards.pdf"
    page.save_to(out)
    assert out.read_bytes() == page.result.data
    assert not out.with_name("standards.pdf.part").exists()
    # Printing goes through the same painter onto any paged device; a PDF writer
    # stands in for the printer here.
    printed = tmp_path / "printed.pdf"
    writer = QPdfWriter(str(printed))
    assert page.print_to(writer) == page.result.built.pages
    del writer
    from pypdf import PdfReader

    assert len(PdfReader(str(printed)).pages) == page.result.built.pages


def test_cancel_stops_generation_without_a_result(qtbot, worker: DbWorker):
    page = make_page(qtbot, worker)
    page.set_choice("assessment", AS_OF)
    page.generate()
    page.cancel()
    qtbot.waitUntil(lambda: worker.is_idle(), timeout=60_000)
    assert page.result is None
    assert page.generate_button.isEnabled()
    assert page.status.text() == page.tr("Cancelled; no report generated.")


def test_period_picker_offers_quarter_and_year_ends_up_to_the_date():
    choices = period_choices(dt.date(2026, 6, 30))
    days = [d for _, d in choices]
    assert days[:2] == [dt.date(2026, 6, 30), dt.date(2026, 3, 31)]
    assert dt.date(2025, 12, 31) in days
    assert all(d <= dt.date(2026, 6, 30) for d in days)


def test_choosing_a_period_sets_the_as_of_date(qtbot, worker: DbWorker):
    page = make_page(qtbot, worker)
    index = page.period_combo.findData("2025-12-31")
    assert index > 0
    page._period_chosen(index)
    assert page.as_of() == dt.date(2025, 12, 31)


def test_pages_view_sizes_to_its_pages():
    from reports.pdfpages import Page

    view = PagesView()
    view.set_pages([Page(595, 842), Page(842, 595)], 640)
    assert view.sizeHint().width() == 640
    rects = view.page_rects()
    assert rects[0].height() > rects[0].width() and rects[1].width() > rects[1].height()
    assert view.sizeHint() == QSize(640, rects[1].bottom() + 16)


def test_year_basis_applies_to_the_assessment_report_only(qtbot, worker: DbWorker):
    page = make_page(qtbot, worker)
    page.set_choice("agreements", AS_OF)
    assert not page.basis_combo.isEnabled()
    page.set_choice("assessment", AS_OF)
    assert page.basis_combo.isEnabled()
    page.basis_combo.setCurrentIndex(page.basis_combo.findData("natural"))
    with qtbot.waitSignal(page.generated, timeout=60_000):
        page.generate()
    assert page.result is not None and page.result.year_basis == "natural"
    text = "".join("".join(p.text().split()) for p in page.result.pages[:3])
    assert "（自然年度）" in text
