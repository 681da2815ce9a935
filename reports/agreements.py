"""The agreements progress report (issue 6, 3b).

One row per agreement — progress bar with the time-sequence marker (序时进度),
band (AV-3), non-selected share (AV-5) — then one section per agreement with
its completion progress at every month end against the time marker. The
month-end figures are `compute_agreements` as of each month end
(`reports.sources.agreement_history`), the same numbers
`pharmacy-app indicators --as-of <month end>` prints.
"""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer, Table

from reports import sources
from reports.assessment import agreements_section, meta_for
from reports.charts import progress_bar, progress_lines
from reports.layout import (
    CONTENT_WIDTH,
    CancelFn,
    ProgressFn,
    ReportCancelled,
    Styles,
    band_label,
    build,
    escape,
    pct,
    qty,
    signature_block,
    table_style,
)

TITLE = "集采约定采购量执行进度报告"

History = list[tuple[str, float | None, float | None]]


@dataclass
class AgreementsData:
    as_of: dt.date
    indicators: dict[str, Any]
    history: dict[int, History]


def gather(conn: sqlite3.Connection, as_of: dt.date, progress: ProgressFn | None = None,
           cancelled: CancelFn | None = None) -> AgreementsData:
    def check() -> None:
        if cancelled is not None and cancelled():
            raise ReportCancelled

    if progress is not None:
        progress(0, 2, "读取约定量进度")
    figures = sources.indicators(conn, as_of)
    check()
    if progress is not None:
        progress(1, 2, "读取各月进度")
    history = sources.agreement_history(conn, as_of, figures.get("agreements") or [], check)
    return AgreementsData(as_of, figures, history)


def _detail(a: dict[str, Any], history: History, s: Styles) -> list[Flowable]:
    """One agreement: its figures, the progress bar, and the month-end chart and table."""
    flags = []
    if a["behind_schedule"]:
        flags.append("落后序时")
    if a["non_selected_alert"]:
        flags.append("非中选占比超标")
    if a["exempt"]:
        flags.append(f"免考核：{a.get('exempt_reason_label') or ''}")
    head = (f"{escape(a['batch'])} {escape(a['generic'])}"
            f"<font size=9 color='#5f6b7a'>　执行期 {a.get('start', '—')} 至 {a.get('end', '—')}</font>")
    facts = (f"约定量 {qty(a['agreed_qty'])}，中选产品 {qty(a['selected_qty'])}，完成进度 "
             f"{pct(a['progress'])}，序时进度 {pct(a['time_progress'])}，非中选 "
             f"{qty(a['non_selected_qty'])}（占比 {pct(a['non_selected_share'])}），结果："
             f"{band_label(a)}" + (f"；{'，'.join(flags)}" if flags else ""))
    bar = Table([[progress_bar(a["progress"], a["time_progress"], a["band"], width=120 * mm,
                               height=5 * mm), pct(a["progress"])]],
                colWidths=[124 * mm, 30 * mm], hAlign="LEFT")
    bar.setStyle(_plain())
    parts: list[Flowable] = [Paragraph(head, s.h2), Paragraph(escape(facts), s.body),
                             Spacer(1, 1.5 * mm), bar]
    if history:
        months = [m for m, _, _ in history]
        parts.append(progress_lines(months, [p for _, p, _ in history], [t for _, _, t in history],
                                    width=CONTENT_WIDTH, height=42 * mm,
                                    caption="各月末完成进度与序时进度"))
        rows = [["月末", *months], ["完成进度", *(pct(p) for _, p, _ in history)],
                ["序时进度", *(pct(t) for _, _, t in history)]]
        first = 18 * mm
        rest = (CONTENT_WIDTH - first) / max(len(months), 1)
        table = Table(rows, colWidths=[first] + [rest] * len(months), hAlign="LEFT")
        table.setStyle(table_style(1, align_right_from=1, zebra=False))
        parts.append(table)
    return [KeepTogether(parts), Spacer(1, 5 * mm)]


def _plain() -> Any:
    from reportlab.platypus import TableStyle

    from reports.fonts import CJK

    return TableStyle([("FONTNAME", (0, 0), (-1, -1), CJK), ("FONTSIZE", (0, 0), (-1, -1), 9),
                       ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                       ("LEFTPADDING", (0, 0), (-1, -1), 0)])


def story(data: AgreementsData, s: Styles) -> list[Flowable]:
    ind = data.indicators
    flow: list[Flowable] = []
    flow += agreements_section(ind, s, "一、各通用名完成进度")
    agreements = ind.get("agreements") or []
    if agreements:
        flow.append(CondPageBreak(120 * mm))
        flow.append(Paragraph("二、各通用名逐月进度", s.h1))
        for a in agreements:
            flow += _detail(a, data.history.get(a["id"], []), s)
    flow.append(CondPageBreak(80 * mm))
    flow.append(KeepTogether([Paragraph("审核签字", s.h1), Spacer(1, 2 * mm),
                              signature_block(s)]))
    return flow


def build_agreements(conn: sqlite3.Connection, as_of: dt.date, target: str | Path | io.BytesIO,
                     progress: ProgressFn | None = None,
                     cancelled: CancelFn | None = None) -> int:
    """Write the agreements progress report to `target`; returns the page count."""
    return render(gather(conn, as_of, progress, cancelled), target, progress, cancelled)


def render(data: AgreementsData, target: str | Path | io.BytesIO,
           progress: ProgressFn | None = None, cancelled: CancelFn | None = None) -> int:
    s = Styles()
    return build(target, meta_for(data.indicators, data.as_of, TITLE), story(data, s),
                 cover=False, progress=progress, cancelled=cancelled)
