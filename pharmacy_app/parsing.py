"""Reading the values pharmacists and platforms write: flags, dates, numbers.

One place for these so that an importer, the product dialog and the command
line accept exactly the same spellings (FORMATS.md: flags 是/否, Y/N, 1/0,
true/false, √/空; dates 2026-03-01, 2026/3/1, 20260301, Excel serials and
datetimes). Each parser raises ValueError with a message fit for the user.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

TRUE_FLAGS = frozenset({"是", "y", "yes", "1", "true", "t", "√", "✓", "✔", "对", "有"})
FALSE_FLAGS = frozenset({"否", "n", "no", "0", "false", "f", "", "×", "✗", "无", "不是"})

EXCEL_EPOCH = dt.datetime(1899, 12, 30)

_DATE_RE = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{1,2})(?::(?P<S>\d{1,2})(?:\.\d+)?)?)?$"
)
_COMPACT_RE = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?)?$")


def to_halfwidth(text: str) -> str:
    """Full-width letters, digits and punctuation to their ASCII forms (NFKC).

    NFKC also folds the ideographic space; Chinese characters are unchanged.
    """
    return unicodedata.normalize("NFKC", text)


def clean_text(value: object) -> str:
    """A cell as trimmed text; None and NaN become ''."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value).strip()


def parse_flag(value: object) -> bool:
    """是/否, Y/N, 1/0, true/false, √/empty → bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value in (0, 1):
            return bool(value)
        raise ValueError(f"不是是/否标志：{value!r}")
    text = to_halfwidth(clean_text(value)).lower()
    if text in TRUE_FLAGS:
        return True
    if text in FALSE_FLAGS:
        return False
    raise ValueError(f"不是是/否标志：{clean_text(value)!r}（可用 是/否、Y/N、1/0、true/false、√/空）")


@lru_cache(maxsize=65536)
def _parse_datetime_text(text: str) -> dt.datetime:
    m = _DATE_RE.match(text) or _COMPACT_RE.match(text)
    if m is None:
        try:
            serial = float(text)
        except ValueError:
            raise ValueError(f"无法识别的日期：{text!r}") from None
        return excel_serial(serial)
    parts = {k: int(v) if v else 0 for k, v in m.groupdict().items()}
    try:
        return dt.datetime(parts["y"], parts["m"], parts["d"], parts["H"], parts["M"], parts["S"])
    except ValueError:
        raise ValueError(f"日期不存在：{text!r}") from None


def excel_serial(serial: float) -> dt.datetime:
    """An Excel serial day number (1900 date system) as a datetime."""
    if not 1 <= serial < 2958466:
        raise ValueError(f"无法识别的日期：{serial!r}")
    return (EXCEL_EPOCH + dt.timedelta(days=serial)).replace(microsecond=0)


def parse_datetime(value: object) -> dt.datetime:
    """Any accepted date or datetime spelling → naive local datetime."""
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0, tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return excel_serial(float(value))
    text = to_halfwidth(clean_text(value))
    if not text:
        raise ValueError("日期为空")
    return _parse_datetime_text(text)


def parse_date(value: object) -> dt.date:
    return parse_datetime(value).date()


def format_datetime(value: dt.datetime) -> str:
    """Storage form: 'YYYY-MM-DD HH:MM:SS', local time, sortable as text."""
    return value.strftime("%Y-%m-%d %H:%M:%S")


_GROUPED_RE = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def parse_decimal(value: object, *, what: str = "数字") -> Decimal:
    """A number as Decimal, accepting 1,234.50, ￥12.3, full-width digits."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ValueError(f"不是{what}：{value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"不是{what}：{value!r}")
        # repr gives the shortest string that round-trips: 0.1 stays 0.1.
        return Decimal(repr(value))
    text = to_halfwidth(clean_text(value)).replace("¥", "").replace("元", "").strip()
    if not text:
        raise ValueError(f"{what}为空")
    if "," in text:
        # Only as thousands grouping (1,234.50): 1.250,00 or 12,5 is not read as a
        # number ten or a thousand times off.
        if not _GROUPED_RE.match(text):
            raise ValueError(f"不是{what}：{clean_text(value)!r}")
        text = text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"不是{what}：{clean_text(value)!r}") from None
    if not number.is_finite():
        raise ValueError(f"不是{what}：{clean_text(value)!r}")
    return number


def yuan_to_fen(amount: Decimal) -> int:
    """Round half up to the fen: money is summed as integer fen, never floats."""
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def decimal_text(value: Decimal) -> str:
    """Canonical storage text of an exact decimal: no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


COUNT_UNITS = "片粒支袋瓶丸板贴枚个只盒包条揿喷套根张卷块副对剂枚管盒"
_COUNT_SEGMENT_RE = re.compile(rf"^(\d+)\s*(?:[{COUNT_UNITS}]|粒装|片装|支装)?$")


def conversion_from_package(package: str) -> int | None:
    """Smallest units per package from a package text, or None if unreadable.

    `0.25g*24粒/盒` → 24, `24粒/盒` → 24, `10片*2板/盒` → 20,
    `2ml:0.5mg*10支/盒` → 10, `100ml:0.9g/瓶` → 1 (the bottle is the
    smallest unit), `盒` → None. Segments with a measure unit (g, mg, ml,
    万单位) are strengths, not counts, and are skipped.
    """
    text = to_halfwidth(package).replace(" ", "")
    if not text:
        return None
    head = text.split("/")[0]
    total = None
    for segment in re.split(r"[*×xX]", head):
        m = _COUNT_SEGMENT_RE.match(segment)
        if m:
            total = (total or 1) * int(m.group(1))
    if total is None and "/" in text:
        unit = text.rsplit("/", 1)[1]
        if len(unit) == 1 and unit in COUNT_UNITS:
            return 1
    return total or None


_NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
MAX_FILE_NAME_BYTES = 200


def file_name_part(text: str) -> str:
    """`text` usable inside a file name on Windows and Linux (a company name, say).

    The characters Windows refuses (and / on every system) become _, trailing
    dots and spaces go, and the result stays under MAX_FILE_NAME_BYTES in UTF-8
    (a 126-character Chinese name is already past most systems' 255-byte limit).
    """
    cleaned = _NOT_IN_FILE_NAMES.sub("_", text).strip().rstrip(". ")
    while len(cleaned.encode("utf-8")) > MAX_FILE_NAME_BYTES:
        cleaned = cleaned[:-1]
    return cleaned or "_"
