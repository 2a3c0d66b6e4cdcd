"""Feed readers: round trips of the demo feeds, each format's fields, and every way a
file can be unreadable (each a FeedError that says what to do)."""

from __future__ import annotations

import csv
import re
import resource
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from automechanica.catalog.feeds.aces import POSITIONS, read_aces
from automechanica.catalog.feeds.csv_feed import read_csv
from automechanica.catalog.feeds.generator import DemoFeedFile, DemoFeeds, generate_demo_feeds
from automechanica.catalog.feeds.jsonl_feed import read_jsonl
from automechanica.catalog.feeds.pies import read_pies
from automechanica.catalog.feeds.readers import detect_format, read_feed
from automechanica.catalog.feeds.records import (
    Application,
    ApplicationRecord,
    FeedItem,
    Notice,
    OfferRecord,
    Rejection,
)
from automechanica.catalog.feeds.values import parse_money, parse_part_type
from automechanica.catalog.vocabulary import BRANDS, PART_TYPES, alias_key
from automechanica.errors import FeedError
from tests.unit.test_feed_generator import small_fleet

MB = 1 << 20


def _split(items: Iterable[FeedItem]) -> tuple[list[FeedItem], list[Rejection]]:
    records: list[FeedItem] = []
    rejections: list[Rejection] = []
    for item in items:
        (rejections if isinstance(item, Rejection) else records).append(item)
    return records, rejections


def _offers(path: Path) -> list[OfferRecord]:
    return [item for item in read_feed(path) if isinstance(item, OfferRecord)]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- round trips of the generated demo feeds ----------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFeeds:
    return generate_demo_feeds(tmp_path_factory.mktemp("demo"), small_fleet(), seed=7, parts=600)


_EXPECTED_REASON = {
    "negative cost": "is negative",
    "missing brand": "missing brand",
    "non-numeric pack": "is not a whole number",
    "bad UPC check digit": "has a wrong check digit",
    "unknown part type": "is not one we carry",
    "wrong number of cells": "cells; the header has",
    "invalid JSON": "invalid JSON",
    "not an object": "not an object",
    "missing part number": "missing Part",
    "unknown position": "Position id '77' is not one we know",
    "malformed VCdb id": "BaseVehicle id '7481A' is not a VCdb id",
    "delete action": "deletes are not supported yet",
    "years reversed": "is after Years to",
}


@pytest.mark.parametrize("name", ["northstar", "parts_direct", "atlas_pies", "atlas_aces"])
def test_round_trip_rejects_exactly_the_broken_rows(demo: DemoFeeds, name: str) -> None:
    feed: DemoFeedFile = getattr(demo, name)
    records, rejections = _split(read_feed(feed.path))
    assert len(records) == feed.records
    assert [r.line for r in rejections] == [b.line for b in feed.broken]
    for rejection, broken in zip(rejections, feed.broken, strict=True):
        assert _EXPECTED_REASON[broken.problem] in rejection.reason, (broken, rejection)
        assert rejection.raw
        if feed.format in ("csv", "jsonl"):
            assert rejection.where == f"line {broken.line}" and rejection.element is None
        else:
            assert rejection.where.endswith(f"(line {broken.line})")
            assert rejection.element is not None and re.fullmatch(
                r"(Item|App)\[\d+\]", rejection.element
            )
    kinds = {ApplicationRecord if feed.format == "aces" else OfferRecord}
    assert {type(r) for r in records} == kinds


def test_csv_records_carry_the_row(demo: DemoFeeds) -> None:
    broken = {b.line for b in demo.northstar.broken}
    with demo.northstar.path.open(encoding="utf-8", newline="") as file:
        rows = {line: row for line, row in enumerate(csv.DictReader(file), start=2)}
    offers = _offers(demo.northstar.path)
    assert len(offers) == len(rows) - len(broken)
    for offer in offers:
        line = int(offer.where.removeprefix("line "))
        row = rows[line]
        assert offer.raw == row
        assert (offer.supplier_sku, offer.brand, offer.mpn) == (
            row["Item"],
            row["Brand Name"],
            row["Part Number"],
        )
        assert offer.cost == parse_money(row["Net"], "cost")
        assert offer.msrp == Decimal(row["List"])
        assert offer.fitment_text == ([row["Fits"]] if row["Fits"] else [])
        assert offer.stock == {"EAST": int(row["stock_EAST"]), "WEST": int(row["stock_WEST"])}
        assert offer.attributes == {
            key.removeprefix("attr_"): value
            for key, value in row.items()
            if key.startswith("attr_") and value
        }
        assert offer.updated_at is not None and offer.updated_at.tzinfo == UTC


_BRAND_BY_KEY = {alias_key(n): b.name for b in BRANDS for n in (b.name, *b.aliases)}


def _identity(item: OfferRecord | ApplicationRecord) -> tuple[str, str]:
    """(canonical brand, MPN without punctuation or case): how the importer dedupes."""
    return _BRAND_BY_KEY[alias_key(item.brand)], re.sub(r"[\s\-./]", "", item.mpn.upper())


def test_suppliers_agree_on_each_part(demo: DemoFeeds) -> None:
    by_part: dict[tuple[str, str], list[OfferRecord]] = defaultdict(list)
    for feed in (demo.northstar, demo.parts_direct, demo.atlas_pies):
        for offer in _offers(feed.path):
            by_part[_identity(offer)].append(offer)
    assert len(by_part) < sum(len(v) for v in by_part.values())  # suppliers overlap
    for offers in by_part.values():
        assert len({(o.title, o.jobber, o.map_price, o.msrp, o.upc) for o in offers}) == 1
        assert len({parse_part_type(o.part_type or "").name for o in offers}) == 1
        costs = [o.cost for o in offers]
        assert max(costs) / min(costs) <= Decimal("1.36")  # each within ±15% of one cost
        for offer in offers:
            assert offer.jobber is not None and offer.map_price is not None
            assert offer.msrp is not None
            assert offer.cost < offer.jobber < offer.map_price <= offer.msrp
            part_type = parse_part_type(offer.part_type or "")
            assert (offer.core_charge is not None) == part_type.has_core
            assert offer.hazmat == (part_type.name == "Battery")


def test_aces_applications_name_real_configurations(demo: DemoFeeds) -> None:
    vehicles = small_fleet()
    pies_parts = {_identity(o) for o in _offers(demo.atlas_pies.path)}
    apps = [a for a in read_aces(demo.atlas_aces.path) if isinstance(a, ApplicationRecord)]
    [odd] = [a for a in apps if a.application.submodels == ["Type-Z"]]
    assert odd.where.endswith(f"(line {demo.atlas_aces.unresolvable_fitment[0]})")
    for record in apps:
        if record is odd:
            continue
        app = record.application
        assert _identity(record) in pies_parts
        part_type = parse_part_type(record.part_type or "")
        assert app.position is None or app.position in POSITIONS.values()
        for year in range(app.year_start, app.year_end + 1):
            matches = [
                v
                for v in vehicles
                if (v.year, v.make, v.model) == (year, app.make, app.model)
                and (app.engine_liters is None or v.engine_liters == app.engine_liters)
                and (app.fuel is None or v.fuel == app.fuel)
                and (app.drive is None or v.drive == app.drive)
                and (not app.submodels or v.submodel in app.submodels)
            ]
            assert matches, (record.where, year)
            assert not (part_type.engine_only and any(v.is_electric for v in matches))


def test_unresolvable_fitment_rows_are_valid_offers(demo: DemoFeeds) -> None:
    for feed in (demo.northstar, demo.parts_direct):
        offers = {o.where: o for o in _offers(feed.path)}
        assert feed.unresolvable_fitment
        for line in feed.unresolvable_fitment:
            assert "Type-Z" in offers[f"line {line}"].fitment_text[-1]


# --- CSV -----------------------------------------------------------------------------------

_CSV_HEADER = (
    "Item,Brand Name,Part Number,Description,Category,GTIN,Unit,Pack,Our_Cost,Jobber,MAP,"
    "MSRP,Core,Weight,Hazmat,Application,updated_at,stock_DAL,attr_Rotor Diameter\n"
)


def test_csv_aliases_and_values(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "feed.csv",
        _CSV_HEADER
        + 'NS-1,Robert Bosch,0 986 494 170,"Bosch QuietCast Front Pads, Ceramic",brake pads,'
        '036000291452,pr,2,"$1,012.50",1100,1200,1300,25,2.5,N,'
        '"2012-15 Civic 1.8L; 2016 Honda Civic",2026-01-02T03:04:05Z,7,288 mm\n',
    )
    [offer] = list(read_csv(path))
    assert isinstance(offer, OfferRecord)
    assert offer.where == "line 2"
    assert (offer.supplier_sku, offer.brand, offer.mpn) == ("NS-1", "Robert Bosch", "0 986 494 170")
    assert offer.title == offer.description == "Bosch QuietCast Front Pads, Ceramic"
    assert offer.part_type == "Brake Pads"
    assert (offer.upc, offer.uom, offer.pack_qty) == ("036000291452", "PR", 2)
    assert (offer.cost, offer.jobber, offer.map_price, offer.msrp, offer.core_charge) == (
        Decimal("1012.50"),
        Decimal("1100.00"),
        Decimal("1200.00"),
        Decimal("1300.00"),
        Decimal("25.00"),
    )
    assert offer.weight_lb == Decimal("2.5") and offer.hazmat is False
    assert offer.fitment_text == ["2012-15 Civic 1.8L; 2016 Honda Civic"]
    assert offer.updated_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert offer.stock == {"DAL": 7}
    assert offer.attributes == {"Rotor Diameter": "288 mm"}
    assert offer.raw["Our_Cost"] == "$1,012.50"


def test_csv_header_names_are_case_and_space_insensitive(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.csv", "SUPPLIER SKU;MFR;part number;NET\nA-1;Gates;K060923;9.99\n")
    [offer] = list(read_csv(path))
    assert isinstance(offer, OfferRecord)
    assert (offer.supplier_sku, offer.brand, offer.mpn, offer.cost) == (
        "A-1",
        "Gates",
        "K060923",
        Decimal("9.99"),
    )


def test_csv_line_numbers_survive_quoted_line_breaks_and_blank_lines(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "f.csv",
        "\ufeffsku,brand,mpn,cost,title\n"
        'A,Fram,PH3614,4.10,"two\nline title"\n'
        "\n"
        ",,,,\n"
        "B,Fram,PH3600,-1,x\n"
        "C,Fram,PH3601,4.10\n"
        "D,Fram,PH3602,4.10,ok\n",
    )
    items = list(read_csv(path))
    assert [i.where for i in items] == ["line 2", "line 6", "line 7", "line 8"]
    assert isinstance(items[0], OfferRecord) and items[0].title == "two line title"
    assert isinstance(items[1], Rejection) and items[1].reason == "cost is negative (-1.00)"
    assert items[1].raw == "B,Fram,PH3600,-1,x" and items[1].line == 6
    assert isinstance(items[2], Rejection)
    assert items[2].reason == "the row has 4 cells; the header has 5 columns"
    assert isinstance(items[3], OfferRecord)


def test_csv_missing_required_columns_names_them(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.csv", "Item,Brand,Price\nA,Fram,1\n")
    with pytest.raises(FeedError) as caught:
        list(read_csv(path))
    message = str(caught.value)
    assert "lacks the required column(s) mpn, cost" in message
    assert "found 'Item', 'Brand', 'Price'" in message
    assert "mpn: mpn | part_number | mfr_part" in message
    assert caught.value.path == str(path) and caught.value.line == 1


def test_csv_duplicate_columns_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.csv", "sku,brand,mpn,cost,net\nA,Fram,PH1,1,2\n")
    with pytest.raises(FeedError, match="columns 'cost' and 'net' both give the cost"):
        list(read_csv(path))


# --- JSON lines ----------------------------------------------------------------------------

_JSON_LINE = (
    '{"supplier_sku": "PD-1", "brand": "AC Delco", "part_number": "41-110", '
    '"title": "ACDelco Iridium Spark Plug", "category": "Spark Plug", "gtin": "036000291452", '
    '"unit": "EA", "pack": 4, "pricing": {"cost": 12.3, "jobber": "18.00", "map": 21.5, '
    '"msrp": 24, "core": null}, "inventory": {"DAL": 4, "ATL": 0}, "weight_lb": 0.25, '
    '"hazmat": false, "attributes": {"Gap": "0.044 in", "Plugs": 4}, '
    '"fitment": ["2012-15 Civic 1.8L", "2016 Honda Civic"], '
    '"interchange": [{"brand": "NGK", "part_number": "ILZKR7B11"}], '
    '"updated_at": "2026-01-15T08:30:00Z"}'
)


def test_jsonl_fields(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.jsonl", "\n" + _JSON_LINE + "\n\n")
    [offer] = list(read_jsonl(path))
    assert isinstance(offer, OfferRecord)
    assert offer.where == "line 2"
    assert (offer.supplier_sku, offer.brand, offer.mpn) == ("PD-1", "AC Delco", "41-110")
    assert (offer.cost, offer.jobber, offer.map_price, offer.msrp, offer.core_charge) == (
        Decimal("12.30"),
        Decimal("18.00"),
        Decimal("21.50"),
        Decimal("24.00"),
        None,
    )
    assert (offer.part_type, offer.upc, offer.pack_qty) == ("Spark Plug", "036000291452", 4)
    assert offer.stock == {"DAL": 4, "ATL": 0}
    assert offer.weight_lb == Decimal("0.25") and offer.hazmat is False
    assert offer.attributes == {"Gap": "0.044 in", "Plugs": "4"}
    assert offer.fitment_text == ["2012-15 Civic 1.8L", "2016 Honda Civic"]
    assert offer.interchange == [("NGK", "ILZKR7B11")]
    assert offer.raw["pack"] == "4" and "pricing" not in offer.raw
    assert offer.raw["hazmat"] == "false"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"supplier_sku": "A"', "invalid JSON: Expecting ',' delimiter at column 21"),
        ("[1, 2]", "the line holds a list, not an object"),
        ('"text"', "the line holds a string, not an object"),
        (_JSON_LINE.replace('"cost": 12.3, ', ""), "missing pricing.cost"),
        (_JSON_LINE.replace('"cost": 12.3', '"cost": -4.2'), "pricing.cost is negative (-4.20)"),
        (_JSON_LINE.replace('"brand": "AC Delco", ', ""), "missing brand"),
        (_JSON_LINE.replace('"supplier_sku": "PD-1", ', ""), "missing supplier_sku"),
        (_JSON_LINE.replace('"part_number": "41-110", ', ""), "missing part_number"),
        (_JSON_LINE.replace('"pack": 4', '"pack": "four"'), "pack 'four' is not a whole number"),
        (_JSON_LINE.replace('"DAL": 4', '"DAL": -1'), "inventory.DAL must be at least 0"),
        (_JSON_LINE.replace('"pricing": {', '"pricing": [1], "x": {'), "pricing is a list"),
        (
            _JSON_LINE.replace('"title": "ACDelco', '"title": ["ACDelco"], "t": "'),
            "title is a list",
        ),
        (_JSON_LINE.replace('"fitment": [', '"fitment": [1, '), "fitment must be a list of"),
        ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "invalid JSON"),
    ],
)
def test_jsonl_bad_lines_are_rejections(tmp_path: Path, line: str, reason: str) -> None:
    path = _write(tmp_path / "f.jsonl", _JSON_LINE + "\n" + line + "\n" + _JSON_LINE + "\n")
    items = list(read_jsonl(path))
    assert [type(i) for i in items] == [OfferRecord, Rejection, OfferRecord]
    rejection = items[1]
    assert isinstance(rejection, Rejection)
    assert rejection.reason.startswith(reason), rejection.reason
    assert rejection.where == "line 2" and rejection.line == 2
    assert rejection.raw == line[:500]


# --- PIES ----------------------------------------------------------------------------------

_PIES_ITEM = """\
    <Item MaintenanceType="A">
      <HazardousMaterialCode>N</HazardousMaterialCode>
      <ItemLevelGTIN GTINQualifier="UP">036000291452</ItemLevelGTIN>
      <PartNumber>0986494170</PartNumber>
      <BrandAAIAID>BBHK</BrandAAIAID>
      <BrandLabel>Bosch</BrandLabel>
      <PartTerminologyID>1684</PartTerminologyID>
      <Descriptions>
        <Description DescriptionCode="DES" LanguageCode="EN">short</Description>
        <Description DescriptionCode="MKT" LanguageCode="EN">marketing</Description>
      </Descriptions>
      <Prices>
        <Pricing PriceType="NET"><Price UOM="PE">12.34</Price></Pricing>
        <Pricing PriceType="JBR"><Price UOM="PE">20.00</Price></Pricing>
        <Pricing PriceType="MAP"><Price UOM="PE">24.00</Price></Pricing>
        <Pricing PriceType="LST"><Price UOM="PE">26.00</Price></Pricing>
        <Pricing PriceType="CORE"><Price UOM="PE">5</Price></Pricing>
      </Prices>
      <ExtendedInformation>
        <ExtendedProductInformation EXPICode="SKU">ATL-12345</ExtendedProductInformation>
        <ExtendedProductInformation EXPICode="QOH" Warehouse="RNO">7</ExtendedProductInformation>
      </ExtendedInformation>
      <ProductAttributes>
        <ProductAttribute AttributeID="Rotor Diameter">288mm</ProductAttribute>
      </ProductAttributes>
      <Packages><Package><Weights UOM="PG"><Weight>4.2</Weight></Weights></Package></Packages>
      <PartInterchangeInfo>
        <PartInterchange BrandAAIAID="BDGK" BrandLabel="Wagner">
          <PartNumber>ZD1212</PartNumber>
        </PartInterchange>
      </PartInterchangeInfo>
    </Item>
"""


def _pies(*items: str, count: int | None = None, namespace: str = "") -> str:
    trailer = f"<Trailer><ItemCount>{len(items) if count is None else count}</ItemCount></Trailer>"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<PIES{namespace}>\n<Header/>\n<Items>\n'
        + "".join(items)
        + f"</Items>\n{trailer}\n</PIES>\n"
    )


def test_pies_item_fields(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "p.xml", _pies(_PIES_ITEM, namespace=' xmlns="http://www.autocare.org"')
    )
    [offer] = list(read_pies(path))
    assert isinstance(offer, OfferRecord)
    assert offer.where == "Item 1 (line 5)"
    assert (offer.supplier_sku, offer.brand, offer.mpn) == ("ATL-12345", "Bosch", "0986494170")
    assert (offer.title, offer.description, offer.part_type) == ("short", "marketing", "1684")
    assert (offer.cost, offer.jobber, offer.map_price, offer.msrp, offer.core_charge) == (
        Decimal("12.34"),
        Decimal("20.00"),
        Decimal("24.00"),
        Decimal("26.00"),
        Decimal("5.00"),
    )
    assert offer.upc == "036000291452" and offer.hazmat is False
    assert offer.stock == {"RNO": 7}
    assert offer.attributes == {"Rotor Diameter": "288mm"}
    assert offer.weight_lb == Decimal("4.2")
    assert offer.interchange == [("Wagner", "ZD1212")]
    assert offer.raw["PartNumber"] == "0986494170"


def test_pies_fallbacks_sku_brand_and_kilograms(tmp_path: Path) -> None:
    item = (
        _PIES_ITEM.replace(
            '<ExtendedProductInformation EXPICode="SKU">ATL-12345</ExtendedProductInformation>', ""
        )
        .replace("<BrandLabel>Bosch</BrandLabel>", "")
        .replace('<Weights UOM="PG">', '<Weights UOM="KG">')
    )
    [offer] = list(read_pies(_write(tmp_path / "p.xml", _pies(item))))
    assert isinstance(offer, OfferRecord)
    assert offer.supplier_sku == "BBHK-0986494170"
    assert offer.brand == "Bosch"
    assert offer.weight_lb == Decimal("9.26")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("12.34</Price>", "-4.20</Price>"), "NET price is negative (-4.20)"),
        (('MaintenanceType="A"', 'MaintenanceType="D"'), "deletes are not supported yet"),
        (("<PartNumber>0986494170</PartNumber>", ""), "missing PartNumber"),
        (("1684</PartTerminologyID>", "99999</PartTerminologyID>"), "PartTerminologyID '99999'"),
        (("036000291452<", "036000291453<"), "ItemLevelGTIN 036000291453 has a wrong check"),
        (
            (
                '<Pricing PriceType="NET"><Price UOM="PE">12.34</Price></Pricing>\n'
                '        <Pricing PriceType="JBR"><Price UOM="PE">20.00</Price></Pricing>',
                "",
            ),
            "missing NET price",
        ),
        (('UOM="PG"', 'UOM="TN"'), "weight unit 'TN' is not PG (pounds) or KG"),
    ],
)
def test_pies_bad_items_are_rejections(
    tmp_path: Path, change: tuple[str, str], reason: str
) -> None:
    bad = _PIES_ITEM.replace(*change)
    assert bad != _PIES_ITEM
    items = list(read_pies(_write(tmp_path / "p.xml", _pies(_PIES_ITEM, bad, _PIES_ITEM))))
    assert [type(i) for i in items] == [OfferRecord, Rejection, OfferRecord]
    rejection = items[1]
    assert isinstance(rejection, Rejection)
    assert rejection.reason.startswith(reason), rejection.reason
    lines_per_item = _PIES_ITEM.count("\n")
    assert rejection.where == f"Item 2 (line {5 + lines_per_item})"
    assert (rejection.line, rejection.element) == (5 + lines_per_item, "Item[2]")


def test_pies_item_count_mismatch_is_a_feed_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.xml", _pies(_PIES_ITEM, _PIES_ITEM, count=3))
    stream = read_pies(path)
    assert isinstance(next(stream), OfferRecord)  # streamed: records come before the check
    assert isinstance(next(stream), OfferRecord)
    with pytest.raises(FeedError, match="says ItemCount 3 but holds 2 items; it was cut short"):
        next(stream)


@pytest.mark.parametrize(
    "stuffing", ["x" * (2 * MB), "<x/>" * 100_000], ids=["long-text", "many-elements"]
)
def test_pies_oversized_item_is_skipped(tmp_path: Path, stuffing: str) -> None:
    huge = _PIES_ITEM.replace("marketing", stuffing)
    items = list(read_pies(_write(tmp_path / "p.xml", _pies(huge, _PIES_ITEM))))
    assert isinstance(items[0], Rejection) and "more than 1 MB" in items[0].reason
    assert isinstance(items[1], OfferRecord)


# --- ACES ----------------------------------------------------------------------------------

_APP = """\
  <App action="A" id="680">
    <Years from="2012" to="2015"/><Make>Honda</Make><Model>Civic</Model><SubModel>EX</SubModel>
    <EngineBase liters="1.8" cylinders="4" code="R18A1"/><Aspiration>Turbocharged</Aspiration>
    <FuelType>Gasoline</FuelType><DriveType>FWD</DriveType><BodyType>Sedan</BodyType>
    <Transmission>CVT</Transmission>
    <Qual id="12073"><text>with 1.75in Driveshaft Diameter</text></Qual>
    <Note>288mm Front Rotor</Note><Qty>2</Qty><PartType id="1896"/><Position id="22"/>
    <Part BrandAAIAID="BBHK">0986494170</Part>
  </App>
"""


def _aces(*apps: str, count: int | None = None, header_brand: str = "BDGK") -> str:
    footer = f"<Footer><RecordCount>{len(apps) if count is None else count}</RecordCount></Footer>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<ACES version="4.2">\n'
        f"<Header><BrandAAIAID>{header_brand}</BrandAAIAID></Header>\n"
        + "".join(apps)
        + f"{footer}\n</ACES>\n"
    )


def test_aces_app_fields(tmp_path: Path) -> None:
    [record] = list(read_aces(_write(tmp_path / "a.xml", _aces(_APP))))
    assert isinstance(record, ApplicationRecord)
    assert record.where == "App id=680 (line 4)"
    assert (record.brand, record.mpn, record.part_type) == ("Bosch", "0986494170", "1896")
    assert record.application == Application(
        year_start=2012,
        year_end=2015,
        make="Honda",
        model="Civic",
        submodels=["EX"],
        engine_liters=Decimal("1.8"),
        engine_cylinders=4,
        engine_code="R18A1",
        fuel="Gasoline",
        aspiration="Turbocharged",
        drive="FWD",
        body="Sedan",
        transmission="CVT",
        position="Front",
        quantity=2,
        qualifiers=["with 1.75in Driveshaft Diameter"],
        notes=["288mm Front Rotor"],
    )
    assert record.raw["id"] == "680" and record.raw["Make"] == "Honda"


def test_aces_brand_from_header_or_kept_as_unknown_id(tmp_path: Path) -> None:
    app = _APP.replace(' BrandAAIAID="BBHK"', "")
    [from_header] = list(read_aces(_write(tmp_path / "a.xml", _aces(app))))
    assert isinstance(from_header, ApplicationRecord) and from_header.brand == "Wagner"
    [unknown] = list(read_aces(_write(tmp_path / "b.xml", _aces(app, header_brand="ZZZZ"))))
    assert isinstance(unknown, ApplicationRecord) and unknown.brand == "ZZZZ"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            ('<Years from="2012" to="2015"/>', '<BaseVehicle id="74-81"/>'),
            "BaseVehicle id '74-81' is not a VCdb id (a whole number)",
        ),
        (('action="A"', 'action="D"'), "deletes are not supported yet"),
        (('<Position id="22"/>', '<Position id="99"/>'), "Position id '99' is not one we know"),
        (('from="2012"', 'from="2016"'), "Years from 2016 is after Years to 2015"),
        (("<Make>Honda</Make>", ""), "missing Make"),
        (("<Qty>2</Qty>", "<Qty>two</Qty>"), "Qty 'two' is not a whole number"),
        (('<PartType id="1896"/>', '<PartType id="4"/>'), "PartType id '4' is not one we carry"),
        (('liters="1.8" cylinders="4" code="R18A1"', ""), "EngineBase names no engine"),
        (('<Part BrandAAIAID="BBHK">0986494170</Part>', ""), "missing Part"),
    ],
)
def test_aces_bad_apps_are_rejections(tmp_path: Path, change: tuple[str, str], reason: str) -> None:
    bad = _APP.replace(*change).replace('id="680"', 'id="681"')
    assert bad != _APP.replace('id="680"', 'id="681"')
    items = list(read_aces(_write(tmp_path / "a.xml", _aces(_APP, bad, _APP))))
    assert [type(i) for i in items] == [ApplicationRecord, Rejection, ApplicationRecord]
    rejection = items[1]
    assert isinstance(rejection, Rejection)
    assert rejection.reason.startswith(reason), rejection.reason
    assert rejection.where == f"App id=681 (line {4 + _APP.count(chr(10))})"
    assert rejection.element == "App[2]"


def test_aces_record_count_mismatch_is_a_feed_error(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="says RecordCount 5 but holds 1 App records"):
        list(read_aces(_write(tmp_path / "a.xml", _aces(_APP, count=5))))


# --- files that cannot be read at all ------------------------------------------------------


def test_truncated_xml_is_a_feed_error_with_the_line(tmp_path: Path, demo: DemoFeeds) -> None:
    data = demo.atlas_pies.path.read_bytes()
    path = tmp_path / "cut.xml"
    path.write_bytes(data[: len(data) // 2])
    stream = read_pies(path)
    assert isinstance(next(stream), OfferRecord)
    with pytest.raises(FeedError) as caught:
        list(stream)
    assert "not well formed" in str(caught.value) and "cut short" in str(caught.value)
    assert caught.value.line is not None and caught.value.line > 100


def test_garbage_xml_is_a_feed_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "g.xml", "<ACES><App></Ap></ACES>")
    with pytest.raises(FeedError, match=r"not well formed \(mismatched tag, column"):
        list(read_aces(path))


_XXE = """<?xml version="1.0"?>
<!DOCTYPE PIES [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<PIES><Items><Item><PartNumber>&xxe;</PartNumber></Item></Items></PIES>
"""
_EXTERNAL_DTD = '<?xml version="1.0"?>\n<!DOCTYPE ACES SYSTEM "http://example.com/x.dtd">\n<ACES/>'
_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n<ACES><Header><BrandAAIAID>&lol9;</BrandAAIAID></Header></ACES>\n"
)


@pytest.mark.parametrize(
    ("payload", "reader"),
    [(_XXE, read_pies), (_EXTERNAL_DTD, read_aces), (_LAUGHS, read_aces)],
    ids=["xxe", "external-dtd", "billion-laughs"],
)
def test_dtds_and_entities_are_refused(tmp_path: Path, payload: str, reader: object) -> None:
    path = _write(tmp_path / "evil.xml", payload)
    with pytest.raises(FeedError) as caught:
        list(read_feed(path))
    assert "declares a DTD or entities, which feeds must not; refusing" in str(caught.value)
    assert "XXE / billion-laughs protection" in str(caught.value)
    assert caught.value.line == 2


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_windows_1252_is_transcoded_with_a_notice(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"cp1252{suffix}"
    text = (
        "sku,brand,mpn,cost,title\nA,Fram,PH1,1.00,ok\nB,Fram,PH2,1.00,Café filter – 2\u2019\n"
        if suffix == ".csv"
        else _JSON_LINE + "\n" + _JSON_LINE.replace("Gap", "Gap – é") + "\n"
    )
    path.write_bytes(text.encode("cp1252"))
    items = list(read_csv(path) if suffix == ".csv" else read_jsonl(path))
    notice = items[0]
    assert isinstance(notice, Notice)
    assert "not UTF-8" in notice.reason and "read as Windows-1252" in notice.reason
    offers = [i for i in items if isinstance(i, OfferRecord)]
    assert len(offers) == 2
    if suffix == ".csv":
        assert offers[1].title == "Café filter – 2\u2019"
    else:
        assert "Gap – é" in offers[1].attributes
    assert detect_format(path) == ("csv" if suffix == ".csv" else "jsonl")


def test_bytes_neither_utf8_nor_windows_1252_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(b"sku,brand,mpn,cost,title\nA,Fram,PH1,1.00,ok\nB,Fram,PH2,1.00,x\x81y\n")
    with pytest.raises(FeedError) as caught:
        next(read_csv(path))  # the first 64 KB are checked before the first record
    assert "not UTF-8: byte 0x81 at byte offset" in str(caught.value)
    assert "re-export the file as UTF-8" in str(caught.value)
    assert caught.value.line == 3


def test_latin1_after_the_first_64k_still_raises(tmp_path: Path) -> None:
    rows = "".join(f"S{i},Fram,PH{i},1.00,filter\n" for i in range(5000))
    path = tmp_path / "late.csv"
    path.write_bytes(b"sku,brand,mpn,cost,title\n" + rows.encode() + b"Z,Fram,PHZ,1.00,Caf\xe9\n")
    stream = read_csv(path)
    assert isinstance(next(stream), OfferRecord)
    with pytest.raises(FeedError, match="not UTF-8") as caught:
        list(stream)
    assert caught.value.line == 5002


def test_undeclared_latin1_xml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.xml"
    path.write_bytes(_pies(_PIES_ITEM.replace("short", "Caf\u00e9")).encode("latin-1"))
    with pytest.raises(FeedError, match="not UTF-8"):
        list(read_pies(path))  # it says UTF-8 and is not


@pytest.mark.parametrize("encoding", ["ISO-8859-1", "windows-1252"])
def test_xml_declaring_a_western_encoding_is_transcoded(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "p.xml"
    text = _pies(_PIES_ITEM.replace("short", "Caf\u00e9 \u2013 pads")).replace("UTF-8", encoding)
    path.write_bytes(text.encode("cp1252"))
    items = list(read_pies(path))
    assert isinstance(items[0], Notice) and f"declares encoding {encoding!r}" in items[0].reason
    offers = [i for i in items if isinstance(i, OfferRecord)]
    assert offers and "Caf\u00e9 \u2013 pads" in (offers[0].title or "") + (
        offers[0].description or ""
    )
    other = tmp_path / "sjis.xml"
    other.write_text(_pies(_PIES_ITEM).replace("UTF-8", "Shift_JIS"), encoding="utf-8")
    with pytest.raises(FeedError, match="declares encoding 'Shift_JIS'; we read UTF-8"):
        list(read_pies(other))


def test_pies_cost_from_another_price_type(tmp_path: Path) -> None:
    item = _PIES_ITEM.replace('PriceType="NET"', 'PriceType="WD"')
    path = _write(tmp_path / "p.xml", _pies(item, item))
    items = list(read_pies(path))
    notices = [i for i in items if isinstance(i, Notice)]
    offers = [i for i in items if isinstance(i, OfferRecord)]
    assert (
        len(notices) == 1 and "no NET price: the cost is the lowest price, WD" in notices[0].reason
    )
    assert [o.cost for o in offers] == [Decimal("12.34")] * 2
    assert offers[0].raw["price WD"] == "12.34" and offers[0].jobber == Decimal("20.00")
    chosen = [i for i in read_pies(path, cost_price_type="JBR") if isinstance(i, OfferRecord)]
    assert chosen[0].cost == Decimal("20.00") and chosen[0].jobber is None


def test_utf16_is_named(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes("sku,brand,mpn,cost\n".encode("utf-16"))
    with pytest.raises(FeedError, match="the file is UTF-16, not UTF-8"):
        list(read_csv(path))


@pytest.mark.parametrize("reader", [read_csv, read_jsonl, read_pies, read_aces])
@pytest.mark.parametrize("content", [b"", b"  \n\n", b"\xef\xbb\xbf"])
def test_empty_files_are_feed_errors(tmp_path: Path, reader: object, content: bytes) -> None:
    path = tmp_path / "empty"
    path.write_bytes(content)
    assert callable(reader)
    with pytest.raises(FeedError, match="the file is empty"):
        list(reader(path))
    with pytest.raises(FeedError, match="the file is empty"):
        detect_format(path)


def test_missing_file_is_a_feed_error(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="cannot be opened"):
        list(read_csv(tmp_path / "nope.csv"))


def test_wrong_root_element(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.xml", _aces(_APP))
    with pytest.raises(FeedError, match="root element is <ACES>, but a PIES file starts with"):
        list(read_pies(path))


# --- huge lines: one rejection, bounded memory -----------------------------------------------


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _file_with_huge_line(path: Path, before: str, after: str) -> None:
    chunk = "x" * MB
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(before)
        for _ in range(100):
            file.write(chunk)
        file.write("\n" + after)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_100_mb_line_is_one_rejection(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"huge{suffix}"
    if suffix == ".csv":
        _file_with_huge_line(path, "sku,brand,mpn,cost\nA,Fram,PH1,1\n", "B,Fram,PH2,2\n")
    else:
        line = '{"supplier_sku": "%s", "brand": "Fram", "part_number": "PH1", "pricing": %s}\n'
        cost = '{"cost": 1}'
        _file_with_huge_line(path, line % ("A", cost), line % ("B", cost))
    before = _max_rss_mb()
    items = list(read_feed(path))
    assert _max_rss_mb() - before < 50
    assert [type(i) for i in items] == [OfferRecord, Rejection, OfferRecord]
    first_line = 2 if suffix == ".csv" else 1
    rejection = items[1]
    assert isinstance(rejection, Rejection)
    assert rejection.line == first_line + 1
    assert rejection.reason == "the line is 104,857,601 bytes long; lines over 1 MB are skipped"
    assert items[2].where == f"line {first_line + 2}"


# --- format detection ----------------------------------------------------------------------


def test_detect_format_by_content_then_extension(tmp_path: Path) -> None:
    assert detect_format(_write(tmp_path / "x.txt", _pies(_PIES_ITEM))) == "pies"
    assert detect_format(_write(tmp_path / "x.dat", "<!-- hi -->\n<ACES version='4.2'/>")) == "aces"
    assert detect_format(_write(tmp_path / "feed.csv", _JSON_LINE + "\n")) == "jsonl"
    assert detect_format(_write(tmp_path / "x.jsonl", "  \n" + _JSON_LINE)) == "jsonl"
    assert detect_format(_write(tmp_path / "x.ndjson", "garbage")) == "jsonl"
    assert detect_format(_write(tmp_path / "x", "sku,brand,mpn,cost\n")) == "csv"
    with pytest.raises(FeedError, match="root element is <catalog>"):
        detect_format(_write(tmp_path / "c.xml", "<?xml version='1.0'?><catalog/>"))


def test_read_feed_dispatches(demo: DemoFeeds) -> None:
    for feed in demo.files:
        assert detect_format(feed.path) == feed.format
    first = next(read_feed(demo.northstar.path, "csv"))
    assert first.where.startswith("line ")
    with pytest.raises(FeedError, match="unknown feed format 'xls'"):
        read_feed(demo.northstar.path, "xls")  # type: ignore[arg-type]


def test_all_part_types_known_to_readers() -> None:
    for part_type in PART_TYPES:
        assert parse_part_type(str(part_type.pcdb_id)) is part_type
        assert parse_part_type(part_type.name.upper()) is part_type


def test_aces_vcdb_ids_are_kept_for_the_import_to_resolve(tmp_path: Path) -> None:
    """An App keyed by VCdb ids reads as those ids: the import resolves every one against
    the owner's VCdb (or refuses it), so none is dropped here."""
    app = _APP.replace(
        '<Years from="2012" to="2015"/><Make>Honda</Make><Model>Civic</Model>',
        '<BaseVehicle id="5602"/>',
    ).replace('<EngineBase liters="1.8" cylinders="4" code="R18A1"/>', '<EngineBase id="2500"/>')
    app = app.replace("<DriveType>FWD</DriveType>", '<DriveType id="8"/><BedLength id="3"/>')
    [record] = list(read_aces(_write(tmp_path / "ids.xml", _aces(app))))
    assert isinstance(record, ApplicationRecord)
    assert record.application.vcdb == {
        "BaseVehicle": 5602,
        "EngineBase": 2500,
        "DriveType": 8,
        "BedLength": 3,
    }
    assert (record.application.make, record.application.drive) == ("", None)
    assert record.application.engine_liters is None
