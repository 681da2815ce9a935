"""Searching, filtering and sorting the whole catalogue in memory.

Why not a Qt proxy model: measured here, `QSortFilterProxyModel` took 0.43 s
per keystroke to filter 100,000 products and 10 s to sort them (STYLE.md,
"Measured here"). This module keeps the products column by column with one
lower-case "haystack" string per product, answers a search with the list of
matching row positions (the view's index map), and caches sort orders, so a
keystroke costs a few milliseconds. It never imports Qt, so it is tested and
benchmarked without a display, and the catalogue page only maps positions to
cells.

The index is built once per load on the database worker (`load_index`) and
then only read, on the main thread.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation

# The product columns the index holds, in the order `load_index` selects them.
FIELDS = (
    "id",
    "version",
    "code",
    "kind",
    "generic_name",
    "dosage_form",
    "specification",
    "package",
    "conversion",
    "manufacturer",
    "is_essential",
    "is_vbp",
    "vbp_batch",
    "consistency",
    "originator",
    "negotiated",
    "price",
    "active",
    "pinyin",
)

FLAG_FIELDS = ("is_essential", "is_vbp", "consistency", "originator", "negotiated", "active")

# Repeated values (dosage forms, makers, packages) are shared, not copied per
# row: with 100,000 products this keeps the index to tens of megabytes.
_INTERNED = ("kind", "dosage_form", "specification", "package", "manufacturer", "vbp_batch")

# Separates the fields inside a haystack so no search term matches across two
# fields; queries are stripped of control characters, so it never matches.
_SEP = "\x1f"


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the catalogue to, besides the search text.

    For each flag: True keeps only flagged products, False only unflagged
    ones, None does not filter. `active` defaults to the products in use.
    `kind` is 'drug', 'consumable' or None for both.
    """

    active: bool | None = True
    kind: str | None = None
    is_essential: bool | None = None
    is_vbp: bool | None = None
    consistency: bool | None = None
    originator: bool | None = None
    negotiated: bool | None = None

    def conditions(self) -> list[tuple[str, object]]:
        """(field, wanted value) pairs, most selective first, for `search`."""
        out: list[tuple[str, object]] = []
        for f in fields(self):
            wanted = getattr(self, f.name)
            if wanted is None:
                continue
            out.append((f.name, wanted if f.name == "kind" else int(bool(wanted))))
        # Rare flags first: later passes then scan fewer rows.
        out.sort(key=lambda c: c[0] in ("active", "kind"))
        return out


def normalise_query(query: str) -> list[str]:
    """The search terms of a query: NFKC (full-width → ASCII), lower-case,
    split on whitespace (an IME's ideographic space included)."""
    text = unicodedata.normalize("NFKC", query).lower()
    text = "".join(ch for ch in text if ch.isprintable() or ch.isspace())
    return text.split()


def _decimal_key(text: object) -> tuple[int, Decimal]:
    """Prices sort numerically; products without a price sort last."""
    if text is None or text == "":
        return (1, Decimal(0))
    try:
        return (0, Decimal(str(text)))
    except InvalidOperation:
        return (1, Decimal(0))


class CatalogueIndex:
    """All products, column by column, with search haystacks and sort caches.

    Row positions (0 … len-1) are the index's own numbering, in the order the
    rows were given; `search` returns positions.
    """

    def __init__(
        self,
        rows: Iterable[Sequence[object]],
        *,
        form_initials: Mapping[str, str] | None = None,
    ) -> None:
        """`rows` are tuples in FIELDS order. `form_initials` maps a dosage
        form to its pinyin initials (胶囊 → 'jn') so 'amxljn' finds
        阿莫西林 + 胶囊; without it only the name's initials are searchable."""
        columns: dict[str, list[object]] = {name: [] for name in FIELDS}
        appenders = [columns[name].append for name in FIELDS]
        shared: dict[object, object] = {}
        interned = {FIELDS.index(name) for name in _INTERNED}
        for row in rows:
            for i, (append, value) in enumerate(zip(appenders, row, strict=True)):
                if i in interned:
                    value = shared.setdefault(value, value)
                append(value)
        self.columns = columns
        self._n = len(columns["id"])
        forms = form_initials or {}
        haystacks: list[str] = []
        for code, name, form, spec, maker, pinyin in zip(
            columns["code"],
            columns["generic_name"],
            columns["dosage_form"],
            columns["specification"],
            columns["manufacturer"],
            columns["pinyin"],
            strict=True,
        ):
            pinyin = str(pinyin or "")
            name_initials = pinyin.split(" ", 1)[0]
            haystacks.append(
                _SEP.join(
                    (
                        str(code),
                        str(name),
                        str(form),
                        str(spec),
                        str(maker),
                        pinyin,
                        name_initials + forms.get(str(form), ""),
                    )
                ).lower()
            )
        self._haystacks = haystacks
        self._position_of_code = {code: pos for pos, code in enumerate(columns["code"])}
        self._filter_cache: dict[Filters, list[int]] = {}
        self._rank_cache: dict[str, tuple[list[int], list[int]]] = {}
        self._last: tuple[list[str], Filters, list[int]] | None = None

    def __len__(self) -> int:
        return self._n

    def value(self, position: int, field: str) -> object:
        return self.columns[field][position]

    def position_of(self, code: str) -> int | None:
        return self._position_of_code.get(code)

    def count(self, field: str, wanted: object = 1) -> int:
        """How many products have `field` == wanted (e.g. active ones)."""
        return sum(1 for v in self.columns[field] if v == wanted)

    # -- searching ---------------------------------------------------------

    def search(
        self,
        query: str = "",
        filters: Filters | None = None,
        *,
        sort: str | None = None,
        descending: bool = False,
    ) -> list[int]:
        """Positions of the products matching every term of `query` and every
        filter, ordered by `sort` (a FIELDS name; None keeps load order).

        A term matches the code, 通用名, 剂型, 规格, 生产企业 or the pinyin
        initials. Typing one more letter narrows the previous answer instead
        of scanning every product again.
        """
        filters = filters or Filters()
        terms = normalise_query(query)
        matches = self._match(terms, filters)
        self._last = (terms, filters, matches)
        return self._ordered(matches, sort, descending)

    def _match(self, terms: list[str], filters: Filters) -> list[int]:
        candidates = self._narrowable(terms, filters)
        if candidates is None:
            candidates = self._filtered(filters)
        hay = self._haystacks
        for term in terms:
            candidates = [p for p in candidates if term in hay[p]]
        return candidates

    def _narrowable(self, terms: list[str], filters: Filters) -> list[int] | None:
        """The previous answer when the new query can only match a subset of it:
        same filters and every previous term contained in the new term at the
        same place (the user typed on)."""
        if self._last is None:
            return None
        old_terms, old_filters, old_matches = self._last
        if old_filters != filters or len(old_terms) > len(terms) or not old_terms:
            return None
        if all(old in new for old, new in zip(old_terms, terms, strict=False)):
            return old_matches
        return None

    def _filtered(self, filters: Filters) -> list[int]:
        """Positions passing the filters, cached: filters change by clicks,
        the query by keystrokes."""
        cached = self._filter_cache.get(filters)
        if cached is not None:
            return cached
        positions: Sequence[int] = range(self._n)
        for field, wanted in filters.conditions():
            column = self.columns[field]
            positions = [p for p in positions if column[p] == wanted]
        result = list(positions)
        if len(self._filter_cache) > 32:
            self._filter_cache.clear()
        self._filter_cache[filters] = result
        return result

    # -- sorting -----------------------------------------------------------

    def _sort_keys(self, field: str) -> list[object]:
        """One sort key per position for `field`, ties broken by code."""
        column = self.columns[field]
        codes = self.columns["code"]
        if field == "price":
            return [(*_decimal_key(v), c) for v, c in zip(column, codes, strict=True)]
        if field in ("generic_name", "manufacturer"):
            # Chinese users expect pinyin order, not code-point order; the
            # stored pinyin column holds the name's and the maker's initials.
            part = 0 if field == "generic_name" else 1
            keys: list[object] = []
            for value, pinyin, code in zip(column, self.columns["pinyin"], codes, strict=True):
                parts = str(pinyin or "").split(" ")
                initials = parts[part] if len(parts) > part else ""
                keys.append((initials, str(value), code))
            return keys
        return [
            (v is None, v if v is not None else 0, c) for v, c in zip(column, codes, strict=True)
        ]

    def _ranks(self, field: str) -> tuple[list[int], list[int]]:
        """(order, rank) for `field`: order lists positions sorted by it,
        rank[position] is the place in it. Computed once per field."""
        cached = self._rank_cache.get(field)
        if cached is not None:
            return cached
        keys = self._sort_keys(field)
        order = sorted(range(self._n), key=keys.__getitem__)
        rank = [0] * self._n
        for place, position in enumerate(order):
            rank[position] = place
        self._rank_cache[field] = (order, rank)
        return order, rank

    def _ordered(self, matches: list[int], sort: str | None, descending: bool) -> list[int]:
        if sort is None:
            result = list(matches)
        else:
            if sort not in self.columns:
                raise KeyError(f"cannot sort by unknown field {sort!r}")
            order, rank = self._ranks(sort)
            if len(matches) * 16 > self._n:
                # Many matches: walk the cached order once instead of sorting.
                keep = bytearray(self._n)
                for p in matches:
                    keep[p] = 1
                result = [p for p in order if keep[p]]
            else:
                result = sorted(matches, key=rank.__getitem__)
        if descending:
            result.reverse()
        return result


SELECT_SQL = f"SELECT {', '.join(FIELDS)} FROM products ORDER BY pinyin, code"


def load_index(conn: sqlite3.Connection) -> CatalogueIndex:
    """Every product of the catalogue as an index; runs on the database worker.

    The pinyin initials of the dosage forms are computed here (there are only
    a few dozen distinct forms) so 'amxljn' finds 阿莫西林 胶囊.
    """
    from pharmacy_app.catalogue import pinyin_initials

    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: a third faster than sqlite3.Row
    rows = cursor.execute(SELECT_SQL).fetchall()
    forms = {str(r[5]) for r in rows if r[5]}
    return CatalogueIndex(rows, form_initials={f: pinyin_initials(f) for f in forms})
