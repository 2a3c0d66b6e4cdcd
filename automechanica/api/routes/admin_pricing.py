"""Console endpoint for prices: a part's current price, the floor and ceiling the rule
sets today, the competitors seen, and every change with its reason.

Included by the app under the operator dependency (costs are shown).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path
from pydantic import BaseModel

from automechanica.agents.pricing import DECISION
from automechanica.api.access import OperatorRoute
from automechanica.api.deps import Conn
from automechanica.commerce.pricing import price_card
from automechanica.orchestrator import get_policy
from automechanica.orchestrator.workflows.pricing import pricing_rules

router = APIRouter(prefix="/api/admin/pricing", tags=["admin: pricing"], route_class=OperatorRoute)
PartId = Annotated[int, Path(ge=1, le=2**63 - 1)]
NO_PART: dict[int | str, dict[str, Any]] = {404: {"description": "no such part"}}


class CompetitorPrice(BaseModel):
    competitor: str
    price: Decimal
    seen_at: datetime
    source: str | None


class PriceChange(BaseModel):
    id: int
    price: Decimal
    previous_price: Decimal | None
    reason: str | None
    floor: Decimal | None
    ceiling: Decimal | None
    event_id: int | None
    agent: str | None
    workflow_id: UUID | None
    created_at: datetime


class RuleQuote(BaseModel):
    """What the rule would price the part at now, and why."""

    price: Decimal | None
    basis: str
    reason: str


class PartPricing(BaseModel):
    part_id: int
    brand: str
    part_number: str
    title: str
    price: Decimal | None
    floor: Decimal | None
    ceiling: Decimal | None
    cost: Decimal | None
    map_price: Decimal | None
    msrp: Decimal | None
    rule: RuleQuote | None
    competitors: list[CompetitorPrice]
    history: list[PriceChange]


@router.get("/parts/{part_id}", responses=NO_PART)
async def part_pricing(conn: Conn, part_id: PartId) -> PartPricing:
    """A part's price, floor, ceiling, competitors and price history (newest first)."""
    rules = pricing_rules(await get_policy(conn, DECISION))
    card = await price_card(conn, part_id, rules)
    q, facts = card.quote, card.facts
    return PartPricing(
        part_id=card.part["id"],
        brand=card.part["brand"],
        part_number=card.part["part_number"],
        title=card.part["title"],
        price=card.part["price"],
        floor=q.floor if q else None,
        ceiling=q.ceiling if q else None,
        cost=facts.cost if facts else None,
        map_price=facts.map_price if facts else None,
        msrp=facts.msrp if facts else None,
        rule=RuleQuote(price=q.price, basis=q.basis, reason=q.reason) if q else None,
        competitors=[CompetitorPrice.model_validate(c) for c in card.competitors],
        history=[PriceChange.model_validate(h) for h in card.history],
    )
