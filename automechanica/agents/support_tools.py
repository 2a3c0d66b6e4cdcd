"""The Support agent's tools: they read the catalog, fit checks, orders and policies,
and none of them writes anything.

A toolbox is built per conversation turn with the caller's identity bound in
(`Shopper`): a tool's arguments never name the customer, so no text — the
customer's or a model's — can ask for another customer's order. Order status
answers only the signed-in customer's own orders, or, for a guest, the order whose
number and email are both given (commerce.orders' lookups); anything else is refused
with the same words as an order that does not exist, so a refusal says nothing about
other customers.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from pydantic import BaseModel, Field

from automechanica.agents.base import AgentTool, Toolbox, ToolRefusedError
from automechanica.catalog.fitment import VehicleQuery, check_fit, vehicle_name
from automechanica.catalog.search import SearchQuery, search_parts, vehicle_mentions
from automechanica.catalog.vehicles import SELECT_VEHICLE
from automechanica.commerce.orders import customer_orders, order_for_customer, order_for_guest
from automechanica.errors import NotFoundError
from automechanica.memory import Memory

AGENT = "Support"
ORDER_NUMBER = re.compile(r"\bAM-[A-Z0-9][A-Z0-9-]{3,30}\b", re.IGNORECASE)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
NOT_FOUND_ORDER = (
    "I can't find an order {number} for you. Check the number in your confirmation email; "
    "if you checked out as a guest, give the order number with the email you used."
)


def part_url(part_id: int) -> str:
    """The storefront page of a part."""
    return f"/parts/{part_id}"


# -- typed arguments and results -------------------------------------------------------


class SearchArgs(BaseModel):
    query: str = Field(min_length=1, max_length=200)
    fits_my_vehicle: bool = False
    limit: int = Field(default=3, ge=1, le=10)


class PartHit(BaseModel):
    id: int
    brand: str
    part_number: str
    title: str
    part_type: str
    fit_class: str
    price: str | None = None
    url: str


class FitArgs(BaseModel):
    part_id: int = Field(ge=1)
    vehicle: str | None = Field(
        default=None,
        max_length=500,
        description="words naming a vehicle ('2016 Honda Civic'); else the shopper's vehicle",
    )


FitVerdict = Literal["fits", "does_not_fit", "need_more_information", "universal"]


class FitAnswer(BaseModel):
    """check_fit's verdict for the shopper's vehicle, as support states it."""

    part_id: int
    part_label: str
    vehicle: str
    verdict: FitVerdict
    explanation: str
    confidence: float
    ask_next: str | None = None
    ask_options: list[str] = Field(default_factory=list)
    verify: list[str] = Field(default_factory=list)


class OrderArgs(BaseModel):
    number: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=320)


class OrderLine(BaseModel):
    part_id: int
    title: str
    quantity: int


class OrderView(BaseModel):
    number: str
    status: str
    placed_at: str
    total: str
    lines: list[OrderLine] = Field(default_factory=list)
    history: list[dict[str, Any]] = Field(default_factory=list)


class PolicyArgs(BaseModel):
    question: str = Field(min_length=1, max_length=500)
    limit: int = Field(default=2, ge=1, le=5)


class PolicyHit(BaseModel):
    chunk_id: int
    document: str
    source: str
    text: str
    score: float


# -- who is asking ---------------------------------------------------------------------


@dataclass(frozen=True)
class Shopper:
    """The caller, bound into the tools: a signed-in customer, or a guest (None)."""

    customer_id: int | None
    vehicle_id: int | None


PolicySearch = Callable[[str, int], Awaitable[list[PolicyHit]]]
#: Cosine similarity under which a passage is not about the question (MiniLM).
MIN_POLICY_SCORE = 0.3
_FILLER = {
    "the", "and", "for", "you", "your", "our", "what", "how", "can", "does", "with", "this",
    "that", "are", "have", "from",
}  # fmt: skip


# -- the reads --------------------------------------------------------------------------

PART_BY_ID = """
SELECT p.id, p.part_number, p.title, p.fit_class, p.price::text AS price, b.name AS brand,
       t.name AS part_type
FROM parts p JOIN brands b ON b.id = p.brand_id JOIN part_types t ON t.id = p.part_type_id
WHERE p.id = ANY(%(ids)s) AND p.status = 'active'
"""
# Served by parts' mpn_normalized index.
PART_BY_NUMBER = """
SELECT p.id FROM parts p WHERE p.mpn_normalized = ANY(%(numbers)s) AND p.status = 'active'
ORDER BY p.id LIMIT 3
"""
# A vehicle named in words: a model name among the text's phrases and one of its years
# (models_lower_name, base_vehicles (model_id, year)); a named make breaks ties.
MENTIONED_VEHICLE = """
SELECT bv.year, ma.name AS make, mo.name AS model
FROM models mo JOIN base_vehicles bv ON bv.model_id = mo.id JOIN makes ma ON ma.id = bv.make_id
WHERE lower(mo.name) = ANY(%(words)s) AND bv.year = ANY(%(years)s)
ORDER BY (lower(ma.name) = ANY(%(words)s)) DESC, length(mo.name) DESC, bv.id
LIMIT 1
"""
NO_VEHICLE = "no vehicle: the shopper has not chosen one or named one"
# Without vectors (no embedder configured): the policy chunks by words and trigrams.
POLICY_TEXT = """
SELECT c.id AS chunk_id, d.title AS document, d.source_name AS source, c.content AS text,
       ts_rank(to_tsvector('english', c.content), websearch_to_tsquery('english', %(q)s))
         + similarity(c.content, %(q)s) AS score
FROM document_chunks c JOIN supplier_documents d ON d.id = c.document_id
WHERE to_tsvector('english', c.content) @@ websearch_to_tsquery('english', %(q)s)
ORDER BY score DESC, c.id LIMIT %(k)s
"""


async def _rows(conn: AsyncConnection[Any], query: str, params: dict[str, Any]) -> list[Any]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return list(await cur.fetchall())


async def parts_by_id(conn: AsyncConnection[Any], ids: Sequence[int]) -> list[PartHit]:
    rows = {r["id"]: r for r in await _rows(conn, PART_BY_ID, {"ids": list(ids)})}
    return [_hit(rows[i]) for i in ids if i in rows]


def _hit(row: dict[str, Any]) -> PartHit:
    return PartHit(
        id=row["id"],
        brand=row["brand"],
        part_number=row["part_number"],
        title=row["title"],
        part_type=row["part_type"],
        fit_class=row["fit_class"],
        price=row.get("price"),
        url=part_url(row["id"]),
    )


PART_REF = re.compile(r"(?:/parts/|\bpart\s*(?:id\s*)?#?\s*)(\d{1,12})\b", re.IGNORECASE)


async def search(conn: AsyncConnection[Any], shopper: Shopper, args: SearchArgs) -> list[PartHit]:
    """A storefront link or "part 123" in the query names its part; otherwise search
    (an exact part number ranks first there)."""
    linked = [int(m) for m in PART_REF.findall(args.query)]
    if linked:
        return await parts_by_id(conn, linked[: args.limit])
    vehicle = shopper.vehicle_id if args.fits_my_vehicle else None
    result = await search_parts(
        conn, SearchQuery(q=args.query, vehicle_id=vehicle, per_page=args.limit)
    )
    return [_hit(item) for item in result.items]


async def mentioned_vehicle(conn: AsyncConnection[Any], text: str) -> VehicleQuery | None:
    """The year, make and model the text names, if it names one the store knows."""
    words, years = vehicle_mentions(re.sub(r"[^\w\s'&-]", " ", text))
    if not words or not years:
        return None
    rows = await _rows(conn, MENTIONED_VEHICLE, {"words": words, "years": years})
    if not rows:
        return None
    return VehicleQuery(year=rows[0]["year"], make=rows[0]["make"], model=rows[0]["model"])


async def fit(conn: AsyncConnection[Any], shopper: Shopper, args: FitArgs) -> FitAnswer:
    """check_fit for the vehicle the words name, else the shopper's chosen vehicle."""
    named = await mentioned_vehicle(conn, args.vehicle) if args.vehicle else None
    if named is None and shopper.vehicle_id is None:
        raise ToolRefusedError(NO_VEHICLE)
    query = named or VehicleQuery(vehicle_id=shopper.vehicle_id)
    parts = await parts_by_id(conn, [args.part_id])
    if not parts:
        raise ToolRefusedError(f"no part {args.part_id}")
    part = parts[0]
    try:
        result = await check_fit(conn, args.part_id, query)
    except NotFoundError as exc:
        raise ToolRefusedError(exc.message) from exc
    if named is not None:
        name = f"{named.year} {named.make} {named.model}"
    else:
        rows = await _rows(conn, SELECT_VEHICLE.replace("%s", "%(id)s"), {"id": query.vehicle_id})
        name = vehicle_name(rows[0]) if rows else f"vehicle {query.vehicle_id}"
    universal = part.fit_class == "universal" and result.verdict == "fits"
    return FitAnswer(
        part_id=part.id,
        part_label=f"{part.brand} {part.part_number}",
        vehicle=name,
        verdict="universal" if universal else result.verdict,
        explanation=result.explanation,
        confidence=result.confidence,
        ask_next=result.ask_next,
        ask_options=result.ask_options,
        verify=result.verify,
    )


async def order_status(
    conn: AsyncConnection[Any], shopper: Shopper, args: OrderArgs
) -> list[OrderView]:
    """The shopper's own orders (commerce.orders' rules): a signed-in customer's by
    number, or their latest; a guest's by number and the email it was placed with."""
    if args.number is None:
        if shopper.customer_id is None:
            raise ToolRefusedError(
                "a guest must give the order number and the email used at checkout"
            )
        latest = await customer_orders(conn, shopper.customer_id, limit=3)
        return [
            OrderView(
                number=o.number,
                status=o.status,
                placed_at=o.placed_at.date().isoformat(),
                total=_dollars(o.total),
            )
            for o in latest
        ]
    number = args.number.upper()
    try:
        if shopper.customer_id is not None:
            order = await order_for_customer(conn, number, shopper.customer_id)
        elif args.email:
            order = await order_for_guest(conn, number, args.email)
        else:
            raise NotFoundError("order", number)
    except NotFoundError as exc:  # not theirs and not there read the same
        raise ToolRefusedError(NOT_FOUND_ORDER.format(number=number)) from exc
    return [
        OrderView(
            number=order.number,
            status=order.status,
            placed_at=order.placed_at.date().isoformat(),
            total=_dollars(order.totals.total),
            lines=[
                OrderLine(part_id=line.part_id, title=line.title, quantity=line.quantity)
                for line in order.lines
            ],
            history=[
                {"status": h.status, "note": h.note, "at": h.at.isoformat()} for h in order.history
            ],
        )
    ]


def _dollars(cents: int) -> str:
    return f"{cents / 100:.2f}"


async def policy_text_search(conn: AsyncConnection[Any], question: str, k: int) -> list[PolicyHit]:
    return [PolicyHit(**r) for r in await _rows(conn, POLICY_TEXT, {"q": question, "k": k})]


def policy_search(
    conn: AsyncConnection[Any], memory: Memory | None, *, min_score: float = MIN_POLICY_SCORE
) -> PolicySearch:
    """Policy passages by meaning (vector memory's `documents`, the store's and suppliers'
    documents), or by words when there is no embedder or no vector close enough yet."""

    async def run(question: str, k: int) -> list[PolicyHit]:
        if memory is not None:
            hits = await memory.search("documents", question, k=k)
            found = [
                PolicyHit(
                    chunk_id=h.id,
                    document=str(h.metadata.get("document") or "policy"),
                    source=str(h.metadata.get("source") or ""),
                    text=h.text,
                    score=round(h.score, 4),
                )
                for h in hits
                if h.score >= min_score
            ]
            if found:
                return found
        words = [w for w in re.findall(r"[A-Za-z]{3,}", question.lower()) if w not in _FILLER]
        if not words:
            return []
        return await policy_text_search(conn, " or ".join(words[:12]), k)

    return run


def support_toolbox(
    conn: AsyncConnection[Any], shopper: Shopper, policy_search: PolicySearch
) -> Toolbox:
    """The allow-list: four reads. There is no tool that writes."""

    async def run_search(args: SearchArgs) -> list[PartHit]:
        return await search(conn, shopper, args)

    async def run_fit(args: FitArgs) -> FitAnswer:
        return await fit(conn, shopper, args)

    async def run_order(args: OrderArgs) -> list[OrderView]:
        return await order_status(conn, shopper, args)

    async def run_policy(args: PolicyArgs) -> list[PolicyHit]:
        return await policy_search(args.question, args.limit)

    tools: list[AgentTool[Any]] = [
        AgentTool("search_parts", "Search the catalog for parts.", SearchArgs, run_search),
        AgentTool("check_fit", "Does a part fit the shopper's chosen vehicle?", FitArgs, run_fit),
        AgentTool(
            "order_status",
            "The status of the shopper's own order (number, and email for a guest).",
            OrderArgs,
            run_order,
        ),
        AgentTool("policy_lookup", "Passages of the store's policies.", PolicyArgs, run_policy),
    ]
    return Toolbox(AGENT, {t.name: t for t in tools})
