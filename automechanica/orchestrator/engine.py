"""The engine: start a workflow, run its steps as queue tasks, move it on.

Every step runs as one transactional task of kind `workflow.step`: the step's own
writes, its journal entry, the workflow's state change and the next step's task
commit together or not at all. A crash anywhere leaves the step's task to be
retried, and a step already journaled is never run again: its stored result
stands. Next-step tasks carry idempotency keys (workflow, step, batch), so moving
on twice enqueues once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from automechanica.orchestrator import queries
from automechanica.orchestrator.definitions import (
    JSON,
    FanOut,
    Finish,
    Hold,
    Sleep,
    Step,
    StepContext,
    Workflow,
    WorkflowRegistry,
)
from automechanica.orchestrator.errors import OrchestratorError
from automechanica.orchestrator.journal import (
    PRUNE_KIND,
    STEP_KIND,
    StepTask,
    advance,
    journal_step,
    prune_task,
    step_task,
)
from automechanica.orchestrator.retention import DEFAULT_RETENTION, prune_workflows
from automechanica.orchestrator.reviews import open_review
from automechanica.queue import PermanentError, TaskContext, TaskRegistry, insert_tasks

FINISHED = {"completed", "failed", "cancelled"}
log = logging.getLogger(__name__)


async def start_workflow(
    conn: AsyncConnection[Any],
    workflow: Workflow,
    input: dict[str, Any] | None = None,
    *,
    idempotency_key: str | None = None,
    started_by: str | None = None,
) -> UUID:
    """Create the run and its first step's task in one transaction; a repeated
    idempotency key returns the run already started."""
    async with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            queries.INSERT_WORKFLOW,
            {
                "kind": workflow.name,
                "version": workflow.version,
                "input": Jsonb(input or {}),
                "step": workflow.first,
                "key": idempotency_key,
                "by": started_by,
            },
        )
        row = await cur.fetchone()
        if row is None:
            await cur.execute(queries.SELECT_WORKFLOW_BY_KEY, {"key": idempotency_key})
            existing = await cur.fetchone()
            assert existing is not None
            return UUID(str(existing["id"]))
        workflow_id = UUID(str(row["id"]))
        await insert_tasks(conn, [step_task(workflow_id, workflow.first)])
    return workflow_id


@dataclass
class Engine:
    """Runs `workflow.step` tasks for the workflows in `registry`."""

    registry: WorkflowRegistry
    services: Any = None
    retention: timedelta = DEFAULT_RETENTION

    def task_registry(self) -> TaskRegistry:
        tasks = TaskRegistry()
        tasks.task(STEP_KIND, payload=StepTask, transactional=True)(self.run_step)
        tasks.task(PRUNE_KIND, transactional=True)(self.prune)
        return tasks

    async def prune(self, payload: dict[str, Any], ctx: TaskContext) -> dict[str, int]:
        """Finished workflows past the retention, with their journals (retention.py)."""
        assert ctx.conn is not None
        return {"pruned": await prune_workflows(ctx.conn, self.retention)}

    async def run_step(self, task: StepTask, ctx: TaskContext) -> JSON:
        conn = ctx.conn
        assert conn is not None, "workflow.step is a transactional kind"
        row = await _one(conn, queries.SELECT_WORKFLOW, {"id": task.workflow_id})
        if row is None or row["status"] in FINISHED:
            return {"skipped": "workflow finished" if row else "workflow pruned"}
        try:
            workflow = self.registry.get(row["kind"], row["version"])
        except OrchestratorError as exc:
            raise PermanentError(exc.message) from exc
        step = workflow.step(task.step)
        journaled = await _one(
            conn, queries.SELECT_STEP, {"id": task.workflow_id, "step": task.step}
        )
        if journaled is not None and journaled["status"] == "completed":
            await advance(conn, workflow, task.workflow_id, task.step, journaled["result"])
            return {"step": task.step, "already": "completed"}
        context = await self._context(conn, row, task, ctx)
        if isinstance(step, FanOut):
            if task.batch is not None:
                return await self._batch(conn, workflow, step, context, task)
            return await self._fan_out(conn, workflow, step, context, journaled)
        if isinstance(step, Sleep):
            return await self._sleep(conn, workflow, step, task, journaled)
        return await self._step(conn, workflow, step, context, journaled)

    async def _context(
        self, conn: AsyncConnection[Any], row: dict[str, Any], task: StepTask, ctx: TaskContext
    ) -> StepContext:
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(queries.SELECT_RESULTS, {"id": task.workflow_id})
            results = {r["step_key"]: r["result"] for r in await cur.fetchall()}
        return StepContext(
            conn=conn,
            workflow_id=task.workflow_id,
            workflow=row["kind"],
            version=row["version"],
            step_key=task.step,
            input=row["input"],
            results=results,
            services=self.services,
            task_id=ctx.task_id,
            attempt=ctx.attempt,
            batch=task.batch,
        )

    async def _step(
        self,
        conn: AsyncConnection[Any],
        workflow: Workflow,
        step: Step,
        context: StepContext,
        journaled: dict[str, Any] | None,
    ) -> JSON:
        if journaled is not None and journaled["status"] == "waiting":
            return {"step": step.key, "waiting": "for a review"}
        outcome = await step.run(context)
        if isinstance(outcome, Hold):
            review_id = await open_review(
                conn, outcome.review, workflow_id=context.workflow_id, step_key=step.key
            )
            await journal_step(
                conn, context.workflow_id, step.key, "waiting", {"review": review_id}
            )
            await conn.execute(
                queries.SET_WORKFLOW_STEP,
                {"id": context.workflow_id, "step": step.key, "status": "waiting"},
            )
            return {"step": step.key, "review": review_id}
        if isinstance(outcome, Finish):
            status = "completed" if outcome.status == "completed" else "failed"
            await journal_step(conn, context.workflow_id, step.key, status, outcome.output)
            await conn.execute(
                queries.FINISH_WORKFLOW,
                {
                    "id": context.workflow_id,
                    "status": outcome.status,
                    "output": Jsonb(outcome.output),
                    "error": outcome.reason,
                },
            )
            await insert_tasks(conn, [prune_task()])
            return {"step": step.key, "finished": outcome.status}
        await journal_step(conn, context.workflow_id, step.key, "completed", outcome)
        await advance(conn, workflow, context.workflow_id, step.key, outcome)
        return {"step": step.key}

    async def _fan_out(
        self,
        conn: AsyncConnection[Any],
        workflow: Workflow,
        step: FanOut,
        context: StepContext,
        journaled: dict[str, Any] | None,
    ) -> JSON:
        if journaled is not None:  # batches already enqueued by an earlier attempt
            return {"step": step.key, "batches": journaled["batches_total"]}
        items = list(await step.items(context))
        batches = [items[i : i + step.batch_size] for i in range(0, len(items), step.batch_size)]
        if not batches:
            result = step.combine([])
            await journal_step(conn, context.workflow_id, step.key, "completed", result)
            await advance(conn, workflow, context.workflow_id, step.key, result)
            return {"step": step.key, "batches": 0}
        await journal_step(
            conn, context.workflow_id, step.key, "running", None, batches=len(batches)
        )
        tasks = [
            step_task(context.workflow_id, step.key, batch=n, items=chunk)
            for n, chunk in enumerate(batches)
        ]
        await insert_tasks(conn, tasks)
        return {"step": step.key, "batches": len(batches)}

    async def _batch(
        self,
        conn: AsyncConnection[Any],
        workflow: Workflow,
        step: FanOut,
        context: StepContext,
        task: StepTask,
    ) -> JSON:
        result = await step.run_batch(context, task.items or [])
        params = {"id": task.workflow_id, "step": step.key, "batch": task.batch}
        if await _one(conn, queries.JOURNAL_BATCH, {**params, "result": Jsonb(result)}) is None:
            raise PermanentError(  # a second task for a journaled batch: roll its effects back
                f"batch {task.batch} of {step.key} is already journaled"
            )
        counted = await _one(conn, queries.COUNT_BATCH, params)
        assert counted is not None
        if counted["batches_done"] == counted["batches_total"]:
            async with conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(queries.SELECT_BATCH_RESULTS, params)
                combined = step.combine([r["result"] for r in await cur.fetchall()])
            await journal_step(conn, task.workflow_id, step.key, "completed", combined)
            await advance(conn, workflow, task.workflow_id, step.key, combined)
        return {"step": step.key, "batch": task.batch}

    async def _sleep(
        self,
        conn: AsyncConnection[Any],
        workflow: Workflow,
        step: Sleep,
        task: StepTask,
        journaled: dict[str, Any] | None,
    ) -> JSON:
        if not task.wake:
            if journaled is None:
                await journal_step(
                    conn, task.workflow_id, step.key, "waiting", {"seconds": step.seconds}
                )
                await insert_tasks(
                    conn, [step_task(task.workflow_id, step.key, wake_in=step.seconds)]
                )
            return {"step": step.key, "sleeping": step.seconds}
        await journal_step(conn, task.workflow_id, step.key, "completed", {"slept": step.seconds})
        await advance(conn, workflow, task.workflow_id, step.key, None)
        return {"step": step.key, "woke": True}


async def _one(
    conn: AsyncConnection[Any], query: str, params: dict[str, Any]
) -> dict[str, Any] | None:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchone()


def engine_for(workflows: Sequence[Workflow], services: Any = None) -> Engine:
    return Engine(WorkflowRegistry(workflows), services)
