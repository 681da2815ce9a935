"""The column-wise purchases importer rejects and stores exactly what a row-by-row reading says.

The reference below reads each row cell by cell with pharmacy_app.parsing
and pharmacy_app.catalogue — the one definition of accepted spellings —
and the FORMATS.md rules (required columns, negative quantities, unknown
codes, amount from quantity × price, duplicate keys inside the file).
Hypothesis builds files of random rows from realistic good and bad cells;
the importer, chunked small so keys and errors cross chunk boundaries, in
its pipelined and its sequential form, must report the same (row, column,
reason) set and, for a clean file, store the same lines.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_fixtures import (
    C1,
    D1,
    D2,
    INSTITUTION,
    PURCHASE_HEADER,
    setup_institution_and_catalogue,
    table_rows,
    write_csv,
)

from pharmacy_app.catalogue import normalise_code, validate_code
from pharmacy_app.importers import run_import
from pharmacy_app.importers.purchases import (
    CHANNELS,
    MSG_CHANNEL,
    MSG_NO_AMOUNT,
    MSG_UNKNOWN_CODE,
)
from pharmacy_app.parsing import (
    decimal_text,
    format_datetime,
    parse_datetime,
    parse_decimal,
    to_halfwidth,
    yuan_to_fen,
)

CATALOGUE = {D1, D2, C1, "ZA04BAA0123010203040506"}
CELLS = {
    "order_id": ["PO1", "PO2", "PO10", " PO1 ", ""],
    "line_no": ["1", "2", "10", ""],
    "institution": [INSTITUTION, "", "H46010002"],
    "code": [
        D1,
        D2,
        C1,
        D1.lower(),
        "ＸＡ０１ＡＢＤ０７５Ａ００２０１０１００４８３",
        "XA01NOTINCATALOGUE00000",
        "BAD",
        "",
    ],
    "qty": ["10", "2.5", "1,000", "0", "-1", "abc", "1e400", ""],
    "price": ["12.50", "0.335", "007", "￥1,234.5", "-3", "x", ""],
    "amount": ["125.00", "1.005", "", "", "-3", "1e20", "abc"],
    "ordered_at": [
        "2026-03-01 08:15:00",
        "2026/3/1 8:15",
        "2026-03-01",
        "20260301",
        "46082",
        "2026-02-30",
        "昨天",
        "",
    ],
    "responded_at": ["", "2026-03-01 09:00:00", "2026年3月1日 13:30", "2026-13-01", "x"],
    "delivered_at": ["", "2026/3/2 10:00"],
    "supplier": ["国药控股海南有限公司", " 华润海南 ", ""],
    "channel": ["线上", "线下", "", "OFFLINE", "线上采购", "快递"],
}
FIELDS = list(CELLS)
MSG_EMPTY = "不能为空"


def _number(text: str, *, required: bool, limit: Decimal):
    text = text.strip()
    if not text:
        return None, MSG_EMPTY if required else None
    try:
        value = parse_decimal(text)
    except ValueError:
        return None, "不是数字"
    if abs(value) >= limit:
        return None, "数值过大"
    return value, None


def _date(text: str, *, required: bool):
    if not text.strip():
        return None, MSG_EMPTY if required else None
    try:
        return format_datetime(parse_datetime(text)), None
    except ValueError as exc:
        if str(exc).startswith("日期不存在"):
            return None, "日期不存在"
        return None, "无法识别的日期（可用 2026-03-01、2026/3/1、20260301 或 Excel 日期）"


def reference(rows: list[list[str]]):
    """{(row, field, message)} and, when there is none, the stored lines."""
    errors: set[tuple[int, str, str]] = set()
    stored = []
    first_row: dict[tuple[str, str], int] = {}
    for number, cells in enumerate(rows, start=2):
        c = dict(zip(FIELDS, cells, strict=True))
        bad: list[tuple[str, str]] = []
        order, line = c["order_id"].strip(), c["line_no"].strip()
        if not order:
            bad.append(("order_id", MSG_EMPTY))
        if not line:
            bad.append(("line_no", MSG_EMPTY))
        institution = c["institution"].strip() or INSTITUTION
        code = normalise_code(c["code"])
        if not code:
            bad.append(("code", MSG_EMPTY))
        elif code not in CATALOGUE:
            bad.append(("code", validate_code(code) or MSG_UNKNOWN_CODE))
        qty, err = _number(c["qty"], required=True, limit=Decimal(10) ** 15)
        if err:
            bad.append(("qty", err))
        elif qty < 0:
            bad.append(("qty", "不能为负数"))
            qty = None
        price, err = _number(c["price"], required=False, limit=Decimal(10) ** 15)
        if err:
            bad.append(("price", err))
        elif price is not None and price < 0:
            bad.append(("price", "不能为负数"))
            price = None
        amount, err = _number(c["amount"], required=False, limit=Decimal(10) ** 13)
        fen = None
        if err:
            bad.append(("amount", err))
        elif amount is not None:
            fen = yuan_to_fen(amount)
            if fen < 0:
                bad.append(("amount", "不能为负数"))
                fen = None
        if fen is None and not bad and qty is not None:
            if price is None:
                bad.append(("amount", MSG_NO_AMOUNT))
            else:
                fen = yuan_to_fen(qty * price)
        ordered, err = _date(c["ordered_at"], required=True)
        if err:
            bad.append(("ordered_at", err))
        dates = {}
        for field in ("responded_at", "delivered_at"):
            dates[field], err = _date(c[field], required=False)
            if err:
                bad.append((field, err))
        channel = CHANNELS.get(to_halfwidth(c["channel"].strip()).lower())
        if channel is None:
            bad.append(("channel", MSG_CHANNEL))
        if not bad:
            key = (order, line)
            if key in first_row:
                bad.append(("order_id", f"订单号+行号在文件中重复（与第 {first_row[key]} 行相同）"))
            else:
                first_row[key] = number
        errors.update((number, field, message) for field, message in bad)
        if not bad:
            stored.append(
                (
                    order,
                    line,
                    institution,
                    code,
                    float(qty),
                    decimal_text(price) if price is not None else None,
                    fen,
                    ordered,
                    dates["responded_at"],
                    dates["delivered_at"],
                    c["supplier"].strip(),
                    channel,
                )
            )
    return errors, sorted(stored)


GOOD = {
    "order_id": ["PO1", "PO2", "PO10", " PO1 "],
    "line_no": ["1"],  # replaced by the row's index: keys never repeat
    "institution": [INSTITUTION, "", "H46010002"],
    "code": [D1, D2, C1, D1.lower(), "ＸＡ０１ＡＢＤ０７５Ａ００２０１０１００４８３"],
    "qty": ["10", "2.5", "1,000", "0"],
    "price": ["12.50", "0.335", "007", "￥1,234.5"],
    "amount": ["125.00", "1.005", ""],
    "ordered_at": ["2026-03-01 08:15:00", "2026/3/1 8:15", "2026-03-01", "20260301", "46082"],
    "responded_at": ["", "2026-03-01 09:00:00", "2026年3月1日 13:30"],
    "delivered_at": ["", "2026/3/2 10:00"],
    "supplier": ["国药控股海南有限公司", " 华润海南 ", ""],
    "channel": ["线上", "线下", "", "OFFLINE", "线上采购"],
}


def _rows(cells: dict[str, list[str]]):
    return st.lists(
        st.tuples(*(st.sampled_from(cells[f]) for f in FIELDS)).map(list), min_size=1, max_size=14
    )


def _numbered(rows: list[list[str]]) -> list[list[str]]:
    for i, row in enumerate(rows):
        row[1] = str(i + 1)
    return rows


@pytest.mark.parametrize("pipelined", [True, False])
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=_rows(CELLS) | _rows(GOOD).map(_numbered) | _rows({**GOOD, "line_no": ["1", "2"]}))
def test_importer_agrees_with_the_row_by_row_reading(tmp_path, monkeypatch, pipelined, rows):
    import pharmacy_app.importers.engine as engine
    import pharmacy_app.importers.reading as reading
    from db import open_db

    monkeypatch.setattr(reading, "CHUNK_ROWS", 3)
    monkeypatch.setattr(engine, "PIPELINED", pipelined)
    errors, stored = reference(rows)
    path = write_csv(tmp_path / "p.csv", PURCHASE_HEADER, rows)
    conn = open_db(":memory:")
    try:
        setup_institution_and_catalogue(conn)
        result = run_import(conn, "purchases", path)
        got = {(e.row, e.field, e.message) for e in result.errors}
        assert got == errors
        assert result.committed == (not errors)
        assert set(result.rejected_rows) == {row for row, _, _ in errors}
        lines = sorted(
            tuple(r)
            for r in conn.execute(
                "SELECT order_id, line_no, institution_code, code, qty, price, amount_fen,"
                " ordered_at, responded_at, delivered_at, supplier, channel FROM purchase_lines"
            )
        )
        assert lines == (stored if not errors else [])
        if not errors:
            assert (result.inserted, result.updated, result.unchanged) == (len(stored), 0, 0)
            # Importing it again changes nothing.
            again = run_import(conn, "purchases", path)
            assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(stored))
            assert table_rows(conn, "purchase_lines", "order_id, line_no")
    finally:
        conn.close()
