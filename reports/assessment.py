"""The institution assessment report (issue 6, 3a): what directors sign each
quarter and at year end, and what the insurance bureau scores (SR-2).

Sections: cover; summary scores (SR-2, `compute_assessment`); essential-drug
shares (ED-1/ED-2/ED-4/ED-5) with the monthly amount-share chart; each
agreement with its progress bar, time marker and band (AV-2/AV-3/AV-5);
delivery companies (SUP); payments (PAY-3/PAY-4); alerts; the actions
taken (supply tickets, shortage reports) where the database has them; the
signature block. Every figure is the domain's (`reports.sources`).
"""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer

from reports import sources
from reports.charts import legend_note, monthly_share_bars, progress_bar, share_gauge
from reports.layout import (
    BAND_LABELS,
    LEVEL_LABELS,
    CancelFn,
    ProgressFn,
    ReportCancelled,
    ReportMeta,
    Styles,
    band_label,
    build,
    cover_story,
    data_table,
    escape,
    key_value_table,
    money,
    pct,
    qty,
    signature_block,
    unit_price,
)

TITLE = "药品集中采购与使用考核报告"


@dataclass
class AssessmentData:
    """Everything the report prints, as the domain returned it."""

    as_of: dt.date
    indicators: dict[str, Any]
    alerts: list[dict[str, Any]]
    scores: dict[str, Any] | sources.Unavailable
    tickets: list[dict[str, Any]] | None
    shortages: list[sources.ShortageLine] | None


def gather(conn: sqlite3.Connection, as_of: dt.date,
           progress: ProgressFn | None = None, cancelled: CancelFn | None = None, *,
           year_basis: str = "procurement") -> AssessmentData:
    """Read every section's figures from the domain (runs on the caller's connection).

    `year_basis` is the SR-3 year the SR-2 scores cover: the procurement year
    of the agreements in force, or the natural year to date.
    """
    steps = ("指标", "预警", "考核评分", "处理记录")

    def step(i: int) -> None:
        if cancelled is not None and cancelled():
            raise ReportCancelled
        if progress is not None:
            progress(i, len(steps), f"读取{steps[min(i, len(steps) - 1)]}")

    step(0)
    figures = sources.indicators(conn, as_of)
    step(1)
    alerts = sources.alerts(conn, as_of)
    step(2)
    scores = sources.assessment(conn, as_of, year_basis)
    step(3)
    tickets = sources.supply_tickets(conn, as_of)
    shortages = sources.shortage_reports(conn, as_of)
    return AssessmentData(as_of, figures, alerts, scores, tickets, shortages)


def meta_for(indicators: dict[str, Any], as_of: dt.date, title: str = TITLE) -> ReportMeta:
    inst = indicators["institution"]
    return ReportMeta(
        title=title,
        institution=inst.get("name") or inst["code"],
        institution_code=inst["code"],
        as_of=as_of,
        subtitle=LEVEL_LABELS.get(inst["level"], inst["level"]),
        profile=str(indicators.get("profile") or ""),
    )


def _scores_section(data: AssessmentData, s: Styles) -> list[Flowable]:
    out: list[Flowable] = [Paragraph("一、考核得分（SR-2）", s.h1)]
    scores = data.scores
    if isinstance(scores, sources.Unavailable):
        out.append(Paragraph(escape(scores.reason), s.note))
        return out
    period = scores.get("period") or {}
    basis = period.get("basis_label") or {"natural": "自然年度", "procurement": "采购执行年度"}.get(
        str(period.get("basis")), str(period.get("basis") or "—"))
    pairs = [
        ("考核期间", f"{period.get('start', '—')} 至 {period.get('end', '—')}（{basis}）"),
        ("政策参数", str(scores.get("profile") or "—")),
        ("总分", f"{_num(scores.get('total'))} / {_num(scores.get('max_total'))}"),
        ("考核结果", str(scores.get("result") or "—")),
    ]
    if scores.get("pass_score") is not None:
        pairs.append(("合格分数线", _num(scores.get("pass_score"))))
    out.append(key_value_table(pairs, s))
    out.append(Spacer(1, 3 * mm))
    kinds = {"key": "关键指标", "reference": "参考指标"}
    rows = [
        [kinds.get(i.get("kind"), str(i.get("kind"))), str(i.get("name", "")),
         str(i.get("display") or "—"), str(i.get("method") or ""), _num(i.get("points")),
         _weight(i.get("weight")), _num(i.get("score")), source_label(i)]
        for i in scores.get("indicators", [])
    ]
    out.append(data_table(["类别", "指标", "数值", "评分方法", "分值", "权重", "得分", "来源"],
                          rows, [15 * mm, 32 * mm, 16 * mm, 62 * mm, 11 * mm, 11 * mm, 12 * mm,
                                 15 * mm], s, align_right_from=None))
    notes = scores.get("notes") or []
    if notes:
        out.append(Spacer(1, 2 * mm))
        out.append(Paragraph("说明：" + "；".join(escape(n) for n in notes) + "。", s.note))
    return out


SOURCE_LABELS = {"computed": "系统计算", "entered": "人工填报", "missing": "未填报"}


def source_label(indicator: dict[str, Any]) -> str:
    """Where a figure comes from; a computed one missing is "no data", not "not entered"."""
    source = str(indicator.get("source") or "")
    if source == "missing" and indicator.get("entered_figure") is False:
        return "无数据"
    return SOURCE_LABELS.get(source, source)


def _weight(value: object) -> str:
    """A weight given as a fraction (0.3) prints as 30%; one given in points as it is."""
    if isinstance(value, int | float) and 0 < value <= 1:
        return pct(float(value), 0)
    return _num(value)


def _num(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def essential_section(ind: dict[str, Any], s: Styles, heading: str) -> list[Flowable]:
    """ED-1/ED-2 shares against the target, the gap, ED-4 monthly trend, ED-5 structure."""
    ess = ind["essential"]
    out: list[Flowable] = [Paragraph(heading, s.h1)]
    basis = "本机构采购目录品规（ED-1）" if ess["target_basis"] == "catalogue" else "国家基药目录品规（ED-2）"
    period = ess.get("period") or {}
    listing = ess.get("list") or {}
    gap = ess.get("gap") or {}
    pairs = [
        ("统计期间", f"{period.get('start', '—')} 至 {period.get('end', '—')}"),
        ("考核口径", basis),
        ("目录品规数", qty(ess["catalogue_specs"])),
        ("其中基药品规", qty(ess["essential_specs"])),
        ("基药品规占比（ED-1）", pct(ess["spec_share"])),
    ]
    if listing.get("name"):
        pairs.append((f"{listing['name']}（ED-2）",
                      f"{qty(ess['list_entries'])} 个品规，已配备 {qty(ess['list_entries_matched'])}，"
                      f"配备率 {pct(ess['list_share'])}"))
    else:
        pairs.append(("国家基药目录（ED-2）", "截至日无有效目录"))
    pairs += [
        ("目标", f"{pct(ess['target'])}（{'达标' if ess['meets_target'] else '未达标'}）"),
        ("基药采购金额占比（ED-4）", pct(ess["amount_share"])),
    ]
    if gap.get("add_essential") or gap.get("retire_non_essential"):
        pairs.append(("差距", f"增加 {gap['add_essential']} 个基药品规，或停用 "
                              f"{gap['retire_non_essential']} 个非基药品规"))
    if gap.get("equip_entries"):
        pairs.append(("差距", f"再配备 {gap['equip_entries']} 个基药目录品规"))
    out.append(key_value_table(pairs, s))
    share = ess["spec_share"] if ess["target_basis"] == "catalogue" else ess["list_share"]
    out.append(Spacer(1, 3 * mm))
    out.append(share_gauge(share, ess["target"], label="考核占比"))
    trend = ess.get("trend") or []
    if trend:
        out.append(Spacer(1, 2 * mm))
        out.append(monthly_share_bars([m["month"] for m in trend], [m["share"] for m in trend],
                                      caption="各月基药采购金额占比（ED-4）"))
        rows = [[m["month"], money(m["essential_amount"]), money(m["total_amount"]),
                 pct(m["share"])] for m in trend]
        rows.append(["合计", money(sum(m["essential_amount"] for m in trend)),
                     money(sum(m["total_amount"] for m in trend)), pct(ess["amount_share"])])
        out.append(data_table(["月份", "基药采购金额（元）", "药品采购金额（元）", "占比"], rows,
                              [30 * mm, 45 * mm, 45 * mm, 30 * mm], s, align_right_from=1))
    structure = ess.get("structure") or []
    if structure:
        out.append(Paragraph("用药结构（ED-5，与上年同期比较）", s.h2))
        rows = [[r["label"], money(r["amount"]), qty(r["qty"]), money(r["amount_prev"]),
                 qty(r["qty_prev"]), pct(r["price_change"])] for r in structure]
        out.append(data_table(["类别", "金额（元）", "数量", "上年同期金额", "上年同期数量", "价格变动"],
                              rows, [32 * mm, 30 * mm, 26 * mm, 30 * mm, 26 * mm, 22 * mm], s,
                              align_right_from=1))
    return out


def agreement_rows(agreements: list[dict[str, Any]]) -> list[list[object]]:
    """One row per agreement: figures, the progress bar with its time marker, the band."""
    rows: list[list[object]] = []
    for a in agreements:
        flags = []
        if a["behind_schedule"]:
            flags.append("落后序时")
        if a["non_selected_alert"]:
            flags.append("非中选超标")
        if a["exempt"]:
            flags.append("免考核")
        rows.append([
            a["batch"], a["generic"], qty(a["agreed_qty"]), qty(a["selected_qty"]),
            pct(a["progress"]), progress_bar(a["progress"], a["time_progress"], a["band"]),
            pct(a["time_progress"]), pct(a["non_selected_share"]),
            band_label(a), "，".join(flags),
        ])
    return rows


AGREEMENT_HEADER = ["批次", "通用名", "约定量", "中选量", "进度", "完成进度 / 序时", "序时进度",
                    "非中选占比", "结果", "提示"]
AGREEMENT_WIDTHS = [13 * mm, 27 * mm, 15 * mm, 15 * mm, 12 * mm, 40 * mm, 13 * mm, 14 * mm,
                    11 * mm, 16 * mm]


def agreements_section(ind: dict[str, Any], s: Styles, heading: str) -> list[Flowable]:
    out: list[Flowable] = [Paragraph(heading, s.h1)]
    agreements = ind.get("agreements") or []
    if not agreements:
        out.append(Paragraph("本机构截至日没有集采约定采购量。", s.body))
        return out
    total = ind.get("agreements_total") or {}
    if total:
        out.append(key_value_table([
            ("约定品种数", qty(total.get("agreements"))),
            ("约定量合计", qty(total.get("agreed_qty"))),
            ("中选产品采购量合计", qty(total.get("selected_qty"))),
            ("总体完成进度（AV-3）", f"{pct(total.get('progress'))}（"
                                    f"{BAND_LABELS.get(total.get('band', ''), total.get('band'))}）"),
        ], s))
        out.append(Spacer(1, 2 * mm))
    out.append(legend_note())
    out.append(data_table(AGREEMENT_HEADER, agreement_rows(agreements), AGREEMENT_WIDTHS, s,
                          align_right_from=None))
    return out


def suppliers_section(ind: dict[str, Any], s: Styles, heading: str) -> list[Flowable]:
    out: list[Flowable] = [Paragraph(heading, s.h1)]
    suppliers = ind.get("suppliers") or []
    if not suppliers:
        out.append(Paragraph("统计期间没有配送记录。", s.body))
        return out
    rows = [[x["supplier"], qty(x["orders"]), pct(x["response_rate"]), pct(x["timeliness"]),
             qty(x["unresponded_48h"]), str(x.get("tier_label") or "—")] for x in suppliers]
    out.append(data_table(["配送企业", "订单明细", "响应率", "配送及时率", "超 48 小时未响应", "等级"],
                          rows, [62 * mm, 20 * mm, 20 * mm, 22 * mm, 28 * mm, 20 * mm], s,
                          align_right_from=1))
    return out


def payments_section(ind: dict[str, Any], s: Styles, heading: str) -> list[Flowable]:
    out: list[Flowable] = [Paragraph(heading, s.h1)]
    pay = ind.get("payments") or {}
    thirty = pay.get("thirty_day") or {}
    offline = pay.get("offline") or {}
    period = pay.get("period") or {}
    days = thirty.get("window_days", 30)  # the policy profile's window (PAY-3)
    pairs = [
        ("统计期间", f"{period.get('start', '—')} 至 {period.get('end', '—')}"),
        (f"{days} 天回款率（PAY-3）", pct(pay.get("thirty_day_rate"))),
        (f"应在 {days} 天内回款金额（元）", money(thirty.get("due_amount"))),
        (f"{days} 天内已回款金额（元）", money(thirty.get("paid_in_window"))),
        ("线下采购占比（PAY-4）", pct(pay.get("offline_share"))),
        ("线下采购金额 / 采购总额（元）",
         f"{money(offline.get('offline_amount'))} / {money(offline.get('total_amount'))}"),
    ]
    if offline.get("limit") is not None:
        pairs.append(("线下采购占比上限", f"{pct(offline.get('limit'))}（"
                                          f"{'超限' if offline.get('over_limit') else '未超限'}）"))
    out.append(key_value_table(pairs, s))
    prepayments = pay.get("prepayments") or []
    if prepayments:
        out.append(Paragraph("医保基金预付（按约定采购金额）", s.h2))
        rows = [[p["batch"], p["generic"], qty(p["agreed_qty"]), unit_price(p["selected_price"]),
                 f"{p['start']} 至 {p['end']}", money(p["agreed_amount"]), money(p["prepayment"])]
                for p in prepayments]
        out.append(data_table(["批次", "通用名", "约定量", "中选价（元）", "执行期", "约定金额（元）",
                               "预付金额（元）"], rows,
                              [14 * mm, 32 * mm, 20 * mm, 20 * mm, 38 * mm, 24 * mm, 24 * mm], s,
                              align_right_from=None))
    return out


def alerts_section(alerts: list[dict[str, Any]], s: Styles, heading: str) -> list[Flowable]:
    out: list[Flowable] = [Paragraph(heading, s.h1)]
    if not alerts:
        out.append(Paragraph("截至日没有预警。", s.body))
        return out
    out.append(Paragraph(f"共 {len(alerts)} 条预警。", s.body))
    rows = [[a["rule"], a.get("subject") or "", a.get("message") or ""] for a in alerts]
    out.append(data_table(["规则", "对象", "说明"], rows, [14 * mm, 46 * mm, 114 * mm], s))
    return out


def actions_section(data: AssessmentData, s: Styles, heading: str) -> list[Flowable]:
    """What was done about the problems: supply tickets (SUP-4) and shortage reports (SH-2)."""
    if data.tickets is None and data.shortages is None:
        return []
    out: list[Flowable] = [Paragraph(heading, s.h1)]
    if data.tickets is not None:
        out.append(Paragraph("配送问题工单（SUP-4）", s.h2))
        errors = [t["error"] for t in data.tickets if "error" in t]
        tickets = [t for t in data.tickets if "error" not in t]
        for error in errors:
            out.append(Paragraph(escape(error), s.note))
        if tickets:
            rows = [[t["raised_on"], t.get("product") or t["product_code"], t["supplier"],
                     t["problem"], _ticket_status(t), t.get("resolved_on") or "—"]
                    for t in tickets]
            out.append(data_table(["提出日期", "产品", "配送企业", "问题", "状态", "解决日期"], rows,
                                  [20 * mm, 34 * mm, 34 * mm, 46 * mm, 20 * mm, 20 * mm], s))
        elif not errors:
            out.append(Paragraph("截至日没有配送问题工单。", s.body))
    if data.shortages is not None:
        out.append(Paragraph("短缺药品报告（SH-2）", s.h2))
        if data.shortages:
            rows = [[x.product, x.start, x.kind, x.measures, x.status] for x in data.shortages]
            out.append(data_table(["药品", "短缺开始", "类型", "已采取措施", "状态"], rows,
                                  [44 * mm, 22 * mm, 20 * mm, 64 * mm, 24 * mm], s))
        else:
            out.append(Paragraph("截至日没有短缺药品报告。", s.body))
    return out


def _ticket_status(ticket: dict[str, Any]) -> str:
    """The tickets module's own label for the status (SUP-4), the code where it has none."""
    labels = sources.optional("pharmacy_app.tickets", "STATUS_LABELS")
    status = str(ticket["status"])
    return labels.get(status, status) if isinstance(labels, dict) else status


def story(data: AssessmentData, s: Styles) -> list[Flowable]:
    ind = data.indicators
    meta = meta_for(ind, data.as_of)
    essential = ind["essential"]
    period = essential.get("period") or {}
    flow: list[Flowable] = cover_story(meta, s, [
        f"统计期间：{period.get('start', '—')} 至 {period.get('end', '—')}",
        f"截至日期：{data.as_of.isoformat()}",
        f"政策参数：{ind.get('profile', '—')}",
    ])
    flow += _scores_section(data, s)
    flow += essential_section(ind, s, "二、基本药物配备与使用")
    flow.append(CondPageBreak(60 * mm))
    flow += agreements_section(ind, s, "三、集采约定采购量完成情况")
    flow += suppliers_section(ind, s, "四、配送企业")
    flow += payments_section(ind, s, "五、货款结算")
    flow += alerts_section(data.alerts, s, "六、预警")
    flow += actions_section(data, s, "七、已采取的措施")
    flow.append(CondPageBreak(90 * mm))
    flow.append(KeepTogether([
        Paragraph("审核签字", s.h1),
        Paragraph("本报告数据由药事台根据本机构采购目录、采购明细与回款记录生成，"
                  "经核对无误后签字盖章。", s.body),
        Spacer(1, 4 * mm),
        signature_block(s),
    ]))
    return flow


def build_assessment(conn: sqlite3.Connection, as_of: dt.date, target: str | Path | io.BytesIO,
                     progress: ProgressFn | None = None, cancelled: CancelFn | None = None, *,
                     year_basis: str = "procurement") -> int:
    """Write the assessment report to `target`; returns the page count."""
    data = gather(conn, as_of, progress, cancelled, year_basis=year_basis)
    return render(data, target, progress, cancelled)


def render(data: AssessmentData, target: str | Path | io.BytesIO,
           progress: ProgressFn | None = None, cancelled: CancelFn | None = None) -> int:
    s = Styles()
    return build(target, meta_for(data.indicators, data.as_of), story(data, s), cover=True,
                 progress=progress, cancelled=cancelled)
