"""Cell parsing shared by every feed reader: one meaning per value, one plain reason per error."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from automechanica.catalog.feeds.values import (
    CellError,
    clean_text,
    gtin_check_digit,
    offer_from_cells,
    optional_text,
    parse_bool,
    parse_datetime,
    parse_decimal,
    parse_int,
    parse_money,
    parse_part_type,
    parse_upc,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.5", "12.50"),
        ("$12.50", "12.50"),
        ("1,234.00", "1234.00"),
        (" $ 7 ", "7.00"),
        ("0.005", "0.01"),  # half-up to cents
        ("12.344", "12.34"),
        (".5", "0.50"),
        ("0", "0.00"),
        ("1,234,567.891", "1234567.89"),
    ],
)
def test_money_accepts_what_suppliers_write(text: str, expected: str) -> None:
    assert parse_money(text, "cost") == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-4.20", "cost is negative (-4.20)"),
        ("-$4.2", "cost is negative (-4.20)"),
        ("$-4.20", "cost is negative (-4.20)"),
        ("abc", "cost 'abc' is not a price"),
        ("1e5", "cost '1e5' is not a price"),
        ("NaN", "cost 'NaN' is not a price"),
        ("12.5.3", "cost '12.5.3' is not a price"),
        ("1,23", "cost '1,23' is not a price"),
        ("12 USD", "cost '12 USD' is not a price"),
        ("99999999", "cost 99999999.00 is too large to be a price"),
    ],
)
def test_money_refuses_negatives_and_garbage_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(CellError) as caught:
        parse_money(text, "cost")
    assert str(caught.value) == reason


def test_cell_error_is_a_value_error() -> None:
    assert issubclass(CellError, ValueError)


@pytest.mark.parametrize(
    ("text", "expected"), [("4", 4), (" 12 ", 12), ("1,200", 1200), ("2.0", 2)]
)
def test_int_reads_whole_numbers(text: str, expected: int) -> None:
    assert parse_int(text, "pack_qty") == expected


@pytest.mark.parametrize(
    ("text", "minimum", "reason"),
    [
        ("abc", 1, "pack_qty 'abc' is not a whole number"),
        ("2.5", 1, "pack_qty '2.5' is not a whole number"),
        ("0", 1, "pack_qty must be at least 1 (got 0)"),
        ("-3", 0, "pack_qty must be at least 0 (got -3)"),
        ("9" * 12, 0, f"pack_qty {'9' * 12} is too large"),
    ],
)
def test_int_refusals(text: str, minimum: int, reason: str) -> None:
    with pytest.raises(CellError, match=re.escape(reason)):
        parse_int(text, "pack_qty", minimum=minimum)


def test_decimal_for_weights() -> None:
    assert parse_decimal("4.2", "weight_lb") == Decimal("4.2")
    with pytest.raises(CellError, match="weight_lb is negative"):
        parse_decimal("-1", "weight_lb")
    with pytest.raises(CellError, match="weight_lb '4,2' is not a number"):
        parse_decimal("4,2", "weight_lb")


@pytest.mark.parametrize("text", ["Y", "yes", "TRUE", "t", "1", " y "])
def test_bool_true(text: str) -> None:
    assert parse_bool(text, "hazmat") is True


@pytest.mark.parametrize("text", ["N", "no", "False", "f", "0"])
def test_bool_false(text: str) -> None:
    assert parse_bool(text, "hazmat") is False


def test_bool_refuses_anything_else() -> None:
    with pytest.raises(CellError, match="hazmat 'maybe' is not yes or no"):
        parse_bool("maybe", "hazmat")


def test_gtin_check_digit_matches_known_codes() -> None:
    assert gtin_check_digit("03600029145") == 2  # UPC-A 036000291452
    assert gtin_check_digit("400638133393") == 1  # EAN-13 4006381333931
    assert gtin_check_digit("9638507") == 4  # EAN-8 96385074


@pytest.mark.parametrize(
    "text", ["036000291452", "4006381333931", "96385074", "00036000291452", "0 36000 29145 2"]
)
def test_upc_accepts_valid_codes_and_keeps_leading_zeros(text: str) -> None:
    value = parse_upc(text)
    assert value.isdigit()
    assert value == text.replace(" ", "")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("012345678906", "UPC 012345678906 has a wrong check digit (expected 5)"),
        ("36000291452", "UPC 36000291452 has 11 digits; expected 8, 12, 13 or 14 (a leading zero"),
        ("1234567", "UPC 1234567 has 7 digits"),
        ("3.60003E+11", "is in scientific notation"),
        ("03600029145X", "has characters other than digits"),
        ("٠٣٦٠٠٠٢٩١٤٥٢", "has characters other than digits"),  # Arabic-Indic digits
    ],
)
def test_upc_refusals(text: str, reason: str) -> None:
    with pytest.raises(CellError) as caught:
        parse_upc(text)
    assert reason in str(caught.value)


def test_datetime_iso_8601() -> None:
    assert parse_datetime("2026-01-15T08:30:00Z", "updated_at") == datetime(
        2026, 1, 15, 8, 30, tzinfo=UTC
    )
    offset = parse_datetime("2026-01-15T08:30:00-05:00", "updated_at")
    assert offset.utcoffset() == timedelta(hours=-5)
    assert parse_datetime("2026-01-15", "updated_at") == datetime(2026, 1, 15, tzinfo=UTC)
    assert parse_datetime("2026-01-15 08:30", "updated_at").tzinfo == UTC
    assert parse_datetime("2026-01-15T08:30:00+00:00", "u").tzinfo == UTC


def test_datetime_refuses_other_shapes() -> None:
    with pytest.raises(CellError, match="updated_at '15/01/2026' is not an ISO 8601"):
        parse_datetime("15/01/2026", "updated_at")


def test_text_is_stripped_and_collapsed() -> None:
    assert clean_text("  Wagner \t ThermoQuiet\n Pads ", "title") == "Wagner ThermoQuiet Pads"
    assert optional_text("   ", "title") is None
    assert optional_text(None, "title") is None
    assert clean_text("195°F Thermostat", "title") == "195°F Thermostat"


@pytest.mark.parametrize(
    ("char", "code"), [("\x00", "U+0000"), ("\x07", "U+0007"), ("\x92", "U+0092")]
)
def test_text_refuses_control_characters(char: str, code: str) -> None:
    with pytest.raises(CellError, match=re.escape(f"title contains a control character ({code})")):
        clean_text(f"Brake{char}Pads", "title")


def test_text_length_limit() -> None:
    with pytest.raises(CellError, match="title is 2,001 characters long; at most 2,000"):
        clean_text("x" * 2001, "title")


@pytest.mark.parametrize("text", ["Brake Pads", "brake pad", "BRAKE-PADS", "1684", " brake pads "])
def test_part_type_by_name_or_pcdb_id(text: str) -> None:
    assert parse_part_type(text).name == "Brake Pads"


def test_part_type_unknown() -> None:
    with pytest.raises(CellError, match="part type 'Flux Capacitor' is not one we carry"):
        parse_part_type("Flux Capacitor")


def _cells(**overrides: str) -> dict[str, str]:
    cells = {"sku": "NS-1", "brand": "Wagner", "mpn": "ZD1212", "cost": "$12.50"}
    return cells | overrides


def test_offer_from_cells_builds_a_typed_offer() -> None:
    offer = offer_from_cells(
        "line 2",
        _cells(part_type="brake pads", upc="036000291452", pack_qty="2", uom="pr", hazmat="N"),
        labels={},
        raw={"a": "b"},
        stock={"DAL": "4", "ATL": ""},
        attributes={"Rotor Diameter": " 288 mm ", "Empty": ""},
        fitment=["2012-15 Civic 1.8L", "  "],
    )
    assert (offer.supplier_sku, offer.brand, offer.mpn) == ("NS-1", "Wagner", "ZD1212")
    assert offer.cost == Decimal("12.50")
    assert offer.part_type == "Brake Pads"
    assert (offer.upc, offer.uom, offer.pack_qty, offer.hazmat) == ("036000291452", "PR", 2, False)
    assert offer.stock == {"DAL": 4}
    assert offer.attributes == {"Rotor Diameter": "288 mm"}
    assert offer.fitment_text == ["2012-15 Civic 1.8L"]
    assert offer.raw == {"a": "b"}


def test_offer_title_falls_back_to_description() -> None:
    offer = offer_from_cells("line 2", _cells(description="Pads"), labels={}, raw={})
    assert offer.title == offer.description == "Pads"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"brand": "  "}, "missing brand"),
        ({"mpn": ""}, "missing mpn"),
        ({"sku": ""}, "missing sku"),
        ({"cost": ""}, "missing cost"),
        ({"cost": "-4.2"}, "cost is negative (-4.20)"),
        ({"pack_qty": "abc"}, "pack_qty 'abc' is not a whole number"),
        ({"upc": "012345678906"}, "UPC 012345678906 has a wrong check digit (expected 5)"),
        ({"jobber": "lots"}, "jobber 'lots' is not a price"),
    ],
)
def test_offer_from_cells_reports_the_first_bad_cell(
    overrides: dict[str, str], reason: str
) -> None:
    with pytest.raises(CellError) as caught:
        offer_from_cells("line 2", _cells(**overrides), labels={"upc": "UPC"}, raw={})
    assert str(caught.value) == reason


def test_offer_from_cells_uses_the_file_labels() -> None:
    with pytest.raises(CellError, match=r"^pricing.cost is negative"):
        offer_from_cells("line 2", _cells(cost="-1"), labels={"cost": "pricing.cost"}, raw={})
    with pytest.raises(CellError, match=r"^stock_DAL must be at least 0"):
        offer_from_cells(
            "line 2", _cells(), labels={"stock.DAL": "stock_DAL"}, raw={}, stock={"DAL": "-2"}
        )
