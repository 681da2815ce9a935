"""The `pharmacy-app` command line (FORMATS.md "Command line").

With no sub-command it opens the window. Exit codes: 0 done, 1 failure,
2 input rejected (nothing written; reasons on stderr, row by row).

Heavy modules are imported inside the commands so `pharmacy-app` with no
arguments reaches the window quickly.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from pharmacy_app.cli_support import EXIT_FAILURE, EXIT_OK, EXIT_REJECTED
from pharmacy_app.cli_support import as_of_date as _as_of_date
from pharmacy_app.cli_support import db_path as _db_path
from pharmacy_app.cli_support import err as _err

IMPORT_KINDS = ("catalogue", "essential-list", "agreements", "purchases", "payments")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pharmacy-app",
        description="药事台 Pharmacy Desk — 采购目录、基药占比、集采约定量、配送与回款考核指标",
    )
    parser.add_argument("--db", type=Path, help="数据库文件（默认：用户数据目录下的 pharmacy.db）")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("init", help="建立或更新本机构")
    p.add_argument("--institution-code", required=True)
    p.add_argument("--name", required=True)
    p.add_argument(
        "--level", required=True, choices=("grassroots", "secondary", "tertiary", "specialty")
    )
    p.add_argument("--remote", action="store_true", help="偏远地区机构（配送时限 72 小时）")
    p.add_argument(
        "--replace-demo",
        action="store_true",
        help="数据库中是示例数据时：把示例数据库另存在旁边，为本机构新建空数据库",
    )

    p = sub.add_parser("import", help="导入 Excel/CSV 文件")
    p.add_argument("kind", choices=IMPORT_KINDS)
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true", help="以 JSON 输出导入摘要")
    p.add_argument("--rejected-out", type=Path, help="把被拒绝的行另存为文件（.xlsx 或 .csv）")
    p.add_argument("--quiet", action="store_true", help="不在 stderr 显示进度")
    p.add_argument("--institution-code", help="文件没有机构编码列时使用的机构（默认本机构）")
    p.add_argument("--sheet", help="Excel 文件中要导入的工作表（默认自动识别）")
    p.add_argument("--effective-from", help="基药目录的生效日期 YYYY-MM-DD（默认今天）")
    p.add_argument("--name", help="基药目录名称（默认取文件名）")
    p.add_argument("--edition", help="基药目录版本，如 2026")

    p = sub.add_parser("indicators", help="计算考核指标")
    p.add_argument("--as-of", required=True, type=_as_of_date, help="截至日期 YYYY-MM-DD（当天 24 时）")
    p.add_argument("--json", action="store_true", help="输出 JSON（FORMATS.md 规定的键）")

    p = sub.add_parser("alerts", help="列出全部预警（规则编号、对象、越线数值）")
    p.add_argument("--as-of", required=True, type=_as_of_date, help="截至日期 YYYY-MM-DD（当天 24 时）")
    p.add_argument("--json", action="store_true", help="输出 JSON 数组")

    p = sub.add_parser("demo", help="生成内置示例数据并打开窗口")
    p.add_argument("--no-window", action="store_true", help="只生成数据，不打开窗口")
    p.add_argument("--force", action="store_true", help="数据库已有数据时也重建示例数据")

    from pharmacy_app.commands import register_all

    register_all(sub)
    return parser


def cmd_init(args: argparse.Namespace) -> int:
    from pharmacy_app.demo import start_own_institution
    from pharmacy_app.demo_marker import holds_demo
    from pharmacy_app.institutions import InstitutionError, current_institution, init_institution
    from pharmacy_app.store import open_store

    path = _db_path(args)
    conn = open_store(path)
    try:
        if holds_demo(conn):
            if not args.replace_demo:
                _err(
                    f"{path}：这是内置示例数据的数据库，本机构不应与示例数据混在一起。"
                    "请加 --replace-demo（示例数据库会另存在旁边，本机构使用新的空数据库），"
                    "或用 --db 指定另一个数据库文件。"
                )
                return EXIT_REJECTED
            conn.close()
            aside = start_own_institution(
                path, args.institution_code, args.name, args.level, remote=args.remote
            )
            print(f"示例数据库已另存为：{aside}")
            conn = open_store(path)
            inst = current_institution(conn)
            assert inst is not None
        else:
            inst = init_institution(
                conn, args.institution_code, args.name, args.level, remote=args.remote
            )
    except InstitutionError as exc:
        _err(str(exc))
        return EXIT_REJECTED
    finally:
        conn.close()
    print(f"已设置本机构：{inst.code} {inst.name}（{inst.level}）")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from pharmacy_app.importers import ImportFailed, run_import, save_rejected
    from pharmacy_app.store import open_store

    if not args.file.exists():
        _err(f"{args.file}: 文件不存在")
        return EXIT_REJECTED
    conn = open_store(_db_path(args))
    last_shown = [-1]

    def progress(done: int, total: int) -> None:
        if args.quiet or total <= 0:
            return
        percent = done * 100 // total
        if percent != last_shown[0]:
            last_shown[0] = percent
            print(f"\r导入 {args.file.name}: {percent:3d}% ({done}/{total})", end="", file=sys.stderr)

    options = {
        key: value
        for key, value in (
            ("institution_code", args.institution_code),
            ("sheet", args.sheet),
            ("effective_from", args.effective_from),
            ("name", args.name),
            ("edition", args.edition),
        )
        if value
    }
    try:
        result = run_import(conn, args.kind, args.file, progress=progress, options=options)
    except ImportFailed as exc:
        if last_shown[0] >= 0:
            print(file=sys.stderr)
        _err(str(exc))
        return EXIT_REJECTED
    if last_shown[0] >= 0:
        print(file=sys.stderr)
    if args.json:
        print(json.dumps(result.summary(), ensure_ascii=False, indent=2))
    if result.errors:
        for error in result.errors:
            _err(error.describe())
        _err(result.describe())  # rows with errors, not the errors (a row may have several)
        if args.rejected_out:
            save_rejected(result, args.rejected_out)
            _err(f"被拒绝的行已保存到 {args.rejected_out}")
        return EXIT_REJECTED
    if not args.json:
        print(result.describe())
    from pharmacy_app.purchase_summary import SUMMARISED_IMPORTS, refresh_after_import

    if args.kind in SUMMARISED_IMPORTS:
        if not args.quiet:
            print("更新指标汇总…", file=sys.stderr)
        refresh_after_import(conn, args.kind)
    return EXIT_OK


def cmd_indicators(args: argparse.Namespace) -> int:
    from pharmacy_app.indicators import NoInstitution, compute_indicators
    from pharmacy_app.indicators.text import format_indicators
    from pharmacy_app.store import open_store

    conn = open_store(_db_path(args))
    try:
        result = compute_indicators(conn, args.as_of)
    except NoInstitution as exc:
        _err(str(exc))
        return EXIT_FAILURE
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(format_indicators(result))
    return EXIT_OK


def cmd_alerts(args: argparse.Namespace) -> int:
    from pharmacy_app.indicators import NoInstitution, compute_alerts
    from pharmacy_app.store import open_store

    conn = open_store(_db_path(args))
    try:
        alerts = compute_alerts(conn, args.as_of)
    except NoInstitution as exc:
        _err(str(exc))
        return EXIT_FAILURE
    if args.json:
        print(json.dumps(alerts, ensure_ascii=False, indent=2))
    else:
        for alert in alerts:
            print(f"[{alert['rule']}] {alert['message']}")
        print(f"共 {len(alerts)} 条预警（截至 {args.as_of.isoformat()}）")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from pharmacy_app.demo import DemoExists, build_demo

    path = _db_path(args)
    try:
        summary = build_demo(path, force=args.force)
    except DemoExists as exc:
        _err(str(exc))
        return EXIT_REJECTED
    print(summary)
    if args.no_window:
        return EXIT_OK
    return open_window(path)


def open_window(path: Path) -> int:
    from ui.app import run_app

    return run_app(path)


COMMANDS = {
    "init": cmd_init,
    "import": cmd_import,
    "indicators": cmd_indicators,
    "alerts": cmd_alerts,
    "demo": cmd_demo,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return open_window(_db_path(args))
    import sqlite3

    from db import DatabaseTooNew, NotOurDatabase

    handler = COMMANDS.get(args.command) or args.handler
    try:
        return handler(args)
    except (DatabaseTooNew, NotOurDatabase) as exc:
        _err(str(exc))
        return EXIT_FAILURE
    except (sqlite3.OperationalError, sqlite3.DatabaseError, OSError) as exc:
        if not _environment(exc):
            raise  # a fault of ours: the traceback is what support needs
        filename = getattr(exc, "filename", None)
        if isinstance(exc, OSError) and filename and Path(filename) != _db_path(args):
            # An input or output file of the command, not the database.
            _err(f"{filename}：无法读写该文件（{exc.strerror or exc}）")
        else:
            _err(f"{_db_path(args)}：{_plain(exc)}")
        return EXIT_FAILURE


def _environment(exc: BaseException) -> bool:
    """An error of the file or the machine (locked, read-only, full, unreadable), not a bug."""
    if isinstance(exc, OSError):
        return True
    text = str(exc).lower()
    return any(part in text for part in (
        "locked", "busy", "readonly", "read-only", "disk", "full", "unable to open",
        "not a database", "malformed"))


def _plain(exc: BaseException) -> str:
    """What the user can do about an environment error, in Chinese."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return "数据库正被其他程序使用（例如另一个窗口正在导入），请稍后重试。"
    if "readonly" in text or "read-only" in text or isinstance(exc, PermissionError):
        return "没有写入权限：数据库文件或其所在文件夹是只读的。"
    if "full" in text or getattr(exc, "errno", None) == 28:
        return "磁盘已满，请清理空间后重试（未写入任何数据）。"
    if "unable to open" in text or isinstance(exc, IsADirectoryError | NotADirectoryError):
        return "无法打开数据库文件（路径是文件夹，或文件夹不存在且无法创建）。"
    if "malformed" in text or "not a database" in text:
        return "数据库文件已损坏，请从备份恢复。"
    return f"数据库无法使用：{exc}"


if __name__ == "__main__":
    raise SystemExit(main())
