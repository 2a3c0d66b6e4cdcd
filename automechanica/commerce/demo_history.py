"""GENERATED DEMO HISTORY — not real sales. A few days of made-up orders for the demo store.

So the console has something to show on first start: paid orders over the days
before today (seeded random, the same store and seed give the same orders), lines
priced from `parts.price` (or, for a part not priced yet, its cheapest offer's cost
plus 30%, never below MAP), most delivered by now, some returned — wrong fits with
their `fitment_issues` — and the agent events, decided reviews and offline LLM calls
such a store would log. Rows are inserted directly per the schema, marked: order
numbers start `DEMO-`, customers are `@demo-history.example`, events, issues and
return notes say "generated demo history". A second load adds nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row, tuple_row
from psycopg.types.json import Jsonb

MARK = "generated demo history"
NUMBER_PREFIX = "DEMO-"
EMAIL_DOMAIN = "demo-history.example"
CENT = Decimal("0.01")
TAX = Decimal("0.0825")
MARKUP = Decimal("1.30")
CUSTOMERS = 12

LOADED = "SELECT EXISTS (SELECT 1 FROM orders WHERE starts_with(number, 'DEMO-')) AS loaded"
CANDIDATES = """
SELECT p.id, p.price, o.id AS offer_id, o.cost, o.map_price, o.msrp, o.core_charge,
       v.id AS vehicle_id
FROM parts p
JOIN LATERAL (SELECT id, cost, map_price, msrp, core_charge FROM supplier_parts sp
              WHERE sp.part_id = p.id ORDER BY cost, id LIMIT 1) o ON true
JOIN LATERAL (SELECT v.id FROM fitments f JOIN vehicles v ON v.base_vehicle_id = f.base_vehicle_id
              WHERE f.part_id = p.id AND f.status = 'published' ORDER BY v.id LIMIT 1) v ON true
WHERE p.status = 'active'
ORDER BY p.id
LIMIT %(limit)s
"""
INSERT_CUSTOMER = """
INSERT INTO customers (email, name) VALUES (%(email)s, %(name)s)
ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name
RETURNING id
"""
INSERT_ORDER = """
INSERT INTO orders (customer_id, vehicle_id, status, subtotal, shipping, tax, total, core_total,
                    number, email, payment_status, paid_at, created_at, updated_at,
                    fulfillment_option, shipping_address)
VALUES (%(customer)s, %(vehicle)s, %(status)s, %(subtotal)s, %(shipping)s, %(tax)s, %(total)s,
        %(core_total)s, %(number)s, %(email)s, 'paid', %(at)s, %(at)s, %(at)s, 'standard',
        %(address)s)
RETURNING id
"""
INSERT_LINE = """
INSERT INTO order_lines (order_id, part_id, supplier_part_id, quantity, unit_price, unit_cost,
                         core_charge, status, fit_status)
VALUES (%(order)s, %(part)s, %(offer)s, %(quantity)s, %(price)s, %(cost)s, %(core)s,
        %(status)s, 'fits')
RETURNING id
"""
INSERT_HISTORY = """
INSERT INTO order_status_history (order_id, status, note, actor, created_at)
VALUES (%(order)s, %(status)s, %(note)s, %(actor)s, %(at)s)
"""
INSERT_RETURN = """
INSERT INTO returns (order_line_id, reason, status, notes, vehicle_id, created_at, updated_at)
VALUES (%(line)s, %(reason)s, %(status)s, %(notes)s, %(vehicle)s, %(at)s, %(at)s)
RETURNING id
"""
INSERT_ISSUE = """
INSERT INTO fitment_issues (part_id, vehicle_id, return_id, kind, description, status, created_at)
VALUES (%(part)s, %(vehicle)s, %(return_id)s, 'wrong_fit', %(description)s, 'open', %(at)s)
"""
INSERT_EVENT = """
INSERT INTO agent_events (agent, decision_type, subject_kind, subject_id, outcome, confidence,
                          rationale, created_at)
VALUES (%(agent)s, %(type)s, %(kind)s, %(subject)s, %(outcome)s, %(confidence)s, %(rationale)s,
        %(at)s)
RETURNING id
"""
INSERT_REVIEW = """
INSERT INTO reviews (event_id, kind, reason, proposed, status, reviewer, agent, created_at,
                     resolved_at, subject_kind, subject_id)
VALUES (%(event)s, %(type)s, %(reason)s, '{}', %(status)s, 'demo@demo-history.example',
        %(agent)s, %(at)s, %(resolved)s, %(kind)s, %(subject)s)
"""
INSERT_LLM_CALL = """
INSERT INTO llm_calls (agent, task_kind, complexity, provider, model_requested, model_used,
                       tokens_in, tokens_out, latency_ms, cost_usd, outcome, prompt_hash,
                       created_at)
VALUES (%(agent)s, %(task)s, 'low', 'offline', 'offline', 'offline', %(tokens_in)s,
        %(tokens_out)s, %(latency)s, 0, 'ok', 'demo-history', %(at)s)
"""


@dataclass(frozen=True)
class Candidate:
    part_id: int
    offer_id: int
    vehicle_id: int
    price: Decimal
    cost: Decimal
    core: Decimal


@dataclass
class HistorySummary:
    days: int = 0
    orders: int = 0
    lines: int = 0
    returns: int = 0
    wrong_fit: int = 0
    skipped: str | None = None


def demo_price(row: dict[str, Any]) -> Decimal:
    """The part's price; unpriced: the offer's cost + 30%, at least MAP, at most MSRP."""
    if row["price"] is not None:
        return Decimal(row["price"])
    price = (Decimal(row["cost"]) * MARKUP).quantize(CENT, rounding=ROUND_CEILING)
    if row["map_price"] is not None:
        price = max(price, Decimal(row["map_price"]))
    if row["msrp"] is not None and Decimal(row["msrp"]) >= price:
        price = min(price, Decimal(row["msrp"]))
    return max(price, CENT)


async def demo_history_loaded(conn: AsyncConnection[Any]) -> bool:
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(LOADED)
        row = await cur.fetchone()
    return bool(row and row[0])


async def _candidates(conn: AsyncConnection[Any], limit: int) -> list[Candidate]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(CANDIDATES, {"limit": limit})
        rows = await cur.fetchall()
    return [
        Candidate(
            part_id=r["id"],
            offer_id=r["offer_id"],
            vehicle_id=r["vehicle_id"],
            price=demo_price(r),
            cost=Decimal(r["cost"]),
            core=Decimal(r["core_charge"] or 0),
        )
        for r in rows
    ]


async def _one(conn: AsyncConnection[Any], query: str, params: dict[str, Any]) -> int:
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(query, params)
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


def _status(placed: datetime, now: datetime) -> tuple[str, list[tuple[str, timedelta]]]:
    """Where an order placed at `placed` is by `now`, and its history (offsets)."""
    steps = [("placed", timedelta()), ("routed", timedelta(hours=1))]
    for status, after in (("shipped", timedelta(days=1)), ("delivered", timedelta(days=3))):
        if placed + after < now:
            steps.append((status, after))
    return steps[-1][0], steps


async def generate_demo_history(
    conn: AsyncConnection[Any],
    *,
    seed: int = 2026,
    days: int = 10,
    today: date | None = None,
    orders_per_day: tuple[int, int] = (4, 12),
    parts: int = 400,
) -> HistorySummary:
    """Insert the generated history for the `days` UTC days before `today`, in one
    transaction; nothing when it is already there or the store has no fitting parts."""
    if await demo_history_loaded(conn):
        return HistorySummary(skipped="demo history already loaded")
    catalog = await _candidates(conn, parts)
    if not catalog:
        return HistorySummary(skipped="no active part with an offer and a fitment")
    rng = random.Random(seed)
    first = today or datetime.now(UTC).date()
    now = datetime(first.year, first.month, first.day, tzinfo=UTC)
    summary = HistorySummary(days=days)
    async with conn.transaction():
        customers = [
            await _one(
                conn,
                INSERT_CUSTOMER,
                {"email": f"shopper{n}@{EMAIL_DOMAIN}", "name": f"Demo Shopper {n}"},
            )
            for n in range(1, CUSTOMERS + 1)
        ]
        for back in range(days, 0, -1):
            day = now - timedelta(days=back)
            for k in range(rng.randint(*orders_per_day)):
                placed = day + timedelta(seconds=rng.randint(6 * 3600, 22 * 3600))
                await _order(conn, rng, summary, catalog, customers, placed, now, k)
            await _agent_activity(conn, rng, day)
    return summary


async def _order(
    conn: AsyncConnection[Any],
    rng: random.Random,
    summary: HistorySummary,
    catalog: list[Candidate],
    customers: list[int],
    placed: datetime,
    now: datetime,
    k: int,
) -> None:
    picked = rng.sample(catalog, k=min(len(catalog), rng.choice((1, 1, 1, 2, 2, 3))))
    quantities = [rng.choice((1, 1, 1, 2, 4)) for _ in picked]
    subtotal = sum((c.price * q for c, q in zip(picked, quantities, strict=True)), Decimal())
    core_total = sum((c.core * q for c, q in zip(picked, quantities, strict=True)), Decimal())
    shipping = Decimal("0") if subtotal >= 75 else Decimal("9.99")
    tax = (subtotal * TAX).quantize(CENT)
    status, steps = _status(placed, now)
    customer = rng.choice(customers)
    order_id = await _one(
        conn,
        INSERT_ORDER,
        {
            "customer": customer,
            "vehicle": picked[0].vehicle_id,
            "status": status,
            "subtotal": subtotal,
            "shipping": shipping,
            "tax": tax,
            "total": subtotal + shipping + tax + core_total,
            "core_total": core_total,
            "number": f"{NUMBER_PREFIX}{placed:%Y%m%d}-{k + 1:03d}",
            "email": f"shopper{customers.index(customer) + 1}@{EMAIL_DOMAIN}",
            "at": placed,
            "address": Jsonb({"name": "Demo Shopper", "note": MARK}),
        },
    )
    for step, after in steps:
        await conn.execute(
            INSERT_HISTORY,
            {
                "order": order_id,
                "status": step,
                "note": MARK,
                "actor": "customer" if step == "placed" else "order_agent",
                "at": placed + after,
            },
        )
    summary.orders += 1
    for candidate, quantity in zip(picked, quantities, strict=True):
        line = await _one(
            conn,
            INSERT_LINE,
            {
                "order": order_id,
                "part": candidate.part_id,
                "offer": candidate.offer_id,
                "quantity": quantity,
                "price": candidate.price,
                "cost": candidate.cost,
                "core": candidate.core,
                "status": status,
            },
        )
        summary.lines += 1
        if status == "delivered":
            await _maybe_return(conn, rng, summary, candidate, line, placed, now)


async def _maybe_return(
    conn: AsyncConnection[Any],
    rng: random.Random,
    summary: HistorySummary,
    candidate: Candidate,
    line: int,
    placed: datetime,
    now: datetime,
) -> None:
    roll = rng.random()
    reason = (
        "wrong_fit"
        if roll < 0.10
        else "defective"
        if roll < 0.13
        else "not_needed"
        if roll < 0.15
        else None
    )
    if reason is None:
        return
    at = min(placed + timedelta(days=3, hours=rng.randint(4, 40)), now - timedelta(minutes=1))
    return_id = await _one(
        conn,
        INSERT_RETURN,
        {
            "line": line,
            "reason": reason,
            "status": "received",
            "notes": f"{MARK}: the customer reported {reason.replace('_', ' ')}",
            "vehicle": candidate.vehicle_id if reason == "wrong_fit" else None,
            "at": at,
        },
    )
    summary.returns += 1
    if reason == "wrong_fit":
        summary.wrong_fit += 1
        await conn.execute(
            INSERT_ISSUE,
            {
                "part": candidate.part_id,
                "vehicle": candidate.vehicle_id,
                "return_id": return_id,
                "description": f"{MARK}: did not fit the customer's vehicle",
                "at": at,
            },
        )


async def _agent_activity(conn: AsyncConnection[Any], rng: random.Random, day: datetime) -> None:
    """A day's pricing decisions (some held and decided by a person) and offline
    support-chat model calls."""
    for n in range(rng.randint(3, 8)):
        at = day + timedelta(hours=2, minutes=n)
        held = rng.random() < 0.3
        event = await _one(
            conn,
            INSERT_EVENT,
            {
                "agent": "Pricing",
                "type": "pricing.price",
                "kind": "part",
                "subject": None,
                "outcome": "held" if held else "accepted",
                "confidence": 0.6 if held else 0.95,
                "rationale": MARK,
                "at": at,
            },
        )
        if held:
            await conn.execute(
                INSERT_REVIEW,
                {
                    "event": event,
                    "type": "pricing.price",
                    "reason": f"{MARK}: a large price move",
                    "status": "approved" if rng.random() < 0.75 else "rejected",
                    "agent": "Pricing",
                    "at": at,
                    "resolved": at + timedelta(hours=rng.randint(1, 6)),
                    "kind": "part",
                    "subject": None,
                },
            )
    for n in range(rng.randint(2, 6)):
        await conn.execute(
            INSERT_LLM_CALL,
            {
                "agent": "Support",
                "task": "support_answer",
                "tokens_in": rng.randint(300, 900),
                "tokens_out": rng.randint(40, 200),
                "latency": 2.0,
                "at": day + timedelta(hours=9 + n),
            },
        )
