"""Agreed volumes of VBP products (约定采购量): AV-1…AV-9, AV-11, AV-12 (RULES.md; seeds 000, 001, 004).

Each agreement is one institution × batch × 通用名 with its own procurement
year; every figure here covers that year up to the end of the as-of day
(RULES.md preamble), so a line ordered at 00:00:01 the next day is ignored.

Why the design looks like this:

* Speed. A hospital holds up to ~1,000,000 purchase lines and hundreds of
  agreements. All lines are aggregated in ONE SQL query: every (agreement,
  product, time window) becomes a "segment" row passed as JSON, and SQLite
  walks the `purchase_lines(code, ordered_at)` index once per segment and
  groups by segment. Python only sees a few thousand aggregated rows.
* Exactness. Quantities, progress and shares are `Fraction`s computed once;
  floats appear only in `to_json()` (rounded to 6 places), so the boundaries
  the policy draws (exactly 50 %, exactly 30 %) are judged exactly.
* 通用名 = generic name + dosage form (RULES.md terms). Agreements spell it as
  one string (阿莫西林胶囊), the catalogue as generic_name + dosage_form, so
  both sides are reduced to the same normalised (name, form) key with
  `essential_match` — the one normalisation the app has.
* Supply emergencies (AV-7) and exemptions (AV-9) have no tables yet. They are
  accepted as arguments and, once a migration adds `agreement_emergencies` /
  `agreement_exemptions`, also read from those tables when they exist.
* AV-10 (reported volumes) is not implemented here.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache

from pharmacy_app.essential_match import (
    ALL_FORM_WORDS,
    normalise_form,
    normalise_name,
    product_candidates,
    spec_key,
    strip_form_suffix,
)
from pharmacy_app.indicators.common import Alert, as_float, without_gc_pauses
from pharmacy_app.policy import PolicyProfile

ROLES = ("selected", "backup", "substitute")
BANDS = ("complete", "incomplete", "unqualified")
BAND_LABELS = {"complete": "完成", "incomplete": "未完成", "unqualified": "不合格"}
EXEMPTION_REASONS = {
    "key_monitoring": "纳入重点监控合理用药药品目录",
    "public_health_event": "发生公共卫生事件",
    "guideline_change": "临床指南药物推荐级别变化",
    "other": "其他",
}
# Quantities come from REAL columns; sums of package counts such as 0.1 + 0.2
# are brought back to the exact fraction they stand for.
_QTY_DENOMINATOR = 1_000_000

# A quantity in smallest units: an int in the usual case (whole packages), a
# Fraction when packages were split. Ints keep 1,000 agreements' arithmetic
# cheap; every ratio is made a Fraction before dividing.
Qty = int | Fraction


# ---------------------------------------------------------------------------
# Inputs that have no table yet
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SupplyEmergency:
    """AV-7 / AV-8: a declared (经核实) supply emergency for a 通用名, both days inclusive.

    During it, backup-supplier purchases count as selected (AV-7) and
    non-selected purchases leave the assessment (AV-8), per 001 §14.
    `batch` None means every batch of that 通用名.
    """

    generic: str
    start: dt.date
    end: dt.date
    reason: str = ""
    batch: str | None = None


@dataclass(frozen=True)
class Exemption:
    """AV-9: a 通用名 not assessed for completion, with its reason and date.

    It applies to the agreement whose procurement year contains `declared_on`
    (or to the one starting on `agreement_start` when given, for exemptions
    recorded after the year ended) and only from `declared_on` on.
    """

    generic: str
    reason: str
    declared_on: dt.date
    batch: str | None = None
    agreement_start: dt.date | None = None
    note: str = ""

    @property
    def reason_label(self) -> str:
        return EXEMPTION_REASONS.get(self.reason, self.reason)


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ProductFigures:
    """One product of an agreement's 通用名 (or a listed substitute) in the procurement year.

    Quantities are smallest units (packages × conversion). `counted` is what
    the assessment counts for the product's role; `excluded` is what AV-7/AV-8
    takes out, by reason.
    """

    code: str
    role: str  # selected / backup / substitute / non_selected
    conversion: int
    equivalent_quality: bool  # 过评 or 原研 (AV-8)
    in_catalogue: bool
    qty: Qty  # every line of the year up to as-of
    counted: Qty
    emergency_as_selected: Qty = 0  # AV-7
    excluded: dict[str, Qty] = field(default_factory=dict)
    purchase_lines: int = 0
    last_year_counted: Qty = 0  # AV-6 (substitutes)
    pre_vbp_price: Fraction | None = None  # AV-11: lowest yuan per smallest unit before start

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "role": self.role,
            "qty": qty_json(self.qty),
            "counted": qty_json(self.counted),
            "emergency_as_selected": qty_json(self.emergency_as_selected),
            "excluded": {k: qty_json(v) for k, v in self.excluded.items()},
            "purchase_lines": self.purchase_lines,
            "last_year_counted": qty_json(self.last_year_counted),
            "pre_vbp_price": as_float(self.pre_vbp_price),
            "in_catalogue": self.in_catalogue,
        }


@dataclass(frozen=True)
class NotInHospital:
    """AV-12: a selected product not bought by the as-of date, with what to stock instead first.

    Suggestions exist only where the institution keeps a second product of the
    通用名 (一品两规): then backup suppliers' products come first (001 §2).
    """

    code: str
    backups: tuple[str, ...] = ()
    others: tuple[str, ...] = ()

    @property
    def suggestions(self) -> tuple[str, ...]:
        return self.backups + self.others


@dataclass(frozen=True)
class AgreementFigures:
    """Every AV figure of one agreement as of the end of `as_of`."""

    id: int
    uuid: str
    institution_code: str
    batch: str
    generic: str
    start: dt.date
    end: dt.date
    as_of: dt.date
    profile: str
    selected_price: Fraction  # yuan per smallest unit
    agreed_qty: Qty
    last_year_qty: Qty | None
    selected_qty: Qty
    non_selected_qty: Qty
    backup_qty: Qty  # backup purchases outside emergencies (excluded, AV-8)
    emergency_backup_qty: Qty  # AV-7, included in selected_qty
    excluded: dict[str, Qty]
    time_progress: Fraction
    complete_line: Fraction
    unqualified_line: Fraction
    non_selected_max: Fraction
    exemption: Exemption | None
    products: tuple[ProductFigures, ...]
    not_in_hospital: tuple[NotInHospital, ...]
    pre_vbp_lower: tuple[str, ...]  # AV-11 product codes
    substitutes_above_last_year: tuple[str, ...]  # AV-6 product codes
    emergencies: tuple[SupplyEmergency, ...] = ()
    # Another procurement year of this batch × 通用名 is stored (a renewal): the
    # subject then names the year, so an alert opens the year it is about.
    year_named: bool = False

    @property
    def subject(self) -> str:
        """How alerts name it: `batch 通用名`, with its start when a renewal shares that."""
        subject = f"{self.batch} {self.generic}"
        return f"{subject}（{self.start.isoformat()}起）" if self.year_named else subject

    # -- AV-1 ---------------------------------------------------------------
    @property
    def last_year_ratio(self) -> Fraction | None:
        """AV-1: agreed ÷ last year's use (typically 0.5–0.8 per 000)."""
        if not self.last_year_qty:
            return None
        return Fraction(self.agreed_qty) / self.last_year_qty

    # -- AV-2 / AV-3 --------------------------------------------------------
    @property
    def progress(self) -> Fraction | None:
        """AV-2: selected quantity ÷ agreed quantity (AV-4: no cap above 100 %)."""
        return Fraction(self.selected_qty) / self.agreed_qty if self.agreed_qty else None

    @property
    def behind_schedule(self) -> bool:
        """AV-2: progress below 序时进度 (001 §5)."""
        p = self.progress
        return p is not None and p < self.time_progress

    @property
    def started(self) -> bool:
        return self.as_of >= self.start

    @property
    def band(self) -> str:
        """AV-3, judged on progress at the as-of date (an empty agreement is complete).

        Before the procurement year begins (a renewal imported ahead) the band is
        what FORMATS.md says — judged on progress — but `started` is false: no
        AV-3 alert is raised and the AV-3 total leaves it out.
        """
        return band_for(self.progress, self.complete_line, self.unqualified_line)

    @property
    def exempt(self) -> bool:
        return self.exemption is not None

    @property
    def year_ended(self) -> bool:
        return self.as_of >= self.end

    # -- AV-5 ---------------------------------------------------------------
    @property
    def non_selected_share(self) -> Fraction | None:
        """AV-5: non-selected ÷ (selected + non-selected); None with no purchases."""
        total = self.selected_qty + self.non_selected_qty
        return Fraction(self.non_selected_qty) / total if total else None

    @property
    def non_selected_alert(self) -> bool:
        """AV-5: strictly above the line (exactly 30 % is not above)."""
        share = self.non_selected_share
        return share is not None and share > self.non_selected_max

    @property
    def assessment(self) -> str | None:
        """The assessment result once the year has ended (None before).

        AV-3 band, except that AV-5 above the line makes the 通用名 unqualified
        (001 §14) and AV-9 takes it out of the completion assessment. AV-9
        waives completion only (001 §14 "可不考核…约定采购量完成情况"), so an
        exempt 通用名 bought mostly non-selected is still unqualified.
        """
        if not self.year_ended:
            return None
        if self.non_selected_alert:
            return "unqualified"
        if self.exempt:
            return "exempt"
        return self.band

    @property
    def alerts(self) -> list[Alert]:
        return _alerts_of(self)

    def to_json(self) -> dict:
        """The FORMATS.md `agreements` element; extra keys follow, none renamed."""
        return {
            "batch": self.batch,
            "generic": self.generic,
            "agreed_qty": qty_json(self.agreed_qty),
            "selected_qty": qty_json(self.selected_qty),
            "progress": as_float(self.progress),
            "time_progress": as_float(self.time_progress),
            "behind_schedule": self.behind_schedule,
            "non_selected_qty": qty_json(self.non_selected_qty),
            "non_selected_share": as_float(self.non_selected_share),
            "non_selected_alert": self.non_selected_alert,
            "band": self.band,
            "exempt": self.exempt,
            # extra keys
            "started": self.started,
            "id": self.id,
            "uuid": self.uuid,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "profile": self.profile,
            "selected_price": as_float(self.selected_price),
            "last_year_qty": qty_json(self.last_year_qty),
            "last_year_ratio": as_float(self.last_year_ratio),
            "backup_qty": qty_json(self.backup_qty),
            "emergency_backup_qty": qty_json(self.emergency_backup_qty),
            "excluded": {k: qty_json(v) for k, v in self.excluded.items()},
            "exempt_reason": None if self.exemption is None else self.exemption.reason,
            "exempt_reason_label": None if self.exemption is None else self.exemption.reason_label,
            "exempt_since": None if self.exemption is None else self.exemption.declared_on.isoformat(),
            "assessment": self.assessment,
            "not_in_hospital": [
                {"code": n.code, "suggestions": list(n.suggestions), "backups": list(n.backups)}
                for n in self.not_in_hospital
            ],
            "pre_vbp_lower": list(self.pre_vbp_lower),
            "substitutes_above_last_year": list(self.substitutes_above_last_year),
            "products": [p.to_json() for p in self.products],
            "alerts": sorted({a.rule for a in self.alerts}, key=lambda r: int(r.split("-")[1])),
        }


@dataclass(frozen=True)
class AgreementTotal:
    """AV-3 (004): the total over all assessed 通用名 of the institution must also be completed."""

    agreements: int
    agreed_qty: Qty
    selected_qty: Qty
    complete_line: Fraction
    unqualified_line: Fraction

    @property
    def progress(self) -> Fraction | None:
        return Fraction(self.selected_qty) / self.agreed_qty if self.agreed_qty else None

    @property
    def band(self) -> str:
        return band_for(self.progress, self.complete_line, self.unqualified_line)

    def to_json(self) -> dict:
        return {
            "agreements": self.agreements,
            "agreed_qty": qty_json(self.agreed_qty),
            "selected_qty": qty_json(self.selected_qty),
            "progress": as_float(self.progress),
            "band": self.band,
        }


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------
def qty_json(value: Qty | None) -> int | float | None:
    """Whole quantities as int (as FORMATS.md shows them), others as a rounded float."""
    if value is None or isinstance(value, int):
        return value
    if value.denominator == 1:
        return int(value)
    return round(float(value), 6)


def exact(value: float | int | None) -> Qty:
    """A REAL column value or sum as the exact number it stands for (int when whole)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    if value.is_integer():
        return int(value)
    return Fraction(value).limit_denominator(_QTY_DENOMINATOR)


def share_param(profile: PolicyProfile, key: str) -> Fraction:
    """A profile threshold as an exact fraction (0.3 is 3/10, not the nearest double)."""
    return Fraction(str(profile[key]))


def price_fraction(text: str | float | int | None) -> Fraction:
    if text is None or text == "":
        return Fraction(0)
    try:
        return Fraction(Decimal(str(text)))
    except (InvalidOperation, ValueError):
        return Fraction(0)


def band_for(progress: Fraction | None, complete: Fraction, unqualified_below: Fraction) -> str:
    """AV-3 bands: ≥ complete line complete; < unqualified line unqualified; between incomplete.

    Exactly 50 % is incomplete and exactly 100 % complete (000 §4.3).
    """
    if progress is None or progress >= complete:
        return "complete"
    if progress < unqualified_below:
        return "unqualified"
    return "incomplete"


def time_progress(start: dt.date, end: dt.date, as_of: dt.date) -> Fraction:
    """AV-2 序时进度: elapsed ÷ days of the year, both inclusive; 0 before the start, 1 after the end."""
    total = (end - start).days + 1
    if total <= 0 or as_of < start:
        return Fraction(0)
    elapsed = (min(as_of, end) - start).days + 1
    return Fraction(min(elapsed, total), total)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, d))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def not_in_hospital_from(start: dt.date, profile: PolicyProfile) -> dt.date:
    """AV-12: first day of the Nth month of execution (month 1 starts on the start day)."""
    return add_months(start, int(profile["av_not_in_hospital_month"]) - 1)


def _shift_year(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _next_day(day: dt.date) -> str:
    """First instant after `day` as stored-timestamp text (the as-of boundary)."""
    return (day + dt.timedelta(days=1)).isoformat()


# ---------------------------------------------------------------------------
# 通用名 keys
# ---------------------------------------------------------------------------
_FORM_WORDS = frozenset(ALL_FORM_WORDS)
_LONGEST_FORM_WORD = max(map(len, ALL_FORM_WORDS))


@lru_cache(maxsize=4096)
def agreement_keys(generic: str) -> frozenset[tuple[str, str]]:
    """The normalised (name, form) keys an agreement's 通用名 stands for.

    The agreement writes name + form as one string (阿莫西林胶囊, 奥美拉唑肠溶胶囊,
    注射用头孢曲松钠); a form word ending it is the form, read through the
    same synonym table as catalogue products, so 阿托伐他汀钙片 and
    阿托伐他汀钙 + 片剂 give one key.
    """
    n = normalise_name(generic)
    keys: set[tuple[str, str]] = set()
    if n.startswith("注射用") and len(n) > 4:
        keys.add((strip_form_suffix(n, "注射用无菌粉末"), "注射用无菌粉末"))
    # Every form word the string ends with gives a key, not only the longest:
    # 克拉霉素片 ends with 素片 (a form word) as well as 片, and only the
    # shorter split gives the drug (克拉霉素 + 片剂). A wrong split names no
    # product, so it matches nothing.
    longest = True
    for size in range(min(len(n) - 1, _LONGEST_FORM_WORD), 0, -1):  # longest first
        if n[-size:] in _FORM_WORDS:
            form = normalise_form(n[-size:])
            if longest:
                keys.add((strip_form_suffix(n, form), form))
                longest = False
            keys.add((n[:-size], form))
    if not keys:
        keys.add((n, ""))
    return frozenset(keys)


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Product:
    code: str
    generic_name: str
    dosage_form: str
    specification: str
    conversion: int
    equivalent_quality: bool
    kind: str
    active: bool


@dataclass
class _Agreement:
    id: int
    uuid: str
    batch: str
    generic: str
    selected_price: Fraction
    agreed_qty: Qty
    last_year_qty: Qty | None
    start: dt.date
    end: dt.date
    roles: dict[str, str] = field(default_factory=dict)  # code → role


def _load_agreements(conn: sqlite3.Connection, institution_code: str) -> list[_Agreement]:
    rows = conn.execute(
        """SELECT id, uuid, batch, generic, selected_price, agreed_qty, last_year_qty,
                  start_date, end_date
           FROM agreements WHERE institution_code = ?
           ORDER BY batch, generic, start_date, id""",
        (institution_code,),
    ).fetchall()
    agreements = {
        r[0]: _Agreement(
            r[0], r[1], r[2], r[3], price_fraction(r[4]), exact(r[5]),
            None if r[6] is None else exact(r[6]),
            dt.date.fromisoformat(r[7][:10]), dt.date.fromisoformat(r[8][:10]),
        )
        for r in rows
    }
    if agreements:
        priority = {role: i for i, role in enumerate(ROLES)}
        for aid, code, role in conn.execute(
            "SELECT agreement_id, code, role FROM agreement_products ORDER BY id"
        ):
            a = agreements.get(aid)
            if a is None:
                continue
            # A code listed twice keeps its strongest role: selected > backup > substitute.
            if code not in a.roles or priority[role] < priority[a.roles[code]]:
                a.roles[code] = role
    return list(agreements.values())


def _load_products(
    conn: sqlite3.Connection, wanted: set[tuple[str, str]], named_codes: set[str]
) -> tuple[dict[str, _Product], dict[tuple[str, str], list[str]]]:
    """Products named by an agreement, and every drug product of a wanted 通用名 key.

    Most catalogue names start with two ideographs no wanted name starts with;
    those are skipped before normalisation (which never changes ideographs).
    """
    heads = {n[:2] for n, _f in wanted}
    by_code: dict[str, _Product] = {}
    by_key: dict[tuple[str, str], list[str]] = {}
    # The same head test in SQL first, so a large catalogue is not walked in Python.
    rows = conn.execute(
        """SELECT code, generic_name, dosage_form, specification, conversion,
                  consistency, originator, kind, active FROM products
           WHERE code IN (SELECT value FROM json_each(:named))
              OR (kind = 'drug' AND (
                    substr(generic_name, 1, 2) IN (SELECT value FROM json_each(:heads))
                    OR substr(generic_name, 1, 2) = '注射'
                    OR length(generic_name) < 2
                    OR unicode(generic_name) NOT BETWEEN 19968 AND 40959
                    OR unicode(substr(generic_name, 2, 1)) NOT BETWEEN 19968 AND 40959))""",
        {"named": json.dumps(sorted(named_codes)), "heads": json.dumps(sorted(heads), ensure_ascii=False)},
    )
    for row in rows:
        code, name, form, kind = row[0], row[1], row[2] or "", row[7]
        hits: list[tuple[str, str]] = []
        if kind == "drug":
            head = name[:2]
            if not (
                len(head) == 2
                and head not in heads
                and "\u4e00" <= head[0] <= "\u9fff"
                and "\u4e00" <= head[1] <= "\u9fff"
                and (head != "注射" or name[3:5] not in heads)
            ):
                hits = [c for c in product_candidates(name, form) if c in wanted]
                bare = (normalise_name(name), "")
                if bare in wanted:
                    hits.append(bare)
        if hits or code in named_codes:
            by_code[code] = _Product(code, name, form, row[3] or "", row[4] or 1,
                                     bool(row[5] or row[6]), kind, bool(row[8]))
            for key in hits:
                by_key.setdefault(key, []).append(code)
    return by_code, by_key


def _table_exists(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)
    ).fetchone() is not None


def stored_emergencies(conn: sqlite3.Connection, institution_code: str) -> list[SupplyEmergency]:
    """AV-7: supply emergencies the institution declared (table from migration 0005)."""
    if not _table_exists(conn, "agreement_emergencies"):
        return []
    return [
        SupplyEmergency(r[0], dt.date.fromisoformat(r[1][:10]), dt.date.fromisoformat(r[2][:10]),
                        r[3] or "", r[4] or None)
        for r in conn.execute(
            """SELECT generic, start_date, end_date, reason, batch FROM agreement_emergencies
               WHERE institution_code = ?""",
            (institution_code,),
        )
    ]


def stored_exemptions(conn: sqlite3.Connection, institution_code: str) -> list[Exemption]:
    """AV-9: exemptions the institution recorded (table from migration 0005)."""
    if not _table_exists(conn, "agreement_exemptions"):
        return []
    return [
        Exemption(r[0], r[1], dt.date.fromisoformat(r[2][:10]), r[3] or None,
                  dt.date.fromisoformat(r[4][:10]) if r[4] else None, r[5] or "")
        for r in conn.execute(
            """SELECT generic, reason, declared_on, batch, agreement_start, note
               FROM agreement_exemptions WHERE institution_code = ?""",
            (institution_code,),
        )
    ]


def _same_agreement(generic: str, batch: str | None, a: _Agreement) -> bool:
    if batch is not None and batch != a.batch:
        return False
    return bool(agreement_keys(generic) & agreement_keys(a.generic))


def _exemption_for(a: _Agreement, as_of: dt.date, exemptions: Iterable[Exemption]) -> Exemption | None:
    """AV-9: the first exemption declared by `as_of` that applies to this agreement's year."""
    for e in exemptions:
        if e.declared_on > as_of or not _same_agreement(e.generic, e.batch, a):
            continue
        if e.agreement_start is not None:
            if e.agreement_start == a.start:
                return e
        elif a.start <= e.declared_on <= a.end:
            return e
    return None


def _split(
    first: dt.date, last: dt.date, windows: Sequence[tuple[dt.date, dt.date]]
) -> list[tuple[dt.date, dt.date, bool]]:
    """[first, last] cut into consecutive inclusive pieces, each flagged inside an emergency or not."""
    inside = sorted(
        (max(s, first), min(e, last)) for s, e in windows if s <= e and s <= last and e >= first
    )
    merged: list[list[dt.date]] = []
    for s, e in inside:
        if merged and s <= merged[-1][1] + dt.timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    pieces: list[tuple[dt.date, dt.date, bool]] = []
    cursor = first
    for s, e in merged:
        if cursor < s:
            pieces.append((cursor, s - dt.timedelta(days=1), False))
        pieces.append((s, e, True))
        cursor = e + dt.timedelta(days=1)
    if cursor <= last:
        pieces.append((cursor, last, False))
    return pieces


# ---------------------------------------------------------------------------
# The one aggregation query
# ---------------------------------------------------------------------------
_SEGMENT_SQL = """
WITH w AS MATERIALIZED (
    SELECT json_extract(value, '$[0]') AS seg,
           json_extract(value, '$[1]') AS code,
           json_extract(value, '$[2]') AS first,
           json_extract(value, '$[3]') AS stop,
           json_extract(value, '$[4]') AS den,
           json_extract(value, '$[5]') AS k,
           json_extract(value, '$[6]') AS low
    FROM json_each(?)
)
SELECT w.seg, (
    SELECT json_array(
        sum(p.qty),
        sum(CASE WHEN w.k IS NULL THEN NULL
                 WHEN abs(p.amount_fen) * w.den < w.k * abs(p.qty) THEN p.qty END),
        sum(p.qty > 0),
        min(CASE WHEN w.low AND p.qty > 0 THEN p.amount_fen * 1.0 / p.qty END))
    FROM purchase_lines AS p
    WHERE p.code = w.code AND p.ordered_at >= w.first AND p.ordered_at < w.stop
      AND p.institution_code = ?)
FROM w
"""


@dataclass
class _Sums:
    qty: Qty = 0
    cheap: Qty = 0  # lines priced below the selected price per smallest unit
    lines: int = 0
    min_fen_per_package: float | None = None


_EMPTY = _Sums()


def _aggregate(
    conn: sqlite3.Connection, institution_code: str, segments: list[list[object]]
) -> dict[int, _Sums]:
    """Per segment: quantity (packages), the part below the selected price, lines, lowest package price.

    One correlated subquery per segment rather than a join with GROUP BY: the
    segment rows drive the index range scans and each yields its sums
    directly, so SQLite never sorts the joined lines. The segment CTE is
    MATERIALIZED: otherwise every reference to a segment column re-runs
    json_extract for every purchase line (3× slower on 1,000,000 lines).
    """
    if not segments:
        return {}
    out: dict[int, _Sums] = {}
    for seg, packed in conn.execute(
        _SEGMENT_SQL, (json.dumps(segments, ensure_ascii=False), institution_code)
    ):
        qty, cheap, lines, low = json.loads(packed)
        if lines is None and qty is None:
            continue  # no line in the segment
        out[int(seg)] = _Sums(exact(qty), exact(cheap), int(lines or 0), low)
    return out


# ---------------------------------------------------------------------------
# Computation
# ---------------------------------------------------------------------------
@without_gc_pauses
def compute_agreements(
    conn: sqlite3.Connection,
    institution_code: str,
    as_of: dt.date,
    profile: PolicyProfile,
    *,
    emergencies: Iterable[SupplyEmergency] = (),
    exemptions: Iterable[Exemption] = (),
) -> list[AgreementFigures]:
    """Every agreement of the institution with its AV figures as of the end of `as_of`.

    `emergencies` and `exemptions` add to those stored in the (proposed)
    tables when these exist.
    """
    agreements = _load_agreements(conn, institution_code)
    if not agreements:
        return []
    all_emergencies = [*stored_emergencies(conn, institution_code), *emergencies]
    all_exemptions = [*stored_exemptions(conn, institution_code), *exemptions]
    complete = share_param(profile, "av_complete")
    unqualified = share_param(profile, "av_unqualified_below")
    ns_max = share_param(profile, "av_non_selected_max")

    keys_of = {a.id: set(agreement_keys(a.generic)) for a in agreements}
    named = {code for a in agreements for code in a.roles}
    wanted = set().union(*keys_of.values())
    products, by_key = _load_products(conn, wanted, named)
    # The selected products define the 通用名 too (a spelling the parser misses).
    for a in agreements:
        for code, role in a.roles.items():
            p = products.get(code)
            if role == "selected" and p is not None and p.kind == "drug":
                keys_of[a.id] |= {product_candidates(p.generic_name, p.dosage_form)[0]}
    missing = {k for ks in keys_of.values() for k in ks} - wanted
    if missing:
        more, more_by_key = _load_products(conn, missing, set())
        products.update(more)
        for k, codes in more_by_key.items():
            by_key.setdefault(k, []).extend(codes)

    # Segments: per agreement × product, the year to date (cut at emergencies)
    # and the year before the start (AV-6 last year, AV-11 pre-VBP price).
    segments: list[list[object]] = []
    meta: list[tuple[int, str, str, bool]] = []  # (agreement id, code, 'year'|'base', emergency)
    members: dict[int, dict[str, str]] = {}
    emergencies_of: dict[int, tuple[SupplyEmergency, ...]] = {}
    for a in agreements:
        roles = dict(a.roles)
        # AV-5: non-selected is "neither selected nor a backup product" — also not
        # one selected or backup in another batch's agreement for this 通用名 in
        # years that overlap (two batches each buying their own would fail both).
        elsewhere = {
            code
            for b in agreements
            if b.id != a.id and keys_of[b.id] & keys_of[a.id]
            and b.start <= a.end and a.start <= b.end
            for code, role in b.roles.items() if role in ("selected", "backup")
        }
        for k in keys_of[a.id]:
            for code in by_key.get(k, ()):
                if code not in elsewhere:
                    roles.setdefault(code, "non_selected")
        members[a.id] = roles
        ems = tuple(e for e in all_emergencies if _same_agreement(e.generic, e.batch, a))
        emergencies_of[a.id] = ems
        price_fen = a.selected_price * 100
        last = min(as_of, a.end)
        pieces = _split(a.start, last, [(e.start, e.end) for e in ems]) if as_of >= a.start else []
        base_first = _shift_year(a.start, -1).isoformat()
        base_stop = min(a.start, as_of + dt.timedelta(days=1)).isoformat()
        selected_specs = _selected_specs(roles, products)
        for code in roles:
            conv = products[code].conversion if code in products else 1
            role = roles[code]
            # A line is "cheap" (AV-8) when amount / (qty × conv) < price, i.e.
            # |amount_fen| × den < num × conv × |qty| with price_fen = num / den:
            # integers, so the boundary (equal price) is exact. Only non-selected
            # and substitute lines need it; NULL skips the arithmetic.
            cheap = [price_fen.denominator, price_fen.numerator * conv]
            no_cheap: list[object] = [None, None]
            for first, stop, in_emergency in pieces:
                meta.append((a.id, code, "year", in_emergency))
                segments.append([
                    len(segments), code, first.isoformat(), _next_day(stop),
                    *(cheap if role in ("non_selected", "substitute") else no_cheap), 0,
                ])
            # The year before the start is read only where a rule looks at it:
            # substitutes (AV-6) and products of a selected 品规 (AV-11).
            same_spec = role != "substitute" and _spec_of(products.get(code)) in selected_specs
            if (role == "substitute" or same_spec) and base_first < base_stop:
                meta.append((a.id, code, "base", False))
                segments.append([
                    len(segments), code, base_first, base_stop,
                    *(cheap if role == "substitute" else no_cheap), 1 if same_spec else 0,
                ])
    sums = _aggregate(conn, institution_code, segments)

    per: dict[tuple[int, str], dict[str, _Sums]] = {}
    for seg_id, (aid, code, kind, in_emergency) in enumerate(meta):
        s = sums.get(seg_id)
        if s is None:
            continue
        slot = per.setdefault((aid, code), {})
        name = "base" if kind == "base" else ("emergency" if in_emergency else "normal")
        acc = slot.setdefault(name, _Sums())
        acc.qty += s.qty
        acc.cheap += s.cheap
        acc.lines += s.lines
        if s.min_fen_per_package is not None and (
            acc.min_fen_per_package is None or s.min_fen_per_package < acc.min_fen_per_package
        ):
            acc.min_fen_per_package = s.min_fen_per_package

    results = []
    for a in agreements:
        results.append(
            _figures(institution_code, a, members[a.id], per, products, as_of, profile,
                     complete, unqualified, ns_max,
                     _exemption_for(a, as_of, all_exemptions), emergencies_of[a.id])
        )
    years = Counter((f.batch, f.generic) for f in results)
    return [replace(f, year_named=True) if years[(f.batch, f.generic)] > 1 else f
            for f in results]


def _figures(
    institution_code: str,
    a: _Agreement,
    roles: dict[str, str],
    per: dict[tuple[int, str], dict[str, _Sums]],
    products: dict[str, _Product],
    as_of: dt.date,
    profile: PolicyProfile,
    complete: Fraction,
    unqualified: Fraction,
    ns_max: Fraction,
    exemption: Exemption | None,
    emergencies: tuple[SupplyEmergency, ...],
) -> AgreementFigures:
    zero: Qty = 0
    selected_qty = non_selected_qty = backup_qty = emergency_backup = zero
    excluded: dict[str, Qty] = {}
    rows: list[ProductFigures] = []
    selected_specs = _selected_specs(roles, products)
    pre_vbp_lower: list[str] = []
    subs_above: list[str] = []
    unbought: list[str] = []

    def add_excluded(bucket: dict[str, Qty], reason: str, qty: Qty) -> None:
        if qty:
            bucket[reason] = bucket.get(reason, zero) + qty
            excluded[reason] = excluded.get(reason, zero) + qty

    for code, role in sorted(roles.items(), key=lambda kv: (_ROLE_ORDER[kv[1]], kv[0])):
        p = products.get(code)
        conv = p.conversion if p else 1
        quality = bool(p and p.equivalent_quality)
        slot = per.get((a.id, code), {})
        normal = slot.get("normal", _EMPTY)
        emerg = slot.get("emergency", _EMPTY)
        base = slot.get("base", _EMPTY)
        units = conv
        qty = (normal.qty + emerg.qty) * units
        bucket: dict[str, Qty] = {}
        as_selected = zero
        last_year = zero
        if role == "selected":
            counted = qty  # AV-4: over-completion still counts
            selected_qty += counted
        elif role == "backup":
            as_selected = emerg.qty * units  # AV-7
            counted = as_selected
            selected_qty += as_selected
            emergency_backup += as_selected
            backup_qty += normal.qty * units
            add_excluded(bucket, "backup", normal.qty * units)  # AV-8
        elif role == "substitute":
            cheap = (normal.cheap + emerg.cheap) * units if quality else zero
            add_excluded(bucket, "cheaper_equivalent", cheap)  # AV-8
            counted = qty - cheap
            last_year = (base.qty - (base.cheap if quality else zero)) * units
            if counted > last_year:  # AV-6
                subs_above.append(code)
        else:  # non-selected of the same 通用名 (AV-5)
            cheap = normal.cheap * units if quality else zero
            add_excluded(bucket, "cheaper_equivalent", cheap)  # AV-8
            add_excluded(bucket, "emergency_non_selected", emerg.qty * units)  # AV-8
            counted = normal.qty * units - cheap
            non_selected_qty += counted
        pre_price = None
        if base.min_fen_per_package is not None:
            per_package = Fraction(base.min_fen_per_package).limit_denominator(_QTY_DENOMINATOR)
            pre_price = per_package / conv / 100
            if (
                role != "substitute"
                and p is not None
                and _spec_of(p) in selected_specs
                and pre_price < a.selected_price
            ):
                pre_vbp_lower.append(code)  # AV-11
        lines = normal.lines + emerg.lines
        if role == "selected" and lines == 0:
            unbought.append(code)
        rows.append(ProductFigures(
            code=code, role=role, conversion=conv, equivalent_quality=quality,
            in_catalogue=p is not None, qty=qty, counted=counted,
            emergency_as_selected=as_selected, excluded=bucket, purchase_lines=lines,
            last_year_counted=last_year, pre_vbp_price=pre_price,
        ))

    not_in_hospital: list[NotInHospital] = []
    if as_of >= not_in_hospital_from(a.start, profile):
        # AV-12: suggest a second product only where the institution keeps one
        # (一品两规); backup suppliers' products first (001 §2).
        kept = {c for c, r in roles.items() if r in ("backup", "non_selected")
                and (p := products.get(c)) is not None and p.active}
        backups = tuple(sorted(c for c, r in roles.items() if r == "backup"))
        others = tuple(sorted(c for c in kept if roles[c] == "non_selected"))
        not_in_hospital = [
            NotInHospital(code, backups, others) if kept else NotInHospital(code)
            for code in sorted(unbought)
        ]

    return AgreementFigures(
        id=a.id, uuid=a.uuid, institution_code=institution_code, batch=a.batch, generic=a.generic,
        start=a.start, end=a.end, as_of=as_of, profile=profile.label,
        selected_price=a.selected_price, agreed_qty=a.agreed_qty, last_year_qty=a.last_year_qty,
        selected_qty=selected_qty, non_selected_qty=non_selected_qty, backup_qty=backup_qty,
        emergency_backup_qty=emergency_backup, excluded=excluded,
        time_progress=time_progress(a.start, a.end, as_of),
        complete_line=complete, unqualified_line=unqualified, non_selected_max=ns_max,
        exemption=exemption, products=tuple(rows), not_in_hospital=tuple(not_in_hospital),
        pre_vbp_lower=tuple(sorted(pre_vbp_lower)),
        substitutes_above_last_year=tuple(sorted(subs_above)), emergencies=emergencies,
    )


def _spec_of(p: _Product | None) -> tuple[str, str, str] | None:
    return None if p is None else spec_key(p.generic_name, p.dosage_form, p.specification)


def _selected_specs(roles: dict[str, str], products: dict[str, _Product]) -> set[tuple[str, str, str]]:
    """The 品规 of the selected products: AV-11 compares prices within these only."""
    return {
        spec for code, role in roles.items()
        if role == "selected" and (spec := _spec_of(products.get(code))) is not None
    }


_ROLE_ORDER = {"selected": 0, "backup": 1, "non_selected": 2, "substitute": 3}


def agreement_total(figures: Sequence[AgreementFigures], profile: PolicyProfile) -> AgreementTotal:
    """AV-3 (004): all assessed (non-exempt) 通用名 together, in smallest units.

    One procurement year per batch × 通用名 (SR-3 keeps years apart): the latest
    year started by the as-of date — not a renewal still to come, nor the
    years a renewal has followed.
    """
    latest: dict[tuple[str, str], AgreementFigures] = {}
    for f in figures:
        if f.started and (
            (f.batch, f.generic) not in latest or f.start > latest[(f.batch, f.generic)].start
        ):
            latest[(f.batch, f.generic)] = f
    assessed = [f for f in latest.values() if not f.exempt]
    return AgreementTotal(
        agreements=len(assessed),
        agreed_qty=sum((f.agreed_qty for f in assessed), 0),
        selected_qty=sum((f.selected_qty for f in assessed), 0),
        complete_line=share_param(profile, "av_complete"),
        unqualified_line=share_param(profile, "av_unqualified_below"),
    )


# ---------------------------------------------------------------------------
# Alerts
# ---------------------------------------------------------------------------
def _pct(value: Fraction | None) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


def _alerts_of(f: AgreementFigures) -> list[Alert]:
    subject = f.subject
    out: list[Alert] = []
    if not f.exempt and f.behind_schedule:
        out.append(Alert(
            "AV-2", subject, f.progress, f.time_progress,
            f"{subject}：约定量完成进度 {_pct(f.progress)}，低于序时进度 {_pct(f.time_progress)}",
        ))
    if not f.exempt and f.started and f.band == "unqualified":
        out.append(Alert(
            "AV-3", subject, f.progress, f.unqualified_line,
            f"{subject}：约定量完成进度 {_pct(f.progress)}，低于 {_pct(f.unqualified_line)}，"
            + ("考核不合格" if f.year_ended else "按当前进度将考核不合格"),
        ))
    if f.non_selected_alert:
        out.append(Alert(
            "AV-5", subject, f.non_selected_share, f.non_selected_max,
            f"{subject}：非中选产品采购占比 {_pct(f.non_selected_share)}，"
            f"超过 {_pct(f.non_selected_max)}",
        ))
    for p in f.products:
        if p.code in f.substitutes_above_last_year:
            out.append(Alert(
                "AV-6", f"{subject} / {p.code}", p.counted, p.last_year_counted,
                f"{subject}：可替代药品 {p.code} 本年度采购 {qty_json(p.counted)}，"
                f"超过上一年度采购量 {qty_json(p.last_year_counted)}",
            ))
        if p.code in f.pre_vbp_lower:
            out.append(Alert(
                "AV-11", f"{subject} / {p.code}", p.pre_vbp_price, f.selected_price,
                f"{subject}：{p.code} 集采前实际采购价 {float(p.pre_vbp_price or 0):.4f} 元"
                f"低于中选价 {float(f.selected_price):.4f} 元，请报医保部门",
            ))
    for n in f.not_in_hospital:
        hint = ""
        if n.backups:
            hint = f"；如执行一品两规，建议优先选择备供企业产品 {'、'.join(n.backups)}"
        elif n.others:
            hint = f"；本机构在用同通用名产品 {'、'.join(n.others)}，无备供企业产品"
        out.append(Alert(
            "AV-12", f"{subject} / {n.code}", None, None,
            f"{subject}：中选产品 {n.code} 执行第 {_month_no(f)} 个月仍未采购（未进院）{hint}",
        ))
    return out


def _month_no(f: AgreementFigures) -> int:
    months = (f.as_of.year - f.start.year) * 12 + f.as_of.month - f.start.month
    if f.as_of.day < f.start.day:
        months -= 1
    return months + 1


def agreement_alerts(
    conn: sqlite3.Connection,
    institution_code: str,
    as_of: dt.date,
    profile: PolicyProfile,
    *,
    emergencies: Iterable[SupplyEmergency] = (),
    exemptions: Iterable[Exemption] = (),
) -> list[Alert]:
    """Every AV alert of the institution as of `as_of`, agreement by agreement."""
    figures = compute_agreements(conn, institution_code, as_of, profile,
                                 emergencies=emergencies, exemptions=exemptions)
    return collect_alerts(figures)


def collect_alerts(figures: Iterable[AgreementFigures]) -> list[Alert]:
    """The alerts of already computed figures (the window computes figures once)."""
    return [alert for f in figures for alert in f.alerts]
