"""`pharmacy-app report assessment|agreements|payment-standards --as-of DATE --out FILE.pdf`
(FORMATS.md "Command line"; issue 6).

The same `reports.kinds.build_report` the window's reports page calls, so a
printed report is identical whichever way it was made. Progress goes to
stderr; exit 0 when the PDF is written, 1 when it could not be (no
institution, unwritable file), 2 for a rejected argument.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from pharmacy_app.cli_support import EXIT_FAILURE, EXIT_OK, EXIT_REJECTED, as_of_date, db_path, err

REPORT_KINDS = ("assessment", "agreements", "payment-standards")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="生成 PDF 报告（考核报告、约定量进度、医保支付标准表）")
    p.add_argument("kind", choices=REPORT_KINDS)
    p.add_argument("--as-of", required=True, type=as_of_date, help="截至日期 YYYY-MM-DD（当天 24 时）")
    p.add_argument("--out", required=True, type=Path, help="输出的 PDF 文件")
    p.add_argument("--basis", choices=("procurement", "natural"), default="procurement",
                   help="考核报告的考核年度口径（SR-3）：procurement 采购执行年度（默认）/ natural 自然年度")
    p.add_argument("--quiet", action="store_true", help="不在 stderr 显示进度")
    p.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    out: Path = args.out
    if out.suffix.lower() != ".pdf":
        err(f"{out}: 输出文件须以 .pdf 结尾")
        return EXIT_REJECTED
    if not out.parent.exists():
        err(f"{out.parent}: 目录不存在")
        return EXIT_REJECTED

    from pharmacy_app.indicators import NoInstitution
    from pharmacy_app.store import open_store
    from reports.kinds import build_report

    shown = [-1]

    def progress(done: int, total: int, label: str) -> None:
        if args.quiet or total <= 0:
            return
        percent = done * 100 // total
        if percent != shown[0]:
            shown[0] = percent
            print(f"\r生成报告: {percent:3d}% {label}\033[K", end="", file=sys.stderr)

    conn = open_store(db_path(args))
    partial = out.with_name(out.name + ".part")
    try:
        built = build_report(args.kind, conn, args.as_of, partial, progress,
                             year_basis=args.basis)
        partial.replace(out)
    except NoInstitution as exc:
        _end_line(shown)
        err(str(exc))
        return EXIT_FAILURE
    except OSError as exc:
        _end_line(shown)
        err(f"{out}: 无法写入（{exc.strerror or exc}）")
        return EXIT_FAILURE
    finally:
        with contextlib.suppress(OSError):  # under a file, or a name too long: said above
            partial.unlink(missing_ok=True)
        conn.close()
    _end_line(shown)
    print(f"已生成 {out}（{built.pages} 页，截至 {args.as_of.isoformat()}）")
    return EXIT_OK


def _end_line(shown: list[int]) -> None:
    if shown[0] >= 0:
        print(file=sys.stderr)
