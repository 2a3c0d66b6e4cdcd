"""The PIES product feed: one offer per `Item`.

The file is streamed by `xml_stream.py` (defusedxml, flat memory); this module
reads each finished Item (identity, descriptions, prices, stock, attributes,
interchange) into an offer.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from xml.etree.ElementTree import Element

from automechanica.catalog.feeds.records import FeedItem, FeedStream, OfferRecord, Rejection
from automechanica.catalog.feeds.values import (
    CellError,
    offer_from_cells,
    parse_part_type,
)
from automechanica.catalog.feeds.xml_stream import (
    XmlPiece,
    brand_for_aaia_id,
    check_count,
    child_text,
    iter_xml,
    xml_count,
)

_PRICE_FIELDS = {"NET": "cost", "JBR": "jobber", "MAP": "map", "LST": "msrp", "CORE": "core_charge"}
_TITLE_CODES = ("DES", "SHO")
_DESCRIPTION_CODES = ("MKT", "EXT")
_KG_TO_LB = Decimal("2.20462")
_LABELS = {
    "mpn": "PartNumber",
    "brand": "brand (BrandLabel or BrandAAIAID)",
    "sku": "SKU",
    "upc": "ItemLevelGTIN",
    "hazmat": "HazardousMaterialCode",
    "pack_qty": "ItemQuantitySize",
    "uom": "ItemQuantitySize UOM",
    "weight_lb": "Weight",
    "part_type": "PartTerminologyID",
} | {field: f"{code} price" for code, field in _PRICE_FIELDS.items()}


def _descriptions(item: Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for description in item.iterfind("Descriptions/Description"):
        code = description.get("DescriptionCode", "").upper()
        language = description.get("LanguageCode", "EN").upper()
        if language.startswith("EN") and description.text and code not in found:
            found[code] = description.text
    return found


def _prices(item: Element) -> dict[str, str]:
    cells: dict[str, str] = {}
    for pricing in item.iterfind("Prices/Pricing"):
        field = _PRICE_FIELDS.get(pricing.get("PriceType", "").upper())
        price = child_text(pricing, "Price")
        if field is not None and price is not None and field not in cells:
            cells[field] = price
    return cells


def _weight(item: Element) -> str | None:
    weights = item.find("Packages/Package/Weights")
    if weights is None:
        return None
    text = child_text(weights, "Weight")
    unit = weights.get("UOM", "PG").upper()
    if text is None or unit == "PG":
        return text
    if unit == "KG":
        try:
            return str((Decimal(text) * _KG_TO_LB).quantize(Decimal("0.01")))
        except ArithmeticError as exc:
            raise CellError(f"Weight {text!r} is not a number") from exc
    raise CellError(f"weight unit {unit!r} is not PG (pounds) or KG")


def _extended(item: Element) -> tuple[str | None, dict[str, str]]:
    sku: str | None = None
    stock: dict[str, str] = {}
    for info in item.iterfind("ExtendedInformation/ExtendedProductInformation"):
        code = info.get("EXPICode", "").upper()
        text = (info.text or "").strip()
        if code == "SKU" and text and sku is None:
            sku = text
        elif code == "QOH":
            stock[info.get("Warehouse", "default")] = text
    return sku, stock


def _interchange(item: Element) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for interchange in item.iterfind("PartInterchangeInfo/PartInterchange"):
        label = interchange.get("BrandLabel") or brand_for_aaia_id(
            interchange.get("BrandAAIAID", "")
        )
        for number in interchange.iterfind("PartNumber"):
            if label and number.text and number.text.strip():
                pairs.append((label.strip(), number.text.strip()))
    return pairs


def _cells(item: Element) -> tuple[dict[str, str], dict[str, str]]:
    """Our field name -> text, and the stock per warehouse, read from an Item."""
    descriptions = _descriptions(item)
    brand_id = child_text(item, "BrandAAIAID")
    number = child_text(item, "PartNumber")
    brand = child_text(item, "BrandLabel") or (brand_for_aaia_id(brand_id) if brand_id else None)
    sku, stock = _extended(item)
    quantity = item.find("ItemQuantitySize")
    optional = {
        "sku": sku or (f"{brand_id or brand}-{number}" if number and (brand_id or brand) else None),
        "brand": brand,
        "mpn": number,
        "title": next((descriptions[c] for c in _TITLE_CODES if c in descriptions), None),
        "description": next(
            (descriptions[c] for c in _DESCRIPTION_CODES if c in descriptions), None
        ),
        "upc": child_text(item, "ItemLevelGTIN"),
        "hazmat": child_text(item, "HazardousMaterialCode"),
        "weight_lb": _weight(item),
        "pack_qty": child_text(item, "ItemQuantitySize"),
        "uom": quantity.get("UOM") if quantity is not None else None,
    }
    cells = {key: value for key, value in optional.items() if value is not None}
    return cells | _prices(item), stock


def _raw(item: Element) -> dict[str, str]:
    raw = {key: value for key, value in item.attrib.items()}
    for child in item:
        if len(child) == 0 and child.text and child.text.strip():
            raw.setdefault(child.tag, child.text.strip()[:500])
    return raw


def offer_from_item(where: str, item: Element) -> OfferRecord:
    """An offer from one PIES Item; raises CellError on a bad or missing field."""
    if item.get("MaintenanceType", "A").strip().upper() == "D":
        raise CellError("deletes are not supported yet (MaintenanceType D)")
    cells, stock = _cells(item)
    terminology = child_text(item, "PartTerminologyID")
    pcdb_id = parse_part_type(terminology, "PartTerminologyID").pcdb_id if terminology else None
    attributes = {
        attribute.get("AttributeID", "").strip(): attribute.text or ""
        for attribute in item.iterfind("ProductAttributes/ProductAttribute")
        if attribute.get("AttributeID", "").strip()
    }
    offer = offer_from_cells(
        where,
        cells,
        labels=_LABELS | {f"stock.{w}": f"QOH {w}" for w in stock},
        raw=_raw(item),
        stock=stock,
        attributes=attributes,
        interchange=_interchange(item),
    )
    offer.part_type = str(pcdb_id) if pcdb_id is not None else None
    return offer


def _item(piece: XmlPiece) -> FeedItem:
    where = f"Item {piece.index} (line {piece.line})"
    element = f"Item[{piece.index}]"
    if piece.oversized:
        reason = "the Item holds more than 1 MB of data; skipped"
        return Rejection(where, reason, line=piece.line, element=element)
    try:
        return offer_from_item(where, piece.element)
    except CellError as exc:
        raw = " | ".join(f"{k}={v}" for k, v in _raw(piece.element).items())[:500]
        return Rejection(where, str(exc), raw, line=piece.line, element=element)


def read_pies(path: Path) -> FeedStream:
    """Offers from a PIES 7-shaped product file; see docs/feeds.md for the elements read.

    Raises FeedError (when iteration starts, or at the end for a bad trailer count)
    for a file that cannot be read at all.
    """
    declared: int | None = None
    items = 0
    for piece in iter_xml(path, root_tag="PIES", record_tag="Item"):
        if piece.index:
            items = piece.index
            yield _item(piece)
        elif piece.element.tag == "Trailer":
            declared = xml_count(piece, "ItemCount", path)
    check_count(path, declared, items, "items", "ItemCount")
