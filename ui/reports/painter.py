"""Draw report pages (`reports.pdfpages.Page`) with QPainter: on screen for the
preview, on a QPrinter for printing.

The text is drawn in the same TrueType face the PDF embeds
(`reports.fonts.FONT_FILE`), so the preview and the print
have the PDF's glyphs and widths.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QTransform,
)

from reports.fonts import FONT_FILE

if TYPE_CHECKING:
    from reports.pdfpages import Page

PDF_FONT = FONT_FILE
TEXT_PIXELS = 100  # text is drawn at this pixel size and scaled down by 1/100


@cache
def pdf_font_family() -> str:
    """The family of the PDF's font, registered with Qt once ('' if unavailable)."""
    font_id = QFontDatabase.addApplicationFont(str(PDF_FONT))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    return families[0] if families else ""


def _colour(rgb: tuple[float, float, float]) -> QColor:
    r, g, b = (max(0, min(255, round(v * 255))) for v in rgb)
    return QColor(r, g, b)


def paint_page(painter: QPainter, page: Page, target: QRectF) -> None:
    """Draw `page` scaled to fit `target` (device coordinates), white paper first."""
    _paint_page(painter, page, target)


def _paint_page(painter: QPainter, page: Page, target: QRectF) -> None:
    from reports.pdfpages import PathOp

    scale = min(target.width() / page.width, target.height() / page.height)
    left = target.left() + (target.width() - page.width * scale) / 2
    top = target.top() + (target.height() - page.height * scale) / 2
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    painter.fillRect(QRectF(left, top, page.width * scale, page.height * scale), Qt.GlobalColor.white)
    # Page space (points, y up) → device.
    base = QTransform(scale, 0, 0, -scale, left, top + page.height * scale)
    font = QFont(pdf_font_family() or painter.font().family())
    font.setPixelSize(TEXT_PIXELS)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    for op in page.ops:
        if isinstance(op, PathOp):
            path = QPainterPath()
            for seg in op.segments:
                kind = seg[0]
                if kind == "m":
                    path.moveTo(seg[1], seg[2])
                elif kind == "l":
                    path.lineTo(seg[1], seg[2])
                elif kind == "c":
                    path.cubicTo(seg[1], seg[2], seg[3], seg[4], seg[5], seg[6])
                elif kind == "h":
                    path.closeSubpath()
            path.setFillRule(Qt.FillRule.OddEvenFill if op.even_odd else Qt.FillRule.WindingFill)
            painter.setTransform(base)
            if op.stroke is not None:
                pen = QPen(_colour(op.stroke))
                pen.setWidthF(max(op.line_width, 0.01))
                pen.setCapStyle(Qt.PenCapStyle.FlatCap)
                if op.dash and any(op.dash):
                    width = max(op.line_width, 0.01)
                    pen.setDashPattern([max(d / width, 0.1) for d in op.dash])
                painter.setPen(pen)
            else:
                painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(_colour(op.fill)) if op.fill is not None else Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
        else:
            a, b, c, d, e, f = op.matrix
            text_to_page = QTransform(a, b, c, d, e, f)
            # Unit text space with y up → Qt glyphs (y down) at TEXT_PIXELS.
            # Stretched to the PDF's advance, so right-aligned figures stay in their cells
            # even where Qt picks other glyphs for a character.
            drawn = metrics.horizontalAdvance(op.text) / TEXT_PIXELS
            stretch = op.advance / drawn if drawn > 0 and op.advance > 0 else 1.0
            glyphs = QTransform(stretch / TEXT_PIXELS, 0, 0, -1 / TEXT_PIXELS, 0, 0)
            painter.setTransform(glyphs * text_to_page * base)
            painter.setPen(_colour(op.fill))
            painter.drawText(QPointF(0, 0), op.text)
    painter.restore()


def page_image(page: Page, width_px: int, device_pixel_ratio: float = 1.0) -> QImage:
    """The page as an image `width_px` wide (the preview's thumbnails and pages)."""
    w = max(1, int(width_px * device_pixel_ratio))
    h = max(1, int(w * page.height / page.width))
    image = QImage(w, h, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    try:
        _paint_page(painter, page, QRectF(0, 0, w, h))
    finally:
        painter.end()
    image.setDevicePixelRatio(device_pixel_ratio)
    return image
