"""Emergencies (AV-7, AV-8), exemptions (AV-9) and the agreements page's detail figures.

One agreement for 阿莫西林胶囊 (第二批, 2026-03-01 … 2027-02-28, selected price
0.10 yuan per capsule, 24 capsules a box, 2,400 capsules agreed) with a backup
product, a plain non-selected product, a 过评 non-selected product and a
substitute. Records go through `agreement_records`; figures through
`compute_agreements` (what `compute_indicators` and the CLI use); the page's
lines and months (`agreement_detail`) must add up to exactly those figures.
"""

from __future__ import annotations

import datetime as dt
import shutil
from fractions import Fraction

import pytest

from pharmacy_app.agreement_records import (
    EmergencyRecord,
    ExemptionRecord,
    RecordInvalid,
    RecordNotFound,
    delete_emergency,
    delete_exemption,
    list_emergencies,
    list_exemptions,
    load_records,
    save_emergency,
    save_exemption,
    validate_emergency,
    validate_exemption,
)
from pharmacy_app.indicators.agreement_detail import (
    CHEAPER_EQUIVALENT,
    EMERGENCY_BACKUP,
    EMERGENCY_NON_SELECTED,
    NON_SELECTED,
    SELECTED,
    agreement_lines,
    filter_rows,
    lines_in_month,
    load_agreements_view,
    monthly_series,
    summarise,
)
from pharmacy_app.indicators.agreements import compute_agreements
from pharmacy_app.institutions import init_institution
from pharmacy_app.policy import builtin_profile

H = "H46010001"
PROFILE = builtin_profile()
SEL, BAK, NON, EQV, SUB = "XA-SEL", "XA-BAK", "XA-NON", "XA-EQV", "XA-SUB"
GENERIC = "阿莫西林胶囊"


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.fixture
def db(conn):
    init_institution(conn, H, "某某卫生院", "grassroots")
    products = [
        (SEL, "阿莫西林", "胶囊", "0.25g", 24, 1, "amxl 石药"),
        (BAK, "阿莫西林", "胶囊", "0.25g", 24, 1, "amxl 联邦"),
        (NON, "阿莫西林", "胶囊", "0.25g", 24, 0, "amxl 某厂"),
        (EQV, "阿莫西林", "胶囊", "0.25g", 24, 1, "amxl 过评厂"),
        (SUB, "头孢氨苄", "胶囊", "0.25g", 24, 0, "tbabl"),
    ]
    conn.executemany(
        """INSERT INTO products (code, generic_name, dosage_form, specification, conversion,
               consistency, manufacturer, pinyin) VALUES (?, ?, ?, ?, ?, ?, 'maker', ?)""",
        products,
    )
    cur = conn.execute(
        """INSERT INTO agreements (institution_code, batch, generic, selected_price, agreed_qty,
               last_year_qty, start_date, end_date)
           VALUES (?, '第二批', ?, '0.10', 2400, 4000, '2026-03-01', '2027-02-28')""",
        (H, GENERIC),
    )
    conn.executemany(
        "INSERT INTO agreement_products (agreement_id, code, role) VALUES (?, ?, ?)",
        [(cur.lastrowid, SEL, "selected"), (cur.lastrowid, BAK, "backup"),
         (cur.lastrowid, SUB, "substitute")],
    )
    lines = [
        # code, boxes, fen per capsule, ordered at
        (SEL, 20, 10, "2026-03-10 09:00:00"),
        (SEL, 10, 10, "2026-04-02 09:00:00"),
        (BAK, 2, 10, "2026-04-05 09:00:00"),  # before the emergency: excluded (AV-8)
        (BAK, 3, 10, "2026-04-10 00:00:00"),  # first day of the emergency (AV-7)
        (BAK, 4, 10, "2026-04-20 23:59:59"),  # last day of the emergency (AV-7)
        (BAK, 5, 10, "2026-04-21 00:00:00"),  # day after: excluded again (AV-8)
        (NON, 6, 12, "2026-04-15 10:00:00"),  # non-selected during the emergency (AV-8)
        (NON, 7, 12, "2026-05-03 10:00:00"),  # non-selected, counted (AV-5)
        (EQV, 1, 10, "2026-05-04 10:00:00"),  # 过评 at exactly the selected price: counted
        (EQV, 2, 9, "2026-05-05 10:00:00"),  # 过评 below the selected price: excluded (AV-8)
        (SUB, 3, 30, "2026-05-06 10:00:00"),  # substitute (AV-6)
        (SEL, 8, 10, "2026-06-30 23:59:59"),  # last second of the as-of day below
        (SEL, 9, 10, "2026-07-01 00:00:00"),  # after the as-of date: never counted
    ]
    conn.executemany(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty,
               amount_fen, ordered_at, supplier)
           VALUES (?, '1', ?, ?, ?, ?, ?, '国药控股')""",
        [(f"O{i}", H, code, boxes, boxes * 24 * fen, at)
         for i, (code, boxes, fen, at) in enumerate(lines)],
    )
    return conn


AS_OF = d("2026-06-30")
EMERGENCY = EmergencyRecord(GENERIC, d("2026-04-10"), d("2026-04-20"), batch="第二批",
                            reason="中选企业停产", confirmed_by="王药师")


def figures(conn, as_of=AS_OF):
    (f,) = compute_agreements(conn, H, as_of, PROFILE)
    return f


def log_count(conn, table: str) -> int:
    return conn.execute("SELECT count(*) FROM change_log WHERE table_name = ?", (table,)).fetchone()[0]


# ---------------------------------------------------------------------------
# AV-7 / AV-8: supply emergencies
# ---------------------------------------------------------------------------
def test_av7_saved_emergency_counts_backup_purchases_on_both_boundary_days(db):
    before = figures(db)
    assert before.emergency_backup_qty == 0
    assert before.selected_qty == (20 + 10 + 8) * 24
    saved = save_emergency(db, H, EMERGENCY)
    assert saved.id is not None and saved.uuid and saved.days == 11
    f = figures(db)
    # 3 boxes at 00:00:00 of the first day and 4 at 23:59:59 of the last day count (AV-7) …
    assert f.emergency_backup_qty == (3 + 4) * 24
    assert f.selected_qty == (20 + 10 + 8 + 3 + 4) * 24
    # … the boxes before and on the day after stay excluded as backup purchases (AV-8).
    assert f.backup_qty == (2 + 5) * 24
    # AV-8: the non-selected purchase inside the emergency leaves the assessment.
    assert f.excluded["emergency_non_selected"] == 6 * 24
    assert f.non_selected_qty == (7 + 1) * 24


def test_av7_deleting_the_emergency_restores_the_figures(db):
    saved = save_emergency(db, H, EMERGENCY)
    delete_emergency(db, H, saved.id)
    assert list_emergencies(db, H) == []
    assert figures(db).emergency_backup_qty == 0
    with pytest.raises(RecordNotFound):
        delete_emergency(db, H, saved.id)


def test_av7_save_and_delete_are_logged_for_sync(db):
    saved = save_emergency(db, H, EMERGENCY)
    assert log_count(db, "agreement_emergencies") == 1
    delete_emergency(db, H, saved.id)
    assert log_count(db, "agreement_emergencies") == 2


@pytest.mark.parametrize(
    ("record", "field", "words"),
    [
        (EmergencyRecord("", d("2026-04-01"), d("2026-04-02")), "generic", "请填写"),
        (EmergencyRecord("布洛芬缓释胶囊", d("2026-04-01"), d("2026-04-02")), "generic", "没有"),
        (EmergencyRecord(GENERIC, d("2026-04-01"), d("2026-04-02"), batch="第九批"), "generic",
         "第九批"),
        (EmergencyRecord(GENERIC, d("2026-04-02"), d("2026-04-01")), "end", "早于"),
        (EmergencyRecord(GENERIC, d("2026-01-01"), d("2026-02-28")), "start", "采购年度"),
        (EmergencyRecord(GENERIC, d("2026-04-01"), d("2026-04-02"), reason="x" * 501), "reason",
         "500"),
    ],
)
def test_av7_rejected_emergency_names_the_field_and_writes_nothing(db, record, field, words):
    with pytest.raises(RecordInvalid) as caught:
        save_emergency(db, H, record)
    assert [e.field for e in caught.value.errors][0] == field
    assert words in str(caught.value)
    assert list_emergencies(db, H) == []
    assert log_count(db, "agreement_emergencies") == 0


def test_av7_emergency_range_touching_the_year_on_its_first_day_is_accepted(db):
    record = EmergencyRecord(GENERIC, d("2026-02-20"), d("2026-03-01"))
    assert validate_emergency(db, H, record) == []


def test_av7_overlapping_emergencies_are_refused_adjacent_ones_accepted(db):
    save_emergency(db, H, EMERGENCY)
    overlap = EmergencyRecord(GENERIC, d("2026-04-20"), d("2026-04-25"))  # shares 20 April
    errors = validate_emergency(db, H, overlap)
    assert errors and errors[0].field == "start" and "重叠" in errors[0].message
    adjacent = EmergencyRecord(GENERIC, d("2026-04-21"), d("2026-04-25"))
    assert validate_emergency(db, H, adjacent) == []


# ---------------------------------------------------------------------------
# AV-9: exemptions
# ---------------------------------------------------------------------------
def test_av9_exemption_applies_from_its_declared_day(db):
    save_exemption(db, H, ExemptionRecord(GENERIC, "key_monitoring", d("2026-05-01"),
                                          batch="第二批"))
    assert not figures(db, d("2026-04-30")).exempt
    f = figures(db, d("2026-05-01"))
    assert f.exempt and f.exemption.reason == "key_monitoring"
    (row,) = load_records(db).exemptions
    delete_exemption(db, H, row.id)
    assert not figures(db, d("2026-05-01")).exempt
    assert log_count(db, "agreement_exemptions") == 2


@pytest.mark.parametrize(
    ("record", "field", "words"),
    [
        (ExemptionRecord(GENERIC, "cheap", d("2026-05-01")), "reason", "不是可选原因"),
        (ExemptionRecord(GENERIC, "other", d("2026-05-01")), "note", "其他"),
        (ExemptionRecord(GENERIC, "guideline_change", d("2026-02-28")), "declared_on", "采购年度"),
        (ExemptionRecord("", "guideline_change", d("2026-05-01")), "generic", "请填写"),
    ],
)
def test_av9_rejected_exemption_names_the_field(db, record, field, words):
    with pytest.raises(RecordInvalid) as caught:
        save_exemption(db, H, record)
    assert field in [e.field for e in caught.value.errors]
    assert words in str(caught.value)
    assert list_exemptions(db, H) == []


def test_av9_exemption_on_the_years_first_and_last_day_is_accepted(db):
    for day in ("2026-03-01", "2027-02-28"):
        assert validate_exemption(db, H, ExemptionRecord(GENERIC, "public_health_event", d(day))) == []


def test_av9_one_exemption_per_agreement_year(db):
    save_exemption(db, H, ExemptionRecord(GENERIC, "other", d("2026-05-01"), note="院内决定"))
    errors = validate_exemption(db, H, ExemptionRecord(GENERIC, "key_monitoring", d("2026-06-01")))
    assert errors and errors[0].field == "generic" and "已登记" in errors[0].message


# ---------------------------------------------------------------------------
# The page's lines and months add up to compute_agreements
# ---------------------------------------------------------------------------
def test_lines_are_classified_as_the_av_rules_count_them(db):
    save_emergency(db, H, EMERGENCY)
    f = figures(db)
    lines = agreement_lines(db, f)
    kinds = {(line.code, line.ordered_at): line.counts_as for line in lines}
    assert kinds[(BAK, "2026-04-10 00:00:00")] == EMERGENCY_BACKUP  # AV-7
    assert kinds[(BAK, "2026-04-21 00:00:00")] == "backup"  # AV-8
    assert kinds[(NON, "2026-04-15 10:00:00")] == EMERGENCY_NON_SELECTED  # AV-8
    assert kinds[(NON, "2026-05-03 10:00:00")] == NON_SELECTED  # AV-5
    assert kinds[(EQV, "2026-05-04 10:00:00")] == NON_SELECTED  # equal price: not below
    assert kinds[(EQV, "2026-05-05 10:00:00")] == CHEAPER_EQUIVALENT  # AV-8
    assert kinds[(SEL, "2026-06-30 23:59:59")] == SELECTED
    assert (SEL, "2026-07-01 00:00:00") not in kinds  # after the as-of day


@pytest.mark.parametrize("as_of", ["2026-02-28", "2026-03-01", "2026-04-20", "2026-06-30", "2027-03-31"])
@pytest.mark.parametrize("with_emergency", [False, True])
def test_line_totals_equal_compute_agreements(db, as_of, with_emergency):
    """AV-2, AV-5, AV-7, AV-8: the drill-down's sums are the figures, for any as-of date."""
    if with_emergency:
        save_emergency(db, H, EMERGENCY)
    f = figures(db, d(as_of))
    s = summarise(agreement_lines(db, f))
    assert s.selected_qty == f.selected_qty
    assert s.non_selected_qty == f.non_selected_qty
    assert s.backup_qty == f.backup_qty
    assert s.emergency_backup_qty == f.emergency_backup_qty
    assert s.excluded == f.excluded


def test_monthly_cumulative_equals_compute_agreements_at_each_month_end(db):
    """AV-2 month by month: the chart's cumulative progress is the figure as of each month's end."""
    save_emergency(db, H, EMERGENCY)
    f = figures(db)
    months = monthly_series(db, f)
    assert [m.month for m in months][:4] == ["2026-03", "2026-04", "2026-05", "2026-06"]
    assert len(months) == 12
    for m in months:
        if not m.reached:
            assert m.progress is None
            continue
        at_end = figures(db, min(m.last, AS_OF))
        assert m.cumulative_selected == at_end.selected_qty
        assert m.cumulative_non_selected == at_end.non_selected_qty
        assert m.progress == at_end.progress
        assert m.time_progress == at_end.time_progress
    assert months[3].month == "2026-06" and months[4].reached is False
    assert [line.month for line in lines_in_month(agreement_lines(db, f), "2026-04")] == ["2026-04"] * 6


def test_filter_rows_behind_unqualified_and_pinyin_search(db):
    as_of = d("2026-08-31")
    view = load_agreements_view(db, as_of, PROFILE)
    (row,) = view.rows
    f = row.figures
    # 47 boxes × 24 = 1,128 of 2,400 = 47 %: behind 序时进度 (184/365 = 50.4 %) and
    # below 50 % (AV-2, AV-3).
    assert f.progress == Fraction(1128, 2400) and f.time_progress == Fraction(184, 365)
    assert f.behind_schedule and f.band == "unqualified"
    assert filter_rows(view.rows, "behind", "") == [row]
    assert filter_rows(view.rows, "unqualified", "") == [row]
    assert filter_rows(view.rows, "all", "amxl 第二批") == [row]
    assert filter_rows(view.rows, "all", "tbabl") == []  # the substitute is not the agreement
    save_exemption(db, H, ExemptionRecord(GENERIC, "key_monitoring", d("2026-05-01")))
    exempt = load_agreements_view(db, as_of, PROFILE).rows
    assert filter_rows(exempt, "behind", "") == [] and filter_rows(exempt, "unqualified", "") == []
    with pytest.raises(ValueError):
        filter_rows(view.rows, "late", "")


# ---------------------------------------------------------------------------
# Demo
# ---------------------------------------------------------------------------
def test_demo_has_an_emergency_and_an_exemption(tmp_path_factory):
    from db import open_db
    from pharmacy_app.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo(path, today=d("2026-11-23"))
    conn = open_db(path)
    try:
        records = load_records(conn)
        assert [(e.batch, e.generic) for e in records.emergencies] == [("第三批", "头孢呋辛酯片")]
        assert [(e.batch, e.generic, e.reason) for e in records.exemptions] == [
            ("第二批", "塞来昔布胶囊", "key_monitoring")]
        by_generic = {f.generic: f for f in compute_agreements(conn, H, d("2026-11-23"), PROFILE)}
        assert by_generic["头孢呋辛酯片"].emergency_backup_qty > 0  # AV-7
        assert by_generic["塞来昔布胶囊"].exempt  # AV-9
    finally:
        conn.close()
    shutil.rmtree(path.parent)
