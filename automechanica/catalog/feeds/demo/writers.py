"""The four demo feeds as each supplier writes them, and the large CSV for the benchmark.

northstar sends CSV, parts-direct JSON lines, atlas PIES plus ACES; one
`random.Random(seed)` drives all of it, in a fixed order, so the same arguments
give the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from automechanica.catalog.feeds.aces import POSITION_IDS
from automechanica.catalog.feeds.demo.catalog import Catalog, money
from automechanica.catalog.feeds.demo.files import (
    Block,
    DemoFeedFile,
    DemoFeeds,
    bad_upc,
    mark_unresolvable,
    nonexistent_vehicle,
    with_broken,
    write_blocks,
)
from automechanica.catalog.feeds.demo.fitment import Fit, Fleet
from automechanica.catalog.feeds.demo.offers import Offer, assign_offers
from automechanica.catalog.feeds.demo.tables import BRAND_BY_NAME, PER_CYLINDER, SPECS
from automechanica.catalog.feeds.demo.voices import Voices, fitment_texts
from automechanica.catalog.vehicle_config import VehicleConfig

__all__ = [
    "NORTHSTAR_COLUMNS",
    "aces_app",
    "generate_demo_feeds",
    "northstar_cells",
    "parts_direct_object",
    "pies_item",
    "write_atlas_aces",
    "write_atlas_pies",
    "write_large_csv",
    "write_northstar",
    "write_parts_direct",
]


def _csv_line(cells: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


_ATTRIBUTE_NAMES = sorted(
    {name for spec in SPECS.values() for name, _ in spec.attributes} | {"Quantity per Engine"}
)
# fmt: off
NORTHSTAR_COLUMNS = (
    "Item", "Brand Name", "Part Number", "Title", "Category", "UPC", "UOM", "Pack", "Net",
    "Jobber", "MAP", "List", "Core", "Weight", "Hazmat", "Fits", "Updated_At",
    "stock_EAST", "stock_WEST", *(f"attr_{name}" for name in _ATTRIBUTE_NAMES),
)
_CSV_BREAKS = ("negative cost", "missing brand", "non-numeric pack", "bad UPC check digit",
               "unknown part type", "wrong number of cells")
_JSON_BREAKS = ("invalid JSON", "not an object", "negative cost", "missing brand",
                "non-numeric pack", "bad UPC check digit", "unknown part type")
_PIES_BREAKS = ("negative cost", "missing brand", "bad UPC check digit", "unknown part type",
                "missing part number", "non-numeric pack")
_ACES_BREAKS = ("unknown position", "malformed VCdb id", "delete action",
                "missing part number", "years reversed")
# fmt: on


def northstar_cells(offer: Offer, rng: random.Random) -> dict[str, str]:
    """A northstar CSV row: aliased headers, '$' on some prices, category names or ids."""
    part, type_name = offer.part, offer.part.part_type.name
    category = rng.choice((type_name,) * 8 + (type_name.upper(), str(part.part_type.pcdb_id)))
    cells = {
        "Item": offer.sku,
        "Brand Name": offer.brand,
        "Part Number": offer.mpn,
        "Title": part.title,
        "Category": category,
        "UPC": part.upc or "",
        "UOM": part.spec.uom,
        "Pack": str(part.spec.pack),
        "Net": f"${offer.cost}" if rng.random() < 0.1 else f"{offer.cost:,}",
        "Jobber": str(part.jobber),
        "MAP": str(part.map_price),
        "List": str(part.msrp),
        "Core": str(part.core or ""),
        "Weight": str(part.weight),
        "Hazmat": "Y" if type_name == "Battery" else "N",
        "Fits": "; ".join(offer.fitment),
        "Updated_At": offer.updated_at,
    }
    cells |= {f"stock_{w}": str(n) for w, n in offer.stock.items()}
    return cells | {f"attr_{n}": part.attributes.get(n, "") for n in _ATTRIBUTE_NAMES}


def _break_csv(cells: dict[str, str], kind: str) -> list[str]:
    if kind == "negative cost":
        cells["Net"] = "-" + cells["Net"].lstrip("$")
    elif kind == "missing brand":
        cells["Brand Name"] = ""
    elif kind == "non-numeric pack":
        cells["Pack"] = "two"
    elif kind == "bad UPC check digit":
        cells["UPC"] = bad_upc(cells["UPC"] or None)
    elif kind == "unknown part type":
        cells["Category"] = "Flux Capacitor"
    else:
        return list(cells.values())[:-3]  # wrong number of cells
    return list(cells.values())


def write_northstar(
    path: Path, rng: random.Random, offers: list[Offer], fleet: Fleet
) -> DemoFeedFile:
    odd = mark_unresolvable(rng, offers, fleet)
    good = [
        Block([_csv_line(northstar_cells(o, rng).values())], unresolvable=id(o) in odd)
        for o in offers
    ]

    def broken(i: int, kind: str) -> list[str]:
        cells = northstar_cells(rng.choice(offers), rng) | {"Item": f"NS-X{i}"}
        return [_csv_line(_break_csv(cells, kind))]

    blocks = with_broken(rng, good, _CSV_BREAKS, broken)
    rows, odd_lines = write_blocks(path, [_csv_line(NORTHSTAR_COLUMNS)], blocks, [])
    return DemoFeedFile("northstar", path, "csv", len(offers), rows, odd_lines)


def parts_direct_object(offer: Offer, rng: random.Random) -> dict[str, Any]:
    """A parts-direct JSON object: nested pricing and inventory, fitment as a list."""
    part = offer.part
    pricing: dict[str, Any] = {
        "cost": float(offer.cost),
        "jobber": float(part.jobber),
        "map": float(part.map_price),
        "msrp": float(part.msrp),
    }
    if rng.random() < 0.05:
        pricing["cost"] = f"${offer.cost}"  # some rows carry prices as text
    if part.core is not None:
        pricing["core"] = float(part.core)
    obj: dict[str, Any] = {
        "supplier_sku": offer.sku,
        "brand": offer.brand,
        "part_number": offer.mpn,
        "title": part.title,
        "category": part.part_type.name,
        "gtin": part.upc,
        "unit": part.spec.uom,
        "pack": part.spec.pack,
        "pricing": pricing,
        "inventory": offer.stock,
        "weight_lb": float(part.weight),
        "hazmat": part.part_type.name == "Battery",
        "attributes": part.attributes,
        "fitment": offer.fitment,
        "interchange": [{"brand": b, "part_number": n} for b, n in part.interchange],
        "updated_at": offer.updated_at,
    }
    return {key: value for key, value in obj.items() if value is not None}


def _break_json(obj: dict[str, Any], kind: str) -> str:
    if kind == "invalid JSON":
        return json.dumps(obj, ensure_ascii=False)[:-9]
    if kind == "not an object":
        return json.dumps([obj["supplier_sku"], obj["brand"], obj["part_number"]])
    if kind == "negative cost":
        obj["pricing"] = obj["pricing"] | {"cost": -4.2}
    elif kind == "missing brand":
        del obj["brand"]
    elif kind == "non-numeric pack":
        obj["pack"] = "two"
    elif kind == "bad UPC check digit":
        obj["gtin"] = bad_upc(obj.get("gtin"))
    else:
        obj["category"] = "Flux Capacitor"
    return json.dumps(obj, ensure_ascii=False)


def write_parts_direct(
    path: Path, rng: random.Random, offers: list[Offer], fleet: Fleet
) -> DemoFeedFile:
    odd = mark_unresolvable(rng, offers, fleet)
    good = [
        Block([json.dumps(parts_direct_object(o, rng), ensure_ascii=False)], None, id(o) in odd)
        for o in offers
    ]
    if good:  # exports have the odd blank line; readers skip it
        rng.choice(good).lines.append("")

    def broken(i: int, kind: str) -> list[str]:
        obj = parts_direct_object(rng.choice(offers), rng) | {"supplier_sku": f"PD-X{i}"}
        return [_break_json(obj, kind)]

    blocks = with_broken(rng, good, _JSON_BREAKS, broken)
    rows, odd_lines = write_blocks(path, [], blocks, [])
    return DemoFeedFile("parts-direct", path, "jsonl", len(offers), rows, odd_lines)


def _tag(name: str, text: object, **attrs: str) -> str:
    attributes = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    return f"<{name}{attributes}>{escape(str(text))}</{name}>"


def _pies_identity(offer: Offer, rng: random.Random, kind: str | None) -> list[str]:
    part = offer.part
    upc = bad_upc(part.upc) if kind == "bad UPC check digit" else part.upc
    terminology = "99999" if kind == "unknown part type" else part.part_type.pcdb_id
    lines = [_tag("HazardousMaterialCode", "Y" if part.part_type.name == "Battery" else "N")]
    lines += [_tag("ItemLevelGTIN", upc, GTINQualifier="UP")] if upc else []
    lines += [] if kind == "missing part number" else [_tag("PartNumber", offer.mpn)]
    if kind != "missing brand":  # BrandLabel is optional: the reader falls back to the id
        lines.append(_tag("BrandAAIAID", part.brand.aaia_id))
        lines += [_tag("BrandLabel", offer.brand)] if rng.random() < 0.8 else []
    pack = "two" if kind == "non-numeric pack" else part.spec.pack
    lines.append(_tag("ItemQuantitySize", pack, UOM=part.spec.uom))
    lines.append(_tag("PartTerminologyID", terminology))
    marketing = f"{part.title}. Built to meet or exceed OE specifications."
    return [
        *lines,
        "<Descriptions>",
        "  " + _tag("Description", part.title, DescriptionCode="DES", LanguageCode="EN"),
        "  " + _tag("Description", marketing, DescriptionCode="MKT", LanguageCode="EN"),
        "</Descriptions>",
    ]


def _pies_commerce(offer: Offer, rng: random.Random, kind: str | None) -> list[str]:
    part = offer.part
    cost = -offer.cost if kind == "negative cost" else offer.cost
    prices = {"NET": cost, "JBR": part.jobber, "MAP": part.map_price, "LST": part.msrp}
    prices |= {"CORE": part.core} if part.core is not None else {}
    lines = ["<Prices>"]
    lines += [
        f'  <Pricing PriceType="{code}">{_tag("Price", value, UOM="PE")}</Pricing>'
        for code, value in prices.items()
    ]
    lines += ["</Prices>", "<ExtendedInformation>"]
    if rng.random() < 0.9:  # without one, the SKU is "<BrandAAIAID>-<PartNumber>"
        lines.append("  " + _tag("ExtendedProductInformation", offer.sku, EXPICode="SKU"))
    lines += [
        "  " + _tag("ExtendedProductInformation", n, EXPICode="QOH", Warehouse=w)
        for w, n in offer.stock.items()
    ]
    lines += ["</ExtendedInformation>", "<ProductAttributes>"]
    lines += ["  " + _tag("ProductAttribute", v, AttributeID=k) for k, v in part.attributes.items()]
    lines += [
        "</ProductAttributes>",
        "<Packages><Package>"
        f'<Weights UOM="PG">{_tag("Weight", part.weight)}</Weights></Package></Packages>',
    ]
    if part.interchange:
        lines.append("<PartInterchangeInfo>")
        for brand_name, number in part.interchange:
            brand = BRAND_BY_NAME[brand_name]
            lines.append(
                f"  <PartInterchange BrandAAIAID={quoteattr(brand.aaia_id)} "
                f"BrandLabel={quoteattr(brand.name)}>{_tag('PartNumber', number)}"
                "</PartInterchange>"
            )
        lines.append("</PartInterchangeInfo>")
    return lines


def pies_item(offer: Offer, rng: random.Random, kind: str | None = None) -> list[str]:
    """The lines of one PIES Item; `kind` breaks it on purpose."""
    body = _pies_identity(offer, rng, kind) + _pies_commerce(offer, rng, kind)
    return ['    <Item MaintenanceType="A">', *("      " + line for line in body), "    </Item>"]


def write_atlas_pies(path: Path, rng: random.Random, offers: list[Offer]) -> DemoFeedFile:
    good = [Block(pies_item(offer, rng)) for offer in offers]

    def broken(i: int, kind: str) -> list[str]:
        offer = rng.choice(offers)
        copy = Offer(
            offer.part,
            "atlas",
            f"ATL-X{i}",
            offer.brand,
            offer.mpn,
            offer.cost,
            offer.stock,
            offer.updated_at,
            [],
        )
        return pies_item(copy, rng, kind)

    blocks = with_broken(rng, good, _PIES_BREAKS, broken)
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<PIES xmlns="http://www.autocare.org">',
        "  <Header><PIESVersion>7.2</PIESVersion><SubmissionType>FULL</SubmissionType>"
        "<BlanketEffectiveDate>2026-01-01</BlanketEffectiveDate></Header>",
        "  <Items>",
    ]
    tail = ["  </Items>", f"  <Trailer><ItemCount>{len(blocks)}</ItemCount></Trailer>", "</PIES>"]
    rows, _ = write_blocks(path, head, blocks, tail)
    return DemoFeedFile("atlas", path, "pies", len(offers), rows)


_QUANTITY = {"Brake Rotor": 2, "Shock Absorber": 2}


def _aces_position(position: str | None) -> tuple[int | None, str | None]:
    """PCdb position id and leftover words for a Note ('Front Left Lower' -> 12, 'Lower')."""
    if position is None:
        return None, None
    for name, position_id in sorted(POSITION_IDS.items(), key=lambda item: -len(item[0])):
        if position == name or position.startswith(name + " "):
            return position_id, position[len(name) :].strip() or None
    return None, position


@dataclass(frozen=True, slots=True)
class _App:
    offer: Offer
    fit: Fit
    submodel: str | None


def aces_app(app_id: int, app: _App, kind: str | None = None) -> list[str]:
    """The lines of one ACES App (ACES names one SubModel per App); `kind` breaks it."""
    part, fit = app.offer.part, app.fit
    lines = [f'  <App action="{"D" if kind == "delete action" else "A"}" id="{app_id}">']
    if kind == "malformed VCdb id":
        lines.append('<BaseVehicle id="7481A"/>')
    else:
        start, end = (fit.year_start, fit.year_end)
        start, end = (end + 1, start) if kind == "years reversed" else (start, end)
        lines += [
            f'<Years from="{start}" to="{end}"/>',
            _tag("Make", fit.make),
            _tag("Model", fit.model),
        ]
    lines += [_tag("SubModel", app.submodel)] if app.submodel else []
    if fit.liters is not None:
        cylinders = f' cylinders="{fit.cylinders}"' if fit.cylinders else ""
        lines.append(f'<EngineBase liters="{fit.liters:.1f}"{cylinders}/>')
    lines += [_tag("FuelType", fit.fuel)] if fit.fuel else []
    lines += [_tag("DriveType", fit.drive)] if fit.drive else []
    position_id, note = _aces_position(part.position)
    lines += [_tag("Note", note)] if note else []
    per_cylinder = fit.cylinders if part.part_type.name in PER_CYLINDER else None
    lines.append(_tag("Qty", per_cylinder or _QUANTITY.get(part.part_type.name, 1)))
    lines.append(f'<PartType id="{part.part_type.pcdb_id}"/>')
    position_id = 77 if kind == "unknown position" else position_id
    lines += [f'<Position id="{position_id}"/>'] if position_id is not None else []
    if kind != "missing part number":
        lines.append(_tag("Part", app.offer.mpn, BrandAAIAID=part.brand.aaia_id))
    return [lines[0], *("    " + line for line in lines[1:]), "  </App>"]


def write_atlas_aces(
    path: Path, rng: random.Random, offers: list[Offer], fleet: Fleet
) -> DemoFeedFile:
    apps = [
        _App(o, fit, sub)
        for o in offers
        for fit in o.part.fits
        for sub in (fit.submodels or (None,))
    ]
    good = [Block(aces_app(i, app)) for i, app in enumerate(apps, start=1)]
    if apps:  # a valid App for a submodel that does not exist: it cannot resolve
        make, model = nonexistent_vehicle(fleet)
        odd = _App(rng.choice(apps).offer, Fit(make, model, 2014, 2014), "Type-Z")
        spot = rng.randrange(len(good) + 1)
        good.insert(spot, Block(aces_app(len(apps) + 1, odd), unresolvable=True))
    blocks = with_broken(
        rng, good, _ACES_BREAKS, lambda i, kind: aces_app(900_000 + i, rng.choice(apps), kind)
    )
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<ACES version="4.2">',
        "  <Header><Company>Atlas Parts Supply</Company><TransferDate>2026-01-15"
        "</TransferDate><DocumentTitle>Atlas full catalog</DocumentTitle>"
        "<SubmissionType>FULL</SubmissionType></Header>",
    ]
    tail = [f"  <Footer><RecordCount>{len(blocks)}</RecordCount></Footer>", "</ACES>"]
    rows, odd_lines = write_blocks(path, head, blocks, tail)
    return DemoFeedFile("atlas", path, "aces", len(good), rows, odd_lines)


def generate_demo_feeds(
    out_dir: Path, vehicles: Sequence[VehicleConfig], *, seed: int = 2026, parts: int = 5200
) -> DemoFeeds:
    """Write northstar.csv, parts-direct.jsonl, atlas-pies.xml and atlas-aces.xml into
    `out_dir`; the same arguments always give byte-identical files."""
    rng = random.Random(seed)
    fleet = Fleet(vehicles)
    catalog = Catalog(rng, fleet)
    canonical = [catalog.part(index) for index in range(parts)]
    offers = assign_offers(rng, canonical, fleet)
    out_dir.mkdir(parents=True, exist_ok=True)
    return DemoFeeds(
        parts=len(canonical),
        northstar=write_northstar(out_dir / "northstar.csv", rng, offers["northstar"], fleet),
        parts_direct=write_parts_direct(
            out_dir / "parts-direct.jsonl", rng, offers["parts-direct"], fleet
        ),
        atlas_pies=write_atlas_pies(out_dir / "atlas-pies.xml", rng, offers["atlas"]),
        atlas_aces=write_atlas_aces(out_dir / "atlas-aces.xml", rng, offers["atlas"], fleet),
    )


def write_large_csv(
    path: Path, rows: int, *, seed: int = 7, vehicles: Sequence[VehicleConfig]
) -> None:
    """A northstar-format CSV of `rows` rows for the import benchmark, written row by row.

    Rows draw from rows // 3 distinct parts (a million rows name some 333,000
    parts, several under more than one SKU) built on 3,000 templates, so the
    fitment strings repeat the way they do in real feeds.
    """
    rng = random.Random(seed)
    fleet = Fleet(vehicles)
    catalog = Catalog(rng, fleet)
    templates = [catalog.part(index) for index in range(3000)]
    fitments = [fitment_texts(template, rng, fleet) for template in templates]
    distinct = max(1, rows // 3)
    voices = Voices(rng)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(NORTHSTAR_COLUMNS)
        for index in range(rows):
            key = rng.randrange(distinct)
            template = templates[key % len(templates)]
            prefix = re.match(r"[A-Z]*", template.mpn)
            offer = Offer(
                template,
                "northstar",
                f"NS-{index + 1:07d}",
                voices.brand("northstar", template.brand),
                f"{prefix.group() if prefix else ''}{key:07d}",
                money(float(template.cost) * (0.85 + (key % 31) / 100)),
                {"EAST": key % 13, "WEST": key % 7},
                voices.updated_at(),
                fitments[key % len(templates)],
            )
            writer.writerow(northstar_cells(offer, rng).values())
