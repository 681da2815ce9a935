"""The printed shortage report form (短缺药品信息报告表), one A4 page per report.

Input is the export document of `pharmacy_app.shortage.export` (the same
stable keys the JSON carries), so the paper and the file can never say
different things. Every SH-1 field is printed, the SH-3 warning level and
the SH-2 steps with date and who did them, and a signature line.

Fonts: `reports.fonts.register_fonts()` embeds the bundled CJK TrueType
font as a subset (never the named-only STSong-Light). A report whose text
is too long for one page is shrunk to fit (KeepInFrame), so "one page per
report" holds whatever was typed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pharmacy_app.shortage.model import (
    CAUSE_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    STATUS_LABELS,
    SUBSTITUTABILITY_LABELS,
    SUBSTITUTE_KIND_LABELS,
)

LEVEL_COLOURS = {"red": "#c62828", "orange": "#ef6c00", "yellow": "#b58900", "none": "#555555"}


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}".rstrip("0").rstrip(".")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")


def write_shortage_pdf(document: dict[str, Any], path: Path) -> int:
    """Write one page per report of `document` to `path`; returns the page count.

    Written to a temporary file and renamed, so a failure leaves no half PDF.
    """
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepInFrame,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    from reports.fonts import CJK, register_fonts

    register_fonts()
    reports = document["reports"]
    if not reports:
        raise ValueError("没有要打印的短缺报告")
    base = ParagraphStyle("base", fontName=CJK, fontSize=9.5, leading=13)
    label = ParagraphStyle("label", parent=base, textColor=colors.HexColor("#333333"))
    title = ParagraphStyle("title", parent=base, fontSize=17, leading=22, alignment=TA_CENTER)
    sub = ParagraphStyle("sub", parent=base, fontSize=9, alignment=TA_CENTER,
                         textColor=colors.HexColor("#444444"))
    head = ParagraphStyle("head", parent=base, fontSize=11, leading=15, spaceBefore=6,
                          spaceAfter=3)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=11,
                           textColor=colors.HexColor("#555555"))

    def p(text: Any, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(_escape(_text(text)), style)

    institution = document.get("institution") or {}
    liaison = document.get("liaison") or {}
    width, height = A4
    margin = 16 * mm
    frame_w, frame_h = width - 2 * margin, height - 2 * margin
    story: list[Any] = []
    for n, r in enumerate(reports):
        level = r["warning_level"]
        cover = r["days_of_cover"]
        level_style = ParagraphStyle(
            "level", parent=base, textColor=colors.HexColor(LEVEL_COLOURS.get(level, "#000000"))
        )
        cause = CAUSE_LABELS.get(r["cause"], r["cause"] or "")
        if r["cause_detail"]:
            cause = f"{cause}：{r['cause_detail']}" if cause else r["cause_detail"]
        subs = "\n".join(
            f"{i}. {s['name']}（{SUBSTITUTE_KIND_LABELS.get(s['kind'], s['kind'])}）"
            + (f" 编码 {s['code']}" if s["code"] else "")
            for i, s in enumerate(r["substitutes"], 1)
        )
        status = STATUS_LABELS.get(r["status"], r["status"])
        rows = [
            ("产品编码", r["product_code"], "通用名", r["generic_name"]),
            ("剂型", r["dosage_form"], "规格", r["specification"]),
            ("生产企业", r["manufacturer"], "短缺开始日期", r["start_date"]),
            ("短缺类型", KIND_LABELS.get(r["kind"], r["kind"]), "状态", status),
            ("库存数量（最小单位）", r["stock_on_hand"], "月均用量（最小单位）", r["monthly_use"]),
            ("可用天数", None if cover is None else f"{cover:.1f} 天",
             "可替代性", SUBSTITUTABILITY_LABELS.get(r["substitutability"], "")),
        ]
        grid: list[list[Any]] = [
            [p(a, label), p(b), p(c, label), p(d)] for a, b, c, d in rows
        ]
        grid.append([p("预警级别", label), Paragraph(_escape(LEVEL_LABELS.get(level, level)),
                                                   level_style),
                     p("报告编号", label), p(r["id"], small)])
        wide = [
            ("短缺原因", cause),
            ("临床影响", r["clinical_impact"]),
            ("替代药品", subs or "无"),
            ("已采取措施", r["measures_taken"]),
        ]
        for a, b in wide:
            grid.append([p(a, label), p(b), "", ""])
        grid.append([p("填报人", label), p(r["reporter"]), p("联系电话", label), p(r["contact"])])
        grid.append([p("信息联络员", label), p(r["liaison"] or liaison.get("name")),
                     p("联络员电话", label), p(r["liaison_contact"] or liaison.get("phone"))])
        col = [38 * mm, frame_w / 2 - 38 * mm, 38 * mm, frame_w / 2 - 38 * mm]
        table = Table(grid, colWidths=col)
        first_wide = len(rows) + 1
        style = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f1f4f8")),
            ("BACKGROUND", (2, 0), (2, len(rows)), colors.HexColor("#f1f4f8")),
            ("BACKGROUND", (2, -2), (2, -1), colors.HexColor("#f1f4f8")),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
        for i in range(first_wide, first_wide + len(wide)):
            style.append(("SPAN", (1, i), (3, i)))
        table.setStyle(TableStyle(style))

        steps = [[p("时间", label), p("由", label), p("至", label), p("办理人", label),
                  p("说明", label)]]
        for s in r["steps"]:
            steps.append([
                p(s["at"], small),
                p(STATUS_LABELS.get(s["from_status"], "新建") if s["from_status"] else "新建",
                  small),
                p(STATUS_LABELS.get(s["to_status"], s["to_status"]), small),
                p(s["by"], small),
                p(s["note"], small),
            ])
        steps_table = Table(steps, colWidths=[34 * mm, 28 * mm, 46 * mm, 22 * mm,
                                              frame_w - 130 * mm])
        steps_table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#aaaaaa")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1f4f8")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]))
        escalated = "是（已列入短缺药品清单并上报）" if r["escalated"] else "否"
        page = [
            p("短缺药品信息报告表", title),
            p(f"{institution.get('name') or ''}（机构编码 {institution.get('code') or r['institution_code'] or '—'}）"
              f"　政策参数 {document.get('profile', '')}　截至 {document.get('as_of', '')}", sub),
            Spacer(1, 5 * mm),
            table,
            p("办理记录（SH-2）", head),
            steps_table,
            Spacer(1, 3 * mm),
            p(f"列入短缺清单：{escalated}　　提示来源：{_signal(r['signal'])}", small),
            Spacer(1, 10 * mm),
            p("填报人签字：____________　　信息联络员签字：____________　　"
              "日期：______年____月____日", base),
            Spacer(1, 4 * mm),
            p(f"依据《公立医疗卫生机构短缺药品管理指南（2018年版）》，由信息联络员通过短缺药品信息直报系统填报。"
              f"导出时间 {document.get('exported_at', '')}；数量以最小制剂单位计，可用天数 = 库存 ÷ 月均用量 × 30。",
              small),
        ]
        story.append(KeepInFrame(frame_w, frame_h - 2 * mm, page, mode="shrink"))
        if n < len(reports) - 1:
            story.append(PageBreak())

    tmp = path.with_name(path.name + ".part")
    doc = SimpleDocTemplate(
        str(tmp), pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=margin,
        bottomMargin=margin, title="短缺药品信息报告表", author=institution.get("name") or "",
    )
    pages: list[int] = []
    doc.build(story, onLaterPages=lambda c, d: pages.append(d.page),
              onFirstPage=lambda c, d: pages.append(d.page))
    tmp.replace(path)
    return len(pages)


def _signal(signal: str) -> str:
    return {"undelivered": "订单超时未配送", "low_cover": "库存可用天数不足"}.get(signal, "人工填报")
