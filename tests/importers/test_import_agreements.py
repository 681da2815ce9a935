"""Agreed volumes (AV-1): selected/backup/substitute codes, exact prices, dates, idempotence."""

from __future__ import annotations

import pytest
from importer_fixtures import (
    AGREEMENT_HEADER,
    AGREEMENTS,
    C1,
    D1,
    D2,
    D3,
    INSTITUTION,
    table_rows,
    write_csv,
    write_xlsx,
)

from pharmacy_app.importers import run_import


def test_av1_agreements_and_their_products(ready, tmp_path):
    result = run_import(
        ready, "agreements", write_csv(tmp_path / "a.csv", AGREEMENT_HEADER, AGREEMENTS)
    )
    assert result.committed and result.inserted == 2
    first = ready.execute("SELECT * FROM agreements WHERE batch='第二批'").fetchone()
    assert (first["institution_code"], first["generic"], first["selected_price"]) == (
        INSTITUTION,
        "阿莫西林胶囊",
        "0.1234",
    )
    assert (
        first["agreed_qty"],
        first["last_year_qty"],
        first["start_date"],
        first["end_date"],
    ) == (
        12000,
        20000,
        "2026-01-01",
        "2026-12-31",
    )
    roles = sorted(
        tuple(r)
        for r in ready.execute(
            "SELECT code, role FROM agreement_products WHERE agreement_id=?", (first["id"],)
        )
    )
    assert roles == sorted(
        [(D1, "selected"), (D2, "backup"), (D3, "substitute"), (C1, "substitute")]
    )
    second = ready.execute("SELECT * FROM agreements WHERE batch='第三批'").fetchone()
    assert second["last_year_qty"] is None
    selected = {
        r[0]
        for r in ready.execute(
            "SELECT code FROM agreement_products WHERE agreement_id=?", (second["id"],)
        )
    }
    assert selected == {D1, D2}


def test_institution_defaults_to_current_when_the_file_has_no_column(ready, tmp_path):
    header = AGREEMENT_HEADER[1:]
    rows = [r[1:] for r in AGREEMENTS]
    assert run_import(ready, "agreements", write_csv(tmp_path / "a.csv", header, rows)).committed
    assert {r[0] for r in ready.execute("SELECT institution_code FROM agreements")} == {INSTITUTION}


def test_reimport_is_idempotent_and_updates_by_key(ready, tmp_path):
    path = write_csv(tmp_path / "a.csv", AGREEMENT_HEADER, AGREEMENTS)
    run_import(ready, "agreements", path)
    logged = ready.execute("SELECT count(*) FROM change_log").fetchone()[0]
    again = run_import(ready, "agreements", path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert ready.execute("SELECT count(*) FROM change_log").fetchone()[0] == logged
    rows = [list(r) for r in AGREEMENTS]
    rows[0][7] = "13000"
    rows[0][4] = ""  # backup supplier dropped
    result = run_import(ready, "agreements", write_csv(tmp_path / "b.csv", AGREEMENT_HEADER, rows))
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 1)
    assert ready.execute("SELECT count(*) FROM agreements").fetchone()[0] == 2
    a = ready.execute(
        "SELECT id, version, agreed_qty FROM agreements WHERE batch='第二批'"
    ).fetchone()
    assert (a["version"], a["agreed_qty"]) == (2, 13000)
    roles = {
        r[0]
        for r in ready.execute(
            "SELECT role FROM agreement_products WHERE agreement_id=?", (a["id"],)
        )
    }
    assert roles == {"selected", "substitute"}


def test_av1_overlapping_years_in_one_file_are_refused(ready, tmp_path):
    """One procurement year at a time per institution × batch × 通用名: else each
    purchase would count in both."""
    second = list(AGREEMENTS[0])
    second[9], second[10] = "2026-07-01", "2027-06-30"
    path = write_csv(tmp_path / "a.csv", AGREEMENT_HEADER, [AGREEMENTS[0], second])
    result = run_import(ready, "agreements", path)
    assert not result.committed
    assert [(e.row, e.column) for e in result.errors] == [(3, "执行开始")]
    assert "重叠" in result.errors[0].message


def test_av1_a_reissued_agreement_with_a_corrected_start_replaces_the_stored_year(ready, tmp_path):
    assert run_import(ready, "agreements", write_csv(tmp_path / "a.csv", AGREEMENT_HEADER,
                                                     AGREEMENTS)).committed
    first_id = ready.execute("SELECT id FROM agreements WHERE batch='第二批'").fetchone()[0]
    ready.execute(
        "INSERT INTO agreement_exemptions (institution_code, batch, generic, reason, declared_on,"
        " agreement_start) VALUES (?, '第二批', '阿莫西林胶囊', 'key_monitoring', '2026-06-01',"
        " '2026-01-01')", (INSTITUTION,))
    corrected = list(AGREEMENTS[0])
    corrected[9] = "2026-02-01"
    result = run_import(ready, "agreements",
                        write_csv(tmp_path / "b.csv", AGREEMENT_HEADER, [corrected]))
    assert result.committed and (result.inserted, result.updated) == (0, 1)
    rows = ready.execute(
        "SELECT id, start_date FROM agreements WHERE batch='第二批'").fetchall()
    assert [tuple(r) for r in rows] == [(first_id, "2026-02-01")]
    assert ready.execute("SELECT agreement_start FROM agreement_exemptions").fetchone()[0] == \
        "2026-02-01"


def test_same_agreements_from_xlsx_with_dates_and_numbers(fresh_db, tmp_path):
    import datetime as dt

    reference = fresh_db("ref")
    run_import(reference, "agreements", write_csv(tmp_path / "a.csv", AGREEMENT_HEADER, AGREEMENTS))
    rows = []
    for r in AGREEMENTS:
        cells: list[object] = list(r)
        cells[6] = float(r[6])
        cells[7] = int(r[7])
        cells[8] = int(r[8]) if r[8] else ""
        cells[9] = dt.datetime.fromisoformat(r[9])
        cells[10] = float(
            (dt.date.fromisoformat(r[10]) - dt.date(1899, 12, 30)).days
        )  # Excel serial
        rows.append(cells)
    conn = fresh_db("xlsx")
    result = run_import(conn, "agreements", write_xlsx(tmp_path / "a.xlsx", AGREEMENT_HEADER, rows))
    assert result.committed, [e.describe() for e in result.errors]
    assert table_rows(conn, "agreements", "batch") == table_rows(reference, "agreements", "batch")


def test_bad_agreements_are_all_reported(ready, tmp_path):
    bad_dates = list(AGREEMENTS[0])
    bad_dates[10] = "2025-12-31"  # ends before it starts
    bad_dates[6] = "-0.1"
    bad_codes = list(AGREEMENTS[1])
    bad_codes[2] = "头孢曲松注射剂"
    bad_codes[3] = "XA01"
    bad_codes[7] = "很多"
    rows = [
        bad_dates,
        list(AGREEMENTS[1]),
        bad_codes,
        list(AGREEMENTS[1]),  # same institution, batch, generic and start as row 3
        [INSTITUTION, "", "x", "", "", "", "", "", "", "明天", ""],
    ]
    result = run_import(ready, "agreements", write_csv(tmp_path / "a.csv", AGREEMENT_HEADER, rows))
    assert not result.committed
    assert ready.execute("SELECT count(*) FROM agreements").fetchone()[0] == 0
    got = {(e.row, e.column): e.message for e in result.errors}
    assert got[(2, "执行结束")].startswith("执行结束早于执行开始")
    assert got[(2, "中选价")] == "不能为负数"
    assert "23 位" in got[(4, "中选产品编码")]
    assert got[(4, "约定采购量")] == "不是数字"
    assert (
        got[(5, "通用名")]
        == "同一机构、批次、通用名和执行开始日期的约定在文件中重复（与第 3 行相同）"
    )
    assert {
        (6, "集采批次"),
        (6, "中选产品编码"),
        (6, "中选价"),
        (6, "约定采购量"),
        (6, "执行开始"),
        (6, "执行结束"),
    } <= set(got)
    assert set(result.rejected_rows) == {2, 4, 5, 6}


@pytest.mark.parametrize("separator", [";", "；", "、", ", "])
def test_code_lists_accept_common_separators(ready, tmp_path, separator):
    rows = [list(AGREEMENTS[0])]
    rows[0][5] = f"{D3}{separator}{C1}"
    run_import(ready, "agreements", write_csv(tmp_path / "a.csv", AGREEMENT_HEADER, rows))
    got = {
        r[0] for r in ready.execute("SELECT code FROM agreement_products WHERE role='substitute'")
    }
    assert got == {D3, C1}


def _stored_years(conn):
    return [tuple(r) for r in conn.execute(
        "SELECT start_date, end_date FROM agreements WHERE batch='第二批' ORDER BY start_date")]


@pytest.mark.parametrize("order", ["2025 first", "2026 first"])
def test_av1_a_stored_two_year_span_split_into_two_years_keeps_both(ready, tmp_path, order):
    span = list(AGREEMENTS[0])
    span[9], span[10] = "2025-01-01", "2026-12-31"
    assert run_import(ready, "agreements", write_csv(tmp_path / "a.csv", AGREEMENT_HEADER,
                                                     [span])).committed
    y2025, y2026 = list(span), list(span)
    y2025[10] = "2025-12-31"
    y2026[9] = "2026-01-01"
    rows = [y2025, y2026] if order == "2025 first" else [y2026, y2025]
    result = run_import(ready, "agreements", write_csv(tmp_path / "b.csv", AGREEMENT_HEADER, rows))
    assert result.committed
    assert _stored_years(ready) == [("2025-01-01", "2025-12-31"), ("2026-01-01", "2026-12-31")]


def test_av1_a_row_reaching_into_another_stored_year_is_refused(ready, tmp_path):
    y2025, y2026 = list(AGREEMENTS[0]), list(AGREEMENTS[0])
    y2025[9], y2025[10] = "2025-01-01", "2025-12-31"
    y2026[9], y2026[10] = "2026-01-01", "2026-12-31"
    assert run_import(ready, "agreements", write_csv(tmp_path / "a.csv", AGREEMENT_HEADER,
                                                     [y2025, y2026])).committed
    longer = list(y2025)
    longer[10] = "2026-01-15"
    result = run_import(ready, "agreements", write_csv(tmp_path / "b.csv", AGREEMENT_HEADER,
                                                       [longer]))
    assert not result.committed and "重叠" in result.errors[0].message
    assert _stored_years(ready) == [("2025-01-01", "2025-12-31"), ("2026-01-01", "2026-12-31")]
