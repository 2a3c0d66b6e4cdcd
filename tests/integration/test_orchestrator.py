"""The orchestrator on the real database and a real worker: sequence, fan-out and
fan-in, durable sleep, waiting for a person, idempotent starts, version pinning, pruning."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import dict_row

from automechanica.orchestrator import (
    Engine,
    FanOut,
    Hold,
    ReviewRequest,
    ReviewStateError,
    Sleep,
    Step,
    StepContext,
    Workflow,
    WorkflowRegistry,
    decide,
    list_reviews,
    prune_workflows,
    start_workflow,
)
from automechanica.queue import Worker, WorkerOptions

Conn = psycopg.AsyncConnection[Any]


@pytest.fixture
async def aconn(db_url: str) -> AsyncIterator[Conn]:
    async with await psycopg.AsyncConnection.connect(
        db_url, autocommit=True, row_factory=dict_row
    ) as conn:
        await conn.execute("CREATE TABLE effects (key text PRIMARY KEY, n integer NOT NULL)")
        yield conn


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 60.0) -> None:
    """Poll `check` until true; a bound on waiting, not a timing assertion."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)


async def effect(ctx: StepContext, key: str) -> None:
    """A write in the step's transaction; the primary key makes a double effect fail."""
    await ctx.conn.execute("INSERT INTO effects (key, n) VALUES (%s, 1)", (key,))


async def collect(ctx: StepContext) -> list[int]:
    await effect(ctx, f"{ctx.workflow_id}:collect")
    return list(range(int(ctx.input["items"])))


async def square(ctx: StepContext, items: list[Any]) -> list[int]:
    await effect(ctx, f"{ctx.workflow_id}:batch:{ctx.batch}")
    return [i * i for i in items]


def flatten(results: list[Any]) -> int:
    return sum(sum(r) for r in results)


async def total(ctx: StepContext) -> dict[str, int]:
    await effect(ctx, f"{ctx.workflow_id}:total")
    return {"sum": ctx.results["squares"], "items": len(ctx.results["collect"])}


PIPELINE = Workflow(
    "pipeline",
    version=1,
    steps=(
        Step("collect", collect),
        FanOut(
            "squares",
            items=lambda ctx: _items(ctx),
            run_batch=square,
            batch_size=7,
            combine=flatten,
        ),
        Sleep("pause", seconds=0.2),
        Step("total", total),
    ),
)


async def _items(ctx: StepContext) -> list[Any]:
    return list(ctx.results["collect"])


async def propose(ctx: StepContext) -> Hold:
    return Hold(
        ReviewRequest(
            kind="price",
            reason="a large move",
            proposed={"price": "19.99"},
            current={"price": "12.00"},
            agent="Pricing",
            confidence=0.4,
            rationale="competitors moved",
        )
    )


async def apply(ctx: StepContext) -> Any:
    decision = ctx.results["propose"]
    await effect(ctx, f"{ctx.workflow_id}:apply:{decision['decision']}")
    return decision


APPROVAL = Workflow("approval", version=1, steps=(Step("propose", propose), Step("apply", apply)))


async def run_until(db_url: str, engine: Engine, done: Callable[[], Awaitable[bool]]) -> None:
    worker = Worker(db_url, engine.task_registry(), WorkerOptions(concurrency=8, poll_seconds=0.05))
    running = asyncio.create_task(worker.run())
    try:
        await until(done)
    finally:
        worker.stop()
        await running


async def status(conn: Conn, workflow_id: UUID) -> str:
    cur = await conn.execute("SELECT status FROM workflows WHERE id = %s", (workflow_id,))
    row = await cur.fetchone()
    return str(row["status"]) if row else "gone"


async def test_sequence_fan_out_sleep_and_fan_in(db_url: str, aconn: Conn) -> None:
    engine = Engine(WorkflowRegistry([PIPELINE]))
    ids = [await start_workflow(aconn, PIPELINE, {"items": n}) for n in (50, 0, 7)]

    async def finished() -> bool:
        return all([await status(aconn, i) == "completed" for i in ids])

    await run_until(db_url, engine, finished)
    outputs = []
    for workflow_id in ids:
        cur = await aconn.execute("SELECT output FROM workflows WHERE id = %s", (workflow_id,))
        outputs.append((await cur.fetchone() or {})["output"])
    assert outputs == [
        {"sum": sum(i * i for i in range(50)), "items": 50},
        {"sum": 0, "items": 0},
        {"sum": sum(i * i for i in range(7)), "items": 7},
    ]
    cur = await aconn.execute("SELECT count(*) AS n FROM effects")
    # 3 collects + 3 totals + batches: 50 items in 8 batches, 0 in none, 7 in one.
    assert (await cur.fetchone() or {})["n"] == 3 + 3 + 8 + 0 + 1
    cur = await aconn.execute(
        "SELECT batches_total, batches_done FROM workflow_steps WHERE workflow_id = %s "
        "AND step_key = 'squares'",
        (ids[0],),
    )
    assert await cur.fetchone() == {"batches_total": 8, "batches_done": 8}


async def test_an_idempotency_key_starts_one_workflow(aconn: Conn) -> None:
    first = await start_workflow(aconn, PIPELINE, {"items": 3}, idempotency_key="feed-42")
    again = await start_workflow(aconn, PIPELINE, {"items": 3}, idempotency_key="feed-42")
    assert first == again
    cur = await aconn.execute("SELECT count(*) AS n FROM tasks WHERE workflow_id = %s", (first,))
    assert (await cur.fetchone() or {})["n"] == 1


@pytest.mark.parametrize(
    ("action", "value", "expected"),
    [
        ("approve", None, {"price": "19.99"}),
        ("edit", {"price": "17.50"}, {"price": "17.50"}),
        ("reject", None, None),
    ],
)
async def test_a_review_holds_the_workflow_and_deciding_resumes_it(
    db_url: str, aconn: Conn, action: Any, value: Any, expected: Any
) -> None:
    registry = WorkflowRegistry([APPROVAL])
    engine = Engine(registry)
    workflow_id = await start_workflow(aconn, APPROVAL, {})

    async def waiting() -> bool:
        return await status(aconn, workflow_id) == "waiting"

    await run_until(db_url, engine, waiting)
    (review,) = await list_reviews(aconn)
    assert review.workflow_id == workflow_id and review.step_key == "propose"
    assert review.current == {"price": "12.00"} and review.proposed == {"price": "19.99"}
    cur = await aconn.execute("SELECT count(*) AS n FROM effects")
    assert (await cur.fetchone() or {})["n"] == 0  # nothing applied while it waits

    decided = await decide(
        aconn, review.id, action, reviewer="ops@example.com", workflows=registry, value=value
    )
    assert decided.status == {"approve": "approved", "edit": "edited", "reject": "rejected"}[action]
    with pytest.raises(ReviewStateError):
        await decide(aconn, review.id, "approve", reviewer="x@example.com", workflows=registry)

    async def completed() -> bool:
        return await status(aconn, workflow_id) == "completed"

    await run_until(db_url, engine, completed)
    cur = await aconn.execute("SELECT output FROM workflows WHERE id = %s", (workflow_id,))
    output = (await cur.fetchone() or {})["output"]
    assert output["value"] == expected and output["decision"] == decided.status
    cur = await aconn.execute("SELECT key FROM effects")
    assert [r["key"] for r in await cur.fetchall()] == [f"{workflow_id}:apply:{decided.status}"]
    cur = await aconn.execute(
        "SELECT agent, outcome FROM agent_events WHERE workflow_id = %s", (workflow_id,)
    )
    assert (await cur.fetchall()) == [
        {
            "agent": "person:ops@example.com",
            "outcome": "rejected" if action == "reject" else "accepted",
        }
    ]


async def test_a_running_workflow_finishes_on_the_version_it_started_with(
    db_url: str, aconn: Conn
) -> None:
    async def old_step(ctx: StepContext) -> str:
        return "v1"

    async def new_step(ctx: StepContext) -> str:
        return "v2"

    v1 = Workflow("versioned", version=1, steps=(Step("only", old_step),))
    v2 = Workflow("versioned", version=2, steps=(Step("first", new_step), Step("only", new_step)))
    started = await start_workflow(aconn, v1, {})
    engine = Engine(WorkflowRegistry([v1, v2]))

    async def done() -> bool:
        return await status(aconn, started) == "completed"

    await run_until(db_url, engine, done)
    cur = await aconn.execute("SELECT version, output FROM workflows WHERE id = %s", (started,))
    assert await cur.fetchone() == {"version": 1, "output": "v1"}


async def test_finished_workflows_are_pruned_and_their_decisions_kept(
    db_url: str, aconn: Conn
) -> None:
    registry = WorkflowRegistry([APPROVAL])
    workflow_id = await start_workflow(aconn, APPROVAL, {})
    await run_until(db_url, Engine(registry), lambda: _is(aconn, workflow_id, "waiting"))
    (review,) = await list_reviews(aconn)
    await decide(aconn, review.id, "approve", reviewer="ops", workflows=registry)
    await run_until(db_url, Engine(registry), lambda: _is(aconn, workflow_id, "completed"))
    assert await prune_workflows(aconn, timedelta(days=1)) == 0  # not old enough
    await aconn.execute(
        "UPDATE workflows SET finished_at = now() - interval '2 days' WHERE id = %s",
        (workflow_id,),
    )
    assert await prune_workflows(aconn, timedelta(days=1)) == 1
    cur = await aconn.execute("SELECT count(*) AS n FROM workflow_steps")
    assert (await cur.fetchone() or {})["n"] == 0
    cur = await aconn.execute("SELECT count(*) AS n FROM agent_events WHERE workflow_id IS NULL")
    assert (await cur.fetchone() or {})["n"] == 1  # the person's decision outlives the run
    cur = await aconn.execute("SELECT status FROM reviews WHERE id = %s", (review.id,))
    assert (await cur.fetchone() or {})["status"] == "approved"


async def _is(conn: Conn, workflow_id: UUID, wanted: str) -> bool:
    return await status(conn, workflow_id) == wanted


async def test_finishing_workflows_schedule_one_pruning_an_hour(db_url: str, aconn: Conn) -> None:
    engine = Engine(WorkflowRegistry([PIPELINE]))  # retention 30 days: nothing is old yet
    ids = [await start_workflow(aconn, PIPELINE, {"items": 2}) for _ in range(3)]

    async def pruning_ran() -> bool:
        done = all([await status(aconn, i) == "completed" for i in ids])
        cur = await aconn.execute(
            "SELECT count(*) AS n FROM tasks WHERE kind = 'workflow.prune' AND status = 'completed'"
        )
        return done and (await cur.fetchone() or {})["n"] == 1

    await run_until(db_url, engine, pruning_ran)
    cur = await aconn.execute(
        "SELECT count(*) AS n, min(idempotency_key) AS key FROM tasks WHERE kind = 'workflow.prune'"
    )
    row = await cur.fetchone() or {}
    assert row["n"] == 1 and row["key"].startswith("workflow.prune:")  # 3 finished, 1 pruning
    assert [await status(aconn, i) for i in ids] == ["completed"] * 3  # too young to go
