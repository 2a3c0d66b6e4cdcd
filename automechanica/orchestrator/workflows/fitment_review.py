"""The fitment step: the Fitment agent weighs each part's fitment rows (vehicle exists,
sources agree or contradict, wrong-fit history), and its confidence, status and
explanation are written back in the step's transaction. A part whose rows it holds is
recorded as a `held` event with the problems, so an operator finds it in the timeline;
the rows themselves wait as `pending_review` (never shown to shoppers) until a person
publishes or fixes them.
"""

from __future__ import annotations

from automechanica.agents.fitment import AGENT, DECISION_TYPE, FitmentAgent
from automechanica.catalog.fitment_facts import fitment_facts, store_verdicts
from automechanica.orchestrator.definitions import StepContext
from automechanica.orchestrator.events import AgentEvent, record_event
from automechanica.orchestrator.policies import get_policy


async def fitment_batch(ctx: StepContext, part_ids: list[int]) -> dict[str, int]:
    """Assess one batch of parts; returns rows assessed, held and parts with problems."""
    policy = await get_policy(ctx.conn, DECISION_TYPE)
    agent = FitmentAgent(policy.threshold)
    facts = await fitment_facts(ctx.conn, part_ids)
    verdicts = []
    flagged = 0
    for part_id, part in facts.items():
        decision = agent.assess(part)
        verdicts += decision.output.rows
        if decision.output.problems:
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
    }
