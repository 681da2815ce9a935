"""A stand-in for `pharmacy_app.importers`, used only while the real package
is not yet in the tree (it is being written in parallel).

It implements the agreed interface (preview / run_import / save_rejected,
Preview, ImportResult, RowError, ImportFailed, ImportCancelled) for UTF-8
catalogue CSV files only, through the real `save_products`, so the import
dialog's tests exercise the whole flow. The `importers` fixture prefers the
real package as soon as it exists.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pharmacy_app.catalogue import Product, save_products, validate_product
from pharmacy_app.parsing import parse_decimal, parse_flag

KINDS = ("catalogue", "essential-list", "agreements", "purchases", "payments")

FIELDS = {
    "code": ("药品编码", ("医保编码", "产品编码")),
    "generic_name": ("通用名", ("药品通用名", "通用名称")),
    "dosage_form": ("剂型", ()),
    "specification": ("规格", ()),
    "package": ("包装", ("包装规格",)),
    "manufacturer": ("生产企业", ("生产厂家", "厂家")),
    "is_essential": ("基药", ("是否基药",)),
    "is_vbp": ("集采", ("是否集采",)),
    "price": ("单价", ("采购价",)),
}
REQUIRED = ("code", "generic_name")


class ImportFailed(Exception):
    pass


class ImportCancelled(Exception):
    pass


@dataclass
class RowError:
    file: str
    row: int
    column: str
    field: str
    value: str
    message: str

    def describe(self) -> str:
        return f"{self.file} 第 {self.row} 行 {self.column}：{self.message}"


@dataclass
class Preview:
    file: str
    kind: str
    encoding: str
    sheet: str | None
    header_row: int
    headers: list[str]
    mapping: dict[str, str]
    unmapped_headers: list[str]
    missing_required: list[str]
    field_labels: dict[str, str]
    required_fields: list[str]
    sample_rows: list[list[str]]


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
    errors_omitted: int = 0

    @property
    def rejected_count(self) -> int:
        return len(self.rejected_rows)

    def describe(self) -> str:
        return f"{self.file}: 新增 {self.inserted}"


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except OSError as exc:
        raise ImportFailed(f"{path}: 无法读取：{exc}") from exc
    if not rows:
        raise ImportFailed(f"{path}: 文件是空的")
    return [h.strip() for h in rows[0]], rows[1:]


def _detect(headers: list[str]) -> dict[str, str]:
    mapping = {}
    for name, (canonical, aliases) in FIELDS.items():
        for header in headers:
            if header == canonical or header in aliases:
                mapping[name] = header
                break
    return mapping


def preview(kind: str, path: Path, *, rows: int = 20, mapping: dict | None = None) -> Preview:
    headers, body = _read(Path(path))
    found = mapping or _detect(headers)
    return Preview(
        file=str(path),
        kind=kind,
        encoding="utf-8",
        sheet=None,
        header_row=1,
        headers=headers,
        mapping=found,
        unmapped_headers=[h for h in headers if h not in found.values()],
        missing_required=[f for f in REQUIRED if f not in found],
        field_labels={k: v[0] for k, v in FIELDS.items()},
        required_fields=list(REQUIRED),
        sample_rows=body[:rows],
    )


def run_import(
    conn: sqlite3.Connection,
    kind: str,
    path: Path,
    *,
    mapping: dict | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    options: dict | None = None,
) -> ImportResult:
    path = Path(path)
    headers, body = _read(path)
    mapping = mapping or _detect(headers)
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        raise ImportFailed(f"{path}: 缺少必填列 {missing}")
    result = ImportResult(kind=kind, file=str(path), rows_total=len(body), headers=headers)
    products = []
    for number, values in enumerate(body, start=2):
        if cancel and cancel():
            raise ImportCancelled
        if progress:
            progress(number - 1, len(body))
        cells = dict(zip(headers, values, strict=False))

        def get(name: str, cells: dict = cells) -> str:
            return cells.get(mapping.get(name, ""), "").strip()

        try:
            price = parse_decimal(get("price"), what="单价") if get("price") else None
            product = Product(
                code=get("code"),
                generic_name=get("generic_name"),
                dosage_form=get("dosage_form"),
                specification=get("specification"),
                package=get("package"),
                manufacturer=get("manufacturer"),
                is_essential=parse_flag(get("is_essential")),
                is_vbp=parse_flag(get("is_vbp")),
                price=price if price is None else Decimal(price),
            )
        except ValueError as exc:
            result.errors.append(RowError(str(path), number, "", "", "", str(exc)))
            result.rejected_rows[number] = values
            continue
        from pharmacy_app.catalogue import normalise_product

        problems = validate_product(normalise_product(product))
        for problem in problems:
            column = mapping.get(problem.field, problem.field)
            result.errors.append(
                RowError(
                    str(path), number, column, problem.field, get(problem.field), problem.message
                )
            )
        if problems:
            result.rejected_rows[number] = values
        else:
            products.append(product)
    if result.errors:
        return result
    counts = save_products(conn, products)
    result.inserted, result.updated, result.unchanged = (
        counts.inserted,
        counts.updated,
        counts.unchanged,
    )
    result.committed = True
    return result


def save_rejected(result: ImportResult, out_path: Path) -> Path:
    reasons: dict[int, list[str]] = {}
    for e in result.errors:
        reasons.setdefault(e.row, []).append(e.message)
    with Path(out_path).open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*result.headers, "行号", "错误原因"])
        for number, values in sorted(result.rejected_rows.items()):
            writer.writerow([*values, number, "；".join(reasons.get(number, []))])
    return Path(out_path)
