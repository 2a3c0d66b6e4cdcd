"""Request and response bodies, so the OpenAPI schema says exactly what each endpoint
takes and returns.

Public bodies carry what a shopper needs and nothing an operator keeps to itself:
no costs, no supplier names or SKUs, no internal row ids other than the ids of
parts and vehicles (docs/api.md). Money is a decimal string ("12.34"), in the
schema and in every body. Request bodies refuse fields they do not define.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from automechanica.fields import Id32, Id64, Liters, Year

#: An amount of money, serialized as a decimal string.
Money = Annotated[Decimal, Field(description='decimal string, e.g. "12.34"')]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


NoNul = AfterValidator(_no_nul)
NO_NUL_PATTERN = "^[^\x00]*$"
#: A name (make, model, submodel) as a shopper types it.
Name = Annotated[
    str, Field(min_length=1, max_length=64, json_schema_extra={"pattern": NO_NUL_PATTERN}), NoNul
]
#: A short code (drive: FWD, AWD...).
Code = Annotated[
    str, Field(min_length=1, max_length=16, json_schema_extra={"pattern": NO_NUL_PATTERN}), NoNul
]


class Health(BaseModel):
    """The process answers; says nothing about the database (that is /api/ready)."""

    status: Literal["ok"]
    version: str


class Ready(BaseModel):
    """The database answers and its schema is the one this code expects."""

    status: Literal["ready"]
    schema_revision: str


class Vehicle(BaseModel):
    id: int
    base_vehicle_id: int
    year: int
    make: str
    model: str
    submodel: str | None
    engine_liters: Decimal | None
    engine_cylinders: int | None
    engine_code: str | None
    fuel: str | None
    aspiration: str | None
    drive: str | None
    body: str | None
    doors: int | None
    transmission: str | None


class Engine(BaseModel):
    engine_liters: Decimal | None
    engine_cylinders: int | None
    fuel: str | None
    aspiration: str | None
    vehicle_ids: list[int]


class VinDecode(BaseModel):
    vin: str
    check_digit_valid: bool
    problems: list[str]
    decoded: Vehicle | dict[str, Any] = Field(description="what the VIN names")
    matches: list[Vehicle] = Field(description="catalog configurations it matches")
    message: str


class PartSummary(BaseModel):
    id: int
    brand: str
    part_number: str
    title: str
    part_type: str
    part_type_slug: str
    fit_class: str
    price: Money | None
    stock: int = Field(description="units in stock across the store's sources")


class FacetValue(BaseModel):
    value: str
    count: int


class UnderstoodPartType(BaseModel):
    slug: str
    name: str
    phrase: str = Field(description="the words that named it")
    source: str = Field(description="words | vectors")


class UnderstoodVehicle(BaseModel):
    """The vehicle named in the query; ids the storefront can make current."""

    label: str
    year: int | None
    make: str
    model: str
    found: bool = Field(description="false: not in the vehicle base, results not narrowed")
    engine_liters: list[float] | None = None
    drive: str | None = None
    submodels: list[str] = []
    vehicle_id: int | None = Field(None, description="the one configuration, when settled")
    base_vehicle_id: int | None = Field(None, description="the year/make/model, when one year")
    configurations: int = 0
    vehicle_ids: list[int] = Field([], description="configurations it can be (first 50)")
    base_vehicle_ids: list[int] = Field([], description="its year/make/models (first 50)")
    ignored: list[str] = Field([], description="words that matched no configuration")
    ask_next: str | None = Field(None, description="attribute the fit depends on: year, ...")
    ask_label: str | None = None
    ask_options: list[str] = []


class SearchUnderstood(BaseModel):
    """What search read in the shopper's words, and what it relaxed to find anything."""

    query: str
    text: str = Field(description="the words ranked by (without the vehicle)")
    part_types: list[UnderstoodPartType]
    ambiguous: bool
    position: str | None
    vehicle: UnderstoodVehicle | None
    relaxed: list[str] = Field(description="filters dropped: position, vehicle, part type...")
    message: str | None = Field(description="says what was relaxed, for the shopper")
    unresolved: list[str]


class PartSearch(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[PartSummary]
    facets: dict[str, list[FacetValue]]
    understood: SearchUnderstood | None = Field(
        None, description="what the words `q` were read as (absent without q)"
    )


class Offer(BaseModel):
    """What the store offers the shopper for this part, whichever source fills it."""

    price: Money | None = Field(description="the store's price")
    map_price: Money | None = Field(description="minimum advertised price, when one applies")
    msrp: Money | None = Field(description="manufacturer's list price")
    core_charge: Money | None = Field(description="refundable core deposit, charged apart")
    stock_total: int
    available: bool
    uom: str | None = Field(description="unit of measure, e.g. EA, PR, KT")
    pack_qty: int
    hazmat: bool


class SupplierOffer(BaseModel):
    """One supplier's offer, with its cost: the operator view (not on public routes)."""

    supplier: str
    supplier_sku: str
    cost: Money
    jobber: Money | None
    map_price: Money | None
    msrp: Money | None
    core_charge: Money | None
    stock: dict[str, int]
    stock_total: int
    uom: str | None
    pack_qty: int
    hazmat: bool
    updated_at: datetime


class Interchange(BaseModel):
    brand: str
    part_number: str
    part_id: int | None
    kind: str


class FitmentRange(BaseModel):
    make: str
    model: str
    year_start: int
    year_end: int
    submodels: list[str]
    engine_liters: float | None
    engine_cylinders: int | None
    drive: str | None
    position: str | None
    qualifiers: list[str]
    label: str


class PartDetail(BaseModel):
    id: int
    brand: str
    part_number: str
    mpn_normalized: str
    title: str
    description: str | None
    upc: str | None
    attributes: dict[str, Any]
    part_type: str
    part_type_slug: str
    fit_class: str
    status: str
    price: Money | None
    offer: Offer | None = Field(description="None when no source offers the part")
    interchange: list[Interchange]
    fitment: list[FitmentRange]


class PartDetailForOperators(PartDetail):
    """The part with every supplier's offer and cost (for an admin route)."""

    offers: list[SupplierOffer]


class FitRequest(BaseModel):
    """A part and a vehicle: a configuration id, or year, make and model plus what is known."""

    model_config = ConfigDict(extra="forbid")

    part_id: Id64
    vehicle_id: Id32 | None = None
    year: Year | None = None
    make: Name | None = None
    model: Name | None = None
    submodel: Name | None = None
    engine_liters: Liters | None = None
    drive: Code | None = None


class Evidence(BaseModel):
    """Why the store believes a fit: the kind of source and its date, never who."""

    source: str = Field(description="the kind of source: supplier feed, inference, ...")
    listed_on: date | None = Field(description="when the source gave this application")
    confidence: float
    position: str | None
    quantity: int | None
    constraints: dict[str, Any]
    qualifiers: list[str]
    notes: list[str]
    explanation: str | None = Field(
        default=None, description="the Fitment agent's why, written from the evidence"
    )


class FitCheck(BaseModel):
    verdict: Literal["fits", "does_not_fit", "need_more_information"]
    explanation: str
    confidence: float
    ask_next: str | None
    ask_options: list[str]
    evidence: list[Evidence]
    verify: list[str]
    matching_vehicle_ids: list[int]
