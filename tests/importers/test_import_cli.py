"""`pharmacy-app import`: exit codes 0 and 2, --json summary, rejected rows file (FORMATS.md)."""

from __future__ import annotations

import json

from importer_fixtures import PURCHASE_HEADER, PURCHASES, setup_institution_and_catalogue, write_csv

from pharmacy_app.cli import EXIT_OK, EXIT_REJECTED, main


def prepared(db_path):
    from db import open_db

    conn = open_db(db_path)
    setup_institution_and_catalogue(conn)
    conn.close()


def test_import_ok_prints_json_summary(db_path, tmp_path, capsys):
    prepared(db_path)
    path = write_csv(tmp_path / "purchases.csv", PURCHASE_HEADER, PURCHASES)
    code = main(["--db", str(db_path), "import", "purchases", str(path), "--json", "--quiet"])
    out = capsys.readouterr()
    assert code == EXIT_OK
    summary = json.loads(out.out)
    assert (summary["committed"], summary["inserted"], summary["rows_total"]) == (True, 3, 3)
    assert summary["kind"] == "purchases" and summary["errors"] == []
    code = main(["--db", str(db_path), "import", "purchases", str(path)])
    out = capsys.readouterr()
    assert code == EXIT_OK and "未变 3 行" in out.out


def test_import_rejected_exits_2_with_reasons_row_by_row(db_path, tmp_path, capsys):
    prepared(db_path)
    rows = [list(r) for r in PURCHASES]
    rows[1][4] = "abc"
    path = write_csv(tmp_path / "purchases.csv", PURCHASE_HEADER, rows)
    out_file = tmp_path / "rejected.csv"
    code = main(
        [
            "--db",
            str(db_path),
            "import",
            "purchases",
            str(path),
            "--json",
            "--quiet",
            "--rejected-out",
            str(out_file),
        ]
    )
    out = capsys.readouterr()
    assert code == EXIT_REJECTED
    assert json.loads(out.out)["committed"] is False
    assert "purchases.csv 第 3 行「数量」列：不是数字：'abc'" in out.err
    assert out_file.exists()


def test_import_rejected_counts_rows_not_errors(db_path, tmp_path, capsys):
    prepared(db_path)
    rows = [list(r) for r in PURCHASES]
    rows[1][4] = rows[1][5] = "abc"  # one row, two errors
    rows[2][4] = "-"
    path = write_csv(tmp_path / "purchases.csv", PURCHASE_HEADER, rows)
    assert main(["--db", str(db_path), "import", "purchases", str(path), "--quiet"]) == EXIT_REJECTED
    assert "其中 2 行有误（3 处），未写入任何数据。" in capsys.readouterr().err


def test_import_failed_and_missing_file_exit_2(db_path, tmp_path, capsys):
    prepared(db_path)
    path = write_csv(tmp_path / "bad.csv", ["甲", "乙"], [["1", "2"]])
    assert main(["--db", str(db_path), "import", "purchases", str(path)]) == EXIT_REJECTED
    err = capsys.readouterr().err
    assert "bad.csv" in err and "订单号" in err
    assert (
        main(["--db", str(db_path), "import", "purchases", str(tmp_path / "none.csv")])
        == EXIT_REJECTED
    )


def test_import_essential_list_with_options(db_path, tmp_path, capsys):
    path = write_csv(tmp_path / "list.csv", ["序号", "通用名", "剂型"], [["1", "青霉素", "注射剂"]])
    code = main(
        [
            "--db",
            str(db_path),
            "import",
            "essential-list",
            str(path),
            "--quiet",
            "--effective-from",
            "2026-09-01",
            "--name",
            "国家基本药物目录",
            "--edition",
            "2026",
        ]
    )
    assert code == EXIT_OK
    from db import open_db

    conn = open_db(db_path)
    row = conn.execute(
        "SELECT name, edition, effective_from FROM essential_lists WHERE builtin = 0"
    ).fetchone()
    assert tuple(row) == ("国家基本药物目录", "2026", "2026-09-01")
    conn.close()


def test_import_leaves_the_figures_summaries_current(db_path, tmp_path):
    """After `import purchases` the next `indicators` finds the purchase summaries
    (migration 0007) current: the refresh after a large import is paid while
    importing, not by the next figure asked for."""
    from pharmacy_app.purchase_summary import is_current
    from pharmacy_app.store import open_store

    prepared(db_path)
    path = write_csv(tmp_path / "purchases.csv", PURCHASE_HEADER, PURCHASES)
    assert main(["--db", str(db_path), "import", "purchases", str(path), "--quiet"]) == EXIT_OK
    conn = open_store(db_path)
    try:
        assert is_current(conn)
        conn.execute(
            "UPDATE purchase_lines SET qty = qty + 1 WHERE id = (SELECT min(id) FROM purchase_lines)"
        )
        assert not is_current(conn)  # a later write is seen as a change
    finally:
        conn.close()
