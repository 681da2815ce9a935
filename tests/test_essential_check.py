"""Checking a stored essential list against the official PDF (issue 3: "let the
user check it against the official PDF")."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from pharmacy_app.essential_check import (
    CheckFailed,
    check_list_against_pdf,
    normalise_text,
    save_problems,
    stored_lists,
)
from pharmacy_app.essential_lists import NATIONAL_2026, ensure_builtin_lists
from reports.fonts import CJK, register_fonts

ROWS = [
    ("1", "阿莫西林", "胶囊", "0.25g"),
    ("1", "阿莫西林", "片剂", "0.125g"),
    ("2", "对乙酰氨基酚", "片剂", "0.5g"),
    ("3", "结核病用药", "", None),
]


def make_pdf(path: Path, lines: list[str]) -> Path:
    """A PDF whose text layer holds `lines`, drawn with the embedded CJK font
    the way a table prints: name, then forms and specifications beside it."""
    register_fonts()
    c = canvas.Canvas(str(path), pagesize=A4)
    y = 800
    for line in lines:
        if y < 60:
            c.showPage()
            y = 800
        c.setFont(CJK, 10)
        c.drawString(40, y, line)
        y -= 16
    c.save()
    return path


def add_list(conn, rows=ROWS, *, builtin: int = 0, edition: str = "测试") -> int:
    cur = conn.execute(
        "INSERT INTO essential_lists (name, edition, effective_from, builtin) VALUES (?, ?, ?, ?)",
        ("测试目录", edition, "2026-09-01", builtin),
    )
    conn.executemany(
        """INSERT INTO essential_list_entries (list_id, seq, generic_name, dosage_form, specification)
           VALUES (?, ?, ?, ?, ?)""",
        [(cur.lastrowid, *r) for r in rows],
    )
    return int(cur.lastrowid)


OFFICIAL_LINES = [
    "序号 品种名称 剂型 规格 备注",
    "1 阿莫西林 胶囊：0. 25g 片剂：0.125g",
    "2 对乙酰氨基酚 片剂：0.5g",
    "3 结核病用药 注释1",
]


def test_a_list_that_agrees_with_the_pdf_has_no_problems(conn, tmp_path):
    list_id = add_list(conn)
    pdf = make_pdf(tmp_path / "official.pdf", OFFICIAL_LINES)
    result = check_list_against_pdf(conn, list_id, pdf)
    assert result.problems == []
    assert result.entries == 4
    assert result.names_checked == 3  # one name counted once
    assert result.specs_checked == 3  # the class-level entry has no 规格
    assert result.digest_matches is None  # a user's list has no recorded digest
    assert result.pages == 1


@pytest.mark.parametrize("user_password, readable", [("", True), ("secret", False)])
def test_a_restricted_pdf_is_read_but_one_needing_a_password_is_refused(
        conn, tmp_path, user_password, readable):
    """Government attachments often forbid copying (owner password only): still checked."""
    from pypdf import PdfReader, PdfWriter

    list_id = add_list(conn)
    plain = make_pdf(tmp_path / "plain.pdf", OFFICIAL_LINES)
    writer = PdfWriter(clone_from=PdfReader(str(plain)))
    writer.encrypt(user_password=user_password, owner_password="owner", permissions_flag=0)
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as fh:
        writer.write(fh)
    if readable:
        assert check_list_against_pdf(conn, list_id, locked).problems == []
    else:
        with pytest.raises(CheckFailed, match="需要打开密码"):
            check_list_against_pdf(conn, list_id, locked)


def test_missing_name_and_misplaced_spec_are_reported(conn, tmp_path):
    rows = [*ROWS, ("4", "布洛芬", "片剂", "0.2g"), ("2", "对乙酰氨基酚", "片剂", "0.3g")]
    list_id = add_list(conn, rows)
    # 0.3g occurs in the text, but only far from 对乙酰氨基酚: it must not count.
    far = ["填充行 " + "说明文字" * 20] * 10
    pdf = make_pdf(tmp_path / "official.pdf", [*OFFICIAL_LINES, *far, "附注 0.3g"])
    result = check_list_against_pdf(conn, list_id, pdf)
    assert [(p.generic_name, p.problem) for p in result.names_missing] == [
        ("布洛芬", "name_missing")
    ]
    assert [(p.generic_name, p.specification) for p in result.specs_missing] == [
        ("对乙酰氨基酚", "0.3g")
    ]
    assert "通用名未找到 1 个，规格未找到 1 个" in result.summary()
    assert "规格未在该品种附近找到" in result.specs_missing[0].describe()


def test_bundled_list_is_compared_with_the_official_digest(conn, tmp_path):
    ensure_builtin_lists(conn)
    list_id = conn.execute("SELECT id FROM essential_lists WHERE builtin = 1").fetchone()[0]
    pdf = make_pdf(tmp_path / "copy.pdf", OFFICIAL_LINES)
    result = check_list_against_pdf(conn, list_id, pdf)
    assert result.expected_sha256 == NATIONAL_2026.official_pdf_sha256
    assert result.sha256 == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert result.digest_matches is False
    assert "与记录的官方附件不同" in result.summary()
    # Three varieties are in this tiny PDF; nearly all 2,180 entries are not.
    assert len(result.names_missing) > 2000


def test_pdf_without_text_is_refused(conn, tmp_path):
    list_id = add_list(conn)
    c = canvas.Canvas(str(tmp_path / "scan.pdf"))
    c.rect(50, 50, 100, 100)
    c.save()
    with pytest.raises(CheckFailed, match="没有可提取的文字"):
        check_list_against_pdf(conn, list_id, tmp_path / "scan.pdf")


def test_not_a_pdf_is_refused_with_its_name(conn, tmp_path):
    list_id = add_list(conn)
    bad = tmp_path / "list.pdf"
    bad.write_text("not a pdf", encoding="utf-8")
    with pytest.raises(CheckFailed, match="list.pdf"):
        check_list_against_pdf(conn, list_id, bad)


def test_cancel_stops_the_check(conn, tmp_path):
    list_id = add_list(conn)
    pdf = make_pdf(tmp_path / "official.pdf", OFFICIAL_LINES * 80)  # several pages
    with pytest.raises(CheckFailed, match="取消"):
        check_list_against_pdf(conn, list_id, pdf, cancelled=lambda: True)


def test_normalise_text_folds_width_spaces_and_ratio_sign():
    assert normalise_text("０. １ｇ") == "0.1G"
    assert normalise_text("1ml ∶ 0.5mg") == "1ML:0.5MG"


def test_problems_are_saved_as_csv_with_the_summary(conn, tmp_path):
    rows = [*ROWS, ("4", "布洛芬", "片剂", "0.2g")]
    list_id = add_list(conn, rows)
    result = check_list_against_pdf(conn, list_id, make_pdf(tmp_path / "o.pdf", OFFICIAL_LINES))
    out = tmp_path / "problems.csv"
    save_problems(result, out)
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert "通用名未找到 1 个" in lines[0]
    assert lines[1] == "序号,通用名,剂型,规格,问题"
    assert lines[2] == "4,布洛芬,片剂,0.2g,通用名在PDF中未找到"
    assert not (tmp_path / "problems.csv.part").exists()


def test_stored_lists_newest_first(conn):
    ensure_builtin_lists(conn)
    older = conn.execute(
        "INSERT INTO essential_lists (name, edition, effective_from) VALUES ('省目录', 'x', '2025-01-01')"
    ).lastrowid
    lists = stored_lists(conn)
    assert [lst.effective_from for lst in lists] == ["2026-09-01", "2025-01-01"]
    assert lists[1].id == older and not lists[1].builtin
    assert "内置" in lists[0].label()


def test_cli_check_prints_summary_and_saves_problems(tmp_path, capsys):
    from pharmacy_app.cli import main

    db = tmp_path / "p.db"
    pdf = make_pdf(tmp_path / "o.pdf", OFFICIAL_LINES)
    out = tmp_path / "review.csv"
    code = main(["--db", str(db), "essential-list", "check", str(pdf), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "国家基本药物目录（2026年版）" in printed
    assert "与记录的官方附件不同" in printed
    assert out.exists()
    assert main(["--db", str(db), "essential-list", "check", str(tmp_path / "none.pdf")]) == 2
