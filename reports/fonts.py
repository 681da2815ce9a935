"""The CJK font every PDF uses, embedded as a subset.

reportlab's built-in CID font `STSong-Light` is only *named* in the PDF, not
embedded: a reader without that font shows blanks or boxes. A TrueType font
registered as `TTFont` is embedded, subset to the glyphs used. We use the
font the window bundles (WenQuanYi Micro Hei, Apache-2.0, TrueType outlines;
reportlab cannot read CFF-outline OTF), so PDFs look the same on every
machine whatever fonts it has. It must carry Latin letters and digits as
well as CJK: reportlab does no per-glyph fallback, and a CJK-only font (Droid
Sans Fallback) prints every figure as a blank.

The font has one weight; `CJK_BOLD` is the same face registered
under a second name so paragraph styles can ask for bold without reportlab
failing, and headings get weight from size instead.
"""

from __future__ import annotations

from functools import cache

from pharmacy_app.paths import resource

CJK = "PharmacyDeskCJK"
CJK_BOLD = "PharmacyDeskCJK-Bold"
FONT_FILE = resource("fonts", "wqy-microhei.ttc")
FONT_INDEX = 0  # the proportional face; 1 is WenQuanYi Micro Hei Mono


@cache
def register_fonts() -> str:
    """Register the CJK font family with reportlab once; returns its name.

    Call before building any document; styles then use `CJK` / `CJK_BOLD`.
    """
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(CJK, str(FONT_FILE), subfontIndex=FONT_INDEX))
    pdfmetrics.registerFont(TTFont(CJK_BOLD, str(FONT_FILE), subfontIndex=FONT_INDEX))
    addMapping(CJK, 0, 0, CJK)
    addMapping(CJK, 1, 0, CJK_BOLD)
    addMapping(CJK, 0, 1, CJK)
    addMapping(CJK, 1, 1, CJK_BOLD)
    return CJK
