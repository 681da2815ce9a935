"""Essential-drug shares: ED-1, ED-2, ED-4 and ED-5 (RULES.md, seed 002).

Counting (RULES.md "ED"): a 品规 is a distinct normalised (通用名, 剂型, 规格)
among the ACTIVE DRUG products of the catalogue — two manufacturers of one
品规 count once, consumables never count. A 品规 is essential when its
products are flagged essential (any product of the 品规 so flagged).

Shares are exact fractions computed here, once; the window, the command line
and the PDF all read them from `EssentialFigures`.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import compress, pairwise
from typing import NamedTuple

from pharmacy_app import purchase_summary
from pharmacy_app.essential_lists import list_in_force
from pharmacy_app.essential_match import list_mappings, match_entries, spec_key
from pharmacy_app.indicators.common import without_gc_pauses
from pharmacy_app.indicators.periods import Period, months_between, natural_year_to_date
from pharmacy_app.institutions import Institution
from pharmacy_app.policy import PolicyProfile

CATALOGUE_BASIS_LEVELS = ("grassroots",)


@dataclass(frozen=True)
class CatalogueProduct:
    """What the essential-drug figures need of a product."""

    code: str
    generic_name: str
    dosage_form: str
    specification: str
    manufacturer: str
    kind: str
    active: bool
    is_essential: bool
    is_vbp: bool
    originator: bool
    negotiated: bool
    consistency: bool
    conversion: int


@dataclass(frozen=True)
class SpecRow:
    """One 品规 of the active catalogue, with the products behind it."""

    key: tuple[str, str, str]
    generic_name: str
    dosage_form: str
    specification: str
    essential: bool
    codes: tuple[str, ...]


@dataclass(frozen=True)
class EntryRow:
    """One entry of the list in force and the active products that equip it."""

    entry_id: int
    seq: str
    generic_name: str
    dosage_form: str
    specification: str | None
    category: str
    matched_codes: tuple[str, ...]


@dataclass(frozen=True)
class MonthShare:
    month: str
    essential_fen: int
    total_fen: int

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.essential_fen, self.total_fen) if self.total_fen else None


@dataclass(frozen=True)
class StructureRow:
    """ED-5: one class of drugs in the period against the same span a year before."""

    klass: str
    label: str
    amount_fen: int
    qty_units: float
    amount_fen_prev: int
    qty_units_prev: float
    price_change: float | None  # Paasche price index − 1 over products bought in both spans


@dataclass(frozen=True)
class Gap:
    """How many 品规 to change to reach the target; zero when it is met."""

    add_essential: int = 0
    retire_non_essential: int = 0
    equip_entries: int = 0


def ratio(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator else None


def as_float(value: Fraction | None) -> float | None:
    return None if value is None else round(float(value), 6)


@dataclass
class EssentialFigures:
    institution: Institution
    as_of: dt.date
    period: Period
    profile: str
    target: Fraction
    target_basis: str
    specs: list[SpecRow]
    entries: list[EntryRow] | None
    list_name: str | None
    list_effective_from: str | None
    essential_fen: int
    total_fen: int
    trend: list[MonthShare]
    structure: list[StructureRow]
    # The catalogue, read on first use of `products` by `product_loader`: the
    # figures themselves never need it, only the dashboard's lists and
    # `what_if` do. The loader reads through the connection the figures were
    # computed on, so the first use must be on that connection's thread (the
    # dashboard's worker does so right after computing).
    product_loader: Callable[[], list[CatalogueProduct]] | None = field(
        repr=False, default=None
    )
    _products: list[CatalogueProduct] | None = field(repr=False, default=None)

    @property
    def products(self) -> list[CatalogueProduct]:
        if self._products is None:
            loader = self.product_loader
            self._products = loader() if loader is not None else []
            self.product_loader = None
        return self._products

    @products.setter
    def products(self, value: list[CatalogueProduct]) -> None:
        self._products = value

    @property
    def catalogue_specs(self) -> int:
        return len(self.specs)

    @property
    def essential_specs(self) -> int:
        return sum(1 for s in self.specs if s.essential)

    @property
    def spec_share(self) -> Fraction | None:
        """ED-1: essential 品规 / all 品规 of the active catalogue."""
        return ratio(self.essential_specs, self.catalogue_specs)

    @property
    def list_entries(self) -> int:
        return len(self.entries) if self.entries is not None else 0

    @property
    def list_entries_matched(self) -> int:
        return sum(1 for e in self.entries or () if e.matched_codes)

    @property
    def list_share(self) -> Fraction | None:
        """ED-2: list entries equipped by an active product / all entries."""
        if self.entries is None:
            return None
        return ratio(self.list_entries_matched, self.list_entries)

    @property
    def basis_share(self) -> Fraction | None:
        return self.spec_share if self.target_basis == "catalogue" else self.list_share

    @property
    def meets_target(self) -> bool:
        share = self.basis_share
        return share is not None and share >= self.target

    @property
    def amount_share(self) -> Fraction | None:
        """ED-4: essential-drug purchase amount / all drug purchase amount."""
        return ratio(self.essential_fen, self.total_fen)

    def non_essential_specs(self) -> list[SpecRow]:
        return [s for s in self.specs if not s.essential]

    def unequipped_entries(self) -> list[EntryRow]:
        return [e for e in self.entries or () if not e.matched_codes]

    def gap(self) -> Gap:
        """ED-1: add x essential or retire y non-essential 品规; ED-2: equip z entries."""
        t = self.target
        if self.target_basis == "catalogue":
            total, essential = self.catalogue_specs, self.essential_specs
            if total and Fraction(essential, total) >= t:
                return Gap()
            add = math.ceil((t * total - essential) / (1 - t)) if t < 1 else 0
            retire = (total - math.floor(essential / t)) if t > 0 else 0
            if essential == 0:
                retire = 0  # retiring cannot help when nothing is essential
            return Gap(add_essential=max(add, 0), retire_non_essential=max(retire, 0))
        total, matched = self.list_entries, self.list_entries_matched
        need = math.ceil(t * total) - matched
        return Gap(equip_entries=max(need, 0))

    def to_json(self) -> dict:
        """The FORMATS.md `essential` object (more keys may follow, none renamed)."""
        return {
            "catalogue_specs": self.catalogue_specs,
            "essential_specs": self.essential_specs,
            "spec_share": as_float(self.spec_share),
            "list_entries": self.list_entries,
            "list_entries_matched": self.list_entries_matched,
            "list_share": as_float(self.list_share),
            "target": as_float(self.target),
            "target_basis": self.target_basis,
            "meets_target": self.meets_target,
            "amount_share": as_float(self.amount_share),
            "list": {"name": self.list_name, "effective_from": self.list_effective_from},
            "period": {"start": self.period.start_text, "end": self.period.end.isoformat()},
            "gap": vars(self.gap()),
            "trend": [
                {"month": m.month, "essential_amount": m.essential_fen / 100,
                 "total_amount": m.total_fen / 100, "share": as_float(m.share)}
                for m in self.trend
            ],
            "structure": [
                {"class": s.klass, "label": s.label, "amount": s.amount_fen / 100,
                 "qty": s.qty_units, "amount_prev": s.amount_fen_prev / 100,
                 "qty_prev": s.qty_units_prev,
                 "price_change": None if s.price_change is None else round(s.price_change, 6)}
                for s in self.structure
            ],
        }


def target_for(level: str, profile: PolicyProfile) -> tuple[Fraction, str]:
    """ED-1 for grassroots (catalogue basis); ED-2 for the rest (list basis)."""
    if level in CATALOGUE_BASIS_LEVELS:
        key, basis = "ed_grassroots_target", "catalogue"
    elif level == "specialty":
        key, basis = "ed_specialty_target", "list"
    else:
        key, basis = "ed_secondary_target", "list"
    return Fraction(str(profile[key])), basis


PRODUCT_COLUMNS = (
    "code", "generic_name", "dosage_form", "specification", "manufacturer", "kind", "active",
    "is_essential", "is_vbp", "originator", "negotiated", "consistency", "conversion",
)
_PRODUCT_SQL = f"SELECT {', '.join(PRODUCT_COLUMNS)} FROM products"


def product_rows(conn: sqlite3.Connection) -> list[tuple]:
    """The catalogue as plain tuples (PRODUCT_COLUMNS order, flags as stored)."""
    cur = conn.cursor()
    cur.row_factory = None  # tuples: several times cheaper than sqlite3.Row
    try:
        return cur.execute(_PRODUCT_SQL).fetchall()
    finally:
        cur.close()


def products_from_rows(rows: Iterable[tuple]) -> list[CatalogueProduct]:
    """CatalogueProduct objects from `product_rows` tuples (same order)."""
    new = object.__new__
    names = PRODUCT_COLUMNS
    out = []
    append = out.append
    for r in rows:
        # Same values as CatalogueProduct(*…) with the flags as bool, without
        # the frozen dataclass __init__'s per-field object.__setattr__.
        p = new(CatalogueProduct)
        p.__dict__.update(zip(names, (r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]),
                                      bool(r[7]), bool(r[8]), bool(r[9]), bool(r[10]),
                                      bool(r[11]), r[12]), strict=True))
        append(p)
    return out


def load_products(conn: sqlite3.Connection) -> list[CatalogueProduct]:
    return products_from_rows(product_rows(conn))


def counted(products: Iterable[CatalogueProduct]) -> list[CatalogueProduct]:
    """The products that 品规 counting sees: active drugs only."""
    return [p for p in products if p.active and p.kind == "drug"]


def catalogue_specs(products: Iterable[CatalogueProduct]) -> list[SpecRow]:
    """ED-1 counting: one row per distinct normalised (通用名, 剂型, 规格)."""
    return _specs(
        (p.code, p.generic_name, p.dosage_form, p.specification, p.is_essential)
        for p in counted(products)
    )


def _specs(items: Iterable[tuple[str, str, str, str | None, object]]) -> list[SpecRow]:
    """(code, name, form, spec, is_essential) of the counted products, in catalogue order.

    Products are first grouped by their raw (name, form, spec) — many share
    it — so `spec_key` runs once per distinct raw triple; the raw groups are
    then merged by key. A 品规's name, form and spec are those of its first
    product (the raw group seen first), as before.
    """
    raw: dict[tuple, list] = {}
    for code, name, form, spec, essential in items:
        g = raw.get((name, form, spec))
        if g is None:
            raw[(name, form, spec)] = [bool(essential), [code]]
        else:
            if essential:
                g[0] = True
            g[1].append(code)
    return _merge_specs((n, f, sp, e, c) for (n, f, sp), (e, c) in raw.items())


_SPEC_GROUPS_SQL = """
SELECT generic_name, dosage_form, specification, max(is_essential != 0),
       group_concat(code, char(31)), min(id) AS first
FROM products WHERE active AND kind = 'drug'
GROUP BY generic_name, dosage_form, specification
ORDER BY first"""


def stored_catalogue_specs(conn: sqlite3.Connection) -> list[SpecRow]:
    """`catalogue_specs(load_products(conn))`, kept in ps_catalogue_specs between calls.

    Grouping 100,000 products and normalising their keys takes ~0.35 s, and
    the catalogue changes far less often than the figures are read: the
    0007 triggers count product changes (summary_state 'products_gen'), and
    the stored 品规 are used while that count is the one they were built at.
    """
    gen = purchase_summary.products_generation(conn)
    if gen is not None and purchase_summary.specs_stamp(gen) == purchase_summary.state_value(
            conn, "specs_gen"):
        new = object.__new__

        def spec_row(key: tuple, name: str, form: str, spec: str, essential: bool,
                     codes: tuple[str, ...]) -> SpecRow:
            # SpecRow(...) without the frozen dataclass __init__'s per-field setattr.
            row = new(SpecRow)
            row.__dict__.update(key=key, generic_name=name, dosage_form=form,
                                specification=spec, essential=essential, codes=codes)
            return row

        return [
            spec_row((kn, kf, ks), name, form, spec, bool(essential), tuple(codes.split("\x1f")))
            for kn, kf, ks, name, form, spec, essential, codes in _tuples(
                conn,
                """SELECT key_name, key_form, key_spec, generic_name, dosage_form, specification,
                          essential, codes FROM ps_catalogue_specs ORDER BY seq""", ())
        ]
    rows = _tuples(conn, _SPEC_GROUPS_SQL, ())
    specs = _specs_of_raw_groups(rows)
    if gen is not None:
        purchase_summary.store_specs(conn, gen, [
            (*s.key, s.generic_name, s.dosage_form, s.specification, int(s.essential),
             "\x1f".join(s.codes))
            for s in specs
        ], [(name, form, spec, codes) for name, form, spec, _e, codes, _first in rows])
    return specs


def _group_catalogue_specs(conn: sqlite3.Connection) -> list[SpecRow]:
    """The 品规 grouped from the products table: raw (name, form, spec) in SQL, keys here."""
    return _specs_of_raw_groups(_tuples(conn, _SPEC_GROUPS_SQL, ()))


def _specs_of_raw_groups(rows: list[tuple]) -> list[SpecRow]:
    """SpecRows from _SPEC_GROUPS_SQL rows."""
    return _merge_specs(
        (name, form, spec, bool(essential), codes.split("\x1f"))
        for name, form, spec, essential, codes, _first in rows
    )


def _merge_specs(raw: Iterable[tuple[str, str, str, bool, list[str]]]) -> list[SpecRow]:
    """SpecRows from raw (name, form, spec) groups given in first-seen order."""
    groups: dict[tuple[str, str, str], list] = {}
    for name, form, spec, essential, codes in raw:
        key = spec_key(name, form, spec)
        g = groups.get(key)
        if g is None:
            groups[key] = [name, form, spec, essential, codes]
        else:
            g[3] = g[3] or essential
            g[4] = g[4] + codes
    rows = [
        SpecRow(key, name, form, spec, essential, tuple(sorted(codes)))
        for key, (name, form, spec, essential, codes) in groups.items()
    ]
    rows.sort(key=lambda s: (s.key, s.codes))
    return rows



def list_entries(
    conn: sqlite3.Connection, as_of: dt.date, products: Sequence[CatalogueProduct]
) -> tuple[list[EntryRow] | None, str | None, str | None]:
    """ED-2: entries of the list in force on `as_of` with their matching active drugs."""
    return _list_entries(conn, as_of, lambda: counted(products))


def _list_entries(
    conn: sqlite3.Connection, as_of: dt.date, counted_products: Callable[[], Iterable[object]],
    expand: dict[str, list[str]] | None = None,
) -> tuple[list[EntryRow] | None, str | None, str | None]:
    """`expand` maps a product standing for a group to the codes of its group."""
    found = list_in_force(conn, as_of)
    if found is None:
        return None, None, None
    lst, entries = found
    matches = match_entries(entries, counted_products(), list_mappings(conn))
    if expand is not None:
        matches = {k: [c for rep in codes for c in expand[rep]] for k, codes in matches.items()}
    rows = [
        EntryRow(e["id"], e["seq"], e["generic_name"], e["dosage_form"], e["specification"],
                 e["category"], tuple(sorted(matches.get(e["id"], ()))))
        for e in entries
    ]
    return rows, lst["name"], lst["effective_from"]


class _CountedGroup(NamedTuple):
    """One raw (通用名, 剂型, 规格) of the active drugs, standing for all its products."""

    code: str
    generic_name: str
    dosage_form: str
    specification: str


def _stored_list_entries(
    conn: sqlite3.Connection, as_of: dt.date
) -> tuple[list[EntryRow] | None, str | None, str | None]:
    """ED-2 for the stored catalogue, matching each raw (name, form, spec) once.

    Matching reads only a product's name, form and spec (and the name
    mappings), so products sharing all three match the same entries: 90,000
    products are ~20,000 such groups, kept with the stored 品规
    (ps_catalogue_raw) so the products table is not read (that read took
    most of ED-2's time).
    """
    stored = purchase_summary.stored_raw_groups(conn)
    if stored is None:
        stored = [(name, form, spec, codes) for name, form, spec, _e, codes, _first
                  in _tuples(conn, _SPEC_GROUPS_SQL, ())]
    groups = [(name, form, spec, codes.split("\x1f")) for name, form, spec, codes in stored]
    reps = [_CountedGroup(codes[0], name, form, spec) for name, form, spec, codes in groups]
    return _list_entries(conn, as_of, lambda: reps,
                         expand={codes[0]: codes for *_raw, codes in groups})


def _amounts_by_month_and_code(
    conn: sqlite3.Connection, institution_code: str, period: Period
) -> list[tuple[str, str, int, float]]:
    return conn.execute(
        """SELECT substr(ordered_at, 1, 7), code, sum(amount_fen), sum(qty)
           FROM purchase_lines
           WHERE institution_code = ? AND ordered_at >= ? AND ordered_at < ?
           GROUP BY 1, 2""",
        (institution_code, period.start_text, period.end_exclusive_text),
    ).fetchall()


STRUCTURE_CLASSES = (
    ("essential", "基本药物", lambda p: p.is_essential),
    ("non_essential", "非基本药物", lambda p: not p.is_essential),
    ("generic", "仿制药", lambda p: not p.originator),
    ("originator", "原研药", lambda p: p.originator),
    ("negotiated", "国家谈判药品", lambda p: p.negotiated),
    ("vbp", "集采中选药品", lambda p: p.is_vbp),
)


def use_structure(
    now: list[tuple[str, str, int, float]],
    before: list[tuple[str, str, int, float]],
    by_code: dict[str, CatalogueProduct],
) -> list[StructureRow]:
    """ED-5: amount, quantity (smallest units) and price change per class."""

    def per_code(rows: list[tuple[str, str, int, float]]) -> dict[str, tuple[int, float]]:
        acc: dict[str, tuple[int, float]] = {}
        for _month, code, fen, qty in rows:
            p = by_code.get(code)
            if p is None or p.kind != "drug":
                continue
            a, q = acc.get(code, (0, 0.0))
            acc[code] = (a + fen, q + qty * p.conversion)
        return acc

    cur, prev = per_code(now), per_code(before)
    result = []
    for klass, label, member in STRUCTURE_CLASSES:
        codes = [c for c in cur if member(by_code[c])]
        prev_codes = [c for c in prev if member(by_code[c])]
        both = [c for c in codes if c in prev and cur[c][1] > 0 and prev[c][1] > 0]
        # Paasche: this year's quantities at this year's vs last year's unit prices.
        now_value = sum(cur[c][0] for c in both)
        then_value = sum(prev[c][0] / prev[c][1] * cur[c][1] for c in both)
        change = (now_value / then_value - 1) if then_value else None
        result.append(StructureRow(
            klass, label, sum(cur[c][0] for c in codes), sum(cur[c][1] for c in codes),
            sum(prev[c][0] for c in prev_codes), sum(prev[c][1] for c in prev_codes), change,
        ))
    return result


# ED-4 and ED-5 straight from SQL when the catalogue is the stored one. The
# products table is the outer loop (CROSS JOIN fixes the order) and each drug's
# lines of the period are a range of purchase_lines_code_time, which covers
# (code, ordered_at, institution_code, amount_fen, qty) since migration 0004:
# no table lookups, and GROUP BY p.id follows the outer loop (no sort).
_MONTHLY_SQL = """
SELECT substr(l.ordered_at, 1, 7), sum(l.amount_fen),
       sum(CASE WHEN p.is_essential THEN l.amount_fen ELSE 0 END)
FROM products p CROSS JOIN purchase_lines l ON l.code = p.code
WHERE p.kind = 'drug' AND l.institution_code = ? AND l.ordered_at >= ? AND l.ordered_at < ?
GROUP BY 1"""

_PER_CODE_SQL = """
SELECT p.code, p.is_essential, p.originator, p.negotiated, p.is_vbp, p.conversion,
       sum(l.amount_fen), sum(l.qty)
FROM products p CROSS JOIN purchase_lines l ON l.code = p.code
WHERE p.kind = 'drug' AND l.institution_code = ? AND l.ordered_at >= ? AND l.ordered_at < ?
GROUP BY p.id"""


def _tuples(conn: sqlite3.Connection, sql: str, params: Sequence[object]) -> list[tuple]:
    cur = conn.cursor()
    cur.row_factory = None
    try:
        return cur.execute(sql, params).fetchall()
    finally:
        cur.close()


def _period_params(institution_code: str, period: Period) -> tuple[str, str, str]:
    return institution_code, period.start_text, period.end_exclusive_text


def monthly_amounts(
    conn: sqlite3.Connection, institution_code: str, period: Period
) -> list[MonthShare]:
    """ED-4 per month of `period`: essential and all drug purchase amounts (fen)."""
    monthly: dict[str, tuple[int, int]] = {m: (0, 0) for m in months_between(period)}
    for month, total, essential in _tuples(
        conn, _MONTHLY_SQL, _period_params(institution_code, period)
    ):
        monthly[month] = (essential, total)
    return [MonthShare(m, e, t) for m, (e, t) in sorted(monthly.items())]


# (code, is_essential, originator, negotiated, is_vbp, conversion, amount_fen, qty)
_CodeRow = tuple


def amounts_by_code(
    conn: sqlite3.Connection, institution_code: str, period: Period
) -> list[_CodeRow]:
    """ED-5 input: each drug bought in `period` with its flags, amount and quantity.

    In catalogue order (use_structure added them up in the order of the
    month first bought: the price change may differ in its last bits).
    """
    return _tuples(conn, _PER_CODE_SQL, _period_params(institution_code, period))


# Months of a period past which ED-4 is a query of its own.
_MONTH_COLUMNS_MAX = 24


def amounts_by_code_and_month(
    conn: sqlite3.Connection, institution_code: str, period: Period
) -> tuple[list[_CodeRow], list[MonthShare]]:
    """amounts_by_code and monthly_amounts of one period, in one pass over its lines.

    Each drug's row also carries its amount per month of the period (one
    FILTER column a month); ED-4 adds those up by the drug's essential flag.
    Should a line fall in no month column (a malformed ordered_at) or the
    period span many months, ED-4 is queried on its own instead.
    """
    months = months_between(period)
    if len(months) > _MONTH_COLUMNS_MAX:
        return amounts_by_code(conn, institution_code, period), monthly_amounts(
            conn, institution_code, period)
    bounds = [*months, _next_month(months[-1])]
    columns = "".join(
        f",\n       sum(l.amount_fen) FILTER (WHERE l.ordered_at >= '{lo}' AND l.ordered_at < '{hi}')"
        for lo, hi in pairwise(bounds)
    )
    sql = _PER_CODE_SQL.replace("sum(l.qty)", "sum(l.qty)" + columns, 1)
    rows = _tuples(conn, sql, _period_params(institution_code, period))
    per_code = [r[:8] for r in rows]
    if not rows:
        return per_code, [MonthShare(m, 0, 0) for m in months]
    columns = list(zip(*rows, strict=True))
    is_essential = [bool(e) for e in columns[1]]
    month_columns = [[f or 0 for f in col] for col in columns[8:]]
    total = [sum(col) for col in month_columns]
    if sum(total) != sum(columns[6]):  # a line in no month column
        return per_code, monthly_amounts(conn, institution_code, period)
    essential = [sum(compress(col, is_essential)) for col in month_columns]
    trend = [MonthShare(m, e, t) for m, e, t in zip(months, essential, total, strict=True)]
    return per_code, trend


def _next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def structure_from_codes(now: list[_CodeRow], before: list[_CodeRow]) -> list[StructureRow]:
    """ED-5 (same figures as `use_structure`) from amounts_by_code rows of both spans.

    One pass over each span's drugs instead of one per class: every class's
    sums still add its drugs in the rows' order, so float sums are those of
    `use_structure` exactly.
    """
    n = len(STRUCTURE_CLASSES)
    # Per class: amount, quantity (units), Paasche now value, Paasche then value.
    cur_sums = [[0, 0, 0, 0] for _ in range(n)]
    prev_sums = [[0, 0] for _ in range(n)]
    prev: dict[str, tuple[int, float]] = {}
    for code, essential, originator, negotiated, vbp, conversion, fen, qty in before:
        q = 0.0 + qty * conversion
        prev[code] = (fen, q)
        for k in _classes(essential, originator, negotiated, vbp):
            acc = prev_sums[k]
            acc[0] += fen
            acc[1] += q
    for code, essential, originator, negotiated, vbp, conversion, fen, qty in now:
        q = 0.0 + qty * conversion
        old = prev.get(code)
        both = old is not None and q > 0 and old[1] > 0
        then = old[0] / old[1] * q if both else 0.0  # type: ignore[index]
        for k in _classes(essential, originator, negotiated, vbp):
            acc = cur_sums[k]
            acc[0] += fen
            acc[1] += q
            if both:
                acc[2] += fen
                acc[3] += then
    result = []
    for k, (klass, label, _member) in enumerate(STRUCTURE_CLASSES):
        amount, qty_units, now_value, then_value = cur_sums[k]
        change = (now_value / then_value - 1) if then_value else None
        result.append(StructureRow(klass, label, amount, qty_units,
                                   prev_sums[k][0], prev_sums[k][1], change))
    return result


# The STRUCTURE_CLASSES indexes a drug belongs to, by (essential, originator,
# negotiated, vbp): essential|non_essential, generic|originator, negotiated, vbp.
_CLASS_INDEX = {k: i for i, (k, _l, _m) in enumerate(STRUCTURE_CLASSES)}


def _classes(essential: object, originator: object, negotiated: object, vbp: object) -> tuple:
    return _CLASS_SETS[bool(essential), bool(originator), bool(negotiated), bool(vbp)]


_CLASS_SETS = {
    (e, o, n, v): tuple(sorted(
        [_CLASS_INDEX["essential" if e else "non_essential"],
         _CLASS_INDEX["originator" if o else "generic"]]
        + ([_CLASS_INDEX["negotiated"]] if n else []) + ([_CLASS_INDEX["vbp"]] if v else [])
    ))
    for e in (False, True) for o in (False, True) for n in (False, True) for v in (False, True)
}


@without_gc_pauses
def compute_essential(
    conn: sqlite3.Connection,
    institution: Institution,
    as_of: dt.date,
    profile: PolicyProfile,
    *,
    period: Period | None = None,
    products: list[CatalogueProduct] | None = None,
) -> EssentialFigures:
    """Every essential-drug figure for `institution` as of the end of `as_of`.

    `products` lets the what-if view pass a changed catalogue without
    touching the database.
    """
    return _compute(conn, institution, as_of, profile, period=period, products=products)


def _compute(
    conn: sqlite3.Connection,
    institution: Institution,
    as_of: dt.date,
    profile: PolicyProfile,
    *,
    period: Period | None,
    products: list[CatalogueProduct] | None,
    purchases: tuple[list[MonthShare], list[StructureRow]] | None = None,
) -> EssentialFigures:
    period = period or natural_year_to_date(as_of)
    target, basis = target_for(institution.level, profile)
    if products is None:
        # The stored catalogue: grouped in SQL; objects are read if asked for.
        specs = stored_catalogue_specs(conn)
        entries, list_name, list_from = _stored_list_entries(conn, as_of)
    else:
        specs = catalogue_specs(products)
        entries, list_name, list_from = list_entries(conn, as_of, products)

    if purchases is not None:
        trend, structure = purchases
    elif products is None and purchase_summary.ensure_fresh(conn) is not None:
        now, trend = summary_amounts_by_code(conn, institution.code, period, with_months=True)
        before, _ = summary_amounts_by_code(conn, institution.code, period.shifted_years(-1))
        structure = structure_from_codes(now, before)
    elif products is None:
        now, trend = amounts_by_code_and_month(conn, institution.code, period)
        structure = structure_from_codes(
            now, amounts_by_code(conn, institution.code, period.shifted_years(-1))
        )
    else:
        trend, structure = _purchases_for_catalogue(conn, institution.code, period, products)
    return EssentialFigures(
        institution=institution,
        as_of=as_of,
        period=period,
        profile=profile.label,
        target=target,
        target_basis=basis,
        specs=specs,
        entries=entries,
        list_name=list_name,
        list_effective_from=list_from,
        essential_fen=sum(m.essential_fen for m in trend),
        total_fen=sum(m.total_fen for m in trend),
        trend=trend,
        structure=structure,
        product_loader=(lambda: load_products(conn)) if products is None else None,
        _products=products,
    )


def summary_amounts_by_code(
    conn: sqlite3.Connection, institution_code: str, period: Period, *, with_months: bool = False
) -> tuple[list[_CodeRow], list[MonthShare]]:
    """amounts_by_code (and, `with_months`, monthly_amounts) read from the purchase summaries.

    The period's whole months are columns of ps_code_year (one row per drug
    and year), its partial months come from purchase_facts (call
    `purchase_summary.ensure_fresh` first). Quantities are summed exactly
    (millionths) and returned as floats. A period across New Year is read
    from the lines.
    """
    if period.start.year != period.end.year:
        if with_months:
            return amounts_by_code_and_month(conn, institution_code, period)
        return amounts_by_code(conn, institution_code, period), []
    first, after, edges = purchase_summary.month_split(period.start, period.end)
    year = f"{period.start.year:04d}"
    full = [f"{m:02d}" for m in range(int(first[5:7]), 13)
            if f"{year}-{m:02d}" < after] if first else []
    months = months_between(period) if with_months else []
    partial = [m for m in months if m[5:7] not in full]
    edge_sql, edge_params = purchase_summary.edges_sql(edges)
    edge_months = "".join(
        f", sum(amount_fen) FILTER (WHERE month = '{m}') AS e{m[5:7]}" for m in partial)

    def total(kind: str) -> str:
        summed = " + ".join(f"y.{kind}{m}" for m in full) or "0"
        return f"{summed} + coalesce(e.{kind}, 0)"

    month_columns = "".join(
        f", y.a{m[5:7]}" if m[5:7] in full else f", coalesce(e.e{m[5:7]}, 0)" for m in months)
    # The drugs' flags from ps_product_flags (ordered by code like ps_code_year,
    # so the join walks both in step); from products if it cannot be kept.
    flags = "ps_product_flags" if purchase_summary.product_flags_current(conn) else (
        "(SELECT code, id, is_essential, originator, negotiated, is_vbp, conversion "
        "FROM products WHERE kind = 'drug')")
    rows = _tuples(
        conn,
        f"""WITH e AS MATERIALIZED (
                SELECT code, sum(amount_fen) AS a, sum(qty_u) AS q, count(*) AS n{edge_months}
                FROM purchase_facts WHERE institution_code = ? AND {edge_sql} GROUP BY code)
            SELECT p.code, p.is_essential, p.originator, p.negotiated, p.is_vbp, p.conversion,
                   {total('a')}, ({total('q')}) / {float(purchase_summary.QTY_SCALE)!r}{month_columns}
            FROM ps_code_year y JOIN {flags} p ON p.code = y.code
                 LEFT JOIN e ON e.code = y.code
            WHERE y.institution_code = ? AND y.year = ? AND {total('n')} > 0
            ORDER BY p.id""",
        (institution_code, *edge_params, institution_code, year),
    )
    per_code = [r[:8] for r in rows] if months else rows
    if not months:
        return per_code, []
    if rows:
        columns = list(zip(*rows, strict=True))
        is_essential = [bool(e) for e in columns[1]]
        month_sums = columns[8:]
    else:
        is_essential, month_sums = [], [() for _ in months]
    trend = [MonthShare(m, sum(compress(col, is_essential)), sum(col))
             for m, col in zip(months, month_sums, strict=True)]
    return per_code, trend


def _purchases_for_catalogue(
    conn: sqlite3.Connection, institution_code: str, period: Period,
    products: Sequence[CatalogueProduct],
) -> tuple[list[MonthShare], list[StructureRow]]:
    """ED-4 and ED-5 for a catalogue given in memory (flags may differ from the table)."""
    by_code = {p.code: p for p in products}
    now = _amounts_by_month_and_code(conn, institution_code, period)
    before = _amounts_by_month_and_code(conn, institution_code, period.shifted_years(-1))
    monthly: dict[str, list[int]] = {m: [0, 0] for m in months_between(period)}
    for month, code, fen, _qty in now:
        p = by_code.get(code)
        if p is None or p.kind != "drug":
            continue  # ED-4 counts drug purchases only
        cell = monthly.setdefault(month, [0, 0])
        cell[1] += fen
        if p.is_essential:
            cell[0] += fen
    trend = [MonthShare(m, e, t) for m, (e, t) in sorted(monthly.items())]
    return trend, structure_from_codes(
        _code_rows(now, products, by_code), _code_rows(before, products, by_code)
    )


def _code_rows(
    rows: list[tuple[str, str, int, float]],
    products: Sequence[CatalogueProduct],
    by_code: dict[str, CatalogueProduct],
) -> list[_CodeRow]:
    """amounts_by_code's rows (same order: the catalogue's) from per-(month, code) rows."""
    sums: dict[str, list] = {}
    for _month, code, fen, qty in rows:
        p = by_code.get(code)
        if p is None or p.kind != "drug":
            continue
        acc = sums.get(code)
        if acc is None:
            sums[code] = [fen, qty]
        else:
            acc[0] += fen
            acc[1] += qty
    out = []
    for p in products:
        acc = sums.pop(p.code, None) if by_code[p.code] is p else None
        if acc is not None:
            out.append((p.code, p.is_essential, p.originator, p.negotiated, p.is_vbp,
                        p.conversion, acc[0], acc[1]))
    return out


def what_if(
    conn: sqlite3.Connection,
    figures: EssentialFigures,
    profile: PolicyProfile,
    *,
    retire: Iterable[str] = (),
    activate: Iterable[str] = (),
) -> EssentialFigures:
    """The figures as they would be after retiring / (re)activating products.

    Nothing is written: the catalogue is changed in memory only. Purchases
    (ED-4, ED-5) do not depend on whether a product is active, so they are
    the figures' own, not queried again.
    """
    retire_set, activate_set = set(retire), set(activate)
    changed = []
    for p in figures.products:
        if p.code in retire_set:
            p = _with_active(p, False)
        elif p.code in activate_set:
            p = _with_active(p, True)
        changed.append(p)
    return _compute(conn, figures.institution, figures.as_of, profile,
                    period=figures.period, products=changed,
                    purchases=(figures.trend, figures.structure))



def _with_active(p: CatalogueProduct, active: bool) -> CatalogueProduct:
    from dataclasses import replace

    return replace(p, active=active)
