"""`pharmacy-app report assessment|agreements|payment-standards --as-of DATE --out FILE.pdf`:
exit codes per cli_support, progress on stderr, nothing half-written."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from report_fixtures import AS_OF, build_demo_db, page_count, pdftotext, squeeze

from pharmacy_app.cli import main
from pharmacy_app.cli_support import EXIT_FAILURE, EXIT_OK, EXIT_REJECTED


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_db(tmp_path_factory.mktemp("report_cli"))


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("kind", "title"), [
    ("assessment", "药品集中采购与使用考核报告"),
    ("agreements", "集采约定采购量执行进度报告"),
    ("payment-standards", "医保支付标准表"),
])
def test_each_report_is_written_with_progress_on_stderr(demo_db: Path, tmp_path: Path, kind: str,
                                                        title: str):
    out = tmp_path / f"{kind}.pdf"
    code, stdout, stderr = run("--db", str(demo_db), "report", kind, "--as-of",
                               AS_OF.isoformat(), "--out", str(out))
    assert code == EXIT_OK
    assert out.read_bytes().startswith(b"%PDF")
    pages = page_count(out)
    assert f"（{pages} 页，截至 2026-06-30）" in stdout
    assert "100%" in stderr and "生成报告" in stderr
    assert title in squeeze(pdftotext(out, 1, 1))
    assert not list(tmp_path.glob("*.part"))


def test_quiet_prints_no_progress(demo_db: Path, tmp_path: Path):
    code, _, stderr = run("--db", str(demo_db), "report", "agreements", "--as-of", "2026-06-30",
                          "--out", str(tmp_path / "a.pdf"), "--quiet")
    assert code == EXIT_OK and stderr == ""


def test_rejected_arguments_exit_2_and_write_nothing(demo_db: Path, tmp_path: Path):
    code, _, stderr = run("--db", str(demo_db), "report", "assessment", "--as-of", "2026-06-30",
                          "--out", str(tmp_path / "report.txt"))
    assert code == EXIT_REJECTED and ".pdf" in stderr
    code, _, stderr = run("--db", str(demo_db), "report", "assessment", "--as-of", "2026-06-30",
                          "--out", str(tmp_path / "missing" / "r.pdf"))
    assert code == EXIT_REJECTED and "目录不存在" in stderr
    with pytest.raises(SystemExit) as exc:
        run("--db", str(demo_db), "report", "summary", "--as-of", "2026-06-30", "--out", "x.pdf")
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        run("--db", str(demo_db), "report", "assessment", "--as-of", "30.13.2026", "--out", "x.pdf")
    assert exc.value.code == 2
    assert list(tmp_path.iterdir()) == []


def test_no_institution_is_a_failure_and_leaves_no_file(tmp_path: Path):
    out = tmp_path / "r.pdf"
    code, _, stderr = run("--db", str(tmp_path / "empty.db"), "report", "agreements", "--as-of",
                          "2026-06-30", "--out", str(out))
    assert code == EXIT_FAILURE
    assert "pharmacy-app init" in stderr
    assert not out.exists() and not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize(("basis", "label"), [("procurement", "采购执行年度"), ("natural", "自然年度")])
def test_basis_picks_the_sr3_year_of_the_scores(demo_db: Path, tmp_path: Path, basis: str,
                                                label: str):
    from report_fixtures import cli_json

    scores = cli_json(demo_db, "assessment", "--as-of", "2026-06-30", "--basis", basis, "--json")
    out = tmp_path / "a.pdf"
    code, _, _ = run("--db", str(demo_db), "report", "assessment", "--as-of", "2026-06-30",
                     "--basis", basis, "--out", str(out), "--quiet")
    assert code == EXIT_OK
    period = scores["period"]
    text = squeeze(pdftotext(out, 2, 2))
    assert f"考核期间{period['start']}至{period['end']}（{label}）" in text
    assert f"总分{scores['total']:g}/{scores['max_total']:g}" in text
