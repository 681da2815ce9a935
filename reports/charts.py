"""Vector charts for the reports (reportlab.graphics, no Qt, no bitmaps).

Charts are drawn as PDF paths so they print sharply at any size and the
text on them (month labels, percentages) stays searchable. Every value
drawn comes from the domain's figures; charts only place them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm

from reports.fonts import CJK, register_fonts
from reports.layout import (
    ACCENT,
    BAND_COLOURS,
    CONTENT_WIDTH,
    INK,
    MUTED,
    RULE,
    WARN,
    pct,
)


def monthly_share_bars(months: Sequence[str], shares: Sequence[float | None],
                       *, width: float = CONTENT_WIDTH, height: float = 62 * mm,
                       caption: str = "") -> Drawing:
    """ED-4: one bar per month of the essential amount share, value on top."""
    register_fonts()
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 14 * mm, 12 * mm
    chart.width, chart.height = width - 20 * mm, height - 22 * mm
    # A month with no purchases has no share: no bar and no "0.0%" over it.
    values = [None if s is None else round(s * 100, 1) for s in shares]
    chart.data = [values or [None]]
    chart.categoryAxis.categoryNames = list(months) or [""]
    chart.categoryAxis.labels.fontName = CJK
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.labels.fillColor = INK
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = 100
    chart.valueAxis.valueStep = 20
    chart.valueAxis.labels.fontName = CJK
    chart.valueAxis.labels.fontSize = 7.5
    chart.valueAxis.labelTextFormat = "%d%%"
    chart.valueAxis.gridStrokeColor = colors.HexColor("#e3e7ec")
    chart.valueAxis.visibleGrid = True
    chart.bars[0].fillColor = ACCENT
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = lambda value: "" if value is None else f"{value:.1f}%"
    chart.barLabels.fontName = CJK
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    chart.barLabels.fillColor = INK
    drawing.add(chart)
    if caption:
        drawing.add(String(chart.x, height - 6 * mm, caption, fontName=CJK, fontSize=8.5,
                           fillColor=MUTED))
    return drawing


def progress_lines(months: Sequence[str], progress: Sequence[float | None],
                   time_progress: Sequence[float | None], *, width: float = CONTENT_WIDTH,
                   height: float = 55 * mm, caption: str = "") -> Drawing:
    """An agreement's completion progress at each month end against the time marker.

    Solid line: progress (agreed volume completed); dashed: time progress
    (序时进度) — the line the progress should stay on or above. Drawn from
    plain lines and strings rather than reportlab's LinePlot widget: a
    200-page report draws hundreds of these, and the widget's axis and
    label machinery made them the largest part of the layout time.
    """
    register_fonts()
    drawing = Drawing(width, height)
    x0, y0 = 14 * mm, 10 * mm
    plot_w, plot_h = width - 48 * mm, height - 20 * mm
    values = [(v or 0.0) * 100 for v in progress] + [(v or 0.0) * 100 for v in time_progress]
    top = 100.0 if max(values, default=0.0) <= 100 else 50.0 * math.ceil(max(values) / 50.0)
    step = 25.0 if top <= 100 else 50.0
    grid = colors.HexColor("#e3e7ec")
    tick = 0.0
    while tick <= top + 1e-9:
        y = y0 + plot_h * tick / top
        drawing.add(Line(x0, y, x0 + plot_w, y, strokeColor=grid, strokeWidth=0.5))
        drawing.add(String(x0 - 1.5 * mm, y - 2.3, f"{tick:.0f}%", fontName=CJK, fontSize=7,
                           fillColor=INK, textAnchor="end"))
        tick += step
    drawing.add(Line(x0, y0, x0 + plot_w, y0, strokeColor=INK, strokeWidth=0.6))
    drawing.add(Line(x0, y0, x0, y0 + plot_h, strokeColor=INK, strokeWidth=0.6))
    n = len(months)
    slot = plot_w / max(n, 1)

    def xy(i: int, value: float | None) -> tuple[float, float]:
        return x0 + slot * (i + 0.5), y0 + plot_h * min((value or 0.0) * 100, top) / top

    for i, month in enumerate(months):
        x = x0 + slot * (i + 0.5)
        drawing.add(Line(x, y0, x, y0 - 1.2 * mm, strokeColor=INK, strokeWidth=0.5))
        drawing.add(String(x, y0 - 4.5 * mm, month, fontName=CJK, fontSize=7, fillColor=INK,
                           textAnchor="middle"))
    for series, colour, dash, line_width in ((time_progress, WARN, [3, 2], 1.0),
                                             (progress, ACCENT, None, 1.6)):
        points: list[float] = []
        for i, value in enumerate(series):
            points.extend(xy(i, value))
        if len(points) >= 4:
            drawing.add(PolyLine(points, strokeColor=colour, strokeWidth=line_width,
                                 strokeDashArray=dash))
        for i, value in enumerate(series):
            if series is progress:
                x, y = xy(i, value)
                drawing.add(Rect(x - 1.1, y - 1.1, 2.2, 2.2, fillColor=colour, strokeColor=None))
    legend_x = x0 + plot_w + 6 * mm
    for i, (label, colour, dash) in enumerate(
        (("完成进度", ACCENT, None), ("序时进度", WARN, [3, 2]))
    ):
        y = y0 + plot_h - i * 6 * mm
        drawing.add(Line(legend_x, y, legend_x + 7 * mm, y, strokeColor=colour, strokeWidth=1.4,
                         strokeDashArray=dash))
        drawing.add(String(legend_x + 9 * mm, y - 2.5, label, fontName=CJK, fontSize=7.5,
                           fillColor=INK))
    if caption:
        drawing.add(String(x0, height - 5 * mm, caption, fontName=CJK, fontSize=8.5,
                           fillColor=MUTED))
    return drawing


def progress_bar(progress: float | None, time_progress: float | None, band: str, *,
                 width: float = 38 * mm, height: float = 4.2 * mm) -> Drawing:
    """A horizontal bar of completion in the band's colour, with the 序时 marker.

    The bar is clipped at 100 %; the exact figure is printed beside it in
    the table, so nothing is lost by the clip.
    """
    drawing = Drawing(width, height)
    drawing.add(Rect(0, 0, width, height, fillColor=colors.HexColor("#eef1f4"),
                     strokeColor=RULE, strokeWidth=0.3))
    fill = max(0.0, min(progress or 0.0, 1.0))
    if fill > 0:
        drawing.add(Rect(0, 0, width * fill, height, fillColor=BAND_COLOURS.get(band, ACCENT),
                         strokeColor=None))
    if time_progress is not None:
        x = width * max(0.0, min(time_progress, 1.0))
        drawing.add(Line(x, -1, x, height + 1, strokeColor=INK, strokeWidth=1.1))
    return drawing


def share_gauge(share: float | None, target: float | None, *, width: float = CONTENT_WIDTH,
                height: float = 14 * mm, label: str = "") -> Drawing:
    """A share against its target: the bar, the target line and both figures."""
    register_fonts()
    drawing = Drawing(width, height)
    bar_w = width - 40 * mm
    y = 3 * mm
    drawing.add(Rect(0, y, bar_w, 5 * mm, fillColor=colors.HexColor("#eef1f4"),
                     strokeColor=RULE, strokeWidth=0.3))
    value = max(0.0, min(share or 0.0, 1.0))
    meets = share is not None and target is not None and share >= target
    drawing.add(Rect(0, y, bar_w * value, 5 * mm,
                     fillColor=BAND_COLOURS["complete" if meets else "unqualified"],
                     strokeColor=None))
    if target is not None:
        x = bar_w * target
        drawing.add(Line(x, y - 1.5 * mm, x, y + 6.5 * mm, strokeColor=INK, strokeWidth=1.2))
        drawing.add(String(x, y + 7.5 * mm, f"目标 {pct(target)}", fontName=CJK, fontSize=7.5,
                           fillColor=INK, textAnchor="middle"))
    drawing.add(String(bar_w + 4 * mm, y + 1.2 * mm, f"{label} {pct(share)}".strip(),
                       fontName=CJK, fontSize=9, fillColor=INK))
    return drawing


def legend_note() -> Drawing:
    """The key to the progress bars: band colours and the time marker."""
    register_fonts()
    drawing = Drawing(CONTENT_WIDTH, 6 * mm)
    x = 0.0
    for band, label in (("complete", "完成"), ("incomplete", "未完成"), ("unqualified", "不合格")):
        drawing.add(Rect(x, 1.2 * mm, 6 * mm, 3 * mm, fillColor=BAND_COLOURS[band],
                         strokeColor=None))
        drawing.add(String(x + 7.5 * mm, 1.5 * mm, label, fontName=CJK, fontSize=7.5,
                           fillColor=MUTED))
        x += 24 * mm
    drawing.add(Line(x + 2 * mm, 0.5 * mm, x + 2 * mm, 5 * mm, strokeColor=INK, strokeWidth=1.1))
    drawing.add(String(x + 4 * mm, 1.5 * mm, "竖线 = 序时进度（截至日应达到的进度）", fontName=CJK,
                       fontSize=7.5, fillColor=MUTED))
    return drawing
