"""Operator endpoints for the task queue: stats, task inspection, dead letters, cancel.

A missing task is 404 (the app's NotFoundError handler); an operation the task's
state does not allow (replaying a task that is not dead, cancelling one that
already started) is 409.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel

from automechanica.api.access import OperatorRoute
from automechanica.api.deps import Conn
from automechanica.api.policy import INT64_MAX
from automechanica.queue import (
    DeadLetter,
    DeadLetterFilter,
    QueueStats,
    TaskInfo,
    TaskStateError,
    cancel_pending,
    discard,
    discard_one,
    get_task,
    list_dead,
    queue_stats,
    replay,
    replay_one,
)

router = APIRouter(prefix="/api/admin/queue", tags=["admin: queue"], route_class=OperatorRoute)


#: tasks.id is a bigint: a larger id is a 422, not a database error. The paths say
#: `{task_id:int}` so that /dead/replay and /dead/discard never match an id route.
TaskId = Annotated[int, Path(ge=1, le=INT64_MAX)]
#: The task's state does not allow the operation.
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "the task's state does not allow this"}
}


class TaskIds(BaseModel):
    """The tasks an operation touched."""

    ids: list[int]


@router.get("/stats", response_model=QueueStats)
async def stats(conn: Conn) -> QueueStats:
    """Counts per state and kind, age of the oldest due task, throughput."""
    return await queue_stats(conn)


@router.get("/tasks/{task_id:int}", response_model=TaskInfo)
async def task(conn: Conn, task_id: TaskId) -> TaskInfo:
    """One task: state, attempts, last error and traceback, result."""
    return await get_task(conn, task_id)


@router.post("/tasks/{task_id:int}/cancel", response_model=TaskIds, responses=CONFLICT)
async def cancel(conn: Conn, task_id: TaskId) -> TaskIds:
    """Cancel (delete) a task that has not started."""
    ids = await cancel_pending(conn, ids=[task_id])
    if not ids:
        found = await get_task(conn, task_id)  # 404 when missing
        raise HTTPException(
            409, f"Task {task_id} is {found.status}; only pending or failed tasks can be cancelled."
        )
    return TaskIds(ids=ids)


@router.get("/dead", response_model=list[DeadLetter])
async def dead_letters(
    conn: Conn,
    kind: Annotated[str | None, Query(max_length=100)] = None,
    error: Annotated[
        str | None, Query(max_length=200, description="last error contains this")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[DeadLetter]:
    """Dead letters, newest first."""
    return await list_dead(conn, kind=kind, error_contains=error, limit=limit)


def _conflict(exc: TaskStateError) -> HTTPException:
    return HTTPException(409, exc.message)


@router.post("/dead/replay", response_model=TaskIds)
async def replay_matching(conn: Conn, which: DeadLetterFilter) -> TaskIds:
    """Replay every dead letter matching the filter (an empty filter matches all)."""
    return TaskIds(ids=await replay(conn, which))


@router.post("/dead/discard", response_model=TaskIds)
async def discard_matching(conn: Conn, which: DeadLetterFilter) -> TaskIds:
    """Delete every dead letter matching the filter (an empty filter matches all)."""
    return TaskIds(ids=await discard(conn, which))


@router.post("/dead/{task_id:int}/replay", response_model=TaskIds, responses=CONFLICT)
async def replay_dead(conn: Conn, task_id: TaskId) -> TaskIds:
    """Back to pending with a fresh set of attempts."""
    try:
        await replay_one(conn, task_id)
    except TaskStateError as exc:
        raise _conflict(exc) from exc
    return TaskIds(ids=[task_id])


@router.delete("/dead/{task_id:int}", response_model=TaskIds, responses=CONFLICT)
async def discard_dead(conn: Conn, task_id: TaskId) -> TaskIds:
    """Delete one dead letter."""
    try:
        await discard_one(conn, task_id)
    except TaskStateError as exc:
        raise _conflict(exc) from exc
    return TaskIds(ids=[task_id])
