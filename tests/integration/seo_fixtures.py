"""Helpers for the SEO tests: run `seo_build` to its end in this process."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg

from automechanica.orchestrator import Engine, WorkflowRegistry, start_workflow
from automechanica.orchestrator.services import Services
from automechanica.orchestrator.workflows.seo_pages import SEO_BUILD
from automechanica.queue import Worker, WorkerOptions


async def run_seo_build(
    db_url: str, conn: psycopg.AsyncConnection[Any], services: Services, given: dict[str, Any]
) -> Any:
    """Start seo_build, run its steps with a worker here until it ends; its output."""
    engine = Engine(WorkflowRegistry([SEO_BUILD]), services)
    workflow_id = await start_workflow(conn, SEO_BUILD, given)
    worker = Worker(db_url, engine.task_registry(), WorkerOptions(poll_seconds=0.05))
    running = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(120):
            while True:
                cur = await conn.execute(
                    "SELECT status, output, error FROM workflows WHERE id = %s", (workflow_id,)
                )
                row = await cur.fetchone()
                assert row is not None
                status, output, error = row if isinstance(row, tuple) else row.values()
                if status in ("completed", "failed"):
                    assert status == "completed", error
                    return output
                await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await running
