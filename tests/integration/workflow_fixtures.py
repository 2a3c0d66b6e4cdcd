"""The workflow that the orchestrator's crash tests run in `automechanica worker`
subprocesses, started as `python -c "from tests.integration.workflow_fixtures import
serve; serve()" worker ...`: `serve()` adds `crash_pipeline` to the store's workflows
(the engine every worker builds runs `workflow.step` for those) and runs the CLI.
Only those processes see it; importing this module registers nothing.

`crash_pipeline` v1 is a sequence step, a fan-out in batches and a final step. Each
step and each item of each batch writes an effect row in the step's transaction
into `workflow_effects`, a table with no unique key: an effect that happened twice
shows as two rows with one key, so the tests count rows per key instead of relying
on a constraint to refuse the second. Batches sleep inside their transaction, so a
kill or a server restart finds many of them in flight.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from automechanica.orchestrator import FanOut, Step, StepContext, Workflow
from automechanica.queue import TaskContext, TaskRegistry

EFFECTS_TABLE = """
CREATE TABLE IF NOT EXISTS workflow_effects (
    workflow_id  uuid NOT NULL,
    step_key     text NOT NULL,
    item         integer NOT NULL,       -- -1 for a whole step; no unique key on purpose
    task_id      bigint NOT NULL,
    attempt      integer NOT NULL,
    at           timestamptz NOT NULL DEFAULT clock_timestamp()
)
"""

BATCH_SIZE = 8


async def _effect(ctx: StepContext, items: list[int]) -> None:
    await ctx.conn.execute(
        "INSERT INTO workflow_effects (workflow_id, step_key, item, task_id, attempt)"
        " SELECT %s, %s, unnest(%s::integer[]), %s, %s",
        (ctx.workflow_id, ctx.step_key, items, ctx.task_id, ctx.attempt),
    )


async def prepare(ctx: StepContext) -> dict[str, int]:
    await _effect(ctx, [-1])
    return {"items": int(ctx.input["items"])}


async def items(ctx: StepContext) -> list[int]:
    return list(range(int(ctx.results["prepare"]["items"])))


async def process(ctx: StepContext, batch: list[Any]) -> int:
    await _effect(ctx, [int(i) for i in batch])
    # In flight long enough that kills and restarts land inside open transactions.
    await asyncio.sleep(random.uniform(0.5, 1.5) * float(ctx.input.get("batch_seconds", 0.1)))
    return sum(int(i) for i in batch)


async def finish(ctx: StepContext) -> dict[str, int]:
    await _effect(ctx, [-1])
    return {"sum": int(ctx.results["process"]), "items": int(ctx.results["prepare"]["items"])}


CRASH_PIPELINE = Workflow(
    "crash_pipeline",
    version=1,
    steps=(
        Step("prepare", prepare),
        FanOut("process", items=items, run_batch=process, batch_size=BATCH_SIZE, combine=sum),
        Step("finish", finish),
    ),
    description="crash tests: a step, a fan-out of batches, a final step; effects counted",
)

#: What `--tasks tests.integration.workflow_fixtures` loads: the CLI wants one kind at
#: least; `workflow.step` itself is the store engine's, which `serve()` extends.
registry = TaskRegistry()


@registry.task("test.workflow_noop")
async def noop(payload: dict[str, Any], ctx: TaskContext) -> None:
    return None


def serve() -> None:
    """`automechanica` with `crash_pipeline` among the store's workflows."""
    from automechanica.cli import app
    from automechanica.orchestrator.workflows import WORKFLOWS

    WORKFLOWS.append(CRASH_PIPELINE)
    app(prog_name="automechanica")
