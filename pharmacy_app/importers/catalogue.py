"""Catalogue (采购目录) → products, through pharmacy_app.catalogue.

Every product goes through catalogue.normalise_product / validate_product /
product_row, so the importer and the product dialog accept exactly the same
products (CON-1: 23-char drug codes, 27-char `C…` consumable codes). The
package conversion is derived from 包装 when 转换比 is missing.

Checking (and the search keys' pinyin) runs in the import's worker thread,
chunk by chunk, beside the writing of the chunk before (engine.PipelinedImporter);
a cell text that repeats (flags, kinds, states, packages) is parsed once.
"""

from __future__ import annotations

from decimal import Decimal

from pharmacy_app.catalogue import (
    FLAG_FIELDS,
    Product,
    kind_for_code,
    normalise_code,
    normalise_product,
    product_row,
    validate_product,
    write_product_rows,
)
from pharmacy_app.parsing import parse_decimal, parse_flag, to_halfwidth

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


class CatalogueImporter(PipelinedImporter):
    spec = CATALOGUE
    read_share = 0.95

    def begin(self) -> None:
        self.seen: dict[str, int] = {}
        self.counts = Counts()
        self._flags: dict[str, bool | None] = {}

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
            product = self._product(chunk, i, values)
            if product is not None:
                rows.append(product_row(product))
        return rows or None

    def store(self, checked: object) -> None:
        assert isinstance(checked, list)
        saved = write_product_rows(self.conn, checked)
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
        self.ctx.write_progress(1.0)
        return self.counts
