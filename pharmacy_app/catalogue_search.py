"""Searching, filtering and sorting the whole catalogue in memory.

Why not a Qt proxy model: measured here, `QSortFilterProxyModel` took 0.43 s
per keystroke to filter 100,000 products and 10 s to sort them (STYLE.md,
"Measured here"). This module keeps the products column by column with one
lower-case "haystack" string per product, answers a search with the list of
matching row positions (the view's index map), and caches sort orders, so a
keystroke costs a few milliseconds. It never imports Qt, so it is tested and
benchmarked without a display, and the catalogue page only maps positions to
cells.

The index is built on the database worker (`load_index`) and read on the
main thread. After an edit it is not rebuilt: `changes_since` (worker) reads
the products the change log names since the index was loaded, and
`CatalogueIndex.apply` (main thread) replaces or appends just those rows and
re-places them in the cached sort orders — a few milliseconds where a reload
took ~1.3 s with 100,000 products. A first sort of a column is computed by
Arrow's sort (~20-40 ms at 100,000 rows; the key-function sort took 0.2-0.5 s),
with the pure-Python sort kept for values Arrow cannot compare the same way.
"""

from __future__ import annotations

import bisect
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


def _haystack(
    code: object,
    name: object,
    form: object,
    spec: object,
    maker: object,
    pinyin: object,
    forms: Mapping[str, str],
) -> str:
    """The lower-case text a search term is looked for in, fields kept apart.

    NFKC as the query is (normalise_query): a name typed in full width (维生素Ｃ)
    is found by 维生素C, 维生素c and 维生素Ｃ alike.
    """
    pinyin = str(pinyin or "")
    name_initials = pinyin.split(" ", 1)[0]
    text = _SEP.join(
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
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


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
        haystacks = [
            _haystack(code, name, form, spec, maker, pinyin, forms)
            for code, name, form, spec, maker, pinyin in zip(
                columns["code"],
                columns["generic_name"],
                columns["dosage_form"],
                columns["specification"],
                columns["manufacturer"],
                columns["pinyin"],
                strict=True,
            )
        ]
        self._haystacks = haystacks
        self._forms = dict(forms)
        self._shared = shared
        self._position_of_code = {code: pos for pos, code in enumerate(columns["code"])}
        self._position_of_id: dict[object, int] | None = None
        self._code_ranks = None
        self._filter_cache: dict[Filters, list[int]] = {}
        self._rank_cache: dict[str, tuple[list[int], list[int]]] = {}
        self._last: tuple[list[str], Filters, list[int]] | None = None
        # Once apply() changed rows, positions are no longer in load order:
        # the load order is then kept as a sort order of its own.
        self._reordered = False
        # The change log's last seq when the rows were read (load_index sets it).
        self.log_seq = 0

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
        if field == _LOAD_ORDER:
            return [self._sort_key(field, p) for p in range(self._n)]
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

    def _sort_key(self, field: str, position: int) -> object:
        """The sort key of one position (what _sort_keys gives it)."""
        code = self.columns["code"][position]
        if field == _LOAD_ORDER:
            return (str(self.columns["pinyin"][position] or ""), code)
        value = self.columns[field][position]
        if field == "price":
            return (*_decimal_key(value), code)
        if field in ("generic_name", "manufacturer"):
            parts = str(self.columns["pinyin"][position] or "").split(" ")
            part = 0 if field == "generic_name" else 1
            return (parts[part] if len(parts) > part else "", str(value), code)
        return (value is None, value if value is not None else 0, code)

    def _ranks(self, field: str) -> tuple[list[int], list[int]]:
        """(order, rank) for `field`: order lists positions sorted by it,
        rank[position] is the place in it. Computed once per field."""
        cached = self._rank_cache.get(field)
        if cached is not None:
            return cached
        order = _fast_order(self, field)
        if order is None:
            keys = self._sort_keys(field)
            order = sorted(range(self._n), key=keys.__getitem__)
        rank = _rank_of(order)
        self._rank_cache[field] = (order, rank)
        return order, rank

    def _ordered(self, matches: list[int], sort: str | None, descending: bool) -> list[int]:
        if sort is None and not self._reordered:
            result = list(matches)  # positions are in load order
        else:
            if sort is None:
                sort = _LOAD_ORDER  # apply() changed rows: load_index's order, kept
            if sort not in self.columns and sort != _LOAD_ORDER:
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

    # -- changes after the load ------------------------------------------------

    def apply(self, changes: IndexChanges) -> bool:
        """Put changed and new products in place (main thread, milliseconds).

        Each row of `changes` replaces the row with its id, or is appended;
        cached filters and the narrowing cache are dropped, cached sort
        orders re-place just the changed positions. Returns False when the
        index no longer matches the table (count differs): reload it then.
        """
        self._forms.update(changes.form_initials)
        if changes.rows and _LOAD_ORDER not in self._rank_cache:
            # Until now positions were the load order (pinyin, code): keep it.
            loaded = list(range(self._n))
            self._rank_cache[_LOAD_ORDER] = (loaded, list(loaded))
        id_position = self._id_positions()
        code_column = self.columns["code"]
        interned = {FIELDS.index(name) for name in _INTERNED}
        touched: list[int] = []
        codes_changed = False
        for row in changes.rows:
            values = [
                self._shared.setdefault(v, v) if i in interned else v for i, v in enumerate(row)
            ]
            position = id_position.get(values[0])
            if position is None:
                position = self._n
                for name, value in zip(FIELDS, values, strict=True):
                    self.columns[name].append(value)
                self._haystacks.append("")
                self._n += 1
                id_position[values[0]] = position
                codes_changed = True
            else:
                old_code = code_column[position]
                if self._position_of_code.get(old_code) == position:
                    del self._position_of_code[old_code]
                codes_changed |= old_code != values[FIELDS.index("code")]
                for name, value in zip(FIELDS, values, strict=True):
                    self.columns[name][position] = value
            self._position_of_code[code_column[position]] = position
            c = self.columns
            self._haystacks[position] = _haystack(
                c["code"][position],
                c["generic_name"][position],
                c["dosage_form"][position],
                c["specification"][position],
                c["manufacturer"][position],
                c["pinyin"][position],
                self._forms,
            )
            touched.append(position)
        self._filter_cache.clear()
        self._last = None
        if codes_changed:
            self._code_ranks = None
        if touched:
            self._reordered = True
            for field in list(self._rank_cache):
                self._replace_in_order(field, touched)
        self.log_seq = max(self.log_seq, changes.log_seq)
        return self._n == changes.total

    def prepare_sort(self, field: str) -> None:
        """Compute the sort order of `field` now (e.g. on the worker, before the
        index reaches the main thread); unknown fields are ignored."""
        if field in self.columns:
            self._ranks(field)

    def known_forms(self) -> list[str]:
        """Dosage forms whose pinyin initials the index holds."""
        return list(self._forms)

    def _code_rank(self):  # noqa: ANN202 - numpy array, numpy imported lazily
        """Each position's place in code order (codes are unique), cached."""
        if self._code_ranks is None or len(self._code_ranks) != self._n:
            self._code_ranks = _code_ranks(self.columns["code"])
        return self._code_ranks

    def _id_positions(self) -> dict[object, int]:
        if self._position_of_id is None:
            self._position_of_id = {i: p for p, i in enumerate(self.columns["id"])}
        return self._position_of_id

    def _replace_in_order(self, field: str, positions: list[int]) -> None:
        """Move `positions` (changed or new) to their places in the cached
        order of `field`: a binary search by key, then only the ranks between
        the old and the new place are rewritten."""
        order, rank = self._rank_cache[field]
        rank.extend([-1] * (self._n - len(rank)))

        def key_of(position: int) -> object:
            return self._sort_key(field, position)

        moving = list(dict.fromkeys(positions))
        # Out first (from the back, so places stay right): what is left is sorted.
        olds = sorted(
            (rank[p] for p in moving if 0 <= rank[p] < len(order) and order[rank[p]] == p),
            reverse=True,
        )
        for place in olds:
            del order[place]
        low = high = olds[-1] if olds else len(order)
        if olds:
            high = olds[0]
        for p in moving:
            new = bisect.bisect_left(order, key_of(p), key=key_of)
            order.insert(new, p)
            low, high = min(low, new), max(high, new)
        # Moves only shift the places between (a later insert may push an
        # earlier one on by one); a new row shifts all after it.
        end = high + len(moving) + 1 if len(olds) == len(moving) else len(order)
        for place in range(low, min(end, len(order))):
            rank[order[place]] = place


# Sort "field" for the order load_index reads rows in (pinyin, then code).
_LOAD_ORDER = "__load_order__"


def _rank_of(order: list[int]) -> list[int]:
    rank = [0] * len(order)
    for place, position in enumerate(order):
        rank[position] = place
    return rank


def _value_ranks(values: Sequence[object], key=None):  # noqa: ANN001, ANN202
    """Each value's dense rank among the distinct values, as a numpy array.

    Without `key` values compare as they are and None ranks after all (the
    (v is None, v) of _sort_keys); with `key`, by key(value), None included,
    values with equal keys sharing a rank. Only the distinct values are
    sorted (a catalogue has few distinct forms, makers, names); Arrow's
    dictionary encoding maps the rows to them. Raises TypeError when values
    cannot be compared.
    """
    import numpy as np

    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.array(values)
        if not (pa.types.is_string(arr.type) or (key is None and pa.types.is_integer(arr.type))):
            raise TypeError("left to Python")
        encoded = pc.dictionary_encode(arr)
        distinct = encoded.dictionary.to_pylist()
        indices = encoded.indices.fill_null(len(distinct)).to_numpy(zero_copy_only=False)
    except (ImportError, TypeError, pa.ArrowException):
        return _value_ranks_python(values, key)
    ranks = _dense_ranks([*distinct, None], key)
    return np.asarray(ranks, dtype=np.int64)[indices]


def _dense_ranks(distinct: list[object], key) -> list[int]:  # noqa: ANN001
    """Dense ranks of pairwise unequal values (None last without `key`)."""
    if key is None:
        values = [v for v in distinct if v is not None]
        order = sorted(range(len(values)), key=values.__getitem__)
        place = {values[i]: r for r, i in enumerate(order)}
        return [place[v] if v is not None else len(values) for v in distinct]
    keys = [key(v) for v in distinct]
    order = sorted(range(len(distinct)), key=keys.__getitem__)
    ranks = [0] * len(distinct)
    rank, last = -1, _NO_KEY
    for i in order:
        if keys[i] != last:
            rank, last = rank + 1, keys[i]
        ranks[i] = rank
    return ranks


def _value_ranks_python(values: Sequence[object], key):  # noqa: ANN001, ANN202
    import numpy as np

    distinct = list(set(values))
    if key is None and None not in distinct:
        distinct.append(None)
    place = dict(zip(distinct, _dense_ranks(distinct, key), strict=True))
    return np.array(list(map(place.__getitem__, values)), dtype=np.int64)


_NO_KEY = object()


def _price_ranks(values: Sequence[object]):  # noqa: ANN202
    """_value_ranks(values, key=_decimal_key), the distinct prices ranked by Arrow.

    A plain decimal of at most 15 characters converts to a float that keeps
    the decimals' order and equalities (12.5 = 12.50); None and texts that
    are no number rank last together; anything else goes the Decimal way.
    """
    import numpy as np

    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        encoded = pc.dictionary_encode(pa.array(values, pa.string()))
        texts = encoded.dictionary
        plain = pc.and_(
            pc.match_substring_regex(texts, r"^-?[0-9]+(\.[0-9]+)?$"),
            pc.less_equal(pc.utf8_length(texts), 15),
        )
        if pc.all(plain).as_py() is False:
            return _value_ranks(values, key=_decimal_key)
        floats = pc.cast(texts, pa.float64()).to_numpy(zero_copy_only=False)
        indices = encoded.indices.fill_null(len(texts)).to_numpy(zero_copy_only=False)
    except (ImportError, TypeError, pa.ArrowException):
        return _value_ranks(values, key=_decimal_key)
    _, dense = np.unique(floats, return_inverse=True)
    ranks = np.append(dense.reshape(-1), int(dense.max()) + 1 if len(dense) else 0)
    return ranks.astype(np.int64)[indices]


def _code_ranks(codes: Sequence[object]):  # noqa: ANN202
    """Each code's place in code order; codes are unique (Arrow's sort, ~30 ms a 100,000)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.array(codes, pa.string())
        if arr.null_count == 0:
            return pc.rank(arr, sort_keys="ascending", tiebreaker="first").to_numpy() - 1
    except (ImportError, pa.ArrowException, TypeError):
        pass
    return _value_ranks(codes)


def _fast_order(index: CatalogueIndex, field: str) -> list[int] | None:
    """Positions sorted as _sort_keys says, in a few tens of milliseconds.

    Every key of _sort_keys becomes the rank of its value among the
    distinct values (compared exactly as the tuple keys compare them), and
    numpy's lexsort orders the rank columns, code last. None when values of
    one column cannot be compared (left to the plain sort).
    """
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a dependency
        return None
    columns = index.columns
    try:
        code_rank = index._code_rank()
        if field == _LOAD_ORDER:
            keys = [_value_ranks(columns["pinyin"], key=lambda v: str(v or ""))]
        elif field == "code":
            keys = []
        elif field == "price":
            keys = [_price_ranks(columns["price"])]
        elif field in ("generic_name", "manufacturer"):
            part = 0 if field == "generic_name" else 1

            def initials(pinyin: object) -> str:
                parts = str(pinyin or "").split(" ")
                return parts[part] if len(parts) > part else ""

            keys = [
                _value_ranks(columns["pinyin"], key=initials),
                _value_ranks(columns[field], key=str),
            ]
        else:
            keys = [_value_ranks(columns[field])]
    except TypeError:
        return None
    return np.lexsort([code_rank, *reversed(keys)]).tolist()


@dataclass
class IndexChanges:
    """Products changed since an index was loaded, read on the worker for apply()."""

    rows: list[tuple]
    form_initials: dict[str, str]
    log_seq: int
    total: int


# More changed products than this (a catalogue import) reload the whole index.
MAX_APPLIED = 2_000

SELECT_SQL = f"SELECT {', '.join(FIELDS)} FROM products ORDER BY pinyin, code"


def _log_seq(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0])


def load_index(conn: sqlite3.Connection) -> CatalogueIndex:
    """Every product of the catalogue as an index; runs on the database worker.

    The pinyin initials of the dosage forms are computed here (there are only
    a few dozen distinct forms) so 'amxljn' finds 阿莫西林 胶囊.
    """
    from pharmacy_app.catalogue import pinyin_initials

    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: a third faster than sqlite3.Row
    conn_in_transaction = conn.in_transaction
    if not conn_in_transaction:
        cursor.execute("BEGIN")  # the rows and the log position from one snapshot
    try:
        seq = _log_seq(conn)
        rows = cursor.execute(SELECT_SQL).fetchall()
    finally:
        if not conn_in_transaction:
            cursor.execute("COMMIT")
    forms = {str(r[5]) for r in rows if r[5]}
    index = CatalogueIndex(rows, form_initials={f: pinyin_initials(f) for f in forms})
    index.log_seq = seq
    index._code_rank()  # here on the worker, so a first sort on the main thread is quick
    return index


def changes_since(
    conn: sqlite3.Connection, log_seq: int, known_forms: Iterable[str] = ()
) -> IndexChanges | None:
    """The products the change log names after `log_seq` (database worker).

    None when the index should be reloaded instead: a product was deleted,
    more than MAX_APPLIED changed, or the log is behind `log_seq` (another
    database). `known_forms` are dosage forms the index has initials for.
    """
    from pharmacy_app.catalogue import pinyin_initials

    cursor = conn.cursor()
    cursor.row_factory = None
    conn_in_transaction = conn.in_transaction
    if not conn_in_transaction:
        cursor.execute("BEGIN")
    try:
        seq = _log_seq(conn)
        if seq < log_seq:
            return None
        logged = cursor.execute(
            "SELECT DISTINCT row_uuid, op = 'delete' FROM change_log "
            "WHERE seq > ? AND table_name = 'products'",
            (log_seq,),
        ).fetchall()
        if any(deleted for _, deleted in logged):
            return None
        uuids = sorted({u for u, _ in logged})
        if len(uuids) > MAX_APPLIED:
            return None
        rows: list[tuple] = []
        for start in range(0, len(uuids), 500):
            part = uuids[start : start + 500]
            rows.extend(
                cursor.execute(
                    f"SELECT {', '.join(FIELDS)} FROM products "
                    f"WHERE uuid IN ({', '.join('?' * len(part))}) ORDER BY pinyin, code",
                    part,
                ).fetchall()
            )
        total = int(cursor.execute("SELECT count(*) FROM products").fetchone()[0])
    finally:
        if not conn_in_transaction:
            cursor.execute("COMMIT")
    known = set(known_forms)
    forms = {str(r[5]) for r in rows if r[5] and str(r[5]) not in known}
    return IndexChanges(rows, {f: pinyin_initials(f) for f in forms}, seq, total)
