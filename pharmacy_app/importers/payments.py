"""Payments (回款) → payments: order, line ('' = the whole order), amount, date.

The table's unique key is every column (order, line, date, amount), so a
re-imported payment is simply already there: it is counted as unchanged and
never duplicated. The same payment twice in one file is an error (the user
must say whether it was paid twice). Negative amounts are refused.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .columns import hash_rows, hash_strings, parse_dates, parse_fen, required_issues, trimmed
from .reading import Chunk
from .spec import PAYMENTS
from .staging import KeyIndex, StagedImporter, Staging

COLUMNS = ("order_id", "line_no", "amount_fen", "paid_on")


class PaymentsImporter(StagedImporter):
    spec = PAYMENTS

    def begin(self) -> None:
        self.staging = Staging(self.ctx, "payments", COLUMNS, COLUMNS, hashed=False)
        self.staging.create()
        self.keys = KeyIndex(self.staging, COLUMNS)

    def feed(self, chunk: Chunk) -> None:
        ctx = self.ctx
        n = len(chunk)
        bad = np.zeros(n, dtype=bool)

        def mark(field: str, issues: list[tuple[int, str]]) -> None:
            if issues:
                bad[ctx.errors(chunk, field, issues)] = True

        order = trimmed(ctx.column(chunk, "order_id"))
        mark("order_id", required_issues(order))
        line_arr = ctx.column(chunk, "line_no")
        line = trimmed(line_arr) if line_arr is not None else pa.array([""] * n)
        amount = parse_fen(ctx.column(chunk, "amount"), required=True)
        mark("amount", amount.errors)
        paid = parse_dates(ctx.column(chunk, "paid_on"), required=True, with_time=False)
        mark("paid_on", paid.errors)

        order_list = order.to_pylist()
        line_list = line.to_pylist()
        fen = amount.fen.tolist()
        key_hash = hash_rows([hash_strings(order), hash_strings(line), amount.fen, paid.epoch])
        candidates = np.flatnonzero(~bad)
        dups = self.keys.duplicates(
            key_hash[candidates],
            chunk.rows[candidates],
            lambda k: (
                order_list[candidates[k]],
                line_list[candidates[k]],
                fen[candidates[k]],
                paid.text[candidates[k]],
            ),
        )
        for k, first_row in dups.items():
            i = int(candidates[k])
            ctx.error(chunk, i, "order_id", f"同一笔付款在文件中重复（与第 {first_row} 行相同）")
            bad[i] = True
        rows = zip(order_list, line_list, fen, paid.text, strict=False)
        self.stage_valid(chunk, rows, bad, key_hash)
