"""The reports page (issue 6): pick a report and its as-of date, generate it
off the UI thread, look at the rendered pages, print them or save the PDF.

The PDF is built by `reports.kinds.render_bytes` on the database worker —
the same function `pharmacy-app report` calls — with progress and Cancel.
The preview draws the very PDF that is saved and printed, read back by
`reports.pdfpages` and painted by `ui.reports.painter` (PySide6-Essentials
has no QtPdf). Nothing here computes a figure.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QWidget,
)

from ui.page_parts import as_of_edit, page_layout, title_label
from ui.reports.painter import page_image, paint_page
from ui.worker import Cancelled, DbWorker, OpContext, Progress

if TYPE_CHECKING:
    from PySide6.QtGui import QPagedPaintDevice

    from reports.kinds import BuiltReport
    from reports.pdfpages import Page

PAGE_GAP = 16
IMAGE_CACHE = 8
PAGE_STYLE = """
QScrollArea#previewArea { background: #8a9099; border: none; }
QWidget#previewPages { background: #8a9099; }
QLabel#reportDescription { color: #555; }
QLabel#reportStatus { color: #555; }
QLabel#pageMessage { color: #b3261e; }
"""


@dataclass(frozen=True)
class Generated:
    """A built report: the PDF bytes, its pages read back for the preview."""

    kind: str
    as_of: dt.date
    data: bytes
    pages: Sequence[Page]
    built: BuiltReport
    year_basis: str = "procurement"

    def suggested_name(self) -> str:
        return f"{self.kind}-{self.as_of.isoformat()}.pdf"


def generate(ctx: OpContext, kind: str, as_of: dt.date, year_basis: str = "procurement"
             ) -> Generated:
    """Runs on the worker: build the PDF; its pages are read for the preview later."""
    from reports.kinds import ReportCancelled, render_bytes
    from reports.pdfpages import PdfPages

    def progress(done: int, total: int, label: str) -> None:
        ctx.progress(done, total, label)

    try:
        data, built = render_bytes(kind, ctx.conn, as_of, progress, ctx.cancelled,
                                   year_basis=year_basis)
    except ReportCancelled:
        raise Cancelled from None
    # Pages are read back lazily, on the main thread, as they scroll into view.
    return Generated(kind, as_of, data, PdfPages(data), built, year_basis)


def default_as_of(conn: sqlite3.Connection) -> dt.date:
    """The demo's 'today' when the database has one, else today (as the dashboards do)."""
    from ui.essential.page import default_as_of as essential_default

    return essential_default(conn)


def period_choices(today: dt.date) -> list[tuple[str, dt.date]]:
    """(label key, as-of) for the quarter ends and year ends up to `today`, latest first.

    Directors sign the report per quarter and at year end: these are the
    as-of dates they pick most. Labels are filled in by the page (translated).
    """
    out: list[tuple[str, dt.date]] = []
    for year in (today.year, today.year - 1):
        for quarter in (4, 3, 2, 1):
            end = dt.date(year, quarter * 3 % 12 + 1, 1) if quarter < 4 else dt.date(year + 1, 1, 1)
            last = end - dt.timedelta(days=1)
            if last <= today:
                out.append((f"Q{quarter}", last))
    return out


class PagesView(QWidget):
    """Every page of the report, one under the other, fitted to the width.

    Only the pages in the exposed rectangle are painted, so a 200-page
    report scrolls as lightly as a two-page one.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewPages")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.pages: Sequence[Page] = []
        self.sizes: list[tuple[float, float]] = []
        self.page_width = 640
        # Rendered pages at the current width, most recent last: scrolling back
        # and forth redraws an image instead of the page's thousands of operations.
        self._images: OrderedDict[int, QImage] = OrderedDict()

    def set_pages(self, pages: Sequence[Page], width: int) -> None:
        self.pages = pages
        self._images.clear()
        sizes = getattr(pages, "sizes", None)
        self.sizes = list(sizes) if sizes is not None else [(p.width, p.height) for p in pages]
        self.set_width(width)

    def set_width(self, width: int) -> None:
        new_width = max(200, width - 2 * PAGE_GAP)
        if new_width != self.page_width:
            self._images.clear()
        self.page_width = new_width
        self.setFixedSize(self.sizeHint())
        self.update()

    def page_rects(self) -> list[QRect]:
        rects = []
        y = PAGE_GAP
        for width, height in self.sizes:
            h = int(self.page_width * height / width)
            rects.append(QRect(PAGE_GAP, y, self.page_width, h))
            y += h + PAGE_GAP
        return rects

    def sizeHint(self) -> QSize:  # noqa: N802
        rects = self.page_rects()
        height = (rects[-1].bottom() + PAGE_GAP) if rects else 0
        return QSize(self.page_width + 2 * PAGE_GAP, height)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        try:
            painter.fillRect(event.rect(), self.palette().color(self.backgroundRole()))
            for index, rect in enumerate(self.page_rects()):
                if rect.intersects(event.rect()):
                    painter.drawImage(rect, self._image(index))
        finally:
            painter.end()

    def _image(self, index: int) -> QImage:
        image = self._images.get(index)
        if image is None:
            image = page_image(self.pages[index], self.page_width, self.devicePixelRatioF())
            self._images[index] = image
            while len(self._images) > IMAGE_CACHE:
                self._images.popitem(last=False)
        else:
            self._images.move_to_end(index)
        return image


class ReportsPage(QWidget):
    """报表: the assessment report, agreements progress and payment standards as PDF."""

    generated = Signal()

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.result: Generated | None = None
        self.op: Any = None
        self._date_known = False
        self.setStyleSheet(PAGE_STYLE)
        self._build()

    # -- layout ------------------------------------------------------------------

    def _build(self) -> None:
        from reports.kinds import KINDS

        outer = page_layout(self)

        top = QHBoxLayout()
        top.addWidget(title_label(self.tr("Reports")))
        top.addSpacing(12)
        top.addWidget(QLabel(self.tr("Report")))
        self.kind_combo = QComboBox()
        self.kind_combo.setObjectName("reportKind")
        names = {
            "assessment": self.tr("Institution assessment report"),
            "agreements": self.tr("Agreed volumes progress"),
            "payment-standards": self.tr("Payment standards table"),
        }
        for key in KINDS:
            self.kind_combo.addItem(names.get(key, KINDS[key].title), key)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        top.addWidget(self.kind_combo)
        self.basis_label = QLabel(self.tr("Year basis"))
        top.addWidget(self.basis_label)
        self.basis_combo = QComboBox()
        self.basis_combo.setObjectName("reportYearBasis")
        self.basis_combo.addItem(self.tr("Procurement year"), "procurement")
        self.basis_combo.addItem(self.tr("Natural year"), "natural")
        self.basis_combo.setToolTip(self.tr(
            "SR-3: the year the assessment scores cover — the procurement year of the "
            "agreements in force, or the calendar year to the as-of date"))
        self.basis_combo.currentIndexChanged.connect(self._mark_stale)
        top.addWidget(self.basis_combo)
        top.addSpacing(12)
        top.addWidget(QLabel(self.tr("Period")))
        self.period_combo = QComboBox()
        self.period_combo.setObjectName("reportPeriod")
        self.period_combo.activated.connect(self._period_chosen)
        top.addWidget(self.period_combo)
        top.addWidget(QLabel(self.tr("As of")))
        self.date_edit = as_of_edit("reportAsOf")
        self.date_edit.dateChanged.connect(self._date_edited)
        top.addWidget(self.date_edit)
        self.generate_button = QPushButton(self.tr("Generate"))
        self.generate_button.setObjectName("generateReport")
        self.generate_button.setDefault(True)
        self.generate_button.clicked.connect(self.generate)
        top.addWidget(self.generate_button)
        top.addStretch(1)
        outer.addLayout(top)

        self.description = QLabel()
        self.description.setObjectName("reportDescription")
        self.description.setWordWrap(True)
        outer.addWidget(self.description)

        self.message = QLabel()
        self.message.setObjectName("pageMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        outer.addWidget(self.message)

        self.area = QScrollArea()
        self.area.setObjectName("previewArea")
        self.area.setWidgetResizable(False)
        self.area.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.area.setFrameShape(QFrame.Shape.NoFrame)
        self.pages_view = PagesView()
        self.area.setWidget(self.pages_view)
        self.area.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        outer.addWidget(self.area, 1)

        bottom = QHBoxLayout()
        self.status = QLabel(self.tr("Choose a report and an as-of date, then Generate."))
        self.status.setObjectName("reportStatus")
        bottom.addWidget(self.status, 1)
        self.save_button = QPushButton(self.tr("Save as PDF…"))
        self.save_button.setObjectName("saveReport")
        self.save_button.clicked.connect(self.save_dialog)
        bottom.addWidget(self.save_button)
        self.print_button = QPushButton(self.tr("Print…"))
        self.print_button.setObjectName("printReport")
        self.print_button.clicked.connect(self.print_dialog)
        bottom.addWidget(self.print_button)
        outer.addLayout(bottom)
        self._fill_periods(dt.date.today())
        self._kind_changed()
        self._set_ready(False)

    def _set_ready(self, ready: bool) -> None:
        self.save_button.setEnabled(ready)
        self.print_button.setEnabled(ready)

    # -- choices -------------------------------------------------------------------

    def _kind_changed(self) -> None:
        descriptions = {
            "assessment": self.tr(
                "Cover, SR-2 scores, essential-drug shares, every agreement with its progress "
                "and band, delivery companies, payments, alerts and actions taken, signature block."
            ),
            "agreements": self.tr(
                "One row per agreement: progress bar with the time-sequence marker, band and "
                "non-selected share; then each agreement's progress at every month end."
            ),
            "payment-standards": self.tr(
                "Every product of a VBP generic: the payment standard in years 1–3 (PS-1, PS-2, "
                "PS-4) and what the patient pays above it per package (PS-3)."
            ),
        }
        self.description.setText(descriptions.get(self.kind(), ""))
        scored = self.kind() == "assessment"
        self.basis_label.setEnabled(scored)
        self.basis_combo.setEnabled(scored)
        self._mark_stale()

    def _fill_periods(self, today: dt.date) -> None:
        self.period_combo.blockSignals(True)
        self.period_combo.clear()
        self.period_combo.addItem(self.tr("Chosen date"), None)
        for key, day in period_choices(today):
            if day.month == 12:
                label = self.tr("Year {0} (to {1})").format(day.year, day.isoformat())
            else:
                label = self.tr("{0} {1} (to {2})").format(day.year, key, day.isoformat())
            self.period_combo.addItem(label, day.isoformat())
        self.period_combo.blockSignals(False)

    def _period_chosen(self, index: int) -> None:
        value = self.period_combo.itemData(index)
        if value:
            day = dt.date.fromisoformat(value)
            self.date_edit.setDate(QDate(day.year, day.month, day.day))

    def _date_edited(self) -> None:
        self._date_known = True
        chosen = self.as_of().isoformat()
        index = self.period_combo.findData(chosen)
        self.period_combo.setCurrentIndex(max(index, 0))
        self._mark_stale()

    def _mark_stale(self) -> None:
        if self.result is not None and (
            self.result.kind, self.result.as_of, self.result.year_basis
        ) != (self.kind(), self.as_of(), self.year_basis()):
            self.status.setText(self.tr("The preview shows an earlier choice: Generate again."))

    def kind(self) -> str:
        return str(self.kind_combo.currentData())

    def year_basis(self) -> str:
        return str(self.basis_combo.currentData())

    def as_of(self) -> dt.date:
        d = self.date_edit.date()
        return dt.date(d.year(), d.month(), d.day())

    def set_choice(self, kind: str, as_of: dt.date) -> None:
        """Select a report and date (the screenshot script and tests use it)."""
        self.kind_combo.setCurrentIndex(self.kind_combo.findData(kind))
        self.date_edit.setDate(QDate(as_of.year, as_of.month, as_of.day))

    # -- loading -------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._date_known:
            self._date_known = True
            self.worker.op(lambda ctx: default_as_of(ctx.conn)).success(
                self._set_default_date).parent(self).run()
        self._fit_pages()

    def forget_chosen_date(self) -> None:
        """Another database (leaving the demo): its report and date were the old one's."""
        self.result = None
        self.pages_view.set_pages([], min(self.area.viewport().width(), 980))
        self._set_ready(False)
        self.status.setText(self.tr("Choose a report and an as-of date, then Generate."))
        self._date_known = False
        if self.isVisible():
            self._date_known = True
            self.worker.op(lambda ctx: default_as_of(ctx.conn)).success(
                self._set_default_date).parent(self).run()

    def _set_default_date(self, day: dt.date) -> None:
        self._fill_periods(day)
        self.date_edit.setDate(QDate(day.year, day.month, day.day))

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_pages()

    def _fit_pages(self) -> None:
        width = min(self.area.viewport().width(), 980)
        self.pages_view.set_width(width)

    def generate(self) -> None:
        """Build the chosen report on the worker, with progress and Cancel."""
        if self.op is not None and not self.op.finished:
            return
        kind, as_of, basis = self.kind(), self.as_of(), self.year_basis()
        self.message.hide()
        self.generate_button.setEnabled(False)
        self.status.setText(self.tr("Generating…"))
        self.op = (
            self.worker.op(lambda ctx: generate(ctx, kind, as_of, basis))
            .success(self._show)
            .failure(self._failed)
            .cancelled(self._cancelled)
            .on_progress(self._progress)
            .with_progress(self.tr("Generating the report…"), cancellable=True, parent=self)
            .run()
        )

    def cancel(self) -> None:
        if self.op is not None and not self.op.finished:
            self.op.cancel()

    def _progress(self, progress: Progress) -> None:
        self._show_progress(progress)

    def _show_progress(self, progress: Progress) -> None:
        if progress.total > 0:
            percent = progress.done * 100 // progress.total
            self.status.setText(self.tr("Generating… {0}%").format(percent))

    def _show(self, result: Generated) -> None:
        self.result = result
        self.generate_button.setEnabled(True)
        self.pages_view.set_pages(result.pages, min(self.area.viewport().width(), 980))
        self.area.verticalScrollBar().setValue(0)
        seconds = result.built.gather_seconds + result.built.layout_seconds
        self.status.setText(self.tr("{0} pages, as of {1}, built in {2:.1f} s").format(
            result.built.pages, result.as_of.isoformat(), seconds))
        self._set_ready(True)
        self.generated.emit()

    def _failed(self, exc: BaseException) -> None:
        from pharmacy_app.indicators import NoInstitution

        self.generate_button.setEnabled(True)
        if isinstance(exc, NoInstitution):
            self.message.setText(str(exc))
            self.message.show()
            self.status.setText(self.tr("No report generated."))
            return
        from ui import errors

        self.status.setText(self.tr("No report generated."))
        errors.show_error(exc, self)

    def _cancelled(self) -> None:
        self.generate_button.setEnabled(True)
        self.status.setText(self.tr("Cancelled; no report generated."))

    # -- save and print --------------------------------------------------------------

    def save_to(self, path: Path) -> None:
        """Write the generated PDF to `path` (the file the CLI would have written)."""
        if self.result is None:
            raise RuntimeError("no report generated yet")
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(self.result.data)
        partial.replace(path)
        self.status.setText(self.tr("Saved to {0}").format(str(path)))

    def save_dialog(self) -> None:
        if self.result is None:
            return
        name, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save report as PDF"), self.result.suggested_name(),
            self.tr("PDF files (*.pdf)"))
        if not name:
            return
        path = Path(name)
        if path.suffix.lower() != ".pdf":
            path = path.with_suffix(".pdf")
        try:
            self.save_to(path)
        except OSError as exc:
            from ui import errors

            errors.show_error(exc, self)

    def print_to(self, device: QPagedPaintDevice) -> int:
        """Paint every page of the report on a printer (or any paged device); returns pages."""
        if self.result is None:
            return 0
        painter = QPainter(device)
        try:
            for i, page in enumerate(self.result.pages):
                if i:
                    device.newPage()
                paint_page(painter, page, QRectF(painter.viewport()))
        finally:
            painter.end()
        return len(self.result.pages)

    def print_dialog(self) -> None:
        if self.result is None:
            return
        from PySide6.QtGui import QPageLayout, QPageSize
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        sizes = self.pages_view.sizes
        landscape = bool(sizes) and sizes[0][0] > sizes[0][1]
        printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        printer.setPageOrientation(
            QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait)
        printer.setFullPage(True)
        printer.setDocName(self.result.suggested_name())
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(self.tr("Print report"))
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            self.print_to(printer)
