"""Helpers shared by the report tests: the demo database, the CLI's figures,
and the text of a PDF as pdftotext reads it (what a reader's copy-paste gets)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pharmacy_app.cli import main

AS_OF = dt.date(2026, 6, 30)


def build_demo_db(directory: Path) -> Path:
    from pharmacy_app.demo import build_demo

    path = directory / "demo.db"
    build_demo(path, today=AS_OF)
    return path


def cli_json(db: Path, *args: str) -> Any:
    """What `pharmacy-app --db DB ARGS` prints as JSON (exit code 0 asserted)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--db", str(db), *args]) == 0
    return json.loads(out.getvalue())


def pdftotext(path: Path, first: int | None = None, last: int | None = None) -> str:
    """The PDF's text via poppler's pdftotext; skips the test where it is not installed."""
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: cannot read the PDF's text back")
    cmd = [exe, "-layout", "-enc", "UTF-8"]  # rows stay on one line
    if first is not None:
        cmd += ["-f", str(first)]
    if last is not None:
        cmd += ["-l", str(last)]
    result = subprocess.run([*cmd, str(path), "-"], capture_output=True, check=True)
    return result.stdout.decode("utf-8")


def squeeze(text: str) -> str:
    """Text without any whitespace: pdftotext may split a line where the PDF has two runs."""
    return "".join(text.split())


def pct(value: float | None) -> str:
    """A share as the CLI's text output prints it (pharmacy_app.indicators.text.pct)."""
    from pharmacy_app.indicators.text import pct as cli_pct

    return cli_pct(value)


def page_count(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)
