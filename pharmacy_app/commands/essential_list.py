"""`pharmacy-app essential-list check FILE.pdf`: check a stored essential list
against the official PDF (pharmacy_app/essential_check.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pharmacy_app.cli_support import EXIT_FAILURE, EXIT_OK, EXIT_REJECTED, db_path, err


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("essential-list", help="基本药物目录：与官方 PDF 核对")
    actions = p.add_subparsers(dest="essential_action", required=True)
    check = actions.add_parser("check", help="把已存的基药目录与官方 PDF 逐条核对")
    check.add_argument("pdf", type=Path, help="官方发布的目录 PDF")
    check.add_argument("--list-id", type=int, help="要核对的目录编号（默认：最新施行的目录）")
    check.add_argument("--out", type=Path, help="把需复核的条目保存为 CSV")
    check.set_defaults(handler=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    from pharmacy_app.essential_check import (
        CheckFailed,
        check_list_against_pdf,
        save_problems,
        stored_lists,
    )
    from pharmacy_app.store import open_store

    conn = open_store(db_path(args))
    lists = stored_lists(conn)
    if args.list_id is None and not lists:
        err("数据库中没有基药目录")
        return EXIT_FAILURE
    list_id = args.list_id if args.list_id is not None else lists[0].id

    def progress(done: int, total: int) -> None:
        print(f"\r读取 PDF：{done}/{total} 页", end="", file=sys.stderr)

    try:
        result = check_list_against_pdf(conn, list_id, args.pdf, progress=progress)
    except CheckFailed as exc:
        print(file=sys.stderr)
        err(str(exc))
        return EXIT_REJECTED
    print(file=sys.stderr)
    print(result.summary())
    for problem in result.problems:
        print(problem.describe())
    if args.out:
        save_problems(result, args.out)
        print(f"需复核的条目已保存到 {args.out}")
    return EXIT_OK
