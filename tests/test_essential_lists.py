"""ED-2: the bundled 2026 list and the choice of the list in force on the as-of date.

RULES.md ED-2: the 2018 edition applies until 2026-08-31, the 2026 edition
(国卫药政发〔2026〕17号) from 2026-09-01, or a list the user imported.
"""

from __future__ import annotations

import datetime as dt

from pharmacy_app.catalogue import Product, save_products
from pharmacy_app.essential_lists import (
    NATIONAL_2026,
    ensure_builtin_lists,
    list_in_force,
    no_list_message,
)
from pharmacy_app.essential_match import list_mappings, match_entries

BUNDLED_ENTRIES = 2180


def add_list(
    conn, name: str, effective_from: str, entries: list[tuple[str, str, str | None]]
) -> int:
    """A user-imported list, written the way the importer writes it (same two tables)."""
    cur = conn.execute(
        "INSERT INTO essential_lists (name, edition, effective_from, source) VALUES (?, ?, ?, 'test')",
        (name, name, effective_from),
    )
    conn.executemany(
        """INSERT INTO essential_list_entries (list_id, seq, generic_name, dosage_form, specification)
           VALUES (?, ?, ?, ?, ?)""",
        [(cur.lastrowid, str(i), *e) for i, e in enumerate(entries, 1)],
    )
    return int(cur.lastrowid)


def test_ed2_ensure_builtin_lists_is_idempotent(conn):
    assert ensure_builtin_lists(conn) == 1
    assert ensure_builtin_lists(conn) == 0
    lists = conn.execute(
        "SELECT name, edition, effective_from, builtin, source FROM essential_lists"
    ).fetchall()
    assert len(lists) == 1
    name, edition, effective_from, builtin, source = lists[0]
    assert (name, edition, effective_from, builtin) == (
        "国家基本药物目录（2026年版）",
        "2026",
        "2026-09-01",
        1,
    )
    assert "国卫药政发〔2026〕17号" in source and "essential_list_2026.csv" in source
    assert (
        conn.execute("SELECT count(*) FROM essential_list_entries").fetchone()[0] == BUNDLED_ENTRIES
    )


def test_ed2_bundled_entries_without_spec_are_null(conn):
    """An empty 规格 is stored as NULL so the entry matches on name and form only."""
    ensure_builtin_lists(conn)
    empty = conn.execute(
        "SELECT count(*) FROM essential_list_entries WHERE specification = ''"
    ).fetchone()[0]
    assert empty == 0
    (spec,) = conn.execute(
        "SELECT specification FROM essential_list_entries WHERE generic_name = '结核病用药'"
    ).fetchone()
    assert spec is None
    row = conn.execute(
        """SELECT dosage_form, specification, category FROM essential_list_entries
           WHERE generic_name = '吗啡' AND dosage_form = '缓释片'"""
    ).fetchone()
    assert tuple(row) == ("缓释片", None, "化学药品和生物制品")


def test_ed2_builtin_list_is_logged_for_sync(conn):
    """SYNC-1: the list and its entries reach change_log in the same transaction."""
    ensure_builtin_lists(conn)
    logged = conn.execute(
        "SELECT count(*) FROM change_log WHERE table_name = 'essential_list_entries'"
    ).fetchone()[0]
    assert logged == BUNDLED_ENTRIES


def test_ed2_list_in_force_switches_on_2026_09_01(conn):
    """2026-08-31: no 2026 list yet (and no 2018 list imported); 2026-09-01: the 2026 list."""
    ensure_builtin_lists(conn)
    assert list_in_force(conn, dt.date(2026, 8, 31)) is None
    lst, entries = list_in_force(conn, dt.date(2026, 9, 1))
    assert lst["name"] == NATIONAL_2026.name and lst["effective_from"] == "2026-09-01"
    assert len(entries) == BUNDLED_ENTRIES
    assert set(entries[0]) == {
        "id",
        "seq",
        "generic_name",
        "dosage_form",
        "specification",
        "category",
        "note",
    }
    assert "2018" in no_list_message(dt.date(2026, 8, 31))


def test_ed2_imported_2018_list_applies_until_2026_08_31(conn):
    ensure_builtin_lists(conn)
    add_list(conn, "国家基本药物目录（2018年版）", "2018-11-01", [("阿莫西林", "胶囊", "0.25g")])
    before = list_in_force(conn, dt.date(2026, 8, 31))
    assert before is not None and before[0]["name"] == "国家基本药物目录（2018年版）"
    assert [e["generic_name"] for e in before[1]] == ["阿莫西林"]
    after = list_in_force(conn, dt.date(2026, 9, 1))
    assert after is not None and after[0]["name"] == NATIONAL_2026.name
    # A datetime as-of is read by its date.
    assert list_in_force(conn, dt.datetime(2026, 9, 1, 23, 59))[0]["name"] == NATIONAL_2026.name


def test_ed2_same_effective_date_the_latest_imported_wins(conn):
    """A user's own list with the national date replaces the bundled one from then on."""
    ensure_builtin_lists(conn)
    local_id = add_list(conn, "本省增补目录", "2026-09-01", [("阿莫西林", "胶囊", "0.25g")])
    lst, entries = list_in_force(conn, dt.date(2026, 10, 1))
    assert lst["id"] == local_id and len(entries) == 1
    # Re-running the bundled loader neither duplicates nor retakes the lead.
    assert ensure_builtin_lists(conn) == 0
    assert list_in_force(conn, dt.date(2026, 10, 1))[0]["id"] == local_id


def test_ed2_no_list_at_all(conn):
    assert list_in_force(conn, dt.date(2027, 1, 1)) is None
    assert "请导入目录" in no_list_message(dt.date(2027, 1, 1))


def test_ed2_share_against_the_bundled_list(conn):
    """End to end: active drugs of the catalogue equip bundled 2026 entries, each once."""
    ensure_builtin_lists(conn)
    save_products(
        conn,
        [
            Product(
                code="XA01ABD075A000000000001",
                generic_name="阿莫西林胶囊",
                dosage_form="胶囊",
                specification="0.25g",
                package="0.25g*24粒/盒",
                manufacturer="甲",
            ),
            Product(
                code="XA01ABD075A000000000002",
                generic_name="阿莫西林",
                dosage_form="胶囊剂",
                specification="250mg",
                package="250mg*24粒/盒",
                manufacturer="乙",
            ),
            Product(
                code="XA01ABD075A000000000003",
                generic_name="维生素B12",
                dosage_form="注射剂",
                specification="1ml:0.5mg",
                package="1ml:0.5mg*10支/盒",
            ),
            Product(
                code="XA01ABD075A000000000004",
                generic_name="固本咳喘片",
                dosage_form="片剂",
                specification="0.4g",
                package="0.4g*36片/盒",
            ),
            Product(
                code="XA01ABD075A000000000005",
                generic_name="布洛芬",
                dosage_form="片剂",
                specification="0.2g",
                package="0.2g*20片/盒",
                active=False,
            ),
        ],
    )
    _lst, entries = list_in_force(conn, dt.date(2026, 11, 1))
    products = [
        dict(r)
        for r in conn.execute(
            """SELECT code, generic_name, dosage_form, specification FROM products
               WHERE active = 1 AND kind = 'drug'"""
        )
    ]
    matches = match_entries(entries, products, list_mappings(conn))
    by_id = {e["id"]: e for e in entries}
    got = sorted(
        (by_id[i]["generic_name"], by_id[i]["dosage_form"], by_id[i]["specification"], tuple(c))
        for i, c in matches.items()
    )
    assert got == [
        ("固本咳喘", "片剂", "每片重0.4g", ("XA01ABD075A000000000004",)),
        ("维生素B12", "注射液", "1ml:0.5mg", ("XA01ABD075A000000000003",)),
        ("阿莫西林", "胶囊", "0.25g", ("XA01ABD075A000000000001", "XA01ABD075A000000000002")),
    ]
