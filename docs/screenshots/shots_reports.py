"""Regenerate the report images in this folder, headless.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/shots_reports.py

Builds the demo database as of 2026-06-30 in a temporary folder, writes the
three reports with `pharmacy-app report …` and turns every page type into a
PNG with poppler's `pdftoppm -r 60 -png` (needs poppler-utils):

- report_assessment_cover.png — the assessment report's cover;
- report_assessment_scores.png — SR-2 scores and the essential-drug shares;
- report_assessment_agreements.png — the ED-4 monthly chart, ED-5, and the
  agreements with progress bars and the time marker;
- report_assessment_alerts.png — a table that ran over a page (header repeated);
- report_assessment_signature.png — the last page with the signature block;
- report_agreements.png / report_agreements_months.png — the agreements
  progress report: the table, then the month-end charts;
- report_payment_standards.png — the payment-standard table (landscape);

and then the window's reports page with the agreements report previewed
(report_page.png).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _shots import HERE, start_window

AS_OF = dt.date(2026, 6, 30)
SIZE = (1440, 860)


def pdf_page(pdf: Path, page: int, out: Path) -> None:
    """One page of `pdf` as `out` (PNG, 60 dpi)."""
    stem = out.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", str(page), "-l", str(page),
                    "-singlefile", str(pdf), str(stem)], check=True)


def page_containing(pdf: Path, text: str) -> int:
    """The first page whose text contains `text` (pdftotext), 1-based."""
    from pypdf import PdfReader

    total = len(PdfReader(str(pdf)).pages)
    for n in range(1, total + 1):
        out = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
                             capture_output=True, check=True).stdout.decode("utf-8")
        if text in "".join(out.split()):
            return n
    raise LookupError(f"{text!r} not in {pdf}")


def pdf_shots(tmp: Path) -> Path:
    from pharmacy_app.cli import main as cli
    from pharmacy_app.demo import build_demo

    db = tmp / "demo.db"
    build_demo(db, today=AS_OF)
    for kind in ("assessment", "agreements", "payment-standards"):
        assert cli(["--db", str(db), "report", kind, "--as-of", AS_OF.isoformat(),
                    "--out", str(tmp / f"{kind}.pdf"), "--quiet"]) == 0
    from pypdf import PdfReader

    assessment = tmp / "assessment.pdf"
    last = len(PdfReader(str(assessment)).pages)
    pdf_page(assessment, 1, HERE / "report_assessment_cover.png")
    pdf_page(assessment, 2, HERE / "report_assessment_scores.png")
    pdf_page(assessment, page_containing(assessment, "三、集采约定采购量完成情况"),
             HERE / "report_assessment_agreements.png")
    alerts = page_containing(assessment, "六、预警")
    pdf_page(assessment, min(alerts + 1, last), HERE / "report_assessment_alerts.png")
    pdf_page(assessment, last, HERE / "report_assessment_signature.png")
    agreements = tmp / "agreements.pdf"
    pdf_page(agreements, 1, HERE / "report_agreements.png")
    pdf_page(agreements, page_containing(agreements, "二、各通用名逐月进度"),
             HERE / "report_agreements_months.png")
    pdf_page(tmp / "payment-standards.pdf", 1, HERE / "report_payment_standards.png")
    return db


def window_shot(db: Path, tmp: Path) -> None:
    shot = start_window(db, tmp / "home", SIZE, tmp)
    window = shot.window
    shot.wait_idle()
    window.show_page("reports")
    shot.wait_idle()
    page = window.reports
    page.set_choice("agreements", AS_OF)
    page.generate()
    shot.wait_idle()
    shot.pump(0.5)
    shot.save(window, "report_page.png")
    shot.session.close()


def main() -> int:
    if shutil.which("pdftoppm") is None:
        print("pdftoppm (poppler-utils) is needed: apt-get install poppler-utils", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        db = pdf_shots(tmp)
        window_shot(db, tmp)
    for png in sorted(HERE.glob("report_*.png")):
        print(png.name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
