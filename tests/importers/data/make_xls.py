"""Writes purchases.xls, the legacy-Excel fixture (calamine reads .xls; XlsxWriter cannot write it).

Run once with xlwt available (it is not a project dependency):
    pip install --target /tmp/xlwt xlwt==1.3.0
    PYTHONPATH=/tmp/xlwt .venv/bin/python tests/importers/data/make_xls.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import xlwt

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from importer_fixtures import PURCHASE_HEADER, purchases_as_excel_values  # noqa: E402


def main() -> None:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("采购明细")
    when = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm:ss")
    sheet.write(0, 0, "2026年3月采购明细（HIS 导出）")
    for c, text in enumerate(PURCHASE_HEADER):
        sheet.write(1, c, text)
    for r, row in enumerate(purchases_as_excel_values(), start=2):
        for c, value in enumerate(row):
            if hasattr(value, "hour"):
                sheet.write(r, c, value, when)
            else:
                sheet.write(r, c, value)
    book.save(str(HERE / "purchases.xls"))


if __name__ == "__main__":
    main()
