"""SH-1 report fields and validation, SH-2 transitions, SH-3 days of cover and levels."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from pharmacy_app.policy import builtin_profile
from pharmacy_app.shortage.model import (
    STATUSES,
    TRANSITIONS,
    ShortageReport,
    Substitute,
    days_of_cover,
    next_statuses,
    report_level,
    substitutability,
    validate_report,
    warning_level,
)

TODAY = dt.date(2026, 11, 23)
PROFILE = builtin_profile()  # red < 7, orange < 15, yellow < 30 days


def complete_report(**changes) -> ShortageReport:
    report = ShortageReport(
        product_code="XC01DAA066A003010003901",
        generic_name="硝酸甘油",
        dosage_form="片剂",
        specification="0.5mg",
        manufacturer="北京益民药业有限公司",
        start_date=dt.date(2026, 11, 20),
        stock_on_hand=100,
        monthly_use=300,
        kind="complete",
        cause="distribution",
        clinical_impact="心绞痛急救",
        substitutes=(Substitute("硝酸异山梨酯 片剂 5mg", "same_class", "XC01DAA068A003010001501"),),
        measures_taken="催货",
        reporter="王芳",
        contact="0898-65301234",
    )
    return report.with_changes(**changes)


def fields(errors) -> list[str]:
    return [e.field for e in errors]


def test_sh1_complete_report_has_no_errors():
    assert validate_report(complete_report(), TODAY) == []


def test_sh1_empty_report_names_every_required_field():
    errors = validate_report(ShortageReport(), TODAY)
    assert set(fields(errors)) == {
        "product_code", "generic_name", "dosage_form", "specification", "manufacturer",
        "start_date", "stock_on_hand", "monthly_use", "cause", "clinical_impact",
        "measures_taken", "reporter", "contact",
    }
    # Each message names its field in Chinese, as the form shows it.
    by_field = {e.field: e.message for e in errors}
    assert by_field["start_date"].startswith("短缺开始日期")
    assert by_field["contact"].startswith("联系电话")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start_date": TODAY + dt.timedelta(days=1)}, "start_date"),
        ({"stock_on_hand": -1}, "stock_on_hand"),
        ({"monthly_use": 0}, "monthly_use"),
        ({"kind": "some"}, "kind"),
        ({"cause": "weather"}, "cause"),
        ({"cause": "other", "cause_detail": ""}, "cause_detail"),
        ({"contact": "call me"}, "contact"),
        ({"contact": "12345"}, "contact"),
        ({"substitutes": (Substitute("  "),)}, "substitutes"),
        ({"reporter": "   "}, "reporter"),
    ],
)
def test_sh1_each_bad_field_is_named(changes, field):
    assert fields(validate_report(complete_report(**changes), TODAY)) == [field]


def test_sh1_boundaries_that_are_allowed():
    # Today is not in the future; zero stock is a complete shortage; no substitute is allowed.
    assert validate_report(
        complete_report(start_date=TODAY, stock_on_hand=0, substitutes=()), TODAY
    ) == []
    assert validate_report(complete_report(cause="other", cause_detail="台风停运"), TODAY) == []
    assert validate_report(complete_report(contact="13800138000"), TODAY) == []


def test_sh1_days_of_cover_uses_a_30_day_month():
    assert days_of_cover(100, 300) == 10
    assert days_of_cover(1, 3) == 10
    assert days_of_cover(0, None) == 0  # nothing left: zero days whatever the use
    assert days_of_cover(50, None) is None
    assert days_of_cover(50, 0) is None
    assert days_of_cover(None, 300) is None
    assert complete_report().days_of_cover == Fraction(10)


def test_sh2_transitions_follow_the_workflow():
    assert next_statuses("draft") == ("reported",)
    assert next_statuses("reported") == ("handling",)
    assert set(next_statuses("handling")) == {"resolved", "unresolvable"}
    assert next_statuses("unresolvable") == ("resolved",)
    assert next_statuses("resolved") == ()
    assert set(TRANSITIONS) == set(STATUSES)
    # Nothing goes back to draft.
    assert all("draft" not in targets for targets in TRANSITIONS.values())
    assert complete_report(status="unresolvable").escalated
    assert not complete_report(status="handling").escalated


def test_sh3_substitutability():
    assert substitutability(()) == "none"
    assert substitutability((Substitute("丙硫氧嘧啶片", "other"),)) == "partial"
    assert substitutability((Substitute("x", "same_class"), Substitute("y", "same_generic"))) == "full"
    assert substitutability((Substitute(" ", "same_generic"),)) == "none"


@pytest.mark.parametrize(
    ("cover", "base"),
    [
        (Fraction(0), "red"),
        (Fraction(69, 10), "red"),
        (Fraction(7), "orange"),  # a boundary belongs to the milder level
        (Fraction(14), "orange"),
        (Fraction(15), "yellow"),
        (Fraction(299, 10), "yellow"),
        (Fraction(30), "none"),
        (None, "none"),
    ],
)
def test_sh3_base_level_from_days_of_cover(cover, base):
    assert warning_level(cover, "partial", PROFILE) == base


@pytest.mark.parametrize(
    ("cover", "subst", "level"),
    [
        (Fraction(20), "none", "orange"),  # yellow raised: nothing can replace it
        (Fraction(10), "none", "red"),
        (Fraction(3), "none", "red"),  # red stays red
        (Fraction(40), "none", "none"),  # ample cover is no warning
        (Fraction(3), "full", "orange"),  # red lowered: same 通用名 at hand
        (Fraction(20), "full", "none"),
        (Fraction(10), "partial", "orange"),
    ],
)
def test_sh3_substitutability_shifts_the_level(cover, subst, level):
    assert warning_level(cover, subst, PROFILE) == level


def test_sh3_thresholds_come_from_the_policy_profile():
    from pharmacy_app.policy import PolicyProfile

    strict = PolicyProfile("p", 1, "p", params={"sh_red_days": 10, "sh_orange_days": 20,
                                                "sh_yellow_days": 60})
    assert warning_level(Fraction(8), "partial", strict) == "red"
    assert warning_level(Fraction(45), "partial", strict) == "yellow"
    assert warning_level(Fraction(8), "partial", PROFILE) == "orange"


def test_sh3_resolved_reports_carry_no_level():
    assert report_level(complete_report(stock_on_hand=0), PROFILE) == "red"  # same-class: kept
    assert report_level(complete_report(stock_on_hand=0, status="resolved"), PROFILE) == "none"
