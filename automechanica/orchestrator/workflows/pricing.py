"""`pricing_refresh`: every active part priced by the Pricing agent, in batches.

    check_input -> price (fan-out over parts, 2,000 per batch)

Per batch: one query reads the facts, the agent quotes each part, the policy
(`pricing.price`) judges each quote — never below cost × (1 + minimum margin),
never below MAP (`price_problems`), no move larger than `max_change_pct` from
the current price without a person, and a quote under the confidence threshold
(the floor above the ceiling) held too. Accepted changes are written in one
statement with their history, linked to one agent event for the batch; held
ones become `pricing.price` reviews (one per part, never two open at once),
applied on approval by `apply_reviewed_price`. First prices need no review but
still pass the floor. With `{"ask_model": true}` and a router, a model proposes
prices too; a proposal that breaks a limit (or the ceiling) is rejected and
recorded, and the rule's price is used (without an MSRP or jobber, the rule's
price is the highest a model may propose).
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import tuple_row
from pydantic import BaseModel, ConfigDict, Field

from automechanica.agents.pricing import AGENT, DECISION, PricingAgent, confidence_of
from automechanica.commerce.pricing import (
    PriceChange,
    PriceFacts,
    PriceQuote,
    PricingRules,
    apply_prices,
    lock_price,
    money,
    move_pct,
    price_facts,
)
from automechanica.errors import InvalidInputError
from automechanica.orchestrator.decisions import record_refusals
from automechanica.orchestrator.definitions import (
    FanOut,
    ReviewRequest,
    Step,
    StepContext,
    Workflow,
)
from automechanica.orchestrator.events import AgentEvent, record_event
from automechanica.orchestrator.policies import Policy, get_policy, judge, price_problems
from automechanica.orchestrator.reviews import Review, open_review
from automechanica.orchestrator.workflows.steps import input_check, sum_counts

NAME = "pricing_refresh"
BATCH_SIZE = 2000
MODEL_LIMIT = 25  # proposals asked of a model per batch, at most

SELECT_PARTS = """
SELECT p.id FROM parts p
WHERE p.status = 'active' AND EXISTS (SELECT 1 FROM supplier_parts sp WHERE sp.part_id = p.id)
  AND (%(ids)s::bigint[] IS NULL OR p.id = ANY(%(ids)s::bigint[]))
ORDER BY p.id
"""
SELECT_IN_REVIEW = """
SELECT subject_id::bigint FROM reviews
WHERE kind = 'pricing.price' AND status = 'open' AND subject_kind = 'part'
  AND subject_id = ANY(%(ids)s::text[])
"""


class RefreshInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    part_ids: list[int] | None = Field(default=None, description="only these parts")
    ask_model: bool = Field(default=False, description="let a model propose prices too")


check_input = input_check(
    "pricing_refresh", RefreshInput, '{"part_ids": [1, 2], "ask_model": false} (both optional)'
)


async def parts_to_price(ctx: StepContext) -> list[int]:
    given = RefreshInput.model_validate(ctx.input)
    async with ctx.conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(SELECT_PARTS, {"ids": given.part_ids})
        return [int(r[0]) for r in await cur.fetchall()]


def pricing_rules(policy: Policy) -> PricingRules:
    return PricingRules.from_limits(policy.limits)


def problems_of(price: Decimal, facts: PriceFacts, policy: Policy) -> list[str]:
    """The policy's hard limits on a price (the floor: margin over cost, MAP)."""
    return price_problems(price, cost=facts.cost, map_price=facts.map_price, limits=policy.limits)


def move_problem(facts: PriceFacts, price: Decimal, policy: Policy) -> str | None:
    """Why a move needs a person: larger than the policy's percentage (not for a first price)."""
    moved = move_pct(facts.current, price)
    limit = Decimal(str(policy.limits.get("max_change_pct", 20)))
    if moved is None or moved <= limit:
        return None
    return (
        f"a move of {moved:.1f}% from {money(facts.current)} to {money(price)} is more than "
        f"the {limit}% a price may change without a person"
    )


async def price_batch(ctx: StepContext, part_ids: list[Any]) -> dict[str, int]:
    """Quote, judge and store a batch of parts' prices (set-based: one read, one write)."""
    given = RefreshInput.model_validate(ctx.input)
    policy = await get_policy(ctx.conn, DECISION)
    rules = pricing_rules(policy)
    router = ctx.services.router if ctx.services is not None else None
    agent = PricingAgent(rules, router if given.ask_model else None)
    facts = await price_facts(ctx.conn, [int(i) for i in part_ids], rules)
    quotes = agent.quote_all(facts)
    in_review = await _in_review(ctx.conn, [f.part_id for f in facts])
    counts: Counter[str] = Counter()
    accepted: list[PriceChange] = []
    asked = 0
    for f, q in zip(facts, quotes, strict=True):
        if q.price is None:
            counts["no_offer"] += 1
            continue
        model = None  # the model whose proposal this quote now carries
        if agent.router is not None and asked < MODEL_LIMIT:
            asked += 1
            q, model = await _with_proposal(ctx, agent, policy, f, q)
        price = q.price
        assert price is not None  # a part with an offer always gets a quote
        problems = problems_of(price, f, policy)
        verdict = judge(policy, confidence_of(q), problems)
        if verdict.outcome == "reject":  # the rule never quotes under its floor: data changed
            counts["rejected"] += 1
            await _record(ctx, agent, f, q, "rejected", verdict.reasons)
            continue
        if f.current == price:
            counts["unchanged"] += 1
            continue
        if f.part_id in in_review:
            counts["already_in_review"] += 1
            continue
        held = list(verdict.reasons)
        if q.basis == "floor_over_ceiling":
            held.append(
                f"the floor {money(q.floor)} is above the ceiling {money(q.ceiling)}: the "
                "floor wins, a person confirms"
            )
        if (why := move_problem(f, price, policy)) is not None:
            held.append(why)
        if held:
            counts["held"] += 1
            await _hold(ctx, agent, f, q, held, model)
            continue
        counts["first_price" if f.current is None else "changed"] += 1
        change = PriceChange(f.part_id, price, f.current, q.floor, q.ceiling, q.reason)
        if model is not None:  # its own event, naming the model, for its history row
            event_id = await _record(ctx, agent, f, q, "accepted", [], model=model)
            stored = await apply_prices(ctx.conn, [change], event_id)
            counts["changed_meanwhile"] += 1 - len(stored)
            continue
        accepted.append(change)
    if accepted:
        event_id = await _batch_event(ctx, counts, len(facts), policy)
        stored = await apply_prices(ctx.conn, accepted, event_id)
        counts["changed_meanwhile"] += len(accepted) - len(stored)
    return {k: v for k, v in counts.items() if v}


async def _in_review(conn: AsyncConnection[Any], part_ids: list[int]) -> set[int]:
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(SELECT_IN_REVIEW, {"ids": [str(i) for i in part_ids]})
        return {int(r[0]) for r in await cur.fetchall()}


async def _batch_event(ctx: StepContext, counts: Counter[str], parts: int, policy: Policy) -> int:
    """One event for the batch's accepted prices: every history row links to it."""
    changed = counts["changed"] + counts["first_price"]
    return await record_event(
        ctx.conn,
        AgentEvent(
            agent=AGENT,
            decision_type=DECISION,
            outcome="accepted",
            workflow_id=ctx.workflow_id,
            task_id=ctx.task_id,
            step_key=ctx.step_key,
            subject_kind="price_batch",
            subject_id=f"{ctx.workflow_id}:{ctx.batch}",
            input={"parts": parts, "policy_version": policy.version, "limits": policy.limits},
            output=dict(counts),
            confidence=1.0,
            rationale=f"{changed} of {parts} parts priced by the rule within floor and ceiling "
            "(each part's reason is in its price history).",
        ),
    )


async def _record(
    ctx: StepContext,
    agent: PricingAgent,
    facts: PriceFacts,
    q: PriceQuote,
    outcome: Any,
    reasons: list[str],
    model: str | None = None,
) -> int:
    decision = agent.decision(facts, q)
    return await record_event(
        ctx.conn,
        AgentEvent(
            agent=AGENT,
            decision_type=DECISION,
            outcome=outcome,
            workflow_id=ctx.workflow_id,
            task_id=ctx.task_id,
            step_key=ctx.step_key,
            subject_kind="part",
            subject_id=str(facts.part_id),
            input={"current": str(facts.current) if facts.current is not None else None},
            output=decision.output,
            confidence=decision.confidence,
            rationale=decision.rationale
            + (" Policy: " + "; ".join(reasons) + "." if reasons else ""),
            evidence=[e.model_dump() for e in decision.evidence],
            model_used=model,
        ),
    )


async def _hold(
    ctx: StepContext,
    agent: PricingAgent,
    facts: PriceFacts,
    q: PriceQuote,
    reasons: list[str],
    model: str | None = None,
) -> None:
    decision = agent.decision(facts, q)
    event_id = await _record(ctx, agent, facts, q, "held", reasons, model=model)
    await open_review(
        ctx.conn,
        ReviewRequest(
            kind=DECISION,
            reason="; ".join(reasons),
            proposed=decision.output,
            current={"price": str(facts.current) if facts.current is not None else None},
            agent=AGENT,
            confidence=decision.confidence,
            rationale=decision.rationale,
            evidence=[e.model_dump() for e in decision.evidence],
            subject_kind="part",
            subject_id=str(facts.part_id),
            event_id=event_id,
        ),
        workflow_id=ctx.workflow_id,
    )


async def _with_proposal(
    ctx: StepContext, agent: PricingAgent, policy: Policy, facts: PriceFacts, q: PriceQuote
) -> tuple[PriceQuote, str | None]:
    """A model's proposal replaces the rule's price only when the policy finds nothing
    wrong with it (then the model's name comes back too); otherwise it is recorded as
    rejected and the rule's price stands."""
    decision = await agent.propose(facts, q, workflow_id=ctx.workflow_id)
    await record_refusals(ctx, AGENT, decision, ("part", str(facts.part_id)))
    proposal = decision.output
    if proposal is None:
        return q, None
    price = proposal.price
    problems = problems_of(price, facts, policy)
    if price != price.quantize(Decimal("0.01")):
        problems.append(f"the price {price} is not in whole cents")
    # Without an MSRP or jobber, the rule's own price is as high as a model may go.
    top = q.ceiling if q.ceiling is not None else q.price
    if top is not None and q.floor is not None and q.floor <= top < price:
        problems.append(f"the price {price} is above the ceiling {top}")
    model = decision.model.model if decision.model else None
    if problems:
        rejected = PriceQuote(
            q.part_id, price, q.floor, q.ceiling, "model", f"model proposal: {proposal.rationale}"
        )
        await _record(
            ctx,
            agent,
            facts,
            rejected,
            "rejected",
            [*problems, f"the rule's price {money(q.price)} is used instead"],
            model=model,
        )
        return q, None
    used = PriceQuote(
        q.part_id,
        price,
        q.floor,
        q.ceiling,
        "model",
        f"model proposal ({model}): {proposal.rationale}; checked within {money(q.floor)} floor"
        + (f" and {money(q.ceiling)} ceiling" if q.ceiling is not None else ""),
    )
    return used, model or "unknown model"


# -- a person's decision -------------------------------------------------------------------


async def apply_reviewed_price(conn: AsyncConnection[Any], review: Review, value: Any) -> None:
    """A person approved (or edited) a held price: stored if it still passes the floor
    and MAP as the offers stand now; otherwise the approval is refused, nothing stored."""
    proposed = dict(review.proposed or {})
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        value = {"price": value}  # an edit may give the price alone
    final = {**proposed, **value} if isinstance(value, dict) else proposed
    part_id = int(final.get("part_id") or review.subject_id or 0)
    try:
        price = Decimal(str(final.get("price"))).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise InvalidInputError(
            f"Review {review.id}: price {final.get('price')!r} is not an amount; "
            'edit with a value such as {"price": "49.99"}.'
        ) from None
    policy = await get_policy(conn, DECISION)
    rules = pricing_rules(policy)
    current = await lock_price(conn, part_id)
    (facts,) = await price_facts(conn, [part_id], rules) or [PriceFacts(part_id, current, None)]
    problems = problems_of(price, facts, policy)
    if problems:
        raise InvalidInputError(
            f"Review {review.id} cannot be applied: {'; '.join(problems)}. "
            "Edit the price to at least the floor, or reject the review."
        )
    edited = isinstance(value, dict) and str(value.get("price", price)) != str(
        proposed.get("price")
    )
    who = "edited by a person" if edited else "approved by a person"
    reason = f"{who} (review {review.id}): {final.get('reason') or review.reason}"
    change = PriceChange(
        part_id,
        price,
        current,
        _decimal(final.get("floor")),
        _decimal(final.get("ceiling")),
        reason,
    )
    await apply_prices(conn, [change], review.event_id)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


PRICING_REFRESH = Workflow(
    NAME,
    version=1,
    steps=(
        Step("check_input", check_input),
        FanOut("price", parts_to_price, price_batch, BATCH_SIZE, combine=sum_counts),
    ),
    description="Every active part's price by the Pricing agent, judged by pricing.price.",
)
