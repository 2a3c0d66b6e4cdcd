"""The queue's statements on the real database: enqueue, lease, settle, heartbeat,
rescue, dead letters, housekeeping and statistics."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from automechanica.queue import (
    DeadLetterFilter,
    PayloadError,
    PayloadTooLargeError,
    Queue,
    RetryPolicy,
    TaskNotFoundError,
    TaskStateError,
    cancel_pending,
    discard,
    discard_one,
    get_task,
    insert_tasks,
    list_dead,
    new_task,
    prune_all,
    queue_stats,
    replay,
    replay_one,
    rescue_expired,
)
from automechanica.queue.lease import Failure, Settlement, exchange, heartbeat, lease, settle
from tests.integration.queue_fixtures import aconn, connect, scalar, statuses

__all__ = ["aconn"]

Conn = psycopg.AsyncConnection[Any]


async def _lease(conn: Conn, limit: int = 10, kinds: tuple[str, ...] = ("k",)) -> list[Any]:
    return await lease(conn, worker="t", kinds=kinds, limit=limit, lease_seconds=30)


async def test_enqueue_inside_a_transaction_exists_only_if_it_commits(db_url: str) -> None:
    async with AsyncConnectionPool(db_url, open=False) as pool:
        queue = Queue(pool)
        async with await connect(db_url) as conn:
            async with conn.transaction(force_rollback=True):
                await queue.enqueue("k", {"a": 1}, conn=conn)
            assert await statuses(conn) == {}
            async with conn.transaction():
                task_id = await queue.enqueue("k", {"a": 2}, conn=conn)
            other = await queue.enqueue("k", {"a": 3})  # through the pool
            task = await get_task(conn, task_id)
            assert (task.status, task.payload, task.attempts) == ("pending", {"a": 2}, 0)
            assert other > task_id


async def test_a_batch_of_thousands_is_one_statement_with_ids_in_order(aconn: Conn) -> None:
    tasks = [new_task("k", {"i": i}, priority=i % 3) for i in range(5000)]
    ids = await insert_tasks(aconn, tasks)
    assert len(ids) == len(set(ids)) == 5000
    cur = await aconn.execute("SELECT id, (payload->>'i')::int AS i FROM tasks")
    assert {r["id"]: r["i"] for r in await cur.fetchall()} == dict(
        zip(ids, range(5000), strict=True)
    )


async def test_an_idempotency_key_enqueued_twice_is_one_task(aconn: Conn) -> None:
    first = await insert_tasks(aconn, [new_task("k", {"v": 1}, idempotency_key="order-7")])
    again = await insert_tasks(
        aconn,
        [
            new_task("k", {"v": 2}, idempotency_key="order-7"),
            new_task("k", {"v": 3}),
            new_task("k", {"v": 4}, idempotency_key="order-8"),
            new_task("k", {"v": 5}, idempotency_key="order-8"),
        ],
    )
    assert again[0] == first[0]
    assert again[2] == again[3] != again[1]
    assert await scalar(aconn, "SELECT count(*) FROM tasks") == 3
    assert (await get_task(aconn, first[0])).payload == {"v": 1}


async def test_bad_payloads_never_reach_the_database(aconn: Conn, db_url: str) -> None:
    async with AsyncConnectionPool(db_url, open=False) as pool:
        queue = Queue(pool, max_payload_bytes=100)
        with pytest.raises(PayloadTooLargeError):
            await queue.enqueue("k", {"blob": "x" * 200}, conn=aconn)
        with pytest.raises(PayloadError, match="workflow"):
            await queue.enqueue(
                "k", {}, workflow_id="7d8f9c54-1b7e-4c8e-a1c1-2f5a4fe3f000", conn=aconn
            )
    assert await statuses(aconn) == {}


async def test_leasing_takes_priority_then_run_at_and_skips_what_is_not_due(aconn: Conn) -> None:
    now = datetime.now(UTC)
    ids = await insert_tasks(
        aconn,
        [
            new_task("k", {"n": 0}, priority=0, run_at=now - timedelta(minutes=2)),
            new_task("k", {"n": 1}, priority=5, run_at=now - timedelta(minutes=1)),
            new_task("k", {"n": 2}, priority=5, run_at=now - timedelta(minutes=3)),
            new_task("k", {"n": 3}, priority=9, run_at=now + timedelta(hours=1)),  # not due
            new_task("other", {"n": 4}, priority=9),  # another kind
        ],
    )
    leases = await _lease(aconn)
    assert [le.id for le in leases] == [ids[2], ids[1], ids[0]]
    assert all(le.attempt == 1 and le.token for le in leases)
    # One token for the claim; a lease is its task id and that token.
    assert len({le.token for le in leases}) == 1 and len({le.key for le in leases}) == 3
    row = await (
        await aconn.execute(
            "SELECT lease_expires_at - heartbeat_at AS left, status FROM tasks WHERE id = %s",
            [ids[0]],
        )
    ).fetchone()
    assert row is not None and row["status"] == "leased"
    assert row["left"] == timedelta(seconds=30)  # both set by the lease's statement


async def test_concurrent_leases_never_share_a_task(db_url: str, aconn: Conn) -> None:
    await insert_tasks(aconn, [new_task("k", {"i": i}) for i in range(600)])
    conns = [await connect(db_url) for _ in range(4)]
    try:
        batches = await asyncio.gather(*(_lease(c, 50) for c in conns for _ in range(3)))
    finally:
        for c in conns:
            await c.close()
    ids = [le.id for batch in batches for le in batch]
    assert len(ids) == len(set(ids)) == 600


async def test_a_result_for_a_lease_taken_back_is_rejected(aconn: Conn) -> None:
    await insert_tasks(aconn, [new_task("k", {"i": i}) for i in range(3)])
    first, second, third = await _lease(aconn)
    # The lease on `first` expires and is rescued; a new attempt leases it again.
    await aconn.execute(
        "UPDATE tasks SET lease_expires_at = now() - interval '1 s' WHERE id = %s", [first.id]
    )
    rescued = await rescue_expired(aconn, lambda kind: RetryPolicy(base_seconds=0))
    assert [f.lease.id for f in rescued] == [first.id]
    again = (await _lease(aconn))[0]
    assert again.id == first.id and again.attempt == 2 and again.token != first.token

    settled = await settle(
        aconn,
        Settlement(
            completed=[(first, '"stale"'), (second, '"fresh"')],
            failed=[Failure(third, "failed", 0.0, "boom")],
        ),
    )
    assert settled.completed == {second.id}  # the stale token was refused
    assert settled.failed == {third.id}
    assert (await get_task(aconn, first.id)).status == "leased"
    assert (await get_task(aconn, second.id)).result == "fresh"
    assert await heartbeat(aconn, [first, second], lease_seconds=30) == set()
    assert await heartbeat(aconn, [again], lease_seconds=30) == {again.key}
    assert await heartbeat(aconn, [first, again], lease_seconds=30) == {again.key}  # newest


async def test_failure_schedules_a_retry_with_backoff_or_dead_letters(aconn: Conn) -> None:
    (task_id,) = await insert_tasks(aconn, [new_task("k", {}, max_attempts=2)])
    (held,) = await _lease(aconn)
    await settle(aconn, Settlement(failed=[Failure(held, "failed", 60.0, "E: one", "tb1")]))
    task = await get_task(aconn, task_id)
    assert (task.status, task.last_error, task.last_traceback) == ("failed", "E: one", "tb1")
    assert task.started_at is not None  # leased, then settled: the retry is 60 s past the lease
    assert task.run_at >= task.started_at + timedelta(seconds=60)
    assert await _lease(aconn) == []  # not due yet
    await aconn.execute("UPDATE tasks SET run_at = now() WHERE id = %s", [task_id])
    (held,) = await _lease(aconn)
    assert held.attempt == 2
    await settle(aconn, Settlement(failed=[Failure(held, "dead", 0.0, "E: two", "tb2")]))
    dead = await get_task(aconn, task_id)
    assert (dead.status, dead.attempts, dead.last_error) == ("dead", 2, "E: two")
    assert dead.finished_at is not None


async def test_exchange_settles_and_leases_in_one_statement(aconn: Conn) -> None:
    await insert_tasks(aconn, [new_task("k", {"i": i}) for i in range(5)])
    settled, first = await exchange(
        aconn, Settlement(), worker="t", kinds=["k"], limit=2, lease_seconds=30
    )
    assert len(first) == 2 and not settled.completed
    settled, more = await exchange(
        aconn,
        Settlement(started=[first[0]], completed=[(first[1], "1")], released=[first[0]]),
        worker="t",
        kinds=["k"],
        limit=10,
        lease_seconds=30,
    )
    assert settled.completed == {first[1].id} and settled.released == {first[0].id}
    # One statement, one snapshot: the task it released is not leased again by it...
    assert len(more) == 3 and first[0].id not in {le.id for le in more}
    released = await get_task(aconn, first[0].id)
    assert (released.status, released.attempts) == ("pending", 0)  # the release uncounted it
    # ...but by the next exchange, as a task released by another worker would be.
    _, again = await exchange(
        aconn, Settlement(), worker="t", kinds=["k"], limit=10, lease_seconds=30
    )
    assert [le.id for le in again] == [first[0].id] and again[0].attempt == 1


async def test_rescue_counts_an_expired_lease_as_a_failed_attempt(aconn: Conn) -> None:
    await insert_tasks(aconn, [new_task("k", {}, max_attempts=1), new_task("k", {})])
    last, retry = await _lease(aconn)
    await aconn.execute("UPDATE tasks SET lease_expires_at = now() - interval '1 s'")
    rescued = {f.lease.id: f for f in await rescue_expired(aconn, lambda k: RetryPolicy())}
    assert rescued[last.id].status == "dead" and rescued[retry.id].status == "failed"
    task = await get_task(aconn, retry.id)
    assert task.status == "failed" and task.last_error and "stopped heartbeating" in task.last_error
    assert await rescue_expired(aconn, lambda k: RetryPolicy()) == []


async def _make_dead(conn: Conn, kind: str, error: str) -> int:
    (task_id,) = await insert_tasks(conn, [new_task(kind, {"e": error}, max_attempts=1)])
    (held,) = await lease(conn, worker="t", kinds=[kind], limit=1, lease_seconds=30)
    await settle(conn, Settlement(failed=[Failure(held, "dead", 0, error, "Traceback ...")]))
    return task_id


async def test_dead_letters_list_inspect_replay_and_discard(aconn: Conn) -> None:
    a = await _make_dead(aconn, "mail", "SMTPError: refused")
    b = await _make_dead(aconn, "mail", "Timeout: slow")
    c = await _make_dead(aconn, "feed", "Timeout: slow")
    (pending,) = await insert_tasks(aconn, [new_task("mail", {})])

    assert {d.id for d in await list_dead(aconn)} == {a, b, c}
    assert [d.id for d in await list_dead(aconn, kind="mail", error_contains="SMTP")] == [a]
    shown = await get_task(aconn, a)
    assert (shown.attempts, shown.last_traceback) == (1, "Traceback ...")

    await replay_one(aconn, a)
    replayed = await get_task(aconn, a)
    assert (replayed.status, replayed.attempts, replayed.last_error) == (
        "pending",
        0,
        "SMTPError: refused",
    )
    with pytest.raises(TaskStateError, match="only dead"):
        await replay_one(aconn, pending)
    with pytest.raises(TaskNotFoundError):
        await discard_one(aconn, 10**9)

    assert await replay(aconn, DeadLetterFilter(error_contains="Timeout", kind="feed")) == [c]
    assert await discard(aconn, DeadLetterFilter()) == [b]
    assert await list_dead(aconn) == []


async def test_prune_and_cancel_keep_the_table_small(aconn: Conn) -> None:
    ids = await insert_tasks(aconn, [new_task("k", {"i": i}) for i in range(6)])
    done = await _lease(aconn, 3)
    await settle(aconn, Settlement(completed=[(le, "null") for le in done]))
    await aconn.execute(
        "UPDATE tasks SET finished_at = now() - interval '2 days' WHERE id = ANY(%s)",
        [[done[0].id, done[1].id]],
    )
    assert await prune_all(aconn, older_than_seconds=86400) == 2
    running = (await _lease(aconn, 1))[0]
    cancelled = await cancel_pending(aconn, kind="k")
    assert cancelled == sorted(set(ids[3:]) - {running.id})
    assert await statuses(aconn) == {"completed": 1, "leased": 1}
    with pytest.raises(ValueError, match="name"):
        await cancel_pending(aconn)


async def test_stats_count_states_per_kind(aconn: Conn) -> None:
    await insert_tasks(
        aconn,
        [new_task("a", {}, run_at=datetime.now(UTC) - timedelta(minutes=5))]
        + [new_task("b", {}) for _ in range(3)],
    )
    (held,) = await _lease(aconn, 1, kinds=("b",))
    await settle(aconn, Settlement(completed=[(held, "null")]))
    stats = await queue_stats(aconn)
    assert stats.counts["pending"] == 3 and stats.counts["completed"] == 1
    assert [k.kind for k in stats.kinds] == ["a", "b"]
    assert stats.kinds[1].counts["completed"] == 1 and stats.kinds[1].completed_last_minute == 1
    assert stats.oldest_runnable_seconds is not None and stats.oldest_runnable_seconds >= 299
    assert stats.completed_per_second_1m == pytest.approx(1 / 60)
