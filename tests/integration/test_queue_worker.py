"""The worker in-process against the real database: retries, dead letters, transactional
effects, per-kind limits, LISTEN/NOTIFY wake-up and graceful shutdown."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
import pytest

from automechanica.queue import (
    PermanentError,
    RetryPolicy,
    TaskContext,
    TaskRegistry,
    Worker,
    WorkerLoopError,
    WorkerOptions,
    get_task,
    insert_tasks,
    new_task,
)
from automechanica.queue import worker as worker_module
from automechanica.queue.lease import lease
from tests.integration.queue_fixtures import EFFECTS_TABLE, aconn, registry, scalar, statuses

__all__ = ["aconn"]

Conn = psycopg.AsyncConnection[Any]
FAST = RetryPolicy(base_seconds=0.01, cap_seconds=0.05)


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 60.0) -> None:
    """Poll `check` until true; a bound on waiting, not a timing assertion."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)


async def test_tasks_complete_retry_and_die(db_url: str, aconn: Conn) -> None:
    calls: dict[str, int] = {"flaky": 0}
    reg = TaskRegistry()

    @reg.task("double")
    async def double(payload: dict[str, Any], ctx: TaskContext) -> dict[str, int]:
        return {"value": payload["n"] * 2}

    @reg.task("flaky", retry=FAST)
    async def flaky(payload: dict[str, Any], ctx: TaskContext) -> str:
        calls["flaky"] += 1
        if ctx.attempt < 3:
            raise ConnectionError(f"try {ctx.attempt}")
        return "ok"

    @reg.task("broken", retry=FAST)
    async def broken(payload: dict[str, Any], ctx: TaskContext) -> None:
        raise PermanentError("the part number does not exist")

    @reg.task("hopeless", retry=FAST)
    async def hopeless(payload: dict[str, Any], ctx: TaskContext) -> None:
        raise RuntimeError("always")

    ids = await insert_tasks(
        aconn,
        [new_task("double", {"n": i}) for i in range(300)]
        + [new_task("flaky", {}), new_task("broken", {}), new_task("hopeless", {}, max_attempts=3)],
    )
    worker = Worker(db_url, reg, WorkerOptions(concurrency=50, batch_size=20, poll_seconds=0.1))
    running = asyncio.create_task(worker.run())

    async def settled() -> bool:
        return await statuses(aconn) == {"completed": 301, "dead": 2}

    await until(settled)
    worker.stop()
    report = await running
    assert (await get_task(aconn, ids[7])).result == {"value": 14}
    assert (await get_task(aconn, ids[300])).attempts == 3 and calls["flaky"] == 3
    broken_task = await get_task(aconn, ids[301])
    assert broken_task.attempts == 1  # not retryable: dead at once
    assert broken_task.last_error == "PermanentError: the part number does not exist"
    hopeless_task = await get_task(aconn, ids[302])
    assert hopeless_task.attempts == 3 and hopeless_task.last_traceback
    assert "RuntimeError: always" in hopeless_task.last_traceback
    assert (report.completed, report.dead, report.failed) == (301, 2, 4)


async def test_transactional_effects_commit_with_the_completion(db_url: str, aconn: Conn) -> None:
    await aconn.execute(EFFECTS_TABLE)
    await aconn.execute("INSERT INTO queue_cures VALUES ('test.poison_raise')")
    await insert_tasks(
        aconn,
        [new_task("test.effect", {"n": i}) for i in range(200)]
        + [new_task("test.poison_raise", {"n": -1})],
    )
    worker = Worker(
        db_url,
        registry,
        WorkerOptions(kinds=["test.effect", "test.poison_raise"], concurrency=20, poll_seconds=0.1),
    )
    running = asyncio.create_task(worker.run())

    async def done() -> bool:
        return await statuses(aconn) == {"completed": 201}

    await until(done)
    worker.stop()
    await running
    assert await scalar(aconn, "SELECT count(DISTINCT task_id) FROM queue_effects") == 201
    assert await scalar(aconn, "SELECT count(*) FROM queue_effects") == 201


async def test_a_failed_transactional_attempt_leaves_no_effect(db_url: str, aconn: Conn) -> None:
    await aconn.execute(EFFECTS_TABLE)
    (task_id,) = await insert_tasks(aconn, [new_task("test.poison_raise", {}, max_attempts=2)])
    worker = Worker(db_url, registry, WorkerOptions(kinds=["test.poison_raise"], poll_seconds=0.1))
    running = asyncio.create_task(worker.run())

    async def dead() -> bool:
        return (await get_task(aconn, task_id)).status == "dead"

    await until(dead)
    worker.stop()
    await running
    assert await scalar(aconn, "SELECT count(*) FROM queue_effects") == 0


async def test_per_kind_concurrency_limit_holds(db_url: str, aconn: Conn) -> None:
    now = {"slow": 0, "peak": 0}
    reg = TaskRegistry()

    @reg.task("slow", max_concurrency=2)
    async def slow(payload: dict[str, Any], ctx: TaskContext) -> None:
        now["slow"] += 1
        now["peak"] = max(now["peak"], now["slow"])
        await asyncio.sleep(0.02)
        now["slow"] -= 1

    @reg.task("fast")
    async def fast(payload: dict[str, Any], ctx: TaskContext) -> None:
        return None

    await insert_tasks(
        aconn, [new_task("slow", {}) for _ in range(30)] + [new_task("fast", {}) for _ in range(30)]
    )
    worker = Worker(db_url, reg, WorkerOptions(concurrency=20, batch_size=10, poll_seconds=0.1))
    running = asyncio.create_task(worker.run())

    async def done() -> bool:
        return await statuses(aconn) == {"completed": 60}

    await until(done)
    worker.stop()
    await running
    assert now["peak"] == 2


async def test_an_idle_worker_wakes_on_notify(db_url: str, aconn: Conn) -> None:
    reg = TaskRegistry()
    reg.task("ping")(_none)
    # Polling once a minute: only LISTEN/NOTIFY can start the task within the wait below.
    worker = Worker(db_url, reg, WorkerOptions(poll_seconds=60))
    running = asyncio.create_task(worker.run())
    await asyncio.wait_for(worker.listener.connected.wait(), 30)
    await asyncio.sleep(0.2)  # let the first (empty) lease pass so the worker is idle
    (task_id,) = await insert_tasks(aconn, [new_task("ping", {})])

    async def done() -> bool:
        return (await get_task(aconn, task_id)).status == "completed"

    await until(done, timeout=30)
    worker.stop()
    await running


async def _none(payload: Any, ctx: TaskContext) -> None:
    return None


@pytest.mark.parametrize("grace", [0.0, 5.0])
async def test_shutdown_finishes_or_releases_running_tasks(
    db_url: str, aconn: Conn, grace: float
) -> None:
    started = asyncio.Event()
    reg = TaskRegistry()

    @reg.task("long")
    async def long(payload: dict[str, Any], ctx: TaskContext) -> str:
        started.set()
        await asyncio.sleep(payload["seconds"])
        return "finished"

    (task_id,) = await insert_tasks(aconn, [new_task("long", {"seconds": 0.3 if grace else 60})])
    worker = Worker(db_url, reg, WorkerOptions(grace_seconds=grace, poll_seconds=0.1))
    running = asyncio.create_task(worker.run())
    await asyncio.wait_for(started.wait(), 30)
    worker.stop()
    report = await running
    task = await get_task(aconn, task_id)
    if grace:
        assert (task.status, task.result, report.completed) == ("completed", "finished", 1)
    else:  # cut short: back to pending, the attempt not counted
        assert (task.status, task.attempts, report.released) == ("pending", 0, 1)


class _BrokenPolicy(RetryPolicy):
    """A custom retry policy with a bug: the janitor meets it when it rescues a lease."""

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        raise ZeroDivisionError("a bug in a custom retry policy")


async def test_a_failing_background_loop_stops_the_worker_and_releases_its_tasks(
    db_url: str, aconn: Conn
) -> None:
    started = asyncio.Event()
    reg = TaskRegistry()

    @reg.task("long")
    async def long(payload: dict[str, Any], ctx: TaskContext) -> None:
        started.set()
        await asyncio.sleep(60)

    @reg.task("fragile", retry=_BrokenPolicy())
    async def fragile(payload: dict[str, Any], ctx: TaskContext) -> None:
        return None

    (long_id,) = await insert_tasks(aconn, [new_task("long", {})])
    worker = Worker(
        db_url, reg, WorkerOptions(kinds=["long"], poll_seconds=0.1, rescue_seconds=0.1)
    )
    running = asyncio.create_task(worker.run())
    await asyncio.wait_for(started.wait(), 30)
    # Another worker leased a `fragile` task and vanished: the janitor rescues its lease,
    # asks the kind's policy for the backoff, and the policy raises.
    (fragile_id,) = await insert_tasks(aconn, [new_task("fragile", {})])
    await lease(aconn, worker="gone", kinds=["fragile"], limit=1, lease_seconds=0.01)

    with pytest.raises(WorkerLoopError) as failed:
        await asyncio.wait_for(running, 60)

    assert failed.value.loop == "janitor"
    assert isinstance(failed.value.cause, ZeroDivisionError)
    long_task = await get_task(aconn, long_id)  # released at once, the attempt not counted
    assert (long_task.status, long_task.attempts, worker.report.released) == ("pending", 0, 1)
    assert (await get_task(aconn, fragile_id)).status == "leased"  # the rescue rolled back


async def test_a_failing_heartbeat_stops_the_worker(
    db_url: str, aconn: Conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No public seam makes the heartbeat statement raise anything but a database error
    # (retried, not fatal), so the heartbeat function itself is replaced here.
    async def broken(*args: Any, **kwargs: Any) -> set[Any]:
        raise TypeError("a bug in the heartbeat")

    monkeypatch.setattr(worker_module, "heartbeat", broken)
    reg = TaskRegistry()
    reg.task("idle")(_none)
    worker = Worker(db_url, reg, WorkerOptions(lease_seconds=0.3, poll_seconds=0.1))

    with pytest.raises(WorkerLoopError) as failed:
        await asyncio.wait_for(worker.run(), 60)

    assert failed.value.loop == "heartbeat"
    assert "a bug in the heartbeat" in failed.value.message
