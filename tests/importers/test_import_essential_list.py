"""Essential-medicines list import (ED-2): a new list in force from its date, entries kept as given."""

from __future__ import annotations

import datetime as dt

import pytest
from importer_fixtures import write_csv, write_xlsx

from pharmacy_app.importers import ImportFailed, run_import

HEADER = ["序号", "品种名称", "剂型", "规格", "类别"]
ROWS = [
    ["1", "青霉素", "注射用无菌粉末", "0.24g", "化学药品和生物制品"],
    ["2", "阿莫西林", "胶囊", "0.25g", "西药"],
    ["3", "结核病用药", "", "", "化学药品和生物制品"],
    ["4", "复方丹参滴丸", "滴丸剂", "", "中成药"],
]


def test_ed2_list_becomes_a_new_list_with_its_entries(conn, tmp_path):
    path = write_csv(
        tmp_path / "基药目录2026.csv", HEADER, ROWS, title=["国家基本药物目录（2026年版）"]
    )
    result = run_import(
        conn,
        "essential-list",
        path,
        options={"effective_from": "2026-09-01", "name": "国家基本药物目录", "edition": "2026"},
    )
    assert result.committed and result.inserted == 4
    lst = conn.execute("SELECT * FROM essential_lists").fetchone()
    assert (lst["name"], lst["edition"], lst["effective_from"], lst["source"], lst["builtin"]) == (
        "国家基本药物目录",
        "2026",
        "2026-09-01",
        "基药目录2026.csv",
        0,
    )
    entries = [
        tuple(r)
        for r in conn.execute(
            "SELECT seq, generic_name, dosage_form, specification, category FROM essential_list_entries"
            " WHERE list_id=? ORDER BY id",
            (lst["id"],),
        )
    ]
    assert entries == [
        ("1", "青霉素", "注射用无菌粉末", "0.24g", "化学药品和生物制品"),
        ("2", "阿莫西林", "胶囊", "0.25g", "化学药品和生物制品"),
        ("3", "结核病用药", "", None, "化学药品和生物制品"),
        ("4", "复方丹参滴丸", "滴丸剂", None, "中成药"),
    ]


def test_ed2_earlier_lists_are_kept_and_defaults_apply(conn, tmp_path):
    path = write_xlsx(
        tmp_path / "list.xlsx", ["序号", "通用名", "剂型", "类别"], [r[:3] + r[4:] for r in ROWS]
    )
    run_import(conn, "essential-list", path, options={"effective_from": dt.date(2018, 11, 1)})
    run_import(conn, "essential-list", path)
    lists = conn.execute(
        "SELECT name, effective_from, source FROM essential_lists ORDER BY id"
    ).fetchall()
    assert [tuple(r) for r in lists] == [
        ("list", "2018-11-01", "list.xlsx"),
        ("list", dt.date.today().isoformat(), "list.xlsx"),
    ]
    assert conn.execute("SELECT count(*) FROM essential_list_entries").fetchone()[0] == 8
    assert (
        conn.execute(
            "SELECT count(*) FROM essential_list_entries WHERE specification IS NULL"
        ).fetchone()[0]
        == 8
    )


def test_missing_name_is_an_error_and_bad_dates_fail(conn, tmp_path):
    rows = [*ROWS, ["5", "", "片剂", "", "西药"]]
    result = run_import(conn, "essential-list", write_csv(tmp_path / "l.csv", HEADER, rows))
    assert [(e.row, e.column, e.message) for e in result.errors] == [(6, "品种名称", "不能为空")]
    assert conn.execute("SELECT count(*) FROM essential_lists").fetchone()[0] == 0
    with pytest.raises(ImportFailed, match="生效日期"):
        run_import(
            conn,
            "essential-list",
            write_csv(tmp_path / "l.csv", HEADER, ROWS),
            options={"effective_from": "下个月"},
        )
    with pytest.raises(ImportFailed, match="剂型"):
        run_import(
            conn, "essential-list", write_csv(tmp_path / "m.csv", ["序号", "通用名"], [["1", "x"]])
        )


def test_reimporting_the_same_list_adds_nothing_but_a_changed_one_is_kept_beside_it(conn, tmp_path):
    """Issue 2: an import is idempotent; ED-2: a different list from the same date is new."""
    path = write_csv(tmp_path / "基药.csv", HEADER, ROWS)
    options = {"effective_from": "2026-09-01", "name": "国家基本药物目录", "edition": "2026"}
    assert run_import(conn, "essential-list", path, options=options).inserted == 4
    again = run_import(conn, "essential-list", path, options=options)
    assert again.committed and (again.inserted, again.unchanged) == (0, 4)
    assert conn.execute("SELECT count(*) FROM essential_lists").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM essential_list_entries").fetchone()[0] == 4

    fixed = write_csv(tmp_path / "基药（更正）.csv", HEADER, [*ROWS[:3], ["4", "复方丹参滴丸", "滴丸剂", "", "中成药"],
                                                          ["5", "布洛芬", "片剂", "0.1g", "西药"]])
    assert run_import(conn, "essential-list", fixed, options=options).inserted == 5
    # Back to the first file: it becomes the list in force again, as a list of its own.
    assert run_import(conn, "essential-list", path, options=options).inserted == 4
    assert conn.execute("SELECT count(*) FROM essential_lists").fetchone()[0] == 3


def test_a_header_repeated_inside_the_file_is_not_an_entry(conn, tmp_path):
    """Two exports pasted together: the second header is reported, not stored as 通用名「品种名称」."""
    rows = [*ROWS[:2], HEADER, *ROWS[2:]]
    result = run_import(conn, "essential-list", write_csv(tmp_path / "两份.csv", HEADER, rows),
                        options={"effective_from": "2026-09-01"})
    assert not result.committed
    assert [(e.row, e.column) for e in result.errors] == [(4, "品种名称")]
    assert "表头" in result.errors[0].message
    assert conn.execute("SELECT count(*) FROM essential_list_entries").fetchone()[0] == 0
