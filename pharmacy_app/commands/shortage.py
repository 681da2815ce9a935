"""`pharmacy-app shortage list|export|print`: shortage reports (SH-1…SH-3).

    pharmacy-app shortage list [--json] [--status S]
    pharmacy-app shortage export [--id UUID] [--status S] --out FILE.xlsx|.json
    pharmacy-app shortage print (--id UUID | --all) --out FILE.pdf

`list` and `export` without --id/--status cover every report; `print --all`
prints the unresolved list (every report not resolved), one page each.
JSON keys are those of pharmacy_app/shortage/export.py. Exit codes: 0 done,
1 failure (no institution, unwritable file), 2 input rejected (unknown id,
status or file type; nothing written).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pharmacy_app.cli_support import EXIT_FAILURE, EXIT_OK, EXIT_REJECTED, as_of_date, db_path, err

STATUS_CHOICES = ("draft", "reported", "handling", "resolved", "unresolvable", "open")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("shortage", help="短缺药品信息直报：列表、导出、打印")
    actions = parser.add_subparsers(dest="shortage_action", required=True)

    p = actions.add_parser("list", help="列出短缺报告及预警级别")
    p.add_argument("--json", action="store_true", help="输出 JSON（导出格式的键）")
    p.add_argument("--status", choices=STATUS_CHOICES, help="只列出该状态（open = 未解决）")
    p.add_argument("--as-of", type=as_of_date, help="截至日期（默认今天，示例库为示例日期）")
    p.set_defaults(handler=cmd_list)

    p = actions.add_parser("export", help="导出短缺报告为 .xlsx 或 .json")
    p.add_argument("--id", help="只导出这一份报告（UUID）")
    p.add_argument("--status", choices=STATUS_CHOICES, help="只导出该状态（open = 未解决）")
    p.add_argument("--out", required=True, type=Path, help="输出文件 .xlsx 或 .json")
    p.add_argument("--as-of", type=as_of_date, help="截至日期（默认今天）")
    p.set_defaults(handler=cmd_export)

    p = actions.add_parser("print", help="打印短缺药品信息报告表（PDF，每份一页）")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", help="报告编号（UUID）")
    which.add_argument("--all", action="store_true", help="全部未解决的报告")
    p.add_argument("--out", required=True, type=Path, help="输出 PDF 文件")
    p.add_argument("--as-of", type=as_of_date, help="截至日期（默认今天）")
    p.set_defaults(handler=cmd_print)


def _statuses(status: str | None) -> tuple[str, ...] | None:
    from pharmacy_app.shortage.model import OPEN_STATUSES

    if status is None:
        return None
    return OPEN_STATUSES if status == "open" else (status,)


def _select(conn, report_id: str | None, status: str | None):  # noqa: ANN001, ANN202
    """The reports asked for, or raises LookupError naming the id."""
    from pharmacy_app.shortage.store import list_reports, load_report

    if report_id:
        return [load_report(conn, report_id.strip())]
    return list_reports(conn, _statuses(status))


def cmd_list(args: argparse.Namespace) -> int:
    from pharmacy_app.shortage.model import LEVEL_LABELS, STATUS_LABELS
    from pharmacy_app.shortage.service import export_for, load_overview
    from pharmacy_app.store import open_store

    conn = open_store(db_path(args))
    overview = load_overview(conn, args.as_of, _statuses(args.status))
    if args.json:
        doc = export_for(conn, overview.reports, overview.as_of)
        doc["proposals"] = [
            {"product_code": p.product.code, "generic_name": p.product.generic_name,
             "dosage_form": p.product.dosage_form, "specification": p.product.specification,
             "reason": p.reason, "detail": p.describe()}
            for p in overview.proposals
        ]
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return EXIT_OK
    for r in overview.reports:
        cover = r.days_of_cover
        print(
            f"{r.uuid}  {STATUS_LABELS[r.status]:<6}  {LEVEL_LABELS[overview.levels[r.uuid]]}  "
            f"{r.product_label}  {r.manufacturer}  "
            f"开始 {r.start_date or '—'}  可用 {'—' if cover is None else f'{float(cover):.1f}'} 天"
        )
    print(f"共 {len(overview.reports)} 份短缺报告（截至 {overview.as_of.isoformat()}，"
          f"政策参数 {overview.profile.label}）")
    for p in overview.proposals:
        print(f"[SH-3 建议上报] {p.product.code}  {p.product.label}：{p.describe()}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from pharmacy_app.shortage.export import write_export
    from pharmacy_app.shortage.service import export_for
    from pharmacy_app.shortage.store import ReportNotFound
    from pharmacy_app.store import open_store

    if args.out.suffix.lower() not in (".xlsx", ".json"):
        err(f"{args.out}: 导出文件须为 .xlsx 或 .json")
        return EXIT_REJECTED
    conn = open_store(db_path(args))
    try:
        reports = _select(conn, args.id, args.status)
    except ReportNotFound as exc:
        err(str(exc))
        return EXIT_REJECTED
    try:
        write_export(export_for(conn, reports, args.as_of), args.out)
    except OSError as exc:
        err(f"{args.out}: 无法写入（{exc}）")
        return EXIT_FAILURE
    print(f"已导出 {len(reports)} 份短缺报告到 {args.out}")
    return EXIT_OK


def cmd_print(args: argparse.Namespace) -> int:
    from pharmacy_app.shortage.model import OPEN_STATUSES
    from pharmacy_app.shortage.service import export_for
    from pharmacy_app.shortage.store import ReportNotFound, list_reports, load_report
    from pharmacy_app.store import open_store
    from reports.shortage_form import write_shortage_pdf

    if args.out.suffix.lower() != ".pdf":
        err(f"{args.out}: 输出文件须为 .pdf")
        return EXIT_REJECTED
    conn = open_store(db_path(args))
    try:
        reports = list_reports(conn, OPEN_STATUSES) if args.all else [load_report(conn, args.id)]
    except ReportNotFound as exc:
        err(str(exc))
        return EXIT_REJECTED
    if not reports:
        err("没有未解决的短缺报告，未生成 PDF")
        return EXIT_REJECTED
    try:
        pages = write_shortage_pdf(export_for(conn, reports, args.as_of), args.out)
    except OSError as exc:
        err(f"{args.out}: 无法写入（{exc}）")
        return EXIT_FAILURE
    print(f"已生成 {args.out}（{pages} 页）")
    return EXIT_OK
