"""`pharmacy-app indicators --json` keeps FORMATS.md's public keys (more may be added, none renamed)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json

import pytest

from pharmacy_app.cli import main
from pharmacy_app.demo import build_demo

ESSENTIAL_KEYS = {
    "catalogue_specs", "essential_specs", "spec_share", "list_entries", "list_entries_matched",
    "list_share", "target", "target_basis", "meets_target", "amount_share",
}
AGREEMENT_KEYS = [
    "batch", "generic", "agreed_qty", "selected_qty", "progress", "time_progress",
    "behind_schedule", "non_selected_qty", "non_selected_share", "non_selected_alert", "band",
    "exempt",
]
SUPPLIER_KEYS = {"supplier", "orders", "response_rate", "timeliness", "unresponded_48h"}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo(path, today=dt.date(2026, 11, 23))
    return path


def run_json(path, *args: str):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--db", str(path), *args, "--as-of", "2026-11-23", "--json"]) == 0
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def demo_json(demo_db) -> dict:
    return run_json(demo_db, "indicators")


def test_alerts_name_their_rule_and_figure(demo_db):
    """`alerts` lists AV-3, AV-5, SUP-3, PAY-2 alerts of the demo with rule IDs and figures."""
    alerts = run_json(demo_db, "alerts")
    rules = {a["rule"] for a in alerts}
    assert {"AV-3", "AV-5", "SUP-3", "PAY-2"} <= rules
    for a in alerts:
        assert set(a) == {"rule", "subject", "figure", "threshold", "message"}
        assert a["message"]
    families = [a["rule"].split("-")[0] for a in alerts]
    assert families == sorted(families, key=["AV", "SUP", "PAY", "ED"].index)


def test_top_level_and_essential_keys(demo_json):
    assert {"institution", "as_of", "profile", "essential", "agreements", "suppliers",
            "payments"} <= set(demo_json)
    assert demo_json["institution"]["level"] == "grassroots"
    assert demo_json["as_of"] == "2026-11-23"
    assert set(demo_json["essential"]) >= ESSENTIAL_KEYS
    assert demo_json["essential"]["target_basis"] in ("catalogue", "list")


def test_agreement_supplier_and_payment_keys(demo_json):
    """AV-2, AV-3, AV-5, SUP-1, SUP-2, SUP-3, PAY-3, PAY-4 figures under their public names."""
    assert demo_json["agreements"]
    for a in demo_json["agreements"]:
        assert list(a)[: len(AGREEMENT_KEYS)] == AGREEMENT_KEYS
        assert a["band"] in ("complete", "incomplete", "unqualified")
        assert 0 <= a["time_progress"] <= 1
    bands = {a["generic"]: a["band"] for a in demo_json["agreements"]}
    assert bands["阿卡波糖片"] == "unqualified"
    assert any(a["non_selected_alert"] for a in demo_json["agreements"])
    for s in demo_json["suppliers"]:
        assert set(s) >= SUPPLIER_KEYS
        assert s["response_rate"] is None or 0 <= s["response_rate"] <= 1
    assert {"thirty_day_rate", "offline_share"} <= set(demo_json["payments"])
    assert 0 <= demo_json["payments"]["offline_share"] <= 0.05


def test_figures_are_read_while_another_program_writes(demo_db, demo_json):
    """WAL lets readers through a writer's lock: `indicators` must not need the write lock."""
    import sqlite3

    locker = sqlite3.connect(demo_db, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # e.g. an import running in another window
    try:
        assert run_json(demo_db, "indicators") == demo_json
    finally:
        locker.execute("ROLLBACK")
        locker.close()
