"""Two small QPainter charts (QtCharts is not part of PySide6-Essentials).

- `ShareGauge`: a horizontal bar of a share with the target as a line.
- `TrendChart`: monthly essential amount share as bars, with month labels
  and the target line.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QHelpEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ui.i18n import tr

GOOD = QColor("#2e7d32")
SHORT = QColor("#c62828")
NEUTRAL = QColor("#2f6fb3")
TRACK = QColor("#e3e7ee")
TARGET = QColor("#333333")
GRID = QColor("#d5d9e0")


def percent(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


class ShareGauge(QWidget):
    """A share as a filled bar, the target as a vertical line with its label."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.share: float | None = None
        self.target: float | None = None
        self.target_text = ""
        self.setMinimumHeight(46)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(360, 46)

    def set_values(self, share: float | None, target: float | None, target_text: str) -> None:
        self.share, self.target, self.target_text = share, target, target_text
        self.update()

    def colour(self) -> QColor:
        if self.share is None or self.target is None:
            return NEUTRAL
        return GOOD if self.share >= self.target else SHORT

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = self.fontMetrics()
        label_h = metrics.height()
        bar = QRectF(1, label_h + 4, self.width() - 2, self.height() - label_h - 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(TRACK)
        painter.drawRoundedRect(bar, 4, 4)
        if self.share is not None:
            filled = QRectF(bar)
            filled.setWidth(max(0.0, min(1.0, self.share)) * bar.width())
            painter.setBrush(self.colour())
            painter.drawRoundedRect(filled, 4, 4)
        if self.target is not None:
            x = bar.left() + max(0.0, min(1.0, self.target)) * bar.width()
            painter.setPen(QPen(TARGET, 2))
            painter.drawLine(QPointF(x, bar.top() - 3), QPointF(x, bar.bottom() + 1))
            text = self.target_text
            width = metrics.horizontalAdvance(text)
            left = min(max(0.0, x - width / 2), self.width() - width - 1)
            painter.setPen(self.palette().text().color())
            painter.drawText(QPointF(left, metrics.ascent()), text)
        painter.end()


class SlotChart(QWidget):
    """A chart of clickable slots (one per month): hit-testing and tooltips.

    Subclasses fill `_slots` while painting and say what each slot's tooltip
    is; the trend chart and the agreements' monthly chart share this.
    """

    def __init__(self, min_height: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._slots: list[QRectF] = []
        self.setMinimumHeight(min_height)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def slot_at(self, pos: QPointF) -> int | None:
        for i, rect in enumerate(self._slots):
            if rect.contains(pos):
                return i
        return None

    def slot_tooltip(self, index: int) -> str:
        """The tooltip of slot `index` ('' for none)."""
        return ""

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            i = self.slot_at(QPointF(event.pos()))
            text = self.slot_tooltip(i) if i is not None else ""
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)


class TrendChart(SlotChart):
    """Bars per month (share of essential amount) with a target line.

    Hovering a bar shows its tooltip; a click emits `clicked` (drill-down).
    """

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(170, parent)
        self.points: list[tuple[str, float | None]] = []
        self.tooltips: list[str] = []
        self.target: float | None = None

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(480, 200)

    def set_points(
        self,
        points: list[tuple[str, float | None]],
        target: float | None,
        tooltips: list[str] | None = None,
    ) -> None:
        """(month 'YYYY-MM', share or None when nothing was bought) in order."""
        self.points, self.target = list(points), target
        self.tooltips = list(tooltips or [])
        self.update()

    def slot_tooltip(self, index: int) -> str:
        return self.tooltips[index] if index < len(self.tooltips) else ""

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = self.fontMetrics()
        text_colour = self.palette().text().color()
        axis_w = metrics.horizontalAdvance("100%") + 8
        top = metrics.height() + 4
        bottom = self.height() - 2 * metrics.height() - 8
        plot = QRectF(axis_w, top, self.width() - axis_w - 4, max(10, bottom - top))
        # Grid and axis labels at 0, 25, 50, 75, 100 %.
        for step in range(5):
            value = step / 4
            y = plot.bottom() - value * plot.height()
            painter.setPen(QPen(GRID, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text_colour)
            label = f"{int(value * 100)}%"
            painter.drawText(
                QPointF(
                    axis_w - 6 - metrics.horizontalAdvance(label), y + metrics.ascent() / 2 - 1
                ),
                label,
            )
        n = len(self.points)
        self._slots = []
        if n:
            slot = plot.width() / n
            self._slots = [
                QRectF(plot.left() + slot * i, plot.top(), slot, self.height() - plot.top())
                for i in range(n)
            ]
            bar_w = max(4.0, slot * 0.62)
            for i, (month, share) in enumerate(self.points):
                centre = plot.left() + slot * (i + 0.5)
                if share is not None:
                    h = max(0.0, min(1.0, share)) * plot.height()
                    colour = NEUTRAL
                    if self.target is not None and share < self.target:
                        colour = SHORT
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.setBrush(colour)
                    painter.drawRect(QRectF(centre - bar_w / 2, plot.bottom() - h, bar_w, h))
                    value = f"{share * 100:.0f}"
                    if slot > metrics.horizontalAdvance("100") + 2:
                        painter.setPen(text_colour)
                        painter.drawText(
                            QPointF(
                                centre - metrics.horizontalAdvance(value) / 2,
                                plot.bottom() - h - 3,
                            ),
                            value,
                        )
                year, number = month[:4], month[5:7].lstrip("0")
                painter.setPen(text_colour)
                label = tr("M{0}").format(number)
                width = metrics.horizontalAdvance(label)
                baseline = plot.bottom() + 4 + metrics.ascent()
                painter.drawText(QPointF(centre - width / 2, baseline), label)
                if i == 0 or month.endswith("-01"):
                    label = tr("{0}").format(year)
                    width = metrics.horizontalAdvance(label)
                    painter.drawText(
                        QPointF(centre - width / 2, baseline + metrics.height()), label
                    )
        if self.target is not None:
            y = plot.bottom() - max(0.0, min(1.0, self.target)) * plot.height()
            pen = QPen(TARGET, 1.5, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        painter.end()
