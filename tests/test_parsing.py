"""Value parsers shared by importers, dialogs and the command line (FORMATS.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pharmacy_app.parsing import (
    conversion_from_package,
    decimal_text,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_flag,
    yuan_to_fen,
)


@pytest.mark.parametrize("text", ["是", "Y", "y", "1", "true", "TRUE", "√", "Ｙ", 1, True])
def test_true_flags(text):
    assert parse_flag(text) is True


@pytest.mark.parametrize("text", ["否", "N", "0", "false", "", None, 0, False])
def test_false_flags(text):
    assert parse_flag(text) is False


def test_unknown_flag_is_an_error_that_lists_the_accepted_forms():
    with pytest.raises(ValueError, match="是/否"):
        parse_flag("maybe")


@pytest.mark.parametrize(
    "value",
    ["2026-03-01", "2026/3/1", "20260301", "2026年3月1日", 46082, "46082", dt.date(2026, 3, 1),
     dt.datetime(2026, 3, 1)],
)
def test_every_date_spelling(value):
    assert parse_date(value) == dt.date(2026, 3, 1)


def test_datetimes_keep_the_time():
    assert parse_datetime("2026/3/1 8:05:09") == dt.datetime(2026, 3, 1, 8, 5, 9)
    assert parse_datetime("2026-03-01 08:30") == dt.datetime(2026, 3, 1, 8, 30)
    assert parse_datetime(46082.5) == dt.datetime(2026, 3, 1, 12, 0)


@pytest.mark.parametrize("value", ["2026-02-30", "yesterday", "", "0"])
def test_impossible_dates_are_errors(value):
    with pytest.raises(ValueError):
        parse_datetime(value)


def test_decimals_are_exact_and_money_rounds_half_up_to_fen():
    assert parse_decimal("１,234.50") == Decimal("1234.50")
    assert parse_decimal(0.1) == Decimal("0.1")
    assert parse_decimal("￥12.3") == Decimal("12.3")
    assert yuan_to_fen(Decimal("1.005")) == 101
    assert yuan_to_fen(Decimal("0.1") * 3) == 30
    assert decimal_text(Decimal("12.500")) == "12.5"
    with pytest.raises(ValueError):
        parse_decimal("abc")


@pytest.mark.parametrize("text", ["1.250,00", "12,5", "1,2,3", "1,23"])
def test_a_comma_that_is_not_thousands_grouping_is_not_a_number(text):
    """1.250,00 or 12,5 read by deleting the comma would be 10-1000x off: refused instead."""
    with pytest.raises(ValueError, match="不是数字"):
        parse_decimal(text)
    assert parse_decimal("1,250") == Decimal(1250) and parse_decimal("-12,345.6") == Decimal("-12345.6")


@pytest.mark.parametrize(
    "package, expected",
    [
        ("0.25g*24粒/盒", 24),
        ("24粒/盒", 24),
        ("10片*2板/盒", 20),
        ("2ml:0.5mg*10支/盒", 10),
        ("100ml:0.9g/瓶", 1),
        ("0.5g×12片", 12),
        ("盒", None),
    ],
)
def test_conversion_factor_from_package_text(package, expected):
    assert conversion_from_package(package) == expected


@pytest.mark.parametrize(
    "company, expected",
    [("海南A/B医药有限公司", "海南A_B医药有限公司"), ("海南康信:医药 ", "海南康信_医药"),
     ('名"称*?<>|', "名_称_____"), ("...", "_")],
)
def test_a_company_name_becomes_a_file_name_part_windows_accepts(company, expected):
    from pharmacy_app.parsing import MAX_FILE_NAME_BYTES, file_name_part

    assert file_name_part(company) == expected
    assert len(file_name_part("配送企业" * 40).encode("utf-8")) <= MAX_FILE_NAME_BYTES
