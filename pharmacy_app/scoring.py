"""Assessment scoring of an institution: SR-2 indicators, SR-3 periods and institution changes.

Seed 004 (Shenzhen 结余留用 measures, §二(三)) takes from 粤医保发〔2020〕36号
four key indicators — on-time completion of agreed volumes, the 30-day
payment rate, the per-visit drug cost growth rate, the offline purchase share
(5% line) — and four reference indicators — non-selected purchase share,
VBP-policy violations, price violations, regulated circulation of VBP drugs.
Each has a scoring method (赋分方式), points (分值) and weight (权重). The seed
names the indicators and the 5% line but does not print Shenzhen's table
(its 附件2), so the points, weights, the per-violation deduction, the
cost-growth line and the pass score are policy parameters (rule SR-2 in
pharmacy_app/policy.py) whose defaults are marked "set by local rule".

How each indicator is scored (the `method` text says the same in Chinese):

* key_completion — on-time completion = selected quantity bought in the
  period ÷ the agreed quantity due by the as-of date, over the assessed
  (non-exempt, AV-9) agreements of the period. "Due" is agreed × the elapsed
  share of the procurement year (AV-2 序时进度), so at year end it is the whole
  agreed quantity (AV-3). Score = points × min(1, completion); 0 when any
  通用名's own completion is below av_unqualified_below (50%, seed 004: "单通用名
  药品50%为限，所有药品总量需完成").
* key_payment_30d — PAY-3 rate over the period; score = points × rate.
* key_cost_growth — entered by the user per period (our data has no visit
  counts); full points when the rate ≤ sr_cost_growth_max, else 0.
* key_offline_share — PAY-4 share over the period; full points when ≤
  pay_offline_max (5%, inclusive as in PAY-4), else 0.
* ref_non_selected — AV-5 non-selected ÷ (selected + non-selected) over the
  period's agreements; full points when ≤ av_non_selected_max (30%), else 0.
* ref_vbp_violations, ref_price_violations, ref_circulation — counts entered
  by the user (violations found; irregular circulation findings); score =
  points − count × sr_violation_deduct, never below 0.

Missing figures are never invented. An entered figure not entered for the
period is shown as missing (`source` "missing", display 未填报) and scores 0:
an assessment gives points for what is reported, so an unreported indicator
earns none, and a note names it so the user can enter it. A computed figure
with nothing to compute from (no agreement, no due payment line, no
purchase) is likewise shown as missing and scores 0 with a note.

score = earned points × weight; total = Σ score; max_total = Σ points ×
weight; result 合格 when total ≥ sr_pass_score, else 不合格.

SR-3 periods: `year_basis` "procurement" covers the procurement year of the
agreements in force on the as-of date (each agreement its own year; payments
and purchases from the earliest of their starts); "natural" covers 1 January
to the as-of date, the agreements' purchases in that window (AV figures as
of the as-of date minus those as of 31 December) against the agreed quantity
pro rata to the days of their year inside the window. Entered figures belong
to one basis and one period start and are never read for the other.

SR-3 institution changes: a dated record moves a quantity of one 通用名's
agreed volume from one institution to another (or away, for a closure or a
loss of designated status). From its effective day the quantity is added to
(or taken from) the matching agreement whose year contains that day, and it
is due over the rest of that year: figures as of an earlier date ignore it.
Purchases stay with the institution that made them.

SR-1 (the retention formula) is deliberately not implemented: RULES.md says
it will be specified first.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from db import transaction
from pharmacy_app.institutions import Institution
from pharmacy_app.policy import PolicyProfile, active_profile

BASES = ("procurement", "natural")
BASIS_LABELS = {"procurement": "采购执行年度", "natural": "自然年度"}
ENTERED = ("cost_growth", "vbp_violations", "price_violations", "circulation")
ENTERED_INDICATORS = frozenset(
    {"key_cost_growth", "ref_vbp_violations", "ref_price_violations", "ref_circulation"})
ENTERED_LABELS = {
    "cost_growth": "人次均药品费用增长率",
    "vbp_violations": "执行集采政策的违规次数",
    "price_violations": "价格违规次数",
    "circulation": "集采中选药品不规范流转次数",
}
CHANGE_KINDS = {
    "merger": "合并",
    "split": "分立",
    "station_transfer": "下辖社康转隶属关系",
    "closure": "停止经营",
    "designation_lost": "失去定点资格",
}
# (id, kind, Chinese name, points key, weight key)
INDICATORS: tuple[tuple[str, str, str, str, str], ...] = (
    ("key_completion", "key", "按时完成集采中选产品约定采购量", "sr_completion_points",
     "sr_completion_weight"),
    ("key_payment_30d", "key", "医疗机构30天回款率", "sr_pay30_points", "sr_pay30_weight"),
    ("key_cost_growth", "key", "医疗机构人次均药品费用增长率", "sr_cost_growth_points",
     "sr_cost_growth_weight"),
    ("key_offline_share", "key", "线下采购占比", "sr_offline_points", "sr_offline_weight"),
    ("ref_non_selected", "reference", "非中选产品采购量占比", "sr_non_selected_points",
     "sr_non_selected_weight"),
    ("ref_vbp_violations", "reference", "执行集采政策的违规次数", "sr_vbp_violation_points",
     "sr_vbp_violation_weight"),
    ("ref_price_violations", "reference", "价格违规次数", "sr_price_violation_points",
     "sr_price_violation_weight"),
    ("ref_circulation", "reference", "集采中选药品的规范流转", "sr_circulation_points",
     "sr_circulation_weight"),
)
MAX_COUNT = 10_000


class AssessmentInputError(ValueError):
    """An entered figure or change record that cannot be stored as given (names the field)."""


# ---------------------------------------------------------------------------
# Periods (SR-3)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class AssessmentPeriod:
    """The period an assessment covers: figures from `start` to `end` (= the as-of date)."""

    basis: str
    start: dt.date
    end: dt.date
    year_end: dt.date

    @property
    def label(self) -> str:
        return f"{BASIS_LABELS[self.basis]} {self.start.isoformat()} 至 {self.end.isoformat()}"


def _agreement_years(conn: sqlite3.Connection, code: str) -> list[tuple[dt.date, dt.date]]:
    return [
        (dt.date.fromisoformat(s[:10]), dt.date.fromisoformat(e[:10]))
        for s, e in conn.execute(
            "SELECT start_date, end_date FROM agreements WHERE institution_code = ?", (code,))
    ]


def _procurement_years(years: Sequence[tuple[dt.date, dt.date]], as_of: dt.date
                       ) -> list[tuple[dt.date, dt.date]]:
    """The agreement years a procurement-basis assessment as of `as_of` covers.

    Those in force on the as-of date; when none is (between years), those that
    ended last before it, so an assessment dated after year end still finds
    its year.
    """
    in_force = [y for y in years if y[0] <= as_of <= y[1]]
    if in_force:
        return in_force
    ended = [y for y in years if y[1] < as_of]
    if ended:
        last = max(e for _s, e in ended)
        return [y for y in ended if y[1] == last]
    return []


def assessment_period(conn: sqlite3.Connection, institution_code: str, as_of: dt.date,
                      basis: str) -> AssessmentPeriod:
    """SR-3: the natural year to date, or the procurement year of the agreements in force."""
    if basis not in BASES:
        raise AssessmentInputError(f"考核年度口径必须是 {' / '.join(BASES)} 之一，收到：{basis!r}")
    natural = AssessmentPeriod("natural", dt.date(as_of.year, 1, 1), as_of,
                               dt.date(as_of.year, 12, 31))
    if basis == "natural":
        return natural
    years = _procurement_years(_agreement_years(conn, institution_code), as_of)
    if not years:
        # No agreement: the procurement year cannot be named; the natural
        # year's dates are used and a note says so (compute_assessment).
        return AssessmentPeriod("procurement", natural.start, as_of, natural.year_end)
    start = min(s for s, _e in years)
    year_end = max(e for _s, e in years)
    return AssessmentPeriod("procurement", start, min(as_of, year_end), year_end)


# ---------------------------------------------------------------------------
# Entered figures
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    indicator: str
    value: float
    note: str
    entered_by: str
    updated_at: str


def validate_entry(indicator: str, value: object) -> float:
    """The stored number for an entered figure, or AssessmentInputError naming the field.

    cost_growth is a fraction (0.05 = 5%, may be negative, at least −100%);
    the others are whole counts ≥ 0.
    """
    label = ENTERED_LABELS.get(indicator)
    if label is None:
        raise AssessmentInputError(f"未知的填报指标：{indicator!r}")
    if isinstance(value, bool):
        raise AssessmentInputError(f"{label}：必须是数字，收到：{value!r}")
    if isinstance(value, str):
        text = value.strip().rstrip("%％").strip()
        if not text:
            raise AssessmentInputError(f"{label}：不能为空")
        try:
            number = float(text)
        except ValueError:
            raise AssessmentInputError(f"{label}：不是数字：{value!r}") from None
        if indicator == "cost_growth" and value.strip().endswith(("%", "％")):
            number /= 100
    elif isinstance(value, int | float):
        number = float(value)
    else:
        raise AssessmentInputError(f"{label}：必须是数字，收到：{value!r}")
    if number != number or number in (float("inf"), float("-inf")):
        raise AssessmentInputError(f"{label}：不是有限的数字")
    if indicator == "cost_growth":
        if number < -1 or number > 10:
            raise AssessmentInputError(f"{label}：应在 -100% 到 1000% 之间，收到：{number * 100:.2f}%")
        return number
    if number < 0 or number != int(number):
        raise AssessmentInputError(f"{label}：必须是不小于 0 的整数次数，收到：{number:g}")
    if number > MAX_COUNT:
        raise AssessmentInputError(f"{label}：次数过大（{number:g}），请核对")
    return float(int(number))


def save_entry(conn: sqlite3.Connection, institution_code: str, basis: str,
               period_start: dt.date, indicator: str, value: object, note: str = "",
               entered_by: str = "") -> float:
    """Store (or replace) one entered figure of a period; returns the stored value."""
    if basis not in BASES:
        raise AssessmentInputError(f"考核年度口径必须是 {' / '.join(BASES)} 之一，收到：{basis!r}")
    number = validate_entry(indicator, value)
    with transaction(conn):
        conn.execute(
            """INSERT INTO assessment_entries
                   (institution_code, basis, period_start, indicator, value, note, entered_by)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (institution_code, basis, period_start, indicator) DO UPDATE SET
                   value = excluded.value, note = excluded.note,
                   entered_by = excluded.entered_by, version = version + 1,
                   updated_at = strftime('%Y-%m-%d %H:%M:%S', 'now', 'localtime')
               WHERE (value, note, entered_by)
                     IS NOT (excluded.value, excluded.note, excluded.entered_by)""",
            (institution_code, basis, period_start.isoformat(), indicator, number,
             note.strip(), entered_by.strip()),
        )
    return number


def delete_entry(conn: sqlite3.Connection, institution_code: str, basis: str,
                 period_start: dt.date, indicator: str) -> bool:
    with transaction(conn):
        cur = conn.execute(
            """DELETE FROM assessment_entries WHERE institution_code = ? AND basis = ?
               AND period_start = ? AND indicator = ?""",
            (institution_code, basis, period_start.isoformat(), indicator))
    return cur.rowcount > 0


def entered_figures(conn: sqlite3.Connection, institution_code: str, basis: str,
                    period_start: dt.date) -> dict[str, Entry]:
    return {
        r[0]: Entry(r[0], float(r[1]), r[2], r[3], r[4])
        for r in conn.execute(
            """SELECT indicator, value, note, entered_by, updated_at FROM assessment_entries
               WHERE institution_code = ? AND basis = ? AND period_start = ?""",
            (institution_code, basis, period_start.isoformat()))
    }


# ---------------------------------------------------------------------------
# Institution changes (SR-3)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class InstitutionChange:
    id: int
    uuid: str
    kind: str
    effective_on: dt.date
    from_code: str
    to_code: str
    batch: str
    generic: str
    qty: float
    note: str

    @property
    def kind_label(self) -> str:
        return CHANGE_KINDS.get(self.kind, self.kind)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "uuid": self.uuid, "kind": self.kind, "kind_label": self.kind_label,
                "effective_on": self.effective_on.isoformat(), "from_code": self.from_code,
                "to_code": self.to_code, "batch": self.batch, "generic": self.generic,
                "qty": self.qty, "note": self.note}


def record_change(conn: sqlite3.Connection, *, kind: str, effective_on: dt.date, from_code: str,
                  to_code: str, generic: str, qty: object, batch: str = "",
                  note: str = "", institution_code: str | None = None) -> int:
    """Store an SR-3 institution change; AssessmentInputError names the bad field.

    With `institution_code` (the window's own institution) one side must be
    it: a change between two other institutions would be stored and then be
    nowhere in its lists to see or delete.
    """
    if kind not in CHANGE_KINDS:
        raise AssessmentInputError(f"变更类型必须是 {'/'.join(CHANGE_KINDS)} 之一，收到：{kind!r}")
    from_code, to_code = from_code.strip(), to_code.strip()
    generic, batch = generic.strip(), batch.strip()
    if not from_code:
        raise AssessmentInputError("转出机构编码：不能为空")
    if from_code == to_code:
        raise AssessmentInputError("转入机构编码：不能与转出机构相同")
    if institution_code and institution_code.strip() not in (from_code, to_code):
        raise AssessmentInputError(
            f"转出机构编码：转出或转入机构须有一方是本机构（{institution_code.strip()}）")
    if kind in ("merger", "split", "station_transfer") and not to_code:
        raise AssessmentInputError(f"转入机构编码：{CHANGE_KINDS[kind]}必须填写承接约定量的机构")
    if not generic:
        raise AssessmentInputError("通用名：不能为空")
    try:
        number = float(str(qty).strip())
    except ValueError:
        raise AssessmentInputError(f"转移约定量：不是数字：{qty!r}") from None
    if not number > 0 or number == float("inf"):
        raise AssessmentInputError(f"转移约定量：必须大于 0（最小单位），收到：{qty!r}")
    if not isinstance(effective_on, dt.date):
        raise AssessmentInputError("生效日期：不是日期")
    with transaction(conn):
        cur = conn.execute(
            """INSERT INTO institution_changes
                   (kind, effective_on, from_code, to_code, batch, generic, qty, note)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (kind, effective_on.isoformat(), from_code, to_code, batch, generic, number,
             note.strip()))
    return int(cur.lastrowid or 0)


def delete_change(conn: sqlite3.Connection, change_id: int) -> bool:
    with transaction(conn):
        cur = conn.execute("DELETE FROM institution_changes WHERE id = ?", (change_id,))
    return cur.rowcount > 0


def list_changes(conn: sqlite3.Connection, institution_code: str | None = None
                 ) -> list[InstitutionChange]:
    """Changes touching `institution_code` (all when None), by effective date."""
    where, params = "", ()
    if institution_code:
        where, params = "WHERE from_code = ? OR to_code = ?", (institution_code, institution_code)
    return [
        InstitutionChange(r[0], r[1], r[2], dt.date.fromisoformat(r[3][:10]), r[4], r[5], r[6],
                          r[7], float(r[8]), r[9])
        for r in conn.execute(
            f"""SELECT id, uuid, kind, effective_on, from_code, to_code, batch, generic, qty, note
                FROM institution_changes {where} ORDER BY effective_on, id""", params)
    ]


# ---------------------------------------------------------------------------
# Completion (key indicator 1) with SR-3 changes
# ---------------------------------------------------------------------------
@dataclass
class _Line:
    """One agreement's part of the completion figure."""

    id: int
    batch: str
    generic: str
    start: dt.date
    end: dt.date
    agreed: Fraction
    due: Fraction
    selected: Fraction
    non_selected: Fraction
    exempt: bool
    moved: Fraction = Fraction(0)

    @property
    def completion(self) -> Fraction | None:
        return self.selected / self.due if self.due > 0 else None


def _days(first: dt.date, last: dt.date) -> int:
    return max(0, (last - first).days + 1)


def _matches(change: InstitutionChange, line: _Line) -> bool:
    from pharmacy_app.indicators.agreements import agreement_keys

    if change.batch and change.batch != line.batch:
        return False
    if not line.start <= change.effective_on <= line.end:
        return False
    return bool(agreement_keys(change.generic) & agreement_keys(line.generic))


def _completion_lines(conn: sqlite3.Connection, inst: Institution, as_of: dt.date,
                      period: AssessmentPeriod, profile: PolicyProfile,
                      notes: list[str]) -> list[_Line]:
    from pharmacy_app.indicators.agreements import compute_agreements

    figures = compute_agreements(conn, inst.code, as_of, profile)
    lines: list[_Line] = []
    if period.basis == "procurement":
        years = set(_procurement_years([(f.start, f.end) for f in figures], as_of))
        for f in figures:
            if (f.start, f.end) not in years:
                continue
            window = _days(f.start, min(as_of, f.end))
            agreed = Fraction(f.agreed_qty)
            lines.append(_Line(f.id, f.batch, f.generic, f.start, f.end, agreed,
                               agreed * window / _days(f.start, f.end),
                               Fraction(f.selected_qty), Fraction(f.non_selected_qty), f.exempt))
    else:
        before_day = period.start - dt.timedelta(days=1)
        overlapping = [f for f in figures if f.start <= as_of and f.end >= period.start]
        before = {}
        if any(f.start <= before_day for f in overlapping):
            before = {b.id: b for b in compute_agreements(conn, inst.code, before_day, profile)}
        for f in overlapping:
            b = before.get(f.id)
            first = max(f.start, period.start)
            window = _days(first, min(as_of, f.end))
            agreed = Fraction(f.agreed_qty)
            sel = Fraction(f.selected_qty) - (Fraction(b.selected_qty) if b else 0)
            non = Fraction(f.non_selected_qty) - (Fraction(b.non_selected_qty) if b else 0)
            lines.append(_Line(f.id, f.batch, f.generic, f.start, f.end, agreed,
                               agreed * window / _days(f.start, f.end), sel, non, f.exempt))
    for change in list_changes(conn, inst.code):
        if change.effective_on > as_of:
            continue  # SR-3: a record dated after the as-of date is not seen
        sign = 1 if change.to_code == inst.code else -1
        target = next((ln for ln in lines if _matches(change, ln)), None)
        if target is None:
            notes.append(f"机构变更（{change.kind_label}，{change.effective_on.isoformat()}，"
                         f"{change.generic}）在本期没有对应的约定采购量，未计入")
            continue
        qty = Fraction(change.qty).limit_denominator(1_000_000) * sign
        # The moved quantity is due over the rest of the year from the effective day.
        first = max(change.effective_on, period.start, target.start)
        share = Fraction(_days(first, min(as_of, target.end)),
                         _days(change.effective_on, target.end))
        target.moved += qty
        target.agreed += qty
        target.due = max(Fraction(0), target.due + qty * share)
        direction = f"由 {change.from_code} 转入" if sign > 0 else (
            f"转出至 {change.to_code}" if change.to_code else "减少")
        notes.append(f"SR-3 机构变更：{change.kind_label}（{change.effective_on.isoformat()}生效），"
                     f"{target.generic} 约定量{direction} {float(abs(qty)):g}")
    return lines


# ---------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------
def institution_by_code(conn: sqlite3.Connection, code: str) -> Institution:
    row = conn.execute(
        "SELECT code, name, level, remote, lead_code FROM institutions WHERE code = ?",
        (code.strip(),)).fetchone()
    if row is None:
        raise AssessmentInputError(f"机构编码 {code!r} 不在本机构库中")
    return Institution(row[0], row[1], row[2], bool(row[3]), row[4])


def _pct(value: Fraction | float | None, places: int = 1) -> str:
    return "—" if value is None else f"{float(value) * 100:.{places}f}%"


def _f(value: Fraction | float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def compute_assessment(conn: sqlite3.Connection, as_of: dt.date, *,
                       year_basis: str = "procurement",
                       profile: PolicyProfile | None = None,
                       institution_code: str | None = None) -> dict[str, Any]:
    """SR-2 scores of an institution for the period `year_basis` names (SR-3).

    The current institution by default; `institution_code` scores another one
    the database holds (an alliance member, MA-4) on its own agreements,
    purchases and entered figures. The shape is fixed (the PDF report relies
    on it): institution, as_of, period {basis, start, end}, profile,
    indicators [...], total, max_total, result, notes. Extra keys may follow.
    """
    from pharmacy_app.indicators import require_institution
    from pharmacy_app.indicators.payments import compute_payments
    from pharmacy_app.indicators.periods import Period

    inst = (require_institution(conn) if institution_code is None
            else institution_by_code(conn, institution_code))
    profile = profile or active_profile(conn)
    period = assessment_period(conn, inst.code, as_of, year_basis)
    notes: list[str] = []
    if year_basis == "procurement" and not _agreement_years(conn, inst.code):
        notes.append("本机构没有约定采购量，无法确定采购执行年度，按自然年度日期计算")
    lines = _completion_lines(conn, inst, as_of, period, profile, notes)
    payments = compute_payments(conn, inst, as_of, profile, period=Period(period.start, period.end))
    entries = entered_figures(conn, inst.code, period.basis, period.start)

    unqualified_line = Fraction(str(profile["av_unqualified_below"]))
    offline_max = Fraction(str(profile["pay_offline_max"]))
    ns_max = Fraction(str(profile["av_non_selected_max"]))
    growth_max = float(profile["sr_cost_growth_max"])
    deduct = float(profile["sr_violation_deduct"])

    assessed = [ln for ln in lines if not ln.exempt and ln.due > 0]
    due = sum((ln.due for ln in assessed), Fraction(0))
    sel = sum((ln.selected for ln in assessed), Fraction(0))
    completion = sel / due if due else None
    below = [ln for ln in assessed if (c := ln.completion) is not None and c < unqualified_line]
    ns_sel = sum((ln.selected for ln in lines), Fraction(0))
    ns_non = sum((ln.non_selected for ln in lines), Fraction(0))
    ns_share = ns_non / (ns_sel + ns_non) if ns_sel + ns_non else None
    over_ns = [ln for ln in lines if ln.selected + ln.non_selected
               and ln.non_selected / (ln.selected + ln.non_selected) > ns_max]

    results: list[dict[str, Any]] = []

    def add(ind_id: str, value: float | None, display: str, method: str,
            earned_share: float, source: str, **extra: Any) -> None:
        _id, kind, name, points_key, weight_key = next(i for i in INDICATORS if i[0] == ind_id)
        points = float(profile[points_key])
        weight = float(profile[weight_key])
        earned = round(points * earned_share, 2) if source != "missing" else 0.0
        results.append({
            "id": ind_id, "kind": kind, "name": name, "value": value, "display": display,
            "method": method, "points": points, "weight": weight,
            "score": round(earned * weight, 2), "source": source,
            # Whether the institution enters it (else our data computes it): a missing
            # entered figure is "not entered", a missing computed one "no data".
            "entered_figure": ind_id in ENTERED_INDICATORS,
            "earned": earned, **extra,
        })

    # 1. key_completion
    method = (f"按时完成率（已采购中选量 ÷ 截至当日应完成约定量）× 分值，最高满分；"
              f"任一通用名完成率低于 {_pct(unqualified_line, 0)} 不得分")
    if completion is None:
        add("key_completion", None, "无数据", method, 0.0, "missing",
            agreements=0, below_line=[])
        notes.append("按时完成约定采购量：本期没有需考核的约定采购量，按 0 分计")
    else:
        share = 0.0 if below else min(1.0, float(completion))
        add("key_completion", _f(completion), _pct(completion), method, share, "computed",
            agreements=len(assessed), below_line=[ln.generic for ln in below],
            due_qty=_f(due), selected_qty=_f(sel))
        if below:
            notes.append("按时完成约定采购量不得分：" + "、".join(
                f"{ln.generic} {_pct(ln.completion)}" for ln in below)
                + f" 低于 {_pct(unqualified_line, 0)}")
    # 2. key_payment_30d
    rate = payments.thirty_day_rate
    method = "得分 = 分值 × 30天回款率"
    if rate is None:
        add("key_payment_30d", None, "无数据", method, 0.0, "missing")
        notes.append("30天回款率：本期没有已到期（配送满 30 天）的采购明细，按 0 分计")
    else:
        add("key_payment_30d", _f(rate), _pct(rate), method, float(rate), "computed")
    # 3. key_cost_growth (entered)
    method = f"增长率不高于 {growth_max * 100:g}% 得满分，高于不得分；未填报不得分"
    entry = entries.get("cost_growth")
    if entry is None:
        add("key_cost_growth", None, "未填报", method, 0.0, "missing")
        notes.append("人次均药品费用增长率未填报（本系统数据无法计算），按 0 分计")
    else:
        add("key_cost_growth", entry.value, _pct(entry.value, 2), method,
            1.0 if entry.value <= growth_max + 1e-12 else 0.0, "entered", note=entry.note)
    # 4. key_offline_share
    share_off = payments.offline_share
    method = f"线下采购金额占比不超过 {_pct(offline_max, 0)} 得满分，超过不得分"
    if share_off is None:
        add("key_offline_share", None, "无数据", method, 0.0, "missing")
        notes.append("线下采购占比：本期没有采购金额，按 0 分计")
    else:
        add("key_offline_share", _f(share_off), _pct(share_off, 2), method,
            1.0 if share_off <= offline_max else 0.0, "computed")
    # 5. ref_non_selected
    method = f"非中选产品采购量占比不超过 {_pct(ns_max, 0)} 得满分，超过不得分"
    if ns_share is None:
        add("ref_non_selected", None, "无数据", method, 0.0, "missing")
        notes.append("非中选产品采购量占比：本期没有集采通用名的采购量，按 0 分计")
    else:
        add("ref_non_selected", _f(ns_share), _pct(ns_share), method,
            1.0 if ns_share <= ns_max else 0.0, "computed",
            over_line=[ln.generic for ln in over_ns])
        if over_ns:
            notes.append("非中选产品占比超过 " + _pct(ns_max, 0) + " 的通用名（AV-5）："
                         + "、".join(ln.generic for ln in over_ns))
    # 6–8. counts entered by the user
    for ind_id, key in (("ref_vbp_violations", "vbp_violations"),
                        ("ref_price_violations", "price_violations"),
                        ("ref_circulation", "circulation")):
        method = f"0 次得满分，每次扣 {deduct:g} 分，扣完为止；未填报不得分"
        entry = entries.get(key)
        points = float(profile[next(i for i in INDICATORS if i[0] == ind_id)[3]])
        if entry is None:
            add(ind_id, None, "未填报", method, 0.0, "missing")
            notes.append(f"{ENTERED_LABELS[key]}未填报，按 0 分计")
        else:
            left = max(0.0, points - entry.value * deduct)
            add(ind_id, entry.value, f"{entry.value:g} 次", method,
                left / points if points else 0.0, "entered", note=entry.note)

    total = round(sum(r["score"] for r in results), 2)
    max_total = round(sum(r["points"] * r["weight"] for r in results), 2)
    weights = sum(r["weight"] for r in results)
    if abs(weights - 1.0) > 1e-9:
        notes.append(f"政策参数中 8 项指标权重之和为 {weights:g}，不是 1")
    dropped = [r["name"] for r in results if r["kind"] == "key" and not r["points"] * r["weight"]]
    if dropped:
        notes.append("关键指标不作调整（SR-2），但政策参数使以下关键指标不计分：" + "、".join(dropped))
    pass_score = float(profile["sr_pass_score"])
    result = "合格" if total >= pass_score else "不合格"
    return {
        "institution": {"code": inst.code, "name": inst.name, "level": inst.level},
        "as_of": as_of.isoformat(),
        "period": {"basis": period.basis, "start": period.start.isoformat(),
                   "end": period.end.isoformat(), "basis_label": BASIS_LABELS[period.basis],
                   "year_end": period.year_end.isoformat()},
        "profile": f"{profile.profile_id} v{profile.version}",
        "indicators": results,
        "total": total,
        "max_total": max_total,
        "result": result,
        "notes": notes,
        # extra keys
        "pass_score": pass_score,
        "missing": [r["id"] for r in results if r["source"] == "missing"],
        "agreements": [
            {"id": ln.id, "batch": ln.batch, "generic": ln.generic,
             "start": ln.start.isoformat(), "end": ln.end.isoformat(),
             "agreed_qty": _f(ln.agreed), "due_qty": _f(ln.due), "selected_qty": _f(ln.selected),
             "non_selected_qty": _f(ln.non_selected), "completion": _f(ln.completion),
             "moved_qty": _f(ln.moved), "exempt": ln.exempt}
            for ln in lines
        ],
        "changes": [c.to_json() for c in list_changes(conn, inst.code)
                    if c.effective_on <= as_of],
    }


def format_assessment(result: dict[str, Any]) -> str:
    """Plain text for the terminal (the same figures as the page)."""
    inst, period = result["institution"], result["period"]
    lines = [
        f"{inst['name']}（{inst['code']}） 考核评分  截至 {result['as_of']}  政策参数 {result['profile']}",
        f"考核期间：{period['basis_label']} {period['start']} 至 {period['end']}",
        "",
    ]
    for kind, title in (("key", "关键指标"), ("reference", "参考指标")):
        lines.append(title)
        for r in (r for r in result["indicators"] if r["kind"] == kind):
            source = {"computed": "计算", "entered": "填报", "missing": "缺失"}[r["source"]]
            lines.append(f"  {r['name']}：{r['display']}（{source}） 得分 {r['earned']:g}/{r['points']:g}"
                         f" × 权重 {r['weight']:g} = {r['score']:.2f}")
            lines.append(f"      {r['method']}")
    lines.append("")
    lines.append(f"总分 {result['total']:.2f} / {result['max_total']:.2f}  结果：{result['result']}"
                 f"（合格线 {result['pass_score']:g}）")
    for note in result["notes"]:
        lines.append(f"  注：{note}")
    return "\n".join(lines)
