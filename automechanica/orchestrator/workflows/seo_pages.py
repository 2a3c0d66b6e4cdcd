"""The SEO step: each part's search title and meta description by the SEO agent, the
wording checked by the content policy, the result settled by the `seo.page` policy.

`seo_batch` is a fan-out batch (the onboarding workflow runs it over a feed's parts);
`seo_build` runs it over every active part (or the ones named), for stores whose
parts came before the agent did (`automechanica seo build`).

    check_input -> seo (fan-out over parts, 500 per batch)

A model's wording is used only when nothing is wrong with it (markup, links, a number
the data does not hold, a title or description too long); else the template's is
kept and the refusal recorded as a `content.text` event. The template's own text is
judged by the same limits: a part whose data yields a bad snippet is rejected and
nothing is stored (the page is then served with the template written at request
time, escaped).
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import tuple_row
from pydantic import BaseModel, ConfigDict, Field

from automechanica.agents.seo import (
    AGENT,
    DECISION,
    META_MAX,
    TITLE_MAX,
    SeoAgent,
    SeoPage,
    SeoText,
)
from automechanica.catalog.seo_facts import SeoFacts, seo_facts, store_seo
from automechanica.catalog.structured_data import VEHICLE_CAP
from automechanica.orchestrator.decisions import settle_decision
from automechanica.orchestrator.definitions import FanOut, Step, StepContext, Workflow
from automechanica.orchestrator.events import AgentEvent, record_event
from automechanica.orchestrator.policies import Policy, get_policy, seed_file, text_problems
from automechanica.orchestrator.workflows.steps import input_check, sum_counts

NAME = "seo_build"
BATCH_SIZE = 500
CONTENT = "content.text"
PUBLISH = "fitment.publish"

SELECT_PARTS = """
SELECT id FROM parts
WHERE status = 'active' AND (%(ids)s::bigint[] IS NULL OR id = ANY(%(ids)s::bigint[]))
ORDER BY id
"""


@cache
def fallback_threshold() -> float:
    """The seed file's publish threshold, for a store whose policy table lacks it."""
    return seed_file()[PUBLISH].threshold


def seo_problems(text: SeoText, seo: Policy, content: Policy, grounding: str) -> list[str]:
    """The content policy's limits on both texts, and the snippet lengths of `seo.page`."""
    problems = text_problems(f"{text.title}\n{text.meta_description}", content.limits, grounding)
    title_max = int(seo.limits.get("title_max_chars", TITLE_MAX))
    meta_max = int(seo.limits.get("meta_description_max_chars", META_MAX))
    if len(text.title) > title_max:
        problems.append(f"the title is longer than {title_max} characters")
    if len(text.meta_description) > meta_max:
        problems.append(f"the meta description is longer than {meta_max} characters")
    if not text.title.strip() or not text.meta_description.strip():
        problems.append("the title or the meta description is empty")
    return problems


async def _checked_wording(
    ctx: StepContext, page: SeoPage, seo: Policy, content: Policy
) -> tuple[SeoPage, list[str]]:
    """The model's wording when the policy finds nothing wrong with it, else the template;
    and the problems of the text kept."""
    if page.generated is not None:
        problems = seo_problems(page.generated, seo, content, page.grounding)
        await record_event(
            ctx.conn,
            AgentEvent(
                agent=AGENT,
                decision_type=CONTENT,
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
        if not problems:
            return page.model_copy(update={"text": page.generated, "generated": None}), []
        page = page.model_copy(update={"generated": None})
    return page, seo_problems(page.text, seo, content, page.grounding)


def _apply(facts: dict[int, SeoFacts]) -> Any:
    async def store(conn: AsyncConnection[Any], value: Any) -> None:
        page = SeoPage.model_validate(value)
        await store_seo(
            conn,
            facts[page.part_id],
            slug=page.slug,
            seo_title=page.text.title,
            meta_description=page.text.meta_description,
        )

    return store


async def seo_batch(ctx: StepContext, part_ids: list[Any]) -> dict[str, int]:
    """Write, check and store the SEO snippet of each part in the batch."""
    # The offline model writes no better than the template: ask only a real one.
    router = ctx.services.router if getattr(ctx.services, "language_model", False) else None
    seo = await get_policy(ctx.conn, DECISION)
    content = await get_policy(ctx.conn, CONTENT)
    agent = SeoAgent(
        router,
        title_max=int(seo.limits.get("title_max_chars", TITLE_MAX)),
        meta_max=int(seo.limits.get("meta_description_max_chars", META_MAX)),
    )
    facts = await seo_facts(
        ctx.conn,
        [int(i) for i in part_ids],
        fallback_threshold=fallback_threshold(),
        vehicle_cap=VEHICLE_CAP,
    )
    by_id = {f.part_id: f for f in facts}
    counts: Counter[str] = Counter()
    for f in facts:
        decision = await agent.decide(f, workflow_id=ctx.workflow_id)
        page, problems = await _checked_wording(ctx, decision.output, seo, content)
        outcome = await settle_decision(
            ctx,
            AGENT,
            decision.model_copy(update={"output": page}),
            apply=_apply(by_id),
            subject=("part", str(f.part_id)),
            problems=problems,
            current={"seo_title": f.seo_title, "meta_description": f.meta_description},
            input_summary={"part_id": f.part_id, "vehicles": f.vehicle_total},
            policy=seo,
        )
        counts[outcome] += 1
    counts["missing"] += len(part_ids) - len(facts)
    return {k: v for k, v in counts.items() if v}


class BuildInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    part_ids: list[int] | None = Field(default=None, description="only these parts")


check_input = input_check(NAME, BuildInput, '{"part_ids": [1, 2]} (optional: every active part)')


async def parts_for_seo(ctx: StepContext) -> list[int]:
    given = BuildInput.model_validate(ctx.input)
    async with ctx.conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(SELECT_PARTS, {"ids": given.part_ids})
        return [int(r[0]) for r in await cur.fetchall()]


SEO_BUILD = Workflow(
    NAME,
    version=1,
    steps=(
        Step("check_input", check_input),
        FanOut("seo", parts_for_seo, seo_batch, BATCH_SIZE, combine=sum_counts),
    ),
    description="Every active part's search title, meta description and slug by the SEO agent.",
)
