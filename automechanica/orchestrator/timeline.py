"""What the console and `workflow show` print: a run's steps, decisions and costs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from pydantic import BaseModel

from automechanica.errors import NotFoundError
from automechanica.orchestrator import queries


class WorkflowSummary(BaseModel):
    id: UUID
    kind: str
    version: int
    status: str
    current_step: str | None
    started_at: datetime
    finished_at: datetime | None
    started_by: str | None
    open_reviews: int
    dead_tasks: int


class StepEntry(BaseModel):
    step_key: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    batches_total: int | None
    batches_done: int
    result: Any


class EventEntry(BaseModel):
    id: int
    step_key: str | None
    agent: str
    decision_type: str
    subject_kind: str | None
    subject_id: str | None
    outcome: str
    confidence: float | None
    rationale: str | None
    model_used: str | None
    tokens_in: int | None
    tokens_out: int | None
    cost_usd: Decimal | None
    latency_ms: float | None
    created_at: datetime


class TroubledTask(BaseModel):
    id: int
    kind: str
    status: str
    attempts: int
    last_error: str | None
    step_key: str | None


class Timeline(BaseModel):
    id: UUID
    kind: str
    version: int
    status: str
    input: Any
    output: Any
    error: str | None
    current_step: str | None
    started_at: datetime
    finished_at: datetime | None
    started_by: str | None
    steps: list[StepEntry]
    events: list[EventEntry]
    troubled_tasks: list[TroubledTask]
    cost_usd: Decimal
    tokens: int


async def list_workflows(
    conn: AsyncConnection[Any],
    *,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[WorkflowSummary]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(queries.LIST_WORKFLOWS, {"kind": kind, "status": status, "limit": limit})
        return [WorkflowSummary.model_validate(r) for r in await cur.fetchall()]


async def workflow_timeline(conn: AsyncConnection[Any], workflow_id: UUID) -> Timeline:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(queries.SELECT_WORKFLOW, {"id": workflow_id})
        row = await cur.fetchone()
        if row is None:
            raise NotFoundError("workflow", str(workflow_id))
        await cur.execute(queries.TIMELINE_STEPS, {"id": workflow_id})
        steps = [StepEntry.model_validate(r) for r in await cur.fetchall()]
        await cur.execute(queries.TIMELINE_EVENTS, {"id": workflow_id})
        events = [EventEntry.model_validate(r) for r in await cur.fetchall()]
        await cur.execute(queries.TIMELINE_TASKS, {"id": workflow_id})
        troubled = [TroubledTask.model_validate(r) for r in await cur.fetchall()]
    cost = sum((e.cost_usd or Decimal(0) for e in events), Decimal(0))
    tokens = sum((e.tokens_in or 0) + (e.tokens_out or 0) for e in events)
    return Timeline(
        **{k: row[k] for k in ("id", "kind", "version", "status", "input", "output", "error")},
        current_step=row["current_step"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        started_by=row["started_by"],
        steps=steps,
        events=events,
        troubled_tasks=troubled,
        cost_usd=cost,
        tokens=tokens,
    )


async def cancel_workflow(conn: AsyncConnection[Any], workflow_id: UUID) -> bool:
    """Stop a run: its pending steps find it finished and do nothing."""
    cur = await conn.execute(queries.CANCEL_WORKFLOW, {"id": workflow_id})
    return cur.rowcount == 1
