"""Selection: the ordered chain of models a request may go to.

A model qualifies when its provider is configured, it has every capability the
request needs, the prompt fits its context window, its worst-case cost is under
the request's `max_cost_usd`, and its tier is at least the request's complexity.
Qualifying models come cheapest first (unpriced ones last: their cost cannot be
compared). Lower tiers follow, but only for budget pressure: an outage never
hands a hard task to a weaker model. The offline provider closes every chain.
Health and budgets are checked by the router at the moment of each attempt.
"""

from __future__ import annotations

import json
from collections.abc import Container
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from automechanica.llm.catalog import Catalog, ModelSpec
from automechanica.llm.errors import NoModelError
from automechanica.llm.types import TIERS, LLMRequest

CHARS_PER_TOKEN = 4  # a rough count, erring high for code and numbers
TOKENS_PER_MESSAGE = 4


@dataclass(frozen=True)
class Candidate:
    """A model in the chain, with the most one call to it could cost."""

    model: ModelSpec
    worst_cost: Decimal | None
    budget_only: bool = False  # a lower tier: tried only once a budget ruled out the others
    offline: bool = False


def estimate_prompt_tokens(request: LLMRequest, schema: dict[str, Any] | None) -> int:
    """Tokens the prompt will take, estimated without a tokenizer."""
    chars = sum(len(m.content) for m in request.messages)
    if schema is not None:
        chars += len(json.dumps(schema))
    for tool in request.tools:
        chars += len(tool.name) + len(tool.description) + len(json.dumps(tool.parameters))
    return chars // CHARS_PER_TOKEN + TOKENS_PER_MESSAGE * len(request.messages)


def plan(
    catalog: Catalog,
    request: LLMRequest,
    *,
    configured: Container[str],
    prompt_tokens: int,
) -> list[Candidate]:
    """The fallback chain for `request` over the models of `configured` providers."""
    needed = request.required_capabilities()
    floor = TIERS.index(request.complexity)
    qualifying: list[Candidate] = []
    weaker: list[Candidate] = []
    offline: list[Candidate] = []
    reasons: list[str] = []
    for model in catalog:
        if model.provider not in configured:
            continue
        if catalog.provider_kind(model) == "offline":
            offline.append(Candidate(model, Decimal(0), offline=True))
            continue
        if not needed <= model.capabilities:
            reasons.append(f"{model.name} lacks {', '.join(sorted(needed - model.capabilities))}")
            continue
        output = min(request.max_tokens, model.max_output_tokens)
        if prompt_tokens + output > model.context_window:
            reasons.append(f"{model.name}: ~{prompt_tokens} prompt tokens exceed its window")
            continue
        worst = model.worst_case_cost(prompt_tokens, request.max_tokens)
        if request.max_cost_usd is not None and (worst is None or worst > request.max_cost_usd):
            reasons.append(f"{model.name} could cost more than ${request.max_cost_usd}")
            continue
        candidate = Candidate(model, worst)
        if model.tier_rank >= floor:
            qualifying.append(candidate)
        else:
            weaker.append(Candidate(model, worst, budget_only=True))
    qualifying.sort(key=_cheapest_first)
    weaker.sort(key=lambda c: (-c.model.tier_rank, *_cheapest_first(c)))
    chain = qualifying + weaker + offline
    if not chain:
        raise NoModelError("; ".join(reasons) or "no provider is configured")
    return chain


def _cheapest_first(candidate: Candidate) -> tuple[bool, Decimal, int, str]:
    cost = candidate.worst_cost
    return (cost is None, cost or Decimal(0), candidate.model.tier_rank, candidate.model.name)
