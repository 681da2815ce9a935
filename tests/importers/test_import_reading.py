"""Reading files: encodings detected and reported, title rows skipped, headers forgiven, previews."""

from __future__ import annotations

import pytest
from importer_fixtures import (
    PURCHASE_ALIASES,
    PURCHASE_HEADER,
    PURCHASES,
    PURCHASES_LOOSE,
    write_csv,
    write_xlsx,
)

from pharmacy_app.importers import (
    ImportFailed,
    delete_mapping_profile,
    load_mapping_profiles,
    normalise_header,
    preview,
    run_import,
    save_mapping_profile,
)


@pytest.mark.parametrize(
    "encoding, reported",
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gbk", "gbk"),
        ("gb18030", "gb18030"),
        ("utf-16", "utf-16"),
    ],
)
def test_each_encoding_is_detected_and_reported(ready, tmp_path, encoding, reported):
    rows = [list(r) for r in PURCHASES]
    if encoding == "gb18030":
        rows[0][10] = "𠀀配送"  # only GB18030 (not GBK) can encode it
    path = write_csv(tmp_path / "p.csv", PURCHASE_HEADER, rows, encoding=encoding)
    p = preview("purchases", path)
    assert p.encoding == reported
    assert p.headers == PURCHASE_HEADER
    assert p.sample_rows[0][10] == rows[0][10]
    result = run_import(ready, "purchases", path)
    assert result.committed and result.encoding == reported and result.inserted == 3
    supplier = ready.execute(
        "SELECT supplier FROM purchase_lines WHERE order_id='PO2026030001' AND line_no='1'"
    )
    assert supplier.fetchone()[0] == rows[0][10]


def test_a_gbk_character_deep_in_the_file_is_not_misread(ready, tmp_path):
    rows = [list(PURCHASES[2]) for _ in range(20_000)]
    for i, r in enumerate(rows):
        r[1] = str(i + 1)
        r[10] = "supplier"
    rows[-1][10] = "华润"
    path = write_csv(tmp_path / "p.csv", PURCHASE_HEADER, rows, encoding="gbk")
    assert path.stat().st_size > 1_500_000
    result = run_import(ready, "purchases", path)
    assert result.encoding == "gbk" and result.committed
    assert (
        ready.execute("SELECT supplier FROM purchase_lines WHERE line_no='20000'").fetchone()[0]
        == "华润"
    )


def test_preview_of_gbk_file_with_title_rows_and_aliases(tmp_path):
    path = write_csv(
        tmp_path / "his.csv",
        [*PURCHASE_ALIASES, "备注"],
        [[*r, ""] for r in PURCHASES_LOOSE],
        encoding="gbk",
        title=["某某医院采购明细", "2026年3月"],
    )
    p = preview("purchases", path, rows=2)
    assert (p.file, p.kind, p.encoding, p.sheet, p.header_row) == (
        "his.csv",
        "purchases",
        "gbk",
        None,
        3,
    )
    assert p.mapping["ordered_at"] == "订单时间" and p.mapping["price"] == "采购价（元）"
    assert p.mapping["channel"] == "线上/线下"
    assert p.unmapped_headers == ["备注"]
    assert p.missing_required == []
    assert p.field_labels["qty"] == "数量" and "order_id" in p.required_fields
    assert len(p.sample_rows) == 2 and p.sample_rows[0][0] == "PO2026030001"


def test_preview_reports_missing_required_and_accepts_overrides(tmp_path):
    header = list(PURCHASE_HEADER)
    header[0] = "单据号"
    path = write_csv(tmp_path / "p.csv", header, PURCHASES)
    p = preview("purchases", path)
    assert p.missing_required == ["order_id"] and "单据号" in p.unmapped_headers
    p = preview("purchases", path, mapping={"order_id": "单据号"})
    assert p.missing_required == [] and p.mapping["order_id"] == "单据号"


def test_preview_picks_the_sheet_with_the_data(tmp_path):
    path = write_xlsx(
        tmp_path / "p.xlsx",
        PURCHASE_HEADER,
        PURCHASES,
        sheet="采购明细",
        extra_sheets=["说明"],
        title=["标题"],
    )
    p = preview("purchases", path)
    assert (p.sheet, p.header_row, p.encoding) == ("采购明细", 2, None)
    assert p.sample_rows[1][:2] == ["PO2026030001", "2"]
    with pytest.raises(ImportFailed, match="没有名为"):
        preview("purchases", path, options={"sheet": "不存在"})


@pytest.mark.parametrize(
    "header",
    ["单价", "单价(元)", "单价（元）", " 单 价 ", "单价\n（元）", "*单价", "单价[元]", "ＵＤＩ"],
)
def test_headers_are_forgiven(header):
    expected = "udi" if header == "ＵＤＩ" else "单价"
    assert normalise_header(header) == expected


def test_header_with_line_breaks_full_width_and_units_maps(ready, tmp_path):
    header = list(PURCHASE_HEADER)
    header[3] = "药品\n编码"
    header[5] = "单价（元）"
    header[6] = "金 额(元)"
    header[0] = "＊订单号"
    path = write_csv(tmp_path / "p.csv", header, PURCHASES)
    assert run_import(ready, "purchases", path).inserted == 3


def test_unsupported_file_type_fails(tmp_path):
    path = tmp_path / "p.pdf"
    path.write_bytes(b"%PDF")
    with pytest.raises(ImportFailed, match="p.pdf.*不支持"):
        preview("purchases", path)


def test_mapping_profiles_are_saved_loaded_and_used(ready, tmp_path):
    header = list(PURCHASE_HEADER)
    header[0], header[7] = "单据号", "制单时间"
    path = write_csv(tmp_path / "his.csv", header, PURCHASES)
    save_mapping_profile(
        ready, "purchases", "某 HIS 导出", {"order_id": "单据号", "ordered_at": "制单时间"}
    )
    save_mapping_profile(ready, "catalogue", "别的", {"code": "编码"})
    profiles = load_mapping_profiles(ready, "purchases")
    assert profiles == {"某 HIS 导出": {"order_id": "单据号", "ordered_at": "制单时间"}}
    key = ready.execute(
        "SELECT key FROM app_settings WHERE key LIKE 'mapping:purchases:%'"
    ).fetchone()[0]
    assert key == "mapping:purchases:某 HIS 导出"
    result = run_import(ready, "purchases", path, mapping=profiles["某 HIS 导出"])
    assert result.inserted == 3
    with pytest.raises(ValueError):
        save_mapping_profile(ready, "purchases", "x", {"no_such_field": "a"})
    assert delete_mapping_profile(ready, "purchases", "某 HIS 导出")
    assert load_mapping_profiles(ready, "purchases") == {}


def test_rows_are_numbered_by_record_after_a_header_with_a_line_break(ready, tmp_path):
    header = ",".join(f'"{h}"' if h != "药品编码" else '"药品\n编码"' for h in PURCHASE_HEADER)
    text = (
        "\n".join(
            [
                '"标题\n第二行"',
                header,
                ",".join(PURCHASES[0]),
                "PO9,1,too,few",
                ",".join(PURCHASES[1]).replace("5", "五", 1),
            ]
        )
        + "\n"
    )
    path = tmp_path / "p.csv"
    path.write_text(text, encoding="utf-8")
    result = run_import(ready, "purchases", path)
    assert sorted((e.row, e.column) for e in result.errors) == [(4, None), (5, "数量")]


def test_row_numbers_stay_right_across_many_blocks_with_invalid_rows(ready, tmp_path, monkeypatch):
    import pharmacy_app.importers.reading as reading

    monkeypatch.setattr(reading, "ARROW_BLOCK", 4096)
    monkeypatch.setattr(reading, "CHUNK_ROWS", 70)
    lines = [",".join(PURCHASE_HEADER)]
    expected = []
    for i in range(2000):
        row = list(PURCHASES[0])
        row[1] = str(i + 1)
        record = len(lines) + 1
        if i % 333 == 5:
            lines.append("short,row")
            expected.append((record, None))
            continue
        if i % 250 == 7:
            row[4] = "bad"
            expected.append((record, "数量"))
        if i % 400 == 9:
            row[10] = "多行\n配送企业"
        lines.append(",".join(f'"{c}"' for c in row))
    path = tmp_path / "p.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_import(ready, "purchases", path)
    assert sorted((e.row, e.column) for e in result.errors) == sorted(expected)
    assert result.rows_total == 2000
