"""`support_conversation`: a hand-over from the Support agent to a person, made durable.

Why a workflow for this part only: a streamed answer lives and dies with its HTTP
request (a retry would be a new answer), so it stays in the request, recorded
there as an agent event with the message. A hand-over, though, must outlive the
request and any process: it is a promise that a person will answer. So the request
that hands over starts this workflow (in the same transaction as the session's
status change), and the workflow

1. `record_handover` — records the Support agent's hand-over decision (an agent
   event, outcome `held`, with the reason);
2. `await_person` — waits for a person as a review (`support.handover`) in the
   review inbox, unless an operator has already replied;
3. `close_out` — once an operator replies at /api/admin/support/{id}/reply (which
   decides the review), records how the hand-over ended.

One run per hand-over (idempotency key `support:<session>:<message>`); a session
given back to the assistant and handed over again starts another.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.agents.support import DECISION as ANSWER_DECISION
from automechanica.agents.support_tools import AGENT
from automechanica.orchestrator.definitions import (
    Hold,
    ReviewRequest,
    Step,
    StepContext,
    Workflow,
)
from automechanica.orchestrator.events import AgentEvent, record_event
from automechanica.orchestrator.reviews import Review, decide

HANDOVER = "support.handover"
SUBJECT = "support_session"

# Operator replies after the hand-over (served by support_messages_session).
REPLIES_SINCE = """
SELECT count(*) AS replies, (SELECT status FROM support_sessions WHERE id = %(id)s) AS status
FROM support_messages
WHERE session_id = %(id)s AND role = 'operator' AND id > %(after)s
"""
# The hand-over waiting in the review inbox (served by reviews_open (kind, created_at)).
OPEN_HANDOVER = """
SELECT id FROM reviews
WHERE kind = 'support.handover' AND status = 'open' AND subject_kind = 'support_session'
  AND subject_id = %(id)s
ORDER BY id
"""


async def record_handover(ctx: StepContext) -> dict[str, Any]:
    event_id = await record_event(
        ctx.conn,
        AgentEvent(
            agent=AGENT,
            decision_type=HANDOVER,
            outcome="held",
            workflow_id=ctx.workflow_id,
            task_id=ctx.task_id,
            step_key=ctx.step_key,
            subject_kind=SUBJECT,
            subject_id=str(ctx.input["session_id"]),
            input={"message": ctx.input.get("message", ""), "answer": ANSWER_DECISION},
            output={"reason": ctx.input["reason"]},
            confidence=ctx.input.get("confidence"),
            rationale=f"Handed to a person: {ctx.input['reason']}.",
        ),
    )
    return {"event_id": event_id}


async def await_person(ctx: StepContext) -> Any:
    async with ctx.conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            REPLIES_SINCE,
            {"id": ctx.input["session_id"], "after": int(ctx.input.get("message_id", 0))},
        )
        row = await cur.fetchone()
    assert row is not None
    if row["replies"] or row["status"] != "handed_over":
        return {"decision": "answered", "value": None, "note": "a person replied before the review"}
    return Hold(
        ReviewRequest(
            kind=HANDOVER,
            reason=str(ctx.input["reason"]),
            proposed={
                "session_id": str(ctx.input["session_id"]),
                "last_message": ctx.input.get("message", ""),
                "reply_at": f"/api/admin/support/{ctx.input['session_id']}/reply",
            },
            agent=AGENT,
            confidence=ctx.input.get("confidence"),
            rationale="The customer is waiting for a person; reply in the support console.",
            subject_kind=SUBJECT,
            subject_id=str(ctx.input["session_id"]),
            event_id=ctx.results["record_handover"]["event_id"],
        )
    )


async def close_out(ctx: StepContext) -> dict[str, Any]:
    person = ctx.results["await_person"] or {}
    async with ctx.conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            REPLIES_SINCE,
            {"id": ctx.input["session_id"], "after": int(ctx.input.get("message_id", 0))},
        )
        row = await cur.fetchone()
    assert row is not None
    return {
        "session_id": str(ctx.input["session_id"]),
        "decision": person.get("decision"),
        "operator_replies": int(row["replies"]),
        "session_status": row["status"],
    }


SUPPORT_CONVERSATION = Workflow(
    "support_conversation",
    version=1,
    steps=(
        Step("record_handover", record_handover),
        Step("await_person", await_person),
        Step("close_out", close_out),
    ),
    description="A support conversation handed to a person: recorded, waiting in the "
    "review inbox, resumed by the operator's reply.",
)


def handover_input(
    session_id: UUID, reason: str, message: str, message_id: int, confidence: float
) -> dict[str, Any]:
    return {
        "session_id": str(session_id),
        "reason": reason,
        "message": message[:500],
        "message_id": message_id,
        "confidence": confidence,
    }


async def settle_handover(
    conn: AsyncConnection[Any], session_id: UUID, *, reply: str, reviewer: str
) -> list[Review]:
    """An operator replied: the hand-over reviews waiting for this session are decided
    (with the reply as the value), which resumes their workflows."""
    from automechanica.orchestrator.workflows import (
        review_actions,
        review_followups,
        workflow_registry,
    )

    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(OPEN_HANDOVER, {"id": str(session_id)})
        ids = [int(r["id"]) for r in await cur.fetchall()]
    return [
        await decide(
            conn,
            review_id,
            "edit",
            reviewer=reviewer,
            workflows=workflow_registry(),
            actions=review_actions(),
            followups=review_followups(),
            value={"reply": reply},
            note="answered in the support console",
        )
        for review_id in ids
    ]
