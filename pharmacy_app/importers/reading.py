"""Reading import files: encoding, header row, and rows in column chunks.

FORMATS.md: files are .xlsx/.xls (read with fastexcel, or python-calamine
cell by cell when a column mixes kinds of cell) or .csv in
UTF-8, UTF-8 with BOM or GBK/GB18030 — detected, not assumed. A title row
(or several) above the header row is skipped by finding the row that names
the most known headers.

Rows come out in chunks of at most CHUNK_ROWS as Arrow string arrays, one per
file column, plus each row's number as the user sees it (Excel row, CSV
record), so a 1,000,000-line CSV is never held in memory at once and the
validators can work column-wise. CSV goes through pyarrow's streaming reader,
which parses several times faster than the csv module.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import datetime as dt
import hashlib
import io
import logging
import re
import threading
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .result import ImportFailed
from .spec import HEADER_SCAN_ROWS, KindSpec, find_header_row, header_score

CHUNK_ROWS = 50_000
# Excel rows become Arrow arrays in Python (GIL-bound): smaller chunks let
# the writing start sooner beside it (100,000 rows: ~0.1-0.2 s quicker).
# CSV chunks stay large: 20,000 measured ~0.4 s slower a million lines.
EXCEL_CHUNK_ROWS = 20_000
SCAN_BLOCK = 8 << 20
SAMPLE_BYTES = 1 << 20
ARROW_BLOCK = 1 << 20
EXCEL_SUFFIXES = (".xlsx", ".xls", ".xlsm", ".xlsb", ".ods")
DELIMITERS = (",", "\t", ";", "|")


@dataclass
class Chunk:
    """A run of data rows: one string array per file column (no nulls)."""

    columns: list[pa.Array]
    rows: np.ndarray
    # Rows the reader could not split into the header's columns: (row, cells, message).
    invalid: list[tuple[int, list[str], str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def cells(self, i: int) -> list[str]:
        return [str(col[i].as_py()) for col in self.columns]


@dataclass
class Source(ABC):
    path: Path
    format: str
    headers: list[str]
    header_index: int
    estimated_rows: int
    encoding: str | None = None
    sheet: str | None = None
    # The digest, or a callable that waits for it (computed in a thread).
    _sha256: str | Callable[[], str] = ""

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def header_row(self) -> int:
        """1-based row of the header as the user sees it."""
        return self.header_index + 1

    @abstractmethod
    def chunks(self) -> Iterator[Chunk]:
        """The data rows after the header, in chunks."""

    @abstractmethod
    def sample_rows(self, n: int) -> list[list[str]]:
        """The first `n` data rows as text, for the preview."""

    def sha256(self) -> str:
        if callable(self._sha256):
            self._sha256 = self._sha256()
        if self._sha256:
            return self._sha256
        digest = hashlib.sha256()
        with self.path.open("rb") as f:
            while block := f.read(SCAN_BLOCK):
                digest.update(block)
        return digest.hexdigest()


def open_source(path: str | Path, spec: KindSpec, options: dict | None = None) -> Source:
    """Open `path` for `spec`: pick the reader, detect encoding, sheet and header row."""
    path = Path(path)
    options = options or {}
    if not path.exists():
        raise ImportFailed(f"{path.name}：文件不存在")
    if path.is_dir():
        raise ImportFailed(f"{path.name}：这是一个文件夹，不是文件")
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return ExcelSource.open(path, spec, sheet=options.get("sheet"))
    if suffix in (".csv", ".txt", ".tsv", ""):
        return CsvSource.open(path, spec, encoding=options.get("encoding"))
    raise ImportFailed(f"{path.name}：不支持的文件类型 {path.suffix}（可用 .xlsx、.xls、.csv）")


# --- CSV ---------------------------------------------------------------------------

ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (BOM)",
    "gbk": "GBK",
    "gb18030": "GB18030",
    "utf-16": "UTF-16",
}


@dataclass
class Scan:
    codec: str
    lines: int
    sha256: str | Callable[[], str]


class _Sha256InBackground:
    """SHA-256 of a file computed in a thread (hashlib and file reads release the GIL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._digest = ""
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="import-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            digest = hashlib.sha256()
            with self.path.open("rb") as f:
                while block := f.read(SCAN_BLOCK):
                    digest.update(block)
            self._digest = digest.hexdigest()
        except BaseException as exc:  # raised when the digest is asked for
            self._error = exc

    def __call__(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._digest


def _utf8_prefix(data: memoryview) -> int:
    """Length of `data` without a multi-byte character cut off at its end."""
    n = len(data)
    i = n - 1
    while i >= 0 and n - i <= 3 and data[i] & 0xC0 == 0x80:
        i -= 1
    if i < 0:
        return n
    lead = data[i]
    need = 2 if lead >> 5 == 0b110 else 3 if lead >> 4 == 0b1110 else 4 if lead >> 3 == 0b11110 else 1
    return i if n - i < need else n


def valid_utf8(data: bytes | memoryview) -> bool:
    """Strict UTF-8 (no surrogates, no overlong forms), checked by Arrow at memory speed."""
    offsets = np.array([0, len(data)], dtype=np.int32)
    arr = pa.Array.from_buffers(
        pa.binary(), 1, [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data)]
    )
    try:
        arr.cast(pa.string())
    except pa.ArrowInvalid:
        return False
    return True


def _utf8_scan(path: Path, codec: str) -> Scan | None:
    """Scan of the file if it is valid UTF-8 throughout (a BOM is valid UTF-8 too).

    Arrow checks the bytes without building Python strings (~0.1 s per
    100 MB where decoding took 0.3 s); the SHA-256 runs meanwhile in a thread.
    """
    sha = _Sha256InBackground(path)
    lines = 0
    carry = b""
    with path.open("rb") as f:
        while block := f.read(SCAN_BLOCK):
            lines += block.count(b"\n")
            data = memoryview(carry + block) if carry else memoryview(block)
            cut = _utf8_prefix(data)
            if not valid_utf8(data[:cut]):
                return None
            carry = bytes(data[cut:])
    if carry:
        return None  # the file ends inside a character
    return Scan(codec, lines, sha)


def _decodes(path: Path, codec: str) -> Scan | None:
    """Scan of the file if it decodes strictly as `codec` (lines and SHA-256 in the same pass)."""
    if codec in ("utf-8", "utf-8-sig"):
        return _utf8_scan(path, codec)
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    digest = hashlib.sha256()
    lines = 0
    try:
        with path.open("rb") as f:
            while block := f.read(SCAN_BLOCK):
                decoder.decode(block)
                digest.update(block)
                lines += block.count(b"\n")
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return Scan(codec, lines, digest.hexdigest())


def detect_encoding(path: Path) -> Scan:
    """The codec that reads the whole file, with its line count and SHA-256.

    A BOM decides at once. Otherwise the whole file must be valid UTF-8
    (a GBK file is almost never valid UTF-8); failing that GBK, then its
    superset GB18030. Checking every byte means a stray GBK character on
    line 900,000 is not misread.
    """
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = []
    for codec in (*candidates, "utf-8", "gbk", "gb18030"):
        scan = _decodes(path, codec)
        if scan is not None:
            return scan
    raise ImportFailed(f"{path.name}：无法识别文件编码（支持 UTF-8、UTF-8 BOM、GBK、GB18030）")


def _sample_text(path: Path, codec: str) -> tuple[str, bool]:
    """The start of the file as text, and whether that is the whole file."""
    with path.open("rb") as f:
        raw = f.read(SAMPLE_BYTES + 1)
    whole = len(raw) <= SAMPLE_BYTES
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    return decoder.decode(raw[:SAMPLE_BYTES], final=whole), whole


def _records(text: str, delimiter: str, limit: int) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = []
    try:
        for record in reader:
            records.append(record)
            if len(records) >= limit:
                break
    except csv.Error:
        pass
    return records


def _lines_before_data(text: str, delimiter: str, header_index: int) -> int:
    """Physical lines up to the end of the header record.

    pyarrow's skip_rows counts lines, not records, so a header cell with a
    line break inside quotes (`"药品\n编码"`) must be counted as two.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for _ in range(header_index + 1):
        next(reader, None)
    return reader.line_num


def _is_blank(cells: Sequence[str]) -> bool:
    return not any(str(c).strip() for c in cells)


class CsvSource(Source):
    delimiter: str = ","
    skip_lines: int = 1
    width: int = 0
    codec: str = "utf-8"
    lines: int = 0
    whole_sample: bool = False
    sample: list[list[str]]

    @classmethod
    def open(cls, path: Path, spec: KindSpec, *, encoding: str | None = None) -> CsvSource:
        if path.stat().st_size == 0:
            raise ImportFailed(f"{path.name}：文件为空")
        if encoding:
            scan = _decodes(path, encoding)
            if scan is None:
                raise ImportFailed(f"{path.name}：文件不是 {encoding} 编码")
        else:
            scan = detect_encoding(path)
        codec, lines = scan.codec, scan.lines
        text, whole = _sample_text(path, codec)
        if text.startswith("\ufeff"):
            text = text[1:]
        best: tuple[int, str, list[list[str]], int] | None = None
        for delimiter in DELIMITERS:
            records = _records(text, delimiter, HEADER_SCAN_ROWS + 200)
            index = find_header_row(spec, records)
            score = header_score(spec, records[index]) if records else 0
            if best is None or score > best[0]:
                best = (score, delimiter, records, index)
        assert best is not None
        _, delimiter, records, index = best
        if not records:
            raise ImportFailed(f"{path.name}：文件为空")
        headers = [h.strip() for h in records[index]]
        data = [r for r in records[index + 1 :] if not _is_blank(r)]
        width = len(headers)
        if data:
            common = Counter(len(r) for r in data).most_common(1)[0][0]
            if common > width:
                headers += [""] * (common - width)
                width = common
            elif common < width and all(not h for h in headers[common:]):
                headers = headers[:common]
                width = common
        source = cls(
            path=path,
            format="csv",
            headers=headers,
            header_index=index,
            estimated_rows=len(data),
            encoding=codec,
        )
        source.delimiter = delimiter
        source.skip_lines = _lines_before_data(text, delimiter, index)
        source.estimated_rows = max(lines - source.skip_lines, len(data), 0)
        source.width = width
        source.codec = codec
        source.lines = lines
        source.whole_sample = whole
        source._sha256 = scan.sha256
        source.sample = records[index + 1 :]
        return source

    def sample_rows(self, n: int) -> list[list[str]]:
        return [r for r in self.sample if not _is_blank(r)][:n]

    def chunks(self) -> Iterator[Chunk]:
        import pyarrow.csv as pcsv

        if self.whole_sample and not any(not _is_blank(r) for r in self.sample):
            return
        names = [f"c{i}" for i in range(self.width)]
        invalid: list[tuple[int | None, str, int, int]] = []

        def on_invalid(row: pcsv.InvalidRow) -> str:
            invalid.append((row.number, row.text, row.expected_columns, row.actual_columns))
            return "skip"

        arrow_codec = "utf8" if self.codec in ("utf-8", "utf-8-sig") else self.codec
        try:
            reader = pcsv.open_csv(
                self.path,
                read_options=pcsv.ReadOptions(
                    column_names=names,
                    skip_rows=self.skip_lines,
                    encoding=arrow_codec,
                    use_threads=False,  # invalid rows then carry their record number
                    block_size=ARROW_BLOCK,
                ),
                parse_options=pcsv.ParseOptions(
                    delimiter=self.delimiter,
                    newlines_in_values=True,
                    ignore_empty_lines=False,
                    invalid_row_handler=on_invalid,
                ),
                convert_options=pcsv.ConvertOptions(
                    column_types={n: pa.string() for n in names},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid as exc:
            if "Empty CSV" in str(exc) or "skip" in str(exc):
                return
            raise ImportFailed(f"{self.name}：无法读取 CSV：{exc}") from exc
        next_record = self.header_index + 2  # 1-based record number of the next data row
        # pyarrow numbers invalid rows from the skipped lines on, we from records.
        shift = (self.header_index + 1) - self.skip_lines
        pending: list[int] = []  # invalid records not yet passed by the numbering
        columns: list[list[pa.Array]] = [[] for _ in names]
        numbered: list[np.ndarray] = []
        bad_rows: list[tuple[int, list[str], str]] = []
        held = 0
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                batch = None
            except pa.ArrowInvalid as exc:
                raise ImportFailed(f"{self.name}：无法读取 CSV：{exc}") from exc
            for arrow_number, text, expected, actual in invalid:
                row_no = next_record if arrow_number is None else arrow_number + shift
                if arrow_number is not None:
                    bisect.insort(pending, row_no)
                cells = next(csv.reader([text], delimiter=self.delimiter), [])
                bad_rows.append(
                    (row_no, cells, f"列数与表头不符：应为 {expected} 列，实际 {actual} 列")
                )
            invalid.clear()
            if batch is not None and batch.num_rows:
                n = batch.num_rows
                numbers = np.arange(next_record, next_record + n, dtype=np.int64)
                # Every invalid record before the last row of this batch has been
                # reported by now; later ones wait in `pending`.
                while pending and pending[0] <= numbers[-1]:
                    numbers[numbers >= pending.pop(0)] += 1
                next_record = int(numbers[-1]) + 1
                for i in range(batch.num_columns):
                    columns[i].append(batch.column(i))
                numbered.append(numbers)
                held += n
            if held >= CHUNK_ROWS or (batch is None and (held or bad_rows)):
                # Reading in 1 MB blocks keeps pyarrow's read-ahead small; the
                # blocks are joined again so chunks stay large.
                joined = [
                    pa.concat_arrays(parts) if parts else pa.array([], pa.string())
                    for parts in columns
                ]
                rows = np.concatenate(numbered) if numbered else np.zeros(0, dtype=np.int64)
                whole = _drop_blank(joined, rows)
                # Full chunks go now; the rest waits for the next blocks (so
                # chunks are CHUNK_ROWS long, not CHUNK_ROWS + a few thousand).
                keep = 0 if batch is None else len(whole) % CHUNK_ROWS
                ready = len(whole) - keep
                if ready or batch is None:
                    yield from _split(_slice(whole, 0, ready), bad_rows)
                    bad_rows = []
                rest = _slice(whole, ready, keep)
                columns = [[c] for c in rest.columns] if keep else [[] for _ in names]
                numbered = [rest.rows] if keep else []
                held = keep
            if batch is None:
                break


def _drop_blank(columns: list[pa.Array], numbers: np.ndarray) -> Chunk:
    """Leave out rows with every cell empty (blank lines, Excel's empty rows)."""
    if not columns or not len(numbers):
        return Chunk(columns, numbers)
    filled = pc.greater(pc.binary_length(columns[0]), 0)
    for col in columns[1:]:
        filled = pc.or_(filled, pc.greater(pc.binary_length(col), 0))
    if filled.false_count:
        # Cells of spaces only are not blank here: such a row is reported, not dropped.
        columns = [pc.filter(c, filled) for c in columns]
        numbers = numbers[filled.to_numpy(zero_copy_only=False)]
    return Chunk(columns, numbers)


def _slice(chunk: Chunk, start: int, length: int) -> Chunk:
    return Chunk(
        [c.slice(start, length) for c in chunk.columns], chunk.rows[start : start + length]
    )


def _split(chunk: Chunk, invalid: list[tuple[int, list[str], str]]) -> Iterator[Chunk]:
    n = len(chunk)
    if n <= CHUNK_ROWS:
        chunk.invalid = invalid
        yield chunk
        return
    for start in range(0, n, CHUNK_ROWS):
        part = Chunk(
            [c.slice(start, CHUNK_ROWS) for c in chunk.columns],
            chunk.rows[start : start + CHUNK_ROWS],
            invalid if start == 0 else [],
        )
        yield part


# --- Excel -------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """An Excel cell as the text a user would type: 12.0 → '12', dates ISO."""
    if value is None:
        return ""
    t = type(value)
    if t is str:
        return value  # type: ignore[return-value]
    if t is float:
        f = float(value)  # type: ignore[arg-type]
        if f != f:
            return ""
        if f.is_integer() and abs(f) < 1e15:
            return str(int(f))
        return repr(f)
    if t is bool:
        return "是" if value else "否"
    if t is int:
        return str(value)
    if isinstance(value, dt.datetime):
        # Excel stores times as fractions of a day; round away float noise.
        value = (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
        if value.hour == value.minute == value.second == 0:
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def _texts(row: Sequence[object]) -> list[str]:
    return [v if type(v) is str else cell_text(v) for v in row]


_HALF_SECOND = dt.timedelta(microseconds=500_000)


def _float_texts(values: Sequence[float] | np.ndarray) -> pa.Array:
    """cell_text() of floats: whole numbers cast by Arrow, the rest by repr()."""
    f = np.array(values, dtype=np.float64)
    whole = np.zeros(len(f), dtype=bool)
    finite = np.isfinite(f)
    whole[finite] = (f[finite] == np.trunc(f[finite])) & (np.abs(f[finite]) < 1e15)
    if whole.all():
        return pa.array(f.astype(np.int64)).cast(pa.string())
    rest = np.flatnonzero(~whole).tolist()
    parts = [
        pa.array(f[whole].astype(np.int64)).cast(pa.string()),
        pa.array(["" if f[i] != f[i] else repr(float(f[i])) for i in rest], pa.string()),
    ]
    order = np.empty(len(f), dtype=np.int64)
    order[whole] = np.arange(int(whole.sum()))
    order[rest] = len(parts[0]) + np.arange(len(rest))
    return pa.concat_arrays(parts).take(pa.array(order))


def _datetime_texts(values: list[dt.datetime]) -> list[str]:
    """cell_text() of datetimes: rounded to the second, the date alone at midnight."""
    out = []
    append = out.append
    for v in values:
        if v.microsecond:
            v = (v + _HALF_SECOND).replace(microsecond=0)
        if v.year < 1000:  # strftime's year, unpadded: as cell_text says
            append(cell_text(v))
            continue
        text = v.isoformat(" ")
        append(text[:10] if text.endswith(" 00:00:00") else text)
    return out


def column_texts(values: Sequence[object]) -> pa.Array:
    """cell_text() of every cell of an Excel column, as an Arrow string array.

    A column of text goes to Arrow as it is; numbers and datetimes are
    converted together per type (much quicker than a call per cell) and the
    parts put back in row order by Arrow.
    """
    kinds = set(map(type, values))
    if kinds <= {str}:
        return pa.array(values, pa.string())
    if len(kinds) == 1 and float in kinds:
        return _float_texts(values)  # type: ignore[arg-type]
    parts: list[pa.Array] = []
    order = np.empty(len(values), dtype=np.int64)
    done = 0
    for kind in kinds:
        idx = [i for i, v in enumerate(values) if type(v) is kind]
        cells = [values[i] for i in idx]
        if kind is str:
            part = pa.array(cells, pa.string())
        elif kind is float:
            part = _float_texts(cells)
        elif kind is dt.datetime:
            part = pa.array(_datetime_texts(cells), pa.string())
        else:
            part = pa.array([cell_text(v) for v in cells], pa.string())
        order[idx] = np.arange(done, done + len(idx))
        done += len(idx)
        parts.append(part)
    return pa.concat_arrays(parts).take(pa.array(order))


class ExcelSource(Source):
    """An Excel sheet, read by fastexcel into typed Arrow columns.

    Why fastexcel: calamine's Python cells cost ~0.8 s per 100,000 rows to
    turn into objects and back into text; fastexcel (the same calamine
    parser in Rust) hands over Arrow columns per type, which become the
    texts `cell_text` would give, column-wise, in ~0.05 s. A sheet whose
    column mixes kinds of cell (numbers and text in one column), or holds
    time-only or duration cells, is read cell by cell through
    python-calamine instead, so every cell still reads as `cell_text` says.
    """

    _reader: object
    _typed: pa.RecordBatch | None | bool = False  # False: not loaded yet
    _calamine_sheet: object = None

    @classmethod
    def open(cls, path: Path, spec: KindSpec, *, sheet: str | None = None) -> ExcelSource:
        """Pick the sheet: the named one, else the first visible sheet naming the required headers.

        Loading a sheet parses all of it (~0.4 s per 100,000 rows here), so
        sheets are looked at one at a time and the search stops at the first
        that will do.
        """
        import fastexcel
        from python_calamine import CalamineWorkbook, SheetVisibleEnum

        # fastexcel logs a warning for every all-empty column it types as text;
        # on the command line that would be noise between the progress lines.
        logging.getLogger("fastexcel").setLevel(logging.ERROR)

        try:
            reader = fastexcel.read_excel(str(path))
            # Sheet visibility without loading any sheet (calamine reads the
            # workbook part only: ~10 ms).
            workbook = CalamineWorkbook.from_path(str(path))
        except Exception as exc:  # both raise several error types for bad files
            raise ImportFailed(f"{path.name}：无法读取 Excel 文件：{exc}") from exc
        names = list(reader.sheet_names)
        if not names:
            raise ImportFailed(f"{path.name}：工作簿中没有工作表")
        if sheet is not None:
            if sheet not in names:
                raise ImportFailed(f"{path.name}：没有名为「{sheet}」的工作表")
            candidates = [sheet]
        else:
            hidden = {
                m.name for m in workbook.sheets_metadata if m.visible != SheetVisibleEnum.Visible
            }
            candidates = [n for n in names if n not in hidden] or names
        enough = max(len(spec.required), 1)
        best = None
        for name in candidates:
            try:
                head = reader.load_sheet(
                    name, header_row=None, skip_rows=0, n_rows=HEADER_SCAN_ROWS, dtypes="string"
                )
                height = int(head.total_height)
                table = head.to_arrow()
            except Exception as exc:
                raise ImportFailed(f"{path.name}：无法读取工作表「{name}」：{exc}") from exc
            rows = [
                ["" if v is None else v for v in row.values()] for row in table.to_pylist()
            ]
            index = find_header_row(spec, rows)
            if any(_NOT_TEXT_RE.match(cell) for row in rows[: index + 1] for cell in row):
                # fastexcel writes a number, date or boolean cell its own way
                # ('true', '2026-03-01 00:00:00'): such a header is read again
                # cell by cell so it reads as cell_text() says.
                rows = _calamine_head(workbook, name, path.name)
                index = find_header_row(spec, rows)
            score = header_score(spec, rows[index]) if rows else 0
            if best is None or score > best[0]:
                best = (score, name, height, rows, index)
            if score >= enough:
                break
        assert best is not None
        _, chosen, height, head_rows, index = best
        headers = [h.strip() for h in head_rows[index]] if head_rows else []
        while headers and not headers[-1]:
            headers.pop()
        source = cls(
            path=path,
            format="excel",
            headers=headers,
            header_index=index,
            estimated_rows=max(height - index - 1, 0),
            sheet=chosen,
        )
        source._reader = reader
        return source

    def _has_data(self) -> bool:
        return self.estimated_rows > 0  # fastexcel refuses to skip past the last row

    # --- the fast path: typed Arrow columns ---------------------------------------

    def _typed_data(self) -> pa.RecordBatch | None:
        """The data rows as fastexcel typed them; None when a column needs the cell path."""
        if self._typed is False:
            self._typed = self._load_typed()
        return self._typed  # type: ignore[return-value]

    def _load_typed(self) -> pa.RecordBatch | None:
        import fastexcel

        try:
            loaded = self._reader.load_sheet(  # type: ignore[attr-defined]
                self.sheet,
                header_row=None,
                skip_rows=self.header_index + 1,
                schema_sample_rows=None,
                dtype_coercion="strict",
            )
            batch = loaded.to_arrow()
        except fastexcel.UnsupportedColumnTypeCombinationError:
            return None  # a column mixes numbers, text or dates: read cell by cell
        except Exception as exc:
            raise ImportFailed(f"{self.name}：无法读取工作表「{self.sheet}」：{exc}") from exc
        if not all(_typed_column_supported(c) for c in batch.columns):
            return None
        return batch

    def _texts_of(self, batch: pa.RecordBatch) -> list[pa.Array]:
        width = max(len(self.headers), 1)
        n = batch.num_rows
        columns = [typed_texts(c) for c in batch.columns[:width]]
        columns += [pa.array([""] * n, pa.string()) for _ in range(width - len(columns))]
        return columns

    def sample_rows(self, n: int) -> list[list[str]]:
        if not self._has_data():
            return []
        typed = self._typed_data()
        if typed is None:
            return self._calamine_sample(n)
        out: list[list[str]] = []
        step = max(n, 100)
        for start in range(0, typed.num_rows, step):
            part = self._texts_of(typed.slice(start, step))
            rows = map(list, zip(*(c.to_pylist() for c in part), strict=True))
            out += [row for row in rows if not _is_blank(row)]
            if len(out) >= n:
                break
        return out[:n]

    def chunks(self) -> Iterator[Chunk]:
        if not self._has_data():
            return
        typed = self._typed_data()
        if typed is None:
            yield from self._calamine_chunks()
            return
        first = self.header_index + 2  # Excel row of the first data row
        step = min(CHUNK_ROWS, EXCEL_CHUNK_ROWS)
        for start in range(0, typed.num_rows, step):
            part = typed.slice(start, step)
            numbers = np.arange(first + start, first + start + part.num_rows, dtype=np.int64)
            yield _drop_blank(self._texts_of(part), numbers)

    # --- the cell path: python-calamine, one Python value a cell ------------------

    def _calamine_rows(self) -> Iterator[list]:
        if self._calamine_sheet is None:
            from python_calamine import CalamineWorkbook

            try:
                workbook = CalamineWorkbook.from_path(str(self.path))
                self._calamine_sheet = workbook.get_sheet_by_name(self.sheet)
            except Exception as exc:
                raise ImportFailed(f"{self.name}：无法读取工作表「{self.sheet}」：{exc}") from exc
        # calamine's rows start at A1 (leading empty rows kept, so numbering
        # matches Excel's) and at the first used column, as fastexcel's do.
        return self._calamine_sheet.iter_rows()  # type: ignore[attr-defined]

    def _calamine_sample(self, n: int) -> list[list[str]]:
        out = []
        for i, row in enumerate(self._calamine_rows()):
            if i <= self.header_index:
                continue
            cells = _texts(row)
            if not _is_blank(cells):
                out.append(cells)
            if len(out) >= n:
                break
        return out

    def _calamine_chunks(self) -> Iterator[Chunk]:
        width = max(len(self.headers), 1)
        batch: list[list] = []
        numbers: list[int] = []

        def flush() -> Chunk:
            rows = [
                r if len(r) == width else r[:width] if len(r) > width else r + [""] * (width - len(r))
                for r in batch
            ]
            columns = [column_texts(col) for col in zip(*rows, strict=True)]
            return _drop_blank(columns, np.array(numbers, dtype=np.int64))

        for i, row in enumerate(self._calamine_rows()):
            if i <= self.header_index:
                continue
            batch.append(row)
            numbers.append(i + 1)
            if len(batch) >= min(CHUNK_ROWS, EXCEL_CHUNK_ROWS):
                yield flush()
                batch, numbers = [], []
        if batch:
            yield flush()


# Texts fastexcel makes of number, date, time and boolean cells.
_NOT_TEXT_RE = re.compile(
    r"^(?:[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|inf|-inf|NaN|true|false"
    r"|\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2}(?:\.\d+)?)?|\d{2}:\d{2}:\d{2}(?:\.\d+)?)$"
)


def _calamine_head(workbook: object, name: str, file: str) -> list[list[str]]:
    """The first rows of sheet `name` as cell_text(), from A1 and the first used column."""
    try:
        sheet = workbook.get_sheet_by_name(name)  # type: ignore[attr-defined]
        rows = sheet.to_python(skip_empty_area=False, nrows=HEADER_SCAN_ROWS)
    except Exception as exc:
        raise ImportFailed(f"{file}：无法读取工作表「{name}」：{exc}") from exc
    first_column = (sheet.start or (0, 0))[1]
    return [_texts(row[first_column:]) for row in rows]


# Excel's day 0 is 1899-12-31 here: a cell before 1900 is a time of day (or a
# duration), which cell_text writes without a date.
_FIRST_DAY_MS = (dt.date(1900, 1, 1) - dt.date(1970, 1, 1)).days * 86_400_000


def _typed_column_supported(col: pa.Array) -> bool:
    """Whether typed_texts() gives exactly cell_text() for every cell of `col`."""
    t = col.type
    if pa.types.is_timestamp(t):
        if t.tz is not None:
            return False
        ms = pc.cast(col, pa.timestamp("ms")).cast(pa.int64())
        low = pc.min(ms).as_py()
        return low is None or low >= _FIRST_DAY_MS
    return (
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_floating(t)
        or pa.types.is_integer(t)
        or pa.types.is_boolean(t)
        or pa.types.is_date(t)
        or pa.types.is_null(t)
    )


def typed_texts(col: pa.Array) -> pa.Array:
    """The cells of a typed Excel column as cell_text() writes them (empty cells as '')."""
    t = col.type
    n = len(col)
    if pa.types.is_null(t):
        return pa.array([""] * n, pa.string())
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return pc.fill_null(col.cast(pa.string()), "")
    if pa.types.is_boolean(t):
        return pc.fill_null(pc.if_else(col, "是", "否"), "")
    if pa.types.is_integer(t):
        # Below 1e15 an integer reads the same whether Excel stored it as an
        # integer or as a whole float; beyond, as the float it is in the file.
        big = pc.greater_equal(pc.abs(col), 10**15)
        if not pc.any(big).as_py():
            return pc.fill_null(pc.cast(col, pa.string()), "")
    if pa.types.is_floating(t) or pa.types.is_integer(t):
        return _float_texts(pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False))  # null → NaN
    if pa.types.is_date(t):
        return pc.fill_null(pc.cast(col, pa.string()), "")
    # Timestamps: rounded to the second, the date alone at midnight.
    ms = pc.cast(col, pa.timestamp("ms")).cast(pa.int64()).to_numpy(zero_copy_only=False)
    valid = ~np.isnan(ms) if ms.dtype.kind == "f" else np.ones(n, dtype=bool)
    seconds = np.zeros(n, dtype=np.int64)
    seconds[valid] = (ms[valid].astype(np.int64) + 500) // 1000
    stamps = pa.array(seconds, pa.timestamp("s"), mask=~valid)
    text = pc.cast(stamps, pa.string())  # 'YYYY-MM-DD HH:MM:SS', 25x quicker than strftime
    midnight = pc.equal(pc.utf8_slice_codeunits(text, 10), " 00:00:00")
    text = pc.if_else(midnight, pc.utf8_slice_codeunits(text, 0, 10), text)
    return pc.fill_null(text, "")
