"""Fixtures for the window's tests: a real temporary database, a real worker.

Error dialogs are recorded instead of shown (`shown_errors`); a test that
does not expect one fails if one was raised, so a failing operation can
never pass unnoticed behind a dialog nobody sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from PySide6.QtWidgets import QDialog

from pharmacy_app.catalogue import Product, save_products
from pharmacy_app.institutions import init_institution
from ui import errors
from ui.worker import DbWorker

AMOXICILLIN = "XA01CAA040A001010100483"
CEFIXIME = "XJ01DDD029A001010104328"
IBUPROFEN = "XM01AEB039E001010104455"
AMLODIPINE = "XC08CAA005A001020103011"
ATORVASTATIN = "XC10AAA005A001010100125"
OMEPRAZOLE = "XA02BCA005E001010101221"
OLD_DRUG = "XR05CBA001A001010101111"
SYRINGE = "C" + "01" * 13


def sample_products() -> list[Product]:
    """Eight products covering every flag, both kinds and both statuses."""
    return [
        Product(
            code=AMOXICILLIN,
            generic_name="阿莫西林",
            dosage_form="胶囊",
            specification="0.25g",
            package="0.25g*24粒/盒",
            manufacturer="华北制药股份有限公司",
            is_essential=True,
            is_vbp=True,
            vbp_batch="第二批",
            consistency=True,
            price=Decimal("12.50"),
        ),
        Product(
            code=CEFIXIME,
            generic_name="头孢克肟",
            dosage_form="片",
            specification="0.1g",
            package="0.1g*6片/盒",
            manufacturer="齐鲁制药有限公司",
            consistency=True,
            price=Decimal("8.25"),
        ),
        Product(
            code=IBUPROFEN,
            generic_name="布洛芬",
            dosage_form="缓释胶囊",
            specification="0.3g",
            package="0.3g*20粒/盒",
            manufacturer="中美天津史克制药有限公司",
            is_essential=True,
            originator=True,
            price=Decimal("15.80"),
        ),
        Product(
            code=AMLODIPINE,
            generic_name="苯磺酸氨氯地平",
            dosage_form="片",
            specification="5mg",
            package="5mg*28片/盒",
            manufacturer="辉瑞制药有限公司",
            originator=True,
            negotiated=True,
            price=Decimal("45.00"),
        ),
        Product(
            code=ATORVASTATIN,
            generic_name="阿托伐他汀钙",
            dosage_form="片",
            specification="20mg",
            package="20mg*7片/盒",
            manufacturer="齐鲁制药有限公司",
            is_essential=True,
            is_vbp=True,
            vbp_batch="第一批",
            price=Decimal("6.30"),
        ),
        Product(
            code=OMEPRAZOLE,
            generic_name="奥美拉唑",
            dosage_form="肠溶胶囊",
            specification="20mg",
            package="20mg*14粒/盒",
            manufacturer="阿斯利康制药有限公司",
            price=Decimal("32.00"),
        ),
        Product(
            code=OLD_DRUG,
            generic_name="阿莫西林克拉维酸钾",
            dosage_form="片",
            specification="0.375g",
            package="0.375g*12片/盒",
            manufacturer="华北制药股份有限公司",
            active=False,
            price=Decimal("20"),
        ),
        Product(
            code=SYRINGE,
            kind="consumable",
            generic_name="一次性使用无菌注射器",
            specification="5ml",
            package="1支/袋",
            manufacturer="山东威高集团医用高分子制品股份有限公司",
            price=Decimal("0.35"),
        ),
    ]


@pytest.fixture
def catalogue_db(conn):
    """The temporary database with an institution and the sample products."""
    init_institution(conn, "H46010001", "海口市某某卫生院", "grassroots")
    save_products(conn, sample_products())
    return conn


@pytest.fixture(autouse=True)
def shown_errors(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[BaseException]]:
    """Errors the app would have shown; must be emptied by the test expecting them."""
    shown: list[BaseException] = []

    def record(exc: BaseException, parent=None, *, tb: str | None = None) -> QDialog:
        shown.append(exc)
        return QDialog()

    monkeypatch.setattr(errors, "show_error", record)
    yield shown
    assert not shown, f"unexpected error dialogs: {shown!r}"


@pytest.fixture
def worker(qapp, db_path) -> Iterator[DbWorker]:
    """The real threaded worker on the test's database."""
    w = DbWorker(db_path)
    yield w
    w.shutdown()


@pytest.fixture
def wait_idle(qtbot):
    """wait_idle(worker): until every submitted operation finished and its
    callbacks ran (they may submit more; those are waited for too)."""

    def wait(worker: DbWorker, timeout: int = 10_000) -> None:
        qtbot.waitUntil(worker.is_idle, timeout=timeout)

    return wait


# The offscreen platform plugin warns when a top-level window with size
# constraints is shown; it says nothing about the app. Other Qt warnings
# still fail the test (qt_log_level_fail = WARNING).
OFFSCREEN_NOISE = r"This plugin does not support propagateSizeHints\(\)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture
def demo_worker(qapp, demo_copy) -> Iterator[DbWorker]:
    """The real threaded worker on a private copy of the demo database."""
    w = DbWorker(demo_copy)
    yield w
    w.shutdown()
