"""`pharmacy-app reported propose|import|export`: next year's reported volumes (AV-10).

The same functions as the window's 报量 page (pharmacy_app.reported_volumes):
the proposal, the import check and the export refusal are one code path.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pharmacy_app.cli_support import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_REJECTED,
    as_of_date,
    db_path,
    err,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reported", help="集采报量：建议报量、导入、导出（AV-10）")
    actions = p.add_subparsers(dest="reported_action", required=True)

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--as-of", type=as_of_date, help="截至日期 YYYY-MM-DD（默认今天）")
        q.add_argument("--year", type=int, help="报量年度（默认截至日期的下一年）")

    q = actions.add_parser("propose", help="列出每个通用名的上年实际采购量和建议报量")
    common(q)
    q.add_argument("--fill", action="store_true", help="把建议报量填入尚未报量的通用名")
    q.add_argument("--json", action="store_true", help="输出 JSON")
    q.set_defaults(handler=cmd_propose)

    q = actions.add_parser("import", help="从 xlsx/csv 导入报量（列：通用名, 报量, 说明）")
    q.add_argument("file", type=Path)
    common(q)
    q.set_defaults(handler=cmd_import)

    q = actions.add_parser("export", help="导出报量 xlsx（超出幅度且无说明时拒绝）")
    common(q)
    q.add_argument("--out", type=Path, required=True, help="输出文件 .xlsx")
    q.set_defaults(handler=cmd_export)


def _as_of(args: argparse.Namespace):  # noqa: ANN202 - a date
    import datetime as dt

    return args.as_of or dt.date.today()


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "命令行"


def _report(args: argparse.Namespace):  # noqa: ANN202 - (conn, report)
    from pharmacy_app.reported_volumes import compute_report
    from pharmacy_app.store import open_store

    conn = open_store(db_path(args))
    return conn, compute_report(conn, _as_of(args), args.year)


def _pct(value: object) -> str:
    return "–" if value is None else f"{float(value) * 100:+.1f}%"  # type: ignore[arg-type]


def cmd_propose(args: argparse.Namespace) -> int:
    from pharmacy_app.indicators import NoInstitution
    from pharmacy_app.reported_volumes import (
        METHOD,
        UNREPORTED_NOTE,
        compute_report,
        fill_proposals,
    )

    try:
        conn, report = _report(args)
        if args.fill:
            filled = fill_proposals(conn, report.as_of, report.report_year, by=_user())
            report = compute_report(conn, report.as_of, report.report_year)
            err(f"已为 {filled} 个通用名填入建议报量")
    except NoInstitution as exc:
        err(str(exc))
        return EXIT_FAILURE
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{report.report_year} 年报量（截至 {report.as_of.isoformat()}，政策参数 {report.profile}）")
    print(METHOD)
    for r in report.rows:
        reported = "未报量" if r.quantity is None else f"{r.quantity:,}"
        flag = ""
        if r.missing_explanation:
            flag = "  ← 超出幅度，须填写说明"
        elif r.unreported:
            flag = f"  ← {UNREPORTED_NOTE}"
        print(
            f"{r.batch or '-':6} {r.generic:16} 上年 {r.last_year_qty:>10,}  建议 {r.proposed_qty:>10,}"
            f"  报量 {reported:>10}  {_pct(r.change):>8}{flag}"
        )
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from pharmacy_app.indicators import NoInstitution
    from pharmacy_app.reported_volumes import ReportError, import_report
    from pharmacy_app.store import open_store

    conn = open_store(db_path(args))
    try:
        entries = import_report(conn, args.file, _as_of(args), args.year, by=_user())
    except ReportError as exc:
        err(str(exc))
        err(f"{args.file}: 未写入任何数据。")
        return EXIT_REJECTED
    except NoInstitution as exc:
        err(str(exc))
        return EXIT_FAILURE
    print(f"已导入 {len(entries)} 个通用名的报量（{args.file.name}）")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from pharmacy_app.indicators import NoInstitution
    from pharmacy_app.reported_volumes import (
        UNREPORTED_NOTE,
        ExportRefused,
        ReportError,
        export_report,
    )

    try:
        _conn, report = _report(args)
        export_report(report, args.out)
    except ExportRefused as exc:
        err("AV-10：导出被拒绝。")
        for generic in exc.generics:
            r = report.row(generic)
            err(f"  {generic}：报量 {r.quantity:,}，上年实际采购量 {r.last_year_qty:,}，"
                f"变化 {_pct(r.change)}，超出 {_pct(report.low)}～{_pct(report.high)}，未填写说明")
        return EXIT_REJECTED
    except ReportError as exc:
        err(str(exc))
        return EXIT_REJECTED
    except NoInstitution as exc:
        err(str(exc))
        return EXIT_FAILURE
    for r in report.unreported:
        err(f"  {r.generic}：{UNREPORTED_NOTE}")
    print(f"已导出 {report.report_year} 年报量到 {args.out}"
          f"（{len(report.rows) - len(report.unreported)} 个通用名已报量，{len(report.unreported)} 个未报量）")
    return EXIT_OK
