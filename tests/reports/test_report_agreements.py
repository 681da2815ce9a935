"""The agreements progress report (issue 6, 3b) and the long-table machinery:
a table that runs over pages repeats its header on every page."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from report_fixtures import AS_OF, build_demo_db, cli_json, page_count, pct, pdftotext, squeeze
from reportlab.platypus import Paragraph

from pharmacy_app.store import open_store
from reports.kinds import build_report
from reports.layout import (
    BAD,
    BAND_LABELS,
    LongTable,
    ReportMeta,
    Styles,
    build,
    data_table,
    table_style,
)
from reports.sources import month_ends


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_db(tmp_path_factory.mktemp("agreements"))


@pytest.fixture(scope="module")
def report(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("agreements_pdf") / "agreements.pdf"
    conn = open_store(demo_db)
    try:
        build_report("agreements", conn, AS_OF, out)
    finally:
        conn.close()
    return out


def test_one_row_per_agreement_with_the_cli_figures(demo_db: Path, report: Path):
    figures = cli_json(demo_db, "indicators", "--as-of", AS_OF.isoformat(), "--json")
    lines = [squeeze(line) for line in pdftotext(report).splitlines()]
    assert figures["agreements"]
    for a in figures["agreements"]:
        row = squeeze(
            f"{a['batch']}{a['generic']}{a['agreed_qty']:,}{a['selected_qty']:,}{pct(a['progress'])}"
            f"{pct(a['time_progress'])}{pct(a['non_selected_share'])}{BAND_LABELS[a['band']]}"
        )
        assert any(row in line for line in lines), row


def test_month_end_progress_is_what_the_cli_prints_for_that_date(demo_db: Path, report: Path):
    """Each agreement's month-end table: `indicators --as-of <month end>`, nothing recomputed."""
    now = cli_json(demo_db, "indicators", "--as-of", AS_OF.isoformat(), "--json")["agreements"]
    march = {a["id"]: a for a in
             cli_json(demo_db, "indicators", "--as-of", "2026-03-31", "--json")["agreements"]}
    lines = [squeeze(line) for line in pdftotext(report).splitlines()]
    month_rows = [re.findall(r"\d{4}-\d{2}", line) for line in lines if line.startswith("月末")]
    progress_rows = [re.findall(r"\d+\.\d%", line) for line in lines
                     if re.match(r"完成进度\d", line)]
    assert len(month_rows) == len(progress_rows) == len(now)  # one section per agreement, in order
    checked = 0
    for a, months, values in zip(now, month_rows, progress_rows, strict=True):
        assert months[-1] == "2026-06" and values[-1] == pct(a["progress"])
        if "2026-03" in months:
            assert values[months.index("2026-03")] == pct(march[a["id"]]["progress"])
            checked += 1
    assert checked >= 10


def test_progress_bars_are_drawn_in_the_band_colour(report: Path):
    from reports.pdfpages import PathOp, read_pages

    bad = tuple(round(v, 3) for v in BAD.rgb())
    pages = read_pages(report.read_bytes())
    filled = [op for op in pages[0].ops if isinstance(op, PathOp) and op.fill is not None
              and tuple(round(v, 3) for v in op.fill) == bad]
    assert filled  # the demo has agreements judged 不合格


def test_month_ends_run_from_the_start_to_the_as_of_date():
    assert month_ends(dt.date(2026, 3, 1), dt.date(2026, 6, 15)) == [
        dt.date(2026, 3, 31), dt.date(2026, 4, 30), dt.date(2026, 5, 31), dt.date(2026, 6, 15)]
    assert month_ends(dt.date(2025, 11, 1), dt.date(2026, 1, 31)) == [
        dt.date(2025, 11, 30), dt.date(2025, 12, 31), dt.date(2026, 1, 31)]
    assert len(month_ends(dt.date(2020, 1, 1), dt.date(2026, 6, 30))) == 12


def _long_report(rows: int, tmp_path: Path) -> Path:
    styles = Styles()
    header = ["序号", "通用名", "编码", "数量"]
    body = [[str(i), f"阿莫西林胶囊{i}", f"X{i:022d}", f"{i * 7:,}"] for i in range(1, rows + 1)]
    out = tmp_path / "long.pdf"
    meta = ReportMeta("长表测试", "某某卫生院", "H46010001", AS_OF)
    build(out, meta, [Paragraph("长表", styles.h1),
                      data_table(header, body, [40, 200, 160, 80], styles, align_right_from=3)],
          cover=False)
    return out


def test_a_long_table_repeats_its_header_on_every_page_and_keeps_every_row(tmp_path: Path):
    rows = 400
    out = _long_report(rows, tmp_path)
    pages = page_count(out)
    assert pages >= 6
    seen: list[int] = []
    for n in range(1, pages + 1):
        lines = [line.split() for line in pdftotext(out, n, n).splitlines() if line.strip()]
        header_at = [i for i, parts in enumerate(lines) if parts[:4] == ["序号", "通用名", "编码", "数量"]]
        assert header_at, f"page {n} has no header row"
        after = lines[header_at[0] + 1:]
        seen += [int(parts[0]) for parts in after if parts and parts[0].isdigit()
                 and len(parts) >= 4 and parts[1].startswith("阿莫西林胶囊")]
    assert seen == list(range(1, rows + 1))  # every row once, in order, none lost at a split


def test_long_table_splits_measure_one_window_at_a_time():
    """The split hands back a page's table and a LongTable with the rest (not one huge Table)."""
    styles = Styles()
    rows = [[str(i), "阿莫西林"] for i in range(1000)]
    table = LongTable([["序号", "通用名"]], rows, [100, 200], lambda n: table_style(1),
                      window=80)
    assert table.wrap(500, 700)[1] > 700  # taller than a page: platypus will split it
    first, rest = table.split(500, 700)
    assert isinstance(rest, LongTable)
    taken = len(first._cellvalues) - 1
    assert 0 < taken < 80 and len(rest.rows) == 1000 - taken
    assert rest.header == [["序号", "通用名"]]
    short = LongTable([["序号"]], [["1"]], [100], lambda n: table_style(1))
    w, h = short.wrap(500, 700)
    assert 0 < h < 700
    buffer = io.BytesIO()
    build(buffer, ReportMeta("t", "i", "c", AS_OF), [short], cover=False)
    assert buffer.getvalue().startswith(b"%PDF")
    del styles
