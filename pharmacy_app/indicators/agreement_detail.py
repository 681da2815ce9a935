"""What the agreements page shows beyond the AV figures: rows, months, purchase lines.

The figures themselves (AV-1…AV-9, AV-11, AV-12) come from
`indicators.agreements.compute_agreements`, the function `compute_indicators`
and the command line call, so the page and `pharmacy-app indicators --json`
can never disagree. This module adds:

* `load_agreements_view`: those figures plus the selected products' names and
  manufacturers, the AV-3 total and the profile, in one worker call;
* `filter_rows`: the page's filter (behind schedule / unqualified / all) and
  search, done here rather than in a Qt proxy (STYLE.md: filter in the data layer);
* `agreement_lines`: every purchase line behind one agreement's figures, each
  classified the way the AV rules count it (selected, AV-7 backup in an
  emergency, AV-8 exclusions, non-selected, substitute);
* `monthly_series`: those lines summed per calendar month, with the cumulative
  progress against 序时进度 at each month end.

Why lines are classified here instead of reusing the aggregate: the
aggregate query sums whole segments in SQL for speed and never exposes a
single line. The classification below applies the same AV-7/AV-8 rules to
one line at a time, reading the roles, conversions, quality flags,
emergencies and selected price from the agreement's own `AgreementFigures`;
`LinesSummary` totals them back, and tests require those totals to equal the
figures of `compute_agreements` for every demo agreement and several as-of
dates, and the monthly cumulative sums to equal `compute_agreements` run as of
each month end.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from pharmacy_app.indicators.agreements import (
    AgreementFigures,
    AgreementTotal,
    Qty,
    agreement_total,
    compute_agreements,
    exact,
    time_progress,
)
from pharmacy_app.policy import PolicyProfile

# How a purchase line counts (the `counts_as` of a LineRow).
SELECTED = "selected"  # AV-2: selected product (AV-4: also above 100 %)
EMERGENCY_BACKUP = "emergency_backup"  # AV-7: backup product in a declared emergency
BACKUP = "backup"  # AV-8: backup product outside emergencies, excluded
NON_SELECTED = "non_selected"  # AV-5: counted in the non-selected share
CHEAPER_EQUIVALENT = "cheaper_equivalent"  # AV-8: cheaper 过评/原研 product, excluded
EMERGENCY_NON_SELECTED = "emergency_non_selected"  # AV-8: non-selected during an emergency
SUBSTITUTE = "substitute"  # AV-6: substitutable drug, counted against last year
COUNTS_AS = (
    SELECTED, EMERGENCY_BACKUP, BACKUP, NON_SELECTED, CHEAPER_EQUIVALENT,
    EMERGENCY_NON_SELECTED, SUBSTITUTE,
)
# The AV-8 exclusion reasons of AgreementFigures.excluded, per classification.
EXCLUSION_OF = {
    BACKUP: "backup",
    CHEAPER_EQUIVALENT: "cheaper_equivalent",
    EMERGENCY_NON_SELECTED: "emergency_non_selected",
}

FILTERS = ("all", "behind", "unqualified")


# ---------------------------------------------------------------------------
# The page's rows
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ProductInfo:
    """What the catalogue says about a product an agreement names."""

    code: str
    generic_name: str
    dosage_form: str
    specification: str
    manufacturer: str
    pinyin: str = ""

    @property
    def label(self) -> str:
        return " ".join(p for p in (self.generic_name + self.dosage_form, self.specification) if p)


@dataclass(frozen=True)
class AgreementRow:
    """One agreement as the page lists it: its figures and its selected products."""

    figures: AgreementFigures
    selected: tuple[ProductInfo | None, ...]
    selected_codes: tuple[str, ...]
    search_text: str

    @property
    def id(self) -> int:
        return self.figures.id

    @property
    def subject(self) -> str:
        """The alert subject of this agreement (as in Alert.subject)."""
        return self.figures.subject

    @property
    def alert_rules(self) -> tuple[str, ...]:
        """The rule IDs of the agreement's alerts, in rule order, each once."""
        rules = {a.rule for a in self.figures.alerts}
        return tuple(sorted(rules, key=lambda r: int(r.split("-")[1])))


@dataclass(frozen=True)
class AgreementsView:
    """Everything the agreements page shows as of one date."""

    institution_code: str
    institution_name: str
    as_of: dt.date
    profile_label: str
    profile_name: str
    rows: tuple[AgreementRow, ...]
    total: AgreementTotal

    def row_by_id(self, agreement_id: int) -> AgreementRow | None:
        return next((r for r in self.rows if r.id == agreement_id), None)


def _product_info(conn: sqlite3.Connection, codes: Iterable[str]) -> dict[str, ProductInfo]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return {
        r[0]: ProductInfo(r[0], r[1], r[2] or "", r[3] or "", r[4] or "", r[5] or "")
        for r in conn.execute(
            """SELECT code, generic_name, dosage_form, specification, manufacturer, pinyin
               FROM products WHERE code IN (SELECT value FROM json_each(?))""",
            (json.dumps(wanted),),
        )
    }


def load_agreements_view(
    conn: sqlite3.Connection, as_of: dt.date, profile: PolicyProfile | None = None
) -> AgreementsView:
    """The agreements page's data: `compute_agreements` (the CLI's figures) plus names."""
    from pharmacy_app.indicators import require_institution
    from pharmacy_app.policy import active_profile

    inst = require_institution(conn)
    profile = profile or active_profile(conn)
    figures = compute_agreements(conn, inst.code, as_of, profile)
    selected_of = {
        f.id: tuple(p.code for p in f.products if p.role == "selected") for f in figures
    }
    info = _product_info(conn, (c for codes in selected_of.values() for c in codes))
    rows = []
    for f in figures:
        codes = selected_of[f.id]
        products = tuple(info.get(c) for c in codes)
        words = [f.batch, f.generic, *codes]
        for p in products:
            if p is not None:
                words += [p.manufacturer, p.pinyin, p.specification]
        rows.append(AgreementRow(f, products, codes, " ".join(words).lower()))
    return AgreementsView(
        institution_code=inst.code,
        institution_name=inst.name,
        as_of=as_of,
        profile_label=profile.label,
        profile_name=profile.name,
        rows=tuple(rows),
        total=agreement_total(figures, profile),
    )


def filter_rows(rows: Sequence[AgreementRow], kind: str, text: str) -> list[AgreementRow]:
    """The rows the page shows for a filter and a search text.

    'behind': AV-2 behind 序时进度; 'unqualified': AV-3 band below the
    unqualified line or, once the year has ended, an unqualified assessment
    (AV-5 can make it so). Exempt agreements (AV-9) are not assessed, so they
    are never behind or unqualified. The search matches batch, 通用名, product
    code, manufacturer, specification and pinyin initials (`amxl`), every
    space-separated word somewhere in the row.
    """
    if kind not in FILTERS:
        raise ValueError(f"unknown filter {kind!r}")
    words = text.lower().split()
    out = []
    for row in rows:
        f = row.figures
        if kind == "behind" and (f.exempt or not f.behind_schedule):
            continue
        if kind == "unqualified" and (
            f.exempt or (f.band != "unqualified" and f.assessment != "unqualified")
        ):
            continue
        if any(w not in row.search_text for w in words):
            continue
        out.append(row)
    return out


# ---------------------------------------------------------------------------
# Purchase lines behind one agreement
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LineRow:
    """One purchase line of the agreement's year up to as-of, and how it counts."""

    ordered_at: str
    order_id: str
    line_no: str
    code: str
    product: str
    manufacturer: str
    role: str  # selected / backup / non_selected / substitute
    packages: Qty
    conversion: int
    units: Qty  # smallest units = packages × conversion
    amount_fen: int
    supplier: str
    in_emergency: bool
    counts_as: str  # one of COUNTS_AS

    @property
    def month(self) -> str:
        return self.ordered_at[:7]

    @property
    def excluded_reason(self) -> str | None:
        """The AV-8 reason this line is left out of the assessment, or None."""
        return EXCLUSION_OF.get(self.counts_as)


def classify_line(
    role: str, *, in_emergency: bool, below_selected_price: bool, equivalent_quality: bool
) -> str:
    """How one line counts under AV-2, AV-5, AV-7 and AV-8.

    - selected product: selected (AV-4 keeps counting above 100 %);
    - backup product: selected during a declared emergency (AV-7), else excluded (AV-8);
    - non-selected product: excluded during an emergency (AV-8), excluded when
      cheaper than the selected price per smallest unit and 过评/原研 (AV-8),
      else counted in the non-selected share (AV-5);
    - substitutable product (AV-6): the same cheaper-equivalent exclusion, else
      counted against last year's quantity.
    """
    if role == "selected":
        return SELECTED
    if role == "backup":
        return EMERGENCY_BACKUP if in_emergency else BACKUP
    cheap = below_selected_price and equivalent_quality
    if role == "substitute":
        return CHEAPER_EQUIVALENT if cheap else SUBSTITUTE
    if in_emergency:
        return EMERGENCY_NON_SELECTED
    return CHEAPER_EQUIVALENT if cheap else NON_SELECTED


def below_selected_price(amount_fen: int, packages: Qty, conversion: int, price: Fraction) -> bool:
    """AV-8: price per smallest unit strictly below the selected price (yuan per unit).

    |amount| ÷ (|packages| × conversion) < price, compared in integers so an
    equal price is never "below".
    """
    price_fen = price * 100
    return abs(amount_fen) * price_fen.denominator < price_fen.numerator * conversion * abs(
        Fraction(packages)
    )


def _year_to_date(f: AgreementFigures) -> tuple[dt.date, dt.date] | None:
    if f.as_of < f.start:
        return None
    return f.start, min(f.as_of, f.end)


def _in_emergency(f: AgreementFigures, day: dt.date) -> bool:
    return any(e.start <= day <= e.end for e in f.emergencies)


def agreement_lines(conn: sqlite3.Connection, f: AgreementFigures) -> list[LineRow]:
    """Every purchase line of `f`'s products in its year up to the end of `f.as_of`.

    Products are the agreement's own (selected, backup, substitutes) and every
    catalogue product of the same 通用名 that `compute_agreements` found
    (non-selected), read from `f.products`. Lines come back in order-time order;
    `lines_in_month` narrows them to one month for the dialog.
    """
    span = _year_to_date(f)
    if span is None or not f.products:
        return []
    first, last = span
    stop = last + dt.timedelta(days=1)
    by_code = {p.code: p for p in f.products}
    info = _product_info(conn, by_code)
    rows = conn.execute(
        """SELECT p.ordered_at, p.order_id, p.line_no, p.code, p.qty, p.amount_fen, p.supplier
           FROM json_each(?) AS c
           JOIN purchase_lines AS p
             ON p.code = c.value AND p.ordered_at >= ? AND p.ordered_at < ?
           WHERE p.institution_code = ?
           ORDER BY p.ordered_at, p.order_id, p.line_no""",
        (json.dumps(sorted(by_code)), first.isoformat(), stop.isoformat(), f.institution_code),
    ).fetchall()
    out = []
    for ordered_at, order_id, line_no, code, qty, amount_fen, supplier in rows:
        p = by_code[code]
        packages = exact(qty)
        day = dt.date.fromisoformat(str(ordered_at)[:10])
        emergency = _in_emergency(f, day)
        cheap = below_selected_price(int(amount_fen), packages, p.conversion, f.selected_price)
        pi = info.get(code)
        out.append(LineRow(
            ordered_at=str(ordered_at), order_id=str(order_id), line_no=str(line_no), code=code,
            product=pi.label if pi else "", manufacturer=pi.manufacturer if pi else "",
            role=p.role, packages=packages, conversion=p.conversion,
            units=packages * p.conversion, amount_fen=int(amount_fen), supplier=supplier or "",
            in_emergency=emergency,
            counts_as=classify_line(p.role, in_emergency=emergency, below_selected_price=cheap,
                                    equivalent_quality=p.equivalent_quality),
        ))
    return out


@dataclass
class LinesSummary:
    """Lines totalled the way the figures count them (smallest units)."""

    selected_qty: Qty = 0  # AV-2 numerator, with AV-7 emergency backup purchases
    non_selected_qty: Qty = 0  # AV-5 numerator
    emergency_backup_qty: Qty = 0  # AV-7
    backup_qty: Qty = 0  # AV-8, outside emergencies
    substitute_qty: Qty = 0  # AV-6, counted
    excluded: dict[str, Qty] = field(default_factory=dict)  # AV-8 by reason
    lines: int = 0

    def add(self, line: LineRow) -> None:
        q = line.units
        self.lines += 1
        kind = line.counts_as
        if kind in (SELECTED, EMERGENCY_BACKUP):
            self.selected_qty += q
        if kind == EMERGENCY_BACKUP:
            self.emergency_backup_qty += q
        elif kind == BACKUP:
            self.backup_qty += q
        elif kind == NON_SELECTED:
            self.non_selected_qty += q
        elif kind == SUBSTITUTE:
            self.substitute_qty += q
        reason = EXCLUSION_OF.get(kind)
        if reason is not None:
            self.excluded[reason] = self.excluded.get(reason, 0) + q


def summarise(lines: Iterable[LineRow]) -> LinesSummary:
    total = LinesSummary()
    for line in lines:
        total.add(line)
    total.excluded = {k: v for k, v in total.excluded.items() if v}
    return total


# ---------------------------------------------------------------------------
# Month by month
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class MonthPoint:
    """One calendar month of an agreement's year (first and last day clipped to it).

    `cumulative_*` and `progress` are as of the month's last day or the as-of
    date, whichever is earlier; months after the as-of date carry only the
    time-sequence line (`reached` False).
    """

    month: str  # YYYY-MM
    first: dt.date
    last: dt.date
    reached: bool
    selected_qty: Qty
    non_selected_qty: Qty
    excluded_qty: Qty
    cumulative_selected: Qty
    cumulative_non_selected: Qty
    progress: Fraction | None  # AV-2 at the month's end
    time_progress: Fraction  # 序时进度 at the month's end

    @property
    def behind(self) -> bool:
        return self.reached and self.progress is not None and self.progress < self.time_progress


def months_of(start: dt.date, end: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The calendar months from `start` to `end`, each clipped to them."""
    out = []
    first = start
    while first <= end:
        nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        last = min(end, nxt - dt.timedelta(days=1))
        out.append((f"{first.year:04d}-{first.month:02d}", first, last))
        first = nxt
    return out


def monthly_series(
    conn: sqlite3.Connection, f: AgreementFigures, lines: Sequence[LineRow] | None = None
) -> list[MonthPoint]:
    """Selected and non-selected quantities per month with cumulative AV-2 progress.

    Built from `agreement_lines` (pass them when already read), so the last
    reached month's cumulative figures are the agreement's `selected_qty` and
    `non_selected_qty`.
    """
    if lines is None:
        lines = agreement_lines(conn, f)
    per: dict[str, LinesSummary] = {}
    for line in lines:
        per.setdefault(line.month, LinesSummary()).add(line)
    points = []
    cum_sel: Qty = 0
    cum_non: Qty = 0
    for month, first, last in months_of(f.start, f.end):
        reached = first <= f.as_of
        s = per.get(month, LinesSummary())
        cum_sel += s.selected_qty
        cum_non += s.non_selected_qty
        day = min(last, f.as_of) if reached else last
        progress = Fraction(cum_sel) / f.agreed_qty if f.agreed_qty and reached else None
        points.append(MonthPoint(
            month=month, first=first, last=last, reached=reached,
            selected_qty=s.selected_qty, non_selected_qty=s.non_selected_qty,
            excluded_qty=sum(s.excluded.values(), 0),
            cumulative_selected=cum_sel, cumulative_non_selected=cum_non,
            progress=progress, time_progress=time_progress(f.start, f.end, day),
        ))
    return points


@dataclass(frozen=True)
class AgreementDetail:
    """The selected agreement's months and lines, read in one worker call."""

    agreement_id: int
    as_of: dt.date
    months: tuple[MonthPoint, ...]
    lines: tuple[LineRow, ...]
    summary: LinesSummary


def load_agreement_detail(conn: sqlite3.Connection, f: AgreementFigures) -> AgreementDetail:
    lines = agreement_lines(conn, f)
    return AgreementDetail(
        f.id, f.as_of, tuple(monthly_series(conn, f, lines)), tuple(lines), summarise(lines)
    )


def lines_in_month(lines: Sequence[LineRow], month: str | None) -> list[LineRow]:
    """The lines of one month ('YYYY-MM'), or all of them for None (the lines dialog's filter)."""
    return list(lines) if month is None else [line for line in lines if line.month == month]
