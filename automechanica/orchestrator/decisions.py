"""Where an agent's decision meets policy: accept and apply, hold for a person, or reject
— and every outcome, and every tool call a model was refused, recorded as an event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from psycopg import AsyncConnection

from automechanica.agents.base import Decision
from automechanica.orchestrator.definitions import ReviewRequest, StepContext
from automechanica.orchestrator.events import AgentEvent, record_event
from automechanica.orchestrator.policies import Policy, get_policy, judge
from automechanica.orchestrator.reviews import open_review

Outcome = Literal["accepted", "held", "rejected"]
OUTCOMES: dict[str, Outcome] = {"accept": "accepted", "hold": "held", "reject": "rejected"}


async def settle_decision(
    ctx: StepContext,
    agent: str,
    decision: Decision[Any],
    *,
    apply: Callable[[AsyncConnection[Any], Any], Awaitable[None]],
    subject: tuple[str, str] | None = None,
    problems: list[str] | None = None,
    current: Any = None,
    input_summary: dict[str, Any] | None = None,
    policy: Policy | None = None,
) -> Outcome:
    """Judge `decision` by its policy (read here unless a batch passes it in); apply it,
    hold it as an item review, or drop it."""
    policy = policy or await get_policy(ctx.conn, decision.decision_type)
    verdict = judge(policy, decision.confidence, problems)
    outcome = OUTCOMES[verdict.outcome]
    output = (
        decision.output.model_dump(mode="json")
        if hasattr(decision.output, "model_dump")
        else decision.output
    )
    rationale = decision.rationale
    if verdict.reasons:
        rationale += " Policy: " + "; ".join(verdict.reasons) + "."
    model = decision.model
    event_id = await record_event(
        ctx.conn,
        AgentEvent(
            agent=agent,
            decision_type=decision.decision_type,
            outcome=outcome,
            workflow_id=ctx.workflow_id,
            task_id=ctx.task_id,
            step_key=ctx.step_key,
            subject_kind=subject[0] if subject else None,
            subject_id=subject[1] if subject else None,
            input=input_summary or {},
            output=output,
            confidence=decision.confidence,
            rationale=rationale,
            evidence=[e.model_dump() for e in decision.evidence],
            model_used=model.model if model else None,
            tokens_in=model.tokens_in if model else None,
            tokens_out=model.tokens_out if model else None,
            cost_usd=model.cost_usd if model else None,
            latency_ms=model.latency_ms if model else None,
        ),
    )
    await record_refusals(ctx, agent, decision, subject)
    if outcome == "accepted":
        await apply(ctx.conn, output)
    elif outcome == "held":
        await open_review(
            ctx.conn,
            ReviewRequest(
                kind=decision.decision_type,
                reason="; ".join(verdict.reasons),
                proposed=output,
                current=current,
                agent=agent,
                confidence=decision.confidence,
                rationale=decision.rationale,
                evidence=[e.model_dump() for e in decision.evidence],
                subject_kind=subject[0] if subject else None,
                subject_id=subject[1] if subject else None,
                event_id=event_id,
            ),
            workflow_id=ctx.workflow_id,
        )
    return outcome


async def record_refusals(
    ctx: StepContext, agent: str, decision: Decision[Any], subject: tuple[str, str] | None
) -> None:
    """A model asked for a tool its agent does not have, or with bad arguments: stopped,
    and written down where an operator will see it."""
    for refusal in decision.refused:
        await record_event(
            ctx.conn,
            AgentEvent(
                agent=agent,
                decision_type="tool_call",
                outcome="refused",
                workflow_id=ctx.workflow_id,
                task_id=ctx.task_id,
                step_key=ctx.step_key,
                subject_kind=subject[0] if subject else None,
                subject_id=subject[1] if subject else None,
                output=refusal,
                rationale=f"Refused: {refusal}",
                model_used=decision.model.model if decision.model else None,
            ),
        )
