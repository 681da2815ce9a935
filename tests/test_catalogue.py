"""Catalogue products: validation (CON-1 codes), saving, versions, deactivation."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from pharmacy_app.catalogue import (
    Product,
    ProductInvalid,
    get_product,
    pinyin_initials,
    save_products,
    set_active,
    validate_code,
)

DRUG = Product(
    code="XJ01CAA040A001010100483", generic_name="阿莫西林", dosage_form="胶囊",
    specification="0.25g", package="0.25g*24粒/盒", manufacturer="华北制药", price=Decimal("12.50"),
)


def test_con1_codes_23_char_drug_and_27_char_consumable():
    """CON-1: consumables carry the 27-character national code starting with C."""
    assert validate_code("XJ01CAA040A001010100483") is None
    assert validate_code("C" + "0" * 26) is None
    assert "27" in validate_code("C123")
    assert "23" in validate_code("XJ01")
    assert validate_code("C" + "0" * 26, "drug") is not None


def test_invalid_product_names_each_bad_field():
    with pytest.raises(ProductInvalid) as info:
        save_products(None, [Product(code="X1", generic_name="", package="盒")])  # type: ignore[arg-type]
    fields = {e.field for e in info.value.errors}
    assert fields == {"code", "generic_name", "conversion"}


def test_save_derives_conversion_and_versions_only_real_changes(conn):
    assert save_products(conn, [DRUG]).inserted == 1
    assert get_product(conn, DRUG.code).conversion == 24
    assert save_products(conn, [DRUG]).unchanged == 1
    assert save_products(conn, [replace(DRUG, price=Decimal("13"))]).updated == 1
    version, = conn.execute("SELECT version FROM products").fetchone()
    assert version == 2
    ops = [r[0] for r in conn.execute("SELECT op FROM change_log WHERE table_name='products'")]
    assert ops == ["insert", "update"]


def test_deactivate_keeps_the_product(conn):
    save_products(conn, [DRUG])
    assert set_active(conn, [DRUG.code], False) == 1
    assert set_active(conn, [DRUG.code], False) == 0
    assert get_product(conn, DRUG.code).active is False


def test_pinyin_initials_for_search():
    assert pinyin_initials("阿莫西林") == "amxl"
    assert pinyin_initials("头孢克洛ＸＲ") == "tbklxr"


def test_marking_a_saved_drug_vbp_and_back_saves(conn):
    """Turning VBP on and off through save_products (the product dialog) must not abort.

    0007's trigger noted the code twice with INSERT OR IGNORE, which the
    upsert's own conflict policy overrode: "UNIQUE constraint failed" (0012).
    """
    save_products(conn, [DRUG])
    for vbp, batch in ((True, "第五批"), (False, ""), (True, "第七批")):
        save_products(conn, [replace(DRUG, is_vbp=vbp, vbp_batch=batch)])
        assert get_product(conn, DRUG.code).is_vbp is vbp
    noted = conn.execute("SELECT code FROM summary_dirty_codes").fetchall()
    assert [r[0] for r in noted] == [DRUG.code]


def test_a_deactivated_product_can_be_put_back_in_use_by_saving_it(conn):
    """set_active keeps the content hash right: saving the product active again is a change."""
    save_products(conn, [DRUG])
    assert set_active(conn, [DRUG.code], False) == 1
    saved = save_products(conn, [replace(DRUG, active=True)])
    assert (saved.updated, saved.unchanged) == (1, 0)
    assert get_product(conn, DRUG.code).active is True
    # And the reverse: reactivated by the action, saved as inactive again.
    assert set_active(conn, [DRUG.code], True) == 0  # already active
    assert set_active(conn, [DRUG.code], False) == 1 and set_active(conn, [DRUG.code], True) == 1
    assert save_products(conn, [replace(DRUG, active=False)]).updated == 1
    assert get_product(conn, DRUG.code).active is False


def test_adding_a_product_whose_code_is_stored_is_refused_not_an_overwrite(conn):
    save_products(conn, [replace(DRUG, is_essential=True)])
    with pytest.raises(ProductInvalid, match="已在采购目录中"):
        save_products(conn, [replace(DRUG, generic_name="别的药")], new=True)
    assert get_product(conn, DRUG.code).generic_name == "阿莫西林"
    assert get_product(conn, DRUG.code).is_essential is True


@pytest.mark.parametrize(
    "change, field",
    [({"conversion": 99999999999999999999}, "conversion"), ({"price": Decimal("1e30")}, "price")],
)
def test_an_impossible_conversion_or_price_is_refused_under_its_field(conn, change, field):
    with pytest.raises(ProductInvalid) as refused:
        save_products(conn, [replace(DRUG, **change)])
    assert [e.field for e in refused.value.errors] == [field]
    assert get_product(conn, DRUG.code) is None
