"""Insurance payment standards of VBP 通用名: PS-1, PS-2, PS-3, PS-4 (RULES.md; seed 000 §4.7).

Seed 000 §(七): for the drugs of a VBP 通用名 the selected price is the
payment standard; a non-selected originator, reference or consistency-
evaluated (过评) product priced within 2× the selected price (2× included,
"2倍以内（含2倍）") gets the selected price; one priced above 2× steps down
over three years — the year the policy starts 30% below its own price, the
second year another 30% of its price lower, the third year the selected
price; one cheaper than the selected price is paid at its own price. Generics
without consistency evaluation get no transition: min(own price, selected
price). The patient pays whatever the price exceeds the standard (PS-3).

Definitions used here, and why:

* S = the selected price per smallest unit (中选价, agreements.selected_price,
  FORMATS.md) of the 通用名's agreement in force on the as-of date (else the
  latest one started before it, else the first one to come). One row per
  (batch, 通用名): several procurement years of one batch are one policy.
* P = the product's price per smallest unit = catalogue price per package ÷
  conversion factor (FORMATS.md: `price` is per package, `conversion` the
  smallest units per package). Products without a catalogue price have no P
  and cannot be given a standard: they are listed in `missing_price`, never
  given a made-up price.
* Policy year: year 1 starts on the earliest start date of the batch's
  agreements for that 通用名 (the day the policy took effect there); year 2 a
  year later; year 3 and every year after are year 3 (the selected price).
  Before that start the standard is not in force yet: `in_force` is False and
  the year-1 figures are shown.
* Gradient (PS-1, P > m·S with m = ps_gradient_multiple): year 1 =
  ps_year1_ratio·P, year 2 = year 1 − ps_year_step·P, year 3 = S; a step is
  never below S ("never goes below S", RULES.md). P exactly m·S is within the
  multiple and gets S.
* The selected product itself is judged by PS-1 like any 过评 product (its
  catalogue price normally equals S; if the catalogue price is lower, that is
  the standard).
* "Reference" products (参比制剂) have no catalogue flag; the originator flag
  (原研) is how the catalogue marks them, so originator covers both.
* PS-4 consumables: the catalogue has no separate negotiated-price column, so
  the category standard is the selected (negotiated / alliance-volume) price of
  the consumable's own agreement — a VBP consumable agreement names its
  category (e.g. 一次性使用输液器) as the 通用名. Products of the category are
  the consumables with that name (or named in the agreement). Consumables
  without an agreement have no standard here.
* Specifications: S is per smallest unit of the selected 品规 and RULES.md
  compares per smallest unit, so another specification of the 通用名 (0.5g
  beside a selected 0.25g) is judged on its unit price as it is; 差比价
  (price ratios between specifications) is no rule here. Such rows carry
  `spec_differs` so the page and the report can point them out.
* Exactness: comparisons use Fractions, so the 2× boundary is exact; results
  are Decimals rounded half up — prices per smallest unit to 4 places (S is
  returned as stored), the patient's extra cost per package to the fen.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from pharmacy_app.essential_match import normalise_name, product_candidates, spec_key
from pharmacy_app.policy import PolicyProfile, active_profile

UNIT = Decimal("0.0001")
FEN = Decimal("0.01")
KINDS = ("selected", "originator", "evaluated", "not_evaluated", "consumable")
KIND_LABELS = {
    "selected": "中选产品",
    "originator": "原研/参比",
    "evaluated": "过评仿制药",
    "not_evaluated": "未过评仿制药",
    "consumable": "耗材",
}
RULE_LABELS = {
    "PS-1": "原研、参比、过评：2倍以内按中选价，超2倍三年梯度",
    "PS-2": "未过评：取实际价与中选价低者，无过渡期",
    "PS-4": "耗材：按谈判/联盟价",
}


class StandardsError(ValueError):
    """An export request that cannot be done as asked (nothing written)."""


# ---------------------------------------------------------------------------
# The rule itself, on plain numbers (tests pin its boundaries here)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Gradient:
    """Standards for policy years 1, 2, 3 (per smallest unit, exact)."""

    year1: Fraction
    year2: Fraction
    year3: Fraction

    def for_year(self, year: int) -> Fraction:
        return (self.year1, self.year2, self.year3)[min(max(year, 1), 3) - 1]


def ps1_gradient(p: Fraction, s: Fraction, multiple: Fraction, year1_ratio: Fraction,
                 step: Fraction) -> Gradient:
    """PS-1: originator, reference and 过评 products.

    P < S → P every year; S ≤ P ≤ multiple·S → S (the 2× line included,
    seed 000 "含2倍"); P > multiple·S → year 1 = ratio·P, year 2 = year 1 −
    step·P, year 3 = S, no step below S.
    """
    if p < s:
        return Gradient(p, p, p)
    if p <= multiple * s:
        return Gradient(s, s, s)
    year1 = max(s, year1_ratio * p)
    year2 = max(s, year1 - step * p)
    return Gradient(year1, year2, s)


def ps2_standard(p: Fraction, s: Fraction) -> Gradient:
    """PS-2: generics without consistency evaluation, no transition: min(P, S)."""
    value = min(p, s)
    return Gradient(value, value, value)


def ps4_standard(s: Fraction) -> Gradient:
    """PS-4: the consumable category's negotiated / alliance price, every year."""
    return Gradient(s, s, s)


def patient_extra(p: Fraction, standard: Fraction) -> Fraction:
    """PS-3 (and PS-4): what the patient pays above the standard, per smallest unit."""
    return max(Fraction(0), p - standard)


def policy_year(start: dt.date, as_of: dt.date) -> int:
    """1, 2 or 3: whole years since `start` (year 3 and later are all year 3)."""
    years = as_of.year - start.year - ((as_of.month, as_of.day) < (start.month, start.day))
    return min(max(years, 0), 2) + 1


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------
def _fraction(text: object) -> Fraction | None:
    if text is None or str(text).strip() == "":
        return None
    try:
        return Fraction(Decimal(str(text).strip()))
    except (InvalidOperation, ValueError):
        return None


def _dec(value: Fraction, quantum: Decimal = UNIT) -> Decimal:
    """Exact fraction → Decimal rounded half up to `quantum`."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        quantum, rounding=ROUND_HALF_UP)


@dataclass
class _Policy:
    """One (batch, 通用名): its agreement in force and the policy start."""

    batch: str
    generic: str
    selected_price_text: str
    selected_price: Fraction
    start: dt.date
    agreement_id: int
    codes: dict[str, str] = field(default_factory=dict)  # code → role


def _policies(conn: sqlite3.Connection, institution_code: str | None,
              as_of: dt.date) -> list[_Policy]:
    where, params = ("WHERE institution_code = ?", (institution_code,)) if institution_code else ("", ())
    rows = conn.execute(
        f"""SELECT id, batch, generic, selected_price, start_date, end_date
            FROM agreements {where} ORDER BY batch, generic, start_date, id""",
        params,
    ).fetchall()
    groups: dict[tuple[str, str], list[tuple]] = {}
    for row in rows:
        groups.setdefault((row[1], row[2]), []).append(row)
    day = as_of.isoformat()
    result = []
    for (batch, generic), group in groups.items():
        in_force = [r for r in group if r[4][:10] <= day <= r[5][:10]]
        started = [r for r in group if r[4][:10] <= day]
        chosen = (in_force or started or group)[-1 if (in_force or started) else 0]
        price = _fraction(chosen[3])
        if price is None:
            continue
        start = min(dt.date.fromisoformat(r[4][:10]) for r in group)
        result.append(_Policy(batch, generic, str(chosen[3]).strip(), price, start, chosen[0]))
    if result:
        # Products named by any agreement of the group; the chosen agreement's
        # roles win over older years' (a product selected last year may be a
        # backup this year). Substitutes are other 通用名 (AV-6), not listed.
        by_group = {(p.batch, p.generic): p for p in result}
        members = {r[0]: by_group.get((r[1], r[2])) for r in rows}
        ranks: dict[tuple[int, str], tuple[bool, bool]] = {}
        for agreement_id, code, role in conn.execute(
            "SELECT agreement_id, code, role FROM agreement_products ORDER BY id"
        ):
            policy = members.get(agreement_id)
            if policy is None or role == "substitute":
                continue
            rank = (agreement_id == policy.agreement_id, role == "selected")
            if code not in policy.codes or rank > ranks[(id(policy), code)]:
                policy.codes[code] = role
                ranks[(id(policy), code)] = rank
    return result


def _keys(generic: str) -> frozenset[tuple[str, str]]:
    from pharmacy_app.indicators.agreements import agreement_keys

    return agreement_keys(generic)


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class StandardsTable:
    """Every product row (the contract dicts) plus what could not be priced."""

    as_of: dt.date
    profile: str
    rows: list[dict[str, Any]]
    missing_price: list[dict[str, str]]


def payment_standards_table(conn: sqlite3.Connection, as_of: dt.date,
                            profile: PolicyProfile | None = None) -> StandardsTable:
    """PS-1…PS-4 for every product of every VBP 通用名 of the current institution.

    Agreements of the current institution (all agreements when no institution
    is set). Rows sorted by batch, 通用名, kind, code.
    """
    from pharmacy_app.institutions import current_institution

    profile = profile or active_profile(conn)
    inst = current_institution(conn)
    policies = _policies(conn, inst.code if inst else None, as_of)
    if not policies:
        return StandardsTable(as_of, profile.label, [], [])
    multiple = Fraction(str(profile["ps_gradient_multiple"]))
    ratio = Fraction(str(profile["ps_year1_ratio"]))
    step = Fraction(str(profile["ps_year_step"]))

    drug_keys: dict[tuple[str, str], list[_Policy]] = {}
    consumable_names: dict[str, list[_Policy]] = {}
    named: dict[str, list[_Policy]] = {}
    for policy in policies:
        for key in _keys(policy.generic):
            drug_keys.setdefault(key, []).append(policy)
        consumable_names.setdefault(normalise_name(policy.generic), []).append(policy)
        for code in policy.codes:
            named.setdefault(code, []).append(policy)

    rows: list[dict[str, Any]] = []
    missing: list[dict[str, str]] = []
    seen: set[tuple[int, str]] = set()
    # A large catalogue is narrowed in SQL first: normalisation never changes
    # ideographs, so a name starting with two ideographs that start no wanted
    # name cannot match (the same test indicators.agreements uses); anything
    # else (注射用…, Latin letters, full-width text) is read and normalised.
    heads = sorted({n[:2] for n, _f in drug_keys} | {n[:2] for n in consumable_names})
    for (code, kind, name, form, spec, package, conversion, maker, consistency, originator,
         price, active) in conn.execute(
        """SELECT code, kind, generic_name, dosage_form, specification, package, conversion,
                  manufacturer, consistency, originator, price, active
           FROM products
           WHERE code IN (SELECT value FROM json_each(:named))
              OR substr(generic_name, 1, 2) IN (SELECT value FROM json_each(:heads))
              OR substr(generic_name, 1, 2) = '注射'
              OR length(generic_name) < 2
              OR unicode(generic_name) NOT BETWEEN 19968 AND 40959
              OR unicode(substr(generic_name, 2, 1)) NOT BETWEEN 19968 AND 40959
           ORDER BY code""",
        {"named": json.dumps(sorted(named)),
         "heads": json.dumps(heads, ensure_ascii=False)},
    ):
        owners = list(named.get(code, ()))
        if active:
            if kind == "drug":
                for key in product_candidates(name, form or ""):
                    owners.extend(drug_keys.get(key, ()))
            else:
                owners.extend(consumable_names.get(normalise_name(name), ()))
        for policy in owners:
            if (id(policy), code) in seen:
                continue
            seen.add((id(policy), code))
            p_pkg = _fraction(price)
            conv = int(conversion or 1)
            if p_pkg is None:
                missing.append({"batch": policy.batch, "generic": policy.generic, "code": code,
                                "name": name, "manufacturer": maker or ""})
                continue
            p = p_pkg / conv
            s = policy.selected_price
            role = policy.codes.get(code)
            if kind == "consumable":
                product_kind, rule, grad = "consumable", "PS-4", ps4_standard(s)
            else:
                if role == "selected":
                    product_kind = "selected"
                elif originator:
                    product_kind = "originator"
                elif consistency:
                    product_kind = "evaluated"
                else:
                    product_kind = "not_evaluated"
                if product_kind == "not_evaluated":
                    rule, grad = "PS-2", ps2_standard(p, s)
                else:
                    rule, grad = "PS-1", ps1_gradient(p, s, multiple, ratio, step)
            year = policy_year(policy.start, as_of)
            standard = grad.for_year(year)
            rows.append({
                "batch": policy.batch,
                "generic": policy.generic,
                "code": code,
                "name": name,
                "form": form or "",
                "spec": spec or "",
                "manufacturer": maker or "",
                "kind": product_kind,
                "rule": rule,
                "selected_price": Decimal(policy.selected_price_text),
                "price": _dec(p),
                "year1": _dec(grad.year1),
                "year2": _dec(grad.year2),
                "year3": _dec(grad.year3),
                "policy_year": year,
                "standard": _dec(standard),
                "patient_extra_per_package": _dec(patient_extra(p, standard) * conv, FEN),
                # extra keys
                "package": package or "",
                "conversion": conv,
                "package_price": _dec(p_pkg, FEN),
                "role": role or "non_selected",
                "policy_start": policy.start.isoformat(),
                "in_force": as_of >= policy.start,
                "gradient": rule == "PS-1" and p > multiple * s,
                "active": bool(active),
                "_spec": spec_key(name, form or "", spec),
            })
    # The selected price is per smallest unit of the selected 品规; another
    # specification (0.5g vs 0.25g) is compared per unit all the same (RULES.md
    # PS: "per smallest unit"; 差比价 is not a rule here), so such rows are flagged.
    selected_specs: dict[tuple[str, str], set[tuple[str, str, str]]] = {}
    for r in rows:
        if r["role"] == "selected":
            selected_specs.setdefault((r["batch"], r["generic"]), set()).add(r["_spec"])
    for r in rows:
        specs = selected_specs.get((r["batch"], r["generic"]))
        r["spec_differs"] = bool(specs) and r.pop("_spec") not in specs
        r.pop("_spec", None)
    order = {k: i for i, k in enumerate(KINDS)}
    rows.sort(key=lambda r: (r["batch"], r["generic"], order[r["kind"]], r["code"]))
    return StandardsTable(as_of, profile.label, rows, missing)


def compute_payment_standards(conn: sqlite3.Connection, as_of: dt.date) -> list[dict[str, Any]]:
    """PS-1…PS-4, one dict per priced product of every VBP 通用名 (see the module docstring)."""
    return payment_standards_table(conn, as_of).rows


# ---------------------------------------------------------------------------
# Filtering, JSON and export (shared by the page and the command line)
# ---------------------------------------------------------------------------
def filter_rows(rows: Sequence[dict[str, Any]], text: str = "", kind: str = "",
                only_extra: bool = False) -> list[dict[str, Any]]:
    """Rows whose 通用名, name, code, maker or batch contains `text` (case-insensitive)."""
    needle = text.strip().lower()
    out = []
    for r in rows:
        if kind and r["kind"] != kind:
            continue
        if only_extra and r["patient_extra_per_package"] <= 0:
            continue
        if needle and not any(needle in str(r[k]).lower()
                              for k in ("generic", "name", "code", "manufacturer", "batch")):
            continue
        out.append(r)
    return out


def rows_to_json(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Decimals as strings (exact), everything else as is."""
    return [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in r.items()} for r in rows]


EXPORT_HEADERS = (
    ("batch", "集采批次"), ("generic", "通用名"), ("code", "药品编码"), ("name", "产品名称"),
    ("form", "剂型"), ("spec", "规格"), ("package", "包装"), ("manufacturer", "生产企业"),
    ("kind", "类别"), ("rule", "规则"), ("selected_price", "中选价(元/最小单位)"),
    ("price", "产品价(元/最小单位)"), ("year1", "第一年支付标准"), ("year2", "第二年支付标准"),
    ("year3", "第三年支付标准"), ("policy_year", "当前政策年度"), ("standard", "现行支付标准"),
    ("patient_extra_per_package", "患者每包装自付差额(元)"),
)


def export_xlsx(table: StandardsTable, rows: Sequence[dict[str, Any]], out: Path,
                institution: str = "") -> Path:
    """Write `rows` as an xlsx (sheet 支付标准 + 说明), atomically (temp file, then rename)."""
    import xlsxwriter

    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise StandardsError(f"{out}: 输出文件必须是 .xlsx")
    if not out.parent.exists():
        raise StandardsError(f"{out.parent}: 文件夹不存在")
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=out.parent)
    os.close(fd)
    try:
        book = xlsxwriter.Workbook(tmp)
        sheet = book.add_worksheet("支付标准")
        bold = book.add_format({"bold": True})
        money4 = book.add_format({"num_format": "0.0000"})
        money2 = book.add_format({"num_format": "0.00"})
        for col, (_key, header) in enumerate(EXPORT_HEADERS):
            sheet.write(0, col, header, bold)
        for r, row in enumerate(rows, 1):
            for col, (key, _header) in enumerate(EXPORT_HEADERS):
                value = row[key]
                if key == "kind":
                    sheet.write_string(r, col, KIND_LABELS[value])
                elif key == "patient_extra_per_package":
                    sheet.write_number(r, col, float(value), money2)
                elif isinstance(value, Decimal):
                    sheet.write_number(r, col, float(value), money4)
                elif isinstance(value, int):
                    sheet.write_number(r, col, value)
                else:
                    sheet.write_string(r, col, str(value))
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(rows), 1), len(EXPORT_HEADERS) - 1)
        notes = book.add_worksheet("说明")
        lines = [
            ("机构", institution), ("截至日期", table.as_of.isoformat()),
            ("政策参数方案", table.profile), ("产品数", str(len(rows))),
            ("PS-1", "原研、参比制剂、过评仿制药：价格≤中选价2倍按中选价；超过2倍第一年原价下调30%，"
                     "第二年再下调原价30%，第三年按中选价，且不低于中选价；低于中选价按实际价格"),
            ("PS-2", "未过评仿制药：不设过渡期，取实际价格与中选价的低者"),
            ("PS-3", "患者自付超出支付标准的部分（按每包装计）"),
            ("PS-4", "耗材：按该类别的谈判/联盟采购价"),
            ("未定价产品", str(len(table.missing_price))),
        ]
        for r, (k, v) in enumerate(lines):
            notes.write_string(r, 0, k, bold)
            notes.write_string(r, 1, v)
        book.close()
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return out
