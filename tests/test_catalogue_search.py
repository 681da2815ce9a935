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
