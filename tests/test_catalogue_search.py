"""Catalogue search, filters and sort in the data layer (no Qt)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pharmacy_app.catalogue import Product, pinyin_initials, save_products
from pharmacy_app.catalogue_search import (
    FIELDS,
    CatalogueIndex,
    Filters,
    load_index,
    normalise_query,
)

NAMES = [
    ("阿莫西林", "胶囊"),
    ("头孢克肟", "片"),
    ("布洛芬", "缓释胶囊"),
    ("对乙酰氨基酚", "片"),
    ("阿托伐他汀钙", "片"),
    ("苯磺酸氨氯地平", "片"),
    ("盐酸二甲双胍", "片"),
    ("奥美拉唑", "肠溶胶囊"),
    ("左氧氟沙星", "注射液"),
    ("氯化钠", "注射液"),
]
MAKERS = [
    "华北制药股份有限公司",
    "石药集团欧意药业有限公司",
    "齐鲁制药有限公司",
    "扬子江药业集团有限公司",
    "辉瑞制药有限公司",
]
FORMS = sorted({form for _, form in NAMES})


def row(i: int, name: str, form: str, maker: str, **flags: object) -> tuple:
    """A FIELDS tuple as load_index selects it."""
    values = {
        "id": i + 1,
        "version": 1,
        "code": f"XA{i:021d}",
        "kind": "drug",
        "generic_name": name,
        "dosage_form": form,
        "specification": "0.25g",
        "package": "24粒/盒",
        "conversion": 24,
        "manufacturer": maker,
        "is_essential": 0,
        "is_vbp": 0,
        "vbp_batch": "",
        "consistency": 0,
        "originator": 0,
        "negotiated": 0,
        "price": "12.5",
        "active": 1,
        "pinyin": f"{pinyin_initials(name)} {pinyin_initials(maker)}",
    }
    values.update(flags)
    return tuple(values[f] for f in FIELDS)


def make_index(rows: list[tuple]) -> CatalogueIndex:
    return CatalogueIndex(rows, form_initials={f: pinyin_initials(f) for f in FORMS})


@pytest.fixture
def small() -> CatalogueIndex:
    return make_index(
        [
            row(0, "阿莫西林", "胶囊", MAKERS[0], is_essential=1, is_vbp=1, vbp_batch="第二批"),
            row(1, "阿莫西林", "胶囊", MAKERS[4], originator=1, price="30"),
            row(2, "头孢克肟", "片", MAKERS[1], consistency=1, price="8.25"),
            row(3, "布洛芬", "缓释胶囊", MAKERS[2], negotiated=1, active=0, price=None),
            row(
                4,
                "一次性使用无菌注射器",
                "",
                MAKERS[3],
                kind="consumable",
                code="C" + "1" * 26,
                price="0.35",
            ),
        ]
    )


def names(index: CatalogueIndex, positions: list[int]) -> list[str]:
    return [str(index.value(p, "generic_name")) for p in positions]


def test_empty_query_shows_active_products_in_load_order(small):
    assert small.search("") == [0, 1, 2, 4]


def test_search_matches_chinese_name_and_manufacturer(small):
    assert names(small, small.search("阿莫西林")) == ["阿莫西林", "阿莫西林"]
    assert small.search("辉瑞") == [1]
    assert small.search("齐鲁", Filters(active=None)) == [3]


def test_search_matches_pinyin_initials(small):
    assert small.search("amxl") == [0, 1]
    # Name and dosage-form initials typed together: 阿莫西林 + 胶囊.
    assert small.search("amxljn") == [0, 1]
    # Upper case and full-width letters (a Chinese IME) are the same query.
    assert small.search("ＡＭＸＬ") == [0, 1]


def test_a_name_typed_in_full_width_is_found_by_either_width():
    index = make_index([row(0, "维生素Ｃ", "片", MAKERS[0]), row(1, "维生素B6", "片", MAKERS[1])])
    for query in ("维生素C", "维生素c", "维生素Ｃ"):
        assert index.search(query) == [0], query


def test_search_matches_code_in_any_case(small):
    assert small.search("xa000000000000000000002") == [2]
    assert small.search("C1111") == [4]


def test_every_term_must_match(small):
    assert small.search("阿莫西林 辉瑞") == [1]
    assert small.search("阿莫西林 齐鲁") == []


def test_terms_do_not_match_across_fields(small):
    # '胶囊华' would only match by gluing 剂型 to 生产企业.
    assert small.search("胶囊华") == []


def test_typing_on_narrows_the_previous_answer(small):
    assert small.search("xa0") == [0, 1, 2]  # every drug code here starts with XA0
    assert small.search("xa00000000000000000000") == [0, 1, 2]
    assert small.search("xa000000000000000000001") == [1]
    # Deleting a letter widens again (no stale narrowing).
    assert small.search("阿") == [0, 1]
    assert small.search("头") == [2]
    assert small.search("") == [0, 1, 2, 4]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(is_essential=True), [0]),
        (Filters(is_essential=False), [1, 2, 4]),
        (Filters(is_vbp=True), [0]),
        (Filters(consistency=True), [2]),
        (Filters(originator=True), [1]),
        (Filters(negotiated=True, active=None), [3]),
        (Filters(negotiated=True), []),
        (Filters(active=False), [3]),
        (Filters(active=None), [0, 1, 2, 3, 4]),
        (Filters(kind="drug"), [0, 1, 2]),
        (Filters(kind="consumable"), [4]),
        (Filters(is_essential=True, kind="consumable"), []),
    ],
)
def test_filters(small, filters, expected):
    assert small.search("", filters) == expected


def test_filters_combine_with_search(small):
    assert small.search("阿莫西林", Filters(originator=True)) == [1]


def test_sort_by_price_numerically_missing_last(small):
    order = small.search("", Filters(active=None), sort="price")
    prices = [small.value(p, "price") for p in order]
    assert prices == ["0.35", "8.25", "12.5", "30", None]
    assert small.search("", Filters(active=None), sort="price", descending=True) == order[::-1]


def test_sort_by_name_follows_pinyin(small):
    order = small.search("", Filters(active=None), sort="generic_name")
    assert names(small, order) == [
        "阿莫西林",
        "阿莫西林",
        "布洛芬",
        "头孢克肟",
        "一次性使用无菌注射器",
    ]


def test_sort_is_stable_by_code_and_cached(small):
    first = small.search("", sort="manufacturer")
    assert small.search("", sort="manufacturer") == first
    assert "manufacturer" in small._rank_cache


def test_unknown_sort_field_is_an_error(small):
    with pytest.raises(KeyError):
        small.search("", sort="nonsense")


def test_normalise_query():
    assert normalise_query("  阿莫西林\u3000ＡＢ  x ") == ["阿莫西林", "ab", "x"]


def test_position_of_code(small):
    assert small.position_of("XA000000000000000000002") == 2
    assert small.position_of("nope") is None
    assert small.count("active", 0) == 1


@settings(max_examples=60, deadline=None)
@given(
    queries=st.lists(
        st.text(alphabet="amxlt阿莫西林头孢 齐鲁", max_size=6), min_size=1, max_size=6
    ),
    essential=st.sampled_from([None, True, False]),
)
def test_search_equals_brute_force(queries, essential):
    """Incremental narrowing never changes an answer: every query in a typed
    sequence gives what a fresh scan gives."""
    rows = [
        row(i, NAMES[i % 10][0], NAMES[i % 10][1], MAKERS[i % 5], is_essential=i % 3 == 0)
        for i in range(60)
    ]
    index = make_index(rows)
    filters = Filters(is_essential=essential)
    for query in queries:
        fresh = make_index(rows)
        assert index.search(query, filters) == fresh.search(query, filters)


def test_load_index_from_database(conn):
    save_products(
        conn,
        [
            Product(
                code="XA01CAA040A001010100483",
                generic_name="阿莫西林",
                dosage_form="胶囊",
                package="0.25g*24粒/盒",
                manufacturer="华北制药股份有限公司",
                is_essential=True,
                price=Decimal("12.50"),
            ),
            Product(
                code="XJ01DDD029A001010104328",
                generic_name="头孢克肟",
                dosage_form="片",
                package="6片/盒",
                manufacturer="齐鲁制药有限公司",
            ),
        ],
    )
    index = load_index(conn)
    assert len(index) == 2
    assert [index.value(p, "code") for p in index.search("amxljn")] == ["XA01CAA040A001010100483"]
    assert index.search("", Filters(is_essential=True)) == index.search("阿莫西林")


# -- speed: each keystroke on 100,000 products ---------------------------------------


@pytest.fixture(scope="module")
def big() -> CatalogueIndex:
    rng = random.Random(7)
    rows = []
    for i in range(100_000):
        name, form = rng.choice(NAMES)
        rows.append(
            row(
                i,
                name,
                form,
                rng.choice(MAKERS),
                is_essential=int(rng.random() < 0.6),
                is_vbp=int(rng.random() < 0.2),
                consistency=int(rng.random() < 0.3),
                originator=int(rng.random() < 0.1),
                active=int(rng.random() < 0.9),
                price=str(rng.randrange(1, 100_000) / 100),
            )
        )
    return make_index(rows)


def test_typing_on_100k_products_narrows_consistently(big):
    """Each extra letter narrows the previous answer (the search reuses it).

    Keystroke speed (< 50 ms on 100k rows) is measured in bench/search_bench.py.
    """
    typed = ["a", "am", "amx", "amxl", "amxljn"]
    previous: set[int] | None = None
    for query in typed:
        found = set(big.search(query, Filters(active=None)))
        if previous is not None:
            assert found <= previous, query
        previous = found
    assert previous, "amxljn should find 阿莫西林胶囊"
    # Backspacing gives the same answer as typing afresh.
    assert set(big.search("am", Filters(active=None))) >= previous
    assert big.search("zzz", Filters()) == []


# -- sort orders by ranks (the quick first sort) --------------------------------------

SORTABLE = [f for f in FIELDS if f != "pinyin"]


@settings(max_examples=120, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["阿莫西林", "布洛芬", "头孢克肟", "Ａ药", "a"]),
            st.sampled_from(MAKERS + [""]),
            st.sampled_from(["12.5", "12.50", "8", "0.35", "", None, "abc", "1e3", "-2"]),
            st.sampled_from([24, 1, 100, None]),
            st.sampled_from(["胶囊", "片", "", None]),
            st.sampled_from(["amxl hbzy", "blf", "", None, "amxl"]),
        ),
        max_size=30,
    )
)
def test_rank_sort_equals_the_key_sort(cells):
    from pharmacy_app.catalogue_search import _LOAD_ORDER, _fast_order

    rows = [
        row(
            i,
            name,
            "片",
            maker,
            price=price,
            conversion=conversion,
            dosage_form=form,
            pinyin=pinyin,
            code=f"X{(i * 7919) % 1000:03d}",
        )
        for i, (name, maker, price, conversion, form, pinyin) in enumerate(cells)
    ]
    index = make_index(rows)
    for field in [*SORTABLE, _LOAD_ORDER]:
        keys = index._sort_keys(field)
        expected = sorted(range(len(index)), key=keys.__getitem__)
        got = _fast_order(index, field)
        assert got is None or got == expected, field


def test_prepare_sort_fills_the_cache(small):
    small.prepare_sort("price")
    small.prepare_sort("nonsense")
    assert list(small._rank_cache) == ["price"]


# -- changes put in place without a reload --------------------------------------------


def _codes(index: CatalogueIndex, positions: list[int]) -> list[str]:
    return [str(index.value(p, "code")) for p in positions]


def _answers(index: CatalogueIndex) -> dict:
    """What the page can show: every sort, both directions, some filters and queries."""
    out = {}
    for sort in [None, *SORTABLE]:
        for filters in (Filters(), Filters(active=None), Filters(is_essential=True)):
            for query in ("", "amxl", "阿莫", "xa0"):
                for descending in (False, True):
                    found = index.search(query, filters, sort=sort, descending=descending)
                    out[(sort, filters, query, descending)] = _codes(index, found)
    return out


def _changes(rows: list[tuple], total: int, seq: int = 1):
    from pharmacy_app.catalogue_search import IndexChanges

    forms = {str(r[FIELDS.index("dosage_form")]) for r in rows}
    return IndexChanges(rows, {f: pinyin_initials(f) for f in forms if f}, seq, total)


def _load_order(rows: list[tuple]) -> list[tuple]:
    """load_index's ORDER BY pinyin, code."""
    p, c = FIELDS.index("pinyin"), FIELDS.index("code")
    return sorted(rows, key=lambda r: (r[p], r[c]))


@settings(max_examples=40, deadline=None)
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, 40),
            st.sampled_from(NAMES),
            st.sampled_from(MAKERS),
            st.sampled_from(["9.9", "120", None, "0.5"]),
            st.booleans(),
            st.booleans(),
        ),
        min_size=1,
        max_size=6,
    ),
    warm=st.booleans(),
)
def test_applied_changes_answer_as_a_fresh_load(edits, warm):
    """Edited and new products put in place give every search, filter and sort
    a fresh index of the same rows gives (sort caches warm or cold)."""
    rows = {
        i: row(i, *NAMES[i % 10], MAKERS[i % 5], is_essential=int(i % 3 == 0), price=str(i + 1))
        for i in range(30)
    }
    index = make_index(_load_order(list(rows.values())))
    if warm:
        _answers(index)  # every sort order cached before the changes
    changed = []
    for i, (name, form), maker, price, essential, active in edits:
        new = row(
            i, name, form, maker, price=price, is_essential=int(essential), active=int(active)
        )
        rows[i] = new
        changed.append(new)
    assert index.apply(_changes(changed, total=len(rows)))
    fresh = make_index(_load_order(list(rows.values())))
    assert _answers(index) == _answers(fresh)
    assert index.position_of(rows[0][FIELDS.index("code")]) is not None
    for order, rank in index._rank_cache.values():
        assert all(rank[p] == place for place, p in enumerate(order))


def test_apply_moves_a_changed_code_and_reports_a_count_mismatch(small):
    code = FIELDS.index("code")
    changed = list(small.columns["code"])
    old = changed[2]
    edited = tuple("XA999" if f == "code" else small.value(2, f) for f in FIELDS)
    assert small.apply(_changes([edited], total=len(small)))
    assert small.position_of(old) is None and small.position_of("XA999") == 2
    assert small.search("xa999", Filters(active=None)) == [2]
    # One more product than the index holds: the caller must reload.
    assert not small.apply(_changes([], total=len(small) + 1))
    assert edited[code] == "XA999"


def test_changes_since_reads_only_what_the_log_names(conn):
    from pharmacy_app.catalogue import set_active
    from pharmacy_app.catalogue_search import changes_since

    products = [
        Product(
            code=f"XA01CAA040A0010101004{i:02d}",
            generic_name=name,
            dosage_form=form,
            package="24粒/盒",
            manufacturer=MAKERS[i % 5],
        )
        for i, (name, form) in enumerate(NAMES)
    ]
    save_products(conn, products)
    index = load_index(conn)
    assert changes_since(conn, index.log_seq).rows == []

    set_active(conn, [products[1].code], False)
    save_products(
        conn,
        [
            Product(
                code="XJ01DDD029A001010104328",
                generic_name="头孢地尼",
                dosage_form="分散片",
                package="6片/盒",
            )
        ],
    )
    changes = changes_since(conn, index.log_seq, index.known_forms())
    assert sorted(r[FIELDS.index("code")] for r in changes.rows) == sorted(
        [products[1].code, "XJ01DDD029A001010104328"]
    )
    assert changes.form_initials == {"分散片": pinyin_initials("分散片")}
    assert index.apply(changes)
    fresh = load_index(conn)
    assert _answers(index) == _answers(fresh)
    assert index.search(pinyin_initials("头孢地尼")) == [
        index.position_of("XJ01DDD029A001010104328")
    ]

    # A deleted product, or a log behind the index: reload instead.
    conn.execute("DELETE FROM products WHERE code = ?", (products[2].code,))
    assert changes_since(conn, index.log_seq) is None
    assert changes_since(conn, 10**9) is None


def test_changes_since_gives_up_on_a_big_change(conn, monkeypatch):
    import pharmacy_app.catalogue_search as cs

    save_products(
        conn,
        [
            Product(
                code=f"XA01CAA040A0010101004{i:02d}", generic_name="阿莫西林", package="24粒/盒"
            )
            for i in range(5)
        ],
    )
    index = load_index(conn)
    conn.execute("UPDATE products SET price = '1'")
    monkeypatch.setattr(cs, "MAX_APPLIED", 4)
    assert cs.changes_since(conn, index.log_seq) is None
    monkeypatch.setattr(cs, "MAX_APPLIED", 5)
    assert len(cs.changes_since(conn, index.log_seq).rows) == 5
