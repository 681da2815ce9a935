"""The catalogue importer's short paths give what the long ones give.

`_clean_row` (no Product built, cell texts parsed once) must accept exactly
the rows `_product` + normalise_product + validate_product accept, as the
same product_row(); `ProductWriter` (row triggers suspended, their work done
set-based) must leave the change log, the products generation and the
summaries' dirty codes as the triggers would (SYNC-1, issue 2).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from importer_fixtures import CATALOGUE_HEADER, INSTITUTION, write_csv

from pharmacy_app.catalogue import normalise_code, product_row
from pharmacy_app.importers import catalogue as catalogue_importer
from pharmacy_app.importers import run_import
from pharmacy_app.importers.catalogue import CatalogueImporter
from pharmacy_app.importers.spec import CATALOGUE
from pharmacy_app.institutions import init_institution

FIELDS = [f.name for f in CATALOGUE.fields]

CELLS = {
    "code": ["XA01ABD075A001010100483", "xa01abd075a001010100483 ", "C" + "1" * 26,
             "C" + "1" * 25, "12345", "", "ＸＡ01ABD075A001010100483"],
    "generic_name": ["阿莫西林", " 布洛芬 ", "", "复方丹参"],
    "kind": ["", "药品", "耗材", "西药", "器械", " Drug "],
    "dosage_form": ["胶囊", "", " 片剂"],
    "specification": ["0.25g", ""],
    "package": ["0.25g*24粒/盒", "10片*2板/盒", "盒", "", "0粒/盒"],
    "conversion": ["", "24", "0", "-2", "2.5", "abc", "１２", "24.0"],
    "manufacturer": ["华北制药", "", " 石药集团 "],
    "is_essential": ["", "是", "否", "√", "Y", "maybe", "1", "2"],
    "is_vbp": ["", "是", "否", "√", "x"],
    "vbp_batch": ["", "第五批", " "],
    "consistency": ["", "是", "否"],
    "originator": ["", "是", "N"],
    "negotiated": ["", "否", "true"],
    "price": ["", "12.50", "-1", "abc", "1,234.50", "￥3", "0"],
    "status": ["", "在用", "停用", "作废", "在售"],
    "udi": ["", " 0690123456789 "],
}


class Errors:
    def __init__(self) -> None:
        self.found: list[tuple[str, str]] = []

    def error(self, chunk: object, i: int, field: str, message: str, value: object = None) -> None:
        self.found.append((field, message))


def checker() -> tuple[CatalogueImporter, Errors]:
    errors = Errors()
    ctx = SimpleNamespace(
        conn=None, mapping={f: i for i, f in enumerate(FIELDS)}, error=errors.error
    )
    importer = CatalogueImporter(ctx)  # type: ignore[arg-type]
    importer.start_checking()
    return importer, errors


@settings(max_examples=400, deadline=None)
@given(st.fixed_dictionaries({f: st.sampled_from(CELLS.get(f, [""])) for f in FIELDS}))
def test_the_clean_row_path_accepts_exactly_what_the_product_path_accepts(row):
    importer, errors = checker()
    values = {f: v.strip() for f, v in row.items()}  # as ctx.texts() gives them: trimmed
    product = importer._product(None, 0, values)  # type: ignore[arg-type]
    expected = None if product is None else product_row(product)
    assert (product is None) == bool(errors.found)
    assert importer._clean_row(normalise_code(values["code"]), values) == expected


def _catalogue(rows: list[list[str]]) -> list[list[str]]:
    return [CATALOGUE_HEADER, *rows]


FIRST = [
    ["XA01ABD075A000000000001", "阿莫西林", "胶囊", "0.25g", "24粒/盒", "", "华北制药",
     "是", "是", "第五批", "是", "否", "否", "12.5", "在用", "药品"],
    ["XA01ABD075A000000000002", "布洛芬", "片剂", "0.1g", "10片/盒", "", "石药", "否", "否", "",
     "否", "否", "否", "3", "在用", "药品"],
    ["XA01ABD075A000000000003", "二甲双胍", "片剂", "0.5g", "20片/盒", "", "正大", "是", "否", "",
     "是", "否", "否", "", "在用", "药品"],
]
SECOND = [
    FIRST[0],  # unchanged
    [*FIRST[1][:7], "否", "是", "第七批", *FIRST[1][10:]],  # VBP from now on
    [*FIRST[2][:13], "8.8", *FIRST[2][14:]],  # a new price only
    ["XA01ABD075A000000000004", "头孢呋辛", "片剂", "0.25g", "12片/盒", "", "国药", "否", "是",
     "第三批", "是", "否", "否", "5", "在用", "药品"],  # new, VBP
    ["XA01ABD075A000000000005", "氨氯地平", "片剂", "5mg", "7片/盒", "", "辉瑞", "是", "否", "",
     "否", "是", "否", "", "在用", "药品"],  # new
]


def _effects(conn) -> dict[str, object]:
    """What the products' triggers leave, with uuids as codes and times left out."""
    code_of = dict(conn.execute("SELECT uuid, code FROM products"))
    return {
        "log": sorted(
            (code_of[r[0]], r[1], r[2])
            for r in conn.execute(
                "SELECT row_uuid, version, op FROM change_log WHERE table_name = 'products'"
            )
        ),
        "generation": conn.execute(
            "SELECT value FROM summary_state WHERE key = 'products_gen'"
        ).fetchone()[0],
        "dirty": sorted(r[0] for r in conn.execute("SELECT code FROM summary_dirty_codes")),
        "products": sorted(
            tuple(r)
            for r in conn.execute(
                "SELECT code, version, is_vbp, price, content_hash, pinyin FROM products"
            )
        ),
        "triggers": sorted(
            r[0]
            for r in conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'products'"
            )
        ),
    }


class TriggerWriter:
    """The plain way: write_product_rows with every trigger in place."""

    def __init__(self, conn) -> None:
        self.conn = conn

    def write(self, rows):
        return catalogue_importer.write_product_rows(self.conn, rows)

    def finish(self) -> None:
        pass


@pytest.mark.parametrize("second", [SECOND, SECOND[:1]], ids=["changes", "nothing-new"])
def test_the_bulk_writer_leaves_what_the_row_triggers_leave(fresh_db, tmp_path, monkeypatch, second):
    first_file = write_csv(tmp_path / "c1.csv", CATALOGUE_HEADER, FIRST)
    second_file = write_csv(tmp_path / "c2.csv", CATALOGUE_HEADER, second)
    results = {}
    for way in ("bulk", "triggers"):
        conn = fresh_db(way, catalogue=False)
        with monkeypatch.context() as m:
            if way == "triggers":
                m.setattr(catalogue_importer, "ProductWriter", TriggerWriter)
            counts = [
                (r.inserted, r.updated, r.unchanged)
                for r in (run_import(conn, "catalogue", f) for f in (first_file, second_file))
            ]
        results[way] = (counts, _effects(conn))
    assert results["bulk"] == results["triggers"]
    counts, effects = results["bulk"]
    if second is SECOND:
        assert counts == [(3, 0, 0), (2, 2, 1)]
        assert effects["dirty"] == ["XA01ABD075A000000000001", "XA01ABD075A000000000002",
                                    "XA01ABD075A000000000004"]


def test_a_rejected_catalogue_keeps_the_triggers(conn, tmp_path):
    init_institution(conn, INSTITUTION, "测试卫生院", "grassroots")
    before = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'products'"
    ).fetchone()[0]
    bad = [*FIRST, ["12345", "坏编码", "片剂", "", "", "", "", "", "", "", "", "", "", "", "", ""]]
    result = run_import(conn, "catalogue", write_csv(tmp_path / "bad.csv", CATALOGUE_HEADER, bad))
    assert not result.committed
    after = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'products'"
    ).fetchone()[0]
    assert after == before and conn.execute("SELECT count(*) FROM products").fetchone()[0] == 0
