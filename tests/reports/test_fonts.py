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
