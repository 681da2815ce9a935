"""What every command-line command shares: exit codes, --as-of parsing, the
database path and error output. Kept apart from cli.py so command modules in
pharmacy_app/commands/ can import it without importing the parser."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_REJECTED = 2


def as_of_date(text: str) -> dt.date:
    """argparse type for --as-of and other dates: any form parsing.parse_date takes."""
    from pharmacy_app.parsing import parse_date

    try:
        day = parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    # Periods reach a year either side (last year's use, next year's report).
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(f"日期超出范围（{FIRST_YEAR}–{LAST_YEAR} 年）：{text}")
    return day


FIRST_YEAR, LAST_YEAR = 1900, 9998


def db_path(args: argparse.Namespace) -> Path:
    from pharmacy_app.paths import default_db_path

    return args.db if args.db else default_db_path()


def err(message: str) -> None:
    print(message, file=sys.stderr)
