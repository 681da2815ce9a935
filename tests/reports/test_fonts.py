"""The PDF font is embedded (not a named CID font) and draws Chinese."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from reportlab.pdfgen import canvas

from reports.fonts import CJK, register_fonts


def test_the_font_has_latin_digits_and_chinese():
    from reportlab.pdfbase.ttfonts import TTFont

    from reports.fonts import FONT_FILE, FONT_INDEX

    glyphs = TTFont("probe", str(FONT_FILE), subfontIndex=FONT_INDEX).face.charToGlyph
    assert all(ord(c) in glyphs for c in "0123456789.%:ABCgml阿莫西林∶×≥（）")


def test_chinese_text_is_drawn_with_an_embedded_subset_font(tmp_path: Path):
    assert register_fonts() == CJK
    out = tmp_path / "font.pdf"
    c = canvas.Canvas(str(out))
    c.setFont(CJK, 14)
    c.drawString(72, 720, "阿莫西林胶囊 0.25g 基本药物占比 85.3%")
    c.save()
    data = out.read_bytes()
    if shutil.which("pdftotext"):
        # Figures as well as Chinese: a CJK-only font would print the digits as blanks.
        text = subprocess.run(
            ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "阿莫西林胶囊 0.25g 基本药物占比 85.3%" in text
    # An embedded TrueType subset carries the font program (FontFile2) and a
    # subset-tagged name; STSong-Light would carry neither.
    assert b"/FontFile2" in data
    assert b"STSong" not in data
    assert out.stat().st_size < 200_000  # a subset, not the 4 MB font


def test_every_character_of_the_bundled_list_prints_in_the_embedded_font():
    """No blank (tofu) where a drug name has a character the font lacks: 地尔硫䓬 prints as
    地尔硫卓, the form older pharmacopoeia editions and most labels use."""
    import csv

    from reportlab.pdfbase import pdfmetrics

    from pharmacy_app.essential_lists import NATIONAL_2026
    from reports.fonts import CJK, register_fonts
    from reports.layout import escape, printable

    register_fonts()
    glyphs = pdfmetrics.getFont(CJK).face.charToGlyph
    with open(NATIONAL_2026.file, encoding="utf-8-sig") as fh:
        text = "".join(r["通用名"] + r["剂型"] + r["规格"] for r in csv.DictReader(fh))
    assert not {ch for ch in printable(text) if ch.isprintable() and ord(ch) not in glyphs}
    assert escape("盐酸地尔硫䓬片") == "盐酸地尔硫卓片"


def test_a_long_name_in_the_page_header_is_shortened_to_its_room():
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from reports.fonts import CJK, register_fonts
    from reports.layout import fit_text

    register_fonts()
    name = "某某省某某市某某县人民医院医疗集团总院药学部（临床药学中心）" * 2
    fitted = fit_text(name, CJK, 8.5, 150)
    assert fitted.endswith("…") and stringWidth(fitted, CJK, 8.5) <= 150
    assert fit_text("某卫生院", CJK, 8.5, 150) == "某卫生院"
