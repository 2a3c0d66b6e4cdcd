"""The dead-letter queue: list, inspect, replay (one or by filter), discard.

A task is dead when its attempts ran out or its error was not retryable. It stays,
with its last error and traceback, until an operator replays it (back to pending
with a fresh set of attempts) or discards it.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row, tuple_row

from automechanica.queue import queries
from automechanica.queue.errors import TaskNotFoundError, TaskStateError
from automechanica.queue.models import DeadLetter, DeadLetterFilter, TaskInfo


async def get_task(conn: AsyncConnection[Any], task_id: int) -> TaskInfo:
    """Everything stored about one task (any state)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(queries.SELECT_TASK, {"id": task_id})
        row = await cur.fetchone()
    if row is None:
        raise TaskNotFoundError(task_id)
    return TaskInfo.model_validate(row)


async def list_dead(
    conn: AsyncConnection[Any],
    *,
    kind: str | None = None,
    error_contains: str | None = None,
    limit: int = 50,
) -> list[DeadLetter]:
    """The newest dead letters first."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            queries.LIST_DEAD, {"kind": kind, "error": error_contains, "limit": limit}
        )
        return [DeadLetter.model_validate(row) for row in await cur.fetchall()]


def _params(which: DeadLetterFilter) -> dict[str, Any]:
    return {"ids": which.ids, "kind": which.kind, "error": which.error_contains}


async def replay(conn: AsyncConnection[Any], which: DeadLetterFilter) -> list[int]:
    """Dead letters matching `which` back to pending, attempts reset; their ids."""
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(queries.REPLAY_DEAD, _params(which) | {"channel": queries.CHANNEL})
        return sorted(row[0] for row in await cur.fetchall())


async def discard(conn: AsyncConnection[Any], which: DeadLetterFilter) -> list[int]:
    """Delete the dead letters matching `which`; their ids."""
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(queries.DISCARD_DEAD, _params(which))
        return sorted(row[0] for row in await cur.fetchall())


async def _one(conn: AsyncConnection[Any], task_id: int, done: list[int], action: str) -> None:
    if done:
        return
    task = await get_task(conn, task_id)  # raises TaskNotFoundError
    raise TaskStateError(task_id, task.status, action, ["dead"])


async def replay_one(conn: AsyncConnection[Any], task_id: int) -> None:
    """Replay one dead letter; a clear error when it is missing or not dead."""
    await _one(conn, task_id, await replay(conn, DeadLetterFilter(ids=[task_id])), "replayed")


async def discard_one(conn: AsyncConnection[Any], task_id: int) -> None:
    """Discard one dead letter; a clear error when it is missing or not dead."""
    await _one(conn, task_id, await discard(conn, DeadLetterFilter(ids=[task_id])), "discarded")
