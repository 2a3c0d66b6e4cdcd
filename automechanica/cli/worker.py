"""`automechanica worker`: run queued tasks until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import signal
from collections.abc import Coroutine
from typing import Annotated, Any

import typer

from automechanica.cli.common import console, database, fail
from automechanica.cli.drive import workflow_services
from automechanica.cli.memory import EMBEDDING, run_embedding_worker
from automechanica.config import Settings
from automechanica.errors import AutoMechanicaError, ConfigurationError
from automechanica.memory import EmbeddingWorkerOptions
from automechanica.orchestrator import Engine
from automechanica.orchestrator.scheduler import run_scheduler
from automechanica.orchestrator.workflows import workflow_registry
from automechanica.queue import TaskRegistry, Worker, WorkerOptions, WorkerReport, default_registry


def load_registry(specs: list[str], base: TaskRegistry | None = None) -> TaskRegistry:
    """The handlers named by `--tasks module` or `--tasks module:attribute`.

    A bare module is imported for its side effects (handlers registered on
    `automechanica.queue.default_registry`) and its `registry`, if it has one.
    """
    found: list[TaskRegistry] = []
    for spec in specs:
        module_name, _, attribute = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigurationError(
                f"--tasks {spec}: cannot import {module_name} ({exc})"
            ) from exc
        candidate = getattr(module, attribute or "registry", None)
        if attribute and not isinstance(candidate, TaskRegistry):
            raise ConfigurationError(f"--tasks {spec}: {attribute} is not a TaskRegistry")
        if isinstance(candidate, TaskRegistry):
            found.append(candidate)
    found.append(default_registry)
    registry = TaskRegistry()
    for each in {id(r): r for r in found}.values():
        registry.include(each)
    # The store's own kinds (workflow steps) unless a loaded module brings its own.
    if base is not None:
        for kind in base.kinds:
            if kind not in registry:
                registry.add(base.get(kind))
    if not len(registry):
        raise ConfigurationError(
            "No task handlers to run: pass --tasks MODULE (a module that registers handlers "
            "with @registry.task) or set AUTOMECHANICA_WORKER_TASKS."
        )
    return registry


def _split(values: list[str] | None) -> list[str] | None:
    names = [v.strip() for value in values or [] for v in value.split(",") if v.strip()]
    return names or None


async def _run(worker: Worker, beside: Coroutine[Any, Any, Any] | None = None) -> WorkerReport:
    loop = asyncio.get_running_loop()
    signals = {"count": 0}

    def on_signal() -> None:
        signals["count"] += 1
        if signals["count"] == 1:
            logging.getLogger("automechanica.worker").info(
                "stopping: finishing running tasks (signal again to stop now)"
            )
        worker.stop(now=signals["count"] > 1)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    if beside is None:
        return await worker.run()
    side = asyncio.create_task(beside)  # the embedding worker, stopped with the queue's

    def side_ended(task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            worker.stop()  # the embedding worker failed: the process stops, not half of it

    side.add_done_callback(side_ended)
    try:
        report = await worker.run()
    finally:
        side.cancel()
        await asyncio.gather(side, return_exceptions=True)
    if not side.cancelled() and (failure := side.exception()) is not None:
        raise failure  # an AutoMechanicaError exits 1 with its message
    return report


async def _together(sides: list[Coroutine[Any, Any, Any]]) -> None:
    """What runs beside the queue's worker; the first failure ends them all and is
    raised as itself (an AutoMechanicaError keeps its message)."""
    tasks = [asyncio.ensure_future(side) for side in sides]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _with_services(
    engine: Engine, url: str, settings: Settings, serving: Coroutine[Any, Any, WorkerReport]
) -> WorkerReport:
    async with workflow_services(url, settings) as services:
        engine.services = services
        return await serving


def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="tasks run at once")] = 10,
    kinds: Annotated[
        list[str] | None,
        typer.Option(
            help="only these task kinds (comma-separated or repeated); "
            "`embedding` runs the embedding worker"
        ),
    ] = None,
    tasks: Annotated[
        list[str] | None,
        typer.Option(
            help="module[:registry] registering the handlers (repeatable)",
            envvar="AUTOMECHANICA_WORKER_TASKS",
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="tasks leased per query")] = 100,
    lease_seconds: Annotated[float, typer.Option(help="lease length; heartbeat every third")] = 30,
    poll_seconds: Annotated[float, typer.Option(help="poll this often if NOTIFY is lost")] = 1.0,
    grace_seconds: Annotated[float, typer.Option(help="time to finish on shutdown")] = 10,
    rescue_seconds: Annotated[float, typer.Option(help="look for expired leases this often")] = 5,
    retention_hours: Annotated[
        float, typer.Option(help="prune completed tasks older than this (0: never)")
    ] = 168,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR")] = "INFO",
    scheduler: Annotated[
        bool, typer.Option(help="fire due schedules (once per period across all workers)")
    ] = True,
    schedule_seconds: Annotated[float, typer.Option(help="look for due schedules this often")] = 30,
    nice: Annotated[
        int,
        typer.Option(
            min=0,
            max=19,
            help="lower this process's CPU priority by this much (Unix nice), when it "
            "shares a machine with the API",
        ),
    ] = 0,
) -> None:
    """Run queued tasks until SIGTERM or Ctrl-C (a second signal stops at once)."""
    if nice:
        os.nice(nice)
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("psycopg.pool").setLevel(logging.WARNING)
    wanted = _split(kinds) or []
    embedding = EMBEDDING in wanted
    task_kinds = [k for k in wanted if k != EMBEDDING] or None
    options = WorkerOptions(
        concurrency=concurrency,
        kinds=task_kinds,
        batch_size=batch_size,
        lease_seconds=lease_seconds,
        poll_seconds=poll_seconds,
        grace_seconds=grace_seconds,
        rescue_seconds=rescue_seconds,
        retention_seconds=retention_hours * 3600 if retention_hours > 0 else None,
    )
    try:
        settings = Settings()
        if embedding and task_kinds is None and not _split(tasks):  # embeddings only
            with database(settings) as url:
                embedded = asyncio.run(
                    run_embedding_worker(
                        url, settings, EmbeddingWorkerOptions(), stop_on_signals=True
                    )
                )
            console.print(f"Stopped: {embedded}.", soft_wrap=True)
            return
        engine = Engine(workflow_registry())
        registry = load_registry(_split(tasks) or [], base=engine.task_registry())
        with database(settings) as url:
            sides: list[Coroutine[Any, Any, Any]] = []
            if embedding:
                sides.append(
                    run_embedding_worker(
                        url, settings, EmbeddingWorkerOptions(), stop_on_signals=False
                    )
                )
            if scheduler:  # light: one query every schedule_seconds (orchestrator/scheduler.py)
                sides.append(run_scheduler(url, engine.registry, interval=schedule_seconds))
            beside = _together(sides) if sides else None
            serving = _run(Worker(url, registry, options), beside)
            report = asyncio.run(_with_services(engine, url, settings, serving))
    except AutoMechanicaError as exc:
        raise fail(exc) from exc
    console.print(f"Stopped: {report}.", soft_wrap=True)
