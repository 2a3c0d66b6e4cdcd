"""Layout inference on each shape suppliers send, the labeled eval set's target, and the
cells layouts bring (year ranges, engines, units, packs, leftovers)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from automechanica.catalog.feeds.layout import infer_layout
from automechanica.catalog.feeds.layout_eval import TARGET_ACCURACY, evaluate_layouts
from automechanica.catalog.feeds.mapping import LayoutMapping
from automechanica.catalog.feeds.readers import read_feed
from automechanica.catalog.feeds.records import OfferRecord, Rejection
from automechanica.catalog.feeds.units import normalize_uom, split_pack
from automechanica.catalog.feeds.values import is_blank
from automechanica.catalog.feeds.vehicle_cells import parse_engine, parse_years

EVALS = Path(__file__).resolve().parents[2] / "evals" / "layouts"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_supplier_words_are_read_with_confidence_and_reasons(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "a.csv",
        "ItemNumber,MfrPartNo,BrandName,ProductName,PartType,UPCCode,DealerPrice,ListPrice\n"
        "ATL-1,PH7317,Fram,Fram Oil Filter,Oil Filter,036000291452,4.10,9.99\n"
        "ATL-2,ZD1212,Wagner,Wagner Pads,Brake Pads,012345678905,#N/A, $ 29.10 \n",
    )
    layout = infer_layout(path)
    assert layout.sure and layout.has_header
    assert layout.sources() == {
        "sku": "ItemNumber", "brand": "BrandName", "mpn": "MfrPartNo", "title": "ProductName",
        "part_type": "PartType", "upc": "UPCCode", "cost": "DealerPrice", "msrp": "ListPrice",
    }  # fmt: skip
    assert "dealer price" in layout.fields["cost"].reason
    items = list(read_feed(path, layout=layout))
    assert isinstance(items[0], OfferRecord) and items[0].cost == Decimal("4.10")
    assert isinstance(items[1], Rejection) and items[1].reason == "missing DealerPrice"


def test_a_headerless_file_is_read_from_its_values(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "h.csv",
        "DOR-1,926-123,Dorman,Oil Drain Plug,Oil Filter,3.10,4.50,6.99,036000291452\n"
        "DOR-2,926-124,Dorman,Drain Plug Kit,Oil Filter,3.40,4.90,7.49,012345678905\n",
    )
    layout = infer_layout(path)
    assert not layout.has_header
    assert layout.fields["upc"].source == "column 9" and layout.fields["upc"].confidence >= 0.9
    assert layout.fields["brand"].source == "column 3"
    assert (layout.fields["cost"].source, layout.fields["jobber"].source) == (
        "column 6",
        "column 7",
    )
    assert {"cost", "jobber", "map", "sku", "mpn"} <= set(layout.unsure_fields)
    assert "3.10" in layout.fields["cost"].reason and "4.50" in layout.fields["cost"].reason
    offers = [i for i in read_feed(path, layout=layout) if isinstance(i, OfferRecord)]
    first = offers[0]
    assert (first.supplier_sku, first.mpn, first.cost) == ("DOR-1", "926-123", Decimal("3.10"))


def test_unlabelled_price_columns_are_ranked_and_unsure(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "p.csv",
        "SKU,Brand,Part Number,Part Type,Price1,Price2,Price3\n"
        "A,Fram,PH1,Oil Filter,9.99,4.10,6.20\nB,Fram,PH2,Oil Filter,12.99,5.10,7.20\n",
    )
    layout = infer_layout(path)
    assert [layout.fields[f].source for f in ("cost", "jobber", "map")] == [
        "Price2",
        "Price3",
        "Price1",
    ]
    assert not layout.sure and "cost" in layout.unsure_fields
    assert any("ranked by value" in note for note in layout.notes)


def test_one_row_per_vehicle_reads_structured_fitment(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "v.csv",
        "Stock Code,Brand,Part #,Category,Year,Make,Model,Engine,Dealer Price\n"
        "SC-1,Moog,K750012,Control Arm,2012-2015,Honda,Civic,1.8L,45.00\n"
        "SC-1,Moog,K750012,Control Arm,2014,Toyota,Corolla,1.8L L4,45.00\n",
    )
    layout = infer_layout(path)
    assert layout.sure
    assert {layout.fields[f].source for f in ("year", "make", "model", "engine")} == {
        "Year",
        "Make",
        "Model",
        "Engine",
    }
    offers = [i for i in read_feed(path, layout=layout) if isinstance(i, OfferRecord)]
    apps = [o.applications[0] for o in offers]
    assert [(a.year_start, a.year_end, a.make, a.model) for a in apps] == [
        (2012, 2015, "Honda", "Civic"),
        (2014, 2014, "Toyota", "Corolla"),
    ]
    assert apps[1].engine_liters == Decimal("1.8") and apps[1].engine_cylinders == 4


def test_a_supplier_that_is_the_brand(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "d.csv",
        "Part Number,Description,Part Type,Dealer\n926-123,Drain Plug,Oil Filter,3.10\n",
    )
    unsure = infer_layout(path, supplier="acme")
    assert "brand" in unsure.unsure_fields and unsure.brand is None
    layout = infer_layout(path, supplier="Dorman")
    assert layout.brand == "Dorman" and layout.sure
    assert layout.fields["sku"].source == "Part Number"  # no SKU column: the part number
    offer = next(i for i in read_feed(path, layout=layout) if isinstance(i, OfferRecord))
    assert (offer.brand, offer.supplier_sku, offer.mpn) == ("Dorman", "926-123", "926-123")


def test_json_with_its_own_words_flat_and_nested(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "j.jsonl",
        '{"itemNo": "PD-1", "mfr": "AC Delco", "partNo": "41-110", "productType": "Spark Plug",'
        ' "price": {"dealer": "12.30", "list": 24}, "onHand": 4,'
        ' "vehicles": ["2016 Honda Civic"]}\n',
    )
    layout = infer_layout(path)
    assert layout.format == "jsonl" and layout.sure
    assert layout.fields["cost"].source == "price.dealer"
    assert layout.fields["msrp"].source == "price.list"
    offer = next(i for i in read_feed(path, layout=layout) if isinstance(i, OfferRecord))
    assert (offer.supplier_sku, offer.cost, offer.msrp, offer.stock) == (
        "PD-1",
        Decimal("12.30"),
        Decimal("24.00"),
        {"all": 4},
    )
    assert offer.fitment_text == ["2016 Honda Civic"]


def test_a_layout_naming_a_missing_column_is_a_feed_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.csv", "a,b,c,d\n1,2,3,4.00\n")
    layout = LayoutMapping.by_hand(
        "csv", {"sku": "a", "brand": "b", "mpn": "c", "cost": "DealerPrice"}
    )
    with pytest.raises(Exception, match="maps cost to column 'DealerPrice'"):
        list(read_feed(path, layout=layout))


@pytest.mark.parametrize(
    ("text", "years"),
    [("2012-2015", (2012, 2015)), ("2014", (2014, 2014)), ("12-15", (2012, 2015)),
     ("2012 – 2015", (2012, 2015)), ("'98-'02", (1998, 2002))],
)  # fmt: skip
def test_year_cells(text: str, years: tuple[int, int]) -> None:
    assert parse_years(text) == years


def test_engines_units_packs_and_leftovers() -> None:
    assert parse_engine("5.3L V8") == (Decimal("5.3"), 8)
    assert parse_engine("2.0 4 Cyl") == (Decimal("2.0"), 4)
    assert [normalize_uom(u) for u in ("Each", "pair", "Set", "pkg", "Kit", "quart")] == [
        "EA", "PR", "SET", "PK", "KT", "QT",
    ]  # fmt: skip
    assert split_pack("2/PK") == ("2", "PK") and split_pack("pack of 4") == ("4", "PK")
    assert split_pack("4") == ("4", None)
    assert all(is_blank(t) for t in ("#N/A", "N/A", "-", " ", "", "null"))
    assert not is_blank("0")


def test_pack_with_its_unit_and_spreadsheet_money(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "u.csv",
        "sku,brand,mpn,cost,pack,unit,upc\n"
        'A,Fram,PH1," $ 9.10 ",2/PK,,#N/A\nB,Fram,PH2,"1,234.50",1,Pair,-\n',
    )
    offers = [i for i in read_feed(path) if isinstance(i, OfferRecord)]
    assert [(o.cost, o.pack_qty, o.uom, o.upc) for o in offers] == [
        (Decimal("9.10"), 2, "PK", None),
        (Decimal("1234.50"), 1, "PR", None),
    ]


def test_the_labeled_layouts_meet_the_target() -> None:
    """A quality report: per-field accuracy of inference over evals/layouts/."""
    result = evaluate_layouts(EVALS)
    assert result["files"] >= 30
    assert result["accuracy"] >= TARGET_ACCURACY, result["mistakes"]
    assert result["header_accuracy"] == 1.0
