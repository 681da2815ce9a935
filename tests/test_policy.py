"""Policy profiles: thresholds as versioned data (RULES.md preamble)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pharmacy_app.policy import (
    PARAMS,
    ProfileError,
    active_profile,
    builtin_profile,
    export_profile,
    get_profile,
    import_profile,
    list_profiles,
    save_profile,
    set_active_profile,
    validate_params,
)


def test_builtin_defaults_are_the_rules_numbers():
    p = builtin_profile()
    assert p.label == "national@1"
    # ED-1, ED-2, AV-3, AV-5, SUP-1, SUP-2, SUP-3, PAY-1, PAY-2, PAY-3, PAY-4
    assert p["ed_grassroots_target"] == 0.85
    assert p["ed_secondary_target"] == 0.50
    assert p["ed_specialty_target"] == 0.30
    assert p["av_unqualified_below"] == 0.50
    assert p["av_non_selected_max"] == 0.30
    assert p["sup_response_hours"] == 24 and p["sup_response_min"] == 0.95
    assert p["sup_delivery_hours"] == 48 and p["sup_delivery_hours_remote"] == 72
    assert p["sup_timeliness_min"] == 0.90 and p["sup_unresponded_hours"] == 48
    assert p["pay_prepayment"] == 0.40 and p["pay_settlement_day"] == 10
    assert p["pay_window_days"] == 30 and p["pay_offline_max"] == 0.05
    assert all(d.rule for d in PARAMS)


def test_active_profile_defaults_to_builtin(conn):
    assert active_profile(conn).label == "national@1"


def test_saving_changed_params_makes_a_new_version_and_keeps_the_old(conn):
    params = {"ed_grassroots_target": 0.9}
    first = save_profile(conn, "hainan", "海南省", "海南", params)
    assert first.label == "hainan@1"
    again = save_profile(conn, "hainan", "海南省", "海南", params)
    assert again.label == "hainan@1"  # unchanged: no new version
    second = save_profile(conn, "hainan", "海南省", "海南", {"ed_grassroots_target": 0.88})
    assert second.label == "hainan@2"
    assert get_profile(conn, "hainan", 1)["ed_grassroots_target"] == 0.9
    assert get_profile(conn, "hainan")["ed_grassroots_target"] == 0.88
    set_active_profile(conn, "hainan")
    assert active_profile(conn).label == "hainan@2"
    assert [p.profile_id for p in list_profiles(conn)] == ["national", "hainan"]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"ed_grassroots_target": 1.5}, "不能大于"),
        ({"ed_grassroots_target": "85%"}, "必须是数字"),
        ({"sup_response_hours": 24.5}, "必须是整数"),
        ({"no_such_thing": 1}, "未知参数"),
        ({"av_unqualified_below": 0.9, "av_complete": 0.8}, "不合格线不能高于完成线"),
        ({"sh_red_days": 40}, "红 ≤ 橙 ≤ 黄"),
        ({"sup_fix_workdays": float("inf")}, "有限的数字"),
        ({"ed_grassroots_target": float("nan")}, "有限的数字"),
    ],
)
def test_invalid_params_are_refused_with_the_reason(params, message):
    with pytest.raises(ProfileError, match=message):
        validate_params(params)


def test_export_and_import_round_trip(conn, tmp_path):
    saved = save_profile(conn, "gd", "广东省", "广东", {"av_non_selected_max": 0.25})
    path = tmp_path / "gd.json"
    export_profile(saved, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["params"]["av_non_selected_max"] == 0.25
    data["params"]["av_non_selected_max"] = 0.2
    path.write_text(json.dumps(data), encoding="utf-8")
    imported = import_profile(conn, path)
    assert imported.label == "gd@2" and imported["av_non_selected_max"] == 0.2


def test_import_of_a_foreign_file_names_the_file(conn, tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"a": 1}', encoding="utf-8")
    with pytest.raises(ProfileError, match="x.json"):
        import_profile(conn, path)


def _edited_export(conn, tmp_path, edit) -> Path:
    saved = save_profile(conn, "hn", "海南省", "海南", {})
    path = tmp_path / "hn.json"
    export_profile(saved, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data) if isinstance(data, dict) else data, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.update(profile_id=None), "profile_id 必须是文字"),
        (lambda d: d.update(name=["x"]), "name 必须是文字"),
        (lambda d: (d.update(profile_id="national"), d["params"].update(sh_red_days=3)),
         "内置方案"),
        (lambda d: d["params"].update(sup_fix_workdays=10**400), "有限的数字"),
    ],
)
def test_a_bad_profile_file_is_refused_and_nothing_stored(conn, tmp_path, edit, message):
    path = _edited_export(conn, tmp_path, edit)
    before = conn.execute("SELECT count(*) FROM policy_profiles").fetchone()[0]
    with pytest.raises(ProfileError, match=message):
        import_profile(conn, path)
    assert conn.execute("SELECT count(*) FROM policy_profiles").fetchone()[0] == before


def test_the_national_profiles_own_export_reads_back_as_it_is(conn, tmp_path):
    from pharmacy_app.policy import builtin_profile

    path = tmp_path / "national.json"
    export_profile(builtin_profile(), path)
    before = conn.execute("SELECT count(*) FROM policy_profiles").fetchone()[0]
    assert import_profile(conn, path).label == builtin_profile().label
    assert conn.execute("SELECT count(*) FROM policy_profiles").fetchone()[0] == before


def test_a_deeply_nested_or_endless_file_is_refused(conn, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(ProfileError, match="deep.json"):
        import_profile(conn, path)


def test_importing_the_same_profile_with_spaced_names_adds_no_version(conn, tmp_path):
    path = _edited_export(conn, tmp_path, lambda d: d.update(name=" 海南省 ", region="海南 "))
    assert import_profile(conn, path).label == "hn@1"
    assert import_profile(conn, path).label == "hn@1"


@pytest.mark.parametrize(
    "rule, key, default",
    [
        ("MA-1", "ma_linkage_share", 0.50),
        ("PS-1", "ps_gradient_multiple", 2.0),
        ("PS-1", "ps_year1_ratio", 0.70),
        ("SUP-4", "sup_feedback_answer_workdays", 2),
        ("SUP-4", "sup_fix_workdays", 5),
        ("SH-3", "sh_red_days", 7),
    ],
)
def test_profile_carries_the_thresholds_of_rules_built_later(rule, key, default):
    """MA-1, PS-1, SUP-4, SH-3: their thresholds are profile data, tagged with the rule."""
    from pharmacy_app.policy import PARAM_DEFS

    assert PARAM_DEFS[key].rule == rule
    assert builtin_profile()[key] == default
