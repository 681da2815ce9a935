"""Shortage reports as JSON and xlsx, under stable English keys (SH-1, SH-2, SH-3).

The sync issue will send these files, so the keys are a public interface:
more may be added, none renamed. JSON document::

    {"format": "pharmacy-desk-shortage-reports", "format_version": 1,
     "exported_at": "YYYY-MM-DD HH:MM:SS", "as_of": "YYYY-MM-DD",
     "profile": "national@1",
     "institution": {"code": "...", "name": "..."},
     "liaison": {"name": "...", "phone": "..."},
     "reports": [REPORT, ...]}

REPORT keys (quantities in smallest dispensing units):

| key | meaning |
|---|---|
| id | the report's UUID (stable across machines, SYNC-1) |
| version | increases with every saved change |
| institution_code | reporting institution |
| product_code | national drug code |
| generic_name, dosage_form, specification, manufacturer | the product as reported (SH-1) |
| start_date | shortage start date, YYYY-MM-DD or null |
| stock_on_hand | stock on hand, or null |
| monthly_use | average monthly use, or null |
| days_of_cover | stock ÷ (monthly use ÷ 30), one decimal, or null |
| kind | "complete" or "partial" |
| cause | one of model.CAUSES; cause_label is its Chinese text |
| cause_detail | free text |
| clinical_impact | free text |
| substitutes | list of {"code", "name", "kind"}; kind "same_generic", "same_class" or "other" |
| substitutability | "none", "partial" or "full" (model.substitutability) |
| warning_level | SH-3 level: "red", "orange", "yellow" or "none" |
| measures_taken | free text |
| reporter, contact | who filed it and how to reach them |
| liaison, liaison_contact | the information liaison when it was filed (SH-1) |
| status | "draft", "reported", "handling", "resolved", "unresolvable" (SH-2) |
| escalated | true when unresolvable: on the shortage list, reported upward |
| signal | "undelivered", "low_cover" or "" (what proposed it, SH-3) |
| created_at, updated_at | local time stamps |
| reported_at | when it left draft, or null |
| steps | list of {"id", "from_status", "to_status", "at", "by", "note"} (SH-2) |

The xlsx has sheet `reports` (one row per report, the keys above as the
header, substitutes joined by "；" and steps on their own sheet), sheet
`steps` (report id + step keys) and sheet `fields` (key, Chinese label).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from pharmacy_app.shortage.model import (
    CAUSE_LABELS,
    FIELD_LABELS,
    REPORTED,
    ShortageReport,
    report_level,
)

FORMAT = "pharmacy-desk-shortage-reports"
FORMAT_VERSION = 1

REPORT_KEYS = (
    "id",
    "version",
    "institution_code",
    "product_code",
    "generic_name",
    "dosage_form",
    "specification",
    "manufacturer",
    "start_date",
    "stock_on_hand",
    "monthly_use",
    "days_of_cover",
    "kind",
    "cause",
    "cause_label",
    "cause_detail",
    "clinical_impact",
    "substitutes",
    "substitutability",
    "warning_level",
    "measures_taken",
    "reporter",
    "contact",
    "liaison",
    "liaison_contact",
    "status",
    "escalated",
    "signal",
    "created_at",
    "updated_at",
    "reported_at",
    "steps",
)
STEP_KEYS = ("id", "from_status", "to_status", "at", "by", "note")

KEY_LABELS = {
    **FIELD_LABELS,
    "id": "报告编号（UUID）",
    "version": "版本",
    "institution_code": "机构编码",
    "days_of_cover": "可用天数",
    "cause_label": "短缺原因（文字）",
    "substitutability": "可替代性",
    "warning_level": "预警级别",
    "liaison": "信息联络员",
    "liaison_contact": "联络员电话",
    "escalated": "已列入短缺清单并上报",
    "signal": "提示来源",
    "created_at": "创建时间",
    "updated_at": "更新时间",
    "reported_at": "上报时间",
    "steps": "办理记录",
}


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def report_to_json(report: ShortageReport, profile: Any) -> dict[str, Any]:
    """One report under the stable keys of the module docstring."""
    cover = report.days_of_cover
    reported_at = next((s.at for s in report.steps if s.to_status == REPORTED), None)
    return {
        "id": report.uuid,
        "version": report.version,
        "institution_code": report.institution_code,
        "product_code": report.product_code,
        "generic_name": report.generic_name,
        "dosage_form": report.dosage_form,
        "specification": report.specification,
        "manufacturer": report.manufacturer,
        "start_date": report.start_date.isoformat() if report.start_date else None,
        "stock_on_hand": _number(report.stock_on_hand),
        "monthly_use": _number(report.monthly_use),
        "days_of_cover": None if cover is None else round(float(cover), 1),
        "kind": report.kind,
        "cause": report.cause,
        "cause_label": CAUSE_LABELS.get(report.cause, ""),
        "cause_detail": report.cause_detail,
        "clinical_impact": report.clinical_impact,
        "substitutes": [s.to_json() for s in report.substitutes],
        "substitutability": report.substitutability,
        "warning_level": report_level(report, profile),
        "measures_taken": report.measures_taken,
        "reporter": report.reporter,
        "contact": report.contact,
        "liaison": report.liaison,
        "liaison_contact": report.liaison_contact,
        "status": report.status,
        "escalated": report.escalated,
        "signal": report.signal,
        "created_at": report.created_at,
        "updated_at": report.updated_at,
        "reported_at": reported_at,
        "steps": [
            {"id": s.uuid, "from_status": s.from_status, "to_status": s.to_status,
             "at": s.at, "by": s.by, "note": s.note}
            for s in report.steps
        ],
    }


def export_document(
    reports: list[ShortageReport],
    profile: Any,
    *,
    institution: tuple[str, str] = ("", ""),
    liaison: tuple[str, str] = ("", ""),
    as_of: dt.date | None = None,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        "as_of": (as_of or dt.date.today()).isoformat(),
        "profile": profile.label,
        "institution": {"code": institution[0], "name": institution[1]},
        "liaison": {"name": liaison[0], "phone": liaison[1]},
        "reports": [report_to_json(r, profile) for r in reports],
    }


def write_json(document: dict[str, Any], path: Path) -> None:
    """Write to a temporary file first, so a failed write leaves no half file."""
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)


def write_xlsx(document: dict[str, Any], path: Path) -> None:
    """The document as a workbook (sheets `reports`, `steps`, `fields`)."""
    import xlsxwriter

    tmp = path.with_name(path.name + ".part")
    book = xlsxwriter.Workbook(str(tmp), {"constant_memory": False})
    try:
        bold = book.add_format({"bold": True, "bg_color": "#e8eef6"})
        sheet = book.add_worksheet("reports")
        columns = [k for k in REPORT_KEYS if k != "steps"]
        sheet.write_row(0, 0, columns, bold)
        for row, report in enumerate(document["reports"], 1):
            for col, key in enumerate(columns):
                value = report[key]
                if key == "substitutes":
                    value = "；".join(s["name"] for s in value)
                elif isinstance(value, bool):
                    value = "true" if value else "false"
                if value is None:
                    continue
                sheet.write(row, col, value)
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, len(columns) - 1, 16)
        steps = book.add_worksheet("steps")
        steps.write_row(0, 0, ["report_id", *STEP_KEYS], bold)
        row = 1
        for report in document["reports"]:
            for step in report["steps"]:
                steps.write_row(row, 0, [report["id"], *(step[k] or "" for k in STEP_KEYS)])
                row += 1
        steps.set_column(0, 6, 20)
        fields = book.add_worksheet("fields")
        fields.write_row(0, 0, ["key", "label"], bold)
        for row, key in enumerate(REPORT_KEYS, 1):
            fields.write_row(row, 0, [key, KEY_LABELS.get(key, key)])
        fields.set_column(0, 1, 24)
    finally:
        book.close()
    tmp.replace(path)


def write_export(document: dict[str, Any], path: Path) -> None:
    """By the file's suffix: .json or .xlsx."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        write_json(document, path)
    elif suffix == ".xlsx":
        write_xlsx(document, path)
    else:
        raise ValueError(f"{path}: 导出文件须为 .xlsx 或 .json")
