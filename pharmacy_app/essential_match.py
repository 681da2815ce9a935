"""Matching catalogue products to essential-medicines list entries (ED-2).

RULES.md ED-2 counts the list entries (variety × 剂型 × 规格) that at least
one active catalogue product equips; FORMATS.md says an entry is matched by a
product "with the same normalised 通用名 and 剂型 (and 规格 where the entry has
one)". Catalogues and the list spell the same thing many ways (片 / 片剂,
0.25g / 250mg, `1ml ∶0.5mg`, 阿莫西林胶囊 / 阿莫西林 + 胶囊, 注射用头孢曲松钠 +
注射剂), so "normalised" is defined here, once, and used by the list
converter, ED-1 品规 counting and ED-2 matching alike.

Salt and ester variants (盐酸二甲双胍 vs 二甲双胍) are NOT merged silently: a
different salt can be a different 品规. They are offered as suggestions the
user confirms once; confirmed pairs live in `name_mappings` (migration 0002)
and matching reads them.

Everything here is pure Python on strings, cached, so that matching 100,000
products against ~2,000 entries is a handful of dict lookups per product.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import chain
from operator import attrgetter, itemgetter

from db import transaction

# ---------------------------------------------------------------------------
# Dosage forms: the ONE synonym table.
#
# Key = canonical form used in match keys; value = spellings that mean the
# same for ED-2 matching. Decisions (see resources/reference/README.md):
# * 片剂 lumps plain and coated tablets (薄膜衣片, 糖衣片): the list's 片剂 does.
#   Modified-release and special tablets stay distinct (分散片, 缓释片, 肠溶片,
#   咀嚼片, 口崩片, 泡腾片 …) because the list names them as separate forms.
# * 胶囊 = 胶囊剂 = 硬胶囊; 软胶囊 (= 胶丸), 肠溶胶囊 and 缓释胶囊 stay distinct:
#   the list names them separately (e.g. 丁苯酞 软胶囊, 桉柠蒎 肠溶胶囊).
# * 注射液 = 注射剂 = 针剂 (solutions). Hospital catalogues often write 注射剂
#   for every injectable; a product named 注射用… is read as a powder (see
#   `product_candidates`). 乳状注射液 and 注射用浓溶液 are lumped with 注射液:
#   catalogues rarely tell them apart and no variety has both with one 规格.
# * 注射用无菌粉末 = 粉针剂 = 注射用粉末 = 冻干粉针 …
# * 合剂 = 口服液 = 口服溶液剂: 口服液 is written for both (中成药 合剂 and
#   西药 口服溶液), and no list variety has both forms.
# * 丸剂 covers 水丸/蜜丸/浓缩丸…, as the list's 中成药 丸剂 does; 滴丸剂 stays
#   distinct.
# * 氯化钠注射液 / 葡萄糖注射液 (a drug in an infusion vehicle, e.g. 左氧氟沙星
#   氯化钠注射液) are forms of their own: the list names them beside 注射液.
# ---------------------------------------------------------------------------
FORM_SYNONYMS: dict[str, tuple[str, ...]] = {
    "片剂": ("片", "素片", "普通片", "薄膜衣片", "糖衣片", "包衣片", "薄膜包衣片"),
    "分散片": ("分散片剂",),
    "缓释片": ("缓释片剂", "缓释薄膜衣片"),
    "控释片": ("控释片剂",),
    "肠溶片": ("肠溶片剂", "肠溶衣片", "肠溶薄膜衣片"),
    "肠溶缓释片": ("肠溶缓释片剂",),
    "咀嚼片": ("咀嚼片剂",),
    "口崩片": ("口腔崩解片", "口崩片剂"),
    "泡腾片": ("泡腾片剂",),
    "舌下片": ("舌下片剂",),
    "含片": ("含片剂",),
    "阴道片": ("阴道片剂",),
    "阴道泡腾片": (),
    "胶囊": ("胶囊剂", "硬胶囊", "硬胶囊剂"),
    "软胶囊": ("软胶囊剂", "胶丸"),
    "肠溶胶囊": ("肠溶胶囊剂", "肠溶硬胶囊"),
    "缓释胶囊": ("缓释胶囊剂",),
    "阴道软胶囊": (),
    "颗粒剂": ("颗粒", "冲剂"),
    "缓释颗粒": ("缓释颗粒剂",),
    "干混悬剂": ("干混悬",),
    "肠溶干混悬剂": (),
    "混悬液": ("混悬剂", "口服混悬液", "口服混悬剂"),
    "口服溶液剂": ("口服溶液", "口服液", "合剂", "口服液体剂"),
    "糖浆剂": ("糖浆",),
    "滴剂": ("口服滴剂",),
    "散剂": ("散",),
    "粉剂": (),
    "丸剂": ("丸", "水丸", "蜜丸", "大蜜丸", "小蜜丸", "水蜜丸", "浓缩丸", "糊丸", "蜡丸", "微丸"),
    "滴丸剂": ("滴丸",),
    "注射液": (
        "注射剂",
        "针剂",
        "水针",
        "水针剂",
        "小容量注射液",
        "大容量注射液",
        "小容量注射剂",
        "大容量注射剂",
        "输液",
        "乳状注射液",
        "注射乳剂",
        "注射用浓溶液",
    ),
    "注射用无菌粉末": (
        "粉针剂",
        "粉针",
        "注射用粉末",
        "注射用粉针",
        "注射用冻干粉末",
        "注射用冻干粉",
        "冻干粉针",
        "冻干粉针剂",
        "冻干粉",
        "无菌粉末",
    ),
    "注射用脂质体": ("脂质体注射剂",),
    "氯化钠注射液": (),
    "葡萄糖注射液": (),
    "眼用注射液": (),
    "软膏剂": ("软膏",),
    "乳膏剂": ("乳膏",),
    "眼膏剂": ("眼膏",),
    "凝胶剂": ("凝胶",),
    "眼用凝胶": ("眼用凝胶剂",),
    "滴眼剂": ("滴眼液",),
    "滴耳剂": ("滴耳液",),
    "滴鼻剂": ("滴鼻液",),
    "喷雾剂": ("鼻喷雾剂", "鼻用喷雾剂"),
    "气雾剂": ("吸入气雾剂",),
    "吸入粉雾剂": ("粉雾剂", "吸入粉剂"),
    "吸入溶液剂": ("吸入用溶液", "吸入溶液", "吸入液"),
    "吸入用混悬液": ("雾化吸入用混悬液", "混悬吸入剂"),
    "栓剂": ("栓",),
    "贴剂": ("透皮贴剂",),
    "贴膏剂": ("贴膏", "橡胶膏剂", "巴布膏剂"),
    "膏药": (),
    "煎膏剂": ("膏滋", "煎膏"),
    "酊剂": ("酊",),
    "酒剂": ("酒",),
    "涂剂": (),
    "洗剂": (),
    "溶液剂": ("外用溶液剂", "外用溶液"),
    "胶浆剂": (),
    "灌肠剂": ("灌肠液",),
    "口溶膜": ("口腔溶解膜",),
    "糖浆组合包装": (),
}

# Words that may END a product name for a form (阿莫西林胶囊, 藿香正气水,
# 生脉饮, 四磨汤口服液): strip_form_suffix removes them so the name alone is
# compared. Only the suffixes of the product's own form are stripped, so
# 硝酸甘油 (片剂) keeps its 油 and 风湿液 (酒剂) keeps its 液.
EXTRA_NAME_SUFFIXES: dict[str, tuple[str, ...]] = {
    "口服溶液剂": ("饮", "液"),
    "溶液剂": ("液",),
    "酊剂": ("水",),
    "糖浆剂": ("露",),
    "煎膏剂": ("膏",),
    "软膏剂": ("膏",),
    "贴膏剂": ("膏",),
    "注射用脂质体": ("脂质体",),
}

# Trailing bracketed descriptors that do not change the variety (注射用血栓通(冻干)).
NAME_DESCRIPTORS = frozenset({"冻干", "冻干粉", "冻干粉针", "粉针", "蜜炼"})

# Class-level entries of the 2026 list (注释 1–8): they name a group of drugs,
# not a 通用名, so no product matches them by name; a confirmed name mapping
# (e.g. 异烟肼 → 结核病用药) is the only way to equip one.
CLASS_LEVEL_NAMES = frozenset(
    {
        "结核病用药",
        "艾滋病用药",
        "青蒿素类药物",
        "血友病用药",
        "抗蛇毒血清",
        "国家免疫规划用疫苗",
        "避孕药",
    }
)

_FORM_CANON: dict[str, str] = {}
for _canon, _syns in FORM_SYNONYMS.items():
    for _s in (_canon, *_syns):
        _FORM_CANON[_s] = _canon

_NAME_SUFFIXES: dict[str, tuple[str, ...]] = {
    canon: tuple(sorted({canon, *syns, *EXTRA_NAME_SUFFIXES.get(canon, ())}, key=len, reverse=True))
    for canon, syns in FORM_SYNONYMS.items()
}
# Every known name suffix, longest first (the list converter uses it to spot forms).
ALL_FORM_WORDS: tuple[str, ...] = tuple(sorted(_FORM_CANON, key=len, reverse=True))

_BRACKETS = str.maketrans({"【": "[", "】": "]", "〔": "[", "〕": "]", "〈": "(", "〉": ")"})


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------
@lru_cache(maxsize=200_000)
def normalise_name(text: str) -> str:
    """NFKC (full-width → half-width), no whitespace, ( ) [ ] brackets, upper-case Latin.

    `中/ 长链脂肪乳` and `中/长链脂肪乳`, `维生素b12` and `维生素Ｂ１２` compare equal.
    """
    if not text:
        return ""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return "".join(text.translate(_BRACKETS).split()).upper()


@lru_cache(maxsize=4096)
def normalise_form(text: str) -> str:
    """The canonical dosage form of `text` via FORM_SYNONYMS (片 → 片剂, 粉针剂 → 注射用无菌粉末).

    Bracketed qualifiers are dropped (片剂(含消旋) → 片剂). An unknown form is
    returned cleaned but otherwise as is, so two equal unknown spellings still match.
    """
    if not text:
        return ""
    cleaned = normalise_name(text)
    bare = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", "", cleaned) or cleaned
    return _FORM_CANON.get(bare, bare)


def _strip_trailing_descriptor(name: str, form: str) -> str:
    """Drop a trailing (冻干) or (粉剂)-style group that repeats the form."""
    if not name.endswith(")"):
        return name
    for _ in range(2):
        m = re.search(r"\(([^()]*)\)$", name)
        if not m or m.start() == 0:
            break
        inner = m.group(1)
        if inner in NAME_DESCRIPTORS or (form and normalise_form(inner) == form):
            name = name[: m.start()]
        else:
            break
    return name


def _strip_suffix_plain(name: str, form: str) -> str:
    """strip_form_suffix on an already normalised name and form (uncached)."""
    if name.endswith(")"):
        name = _strip_trailing_descriptor(name, form)
    if form in ("注射用无菌粉末", "注射用脂质体") and name.startswith("注射用") and len(name) > 4:
        name = name[3:]
    suffixes = _NAME_SUFFIXES.get(form, (form,) if form else ())
    if suffixes and name.endswith(suffixes):
        for suffix in suffixes:  # longest first
            if len(name) > len(suffix) and name.endswith(suffix):
                return name[: -len(suffix)]
    return name


_strip_suffix_normalised = lru_cache(maxsize=200_000)(_strip_suffix_plain)


def strip_form_suffix(name: str, form: str) -> str:
    """The normalised name without the dosage form it repeats.

    阿莫西林胶囊 + 胶囊 → 阿莫西林; 复方丹参滴丸 + 滴丸剂 → 复方丹参; 注射用头孢曲松钠 +
    注射用无菌粉末 → 头孢曲松钠. Only words of the given form are stripped, once,
    so the same (name, form) always gives the same result on both sides.
    """
    return _strip_suffix_normalised(normalise_name(name), normalise_form(form))


_ALIAS_RE = re.compile(r"\(([^()]+)\)")


@lru_cache(maxsize=20_000)
def entry_names(name: str) -> tuple[str, ...]:
    """The names a list entry answers to: 美沙拉秦(美沙拉嗪) → itself, 美沙拉秦, 美沙拉嗪.

    The list gives alternative names in brackets (坦洛新（坦索罗辛）, 三氧化二砷
    （亚砷酸）, 复方磺胺甲噁（恶）唑). A bracket with digits or Latin letters is
    part of the name (多种维生素(12), 小儿复方氨基酸(18AA-Ⅰ)) and not an alias.
    """
    full = normalise_name(name)
    names = [full]
    m = _ALIAS_RE.search(full)
    if m and m.start() > 0 and all("\u4e00" <= ch <= "\u9fff" for ch in m.group(1)):
        pre, alt, post = full[: m.start()], m.group(1), full[m.end() :]
        if post:
            names.append(pre + post)
            names.append(pre[: max(len(pre) - len(alt), 0)] + alt + post)
        else:
            names.extend((pre, alt))
    return tuple(dict.fromkeys(n for n in names if n))


# ---------------------------------------------------------------------------
# Specifications
# ---------------------------------------------------------------------------
# The version of the 品规 key rules below; stored 品规 built under another are rebuilt
# (purchase_summary.specs_stamp). 2: brackets holding the only volume or mass, 克/毫克.
KEY_RULES = 2

_MASS_MG = {
    "kg": Decimal(1_000_000),
    "g": Decimal(1000),
    "mg": Decimal(1),
    "μg": Decimal("0.001"),
    "ng": Decimal("0.000001"),
}
_VOLUME_ML = {"l": Decimal(1000), "ml": Decimal(1), "μl": Decimal("0.001")}
_UNIT_ALIASES = {
    "ug": "μg",
    "mcg": "μg",
    "μg": "μg",
    "µg": "μg",
    "mg": "mg",
    "g": "g",
    "kg": "kg",
    "ng": "ng",
    "ml": "ml",
    "l": "l",
    "μl": "μl",
    "ul": "μl",
    "iu": "IU",
    "u": "IU",
    "单位": "IU",
    "国际单位": "IU",
    "克": "g",
    "毫克": "mg",
    "微克": "μg",
    "千克": "kg",
    "毫升": "ml",
    "升": "l",
}
_QTY_RE = re.compile(
    r"(?P<num>\d+(?:\.\d+)?)(?P<wan>万)?(?P<unit>国际单位|单位|毫克|微克|千克|克|毫升|升|mcg|μg|ug|mg|kg|ng|g|μl|ul|ml|l|iu|u)"
    r"(?![a-zα-ω])",
    re.IGNORECASE,
)
# 每片重0.3g, 每袋装2g, 每粒0.55g, 每揿100μg, 炭衣丸每丸重0.1g → the quantity.
_QTY_PLAIN = r"\d+(?:\.\d+)?万?(?:国际单位|单位|毫克|微克|千克|克|毫升|升|mcg|μg|ug|mg|kg|ng|g|μl|ul|ml|l|iu|u)(?![a-zα-ω])"
_QTY_RATIO_RE = re.compile(rf"{_QTY_PLAIN}(?::{_QTY_PLAIN})?", re.IGNORECASE)
_PER_PREFIX_RE = re.compile(
    r"^(?:[\u4e00-\u9fff]{1,4}?)?每(?:素丸|[片粒袋丸支瓶贴张揿喷吸包盒枚听板])?约?(?:净重|重|装)?"
)
# 每片含颠茄浸膏10mg, 每揿含布地奈德200μg (one ingredient) → the quantity.
_PER_CONTAINS_RE = re.compile(r"^每[片粒袋丸支瓶贴揿喷吸]含[^\d、,和与及]*")
_PACK_SUFFIX_RE = re.compile(
    r"(?:[*×xX]\d+(?:\.\d+)?(?:粒|片|袋|支|瓶|丸|贴|揿|喷|吸|盒|板|包|枚|张|s|S|'S)(?:/.*)?"
    r"|/(?:粒|片|袋|支|瓶|丸|贴|盒|包|枚|张|听|板))$"
)
# 50μg/揿, 0.1mg/吸: the dose per actuation is the specification.
_DOSE_SUFFIX_RE = re.compile(r"(?<=[gl])/(?:揿|喷|吸|粒|片)$")
_PCT_VOL_RE = re.compile(
    r"^(?P<pct>\d+(?:\.\d+)?%)[*×:]?(?P<vol>\d+(?:\.\d+)?ml)$|"
    r"^(?P<vol2>\d+(?:\.\d+)?ml)[*×]?(?P<pct2>\d+(?:\.\d+)?%)$"
)


_BRACKET_GROUP_RE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _render_quantity(num: Decimal, unit: str) -> str:
    """One canonical spelling per quantity: 0.25g = 250mg → 0.25g; 0.5mg; 50μg; 1.0g → 1g."""
    if unit in _MASS_MG:
        mg = num * _MASS_MG[unit]
        if mg >= 100:
            return _decimal_text(mg / 1000) + "g"
        if mg >= Decimal("0.1"):
            return _decimal_text(mg) + "mg"
        return _decimal_text(mg * 1000) + "μg"
    if unit in _VOLUME_ML:
        return _decimal_text(num * _VOLUME_ML[unit]) + "ml"
    return _decimal_text(num) + unit


def _quantity_sub(m: re.Match[str]) -> str:
    try:
        num = Decimal(m.group("num"))
    except InvalidOperation:  # pragma: no cover - the regex only admits digits
        return m.group(0)
    if m.group("wan"):
        num *= 10000
    unit = _UNIT_ALIASES.get(m.group("unit").lower(), m.group("unit"))
    return _render_quantity(num, unit)


_ONE_QTY_RE = re.compile(rf"(?:{_QTY_PLAIN}|\d+(?:\.\d+)?%)", re.IGNORECASE)
_NOTE_START = ("以", "按", "相当于", "含", "约")


def _dimensions(text: str) -> set[str]:
    """Which kinds of quantity `text` states: mass, volume, IU, percent."""
    found: set[str] = set()
    for m in _QTY_RE.finditer(text):
        unit = _UNIT_ALIASES.get(m.group("unit").lower(), m.group("unit"))
        found.add("mass" if unit in _MASS_MG else "volume" if unit in _VOLUME_ML else "IU")
    if re.search(r"\d%", text):
        found.add("percent")
    return found


def _without_brackets(s: str) -> str:
    """Drop bracketed notes and equivalents; keep a bracket that is the only volume or mass.

    0.25g(以阿莫西林计), 0.25g(40万单位), 250ml:2.25g(0.9%), 5ml(相当于饮片2g) → the part
    outside: the bracket restates it. But 0.9%(100ml), 1ml(2mg), 100ml(0.9%) name a
    second quantity nowhere else (ED-1: 0.9%(100ml) and 0.9%(250ml) are two 品规), so
    the bracket becomes the other side of a ratio (100ml:0.9%, 1ml:2mg).
    """
    if "(" not in s and "[" not in s:
        return s
    outside = _BRACKET_GROUP_RE.sub("", s)
    while outside != (again := _BRACKET_GROUP_RE.sub("", outside)):
        outside = again
    have = _dimensions(outside)
    # A percentage restates mass per volume; IU restate a mass (and the reverse).
    implied = set(have)
    if {"mass", "volume"} <= have:
        implied.add("percent")
    if "mass" in have:
        implied.add("IU")
    if "IU" in have:
        implied.add("mass")

    def keep_or_drop(m: re.Match[str]) -> str:
        inner = m.group(0)[1:-1]
        if (inner.startswith(_NOTE_START) or not _ONE_QTY_RE.fullmatch(inner)
                or _dimensions(inner) & implied):
            return ""
        return ":" + inner

    kept = _BRACKET_GROUP_RE.sub(keep_or_drop, s)
    while kept != (again := _BRACKET_GROUP_RE.sub("", kept)):
        kept = again
    return kept


def _is_volume(part: str) -> bool:
    return bool(re.fullmatch(r"\d+(?:\.\d+)?ml", part))


@lru_cache(maxsize=100_000)
def normalise_spec(text: str | None) -> str:
    """The canonical 规格 used in match keys.

    `0. 1g` → 0.1g; `1.0g` → 1g; 250mg → 0.25g; `1ml ∶0.5mg` → 1ml:0.5mg;
    0.5mg/1ml → 1ml:0.5mg; `每片重 0.3g` → 0.3g; `每袋装 2g` → 2g; MG → mg;
    60万单位 = 600000U = 600000IU; bracketed equivalents dropped
    (0.25g(40万单位) → 0.25g); package counts dropped (0.25g*24粒 → 0.25g).
    """
    if not text:
        return ""
    s = unicodedata.normalize("NFKC", text).translate(_BRACKETS)
    s = "".join(s.split()).replace("∶", ":")
    s = _without_brackets(s)
    if "/" in s or "*" in s or "×" in s or "x" in s or "X" in s:
        s = _PACK_SUFFIX_RE.sub("", s)
        s = _DOSE_SUFFIX_RE.sub("", s)
    if "每" in s:
        for per in (_PER_PREFIX_RE, _PER_CONTAINS_RE):
            m_per = per.match(s)
            if m_per and _QTY_RATIO_RE.fullmatch(s[m_per.end() :]):
                s = s[m_per.end() :]
                break
    s = _QTY_RE.sub(_quantity_sub, s)
    m = _PCT_VOL_RE.match(s)
    if m:
        vol = m.group("vol") or m.group("vol2")
        pct = m.group("pct") or m.group("pct2")
        return f"{vol}:{pct}"
    # Ratio: volume first (0.5mg:1ml → 1ml:0.5mg; 100mg/10ml → 10ml:100mg).
    parts = s.split(":")
    if len(parts) == 2 and _is_volume(parts[1]) and not _is_volume(parts[0]):
        s = f"{parts[1]}:{parts[0]}"
    else:
        m2 = re.fullmatch(r"(\d[^/:]*)/(\d+(?:\.\d+)?ml)", s)
        if m2:
            s = f"{m2.group(2)}:{m2.group(1)}"
    return s


@lru_cache(maxsize=100_000)
def spec_variants(text: str | None) -> tuple[str, ...]:
    """normalise_spec plus percent aliases for solutions and creams.

    The list writes 氯化钠 0.9% (100ml) and 利多卡因凝胶 2%; catalogues write
    100ml:0.9g and 20g:0.4g. For a `V ml : M g` or `W g : M g` product the
    concentration M/V (as %) is added, alone and with the volume, so both
    spellings meet. Only the product side needs variants; list entries use
    normalise_spec.
    """
    base = normalise_spec(text)
    out = [base]
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ml|g):(\d+(?:\.\d+)?)(g|mg)", base)
    if m:
        whole, whole_unit = Decimal(m.group(1)), m.group(2)
        part = Decimal(m.group(3)) / (1000 if m.group(4) == "mg" else 1)
        if whole > 0:
            pct = _decimal_text((part / whole * 100).quantize(Decimal("0.0001")))
            out.extend((f"{pct}%", f"{_decimal_text(whole)}{whole_unit}:{pct}%"))
    return tuple(dict.fromkeys(out))


# ---------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------
_VEHICLES = ("氯化钠注射液", "葡萄糖注射液")


@lru_cache(maxsize=200_000)
def product_candidates(name: str, form: str) -> tuple[tuple[str, str], ...]:
    """Every (name, form) reading of a catalogue product, primary first.

    Primary reading (`name_form_key`): the name without the form words it
    repeats, the canonical form; a name starting with 注射用 is a powder
    whatever the catalogue's 剂型 says (catalogues often write 注射剂 for every
    injectable). Besides, a name ending in 氯化钠注射液/葡萄糖注射液 with 剂型
    注射液 is also read as the drug in that vehicle (左氧氟沙星氯化钠注射液 →
    左氧氟沙星 + 氯化钠注射液). Extra readings only add lookups; a reading that
    names no entry matches nothing.
    """
    n, f = normalise_name(name), normalise_form(form)
    if f in ("注射液", "") and len(n) > 4 and n.startswith("注射用"):
        f = "注射用无菌粉末"
    primary = (_strip_suffix_plain(n, f), f)  # this function's cache covers it
    if f == "注射液" and n.endswith(_VEHICLES):
        vehicle = n[-6:]
        if len(n) > 6 and (n[:-6], vehicle) != primary:
            return primary, (n[:-6], vehicle)
    return (primary,)


def name_form_key(name: str, form: str) -> tuple[str, str]:
    """(name without its form words, canonical form) — a product's primary reading."""
    return product_candidates(name, form or "")[0]


def spec_key(name: str, form: str, spec: str | None) -> tuple[str, str, str]:
    """The 品规 key (name, form, spec) used for ED-1 counting and for deduplication.

    Two manufacturers' products with this same key are one 品规.
    """
    n, f = product_candidates(name, form or "")[0]
    return n, f, normalise_spec(spec)


def is_class_entry(name: str) -> bool:
    """A list entry naming a class of drugs (结核病用药 …), not a 通用名."""
    return normalise_name(name) in CLASS_LEVEL_NAMES


# ---------------------------------------------------------------------------
# Name mappings (name_mappings table)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class NameMapping:
    catalogue_name: str
    list_name: str
    confirmed: bool = True
    note: str = ""


@dataclass(frozen=True)
class MappingSuggestion:
    """A salt/ester variant the user may confirm: catalogue name → list name."""

    catalogue_name: str
    list_name: str
    reason: str


# Acid/salt words that PRECEDE a Chinese 通用名 (盐酸二甲双胍, 马来酸依那普利).
SALT_PREFIXES: tuple[str, ...] = tuple(
    sorted(
        {
            "盐酸",
            "硫酸",
            "磷酸",
            "硝酸",
            "氢溴酸",
            "氢氯酸",
            "甲磺酸",
            "苯磺酸",
            "对甲苯磺酸",
            "萘磺酸",
            "马来酸",
            "富马酸",
            "琥珀酸",
            "酒石酸",
            "重酒石酸",
            "枸橼酸",
            "醋酸",
            "乳酸",
            "葡萄糖酸",
            "门冬氨酸",
            "天门冬氨酸",
            "赖氨酸",
            "精氨酸",
            "丙二酸",
            "草酸",
            "苯甲酸",
            "水杨酸",
            "双羟萘酸",
            "硬脂酸",
            "棕榈酸",
            "乙酰",
            "依托",
            "甲硫酸",
            "硫酸氢",
            "磷酸钠",
            "琥乙",
            "琥珀酸钠",
        },
        key=len,
        reverse=True,
    )
)
# Cation/ester words that FOLLOW it (阿莫西林钠, 头孢呋辛酯, 氨氯地平 苯磺酸盐).
SALT_SUFFIXES: tuple[str, ...] = tuple(
    sorted(
        {
            "钠",
            "钾",
            "钙",
            "镁",
            "锌",
            "铵",
            "二钠",
            "钠盐",
            "钾盐",
            "钙盐",
            "盐",
            "酯",
            "水合物",
            "一水合物",
            "二水合物",
            "半水合物",
            "三水合物",
        },
        key=len,
        reverse=True,
    )
)


def salt_base(name: str) -> str:
    """The name without salt/ester words and a 注射用 prefix: 盐酸二甲双胍 → 二甲双胍."""
    n = normalise_name(name)
    if n.startswith("注射用") and len(n) > 4:
        n = n[3:]
    for prefix in SALT_PREFIXES:
        if n.startswith(prefix) and len(n) - len(prefix) >= 2:
            n = n[len(prefix) :]
            break
    for suffix in SALT_SUFFIXES:
        if n.endswith(suffix) and len(n) - len(suffix) >= 2:
            n = n[: -len(suffix)]
            break
    return n


def suggest_salt_mappings(
    source: sqlite3.Connection | Iterable[str], list_names: Iterable[str] | None = None
) -> list[MappingSuggestion]:
    """Catalogue names that look like a salt/ester variant of a list name.

    `source` is either a connection — then the catalogue names are those of the
    active drug products, the list names those of every stored list, and names
    already mapped are skipped — or an iterable of catalogue names, with
    `list_names` given. Nothing is written: the user confirms with
    `confirm_mapping`. A name that already equals a list name is never suggested.
    """
    mapped: set[str] = set()
    if isinstance(source, sqlite3.Connection):
        conn = source
        rows = conn.execute(
            "SELECT DISTINCT generic_name, dosage_form FROM products WHERE active=1 AND kind='drug'"
        ).fetchall()
        catalogue = [name_form_key(r[0], r[1])[0] for r in rows]
        if list_names is None:
            list_names = [
                r[0]
                for r in conn.execute("SELECT DISTINCT generic_name FROM essential_list_entries")
            ]
        mapped = {m.catalogue_name for m in list_mappings(conn)}
    else:
        catalogue = [normalise_name(n) for n in source]
        if list_names is None:
            raise TypeError("list_names is required when source is not a connection")
    by_name: dict[str, str] = {}
    by_base: dict[str, list[str]] = {}
    for raw in list_names:
        for n in entry_names(raw):
            by_name.setdefault(n, raw)
            by_base.setdefault(salt_base(n), []).append(raw)
    out: list[MappingSuggestion] = []
    seen: set[tuple[str, str]] = set()
    for cat in dict.fromkeys(catalogue):
        if not cat or cat in by_name or cat in mapped or normalise_name(cat) in mapped:
            continue
        base = salt_base(cat)
        if base == cat:
            continue
        if base in by_name:
            target, reason = by_name[base], "去掉盐/酯部分后与目录名称相同"
        elif base in by_base:
            target, reason = by_base[base][0], "与目录名称的盐/酯形式不同，同一活性成分"
        else:
            continue
        if (cat, target) not in seen:
            seen.add((cat, target))
            out.append(MappingSuggestion(cat, target, reason))
    return out


def confirm_mapping(
    conn: sqlite3.Connection, catalogue_name: str, list_name: str, note: str = ""
) -> NameMapping:
    """Remember, once, that the catalogue's name is the list's name (ED-2 matching).

    The catalogue name is stored normalised (UNIQUE), so spelling variants of
    one name cannot hold two different answers. Re-confirming replaces the answer.
    """
    cat = normalise_name(catalogue_name)
    target = normalise_name(list_name)
    if not cat or not target:
        raise ValueError("名称映射的两个名称都不能为空")
    with transaction(conn):
        conn.execute(
            """INSERT INTO name_mappings (catalogue_name, list_name, confirmed, note)
               VALUES (?, ?, 1, ?)
               ON CONFLICT(catalogue_name) DO UPDATE SET
                   list_name = excluded.list_name, confirmed = 1, note = excluded.note,
                   version = name_mappings.version + 1,
                   updated_at = strftime('%Y-%m-%d %H:%M:%S', 'now', 'localtime')
               WHERE name_mappings.list_name IS NOT excluded.list_name
                  OR name_mappings.confirmed <> 1 OR name_mappings.note IS NOT excluded.note""",
            (cat, target, note),
        )
    return NameMapping(cat, target, True, note)


def remove_mapping(conn: sqlite3.Connection, catalogue_name: str) -> bool:
    """Forget a mapping; True when one was removed."""
    with transaction(conn):
        cur = conn.execute(
            "DELETE FROM name_mappings WHERE catalogue_name = ?", (normalise_name(catalogue_name),)
        )
    return cur.rowcount > 0


def list_mappings(conn: sqlite3.Connection) -> list[NameMapping]:
    """Every stored mapping, by catalogue name."""
    return [
        NameMapping(r[0], r[1], bool(r[2]), r[3])
        for r in conn.execute(
            "SELECT catalogue_name, list_name, confirmed, note FROM name_mappings ORDER BY catalogue_name"
        )
    ]


def _mapping_dict(mappings: Mapping[str, str] | Iterable[NameMapping] | None) -> dict[str, str]:
    if not mappings:
        return {}
    if isinstance(mappings, Mapping):
        pairs: Iterable[tuple[str, str]] = mappings.items()
    else:
        pairs = ((m.catalogue_name, m.list_name) for m in mappings if m.confirmed)
    return {normalise_name(k): normalise_name(v) for k, v in pairs}


# ---------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------
def _field(obj: object, name: str) -> object:
    try:
        return getattr(obj, name)
    except AttributeError:
        return obj[name]  # type: ignore[index]


# Per (name, form) reading of the entries: {normalised spec: entry ids} and the
# ids of entries without a 规格 (matched whatever the product's spec).
_Target = tuple[dict[str, list[Hashable]], list[Hashable]]


def _index_entries(
    entries: Iterable[object],
) -> tuple[dict[tuple[str, str], _Target], dict[str, list[Hashable]]]:
    by_name_form: dict[tuple[str, str], _Target] = {}
    by_name: dict[str, list[Hashable]] = {}  # entries with neither form nor spec
    fields = ("id", "generic_name", "dosage_form", "specification")
    for e in entries:
        eid, name, form, spec = (attrgetter if hasattr(e, "generic_name") else itemgetter)(*fields)(
            e
        )
        name = str(name or "")
        form = normalise_form(str(form or ""))
        spec_n = normalise_spec(str(spec)) if spec else ""
        for alias in entry_names(name):
            n = _strip_suffix_normalised(alias, form)
            if not form and not spec_n:
                bucket = by_name.setdefault(n, [])
            else:
                specs, always = by_name_form.setdefault((n, form), ({}, []))
                bucket = specs.setdefault(spec_n, []) if spec_n else always
            if eid not in bucket:
                bucket.append(eid)
    return by_name_form, by_name


def _targets(
    name: str,
    form: str,
    mapping: dict[str, str],
    by_name_form: dict[tuple[str, str], _Target],
    by_name: dict[str, list[Hashable]],
) -> tuple[_Target, ...]:
    """What a product of this (name, form) can match, whatever its spec; () for most."""
    out: list[_Target] = []
    raw = normalise_name(name) if mapping else ""
    for n, f in product_candidates(name, form):
        if mapping:
            target = mapping.get(raw) or mapping.get(n)
            if target is not None:
                n = _strip_suffix_normalised(target, f)
        hit = by_name_form.get((n, f))
        if hit is not None:
            out.append(hit)
        if n in by_name:
            out.append(({}, by_name[n]))
    return tuple(out)


def match_entries(
    entries: Iterable[object],
    products: Iterable[object],
    mappings: Mapping[str, str] | Iterable[NameMapping] | None = None,
) -> dict[Hashable, list[str]]:
    """ED-2: for each list entry, the codes of the given products that equip it.

    `entries` have id, generic_name, dosage_form, specification (mappings such
    as sqlite3.Row/dict, or objects); `products` have code, generic_name,
    dosage_form, specification. Filtering (active drugs only) is the caller's
    job: every product passed may match. An entry with a 规格 is matched by a
    product with equal normalised name, form and spec; an entry without one
    by name and form (and by name alone when it has no form either). Confirmed
    `mappings` (catalogue name → list name) rename a product before lookup.

    Returns {entry id: [product codes]} for matched entries only; a product
    appears once per entry however many readings lead there.

    Speed: entries are indexed by (name, form); each distinct (name, form) of
    the catalogue is looked at once, and a product whose (name, form) names no
    entry costs one dict lookup — the usual case. A name starting with two
    CJK ideographs that begin no entry or mapping name is rejected before it
    is normalised (normalisation never changes such characters, and only a
    注射用 prefix is ever stripped from the front).
    """
    mapping = _mapping_dict(mappings)
    by_name_form, by_name = _index_entries(entries)
    heads = {n[:2] for n, _f in by_name_form} | {n[:2] for n in by_name} | {k[:2] for k in mapping}
    prefilter = all(len(h) == 2 for h in heads)
    result: dict[Hashable, list[str]] = {}
    memo: dict[tuple[str, str], tuple[_Target, ...]] = {}
    it = iter(products)
    first = next(it, None)
    if first is None:
        return result
    # C-level field access: objects (dataclasses) or mappings (sqlite3.Row, dict).
    if hasattr(first, "generic_name"):
        name_form, spec_code = (
            attrgetter("generic_name", "dosage_form"),
            attrgetter("specification", "code"),
        )
    else:
        name_form, spec_code = (
            itemgetter("generic_name", "dosage_form"),
            itemgetter("specification", "code"),
        )
    for p in chain((first,), it):
        key = name_form(p)
        targets = memo.get(key)
        if targets is None:
            name, form = key
            head = name[:2]
            if (
                prefilter
                and head not in heads
                and len(head) == 2
                and "\u4e00" <= head[0] <= "\u9fff"
                and "\u4e00" <= head[1] <= "\u9fff"
                and (head != "注射" or name[3:5] not in heads)
            ):
                targets = ()
            else:
                targets = _targets(name, form or "", mapping, by_name_form, by_name)
            memo[key] = targets
        if not targets:
            continue
        spec, code = spec_code(p)
        variants = spec_variants(spec) if spec else ()
        hits: list[Hashable] = []
        for specs, always in targets:
            hits.extend(always)
            for v in variants:
                hits.extend(specs.get(v, ()))
        for eid in dict.fromkeys(hits) if len(hits) > 1 else hits:
            codes = result.get(eid)
            if codes is None:
                result[eid] = [code]
            else:
                codes.append(code)
    return result


def matched_share(
    entries: Sequence[object], matches: Mapping[Hashable, Sequence[str]]
) -> tuple[int, int]:
    """(entries equipped, all entries) — the ED-2 numerator and denominator."""
    ids = [_field(e, "id") for e in entries]
    return sum(1 for i in ids if matches.get(i)), len(ids)
