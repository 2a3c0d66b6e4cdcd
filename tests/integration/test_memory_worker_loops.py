"""The embedding worker's background loops (housekeeping, LISTEN) never end quietly.

The database away is logged and waited out; anything else stops the whole worker
loudly (`EmbeddingWorkerStoppedError`, the error logged), so a supervisor sees it
instead of a worker that runs on without rescuing expired leases. Failures are
injected through what the worker accepts (its options, its LISTEN URL, its pool),
never by patching its internals.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from psycopg_pool import AsyncConnectionPool

from automechanica.cli.worker import _run
from automechanica.memory import EmbeddingWorker, EmbeddingWorkerOptions, PgVectorStore
from automechanica.memory.embedders import Vectors
from automechanica.memory.errors import EmbeddingWorkerStoppedError
from automechanica.queue import TaskRegistry, Worker, WorkerOptions
from tests.integration.memory_fixtures import pool  # noqa: F401

Pool = AsyncConnectionPool[Any]
HANG_GUARD = 60  # seconds: only against a hang; nothing is asserted about time


class Ones:
    """An embedder that never fails (the loops are what is under test)."""

    model = "ones-test-model"
    dimension = 384

    def embed(self, texts: Sequence[str]) -> Vectors:
        out = np.ones((len(texts), 384), dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def failed_loops(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.ERROR and r.name == "automechanica.memory.worker"
    ]


async def test_housekeeping_that_fails_stops_the_worker_loudly(
    pool: Pool,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A retention PostgreSQL cannot turn into an interval: the prune is rejected each
    # round. Before, this was logged at INFO and the loop ran on; no one was told.
    options = EmbeddingWorkerOptions(retention_seconds=1e300, rescue_seconds=0.01)
    worker = EmbeddingWorker(pool, Ones(), PgVectorStore(pool), options)
    with pytest.raises(EmbeddingWorkerStoppedError) as raised:
        async with asyncio.timeout(HANG_GUARD):
            await worker.run()
    assert raised.value.loop == "housekeeping"
    assert "interval" in raised.value.error and "start it again" in raised.value.message
    assert failed_loops(caplog) == [
        "embedding worker: the housekeeping loop failed; stopping the worker"
    ]


async def test_a_listener_that_cannot_listen_stops_the_worker_loudly(
    pool: Pool,  # noqa: F811
    db_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Not "the database is away" (that is waited out): a URL no server could accept.
    worker = EmbeddingWorker(
        pool, Ones(), PgVectorStore(pool), url=f"{db_url}{'&' if '?' in db_url else '?'}nonsense=1"
    )
    with pytest.raises(EmbeddingWorkerStoppedError) as raised:
        async with asyncio.timeout(HANG_GUARD):
            await worker.run()
    assert raised.value.loop == "listener"
    assert "nonsense" in raised.value.error
    assert failed_loops(caplog) == [
        "embedding worker: the listener loop failed; stopping the worker"
    ]


async def test_the_database_away_is_logged_and_waited_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="automechanica.memory.worker")
    away = AsyncConnectionPool("postgresql://127.0.0.1:1/x", open=False, timeout=0.05)
    await away.open(wait=False)
    try:
        options = EmbeddingWorkerOptions(rescue_seconds=0.01, poll_seconds=0.01)
        worker = EmbeddingWorker(away, Ones(), PgVectorStore(away), options)
        running = asyncio.create_task(worker.run())

        def skipped() -> int:
            return sum("housekeeping skipped" in r.getMessage() for r in caplog.records)

        async with asyncio.timeout(HANG_GUARD):
            while skipped() < 2:  # the loop came round again after a failure
                await asyncio.sleep(0.01)
        assert not running.done()
        worker.stop()
        async with asyncio.timeout(HANG_GUARD):
            report = await running  # a normal stop: no error
    finally:
        await away.close()
    assert report.batches == 0
    assert "backfill skipped, the database is away" in caplog.text
    assert failed_loops(caplog) == []


async def test_an_embedding_worker_beside_the_queue_worker_stops_the_process(
    db_url: str,
) -> None:
    """`automechanica worker --kinds embedding,...`: its failure stops the queue worker too."""
    registry = TaskRegistry()

    @registry.task("test.nothing")
    async def nothing(payload: dict[str, Any], ctx: Any) -> None:
        return None

    async def embedding_side() -> None:
        raise EmbeddingWorkerStoppedError("housekeeping", "RuntimeError: broken")

    queue_worker = Worker(db_url, registry, WorkerOptions(poll_seconds=0.05))
    with pytest.raises(EmbeddingWorkerStoppedError):
        async with asyncio.timeout(HANG_GUARD):
            await _run(queue_worker, embedding_side())
