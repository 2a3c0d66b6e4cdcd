"""Agent events: every decision, with what it saw, what it said, how sure, and what it cost.

Written once and never edited; an insert trigger (migration 0002) queues each for
embedding, so agents can recall similar past cases from vector memory.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from automechanica.orchestrator.reviews import Review

Outcome = Literal["accepted", "held", "rejected", "retried", "failed", "refused"]
INPUT_SUMMARY_CHARS = 2000

INSERT_EVENT = """
INSERT INTO agent_events (workflow_id, task_id, step_key, agent, decision_type, subject_kind,
                          subject_id, input, output, confidence, rationale, evidence, outcome,
                          model_used, tokens_in, tokens_out, cost_usd, latency_ms)
VALUES (%(workflow_id)s, %(task_id)s, %(step_key)s, %(agent)s, %(decision_type)s,
        %(subject_kind)s, %(subject_id)s, %(input)s, %(output)s, %(confidence)s, %(rationale)s,
        %(evidence)s, %(outcome)s, %(model_used)s, %(tokens_in)s, %(tokens_out)s, %(cost_usd)s,
        %(latency_ms)s)
RETURNING id
"""


class AgentEvent(BaseModel):
    agent: str
    decision_type: str
    outcome: Outcome
    workflow_id: UUID | None = None
    task_id: int | None = None
    step_key: str | None = None
    subject_kind: str | None = None
    subject_id: str | None = None
    input: dict[str, Any] = Field(default_factory=dict)
    output: Any = None
    confidence: float | None = None
    rationale: str | None = None
    evidence: list[dict[str, Any]] = Field(default_factory=list)
    model_used: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: Decimal | None = None
    latency_ms: float | None = None


def summarize(value: Any, limit: int = INPUT_SUMMARY_CHARS) -> Any:
    """Inputs are kept as a summary: long strings cut, long lists shortened."""
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + "…"
    if isinstance(value, list):
        head = [summarize(v, limit // 4) for v in value[:20]]
        return head + ([f"… {len(value) - 20} more"] if len(value) > 20 else [])
    if isinstance(value, dict):
        return {k: summarize(v, limit // 2) for k, v in list(value.items())[:50]}
    return value


async def record_event(conn: AsyncConnection[Any], event: AgentEvent) -> int:
    params = event.model_dump()
    params["input"] = Jsonb(summarize(event.input))
    params["output"] = Jsonb(event.output)
    params["evidence"] = Jsonb(event.evidence)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(INSERT_EVENT, params)
        row = await cur.fetchone()
    assert row is not None
    return int(row["id"])


async def record_person_decision(
    conn: AsyncConnection[Any], review: Review, status: str, reviewer: str
) -> int:
    """A person's decision on a review is a decision too: recorded beside the agents'."""
    return await record_event(
        conn,
        AgentEvent(
            agent=f"person:{reviewer}",
            decision_type=f"review.{review.kind}",
            outcome="rejected" if status == "rejected" else "accepted",
            workflow_id=review.workflow_id,
            step_key=review.step_key,
            subject_kind=review.subject_kind,
            subject_id=review.subject_id,
            input={"review": review.id, "proposed": review.proposed},
            output=status,
            confidence=1.0,
            rationale=f"Review {review.id} {status} by {reviewer}.",
            evidence=[{"kind": "review", "ref": str(review.id)}],
        ),
    )
