"""Vector charts for the reports (reportlab.graphics, no Qt, no bitmaps).

Charts are drawn as PDF paths so they print sharply at any size and the
text on them (month labels, percentages) stays searchable. Every value
drawn comes from the domain's figures; charts only place them.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, Rect, String
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
    values = [0.0 if s is None else round(s * 100, 1) for s in shares]
    chart.data = [values or [0.0]]
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
    chart.barLabelFormat = "%.1f%%"
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
    (序时进度) — the line the progress should stay on or above.
    """
    register_fonts()
    drawing = Drawing(width, height)
    plot = LinePlot()
    plot.x, plot.y = 14 * mm, 12 * mm
    plot.width, plot.height = width - 48 * mm, height - 22 * mm
    n = max(len(months), 1)
    series_p = [(i, round((v or 0.0) * 100, 1)) for i, v in enumerate(progress)]
    series_t = [(i, round((v or 0.0) * 100, 1)) for i, v in enumerate(time_progress)]
    plot.data = [series_p or [(0, 0)], series_t or [(0, 0)]]
    top = max([100.0] + [y for _, y in series_p])
    plot.yValueAxis.valueMin = 0
    plot.yValueAxis.valueMax = top
    plot.yValueAxis.valueStep = 25 if top <= 100 else 50
    plot.yValueAxis.labelTextFormat = "%d%%"
    plot.yValueAxis.labels.fontName = CJK
    plot.yValueAxis.labels.fontSize = 7
    plot.yValueAxis.visibleGrid = True
    plot.yValueAxis.gridStrokeColor = colors.HexColor("#e3e7ec")
    plot.xValueAxis.valueMin = -0.3
    plot.xValueAxis.valueMax = n - 0.7
    plot.xValueAxis.valueSteps = list(range(n))
    plot.xValueAxis.labelTextFormat = lambda i: months[int(round(i))] if months else ""
    plot.xValueAxis.labels.fontName = CJK
    plot.xValueAxis.labels.fontSize = 7
    plot.lines[0].strokeColor = ACCENT
    plot.lines[0].strokeWidth = 1.6
    plot.lines[1].strokeColor = WARN
    plot.lines[1].strokeWidth = 1
    plot.lines[1].strokeDashArray = [3, 2]
    drawing.add(plot)
    legend_x = plot.x + plot.width + 6 * mm
    for i, (label, colour, dash) in enumerate(
        (("完成进度", ACCENT, None), ("序时进度", WARN, [3, 2]))
    ):
        y = plot.y + plot.height - i * 6 * mm
        drawing.add(Line(legend_x, y, legend_x + 7 * mm, y, strokeColor=colour, strokeWidth=1.4,
                         strokeDashArray=dash))
        drawing.add(String(legend_x + 9 * mm, y - 2.5, label, fontName=CJK, fontSize=7.5,
                           fillColor=INK))
    if caption:
        drawing.add(String(plot.x, height - 6 * mm, caption, fontName=CJK, fontSize=8.5,
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
