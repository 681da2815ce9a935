"""SH-1 storage and the information liaison, SH-2 dated steps, SYNC-1 change log,
and the export keys."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pharmacy_app.catalogue import Product, save_products
from pharmacy_app.institutions import init_institution
from pharmacy_app.shortage.model import ReportInvalid, ShortageReport, Substitute, TransitionRefused
from pharmacy_app.shortage.store import (
    advance,
    delete_draft,
    get_liaison,
    list_reports,
    load_report,
    new_report,
    open_reports,
    save_report,
    set_liaison,
)
from pharmacy_app.store import open_store

TODAY = dt.date(2026, 11, 23)
NITRO = "XC01DAA066A003010003901"


@pytest.fixture
def conn(tmp_path: Path):
    c = open_store(tmp_path / "shortage.db")
    init_institution(c, "H46010001", "某某卫生院", "grassroots")
    save_products(c, [Product(code=NITRO, generic_name="硝酸甘油", dosage_form="片剂",
                              specification="0.5mg", package="0.5mg*100片/瓶",
                              manufacturer="北京益民药业有限公司")])
    yield c
    c.close()


def filled(conn, **changes) -> ShortageReport:
    report = new_report(conn).with_changes(
        product_code=NITRO, generic_name="硝酸甘油", dosage_form="片剂", specification="0.5mg",
        manufacturer="北京益民药业有限公司", start_date=dt.date(2026, 11, 20),
        stock_on_hand=50, monthly_use=300, kind="partial", cause="distribution",
        clinical_impact="心绞痛急救", measures_taken="催货", reporter="王芳",
        contact="0898-65301234",
        substitutes=(Substitute("硝酸异山梨酯片", "same_class", "XC01DAA068A003010001501"),),
    )
    return report.with_changes(**changes)


def test_sh1_liaison_is_an_institution_setting_and_prefills_new_reports(conn):
    assert get_liaison(conn).name == ""
    set_liaison(conn, " 王芳 ", "0898-65301234")
    assert get_liaison(conn).name == "王芳"
    report = new_report(conn)
    assert (report.reporter, report.contact) == ("王芳", "0898-65301234")
    assert (report.liaison, report.institution_code) == ("王芳", "H46010001")


def test_sh1_liaison_phone_is_checked(conn):
    with pytest.raises(ReportInvalid) as caught:
        set_liaison(conn, "王芳", "not a phone")
    assert caught.value.errors[0].field == "liaison_contact"
    with pytest.raises(ReportInvalid):
        set_liaison(conn, "  ", "")
    assert get_liaison(conn).name == ""  # nothing written


def test_sh1_incomplete_draft_is_saved_as_typed(conn):
    stored = save_report(conn, ShortageReport(product_code=NITRO, generic_name="硝酸甘油"),
                         by="王芳")
    assert stored.uuid and stored.status == "draft" and stored.version == 1
    again = load_report(conn, stored.uuid)
    assert again.generic_name == "硝酸甘油" and again.stock_on_hand is None
    # SH-2: creation is the first dated, signed step.
    assert [(s.from_status, s.to_status, s.by) for s in again.steps] == [(None, "draft", "王芳")]


def test_sh1_every_field_round_trips(conn):
    report = filled(conn, cause="other", cause_detail="台风", kind="complete",
                    substitutes=(Substitute("丙硫氧嘧啶片"), Substitute("x", "same_generic", NITRO)))
    stored = save_report(conn, report)
    loaded = load_report(conn, stored.uuid)
    assert loaded == stored
    for name in ("product_code", "generic_name", "dosage_form", "specification", "manufacturer",
                 "start_date", "stock_on_hand", "monthly_use", "kind", "cause", "cause_detail",
                 "clinical_impact", "substitutes", "measures_taken", "reporter", "contact"):
        assert getattr(loaded, name) == getattr(report, name), name


def test_sh2_every_status_in_order_with_dated_signed_steps(conn):
    stored = save_report(conn, filled(conn), by="王芳")
    r = advance(conn, stored.uuid, "reported", by="王芳", at="2026-11-21 09:00:00")
    r = advance(conn, r.uuid, "handling", by="李主任", note="已转配送企业", at="2026-11-22 10:00:00")
    r = advance(conn, r.uuid, "unresolvable", by="李主任", at="2026-11-23 11:00:00")
    assert r.escalated and r in open_reports(conn)
    r = advance(conn, r.uuid, "resolved", by="王芳", note="到货", at="2026-11-24 12:00:00")
    assert r.status == "resolved" and r not in open_reports(conn)
    assert [(s.from_status, s.to_status) for s in r.steps] == [
        (None, "draft"), ("draft", "reported"), ("reported", "handling"),
        ("handling", "unresolvable"), ("unresolvable", "resolved"),
    ]
    assert [s.by for s in r.steps[1:]] == ["王芳", "李主任", "李主任", "王芳"]
    assert r.steps[2].note == "已转配送企业" and r.steps[2].at == "2026-11-22 10:00:00"
    assert r.version == 5  # created + four steps


def test_sh2_refused_moves_write_nothing(conn):
    stored = save_report(conn, filled(conn))
    with pytest.raises(TransitionRefused, match="不能改为"):
        advance(conn, stored.uuid, "resolved", by="王芳")
    with pytest.raises(TransitionRefused, match="操作人"):
        advance(conn, stored.uuid, "reported", by=" ")
    incomplete = save_report(conn, ShortageReport(product_code=NITRO))
    with pytest.raises(ReportInvalid) as caught:
        advance(conn, incomplete.uuid, "reported", by="王芳")
    assert "cause" in {e.field for e in caught.value.errors}
    assert load_report(conn, stored.uuid).status == "draft"
    assert len(load_report(conn, stored.uuid).steps) == 1


def test_sh2_filed_report_cannot_be_saved_incomplete(conn):
    stored = save_report(conn, filled(conn))
    reported = advance(conn, stored.uuid, "reported", by="王芳")
    with pytest.raises(ReportInvalid) as caught:
        save_report(conn, reported.with_changes(measures_taken=""))
    assert [e.field for e in caught.value.errors] == ["measures_taken"]
    # A save cannot change the status: that is advance's job.
    saved = save_report(conn, reported.with_changes(status="resolved", measures_taken="调剂"))
    assert saved.status == "reported" and saved.measures_taken == "调剂"


def test_sh2_only_drafts_can_be_discarded(conn):
    draft = save_report(conn, ShortageReport(product_code=NITRO))
    filed = advance(conn, save_report(conn, filled(conn)).uuid, "reported", by="王芳")
    with pytest.raises(TransitionRefused):
        delete_draft(conn, filed.uuid)
    delete_draft(conn, draft.uuid)
    assert [r.uuid for r in list_reports(conn)] == [filed.uuid]


def test_sync1_reports_and_steps_are_logged_with_versions(conn):
    stored = save_report(conn, filled(conn))
    save_report(conn, stored.with_changes(measures_taken="再次催货"))
    advance(conn, stored.uuid, "reported", by="王芳")
    log = conn.execute(
        """SELECT table_name, op, version FROM change_log
           WHERE table_name LIKE 'shortage%' ORDER BY seq"""
    ).fetchall()
    assert [tuple(r) for r in log] == [
        ("shortage_reports", "insert", 1),
        ("shortage_report_steps", "insert", 1),
        ("shortage_reports", "update", 2),
        ("shortage_reports", "update", 3),
        ("shortage_report_steps", "insert", 1),
    ]


def test_list_filters_by_status(conn):
    a = save_report(conn, filled(conn))
    advance(conn, a.uuid, "reported", by="王芳")
    save_report(conn, ShortageReport(product_code=NITRO))
    assert [r.status for r in list_reports(conn, ["reported"])] == ["reported"]
    assert len(list_reports(conn)) == 2
    with pytest.raises(ValueError, match="未知状态"):
        list_reports(conn, ["lost"])


def test_export_keys_are_stable_and_json_and_xlsx_agree(conn, tmp_path):
    from python_calamine import CalamineWorkbook

    from pharmacy_app.shortage.export import REPORT_KEYS, write_export
    from pharmacy_app.shortage.service import export_for

    stored = save_report(conn, filled(conn))
    advance(conn, stored.uuid, "reported", by="王芳", at="2026-11-21 09:00:00")
    doc = export_for(conn, list_reports(conn), TODAY)
    item = doc["reports"][0]
    assert tuple(item) == REPORT_KEYS
    assert item["id"] == stored.uuid
    assert item["days_of_cover"] == 5.0 and item["warning_level"] == "red"
    assert item["substitutability"] == "partial" and item["reported_at"] == "2026-11-21 09:00:00"
    assert doc["institution"]["code"] == "H46010001" and doc["profile"] == "national@1"

    write_export(doc, tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["reports"][0] == item
    write_export(doc, tmp_path / "r.xlsx")
    book = CalamineWorkbook.from_path(str(tmp_path / "r.xlsx"))
    rows = book.get_sheet_by_name("reports").to_python()
    header, row = rows[0], rows[1]
    assert header == [k for k in REPORT_KEYS if k != "steps"]
    assert row[header.index("generic_name")] == "硝酸甘油"
    assert row[header.index("status")] == "reported"
    steps = book.get_sheet_by_name("steps").to_python()
    assert [s[3] for s in steps[1:]] == ["draft", "reported"]
    with pytest.raises(ValueError, match=".xlsx 或 .json"):
        write_export(doc, tmp_path / "r.csv")
    assert not list(tmp_path.glob("*.part"))


def test_sync1_a_uuid_named_before_the_first_save_is_kept(conn):
    uuid = "0b7d5a8e-3c1f-4a2b-9d6e-123456789abc"
    first = save_report(conn, ShortageReport(uuid=uuid, product_code=NITRO))
    second = save_report(conn, ShortageReport(uuid=uuid, product_code=NITRO, generic_name="硝酸甘油"))
    assert (first.uuid, first.version) == (uuid, 1)
    assert (second.uuid, second.version, second.generic_name) == (uuid, 2, "硝酸甘油")
    assert len(list_reports(conn)) == 1 and len(second.steps) == 1
    with pytest.raises(ValueError, match="不是 UUID"):
        save_report(conn, ShortageReport(uuid="1; DROP TABLE x", product_code=NITRO))


def test_sh3_resaving_a_report_keeps_the_date_of_its_stock_figure(conn):
    """SH-3: a report's stock is a count dated when it was entered. Saving the report
    again for another field must not re-date an old figure as today's count (the
    low-cover signal takes the newest count); a changed stock is a new count."""
    stored = save_report(conn, filled(conn))
    source = f"report:{stored.uuid}"
    conn.execute("UPDATE stock_counts SET counted_at='2000-01-01 09:00:00' WHERE source=?",
                 (source,))
    save_report(conn, stored.with_changes(measures_taken="再次催货"))
    rows = conn.execute("SELECT counted_at, qty FROM stock_counts WHERE source=?", (source,))
    assert [tuple(r) for r in rows] == [("2000-01-01 09:00:00", 50.0)]
    save_report(conn, stored.with_changes(stock_on_hand=20))
    rows = conn.execute("SELECT counted_at, qty FROM stock_counts WHERE source=?", (source,))
    ((counted_at, qty),) = [tuple(r) for r in rows]
    assert qty == 20.0 and counted_at > "2000-01-01 09:00:00"
