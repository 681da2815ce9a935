"""The essential page's check against the official PDF, driven through the dialog."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_essential_check import OFFICIAL_LINES, make_pdf  # noqa: E402


@pytest.fixture
def dialog(qtbot, tmp_path):
    from pharmacy_app.store import open_store
    from ui.essential.list_check import ListCheckDialog
    from ui.worker import DbWorker

    db = tmp_path / "p.db"
    open_store(db).close()
    worker = DbWorker(db, synchronous=True)
    dlg = ListCheckDialog(worker)
    qtbot.addWidget(dlg)
    yield dlg
    worker.shutdown()


def test_dialog_checks_the_bundled_list_and_saves_the_review(dialog, tmp_path, qtmodeltester):
    assert dialog.lists.count() == 1
    assert "国家基本药物目录（2026年版）" in dialog.lists.currentText()
    assert not dialog.check_button.isEnabled()  # no PDF yet
    dialog.set_pdf(make_pdf(tmp_path / "o.pdf", OFFICIAL_LINES))
    assert dialog.check_button.isEnabled()
    dialog.run_check()
    assert "与记录的官方附件不同" in dialog.summary.text()
    assert dialog.model.rowCount() > 2000  # a three-variety PDF leaves most entries unfound
    qtmodeltester.check(dialog.model)
    assert dialog.save_button.isEnabled()
    out = tmp_path / "review.csv"
    dialog.save_to(out)
    assert out.read_text(encoding="utf-8-sig").splitlines()[1].startswith("序号,通用名")


def test_dialog_shows_why_a_file_cannot_be_checked(dialog, tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_text("no pdf", encoding="utf-8")
    dialog.set_pdf(bad)
    dialog.run_check()
    assert "bad.pdf" in dialog.summary.text()
    assert dialog.model.rowCount() == 0


def test_a_failed_check_leaves_no_earlier_result_to_save(dialog, tmp_path):
    dialog.set_pdf(make_pdf(tmp_path / "o.pdf", OFFICIAL_LINES))
    dialog.run_check()
    assert dialog.model.rowCount() > 0 and dialog.save_button.isEnabled()
    bad = tmp_path / "bad.pdf"
    bad.write_text("no pdf", encoding="utf-8")
    dialog.set_pdf(bad)
    dialog.run_check()
    assert "bad.pdf" in dialog.summary.text()
    assert dialog.model.rowCount() == 0 and not dialog.save_button.isEnabled()
    assert dialog.result_ is None
