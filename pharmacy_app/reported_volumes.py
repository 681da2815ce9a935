"""Reported volumes (报量) for next year's VBP procurement: AV-10 (RULES.md; seed 001 §8, §12).

Per 通用名 the institution reports next year's quantity in smallest units.
Which 通用名 are on the report: those of the institution's VBP agreements,
the VBP products of the catalogue that have no agreement yet (a later batch
the institution holds), and any 通用名 the user adds.

Figures, all in smallest units (packages × conversion) over every product of
the 通用名 (selected, backup and non-selected alike — the report is the
institution's total need):

* 上年实际采购量 (last year's actual purchases) — the 12 months up to the end of
  the as-of day. The report is made before the year ends, so the last full
  year of actual purchases is the 12 months behind the as-of date, not the
  calendar year before (which would compare a full-year report against a
  part-year figure).
* 建议报量 (proposal) — this calendar year's purchases from 1 January to the
  as-of day, scaled to the whole year (× days in the year ÷ days elapsed),
  rounded half up. Before 90 days of the year have passed the scaled figure
  is too noisy, and the 12-month figure is proposed instead. `METHOD` says
  this in Chinese for the page and the export.
* 变化幅度 (change) — (报量 − 上年实际采购量) ÷ 上年实际采购量, exact.

AV-10: a report with change < `av_report_low` (−20 %) or > `av_report_high`
(+150 %) needs a written explanation before it can be exported; exactly −20 %
and exactly +150 % do not. A positive report against no purchases at all is
an unbounded increase and needs one too. A 通用名 left unreported is flagged:
unreported varieties get no surplus retention (001 §8). It does not block the
export, which lists it on its own sheet.

The window and `pharmacy-app reported` both call these functions.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

from db import transaction
from pharmacy_app.essential_match import normalise_name, product_candidates
from pharmacy_app.policy import PolicyProfile, active_profile

PROPOSAL_MIN_DAYS = 90
MAX_QUANTITY = 10**12

METHOD = (
    "上年实际采购量 = 截至日前 12 个月的实际采购量；"
    "建议报量 = 本年 1 月 1 日至截至日的实际采购量按全年天数折算"
    f"（本年不足 {PROPOSAL_MIN_DAYS} 天时取前 12 个月实际采购量）。"
    "数量均为最小单位，含该通用名的全部产品。"
)
UNREPORTED_NOTE = "未报量：该品种不予拨付结余留用资金（001 §8）"

EXPORT_HEADERS = (
    "机构编码",
    "集采批次",
    "药品通用名",
    "上年实际采购量",
    "建议报量",
    "报量",
    "变化幅度",
    "说明",
)

# Import headers: canonical first, then accepted aliases (FORMATS.md style).
IMPORT_FIELDS: dict[str, tuple[str, ...]] = {
    "generic": ("通用名", "药品通用名", "品种名称", "通用名称"),
    "quantity": ("报量", "报送量", "需求量", "采购需求量", "报量最小单位"),
    "explanation": ("说明", "情况说明", "备注", "书面说明"),
}
ORIGINS = ("agreement", "catalogue", "user")


class ReportError(ValueError):
    """Input the report cannot take; the message names the field, or file/row/column."""


class ExportRefused(ReportError):
    """AV-10: the report has changes beyond the limits without an explanation."""

    def __init__(self, generics: Sequence[str]) -> None:
        self.generics = list(generics)
        super().__init__(
            "以下通用名的报量较上年实际采购量变化超出规定幅度，须填写书面说明后才能导出："
            + "、".join(self.generics)
        )


# ---------------------------------------------------------------------------
# The AV-10 rule
# ---------------------------------------------------------------------------
def limits(profile: PolicyProfile) -> tuple[Fraction, Fraction]:
    """(low, high) change limits as exact fractions (−0.2 is −1/5, not the nearest double)."""
    return Fraction(str(profile["av_report_low"])), Fraction(str(profile["av_report_high"]))


def change_of(quantity: int | None, last_year: int) -> Fraction | None:
    """(报量 − 上年) ÷ 上年; None when nothing is reported or the base is zero."""
    if quantity is None or last_year <= 0:
        return None
    return Fraction(quantity - last_year, last_year)


def needs_explanation(
    quantity: int | None, last_year: int, low: Fraction, high: Fraction
) -> bool:
    """AV-10: change strictly below `low` or strictly above `high` needs a written explanation.

    Exactly −20 % / +150 % are inside the limits. From a zero base any positive
    report is an unbounded increase.
    """
    if quantity is None:
        return False
    if last_year <= 0:
        return quantity > 0
    change = Fraction(quantity - last_year, last_year)
    return change < low or change > high


# ---------------------------------------------------------------------------
# Periods and the proposal
# ---------------------------------------------------------------------------
def _year_ago(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def baseline_period(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The 12 months ending on `as_of`, both days inclusive (上年实际采购量)."""
    return _year_ago(as_of) + dt.timedelta(days=1), as_of


def year_to_date(as_of: dt.date) -> tuple[dt.date, dt.date]:
    return dt.date(as_of.year, 1, 1), as_of


def round_half_up(value: Fraction) -> int:
    return int((Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP))


def propose(ytd_qty: Fraction, baseline_qty: int, as_of: dt.date) -> int:
    """建议报量: this year so far scaled to the full year; the 12-month figure early in the year."""
    start, end = year_to_date(as_of)
    elapsed = (end - start).days + 1
    if elapsed < PROPOSAL_MIN_DAYS:
        return baseline_qty
    days_in_year = (dt.date(as_of.year + 1, 1, 1) - start).days
    return round_half_up(ytd_qty * days_in_year / elapsed)


# ---------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportRow:
    """One 通用名 of the report with its figures and the AV-10 verdict."""

    generic: str
    batch: str
    origin: str  # agreement | catalogue | user
    last_year_qty: int
    proposed_qty: int
    quantity: int | None
    explanation: str
    change: Fraction | None
    needs_explanation: bool
    stored: bool

    @property
    def unreported(self) -> bool:
        return self.quantity is None

    @property
    def missing_explanation(self) -> bool:
        return self.needs_explanation and not self.explanation.strip()

    def to_json(self) -> dict[str, object]:
        return {
            "generic": self.generic,
            "batch": self.batch,
            "origin": self.origin,
            "last_year_qty": self.last_year_qty,
            "proposed_qty": self.proposed_qty,
            "quantity": self.quantity,
            "change": None if self.change is None else round(float(self.change), 6),
            "needs_explanation": self.needs_explanation,
            "explanation": self.explanation,
            "unreported": self.unreported,
        }


@dataclass(frozen=True)
class VolumeReport:
    institution_code: str
    institution_name: str
    report_year: int
    as_of: dt.date
    profile: str
    low: Fraction
    high: Fraction
    rows: list[ReportRow] = field(default_factory=list)

    @property
    def missing_explanations(self) -> list[ReportRow]:
        return [r for r in self.rows if r.missing_explanation]

    @property
    def unreported(self) -> list[ReportRow]:
        return [r for r in self.rows if r.unreported]

    @property
    def exportable(self) -> bool:
        return not self.missing_explanations

    def row(self, generic: str) -> ReportRow:
        for r in self.rows:
            if r.generic == generic:
                return r
        raise KeyError(generic)

    def to_json(self) -> dict[str, object]:
        return {
            "institution": self.institution_code,
            "report_year": self.report_year,
            "as_of": self.as_of.isoformat(),
            "profile": self.profile,
            "method": METHOD,
            "limits": {"low": float(self.low), "high": float(self.high)},
            "rows": [r.to_json() for r in self.rows],
            "missing_explanations": [r.generic for r in self.missing_explanations],
            "unreported": [r.generic for r in self.unreported],
        }


def default_report_year(as_of: dt.date) -> int:
    """Reports are made for the year after the as-of date's."""
    return as_of.year + 1


def _display_name(name: str, form: str) -> str:
    """阿莫西林 + 胶囊 → 阿莫西林胶囊; 片剂 written as 片, as agreements spell it."""
    form = form.strip()
    if form.endswith("片剂"):
        form = form[:-1]
    return name.strip() + (form if not name.strip().endswith(form) else "")


def generic_keys(generic: str) -> frozenset[tuple[str, str]]:
    """The normalised (name, form) keys a 通用名 written as one string stands for."""
    from pharmacy_app.indicators.agreements import agreement_keys

    return agreement_keys(generic)


@dataclass
class _Candidate:
    generic: str
    batch: str
    origin: str
    keys: set[tuple[str, str]]
    codes: set[str] = field(default_factory=set)


def _same(a: str, b: str) -> bool:
    return normalise_name(a) == normalise_name(b)


def _candidates(conn: sqlite3.Connection, institution_code: str) -> list[_Candidate]:
    """Agreement 通用名 (latest batch first), then VBP catalogue 通用名 without an agreement."""
    out: list[_Candidate] = []
    rows = conn.execute(
        """SELECT a.id, a.batch, a.generic FROM agreements a
           WHERE a.institution_code = ? ORDER BY a.generic, a.start_date DESC, a.id DESC""",
        (institution_code,),
    ).fetchall()
    by_id: dict[int, _Candidate] = {}
    for aid, batch, generic in rows:
        found = next((c for c in out if _same(c.generic, generic)), None)
        if found is None:
            found = _Candidate(generic, batch, "agreement", set(generic_keys(generic)))
            out.append(found)
        by_id[aid] = found
    if by_id:
        for aid, code in conn.execute(
            "SELECT agreement_id, code FROM agreement_products WHERE role IN ('selected', 'backup')"
        ):
            c = by_id.get(aid)
            if c is not None:
                c.codes.add(code)
    selected_codes = {code for c in out for code in c.codes}
    if selected_codes:
        # The agreement's own products define its 通用名 too (a spelling the parser misses).
        owner_of = {code: c for c in out for code in c.codes}
        for code, name, form in conn.execute(
            """SELECT code, generic_name, dosage_form FROM products
               WHERE code IN (SELECT value FROM json_each(?))""",
            (json.dumps(sorted(selected_codes)),),
        ):
            owner_of[code].keys.add(product_candidates(name, form or "")[0])
    products = conn.execute(
        """SELECT code, generic_name, dosage_form, vbp_batch FROM products
           WHERE kind = 'drug' AND is_vbp = 1 AND active = 1 ORDER BY generic_name, dosage_form, code"""
    ).fetchall()
    for code, name, form, batch in products:
        keys = set(product_candidates(name, form or ""))
        if code in selected_codes or any(c.keys & keys for c in out):
            continue
        out.append(_Candidate(_display_name(name, form or ""), batch or "", "catalogue", keys))
    return out


def _stored(conn: sqlite3.Connection, institution_code: str, year: int) -> list[sqlite3.Row]:
    return conn.execute(
        """SELECT generic, batch, quantity, explanation FROM reported_volumes
           WHERE institution_code = ? AND report_year = ? ORDER BY id""",
        (institution_code, year),
    ).fetchall()


def _exact(value: float | int | None) -> Fraction:
    if value is None:
        return Fraction(0)
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(value).limit_denominator(1_000_000)


def _quantities(
    conn: sqlite3.Connection,
    institution_code: str,
    candidates: Sequence[_Candidate],
    periods: Sequence[tuple[dt.date, dt.date]],
) -> list[list[Fraction]]:
    """Smallest units purchased per candidate and period (one SQL pass per period)."""
    wanted = set().union(*(c.keys for c in candidates)) if candidates else set()
    conversion: dict[str, int] = {}
    codes_of_key: dict[tuple[str, str], set[str]] = {}
    for code, name, form, conv in conn.execute(
        "SELECT code, generic_name, dosage_form, conversion FROM products"
    ):
        conversion[code] = int(conv or 1)
        keys = set(product_candidates(name, form or ""))
        bare = (normalise_name(name), "")
        keys.add(bare)
        for k in keys & wanted:
            codes_of_key.setdefault(k, set()).add(code)
    code_sets = []
    for c in candidates:
        codes = set(c.codes)
        for k in c.keys:
            codes |= codes_of_key.get(k, set())
        code_sets.append(codes)
    all_codes = sorted(set().union(*code_sets)) if code_sets else []
    result = [[Fraction(0)] * len(periods) for _ in candidates]
    if not all_codes:
        return result
    for p, (start, end) in enumerate(periods):
        sums = {
            code: _exact(qty) * conversion.get(code, 1)
            for code, qty in conn.execute(
                """SELECT code, sum(qty) FROM purchase_lines
                   WHERE code IN (SELECT value FROM json_each(?)) AND institution_code = ?
                     AND ordered_at >= ? AND ordered_at < ?
                   GROUP BY code""",
                (json.dumps(all_codes), institution_code, start.isoformat(),
                 (end + dt.timedelta(days=1)).isoformat()),
            )
        }
        for i, codes in enumerate(code_sets):
            result[i][p] = sum((sums.get(code, Fraction(0)) for code in codes), Fraction(0))
    return result


def compute_report(
    conn: sqlite3.Connection,
    as_of: dt.date,
    report_year: int | None = None,
    profile: PolicyProfile | None = None,
) -> VolumeReport:
    """The report for `report_year` (default: the year after `as_of`) as of the end of `as_of`."""
    from pharmacy_app.indicators import require_institution

    inst = require_institution(conn)
    profile = profile or active_profile(conn)
    year = report_year or default_report_year(as_of)
    low, high = limits(profile)
    candidates = _candidates(conn, inst.code)
    stored = _stored(conn, inst.code, year)
    stored_of: dict[int, sqlite3.Row] = {}
    for row in stored:
        i = next((n for n, c in enumerate(candidates) if _same(c.generic, row["generic"])), None)
        if i is None:
            keys = set(generic_keys(row["generic"]))
            candidates.append(_Candidate(row["generic"], row["batch"], "user", keys))
            i = len(candidates) - 1
        stored_of[i] = row
    quantities = _quantities(
        conn, inst.code, candidates, [baseline_period(as_of), year_to_date(as_of)]
    )
    rows = []
    for i, c in enumerate(candidates):
        baseline = round_half_up(quantities[i][0])
        proposal = propose(quantities[i][1], baseline, as_of)
        s = stored_of.get(i)
        quantity = None if s is None or s["quantity"] is None else int(s["quantity"])
        explanation = "" if s is None else s["explanation"]
        rows.append(ReportRow(
            generic=c.generic if s is None else s["generic"],
            batch=c.batch or ("" if s is None else s["batch"]),
            origin=c.origin,
            last_year_qty=baseline,
            proposed_qty=proposal,
            quantity=quantity,
            explanation=explanation,
            change=change_of(quantity, baseline),
            needs_explanation=needs_explanation(quantity, baseline, low, high),
            stored=s is not None,
        ))
    rows.sort(key=lambda r: (ORIGINS.index(r.origin), r.batch, r.generic))
    return VolumeReport(inst.code, inst.name, year, as_of, profile.label, low, high, rows)


# ---------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """What the user enters for one 通用名: 报量 (None = not reported) and 说明."""

    generic: str
    quantity: int | None
    explanation: str = ""
    batch: str = ""


def parse_quantity(text: object) -> int | None:
    """A 报量 cell or field: whole smallest units ≥ 0, thousands separators allowed; '' = none."""
    if text is None:
        return None
    if isinstance(text, bool):
        raise ReportError(f"报量必须是整数（最小单位），收到：{text!r}")
    if isinstance(text, int):
        value = text
    elif isinstance(text, float):
        if not text.is_integer():
            raise ReportError(f"报量必须是整数（最小单位），收到：{text}")
        value = int(text)
    else:
        t = unicodedata.normalize("NFKC", str(text)).strip().replace(",", "").replace(" ", "")
        if not t:
            return None
        if not re.fullmatch(r"[+-]?\d+(\.0*)?", t):
            raise ReportError(f"报量必须是整数（最小单位），收到：「{text}」")
        value = int(Decimal(t))
    if value < 0:
        raise ReportError(f"报量不能为负数，收到：{value}")
    if value > MAX_QUANTITY:
        raise ReportError(f"报量过大：{value}")
    return value


def save_entries(
    conn: sqlite3.Connection,
    report_year: int,
    entries: Iterable[Entry],
    *,
    by: str = "",
    source: str = "manual",
) -> int:
    """Store the entries of one report year in one transaction; how many rows changed.

    A 通用名 already stored (same name after normalisation) is updated, a new
    one added. Every entry is checked before anything is written.
    """
    from pharmacy_app.indicators import require_institution

    inst = require_institution(conn)
    entries = list(entries)
    seen: dict[str, str] = {}
    for e in entries:
        if not e.generic.strip():
            raise ReportError("通用名不能为空")
        if e.quantity is not None and (e.quantity < 0 or e.quantity > MAX_QUANTITY):
            raise ReportError(f"{e.generic}：报量无效（{e.quantity}）")
        key = normalise_name(e.generic)
        if key in seen:
            raise ReportError(f"通用名「{e.generic}」重复出现（与「{seen[key]}」相同）")
        seen[key] = e.generic
    existing = {normalise_name(r["generic"]): r["generic"] for r in _stored(conn, inst.code, report_year)}
    changed = 0
    with transaction(conn):
        for e in entries:
            name = existing.get(normalise_name(e.generic), e.generic.strip())
            cur = conn.execute(
                """INSERT INTO reported_volumes
                       (institution_code, report_year, batch, generic, quantity, explanation,
                        source, entered_by)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (institution_code, report_year, generic) DO UPDATE SET
                       quantity = excluded.quantity, explanation = excluded.explanation,
                       batch = CASE WHEN excluded.batch = '' THEN reported_volumes.batch
                                    ELSE excluded.batch END,
                       source = excluded.source, entered_by = excluded.entered_by,
                       version = reported_volumes.version + 1,
                       updated_at = strftime('%Y-%m-%d %H:%M:%S', 'now', 'localtime')
                   WHERE (reported_volumes.quantity, reported_volumes.explanation)
                         IS NOT (excluded.quantity, excluded.explanation)""",
                (inst.code, report_year, e.batch.strip(), name, e.quantity,
                 e.explanation.strip(), source, by.strip()),
            )
            changed += cur.rowcount
    return changed


def fill_proposals(conn: sqlite3.Connection, as_of: dt.date, report_year: int | None = None,
                   *, by: str = "") -> int:
    """Enter the proposal as 报量 for every 通用名 not reported yet; how many were filled."""
    report = compute_report(conn, as_of, report_year)
    entries = [
        Entry(r.generic, r.proposed_qty, r.explanation, r.batch)
        for r in report.rows if r.quantity is None
    ]
    if entries:
        save_entries(conn, report.report_year, entries, by=by)
    return len(entries)


def remove_generic(conn: sqlite3.Connection, report_year: int, generic: str) -> bool:
    """Delete a user-added 通用名 (agreement and catalogue ones stay on the report)."""
    from pharmacy_app.indicators import require_institution

    inst = require_institution(conn)
    with transaction(conn):
        cur = conn.execute(
            "DELETE FROM reported_volumes WHERE institution_code=? AND report_year=? AND generic=?",
            (inst.code, report_year, generic),
        )
    return cur.rowcount > 0


# ---------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------
def _header(text: object) -> str:
    """`报量（最小单位）` → `报量`; full-width and spaces folded."""
    t = unicodedata.normalize("NFKC", "" if text is None else str(text))
    t = re.sub(r"\s+", "", t)
    t = re.sub(r"[(\[].*?[)\]]", "", t)
    return t.strip("*:#")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_rows(path: Path) -> list[list[object]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xls", ".xlsm", ".ods"):
        from python_calamine import CalamineWorkbook

        try:
            book = CalamineWorkbook.from_path(str(path))
            return [list(r) for r in book.get_sheet_by_index(0).to_python(skip_empty_area=False)]
        except Exception as exc:  # calamine raises its own error types for broken files
            raise ReportError(f"文件「{path.name}」无法读取：{exc}") from None
    if suffix in (".csv", ".txt", ""):
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - gb18030 decodes any byte string
            raise ReportError(f"文件「{path.name}」编码无法识别（可用 UTF-8 或 GBK）")
        return [list(r) for r in csv.reader(text.splitlines())]
    raise ReportError(f"文件「{path.name}」：不支持的文件类型 {path.suffix}（可用 .xlsx、.xls、.csv）")


def read_report_file(path: str | Path) -> list[Entry]:
    """The entries of an xlsx/csv report file (通用名, 报量, 说明), all checked.

    A title row above the header is skipped (the header is the first row that
    names 通用名 and 报量). Raises ReportError naming the file, row and column
    of every problem; nothing is returned unless every row is good.
    """
    path = Path(path)
    if not path.exists():
        raise ReportError(f"文件「{path.name}」不存在")
    rows = _read_rows(path)
    header_at = None
    columns: dict[str, int] = {}
    for i, row in enumerate(rows[:10]):
        names = [_header(c) for c in row]
        found = {}
        for fld, aliases in IMPORT_FIELDS.items():
            for j, n in enumerate(names):
                if n in aliases:
                    found[fld] = j
                    break
        if "generic" in found and "quantity" in found:
            header_at, columns = i, found
            break
    if header_at is None:
        raise ReportError(
            f"文件「{path.name}」：前 10 行中找不到表头（需要「通用名」和「报量」两列，可选「说明」）"
        )
    problems: list[str] = []
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        cells = [_cell_text(c) for c in row]
        if not any(cells):
            continue

        def cell(fld: str, cells: list[str] = cells) -> str:
            j = columns.get(fld)
            return cells[j] if j is not None and j < len(cells) else ""

        generic = cell("generic")
        where = f"文件「{path.name}」第{i}行"
        if not generic:
            problems.append(f"{where}「通用名」列：不能为空")
            continue
        key = normalise_name(generic)
        if key in seen:
            problems.append(f"{where}「通用名」列：「{generic}」与第{seen[key]}行重复")
            continue
        seen[key] = i
        try:
            quantity = parse_quantity(cell("quantity"))
        except ReportError as exc:
            problems.append(f"{where}「报量」列：{exc}")
            continue
        entries.append(Entry(generic, quantity, cell("explanation")))
    if problems:
        raise ReportError("\n".join(problems))
    if not entries:
        raise ReportError(f"文件「{path.name}」：表头下没有数据行")
    return entries


def import_report(
    conn: sqlite3.Connection, path: str | Path, as_of: dt.date, report_year: int | None = None,
    *, by: str = "",
) -> list[Entry]:
    """Read a report file and store its rows for `report_year` (all or nothing).

    A file 通用名 that spells a report row's 通用名 differently (阿托伐他汀钙片 vs
    阿托伐他汀钙片剂) is matched to it through the normalised (name, form) keys.
    """
    entries = read_report_file(path)
    report = compute_report(conn, as_of, report_year)
    named = []
    for e in entries:
        row = next((r for r in report.rows if _same(r.generic, e.generic)), None)
        if row is None:
            keys = generic_keys(e.generic)
            row = next((r for r in report.rows if keys & generic_keys(r.generic)), None)
        named.append(Entry(row.generic if row else e.generic, e.quantity, e.explanation,
                           row.batch if row else ""))
    save_entries(conn, report.report_year, named, by=by, source="import")
    return named


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------
def export_report(report: VolumeReport, out_path: str | Path) -> Path:
    """Write the report as xlsx with the canonical headers; AV-10 refusal first.

    Raises ExportRefused naming every 通用名 whose change is beyond the limits
    without an explanation; nothing is written then. Unreported 通用名 go to
    a second sheet with the no-retention note.
    """
    out = Path(out_path)
    if out.suffix.lower() != ".xlsx":
        raise ReportError(f"报量只能导出为 .xlsx 文件：{out.name}")
    missing = report.missing_explanations
    if missing:
        raise ExportRefused([r.generic for r in missing])
    import xlsxwriter
    import xlsxwriter.exceptions

    workbook = xlsxwriter.Workbook(str(out))
    try:
        bold = workbook.add_format({"bold": True})
        number = workbook.add_format({"num_format": "#,##0"})
        pct = workbook.add_format({"num_format": "0.0%"})
        sheet = workbook.add_worksheet(f"{report.report_year}年报量")
        for c, text in enumerate(EXPORT_HEADERS):
            sheet.write_string(0, c, text, bold)
        r = 1
        for row in report.rows:
            if row.unreported:
                continue
            sheet.write_string(r, 0, report.institution_code)
            sheet.write_string(r, 1, row.batch)
            sheet.write_string(r, 2, row.generic)
            sheet.write_number(r, 3, row.last_year_qty, number)
            sheet.write_number(r, 4, row.proposed_qty, number)
            sheet.write_number(r, 5, row.quantity or 0, number)
            if row.change is None:
                sheet.write_string(r, 6, "")
            else:
                sheet.write_number(r, 6, float(row.change), pct)
            sheet.write_string(r, 7, row.explanation)
            r += 1
        sheet.set_column(0, 1, 12)
        sheet.set_column(2, 2, 22)
        sheet.set_column(3, 6, 14)
        sheet.set_column(7, 7, 40)
        sheet.freeze_panes(1, 0)
        if report.unreported:
            other = workbook.add_worksheet("未报量")
            for c, text in enumerate(("机构编码", "集采批次", "药品通用名", "上年实际采购量", "说明")):
                other.write_string(0, c, text, bold)
            for i, row in enumerate(report.unreported, start=1):
                other.write_string(i, 0, report.institution_code)
                other.write_string(i, 1, row.batch)
                other.write_string(i, 2, row.generic)
                other.write_number(i, 3, row.last_year_qty, number)
                other.write_string(i, 4, UNREPORTED_NOTE)
            other.set_column(2, 2, 22)
            other.set_column(4, 4, 40)
        # The basis on a sheet of its own: under the rows it would be read back as a
        # row without 通用名 when the exported file is edited and imported again.
        notes = workbook.add_worksheet("说明")
        notes.write_string(0, 0, f"截至 {report.as_of.isoformat()}；政策参数 {report.profile}；{METHOD}")
    finally:
        try:
            workbook.close()
        except (xlsxwriter.exceptions.FileCreateError, OSError) as exc:
            raise ReportError(f"{out}：无法写入（文件夹不存在，或文件正被占用）：{exc}") from None
    return out
