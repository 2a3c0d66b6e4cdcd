"""schema.org JSON-LD for a part (`Product`) and a vehicle's landing page (`CollectionPage`
with an `ItemList`), built from the catalog's data alone.

A claim the data does not hold is left out rather than guessed: `gtin` only for a UPC
whose check digit is right, `offers` only when the part has a store price,
`isAccessoryOrSparePartFor` only for confidently fitting vehicles (the facts carry
those and no others) and at most `VEHICLE_CAP` of them, newest first — a part that
fits 400 vehicles would otherwise make every page heavy; the page says how many
there are in its description.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from automechanica.catalog.seo_facts import FitVehicle, LandingFacts, SeoFacts

CONTEXT = "https://schema.org"
#: Vehicles listed in a part's JSON-LD, at most (the facts query caps them too).
VEHICLE_CAP = 50
_GTIN = re.compile(r"^(\d{8}|\d{12,14})$")


def valid_gtin(code: str | None) -> str | None:
    """The code when it is a GTIN-8/12/13/14 whose GS1 check digit is right, else None."""
    if code is None:
        return None
    code = code.strip()
    if not _GTIN.match(code):
        return None
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return code if (10 - total % 10) % 10 == check else None


def sku_of(part_id: int) -> str:
    """The store's own identifier of a part (the product feed's `id` too)."""
    return f"AM{part_id}"


def vehicle_item(v: FitVehicle) -> dict[str, Any]:
    """A schema.org Vehicle: brand = make, model, vehicleModelDate = year; the trim and
    engine size only when the fitment names them."""
    item: dict[str, Any] = {
        "@type": "Vehicle",
        "name": " ".join(str(w) for w in (v.year, v.make, v.model, v.submodel or "") if w),
        "brand": {"@type": "Brand", "name": v.make},
        "model": v.model,
        "vehicleModelDate": str(v.year),
    }
    if v.submodel:
        item["vehicleConfiguration"] = v.submodel
    if v.engine_liters is not None:
        item["vehicleEngine"] = {
            "@type": "EngineSpecification",
            "engineDisplacement": {
                "@type": "QuantitativeValue",
                "value": float(v.engine_liters),
                "unitCode": "LTR",
            },
        }
    return item


def product_name(facts: SeoFacts) -> str:
    """The page's own title when ProductData wrote one, else brand, type and number."""
    return facts.page_title or f"{facts.brand} {facts.part_type} {facts.part_number}"


def product_jsonld(
    facts: SeoFacts, url: str, *, description: str, currency: str = "USD"
) -> dict[str, Any]:
    """A part as a schema.org Product."""
    data: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "Product",
        "@id": f"{url}#product",
        "name": product_name(facts),
        "url": url,
        "sku": sku_of(facts.part_id),
        "mpn": facts.part_number,
        "brand": {"@type": "Brand", "name": facts.brand},
        "category": f"{facts.category} > {facts.part_type}",
        "description": description,
    }
    gtin = valid_gtin(facts.upc)
    if gtin is not None:
        data["gtin"] = gtin
    if facts.price is not None and facts.status == "active":
        data["offers"] = {
            "@type": "Offer",
            "url": url,
            "price": f"{Decimal(facts.price):.2f}",
            "priceCurrency": currency,
            "availability": "https://schema.org/InStock"
            if facts.stock_total > 0
            else "https://schema.org/OutOfStock",
            "itemCondition": "https://schema.org/NewCondition",
        }
    if not facts.universal and facts.vehicles:
        data["isAccessoryOrSparePartFor"] = [vehicle_item(v) for v in facts.vehicles[:VEHICLE_CAP]]
    return data


def landing_jsonld(
    facts: LandingFacts, url: str, base_url: str, *, title: str, description: str
) -> dict[str, Any]:
    """A vehicle's landing page as a CollectionPage about the vehicle, whose main entity
    is the list of the parts it shows (the top parts of each type, in page order)."""
    items = [
        {
            "@type": "ListItem",
            "position": i,
            "url": f"{base_url}/parts/{p.id}",
            "name": p.page_title or f"{p.brand} {p.part_type} {p.part_number}",
        }
        for i, p in enumerate((p for t in facts.part_types for p in t.top), start=1)
    ]
    return {
        "@context": CONTEXT,
        "@type": "CollectionPage",
        "@id": url,
        "url": url,
        "name": title,
        "description": description,
        "about": {
            "@type": "Vehicle",
            "name": f"{facts.year} {facts.make} {facts.model}",
            "brand": {"@type": "Brand", "name": facts.make},
            "model": facts.model,
            "vehicleModelDate": str(facts.year),
        },
        "mainEntity": {
            "@type": "ItemList",
            "numberOfItems": len(items),
            "itemListElement": items,
        },
    }
