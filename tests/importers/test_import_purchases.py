"""Purchase lines: validation, atomicity, idempotent re-import, every file form (FORMATS.md)."""

from __future__ import annotations

import pytest
from importer_fixtures import (
    C1,
    D1,
    D2,
    DATA,
    INSTITUTION,
    PURCHASE_ALIASES,
    PURCHASE_HEADER,
    PURCHASES,
    PURCHASES_LOOSE,
    purchases_as_excel_values,
    table_rows,
    write_csv,
    write_xlsx,
)

from pharmacy_app.importers import ImportCancelled, ImportFailed, run_import


def lines(conn):
    return table_rows(conn, "purchase_lines", "order_id, line_no")


def test_clean_csv_imports_every_line(ready, tmp_path):
    path = write_csv(tmp_path / "purchases.csv", PURCHASE_HEADER, PURCHASES)
    result = run_import(ready, "purchases", path)
    assert result.committed and not result.errors
    assert (result.rows_total, result.inserted, result.updated, result.unchanged) == (3, 3, 0, 0)
    assert result.encoding == "utf-8"
    rows = {
        (r["order_id"], r["line_no"]): r
        for r in ready.execute("SELECT * FROM purchase_lines").fetchall()
    }
    first = rows[("PO2026030001", "1")]
    assert first["institution_code"] == INSTITUTION and first["code"] == D1
    assert first["qty"] == 10 and first["price"] == "12.5" and first["amount_fen"] == 12500
    assert first["ordered_at"] == "2026-03-01 08:15:00"
    assert first["responded_at"] == "2026-03-01 09:00:00"
    assert first["channel"] == "online" and first["supplier"] == "国药控股海南有限公司"
    second = rows[("PO2026030001", "2")]
    # No amount in the file: quantity × price, in fen.
    assert second["amount_fen"] == 1600 and second["price"] == "3.2"
    assert second["responded_at"] is None and second["delivered_at"] is None
    assert second["channel"] == "offline"
    assert rows[("PO2026030002", "1")]["ordered_at"] == "2026-03-05 00:00:00"
    batch = ready.execute("SELECT * FROM import_batches").fetchone()
    assert (batch["kind"], batch["file"], batch["rows_total"], batch["inserted"]) == (
        "purchases",
        "purchases.csv",
        3,
        3,
    )
    assert len(batch["sha256"]) == 64
    assert {r["batch_id"] for r in rows.values()} == {batch["id"]}


@pytest.mark.parametrize(
    "form",
    ["utf8", "utf8-bom", "gbk-title-aliases-loose", "gb18030", "xlsx", "xlsx-text", "xls"],
)
def test_same_data_lands_identically_in_every_form(fresh_db, tmp_path, form):
    """UTF-8, BOM, GBK with a title row + alias headers + 2026/3/1 dates, xlsx, xls → same rows."""
    reference = fresh_db("reference")
    run_import(reference, "purchases", write_csv(tmp_path / "ref.csv", PURCHASE_HEADER, PURCHASES))
    path = tmp_path / f"{form}.csv"
    if form == "utf8":
        write_csv(path, PURCHASE_HEADER, PURCHASES)
        encoding = "utf-8"
    elif form == "utf8-bom":
        write_csv(path, PURCHASE_HEADER, PURCHASES, encoding="utf-8-sig")
        encoding = "utf-8-sig"
    elif form == "gbk-title-aliases-loose":
        write_csv(
            path,
            PURCHASE_ALIASES,
            PURCHASES_LOOSE,
            encoding="gbk",
            title=["海南省药品采购明细", "导出时间：2026年3月31日"],
        )
        encoding = "gbk"
    elif form == "gb18030":
        # 𠀀 is outside GBK: only GB18030 can carry it.
        rows = [list(r) for r in PURCHASES]
        for r in rows:
            r[10] += "𠀀"
        write_csv(path, PURCHASE_HEADER, rows, encoding="gb18030")
        encoding = "gb18030"
    elif form == "xlsx":
        path = write_xlsx(
            tmp_path / "p.xlsx",
            PURCHASE_HEADER,
            purchases_as_excel_values(),
            title=["2026年3月采购明细"],
        )
        encoding = None
    elif form == "xlsx-text":
        path = write_xlsx(tmp_path / "p.xlsx", PURCHASE_HEADER, PURCHASES)
        encoding = None
    else:
        path = DATA / "purchases.xls"
        encoding = None
    conn = fresh_db(form)
    result = run_import(conn, "purchases", path)
    assert result.committed, [e.describe() for e in result.errors]
    assert result.encoding == encoding
    expected = lines(reference)
    if form == "gb18030":
        expected = [(*r[:11], r[11] + "𠀀", *r[12:]) for r in expected]
        got = [tuple(r) for r in lines(conn)]
        # content_hash covers the supplier, so it differs too: compare the rest.
        assert [r[:-1] for r in got] == [r[:-1] for r in expected]
    else:
        assert lines(conn) == expected


def test_mixed_good_and_bad_rows_write_nothing_and_report_every_bad_cell(ready, tmp_path):
    rows = [list(r) for r in PURCHASES]
    rows.append(
        ["PO2026030003", "1", INSTITUTION, D1, "abc", "-1", "", "2026-02-30", "", "", "", "线上"]
    )
    rows.append(
        [
            "PO2026030003",
            "2",
            INSTITUTION,
            "XA01NOTINCATALOGUE00000",
            "1",
            "1",
            "1",
            "2026-03-01",
            "",
            "",
            "",
            "快递",
        ]
    )
    rows.append(["", "3", INSTITUTION, "BAD", "-5", "1", "-3", "", "昨天", "", "", ""])
    rows.append(list(PURCHASES[0]))  # duplicate order_id + line_no
    path = write_csv(tmp_path / "purchases.csv", PURCHASE_HEADER, rows)
    before = ready.execute("SELECT count(*) FROM change_log").fetchone()[0]
    result = run_import(ready, "purchases", path)
    assert not result.committed
    assert ready.execute("SELECT count(*) FROM purchase_lines").fetchone()[0] == 0
    assert ready.execute("SELECT count(*) FROM import_batches").fetchone()[0] == 0
    assert ready.execute("SELECT count(*) FROM change_log").fetchone()[0] == before
    got = {(e.row, e.column, e.message) for e in result.errors}
    assert (5, "数量", "不是数字") in got
    assert (5, "单价", "不能为负数") in got
    assert (5, "下单时间", "日期不存在") in got
    assert (6, "药品编码", "药品编码不在采购目录中（请先导入采购目录）") in got
    assert (6, "采购方式", "采购方式应为 线上 或 线下") in got
    assert (7, "订单号", "不能为空") in got
    assert (7, "数量", "不能为负数") in got
    assert (7, "金额", "不能为负数") in got
    assert (7, "下单时间", "不能为空") in got
    assert any(
        e.row == 7 and e.column == "响应时间" and "无法识别的日期" in e.message
        for e in result.errors
    )
    assert any(
        e.row == 7 and e.column == "药品编码" and "23 位" in e.message for e in result.errors
    )
    assert (8, "订单号", "订单号+行号在文件中重复（与第 2 行相同）") in got
    assert set(result.rejected_rows) == {5, 6, 7, 8}
    assert result.rejected_rows[5] == [str(c) for c in rows[3]]
    described = [e.describe() for e in result.errors]
    assert "purchases.csv 第 5 行「数量」列：不是数字：'abc'" in described
    assert result.errors == sorted(result.errors, key=lambda e: (e.row, e.column or ""))


def test_reimport_updates_by_key_never_duplicates_and_bumps_only_changed(ready, tmp_path):
    path = write_csv(tmp_path / "purchases.csv", PURCHASE_HEADER, PURCHASES)
    run_import(ready, "purchases", path)
    versions = dict(ready.execute("SELECT order_id || '/' || line_no, version FROM purchase_lines"))
    uuids = dict(ready.execute("SELECT order_id || '/' || line_no, uuid FROM purchase_lines"))
    logged = ready.execute("SELECT count(*) FROM change_log").fetchone()[0]

    again = run_import(ready, "purchases", path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert ready.execute("SELECT count(*) FROM change_log").fetchone()[0] == logged
    assert (
        dict(ready.execute("SELECT order_id || '/' || line_no, version FROM purchase_lines"))
        == versions
    )

    # An overlapping export: one line delivered since, one new line.
    rows = [list(r) for r in PURCHASES]
    rows[1][9] = "2026-03-03 11:00:00"
    rows.append(
        [
            "PO2026030004",
            "1",
            INSTITUTION,
            D2,
            "1",
            "3.2",
            "3.2",
            "2026-03-06 10:00:00",
            "",
            "",
            "",
            "线上",
        ]
    )
    overlap = write_csv(tmp_path / "overlap.csv", PURCHASE_HEADER, rows)
    result = run_import(ready, "purchases", overlap)
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 2)
    assert ready.execute("SELECT count(*) FROM purchase_lines").fetchone()[0] == 4
    now = dict(ready.execute("SELECT order_id || '/' || line_no, version FROM purchase_lines"))
    assert now == {**versions, "PO2026030001/2": 2, "PO2026030004/1": 1}
    assert dict(
        ready.execute("SELECT order_id || '/' || line_no, uuid FROM purchase_lines")
    ) | uuids == dict(ready.execute("SELECT order_id || '/' || line_no, uuid FROM purchase_lines"))
    ops = ready.execute(
        "SELECT op, count(*) FROM change_log WHERE table_name='purchase_lines' GROUP BY op"
    ).fetchall()
    assert dict((r[0], r[1]) for r in ops) == {"insert": 4, "update": 1}
    assert ready.execute("SELECT count(*) FROM import_batches").fetchone()[0] == 3


def test_new_rows_get_valid_unique_time_ordered_uuids(ready, tmp_path):
    import re

    path = write_csv(tmp_path / "purchases.csv", PURCHASE_HEADER, PURCHASES)
    run_import(ready, "purchases", path)
    uuids = [r[0] for r in ready.execute("SELECT uuid FROM purchase_lines ORDER BY id")]
    assert len(set(uuids)) == 3
    for u in uuids:
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", u
        )
    assert uuids == sorted(uuids)


def test_missing_required_column_fails_naming_file_and_header(ready, tmp_path):
    header = [h for h in PURCHASE_HEADER if h != "下单时间"]
    rows = [
        [c for h, c in zip(PURCHASE_HEADER, r, strict=True) if h != "下单时间"] for r in PURCHASES
    ]
    path = write_csv(tmp_path / "no-time.csv", header, rows)
    with pytest.raises(ImportFailed) as info:
        run_import(ready, "purchases", path)
    assert "no-time.csv" in str(info.value) and "下单时间" in str(info.value)
    # Neither price nor amount: the amount cannot be known.
    header = [h for h in PURCHASE_HEADER if h not in ("单价", "金额")]
    path = write_csv(tmp_path / "no-money.csv", header, [])
    with pytest.raises(ImportFailed, match="「单价」或「金额」"):
        run_import(ready, "purchases", path)


def test_unreadable_files_fail_naming_the_file(ready, tmp_path):
    with pytest.raises(ImportFailed, match="missing.csv"):
        run_import(ready, "purchases", tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ImportFailed, match="empty.csv"):
        run_import(ready, "purchases", empty)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(ImportFailed, match="broken.xlsx"):
        run_import(ready, "purchases", broken)
    binary = tmp_path / "latin.csv"
    binary.write_bytes(b"\x81\x30\x81" * 10 + b"\xff\xfe\xfd")
    with pytest.raises(ImportFailed, match="latin.csv.*编码"):
        run_import(ready, "purchases", binary)


def test_cancel_rolls_back_everything(ready, tmp_path, monkeypatch):
    import pharmacy_app.importers.reading as reading

    monkeypatch.setattr(reading, "CHUNK_ROWS", 2)
    rows = [list(PURCHASES[0]) for _ in range(7)]
    for i, r in enumerate(rows):
        r[1] = str(i + 1)
    path = write_csv(tmp_path / "purchases.csv", PURCHASE_HEADER, rows)
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(ImportCancelled):
        run_import(ready, "purchases", path, cancel=cancel)
    assert ready.execute("SELECT count(*) FROM purchase_lines").fetchone()[0] == 0
    assert ready.execute("SELECT count(*) FROM import_batches").fetchone()[0] == 0
    assert not ready.in_transaction
    # The connection is usable again and a later import works.
    assert run_import(ready, "purchases", path).inserted == 7


def test_cancel_during_the_write_phase_rolls_back(ready, tmp_path, monkeypatch):
    """Chunks already written (and their change log) are undone by a cancel."""
    import pharmacy_app.importers.reading as reading

    monkeypatch.setattr(reading, "CHUNK_ROWS", 1)
    path = write_csv(tmp_path / "purchases.csv", PURCHASE_HEADER, PURCHASES)
    logged = ready.execute("SELECT count(*) FROM change_log").fetchone()[0]
    schema = _schema(ready)
    progress = []

    def cancel() -> bool:
        # Once the first chunk is in purchase_lines (inside the transaction).
        return ready.execute("SELECT count(*) FROM purchase_lines").fetchone()[0] > 0

    with pytest.raises(ImportCancelled):
        run_import(
            ready,
            "purchases",
            path,
            progress=lambda done, total: progress.append((done, total)),
            cancel=cancel,
        )
    assert progress
    assert ready.execute("SELECT count(*) FROM purchase_lines").fetchone()[0] == 0
    assert ready.execute("SELECT count(*) FROM import_batches").fetchone()[0] == 0
    assert ready.execute("SELECT count(*) FROM change_log").fetchone()[0] == logged
    assert _schema(ready) == schema


def test_progress_reaches_the_total(ready, tmp_path):
    path = write_csv(tmp_path / "purchases.csv", PURCHASE_HEADER, PURCHASES)
    seen = []
    run_import(ready, "purchases", path, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (3, 3)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_duplicates_across_chunks_are_found(ready, tmp_path, monkeypatch):
    import pharmacy_app.importers.reading as reading

    monkeypatch.setattr(reading, "CHUNK_ROWS", 2)
    rows = [list(PURCHASES[0]) for _ in range(6)]
    for i, r in enumerate(rows):
        r[1] = str(i + 1)
    rows[5][1] = "2"  # row 7 repeats row 3, two chunks later
    rows[3][1] = "3"  # row 5 repeats row 4 in the same chunk
    path = write_csv(tmp_path / "purchases.csv", PURCHASE_HEADER, rows)
    result = run_import(ready, "purchases", path)
    dups = sorted((e.row, e.message) for e in result.errors)
    assert dups == [
        (5, "订单号+行号在文件中重复（与第 4 行相同）"),
        (7, "订单号+行号在文件中重复（与第 3 行相同）"),
    ]


def test_institution_defaults_to_current_and_file_column_wins(ready, tmp_path):
    header = [h for h in PURCHASE_HEADER if h != "机构编码"]
    rows = [
        [c for h, c in zip(PURCHASE_HEADER, r, strict=True) if h != "机构编码"] for r in PURCHASES
    ]
    run_import(ready, "purchases", write_csv(tmp_path / "a.csv", header, rows))
    assert {r[0] for r in ready.execute("SELECT institution_code FROM purchase_lines")} == {
        INSTITUTION
    }
    rows = [list(r) for r in PURCHASES]
    rows[0][2] = "H46010002"
    rows[1][2] = ""  # blank cell: the current institution
    run_import(ready, "purchases", write_csv(tmp_path / "b.csv", PURCHASE_HEADER, rows))
    got = dict(
        ready.execute("SELECT order_id || '/' || line_no, institution_code FROM purchase_lines")
    )
    assert got == {
        "PO2026030001/1": "H46010002",
        "PO2026030001/2": INSTITUTION,
        "PO2026030002/1": INSTITUTION,
    }


def test_no_institution_anywhere_fails(conn, tmp_path):
    header = [h for h in PURCHASE_HEADER if h != "机构编码"]
    path = write_csv(tmp_path / "a.csv", header, [])
    with pytest.raises(ImportFailed, match="机构编码"):
        run_import(conn, "purchases", path)
    # An explicit option is enough.
    assert run_import(conn, "purchases", path, options={"institution_code": "H1"}).committed


def test_amounts_prices_and_codes_in_odd_spellings(ready, tmp_path):
    rows = [
        [
            "PO1",
            "1",
            INSTITUTION,
            D1.lower(),
            "1,000",
            "￥1,234.5",
            "",
            "20260301",
            "",
            "",
            "",
            "线上",
        ],
        [
            "PO1",
            "2",
            INSTITUTION,
            "ＸＡ０１ＡＢＤ０７５Ａ００２０１０１００４８３",
            "3",
            "0.335",
            "",
            "46082",
            "",
            "",
            "",
            "线下",
        ],
        ["PO1", "3", INSTITUTION, C1, "1", "", "1.005", "2026-03-01T10:20", "", "", "", "OFFLINE"],
        ["PO1", "4", INSTITUTION, D2, "2.5", "0.1", "", "2026.3.1", "", "", "", ""],
    ]
    result = run_import(ready, "purchases", write_csv(tmp_path / "p.csv", PURCHASE_HEADER, rows))
    assert result.committed, [e.describe() for e in result.errors]
    got = {
        r["line_no"]: (
            r["code"],
            r["qty"],
            r["price"],
            r["amount_fen"],
            r["ordered_at"],
            r["channel"],
        )
        for r in ready.execute("SELECT * FROM purchase_lines")
    }
    assert got["1"] == (D1, 1000, "1234.5", 123450000, "2026-03-01 00:00:00", "online")
    # 3 × 0.335 = 1.005 yuan → 101 fen (half up); 46082 is the Excel serial of 2026-03-01.
    assert got["2"] == (D1, 3, "0.335", 101, "2026-03-01 00:00:00", "offline")
    assert got["3"] == (C1, 1, None, 101, "2026-03-01 10:20:00", "offline")
    assert got["4"] == (D2, 2.5, "0.1", 25, "2026-03-01 00:00:00", "online")


def test_neither_amount_nor_price_in_a_row_is_an_error(ready, tmp_path):
    rows = [["PO1", "1", INSTITUTION, D1, "1", "", "", "2026-03-01", "", "", "", ""]]
    result = run_import(ready, "purchases", write_csv(tmp_path / "p.csv", PURCHASE_HEADER, rows))
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "金额", "金额和单价都为空，无法计算金额")
    ]


def test_a_line_beyond_any_real_order_is_refused_before_it_breaks_the_sums(ready, tmp_path):
    """Quantity × price past 64-bit fen once made every later `indicators` fail: refused now."""
    rows = [
        ["PO1", "1", INSTITUTION, D1, "99999999999999", "12.50", "", "2026-03-01", "", "", "", ""],
        ["PO1", "2", INSTITUTION, D1, "2", "", "12500000000.00", "2026-03-01", "", "", "", ""],
        ["PO1", "3", INSTITUTION, D1, "2", "3.5", "", "2026-03-01", "", "", "", ""],
    ]
    result = run_import(ready, "purchases", write_csv(tmp_path / "p.csv", PURCHASE_HEADER, rows))
    assert not result.committed
    assert [(e.row, e.column) for e in result.errors] == [(2, "数量"), (3, "金额")]
    assert all("数值过大" in e.message for e in result.errors)
    assert ready.execute("SELECT count(*) FROM purchase_lines").fetchone()[0] == 0


def test_mapping_override_and_unmapping(ready, tmp_path):
    header = list(PURCHASE_HEADER)
    header[7] = "制单日期"  # unknown header: map it by hand
    path = write_csv(tmp_path / "p.csv", header, PURCHASES)
    with pytest.raises(ImportFailed, match="下单时间"):
        run_import(ready, "purchases", path)
    result = run_import(
        ready, "purchases", path, mapping={"ordered_at": "制单日期", "supplier": None}
    )
    assert result.committed
    assert {r[0] for r in ready.execute("SELECT supplier FROM purchase_lines")} == {""}
    with pytest.raises(ImportFailed, match="不存在"):
        run_import(ready, "purchases", path, mapping={"ordered_at": "没有这列"})


def test_rows_with_wrong_cell_count_and_blank_lines_are_reported_by_record_number(ready, tmp_path):
    path = tmp_path / "p.csv"
    good = ",".join(PURCHASES[0])
    text = (
        "\n".join(
            [
                "采购明细",
                ",".join(PURCHASE_HEADER),
                good,
                "",
                "PO9,1,too,few",
                '"PO9",2,' + INSTITUTION + "," + D1 + ',1,1,1,2026-03-01,,,"配送\n企业",线上',
                ",".join(PURCHASES[2]) + ",extra",
                ",".join(PURCHASES[1]),
            ]
        )
        + "\n\n"
    )
    path.write_text(text, encoding="utf-8")
    result = run_import(ready, "purchases", path)
    assert not result.committed
    assert sorted((e.row, e.message) for e in result.errors) == [
        (5, "列数与表头不符：应为 12 列，实际 4 列"),
        (7, "列数与表头不符：应为 12 列，实际 13 列"),
    ]
    assert result.rejected_rows[5] == ["PO9", "1", "too", "few"]
    # The record with a line break inside quotes counts as one row (as in Excel).
    fixed = (
        text.replace("PO9,1,too,few\n", "")
        .replace(",extra", "")
        .replace("PO2026030002,1", "PO2026030002,9")
    )
    path.write_text(fixed, encoding="utf-8")
    result = run_import(ready, "purchases", path)
    assert result.committed and result.rows_total == 4
    supplier = ready.execute("SELECT supplier FROM purchase_lines WHERE order_id='PO9'").fetchone()[
        0
    ]
    assert supplier == "配送\n企业"


def test_tab_separated_text_is_read(ready, tmp_path):
    path = write_csv(tmp_path / "p.txt", PURCHASE_HEADER, PURCHASES, delimiter="\t")
    assert run_import(ready, "purchases", path).inserted == 3


def test_errors_past_the_cap_are_counted_not_kept(ready, tmp_path, monkeypatch):
    import pharmacy_app.importers.engine as engine

    monkeypatch.setattr(engine, "MAX_KEPT_ERRORS", 3)
    rows = []
    for i in range(5):
        row = list(PURCHASES[0])
        row[1], row[4], row[5] = str(i + 1), "x", "y"
        rows.append(row)
    result = run_import(ready, "purchases", write_csv(tmp_path / "p.csv", PURCHASE_HEADER, rows))
    assert (len(result.errors), result.errors_omitted, result.error_count) == (3, 7, 10)
    assert (len(result.rejected_rows), result.rejected_count) == (3, 5)
    assert result.summary()["rejected_rows"] == 5


def test_absurd_numbers_are_refused(ready, tmp_path):
    row = list(PURCHASES[0])
    row[4], row[6] = "1e400", "1e20"
    result = run_import(ready, "purchases", write_csv(tmp_path / "p.csv", PURCHASE_HEADER, [row]))
    assert sorted((e.column, e.message) for e in result.errors) == [
        ("数量", "数值过大"),
        ("金额", "数值过大"),
    ]


def test_inside_a_callers_transaction_a_rejected_import_leaves_nothing(ready, tmp_path):
    rows = [list(r) for r in PURCHASES]
    rows[2][4] = "x"
    bad = write_csv(tmp_path / "bad.csv", PURCHASE_HEADER, rows)
    good = write_csv(tmp_path / "good.csv", PURCHASE_HEADER, PURCHASES[:1])
    ready.execute("BEGIN")
    assert run_import(ready, "purchases", good).committed
    assert not run_import(ready, "purchases", bad).committed
    assert ready.in_transaction
    ready.execute("COMMIT")
    assert ready.execute("SELECT count(*) FROM purchase_lines").fetchone()[0] == 1


def _schema(conn):
    """Every index and trigger as the migrations created them."""
    return sorted(
        tuple(r)
        for r in conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
        )
    )


def _log(conn):
    return [
        tuple(r)
        for r in conn.execute(
            "SELECT row_uuid, version, op FROM change_log "
            "WHERE table_name = 'purchase_lines' ORDER BY seq"
        )
    ]


def _by_key(conn):
    return {
        f"{r[0]}/{r[1]}": (r[2], r[3])
        for r in conn.execute("SELECT order_id, line_no, uuid, version FROM purchase_lines")
    }


def test_sync1_bulk_import_logs_each_inserted_and_updated_line_once_unchanged_never(
    ready, tmp_path
):
    """SYNC-1 with migration 0003: the importer, not the trigger, logs its batch, set-based."""
    path = write_csv(tmp_path / "purchases.csv", PURCHASE_HEADER, PURCHASES)
    run_import(ready, "purchases", path)
    first = _by_key(ready)
    assert sorted(_log(ready)) == sorted((u, 1, "insert") for u, _v in first.values())

    rows = [list(r) for r in PURCHASES]
    rows[0][9] = "2026-03-04 09:00:00"  # changed
    rows.append(
        ["PO2026030009", "1", INSTITUTION, D2, "2", "3.2", "6.4", "2026-03-07 10:00:00"]
        + ["", "", "", "线上"]
    )  # new; rows[1] and rows[2] unchanged
    result = run_import(ready, "purchases", write_csv(tmp_path / "b.csv", PURCHASE_HEADER, rows))
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 2)
    now = _by_key(ready)
    changed_key = f"{rows[0][0]}/{rows[0][1]}"
    new_key = "PO2026030009/1"
    assert now[changed_key] == (first[changed_key][0], 2)
    assert _log(ready)[len(first) :] == sorted(
        [(now[new_key][0], 1, "insert"), (now[changed_key][0], 2, "update")],
        key=lambda e: e[2] != "insert",
    )
    assert len(_log(ready)) == len(first) + 2


def test_sync1_rolled_back_bulk_import_leaves_no_change_log_rows(ready, tmp_path, monkeypatch):
    """SYNC-1: the batch's log rows are written in the import's transaction and undone with it."""
    from pharmacy_app.importers import bulk

    path = write_csv(tmp_path / "purchases.csv", PURCHASE_HEADER, PURCHASES)
    original = bulk.BulkTable.finish
    schema = _schema(ready)

    def log_then_fail(self, *args, **kwargs):
        original(self, *args, **kwargs)
        assert ready.execute("SELECT count(*) FROM change_log").fetchone()[0] > 0
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk.BulkTable, "finish", log_then_fail)
    with pytest.raises(RuntimeError):
        run_import(ready, "purchases", path)
    assert ready.execute("SELECT count(*) FROM purchase_lines").fetchone()[0] == 0
    assert (
        ready.execute(
            "SELECT count(*) FROM change_log WHERE table_name = 'purchase_lines'"
        ).fetchone()[0]
        == 0
    )
    assert _schema(ready) == schema


def test_sync1_non_bulk_changes_to_purchase_lines_are_still_logged_by_the_triggers(ready, tmp_path):
    """SYNC-1: only a bulk import's own writes skip the triggers."""
    run_import(ready, "purchases", write_csv(tmp_path / "p.csv", PURCHASE_HEADER, PURCHASES))
    uuid, version = ready.execute(
        "SELECT uuid, version FROM purchase_lines ORDER BY id LIMIT 1"
    ).fetchone()
    before = len(_log(ready))
    ready.execute(
        "UPDATE purchase_lines SET qty = qty + 1, version = version + 1 WHERE uuid = ?", (uuid,)
    )
    ready.execute("UPDATE purchase_lines SET batch_id = NULL WHERE uuid = ?", (uuid,))
    ready.execute("DELETE FROM purchase_lines WHERE uuid = ?", (uuid,))
    ready.execute(
        "INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, "
        "amount_fen, ordered_at) VALUES ('M1', '1', ?, ?, 1, 100, '2026-03-01 08:00:00')",
        (INSTITUTION, D1),
    )
    manual = ready.execute("SELECT uuid FROM purchase_lines WHERE order_id = 'M1'").fetchone()[0]
    assert _log(ready)[before:] == [
        (uuid, version + 1, "update"),
        (uuid, version + 1, "update"),
        (uuid, version + 1, "delete"),
        (manual, 1, "insert"),
    ]


def test_import_commits_without_waiting_for_a_checkpoint_and_checkpoints_afterwards(
    ready, tmp_path, monkeypatch
):
    import sqlite3
    import threading

    from pharmacy_app.importers import engine

    monkeypatch.setattr(engine, "BACKGROUND_CHECKPOINT_BYTES", 0)  # take the thread path
    ready.execute("PRAGMA wal_autocheckpoint = 500")
    seen = []
    original = engine._checkpoint

    def spy(path):
        seen.append(path)
        original(path)

    monkeypatch.setattr(engine, "_checkpoint", spy)
    path = write_csv(tmp_path / "purchases.csv", PURCHASE_HEADER, PURCHASES)
    assert run_import(ready, "purchases", path).committed
    for t in threading.enumerate():
        if t.name == "wal-checkpoint":
            t.join(10)
    main = next(r[2] for r in ready.execute("PRAGMA database_list") if r[1] == "main")
    assert seen == [main]  # a PASSIVE checkpoint ran on a connection of its own
    assert ready.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 500  # restored
    other = sqlite3.connect(main)
    assert other.execute("SELECT count(*) FROM purchase_lines").fetchone()[0] == 3
    other.close()


def test_totals_and_notes_rows_of_an_export_are_skipped_and_said(ready, tmp_path):
    """A platform export ends with 合计 and 制表人 rows: skipped (and listed), not a rejection."""
    rows = [list(r) for r in PURCHASES]
    rows.append(["合计", "", "", "", "", "", "12345.00", "", "", "", "", ""])
    rows.append(["制表人：张三  日期：2026-03-31", "", "", "", "", "", "", "", "", "", "", ""])
    odd = list(PURCHASES[0])
    odd[0] = "合计2026"  # an order number that merely begins like it, every field filled
    rows.append(odd)
    result = run_import(ready, "purchases", write_csv(tmp_path / "p.csv", PURCHASE_HEADER, rows))
    assert result.committed, result.errors
    n = len(PURCHASES)
    assert [row for row, _text in result.skipped] == [n + 2, n + 3]
    assert result.inserted == n + 1 and "跳过合计/说明行 2 行" in result.describe()
    assert result.summary()["skipped_rows"][0] == {"row": n + 2, "text": "合计"}


def test_full_and_half_width_spellings_of_a_supplier_are_one_company(ready, tmp_path):
    """SUP-1…SUP-6 count per company: 国药控股（海南） and 国药控股(海南) are one."""
    rows = [list(r) for r in PURCHASES[:2]]
    rows[0][10], rows[1][10] = "国药控股（海南）有限公司", "国药控股(海南)有限公司"
    assert run_import(ready, "purchases", write_csv(tmp_path / "p.csv", PURCHASE_HEADER, rows))
    names = {r[0] for r in ready.execute("SELECT DISTINCT supplier FROM purchase_lines")}
    assert names == {"国药控股(海南)有限公司"}


@pytest.mark.parametrize(
    "cell, summary",
    [("合计", True), ("总计：4条", True), ("制表人：张三", True), ("注：本表为导出", True),
     ("审核通过", False), ("注射剂", False), ("合计金额较上月", False)],
)
def test_what_counts_as_a_totals_or_notes_row(cell, summary):
    """Only a marker standing alone or before a colon/count: a status like 审核通过 in the first
    column of a real line is never taken for one (that line's errors are reported)."""
    import re

    from pharmacy_app.importers.engine import _SUMMARY_ROW

    assert bool(re.match(_SUMMARY_ROW, cell)) is summary
