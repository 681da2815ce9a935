"""`pharmacy-app assessment` (SR-2, SR-3) and `pharmacy-app payment-standards` (PS-1…PS-4).

    pharmacy-app assessment --as-of 2026-11-23 [--basis procurement|natural] [--json] \
        [--set cost_growth=-2.1% --set price_violations=1 …]
    pharmacy-app payment-standards --as-of 2026-11-23 [--json] [--out 支付标准.xlsx]

Both print what the window's assessment and payment-standards pages show;
the figures come from pharmacy_app.scoring and pharmacy_app.payment_standards.
Exit 1 without an institution; exit 2 when the export is rejected (not .xlsx,
folder missing) — nothing is written then.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from pharmacy_app.cli_support import EXIT_FAILURE, EXIT_OK, EXIT_REJECTED, as_of_date, db_path, err

if TYPE_CHECKING:
    import sqlite3


def register(sub: argparse._SubParsersAction) -> None:
    a = sub.add_parser("assessment", help="考核评分（SR-2 关键指标与参考指标，SR-3 年度口径）")
    a.add_argument("--as-of", required=True, type=as_of_date, help="截至日期 YYYY-MM-DD（当天 24 时）")
    a.add_argument("--basis", choices=("procurement", "natural"), default="procurement",
                   help="考核年度口径：procurement 采购执行年度（默认）/ natural 自然年度")
    a.add_argument("--json", action="store_true", help="输出 JSON")
    a.add_argument("--institution", help="为库中另一家机构（如医联体成员）评分，默认本机构")
    a.add_argument("--set", action="append", default=[], metavar="指标=值",
                   help="先保存本期填报数据再评分：cost_growth=3.5%%、vbp_violations=0、"
                        "price_violations=1、circulation=0（可重复；值为空则清除）")
    a.set_defaults(handler=cmd_assessment)

    p = sub.add_parser("payment-standards", help="集采通用名医保支付标准（PS-1…PS-4）")
    p.add_argument("--as-of", required=True, type=as_of_date, help="截至日期 YYYY-MM-DD")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--out", help="另存为 .xlsx")
    p.set_defaults(handler=cmd_payment_standards)


def cmd_assessment(args: argparse.Namespace) -> int:
    import json

    from pharmacy_app.indicators import NoInstitution
    from pharmacy_app.scoring import AssessmentInputError, compute_assessment, format_assessment
    from pharmacy_app.store import open_store

    conn = open_store(db_path(args))
    try:
        if args.set:
            rejected = _save_entries(conn, args)
            if rejected:
                err(rejected)
                return EXIT_REJECTED
        result = compute_assessment(conn, args.as_of, year_basis=args.basis,
                                    institution_code=args.institution)
    except AssessmentInputError as exc:
        err(str(exc))
        return EXIT_REJECTED
    except NoInstitution as exc:
        err(str(exc))
        return EXIT_FAILURE
    finally:
        conn.close()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(format_assessment(result))
    return EXIT_OK


def _save_entries(conn: sqlite3.Connection, args: argparse.Namespace) -> str | None:
    """SR-2 entered figures from --set, all validated before any is written.

    Returns the reason when one is rejected (then nothing is written).
    """
    from db import transaction
    from pharmacy_app.indicators import require_institution
    from pharmacy_app.scoring import (
        ENTERED,
        AssessmentInputError,
        assessment_period,
        delete_entry,
        institution_by_code,
        save_entry,
        validate_entry,
    )

    inst = (require_institution(conn) if args.institution is None
            else institution_by_code(conn, args.institution))
    values: dict[str, float | None] = {}
    for item in args.set:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or key not in ENTERED:
            return f"--set {item!r}：应为 指标=值，指标是 {'、'.join(ENTERED)} 之一"
        try:
            values[key] = validate_entry(key, text) if text.strip() else None
        except AssessmentInputError as exc:
            return f"--set {item!r}：{exc}"
    period = assessment_period(conn, inst.code, args.as_of, args.basis)
    with transaction(conn):
        for key, value in values.items():
            if value is None:
                delete_entry(conn, inst.code, period.basis, period.start, key)
            else:
                save_entry(conn, inst.code, period.basis, period.start, key, value)
    return None


def cmd_payment_standards(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from pharmacy_app.institutions import current_institution
    from pharmacy_app.payment_standards import (
        KIND_LABELS,
        StandardsError,
        export_xlsx,
        payment_standards_table,
        rows_to_json,
    )
    from pharmacy_app.store import open_store

    conn = open_store(db_path(args))
    try:
        inst = current_institution(conn)
        if inst is None:  # as `report payment-standards` and every other figure
            err("尚未设置本机构：请先运行 pharmacy-app init")
            return EXIT_FAILURE
        table = payment_standards_table(conn, args.as_of)
    finally:
        conn.close()
    if args.out:
        try:
            out = export_xlsx(table, table.rows, Path(args.out),
                              f"{inst.name}（{inst.code}）" if inst else "")
        except StandardsError as exc:
            err(str(exc))
            return EXIT_REJECTED
        err(f"已导出 {len(table.rows)} 个产品的支付标准 → {out}")
    if args.json:
        print(json.dumps({"as_of": args.as_of.isoformat(), "profile": table.profile,
                          "products": rows_to_json(table.rows),
                          "missing_price": table.missing_price},
                         ensure_ascii=False, indent=2))
    elif not args.out:
        print(f"医保支付标准  截至 {args.as_of.isoformat()}  政策参数 {table.profile}")
        print("集采批次 | 通用名 | 企业 | 规格 | 类别 | 规则 | 中选价 | 产品价 | 第一年 | 第二年 | "
              "第三年 | 现行(第N年) | 患者每包装自付")
        for r in table.rows:
            print(f"{r['batch']} | {r['generic']} | {r['manufacturer']} | {r['spec']} | "
                  f"{KIND_LABELS[r['kind']]} | {r['rule']} | {r['selected_price']} | {r['price']} | "
                  f"{r['year1']} | {r['year2']} | {r['year3']} | "
                  f"{r['standard']}(第{r['policy_year']}年) | {r['patient_extra_per_package']}")
        print(f"共 {len(table.rows)} 个产品")
        for m in table.missing_price:
            print(f"  注：{m['generic']} {m['code']}（{m['manufacturer']}）目录无单价，未计算支付标准")
    return EXIT_OK
