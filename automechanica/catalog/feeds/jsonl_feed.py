"""The JSON lines supplier feed: one offer object per line.

JSON lines streams like CSV (the bounded line source of `lines.py`) yet carries
structure: nested pricing, per-warehouse inventory, fitment lists and
interchange. Numbers are read as Decimal, never float, so "12.30" stays exact.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from automechanica.catalog.feeds.lines import FeedLines, Line, too_long_rejection
from automechanica.catalog.feeds.mapping import LayoutMapping
from automechanica.catalog.feeds.records import FeedItem, FeedStream, OfferRecord, Rejection
from automechanica.catalog.feeds.values import CellError, offer_from_cells
from automechanica.catalog.feeds.vehicle_cells import VEHICLE_FIELDS, take_application

#: Our field name -> the JSON key (a dotted path into nested objects).
_KEYS: dict[str, str] = {
    "sku": "supplier_sku",
    "brand": "brand",
    "mpn": "part_number",
    "title": "title",
    "description": "description",
    "part_type": "category",
    "upc": "gtin",
    "uom": "unit",
    "pack_qty": "pack",
    "cost": "pricing.cost",
    "jobber": "pricing.jobber",
    "map": "pricing.map",
    "msrp": "pricing.msrp",
    "core_charge": "pricing.core",
    "weight_lb": "weight_lb",
    "hazmat": "hazmat",
    "updated_at": "updated_at",
}
_OBJECTS = ("pricing", "inventory", "attributes")
_JSON_KINDS = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return _JSON_KINDS.get(type(value), "a number")


def scalar_text(value: object, label: str) -> str | None:
    """A JSON scalar as the text a CSV cell would hold; None for null."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal | float):
        return str(value)
    raise CellError(f"{label} is {_kind(value)}, not a single value")


def _lookup(obj: dict[str, Any], key: str) -> object:
    """The value at a dotted key path ("pricing.cost"); a key holding a dot itself is
    tried whole first."""
    if key in obj or "." not in key:
        return obj.get(key)
    head, _, rest = key.partition(".")
    value = obj.get(head)
    return _lookup(value, rest) if isinstance(value, dict) else None


def _object(obj: dict[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CellError(f"{key} is {_kind(value)}, not an object")
    return value


def _strings(obj: dict[str, Any], key: str) -> dict[str, str]:
    """A flat object of scalars (inventory, attributes) as strings, nulls dropped."""
    out: dict[str, str] = {}
    for name, value in _object(obj, key).items():
        text = scalar_text(value, f"{key}.{name}")
        if text is not None:
            out[str(name)] = text
    return out


def _fitment(obj: dict[str, Any], key: str = "fitment") -> list[str]:
    value = _lookup(obj, key)
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise CellError(f"{key} must be a list of strings")
    return items


def _interchange(obj: dict[str, Any]) -> list[tuple[str, str]]:
    value = obj.get("interchange") or []
    if not isinstance(value, list):
        raise CellError(f"interchange is {_kind(value)}, not a list")
    pairs: list[tuple[str, str]] = []
    for entry in value:
        brand = entry.get("brand") if isinstance(entry, dict) else None
        number = entry.get("part_number") if isinstance(entry, dict) else None
        if not isinstance(brand, str) or not isinstance(number, str) or not brand or not number:
            raise CellError("each interchange entry needs a brand and a part_number")
        pairs.append((brand.strip(), number.strip()))
    return pairs


def offer_from_mapped_object(where: str, obj: dict[str, Any], layout: LayoutMapping) -> OfferRecord:
    """An offer from one JSON object whose keys a layout names; raises CellError."""
    sources = layout.sources()
    cells: dict[str, str] = {}
    for field, key in sources.items():
        if field in ("fitment", "stock"):
            continue
        text = scalar_text(_lookup(obj, key), key)
        if text is not None:
            cells[field] = text
    stock: dict[str, str] = {}
    if "stock" in sources:
        value = _lookup(obj, sources["stock"])
        if isinstance(value, dict):
            stock = _strings({"stock": value}, "stock")
        elif (text := scalar_text(value, sources["stock"])) is not None:
            stock = {"all": text}
    vehicle = {sources[name] for name in VEHICLE_FIELDS if name in sources}  # become fitment
    raw = {
        key: text
        for key, value in obj.items()
        if key not in vehicle and (text := _raw_text(value)) is not None
    }
    labels = dict(sources) | {f"stock.{w}": f"{sources.get('stock')}.{w}" for w in stock}
    labels["stock.all"] = sources.get("stock", "stock")
    return offer_from_cells(
        where,
        cells,
        labels=labels,
        raw=raw,
        stock=stock,
        attributes=_strings(obj, "attributes") if isinstance(obj.get("attributes"), dict) else {},
        fitment=_fitment(obj, sources["fitment"]) if "fitment" in sources else [],
        applications=take_application(cells, labels),
        brand=layout.brand,
    )


def offer_from_object(where: str, obj: dict[str, Any]) -> OfferRecord:
    """An offer from one decoded JSON object; raises CellError on a bad field."""
    for name in _OBJECTS:
        _object(obj, name)
    cells: dict[str, str] = {}
    for field, key in _KEYS.items():
        text = scalar_text(_lookup(obj, key), key)
        if text is not None:
            cells[field] = text
    raw = {key: text for key, value in obj.items() if (text := _raw_text(value)) is not None}
    inventory = _strings(obj, "inventory")
    return offer_from_cells(
        where,
        cells,
        labels=_KEYS | {f"stock.{w}": f"inventory.{w}" for w in inventory} | {"upc": "GTIN"},
        raw=raw,
        stock=inventory,
        attributes=_strings(obj, "attributes"),
        fitment=_fitment(obj),
        interchange=_interchange(obj),
    )


def _raw_text(value: object) -> str | None:
    if isinstance(value, dict | list):
        return None
    return scalar_text(value, "")


def _decode(text: str) -> object:
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        message = exc.msg.removesuffix(" at")
        raise CellError(f"invalid JSON: {message} at column {exc.colno}") from exc
    except RecursionError as exc:
        raise CellError("invalid JSON: nested too deeply") from exc
    except ValueError as exc:  # e.g. an integer with more digits than Python allows
        raise CellError(f"invalid JSON: {exc}") from exc


def _item(line: Line, layout: LayoutMapping | None = None) -> FeedItem | None:
    if line.text is None:
        return too_long_rejection(line)
    if not line.text.strip():
        return None
    where = f"line {line.number}"
    try:
        obj = _decode(line.text.rstrip("\r\n"))
        if not isinstance(obj, dict):
            raise CellError(f"the line holds {_kind(obj)}, not an object")
        if layout is not None:
            return offer_from_mapped_object(where, obj, layout)
        return offer_from_object(where, obj)
    except CellError as exc:
        raw = line.text[:500].rstrip("\r\n")
        return Rejection(where, str(exc), raw, line=line.number)


def read_jsonl(path: Path, layout: LayoutMapping | None = None) -> FeedStream:
    """Offers from a JSON lines feed; blank lines are skipped. See docs/feeds.md.

    `layout`: which key gives each field (inferred or a supplier profile's); without one
    our own keys are read. Raises FeedError (when iteration starts) for a file that
    cannot be read at all.
    """
    with FeedLines(path) as lines:
        for line in lines:
            if lines.notice is not None:
                yield lines.notice
                lines.notice = None
            lines.take_raw()
            lines.too_long.clear()
            item = _item(line, layout)
            if item is not None:
                yield item
