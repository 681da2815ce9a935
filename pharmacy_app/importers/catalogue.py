"""Catalogue (采购目录) → products, through pharmacy_app.catalogue.

Every product goes through catalogue.normalise_product / validate_product /
product_row, so the importer and the product dialog accept exactly the same
products (CON-1: 23-char drug codes, 27-char `C…` consumable codes). The
package conversion is derived from 包装 when 转换比 is missing.

Checking (and the search keys' pinyin) runs in the import's worker thread,
chunk by chunk, beside the writing of the chunk before (engine.PipelinedImporter).
A row with no problem takes a short path (`_clean_row`): the same rules, with
each distinct cell text of the repeating columns (flags, kinds, states,
packages, prices) parsed once and no Product built — a Python object per row
cost more than the rest of the import. Any row it does not pass goes through
`_product`, which reports every reason; tests/importers compare the two.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from pharmacy_app.catalogue import (
    FLAG_FIELDS,
    MAX_CONVERSION,
    MAX_PRICE,
    Product,
    SaveCounts,
    kind_for_code,
    names_key,
    normalise_code,
    normalise_product,
    product_row,
    sealed_row,
    validate_product,
    write_product_rows,
)
from pharmacy_app.parsing import (
    conversion_from_package,
    decimal_text,
    parse_decimal,
    parse_flag,
    to_halfwidth,
)

from .columns import MSG_NEGATIVE, MSG_NOT_NUMBER
from .engine import Counts, PipelinedImporter
from .reading import Chunk
from .spec import CATALOGUE

KINDS = {
    "药品": "drug",
    "西药": "drug",
    "中成药": "drug",
    "化学药品": "drug",
    "drug": "drug",
    "耗材": "consumable",
    "医用耗材": "consumable",
    "consumable": "consumable",
}
ACTIVE = {"在用", "启用", "使用", "正常", "有效", "是", "y", "1", "true"}
INACTIVE = {"停用", "禁用", "停止使用", "无效", "作废", "否", "n", "0", "false"}
MSG_FLAG = "不是是/否标志（可用 是/否、Y/N、1/0、true/false、√/空）"
MSG_KIND = "类别应为 药品 或 耗材"
MSG_STATUS = "状态应为 在用 或 停用"
MSG_CONVERSION = "转换比应为正整数"
# Where validate_product's field errors are shown, when the field has no column of its own.
FALLBACK_COLUMN = {"active": "status", "conversion": "package", "is_vbp": "vbp_batch"}
# Fields a file may leave out whose stored value a re-import keeps: a platform
# export carries no 在用/停用 of the hospital's own and seldom a UDI, and a file
# without 基药 must not clear the essential flags. (类别 follows the code.)
KEPT_WHEN_ABSENT = (
    "dosage_form",
    "specification",
    "package",
    "conversion",
    "manufacturer",
    *FLAG_FIELDS,
    "vbp_batch",
    "price",
    "status",
    "udi",
)


class CatalogueImporter(PipelinedImporter):
    spec = CATALOGUE
    read_share = 0.95

    def begin(self) -> None:
        self.start_checking()
        self.kept = self._stored_texts()
        self.counts = Counts()
        self.writer = ProductWriter(self.conn)

    def start_checking(self) -> None:
        """What checking keeps from row to row: codes seen, and the parsed cell texts."""
        self.seen: dict[str, int] = {}
        self.kept: dict[str, dict[str, str]] = {}
        self._flags: dict[str, bool | None] = {}
        self._kinds: dict[str, str | None] = {}
        self._states: dict[str, bool | None] = {}
        self._conversions: dict[str, int | None] = {}
        self._packages: dict[str, int | None] = {}
        self._prices: dict[str, str | None] = {}

    def check(self, chunk: Chunk) -> list[tuple] | None:
        """The chunk's products as product_row() tuples (worker thread)."""
        ctx = self.ctx
        cols = {f: ctx.texts(chunk, f) for f in ctx.mapping}
        rows: list[tuple] = []
        for i in range(len(chunk)):
            values = {f: col[i] for f, col in cols.items() if col is not None}
            # A repeated code is reported even when its first row has other errors.
            code = normalise_code(values.get("code", ""))
            first = self.seen.get(code)
            if first is not None:
                ctx.error(chunk, i, "code", f"药品编码在文件中重复（与第 {first} 行相同）")
                continue
            if code:
                self.seen[code] = int(chunk.rows[i])
            stored = self.kept.get(code)
            if stored is not None:
                values = self._with_stored(values, stored)
            row = self._clean_row(code, values)
            if row is None:
                product = self._product(chunk, i, values)
                row = None if product is None else product_row(product)
            if row is not None:
                rows.append(row)
        return rows or None

    def _stored_texts(self) -> dict[str, dict[str, str]]:
        """code → the stored values, as cell texts, of the fields this file does not have.

        Merged into the file's rows of products already in the catalogue, so a
        re-import updates what the file says and keeps the rest; the merged
        row is checked as a whole, as if the file had those columns.
        """
        mapping = self.ctx.mapping
        absent = [f for f in KEPT_WHEN_ABSENT if f not in mapping]
        if "conversion" in absent and "package" in mapping:
            absent.remove("conversion")  # derived from the file's 包装, as for a new product
        if not absent:
            return {}
        columns = ["active" if f == "status" else f for f in absent]
        kept: dict[str, dict[str, str]] = {}
        for code, *values in self.conn.execute(
            f"SELECT code, {', '.join(columns)} FROM products"
        ):
            kept[code] = {f: _stored_text(f, v) for f, v in zip(absent, values, strict=True)}
        return kept

    def _with_stored(self, values: dict[str, str], stored: dict[str, str]) -> dict[str, str]:
        merged = {**stored, **values}
        if "vbp_batch" in stored and self._flag(merged.get("is_vbp", "")) is False:
            merged["vbp_batch"] = ""  # a drug the file takes out of VBP keeps no batch
        return merged

    def _clean_row(self, code: str, v: dict[str, str]) -> tuple | None:
        """product_row() of a row _product() accepts, or None to let _product() decide.

        The rules are _product's, normalise_product's and validate_product's,
        in the same order; None as soon as one is not met.
        """
        kind_text = v.get("kind", "")
        if kind_text:
            kind = self._kind(kind_text)
            if kind is None:
                return None
        else:
            kind = kind_for_code(code) or "drug"
        if kind_for_code(code) != kind:  # validate_code: a national code of this kind
            return None
        flags = [self._flag(v.get(name, "")) for name in FLAG_FIELDS]
        if None in flags:
            return None
        conversion_text = v.get("conversion")
        if conversion_text:
            conversion = self._conversion(conversion_text)
        else:
            conversion = self._package_conversion(v.get("package", ""))
        if conversion is None or conversion <= 0:
            return None
        price_text = v.get("price")
        price = None
        if price_text:
            price = self._price(price_text)
            if price is None:
                return None
        active = self._active(v.get("status", ""))
        if active is None:
            return None
        generic_name = v.get("generic_name", "").strip()
        vbp_batch = v.get("vbp_batch", "").strip()
        is_essential, is_vbp, consistency, originator, negotiated = flags
        if not generic_name or (not is_vbp and vbp_batch and kind == "drug"):
            return None
        manufacturer = v.get("manufacturer", "").strip()
        values = (
            code,
            kind,
            generic_name,
            v.get("dosage_form", "").strip(),
            v.get("specification", "").strip(),
            v.get("package", "").strip(),
            conversion,
            manufacturer,
            int(is_essential),
            int(is_vbp),
            vbp_batch,
            int(consistency),
            int(originator),
            int(negotiated),
            price,
            int(active),
            (v.get("udi") or "").strip() or None,
        )
        return sealed_row(values, names_key(generic_name, manufacturer))

    def _kind(self, text: str) -> str | None:
        if text not in self._kinds:
            self._kinds[text] = KINDS.get(to_halfwidth(text).strip().lower())
        return self._kinds[text]

    def _active(self, text: str) -> bool | None:
        """The 状态 cell as active or not; None when it is neither."""
        if text not in self._states:
            status = to_halfwidth(text).strip().lower()
            self._states[text] = (
                False if status in INACTIVE else True if not status or status in ACTIVE else None
            )
        return self._states[text]

    def _conversion(self, text: str) -> int | None:
        """A 转换比 cell as a positive whole number; None when it is not one."""
        if text not in self._conversions:
            try:
                number = parse_decimal(text)
            except ValueError:
                number = None
            ok = (number is not None and number == number.to_integral_value()
                  and 0 < number <= MAX_CONVERSION)
            self._conversions[text] = int(number) if ok else None  # type: ignore[arg-type]
        return self._conversions[text]

    def _package_conversion(self, package: str) -> int | None:
        if package not in self._packages:
            conversion = conversion_from_package(package) if package else None
            ok = conversion is not None and 0 < conversion <= MAX_CONVERSION
            self._packages[package] = conversion if ok else None
        return self._packages[package]

    def _price(self, text: str) -> str | None:
        """A 单价 cell as stored (decimal_text); None when not a number or negative."""
        if text not in self._prices:
            try:
                price = parse_decimal(text)
            except ValueError:
                price = None
            refused = price is None or price < 0 or price >= MAX_PRICE
            self._prices[text] = None if refused else decimal_text(price)
        return self._prices[text]

    def store(self, checked: object) -> None:
        assert isinstance(checked, list)
        saved = self.writer.write(checked)
        self.counts.inserted += saved.inserted
        self.counts.updated += saved.updated
        self.counts.unchanged += saved.unchanged

    def _flag(self, text: str) -> bool | None:
        """parse_flag() of a cell, once per distinct text; None when it is not a flag."""
        try:
            return self._flags[text]
        except KeyError:
            pass
        try:
            value: bool | None = parse_flag(text)
        except ValueError:
            value = None
        self._flags[text] = value
        return value

    def _product(self, chunk: Chunk, i: int, v: dict[str, str]) -> Product | None:
        ctx = self.ctx
        # Columns already reported for this row: the cell checks below and
        # validate_product both run, so a row lists every reason (FORMATS),
        # each column once.
        failed: set[str] = set()

        def fail(field: str, message: str) -> None:
            failed.add(field)
            ctx.error(chunk, i, field, message)

        code = normalise_code(v.get("code", ""))
        kind_text = to_halfwidth(v.get("kind", "")).strip().lower()
        if kind_text:
            kind = KINDS.get(kind_text)
            if kind is None:
                fail("kind", MSG_KIND)
                kind = "drug"
        else:
            kind = kind_for_code(code) or "drug"
        flags = {}
        for name in FLAG_FIELDS:
            flag = self._flag(v.get(name, ""))
            if flag is None:
                fail(name, MSG_FLAG)
            else:
                flags[name] = flag
        conversion = None
        if v.get("conversion"):
            try:
                number = parse_decimal(v["conversion"])
            except ValueError:
                number = None
            if number is None or number != number.to_integral_value() or number <= 0:
                fail("conversion", MSG_CONVERSION)
            else:
                conversion = int(number)
        price: Decimal | None = None
        if v.get("price"):
            try:
                price = parse_decimal(v["price"])
            except ValueError:
                fail("price", MSG_NOT_NUMBER)
            else:
                if price < 0:
                    fail("price", MSG_NEGATIVE)
                    price = None
        status = to_halfwidth(v.get("status", "")).strip().lower()
        active = True
        if status in INACTIVE:
            active = False
        elif status and status not in ACTIVE:
            fail("status", MSG_STATUS)
        product = normalise_product(
            Product(
                code=code,
                generic_name=v.get("generic_name", ""),
                kind=kind,
                dosage_form=v.get("dosage_form", ""),
                specification=v.get("specification", ""),
                package=v.get("package", ""),
                conversion=conversion,
                manufacturer=v.get("manufacturer", ""),
                vbp_batch=v.get("vbp_batch", ""),
                price=price,
                active=active,
                udi=v.get("udi") or None,
                **flags,
            )
        )
        for problem in validate_product(product):
            field = problem.field
            if field not in ctx.mapping:
                field = FALLBACK_COLUMN.get(field, field)
            field = field if field in ctx.mapping else "code"
            if problem.field not in failed and field not in failed:
                fail(field, problem.message)
        return None if failed else product

    def write(self, batch_id: int) -> Counts:
        self.writer.finish()
        self.ctx.write_progress(1.0)
        return self.counts


def _stored_text(field: str, value: object) -> str:
    """A stored product value as the cell text the importer reads back to it."""
    if value is None:
        return ""
    if field in FLAG_FIELDS:
        return "是" if value else "否"
    if field == "status":
        return "在用" if value else "停用"
    return str(value)


# Row triggers on products whose work ProductWriter does set-based per chunk.
# A change to any of them (a new migration) must change ProductWriter too:
# tests/importers/test_import_catalogue.py compares both ways of writing.
PRODUCT_ROW_TRIGGERS = (
    "products_log_insert",
    "products_log_update",
    "ps_products_insert",
    "ps_products_update",
    "ps_products_vbp",
)
NOW = "strftime('%Y-%m-%d %H:%M:%S', 'now', 'localtime')"


class ProductWriter:
    """write_product_rows() for an import: the products' row triggers' work done per chunk.

    Why: the change-log and summary triggers cost two thirds of writing a
    catalogue (100,000 products: 2.2 s with them, 0.7 s without). Inside the
    import's transaction they are dropped and their effects written set-based
    for each chunk — the SYNC-1 change-log rows (inserts as the ids above the
    chunk's start, updates by code), the products generation the summaries
    watch, and the VBP codes whose figures must be recomputed — then
    re-created from their stored SQL before the commit. A rolled-back import
    rolls the DROP back too, so no other writer ever sees the table without
    them.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.at = conn.execute(f"SELECT {NOW}").fetchone()[0]
        marks = ", ".join("?" * len(PRODUCT_ROW_TRIGGERS))
        self.suspended = [
            sql
            for name, sql in conn.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                f"AND tbl_name = 'products' AND name IN ({marks}) ORDER BY rowid",
                PRODUCT_ROW_TRIGGERS,
            )
        ]
        for name in PRODUCT_ROW_TRIGGERS:
            conn.execute(f'DROP TRIGGER IF EXISTS "{name}"')

    def write(self, rows: list[tuple]) -> SaveCounts:
        conn = self.conn
        codes = [r[0] for r in rows]
        before = _products_by_code(conn, codes)
        top = int(conn.execute("SELECT coalesce(max(id), 0) FROM products").fetchone()[0])
        saved = write_product_rows(conn, rows)
        # VBP is column 9 of a product_row(), the content hash the last.
        updated = [r[0] for r in rows if r[0] in before and before[r[0]][0] != r[-1]]
        vbp_changed = [
            (r[0],) for r in rows if r[0] in before and before[r[0]][0] != r[-1]
            and before[r[0]][1] != r[9]
        ]
        conn.execute(
            "INSERT INTO change_log (at, table_name, row_uuid, version, op) "
            "SELECT ?, 'products', uuid, version, 'insert' FROM products WHERE id > ? ORDER BY id",
            (self.at, top),
        )
        conn.executemany(
            "INSERT INTO change_log (at, table_name, row_uuid, version, op) "
            "SELECT ?, 'products', uuid, version, 'update' FROM products WHERE code = ?",
            ((self.at, code) for code in updated),
        )
        conn.execute(
            "UPDATE summary_state SET value = value + ? WHERE key = 'products_gen'",
            (saved.inserted + len(updated),),
        )
        conn.execute(
            "INSERT OR IGNORE INTO summary_dirty_codes (code) "
            "SELECT code FROM products WHERE id > ? AND is_vbp",
            (top,),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO summary_dirty_codes (code) VALUES (?)", vbp_changed
        )
        return saved

    def finish(self) -> None:
        """After the last chunk: the triggers back, as the migrations made them."""
        for sql in self.suspended:
            self.conn.execute(sql)
        self.suspended = []


def _products_by_code(conn: sqlite3.Connection, codes: list[str]) -> dict[str, tuple]:
    """code → (content_hash, is_vbp) of the products among `codes` that exist."""
    found: dict[str, tuple] = {}
    for start in range(0, len(codes), 900):
        part = codes[start : start + 900]
        marks = ",".join("?" * len(part))
        for code, digest, vbp in conn.execute(
            f"SELECT code, content_hash, is_vbp FROM products WHERE code IN ({marks})", part
        ):
            found[code] = (digest, vbp)
    return found
