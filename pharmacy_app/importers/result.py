"""What an import reports back: row errors, counts, and the rejected rows.

FORMATS.md: an import never silently drops a row. Every rejected cell becomes
a RowError naming the file, the row as the user sees it (Excel row or CSV
record number), the column as headed in the file, the value and the reason;
the rejected rows keep their original cells so the user can save, fix and
re-import them (`save_rejected`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

REJECTED_ROW_HEADER = "行号"
REJECTED_REASON_HEADER = "错误原因"


class ImportFailed(Exception):
    """The file as a whole cannot be imported (unreadable, required columns missing).

    The message names the file and is fit to show the user as it is.
    """


class ImportCancelled(Exception):
    """The user cancelled; the transaction was rolled back and nothing was written."""


@dataclass(slots=True)
class RowError:
    file: str
    row: int
    column: str | None
    field: str | None
    value: str
    message: str

    def describe(self) -> str:
        """One line for the user, e.g. `purchases.csv 第 12 行「数量」列：不是数字：'abc'`."""
        where = f"{self.file} 第 {self.row} 行"
        if self.column:
            where += f"「{self.column}」列"
        text = f"{where}：{self.message}"
        if self.value != "" and not self.message.endswith(self.value):
            text += f"：{self.value!r}"
        return text

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "value": self.value,
            "message": self.message,
        }


@dataclass
class ImportResult:
    kind: str
    file: str
    rows_total: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False
    headers: list[str] = field(default_factory=list)
    rejected_rows: dict[int, list[str]] = field(default_factory=dict)
    encoding: str | None = None
    sheet: str | None = None
    batch_id: int | None = None
    # Errors past the cap are counted, not kept, so a wholly wrong file of a
    # million rows cannot exhaust memory.
    errors_omitted: int = 0
    rejected_omitted: int = 0
    seconds: float = 0.0
    # Totals and notes rows of an export (合计…, 制表人…): (row, its first cell), skipped.
    skipped: list[tuple[int, str]] = field(default_factory=list)
    # Imported, but worth the user's eye (payments of orders not in the purchases).
    warnings: list[str] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.errors_omitted

    @property
    def rejected_count(self) -> int:
        return len(self.rejected_rows) + self.rejected_omitted

    def summary(self) -> dict:
        """JSON-able summary (the CLI prints it with --json)."""
        return {
            "kind": self.kind,
            "file": self.file,
            "committed": self.committed,
            "rows_total": self.rows_total,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected_rows": self.rejected_count,
            "error_count": self.error_count,
            "errors": [e.as_dict() for e in self.errors],
            "encoding": self.encoding,
            "sheet": self.sheet,
            "batch_id": self.batch_id,
            "seconds": round(self.seconds, 3),
            "skipped_rows": [{"row": row, "text": text} for row, text in self.skipped],
            "warnings": list(self.warnings),
        }

    def describe(self) -> str:
        """One line in Chinese for a status bar or the command line."""
        if not self.committed:
            return (
                f"{self.file}：共 {self.rows_total} 行，其中 {self.rejected_count} 行有误"
                f"（{self.error_count} 处），未写入任何数据。"
            )
        skipped = ""
        if self.skipped:
            rows = "、".join(str(row) for row, _text in self.skipped[:5])
            more = "等" if len(self.skipped) > 5 else ""
            skipped = f"跳过合计/说明行 {len(self.skipped)} 行（第 {rows}{more} 行）。"
        return (
            f"{self.file}：共 {self.rows_total} 行，新增 {self.inserted} 行，"
            f"更新 {self.updated} 行，未变 {self.unchanged} 行。{skipped}"
            + "".join(self.warnings)
        )


def rejected_table(result: ImportResult) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the rejected-rows file: original cells + 行号 + 错误原因."""
    reasons: dict[int, list[str]] = {}
    for error in result.errors:
        part = f"「{error.column}」{error.message}" if error.column else error.message
        reasons.setdefault(error.row, []).append(part)
    width = len(result.headers)
    header = [*result.headers, REJECTED_ROW_HEADER, REJECTED_REASON_HEADER]
    rows = []
    for row_no in sorted(result.rejected_rows):
        cells = list(result.rejected_rows[row_no])
        cells = (cells + [""] * width)[:width] if len(cells) < width else cells[:width]
        rows.append([*cells, str(row_no), "；".join(reasons.get(row_no, []))])
    return header, rows


def save_rejected(result: ImportResult, out_path: str | Path) -> Path:
    """Write the rejected rows to .xlsx or .csv so the user can fix and re-import them.

    CSV is UTF-8 with a BOM because Excel on Chinese Windows reads a plain
    UTF-8 file as GBK. Every cell is written as text so codes and order
    numbers keep their leading zeros.
    """
    out = Path(out_path)
    header, rows = rejected_table(result)
    if out.suffix.lower() == ".xlsx":
        import xlsxwriter

        workbook = xlsxwriter.Workbook(str(out))
        try:
            sheet = workbook.add_worksheet("被拒绝的行")
            bold = workbook.add_format({"bold": True})
            for c, text in enumerate(header):
                sheet.write_string(0, c, text, bold)
            for r, cells in enumerate(rows, start=1):
                for c, text in enumerate(cells):
                    sheet.write_string(r, c, text)
            sheet.freeze_panes(1, 0)
        finally:
            workbook.close()
    elif out.suffix.lower() == ".csv":
        with out.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)
    else:
        raise ValueError(f"被拒绝的行只能另存为 .xlsx 或 .csv：{out.name}")
    return out
