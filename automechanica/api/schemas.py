"""Response bodies, so the OpenAPI schema says exactly what each endpoint returns."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: Literal["ok"]
    database: str
    schema_revision: str | None
    parts: int
    vehicles: int


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
    price: Decimal | None
    lowest_cost: Decimal | None
    stock: int


class FacetValue(BaseModel):
    value: str
    count: int


class PartSearch(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[PartSummary]
    facets: dict[str, list[FacetValue]]


class Offer(BaseModel):
    supplier: str
    supplier_sku: str
    cost: Decimal
    jobber: Decimal | None
    map_price: Decimal | None
    msrp: Decimal | None
    core_charge: Decimal | None
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
    price: Decimal | None
    offers: list[Offer]
    interchange: list[Interchange]
    fitment: list[FitmentRange]


class FitRequest(BaseModel):
    part_id: int
    vehicle_id: int | None = None
    year: int | None = None
    make: str | None = None
    model: str | None = None
    submodel: str | None = None
    engine_liters: Decimal | None = None
    drive: str | None = None


class Evidence(BaseModel):
    fitment_id: int
    source: str
    supplier: str | None
    confidence: float
    position: str | None
    quantity: int | None
    constraints: dict[str, Any]
    qualifiers: list[str]
    notes: list[str]


class FitCheck(BaseModel):
    verdict: Literal["fits", "does_not_fit", "need_more_information"]
    explanation: str
    confidence: float
    ask_next: str | None
    ask_options: list[str]
    evidence: list[Evidence]
    verify: list[str]
    matching_vehicle_ids: list[int]
