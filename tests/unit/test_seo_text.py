"""The SEO templates and structured data without a database: lengths kept by whole
pieces, numbers only from the data, GTINs checked, JSON-LD that cannot break out."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from automechanica.agents.seo import (
    grounding_text,
    safe_specs,
    template_meta,
    template_title,
    year_span,
)
from automechanica.api.seo_head import Head, head_html, jsonld_text
from automechanica.catalog.seo_facts import FitVehicle, ModelYears, SeoFacts
from automechanica.catalog.structured_data import product_jsonld, valid_gtin

NUMBER = re.compile(r"\d+(?:\.\d+)?")


def facts(**changes: Any) -> SeoFacts:
    base: dict[str, Any] = {
        "part_id": 7,
        "brand": "Bosch",
        "part_number": "BC905",
        "part_type": "Brake Pads",
        "category": "Brakes",
        "title": "Bosch pads",
        "description": None,
        "upc": None,
        "fit_class": "vehicle_specific",
        "status": "active",
        "price": None,
        "stock_total": 0,
        "offers": 1,
        "specs": {},
        "page_title": None,
        "page_description": None,
        "slug": None,
        "seo_title": None,
        "meta_description": None,
        "content_updated_at": None,
    }
    return SeoFacts(**(base | changes))


def test_year_spans_claim_only_the_years_fitted() -> None:
    assert year_span([2014, 2012, 2013]) == "2012-2014"
    assert year_span([2012]) == "2012"
    assert year_span([2012, 2014]) == "2012, 2014"
    assert year_span([2010, 2012, 2014, 2016]) is None
    scattered = facts(models=[ModelYears("Honda", "Civic", [2010, 2012, 2014, 2016])])
    assert "Fits the Honda Civic (select years)." in template_meta(scattered)


def test_gtins_need_a_right_check_digit() -> None:
    assert valid_gtin("036000291452") == "036000291452"
    assert valid_gtin("036000291453") is None
    assert valid_gtin("12345") is None and valid_gtin(None) is None


def test_long_data_keeps_the_limits_by_whole_pieces() -> None:
    models = [ModelYears("Mercedes-Benz", f"GLK-Class {i}", [2014, 2015]) for i in range(3)]
    vehicles = [FitVehicle(2015, "Mercedes-Benz", m.model) for m in models]
    long = facts(
        brand="Motorcraft Performance Parts International",
        part_number="BRKT-1234567-AB",
        specs={f"Dimension {i}": f"{i * 11}.5 mm" for i in range(8)},
        models=models,
        vehicles=vehicles,
        vehicle_total=3,
    )
    title, meta = template_title(long), template_meta(long)
    assert len(title) <= 65 and len(meta) <= 160
    assert meta.endswith(".")
    grounded = set(NUMBER.findall(grounding_text(long)))
    assert set(NUMBER.findall(title + " " + meta)) <= grounded


def test_specs_that_look_like_markup_or_links_stay_out() -> None:
    specs = {"Size": "9 in", "Note": "<b>best</b>", "Site": "buy at evil.com", "x&y": "1"}
    assert safe_specs(specs) == [("Size", "9 in")]
    meta = template_meta(facts(specs=specs))
    assert "Size: 9 in" in meta and "<" not in meta and "evil" not in meta


def test_one_model_goes_in_the_title_and_no_fitment_says_check_fit() -> None:
    civic = facts(
        models=[ModelYears("Honda", "Civic", [2012, 2013])],
        vehicles=[FitVehicle(2013, "Honda", "Civic"), FitVehicle(2012, "Honda", "Civic")],
        vehicle_total=2,
    )
    assert (
        template_title(civic) == "Bosch BC905 Brake Pads for 2012-2013 Honda Civic | AutoMechanica"
    )
    assert template_title(civic, 50) == "Bosch BC905 Brake Pads for 2012-2013 Honda Civic"
    assert "Fits the 2012-2013 Honda Civic." in template_meta(civic)
    assert template_meta(facts()).endswith("Check fit for your vehicle.")
    assert template_meta(facts(fit_class="universal")).endswith("Universal fit.")


def test_the_product_claims_only_what_the_data_holds() -> None:
    bare = product_jsonld(facts(upc="036000291453"), "https://s.example/parts/7", description="d")
    assert "offers" not in bare and "gtin" not in bare and "isAccessoryOrSparePartFor" not in bare
    full = product_jsonld(
        facts(
            upc="036000291452",
            price=Decimal("42.5"),
            stock_total=3,
            vehicles=[FitVehicle(2014, "Honda", "Civic", "EX", Decimal("1.8"))],
        ),
        "https://s.example/parts/7",
        description="d",
    )
    assert full["gtin"] == "036000291452"
    assert full["offers"]["price"] == "42.50"
    assert full["offers"]["availability"] == "https://schema.org/InStock"
    (car,) = full["isAccessoryOrSparePartFor"]
    assert car["brand"] == {"@type": "Brand", "name": "Honda"}
    assert (car["model"], car["vehicleModelDate"], car["vehicleConfiguration"]) == (
        "Civic",
        "2014",
        "EX",
    )
    assert car["vehicleEngine"]["engineDisplacement"]["value"] == 1.8


def test_jsonld_and_attributes_cannot_break_out() -> None:
    hostile = '</script><script>alert(1)</script>" onload="x" & \u2028'
    text = jsonld_text({"name": hostile})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"name": hostile}
    block = head_html(Head(hostile, hostile, "https://s.example/?a=1&b=2", {"name": hostile}))
    assert block.count("<script") == 1 and block.count("</script>") == 1
    assert 'href="https://s.example/?a=1&amp;b=2"' in block
    attributes: list[str] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            attributes.extend(name for name, _ in attrs)

    Tags().feed(block)
    assert "onload" not in attributes and set(attributes) <= {
        "name",
        "content",
        "rel",
        "href",
        "property",
        "type",
    }
