"""The institution assessment report (issue 6, 3a): the figures in the PDF are
the ones `pharmacy-app indicators --json`, `alerts` and SR-2 scoring return."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_fixtures import AS_OF, build_demo_db, cli_json, page_count, pct, pdftotext, squeeze

from pharmacy_app.store import open_store
from reports import sources
from reports.kinds import ReportCancelled, build_report
from reports.layout import Styles, money, qty


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_db(tmp_path_factory.mktemp("assessment"))


@pytest.fixture(scope="module")
def report(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("assessment_pdf") / "assessment.pdf"
    conn = open_store(demo_db)
    try:
        built = build_report("assessment", conn, AS_OF, out)
    finally:
        conn.close()
    assert built.pages == page_count(out)
    return out


def test_every_cli_figure_is_in_the_pdf(demo_db: Path, report: Path):
    figures = cli_json(demo_db, "indicators", "--as-of", AS_OF.isoformat(), "--json")
    text = squeeze(pdftotext(report))
    ess = figures["essential"]
    assert ess["spec_share"] is not None and ess["amount_share"] is not None
    expected = [
        f"基药品规占比（ED-1）{pct(ess['spec_share'])}",
        f"基药采购金额占比（ED-4）{pct(ess['amount_share'])}",
        f"目录品规数{ess['catalogue_specs']}",
        f"其中基药品规{ess['essential_specs']}",
    ]
    for month in ess["trend"]:
        expected.append(f"{month['month']}{money(month['essential_amount'])}"
                        f"{money(month['total_amount'])}{pct(month['share'])}")
    assert figures["agreements"]
    for a in figures["agreements"]:
        expected.append(f"{a['generic']}{a['agreed_qty']:,}{a['selected_qty']:,}{pct(a['progress'])}")
        expected.append(f"{pct(a['time_progress'])}{pct(a['non_selected_share'])}")
    for s in figures["suppliers"]:
        expected.append(f"{s['orders']:,}{pct(s['response_rate'])}{pct(s['timeliness'])}"
                        f"{s['unresponded_48h']}")
    pay = figures["payments"]
    days = pay["thirty_day"]["window_days"]
    expected.append(f"{days}天回款率（PAY-3）{pct(pay['thirty_day_rate'])}")
    assert pay["prepayments"]
    for p in pay["prepayments"]:  # per-unit prices exactly, as they multiply to the amounts
        expected.append(f"{p['generic']}{qty(p['agreed_qty'])}{p['selected_price']}")
    expected.append(f"线下采购占比（PAY-4）{pct(pay['offline_share'])}")
    missing = [e for e in expected if squeeze(e) not in text]
    assert not missing


def test_alerts_and_sr2_scores_are_the_domains(demo_db: Path, report: Path):
    alerts = cli_json(demo_db, "alerts", "--as-of", AS_OF.isoformat(), "--json")
    text = squeeze(pdftotext(report))
    assert f"共{len(alerts)}条预警" in text
    for alert in alerts:
        # Long subjects wrap inside their cell: the rule and the subject's start are on one line.
        assert squeeze(alert["rule"] + alert["subject"])[:14] in text
    conn = open_store(demo_db)
    try:
        scores = sources.assessment(conn, AS_OF)
    finally:
        conn.close()
    if isinstance(scores, sources.Unavailable):
        assert squeeze(scores.reason) in text
        return
    assert f"总分{scores['total']:g}/{scores['max_total']:g}" in text
    assert f"考核结果{scores['result']}" in text
    lines = [squeeze(line) for line in pdftotext(report).splitlines()]
    for indicator in scores["indicators"]:
        # One table row per indicator: its name (which may wrap), value and score.
        name, display = squeeze(indicator["name"])[:6], squeeze(indicator["display"])
        score = f"{indicator['score']:g}"
        assert any(name in line and display in line and score in line for line in lines), name


def test_cover_page_numbers_and_signature_block(report: Path):
    pages = page_count(report)
    assert pages >= 4
    cover = squeeze(pdftotext(report, 1, 1))
    assert "药品集中采购与使用考核报告" in cover and "截至日期：2026-06-30" in cover
    for n in range(1, pages + 1):
        assert f"第{n}页/共{pages}页" in squeeze(pdftotext(report, n, n))
    last = squeeze(pdftotext(report, pages, pages))
    for word in ("编制人（签字）", "审核人（签字）", "负责人（签字）", "日期", "盖章"):
        assert word in last
    # The header (institution, title, as-of) is on every page after the cover.
    for n in range(2, pages + 1):
        page = squeeze(pdftotext(report, n, n))
        assert "H46010001" in page and "截至2026-06-30" in page


def test_font_is_embedded_and_charts_are_vector(report: Path):
    data = report.read_bytes()
    assert b"/FontFile2" in data  # an embedded TrueType subset
    assert b"STSong" not in data
    assert b"/Subtype /Image" not in data  # charts are paths, not bitmaps
    from reports.layout import ACCENT
    from reports.pdfpages import PathOp, read_pages

    accent = tuple(round(v, 3) for v in ACCENT.rgb())
    pages = read_pages(data)
    bars = [op for page in pages for op in page.ops if isinstance(op, PathOp)
            and op.fill is not None and tuple(round(v, 3) for v in op.fill) == accent]
    assert len(bars) >= 6  # the monthly ED-4 bars (one per month), drawn as filled paths


def test_cancel_stops_the_build(demo_db: Path, tmp_path: Path):
    conn = open_store(demo_db)
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 3

    try:
        with pytest.raises(ReportCancelled):
            build_report("assessment", conn, AS_OF, tmp_path / "x.pdf", cancelled=cancelled)
    finally:
        conn.close()


def test_a_missing_scoring_module_is_said_not_hidden(demo_db: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch):
    real = sources.optional
    monkeypatch.setattr(sources, "optional", lambda module, attr: None
                        if module == "pharmacy_app.scoring" else real(module, attr))
    out = tmp_path / "no_scores.pdf"
    conn = open_store(demo_db)
    try:
        build_report("assessment", conn, AS_OF, out)
    finally:
        conn.close()
    assert "本版本尚未包含考核评分模块" in squeeze(pdftotext(out))


def test_actions_taken_list_the_supply_tickets_and_shortage_reports(demo_db: Path, report: Path):
    conn = open_store(demo_db)
    try:
        tickets = sources.supply_tickets(conn, AS_OF)
        shortages = sources.shortage_reports(conn, AS_OF)
    finally:
        conn.close()
    if tickets is None and shortages is None:
        pytest.skip("this build records no supply tickets or shortage reports")
    lines = [squeeze(line) for line in pdftotext(report).splitlines()]
    text = "".join(lines)
    assert "七、已采取的措施" in text
    for t in tickets or []:
        assert any(t["raised_on"] in line and squeeze(t["supplier"])[:6] in line for line in lines)
    for s in shortages or []:
        assert any(s.start in line and squeeze(s.kind) in line for line in lines)


def test_the_payment_window_is_the_profiles(demo_db: Path):
    """PAY-3 labels name the active profile's window, not a fixed 30 days."""
    from reportlab.platypus import Table

    from reports.assessment import payments_section

    pay = {"thirty_day": {"window_days": 45, "due_amount": "10.00", "paid_in_window": "9.00"},
           "thirty_day_rate": 0.9}
    tables = [f for f in payments_section({"payments": pay}, Styles(), "回款") if isinstance(f, Table)]
    labels = [str(row[0]) for row in tables[0]._cellvalues]
    assert "45 天回款率（PAY-3）" in labels and "应在 45 天内回款金额（元）" in labels
    assert not [label for label in labels if "30" in label]


def test_a_month_without_purchases_has_no_bar_label_and_missing_data_is_no_data(tmp_path):
    """ED-4 chart: a month with no share (null in the JSON, — in the table) shows no 0.0%;
    SR-2: a computed indicator without data is 无数据, an entered one not entered 未填报."""
    import subprocess

    from reportlab.graphics import renderPDF

    from reports.assessment import source_label
    from reports.charts import monthly_share_bars

    out = tmp_path / "chart.pdf"
    renderPDF.drawToFile(monthly_share_bars(["2026-01", "2026-02"], [0.5, None]), str(out))
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "50.0%" in text.split() and "0.0%" not in text.split()
    assert source_label({"source": "missing", "entered_figure": False}) == "无数据"
    assert source_label({"source": "missing", "entered_figure": True}) == "未填报"
    assert source_label({"source": "computed", "entered_figure": False}) == "系统计算"
