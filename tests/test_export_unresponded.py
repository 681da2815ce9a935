"""SUP-3: the delayed-response list as xlsx (exports.unresponded and `pharmacy-app suppliers
unresponded`), read back with python-calamine.

Pins: the FORMATS.md-style Chinese header row; a line answered at exactly
48 h is not listed, 48 h + 1 s is; real date-times; an unanswered line's
响应时间 is empty and its status 仍未响应; `--supplier` keeps only that
company's lines (the file sent to it); an unknown company, a non-.xlsx name
or a missing folder is rejected with exit 2 and no file; no temporary file
is left behind; on the demo data the file holds exactly the lines
`indicators --json` counts as unresponded_48h.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import sqlite3
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from pharmacy_app.cli import main
from pharmacy_app.demo import build_demo
from pharmacy_app.exports.unresponded import (
    ANSWERED_LATE,
    HEADERS,
    NOTES_SHEET,
    SHEET,
    STILL_OPEN,
    ExportRejected,
    export_unresponded,
)
from pharmacy_app.institutions import init_institution

AS_OF = dt.date(2026, 6, 30)
A = "甲医药有限公司"
B = "乙医药有限公司"


@pytest.fixture
def db(conn: sqlite3.Connection) -> sqlite3.Connection:
    init_institution(conn, "H1", "平原卫生院", "grassroots")
    conn.execute(
        """INSERT INTO products (code, generic_name, dosage_form, specification, package,
                                 manufacturer)
           VALUES ('P1', '阿莫西林', '胶囊', '0.25g', '0.25g*24粒/盒', '华北制药股份有限公司')""")
    rows = [
        ("A48", A, "2026-06-01 08:00:00", "2026-06-03 08:00:00"),  # exactly 48 h: not listed
        ("A49", A, "2026-06-01 08:00:00", "2026-06-03 08:00:01"),  # answered late: listed
        ("AOPEN", A, "2026-06-10 09:30:00", None),  # never answered: listed, open
        ("BOPEN", B, "2026-06-11 10:00:00", None),
    ]
    for order_id, supplier, ordered, responded in rows:
        conn.execute(
            """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty,
                                           amount_fen, ordered_at, responded_at, supplier)
               VALUES (?, '1', 'H1', 'P1', 12, 1000, ?, ?, ?)""",
            (order_id, ordered, responded, supplier))
    conn.commit()
    return conn


def read_sheet(path: Path, name: str = SHEET) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty folder apart from the database's, so leftovers can be seen."""
    path = tmp_path / "out"
    path.mkdir()
    return path


def test_sup3_xlsx_headers_rows_and_notes(db, folder):
    out = folder / "延迟响应清单.xlsx"
    data = export_unresponded(db, AS_OF, out)
    rows = read_sheet(out)
    assert tuple(rows[0]) == HEADERS
    assert rows[0][:3] == ["订单号", "行号", "药品编码"] and "已等待小时" in rows[0]
    body = {r[0]: dict(zip(HEADERS, r, strict=True)) for r in rows[1:]}
    assert set(body) == {"A49", "AOPEN", "BOPEN"} == {r.order_id for r in data.rows}
    late = body["A49"]
    assert late["通用名"] == "阿莫西林" and late["规格"] == "0.25g"
    assert late["生产企业"] == "华北制药股份有限公司" and late["数量"] == 12
    assert late["下单时间"] == dt.datetime(2026, 6, 1, 8, 0, 0)
    assert late["响应时间"] == dt.datetime(2026, 6, 3, 8, 0, 1)
    assert late["状态"] == ANSWERED_LATE and late["配送企业"] == A
    still = body["AOPEN"]
    assert still["响应时间"] == "" and still["状态"] == STILL_OPEN
    # From 2026-06-10 09:30 to the end of 2026-06-30: 494.5 hours.
    assert still["已等待小时"] == 494.5
    notes = dict(read_sheet(out, NOTES_SHEET))
    assert notes["明细条数"] == "3" and notes["仍未响应"] == "2"
    assert notes["配送企业"] == "全部配送企业"
    assert [p.name for p in folder.iterdir()] == [out.name]  # no temporary file left


def test_sup3_one_file_per_supplier_and_open_only(db, tmp_path):
    out = tmp_path / "a.xlsx"
    export_unresponded(db, AS_OF, out, supplier=A)
    rows = read_sheet(out)[1:]
    assert {r[0] for r in rows} == {"A49", "AOPEN"}
    assert {r[HEADERS.index("配送企业")] for r in rows} == {A}
    export_unresponded(db, AS_OF, out, supplier=A, only_open=True)
    assert [r[0] for r in read_sheet(out)[1:]] == ["AOPEN"]


def test_sup3_rejects_unknown_supplier_and_bad_target(db, folder):
    with pytest.raises(ExportRejected, match="丙"):
        export_unresponded(db, AS_OF, folder / "x.xlsx", supplier="丙医药")
    with pytest.raises(ExportRejected, match="xlsx"):
        export_unresponded(db, AS_OF, folder / "x.csv")
    with pytest.raises(ExportRejected):
        export_unresponded(db, AS_OF, folder / "missing" / "x.xlsx")
    assert list(folder.iterdir()) == []


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_sup3_cli_exit_codes(db, db_path, tmp_path):
    out = tmp_path / "清单.xlsx"
    code, stdout, _ = run_cli("--db", str(db_path), "suppliers", "unresponded",
                              "--as-of", "2026-06-30", "--out", str(out), "--supplier", B)
    assert code == 0 and "1 条明细" in stdout
    assert [r[0] for r in read_sheet(out)[1:]] == ["BOPEN"]
    bad = tmp_path / "bad.xlsx"
    code, _, stderr = run_cli("--db", str(db_path), "suppliers", "unresponded",
                              "--as-of", "2026-06-30", "--out", str(bad), "--supplier", "丙医药")
    assert code == 2 and "丙医药" in stderr and not bad.exists()
    code, _, stderr = run_cli("--db", str(db_path), "suppliers", "unresponded",
                              "--as-of", "2026-06-30", "--out", str(tmp_path / "a.csv"))
    assert code == 2 and ".xlsx" in stderr


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo_export") / "demo.db"
    build_demo(path, today=dt.date(2026, 11, 23))
    return path


def test_sup3_demo_export_matches_indicators(demo_db, tmp_path):
    """One code path: the exported lines are the ones `indicators --json` counts."""
    code, stdout, _ = run_cli("--db", str(demo_db), "indicators", "--as-of", "2026-11-23",
                              "--json")
    assert code == 0
    suppliers = json.loads(stdout)["suppliers"]
    out = tmp_path / "all.xlsx"
    code, _, _ = run_cli("--db", str(demo_db), "suppliers", "unresponded",
                         "--as-of", "2026-11-23", "--out", str(out))
    assert code == 0
    rows = read_sheet(out)[1:]
    column = HEADERS.index("配送企业")
    per_supplier = {s["supplier"]: s["unresponded_48h"] for s in suppliers}
    assert sum(per_supplier.values()) == len(rows) > 0
    for name, count in per_supplier.items():
        assert sum(r[column] == name for r in rows) == count, name
