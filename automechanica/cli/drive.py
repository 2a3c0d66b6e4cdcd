"""Running a workflow from the command line: its steps in this process, until it is done
or waits for a person. Other workers (`automechanica up`, `automechanica worker`) may
take some of its steps meanwhile; the queue hands each step to one of them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from automechanica.cli.common import console
from automechanica.config import Settings
from automechanica.db.connection import open_pool
from automechanica.llm import build_router, configured, load_catalog
from automechanica.memory.configure import embedder_from_settings
from automechanica.orchestrator import Engine, Timeline, workflow_timeline
from automechanica.orchestrator.services import Services
from automechanica.orchestrator.workflows import workflow_registry
from automechanica.queue import Worker, WorkerOptions

SETTLED = ("completed", "failed", "cancelled", "waiting")


@asynccontextmanager
async def workflow_services(url: str, settings: Settings) -> AsyncIterator[Services]:
    """The router (its calls logged to the database) and the embedder, for workflow steps."""
    pool = await open_pool(url, min_size=1, max_size=4)
    try:
        router = build_router(settings, pool=pool)
        embedder = embedder_from_settings(settings)
        real = configured(settings, load_catalog(settings.llm_models_file)) - {"offline"}
        services = Services(
            url,
            router=router,
            language_model=bool(real),
            embedder=embedder,
            data_dir=settings.data_dir,
        )
        try:
            yield services
        finally:
            await router.aclose()
    finally:
        await pool.close()


async def drive(
    url: str, settings: Settings, workflow_id: UUID, *, quiet: bool = False
) -> Timeline:
    """Run the workflow's steps here until it settles; returns its timeline."""
    engine = Engine(workflow_registry())
    worker = Worker(url, engine.task_registry(), WorkerOptions(concurrency=4, poll_seconds=0.2))
    async with workflow_services(url, settings) as services:
        engine.services = services
        running = asyncio.create_task(worker.run())
        try:
            async with await psycopg.AsyncConnection.connect(
                url, autocommit=True, row_factory=dict_row
            ) as conn:
                timeline = await _follow(conn, workflow_id, running, quiet)
        finally:
            worker.stop()
            await running
    return timeline


async def _follow(
    conn: psycopg.AsyncConnection[Any], workflow_id: UUID, running: asyncio.Task[Any], quiet: bool
) -> Timeline:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=quiet,
    ) as progress:
        bar = progress.add_task("starting", total=None)
        while True:
            timeline = await workflow_timeline(conn, workflow_id)
            if timeline.status in SETTLED or (timeline.troubled_tasks and _dead(timeline)):
                return timeline
            if running.done():
                running.result()  # the worker stopped: raise its error
                return timeline
            step = next((s for s in timeline.steps if s.step_key == timeline.current_step), None)
            if step is not None and step.batches_total:
                progress.update(
                    bar,
                    description=f"{timeline.kind}: {step.step_key}",
                    total=step.batches_total,
                    completed=step.batches_done,
                )
            else:
                progress.update(bar, description=f"{timeline.kind}: {timeline.current_step}")
            await asyncio.sleep(0.2)


def _dead(timeline: Timeline) -> bool:
    return any(t.status == "dead" for t in timeline.troubled_tasks)
