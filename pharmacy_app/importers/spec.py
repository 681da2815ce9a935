"""Field specs per kind: canonical headers, aliases, required columns (FORMATS.md).

Exports from the provincial platform and from hospital systems head the same
column differently, so every field has a canonical Chinese header and a list
of aliases. Headers are compared after `normalise_header`, which forgives
spaces, line breaks, full-width characters, `*` required markers and a unit in
brackets (`单价（元）`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pharmacy_app.parsing import to_halfwidth

from .result import ImportFailed

HEADER_SCAN_ROWS = 10


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    @property
    def names(self) -> frozenset[str]:
        return frozenset(normalise_header(h) for h in (self.label, *self.aliases))


@dataclass(frozen=True)
class KindSpec:
    kind: str
    title: str
    fields: tuple[FieldSpec, ...]
    # Groups of fields of which at least one column must be present.
    one_of: tuple[tuple[str, ...], ...] = field(default=())

    @property
    def labels(self) -> dict[str, str]:
        return {f.name: f.label for f in self.fields}

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


_BRACKETS_RE = re.compile(r"\(.*?\)|\[.*?\]|【.*?】|〔.*?〕")
_SPACE_RE = re.compile(r"\s+")


def normalise_header(text: object) -> str:
    """`单价（元）` → `单价`, `药品\\n编码` → `药品编码`, `*订单号` → `订单号`."""
    t = to_halfwidth("" if text is None else str(text))
    t = _SPACE_RE.sub("", t)
    t = _BRACKETS_RE.sub("", t)
    return t.strip("*:#").lower()


F = FieldSpec

CATALOGUE = KindSpec(
    "catalogue",
    "采购目录",
    (
        F(
            "code",
            "药品编码",
            ("医保编码", "国家医保药品编码", "耗材编码", "产品编码", "国家医保耗材编码"),
            True,
        ),
        F("generic_name", "通用名", ("药品通用名", "通用名称", "产品名称"), True),
        F("dosage_form", "剂型"),
        F("specification", "规格"),
        F("package", "包装", ("包装规格",)),
        F("conversion", "转换比", ("包装数量", "最小单位数")),
        F("manufacturer", "生产企业", ("生产厂家", "厂家")),
        F("is_essential", "基药", ("是否基药", "国家基本药物")),
        F("is_vbp", "集采", ("是否集采", "集采中选")),
        F("vbp_batch", "集采批次", ("批次",)),
        F("consistency", "过评", ("一致性评价", "通过一致性评价")),
        F("originator", "原研", ("是否原研",)),
        F("negotiated", "国谈", ("国家谈判",)),
        F("price", "单价", ("采购价", "挂网价")),
        F("status", "状态", ("使用状态",)),
        F("kind", "类别", ("药品类别",)),
        F("udi", "UDI", ("医疗器械唯一标识",)),
    ),
    one_of=(("conversion", "package"),),
)

ESSENTIAL_LIST = KindSpec(
    "essential-list",
    "基本药物目录",
    (
        F("seq", "序号", ("编号",)),
        F("generic_name", "通用名", ("品种名称", "药品通用名", "药品名称"), True),
        F("dosage_form", "剂型", (), True),
        F("specification", "规格"),
        F("category", "类别", ("药品类别", "药品类型", "分类")),
    ),
)

AGREEMENTS = KindSpec(
    "agreements",
    "约定采购量",
    (
        F("institution", "机构编码", ("医疗机构编码",)),
        F("batch", "集采批次", ("批次",), True),
        F("generic", "通用名", ("品种名称",), True),
        F("selected_codes", "中选产品编码", ("中选药品编码",), True),
        F("backup_codes", "备供产品编码", ("备供药品编码",)),
        F("substitute_codes", "可替代药品编码", ("可替代产品编码",)),
        F("selected_price", "中选价", ("中选价格(最小单位)", "中选价格"), True),
        F("agreed_qty", "约定采购量", ("约定量",), True),
        F("last_year_qty", "上年用量", ("上年度采购量",)),
        F("start", "执行开始", ("开始日期",), True),
        F("end", "执行结束", ("结束日期",), True),
    ),
)

PURCHASES = KindSpec(
    "purchases",
    "采购明细",
    (
        F("order_id", "订单号", ("订单编号",), True),
        F("line_no", "行号", ("明细号",), True),
        F("institution", "机构编码", ("医疗机构编码",)),
        F("code", "药品编码", ("医保编码", "产品编码"), True),
        F("qty", "数量", ("采购数量",), True),
        F("price", "单价", ("采购价",)),
        F("amount", "金额", ("采购金额",)),
        F("ordered_at", "下单时间", ("订单时间",), True),
        F("responded_at", "响应时间", ("确认时间",)),
        F("delivered_at", "配送时间", ("到货时间",)),
        F("supplier", "配送企业", ("配送商",)),
        F("channel", "采购方式", ("线上/线下",)),
    ),
    one_of=(("price", "amount"),),
)

PAYMENTS = KindSpec(
    "payments",
    "回款",
    (
        F("order_id", "订单号", ("订单编号",), True),
        F("line_no", "行号", ("明细号",)),
        F("amount", "付款金额", ("回款金额", "支付金额", "金额"), True),
        F("paid_on", "付款日期", ("回款日期", "支付日期", "付款时间"), True),
    ),
)

SPECS: dict[str, KindSpec] = {
    s.kind: s for s in (CATALOGUE, ESSENTIAL_LIST, AGREEMENTS, PURCHASES, PAYMENTS)
}


def get_spec(kind: str) -> KindSpec:
    try:
        return SPECS[kind]
    except KeyError:
        raise ValueError(f"未知的导入类型：{kind!r}（可用：{'、'.join(SPECS)}）") from None


def header_score(spec: KindSpec, cells: Sequence[str]) -> int:
    """How many of the kind's fields a row of cells would head."""
    found = {normalise_header(c) for c in cells if str(c).strip()}
    return sum(1 for f in spec.fields if f.names & found)


def find_header_row(spec: KindSpec, rows: Sequence[Sequence[str]]) -> int:
    """Index of the header row among the first rows: the one naming most fields.

    Title rows above it ("2026年3月采购明细") name none and are skipped. With no
    row naming any field, the first non-empty row is taken as the header so the
    error can say which columns are missing.
    """
    best, best_score = None, 0
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = header_score(spec, row)
        if score > best_score:
            best, best_score = i, score
    if best is not None:
        return best
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        if any(str(c).strip() for c in row):
            return i
    return 0


def auto_mapping(spec: KindSpec, headers: Sequence[str]) -> dict[str, int]:
    """field → column index, first matching column wins."""
    normalised = [normalise_header(h) for h in headers]
    used: set[int] = set()
    mapping: dict[str, int] = {}
    for f in spec.fields:
        names = f.names
        for i, h in enumerate(normalised):
            if i not in used and h in names:
                mapping[f.name] = i
                used.add(i)
                break
    return mapping


def resolve_mapping(
    spec: KindSpec,
    headers: Sequence[str],
    overrides: dict[str, str | None] | None,
    file_name: str,
) -> dict[str, int]:
    """Auto-detected mapping with the user's overrides applied (field → header text).

    An override of None or '' unmaps the field. An override naming a header
    the file does not have is an ImportFailed: guessing would import the wrong
    column silently.
    """
    mapping = auto_mapping(spec, headers)
    if not overrides:
        return mapping
    known = {f.name for f in spec.fields}
    normalised = [normalise_header(h) for h in headers]
    for field_name, header in overrides.items():
        if field_name not in known:
            raise ImportFailed(f"{file_name}：映射中的字段「{field_name}」不属于{spec.title}")
        if header is None or str(header).strip() == "":
            mapping.pop(field_name, None)
            continue
        if header in headers:
            index = list(headers).index(header)
        elif normalise_header(header) in normalised:
            index = normalised.index(normalise_header(header))
        else:
            raise ImportFailed(f"{file_name}：映射中的列「{header}」在文件中不存在")
        for other, i in list(mapping.items()):
            if i == index and other != field_name and other not in overrides:
                del mapping[other]
        mapping[field_name] = index
    return mapping


def missing_required(spec: KindSpec, mapping: dict[str, int]) -> list[str]:
    """Required fields without a column; a one-of group is named by its first field."""
    missing = [name for name in spec.required if name not in mapping]
    for group in spec.one_of:
        if not any(name in mapping for name in group):
            missing.append(group[0])
    return missing


def describe_missing(spec: KindSpec, missing: Sequence[str]) -> str:
    labels = spec.labels
    parts = []
    for name in missing:
        group = next((g for g in spec.one_of if g[0] == name), None)
        if group:
            parts.append("」或「".join(labels[g] for g in group))
        else:
            parts.append(labels[name])
    return "、".join(f"「{p}」" for p in parts)
