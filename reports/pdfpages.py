"""Read the pages of a report PDF back as simple drawing operations (no Qt).

Why this exists: the window previews and prints the very PDF it saves, but
PySide6-Essentials 6.12 (the pinned Qt) has no QtPdf module (it ships in
PySide6-Addons), and pdftoppm is not on Windows. Our reports use a small
part of PDF — paths filled and stroked in RGB, text in one embedded TrueType
subset font — so the page content streams are interpreted here into a
display list of paths and text runs, which `ui/reports/painter.py` draws
with QPainter on screen and on the printer.

What is interpreted: the graphics state (q/Q/cm, line width, dash, RGB/grey/
CMYK colours), path construction and painting (m l c v y h re; S s f F f* B
B* b b* n), text (BT/ET, Tf Tm Td TD T* TL Tc Tw Tz Ts, Tj TJ ' "), with
text decoded through each font's ToUnicode map and advanced by its /Widths.
Clipping, images and shadings are not used by these reports and are skipped.
"""

from __future__ import annotations

import io
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

Matrix = tuple[float, float, float, float, float, float]
RGB = tuple[float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF's row-vector convention: p' = p · m · n)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


@dataclass(frozen=True)
class PathOp:
    """A painted path; points already in page space (origin bottom-left, points)."""

    segments: tuple[tuple[Any, ...], ...]  # ("m", x, y) ("l", x, y) ("c", x1, y1, x2, y2, x3, y3) ("h",)
    fill: RGB | None
    stroke: RGB | None
    line_width: float  # in page space
    dash: tuple[float, ...]
    even_odd: bool


@dataclass(frozen=True)
class TextOp:
    """A run of text: draw it at unit size with `matrix` (text space → page space)."""

    text: str
    matrix: Matrix
    fill: RGB
    advance: float  # the run's width in text space at unit size (from the font's /Widths)


@dataclass
class Page:
    width: float
    height: float
    ops: list[PathOp | TextOp] = field(default_factory=list)

    def text(self) -> str:
        """The page's text runs in drawing order (for tests and search)."""
        return "\n".join(op.text for op in self.ops if isinstance(op, TextOp))


@dataclass
class _Font:
    to_unicode: dict[int, str]
    widths: dict[int, float]
    two_byte: bool

    def decode(self, raw: bytes) -> list[tuple[str, float, bool]]:
        """(text, advance in 1/1000 em, is_space) per character code."""
        out = []
        if self.two_byte:
            codes = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw) - 1, 2)]
        else:
            codes = list(raw)
        for code in codes:
            char = self.to_unicode.get(code, chr(code) if not self.two_byte else "")
            out.append((char, self.widths.get(code, 500.0), code == 32 and not self.two_byte))
        return out


_HEX = re.compile(rb"<([0-9A-Fa-f]+)>")


def _parse_cmap(data: bytes) -> dict[int, str]:
    """The bfchar / bfrange entries of a ToUnicode CMap."""
    mapping: dict[int, str] = {}

    def text(hexstr: bytes) -> str:
        raw = bytes.fromhex(hexstr.decode())
        return raw.decode("utf-16-be", errors="replace")

    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        values = _HEX.findall(block)
        for src, dst in zip(values[0::2], values[1::2], strict=False):
            mapping[int(src, 16)] = text(dst)
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for line in block.splitlines():
            parts = _HEX.findall(line)
            if len(parts) < 3:
                continue
            lo, hi = int(parts[0], 16), int(parts[1], 16)
            if b"[" in line:
                for offset, dst in enumerate(parts[2:]):
                    mapping[lo + offset] = text(dst)
            else:
                start = int(parts[2], 16)
                for code in range(lo, hi + 1):
                    mapping[code] = chr(start + code - lo)
    return mapping


def _font(obj: Any) -> _Font:
    font = obj.get_object()
    to_unicode: dict[int, str] = {}
    if "/ToUnicode" in font:
        to_unicode = _parse_cmap(font["/ToUnicode"].get_object().get_data())
    widths: dict[int, float] = {}
    two_byte = font.get("/Subtype") == "/Type0"
    if "/Widths" in font:
        first = int(font.get("/FirstChar", 0))
        for i, w in enumerate(font["/Widths"]):
            widths[first + i] = float(w)
    elif two_byte:
        descendant = font["/DescendantFonts"][0].get_object()
        default = float(descendant.get("/DW", 1000))
        w = descendant.get("/W", [])
        i = 0
        while i < len(w):
            start = int(w[i])
            nxt = w[i + 1]
            if isinstance(nxt, list) or hasattr(nxt, "__iter__"):
                for j, width in enumerate(nxt):
                    widths[start + j] = float(width)
                i += 2
            else:
                for code in range(start, int(nxt) + 1):
                    widths[code] = float(w[i + 2])
                i += 3
        widths.setdefault(-1, default)
    return _Font(to_unicode, widths, two_byte)


@dataclass
class _State:
    ctm: Matrix = IDENTITY
    fill: RGB = (0.0, 0.0, 0.0)
    stroke: RGB = (0.0, 0.0, 0.0)
    line_width: float = 1.0
    dash: tuple[float, ...] = ()
    font: _Font | None = None
    size: float = 12.0
    char_space: float = 0.0
    word_space: float = 0.0
    scale: float = 1.0
    leading: float = 0.0
    rise: float = 0.0

    def copy(self) -> _State:
        return _State(**vars(self))


def _grey(v: float) -> RGB:
    return (v, v, v)


def _cmyk(c: float, m: float, y: float, k: float) -> RGB:
    return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))


def _colour(operands: list[Any]) -> RGB:
    values = [float(v) for v in operands if isinstance(v, int | float) or hasattr(v, "as_numeric")]
    if len(values) == 1:
        return _grey(values[0])
    if len(values) == 4:
        return _cmyk(*values)
    if len(values) >= 3:
        return (values[0], values[1], values[2])
    return (0.0, 0.0, 0.0)


def _raw(operand: Any) -> bytes:
    """The bytes of a string operand as written in the stream (pypdf may have decoded it)."""
    if isinstance(operand, bytes):
        return bytes(operand)
    original = getattr(operand, "original_bytes", None)
    if original is not None:
        return bytes(original)
    return str(operand).encode("latin-1", errors="replace")


def _interpret(page: Any, reader: Any) -> Page:
    from pypdf.generic import ContentStream

    box = page.mediabox
    result = Page(float(box.width), float(box.height))
    fonts: dict[str, _Font] = {}
    resources = page.get("/Resources")
    font_dict = resources.get_object().get("/Font") if resources is not None else None
    if font_dict is not None:
        for name, ref in font_dict.get_object().items():
            fonts[str(name)] = _font(ref)
    contents = page.get_contents()
    if contents is None:
        return result
    stream = ContentStream(contents, reader)
    state = _State()
    stack: list[_State] = []
    path: list[tuple[Any, ...]] = []
    current: tuple[float, float] = (0.0, 0.0)
    tm: Matrix = IDENTITY
    tlm: Matrix = IDENTITY

    def point(x: Any, y: Any) -> tuple[float, float]:
        return apply(state.ctm, float(x), float(y))

    def width_in_page() -> float:
        a, b, c, d, _, _ = state.ctm
        return state.line_width * (abs(a * d - b * c) ** 0.5)

    def paint(fill: bool, stroke: bool, even_odd: bool = False, close: bool = False) -> None:
        nonlocal path
        if close:
            path.append(("h",))
        if path and (fill or stroke):
            result.ops.append(PathOp(tuple(path), state.fill if fill else None,
                                     state.stroke if stroke else None, width_in_page(),
                                     state.dash, even_odd))
        path = []

    def show(raw: bytes) -> None:
        nonlocal tm
        if state.font is None:
            return
        chars = state.font.decode(raw)
        text = "".join(ch for ch, _, _ in chars)
        if text.strip():
            trm = multiply((state.size * state.scale, 0.0, 0.0, state.size, 0.0, state.rise),
                           multiply(tm, state.ctm))
            result.ops.append(TextOp(text, trm, state.fill, sum(w for _, w, _ in chars) / 1000.0))
        advance = 0.0
        for _, w, is_space in chars:
            advance += (w / 1000.0 * state.size + state.char_space
                        + (state.word_space if is_space else 0.0)) * state.scale
        tm = multiply((1.0, 0.0, 0.0, 1.0, advance, 0.0), tm)

    for operands, op in stream.operations:
        name = op.decode("latin-1") if isinstance(op, bytes) else str(op)
        nums = operands
        if name == "q":
            stack.append(state.copy())
        elif name == "Q":
            if stack:
                state = stack.pop()
        elif name == "cm":
            state.ctm = multiply(tuple(float(v) for v in nums), state.ctm)  # type: ignore[arg-type]
        elif name == "w":
            state.line_width = float(nums[0])
        elif name == "d":
            state.dash = tuple(float(v) for v in nums[0]) if nums else ()
        elif name in ("rg", "g", "k", "sc", "scn"):
            state.fill = _colour(list(nums))
        elif name in ("RG", "G", "K", "SC", "SCN"):
            state.stroke = _colour(list(nums))
        elif name == "m":
            current = point(nums[0], nums[1])
            path.append(("m", *current))
        elif name == "l":
            current = point(nums[0], nums[1])
            path.append(("l", *current))
        elif name == "c":
            p1, p2, p3 = point(nums[0], nums[1]), point(nums[2], nums[3]), point(nums[4], nums[5])
            path.append(("c", *p1, *p2, *p3))
            current = p3
        elif name == "v":
            p2, p3 = point(nums[0], nums[1]), point(nums[2], nums[3])
            path.append(("c", *current, *p2, *p3))
            current = p3
        elif name == "y":
            p1, p3 = point(nums[0], nums[1]), point(nums[2], nums[3])
            path.append(("c", *p1, *p3, *p3))
            current = p3
        elif name == "h":
            path.append(("h",))
        elif name == "re":
            x, y, w, h = (float(v) for v in nums)
            corners = [point(x, y), point(x + w, y), point(x + w, y + h), point(x, y + h)]
            path.append(("m", *corners[0]))
            path.extend(("l", *c) for c in corners[1:])
            path.append(("h",))
            current = corners[0]
        elif name in ("S", "s"):
            paint(False, True, close=name == "s")
        elif name in ("f", "F"):
            paint(True, False)
        elif name == "f*":
            paint(True, False, even_odd=True)
        elif name in ("B", "b"):
            paint(True, True, close=name == "b")
        elif name in ("B*", "b*"):
            paint(True, True, even_odd=True, close=name == "b*")
        elif name == "n":
            path = []
        elif name == "BT":
            tm = tlm = IDENTITY
        elif name == "Tf":
            state.font = fonts.get(str(nums[0]))
            state.size = float(nums[1])
        elif name == "Tm":
            tm = tlm = tuple(float(v) for v in nums)  # type: ignore[assignment]
        elif name in ("Td", "TD"):
            if name == "TD":
                state.leading = -float(nums[1])
            tm = tlm = multiply((1.0, 0.0, 0.0, 1.0, float(nums[0]), float(nums[1])), tlm)
        elif name == "T*":
            tm = tlm = multiply((1.0, 0.0, 0.0, 1.0, 0.0, -state.leading), tlm)
        elif name == "TL":
            state.leading = float(nums[0])
        elif name == "Tc":
            state.char_space = float(nums[0])
        elif name == "Tw":
            state.word_space = float(nums[0])
        elif name == "Tz":
            state.scale = float(nums[0]) / 100.0
        elif name == "Ts":
            state.rise = float(nums[0])
        elif name == "Tj":
            show(_raw(nums[0]))
        elif name in ("'", '"'):
            if name == '"':
                state.word_space, state.char_space = float(nums[0]), float(nums[1])
            tm = tlm = multiply((1.0, 0.0, 0.0, 1.0, 0.0, -state.leading), tlm)
            raw = nums[-1]
            show(_raw(raw))
        elif name == "TJ":
            for item in nums[0]:
                if isinstance(item, int | float) or hasattr(item, "as_numeric"):
                    shift = -float(item) / 1000.0 * state.size * state.scale
                    tm = multiply((1.0, 0.0, 0.0, 1.0, shift, 0.0), tm)
                else:
                    show(_raw(item))
    return result


def page_count(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def iter_pages(data: bytes, check: Callable[[int, int], None] | None = None) -> Iterator[Page]:
    """Every page of the PDF `data`, interpreted; `check(done, total)` between pages
    (progress, and a place to raise to stop)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    total = len(reader.pages)
    for i, page in enumerate(reader.pages):
        if check is not None:
            check(i, total)
        yield _interpret(page, reader)


def read_pages(data: bytes, check: Callable[[int, int], None] | None = None) -> list[Page]:
    return list(iter_pages(data, check))


class PdfPages(Sequence[Page]):
    """The pages of a PDF, interpreted when first asked for (a few kept).

    Reading a page's drawing back takes some 30 ms; a 300-page report read
    whole would keep the preview waiting ~10 s. The page sizes are known at
    once (the preview lays out its scroll area from them) and a page is
    interpreted when it scrolls into view. Use from one thread at a time.
    """

    def __init__(self, data: bytes, keep: int = 24) -> None:
        from pypdf import PdfReader

        self._reader = PdfReader(io.BytesIO(data))
        self._pdf_pages = list(self._reader.pages)
        self.sizes = [(float(p.mediabox.width), float(p.mediabox.height))
                      for p in self._pdf_pages]
        self._cache: OrderedDict[int, Page] = OrderedDict()
        self._keep = keep

    def __len__(self) -> int:
        return len(self._pdf_pages)

    @overload
    def __getitem__(self, index: int) -> Page: ...

    @overload
    def __getitem__(self, index: slice) -> list[Page]: ...

    def __getitem__(self, index: int | slice) -> Page | list[Page]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        page = self._cache.get(index)
        if page is None:
            page = _interpret(self._pdf_pages[index], self._reader)
            self._cache[index] = page
            while len(self._cache) > self._keep:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(index)
        return page
