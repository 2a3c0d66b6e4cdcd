"""The product-data step: a canonical page per part, its text checked by the content
policy, attribute conflicts held for a person (approving stores the page)."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from automechanica.agents.product_data import DECISION, ProductDataAgent, ProductPage
from automechanica.catalog.products import product_facts, store_attributes, store_product_page
from automechanica.orchestrator.decisions import settle_decision
from automechanica.orchestrator.definitions import StepContext
from automechanica.orchestrator.events import AgentEvent, record_event
from automechanica.orchestrator.policies import get_policy, text_problems
from automechanica.orchestrator.reviews import Review

AGENT = "ProductData"


async def store_page(conn: AsyncConnection[Any], value: Any) -> None:
    page = ProductPage.model_validate(value)
    await store_attributes(conn, page.part_id, page.specs)
    await store_product_page(
        conn,
        page.part_id,
        slug=page.slug,
        title=page.text.title,
        description=page.text.description,
        bullets=page.text.bullets,
        specs=page.specs,
        conflicts=[c.model_dump(mode="json") for c in page.conflicts],
        model_used=None,
    )


async def apply_reviewed_page(conn: AsyncConnection[Any], review: Review, value: Any) -> None:
    """A person approved (or edited) a page whose suppliers disagreed."""
    await store_page(conn, value)


async def _checked_wording(ctx: StepContext, page: ProductPage) -> ProductPage:
    """Use the model's wording only when the content policy finds nothing wrong with it."""
    if page.generated is None:
        return page
    policy = await get_policy(ctx.conn, "content.text")
    text = "\n".join([page.generated.title, page.generated.description, *page.generated.bullets])
    problems = text_problems(text, policy.limits, page.grounding)
    await record_event(
        ctx.conn,
        AgentEvent(
            agent=AGENT,
            decision_type="content.text",
            outcome="rejected" if problems else "accepted",
            workflow_id=ctx.workflow_id,
            task_id=ctx.task_id,
            step_key=ctx.step_key,
            subject_kind="part",
            subject_id=str(page.part_id),
            output=page.generated.model_dump(),
            rationale="; ".join(problems) if problems else "The wording keeps to the data.",
        ),
    )
    if problems:
        return page.model_copy(update={"generated": None})
    return page.model_copy(update={"text": page.generated, "generated": None})


async def product_data_batch(ctx: StepContext, part_ids: list[Any]) -> dict[str, int]:
    # The offline model writes no better than the data does: ask only a real one.
    router = ctx.services.router if getattr(ctx.services, "language_model", False) else None
    agent = ProductDataAgent(router)
    counts = {"accepted": 0, "held": 0, "rejected": 0}
    policy = await get_policy(ctx.conn, DECISION)
    for facts in await product_facts(ctx.conn, [int(i) for i in part_ids]):
        decision = await agent.decide(facts, workflow_id=ctx.workflow_id)
        decision = decision.model_copy(
            update={"output": await _checked_wording(ctx, decision.output)}
        )
        outcome = await settle_decision(
            ctx,
            AGENT,
            decision,
            apply=store_page,
            subject=("part", str(facts.part_id)),
            current={"attributes": facts.attributes},
            input_summary={"part_id": facts.part_id, "offers": len(facts.offers)},
            policy=policy,
        )
        counts[outcome] += 1
    return counts
