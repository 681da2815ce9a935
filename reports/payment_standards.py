"""The payment-standard table (issue 6, 3c; RULES.md PS-1 to PS-4).

For every product of a VBP 通用名: the selected price S, the product's
price P, the standard for year 1, 2 and 3 of the policy, the standard in
force for the as-of year and what the patient pays above it per package.
All figures are `pharmacy_app.payment_standards.compute_payment_standards`'s
Decimals in yuan, printed as they are — the same text `pharmacy-app
payment-standards --json` prints. Landscape A4: sixteen columns.
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
from reports.assessment import meta_for
from reports.layout import (
    LANDSCAPE_CONTENT_WIDTH,
    CancelFn,
    ProgressFn,
    ReportCancelled,
    Styles,
    build,
    data_table,
    escape,
    signature_block,
)
from reports.layout import unit_price as price  # per unit to 4 places, per package to the fen

TITLE = "医保支付标准表"

# The domain's own labels when it has them; these for kinds it may add later.
KIND_LABELS = {
    "selected": "中选产品",
    "originator": "原研/参比",
    "evaluated": "过评仿制药",
    "not_evaluated": "未过评仿制药",
    "consumable": "耗材",
}


def kind_labels() -> dict[str, str]:
    labels = sources.optional("pharmacy_app.payment_standards", "KIND_LABELS")
    return {**KIND_LABELS, **labels} if isinstance(labels, dict) else dict(KIND_LABELS)


HEADER = ["批次", "通用名", "药品编码", "名称", "剂型 / 规格", "生产企业", "类别", "规则",
          "中选价 S", "价格 P", "第 1 年", "第 2 年", "第 3 年", "政策年度", "当年标准",
          "患者每盒自付"]
WIDTHS = [11, 22, 41, 18, 20, 26, 15, 9, 12, 12, 12, 12, 12, 10, 14, 15]
FIRST_FIGURE = 8


def row_of(item: dict[str, Any], labels: dict[str, str]) -> list[object]:
    year = item.get("policy_year")
    form_spec = " / ".join(str(x) for x in (item.get("form"), item.get("spec")) if x)
    return [
        str(item.get("batch") or ""), str(item.get("generic") or ""), str(item.get("code") or ""),
        str(item.get("name") or ""), form_spec, str(item.get("manufacturer") or ""),
        labels.get(str(item.get("kind")), str(item.get("kind") or "")),
        str(item.get("rule") or ""), price(item.get("selected_price")), price(item.get("price")),
        price(item.get("year1")), price(item.get("year2")), price(item.get("year3")),
        "—" if year is None else str(year), price(item.get("standard")),
        price(item.get("patient_extra_per_package")),
    ]


@dataclass
class StandardsData:
    as_of: dt.date
    indicators_head: dict[str, Any]
    rows: list[dict[str, Any]] | sources.Unavailable


def gather(conn: sqlite3.Connection, as_of: dt.date, progress: ProgressFn | None = None,
           cancelled: CancelFn | None = None) -> StandardsData:
    from pharmacy_app.indicators import require_institution
    from pharmacy_app.policy import active_profile

    if progress is not None:
        progress(0, 1, "读取医保支付标准")
    inst = require_institution(conn)
    head = {"institution": {"code": inst.code, "name": inst.name, "level": inst.level},
            "profile": active_profile(conn).label}
    rows = sources.payment_standards(conn, as_of)
    if cancelled is not None and cancelled():
        raise ReportCancelled
    return StandardsData(as_of, head, rows)


def story(data: StandardsData, s: Styles) -> list[Flowable]:
    flow: list[Flowable] = [Paragraph(TITLE, s.h1)]
    flow.append(Paragraph(
        "S 为中选价，P 为同通用名产品价格（按最小包装单位）。PS-1：原研药、参比制剂和过评仿制药，"
        "P ≤ 2S 时支付标准为 S；P &gt; 2S 时第 1 年 0.7P、第 2 年 0.4P（不低于 S）、第 3 年为 S；"
        "P &lt; S 时为 P。PS-2：未过评仿制药取 P 与 S 中较低者。PS-3：高于支付标准的部分由患者负担。"
        "PS-4：耗材以谈判价或联盟价为支付标准。", s.note))
    flow.append(Spacer(1, 3 * mm))
    rows = data.rows
    if isinstance(rows, sources.Unavailable):
        flow.append(Paragraph(escape(rows.reason), s.body))
    elif not rows:
        flow.append(Paragraph("截至日没有集采通用名的产品。", s.body))
    else:
        labels = kind_labels()
        flow.append(Paragraph(f"共 {len(rows)} 个产品。", s.body))
        flow.append(data_table(HEADER, [row_of(r, labels) for r in rows], [w * mm for w in WIDTHS], s,
                               align_right_from=FIRST_FIGURE, content_width=LANDSCAPE_CONTENT_WIDTH))
    flow.append(CondPageBreak(70 * mm))
    flow.append(KeepTogether([Paragraph("审核签字", s.h1), Spacer(1, 2 * mm), signature_block(s)]))
    return flow


def build_payment_standards(conn: sqlite3.Connection, as_of: dt.date,
                            target: str | Path | io.BytesIO, progress: ProgressFn | None = None,
                            cancelled: CancelFn | None = None) -> int:
    """Write the payment-standard table to `target`; returns the page count."""
    return render(gather(conn, as_of, progress, cancelled), target, progress, cancelled)


def render(data: StandardsData, target: str | Path | io.BytesIO,
           progress: ProgressFn | None = None, cancelled: CancelFn | None = None) -> int:
    s = Styles()
    return build(target, meta_for(data.indicators_head, data.as_of, TITLE), story(data, s),
                 cover=False, landscape=True, progress=progress, cancelled=cancelled)
