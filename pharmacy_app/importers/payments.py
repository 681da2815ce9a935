"""Payments (回款) → payments: order, line ('' = the whole order), amount, date.

The table's unique key is every column (order, line, date, amount), so a
re-imported payment is simply already there: it is counted as unchanged and
never duplicated. The same payment twice in one file is an error (the user
must say whether it was paid twice). Negative amounts are refused. Clean
chunks are written straight into the table (bulk.py).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .bulk import BulkImporter, Rows
from .columns import (
    MAX_LINE_FEN,
    beyond_line_limits,
    parse_dates,
    parse_fen,
    required_issues,
    trimmed,
)
from .engine import Counts
from .reading import Chunk
from .spec import PAYMENTS

COLUMNS = (("order_id", "?"), ("line_no", "?"), ("amount_fen", "?"), ("paid_on", "?"))
WHOLE_ORDER_MARKS = pa.array(["—", "–", "-", "--", "/", "无", "整单", "全部"])
KEY = ("order_id", "line_no", "amount_fen", "paid_on")


class PaymentsImporter(BulkImporter):
    spec = PAYMENTS

    def begin(self) -> None:
        self.open_table("payments", COLUMNS, KEY, update=False)

    def check(self, chunk: Chunk) -> Rows | None:
        ctx = self.ctx
        n = len(chunk)
        bad = np.zeros(n, dtype=bool)

        def mark(field: str, issues: list[tuple[int, str]]) -> None:
            if issues:
                bad[ctx.errors(chunk, field, issues)] = True

        # Kept as typed, as the purchase lines' numbers are: a payment that matches no
        # line is counted and said by write().
        order = trimmed(ctx.column(chunk, "order_id"))
        mark("order_id", required_issues(order))
        line_arr = ctx.column(chunk, "line_no")
        line = trimmed(line_arr) if line_arr is not None else pa.array([""] * n, pa.string())
        # An export's "no line" marks mean the whole order (PAY-0), like an empty cell:
        # kept as typed, a payment of line "—" would match no line and count nowhere.
        line = pc.if_else(pc.is_in(line, value_set=WHOLE_ORDER_MARKS), "", line)
        amount = parse_fen(ctx.column(chunk, "amount"), required=True)
        mark("amount", amount.errors)
        mark("amount", beyond_line_limits(amount.fen, amount.present & ~bad, MAX_LINE_FEN))
        paid = parse_dates(ctx.column(chunk, "paid_on"), required=True, with_time=False)
        mark("paid_on", paid.errors)

        paid_text = pa.array(paid.text, pa.string())
        for i, first_row in self.duplicates(chunk, ~bad, [order, line, amount.fen, paid_text]):
            ctx.error(chunk, i, "order_id", f"同一笔付款在文件中重复（与第 {first_row} 行相同）")
        if ctx.has_errors:
            return None  # the import will be rolled back: nothing more to write
        return Rows([order, line, amount.fen, paid.text], n)

    def write(self, batch_id: int) -> Counts:
        counts = super().write(batch_id)
        # Stored as given (a payment may come before its purchases' export), but a
        # payment no purchase line answers counts nowhere (PAY-0): say so.
        unmatched = self.conn.execute(
            """SELECT count(*) FROM payments p WHERE p.batch_id = ? AND NOT EXISTS (
                   SELECT 1 FROM purchase_lines l WHERE l.order_id = p.order_id
                   AND (p.line_no = '' OR l.line_no = p.line_no))""",
            (batch_id,),
        ).fetchone()[0]
        if unmatched:
            self.ctx.result.warnings.append(
                f"其中 {unmatched} 笔付款找不到对应的采购明细（订单号或行号不符），"
                "暂不计入回款指标，请核对。")
        return counts
