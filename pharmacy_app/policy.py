"""Policy profiles: every threshold of RULES.md as versioned, editable data.

Thresholds are policy parameters, not constants (RULES.md preamble): a
province or alliance changes them without a code change, and every computed
figure names the profile and version that produced it. A stored profile
version is never edited in place; saving changed parameters makes a new
version, so old results stay explainable.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from db import transaction

PROFILE_FORMAT = "pharmacy-desk-policy-profile"
BUILTIN_ID = "national"
BUILTIN_VERSION = 1


@dataclass(frozen=True)
class ParamDef:
    """One threshold: its kind decides validation and how the UI shows it."""

    key: str
    kind: str  # share (0–1), int, number, hours, days, workdays
    default: float | int
    rule: str
    label: str
    minimum: float | None = None
    maximum: float | None = None
    note: str = ""

    def validate(self, value: Any) -> float | int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{self.label}（{self.key}）必须是数字，收到：{value!r}")
        try:
            finite = math.isfinite(value)  # inf / nan parse as floats but are no threshold
        except OverflowError:  # an int beyond any float (10**400)
            finite = False
        if not finite:
            raise ValueError(f"{self.label}（{self.key}）必须是有限的数字，收到：{str(value)[:20]}")
        if self.kind in ("int", "hours", "days", "workdays"):
            if float(value) != int(value):
                raise ValueError(f"{self.label}（{self.key}）必须是整数，收到：{value!r}")
            value = int(value)
        else:
            value = float(value)
        low = 0.0 if self.kind == "share" and self.minimum is None else self.minimum
        high = 1.0 if self.kind == "share" and self.maximum is None else self.maximum
        if low is not None and value < low:
            raise ValueError(f"{self.label}（{self.key}）不能小于 {low}，收到：{value}")
        if high is not None and value > high:
            raise ValueError(f"{self.label}（{self.key}）不能大于 {high}，收到：{value}")
        return value


PARAMS: tuple[ParamDef, ...] = (
    ParamDef("ed_grassroots_target", "share", 0.85, "ED-1", "基层机构基药品规占比目标"),
    ParamDef("ed_secondary_target", "share", 0.50, "ED-2", "二级以上公立医院基药配备品规占比目标"),
    ParamDef(
        "ed_specialty_target", "share", 0.30, "ED-2", "专科医院基药配备品规占比目标",
        note="政策未给出数值，默认 30%，由地方规定",
    ),
    ParamDef("ma_linkage_share", "share", 0.50, "MA-1", "医联体上下用药衔接目录占牵头医院品规比例"),
    ParamDef("av_complete", "share", 1.00, "AV-3", "约定量完成线", maximum=2.0),
    ParamDef("av_unqualified_below", "share", 0.50, "AV-3", "约定量不合格线（低于即不合格）"),
    ParamDef("av_non_selected_max", "share", 0.30, "AV-5", "非中选产品采购占比上限"),
    ParamDef("av_report_low", "number", -0.20, "AV-10", "报量较上年实际采购量下限（需书面说明）", -1.0, 0.0),
    ParamDef("av_report_high", "number", 1.50, "AV-10", "报量较上年实际采购量上限（需书面说明）", 0.0, 100.0),
    ParamDef("av_not_in_hospital_month", "int", 3, "AV-12", "执行第几个月起未采购视为未进院", 1, 12),
    ParamDef("sup_response_hours", "hours", 24, "SUP-1", "订单响应时限（小时）", 1, 720),
    ParamDef("sup_response_min", "share", 0.95, "SUP-1", "订单响应率预警线"),
    ParamDef("sup_delivery_hours", "hours", 48, "SUP-2", "配送时限（小时）", 1, 720),
    ParamDef("sup_delivery_hours_remote", "hours", 72, "SUP-2", "偏远地区配送时限（小时）", 1, 720),
    ParamDef("sup_timeliness_min", "share", 0.90, "SUP-2", "配送及时率预警线"),
    ParamDef("sup_interview_quarters", "int", 2, "SUP-2", "连续几个季度低于及时率预警线列入约谈", 1, 8),
    ParamDef("sup_unresponded_hours", "hours", 48, "SUP-3", "未响应订单列入延迟响应清单的时限（小时）", 1, 720),
    ParamDef("sup_feedback_answer_workdays", "workdays", 2, "SUP-4", "供应问题反馈企业答复时限（工作日）", 1, 30),
    ParamDef("sup_fix_workdays", "workdays", 5, "SUP-4", "供应问题承诺解决时限（工作日）", 1, 60),
    ParamDef("sup_max_delivery_companies", "int", 5, "SUP-6", "每个产品配送企业上限", 1, 50),
    ParamDef("pay_prepayment", "share", 0.40, "PAY-1", "医保基金预付比例"),
    ParamDef("pay_settlement_day", "int", 10, "PAY-2", "次月结清货款的截止日", 1, 28),
    ParamDef("pay_window_days", "days", 30, "PAY-3", "回款率计算天数", 1, 365),
    ParamDef("pay_offline_max", "share", 0.05, "PAY-4", "线下采购金额占比上限"),
    ParamDef("ps_gradient_multiple", "number", 2.0, "PS-1", "价格高于中选价几倍起梯度调整", 1.0, 100.0),
    ParamDef("ps_year1_ratio", "share", 0.70, "PS-1", "第一年支付标准为原价的比例"),
    ParamDef("ps_year_step", "share", 0.30, "PS-1", "此后每年降低原价的比例"),
    ParamDef(
        "sh_red_days", "days", 7, "SH-3", "短缺红色预警：可用天数低于", 0, 365,
        note="政策未给出数值，默认值由地方规定",
    ),
    ParamDef("sh_orange_days", "days", 15, "SH-3", "短缺橙色预警：可用天数低于", 0, 365),
    ParamDef("sh_yellow_days", "days", 30, "SH-3", "短缺黄色预警：可用天数低于", 0, 365),
    # SR-2 (seed 004 §二(三)): the 4 key and 4 reference indicators are named in
    # the seed; Shenzhen's 赋分方式/分值/权重 (its 附件2) are not in it, so points,
    # weights, the deduction and the pass line below are an example set by
    # local rule (note says so). Lines reused from other rules: 5% offline
    # (pay_offline_max, seed 004 / 粤医保规〔2020〕2号), 30% non-selected
    # (av_non_selected_max, 001 §5), 50% per 通用名 (av_unqualified_below, 004).
    ParamDef("sr_completion_points", "number", 100, "SR-2", "关键指标：按时完成约定采购量 分值", 0, 1000,
             note="示例值，由地方规定（深圳附件2未随种子公开）"),
    ParamDef("sr_completion_weight", "share", 0.30, "SR-2", "关键指标：按时完成约定采购量 权重",
             note="示例值，由地方规定"),
    ParamDef("sr_pay30_points", "number", 100, "SR-2", "关键指标：30天回款率 分值", 0, 1000,
             note="示例值，由地方规定"),
    ParamDef("sr_pay30_weight", "share", 0.20, "SR-2", "关键指标：30天回款率 权重",
             note="示例值，由地方规定"),
    ParamDef("sr_cost_growth_points", "number", 100, "SR-2", "关键指标：人次均药品费用增长率 分值", 0, 1000,
             note="示例值，由地方规定"),
    ParamDef("sr_cost_growth_weight", "share", 0.15, "SR-2", "关键指标：人次均药品费用增长率 权重",
             note="示例值，由地方规定"),
    ParamDef("sr_cost_growth_max", "number", 0.0, "SR-2", "人次均药品费用增长率不高于此值得满分", -1.0, 10.0,
             note="示例值（不增长），由地方规定"),
    ParamDef("sr_offline_points", "number", 100, "SR-2", "关键指标：线下采购占比 分值", 0, 1000,
             note="示例值，由地方规定；5% 界限见 pay_offline_max（种子 004）"),
    ParamDef("sr_offline_weight", "share", 0.15, "SR-2", "关键指标：线下采购占比 权重",
             note="示例值，由地方规定"),
    ParamDef("sr_non_selected_points", "number", 100, "SR-2", "参考指标：非中选产品采购量占比 分值", 0, 1000,
             note="示例值，由地方规定；30% 界限见 av_non_selected_max（种子 001）"),
    ParamDef("sr_non_selected_weight", "share", 0.05, "SR-2", "参考指标：非中选产品采购量占比 权重",
             note="示例值，由地方规定"),
    ParamDef("sr_vbp_violation_points", "number", 100, "SR-2", "参考指标：执行集采政策的违规次数 分值", 0, 1000,
             note="示例值，由地方规定"),
    ParamDef("sr_vbp_violation_weight", "share", 0.05, "SR-2", "参考指标：执行集采政策的违规次数 权重",
             note="示例值，由地方规定"),
    ParamDef("sr_price_violation_points", "number", 100, "SR-2", "参考指标：价格违规次数 分值", 0, 1000,
             note="示例值，由地方规定"),
    ParamDef("sr_price_violation_weight", "share", 0.05, "SR-2", "参考指标：价格违规次数 权重",
             note="示例值，由地方规定"),
    ParamDef("sr_circulation_points", "number", 100, "SR-2", "参考指标：集采中选药品的规范流转 分值", 0, 1000,
             note="示例值，由地方规定"),
    ParamDef("sr_circulation_weight", "share", 0.05, "SR-2", "参考指标：集采中选药品的规范流转 权重",
             note="示例值，由地方规定"),
    ParamDef("sr_violation_deduct", "number", 50, "SR-2", "违规/不规范流转每次扣分", 0, 1000,
             note="示例值，由地方规定"),
    ParamDef("sr_pass_score", "number", 60, "SR-2", "考核总分合格线", 0, 1000,
             note="示例值，由地方规定"),
)
PARAM_DEFS = {p.key: p for p in PARAMS}


class ProfileError(ValueError):
    pass


@dataclass(frozen=True)
class PolicyProfile:
    profile_id: str
    version: int
    name: str
    region: str = ""
    params: dict[str, float | int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """What results record: `national@1`."""
        return f"{self.profile_id}@{self.version}"

    def __getitem__(self, key: str) -> float | int:
        if key in self.params:
            return self.params[key]
        return PARAM_DEFS[key].default

    def share(self, key: str) -> float:
        return float(self[key])


def builtin_profile() -> PolicyProfile:
    return PolicyProfile(
        BUILTIN_ID,
        BUILTIN_VERSION,
        "国家默认（RULES.md）",
        "全国",
        {p.key: p.default for p in PARAMS},
    )


def validate_params(params: dict[str, Any]) -> dict[str, float | int]:
    """Every parameter checked; unknown keys and cross-field contradictions refused."""
    unknown = sorted(set(params) - set(PARAM_DEFS))
    if unknown:
        raise ProfileError(f"未知参数：{', '.join(unknown)}")
    clean = {p.key: p.default for p in PARAMS}
    errors = []
    for key, value in params.items():
        try:
            clean[key] = PARAM_DEFS[key].validate(value)
        except ValueError as exc:
            errors.append(str(exc))
    if not errors:
        if clean["av_unqualified_below"] > clean["av_complete"]:
            errors.append("约定量不合格线不能高于完成线")
        if not clean["sh_red_days"] <= clean["sh_orange_days"] <= clean["sh_yellow_days"]:
            errors.append("短缺预警天数应满足 红 ≤ 橙 ≤ 黄")
        if clean["sup_delivery_hours_remote"] < clean["sup_delivery_hours"]:
            errors.append("偏远地区配送时限不能短于一般配送时限")
    if errors:
        raise ProfileError("；".join(errors))
    return clean


def _row_to_profile(row: sqlite3.Row | tuple) -> PolicyProfile:
    profile_id, version, name, region, params = row
    return PolicyProfile(profile_id, int(version), name, region, json.loads(params))


def ensure_builtin_profile(conn: sqlite3.Connection) -> None:
    """Store the built-in profile once; a read when it is there already.

    Called on every open and profile lookup: writing each time would take the
    write lock, so figures could not be read while another program imports
    (WAL lets readers through) nor from a read-only file.
    """
    p = builtin_profile()
    if conn.execute(
        "SELECT 1 FROM policy_profiles WHERE profile_id = ? AND profile_version = ?",
        (p.profile_id, p.version),
    ).fetchone():
        return
    with transaction(conn):
        conn.execute(
            """INSERT OR IGNORE INTO policy_profiles
               (profile_id, profile_version, name, region, params, builtin) VALUES (?, ?, ?, ?, ?, 1)""",
            (p.profile_id, p.version, p.name, p.region, json.dumps(p.params, sort_keys=True)),
        )


def list_profiles(conn: sqlite3.Connection) -> list[PolicyProfile]:
    """The newest version of each stored profile, built-in first."""
    ensure_builtin_profile(conn)
    rows = conn.execute(
        """SELECT profile_id, profile_version, name, region, params FROM policy_profiles p
           WHERE profile_version = (SELECT max(profile_version) FROM policy_profiles q
                                    WHERE q.profile_id = p.profile_id)
           ORDER BY builtin DESC, name"""
    ).fetchall()
    return [_row_to_profile(tuple(r)) for r in rows]


def get_profile(conn: sqlite3.Connection, profile_id: str, version: int | None = None) -> PolicyProfile:
    """A stored profile version; the newest when `version` is None."""
    ensure_builtin_profile(conn)
    if version is None:
        row = conn.execute(
            """SELECT profile_id, profile_version, name, region, params FROM policy_profiles
               WHERE profile_id=? ORDER BY profile_version DESC LIMIT 1""",
            (profile_id,),
        ).fetchone()
    else:
        row = conn.execute(
            """SELECT profile_id, profile_version, name, region, params FROM policy_profiles
               WHERE profile_id=? AND profile_version=?""",
            (profile_id, version),
        ).fetchone()
    if row is None:
        raise ProfileError(f"没有政策参数方案 {profile_id}" + (f"@{version}" if version else ""))
    return _row_to_profile(tuple(row))


def active_profile(conn: sqlite3.Connection) -> PolicyProfile:
    """The profile the institution uses now (the built-in national one by default)."""
    row = conn.execute("SELECT value FROM app_settings WHERE key='policy_profile'").fetchone()
    if row is None or not row[0]:
        return get_profile(conn, BUILTIN_ID)
    try:
        return get_profile(conn, row[0])
    except ProfileError:
        return get_profile(conn, BUILTIN_ID)


def set_active_profile(conn: sqlite3.Connection, profile_id: str) -> None:
    get_profile(conn, profile_id)  # must exist
    with transaction(conn):
        conn.execute(
            "INSERT INTO app_settings (key, value) VALUES ('policy_profile', ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (profile_id,),
        )


def save_profile(
    conn: sqlite3.Connection, profile_id: str, name: str, region: str, params: dict[str, Any]
) -> PolicyProfile:
    """Store params as a new version of `profile_id` (or return the unchanged latest).

    The built-in national profile is the rules' own numbers: it is never given
    a new version (a province's thresholds are a profile of their own).
    """
    profile_id = profile_id.strip()
    name, region = name.strip(), region.strip()
    if not profile_id or any(c.isspace() or c == "@" for c in profile_id):
        raise ProfileError("方案编号不能为空，且不能含空格或 @")
    if not name:
        raise ProfileError("方案名称不能为空")
    clean = validate_params(params)
    if profile_id == BUILTIN_ID:
        builtin = builtin_profile()
        if clean == builtin.params:
            return builtin  # the national profile as it is (e.g. its own export read back)
        raise ProfileError(f"内置方案「{BUILTIN_ID}」不能修改：请另取方案编号保存")
    ensure_builtin_profile(conn)
    with transaction(conn):
        latest = conn.execute(
            """SELECT profile_id, profile_version, name, region, params FROM policy_profiles
               WHERE profile_id=? ORDER BY profile_version DESC LIMIT 1""",
            (profile_id,),
        ).fetchone()
        if latest is not None:
            current = _row_to_profile(tuple(latest))
            if current.params == clean and current.name == name and current.region == region:
                return current
            version = current.version + 1
        else:
            version = 1
        conn.execute(
            """INSERT INTO policy_profiles (profile_id, profile_version, name, region, params)
               VALUES (?, ?, ?, ?, ?)""",
            (profile_id, version, name, region, json.dumps(clean, sort_keys=True)),
        )
    return PolicyProfile(profile_id, version, name, region, clean)


def profile_to_json(profile: PolicyProfile) -> str:
    return json.dumps(
        {
            "format": PROFILE_FORMAT,
            "profile_id": profile.profile_id,
            "version": profile.version,
            "name": profile.name,
            "region": profile.region,
            "params": {p.key: profile[p.key] for p in PARAMS},
            "rules": {p.key: p.rule for p in PARAMS},
        },
        ensure_ascii=False,
        indent=2,
    )


def export_profile(profile: PolicyProfile, path: Path) -> None:
    Path(path).write_text(profile_to_json(profile), encoding="utf-8")


def import_profile(conn: sqlite3.Connection, path: Path) -> PolicyProfile:
    """Read a profile file written by export_profile and store it as a new version."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError: bad JSON, or a number too long to read; RecursionError: nesting.
        raise ProfileError(f"{path}: 不是有效的政策参数文件（{type(exc).__name__}）") from None
    if not isinstance(data, dict) or data.get("format") != PROFILE_FORMAT:
        raise ProfileError(f"{path}: 不是药事台政策参数文件（缺少 format={PROFILE_FORMAT}）")
    params = data.get("params")
    if not isinstance(params, dict):
        raise ProfileError(f"{path}: 缺少 params")
    texts = {key: data.get(key, "") for key in ("profile_id", "name", "region")}
    wrong = [key for key, value in texts.items() if not isinstance(value, str)]
    if wrong:
        raise ProfileError(f"{path}: {'、'.join(wrong)} 必须是文字")
    try:
        return save_profile(conn, texts["profile_id"], texts["name"], texts["region"], params)
    except ProfileError as exc:
        raise ProfileError(f"{path}: {exc}") from None
