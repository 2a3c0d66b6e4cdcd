"""Shared pieces of the queue tests: connections, helpers, and the handlers that the
worker subprocesses of the crash tests import (`--tasks tests.integration.queue_fixtures`).

The crash tests' task has an effect that is a row committed in the same transaction
as the task's completion, so a duplicate effect would show as two rows.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from automechanica.queue import RetryPolicy, TaskContext, TaskRegistry

EFFECTS_TABLE = """
CREATE TABLE IF NOT EXISTS queue_effects (
    task_id  bigint NOT NULL,      -- no unique constraint: duplicates must be visible
    n        integer NOT NULL,
    worker   text NOT NULL,
    at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE IF NOT EXISTS queue_cures (kind text PRIMARY KEY);
"""

registry = TaskRegistry()
FAST_RETRY = RetryPolicy(base_seconds=0.05, factor=2, cap_seconds=0.5)


async def _effect(payload: dict[str, Any], ctx: TaskContext) -> None:
    assert ctx.conn is not None
    await ctx.conn.execute(
        "INSERT INTO queue_effects (task_id, n, worker) VALUES (%s, %s, %s)",
        (ctx.task_id, payload.get("n", 0), ctx.worker),
    )


async def _cured(ctx: TaskContext) -> bool:
    assert ctx.conn is not None
    cur = await ctx.conn.execute("SELECT 1 FROM queue_cures WHERE kind = %s", (ctx.kind,))
    return await cur.fetchone() is not None


@registry.task("test.effect", transactional=True, retry=FAST_RETRY)
async def effect(payload: dict[str, Any], ctx: TaskContext) -> dict[str, int]:
    """Write one effect row; it commits with the task's completion or not at all."""
    await _effect(payload, ctx)
    if payload.get("marker"):  # tell the test the effect is written, then stall the process
        Path(payload["marker"]).write_text(ctx.worker)
        time.sleep(float(payload.get("block", 0)))  # blocking on purpose: a stalled worker
    if payload.get("sleep"):
        await asyncio.sleep(float(payload["sleep"]))
    return {"n": int(payload.get("n", 0))}


@registry.task("test.poison_raise", transactional=True, retry=FAST_RETRY)
async def poison_raise(payload: dict[str, Any], ctx: TaskContext) -> None:
    """Writes its effect, then raises (rolling the effect back) until cured."""
    await _effect(payload, ctx)
    if not await _cured(ctx):
        raise RuntimeError(f"poison (attempt {ctx.attempt})")


@registry.task("test.poison_exit", transactional=True, retry=FAST_RETRY)
async def poison_exit(payload: dict[str, Any], ctx: TaskContext) -> None:
    """Writes its effect, then kills its own process (no commit) until cured."""
    await _effect(payload, ctx)
    if not await _cured(ctx):
        os._exit(3)


@registry.task("test.noop")
async def noop(payload: dict[str, Any], ctx: TaskContext) -> None:
    return None


async def connect(url: str) -> psycopg.AsyncConnection[Any]:
    return await psycopg.AsyncConnection.connect(url, autocommit=True, row_factory=dict_row)


@pytest.fixture
async def aconn(db_url: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    """An autocommit connection with dict rows on the test's fresh database."""
    async with await connect(db_url) as c:
        yield c


async def scalar(conn: psycopg.AsyncConnection[Any], query: Any, params: Any = None) -> Any:
    cur = await conn.execute(query, params)
    row = await cur.fetchone()
    assert row is not None
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


async def statuses(conn: psycopg.AsyncConnection[Any]) -> dict[str, int]:
    cur = await conn.execute("SELECT status, count(*) AS n FROM tasks GROUP BY status")
    return {r["status"]: r["n"] for r in await cur.fetchall()}
