"""The command line on a file that is not a usable Pharmacy Desk database: a Chinese
message naming the file, exit 1, and the file left exactly as it was."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from pharmacy_app.cli import EXIT_FAILURE, main


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(path: Path, capsys) -> tuple[int, str]:
    code = main(["--db", str(path), "indicators", "--as-of", "2026-06-30", "--json"])
    return code, capsys.readouterr().err


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path, capsys):
    pdf = tmp_path / "报告.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + b"x" * 5000)
    before = digest(pdf)
    code, err = run(pdf, capsys)
    assert code == EXIT_FAILURE and str(pdf) in err and "不是药事台的数据库" in err
    assert digest(pdf) == before and "Traceback" not in err


def test_another_programs_database_is_refused_untouched(tmp_path, capsys):
    other = tmp_path / "his.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO patients (name) VALUES ('张三')")
    conn.commit()
    conn.close()
    before = digest(other)
    code, err = run(other, capsys)
    assert code == EXIT_FAILURE and "patients" in err and str(other) in err
    assert digest(other) == before
    from pharmacy_app.demo import demo_is_needed

    assert not demo_is_needed(other)  # the window never fills it with the demo


def test_a_database_of_views_only_is_not_taken_for_an_empty_one(tmp_path, capsys):
    views = tmp_path / "views.db"
    conn = sqlite3.connect(views)
    conn.execute("CREATE VIEW today AS SELECT date('now') AS d")
    conn.commit()
    conn.close()
    before = digest(views)
    code, err = run(views, capsys)
    assert code == EXIT_FAILURE and "today" in err and digest(views) == before
    from pharmacy_app.demo import demo_is_needed

    assert not demo_is_needed(views)


def test_a_folder_given_as_the_database_gets_a_plain_message(tmp_path, capsys):
    code, err = run(tmp_path, capsys)
    assert code == EXIT_FAILURE and str(tmp_path) in err
    assert "无法打开数据库文件" in err and "Traceback" not in err


def test_a_write_blocked_by_another_program_says_so(tmp_path, capsys):
    """(Waits out the 5 s busy timeout.)"""
    from db import open_db

    path = tmp_path / "pharmacy.db"
    open_db(path).close()
    assert main(["--db", str(path), "init", "--institution-code", "H1", "--name", "某卫生院",
                 "--level", "grassroots"]) == 0
    capsys.readouterr()
    locker = sqlite3.connect(path, isolation_level=None, timeout=0)
    locker.execute("BEGIN IMMEDIATE")
    try:
        code = main(["--db", str(path), "init", "--institution-code", "H1", "--name", "改名卫生院",
                     "--level", "grassroots"])
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    err = capsys.readouterr().err
    assert code == EXIT_FAILURE and "正被其他程序使用" in err and str(path) in err
