"""Results: describe/summary, and rejected rows saved as xlsx/csv, fixed and imported again."""

from __future__ import annotations

import csv
import json

import pytest
from importer_fixtures import PURCHASE_HEADER, PURCHASES, write_csv

from pharmacy_app.importers import ImportResult, RowError, run_import, save_rejected


def bad_import(conn, tmp_path):
    rows = [list(r) for r in PURCHASES]
    rows[0][4] = "十"
    rows[2][7] = "2026-13-01"
    rows[2][0] = "0012"  # leading zeros must survive the round trip
    return run_import(
        conn, "purchases", write_csv(tmp_path / "purchases.csv", PURCHASE_HEADER, rows)
    )


def test_describe_and_summary(ready, tmp_path):
    result = bad_import(ready, tmp_path)
    assert result.describe() == "purchases.csv：共 3 行，其中 2 行有误（2 处），未写入任何数据。"
    summary = json.loads(json.dumps(result.summary(), ensure_ascii=False))
    assert summary["committed"] is False and summary["error_count"] == 2
    assert summary["errors"][0] == {
        "row": 2,
        "column": "数量",
        "field": "qty",
        "value": "十",
        "message": "不是数字",
    }
    error = RowError("a.csv", 3, None, None, "", "列数与表头不符")
    assert error.describe() == "a.csv 第 3 行：列数与表头不符"
    ok = ImportResult("payments", "p.csv", rows_total=5, inserted=3, unchanged=2, committed=True)
    assert ok.describe() == "p.csv：共 5 行，新增 3 行，更新 0 行，未变 2 行。"


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_rejected_rows_round_trip(ready, tmp_path, suffix):
    result = bad_import(ready, tmp_path)
    out = save_rejected(result, tmp_path / f"rejected{suffix}")
    if suffix == ".csv":
        assert out.read_bytes().startswith(b"\xef\xbb\xbf")
        with out.open(encoding="utf-8-sig", newline="") as f:
            table = list(csv.reader(f))
    else:
        from python_calamine import CalamineWorkbook

        table = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert table[0] == [*PURCHASE_HEADER, "行号", "错误原因"]
    assert [row[-2] for row in table[1:]] == ["2", "4"]
    assert table[1][:12] == [
        str(c) if c != "十" else "十" for c in [*PURCHASES[0][:4], "十", *PURCHASES[0][5:]]
    ]
    assert table[1][-1] == "「数量」不是数字"
    assert table[2][0] == "0012" and table[2][-1] == "「下单时间」日期不存在"

    # The user fixes the cells and imports the saved file as it is.
    fixed = [list(r[:12]) for r in table[1:]]
    fixed[0][4] = "10"
    fixed[1][7] = "2026-03-01"
    path = write_csv(tmp_path / "fixed.csv", table[0], [[*r, "", ""] for r in fixed])
    again = run_import(ready, "purchases", path)
    assert again.committed and again.inserted == 2, [e.describe() for e in again.errors]


def test_save_rejected_refuses_other_formats(ready, tmp_path):
    with pytest.raises(ValueError):
        save_rejected(bad_import(ready, tmp_path), tmp_path / "rejected.txt")
