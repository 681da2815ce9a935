"""Excel read through fastexcel's typed columns gives the cells `cell_text` gives.

The fast path (typed Arrow columns, converted column-wise) must read every
cell exactly as the cell-by-cell python-calamine path does, or an xlsx and a
CSV of the same data would import to different figures (issue 2). Sheets the
fast path cannot read exactly (mixed columns, time-only cells) go the cell
path, and still read right.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlsxwriter

from pharmacy_app.importers.reading import ExcelSource
from pharmacy_app.importers.spec import PURCHASES

HEADER = ["订单号", "行号", "机构编码", "药品编码", "数量", "单价", "金额", "下单时间", "采购方式"]


def _workbook(path: Path, rows: list[list[object]], *, title: bool = True) -> Path:
    """Data from B3 on (an empty first row and column, as exports have), dates as date cells."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("采购明细")
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    clock = wb.add_format({"num_format": "hh:mm"})
    top = 1
    if title:
        ws.write_string(1, 1, "2026年采购明细（导出）")
        top = 2
    ws.write_row(top, 1, HEADER)
    for r, row in enumerate(rows, start=top + 1):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            if isinstance(value, dt.datetime):
                fmt = clock if value.year == 1899 else day if value.time() == dt.time() else stamp
                ws.write_datetime(r, c, value, fmt)
            elif isinstance(value, bool):
                ws.write_boolean(r, c, value)
            elif isinstance(value, int | float):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, value)
    wb.close()
    return path


def _read(source: ExcelSource) -> tuple[list[list[str]], list[int]]:
    rows: list[list[str]] = []
    numbers: list[int] = []
    for chunk in source.chunks():
        rows += [list(r) for r in zip(*(c.to_pylist() for c in chunk.columns), strict=True)]
        numbers += chunk.rows.tolist()
    return rows, numbers


def _cell_path(path: Path) -> tuple[list[list[str]], list[int]]:
    source = ExcelSource.open(path, PURCHASES)
    source._typed = None  # as if a column had mixed kinds of cell
    return _read(source)


TRICKY = [
    # order, line, institution, code, qty, price, amount, ordered, channel
    ["PO1", 1, "H46010001", "XA01", 12.0, 0.1 + 0.2, 1e16, dt.datetime(2026, 3, 1), True],
    ["PO1", 2, "H46010001", "XA02", -0.0, 3.5, 123456789.125,
     dt.datetime(2026, 3, 1, 10, 0, 0, 700000), False],
    [None] * 9,  # an empty row: skipped, numbering kept
    ["PO2", 1, "H46010001", "XA03", 5, 1 / 3, None, dt.datetime(2026, 3, 2, 23, 59, 59, 600000), None],
    ["PO2", 2, None, "XA04", 999999999999999.0, 2.5e-7, 1e15, None, True],
]


def test_typed_columns_read_every_cell_as_the_cell_path(tmp_path):
    path = _workbook(tmp_path / "tricky.xlsx", TRICKY)
    source = ExcelSource.open(path, PURCHASES)
    assert source.header_row == 3 and source.headers == HEADER
    assert source._typed_data() is not None  # the fast path was taken
    fast = _read(source)
    assert fast == _cell_path(path)
    rows, numbers = fast
    assert numbers == [4, 5, 7, 8]  # Excel's own row numbers, the empty row 6 left out
    assert rows[0][4:9] == ["12", "0.3", "1e+16", "2026-03-01", "是"]  # as xlsxwriter stored it
    assert rows[1][4:9] == ["0", "3.5", "123456789.125", "2026-03-01 10:00:01", "否"]
    # 23:59:59.6 rounds to the next midnight, which reads as the date alone.
    assert rows[2][5:9] == [repr(1 / 3), "", "2026-03-03", ""]
    assert rows[3][2] == "" and rows[3][4:9] == ["999999999999999", "2.5e-07", "1000000000000000.0", "", "是"]


def test_the_preview_rows_are_the_imported_rows(tmp_path):
    path = _workbook(tmp_path / "tricky.xlsx", TRICKY)
    source = ExcelSource.open(path, PURCHASES)
    assert source.sample_rows(2) == _read(source)[0][:2]
    assert ExcelSource.open(path, PURCHASES).sample_rows(10) == _read(source)[0]


@pytest.mark.parametrize(
    "odd_cell",
    [
        pytest.param("第三行", id="text among numbers"),
        pytest.param(dt.datetime(1899, 12, 31, 10, 30), id="time of day"),
    ],
)
def test_a_sheet_the_typed_path_cannot_read_exactly_goes_cell_by_cell(tmp_path, odd_cell):
    rows = [
        ["PO1", 1, "H1", "XA01", 12.0, 1.5, 18.0, dt.datetime(2026, 3, 1, 9), "线上"],
        ["PO1", 2, "H1", "XA02", odd_cell, 1.5, 18.0, dt.datetime(2026, 3, 1, 9), "线上"],
    ]
    if isinstance(odd_cell, dt.datetime):
        rows[0][4] = dt.datetime(1899, 12, 31, 8, 0)
    path = _workbook(tmp_path / "odd.xlsx", rows, title=False)
    source = ExcelSource.open(path, PURCHASES)
    assert source._typed_data() is None
    read, numbers = _read(source)
    assert numbers == [3, 4]
    expected = ["08:00:00", "10:30:00"] if isinstance(odd_cell, dt.datetime) else ["12", "第三行"]
    assert [r[4] for r in read] == expected


def test_columns_past_the_header_are_left_out_and_short_rows_padded(tmp_path):
    path = tmp_path / "wide.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, HEADER[:4])
    ws.write_row(1, 0, ["PO1", 1, "H1", "XA01", "多余", 7])
    ws.write_row(2, 0, ["PO1", 2])
    wb.close()
    source = ExcelSource.open(path, PURCHASES)
    assert source._typed_data() is not None
    assert _read(source) == ([["PO1", "1", "H1", "XA01"], ["PO1", "2", "", ""]], [2, 3])
    assert _read(source) == _cell_path(path)


def test_a_header_of_number_date_or_boolean_cells_reads_as_cell_text(tmp_path):
    path = tmp_path / "odd-header.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, HEADER)
    ws.write_number(0, 9, 2026.5)
    ws.write_datetime(0, 10, dt.datetime(2026, 3, 1), wb.add_format({"num_format": "yyyy-mm-dd"}))
    ws.write_boolean(0, 11, True)
    ws.write_row(1, 0, ["PO1", 1, "H1", "XA01", 2, 1.5, 3, "2026-03-01", "线上", "x", "y", "z"])
    wb.close()
    source = ExcelSource.open(path, PURCHASES)
    assert source.headers == [*HEADER, "2026.5", "2026-03-01", "是"]
    assert _read(source)[0] == [["PO1", "1", "H1", "XA01", "2", "1.5", "3", "2026-03-01", "线上",
                                 "x", "y", "z"]]


def test_an_empty_sheet_previews_as_missing_columns(tmp_path):
    from pharmacy_app.importers import preview

    path = tmp_path / "empty.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("空")
    wb.close()
    shown = preview("purchases", path)
    assert shown.sample_rows == [] and "order_id" in shown.missing_required
    source = ExcelSource.open(path, PURCHASES)
    assert list(source.chunks()) == []
