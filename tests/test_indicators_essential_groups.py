"""ED-2 on the stored catalogue matches each raw (通用名, 剂型, 规格) once, with the same result.

`compute_essential` groups the active drugs by their raw name, form and
spec before matching list entries (products sharing all three match the
same entries); the equipped entries and their codes must be exactly what
matching every product one by one gives — two makers of one 品规, spacing
and form synonyms, an inactive product, a consumable, a confirmed salt-name
mapping, entries with and without 规格.
"""

from __future__ import annotations

import datetime as dt

from pharmacy_app.essential_match import confirm_mapping
from pharmacy_app.indicators.essential import (
    _stored_list_entries,
    compute_essential,
    list_entries,
    load_products,
)
from pharmacy_app.institutions import init_institution
from pharmacy_app.policy import builtin_profile

AS_OF = dt.date(2026, 10, 15)
PRODUCTS = [
    # code, kind, name, form, spec, active
    ("G1", "drug", "阿莫西林", "胶囊", "0.25g", 1),
    ("G2", "drug", "阿莫西林", "胶囊", "0.25g", 1),  # second maker, same raw triple
    ("G3", "drug", "阿莫西林", "胶囊剂", "0.25 g", 1),  # synonym form, spaced spec
    ("G4", "drug", "阿莫西林", "胶囊", "0.5g", 0),  # inactive: equips nothing
    ("G5", "consumable", "阿莫西林", "胶囊", "0.5g", 1),  # consumable: equips nothing
    ("G6", "drug", "盐酸二甲双胍", "片", "0.5g", 1),  # salt name, mapped below
    ("G7", "drug", "盐酸二甲双胍", "片", "0.5g", 1),
    ("G8", "drug", "布洛芬", "片剂", "0.2g", 1),
]
ENTRIES = [
    ("阿莫西林", "胶囊", "0.25g"),
    ("阿莫西林", "胶囊", "0.5g"),
    ("阿莫西林", "胶囊", None),
    ("二甲双胍", "片剂", "0.5g"),
    ("布洛芬", "片剂", None),
    ("头孢克洛", "胶囊", "0.25g"),
]


def test_ed2_grouped_matching_equals_matching_every_product(conn):
    init_institution(conn, "H1", "某医院", "secondary")
    conn.executemany(
        """INSERT INTO products (code, kind, generic_name, dosage_form, specification, active)
           VALUES (?, ?, ?, ?, ?, ?)""", PRODUCTS)
    cur = conn.execute("INSERT INTO essential_lists (name, edition, effective_from, source) "
                       "VALUES ('测试目录', 'test', '2026-09-01', 'test')")
    conn.executemany(
        """INSERT INTO essential_list_entries (list_id, seq, generic_name, dosage_form, specification)
           VALUES (?, ?, ?, ?, ?)""",
        [(cur.lastrowid, str(i), *e) for i, e in enumerate(ENTRIES, 1)])
    confirm_mapping(conn, "盐酸二甲双胍", "二甲双胍")

    grouped = _stored_list_entries(conn, AS_OF)
    one_by_one = list_entries(conn, AS_OF, load_products(conn))
    assert grouped == one_by_one
    equipped = {(e.generic_name, e.specification): e.matched_codes for e in grouped[0]}
    assert equipped[("阿莫西林", "0.25g")] == ("G1", "G2", "G3")
    assert equipped[("阿莫西林", "0.5g")] == ()
    assert equipped[("二甲双胍", "0.5g")] == ("G6", "G7")
    assert equipped[("头孢克洛", "0.25g")] == ()
    figures = compute_essential(conn, init_institution(conn, "H1", "某医院", "secondary"),
                                AS_OF, builtin_profile())
    assert figures.entries == one_by_one[0]
    assert (figures.list_entries_matched, figures.list_entries) == (4, 6)
