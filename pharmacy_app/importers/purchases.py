"""Purchase lines (采购明细) → purchase_lines, keyed by (order_id, line_no).

Re-importing an overlapping export updates lines by key and never counts a
line twice (FORMATS.md). Quantities stay in packages as in the file; money is
stored as exact decimal text (unit price) and integer fen (amount, taken from
the file or computed as quantity × price). Every product code must already be
in the catalogue: an unknown code is an error row, never silently dropped.

Built for a million lines: every column is checked column-wise (columns.py)
and each clean chunk is written straight into purchase_lines (bulk.py).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pharmacy_app.catalogue import validate_code
from pharmacy_app.parsing import to_halfwidth

from .bulk import BulkImporter, Rows, Shared, constant
from .columns import (
    MAX_LINE_FEN,
    MAX_LINE_QTY,
    MSG_EMPTY,
    beyond_line_limits,
    codes,
    empty_mask,
    hash_rows,
    hash_strings,
    parse_dates,
    parse_fen,
    parse_numbers,
    product_fen,
    required_issues,
    trimmed,
)
from .engine import require_institution
from .reading import Chunk
from .spec import PURCHASES

COLUMNS = (
    ("order_id", "?"),
    ("line_no", "?"),
    ("institution_code", "?"),
    ("code", "?"),
    ("qty", "?"),
    ("price", "?"),
    ("amount_fen", "?"),
    ("ordered_at", "?"),
    ("responded_at", "?"),
    ("delivered_at", "?"),
    ("supplier", "?"),
    ("channel", "?"),
    ("content_hash", "printf('%016x', ?)"),
)
KEY = ("order_id", "line_no")

CHANNELS = {
    "": "online",
    "线上": "online",
    "线上采购": "online",
    "平台": "online",
    "网上": "online",
    "online": "online",
    "线下": "offline",
    "线下采购": "offline",
    "offline": "offline",
}
MSG_CHANNEL = "采购方式应为 线上 或 线下"
MSG_UNKNOWN_CODE = "药品编码不在采购目录中（请先导入采购目录）"
MSG_NO_AMOUNT = "金额和单价都为空，无法计算金额"
CHANNEL_NAMES = np.array(["online", "offline"], dtype=object)


def _channel_codes(arr: pa.Array) -> np.ndarray:
    """0 online, 1 offline, -1 not understood; mapped once per distinct value."""
    encoded = pc.dictionary_encode(trimmed(arr))
    lut = np.array(
        [
            {"online": 0, "offline": 1}.get(CHANNELS.get(to_halfwidth(v).lower(), ""), -1)
            for v in encoded.dictionary.to_pylist()
        ],
        dtype=np.int64,
    )
    return (
        lut[encoded.indices.to_numpy(zero_copy_only=False)] if len(lut) else np.zeros(0, np.int64)
    )


class PurchasesImporter(BulkImporter):
    spec = PURCHASES

    def prepare(self) -> None:
        self.default_institution = require_institution(self.ctx)

    def begin(self) -> None:
        known = [r[0] for r in self.conn.execute("SELECT code FROM products")]
        self.known_codes = pa.array(known, type=pa.string())
        self.open_table("purchase_lines", COLUMNS, KEY, update=True)

    def check(self, chunk: Chunk) -> Rows | None:
        ctx = self.ctx
        n = len(chunk)
        bad = np.zeros(n, dtype=bool)

        def mark(field: str, issues: list[tuple[int, str]]) -> None:
            if issues:
                bad[ctx.errors(chunk, field, issues)] = True

        order = trimmed(ctx.column(chunk, "order_id"))
        mark("order_id", required_issues(order))
        line = trimmed(ctx.column(chunk, "line_no"))
        mark("line_no", required_issues(line))

        inst_arr = ctx.column(chunk, "institution")
        inst = None
        if inst_arr is not None:
            inst = trimmed(inst_arr)
            empty = empty_mask(inst)
            if self.default_institution is not None:
                if empty.any():
                    inst = pc.if_else(pa.array(empty), self.default_institution, inst)
            else:
                mark("institution", [(int(i), MSG_EMPTY) for i in np.flatnonzero(empty)])

        code = codes(ctx.column(chunk, "code"))
        mark("code", required_issues(code))
        unknown = ~np.asarray(
            pc.is_in(code, value_set=self.known_codes).to_numpy(zero_copy_only=False)
        )
        unknown &= ~empty_mask(code)
        issues = []
        for i in np.flatnonzero(unknown):
            issues.append((int(i), validate_code(code[int(i)].as_py()) or MSG_UNKNOWN_CODE))
        mark("code", issues)

        qty_arr = ctx.column(chunk, "qty")
        qty = parse_numbers(qty_arr, required=True)
        mark("qty", qty.errors)
        mark("qty", beyond_line_limits(qty.value, qty.present & ~bad, MAX_LINE_QTY))
        price = None
        if ctx.has("price"):
            price = parse_numbers(ctx.column(chunk, "price"), required=False, want_text=True)
            mark("price", price.errors)
        amount = None
        if ctx.has("amount"):
            amount = parse_fen(ctx.column(chunk, "amount"), required=False)
            mark("amount", amount.errors)
        fen = amount.fen.copy() if amount is not None else np.zeros(n, dtype=np.int64)
        given = amount.present if amount is not None else np.zeros(n, dtype=bool)
        need = np.flatnonzero(~given & ~bad)
        if len(need):
            priced = price.present[need] if price is not None else np.zeros(len(need), dtype=bool)
            missing = need[~priced & qty.present[need]]
            field = "amount" if ctx.has("amount") else "price"
            mark(field, [(int(i), MSG_NO_AMOUNT) for i in missing])
            computable = need[priced & qty.present[need]]
            if price is not None and len(computable):
                fen[computable] = product_fen(qty, qty_arr, price, computable)
        mark("amount" if ctx.has("amount") else "price",
             beyond_line_limits(fen, ~bad, MAX_LINE_FEN))

        ordered = parse_dates(ctx.column(chunk, "ordered_at"), required=True, with_time=True)
        mark("ordered_at", ordered.errors)
        optional_dates = {}
        for field in ("responded_at", "delivered_at"):
            if ctx.has(field):
                parsed = parse_dates(ctx.column(chunk, field), required=False, with_time=True)
                mark(field, parsed.errors)
                optional_dates[field] = parsed

        channel = (
            _channel_codes(ctx.column(chunk, "channel"))
            if ctx.has("channel")
            else np.zeros(n, dtype=np.int64)
        )
        mark("channel", [(int(i), MSG_CHANNEL) for i in np.flatnonzero(channel < 0)])

        good = ~bad
        dups = self.duplicates(chunk, good, [order, line])
        for i, first_row in dups:
            ctx.error(
                chunk,
                i,
                "order_id",
                f"订单号+行号在文件中重复（与第 {first_row} 行相同）",
                value=f"{order[i].as_py()} / {line[i].as_py()}",
            )
        if ctx.has_errors:
            return None  # the import will be rolled back: nothing more to write

        supplier_arr = ctx.column(chunk, "supplier")
        # NFKC: 国药控股（海南） and 国药控股(海南), ＡＢＣ医药 and ABC医药 are one company
        # (SUP-1…SUP-6 count per company; two spellings made a false sixth).
        supplier = (
            trimmed(pc.utf8_normalize(supplier_arr, "NFKC")) if supplier_arr is not None else None
        )
        if inst is not None:
            inst_hash = hash_strings(inst)
            inst_values: object = Shared(inst)
        else:
            inst_hash = np.full(n, hash_strings(pa.array([self.default_institution]))[0])
            inst_values = constant(self.default_institution)
        responded = optional_dates.get("responded_at")
        delivered = optional_dates.get("delivered_at")
        content = hash_rows(
            [
                inst_hash,
                hash_strings(code),
                qty.value,
                price.value if price is not None else np.full(n, np.nan),
                fen,
                ordered.epoch,
                responded.epoch if responded else np.full(n, -1, dtype=np.int64),
                delivered.epoch if delivered else np.full(n, -1, dtype=np.int64),
                hash_strings(supplier if supplier is not None else pa.array([""] * n)),
                channel,
            ]
        )
        none = constant(None)
        return Rows(
            [
                order,
                line,
                inst_values,
                Shared(code),
                qty.value,
                price.text if price is not None else none,
                fen,
                ordered.text,
                responded.text if responded else none,
                delivered.text if delivered else none,
                Shared(supplier) if supplier is not None else constant(""),
                CHANNEL_NAMES[channel],
                content,
            ],
            n,
            key_columns=(0, 1),
        )
