"""`pharmacy-app suppliers unresponded`: the SUP-3 delayed-response list as xlsx.

    pharmacy-app suppliers unresponded --as-of 2026-11-23 --out 延迟响应清单.xlsx \
        [--supplier 海南康信医药有限公司] [--open-only]

The same rows as the suppliers page's 48-hour list and its export
(pharmacy_app.exports.unresponded). Exit 2 when the request is rejected
(not .xlsx, folder missing, a company with no lines); nothing is written then.
"""

from __future__ import annotations

import argparse

from pharmacy_app.cli_support import EXIT_FAILURE, EXIT_OK, EXIT_REJECTED, as_of_date, db_path, err


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("suppliers", help="配送企业：延迟响应清单等")
    actions = p.add_subparsers(dest="suppliers_command", required=True)
    u = actions.add_parser("unresponded", help="导出下单后 48 小时未响应的订单明细（SUP-3）为 xlsx")
    u.add_argument("--as-of", required=True, type=as_of_date, help="截至日期 YYYY-MM-DD（当天 24 时）")
    u.add_argument("--out", required=True, help="输出文件 .xlsx")
    u.add_argument("--supplier", help="只导出这一家配送企业（发送给该企业的清单）")
    u.add_argument("--open-only", action="store_true", help="只含截至当时仍未响应的明细")
    u.set_defaults(handler=cmd_unresponded)


def cmd_unresponded(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pharmacy_app.exports.unresponded import ExportRejected, export_unresponded
    from pharmacy_app.indicators import NoInstitution
    from pharmacy_app.store import open_store

    out = Path(args.out)
    conn = open_store(db_path(args))
    try:
        data = export_unresponded(conn, args.as_of, out, supplier=args.supplier,
                                  only_open=args.open_only)
    except ExportRejected as exc:
        err(str(exc))
        return EXIT_REJECTED
    except NoInstitution as exc:
        err(str(exc))
        return EXIT_FAILURE
    finally:
        conn.close()
    still_open = sum(r.still_open for r in data.rows)
    scope = data.supplier or f"{len(data.suppliers())} 家配送企业"
    print(f"已导出延迟响应清单：{len(data.rows)} 条明细（其中仍未响应 {still_open} 条），"
          f"{scope}，截至 {args.as_of.isoformat()} → {out}")
    return EXIT_OK
