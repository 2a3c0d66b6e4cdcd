"""Pricing: a selling price per part from its offers and the competitor feed.

Deterministic first: `commerce.pricing.quote` applies the rule (the lowest
competitor less a step, clamped between floor and ceiling) and says why. Its
confidence is 1.0, except when the floor is above the ceiling (the floor wins,
but a person should see it: 0.5). With a router, a model may *propose* a price
and a rationale through its one tool, `propose_price`; the proposal is only
that — the orchestrator checks it against the policy's floor, MAP and the
ceiling and uses it only when it passes. Any other tool a model asks for is
refused and reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from automechanica.agents.base import AgentTool, Decision, Evidence, ModelUse, Toolbox, as_data
from automechanica.commerce.pricing import PriceFacts, PriceQuote, PricingRules, quote
from automechanica.llm import Router
from automechanica.llm.types import LLMRequest, Message

AGENT = "Pricing"
DECISION = "pricing.price"
RULE_CONFIDENCE = 1.0
FLOOR_OVER_CEILING_CONFIDENCE = 0.5
MODEL_CONFIDENCE = 0.85


class PriceProposal(BaseModel):
    """A model's suggested price for one part, with its reasoning."""

    price: Decimal = Field(description="the selling price in US dollars")
    rationale: str = Field(max_length=500)


def confidence_of(q: PriceQuote) -> float:
    return FLOOR_OVER_CEILING_CONFIDENCE if q.basis == "floor_over_ceiling" else RULE_CONFIDENCE


def evidence_of(facts: PriceFacts) -> list[Evidence]:
    found = [
        Evidence(kind="offer", ref=f"part:{facts.part_id}", detail=f"{name} {value}")
        for name, value in (
            ("cost", facts.cost),
            ("MAP", facts.map_price),
            ("MSRP", facts.msrp),
            ("jobber", facts.jobber),
        )
        if value is not None
    ]
    if facts.competitor_price is not None:
        found.append(
            Evidence(
                kind="competitor_price",
                ref=str(facts.competitor),
                detail=f"{facts.competitor_price} (lowest of {facts.competitors})",
            )
        )
    return found


class PricingAgent:
    """Quotes prices by the rule; asks a model only for a proposal to be checked."""

    name = AGENT

    def __init__(self, rules: PricingRules, router: Router | None = None) -> None:
        self.rules = rules
        self.router = router

    def quote_all(self, facts: Sequence[PriceFacts]) -> list[PriceQuote]:
        return [quote(f, self.rules) for f in facts]

    def decision(self, facts: PriceFacts, q: PriceQuote) -> Decision[dict[str, Any]]:
        """The rule's answer for one part, as a decision the orchestrator records."""
        return Decision(
            decision_type=DECISION,
            output={**q.to_json(), "previous_price": _text(facts.current)},
            confidence=confidence_of(q),
            rationale=q.reason,
            evidence=evidence_of(facts),
        )

    async def propose(
        self, facts: PriceFacts, q: PriceQuote, *, workflow_id: Any = None
    ) -> Decision[PriceProposal | None]:
        """Ask the model for a price; the answer is a proposal, never a stored price."""
        assert self.router is not None
        proposed: list[PriceProposal] = []

        async def take(proposal: PriceProposal) -> str:
            proposed.append(proposal)
            return "received"

        tools = Toolbox(
            AGENT,
            {
                "propose_price": AgentTool(
                    "propose_price",
                    "Propose the part's selling price and say why.",
                    PriceProposal,
                    take,
                )
            },
        )
        data = {
            "cost": _text(facts.cost),
            "map_price": _text(facts.map_price),
            "msrp": _text(facts.msrp),
            "current_price": _text(facts.current),
            "lowest_competitor_price": _text(facts.competitor_price),
            "competitors": facts.competitors,
            "rule_price": _text(q.price),
            "floor": _text(q.floor),
            "ceiling": _text(q.ceiling),
        }
        request = LLMRequest(
            task_kind="pricing",
            complexity="low",
            agent=AGENT,
            workflow_id=workflow_id,
            tools=tools.specs,
            messages=(
                Message(
                    role="system",
                    content="You set selling prices for an auto-parts store. Never go below "
                    "the floor (cost plus margin, and MAP) or above the ceiling. Answer by "
                    "calling propose_price once.",
                ),
                Message(role="user", content=as_data("part pricing data", data)),
            ),
        )
        response = await self.router.complete(request)
        for call in response.tool_calls:
            await tools.call(call)
        proposal = proposed[0] if proposed else None
        return Decision(
            decision_type=DECISION,
            output=proposal,
            confidence=MODEL_CONFIDENCE if proposal else 0.0,
            rationale=proposal.rationale if proposal else "the model proposed no price",
            evidence=evidence_of(facts),
            model=ModelUse.of(response),
            refused=tools.refused,
        )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
