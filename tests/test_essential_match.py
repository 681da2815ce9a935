"""ED-2: converting the 2026 list into entries, normalising names/forms/specs, matching.

RULES.md ED-2 counts list entries (variety × 剂型 × 规格) equipped by at least
one active catalogue product; FORMATS.md matches on normalised 通用名 and 剂型
(and 规格 where the entry has one). These tests pin the conversion of each
tricky kind of source cell and the matching rules the share depends on.
"""

from __future__ import annotations

import csv
import importlib.util
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from pharmacy_app import essential_match as em
from pharmacy_app.catalogue import Product, save_products
from pharmacy_app.essential_match import (
    NameMapping,
    confirm_mapping,
    entry_names,
    is_class_entry,
    list_mappings,
    match_entries,
    normalise_form,
    normalise_name,
    normalise_spec,
    remove_mapping,
    spec_key,
    strip_form_suffix,
    suggest_salt_mappings,
)

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path(__file__).resolve().parents[2] / "shared/data/reference/nhc_essential_medicines_2026_rhn.csv"
BUNDLED = ROOT / "resources" / "reference" / "essential_list_2026.csv"


def _load_converter():
    spec = importlib.util.spec_from_file_location(
        "convert_essential_list_2026", ROOT / "scripts" / "convert_essential_list_2026.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


conv = _load_converter()


def cell(text: str) -> list[tuple[str, str]]:
    """(form, spec) pairs of a parsed 收录剂型与规格 cell."""
    parsed = conv.parse_cell(text)
    return [
        (f.form, sp.text)
        for s in parsed.segments
        for f in s.forms
        for sp in (s.specs or [conv.SpecItem("")])
    ]


def source_row(**kw: str) -> dict[str, str]:
    row = {
        "序号": "1",
        "药品编码": "MED-2026-W999",
        "药品类型": "西药",
        "一级分类": "",
        "二级分类": "",
        "功能主治/亚类": "",
        "药品通用名": "测试药",
        "英文名称(INN)": "Testdrug",
        "拼音简码": "",
        "收录剂型与规格": "",
        "专科医师指导(△)": "否",
        "跨分类重复(*)": "否",
        "备注说明": "",
    }
    row.update(kw)
    return row


# --------------------------------------------------------------------------- conversion
def test_ed2_cell_forms_before_colon_and_specs_after():
    """ED-2 entry = variety × form × spec: forms split by 、 before ：, segments by ；."""
    assert cell("片剂、胶囊：0.25g； 注射用无菌粉末：0.5g、1.0g") == [
        ("片剂", "0.25g"),
        ("胶囊", "0.25g"),
        ("注射用无菌粉末", "0.5g"),
        ("注射用无菌粉末", "1.0g"),
    ]


def test_ed2_cell_pdf_spacing_and_ratio_sign():
    """`0. 1g` is 0.1g and U+2236 `∶` becomes `:`; spaces inside values go."""
    assert cell("注射液： 1ml ∶0.5mg 、1ml ∶1mg") == [
        ("注射液", "1ml:0.5mg"),
        ("注射液", "1ml:1mg"),
    ]
    assert cell("片剂、胶囊：0. 125g 、0.25g") == [
        ("片剂", "0.125g"),
        ("片剂", "0.25g"),
        ("胶囊", "0.125g"),
        ("胶囊", "0.25g"),
    ]
    assert cell("注射用无菌粉末：5mg（5000 单 位）")[0] == ("注射用无菌粉末", "5mg")


def test_ed2_cell_salt_prefix_goes_to_the_note_and_equivalents_too():
    """（钾盐）/（钠盐） stay out of variety and 规格; （40 万单位） is a note."""
    parsed = conv.parse_cell(
        "（钾盐）注射用无菌粉末：0.25g（40 万单位）、0.5g（80 万单位）； "
        "（钠盐）注射用无菌粉末：0.24g（40 万单位）、0.48g（80 万单位）"
    )
    first, second = parsed.segments
    assert [f.form for f in first.forms] == ["注射用无菌粉末"]
    assert first.forms[0].notes == ["盐/酯：钾盐"] and second.forms[0].notes == ["盐/酯：钠盐"]
    assert [(s.text, s.notes) for s in first.specs] == [
        ("0.25g", ["40万单位"]),
        ("0.5g", ["80万单位"]),
    ]


def test_ed2_cell_salt_applies_until_the_next_bracket_and_enteric_groups_expand():
    """红霉素: 肠溶（片剂、胶囊）、（琥珀酸乙酯）片剂、（琥珀酸乙酯）胶囊."""
    parsed = conv.parse_cell(
        "肠溶（片剂、胶囊）、（琥珀酸乙酯）片剂、（琥珀酸乙酯）胶囊： 0. 125g（ 12.5 万单位）"
    )
    forms = [(f.form, f.notes) for f in parsed.segments[0].forms]
    assert forms == [
        ("肠溶片", []),
        ("肠溶胶囊", []),
        ("片剂", ["盐/酯：琥珀酸乙酯"]),
        ("胶囊", ["盐/酯：琥珀酸乙酯"]),
    ]
    assert cell("（头孢呋辛酯）片剂、分散片：0.25g")[1] == ("分散片", "0.25g")


def test_ed2_cell_per_unit_wording_kept_and_normalised_for_matching():
    """`每片重 0.4g` / `每袋装 2g` stay readable; normalise_spec gives 0.4g / 2g."""
    assert cell("片剂：每片重 0.4g； 颗粒剂：每袋装 2g") == [
        ("片剂", "每片重0.4g"),
        ("颗粒剂", "每袋装2g"),
    ]
    assert normalise_spec("每片重0.4g") == "0.4g" and normalise_spec("每袋装2g") == "2g"
    # A bare value after 每袋装6g reads as 每袋装9g.
    assert cell("丸剂：每袋装 6g 、9g") == [("丸剂", "每袋装6g"), ("丸剂", "每袋装9g")]


def test_ed2_cell_infusion_vehicles_are_forms_of_their_own():
    """硝酸异山梨酯 `氯化钠注射液、葡萄糖注射液： 100ml ∶10mg` → two entries."""
    assert cell("氯化钠注射液、葡萄糖注射液： 100ml ∶10mg") == [
        ("氯化钠注射液", "100ml:10mg"),
        ("葡萄糖注射液", "100ml:10mg"),
    ]


def test_ed2_cell_lost_semicolon_and_glued_forms_without_spec():
    """PDF debris: `0.38g颗粒剂：…` starts a segment; `0. 1mg贴剂` is a form without 规格."""
    assert cell("片剂：每片重 0.35g、0.38g颗粒剂：每袋装 2g") == [
        ("片剂", "每片重0.35g"),
        ("片剂", "每片重0.38g"),
        ("颗粒剂", "每袋装2g"),
    ]
    assert cell("注射液：2ml ∶0. 1mg贴剂") == [("注射液", "2ml:0.1mg"), ("贴剂", "")]
    assert cell("片剂、缓释片、口服溶液剂、注射液") == [
        ("片剂", ""),
        ("缓释片", ""),
        ("口服溶液剂", ""),
        ("注射液", ""),
    ]


def test_ed2_cell_percentage_with_volume_list_expands():
    """氯化钠 `0.9%（ 10ml、50ml）、10%（10ml）` is one entry per concentration × volume."""
    assert cell("注射液：0.9%（ 10ml、50ml ）、10%（10ml）") == [
        ("注射液", "10ml:0.9%"),
        ("注射液", "50ml:0.9%"),
        ("注射液", "10ml:10%"),
    ]


def test_ed2_cell_equivalence_and_composition_clauses_are_notes():
    """相当于/含 clauses are notes unless nothing else gives the 规格."""
    parsed = conv.parse_cell("颗粒剂：每袋装 5g 、7.5g，每 1g 相当于饮片 0.98g")
    seg = parsed.segments[0]
    assert [s.text for s in seg.specs] == ["每袋装5g", "每袋装7.5g"]
    assert "每1g相当于饮片0.98g" in seg.notes
    assert cell("颗粒剂：每袋相当于饮片16g") == [("颗粒剂", "每袋相当于饮片16g")]
    assert cell("片剂(Ⅰ)：每片含缬沙坦 80mg、氨氯地平 5mg") == [
        ("片剂", "每片含缬沙坦80mg、氨氯地平5mg")
    ]


def test_ed2_unreadable_fragments_are_reported_not_dropped_silently():
    parsed = conv.parse_cell("注射液：每支装2ml∶70mg，每支装； 5ml ∶175mg")
    assert parsed.problems == ["每支装"]
    assert cell("注射液：每支装2ml∶70mg，每支装； 5ml ∶175mg") == [
        ("注射液", "每支装2ml:70mg"),
        ("注射液", "5ml:175mg"),
    ]


def test_ed2_names_vitamin_letter_from_english_column():
    """SOURCES.md quirk: 维生素 + `B12 Vitamin B12` → 维生素B12; 两性霉素B; 碳酸钙D3."""
    assert conv.variety_name("维生素", "B12 Vitamin B12", "西药", ["注射液"])[0] == "维生素B12"
    assert (
        conv.variety_name("两性霉素", "B\nAmphotericin B", "西药", ["注射用无菌粉末"])[0]
        == "两性霉素B"
    )
    assert (
        conv.variety_name("碳酸钙", "D3\nCalcium Carbonate and\nVitamin D3", "西药", ["片剂"])[0]
        == "碳酸钙D3"
    )
    assert conv.variety_name("维A酸", "Tretinoin", "西药", ["片剂"])[0] == "维A酸"
    assert conv.variety_name(
        "中/ 长链脂肪乳", "Medium and Long Chain\nFat Emulsion", "西药", ["注射液"]
    )[0] == ("中/长链脂肪乳")


def test_ed2_names_chinese_medicine_alternatives_give_the_variety():
    """固本咳喘片（颗粒、胶囊） → 固本咳喘 with forms 片剂/颗粒剂/胶囊 as the segments say."""
    entries = conv.convert_row(
        source_row(
            药品类型="中成药",
            药品通用名="固本咳喘片（颗粒、胶囊）",
            **{"英文名称(INN)": ""},
            收录剂型与规格="片剂：每片重 0.4g； 颗粒剂：每袋装 2g； 胶囊：每粒装 0.4g（相当于饮片 0.854g）",
        ),
        conv.Report(),
    )
    assert [(e.name, e.form, e.spec, e.category) for e in entries] == [
        ("固本咳喘", "片剂", "每片重0.4g", "中成药"),
        ("固本咳喘", "颗粒剂", "每袋装2g", "中成药"),
        ("固本咳喘", "胶囊", "每粒装0.4g", "中成药"),
    ]
    two = conv.variety_name("强力枇杷膏（蜜炼）、\n强力枇杷露", "", "中成药", ["煎膏剂", "糖浆剂"])
    assert two[0] == "强力枇杷"
    # A single-form name stays as the list writes it.
    assert conv.variety_name("安宫牛黄丸", "", "中成药", ["丸剂"])[0] == "安宫牛黄丸"


def test_ed2_cross_listed_rows_do_not_double_count():
    """`*（32）` repeats 甲硝唑 片剂 0.2g (folded, noted) and adds 栓剂 0.5g (new entry)."""
    rows = [
        source_row(
            序号="32",
            药品编码="MED-2026-W032",
            药品通用名="甲硝唑",
            收录剂型与规格="片剂、胶囊：0.2g",
        ),
        source_row(
            序号="*（32）",
            药品编码="MED-2026-W032",
            药品通用名="甲硝唑",
            收录剂型与规格="片剂：0.2g； 栓剂：0.5g",
        ),
    ]
    entries, report = conv.convert(rows)
    assert [(e.form, e.spec) for e in entries] == [
        ("片剂", "0.2g"),
        ("胶囊", "0.2g"),
        ("栓剂", "0.5g"),
    ]
    assert report.cross_listed_new_entries == 1 and len(report.duplicates) == 1
    assert "同一品规另见 *（32）" in entries[0].row()["备注"]


def test_ed2_class_level_entries_keep_empty_spec_and_are_marked():
    report = conv.Report()
    (entry,) = conv.convert_row(
        source_row(
            药品通用名="血友病用药",
            **{"英文名称(INN)": ""},
            收录剂型与规格="注射用无菌粉末",
            备注说明="注释 5 △",
        ),
        report,
    )
    assert (entry.name, entry.form, entry.spec, entry.class_level) == (
        "血友病用药",
        "注射用无菌粉末",
        "",
        True,
    )
    assert "类别条目" in entry.row()["备注"] and report.class_level
    assert is_class_entry("结核病用药") and not is_class_entry("异烟肼")


def test_ed2_bundled_csv_is_well_formed():
    """The committed list: FORMATS.md columns first, unique keys, 7 class-level entries."""
    with BUNDLED.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:5] == ["序号", "通用名", "剂型", "规格", "类别"]
    assert BUNDLED.read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(rows) == 2180
    assert {r["类别"] for r in rows} == {"化学药品和生物制品", "中成药"}
    assert sum("类别条目" in r["备注"] for r in rows) == 7
    keys = [
        spec_key(r["通用名"], r["剂型"], r["规格"]) for r in rows if "类别条目" not in r["备注"]
    ]
    assert len(keys) == len(set(keys))
    by_name = {r["通用名"] for r in rows}
    assert {"维生素B12", "两性霉素B", "碳酸钙D3", "中/长链脂肪乳", "固本咳喘"} <= by_name
    assert "维生素" not in by_name


@pytest.mark.skipif(not SOURCE.exists(), reason="shared reference data not mounted")
def test_ed2_bundled_csv_is_what_the_converter_writes(tmp_path):
    """Regenerating from the source gives the committed file byte for byte."""
    out = tmp_path / "list.csv"
    entries, _report = conv.convert(conv.read_source(SOURCE))
    conv.write_csv(entries, out)
    assert out.read_bytes() == BUNDLED.read_bytes()


# --------------------------------------------------------------------------- normalisation
@pytest.mark.parametrize(
    ("spellings", "canonical"),
    [
        (("片剂", "片", "素片", "薄膜衣片"), "片剂"),
        (("胶囊", "胶囊剂", "硬胶囊"), "胶囊"),
        (("软胶囊", "胶丸"), "软胶囊"),
        (("肠溶胶囊", "肠溶胶囊剂"), "肠溶胶囊"),
        (("注射液", "注射剂", "针剂", "注射用浓溶液"), "注射液"),
        (("注射用无菌粉末", "粉针剂", "注射用粉末", "冻干粉针"), "注射用无菌粉末"),
        (("颗粒剂", "颗粒", "冲剂"), "颗粒剂"),
        (("丸剂", "丸", "水蜜丸"), "丸剂"),
        (("合剂", "口服液", "口服溶液剂"), "口服溶液剂"),
        (("缓释片", "缓释片剂"), "缓释片"),
    ],
)
def test_ed2_dosage_form_synonyms(spellings, canonical):
    assert {normalise_form(s) for s in spellings} == {canonical}


def test_ed2_distinct_forms_stay_distinct():
    assert len({normalise_form(f) for f in ("胶囊", "软胶囊", "肠溶胶囊", "缓释胶囊")}) == 4
    assert normalise_form("片剂") != normalise_form("分散片") != normalise_form("肠溶片")
    assert normalise_form("片剂（含消旋）") == "片剂"
    assert normalise_form("奇怪剂型") == "奇怪剂型"  # unknown forms still equal themselves


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("0. 1g", "0.1g"),
        ("1.0g", "1g"),
        ("250mg", "0.25g"),
        ("0.25 G", "0.25g"),
        ("10MG", "10mg"),
        ("1ml ∶0.5mg", "1ml:0.5mg"),
        ("0.5mg/1ml", "1ml:0.5mg"),
        ("100mg/10ml", "10ml:0.1g"),
        ("每片重 0.3g", "0.3g"),
        ("每袋装 2g", "2g"),
        ("每袋（瓶）装 6g", "6g"),
        ("0.25g（40 万单位）", "0.25g"),
        ("60 万单位", "600000IU"),
        ("60万U", "600000IU"),
        ("600000IU", "600000IU"),
        ("0.25g*24粒/盒", "0.25g"),
        ("50μg/ 揿", "50μg"),
        ("50ug", "50μg"),
        ("0.9%100ml", "100ml:0.9%"),
        ("每10丸重1.8g", "每10丸重1.8g"),
        ("", ""),
        # A bracket naming the only volume or mass is a second quantity, not a note:
        ("0.9%(100ml)", "100ml:0.9%"),
        ("0.9%（250ml）", "250ml:0.9%"),
        ("1ml(2mg)", "1ml:2mg"),
        ("100ml(0.9%)", "100ml:0.9%"),
        ("20mg(10ml)", "10ml:20mg"),
        # ... while one restating what is outside stays a note.
        ("250ml:2.25g(0.9%)", "250ml:2.25g"),
        ("5ml(相当于饮片2g)", "5ml"),
        ("0.25g(以阿莫西林计)", "0.25g"),
        # Chinese units are the same quantities.
        ("200毫克", "0.2g"),
        ("0.2克", "0.2g"),
        ("10毫升:0.5克", "10ml:0.5g"),
        ("50微克", "50μg"),
    ],
)
def test_ed2_spec_normalisation(raw, canonical):
    assert normalise_spec(raw) == canonical


def test_ed2_names_and_form_suffixes():
    assert normalise_name("阿莫西林（胶囊） ") == normalise_name("阿莫西林(胶囊)")
    assert normalise_name("维生素Ｂ１２") == "维生素B12"
    assert strip_form_suffix("阿莫西林胶囊", "胶囊") == "阿莫西林"
    assert strip_form_suffix("阿莫西林", "胶囊") == "阿莫西林"
    assert strip_form_suffix("复方丹参滴丸", "滴丸剂") == "复方丹参"
    assert strip_form_suffix("注射用头孢曲松钠", "粉针剂") == "头孢曲松钠"
    assert strip_form_suffix("藿香正气水", "酊剂") == "藿香正气"
    assert strip_form_suffix("硝酸甘油", "片剂") == "硝酸甘油"  # only the product's own form words
    assert entry_names("美沙拉秦（美沙拉嗪）")[1:] == ("美沙拉秦", "美沙拉嗪")
    assert "复方磺胺甲恶唑" in entry_names("复方磺胺甲噁（恶）唑")
    assert entry_names("多种维生素（12）") == ("多种维生素(12)",)


def test_ed1_strengths_in_brackets_are_distinct_pinggui():
    """ED-1: 0.9% (100 ml) and 0.9% (250 ml) are two 品规; 200毫克 and 0.2g one."""
    assert spec_key("氯化钠", "注射剂", "0.9%(100ml)") != spec_key("氯化钠", "注射剂", "0.9%(250ml)")
    assert spec_key("氯化钠", "注射剂", "0.9%(100ml)") == spec_key("氯化钠", "注射剂", "100ml:0.9%")
    assert spec_key("甲硝唑", "片剂", "200毫克") == spec_key("甲硝唑", "片剂", "0.2g")


def test_ed2_spec_key_groups_spellings_of_one_pinggui():
    assert spec_key("阿莫西林胶囊", "胶囊剂", "250mg") == spec_key("阿莫西林", "胶囊", "0.25 g")
    assert spec_key("注射用头孢曲松钠", "注射剂", "1.0g") == ("头孢曲松钠", "注射用无菌粉末", "1g")


# --------------------------------------------------------------------------- matching
@dataclass(frozen=True)
class P:
    code: str
    generic_name: str
    dosage_form: str
    specification: str
    kind: str = "drug"
    active: bool = True


def E(eid: int, name: str, form: str, spec: str | None) -> dict:
    return {"id": eid, "generic_name": name, "dosage_form": form, "specification": spec}


def test_ed2_entry_with_spec_needs_equal_spec_entry_without_matches_any():
    entries = [E(1, "头孢曲松", "注射用无菌粉末", "1.0g"), E(2, "吗啡", "缓释片", None)]
    products = [
        P("a", "注射用头孢曲松钠", "注射剂", "1g"),  # salt name: no match without a mapping
        P("b", "头孢曲松", "粉针剂", "1000mg"),
        P("c", "头孢曲松", "粉针剂", "2g"),  # other 规格
        P("d", "吗啡缓释片", "缓释片", "30mg"),
        P("e", "吗啡", "片剂", "30mg"),  # other form
    ]
    assert match_entries(entries, products) == {1: ["b"], 2: ["d"]}


def test_ed2_two_manufacturers_of_one_pinggui_equip_one_entry_once():
    entries = [E(1, "阿莫西林", "胶囊", "0.25g"), E(2, "阿莫西林", "胶囊", "0.5g")]
    products = [P("a", "阿莫西林", "胶囊", "0.25g"), P("b", "阿莫西林胶囊", "胶囊剂", "250mg")]
    matches = match_entries(entries, products)
    assert matches == {1: ["a", "b"]}
    assert em.matched_share(entries, matches) == (1, 2)


def test_ed2_inactive_products_and_consumables_never_equip_an_entry():
    """The caller passes active drugs only (RULES.md ED); what it leaves out cannot match."""
    entries = [E(1, "布洛芬", "片剂", "0.2g"), E(2, "阿莫西林", "胶囊", "0.25g")]
    catalogue = [
        P("a", "布洛芬", "片剂", "0.2g", active=False),
        P("b", "阿莫西林", "胶囊", "0.25g", kind="consumable"),
        P("c", "阿莫西林", "胶囊", "0.25g"),
    ]
    counted = [p for p in catalogue if p.active and p.kind == "drug"]
    assert match_entries(entries, counted) == {2: ["c"]}


def test_ed2_list_entry_forms_and_vehicles_match_catalogue_spellings():
    entries = [
        E(1, "左氧氟沙星", "氯化钠注射液", "100ml:0.5g"),
        E(2, "氯化钠", "注射液", "100ml:0.9%"),
        E(3, "固本咳喘", "颗粒剂", "每袋装2g"),
        E(4, "利多卡因", "凝胶剂", "2%"),
        E(5, "美沙拉秦（美沙拉嗪）", "肠溶片", "0.5g"),
    ]
    products = [
        P("a", "左氧氟沙星氯化钠注射液", "注射剂", "100ml:0.5g"),
        P("b", "氯化钠注射液", "注射液", "100ml:0.9g"),
        P("c", "固本咳喘颗粒", "颗粒", "2g"),
        P("d", "盐酸利多卡因凝胶", "凝胶", "20g:0.4g"),  # salt name: not without a mapping
        P("e", "美沙拉嗪肠溶片", "肠溶片", "0.5g"),
    ]
    assert match_entries(entries, products) == {1: ["a"], 2: ["b"], 3: ["c"], 5: ["e"]}
    assert match_entries(entries, products, {"盐酸利多卡因": "利多卡因"})[4] == ["d"]


def test_ed2_products_as_rows_and_an_empty_catalogue():
    entries = [E(1, "阿莫西林", "胶囊", "0.25g")]
    rows = [
        {"code": "a", "generic_name": "阿莫西林", "dosage_form": "胶囊", "specification": "0.25g"}
    ]
    assert match_entries(entries, rows) == {1: ["a"]}
    assert match_entries(entries, []) == {}


def test_ed2_confirmed_salt_mapping_makes_a_match_that_did_not_exist(conn):
    """盐酸二甲双胍 is suggested, confirmed once, remembered, and then equips 二甲双胍."""
    save_products(
        conn,
        [
            Product(
                code="XA10BAE077A001010101234",
                generic_name="盐酸二甲双胍片",
                dosage_form="片剂",
                specification="0.5g",
                package="0.5g*20片/盒",
            ),
            Product(
                code="XC09AAE080A001010101234",
                generic_name="马来酸依那普利",
                dosage_form="片",
                specification="10mg",
                package="10mg*16片/盒",
            ),
        ],
    )
    entries = [E(1, "二甲双胍", "片剂", "0.5g"), E(2, "依那普利", "片剂", "10mg")]
    products = [
        P(r[0], r[1], r[2], r[3])
        for r in conn.execute("SELECT code, generic_name, dosage_form, specification FROM products")
    ]
    assert match_entries(entries, products, list_mappings(conn)) == {}

    suggestions = suggest_salt_mappings(conn, ["二甲双胍", "依那普利", "阿莫西林"])
    assert {(s.catalogue_name, s.list_name) for s in suggestions} == {
        ("盐酸二甲双胍", "二甲双胍"),
        ("马来酸依那普利", "依那普利"),
    }
    confirm_mapping(conn, "盐酸二甲双胍", "二甲双胍", note="同一活性成分")
    assert list_mappings(conn) == [NameMapping("盐酸二甲双胍", "二甲双胍", True, "同一活性成分")]
    assert match_entries(entries, products, list_mappings(conn)) == {1: ["XA10BAE077A001010101234"]}
    # Confirmed names are not suggested again; the user's answer is kept once.
    assert [s.catalogue_name for s in suggest_salt_mappings(conn, ["二甲双胍", "依那普利"])] == [
        "马来酸依那普利"
    ]
    confirm_mapping(conn, "盐酸二甲双胍 ", "二甲双胍")
    assert len(list_mappings(conn)) == 1
    assert remove_mapping(conn, "盐酸二甲双胍") is True
    assert match_entries(entries, products, list_mappings(conn)) == {}
    assert remove_mapping(conn, "盐酸二甲双胍") is False


def test_ed2_salt_suggestions_from_names():
    got = suggest_salt_mappings(
        ["阿莫西林钠", "注射用头孢曲松钠", "阿莫西林", "苯磺酸左氨氯地平", "维生素C"],
        ["阿莫西林", "头孢曲松", "左氨氯地平", "维生素C"],
    )
    assert [(s.catalogue_name, s.list_name) for s in got] == [
        ("阿莫西林钠", "阿莫西林"),
        ("注射用头孢曲松钠", "头孢曲松"),
        ("苯磺酸左氨氯地平", "左氨氯地平"),
    ]
    with pytest.raises(TypeError):
        suggest_salt_mappings(["x"])


def test_ed2_class_level_entry_matches_only_through_a_mapping():
    entries = [E(1, "结核病用药", "", None), E(2, "血友病用药", "注射用无菌粉末", None)]
    products = [
        P("a", "异烟肼", "片剂", "0.1g"),
        P("b", "注射用重组人凝血因子Ⅷ", "注射用无菌粉末", "250IU"),
    ]
    assert match_entries(entries, products) == {}
    mapped = match_entries(
        entries, products, {"异烟肼": "结核病用药", "重组人凝血因子Ⅷ": "血友病用药"}
    )
    assert mapped == {1: ["a"], 2: ["b"]}


def test_ed2_matching_100k_products_against_the_bundled_list():
    """100,000 varied products × the 2,180 bundled entries give stable matches.

    Speed is measured in bench/indicators_bench.py, not asserted here.
    """
    with BUNDLED.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    entries = [E(i, r["通用名"], r["剂型"], r["规格"] or None) for i, r in enumerate(rows)]
    rnd = random.Random(7)
    names = [r["通用名"] for r in rows] + [f"目录外药品{i}" for i in range(8000)]
    forms = ["片剂", "片", "胶囊", "注射液", "注射剂", "粉针剂", "颗粒", "口服液"]
    specs = ["0.25g", "250mg", "0.5g", "10mg", "1ml:0.5mg", "2ml ∶10mg", "每片重0.3g", "5mg*24片"]
    products = []
    for i in range(100_000):
        name = rnd.choice(names)
        if rnd.random() < 0.3:
            name = rnd.choice(("盐酸", "注射用", "")) + name + rnd.choice(("片", "胶囊", ""))
        products.append(P(f"X{i:022d}", name, rnd.choice(forms), rnd.choice(specs)))
    for fn in (
        em.normalise_name,
        em.normalise_spec,
        em.spec_variants,
        em.product_candidates,
        em._strip_suffix_normalised,
        em.entry_names,
    ):
        fn.cache_clear()
    matches = match_entries(entries, products, {"盐酸二甲双胍": "二甲双胍"})
    assert matches  # the data does hit the list
    # Warm caches give the same answer as cold ones.
    assert match_entries(entries, products, {"盐酸二甲双胍": "二甲双胍"}) == matches
