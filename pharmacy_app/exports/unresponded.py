"""SUP-3: the delayed-response list (延迟响应清单) as an xlsx file to send to a delivery company.

Seed 001 §16: orders not responded 48 hours after ordering go on a list that
is sent to the delivery company within 1 working day. The rows are
`supplier_detail.delayed_rows` — the same lines `unresponded_48h` counts in
`pharmacy-app indicators --json` and on the suppliers page.

File layout, and why:
- One sheet 延迟响应清单 whose first row is the header, with the canonical
  Chinese headers of FORMATS.md where the field exists there (订单号, 行号,
  药品编码, 通用名, 剂型, 规格, 包装, 生产企业, 数量, 下单时间, 响应时间,
  配送企业), so the company (and this app's own importers) can read it
  without a mapping; plus 已等待小时 and 状态. A second sheet 说明 names the
  institution, the as-of time, the rule and the number of lines.
- One file per export, always with the 配送企业 column. Exported for one
  supplier, the file is what gets sent: a company must not receive its
  competitors' order lines. Exported for all suppliers, the same layout is the
  pharmacy's own record (sorted by company), and the column says whose each
  line is. One layout for both means one reader, one test.
- Times are real Excel date-times (yyyy-mm-dd hh:mm:ss), quantities numbers.
- The file is written to a temporary name beside the target and renamed
  into place, so a failed export never leaves a half-written file.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pharmacy_app.indicators import require_institution
from pharmacy_app.indicators.periods import natural_year_to_date
from pharmacy_app.indicators.supplier_detail import DelayedRow, delayed_rows, known_suppliers
from pharmacy_app.institutions import Institution
from pharmacy_app.policy import PolicyProfile, active_profile

SHEET = "延迟响应清单"
NOTES_SHEET = "说明"
HEADERS = (
    "订单号", "行号", "药品编码", "通用名", "剂型", "规格", "包装", "生产企业", "数量",
    "下单时间", "响应时间", "已等待小时", "配送企业", "状态",
)
STILL_OPEN = "仍未响应"
ANSWERED_LATE = "已超时响应"
STAMP = "%Y-%m-%d %H:%M:%S"


class ExportRejected(ValueError):
    """The request cannot be exported as asked (bad file name, unknown company); nothing written."""


@dataclass(frozen=True)
class UnrespondedList:
    """What an export writes: the rows and what they were selected by."""

    institution: Institution
    as_of: dt.date
    profile: PolicyProfile
    supplier: str | None
    only_open: bool
    rows: list[DelayedRow]

    @property
    def hours(self) -> int:
        return int(self.profile["sup_unresponded_hours"])

    def suppliers(self) -> list[str]:
        return sorted({r.supplier for r in self.rows})


def unresponded_list(
    conn: sqlite3.Connection,
    as_of: dt.date,
    *,
    supplier: str | None = None,
    only_open: bool = False,
    profile: PolicyProfile | None = None,
) -> UnrespondedList:
    """SUP-3 lines as of the end of `as_of`, for one company or all.

    A company with no order line in the period is rejected (a typo would
    otherwise give an empty list that looks like good news).
    """
    institution = require_institution(conn)
    profile = profile or active_profile(conn)
    if supplier is not None:
        supplier = supplier.strip()
        known = known_suppliers(conn, institution, natural_year_to_date(as_of))
        if supplier not in known:
            names = "、".join(known) if known else "（无）"
            raise ExportRejected(
                f"配送企业“{supplier}”在 {as_of.year} 年 1 月 1 日至 {as_of.isoformat()} "
                f"没有订单明细。本期的配送企业：{names}")
    rows = delayed_rows(conn, institution, as_of, profile, supplier=supplier, only_open=only_open)
    return UnrespondedList(institution, as_of, profile, supplier, only_open, rows)


def check_target(path: Path) -> Path:
    """The export goes to an .xlsx file in an existing folder."""
    if path.suffix.lower() != ".xlsx":
        raise ExportRejected(f"{path}: 导出文件须为 .xlsx")
    if not path.parent.exists():
        raise ExportRejected(f"{path.parent}: 文件夹不存在")
    if path.is_dir():
        raise ExportRejected(f"{path}: 是文件夹，不是文件")
    return path


def _stamp(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.strptime(text[:19], STAMP)


def write_unresponded_xlsx(data: UnrespondedList, path: Path) -> Path:
    """Write the list to `path` (.xlsx), atomically; returns the path."""
    import xlsxwriter  # only when exporting

    path = check_target(Path(path))
    fd, tmp_name = tempfile.mkstemp(suffix=".xlsx", prefix=".unresponded-", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False})
        head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        hours = book.add_format({"num_format": "0.0"})
        qty = book.add_format({"num_format": "#,##0.##"})
        sheet = book.add_worksheet(SHEET)
        for col, title in enumerate(HEADERS):
            sheet.write_string(0, col, title, head)
        for i, r in enumerate(data.rows, start=1):
            sheet.write_string(i, 0, r.order_id)
            sheet.write_string(i, 1, r.line_no)
            sheet.write_string(i, 2, r.code)
            sheet.write_string(i, 3, r.generic_name)
            sheet.write_string(i, 4, r.dosage_form)
            sheet.write_string(i, 5, r.specification)
            sheet.write_string(i, 6, r.package)
            sheet.write_string(i, 7, r.manufacturer)
            sheet.write_number(i, 8, r.qty, qty)
            ordered = _stamp(r.ordered_at)
            if ordered is not None:
                sheet.write_datetime(i, 9, ordered, when)
            responded = _stamp(r.responded_at)
            if responded is None:
                sheet.write_blank(i, 10, None)
            else:
                sheet.write_datetime(i, 10, responded, when)
            sheet.write_number(i, 11, r.hours_waited, hours)
            sheet.write_string(i, 12, r.supplier)
            sheet.write_string(i, 13, STILL_OPEN if r.still_open else ANSWERED_LATE)
        widths = (18, 6, 26, 16, 10, 12, 16, 26, 8, 20, 20, 10, 26, 10)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width)
        sheet.freeze_panes(1, 0)
        if data.rows:
            sheet.autofilter(0, 0, len(data.rows), len(HEADERS) - 1)

        notes = book.add_worksheet(NOTES_SHEET)
        notes.set_column(0, 0, 14)
        notes.set_column(1, 1, 70)
        scope = data.supplier or "全部配送企业"
        for row, (key, value) in enumerate((
            ("医疗机构", f"{data.institution.name}（{data.institution.code}）"),
            ("配送企业", scope),
            ("统计期间", f"{data.as_of.year}-01-01 至 {data.as_of.isoformat()} 24:00"),
            ("规则", f"SUP-3：下单后 {data.hours} 小时仍未响应的订单明细列入延迟响应清单，"
                     "应在 1 个工作日内发送配送企业"),
            ("范围", "仅截至统计时点仍未响应的明细" if data.only_open
                     else "含截至统计时点仍未响应及已超时响应的明细"),
            ("已等待小时", "下单至响应的小时数；仍未响应的，计至统计时点"),
            ("明细条数", str(len(data.rows))),
            ("仍未响应", str(sum(r.still_open for r in data.rows))),
            ("政策参数", data.profile.label),
        )):
            notes.write_string(row, 0, key, head)
            notes.write_string(row, 1, value)
        book.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def export_unresponded(
    conn: sqlite3.Connection,
    as_of: dt.date,
    path: Path,
    *,
    supplier: str | None = None,
    only_open: bool = False,
) -> UnrespondedList:
    """Select and write in one call (the CLI and the window's worker both use this)."""
    check_target(Path(path))
    data = unresponded_list(conn, as_of, supplier=supplier, only_open=only_open)
    write_unresponded_xlsx(data, Path(path))
    return data
