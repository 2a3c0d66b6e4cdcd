"""Selling prices: the rule, the facts it reads, and the set-based writes of a batch.

    price = clamp(lowest matched competitor price − step, floor, ceiling)
    floor   = max(MAP, cost × (1 + minimum margin) + fees), rounded up to the cent
    ceiling = MSRP, else jobber (list), else none

When offers of one part disagree: cost is the cheapest offer in stock (the one an
order would be routed to), else the cheapest at all; MAP is the highest (breaking
any brand's MAP can cost the supply); MSRP and jobber the lowest. A competitor
counts by its latest price seen within `competitor_max_age_days`. With no
competitor the target is the ceiling, or cost × (1 + default margin) without one.
When the floor is above the ceiling the floor wins and the quote says so (its
basis `floor_over_ceiling`; the orchestrator sends it to a person).

Nothing here decides whether a price may be stored: that is the orchestrator's
policy check. A batch is read in one query and written in one statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any, Literal

from psycopg import AsyncConnection
from psycopg.rows import dict_row, tuple_row

from automechanica.errors import NotFoundError

CENT = Decimal("0.01")
Basis = Literal[
    "competitor", "floor", "ceiling", "no_competitor", "floor_over_ceiling", "model", "person"
]

#: The facts of a batch of parts: offers folded per the rules above, the lowest
#: recent competitor. One round trip per batch; the id range (a batch is a run of
#: ids) lets each table be read by its part index, not scanned whole per batch.
SELECT_FACTS = """
WITH ids AS (SELECT DISTINCT unnest(%(ids)s::bigint[]) AS id),
offers AS (
    SELECT sp.part_id,
           coalesce(min(sp.cost) FILTER (WHERE sp.stock_total > 0), min(sp.cost)) AS cost,
           max(sp.map_price) AS map_price, min(sp.msrp) AS msrp, min(sp.jobber) AS jobber
    FROM supplier_parts sp JOIN ids ON ids.id = sp.part_id
    WHERE sp.part_id BETWEEN %(lo)s::bigint AND %(hi)s::bigint
    GROUP BY sp.part_id
),
latest AS (
    SELECT DISTINCT ON (c.part_id, c.competitor) c.part_id, c.competitor, c.price
    FROM competitor_prices c JOIN ids ON ids.id = c.part_id
    WHERE c.part_id BETWEEN %(lo)s::bigint AND %(hi)s::bigint
      AND c.seen_at >= now() - make_interval(days => %(max_age)s)
    ORDER BY c.part_id, c.competitor, c.seen_at DESC, c.id DESC
),
lowest AS (
    SELECT DISTINCT ON (part_id) part_id, competitor, price,
           count(*) OVER (PARTITION BY part_id) AS n
    FROM latest ORDER BY part_id, price, competitor
)
SELECT p.id, p.price, o.cost, o.map_price, o.msrp, o.jobber,
       l.competitor, l.price AS competitor_price, coalesce(l.n, 0) AS competitors
FROM ids JOIN parts p ON p.id = ids.id AND p.id BETWEEN %(lo)s::bigint AND %(hi)s::bigint
LEFT JOIN offers o ON o.part_id = p.id
LEFT JOIN lowest l ON l.part_id = p.id
ORDER BY p.id
"""

#: Only rows still at the price the batch read change (a person's approval in between
#: wins); each change gets its history row, linked to the agent event, in one statement.
APPLY_PRICES = """
WITH c AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(prices)s::numeric[], %(previous)s::numeric[],
                         %(floors)s::numeric[], %(ceilings)s::numeric[], %(reasons)s::text[])
        AS c(part_id, price, previous, floor, ceiling, reason)
),
moved AS (
    UPDATE parts p SET price = c.price, updated_at = now()
    FROM c
    WHERE p.id = c.part_id AND p.id BETWEEN %(lo)s::bigint AND %(hi)s::bigint
      AND p.price IS NOT DISTINCT FROM c.previous
      AND p.price IS DISTINCT FROM c.price
    RETURNING p.id
)
INSERT INTO price_history (part_id, price, previous_price, reason, event_id, floor, ceiling)
SELECT c.part_id, c.price, c.previous, c.reason, %(event)s, c.floor, c.ceiling
FROM c JOIN moved ON moved.id = c.part_id
RETURNING part_id
"""

LOCK_PRICE = "SELECT price FROM parts WHERE id = %(id)s FOR UPDATE"

SELECT_HISTORY = """
SELECT h.id, h.price, h.previous_price, h.reason, h.floor, h.ceiling, h.event_id,
       e.agent, e.workflow_id, h.created_at
FROM price_history h LEFT JOIN agent_events e ON e.id = h.event_id
WHERE h.part_id = %(id)s ORDER BY h.created_at DESC, h.id DESC LIMIT %(limit)s
"""

SELECT_COMPETITORS = """
SELECT DISTINCT ON (competitor) competitor, price, seen_at, source
FROM competitor_prices WHERE part_id = %(id)s
ORDER BY competitor, seen_at DESC, id DESC
"""

SELECT_PART = """
SELECT p.id, p.part_number, p.price, p.status, b.name AS brand, p.title
FROM parts p JOIN brands b ON b.id = p.brand_id WHERE p.id = %(id)s
"""


def up_to_cent(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_CEILING)


def _decimal(limits: Mapping[str, Any], name: str, default: str) -> Decimal:
    return Decimal(str(limits.get(name, default)))


@dataclass(frozen=True, slots=True)
class PricingRules:
    """The rule's numbers, read from the `pricing.price` policy's limits."""

    min_margin: Decimal = Decimal("0.15")
    step: Decimal = CENT  # how far under the lowest competitor
    fees: Decimal = Decimal("0")  # per unit (payment, handling), added to the margin floor
    default_margin: Decimal = Decimal("0.40")  # no competitor and no ceiling
    competitor_max_age_days: int = 14

    @classmethod
    def from_limits(cls, limits: Mapping[str, Any]) -> PricingRules:
        return cls(
            min_margin=_decimal(limits, "min_margin", "0.15"),
            step=_decimal(limits, "step", "0.01"),
            fees=_decimal(limits, "fees", "0"),
            default_margin=_decimal(limits, "default_margin", "0.40"),
            competitor_max_age_days=int(limits.get("competitor_max_age_days", 14)),
        )


@dataclass(frozen=True, slots=True)
class PriceFacts:
    """What the rule reads about one part."""

    part_id: int
    current: Decimal | None
    cost: Decimal | None
    map_price: Decimal | None = None
    msrp: Decimal | None = None
    jobber: Decimal | None = None
    competitor: str | None = None
    competitor_price: Decimal | None = None
    competitors: int = 0


@dataclass(frozen=True, slots=True)
class PriceQuote:
    """The rule's answer for one part; `price` is None when the part has no offer."""

    part_id: int
    price: Decimal | None
    floor: Decimal | None
    ceiling: Decimal | None
    basis: Basis | Literal["no_cost"]
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "part_id": self.part_id,
            "price": _text(self.price),
            "floor": _text(self.floor),
            "ceiling": _text(self.ceiling),
            "basis": self.basis,
            "reason": self.reason,
        }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def money(value: Decimal | None) -> str:
    return "—" if value is None else f"${value:,.2f}"


def percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}%"


def floor_of(facts: PriceFacts, rules: PricingRules) -> tuple[Decimal, str] | None:
    """The lowest price allowed, and how it was reached."""
    if facts.cost is None:
        return None
    margin = up_to_cent(facts.cost * (1 + rules.min_margin) + rules.fees)
    how = f"cost {money(facts.cost)} + {percent(rules.min_margin)} margin"
    if rules.fees:
        how += f" + fees {money(rules.fees)}"
    if facts.map_price is not None and facts.map_price > margin:
        return facts.map_price, f"MAP {money(facts.map_price)}; {how} = {money(margin)}"
    return margin, how


def ceiling_of(facts: PriceFacts) -> tuple[Decimal, str] | None:
    if facts.msrp is not None:
        return facts.msrp, "MSRP"
    if facts.jobber is not None:
        return facts.jobber, "jobber (no MSRP)"
    return None


def quote(facts: PriceFacts, rules: PricingRules) -> PriceQuote:
    """The rule's price for one part, with the reason a person reads."""
    found = floor_of(facts, rules)
    if found is None or facts.cost is None:
        return PriceQuote(facts.part_id, None, None, None, "no_cost", "no supplier offers it")
    floor, floor_how = found
    top = ceiling_of(facts)
    ceiling, ceiling_how = top if top else (None, "")
    basis: Basis
    if facts.competitor_price is not None:
        target = facts.competitor_price - rules.step
        basis = "competitor"
        said = (
            f"lowest competitor price {money(facts.competitor_price)} ({facts.competitor}) "
            f"less {money(rules.step)} = {money(target)}"
        )
    elif ceiling is not None:
        target, basis = ceiling, "no_competitor"
        said = f"no competitor price in {rules.competitor_max_age_days} days: the ceiling"
    else:
        target = up_to_cent(facts.cost * (1 + rules.default_margin))
        basis = "no_competitor"
        said = (
            f"no competitor price and no MSRP or jobber: cost {money(facts.cost)} + "
            f"{percent(rules.default_margin)} default margin = {money(target)}"
        )
    price = target
    if ceiling is not None and price > ceiling:
        price = ceiling
        if basis == "competitor":
            basis = "ceiling"
    if price < floor:
        price, basis = floor, "floor"
    bounds = f"floor {money(floor)} ({floor_how}), ceiling " + (
        f"{money(ceiling)} ({ceiling_how})" if ceiling is not None else "none"
    )
    if ceiling is not None and floor > ceiling:
        basis = "floor_over_ceiling"
        reason = f"{said}; the floor is above the ceiling, so the floor wins: {bounds}"
    elif basis == "floor":
        reason = f"{said}, under the floor: priced at the floor; {bounds}"
    elif basis == "ceiling":
        reason = f"{said}, over the ceiling: priced at the ceiling; {bounds}"
    else:
        reason = f"{said}; {bounds}"
    return PriceQuote(facts.part_id, price, floor, ceiling, basis, reason)


def move_pct(current: Decimal | None, price: Decimal) -> Decimal | None:
    """How far a price moves from the current one, in percent (None: a first price)."""
    if current is None or current <= 0:
        return None
    return abs(price - current) / current * 100


# -- the database ------------------------------------------------------------------------


async def price_facts(
    conn: AsyncConnection[Any], part_ids: Sequence[int], rules: PricingRules
) -> list[PriceFacts]:
    """The facts of every part in `part_ids` (unknown ids are left out), in one query."""
    if not part_ids:
        return []
    params = {
        "ids": list(part_ids),
        "lo": min(part_ids),
        "hi": max(part_ids),
        "max_age": rules.competitor_max_age_days,
    }
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(SELECT_FACTS, params)
        return [PriceFacts(*row) for row in await cur.fetchall()]


@dataclass(frozen=True, slots=True)
class PriceChange:
    part_id: int
    price: Decimal
    previous: Decimal | None
    floor: Decimal | None
    ceiling: Decimal | None
    reason: str


async def apply_prices(
    conn: AsyncConnection[Any], changes: Sequence[PriceChange], event_id: int | None
) -> list[int]:
    """Store new prices and their history in one statement; returns the parts changed
    (a part whose price is no longer `previous` is left as it is)."""
    if not changes:
        return []
    params = {
        "ids": [c.part_id for c in changes],
        "prices": [c.price for c in changes],
        "previous": [c.previous for c in changes],
        "floors": [c.floor for c in changes],
        "ceilings": [c.ceiling for c in changes],
        "reasons": [c.reason for c in changes],
        "event": event_id,
        "lo": min(c.part_id for c in changes),
        "hi": max(c.part_id for c in changes),
    }
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(APPLY_PRICES, params)
        return [int(r[0]) for r in await cur.fetchall()]


async def lock_price(conn: AsyncConnection[Any], part_id: int) -> Decimal | None:
    """The part's price, locked until the transaction ends."""
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(LOCK_PRICE, {"id": part_id})
        row = await cur.fetchone()
    if row is None:
        raise NotFoundError("part", part_id)
    value: Decimal | None = row[0]
    return value


@dataclass(frozen=True)
class PriceCard:
    """What an operator sees about a part's price."""

    part: dict[str, Any]
    quote: PriceQuote | None
    facts: PriceFacts | None
    competitors: list[dict[str, Any]]
    history: list[dict[str, Any]]


async def price_card(
    conn: AsyncConnection[Any], part_id: int, rules: PricingRules, *, history: int = 50
) -> PriceCard:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_PART, {"id": part_id})
        part = await cur.fetchone()
        if part is None:
            raise NotFoundError("part", part_id)
        await cur.execute(SELECT_COMPETITORS, {"id": part_id})
        competitors = await cur.fetchall()
        await cur.execute(SELECT_HISTORY, {"id": part_id, "limit": history})
        rows = await cur.fetchall()
    found = await price_facts(conn, [part_id], rules)
    facts = found[0] if found else None
    return PriceCard(
        part=part,
        quote=quote(facts, rules) if facts is not None else None,
        facts=facts,
        competitors=competitors,
        history=rows,
    )
