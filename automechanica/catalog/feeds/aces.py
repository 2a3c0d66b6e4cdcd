"""The ACES fitment feed: one `App` per vehicle application of a part.

Vehicles are named by text (Years, Make, Model and attributes) or, in files made
from the Auto Care VCdb, by VCdb ids (`<BaseVehicle id>`, `<SubModel id>`,
`<EngineBase id>`…). The ids are kept as they are and resolved at import against
the owner's VCdb (`vehicles load --vcdb`); an id that cannot be honored refuses
the App, never widens it. Positions are PCdb position ids, mapped below to the
names we store.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from xml.etree.ElementTree import Element

from automechanica.catalog.feeds.records import (
    Application,
    ApplicationRecord,
    FeedItem,
    FeedStream,
    Rejection,
)
from automechanica.catalog.feeds.values import (
    CellError,
    clean_text,
    parse_decimal,
    parse_int,
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

#: PCdb position id -> the position name we store.
POSITIONS: dict[int, str] = {
    22: "Front",
    30: "Rear",
    12: "Front Left",
    13: "Front Right",
    14: "Rear Left",
    15: "Rear Right",
    1: "Driver",
    2: "Passenger",
    48: "Upstream",
    49: "Downstream",
}
POSITION_IDS: dict[str, int] = {name: position_id for position_id, name in POSITIONS.items()}


def _required(app: Element, tag: str) -> str:
    text = child_text(app, tag)
    if text is None:
        raise CellError(f"missing {tag}")
    return clean_text(text, tag, max_length=100)


def _year(text: str | None, name: str) -> int:
    if text is None or not text.strip():
        raise CellError(f"missing {name}")
    year = parse_int(text, name)
    if not 1900 <= year <= 2100:
        raise CellError(f"{name} {year} is not a model year")
    return year


def _years(app: Element) -> tuple[int, int]:
    years = app.find("Years")
    if years is None:
        raise CellError("missing Years (from/to)")
    start = _year(years.get("from"), "Years from")
    end = _year(years.get("to") or years.get("from"), "Years to")
    if start > end:
        raise CellError(f"Years from {start} is after Years to {end}")
    return start, end


#: Tags that are not vehicle constraints, or whose `id` is a PCdb id (read below).
_NOT_VCDB = frozenset({"Position", "PartType", "Part", "Qty", "Qual", "Note", "Years", "Make",
                       "Model", "MfrLabel", "DisplayOrder", "AssetName", "AssetItemOrder",
                       "AssetItemRef"})  # fmt: skip


def _vcdb_ids(app: Element) -> dict[str, int]:
    """Every VCdb id the App names, by tag: what it must match, all of it."""
    ids: dict[str, int] = {}
    for child in app:
        text = child.get("id")
        if child.tag in _NOT_VCDB or text is None:
            continue
        if not text.strip().isdigit():
            raise CellError(f"{child.tag} id {text!r} is not a VCdb id (a whole number)")
        ids[child.tag] = int(text)
    return ids


def _engine(app: Element) -> tuple[Decimal | None, int | None, str | None]:
    engine = app.find("EngineBase")
    if engine is None or engine.get("id") is not None:
        return None, None, None
    liters, cylinders, code = (engine.get(k) for k in ("liters", "cylinders", "code"))
    if not (liters or cylinders or code):
        raise CellError("EngineBase names no engine; give liters, cylinders, code or a VCdb id")
    return (
        parse_decimal(liters, "EngineBase liters") if liters else None,
        parse_int(cylinders, "EngineBase cylinders", minimum=1) if cylinders else None,
        clean_text(code, "EngineBase code", max_length=40) if code else None,
    )


def _position(app: Element) -> str | None:
    element = app.find("Position")
    if element is None:
        return None
    text = element.get("id", "").strip()
    if not text.isdigit() or int(text) not in POSITIONS:
        known = ", ".join(f"{i} {name}" for i, name in sorted(POSITIONS.items()))
        raise CellError(f"Position id {text!r} is not one we know (known: {known})")
    return POSITIONS[int(text)]


def _part_type(app: Element) -> str | None:
    element = app.find("PartType")
    text = (element.get("id") or element.text or "").strip() if element is not None else ""
    return str(parse_part_type(text, "PartType id").pcdb_id) if text else None


def _attribute(app: Element, tag: str, vcdb: dict[str, int]) -> str | None:
    if tag in vcdb:
        return None  # named by id: resolved against the VCdb at import
    text = child_text(app, tag)
    return clean_text(text, tag, max_length=100) if text is not None else None


def _qualifiers(app: Element) -> list[str]:
    texts: list[str] = []
    for qual in app.iterfind("Qual"):
        text = child_text(qual, "text") or (qual.text or "").strip()
        if text:
            texts.append(clean_text(text, "Qual text", max_length=500))
    return texts


def _part(app: Element, header_brand_id: str | None) -> tuple[str, str]:
    part = app.find("Part")
    if part is None or not (part.text or "").strip():
        raise CellError("missing Part")
    brand_id = part.get("BrandAAIAID") or header_brand_id
    if not brand_id or not brand_id.strip():
        raise CellError("missing brand: no BrandAAIAID on the Part or in the Header")
    return brand_for_aaia_id(brand_id), clean_text(part.text or "", "Part", max_length=100)


def _raw(app: Element) -> dict[str, str]:
    raw = dict(app.attrib)
    for child in app:
        text = (child.text or "").strip()
        value = text or " ".join(f"{k}={v}" for k, v in child.attrib.items())
        if value:
            raw.setdefault(child.tag, value[:500])
    return raw


def application_from_app(
    where: str, app: Element, header_brand_id: str | None
) -> ApplicationRecord:
    """An application record from one App; raises CellError on what we cannot use."""
    if app.get("action", "A").strip().upper() == "D":
        raise CellError("deletes are not supported yet (action D)")
    vcdb = _vcdb_ids(app)
    by_id = "BaseVehicle" in vcdb
    year_start, year_end = (0, 0) if by_id else _years(app)
    liters, cylinders, code = _engine(app)
    quantity = child_text(app, "Qty")
    part_type = _part_type(app)
    brand, mpn = _part(app, header_brand_id)
    application = Application(
        year_start=year_start,
        year_end=year_end,
        make="" if by_id else _required(app, "Make"),
        model="" if by_id else _required(app, "Model"),
        submodels=[
            clean_text(s.text, "SubModel", max_length=100)
            for s in app.iterfind("SubModel")
            if s.text and s.text.strip() and s.get("id") is None
        ],
        engine_liters=liters,
        engine_cylinders=cylinders,
        engine_code=code,
        fuel=_attribute(app, "FuelType", vcdb),
        aspiration=_attribute(app, "Aspiration", vcdb),
        drive=_attribute(app, "DriveType", vcdb),
        body=_attribute(app, "BodyType", vcdb),
        transmission=_attribute(app, "Transmission", vcdb),
        position=_position(app),
        quantity=parse_int(quantity, "Qty", minimum=1) if quantity else None,
        qualifiers=_qualifiers(app),
        notes=[
            clean_text(n.text, "Note", max_length=500)
            for n in app.iterfind("Note")
            if n.text and n.text.strip()
        ],
        vcdb=vcdb,
    )
    return ApplicationRecord(
        where=where,
        brand=brand,
        mpn=mpn,
        part_type=part_type,
        application=application,
        raw=_raw(app),
    )


def _item(piece: XmlPiece, header_brand_id: str | None) -> FeedItem:
    app_id = piece.element.get("id")
    label = f"id={app_id}" if app_id else str(piece.index)
    where = f"App {label} (line {piece.line})"
    element = f"App[{piece.index}]"
    if piece.oversized:
        reason = "the App holds more than 1 MB of data; skipped"
        return Rejection(where, reason, line=piece.line, element=element)
    try:
        return application_from_app(where, piece.element, header_brand_id)
    except CellError as exc:
        raw = " | ".join(f"{k}={v}" for k, v in _raw(piece.element).items())[:500]
        return Rejection(where, str(exc), raw, line=piece.line, element=element)


def read_aces(path: Path) -> FeedStream:
    """Applications from an ACES 4.2-shaped fitment file; see docs/feeds.md.

    Raises FeedError (when iteration starts, or at the end for a bad footer count)
    for a file that cannot be read at all.
    """
    header_brand_id: str | None = None
    declared: int | None = None
    apps = 0
    notice = encoding_notice(path)
    if notice is not None:
        yield notice
    for piece in iter_xml(path, root_tag="ACES", record_tag="App"):
        if piece.index:
            apps = piece.index
            yield _item(piece, header_brand_id)
        elif piece.element.tag == "Header":
            header_brand_id = child_text(piece.element, "BrandAAIAID")
        elif piece.element.tag == "Footer":
            declared = xml_count(piece, "RecordCount", path)
    check_count(path, declared, apps, "App records", "RecordCount")
