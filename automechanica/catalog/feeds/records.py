"""What feed readers yield: supplier offers, ACES applications, and rejections.

Readers turn a file into a stream of these; the import writer normalizes and
stores them. A reader never touches the database, and never raises for one
bad row: it yields a `Rejection` that says where and why, and goes on. A file
that cannot be read at all raises `FeedError` before anything is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

FeedFormat = Literal["csv", "jsonl", "pies", "aces"]
FEED_FORMATS: tuple[FeedFormat, ...] = ("csv", "jsonl", "pies", "aces")


@dataclass(slots=True)
class Application:
    """One structured vehicle application (from ACES, or parsed from text).

    Absent attributes mean "every configuration" of the year/make/model.
    """

    year_start: int
    year_end: int
    make: str
    model: str
    submodels: list[str] = field(default_factory=list)
    engine_liters: Decimal | None = None
    engine_cylinders: int | None = None
    engine_code: str | None = None
    fuel: str | None = None
    aspiration: str | None = None
    drive: str | None = None
    body: str | None = None
    transmission: str | None = None
    position: str | None = None
    quantity: int | None = None
    qualifiers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: VCdb ids by their ACES tag ('BaseVehicle', 'SubModel', 'EngineBase'…), resolved
    #: against the owner's VCdb at import; every one must be honored or the App is refused.
    vcdb: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class OfferRecord:
    """One supplier's row for one item: product data, prices, stock, fitment."""

    where: str  # "line 12" or "Item[3]": how a person finds the row in the file
    supplier_sku: str
    brand: str
    mpn: str
    cost: Decimal
    title: str | None = None
    description: str | None = None
    part_type: str | None = None  # a part type name, or a PCdb id as digits
    upc: str | None = None
    uom: str | None = None
    pack_qty: int = 1
    jobber: Decimal | None = None
    map_price: Decimal | None = None
    msrp: Decimal | None = None
    core_charge: Decimal | None = None
    stock: dict[str, int] = field(default_factory=dict)
    weight_lb: Decimal | None = None
    hazmat: bool = False
    attributes: dict[str, str] = field(default_factory=dict)
    fitment_text: list[str] = field(default_factory=list)
    applications: list[Application] = field(default_factory=list)
    interchange: list[tuple[str, str]] = field(default_factory=list)  # (brand, mpn)
    updated_at: datetime | None = None
    raw: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ApplicationRecord:
    """An ACES `App`: fitment for a part already known by brand and number."""

    where: str
    brand: str
    mpn: str
    part_type: str | None
    application: Application
    raw: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Rejection:
    """A row that was reported and skipped."""

    where: str
    reason: str
    raw: str = ""
    line: int | None = None
    element: str | None = None


@dataclass(slots=True)
class Notice:
    """Something about the whole file worth a warning in the report, not a row: it was
    transcoded from Windows-1252, its cost came from another PIES price type."""

    where: str  # "file", or the first record it concerns
    reason: str
    line: int | None = None
    element: str | None = None


FeedItem = OfferRecord | ApplicationRecord | Rejection | Notice
FeedStream = Iterator[FeedItem]
