"""Catalogue import: aliases, flags in every form, conversion from 包装, CON-1 codes."""

from __future__ import annotations

import pytest
from importer_fixtures import (
    C1,
    CATALOGUE,
    CATALOGUE_ALIASES,
    CATALOGUE_HEADER,
    D1,
    D2,
    D3,
    catalogue_as_excel_values,
    catalogue_loose,
    table_rows,
    write_csv,
    write_xlsx,
)

from pharmacy_app.importers import ImportFailed, run_import


def products(conn):
    return table_rows(conn, "products", "code")


def test_catalogue_rows_become_products(conn, tmp_path):
    result = run_import(
        conn, "catalogue", write_csv(tmp_path / "c.csv", CATALOGUE_HEADER, CATALOGUE)
    )
    assert result.committed and (result.inserted, result.updated, result.unchanged) == (4, 0, 0)
    rows = {r["code"]: r for r in conn.execute("SELECT * FROM products")}
    amox = rows[D1]
    assert (amox["kind"], amox["generic_name"], amox["conversion"], amox["price"]) == (
        "drug",
        "阿莫西林",
        24,
        "12.5",
    )
    assert (amox["is_essential"], amox["is_vbp"], amox["consistency"], amox["originator"]) == (
        1,
        1,
        1,
        0,
    )
    assert amox["vbp_batch"] == "第二批" and amox["active"] == 1
    # 转换比 empty: derived from 包装 10片*2板/盒 → 20; 停用 → inactive.
    assert (rows[D2]["conversion"], rows[D2]["active"], rows[D2]["originator"]) == (20, 0, 1)
    assert rows[D3]["price"] is None and rows[D3]["negotiated"] == 1
    assert (rows[C1]["kind"], rows[C1]["conversion"]) == ("consumable", 1)


@pytest.mark.parametrize("form", ["gbk-aliases-tick-flags", "xlsx-bools", "utf8-bom-title"])
def test_same_catalogue_in_every_form(fresh_db, tmp_path, form):
    reference = fresh_db("ref", catalogue=False)
    run_import(reference, "catalogue", write_csv(tmp_path / "ref.csv", CATALOGUE_HEADER, CATALOGUE))
    conn = fresh_db(form, catalogue=False)
    if form == "gbk-aliases-tick-flags":
        path = write_csv(
            tmp_path / "c.csv",
            CATALOGUE_ALIASES,
            catalogue_loose(),
            encoding="gbk",
            title=["某某卫生院采购目录（2026年）"],
        )
    elif form == "xlsx-bools":
        path = write_xlsx(tmp_path / "c.xlsx", CATALOGUE_HEADER, catalogue_as_excel_values())
    else:
        path = write_csv(
            tmp_path / "c.csv",
            CATALOGUE_HEADER,
            CATALOGUE,
            encoding="utf-8-sig",
            title=["采购目录", ""],
        )
    result = run_import(conn, "catalogue", path)
    assert result.committed, [e.describe() for e in result.errors]
    assert products(conn) == products(reference)


@pytest.mark.parametrize(
    "true_text, false_text",
    [
        ("是", "否"),
        ("Y", "N"),
        ("1", "0"),
        ("true", "false"),
        ("√", ""),
        ("TRUE", "FALSE"),
        ("ｙ", "ｎ"),
    ],
)
def test_every_flag_spelling(conn, tmp_path, true_text, false_text):
    rows = [list(CATALOGUE[0]), list(CATALOGUE[2])]
    rows[0][7], rows[1][7] = true_text, false_text
    run_import(conn, "catalogue", write_csv(tmp_path / "c.csv", CATALOGUE_HEADER, rows))
    got = dict(conn.execute("SELECT code, is_essential FROM products"))
    assert got == {D1: 1, D3: 0}


def test_reimport_updates_changed_products_only(conn, tmp_path):
    path = write_csv(tmp_path / "c.csv", CATALOGUE_HEADER, CATALOGUE)
    run_import(conn, "catalogue", path)
    logged = conn.execute("SELECT count(*) FROM change_log").fetchone()[0]
    again = run_import(conn, "catalogue", path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert conn.execute("SELECT count(*) FROM change_log").fetchone()[0] == logged
    rows = [list(r) for r in CATALOGUE]
    rows[0][13] = "11.8"
    changed = run_import(conn, "catalogue", write_csv(tmp_path / "c2.csv", CATALOGUE_HEADER, rows))
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 3)
    assert dict(conn.execute("SELECT code, version FROM products")) == {D1: 2, D2: 1, D3: 1, C1: 1}


def test_bad_catalogue_rows_are_all_reported(conn, tmp_path):
    rows = [list(r) for r in CATALOGUE]
    rows[0][0] = "XA01"  # too short
    rows[1][4], rows[1][5] = "盒", ""  # no conversion to be had
    rows[2][7] = "也许"
    rows[2][13] = "-3"
    rows[3][15] = "器械"
    rows.append(list(CATALOGUE[2]))  # duplicate code D3
    rows.append(
        [C1[:-1] + "X", "", "", "", "", "x", "", "", "", "", "", "", "", "abc", "报废", "耗材"]
    )
    result = run_import(conn, "catalogue", write_csv(tmp_path / "c.csv", CATALOGUE_HEADER, rows))
    assert not result.committed
    assert conn.execute("SELECT count(*) FROM products").fetchone()[0] == 0
    got = {(e.row, e.column) for e in result.errors}
    assert {(2, "药品编码"), (3, "转换比"), (4, "基药"), (4, "单价"), (5, "类别")} <= got
    assert {(7, "转换比"), (7, "单价"), (7, "状态")} <= got
    assert (
        next(e.message for e in result.errors if e.row == 6)
        == "药品编码在文件中重复（与第 4 行相同）"
    )
    assert "23 位" in next(e.message for e in result.errors if (e.row, e.column) == (2, "药品编码"))
    assert "推算转换比" in next(e.message for e in result.errors if e.row == 3)


def test_missing_code_column_fails(conn, tmp_path):
    header = ["名称", *CATALOGUE_HEADER[1:]]
    with pytest.raises(ImportFailed, match="c.csv.*药品编码"):
        run_import(conn, "catalogue", write_csv(tmp_path / "c.csv", header, CATALOGUE))


def test_conversion_is_derived_from_package_when_the_file_has_no_conversion_column(conn, tmp_path):
    keep = [i for i, h in enumerate(CATALOGUE_HEADER) if h != "转换比"]
    header = [CATALOGUE_HEADER[i] for i in keep]
    rows = [[r[i] for i in keep] for r in CATALOGUE]
    result = run_import(conn, "catalogue", write_csv(tmp_path / "c.csv", header, rows))
    assert result.committed, [e.describe() for e in result.errors]
    assert dict(conn.execute("SELECT code, conversion FROM products")) == {
        D1: 24,
        D2: 20,
        D3: 180,
        C1: 1,
    }
    # Neither column: nothing to take the conversion from.
    keep = [i for i, h in enumerate(CATALOGUE_HEADER) if h not in ("转换比", "包装")]
    with pytest.raises(ImportFailed, match="「转换比」或「包装」"):
        run_import(
            conn,
            "catalogue",
            write_csv(tmp_path / "d.csv", [CATALOGUE_HEADER[i] for i in keep], []),
        )


def test_a_row_with_cell_errors_also_lists_every_product_rule_it_breaks(conn, tmp_path):
    """FORMATS: every reason per row and column, not only the first kind of check that failed."""
    rows = [list(r) for r in CATALOGUE]
    rows[0][1] = ""  # 通用名 empty
    rows[0][4], rows[0][5] = "盒", ""  # package of just 盒: no conversion to be had
    rows[0][13] = "-2"  # negative price
    result = run_import(conn, "catalogue", write_csv(tmp_path / "c.csv", CATALOGUE_HEADER, rows))
    assert not result.committed
    got = sorted((e.column, e.message) for e in result.errors if e.row == 2)
    assert [c for c, _m in got] == ["单价", "转换比", "通用名"], got
    assert "不能为空" in dict(got)["通用名"]
    assert "推算转换比" in dict(got)["转换比"]


def test_a_reimport_keeps_what_its_file_has_no_column_for(conn, tmp_path):
    """Columns absent from a re-imported file leave stored values alone (issue 2: no data lost)."""
    full = write_csv(tmp_path / "full.csv", CATALOGUE_HEADER, CATALOGUE)
    assert run_import(conn, "catalogue", full).inserted == 4
    from dataclasses import replace

    from pharmacy_app.catalogue import get_product, save_products

    save_products(conn, [replace(get_product(conn, C1), udi="(01)06900010980016")])
    before = products(conn)
    # A platform export: code, name, form, spec, package, maker and a new price only.
    keep = [0, 1, 2, 3, 4, 6, 13]
    header = [CATALOGUE_HEADER[i] for i in keep]
    rows = [[r[i] for i in keep] for r in CATALOGUE]
    rows[0][6] = "13.80"
    result = run_import(conn, "catalogue", write_csv(tmp_path / "platform.csv", header, rows))
    assert result.committed
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 3)
    after = {r["code"]: r for r in conn.execute("SELECT * FROM products")}
    assert after[D1]["price"] == "13.8" and after[D1]["is_vbp"] == 1 and after[D1]["vbp_batch"] == "第二批"
    assert after[D2]["active"] == 0 and after[D2]["conversion"] == 20  # 停用 kept
    assert after[C1]["udi"] == "(01)06900010980016"
    unchanged = [r for r in products(conn) if D1 not in r]
    assert len(unchanged) == 3 and unchanged == [r for r in before if D1 not in r]


def test_a_reimport_taking_a_drug_out_of_vbp_clears_its_kept_batch(conn, tmp_path):
    assert run_import(conn, "catalogue", write_csv(tmp_path / "a.csv", CATALOGUE_HEADER, CATALOGUE))
    header = [CATALOGUE_HEADER[i] for i in (0, 1, 4, 8)]  # 药品编码, 通用名, 包装, 集采
    row = [D1, "阿莫西林", "0.25g*24粒/盒", "否"]
    result = run_import(conn, "catalogue", write_csv(tmp_path / "b.csv", header, [row]))
    assert result.committed and result.updated == 1
    row = conn.execute("SELECT is_vbp, vbp_batch FROM products WHERE code = ?", (D1,)).fetchone()
    assert tuple(row) == (0, "")


def test_an_impossible_conversion_or_price_in_a_file_is_refused(conn, tmp_path):
    """The importer's own checks hold the same limits as the product dialog's."""
    rows = [list(r) for r in CATALOGUE]
    rows[0][5] = "500000"  # 转换比
    rows[1][13] = "999999999"  # 单价
    result = run_import(conn, "catalogue", write_csv(tmp_path / "c.csv", CATALOGUE_HEADER, rows))
    assert not result.committed
    assert sorted((e.row, e.column) for e in result.errors) == [(2, "转换比"), (3, "单价")]
