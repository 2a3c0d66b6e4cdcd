"""The journal and moving on: what the engine and the review queue both write.

A step's journal row is keyed by (workflow id, step key); the next step's task
carries the idempotency key `wf:<id>:<step>[:<batch>]`, so writing "move on" twice
enqueues once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from automechanica.orchestrator import queries
from automechanica.orchestrator.definitions import JSON, Workflow
from automechanica.queue import NewTask, insert_tasks
from automechanica.queue import new_task as queue_task

STEP_KIND = "workflow.step"
PRUNE_KIND = "workflow.prune"


def prune_task(now: datetime | None = None) -> NewTask:
    """At most one pruning task an hour, however many workflows finish in it (the
    idempotency key names the hour)."""
    hour = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H")
    return queue_task(PRUNE_KIND, {}, idempotency_key=f"{PRUNE_KIND}:{hour}")


class StepTask(BaseModel):
    """The payload of a `workflow.step` task."""

    workflow_id: UUID
    step: str
    batch: int | None = None
    items: list[Any] | None = None
    wake: bool = False


def step_task(
    workflow_id: UUID,
    step: str,
    *,
    batch: int | None = None,
    items: list[Any] | None = None,
    wake_in: float | None = None,
    max_attempts: int = 5,
) -> NewTask:
    key = f"wf:{workflow_id}:{step}" + (f":{batch}" if batch is not None else "")
    run_at = None
    if wake_in is not None:
        key += ":wake"
        run_at = datetime.now(UTC) + timedelta(seconds=wake_in)
    payload = StepTask(
        workflow_id=workflow_id, step=step, batch=batch, items=items, wake=bool(wake_in)
    )
    return queue_task(
        STEP_KIND,
        payload,
        idempotency_key=key,
        workflow_id=workflow_id,
        run_at=run_at,
        max_attempts=max_attempts,
    )


async def advance(
    conn: AsyncConnection[Any], workflow: Workflow, workflow_id: UUID, done: str, result: JSON
) -> None:
    """After `done`: the next step's task, or the workflow completed with `result`."""
    following = workflow.after(done)
    if following is None:
        await conn.execute(
            queries.FINISH_WORKFLOW,
            {"id": workflow_id, "status": "completed", "output": Jsonb(result), "error": None},
        )
        await insert_tasks(conn, [prune_task()])
        return
    await conn.execute(
        queries.SET_WORKFLOW_STEP, {"id": workflow_id, "step": following, "status": "running"}
    )
    await insert_tasks(conn, [step_task(workflow_id, following)])


async def journal_step(
    conn: AsyncConnection[Any],
    workflow_id: UUID,
    step: str,
    status: str,
    result: JSON,
    *,
    batches: int | None = None,
) -> None:
    await conn.execute(
        queries.JOURNAL_STEP,
        {
            "id": workflow_id,
            "step": step,
            "status": status,
            "result": Jsonb(result),
            "batches": batches,
        },
    )
