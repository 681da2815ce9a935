"""Column-wise parsing of cells: dates, numbers, money, codes, row hashes.

A purchase export can have a million lines, and a Python call per cell costs
about a microsecond, so the common shapes are parsed for a whole column at
once with pyarrow.compute and numpy: `2026-03-01 08:15:00`, `2026-03-01` by
byte position, `2026/3/1 8:05` and `2026年3月1日` by one regular expression,
plain decimals by a cast. Only what is left (Excel serial dates, `20260301`,
`1,234.50`, `￥12`, full-width digits) goes cell by cell through
pharmacy_app.parsing, so the importer accepts exactly what the rest of the
app accepts. Every function returns its errors as (index in chunk, message)
with messages in Chinese for the user.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pharmacy_app.parsing import decimal_text, parse_datetime, parse_decimal, yuan_to_fen

Issues = list[tuple[int, str]]

MSG_EMPTY = "不能为空"
MSG_NOT_NUMBER = "不是数字"
MSG_NEGATIVE = "不能为负数"
MSG_TOO_BIG = "数值过大"
# One line's money and quantity beyond any real order: refused, so the sums over a
# million lines (integer fen; quantities in millionths) stay inside 64-bit integers.
MAX_LINE_FEN = 10**12  # 100 亿元
MAX_LINE_QTY = 10**6  # packages
MSG_LINE_TOO_BIG = "数值过大，请核对（单行金额上限 100 亿元，数量上限 100 万）"


def beyond_line_limits(values: np.ndarray, present: np.ndarray, limit: int) -> Issues:
    """(index, message) of the present values whose size is at or past `limit`."""
    return [(int(i), MSG_LINE_TOO_BIG)
            for i in np.flatnonzero(present & (np.abs(values) >= limit))]
MSG_BAD_DATE = "无法识别的日期（可用 2026-03-01、2026/3/1、20260301 或 Excel 日期）"
MSG_NO_SUCH_DATE = "日期不存在"

NULL_EPOCH = np.iinfo(np.int64).min


def trimmed(arr: pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(arr)


def empty_mask(arr: pa.Array) -> np.ndarray:
    return np.asarray(pc.equal(pc.binary_length(arr), 0).to_numpy(zero_copy_only=False))


def required_issues(arr: pa.Array, message: str = MSG_EMPTY) -> Issues:
    return [(int(i), message) for i in np.flatnonzero(empty_mask(arr))]


def _match(arr: pa.Array, pattern: str) -> np.ndarray:
    return np.asarray(pc.match_substring_regex(arr, pattern).to_numpy(zero_copy_only=False))


def _offsets_and_data(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    buffers = arr.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32, count=len(arr) + 1 + arr.offset)[
        arr.offset :
    ]
    data = buffers[2]
    return offsets.astype(np.int64), (
        np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    )


def _digits(arr: pa.Array, idx: np.ndarray, positions: list[int]) -> np.ndarray:
    """ASCII digits at fixed byte positions of the strings `idx` → int64 matrix."""
    offsets, data = _offsets_and_data(arr)
    starts = offsets[idx]
    return data[starts[:, None] + np.array(positions, dtype=np.int64)].astype(np.int64) - 48


def _number(digits: np.ndarray) -> np.ndarray:
    out = np.zeros(len(digits), dtype=np.int64)
    for k in range(digits.shape[1]):
        out = out * 10 + digits[:, k]
    return out


# --- dates -------------------------------------------------------------------------

_CANON_DATETIME = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
_CANON_DATE = r"^\d{4}-\d{2}-\d{2}$"
_LOOSE_DATE = (
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{1,2})(?::(?P<S>\d{1,2}))?(?:\.\d+)?)?$"
)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates, vectorised (H. Hinnant)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = np.where(m > 2, m - 3, m + 9)
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@dataclass
class DateColumn:
    text: list[str | None]
    epoch: np.ndarray
    errors: Issues = field(default_factory=list)


# The two canonical layouts, checked byte by byte with numpy (what the regular
# expressions _CANON_DATETIME / _CANON_DATE say, without a regex per cell):
# the digit positions and the separator at each other position.
_DATETIME_DIGITS = (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18)
_DATETIME_SEPARATORS = {4: b"-", 7: b"-", 10: b" ", 13: b":", 16: b":"}
_DATE_DIGITS = (0, 1, 2, 3, 5, 6, 8, 9)
_DATE_SEPARATORS = {4: b"-", 7: b"-"}


def _layout(
    arr: pa.Array, length: int, digits: tuple[int, ...], separators: dict[int, bytes]
) -> tuple[np.ndarray, np.ndarray]:
    """Cells of exactly `length` bytes with ASCII digits at `digits` and the
    given separators elsewhere: their indices and their digit values (int64)."""
    offsets, data = _offsets_and_data(arr)
    starts = offsets[:-1]
    lengths = offsets[1:] - starts
    idx = np.flatnonzero(lengths == length)
    if not len(idx):
        return idx, np.zeros((0, len(digits)), dtype=np.int64)
    if len(idx) == np.count_nonzero(lengths):
        # Every other cell is empty: the cells lie back to back in the data buffer.
        first = int(starts[idx[0]])
        cells = data[first : first + len(idx) * length].reshape(len(idx), length)
    else:
        cells = data[starts[idx, None] + np.arange(length, dtype=np.int64)]
    values = cells[:, list(digits)].astype(np.int64) - 48
    ok = ((values >= 0) & (values <= 9)).all(axis=1)
    for pos, sep in separators.items():
        ok &= cells[:, pos] == sep[0]
    return idx[ok], values[ok]


def parse_dates(arr: pa.Array, *, required: bool, with_time: bool) -> DateColumn:
    """Dates or datetimes → storage text ('YYYY-MM-DD[ HH:MM:SS]') and epoch seconds."""
    arr = trimmed(arr)
    n = len(arr)
    comp = np.zeros((6, n), dtype=np.int64)
    known = np.zeros(n, dtype=bool)
    empty = empty_mask(arr)
    full = np.zeros(n, dtype=bool)
    short = np.zeros(n, dtype=bool)
    idx, digits = _layout(arr, 19, _DATETIME_DIGITS, _DATETIME_SEPARATORS)
    if len(idx):
        for k, (a, b) in enumerate(((0, 4), (4, 6), (6, 8), (8, 10), (10, 12), (12, 14))):
            comp[k, idx] = _number(digits[:, a:b])
        known[idx] = full[idx] = True
    idx, digits = _layout(arr, 10, _DATE_DIGITS, _DATE_SEPARATORS)
    if len(idx):
        for k, (a, b) in enumerate(((0, 4), (4, 6), (6, 8))):
            comp[k, idx] = _number(digits[:, a:b])
        known[idx] = short[idx] = True
    rest = np.flatnonzero(~known & ~empty)
    if len(rest):
        sub = pc.take(arr, pa.array(rest))
        parts = pc.extract_regex(sub, _LOOSE_DATE)
        matched = np.asarray(parts.is_valid().to_numpy(zero_copy_only=False))
        if matched.any():
            hit = rest[matched]
            for k, name in enumerate("ymdHMS"):
                values = pc.filter(parts.field(name), pa.array(matched))
                values = pc.if_else(pc.equal(values, ""), "0", values)
                comp[k, hit] = pc.cast(values, pa.int64()).to_numpy(zero_copy_only=False)
            known[hit] = True
        rest = rest[~matched]
    errors: Issues = []
    odd: dict[int, dt.datetime] = {}
    for i in rest:
        value = arr[int(i)].as_py()
        try:
            odd[int(i)] = parse_datetime(value)
        except ValueError as exc:
            errors.append(
                (int(i), MSG_NO_SUCH_DATE if str(exc).startswith("日期不存在") else MSG_BAD_DATE)
            )
    for i, value in odd.items():
        comp[:, i] = (value.year, value.month, value.day, value.hour, value.minute, value.second)
        known[i] = True
    y, m, d, hh, mm, ss = comp
    month_ok = (m >= 1) & (m <= 12)
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    dim = _DAYS_IN_MONTH[np.where(month_ok, m, 0)] + ((m == 2) & leap)
    valid = month_ok & (d >= 1) & (d <= dim) & (y >= 1) & (hh < 24) & (mm < 60) & (ss < 60)
    bad = np.flatnonzero(known & ~valid)
    errors.extend((int(i), MSG_NO_SUCH_DATE) for i in bad)
    known &= valid
    if required:
        errors.extend((int(i), MSG_EMPTY) for i in np.flatnonzero(empty))
    epoch = np.full(n, NULL_EPOCH, dtype=np.int64)
    epoch[known] = days_from_civil(y[known], m[known], d[known]) * 86400 + (
        hh[known] * 3600 + mm[known] * 60 + ss[known]
    )
    # Text: canonical cells are kept as they are; the rest are written out.
    base = arr if with_time else pc.utf8_slice_codeunits(arr, 0, 10)
    text: list[str | None] = base.to_pylist()
    as_is = (full | short) if not with_time else full
    for i in np.flatnonzero(~(as_is & known)):
        if not known[i]:
            text[i] = None
        elif with_time:
            text[i] = f"{y[i]:04d}-{m[i]:02d}-{d[i]:02d} {hh[i]:02d}:{mm[i]:02d}:{ss[i]:02d}"
        else:
            text[i] = f"{y[i]:04d}-{m[i]:02d}-{d[i]:02d}"
    errors.sort()
    return DateColumn(text, epoch, errors)


# --- numbers -----------------------------------------------------------------------

_PLAIN_NUMBER = r"^-?\d{1,15}(\.\d{1,9})?$"
_CANON_NUMBER = r"^-?(0|[1-9]\d*)(\.\d*[1-9])?$"
_MONEY = r"^-?\d{1,13}(\.\d{1,2})?$"


@dataclass
class NumberColumn:
    value: np.ndarray  # float64, NaN where empty or bad
    present: np.ndarray  # bool: a valid number was given
    text: list[str | None] | None = None  # exact decimal text, when asked for
    errors: Issues = field(default_factory=list)


def parse_numbers(
    arr: pa.Array, *, required: bool, negative_ok: bool = False, want_text: bool = False
) -> NumberColumn:
    """Decimal cells → float values and, if asked, exact canonical decimal text."""
    arr = trimmed(arr)
    n = len(arr)
    value = np.full(n, np.nan)
    empty = empty_mask(arr)
    plain = _match(arr, _PLAIN_NUMBER)
    idx = np.flatnonzero(plain)
    if len(idx):
        value[idx] = pc.cast(pc.filter(arr, pa.array(plain)), pa.float64()).to_numpy(
            zero_copy_only=False
        )
    errors: Issues = []
    exact: dict[int, Decimal] = {}
    for i in np.flatnonzero(~plain & ~empty):
        try:
            number = parse_decimal(arr[int(i)].as_py())
        except ValueError:
            errors.append((int(i), MSG_NOT_NUMBER))
            continue
        if not np.isfinite(float(number)) or abs(number) >= Decimal(10) ** 15:
            errors.append((int(i), MSG_TOO_BIG))
            continue
        exact[int(i)] = number
        value[i] = float(number)
    present = ~np.isnan(value)
    if not negative_ok:
        negative = np.flatnonzero(present & (value < 0))
        errors.extend((int(i), MSG_NEGATIVE) for i in negative)
        present[negative] = False
    if required:
        errors.extend((int(i), MSG_EMPTY) for i in np.flatnonzero(empty))
    text = None
    if want_text:
        text = arr.to_pylist()
        canonical = _match(arr, _CANON_NUMBER) & ~np.asarray(
            pc.equal(arr, "-0").to_numpy(zero_copy_only=False)
        )
        fix = np.flatnonzero(~(canonical & present))
        # Plain decimals (`12.50`, `007`) are made canonical column-wise;
        # the rest one by one, as parsing.decimal_text says.
        plain_fix = fix[plain[fix] & present[fix]]
        if len(plain_fix):
            fixed = canonical_decimals(pc.take(arr, pa.array(plain_fix))).to_pylist()
            for i, t in zip(plain_fix.tolist(), fixed, strict=True):
                text[i] = t
        for i in fix[~(plain[fix] & present[fix])]:
            if not present[i]:
                text[i] = None
            else:
                number = exact.get(int(i))
                text[i] = decimal_text(number if number is not None else Decimal(text[i]))
    errors.sort()
    return NumberColumn(value, present, text, errors)


def canonical_decimals(arr: pa.Array) -> pa.Array:
    """decimal_text() of plain decimals (_PLAIN_NUMBER), column-wise.

    No trailing zeros after the point (nor the point itself), no leading
    zeros before the first digit, and no minus sign on zero.
    """
    arr = pc.replace_substring_regex(arr, r"(\.\d*?)0+$", r"\1")
    arr = pc.replace_substring_regex(arr, r"\.$", "")
    arr = pc.replace_substring_regex(arr, r"^(-?)0+(\d)", r"\1\2")
    return pc.replace_substring_regex(arr, r"^-0$", "0")


@dataclass
class MoneyColumn:
    fen: np.ndarray  # int64, 0 where not present
    present: np.ndarray
    errors: Issues = field(default_factory=list)


def parse_fen(arr: pa.Array, *, required: bool, negative_ok: bool = False) -> MoneyColumn:
    """Yuan amounts → integer fen, rounded half up like parsing.yuan_to_fen."""
    arr = trimmed(arr)
    n = len(arr)
    fen = np.zeros(n, dtype=np.int64)
    present = np.zeros(n, dtype=bool)
    empty = empty_mask(arr)
    quick = _match(arr, _MONEY)
    idx = np.flatnonzero(quick)
    if len(idx):
        yuan = pc.cast(pc.filter(arr, pa.array(quick)), pa.float64()).to_numpy(zero_copy_only=False)
        # At most two decimals and 13 integer digits: x*100 is within 0.5 of the exact fen.
        fen[idx] = np.rint(yuan * 100).astype(np.int64)
        present[idx] = True
    errors: Issues = []
    for i in np.flatnonzero(~quick & ~empty):
        try:
            number = parse_decimal(arr[int(i)].as_py())
        except ValueError:
            errors.append((int(i), MSG_NOT_NUMBER))
            continue
        if abs(number) >= Decimal(10) ** 13:
            errors.append((int(i), MSG_TOO_BIG))
            continue
        fen[i] = yuan_to_fen(number)
        present[i] = True
    if not negative_ok:
        negative = np.flatnonzero(present & (fen < 0))
        errors.extend((int(i), MSG_NEGATIVE) for i in negative)
        present[negative] = False
    if required:
        errors.extend((int(i), MSG_EMPTY) for i in np.flatnonzero(empty))
    errors.sort()
    return MoneyColumn(fen, present, errors)


def product_fen(
    qty: NumberColumn, qty_arr: pa.Array, price: NumberColumn, rows: np.ndarray
) -> np.ndarray:
    """qty × price in fen (half up) for `rows`, exact: integers where safe, else Decimal."""
    out = np.zeros(len(rows), dtype=np.int64)
    if not len(rows):
        return out
    q = qty.value[rows]
    p = price.value[rows]
    assert price.text is not None
    p_text = [price.text[i] for i in rows]
    p4 = np.rint(p * 10_000)
    few_decimals = np.array(
        [t is not None and ("." not in t or len(t) - t.index(".") <= 5) for t in p_text], dtype=bool
    )
    safe = (q == np.rint(q)) & few_decimals & (np.abs(q * p4) < 9e18)
    qi = np.where(safe, q, 0).astype(np.int64)
    pi = np.where(safe, p4, 0).astype(np.int64)
    out[safe] = (qi[safe] * pi[safe] + 50) // 100
    q_text = pc.take(trimmed(qty_arr), pa.array(rows)).to_pylist()
    for k in np.flatnonzero(~safe):
        out[k] = yuan_to_fen(parse_decimal(q_text[k]) * Decimal(p_text[k]))
    return out


# --- codes and text ----------------------------------------------------------------


def codes(arr: pa.Array) -> pa.Array:
    """Product codes as stored: half-width, upper case, no spaces (catalogue.normalise_code)."""
    arr = pc.utf8_normalize(trimmed(arr), form="NFKC")
    return pc.replace_substring(pc.utf8_upper(arr), " ", "")


# --- hashing -----------------------------------------------------------------------

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_SEED = np.uint64(0x9E3779B97F4A7C15)
_MAX_WORDS = 32


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit flips about half the output bits."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def _hash_unique(arr: pa.Array) -> np.ndarray:
    """Hash each string from its own bytes only (never from its neighbours' lengths)."""
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    offsets, data = _offsets_and_data(arr)
    starts = offsets[:-1]
    lengths = offsets[1:] - starts
    nwords = (lengths + 7) // 8
    h = _mix(lengths.astype(np.uint64) + _SEED)
    short = np.flatnonzero(nwords <= _MAX_WORDS)
    if len(short) and nwords[short].max() > 0:
        words = int(nwords[short].max())
        width = words * 8
        pos = starts[short, None] + np.arange(width, dtype=np.int64)
        inside = np.arange(width, dtype=np.int64)[None, :] < lengths[short, None]
        raw = np.where(inside, data[np.minimum(pos, max(len(data) - 1, 0))], 0).astype(np.uint8)
        matrix = np.ascontiguousarray(raw).view("<u8").reshape(len(short), words)
        hs = h[short]
        for w in range(words):
            hs = np.where(w < nwords[short], _mix(hs ^ matrix[:, w]), hs)
        h[short] = hs
    # Long texts are rare: the same rounds, one string at a time.
    for i in np.flatnonzero(nwords > _MAX_WORDS):
        raw = data[starts[i] : starts[i] + lengths[i]].tobytes()
        raw += b"\0" * (-len(raw) % 8)
        one = h[i : i + 1]
        for word in np.frombuffer(raw, dtype="<u8"):
            one = _mix(one ^ word)
        h[i] = one[0]
    return h


def hash_strings(arr: pa.Array) -> np.ndarray:
    """A stable 64-bit hash of each string (same text → same hash, in every run)."""
    encoded = pc.dictionary_encode(arr)
    unique = _hash_unique(encoded.dictionary)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    return unique[indices]


def hash_rows(parts: list[np.ndarray]) -> np.ndarray:
    """Combine per-column 64-bit values into one signed 64-bit hash per row."""
    h = np.full(len(parts[0]) if parts else 0, _SEED, dtype=np.uint64)
    for part in parts:
        if part.dtype == np.float64:
            part = np.where(np.isnan(part), np.float64(np.inf), part).view(np.uint64)
        elif part.dtype != np.uint64:
            part = part.astype(np.int64).view(np.uint64)
        h = _mix(h ^ part)
    return h.view(np.int64)
