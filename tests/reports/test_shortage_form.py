"""The printed shortage form: one A4 page per report, every SH-1 field, SH-2 steps,
SH-3 level, Chinese in an embedded font; and `pharmacy-app shortage print|export|list`."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pharmacy_app.catalogue import Product, save_products
from pharmacy_app.cli import main
from pharmacy_app.institutions import init_institution
from pharmacy_app.shortage.model import ShortageReport, Substitute
from pharmacy_app.shortage.service import export_for
from pharmacy_app.shortage.store import advance, list_reports, save_report, set_liaison
from pharmacy_app.store import open_store
from reports.shortage_form import write_shortage_pdf

NITRO = "XC01DAA066A003010003901"
PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(
    PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed: cannot read PDF text"
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "pdf.db"
    conn = open_store(path)
    init_institution(conn, "H46010001", "海口市某某卫生院", "grassroots")
    save_products(conn, [Product(code=NITRO, generic_name="硝酸甘油", dosage_form="片剂",
                                 specification="0.5mg", package="0.5mg*100片/瓶",
                                 manufacturer="北京益民药业有限公司")])
    set_liaison(conn, "王芳", "0898-65301234")
    report = ShortageReport(
        institution_code="H46010001", product_code=NITRO, generic_name="硝酸甘油",
        dosage_form="片剂", specification="0.5mg", manufacturer="北京益民药业有限公司",
        start_date=dt.date(2026, 11, 12), stock_on_hand=40, monthly_use=300, kind="complete",
        cause="distribution", clinical_impact="心绞痛患者急救用药" * 3,
        substitutes=(Substitute("硝酸异山梨酯 片剂 5mg", "same_class", "XC01DAA068A003010001501"),),
        measures_taken="每日催货；向县医院调剂", reporter="王芳", contact="0898-65301234",
    )
    stored = save_report(conn, report)
    advance(conn, stored.uuid, "reported", by="王芳", note="直报系统已提交")
    advance(conn, stored.uuid, "handling", by="李主任")
    # A second report with very long text: must still fit one page.
    save_report(conn, report.with_changes(clinical_impact="影响" * 1500, measures_taken="措施" * 800))
    conn.close()
    return path


def pdf_text(path: Path) -> str:
    assert PDFTOTEXT is not None
    return subprocess.run([PDFTOTEXT, "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def write(db: Path, out: Path) -> int:
    conn = open_store(db)
    try:
        return write_shortage_pdf(export_for(conn, list_reports(conn), dt.date(2026, 11, 23)), out)
    finally:
        conn.close()


def test_one_a4_page_per_report_with_the_font_embedded(db: Path, tmp_path: Path):
    out = tmp_path / "form.pdf"
    assert write(db, out) == 2
    data = out.read_bytes()
    assert len(re.findall(rb"/Type /Page(?!s)", data)) == 2
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in data  # A4
    # Embedded TrueType subset, as tests/reports/test_fonts.py requires of every PDF.
    assert b"/FontFile2" in data
    assert b"STSong" not in data
    assert not list(tmp_path.glob("*.part"))


@needs_pdftotext
def test_sh1_every_field_and_sh2_steps_are_printed_in_chinese(db: Path, tmp_path: Path):
    out = tmp_path / "form.pdf"
    write(db, out)
    pages = pdf_text(out).split("\f")
    first = next(p for p in pages if "直报系统已提交" in p)
    for text in ("短缺药品信息报告表", "海口市某某卫生院", NITRO, "硝酸甘油", "片剂", "0.5mg",
                 "北京益民药业有限公司", "2026-11-12", "完全短缺", "配送企业未配送",
                 "心绞痛患者急救用药", "硝酸异山梨酯", "同类药品", "每日催货", "王芳",
                 "0898-65301234", "信息联络员", "处置中", "李主任", "已上报",
                 "4.0 天",  # SH-1 days of cover: 40 ÷ 300 × 30
                 "红色预警"):  # SH-3: 4 days < 7, same-class substitute keeps red
        assert text in first, text
    assert len([p for p in pages if p.strip()]) == 2


@needs_pdftotext
def test_cli_print_export_and_list(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "all.pdf"
    assert main(["--db", str(db), "shortage", "print", "--all", "--out", str(out)]) == 0
    assert pdf_text(out).count("短缺药品信息报告表") == 2
    capsys.readouterr()
    assert main(["--db", str(db), "shortage", "list", "--json", "--status", "handling"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in doc["reports"]] == ["handling"]
    uuid = doc["reports"][0]["id"]
    one = tmp_path / "one.pdf"
    assert main(["--db", str(db), "shortage", "print", "--id", uuid, "--out", str(one)]) == 0
    assert pdf_text(one).count("短缺药品信息报告表") == 1
    js = tmp_path / "one.json"
    assert main(["--db", str(db), "shortage", "export", "--id", uuid, "--out", str(js)]) == 0
    assert json.loads(js.read_text(encoding="utf-8"))["reports"][0]["id"] == uuid
    xlsx = tmp_path / "list.xlsx"
    assert main(["--db", str(db), "shortage", "export", "--out", str(xlsx)]) == 0
    assert xlsx.stat().st_size > 0
    capsys.readouterr()
    # Rejected input writes nothing: exit code 2 and the reason on stderr.
    bad = tmp_path / "x.pdf"
    assert main(["--db", str(db), "shortage", "print", "--id", "nope", "--out", str(bad)]) == 2
    assert "没有短缺报告 nope" in capsys.readouterr().err
    assert main(["--db", str(db), "shortage", "export", "--out", str(tmp_path / "x.csv")]) == 2
    assert not bad.exists() and not (tmp_path / "x.csv").exists()
    assert main(["--db", str(db), "shortage", "list"]) == 0
    assert "共 2 份短缺报告" in capsys.readouterr().out
