"""The PIES product feed: one offer per `Item`.

The file is streamed by `xml_stream.py` (defusedxml, flat memory); this module
reads each finished Item (identity, descriptions, prices, stock, attributes,
interchange) into an offer.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from xml.etree.ElementTree import Element

from automechanica.catalog.feeds.records import (
    FeedItem,
    FeedStream,
    Notice,
    OfferRecord,
    Rejection,
)
from automechanica.catalog.feeds.values import (
    CellError,
    offer_from_cells,
    parse_money,
    parse_part_type,
)
from automechanica.catalog.feeds.xml_stream import (
    XmlPiece,
    brand_for_aaia_id,
    check_count,
    child_text,
    encoding_notice,
    iter_xml,
    xml_count,
)

#: PIES price types -> our price fields (besides the cost, which the supplier profile
#: names: NET by default). The first type present of each list wins.
_PRICE_FIELDS = {
    "jobber": ("JBR",),
    "map": ("MAP",),
    "msrp": ("LST", "RET", "RMP", "SRP", "USR"),
    "core_charge": ("CORE", "CR"),
}
#: Price types that are never a cost: advertised and retail prices, core deposits.
_NOT_COST = frozenset({"MAP", "LST", "RET", "RMP", "SRP", "USR", "CORE", "CR"})
DEFAULT_COST_TYPE = "NET"
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
} | {field: f"{codes[0]} price" for field, codes in _PRICE_FIELDS.items()}


def _descriptions(item: Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for description in item.iterfind("Descriptions/Description"):
        code = description.get("DescriptionCode", "").upper()
        language = description.get("LanguageCode", "EN").upper()
        if language.startswith("EN") and description.text and code not in found:
            found[code] = description.text
    return found


def price_types(item: Element) -> dict[str, str]:
    """Every price of an Item by its PriceType (the first of each type)."""
    prices: dict[str, str] = {}
    for pricing in item.iterfind("Prices/Pricing"):
        kind = pricing.get("PriceType", "").strip().upper()
        price = child_text(pricing, "Price")
        if kind and price is not None:
            prices.setdefault(kind, price)
    return prices


def _lowest(prices: dict[str, str]) -> str | None:
    """The price type with the lowest price among those that can be a cost."""
    amounts: list[tuple[Decimal, str]] = []
    for kind, text in prices.items():
        if kind not in _NOT_COST:
            try:
                amounts.append((parse_money(text, kind), kind))
            except CellError:
                continue
    return min(amounts)[1] if amounts else None


def cost_type(prices: dict[str, str], wanted: str | None) -> tuple[str | None, bool]:
    """(the price type that is the cost, whether it is a fallback): the profile's type
    (`wanted`), else NET, else the lowest price that can be a cost (JBR, WD, DLR…)."""
    chosen = (wanted or DEFAULT_COST_TYPE).upper()
    if chosen in prices:
        return chosen, False
    return _lowest(prices), True


def _prices(prices: dict[str, str], cost: str | None) -> dict[str, str]:
    cells = {"cost": prices[cost]} if cost is not None and cost in prices else {}
    for field, kinds in _PRICE_FIELDS.items():
        found = next((prices[k] for k in kinds if k in prices and k != cost), None)
        if found is not None:
            cells[field] = found
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


def _cells(item: Element, cost: str | None) -> tuple[dict[str, str], dict[str, str]]:
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
    return cells | _prices(price_types(item), cost), stock


def _raw(item: Element) -> dict[str, str]:
    raw = {key: value for key, value in item.attrib.items()}
    for child in item:
        if len(child) == 0 and child.text and child.text.strip():
            raw.setdefault(child.tag, child.text.strip()[:500])
    for kind, price in price_types(item).items():
        raw.setdefault(f"price {kind}", price[:50])  # every price type is kept
    return raw


def offer_from_item(where: str, item: Element, cost: str | None = DEFAULT_COST_TYPE) -> OfferRecord:
    """An offer from one PIES Item, its cost the price of type `cost`; raises CellError
    on a bad or missing field."""
    if item.get("MaintenanceType", "A").strip().upper() == "D":
        raise CellError("deletes are not supported yet (MaintenanceType D)")
    cells, stock = _cells(item, cost)
    terminology = child_text(item, "PartTerminologyID")
    pcdb_id = parse_part_type(terminology, "PartTerminologyID").pcdb_id if terminology else None
    attributes = {
        attribute.get("AttributeID", "").strip(): attribute.text or ""
        for attribute in item.iterfind("ProductAttributes/ProductAttribute")
        if attribute.get("AttributeID", "").strip()
    }
    labels = _LABELS | {"cost": f"{cost or DEFAULT_COST_TYPE} price"}
    offer = offer_from_cells(
        where,
        cells,
        labels=labels | {f"stock.{w}": f"QOH {w}" for w in stock},
        raw=_raw(item),
        stock=stock,
        attributes=attributes,
        interchange=_interchange(item),
    )
    offer.part_type = str(pcdb_id) if pcdb_id is not None else None
    return offer


class _CostChoice:
    """Which price type is each Item's cost; a fallback is announced once per type."""

    def __init__(self, wanted: str | None) -> None:
        self.wanted = (wanted or DEFAULT_COST_TYPE).upper()
        self.announced: set[str] = set()

    def choose(self, piece: XmlPiece) -> tuple[str | None, Notice | None]:
        prices = price_types(piece.element)
        kind, fallback = cost_type(prices, self.wanted)
        if not fallback or kind is None or kind in self.announced:
            return (kind or self.wanted), None
        self.announced.add(kind)
        found = ", ".join(f"{k} {v}" for k, v in prices.items())
        return kind, Notice(
            f"Item {piece.index} (line {piece.line})",
            f"no {self.wanted} price: the cost is the lowest price, {kind} ({found}), here "
            f"and on later Items like it; to choose, run `automechanica feeds profile set "
            f"SUPPLIER --cost-price-type TYPE`",
            line=piece.line,
            element=f"Item[{piece.index}]",
        )


def _item(piece: XmlPiece, cost: str | None = DEFAULT_COST_TYPE) -> FeedItem:
    where = f"Item {piece.index} (line {piece.line})"
    element = f"Item[{piece.index}]"
    if piece.oversized:
        reason = "the Item holds more than 1 MB of data; skipped"
        return Rejection(where, reason, line=piece.line, element=element)
    try:
        return offer_from_item(where, piece.element, cost)
    except CellError as exc:
        raw = " | ".join(f"{k}={v}" for k, v in _raw(piece.element).items())[:500]
        return Rejection(where, str(exc), raw, line=piece.line, element=element)


def read_pies(path: Path, cost_price_type: str | None = None) -> FeedStream:
    """Offers from a PIES 7-shaped product file; see docs/feeds.md for the elements read.

    `cost_price_type`: the PriceType that is the supplier's cost (the supplier profile's;
    default NET, else the lowest of the others, with a notice). Raises FeedError (when
    iteration starts, or at the end for a bad trailer count) for a file that cannot be
    read at all.
    """
    declared: int | None = None
    items = 0
    choice = _CostChoice(cost_price_type)
    notice = encoding_notice(path)
    if notice is not None:
        yield notice
    for piece in iter_xml(path, root_tag="PIES", record_tag="Item"):
        if piece.index:
            items = piece.index
            cost, fallback = choice.choose(piece)
            if fallback is not None:
                yield fallback
            yield _item(piece, cost)
        elif piece.element.tag == "Trailer":
            declared = xml_count(piece, "ItemCount", path)
    check_count(path, declared, items, "items", "ItemCount")
