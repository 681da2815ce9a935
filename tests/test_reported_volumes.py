"""AV-10 reported volumes (报量): proposal, the −20 % / +150 % explanation rule,
unreported 通用名, import checks and the xlsx export (RULES.md AV-10; 001 §8, §12)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from pharmacy_app.catalogue import Product, save_products
from pharmacy_app.cli import main
from pharmacy_app.institutions import init_institution
from pharmacy_app.policy import builtin_profile, save_profile, set_active_profile
from pharmacy_app.reported_volumes import (
    EXPORT_HEADERS,
    Entry,
    ExportRefused,
    ReportError,
    baseline_period,
    change_of,
    compute_report,
    export_report,
    fill_proposals,
    import_report,
    limits,
    needs_explanation,
    propose,
    read_report_file,
    remove_generic,
    save_entries,
)
from pharmacy_app.store import open_store

AS_OF = dt.date(2026, 11, 23)
INST = "H46010001"
AMOX_SEL = "XJ01CAA001A001010000301"  # 阿莫西林胶囊, selected, 24 per box
AMOX_OTHER = "XJ01CAA001A001010000302"  # same 通用名, non-selected, 20 per box
CLARI = "XJ01FAC001A001010000401"  # 克拉霉素片, VBP, no agreement
METRONIDAZOLE = "XP01ABA001A001010000501"  # 甲硝唑片, not VBP


@pytest.fixture
def db(db_path: Path):
    conn = open_store(db_path)
    init_institution(conn, INST, "测试卫生院", "grassroots")
    save_products(conn, [
        Product(AMOX_SEL, "阿莫西林", dosage_form="胶囊", specification="0.25g",
                package="0.25g*24粒/盒", conversion=24, is_vbp=True, vbp_batch="第二批",
                price=Decimal("5.80")),
        Product(AMOX_OTHER, "阿莫西林", dosage_form="胶囊", specification="0.5g",
                package="0.5g*20粒/盒", conversion=20, price=Decimal("9.00")),
        Product(CLARI, "克拉霉素", dosage_form="片剂", specification="0.25g",
                package="0.25g*10片/盒", conversion=10, is_vbp=True, vbp_batch="第二批",
                price=Decimal("8.00")),
        Product(METRONIDAZOLE, "甲硝唑", dosage_form="片剂", specification="0.2g",
                package="0.2g*100片/瓶", conversion=100, price=Decimal("3.00")),
    ])
    cur = conn.execute(
        """INSERT INTO agreements (institution_code, batch, generic, selected_price, agreed_qty,
               last_year_qty, start_date, end_date)
           VALUES (?, '第二批', '阿莫西林胶囊', '0.24', 20000, 30000, '2026-03-01', '2027-02-28')""",
        (INST,),
    )
    conn.execute("INSERT INTO agreement_products (agreement_id, code, role) VALUES (?, ?, 'selected')",
                 (cur.lastrowid, AMOX_SEL))
    lines = [
        # (order, code, packages, ordered_at)
        ("O1", AMOX_SEL, 100, "2025-11-23 10:00:00"),  # day before the 12-month window
        ("O2", AMOX_SEL, 10, "2025-11-24 00:00:00"),  # first day of the window: 240
        ("O3", AMOX_SEL, 20, "2026-03-01 09:00:00"),  # 480
        ("O4", AMOX_OTHER, 12, "2026-06-01 09:00:00"),  # 240
        ("O5", AMOX_SEL, 2, "2026-11-23 23:59:59"),  # last instant of the as-of day: 48
        ("O6", AMOX_SEL, 50, "2026-11-24 00:00:00"),  # after the as-of day
        ("O7", CLARI, 30, "2026-05-01 09:00:00"),  # 300
        ("O8", METRONIDAZOLE, 5, "2026-05-01 09:00:00"),
        ("O9", AMOX_SEL, 10, "2026-01-10 09:00:00", "H99"),  # another institution
    ]
    conn.executemany(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, amount_fen,
               ordered_at, supplier) VALUES (?, '1', ?, ?, ?, 100, ?, '国药控股')""",
        [(o[0], o[4] if len(o) > 4 else INST, o[1], o[2], o[3]) for o in lines],
    )
    yield conn
    conn.close()


def test_av10_limits_come_from_the_policy_profile_exactly():
    low, high = limits(builtin_profile())
    assert (low, high) == (Fraction(-1, 5), Fraction(3, 2))


@pytest.mark.parametrize(
    ("quantity", "needed"),
    [
        (800, False),  # exactly −20 %: no explanation
        (799, True),  # just below −20 %
        (2500, False),  # exactly +150 %
        (2501, True),  # just above +150 %
        (1000, False),
        (0, True),  # −100 %
        (None, False),  # not reported: flagged separately, not an explanation case
    ],
)
def test_av10_boundaries_minus_20_and_plus_150_percent(quantity, needed):
    low, high = limits(builtin_profile())
    assert needs_explanation(quantity, 1000, low, high) is needed


def test_av10_zero_base_positive_report_needs_explanation():
    low, high = limits(builtin_profile())
    assert needs_explanation(10, 0, low, high) is True
    assert needs_explanation(0, 0, low, high) is False
    assert change_of(10, 0) is None
    assert change_of(800, 1000) == Fraction(-1, 5)


def test_av10_rows_baseline_and_proposal(db):
    report = compute_report(db, AS_OF)
    assert report.report_year == 2027
    assert baseline_period(AS_OF) == (dt.date(2025, 11, 24), AS_OF)
    amox = report.row("阿莫西林胶囊")
    assert amox.origin == "agreement" and amox.batch == "第二批"
    # Both products of the 通用名, smallest units, other institutions and after-as-of lines out.
    assert amox.last_year_qty == 240 + 480 + 240 + 48
    # This year so far (1 Jan – 23 Nov = 327 days) scaled to 365 days.
    ytd = 480 + 240 + 48
    assert amox.proposed_qty == propose(Fraction(ytd), amox.last_year_qty, AS_OF)
    assert amox.proposed_qty == round(ytd * 365 / 327)
    clari = report.row("克拉霉素片")
    assert clari.origin == "catalogue" and clari.batch == "第二批"
    assert clari.last_year_qty == 300
    assert [r.generic for r in report.rows] == ["阿莫西林胶囊", "克拉霉素片"]  # not 甲硝唑 (not VBP)
    assert all(r.unreported for r in report.rows)


def test_proposal_early_in_the_year_takes_the_12_month_figure():
    assert propose(Fraction(50), 1200, dt.date(2026, 3, 30)) == 1200  # day 89
    assert propose(Fraction(300), 1200, dt.date(2026, 3, 31)) == round(300 * 365 / 90)  # day 90


def test_av10_export_refused_without_explanation_then_allowed(db, tmp_path):
    report = compute_report(db, AS_OF)
    base = report.row("阿莫西林胶囊").last_year_qty  # 1008
    save_entries(db, 2027, [Entry("阿莫西林胶囊", base * 3), Entry("克拉霉素片", 300)], by="王敏")
    report = compute_report(db, AS_OF)
    amox = report.row("阿莫西林胶囊")
    assert amox.change == 2 and amox.needs_explanation and amox.missing_explanation
    out = tmp_path / "报量.xlsx"
    with pytest.raises(ExportRefused) as refused:
        export_report(report, out)
    assert refused.value.generics == ["阿莫西林胶囊"]
    assert "阿莫西林胶囊" in str(refused.value)
    assert not out.exists()

    save_entries(db, 2027, [Entry("阿莫西林胶囊", base * 3, "新增发热门诊，抗感染用药需求上升")])
    report = compute_report(db, AS_OF)
    assert report.exportable
    export_report(report, out)
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert tuple(rows[0]) == EXPORT_HEADERS
    assert rows[1][:6] == [INST, "第二批", "阿莫西林胶囊", base, amox.proposed_qty, base * 3]
    assert rows[1][6] == pytest.approx(2.0)
    assert rows[1][7] == "新增发热门诊，抗感染用药需求上升"


def test_av10_unreported_generic_flagged_and_listed_on_its_own_sheet(db, tmp_path):
    save_entries(db, 2027, [Entry("阿莫西林胶囊", 1000)])
    report = compute_report(db, AS_OF)
    assert [r.generic for r in report.unreported] == ["克拉霉素片"]
    out = export_report(report, tmp_path / "r.xlsx")
    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == ["2027年报量", "未报量", "说明"]
    unreported = book.get_sheet_by_name("未报量").to_python()
    assert unreported[1][2] == "克拉霉素片" and "结余留用" in unreported[1][4]
    main_rows = book.get_sheet_by_index(0).to_python()
    assert [r[2] for r in main_rows[1:] if r[2]] == ["阿莫西林胶囊"]


def test_an_exported_report_imports_back_and_a_bad_folder_is_named(db, tmp_path):
    """Export, edit in Excel, import again: the file the app writes is one it reads."""
    from pharmacy_app.reported_volumes import ReportError, import_report

    save_entries(db, 2027, [Entry("阿莫西林胶囊", 1000)])
    out = export_report(compute_report(db, AS_OF), tmp_path / "r.xlsx")
    import_report(db, out, AS_OF)
    assert [r.quantity for r in compute_report(db, AS_OF).rows
            if r.generic == "阿莫西林胶囊"] == [1000]
    with pytest.raises(ReportError, match="无法写入"):
        export_report(compute_report(db, AS_OF), tmp_path / "no" / "such" / "r.xlsx")


def test_user_added_generic_and_removal(db):
    save_entries(db, 2027, [Entry("甲硝唑片", None)])
    report = compute_report(db, AS_OF)
    row = report.row("甲硝唑片")
    assert row.origin == "user" and row.last_year_qty == 500 and row.unreported
    assert remove_generic(db, 2027, "甲硝唑片")
    assert "甲硝唑片" not in [r.generic for r in compute_report(db, AS_OF).rows]


def test_save_is_versioned_and_logged(db):
    save_entries(db, 2027, [Entry("阿莫西林胶囊", 1000)], by="王敏")
    save_entries(db, 2027, [Entry("阿莫西林胶囊", 1100)], by="王敏")
    assert save_entries(db, 2027, [Entry("阿莫西林胶囊", 1100)], by="王敏") == 0  # unchanged
    uuid, version = db.execute("SELECT uuid, version FROM reported_volumes").fetchone()
    assert version == 2
    ops = [r[0] for r in db.execute(
        "SELECT op FROM change_log WHERE table_name='reported_volumes' AND row_uuid=? ORDER BY seq",
        (uuid,))]
    assert ops == ["insert", "update"]


def test_save_refuses_bad_entries_and_writes_nothing(db):
    with pytest.raises(ReportError, match="通用名不能为空"):
        save_entries(db, 2027, [Entry("阿莫西林胶囊", 10), Entry(" ", 5)])
    with pytest.raises(ReportError, match="重复"):
        save_entries(db, 2027, [Entry("阿莫西林胶囊", 10), Entry("阿莫西林胶囊 ", 5)])
    assert db.execute("SELECT count(*) FROM reported_volumes").fetchone()[0] == 0


def test_fill_proposals_only_fills_unreported(db):
    save_entries(db, 2027, [Entry("阿莫西林胶囊", 999)])
    assert fill_proposals(db, AS_OF) == 1
    report = compute_report(db, AS_OF)
    assert report.row("阿莫西林胶囊").quantity == 999
    assert report.row("克拉霉素片").quantity == report.row("克拉霉素片").proposed_qty


def test_import_csv_gbk_with_title_row_and_aliases(db, tmp_path):
    path = tmp_path / "报量.csv"
    path.write_text(
        "2027年集采报量\n药品通用名,报量(最小单位),备注\n阿莫西林胶囊,\"1,200\",\n克拉霉素片,2000,门诊量增加\n",
        encoding="gb18030",
    )
    entries = import_report(db, path, AS_OF)
    assert [(e.generic, e.quantity) for e in entries] == [("阿莫西林胶囊", 1200), ("克拉霉素片", 2000)]
    report = compute_report(db, AS_OF)
    assert report.row("克拉霉素片").explanation == "门诊量增加"
    assert db.execute("SELECT DISTINCT source FROM reported_volumes").fetchone()[0] == "import"


def test_import_names_file_row_and_column_and_writes_nothing(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("通用名,报量,说明\n阿莫西林胶囊,12.5,\n,300,\n克拉霉素片,-3,\n", encoding="utf-8")
    with pytest.raises(ReportError) as exc:
        import_report(db, path, AS_OF)
    text = str(exc.value)
    assert "文件「bad.csv」第2行「报量」列" in text
    assert "文件「bad.csv」第3行「通用名」列" in text
    assert "文件「bad.csv」第4行「报量」列" in text and "负数" in text
    assert db.execute("SELECT count(*) FROM reported_volumes").fetchone()[0] == 0


def test_import_xlsx_and_missing_header(db, tmp_path):
    import xlsxwriter

    path = tmp_path / "r.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["通用名", "报量", "说明"])
    sheet.write_row(1, 0, ["阿莫西林胶囊", 1500, "x"])
    book.close()
    assert read_report_file(path) == [Entry("阿莫西林胶囊", 1500, "x")]
    bad = tmp_path / "nohead.csv"
    bad.write_text("名称,数量\n阿莫西林胶囊,1\n", encoding="utf-8")
    with pytest.raises(ReportError, match="找不到表头"):
        read_report_file(bad)


def test_policy_profile_changes_the_limit(db):
    profile = save_profile(db, "hn", "海南", "海南", {"av_report_low": -0.1})
    set_active_profile(db, profile.profile_id)
    save_entries(db, 2027, [Entry("克拉霉素片", 265)])  # −11.7 % against 300
    row = compute_report(db, AS_OF).row("克拉霉素片")
    assert row.needs_explanation and compute_report(db, AS_OF).profile == "hn@1"


def test_cli_reported_export_refused_exit_2_then_ok(db, db_path, tmp_path, capsys):
    save_entries(db, 2027, [Entry("阿莫西林胶囊", 100)])
    out = tmp_path / "out.xlsx"
    args = ["--db", str(db_path), "reported", "export", "--as-of", "2026-11-23",
            "--year", "2027", "--out", str(out)]
    assert main(args) == 2
    captured = capsys.readouterr()
    assert "阿莫西林胶囊" in captured.err and "未填写说明" in captured.err
    assert not out.exists()
    save_entries(db, 2027, [Entry("阿莫西林胶囊", 100, "改用缓释剂型")])
    assert main(args) == 0
    captured = capsys.readouterr()
    assert out.exists() and "克拉霉素片" in captured.err  # unreported, named


def test_cli_reported_propose_and_import(db, db_path, tmp_path, capsys):
    assert main(["--db", str(db_path), "reported", "propose", "--as-of", "2026-11-23", "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["report_year"] == 2027 and data["unreported"] == ["阿莫西林胶囊", "克拉霉素片"]
    bad = tmp_path / "bad.csv"
    bad.write_text("通用名,报量\n阿莫西林胶囊,abc\n", encoding="utf-8")
    assert main(["--db", str(db_path), "reported", "import", str(bad), "--as-of", "2026-11-23"]) == 2
    assert "第2行「报量」列" in capsys.readouterr().err


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pharmacy_app.demo import build_demo

    path = tmp_path_factory.mktemp("demo_reported") / "demo.db"
    build_demo(path, today=AS_OF)
    return path


def test_demo_report_has_one_missing_explanation_and_the_unreported_vbp(demo_path):
    from pharmacy_app.demo import AGREEMENTS, UNREPORTED_VBP
    from pharmacy_app.demo_extras.reported_volumes import EXPLAINED, NEEDS_EXPLANATION

    conn = open_store(demo_path)
    try:
        report = compute_report(conn, AS_OF)
    finally:
        conn.close()
    assert report.report_year == 2027
    assert [r.generic for r in report.missing_explanations] == [NEEDS_EXPLANATION]
    explained = report.row(EXPLAINED[0])
    assert explained.needs_explanation and not explained.missing_explanation
    assert {r.generic for r in report.rows if r.origin == "agreement"} == {a.generic for a in AGREEMENTS}
    assert len(report.unreported) == len(UNREPORTED_VBP)
    assert all(r.origin == "catalogue" and r.last_year_qty > 0 for r in report.unreported)
