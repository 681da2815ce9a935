"""Test data for the importer tests: one small data set written in every form.

The same purchases, catalogue and agreements are written as clean UTF-8 CSV,
as GBK CSV with a title row, alias headers, `2026/3/1` dates and √ flags, and
as xlsx with real numbers and dates, so tests can check that every form lands
as identical database rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
from collections.abc import Sequence
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
INSTITUTION = "H46010001"
D1 = "XA01ABD075A002010100483"
D2 = "XJ01CAA040E001010101234"
D3 = "ZA04BAA0123010203040506"
C1 = "C0301010000000000123456789"[:26] + "0"
assert len(C1) == 27 and len(D1) == len(D2) == len(D3) == 23

PURCHASE_HEADER = [
    "订单号",
    "行号",
    "机构编码",
    "药品编码",
    "数量",
    "单价",
    "金额",
    "下单时间",
    "响应时间",
    "配送时间",
    "配送企业",
    "采购方式",
]
PURCHASE_ALIASES = [
    "订单编号",
    "明细号",
    "医疗机构编码",
    "医保编码",
    "采购数量",
    "采购价（元）",
    "采购金额(元)",
    "订单时间",
    "确认时间",
    "到货时间",
    "配送商",
    "线上/线下",
]
# Canonical rows as a clean export would have them.
PURCHASES = [
    [
        "PO2026030001",
        "1",
        INSTITUTION,
        D1,
        "10",
        "12.50",
        "125.00",
        "2026-03-01 08:15:00",
        "2026-03-01 09:00:00",
        "2026-03-02 10:00:00",
        "国药控股海南有限公司",
        "线上",
    ],
    [
        "PO2026030001",
        "2",
        INSTITUTION,
        D2,
        "5",
        "3.2",
        "",
        "2026-03-01 08:15:00",
        "",
        "",
        "国药控股海南有限公司",
        "线下",
    ],
    [
        "PO2026030002",
        "1",
        INSTITUTION,
        C1,
        "2",
        "100",
        "200",
        "2026-03-05 00:00:00",
        "2026-03-05 13:30:00",
        "",
        "华润海南医药有限公司",
        "线上",
    ],
]
# The same rows the way Excel on a Chinese PC writes them.
PURCHASES_LOOSE = [
    [
        "PO2026030001",
        "1",
        INSTITUTION,
        D1,
        "10",
        "12.5",
        "125",
        "2026/3/1 8:15",
        "2026/3/1 9:00",
        "2026/3/2 10:00",
        "国药控股海南有限公司",
        "线上",
    ],
    [
        "PO2026030001",
        "2",
        INSTITUTION,
        D2,
        "5",
        "3.20",
        "",
        "2026/3/1 8:15:00",
        "",
        "",
        "国药控股海南有限公司",
        "线下",
    ],
    [
        "PO2026030002",
        "1",
        INSTITUTION,
        C1,
        "2",
        "100.00",
        "200.0",
        "2026/3/5",
        "2026年3月5日 13:30",
        "",
        "华润海南医药有限公司",
        "线上",
    ],
]


def purchases_as_excel_values() -> list[list[object]]:
    """PURCHASES with numbers as numbers and times as datetimes (as in a real workbook)."""
    out = []
    for row in PURCHASES:
        cells: list[object] = list(row)
        cells[1] = int(row[1])
        cells[4] = float(row[4])
        cells[5] = float(row[5])
        cells[6] = float(row[6]) if row[6] else ""
        for k in (7, 8, 9):
            cells[k] = dt.datetime.strptime(row[k], "%Y-%m-%d %H:%M:%S") if row[k] else ""
        out.append(cells)
    return out


CATALOGUE_HEADER = [
    "药品编码",
    "通用名",
    "剂型",
    "规格",
    "包装",
    "转换比",
    "生产企业",
    "基药",
    "集采",
    "集采批次",
    "过评",
    "原研",
    "国谈",
    "单价",
    "状态",
    "类别",
]
CATALOGUE_ALIASES = [
    "国家医保药品编码",
    "通用名称",
    "剂 型",
    "规格",
    "包装规格",
    "包装数量",
    "生产厂家",
    "是否基药",
    "是否集采",
    "批次",
    "一致性评价",
    "是否原研",
    "国家谈判",
    "挂网价（元）",
    "使用状态",
    "药品类别",
]
CATALOGUE = [
    [
        D1,
        "阿莫西林",
        "胶囊",
        "0.25g",
        "0.25g*24粒/盒",
        "24",
        "甲制药",
        "是",
        "是",
        "第二批",
        "是",
        "否",
        "否",
        "12.50",
        "在用",
        "药品",
    ],
    [
        D2,
        "头孢呋辛",
        "片剂",
        "0.25g",
        "10片*2板/盒",
        "",
        "乙制药",
        "否",
        "否",
        "",
        "是",
        "是",
        "否",
        "30",
        "停用",
        "药品",
    ],
    [
        D3,
        "复方丹参",
        "滴丸",
        "27mg",
        "180丸/瓶",
        "180",
        "丙药业",
        "是",
        "否",
        "",
        "否",
        "否",
        "是",
        "",
        "在用",
        "药品",
    ],
    [
        C1,
        "一次性输液器",
        "",
        "",
        "1套/袋",
        "1",
        "丁医疗",
        "否",
        "是",
        "耗材第一批",
        "否",
        "否",
        "否",
        "3.5",
        "在用",
        "耗材",
    ],
]


def catalogue_loose() -> list[list[str]]:
    """CATALOGUE with √/空 flags and other spellings a hospital system may use."""
    flag = {"是": "√", "否": ""}
    out = []
    for row in CATALOGUE:
        cells = list(row)
        for k in (7, 8, 10, 11, 12):
            cells[k] = flag[row[k]]
        cells[13] = f"{row[13]}0" if row[13] and "." in row[13] else row[13]
        out.append(cells)
    return out


def catalogue_as_excel_values() -> list[list[object]]:
    out = []
    for row in CATALOGUE:
        cells: list[object] = list(row)
        cells[5] = int(row[5]) if row[5] else ""
        for k in (7, 8, 10, 11, 12):
            cells[k] = row[k] == "是"
        cells[13] = float(row[13]) if row[13] else ""
        out.append(cells)
    return out


AGREEMENT_HEADER = [
    "机构编码",
    "集采批次",
    "通用名",
    "中选产品编码",
    "备供产品编码",
    "可替代药品编码",
    "中选价",
    "约定采购量",
    "上年用量",
    "执行开始",
    "执行结束",
]
AGREEMENTS = [
    [
        INSTITUTION,
        "第二批",
        "阿莫西林胶囊",
        D1,
        D2,
        f"{D3};{C1}",
        "0.1234",
        "12000",
        "20000",
        "2026-01-01",
        "2026-12-31",
    ],
    [
        INSTITUTION,
        "第三批",
        "头孢呋辛片",
        f"{D2}; {D1}",
        "",
        "",
        "0.5",
        "3000",
        "",
        "2026-03-01",
        "2027-02-28",
    ],
]


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    encoding: str = "utf-8",
    title: Sequence[str] = (),
    delimiter: str = ",",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, delimiter=delimiter)
        for line in title:
            writer.writerow([line])
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    title: Sequence[str] = (),
    sheet: str = "Sheet1",
    extra_sheets: Sequence[str] = (),
) -> Path:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    for name in extra_sheets:
        workbook.add_worksheet(name).write(0, 0, "说明：本表无数据")
    ws = workbook.add_worksheet(sheet)
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    r = 0
    for line in title:
        ws.write(r, 0, line)
        r += 1
    ws.write_row(r, 0, list(header))
    for row in rows:
        r += 1
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                ws.write_datetime(r, c, value, date_format)
            elif isinstance(value, str):
                ws.write_string(r, c, value)
            else:
                ws.write(r, c, value)
    workbook.close()
    return path


def setup_institution_and_catalogue(conn: sqlite3.Connection) -> None:
    """The institution and the products the purchases refer to."""
    from pharmacy_app.catalogue import Product, save_products
    from pharmacy_app.institutions import init_institution

    init_institution(conn, INSTITUTION, "测试卫生院", "grassroots")
    save_products(
        conn,
        [
            Product(code=D1, generic_name="阿莫西林", dosage_form="胶囊", conversion=24),
            Product(code=D2, generic_name="头孢呋辛", dosage_form="片剂", conversion=20),
            Product(code=D3, generic_name="复方丹参", dosage_form="滴丸", conversion=180),
            Product(code=C1, generic_name="一次性输液器", kind="consumable", conversion=1),
        ],
    )


def table_rows(conn: sqlite3.Connection, table: str, order: str) -> list[tuple]:
    """Every column except those that differ between two correct imports (ids, times)."""
    skip = {"id", "uuid", "updated_at", "batch_id", "imported_at", "pinyin"}
    cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in skip]
    return [
        tuple(r) for r in conn.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {order}")
    ]
