"""The review queue: decisions a policy held for a person, and what deciding does.

A review either holds a workflow step (the workflow waits; deciding journals the
step with the decision and enqueues the next one, in one transaction) or holds
one item (the rest of the workflow goes on; deciding applies the change through
the action registered for the review's kind). Approve takes the proposal, edit
takes the person's version, reject stores nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from automechanica.errors import InvalidInputError, NotFoundError
from automechanica.orchestrator import queries
from automechanica.orchestrator.definitions import ReviewRequest, WorkflowRegistry
from automechanica.orchestrator.errors import ReviewStateError
from automechanica.orchestrator.events import record_person_decision
from automechanica.orchestrator.journal import advance, journal_step

Action = Literal["approve", "edit", "reject"]
STATUS = {"approve": "approved", "edit": "edited", "reject": "rejected"}
#: How an approved or edited item review is applied: (conn, review, final value).
Apply = Callable[[AsyncConnection[Any], "Review", Any], Awaitable[None]]
#: What follows any decision of an item review (approved, edited or rejected), in the
#: decision's transaction, with the review as decided.
FollowUp = Callable[[AsyncConnection[Any], "Review"], Awaitable[None]]

INSERT_REVIEW = """
INSERT INTO reviews (event_id, workflow_id, step_key, kind, reason, proposed, current, agent,
                     confidence, rationale, evidence, subject_kind, subject_id)
VALUES (%(event_id)s, %(workflow_id)s, %(step_key)s, %(kind)s, %(reason)s, %(proposed)s,
        %(current)s, %(agent)s, %(confidence)s, %(rationale)s, %(evidence)s,
        %(subject_kind)s, %(subject_id)s)
RETURNING id
"""

REVIEW_COLUMNS = """id, event_id, workflow_id, step_key, kind, reason, proposed, current, agent,
confidence, rationale, evidence, subject_kind, subject_id, status, resolution, reviewer, note,
created_at, resolved_at"""

SELECT_REVIEW = f"SELECT {REVIEW_COLUMNS} FROM reviews WHERE id = %(id)s"
LOCK_REVIEW = f"SELECT {REVIEW_COLUMNS} FROM reviews WHERE id = %(id)s FOR UPDATE"

LIST_REVIEWS = f"""
SELECT {REVIEW_COLUMNS} FROM reviews
WHERE (%(status)s::text IS NULL OR status = %(status)s)
  AND (%(kind)s::text IS NULL OR kind = %(kind)s)
ORDER BY created_at {{order}}, id
LIMIT %(limit)s
"""

RESOLVE_REVIEW = """
UPDATE reviews SET status = %(status)s, resolution = %(resolution)s, reviewer = %(reviewer)s,
       note = %(note)s, resolved_at = now()
WHERE id = %(id)s
"""


class Review(BaseModel):
    id: int
    event_id: int | None
    workflow_id: UUID | None
    step_key: str | None
    kind: str
    reason: str
    proposed: Any
    current: Any
    agent: str | None
    confidence: float | None
    rationale: str | None
    evidence: list[dict[str, Any]]
    subject_kind: str | None
    subject_id: str | None
    status: str
    resolution: Any
    reviewer: str | None
    note: str | None
    created_at: datetime
    resolved_at: datetime | None


async def open_review(
    conn: AsyncConnection[Any],
    request: ReviewRequest,
    *,
    workflow_id: UUID | None = None,
    step_key: str | None = None,
) -> int:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            INSERT_REVIEW,
            {
                "event_id": request.event_id,
                "workflow_id": workflow_id,
                "step_key": step_key,
                "kind": request.kind,
                "reason": request.reason,
                "proposed": Jsonb(request.proposed),
                "current": Jsonb(request.current),
                "agent": request.agent,
                "confidence": request.confidence,
                "rationale": request.rationale,
                "evidence": Jsonb(request.evidence),
                "subject_kind": request.subject_kind,
                "subject_id": request.subject_id,
            },
        )
        row = await cur.fetchone()
    assert row is not None
    return int(row["id"])


async def get_review(conn: AsyncConnection[Any], review_id: int) -> Review:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_REVIEW, {"id": review_id})
        row = await cur.fetchone()
    if row is None:
        raise NotFoundError("review", review_id)
    return Review.model_validate(row)


async def list_reviews(
    conn: AsyncConnection[Any],
    *,
    status: str | None = "open",
    kind: str | None = None,
    limit: int = 50,
) -> list[Review]:
    """Open reviews oldest first (the queue's order); decided ones newest first."""
    order = "ASC" if status == "open" else "DESC"
    query = LIST_REVIEWS.replace("{order}", order)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, {"status": status, "kind": kind, "limit": limit})
        return [Review.model_validate(r) for r in await cur.fetchall()]


async def decide(
    conn: AsyncConnection[Any],
    review_id: int,
    action: Action,
    *,
    reviewer: str,
    workflows: WorkflowRegistry,
    actions: Mapping[str, Apply] | None = None,
    followups: Mapping[str, FollowUp] | None = None,
    value: Any = None,
    note: str | None = None,
) -> Review:
    """Approve, edit or reject an open review and resume what it held, in one transaction."""
    if action == "edit" and value is None:
        raise InvalidInputError("An edit needs the edited value.")
    async with conn.transaction():
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(LOCK_REVIEW, {"id": review_id})
            row = await cur.fetchone()
        if row is None:
            raise NotFoundError("review", review_id)
        review = Review.model_validate(row)
        if review.status != "open":
            raise ReviewStateError(
                f"Review {review_id} was already {review.status} by {review.reviewer}."
            )
        status = STATUS[action]
        final = review.proposed if action == "approve" else value if action == "edit" else None
        resolution = {"decision": status, "value": final, "note": note}
        await conn.execute(
            RESOLVE_REVIEW,
            {
                "id": review_id,
                "status": status,
                "resolution": Jsonb(resolution),
                "reviewer": reviewer,
                "note": note,
            },
        )
        apply = (actions or {}).get(review.kind)
        if apply is not None and action != "reject":
            await apply(conn, review, final)
        await record_person_decision(conn, review, status, reviewer)
        if review.step_key and review.workflow_id:
            await _resume(conn, review, resolution, workflows)
        followup = (followups or {}).get(review.kind)
        if followup is not None:
            await followup(conn, await get_review(conn, review_id))
    return await get_review(conn, review_id)


async def _resume(
    conn: AsyncConnection[Any],
    review: Review,
    resolution: dict[str, Any],
    workflows: WorkflowRegistry,
) -> None:
    assert review.workflow_id is not None and review.step_key is not None
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(queries.SELECT_WORKFLOW, {"id": review.workflow_id})
        row = await cur.fetchone()
    if row is None or row["finished_at"] is not None:
        return  # cancelled or pruned meanwhile: the decision is recorded, nothing resumes
    workflow = workflows.get(row["kind"], row["version"])
    await journal_step(conn, review.workflow_id, review.step_key, "completed", resolution)
    await advance(conn, workflow, review.workflow_id, review.step_key, resolution)
