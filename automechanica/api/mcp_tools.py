"""The catalog tools outside AI agents call over MCP: a shopper's questions, answered.

Each tool is the customer's view of a catalog function that already serves the
storefront (VIN match, search, part detail, fit check), reshaped for an agent: a
verdict or the next question to ask, never a bare list it must interpret. Nothing
here returns a cost, a supplier's name or SKU, or a fitment row's id: outside agents
have exactly a shopper's rights (DESIGN.md §8).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from pydantic import BaseModel, Field

from automechanica.catalog import vehicles as vehicle_queries
from automechanica.catalog.fitment import ASK_ORDER, VehicleQuery, check_fit, vehicle_name
from automechanica.catalog.parts import part_detail
from automechanica.catalog.search import SearchQuery, search_parts
from automechanica.catalog.vin_match import match_vin
from automechanica.catalog.vocabulary import alias_key
from automechanica.errors import NotFoundError

#: How many vehicles a fitment summary lists before it says "and N more".
FITMENT_SUMMARY_LIMIT = 40
#: How many candidate vehicle ids a resolution lists when it still needs an answer.
CANDIDATE_LIMIT = 50
SELECT_FIT_CLASS = "SELECT fit_class FROM parts WHERE id = %s"
#: Attributes a shopper is asked about, in order, with the words used to ask.
QUESTIONS: dict[str, str] = {
    "submodel": "trim (submodel)",
    "engine": "engine",
    "fuel": "fuel type",
    "drive": "drive type",
    "body": "body style",
    "transmission": "transmission",
}


class VehicleOut(BaseModel):
    """One vehicle configuration, as the store's catalog knows it."""

    vehicle_id: int
    name: str = Field(description="e.g. '2016 Honda Civic EX 2.0L'")
    year: int
    make: str
    model: str
    submodel: str | None
    engine: str | None = Field(description="e.g. '2.0L 4cyl Turbo'")
    fuel: str | None
    drive: str | None
    body: str | None
    transmission: str | None


class VehicleResolution(BaseModel):
    """A vehicle found, or the question that narrows the candidates down."""

    status: Literal["resolved", "need_more_information", "not_found"]
    message: str
    vehicle: VehicleOut | None = None
    ask: str | None = Field(
        default=None,
        description="the attribute to ask the shopper for next (pass it back by that name)",
    )
    ask_label: str | None = None
    choices: list[str] = Field(default_factory=list, description="the values to offer")
    candidates: int = Field(default=0, description="configurations still possible")
    candidate_vehicle_ids: list[int] = Field(default_factory=list)


class SearchItem(BaseModel):
    part_id: int
    title: str
    brand: str
    part_number: str
    part_type: str
    price: str | None = Field(description='decimal string in USD, e.g. "12.34"; null: not priced')
    availability: Literal["in_stock", "out_of_stock"]
    universal: bool = Field(description="fits any vehicle")


class SearchResults(BaseModel):
    total: int
    page: int
    items: list[SearchItem]
    vehicle_filter: str | None = Field(
        default=None, description="the vehicle results were limited to; every item fits it"
    )


class Offer(BaseModel):
    price: str | None = Field(description="decimal string in USD; null: not for sale yet")
    currency: Literal["USD"] = "USD"
    availability: Literal["in_stock", "out_of_stock"]
    stock: int
    core_charge: str | None = Field(description="refundable deposit added per unit, if any")
    hazmat: bool


class Interchange(BaseModel):
    brand: str
    part_number: str
    part_id: int | None
    kind: str


class Product(BaseModel):
    part_id: int
    title: str
    brand: str
    part_number: str
    part_type: str
    description: str | None
    upc: str | None
    universal: bool
    for_sale: bool
    offer: Offer | None
    specs: dict[str, Any]
    fits: list[str] = Field(description="vehicles it fits, collapsed into year ranges")
    fits_more: int = Field(default=0, description="further fitment ranges not listed")
    interchange: list[Interchange]


class Lookup(BaseModel):
    products: list[Product]
    not_found: list[int] = Field(default_factory=list)


class FitEvidence(BaseModel):
    source: str = Field(description="kind of source, e.g. 'supplier feed'")
    listed_on: str
    confidence: float
    position: str | None
    quantity: int | None
    constraints: dict[str, Any]
    qualifiers: list[str]
    notes: list[str]


class FitAnswer(BaseModel):
    verdict: Literal["fits", "does_not_fit", "need_more_information", "universal"]
    explanation: str
    confidence: float
    ask: str | None = None
    choices: list[str] = Field(default_factory=list)
    verify: list[str] = Field(default_factory=list, description="check these before buying")
    evidence: list[FitEvidence] = Field(default_factory=list)
    matching_vehicle_ids: list[int] = Field(default_factory=list)


Conn = AsyncConnection[Any]


async def resolve_vehicle(
    conn: Conn,
    *,
    vin: str | None = None,
    year: int | None = None,
    make: str | None = None,
    model: str | None = None,
    submodel: str | None = None,
    engine: str | None = None,
) -> VehicleResolution:
    """A VIN or a year/make/model (plus what the shopper knows) to one configuration, or
    the next attribute to ask for with its choices."""
    if vin:
        found = await match_vin(conn, vin)
        candidates = list(found["matches"])
        message = str(found["message"])
        if not candidates:  # decoded, but not a vehicle the catalog has
            return VehicleResolution(status="not_found", message=message)
    else:
        named = await _cascade(conn, year, make, model)
        if isinstance(named, VehicleResolution):
            return named
        year, make, model = named
        candidates = await _rows(conn, vehicle_queries.CASCADE_CONFIGURATIONS, (year, make, model))
        message = f"{year} {make} {model}"
        if not candidates:
            return VehicleResolution(
                status="not_found", message=f"The catalog has no {message}; check the spelling."
            )
    narrowed = _narrow(candidates, submodel=submodel, engine=engine)
    if not narrowed:
        return VehicleResolution(
            status="not_found",
            message=f"{message}: no configuration has that trim or engine.",
            ask=_next_attribute(candidates),
            choices=_choices(candidates, _next_attribute(candidates)),
            candidates=len(candidates),
        )
    attribute = _next_attribute(narrowed)
    if attribute is None:
        return VehicleResolution(
            status="resolved",
            message=message,
            vehicle=_vehicle(narrowed[0]),
            candidates=len(narrowed),
            candidate_vehicle_ids=[c["id"] for c in narrowed][:CANDIDATE_LIMIT],
        )
    return VehicleResolution(
        status="need_more_information",
        message=f"{message}: {len(narrowed)} configurations; ask for the {QUESTIONS[attribute]}.",
        ask=attribute,
        ask_label=QUESTIONS[attribute],
        choices=_choices(narrowed, attribute),
        candidates=len(narrowed),
        candidate_vehicle_ids=[c["id"] for c in narrowed][:CANDIDATE_LIMIT],
    )


async def _cascade(
    conn: Conn, year: int | None, make: str | None, model: str | None
) -> VehicleResolution | tuple[int, str, str]:
    """(year, make, model) as the catalog spells them ('chevrolet', 'F 150' are found),
    or the question still to ask with the catalog's choices."""
    if year is None:
        years = [str(r["year"]) for r in await _rows(conn, vehicle_queries.CASCADE_YEARS)]
        return _ask("year", "model year", years, "Which model year?")
    makes = [r["name"] for r in await _rows(conn, vehicle_queries.CASCADE_MAKES, (year,))]
    if not make:
        return _ask("make", "make", makes, f"Which make ({year})?")
    found_make = _spelled(makes, make)
    if found_make is None:
        return _not_found("make", makes, f"The catalog has no {make} for {year}.")
    models = [
        r["name"] for r in await _rows(conn, vehicle_queries.CASCADE_MODELS, (year, found_make))
    ]
    if not model:
        return _ask("model", "model", models, f"Which {year} {found_make} model?")
    found_model = _spelled(models, model)
    if found_model is None:
        return _not_found("model", models, f"The catalog has no {year} {found_make} {model}.")
    return year, found_make, found_model


def _spelled(names: list[str], typed: str) -> str | None:
    """The catalog's name for what was typed, ignoring case, spaces and punctuation."""
    key = alias_key(typed)
    return next((n for n in names if alias_key(n) == key), None)


def _not_found(attribute: str, choices: list[str], message: str) -> VehicleResolution:
    return VehicleResolution(
        status="not_found",
        message=message + f" Choose a {attribute} from `choices`.",
        ask=attribute,
        ask_label=attribute,
        choices=choices,
    )


def _ask(attribute: str, label: str, choices: list[str], message: str) -> VehicleResolution:
    return VehicleResolution(
        status="need_more_information",
        message=message,
        ask=attribute,
        ask_label=label,
        choices=choices,
    )


def engine_label(row: dict[str, Any]) -> str | None:
    """'2.0L 4cyl Turbo', or None when the configuration states no engine."""
    aspiration = row.get("aspiration") or ""
    words = [
        f"{row['engine_liters']}L" if row.get("engine_liters") is not None else "",
        f"{row['engine_cylinders']}cyl" if row.get("engine_cylinders") else "",
        "" if aspiration.lower().startswith("natural") else aspiration,
    ]
    label = " ".join(w for w in words if w)
    return label or None


def _value(row: dict[str, Any], attribute: str) -> str | None:
    value = engine_label(row) if attribute == "engine" else row.get(attribute)
    return None if value is None else str(value)


def _next_attribute(rows: list[dict[str, Any]]) -> str | None:
    """The first attribute (trim, engine, ...) on which the candidates still differ."""
    for attribute in QUESTIONS:
        if len({_value(r, attribute) for r in rows}) > 1:
            return attribute
    return None


def _choices(rows: list[dict[str, Any]], attribute: str | None) -> list[str]:
    if attribute is None:
        return []
    return sorted({_value(r, attribute) or "unknown" for r in rows})


def _narrow(
    rows: list[dict[str, Any]], *, submodel: str | None, engine: str | None
) -> list[dict[str, Any]]:
    if submodel:
        rows = [r for r in rows if (r["submodel"] or "").lower() == submodel.strip().lower()]
    if engine:
        rows = [r for r in rows if _engine_matches(r, engine)]
    return rows


def _engine_matches(row: dict[str, Any], engine: str) -> bool:
    """'2.0', '2.0L' or '2.0L 4cyl Turbo' all name a 2.0-litre configuration."""
    label = engine_label(row) or ""
    wanted = engine.strip().lower()
    if wanted == label.lower():
        return True
    head = wanted.split()[0].removesuffix("l") if wanted else ""
    try:
        liters = Decimal(head)
    except ArithmeticError:
        return False
    return row.get("engine_liters") is not None and Decimal(str(row["engine_liters"])) == liters


def _vehicle(row: dict[str, Any]) -> VehicleOut:
    return VehicleOut(
        vehicle_id=row["id"],
        name=vehicle_name(row),
        year=row["year"],
        make=row["make"],
        model=row["model"],
        submodel=row["submodel"],
        engine=engine_label(row),
        fuel=row["fuel"],
        drive=row["drive"],
        body=row["body"],
        transmission=row["transmission"],
    )


async def search_catalog(
    conn: Conn,
    *,
    query: str | None,
    vehicle_id: int | None = None,
    part_type: str | None = None,
    brand: str | None = None,
    page: int = 1,
    per_page: int = 10,
    vector: list[float] | None = None,
    model: str | None = None,
) -> SearchResults:
    """Active parts matching the words, limited to those that fit `vehicle_id` when given."""
    vehicle_label = None
    if vehicle_id is not None:
        rows = await _rows(conn, vehicle_queries.SELECT_VEHICLE, (vehicle_id,))
        if not rows:
            raise NotFoundError("vehicle", vehicle_id)
        vehicle_label = vehicle_name(rows[0])
    found = await search_parts(
        conn,
        SearchQuery(
            q=query or None,
            part_type=part_type,
            brand=brand,
            vehicle_id=vehicle_id,
            page=page,
            per_page=per_page,
            vector=vector,
            model=model,
        ),
    )
    return SearchResults(
        total=found.total,
        page=found.page,
        vehicle_filter=vehicle_label,
        items=[
            SearchItem(
                part_id=i["id"],
                title=i["title"],
                brand=i["brand"],
                part_number=i["part_number"],
                part_type=i["part_type"],
                price=i["price"],
                availability="in_stock" if int(i["stock"] or 0) > 0 else "out_of_stock",
                universal=i["fit_class"] == "universal",
            )
            for i in found.items
        ],
    )


async def get_product(conn: Conn, part_id: int) -> Product:
    """The product page for an agent: offer, specs, the vehicles it fits, interchange."""
    part = await part_detail(conn, part_id)  # the shopper's view: no costs, no suppliers
    offer = part["offer"]
    fits = [str(f["label"]) for f in part["fitment"]]
    return Product(
        part_id=part["id"],
        title=part["title"],
        brand=part["brand"],
        part_number=part["part_number"],
        part_type=part["part_type"],
        description=part["description"],
        upc=part["upc"],
        universal=part["fit_class"] == "universal",
        for_sale=part["status"] == "active" and part["price"] is not None,
        offer=None
        if offer is None
        else Offer(
            price=_money(offer["price"]),
            availability="in_stock" if offer["available"] else "out_of_stock",
            stock=int(offer["stock_total"]),
            core_charge=_money(offer["core_charge"]),
            hazmat=bool(offer["hazmat"]),
        ),
        specs=dict(part["attributes"] or {}),
        fits=fits[:FITMENT_SUMMARY_LIMIT],
        fits_more=max(0, len(fits) - FITMENT_SUMMARY_LIMIT),
        interchange=[Interchange(**i) for i in part["interchange"]],
    )


async def lookup(conn: Conn, part_ids: list[int]) -> Lookup:
    """Products by id, in the order asked; unknown ids listed apart."""
    found = Lookup(products=[])
    for part_id in dict.fromkeys(part_ids):
        try:
            found.products.append(await get_product(conn, part_id))
        except NotFoundError:
            found.not_found.append(part_id)
    return found


async def fit_check(
    conn: Conn,
    part_id: int,
    *,
    vehicle_id: int | None = None,
    year: int | None = None,
    make: str | None = None,
    model: str | None = None,
    known: dict[str, Any] | None = None,
) -> FitAnswer:
    """The catalog's three-state fit check, with universal parts called what they are."""
    result = await check_fit(
        conn, part_id, VehicleQuery(vehicle_id, year, make, model, known or {})
    )
    rows = await _rows(conn, SELECT_FIT_CLASS, (part_id,))
    universal = bool(rows) and rows[0]["fit_class"] == "universal"
    return FitAnswer(
        verdict="universal" if universal and result.verdict == "fits" else result.verdict,
        explanation=result.explanation,
        confidence=result.confidence,
        ask=result.ask_next,
        choices=result.ask_options,
        verify=result.verify,
        evidence=[
            FitEvidence(
                source=e.source_kind,
                listed_on=e.listed_on.isoformat(),
                confidence=e.confidence,
                position=e.position,
                quantity=e.quantity,
                constraints=e.constraints,
                qualifiers=e.qualifiers,
                notes=e.notes,
            )
            for e in result.evidence
        ],
        matching_vehicle_ids=result.matching_vehicle_ids[:CANDIDATE_LIMIT],
    )


#: The constraint attributes check_fit understands, for the tool's `known` argument.
FIT_ATTRIBUTES = ASK_ORDER


def _money(value: Any) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


async def _rows(conn: Conn, query: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()
