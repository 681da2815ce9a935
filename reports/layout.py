"""The page template every printed report shares (no Qt).

A4 portrait, a header on every page after the cover (institution, report
title, as-of date), a footer "第 x 页 / 共 y 页", paragraph styles in the
embedded CJK font (`reports.fonts`, never the unembedded STSong-Light),
long tables that repeat their header on every page, and the signature block
directors sign.

Why a canvasmaker for the page numbers: "共 y 页" is only known when the
last page is laid out. `NumberedCanvas` keeps each page's drawing state and
writes the footers in `save()`, so the document is laid out once, not twice.

Why `LongTable`: one platypus `Table` of 12,400 rows took 10.5 s here,
because every page split re-measures all remaining rows. `LongTable` hands
platypus a window of rows at a time; each split measures at most one window,
so the cost grows linearly with the rows (STYLE.md "Measured here").
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from reports.fonts import CJK, CJK_BOLD, register_fonts

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 24 * mm
MARGIN_BOTTOM = 20 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
LANDSCAPE_CONTENT_WIDTH = PAGE_HEIGHT - 2 * MARGIN_X

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#5f6b7a")
ACCENT = colors.HexColor("#2f6fb3")
RULE = colors.HexColor("#9aa5b1")
HEADER_FILL = colors.HexColor("#e4ecf5")
STRIPE_FILL = colors.HexColor("#f6f8fa")
GOOD = colors.HexColor("#2e7d32")
WARN = colors.HexColor("#c77700")
BAD = colors.HexColor("#b3261e")

BAND_COLOURS = {"complete": GOOD, "incomplete": WARN, "unqualified": BAD}
BAND_LABELS = {"complete": "完成", "incomplete": "未完成", "unqualified": "不合格",
               "not_started": "未开始"}


def band_label(agreement: dict) -> str:
    """An `indicators --json` agreement's AV-3 band in words (未开始 before its year)."""
    if agreement.get("started") is False:
        return BAND_LABELS["not_started"]
    return BAND_LABELS.get(agreement["band"], agreement["band"])
LEVEL_LABELS = {"grassroots": "基层医疗卫生机构", "secondary": "二级医院",
                "tertiary": "三级医院", "specialty": "专科医院"}

TABLE_FONT_SIZE = 8
TABLE_WINDOW = 80  # rows measured per split: more than fit on one A4 page


class ReportCancelled(Exception):
    """The caller's `cancelled()` answered True while the report was being built."""


ProgressFn = Callable[[int, int, str], None]
CancelFn = Callable[[], bool]


@dataclass(frozen=True)
class ReportMeta:
    """What the header, cover and file metadata say about a report."""

    title: str
    institution: str
    institution_code: str
    as_of: dt.date
    subtitle: str = ""
    profile: str = ""

    @property
    def header_left(self) -> str:
        return f"{self.institution}（{self.institution_code}）"

    @property
    def header_right(self) -> str:
        return f"截至 {self.as_of.isoformat()}"


# -- styles ---------------------------------------------------------------------


class Styles:
    """Paragraph styles in the embedded CJK font; built after `register_fonts()`."""

    def __init__(self) -> None:
        register_fonts()
        base = ParagraphStyle("body", fontName=CJK, fontSize=9.5, leading=14, textColor=INK,
                              wordWrap="CJK")
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=8, leading=11, textColor=MUTED)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=TABLE_FONT_SIZE,
                                   leading=TABLE_FONT_SIZE + 2)
        self.h1 = ParagraphStyle("h1", parent=base, fontName=CJK_BOLD, fontSize=15, leading=22,
                                 spaceBefore=6, spaceAfter=8, textColor=ACCENT)
        self.h2 = ParagraphStyle("h2", parent=base, fontName=CJK_BOLD, fontSize=12, leading=17,
                                 spaceBefore=8, spaceAfter=5, textColor=INK)
        self.cover_title = ParagraphStyle("coverTitle", parent=base, fontName=CJK_BOLD,
                                          fontSize=24, leading=34, alignment=TA_CENTER)
        self.cover_line = ParagraphStyle("coverLine", parent=base, fontSize=13, leading=22,
                                         alignment=TA_CENTER)
        self.note = ParagraphStyle("note", parent=base, fontSize=8.5, leading=12,
                                   textColor=MUTED, alignment=TA_LEFT)


# Characters of drug names outside the embedded font (CJK Extension A), printed as the
# forms the pharmacopoeia's older editions and most labels use: 地尔硫䓬 → 地尔硫卓,
# 大黄䗪虫丸 → 大黄蟅虫丸. Without this the PDF shows a blank where the character is.
PRINTED_AS = str.maketrans({"䓬": "卓", "䗪": "蟅"})


def printable(text: str) -> str:
    return text.translate(PRINTED_AS)


def escape(text: object) -> str:
    """Text for a Paragraph: its markup characters escaped, rare characters printable."""
    return printable(str(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- number formats (the figures themselves come from the domain) ----------------


def pct(value: float | None, digits: int = 1) -> str:
    """A share as the CLI prints it (`indicators.text.pct`): 1 decimal, '—' for none."""
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def money(value: object) -> str:
    """Yuan with thousands separators, two decimals; '—' for none."""
    if value is None:
        return "—"
    from decimal import Decimal

    amount = Decimal(str(value))
    return f"{amount:,.2f}"


def unit_price(value: object) -> str:
    """A price exactly as the domain gives it (0.055 per tablet, not 0.06).

    Rounded to the fen, a price per smallest unit no longer multiplies back to
    the amounts printed beside it.
    """
    if value is None or value == "":
        return "—"
    from decimal import Decimal

    return str(Decimal(str(value)))


def qty(value: object) -> str:
    if value is None:
        return "—"
    number = float(value)  # type: ignore[arg-type]
    return f"{int(number):,}" if number == int(number) else f"{number:,.2f}"


# -- page furniture ---------------------------------------------------------------


class NumberedCanvas(rl_canvas.Canvas):
    """Writes "第 x 页 / 共 y 页" on every page once the page count is known."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._draw_page_number(total)
            super().showPage()
        super().save()

    def _draw_page_number(self, total: int) -> None:
        self.saveState()
        self.setFont(CJK, 8.5)
        self.setFillColor(MUTED)
        self.drawCentredString(self._pagesize[0] / 2, MARGIN_BOTTOM - 10 * mm,
                               f"第 {self._pageNumber} 页 / 共 {total} 页")
        self.restoreState()


def fit_text(text: str, font: str, size: float, width: float) -> str:
    """`text` as drawn in `width` points: shortened with … when it would not fit."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _draw_header(meta: ReportMeta) -> Callable[[rl_canvas.Canvas, BaseDocTemplate], None]:
    def draw(canv: rl_canvas.Canvas, doc: BaseDocTemplate) -> None:
        page_width, page_height = doc.pagesize
        canv.saveState()
        top = page_height - MARGIN_TOP + 8 * mm
        canv.setFillColor(MUTED)
        # The institution's name (left) and the date (right) keep clear of the
        # centred title: each gets what is left of its half, shortened with …
        title_half = stringWidth(meta.title, CJK_BOLD, 9.5) / 2 + 4 * mm
        room = page_width / 2 - title_half - MARGIN_X
        canv.setFont(CJK, 8.5)
        canv.drawString(MARGIN_X, top, fit_text(meta.header_left, CJK, 8.5, room))
        canv.drawRightString(page_width - MARGIN_X, top,
                             fit_text(meta.header_right, CJK, 8.5, room))
        canv.setFont(CJK_BOLD, 9.5)
        canv.setFillColor(INK)
        canv.drawCentredString(page_width / 2, top, meta.title)
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.6)
        canv.line(MARGIN_X, top - 2.5 * mm, page_width - MARGIN_X, top - 2.5 * mm)
        canv.line(MARGIN_X, MARGIN_BOTTOM - 5 * mm, page_width - MARGIN_X, MARGIN_BOTTOM - 5 * mm)
        canv.setFont(CJK, 7.5)
        canv.setFillColor(MUTED)
        canv.drawString(MARGIN_X, MARGIN_BOTTOM - 10 * mm, "药事台 Pharmacy Desk")
        if meta.profile:
            canv.drawRightString(page_width - MARGIN_X, MARGIN_BOTTOM - 10 * mm,
                                 f"政策参数 {meta.profile}")
        canv.restoreState()

    return draw


def _draw_cover_frame(canv: rl_canvas.Canvas, doc: BaseDocTemplate) -> None:
    page_width, page_height = doc.pagesize
    canv.saveState()
    canv.setStrokeColor(ACCENT)
    canv.setLineWidth(2)
    canv.line(MARGIN_X, page_height - 40 * mm, page_width - MARGIN_X, page_height - 40 * mm)
    canv.setLineWidth(0.8)
    canv.line(MARGIN_X, 40 * mm, page_width - MARGIN_X, 40 * mm)
    canv.restoreState()


class ReportDocument(BaseDocTemplate):
    """A4 document with a cover template and a body template (header + footer)."""

    def __init__(self, target: str | io.BytesIO, meta: ReportMeta, *, cover: bool,
                 landscape: bool = False) -> None:
        register_fonts()
        pagesize = (PAGE_HEIGHT, PAGE_WIDTH) if landscape else A4
        super().__init__(
            target, pagesize=pagesize, title=f"{meta.title} — {meta.institution}",
            author="药事台 Pharmacy Desk", subject=meta.header_right, creator="药事台 Pharmacy Desk",
            leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM, invariant=1,
        )
        width, height = pagesize
        frame = Frame(MARGIN_X, MARGIN_BOTTOM, width - 2 * MARGIN_X, height - MARGIN_TOP - MARGIN_BOTTOM,
                      id="body", leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        templates = [PageTemplate("body", [frame], onPage=_draw_header(meta))]
        if cover:
            templates.insert(0, PageTemplate("cover", [frame], onPage=_draw_cover_frame))
        self.addPageTemplates(templates)
        self.meta = meta


def cover_story(meta: ReportMeta, styles: Styles, lines: Sequence[str]) -> list[Flowable]:
    """The cover page: title, institution, period lines, then the body template."""
    story: list[Flowable] = [Spacer(1, 45 * mm), Paragraph(escape(meta.title), styles.cover_title)]
    if meta.subtitle:
        story.append(Spacer(1, 4 * mm))
        story.append(Paragraph(escape(meta.subtitle), styles.cover_line))
    story.append(Spacer(1, 30 * mm))
    for line in (meta.header_left, *lines):
        story.append(Paragraph(escape(line), styles.cover_line))
    story.extend([NextPageTemplate("body"), PageBreak()])
    return story


def build(
    target: str | Path | io.BytesIO,
    meta: ReportMeta,
    story: list[Flowable],
    *,
    cover: bool,
    landscape: bool = False,
    progress: ProgressFn | None = None,
    cancelled: CancelFn | None = None,
) -> int:
    """Lay out `story` into `target`; returns the page count.

    Reports layout progress and honours cancel.

    reportlab reports progress as the flowables it has laid out; that is
    mapped to (done, total) here so the window and the CLI show one bar.
    """
    doc = ReportDocument(str(target) if isinstance(target, Path) else target, meta, cover=cover,
                         landscape=landscape)
    total = len(story)
    state = {"done": 0, "pages": 0}

    def on_progress(kind: str, value: int) -> None:
        if kind == "PROGRESS":
            # Splits put the rest of a table back in the queue: keep the bar monotone.
            state["done"] = max(state["done"], value)
        elif kind == "PAGE":
            state["pages"] = value
        elif kind == "SIZE_EST":
            return
        if cancelled is not None and cancelled():
            raise ReportCancelled
        if progress is not None:
            progress(min(state["done"], total), total, f"已排 {state['pages']} 页")

    doc.setProgressCallBack(on_progress)
    doc.build(list(story), canvasmaker=NumberedCanvas)
    return int(doc.page)


# -- tables -----------------------------------------------------------------------


def table_style(header_rows: int = 1, *, align_right_from: int | None = None,
                zebra: bool = True, rows: int = 0) -> TableStyle:
    """Grid, tinted header, zebra stripes; numbers right-aligned from a column on."""
    cmds: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), CJK),
        ("FONTSIZE", (0, 0), (-1, -1), TABLE_FONT_SIZE),
        ("LEADING", (0, 0), (-1, -1), TABLE_FONT_SIZE + 2),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),  # a wrapped cell reads from its row's top line
        ("VALIGN", (0, 0), (-1, header_rows - 1), "MIDDLE"),
        ("FONTNAME", (0, 0), (-1, header_rows - 1), CJK_BOLD),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_FILL),
        ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.8, ACCENT),
        ("GRID", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if align_right_from is not None:
        cmds.append(("ALIGN", (align_right_from, header_rows), (-1, -1), "RIGHT"))
    if zebra:
        cmds.append(("ROWBACKGROUNDS", (0, header_rows), (-1, -1), [colors.white, STRIPE_FILL]))
    return TableStyle(cmds)


@cache
def _char_width(char: str, size: float) -> float:
    return stringWidth(char, CJK, size)


def wrap_text(text: str, width: float, size: float = TABLE_FONT_SIZE) -> str:
    """`text` broken into lines no wider than `width` (points), as one string with newlines.

    Chinese has no spaces to break at, so lines break between any two
    characters — except inside a run of Latin letters and digits (a product
    code, a figure), which moves to the next line whole when it fits there.
    """
    lines: list[str] = []
    line = ""
    used = 0.0
    for token in re.findall(r"[A-Za-z0-9.,%/\-]+|.", text, re.S):
        w = sum(_char_width(c, size) for c in token)
        if used + w <= width or not line:
            if w > width:  # one token wider than the column: split it by characters
                for c in token:
                    cw = _char_width(c, size)
                    if used + cw > width and line:
                        lines.append(line)
                        line, used = "", 0.0
                    line += c
                    used += cw
                continue
            line += token
            used += w
        else:
            lines.append(line.rstrip())
            line, used = token.lstrip(), sum(_char_width(c, size) for c in token.lstrip())
    if line:
        lines.append(line)
    return "\n".join(lines)


def fit_cells(rows: Sequence[Sequence[object]], widths: Sequence[float],
              size: float = TABLE_FONT_SIZE) -> list[list[object]]:
    """Strings as they are where they fit their column; wrapped onto lines where not.

    Plain strings (with newlines) are far cheaper for platypus than
    Paragraphs, which made the cells of a long table the largest part of its
    layout time; long names wrap instead of running into the next cell.
    """
    fitted: list[list[object]] = []
    for row in rows:
        out: list[object] = []
        for value, width in zip(row, widths, strict=True):
            if isinstance(value, str):
                value = printable(value)
            if isinstance(value, str) and stringWidth(value, CJK, size) > width - 6:
                out.append(wrap_text(value, width - 6, size))
            else:
                out.append(value)
        fitted.append(out)
    return fitted


class LongTable(Flowable):
    """A table of any length whose header row repeats on every page.

    Platypus lays out a window of `window` rows at a time (a real `Table`
    with `repeatRows`); what does not fit on the page goes on as a new
    `LongTable` with the same header, so no split ever measures more than
    one window.
    """

    def __init__(self, header: Sequence[Sequence[object]], rows: Sequence[Sequence[object]],
                 col_widths: Sequence[float], style_fn: Callable[[int], TableStyle],
                 window: int = TABLE_WINDOW) -> None:
        super().__init__()
        self.header = [list(r) for r in header]
        self.rows = list(rows)
        self.col_widths = list(col_widths)
        self.style_fn = style_fn
        self.window = window
        self._table: Table | None = None

    def _make(self, rows: Sequence[Sequence[object]]) -> Table:
        table = Table(self.header + [list(r) for r in rows], colWidths=self.col_widths,
                      repeatRows=len(self.header), hAlign="LEFT")
        table.setStyle(self.style_fn(len(rows)))
        return table

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:  # noqa: D102
        if len(self.rows) <= self.window:
            self._table = self._make(self.rows)
            return self._table.wrap(avail_width, avail_height)
        # Taller than any page: platypus will call split().
        self._table = None
        self.width = sum(self.col_widths)
        self.height = avail_height + 1e6
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:  # noqa: D102
        window = self.window
        while True:
            chunk = self.rows[:window]
            table = self._make(chunk)
            _, height = table.wrap(avail_width, avail_height)
            if height <= avail_height and window < len(self.rows):
                window *= 2  # the whole window fits: look further ahead
                continue
            if height <= avail_height:
                return [table]
            parts = table.split(avail_width, avail_height)
            if not parts:
                return []
            taken = len(parts[0]._cellvalues) - len(self.header)
            if taken <= 0:
                return []
            rest = self.rows[taken:]
            if not rest:
                return [parts[0]]
            # The next page holds about as many rows as this one: measure a little more than that.
            return [parts[0], LongTable(self.header, rest, self.col_widths, self.style_fn,
                                        max(20, taken * 5 // 4 + 4))]

    def draw(self) -> None:  # noqa: D102
        if self._table is None:
            self._table = self._make(self.rows)
            self._table.wrap(sum(self.col_widths), PAGE_HEIGHT)
        self._table.drawOn(self.canv, 0, 0)


def data_table(header: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float],
               styles: Styles, *, align_right_from: int | None = None,
               content_width: float = CONTENT_WIDTH) -> Flowable:
    """A report table: header repeated on every page, long names wrapped."""
    scale = content_width / sum(widths) if sum(widths) > content_width else 1.0
    col_widths = [w * scale for w in widths]
    head = fit_cells([list(header)], col_widths)
    body = fit_cells(rows, col_widths)
    return LongTable(head, body, col_widths,
                     lambda n: table_style(1, align_right_from=align_right_from))


def key_value_table(pairs: Sequence[tuple[str, str]], styles: Styles,
                    widths: tuple[float, float] = (60 * mm, 110 * mm)) -> Table:
    """Two columns, label and figure, for summary blocks."""
    rows = fit_cells([list(p) for p in pairs], widths, 9)
    table = Table(rows, colWidths=list(widths), hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), CJK),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
        ("TEXTCOLOR", (1, 0), (1, -1), INK),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def signature_block(styles: Styles) -> Table:
    """编制人 / 审核人 / 负责人 签字, 日期, and room for the seal."""
    line = "________________"
    rows = [
        ["编制人（签字）：", line, "审核人（签字）：", line],
        ["负责人（签字）：", line, "日期：", "______年____月____日"],
        ["", "", "（单位盖章）", ""],
    ]
    table = Table(rows, colWidths=[30 * mm, 52 * mm, 30 * mm, 58 * mm],
                  rowHeights=[14 * mm, 14 * mm, 30 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), CJK),
        ("FONTSIZE", (0, 0), (-1, -1), 10),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, 1), "BOTTOM"),
        ("VALIGN", (0, 2), (-1, 2), "MIDDLE"),
        ("SPAN", (2, 2), (3, 2)),
        ("ALIGN", (2, 2), (3, 2), "CENTER"),
        ("TEXTCOLOR", (2, 2), (3, 2), MUTED),
        ("BOX", (2, 2), (3, 2), 0.5, RULE),
    ]))
    return table
