"""SR-2 assessment scoring and SR-3 periods / institution changes (pharmacy_app.scoring).

Pins: on-time completion against 序时进度 with the 50% per-通用名 line (exactly
50% still scores half, just below scores 0); PAY-3 rate × points; PAY-4
exactly 5% within the line; AV-5 non-selected share at 30%; entered figures
missing → shown missing and 0 points, never invented; violations deduct per
count; the pass line; natural vs procurement year never mix their entered
figures; an institution change dated after the as-of date is ignored.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from pharmacy_app.policy import builtin_profile
from pharmacy_app.scoring import (
    AssessmentInputError,
    assessment_period,
    compute_assessment,
    list_changes,
    record_change,
    save_entry,
    validate_entry,
)

START = dt.date(2026, 1, 1)
DAY10 = dt.date(2026, 1, 10)  # 10 of 365 days elapsed


@pytest.fixture
def db(conn: sqlite3.Connection) -> sqlite3.Connection:
    from pharmacy_app.institutions import init_institution
    from pharmacy_app.policy import ensure_builtin_profile

    ensure_builtin_profile(conn)
    init_institution(conn, "H1", "平原卫生院", "grassroots")
    for code, cons in (("SEL", 1), ("NON", 0)):
        conn.execute(
            """INSERT INTO products (code, generic_name, dosage_form, specification, conversion,
                                     consistency, price, is_vbp) VALUES (?, '阿托伐他汀钙', '片剂',
                                     '10mg', 10, ?, '10', 1)""", (code, cons))
    # 3650 tablets a year: 10 a day, so 100 are due by 10 January.
    agreement(conn, "阿托伐他汀钙片", "SEL", 3650, "2026-01-01", "2026-12-31")
    return conn


def agreement(conn, generic, code, qty, start, end, batch="第一批"):
    cur = conn.execute(
        """INSERT INTO agreements (institution_code, batch, generic, selected_price, agreed_qty,
                                   start_date, end_date) VALUES ('H1', ?, ?, '1', ?, ?, ?)""",
        (batch, generic, qty, start, end))
    conn.execute("INSERT INTO agreement_products (agreement_id, code, role) VALUES (?, ?, 'selected')",
                 (cur.lastrowid, code))


_n = iter(range(1, 100000))


def buy(conn, code, packages, day="2026-01-02", *, amount_fen=None, channel="online",
        delivered=None, paid_on=None):
    order = f"O{next(_n)}"
    amount = amount_fen if amount_fen is not None else packages * 1000
    conn.execute(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, amount_fen,
               ordered_at, responded_at, delivered_at, supplier, channel)
           VALUES (?, '1', 'H1', ?, ?, ?, ?, ?, ?, '甲配送', ?)""",
        (order, code, packages, amount, f"{day} 08:00:00", f"{day} 09:00:00",
         delivered, channel))
    if paid_on:
        conn.execute("INSERT INTO payments (order_id, line_no, amount_fen, paid_on) VALUES (?, '1', ?, ?)",
                     (order, amount, paid_on))


def ind(result, ind_id):
    return next(i for i in result["indicators"] if i["id"] == ind_id)


# ---------------------------------------------------------------------------
# SR-2 key indicators
# ---------------------------------------------------------------------------
def test_sr2_contract_shape(db):
    buy(db, "SEL", 10)
    r = compute_assessment(db, DAY10)
    assert set(r) >= {"institution", "as_of", "period", "profile", "indicators", "total",
                      "max_total", "result", "notes"}
    assert r["profile"] == "national v1"
    assert r["period"] == {**r["period"], "basis": "procurement", "start": "2026-01-01",
                           "end": "2026-01-10"}
    assert [i["id"] for i in r["indicators"]] == [
        "key_completion", "key_payment_30d", "key_cost_growth", "key_offline_share",
        "ref_non_selected", "ref_vbp_violations", "ref_price_violations", "ref_circulation"]
    assert [i["kind"] for i in r["indicators"]] == ["key"] * 4 + ["reference"] * 4
    for i in r["indicators"]:
        assert set(i) >= {"id", "kind", "name", "value", "display", "method", "points", "weight",
                          "score", "source"}
    assert r["max_total"] == 100.0


def test_sr2_completion_on_time_against_time_progress(db):
    buy(db, "SEL", 10)  # 100 tablets = exactly due by day 10
    c = ind(compute_assessment(db, DAY10), "key_completion")
    assert c["value"] == 1.0 and c["display"] == "100.0%"
    assert c["source"] == "computed" and c["score"] == 30.0  # 100 points × weight 0.30


def test_sr2_completion_exactly_50_percent_scores_half_and_below_scores_zero(db):
    buy(db, "SEL", 5)  # 50 of 100 due
    c = ind(compute_assessment(db, DAY10), "key_completion")
    assert c["value"] == 0.5 and c["earned"] == 50.0
    buy(db, "SEL", -1)  # a return: 40 of 100, below the 50% line
    r = compute_assessment(db, DAY10)
    assert ind(r, "key_completion")["earned"] == 0.0
    assert any("阿托伐他汀钙片" in n and "50%" in n for n in r["notes"])


def test_sr2_one_generic_below_50_zeroes_completion_even_if_total_is_high(db):
    db.execute("""INSERT INTO products (code, generic_name, dosage_form, conversion, price)
                  VALUES ('AML', '苯磺酸氨氯地平', '片剂', 10, '10')""")
    agreement(db, "苯磺酸氨氯地平片", "AML", 3650, "2026-01-01", "2026-12-31")
    buy(db, "SEL", 30)  # 300% on time
    buy(db, "AML", 4)  # 40%
    c = ind(compute_assessment(db, DAY10), "key_completion")
    assert c["value"] == pytest.approx(340 / 200)
    assert c["earned"] == 0.0 and c["below_line"] == ["苯磺酸氨氯地平片"]


def test_sr2_payment_rate_scores_points_times_rate(db):
    # PAY-3: delivered 1 Jan, due by 31 Jan; one paid on day 30, one on day 31.
    buy(db, "SEL", 10, "2026-01-01", delivered="2026-01-01 12:00:00", paid_on="2026-01-31")
    buy(db, "SEL", 30, "2026-01-01", delivered="2026-01-01 12:00:00", paid_on="2026-02-01")
    p = ind(compute_assessment(db, dt.date(2026, 3, 1)), "key_payment_30d")
    assert p["value"] == 0.25 and p["earned"] == 25.0 and p["score"] == 5.0


def test_sr2_no_due_payment_line_is_missing_not_invented(db):
    r = compute_assessment(db, DAY10)
    p = ind(r, "key_payment_30d")
    assert p["value"] is None and p["source"] == "missing" and p["score"] == 0


def test_sr2_offline_share_exactly_5_percent_is_within_the_line(db):
    buy(db, "SEL", 10, amount_fen=9500)
    buy(db, "SEL", 1, amount_fen=500, channel="offline")
    o = ind(compute_assessment(db, DAY10), "key_offline_share")
    assert o["value"] == 0.05 and o["earned"] == 100.0
    buy(db, "SEL", 1, amount_fen=1, channel="offline")
    assert ind(compute_assessment(db, DAY10), "key_offline_share")["earned"] == 0.0


def test_sr2_cost_growth_is_entered_missing_scores_zero(db):
    r = compute_assessment(db, DAY10)
    g = ind(r, "key_cost_growth")
    assert g["source"] == "missing" and g["value"] is None and g["display"] == "未填报"
    assert g["score"] == 0 and "key_cost_growth" in r["missing"]
    save_entry(db, "H1", "procurement", START, "cost_growth", "-1.5%")
    g = ind(compute_assessment(db, DAY10), "key_cost_growth")
    assert g["source"] == "entered" and g["value"] == pytest.approx(-0.015)
    assert g["earned"] == 100.0
    save_entry(db, "H1", "procurement", START, "cost_growth", 0.001)
    assert ind(compute_assessment(db, DAY10), "key_cost_growth")["earned"] == 0.0


# ---------------------------------------------------------------------------
# SR-2 reference indicators
# ---------------------------------------------------------------------------
def test_sr2_non_selected_share_at_30_percent_is_within_the_line(db):
    buy(db, "SEL", 7)
    buy(db, "NON", 3)
    n = ind(compute_assessment(db, DAY10), "ref_non_selected")
    assert n["value"] == pytest.approx(0.3) and n["earned"] == 100.0
    buy(db, "NON", 1)
    assert ind(compute_assessment(db, DAY10), "ref_non_selected")["earned"] == 0.0


def test_sr2_violations_deduct_per_count_never_below_zero(db):
    save_entry(db, "H1", "procurement", START, "vbp_violations", 0)
    save_entry(db, "H1", "procurement", START, "price_violations", 1)
    save_entry(db, "H1", "procurement", START, "circulation", 5)
    r = compute_assessment(db, DAY10)
    assert ind(r, "ref_vbp_violations")["earned"] == 100.0
    assert ind(r, "ref_price_violations")["earned"] == 50.0
    assert ind(r, "ref_price_violations")["display"] == "1 次"
    assert ind(r, "ref_circulation")["earned"] == 0.0


def test_sr2_total_and_result_against_the_pass_line(db):
    buy(db, "SEL", 10, "2026-01-01", delivered="2026-01-01 12:00:00", paid_on="2026-01-05")
    as_of = dt.date(2026, 2, 5)
    for key in ("vbp_violations", "price_violations", "circulation"):
        save_entry(db, "H1", "procurement", START, key, 0)
    save_entry(db, "H1", "procurement", START, "cost_growth", 0)
    r = compute_assessment(db, as_of)
    # 100 of 360 due: completion 27.8% < 50% → 0; everything else full: 70.
    assert ind(r, "key_completion")["earned"] == 0.0
    assert r["total"] == 70.0 and r["result"] == "合格"
    from pharmacy_app.policy import save_profile

    params = {**builtin_profile().params, "sr_pass_score": 70.01}
    strict = save_profile(db, "strict", "严格", "", params)
    assert compute_assessment(db, as_of, profile=strict)["result"] == "不合格"


def test_entered_figures_are_validated_with_the_field_named():
    assert validate_entry("cost_growth", "5%") == pytest.approx(0.05)
    assert validate_entry("cost_growth", "0.05") == pytest.approx(0.05)
    assert validate_entry("vbp_violations", "2") == 2
    with pytest.raises(AssessmentInputError, match="价格违规次数"):
        validate_entry("price_violations", "1.5")
    with pytest.raises(AssessmentInputError, match="执行集采政策的违规次数"):
        validate_entry("vbp_violations", -1)
    with pytest.raises(AssessmentInputError, match="人次均药品费用增长率"):
        validate_entry("cost_growth", "abc")
    with pytest.raises(AssessmentInputError, match="不能为空"):
        validate_entry("circulation", " ")


# ---------------------------------------------------------------------------
# SR-3
# ---------------------------------------------------------------------------
def test_sr3_natural_and_procurement_years_are_kept_apart(db):
    agreement(db, "苯磺酸氨氯地平片", "AML", 3650, "2026-03-01", "2027-02-28")
    db.execute("DELETE FROM agreements WHERE start_date = '2026-01-01'")
    as_of = dt.date(2027, 1, 31)
    proc = assessment_period(db, "H1", as_of, "procurement")
    nat = assessment_period(db, "H1", as_of, "natural")
    assert (proc.start, proc.year_end) == (dt.date(2026, 3, 1), dt.date(2027, 2, 28))
    assert (nat.start, nat.end) == (dt.date(2027, 1, 1), as_of)
    save_entry(db, "H1", "natural", nat.start, "cost_growth", 0.0)
    assert ind(compute_assessment(db, as_of, year_basis="natural"), "key_cost_growth")[
        "source"] == "entered"
    r = compute_assessment(db, as_of, year_basis="procurement")
    assert ind(r, "key_cost_growth")["source"] == "missing"  # never read across bases
    assert r["period"]["basis"] == "procurement" and r["period"]["start"] == "2026-03-01"


def test_sr3_natural_year_counts_only_purchases_inside_it(db):
    db.execute("DELETE FROM agreements")
    db.execute("""INSERT INTO products (code, generic_name, dosage_form, conversion, price)
                  VALUES ('AML', '苯磺酸氨氯地平', '片剂', 10, '10')""")
    agreement(db, "苯磺酸氨氯地平片", "AML", 365, "2025-07-01", "2026-06-30")  # 1 a day
    buy(db, "AML", 30, "2025-08-01")  # 300 in 2025: not in the 2026 natural year
    buy(db, "AML", 2, "2026-01-05")  # 20 in 2026
    as_of = dt.date(2026, 1, 10)
    nat = ind(compute_assessment(db, as_of, year_basis="natural"), "key_completion")
    assert nat["value"] == pytest.approx(20 / 10)  # 10 due in 10 days of 2026
    proc = ind(compute_assessment(db, as_of, year_basis="procurement"), "key_completion")
    assert proc["value"] == pytest.approx(320 / 194)  # 1 Jul – 10 Jan = 194 days


def test_sr3_institution_change_moves_agreed_volume_from_its_date(db):
    buy(db, "SEL", 10)
    # From 11 January 3,550 more tablets move here from a merged station: due over 355 days.
    record_change(db, kind="merger", effective_on=dt.date(2026, 1, 11), from_code="S9",
                  to_code="H1", generic="阿托伐他汀钙片", qty="3550", note="社康站并入")
    before = compute_assessment(db, DAY10)
    assert ind(before, "key_completion")["value"] == 1.0  # dated after: ignored
    assert before["changes"] == []
    after = compute_assessment(db, dt.date(2026, 1, 20))
    # due: 3650 × 20/365 = 200, plus 3550 × 10/355 = 100 → 300; bought 100.
    assert ind(after, "key_completion")["due_qty"] == pytest.approx(300)
    assert any("SR-3" in n and "合并" in n for n in after["notes"])
    assert after["agreements"][0]["agreed_qty"] == 7200


def test_sr3_change_out_of_the_institution_and_validation(db):
    record_change(db, kind="closure", effective_on=dt.date(2026, 1, 1), from_code="H1",
                  to_code="", generic="阿托伐他汀钙片", qty=1825)
    assert ind(compute_assessment(db, DAY10), "key_completion")["due_qty"] == pytest.approx(50)
    assert [c.kind for c in list_changes(db, "H1")] == ["closure"]
    with pytest.raises(AssessmentInputError, match="转入机构"):
        record_change(db, kind="merger", effective_on=DAY10, from_code="S9", to_code="",
                      generic="阿托伐他汀钙片", qty=1)
    with pytest.raises(AssessmentInputError, match="转移约定量"):
        record_change(db, kind="split", effective_on=DAY10, from_code="H1", to_code="S2",
                      generic="阿托伐他汀钙片", qty="0")
    with pytest.raises(AssessmentInputError, match="通用名"):
        record_change(db, kind="split", effective_on=DAY10, from_code="H1", to_code="S2",
                      generic=" ", qty=5)


def test_cli_prints_the_same_figures(db, db_path, capsys):
    from pharmacy_app.cli import main

    buy(db, "SEL", 10)
    db.commit()
    assert main(["--db", str(db_path), "assessment", "--as-of", "2026-01-10", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(compute_assessment(db, DAY10), ensure_ascii=False))
    assert main(["--db", str(db_path), "assessment", "--as-of", "2026-01-10",
                 "--basis", "natural"]) == 0
    text = capsys.readouterr().out
    assert "自然年度 2026-01-01 至 2026-01-10" in text and "总分" in text


def test_cli_set_saves_entered_figures_or_rejects_all(db, db_path, capsys):
    from pharmacy_app.cli import main

    buy(db, "SEL", 10)
    db.commit()
    args = ["--db", str(db_path), "assessment", "--as-of", "2026-01-10", "--json"]
    assert main([*args, "--set", "vbp_violations=0", "--set", "price_violations=1.5"]) == 2
    assert "价格违规次数" in capsys.readouterr().err
    assert ind(compute_assessment(db, DAY10), "ref_vbp_violations")["source"] == "missing"
    assert main([*args, "--set", "cost_growth=-2%", "--set", "circulation=0"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert ind(printed, "key_cost_growth")["value"] == pytest.approx(-0.02)
    assert ind(printed, "ref_circulation")["source"] == "entered"
    assert main([*args, "--set", "cost_growth="]) == 0  # empty clears it
    assert ind(json.loads(capsys.readouterr().out), "key_cost_growth")["source"] == "missing"
    assert main([*args, "--set", "bogus=1"]) == 2


def test_sr2_per_institution_scores_a_member_on_its_own_data(db, db_path, capsys):
    """SR-2 per institution: a member (MA-4) is scored on its own agreements and purchases."""
    from pharmacy_app.cli import main

    db.execute("INSERT INTO institutions (code, name, level) VALUES ('M2', '成员卫生室', 'grassroots')")
    cur = db.execute(
        """INSERT INTO agreements (institution_code, batch, generic, selected_price, agreed_qty,
                                   start_date, end_date)
           VALUES ('M2', '第一批', '阿托伐他汀钙片', '1', 365, '2026-01-01', '2026-12-31')""")
    db.execute("INSERT INTO agreement_products (agreement_id, code, role) VALUES (?, 'SEL', 'selected')",
               (cur.lastrowid,))
    buy(db, "SEL", 10)  # H1's purchase, not M2's
    r = compute_assessment(db, DAY10, institution_code="M2")
    assert r["institution"]["code"] == "M2"
    assert ind(r, "key_completion")["value"] == 0.0
    assert ind(compute_assessment(db, DAY10), "key_completion")["value"] == 1.0
    with pytest.raises(AssessmentInputError, match="X9"):
        compute_assessment(db, DAY10, institution_code="X9")
    db.commit()
    assert main(["--db", str(db_path), "assessment", "--as-of", "2026-01-10",
                 "--institution", "X9"]) == 2
    assert "X9" in capsys.readouterr().err


def test_entries_and_changes_are_synced_records(db):
    """SYNC-1: migration 0011's tables carry UUIDs and every write lands in change_log."""
    save_entry(db, "H1", "natural", START, "circulation", 0)
    save_entry(db, "H1", "natural", START, "circulation", 2)
    change_id = record_change(db, kind="split", effective_on=DAY10, from_code="H1",
                              to_code="S2", generic="阿托伐他汀钙片", qty=10)
    from pharmacy_app.scoring import delete_change

    assert delete_change(db, change_id)
    log = db.execute("""SELECT table_name, op, version FROM change_log
                        WHERE table_name IN ('assessment_entries', 'institution_changes')
                        ORDER BY seq""").fetchall()
    assert [tuple(r) for r in log] == [
        ("assessment_entries", "insert", 1), ("assessment_entries", "update", 2),
        ("institution_changes", "insert", 1), ("institution_changes", "delete", 1)]


def test_sr2_key_indicators_cannot_silently_drop_out(db):
    """Key indicators are not adjustable (SR-2): a profile weighting one at 0 is named in the notes."""
    from pharmacy_app.policy import save_profile

    params = {**builtin_profile().params, "sr_offline_weight": 0.0, "sr_non_selected_weight": 0.2}
    r = compute_assessment(db, DAY10, profile=save_profile(db, "x", "x", "", params))
    assert any("关键指标不作调整" in n and "线下采购占比" in n for n in r["notes"])
    assert not any("非中选" in n and "关键指标" in n for n in r["notes"])
