"""What suppliers call our fields: the words layout inference matches header names with.

Data, not logic: add a supplier's word here and every layout that uses it is read.
Phrases are lower case words; header names are split the same way before matching
("DealerPrice", "dealer_price" and "Dealer Price" are all "dealer price").
"""

from __future__ import annotations

SYNONYMS: dict[str, tuple[str, ...]] = {
    "sku": (
        "sku", "supplier sku", "item", "item number", "item no", "item num", "item id",
        "item code", "stock code", "stock number", "stock no", "stock id", "product code",
        "product id", "product number", "vendor sku", "our part", "our part number",
        "catalog number", "catalog no", "article", "article number", "sku number", "id", "part id",
    ),
    "mpn": (
        "mpn", "part number", "part no", "part num", "part", "pn", "partnumber", "mfr part",
        "mfr part number", "mfg part", "mfg part number", "manufacturer part number",
        "manufacturer part", "mfr pn", "mfg pn", "oem number", "brand part number",
        "vendor part number", "model number",
    ),
    "brand": (
        "brand", "brand name", "mfr", "mfg", "manufacturer", "manufacturer name", "mfr name",
        "line", "line code", "product line", "brand label", "label", "make brand", "vendor",
    ),
    "title": (
        "title", "name", "product name", "item name", "short description", "short desc",
        "product title", "item title", "desc short", "headline",
    ),
    "description": (
        "description", "desc", "long description", "long desc", "details", "marketing",
        "marketing description", "product description", "item description", "full description",
    ),
    "part_type": (
        "part type", "category", "type", "product type", "part category", "terminology",
        "part terminology", "product category", "item type", "class", "product class",
        "category name", "part type name", "pcdb",
    ),
    "upc": ("upc", "gtin", "ean", "barcode", "upc code", "bar code", "upc number", "gtin 14"),
    "uom": ("uom", "unit", "unit of measure", "sell unit", "units", "selling unit", "um"),
    "pack_qty": (
        "pack", "pack qty", "pack quantity", "package quantity", "qty per pack", "case qty",
        "pkg qty", "pack size", "per pack", "quantity per package", "package qty", "per car",
    ),
    "cost": (
        "cost", "net", "our cost", "dealer price", "dealer", "dealer cost", "your price",
        "your cost", "net price", "net cost", "wholesale", "wholesale price", "buy price",
        "unit cost", "purchase price", "wd", "wd price", "distributor price", "invoice price",
        "customer price", "price net",
    ),
    "jobber": ("jobber", "jobber price", "jbr", "trade price", "jobber cost"),
    "map": (
        "map", "map price", "min advertised", "minimum advertised price", "umap", "min price",
        "minimum advertised", "advertised price",
    ),
    "msrp": (
        "msrp", "list", "list price", "retail", "retail price", "suggested retail", "srp",
        "lst", "suggested price", "rrp", "price list",
    ),
    "core_charge": (
        "core", "core charge", "core price", "core deposit", "core cost", "core value",
    ),
    "weight_lb": (
        "weight", "weight lb", "weight lbs", "wt", "ship weight", "lbs", "shipping weight",
        "weight pounds",
    ),
    "hazmat": (
        "hazmat", "hazardous", "haz", "dangerous goods", "hazmat flag", "hazardous material",
        "is hazmat",
    ),
    "stock": (
        "stock", "qty", "qoh", "on hand", "qty on hand", "quantity on hand", "available",
        "qty available", "quantity available", "inventory", "in stock", "stock qty", "avail",
        "qty avail", "stock level", "quantity",
    ),
    "fitment": (
        "fitment", "application", "applications", "fits", "vehicle fitment", "vehicles",
        "compatible vehicles", "fits vehicles", "vehicle", "fitment notes", "app",
    ),
    "year": ("year", "yr", "years", "model year", "year range", "vehicle year"),
    "make": ("make", "vehicle make", "car make"),
    "model": ("model", "vehicle model", "car model"),
    "submodel": ("submodel", "sub model", "trim", "series", "trim level"),
    "engine": ("engine", "eng", "engine size", "displacement", "liter", "engine liters", "motor"),
    "updated_at": (
        "updated at", "updated", "last modified", "modified", "date updated", "last updated",
        "updated on", "modified date", "last change", "timestamp", "date modified",
    ),
}  # fmt: skip

#: Words that, under a price-ish parent or in a header like "Price 2", say "a price"
#: without saying which: these columns are ranked by their values.
PRICE_WORDS = frozenset(
    {"price", "prices", "pricing", "amount", "level", "pl", "tier", "column", "col"}
)
#: Abbreviations spelled out before matching ("Item #" -> "item number").
SPELLED = {"#": "number", "no.": "no", "qty.": "qty", "&": "and"}
#: Price fields after the cost, cheapest first: how unlabelled price columns are ranked.
PRICE_LADDER = ("cost", "jobber", "map", "msrp")
