"""QPainter drawing for the agreements page (no QtCharts, no new dependency).

- `ProgressDelegate`: the progress column as a bar (AV-2 progress, coloured by
  the AV-3 band) with the 序时进度 marker as a vertical line.
- `MonthlyChart`: one agreement's year month by month — selected and
  non-selected quantities as stacked bars (left axis), cumulative progress as
  a line against the 序时进度 line (right axis, per cent). Clicking a month
  emits `month_clicked` (drill-down to its purchase lines).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from ui.agreements.models import PROGRESS_ROLE, ProgressFigures
from ui.essential.charts import SlotChart
from ui.i18n import tr

TRACK = QColor("#e3e7ee")
MARKER = QColor("#222222")
SELECTED_BAR = QColor("#2f6fb3")
NON_SELECTED_BAR = QColor("#e8893a")
PROGRESS_LINE = QColor("#2e7d32")
BEHIND = QColor("#c62828")
SCHEDULE = QColor("#555555")
GRID = QColor("#d5d9e0")


class ProgressDelegate(QStyledItemDelegate):
    """Draws PROGRESS_ROLE of a cell: bar to the progress, tick at 序时进度.

    The bar's scale is 0–100 %; progress above 100 % (AV-4) fills it and the
    text says how far. The text keeps the exact figure readable.
    """

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        figures = index.data(PROGRESS_ROLE)
        if not isinstance(figures, ProgressFigures):
            super().paint(painter, option, index)
            return
        painter.save()
        style = option.widget.style() if option.widget is not None else None
        if style is not None:
            # Selection and alternating background, without the text.
            opt = QStyleOptionViewItem(option)
            self.initStyleOption(opt, index)
            opt.text = ""
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, option.widget)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(option.rect).adjusted(4, 5, -4, -5)
        metrics = option.fontMetrics
        text_w = metrics.horizontalAdvance("100.0%") + 6
        bar = QRectF(rect.left(), rect.top(), max(10.0, rect.width() - text_w), rect.height())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(TRACK)
        painter.drawRoundedRect(bar, 3, 3)
        if figures.progress is not None:
            filled = QRectF(bar)
            filled.setWidth(max(0.0, min(1.0, figures.progress)) * bar.width())
            painter.setBrush(figures.colour)
            painter.drawRoundedRect(filled, 3, 3)
        x = bar.left() + max(0.0, min(1.0, figures.time_progress)) * bar.width()
        painter.setPen(QPen(MARKER, 2))
        painter.drawLine(QPointF(x, bar.top() - 3), QPointF(x, bar.bottom() + 3))
        painter.setPen(option.palette.text().color())
        painter.drawText(
            QRectF(bar.right() + 4, rect.top(), text_w, rect.height()),
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            figures.text,
        )
        painter.restore()

    def sizeHint(  # noqa: N802
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(max(size.width(), 190), size.height())


@dataclass(frozen=True)
class ChartMonth:
    """One month as the chart draws it (floats; the exact figures stay in the domain)."""

    month: str  # YYYY-MM
    selected: float
    non_selected: float
    progress: float | None  # cumulative, None for months not reached
    time_progress: float
    tooltip: str = ""


class MonthlyChart(SlotChart):
    """Stacked monthly bars (left axis) and cumulative progress vs 序时进度 (right axis)."""

    month_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(220, parent)
        self.months: list[ChartMonth] = []
        self.title = ""

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(640, 260)

    def set_months(self, months: list[ChartMonth], title: str = "") -> None:
        self.months = list(months)
        self.title = title
        self.update()

    def slot_tooltip(self, index: int) -> str:
        return self.months[index].tooltip if index < len(self.months) else ""

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            i = self.slot_at(event.position())
            if i is not None:
                self.month_clicked.emit(self.months[i].month)
        super().mouseReleaseEvent(event)

    @staticmethod
    def nice_max(value: float) -> float:
        """A round axis maximum at or above `value` (1, 2, 2.5, 5 × 10ⁿ)."""
        if value <= 0:
            return 1.0
        power = 10 ** (len(str(int(value))) - 1)
        for step in (1, 2, 2.5, 5, 10):
            if value <= step * power:
                return step * power
        return 10.0 * power  # pragma: no cover

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = self.fontMetrics()
        text_colour = self.palette().text().color()
        line_h = metrics.height()
        n = len(self.months)
        qty_max = self.nice_max(max((m.selected + m.non_selected for m in self.months), default=0))
        pct_max = max(1.0, max((m.progress or 0.0 for m in self.months), default=0.0))
        pct_max = 1.0 if pct_max <= 1.0 else (int(pct_max * 4) + 1) / 4
        left_w = metrics.horizontalAdvance(f"{int(qty_max):,}") + 10
        right_w = metrics.horizontalAdvance("125%") + 10
        top = 2 * line_h + 8
        bottom = self.height() - 2 * line_h - 8
        plot = QRectF(left_w, top, self.width() - left_w - right_w, max(10, bottom - top))

        # Title and legend.
        painter.setPen(text_colour)
        painter.drawText(QPointF(2, metrics.ascent() + 2), self.title)
        legend = [
            (SELECTED_BAR, tr("Selected (incl. AV-7)"), "bar"),
            (NON_SELECTED_BAR, tr("Non-selected (AV-5)"), "bar"),
            (PROGRESS_LINE, tr("Cumulative progress"), "line"),
            (SCHEDULE, tr("Time-sequence progress"), "dash"),
        ]
        x = 2.0
        y = line_h + 6 + metrics.ascent() / 2
        for colour, label, kind in legend:
            if kind == "bar":
                painter.fillRect(QRectF(x, y - 5, 12, 10), colour)
            else:
                style = Qt.PenStyle.DashLine if kind == "dash" else Qt.PenStyle.SolidLine
                painter.setPen(QPen(colour, 2, style))
                painter.drawLine(QPointF(x, y), QPointF(x + 14, y))
            painter.setPen(text_colour)
            painter.drawText(QPointF(x + 18, y + metrics.ascent() / 2 - 1), label)
            x += 30 + metrics.horizontalAdvance(label)

        # Grid with both axes' labels.
        for step in range(5):
            frac = step / 4
            gy = plot.bottom() - frac * plot.height()
            painter.setPen(QPen(GRID, 1))
            painter.drawLine(QPointF(plot.left(), gy), QPointF(plot.right(), gy))
            painter.setPen(text_colour)
            q = f"{int(qty_max * frac):,}"
            painter.drawText(
                QPointF(left_w - 6 - metrics.horizontalAdvance(q), gy + metrics.ascent() / 2 - 1), q
            )
            p = f"{pct_max * frac * 100:.0f}%"
            painter.drawText(QPointF(plot.right() + 6, gy + metrics.ascent() / 2 - 1), p)
        if pct_max > 1.0:  # the 100 % line (AV-3 complete)
            gy = plot.bottom() - plot.height() / pct_max
            painter.setPen(QPen(PROGRESS_LINE, 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(plot.left(), gy), QPointF(plot.right(), gy))

        self._slots = []
        if not n:
            painter.setPen(text_colour)
            painter.drawText(plot, int(Qt.AlignmentFlag.AlignCenter), tr("Select an agreement"))
            painter.end()
            return
        slot = plot.width() / n
        self._slots = [
            QRectF(plot.left() + slot * i, plot.top(), slot, self.height() - plot.top())
            for i in range(n)
        ]
        bar_w = max(4.0, slot * 0.56)
        for i, m in enumerate(self.months):
            centre = plot.left() + slot * (i + 0.5)
            sel_h = m.selected / qty_max * plot.height()
            non_h = m.non_selected / qty_max * plot.height()
            painter.setPen(Qt.PenStyle.NoPen)
            painter.fillRect(QRectF(centre - bar_w / 2, plot.bottom() - sel_h, bar_w, sel_h), SELECTED_BAR)
            painter.fillRect(
                QRectF(centre - bar_w / 2, plot.bottom() - sel_h - non_h, bar_w, non_h), NON_SELECTED_BAR
            )
            painter.setPen(text_colour)
            label = tr("M{0}").format(m.month[5:7].lstrip("0"))
            baseline = plot.bottom() + 4 + metrics.ascent()
            painter.drawText(QPointF(centre - metrics.horizontalAdvance(label) / 2, baseline), label)
            if i == 0 or m.month.endswith("-01"):
                year = m.month[:4]
                painter.drawText(
                    QPointF(centre - metrics.horizontalAdvance(year) / 2, baseline + line_h), year
                )

        def point(i: int, value: float) -> QPointF:
            # Cumulative figures are as of the month's end: drawn at its right edge.
            return QPointF(plot.left() + slot * (i + 1), plot.bottom() - value / pct_max * plot.height())

        schedule = QPainterPath(QPointF(plot.left(), plot.bottom()))
        for i, m in enumerate(self.months):
            schedule.lineTo(point(i, m.time_progress))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(SCHEDULE, 1.5, Qt.PenStyle.DashLine))
        painter.drawPath(schedule)

        reached = [(i, m) for i, m in enumerate(self.months) if m.progress is not None]
        if reached:
            path = QPainterPath(QPointF(plot.left(), plot.bottom()))
            for i, m in reached:
                path.lineTo(point(i, m.progress or 0.0))
            painter.setPen(QPen(PROGRESS_LINE, 2.2))
            painter.drawPath(path)
            for i, m in reached:
                behind = (m.progress or 0.0) < m.time_progress
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(BEHIND if behind else PROGRESS_LINE)
                painter.drawEllipse(point(i, m.progress or 0.0), 3.5, 3.5)
        painter.end()
