"""The shortage report and its rules: SH-1 fields, SH-2 workflow, SH-3 levels.

Pure functions over plain dataclasses (no database, no Qt), so the window,
the command line, the PDF and the tests apply one rule in one place.

Units: stock on hand and average monthly use are counted in the product's
smallest dispensing unit (片/粒/支, RULES.md preamble), so they compare
directly with purchase quantities × the package conversion.

A month is 30 days for days of cover: the policy speaks of "可用天数" and a
pharmacist's monthly figure is an average, so the calendar month's length
would only add noise.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

DAYS_PER_MONTH = 30

# -- SH-2 workflow ------------------------------------------------------------

DRAFT = "draft"
REPORTED = "reported"
HANDLING = "handling"
RESOLVED = "resolved"
UNRESOLVABLE = "unresolvable"
STATUSES = (DRAFT, REPORTED, HANDLING, RESOLVED, UNRESOLVABLE)

STATUS_LABELS = {
    DRAFT: "草稿",
    REPORTED: "已上报",
    HANDLING: "处置中",
    RESOLVED: "已解决",
    UNRESOLVABLE: "无法解决（已列入短缺清单并上报）",
}

# SH-2: draft → reported → being handled → resolved, or cannot be resolved
# (→ the shortage list, escalated). An escalated shortage may still end:
# when supply returns it leaves the list as resolved. Nothing goes back.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    DRAFT: (REPORTED,),
    REPORTED: (HANDLING,),
    HANDLING: (RESOLVED, UNRESOLVABLE),
    UNRESOLVABLE: (RESOLVED,),
    RESOLVED: (),
}

# Statuses a report is still open in (not resolved): the unresolved list.
OPEN_STATUSES = (DRAFT, REPORTED, HANDLING, UNRESOLVABLE)


def next_statuses(status: str) -> tuple[str, ...]:
    """SH-2: the statuses a report in `status` may move to."""
    return TRANSITIONS.get(status, ())


def is_escalated(status: str) -> bool:
    """SH-2: a shortage that cannot be resolved is on the shortage list and escalated."""
    return status == UNRESOLVABLE


# -- SH-1 choices --------------------------------------------------------------

KINDS = ("complete", "partial")
KIND_LABELS = {"complete": "完全短缺（无法采购）", "partial": "部分短缺（供应不足）"}

# Causes as the 短缺药品信息直报 form groups them; `other` needs a detail.
CAUSES = (
    "production_stopped",
    "raw_material",
    "distribution",
    "low_price",
    "demand_surge",
    "not_listed",
    "other",
)
CAUSE_LABELS = {
    "production_stopped": "生产企业停产或减产",
    "raw_material": "原料药供应不足",
    "distribution": "配送企业未配送或配送不及时",
    "low_price": "价格低廉，企业生产或配送意愿低",
    "demand_surge": "临床需求短期激增",
    "not_listed": "未挂网或采购渠道不畅",
    "other": "其他原因",
}

SUBSTITUTE_KINDS = ("same_generic", "same_class", "other")
SUBSTITUTE_KIND_LABELS = {
    "same_generic": "同通用名其他规格或厂家",
    "same_class": "同类药品",
    "other": "其他",
}

# -- SH-3 levels ---------------------------------------------------------------

LEVELS = ("red", "orange", "yellow", "none")
LEVEL_LABELS = {"red": "红色预警", "orange": "橙色预警", "yellow": "黄色预警", "none": "无预警"}
SUBSTITUTABILITY = ("none", "partial", "full")
SUBSTITUTABILITY_LABELS = {
    "none": "无可替代药品",
    "partial": "有同类药品可部分替代",
    "full": "有同通用名产品可替代",
}

PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{5,18}[0-9]$")


@dataclass(frozen=True)
class Substitute:
    """One substitute named on a report: a catalogue product or free text.

    `kind` says how close it is (SUBSTITUTE_KINDS); `code` is empty for a
    substitute typed by hand.
    """

    name: str
    kind: str = "other"
    code: str = ""

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "kind": self.kind}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Substitute:
        kind = str(data.get("kind") or "other")
        return cls(str(data.get("name") or ""), kind if kind in SUBSTITUTE_KINDS else "other",
                   str(data.get("code") or ""))


@dataclass(frozen=True)
class Step:
    """SH-2: one dated status change and who made it."""

    from_status: str | None
    to_status: str
    at: str  # 'YYYY-MM-DD HH:MM:SS', local time
    by: str
    note: str = ""
    uuid: str = ""


@dataclass(frozen=True)
class ShortageReport:
    """A shortage report with every SH-1 field.

    `uuid` is empty until the report is first saved. `stock_on_hand` and
    `monthly_use` are None while not entered (a draft may be incomplete).
    """

    uuid: str = ""
    version: int = 0
    institution_code: str = ""
    product_code: str = ""
    generic_name: str = ""
    dosage_form: str = ""
    specification: str = ""
    manufacturer: str = ""
    start_date: dt.date | None = None
    stock_on_hand: float | None = None
    monthly_use: float | None = None
    kind: str = "partial"
    cause: str = ""
    cause_detail: str = ""
    clinical_impact: str = ""
    substitutes: tuple[Substitute, ...] = ()
    measures_taken: str = ""
    reporter: str = ""
    contact: str = ""
    liaison: str = ""
    liaison_contact: str = ""
    status: str = DRAFT
    signal: str = ""
    created_at: str = ""
    updated_at: str = ""
    steps: tuple[Step, ...] = field(default=(), compare=False)

    @property
    def days_of_cover(self) -> Fraction | None:
        return days_of_cover(self.stock_on_hand, self.monthly_use)

    @property
    def substitutability(self) -> str:
        return substitutability(self.substitutes)

    @property
    def escalated(self) -> bool:
        return is_escalated(self.status)

    @property
    def product_label(self) -> str:
        return " ".join(p for p in (self.generic_name, self.dosage_form, self.specification) if p)

    def with_changes(self, **changes: Any) -> ShortageReport:
        return replace(self, **changes)


@dataclass(frozen=True)
class Liaison:
    """SH-1: the institution's information liaison (信息联络员)."""

    name: str = ""
    phone: str = ""


def blank_report(
    institution_code: str, liaison: Liaison, start_date: dt.date | None = None
) -> ShortageReport:
    """An empty draft with the sensible defaults: the institution, the
    liaison as reporter and contact (SH-1), a partial shortage starting
    `start_date` (today, when the window starts one)."""
    return ShortageReport(
        institution_code=institution_code,
        reporter=liaison.name,
        contact=liaison.phone,
        liaison=liaison.name,
        liaison_contact=liaison.phone,
        start_date=start_date,
    )


@dataclass(frozen=True)
class FieldError:
    """A reason the report cannot be saved or reported, for one form field."""

    field: str
    message: str

    def __str__(self) -> str:
        return self.message


class ReportInvalid(ValueError):
    """Raised with every field error; nothing was written."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("；".join(e.message for e in self.errors))


class TransitionRefused(ValueError):
    """SH-2: the requested status change is not allowed from the current status."""


# -- computed figures ----------------------------------------------------------


def days_of_cover(stock: float | None, monthly_use: float | None) -> Fraction | None:
    """SH-1/SH-3: days the stock on hand lasts at the average monthly use.

    No stock means zero days whatever the use; with stock but no (or zero)
    use the cover cannot be judged and is None.
    """
    if stock is None:
        return None
    if stock <= 0:
        return Fraction(0)
    if monthly_use is None or monthly_use <= 0:
        return None
    return Fraction(stock).limit_denominator(10**6) * DAYS_PER_MONTH / Fraction(
        monthly_use
    ).limit_denominator(10**6)


def substitutability(substitutes: Iterable[Substitute]) -> str:
    """SH-3 input: 'full' when a same-通用名 product is named, 'partial' when
    only other drugs are, 'none' when no substitute is named.

    A same-通用名 product (another specification or manufacturer) gives the
    same molecule and route, so patients can be switched without a new
    prescription decision; a same-class drug needs one.
    """
    kinds = {s.kind for s in substitutes if s.name.strip()}
    if not kinds:
        return "none"
    if "same_generic" in kinds:
        return "full"
    return "partial"


def warning_level(cover: Fraction | None, subst: str, profile: Any) -> str:
    """SH-3 分级预警: a level from days of cover, shifted by substitutability.

    Base level: cover < sh_red_days → red, < sh_orange_days → orange,
    < sh_yellow_days → yellow, else none (the policy profile's thresholds;
    a boundary value belongs to the milder level: exactly 7 days is orange).

    Substitutability moves the base level by one step, because what a
    shortage costs patients depends on whether they can be switched:
    - 'none' (nothing can replace it) raises a yellow or orange level one
      step (yellow → orange → red); ample cover (none) stays none;
    - 'full' (a same-通用名 product is at hand) lowers one step
      (red → orange → yellow → none);
    - 'partial' (only a same-class drug) keeps the base level.
    Unknown cover (no use entered) is judged as none before the shift, so a
    report without figures never claims a level it cannot show.
    """
    if cover is None:
        base = "none"
    elif cover < int(profile["sh_red_days"]):
        base = "red"
    elif cover < int(profile["sh_orange_days"]):
        base = "orange"
    elif cover < int(profile["sh_yellow_days"]):
        base = "yellow"
    else:
        base = "none"
    order = ["red", "orange", "yellow", "none"]
    i = order.index(base)
    if subst == "none" and base != "none":
        i = max(0, i - 1)
    elif subst == "full":
        i = min(len(order) - 1, i + 1)
    return order[i]


def report_level(report: ShortageReport, profile: Any) -> str:
    """SH-3 level of a report; a resolved report carries none."""
    if report.status == RESOLVED:
        return "none"
    return warning_level(report.days_of_cover, report.substitutability, profile)


# -- validation ----------------------------------------------------------------

FIELD_LABELS = {
    "product_code": "产品编码",
    "generic_name": "通用名",
    "dosage_form": "剂型",
    "specification": "规格",
    "manufacturer": "生产企业",
    "start_date": "短缺开始日期",
    "stock_on_hand": "库存数量",
    "monthly_use": "月均用量",
    "kind": "短缺类型",
    "cause": "短缺原因",
    "cause_detail": "原因说明",
    "clinical_impact": "临床影响",
    "substitutes": "替代药品",
    "measures_taken": "已采取措施",
    "reporter": "填报人",
    "contact": "联系电话",
    "status": "状态",
}


def validate_report(report: ShortageReport, today: dt.date) -> list[FieldError]:
    """SH-1: every reason `report` cannot be reported, one per field, each
    naming the field. A draft may be saved with these open; a report moves
    on from draft only when the list is empty."""
    errors: list[FieldError] = []

    def need(name: str, value: str) -> None:
        if not value.strip():
            errors.append(FieldError(name, f"{FIELD_LABELS[name]}：必填"))

    for name in ("product_code", "generic_name", "dosage_form", "specification", "manufacturer"):
        need(name, getattr(report, name))
    if report.start_date is None:
        errors.append(FieldError("start_date", "短缺开始日期：必填"))
    elif report.start_date > today:
        errors.append(
            FieldError("start_date", f"短缺开始日期：不能晚于今天（{today.isoformat()}）")
        )
    elif report.start_date < dt.date(2000, 1, 1):
        errors.append(FieldError("start_date", "短缺开始日期：早于 2000-01-01，请核对"))
    if report.stock_on_hand is None:
        errors.append(FieldError("stock_on_hand", "库存数量：必填（没有库存填 0）"))
    elif report.stock_on_hand < 0:
        errors.append(FieldError("stock_on_hand", "库存数量：不能为负数"))
    if report.monthly_use is None:
        errors.append(FieldError("monthly_use", "月均用量：必填"))
    elif report.monthly_use <= 0:
        errors.append(FieldError("monthly_use", "月均用量：必须大于 0"))
    if report.kind not in KINDS:
        errors.append(FieldError("kind", "短缺类型：请选择完全短缺或部分短缺"))
    if report.cause not in CAUSES:
        errors.append(FieldError("cause", "短缺原因：请选择"))
    elif report.cause == "other" and not report.cause_detail.strip():
        errors.append(FieldError("cause_detail", "原因说明：选择“其他原因”时必填"))
    need("clinical_impact", report.clinical_impact)
    for i, sub in enumerate(report.substitutes, 1):
        if not sub.name.strip():
            errors.append(FieldError("substitutes", f"替代药品：第 {i} 项没有名称"))
    need("measures_taken", report.measures_taken)
    need("reporter", report.reporter)
    if not report.contact.strip():
        errors.append(FieldError("contact", "联系电话：必填"))
    elif not PHONE_RE.match(report.contact.strip()):
        errors.append(
            FieldError("contact", f"联系电话：“{report.contact.strip()}”不是电话号码（7–20 位数字）")
        )
    if report.status not in STATUSES:
        errors.append(FieldError("status", f"状态：未知状态 {report.status!r}"))
    return errors
