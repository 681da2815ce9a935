"""The command line at its edges: dates out of any period, no institution, outputs that
cannot be written — each a plain message and the contract's exit code, no traceback."""

from __future__ import annotations

import pytest

from pharmacy_app.cli import EXIT_FAILURE, main


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_an_as_of_date_out_of_range_is_refused(tmp_path, capsys, day):
    with pytest.raises(SystemExit) as exited:
        main(["--db", str(tmp_path / "p.db"), "indicators", "--as-of", day, "--json"])
    assert exited.value.code == 2
    assert "日期超出范围" in capsys.readouterr().err


def test_payment_standards_without_an_institution_fails_as_report_does(tmp_path, capsys):
    db = str(tmp_path / "p.db")
    assert main(["--db", db, "payment-standards", "--as-of", "2026-06-30"]) == EXIT_FAILURE
    assert "尚未设置本机构" in capsys.readouterr().err


def test_a_report_under_a_file_is_one_plain_error(tmp_path, capsys):
    db = str(tmp_path / "p.db")
    assert main(["--db", db, "init", "--institution-code", "H1", "--name", "某卫生院",
                 "--level", "grassroots"]) == 0
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    capsys.readouterr()
    code = main(["--db", db, "report", "agreements", "--as-of", "2026-06-30",
                 "--out", str(blocker / "r.pdf")])
    err = capsys.readouterr().err
    assert code == EXIT_FAILURE and err.count("无法写入") == 1 and "Traceback" not in err
