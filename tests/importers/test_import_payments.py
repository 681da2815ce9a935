"""Payments: whole-order and per-line payments, idempotent by their full key, bad values."""

from __future__ import annotations

from importer_fixtures import write_csv

from pharmacy_app.importers import run_import

HEADER = ["订单号", "行号", "付款金额", "付款日期"]
ROWS = [
    ["PO1", "", "1,250.00", "2026-03-20"],
    ["PO1", "2", "16", "2026/3/25"],
    ["PO2", "1", "200.5", "20260401"],
]


def test_payments_are_stored_in_fen_with_dates(conn, tmp_path):
    result = run_import(conn, "payments", write_csv(tmp_path / "pay.csv", HEADER, ROWS))
    assert result.committed and result.inserted == 3
    got = [
        tuple(r)
        for r in conn.execute(
            "SELECT order_id, line_no, amount_fen, paid_on FROM payments ORDER BY id"
        )
    ]
    assert got == [
        ("PO1", "", 125000, "2026-03-20"),
        ("PO1", "2", 1600, "2026-03-25"),
        ("PO2", "1", 20050, "2026-04-01"),
    ]


def test_a_no_line_mark_means_the_whole_order(conn, tmp_path):
    """PAY-0: "—" or "/" in 行号 is a whole-order payment, as an empty cell is."""
    rows = [["PO1", "—", "100", "2026-03-20"], ["PO2", "/", "50", "2026-03-21"],
            ["PO3", "无", "5", "2026-03-22"]]
    assert run_import(conn, "payments", write_csv(tmp_path / "pay.csv", HEADER, rows)).committed
    assert [r[0] for r in conn.execute("SELECT line_no FROM payments ORDER BY id")] == ["", "", ""]


def test_reimport_never_duplicates_payments(conn, tmp_path):
    path = write_csv(tmp_path / "pay.csv", HEADER, ROWS)
    run_import(conn, "payments", path)
    more = write_csv(
        tmp_path / "more.csv",
        ["回款日期", "订单编号", "回款金额"],
        [
            ["2026-03-20", "PO1", "1250"],
            ["2026-04-10", "PO3", "10"],
        ],
    )
    result = run_import(conn, "payments", more)
    assert (result.inserted, result.updated, result.unchanged) == (1, 0, 1)
    assert conn.execute("SELECT count(*) FROM payments").fetchone()[0] == 4
    again = run_import(conn, "payments", path)
    assert (again.inserted, again.unchanged) == (0, 3)


def test_bad_payments_are_reported(conn, tmp_path):
    rows = [*ROWS, ["", "", "-5", "2026-02-30"], ["PO4", "", "十元", ""], list(ROWS[1])]
    result = run_import(conn, "payments", write_csv(tmp_path / "pay.csv", HEADER, rows))
    got = sorted((e.row, e.column, e.message) for e in result.errors)
    assert got == [
        (5, "付款日期", "日期不存在"),
        (5, "付款金额", "不能为负数"),
        (5, "订单号", "不能为空"),
        (6, "付款日期", "不能为空"),
        (6, "付款金额", "不是数字"),
        (7, "订单号", "同一笔付款在文件中重复（与第 3 行相同）"),
    ]
    assert conn.execute("SELECT count(*) FROM payments").fetchone()[0] == 0


def test_sync1_payments_bulk_import_logs_each_new_payment_once(conn, tmp_path):
    """SYNC-1: one 'insert' log row per new payment, none for a re-imported one."""
    path = write_csv(tmp_path / "pay.csv", HEADER, ROWS)
    run_import(conn, "payments", path)
    run_import(conn, "payments", path)
    logged = conn.execute(
        "SELECT row_uuid, version, op FROM change_log WHERE table_name = 'payments' ORDER BY seq"
    ).fetchall()
    uuids = [r[0] for r in conn.execute("SELECT uuid FROM payments ORDER BY id")]
    assert [tuple(r) for r in logged] == [(u, 1, "insert") for u in uuids]


def test_payments_no_purchase_line_answers_are_kept_and_said(ready, tmp_path):
    """A payment whose order or line is not in the purchases counts nowhere (PAY-0): the
    import keeps it (its purchases may come later) and says how many — here an unknown
    order and a line number written in full width, which is not the line's own."""
    from importer_fixtures import PURCHASE_HEADER, PURCHASES

    assert run_import(ready, "purchases", write_csv(tmp_path / "p.csv", PURCHASE_HEADER,
                                                    PURCHASES)).committed
    order, line = PURCHASES[0][0], PURCHASES[0][1]
    wide_line = line.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    rows = [[order, wide_line, "10", "2026-03-20"], ["NO-SUCH-ORDER", "", "5", "2026-03-21"]]
    result = run_import(ready, "payments", write_csv(tmp_path / "pay.csv", HEADER, rows))
    assert result.committed and result.inserted == 2
    assert result.warnings and "2 笔付款找不到对应的采购明细" in result.describe()
