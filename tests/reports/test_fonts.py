"""The PDF font is embedded (not a named CID font) and draws Chinese."""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfgen import canvas

from reports.fonts import CJK, register_fonts


def test_chinese_text_is_drawn_with_an_embedded_subset_font(tmp_path: Path):
    assert register_fonts() == CJK
    out = tmp_path / "font.pdf"
    c = canvas.Canvas(str(out))
    c.setFont(CJK, 14)
    c.drawString(72, 720, "阿莫西林胶囊 基本药物占比 85%")
    c.save()
    data = out.read_bytes()
    # An embedded TrueType subset carries the font program (FontFile2) and a
    # subset-tagged name; STSong-Light would carry neither.
    assert b"/FontFile2" in data
    assert b"STSong" not in data
    assert out.stat().st_size < 200_000  # a subset, not the 4 MB font
