#!/usr/bin/env python3
"""Convert the 2026 national essential-medicines list table into the app's list CSV (ED-2).

ED-2 counts list ENTRIES — one variety × dosage form × specification — but the
source table (/work/shared/data/reference/SOURCES.md) has one row per variety
with every form and specification in one PDF-extracted cell such as
`片剂、胶囊：0.25g； 注射用无菌粉末：0.5g、1.0g`. This script splits those cells
into entries, in the FORMATS.md essential-list form plus three columns that let a
reader check every entry against its source (药品编码, 原始剂型与规格, 备注).

    .venv/bin/python scripts/convert_essential_list_2026.py [SOURCE.csv] [-o OUT.csv]

Decisions are documented in resources/reference/README.md. Anything the parser
cannot read is printed (never silently dropped) and marked in 备注.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a file: make the package importable
    sys.path.insert(0, str(ROOT))

from pharmacy_app.essential_match import (  # noqa: E402
    ALL_FORM_WORDS,
    CLASS_LEVEL_NAMES,
    EXTRA_NAME_SUFFIXES,
    normalise_form,
    spec_key,
)

DEFAULT_SOURCE = (
    Path(__file__).resolve().parents[2] / "shared/data/reference/nhc_essential_medicines_2026_rhn.csv"
)
DEFAULT_OUT = ROOT / "resources" / "reference" / "essential_list_2026.csv"
OUT_COLUMNS = ("序号", "通用名", "剂型", "规格", "类别", "药品编码", "原始剂型与规格", "备注")
CATEGORY = {"西药": "化学药品和生物制品", "中成药": "中成药"}

# Cells the grammar cannot read, rewritten BY HAND into it from the same cell.
# Each is listed in the summary and in the entries' 备注. Key: 药品编码.
OVERRIDES: dict[str, list[tuple[str, str]]] = {
    # 人干扰素: three subtypes run together, with the ratio sign used as the colon
    # and product names used as forms ("注射用人干扰素α1b ∶10μg").
    "MED-2026-W050": [
        ("人干扰素α1b", "注射液：10μg∶0.5ml、30μg∶1ml；注射用无菌粉末：10μg、30μg"),
        ("人干扰素α2a", "注射液、注射用无菌粉末：300万IU、500万IU"),
        ("人干扰素α2b", "注射液、注射用无菌粉末：300万IU、500万IU"),
    ],
    # 复方氨基酸18AA: the 小儿 18AA-Ⅰ/Ⅱ products are separate varieties written as forms.
    "MED-2026-W406": [
        (
            "复方氨基酸18AA",
            "注射液：200ml∶12.25g（总氨基酸）、200ml∶20.65g（总氨基酸）、250ml∶12.5g（总氨基酸）",
        ),
        ("小儿复方氨基酸（18AA-Ⅰ）", "注射液：20ml∶1.348g（总氨基酸）"),
        ("小儿复方氨基酸（18AA-Ⅱ）", "注射液：50ml∶3.0g（总氨基酸）"),
    ],
}

_TRANS = str.maketrans({"【": "[", "】": "]", "〔": "[", "〕": "]", "［": "[", "］": "]"})
_SPACE = re.compile(r"\s+")
RATIO = "∶"  # U+2236 in the source; ':' after NFKC is the header colon (：)


def clean(text: str) -> str:
    """NFKC, no whitespace (PDF spacing: `0. 1g`, `单 位`, `1ml ∶0.5mg`), ( ) [ ] brackets."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text or "").translate(_TRANS))


# --------------------------------------------------------------------------- brackets
def top_split(text: str, seps: str) -> list[str]:
    """Split on any of `seps` outside ( ) and [ ]."""
    out, depth, cur = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(depth - 1, 0)
        if ch in seps and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def peel_brackets(text: str) -> tuple[str, list[str]]:
    """'0.25g(40万单位)' → ('0.25g', ['40万单位']); trailing groups only."""
    groups: list[str] = []
    while text.endswith((")", "]")):
        close = text[-1]
        open_ = "(" if close == ")" else "["
        depth = 0
        for i in range(len(text) - 1, -1, -1):
            if text[i] == close:
                depth += 1
            elif text[i] == open_:
                depth -= 1
                if depth == 0:
                    break
        else:
            break
        if i == 0:
            break
        groups.insert(0, text[i + 1 : -1])
        text = text[:i]
    return text, groups


# --------------------------------------------------------------------------- forms
_WORDS = sorted(set(ALL_FORM_WORDS) | {"糖浆组合包装"}, key=len, reverse=True)
_WORD = "(?:" + "|".join(map(re.escape, _WORDS)) + ")"
_SALT = r"(?:\((?![^()]*\d)[^()]*\))"
_ITEM = rf"(?:{_SALT}?(?:(?:肠溶|缓释)\({_WORD}(?:、{_WORD})*\)|{_WORD})(?:\([^()]*\))?)"
FORM_LIST_END = re.compile(rf"{_ITEM}(?:、{_ITEM})*$")
FORM_LIST_FULL = re.compile(rf"{_ITEM}(?:、{_ITEM})*")
_SALT_WORD = re.compile(r"(?:盐|酯|钠|钾|钙|镁|醇|型)$|^含")
_SPEC_END = re.compile(r"[0-9a-zA-Zμ%)\]单位丸片粒袋支瓶揿喷吸]$")


@dataclass
class FormItem:
    form: str  # as the list writes it, e.g. 肠溶片, 注射用无菌粉末
    notes: list[str] = field(default_factory=list)


def parse_form_list(text: str) -> list[FormItem]:
    """`(头孢呋辛酯)片剂、分散片` / `肠溶(片剂、胶囊)、(琥珀酸乙酯)片剂` → form items.

    A leading (salt) applies to its item and the ones after it until another
    leading bracket; 肠溶(片剂、胶囊) expands to 肠溶片 and 肠溶胶囊.
    """
    items: list[FormItem] = []
    salt: str | None = None
    for raw in top_split(text, "、"):
        m = re.match(r"^\(([^()]*)\)", raw)
        if m:
            salt = m.group(1)
            raw = raw[m.end() :]
        core, quals = peel_brackets(raw)
        expanded: list[str]
        m2 = re.match(r"^(肠溶|缓释)$", core)
        if m2 and quals:
            inner = quals.pop(0)
            expanded = [m2.group(1) + _short_form(w) for w in inner.split("、")]
        else:
            expanded = [core]
        for form in expanded:
            notes = []
            if salt:
                notes.append(f"盐/酯：{salt}")
            notes.extend(f"剂型说明：{q}" for q in quals)
            items.append(FormItem(form, notes))
    return items


def _short_form(word: str) -> str:
    """片剂 → 片 and 胶囊 → 胶囊, for 肠溶(片剂、胶囊) → 肠溶片/肠溶胶囊."""
    return {"片剂": "片", "片": "片", "胶囊": "胶囊", "胶囊剂": "胶囊", "颗粒剂": "颗粒"}.get(
        word, word
    )


# --------------------------------------------------------------------------- specs
@dataclass
class SpecItem:
    text: str  # display text (NFKC, no spaces, ':' for the ratio sign)
    notes: list[str] = field(default_factory=list)


@dataclass
class Segment:
    forms: list[FormItem]
    spec_text: str = ""
    specs: list[SpecItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    inherited: bool = False
    equivalence_only: bool = False  # its only "specs" are 相当于… clauses


@dataclass
class CellParse:
    segments: list[Segment]
    problems: list[str] = field(default_factory=list)  # fragments not read (not emitted)
    uncertain: list[str] = field(default_factory=list)  # read, but a human should check


_QTY_START = re.compile(r"^\d")
_PACK_COUNT = re.compile(r"^(?:每[瓶支盒]\d+[揿喷吸]|\d+[揿喷吸]/[瓶支]|\d+[揿喷吸])$")
_VOLUME_LIST = re.compile(r"^\d+(?:\.\d+)?ml(?:、\d+(?:\.\d+)?ml)*$")
_PER = re.compile(r"^(.{0,4}?每[^含相]{0,6}?(?:净重|约重|重|装))(\d.*)$")
_PER_UNIT_QUALIFIER = re.compile(r"^每\d+(?:\.\d+)?(?:ml|g)含")


def _display(text: str) -> str:
    return text.replace(RATIO, ":")


def parse_specs(
    text: str, problems: list[str], uncertain: list[str]
) -> tuple[list[SpecItem], list[str], bool]:
    """Specification text of one segment → (specs, segment notes).

    `,` separates clauses (每丸重9g，每10丸重1.8g); `、` separates values
    outside brackets. Trailing brackets are equivalents/notes (0.25g(40万单位)),
    except a percent followed by a volume list, which expands
    (0.9%(10ml、50ml) → 10ml:0.9%, 50ml:0.9%). Clauses with 相当于 are notes
    unless nothing else names the specification (the third value is then True).
    """
    specs: list[SpecItem] = []
    notes: list[str] = []
    equivalences: list[str] = []
    clauses = [c for c in top_split(text, ",") if c]
    joined: list[str] = []
    # 1.34mg/ml,1.5ml(预填充注射笔) is one specification: concentration, volume.
    for c in clauses:
        if joined and re.fullmatch(r"\d[^,]*/ml", joined[-1]) and re.match(r"^\d+(?:\.\d+)?ml", c):
            joined[-1] += "," + c
        else:
            joined.append(c)
    for clause in joined:
        per_prefix = ""
        previous: SpecItem | None = None
        # 含甘草浸膏9.76mg、广藿香油0.78μl: names after a 含/相当于 clause continue it.
        note_list: list[str] | None = None
        for piece in top_split(clause, "、"):
            if not piece:
                continue
            core, groups = peel_brackets(piece)
            if "相当于" in core:
                equivalences.append(_display(piece))
                note_list = equivalences
                continue
            if core.startswith(("含", "其中", "内含")) or _PER_UNIT_QUALIFIER.match(core):
                notes.append(_display(piece))
                note_list = notes
                continue
            if note_list is not None and not core.startswith("每"):
                # 每1ml相当于饮片1.5g、3.0g: bare values continue the note too.
                note_list[-1] += "、" + _display(piece)
                continue
            note_list = None
            if _PACK_COUNT.match(core):
                notes.append(_display(piece))
                continue
            if not re.search(r"\d", core) and not groups:
                problems.append(piece)
                continue
            if not core and groups:
                # A bracket on its own: (阿莫西林∶克拉维酸) after the last value.
                target = specs[-1] if specs else None
                if target is not None:
                    target.notes.extend(_display(g) for g in groups)
                else:
                    notes.extend(_display(g) for g in groups)
                continue
            pct_groups = [g for g in groups if _VOLUME_LIST.match(g)]
            if core.endswith("%") and _QTY_START.match(core) and pct_groups:
                for vol in pct_groups[0].split("、"):
                    specs.append(SpecItem(f"{vol}:{core}"))
                previous = None
                continue
            m_count = re.match(r"^(\d+[揿喷吸])∶(.+)$", core)
            if m_count:  # 200揿:每揿100μg → 每揿100μg, with the count as a note
                core = m_count.group(2)
                groups = [m_count.group(1), *groups]
            m = _PER.match(core)
            if m:
                per_prefix = m.group(1)
                item = SpecItem(_display(core), [_display(g) for g in groups])
            elif _QTY_START.match(core):
                # A bare value after 每袋装6g、9g reads as 每袋装9g.
                text_ = (per_prefix + core) if per_prefix else core
                item = SpecItem(_display(text_), [_display(g) for g in groups])
            elif core.startswith("每"):
                item = SpecItem(_display(core), [_display(g) for g in groups])
            elif previous is not None and "含" in previous.text:
                # 每片含缬沙坦80mg、氨氯地平5mg: one composition, not two specifications.
                previous.text += "、" + _display(piece)
                continue
            else:
                item = SpecItem(_display(core), [_display(g) for g in groups])
            specs.append(item)
            previous = item
    if not specs and equivalences:
        return [SpecItem(e) for e in equivalences], notes, True
    notes.extend(equivalences)
    return specs, notes, False


# --------------------------------------------------------------------------- cells
def parse_cell(cell: str) -> CellParse:
    """One 收录剂型与规格 cell → segments of (forms, specifications).

    Segments are split on `；`; a form header is the form list right before a
    `：` (also where the PDF lost the `；`, as in `…0.38g颗粒剂：…`); a `：` not
    preceded by a form is a ratio (`5ml：依达拉奉10mg`). Forms glued after the
    last value (`2ml∶0.1mg贴剂`) are forms without specification. A segment with
    no header continues the previous one's forms.
    """
    text = clean(cell)
    result = CellParse([])
    if not text:
        return result
    segments = result.segments
    for piece in top_split(text, ";"):
        if not piece:
            continue
        pos = 0
        current: Segment | None = None
        colon_positions = [i for i, ch in enumerate(piece) if ch == ":" and _depth(piece, i) == 0]
        for i in colon_positions:
            before = piece[pos:i]
            m = FORM_LIST_END.search(before)
            if m is None:
                continue  # a ratio colon: stays in the spec text
            start = m.start()
            header = m.group(0)
            salt = re.match(r"^\(([^()]*)\)", header)
            if (
                salt
                and start > 0
                and _SPEC_END.search(before[:start])
                and not _SALT_WORD.search(salt.group(1))
            ):
                # 5ml∶175mg(三七总皂苷)注射用无菌粉末: the bracket belongs to the value.
                start += salt.end()
                header = header[salt.end() :]
            leading = before[:start]
            header_note = ""
            if leading and current is not None:
                current.spec_text += leading
            elif leading and (_QTY_START.match(leading) or leading.startswith("每")):
                segments.append(_inherit(segments, leading, result))
            elif leading:
                # e.g. 人胰岛素注射液(短效…): a product name written before the form.
                result.uncertain.append(f"表头前缀「{leading}」")
                header_note = f"表头：{leading}{header}"
            current = Segment(parse_form_list(header))
            if header_note:
                current.notes.append(header_note)
            segments.append(current)
            pos = i + 1
        rest = piece[pos:]
        if current is None:
            if FORM_LIST_FULL.fullmatch(rest):
                segments.append(Segment(parse_form_list(rest)))
                continue
            current = _inherit(segments, "", result)
            segments.append(current)
        current.spec_text += rest
    # Forms glued to the end of a segment's values: `100ml∶2.4g颗粒剂、混悬液`.
    expanded: list[Segment] = []
    for seg in segments:
        expanded.append(seg)
        m = FORM_LIST_END.search(seg.spec_text)
        # Two characters at least: 糖衣丸每瓶装400丸 ends in a count, not a form.
        if (
            m
            and m.start() > 0
            and len(m.group(0)) >= 2
            and _SPEC_END.search(seg.spec_text[: m.start()])
        ):
            glued = m.group(0)
            seg.spec_text = seg.spec_text[: m.start()]
            expanded.append(Segment(parse_form_list(glued)))
    result.segments[:] = expanded
    for seg in result.segments:
        text_ = seg.spec_text.replace(":", RATIO)
        seg.specs, notes, seg.equivalence_only = parse_specs(
            text_, result.problems, result.uncertain
        )
        seg.notes.extend(notes)
        for f in seg.forms:
            if normalise_form(f.form) == f.form and f.form not in _WORDS:
                result.uncertain.append(f"未知剂型「{f.form}」")
    # Segments continued from the previous one but holding no specification only
    # carry notes (每1ml相当于饮片…): give them to the previous segment.
    merged: list[Segment] = []
    for seg in result.segments:
        if seg.inherited and merged and (not seg.specs or seg.equivalence_only):
            merged[-1].notes.extend(
                [*seg.notes, *(sp.text for sp in seg.specs if seg.equivalence_only)]
            )
            continue
        merged.append(seg)
    # A 相当于… clause standing alone is the specification only when no other
    # segment of the same forms gives one (珍珠明目滴眼液: 每1ml相当于饮片1mg；每瓶装8ml…).
    final: list[Segment] = []
    for seg in merged:
        forms = [f.form for f in seg.forms]
        other = next(
            (
                o
                for o in merged
                if o is not seg
                and not o.equivalence_only
                and o.specs
                and [f.form for f in o.forms] == forms
            ),
            None,
        )
        if seg.equivalence_only and other is not None:
            other.notes.extend([*seg.notes, *(sp.text for sp in seg.specs)])
            continue
        final.append(seg)
    result.segments[:] = [s for s in final if s.forms]
    return result


def _depth(text: str, index: int) -> int:
    depth = 0
    for ch in text[:index]:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(depth - 1, 0)
    return depth


def _inherit(segments: list[Segment], spec_text: str, result: CellParse) -> Segment:
    previous = next((s for s in reversed(segments) if s.forms), None)
    if previous is None:
        result.uncertain.append(f"无剂型的规格「{spec_text}」")
        return Segment([], spec_text, inherited=True)
    forms = [FormItem(f.form, list(f.notes)) for f in previous.forms]
    return Segment(forms, spec_text, inherited=True)


# --------------------------------------------------------------------------- names
_SHORT_FORM_WORDS = frozenset(_WORDS) | {"膏", "液", "饮", "水", "露"}


def _name_suffixes(forms: Iterable[str]) -> list[str]:
    """Words that may end a product name of these forms (片 for 片剂, 水 for 酊剂 …)."""
    from pharmacy_app.essential_match import FORM_SYNONYMS

    words: set[str] = set()
    for form in forms:
        canon = normalise_form(form)
        words.add(form)
        words.update({canon, *FORM_SYNONYMS.get(canon, ()), *EXTRA_NAME_SUFFIXES.get(canon, ())})
    return sorted(words, key=len, reverse=True)


def variety_name(
    raw_name: str, english: str, kind: str, forms: Sequence[str]
) -> tuple[str, list[str], bool]:
    """(通用名 for the entries, notes, uncertain?) of one source row.

    * 西药: the name as given, PDF spaces removed (中/ 长链脂肪乳 → 中/长链脂肪乳);
      where the letter of a vitamin sits in the English column (维生素 + `B12 Vitamin
      B12`, 两性霉素 + `B Amphotericin B`, 碳酸钙 + `D3 Calcium … D3`) it is put back.
    * 中成药 with alternative forms (固本咳喘片（颗粒、胶囊）) → the variety without
      form words (固本咳喘); single-form names stay as the list writes them.
    """
    notes: list[str] = []
    compact = _SPACE.sub("", raw_name)
    name = compact.replace("（", "(").replace("）", ")")
    if compact != raw_name.strip():
        notes.append(f"原表名称（含PDF空格）：{_SPACE.sub(' ', raw_name).strip()}")
    eng = _SPACE.sub(" ", english).strip()
    m = re.match(r"^([A-Z]\d{0,2})\s+(.*)$", eng)
    if (
        kind == "西药"
        and m
        and m.group(2).rstrip().endswith(m.group(1))
        and not name.endswith(m.group(1))
    ):
        name += m.group(1)
        notes.append(f"名称据英文列补全：{raw_name.strip()} + {m.group(1)}（英文 {eng}）")
    if kind != "中成药":
        return _full_brackets(name), notes, False
    parts = top_split(name, "、")
    bases: list[str] = []
    has_alternatives = len(parts) > 1
    suffixes = _name_suffixes(forms)
    for part in parts:
        core, groups = peel_brackets(part)
        for g in groups:
            words = g.split("、")
            if all(w in _SHORT_FORM_WORDS for w in words):
                has_alternatives = True
            elif g in ("冻干", "蜜炼"):
                pass  # a descriptor of one product, kept in the source name
            else:
                core += f"（{g}）"
        if core.startswith("注射用") and len(core) > 4:
            core = core[3:]
        for suffix in suffixes:
            if len(core) > len(suffix) and core.endswith(suffix):
                core = core[: -len(suffix)]
                break
        bases.append(core)
    if not has_alternatives:
        return _full_brackets(name), notes, False
    base = bases[0]
    uncertain = any(b != base for b in bases)
    notes.append(f"品种名由原表名称「{compact}」去掉剂型得出")
    return _full_brackets(base), notes, uncertain


def _full_brackets(name: str) -> str:
    return name.replace("(", "（").replace(")", "）")


# --------------------------------------------------------------------------- rows
@dataclass
class Entry:
    seq: str
    name: str
    form: str
    spec: str
    category: str
    code: str
    source_cell: str
    notes: list[str]
    class_level: bool = False

    def row(self) -> dict[str, str]:
        return {
            "序号": self.seq,
            "通用名": self.name,
            "剂型": self.form,
            "规格": self.spec,
            "类别": self.category,
            "药品编码": self.code,
            "原始剂型与规格": self.source_cell,
            "备注": "；".join(dict.fromkeys(n for n in self.notes if n)),
        }


@dataclass
class Report:
    rows: int = 0
    varieties: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    cross_listed_rows: int = 0
    cross_listed_new_entries: int = 0
    duplicates: list[str] = field(default_factory=list)
    class_level: list[str] = field(default_factory=list)
    no_spec_entries: int = 0
    problems: list[str] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    overridden: list[str] = field(default_factory=list)


def convert_row(row: dict[str, str], report: Report) -> list[Entry]:
    """All entries of one source row (before de-duplication across rows)."""
    code = row["药品编码"].strip()
    kind = row["药品类型"].strip()
    seq = row["序号"].strip()
    cell = row["收录剂型与规格"] or ""
    base_notes: list[str] = []
    if row.get("专科医师指导(△)", "").strip() == "是":
        base_notes.append("△专科医师指导")
    if row.get("备注说明", "").strip():
        base_notes.append(f"原表备注：{_SPACE.sub(' ', row['备注说明']).strip()}")
    cross = seq.startswith("*")
    if cross:
        base_notes.append(f"跨分类重复列出（{seq}）")
    raw_name = row["药品通用名"]
    label = f"{code} {_SPACE.sub('', raw_name)}"
    if _SPACE.sub("", raw_name) in CLASS_LEVEL_NAMES:
        form = clean(cell)
        report.class_level.append(label)
        notes = [
            *base_notes,
            "类别条目：指一类药品（见原表注释），不按名称自动匹配，可用名称映射把具体药品归入本条",
        ]
        return [
            Entry(
                seq,
                _SPACE.sub("", raw_name),
                form,
                "",
                CATEGORY[kind],
                code,
                cell,
                notes,
                class_level=True,
            )
        ]
    subrows: list[tuple[str | None, str]] = [(None, cell)]
    if code in OVERRIDES:
        subrows = [(n, c) for n, c in OVERRIDES[code]]
        report.overridden.append(label)
        base_notes.append("规格由人工按原表改写后拆分（见转换脚本 OVERRIDES）")
    entries: list[Entry] = []
    for override_name, sub_cell in subrows:
        parsed = parse_cell(sub_cell)
        for p in parsed.problems:
            report.problems.append(f"{label}: 未读片段「{p}」 ← {clean(cell)}")
        for u in parsed.uncertain:
            report.uncertain.append(f"{label}: {u} ← {clean(cell)}")
        forms = [f.form for s in parsed.segments for f in s.forms]
        if override_name is not None:
            name, name_notes, name_uncertain = override_name, [], False
        else:
            name, name_notes, name_uncertain = variety_name(
                raw_name, row.get("英文名称(INN)", ""), kind, forms
            )
        if name_uncertain:
            report.uncertain.append(f"{label}: 品种名拆分不一致 → {name}")
        row_flag = ["规格拆分存疑，请核对原表"] if parsed.problems or parsed.uncertain else []
        if not parsed.segments:
            report.problems.append(f"{label}: 剂型与规格为空或无法读取 ← {clean(cell)!r}")
            entries.append(
                Entry(
                    seq,
                    name,
                    "",
                    "",
                    CATEGORY[kind],
                    code,
                    cell,
                    [*base_notes, *name_notes, "剂型与规格为空"],
                )
            )
            continue
        for seg in parsed.segments:
            for f in seg.forms:
                specs = seg.specs or [SpecItem("")]
                for sp in specs:
                    notes = [*base_notes, *name_notes, *f.notes, *seg.notes, *sp.notes, *row_flag]
                    entries.append(
                        Entry(seq, name, f.form, sp.text, CATEGORY[kind], code, cell, notes)
                    )
    return entries


def convert(rows: Iterable[dict[str, str]]) -> tuple[list[Entry], Report]:
    """Every entry of the list, de-duplicated on the normalised (name, form, spec) key."""
    report = Report()
    kept: dict[tuple[str, str, str], Entry] = {}
    order: list[Entry] = []
    for row in rows:
        report.rows += 1
        code = row["药品编码"].strip()
        report.varieties.add(code)
        cross = row["序号"].strip().startswith("*")
        if cross:
            report.cross_listed_rows += 1
        for e in convert_row(row, report):
            report.names.add(e.name)
            key = spec_key(e.name, e.form, e.spec)
            if e.class_level:
                key = (e.name, "#class", "")
            first = kept.get(key)
            if first is not None:
                where = "跨分类重复" if cross else "同一行内重复"
                own = [
                    n
                    for n in e.notes
                    if n not in first.notes
                    and not n.startswith(("跨分类", "原表", "△", "品种名", "名称据"))
                ]
                first.notes.append(
                    f"同一品规另见 {e.seq} {e.form}{e.spec}（{'；'.join([*own, where])}，不重复计数）"
                )
                report.duplicates.append(f"{code} {e.name} {e.form} {e.spec} ({e.seq}; {where})")
                continue
            kept[key] = e
            order.append(e)
            if cross:
                report.cross_listed_new_entries += 1
    report.no_spec_entries = sum(1 for e in order if not e.spec and not e.class_level)
    return order, report


def write_csv(entries: Sequence[Entry], path: Path) -> None:
    """UTF-8 with BOM (Excel opens it as Chinese), CRLF like the source generator."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=OUT_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for e in entries:
            writer.writerow(e.row())


def print_summary(entries: Sequence[Entry], report: Report, out: Path) -> None:
    by_cat: dict[str, int] = {}
    for e in entries:
        by_cat[e.category] = by_cat.get(e.category, 0) + 1
    p = print
    p(f"source rows: {report.rows} (cross-listed *(n) rows: {report.cross_listed_rows})")
    p(
        f"varieties (药品编码): {len(report.varieties)}; distinct 通用名 in entries: {len(report.names)}"
    )
    p(f"entries: {len(entries)} " + ", ".join(f"{k} {v}" for k, v in sorted(by_cat.items())))
    p(f"  class-level entries: {len(report.class_level)}: " + "、".join(report.class_level))
    p(f"  entries without 规格 (match on name + form): {report.no_spec_entries}")
    p(f"  entries added by cross-listed rows: {report.cross_listed_new_entries}")
    p(f"  duplicates folded (same normalised key, counted once): {len(report.duplicates)}")
    for d in report.duplicates:
        p(f"    {d}")
    p(f"cells rewritten by hand (OVERRIDES): {len(report.overridden)}")
    for o in report.overridden:
        p(f"    {o}")
    p(f"fragments NOT read (not emitted): {len(report.problems)}")
    for x in report.problems:
        p(f"    {x}")
    p(f"read but uncertain (emitted, marked 规格拆分存疑): {len(report.uncertain)}")
    for x in report.uncertain:
        p(f"    {x}")
    p(f"written: {out}")


def read_source(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    entries, report = convert(read_source(args.source))
    write_csv(entries, args.out)
    print_summary(entries, report, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
