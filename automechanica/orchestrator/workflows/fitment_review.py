"""The fitment step: the Fitment agent weighs each part's fitment rows (vehicle exists,
sources agree or contradict, wrong-fit history), and its confidence, status and
explanation are written back in the step's transaction. A part whose rows it holds is
recorded as a `held` event with the problems, so an operator finds it in the timeline;
the rows themselves wait as `pending_review` (never shown to shoppers) until a person
publishes or fixes them.

A part with a problem or a wrong-fit history also recalls the similar past cases of
that kind a person settled from vector memory (`agents.fitment_recall`, when the step
has an embedder: the real local model offline), which join its evidence, explanation
and, bounded, its confidence.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from automechanica.agents.fitment import AGENT, DECISION_TYPE, FitmentAgent
from automechanica.agents.fitment_recall import CORRECTION, PUBLISH, recall_similar
from automechanica.catalog.fitment_facts import PartFitmentFacts, fitment_facts, store_verdicts
from automechanica.db.connection import open_pool
from automechanica.memory import Memory, PgVectorStore
from automechanica.orchestrator.definitions import StepContext
from automechanica.orchestrator.events import AgentEvent, record_event
from automechanica.orchestrator.policies import get_policy


async def fitment_batch(ctx: StepContext, part_ids: list[int]) -> dict[str, int]:
    """Assess one batch of parts; returns rows assessed, held and parts with problems."""
    policy = await get_policy(ctx.conn, DECISION_TYPE)
    agent = FitmentAgent(policy.threshold)
    facts = await fitment_facts(ctx.conn, part_ids)
    verdicts = []
    flagged = recalled = 0
    async with AsyncExitStack() as stack:
        memory: Memory | None = None
        for part_id, part in facts.items():
            decision = agent.assess(part)
            troubled = decision.output.problems or _wrong_fits(part)
            if troubled and _recalls(ctx):
                if memory is None:
                    memory = await _memory(ctx, stack)
                kind = PUBLISH if decision.output.problems else CORRECTION
                problem = "; ".join(troubled[:3])[:1000]
                past = await recall_similar(
                    memory, ctx.conn, problem, decision_types=(kind,), k=RECALLED
                )
                if past:
                    recalled += 1
                    decision = agent.assess(part, past)
            verdicts += decision.output.rows
            if not decision.output.problems:
                continue
            flagged += 1
            await record_event(
                ctx.conn,
                AgentEvent(
                    agent=AGENT,
                    decision_type=DECISION_TYPE,
                    outcome="held",
                    workflow_id=ctx.workflow_id,
                    task_id=ctx.task_id,
                    step_key=ctx.step_key,
                    subject_kind="part",
                    subject_id=str(part_id),
                    output={"problems": decision.output.problems[:20]},
                    confidence=decision.confidence,
                    rationale=decision.rationale,
                    evidence=[e.model_dump() for e in decision.evidence[:20]],
                ),
            )
    await store_verdicts(ctx.conn, verdicts)
    return {
        "fitment_rows_assessed": len(verdicts),
        "fitment_rows_held": sum(v.status != "published" for v in verdicts),
        "parts_with_fitment_problems": flagged,
        "parts_with_past_cases": recalled,
    }


def _wrong_fits(part: PartFitmentFacts) -> list[str]:
    """What a part's wrong-fit history says, in the words the triage's decisions use."""
    named = (
        f"wrong-fit return on the {r['year']} {r['make']} {r['model']}: it did not fit"
        for r in part.rows
        if part.wrong_fits.get(r["base_vehicle_id"])
    )
    return list(dict.fromkeys(named))


#: Similar past cases recalled per part with a problem.
RECALLED = 3


def _recalls(ctx: StepContext) -> bool:
    """Memory is asked only when the step has an embedder (and a database to search)."""
    services = ctx.services
    return getattr(services, "embedder", None) is not None and bool(
        getattr(services, "database_url", None)
    )


async def _memory(ctx: StepContext, stack: AsyncExitStack) -> Memory:
    """Vector memory over the store's database (pgvector), for this batch only."""
    pool = await open_pool(ctx.services.database_url, min_size=1, max_size=2)
    stack.push_async_callback(pool.close)
    return Memory(pool, ctx.services.embedder, PgVectorStore(pool))
