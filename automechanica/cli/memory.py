"""`automechanica memory …` and `automechanica docs ingest`: vector memory's commands.

The embedding worker itself runs as `automechanica worker --kinds embedding` (beside
task kinds, or alone) or `automechanica memory worker`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from rich.table import Table

from automechanica.cli.common import console, database, fail, run_on_database
from automechanica.config import Settings
from automechanica.errors import AutoMechanicaError
from automechanica.memory import (
    KINDS,
    Embedder,
    EmbeddingReport,
    EmbeddingWorker,
    EmbeddingWorkerOptions,
    Memory,
    VectorStore,
    memory_status,
)
from automechanica.memory.configure import embedder_from_settings, store_from_settings
from automechanica.memory.documents import ingest
from automechanica.memory.jobs import replay_dead
from automechanica.memory.sources import Kind

memory_app = typer.Typer(help="Vector memory: embeddings, jobs, search.", no_args_is_help=True)
docs_app = typer.Typer(help="Supplier documents (policies, notices).", no_args_is_help=True)

#: The pseudo task kind `automechanica worker --kinds embedding` runs.
EMBEDDING = "embedding"


@asynccontextmanager
async def memory_parts(
    url: str, settings: Settings
) -> AsyncIterator[tuple[AsyncConnectionPool[Any], Embedder, VectorStore]]:
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        url, min_size=1, max_size=4, kwargs={"autocommit": True, "row_factory": dict_row},
        open=False, reconnect_timeout=24 * 3600,
    )  # fmt: skip
    await pool.open(wait=True, timeout=30)
    store = store_from_settings(settings, pool)
    try:
        yield pool, embedder_from_settings(settings), store
    finally:
        close = getattr(store, "close", None)  # Qdrant's client holds connections
        if close is not None:
            await close()
        await pool.close()


async def run_embedding_worker(
    url: str, settings: Settings, options: EmbeddingWorkerOptions, *, stop_on_signals: bool
) -> EmbeddingReport:
    """The embedding worker until SIGTERM/SIGINT (when asked to wire them) or cancel."""
    async with memory_parts(url, settings) as (pool, embedder, store):
        worker = EmbeddingWorker(pool, embedder, store, options, url=url)
        if stop_on_signals:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, worker.stop)
        try:
            return await worker.run()
        except asyncio.CancelledError:
            worker.stop()
            return worker.report


def _kinds(values: list[str] | None) -> list[Kind]:
    names = [v.strip() for value in values or [] for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in KINDS]
    if unknown:
        raise typer.BadParameter(f"unknown kind(s) {unknown}; kinds: {', '.join(KINDS)}")
    return [k for k in KINDS if k in names] or list(KINDS)


KindsOption = Annotated[
    list[str] | None, typer.Option("--kind", help="part, event, issue, document, memory")
]


@memory_app.command("status")
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Jobs pending / done / failed / dead per kind, the backlog's age, vectors per model."""

    async def run(url: str) -> list[dict[str, Any]]:
        async with memory_parts(url, Settings()) as (pool, _, _store), pool.connection() as conn:
            return [asdict(s) | {"backlog": s.backlog} for s in await memory_status(conn)]

    try:
        with database(Settings()) as url:
            rows = asyncio.run(run(url))
    except AutoMechanicaError as exc:
        raise fail(exc) from exc
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table("kind", "pending", "leased", "failed", "dead", "done", "backlog age", "vectors")
    for r in rows:
        age = r["backlog_age_seconds"]
        table.add_row(
            r["kind"], str(r["pending"]), str(r["leased"]), str(r["failed"]), str(r["dead"]),
            str(r["done"]), "-" if age is None else f"{age:,.0f} s",
            ", ".join(f"{m}: {n:,}" for m, n in r["vectors"].items()) or "-",
        )  # fmt: skip
    console.print(table)


@memory_app.command("worker")
def worker(
    kinds: KindsOption = None,
    batch_size: Annotated[int, typer.Option(min=1, help="jobs leased per round trip")] = 256,
    poll_seconds: Annotated[float, typer.Option(help="poll this often if NOTIFY is lost")] = 2,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR")] = "INFO",
) -> None:
    """Run the embedding worker until SIGTERM or Ctrl-C."""
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    options = EmbeddingWorkerOptions(
        kinds=_kinds(kinds), batch_size=batch_size, poll_seconds=poll_seconds
    )
    report = run_on_database(
        lambda url, settings: run_embedding_worker(url, settings, options, stop_on_signals=True)
    )
    console.print(f"Stopped: {report}.", soft_wrap=True)


@memory_app.command("drain")
def drain(kinds: KindsOption = None) -> None:
    """Embed every due job now, then exit (a one-off worker)."""

    async def run(url: str, settings: Settings) -> EmbeddingReport:
        async with memory_parts(url, settings) as (pool, embedder, store):
            options = EmbeddingWorkerOptions(kinds=_kinds(kinds))
            return await EmbeddingWorker(pool, embedder, store, options).drain()

    report = run_on_database(run)
    console.print(f"Drained: {report}.", soft_wrap=True)


@memory_app.command("reembed")
def reembed(kinds: KindsOption = None) -> None:
    """Queue every row that has no vector of the configured model (after changing models)."""

    async def run(url: str, settings: Settings) -> int:
        async with memory_parts(url, settings) as (pool, embedder, store):
            options = EmbeddingWorkerOptions(kinds=_kinds(kinds))
            return await EmbeddingWorker(pool, embedder, store, options).backfill()

    queued = run_on_database(run)
    console.print(f"Queued {queued:,} row(s); the embedding worker embeds them.")


@memory_app.command("replay")
def replay(kind: Annotated[str | None, typer.Option(help="only this kind")] = None) -> None:
    """Dead embedding jobs back to pending, attempts reset (after fixing their cause)."""

    async def run(url: str) -> int:
        async with memory_parts(url, Settings()) as (pool, _, _store), pool.connection() as conn:
            return await replay_dead(conn, kind=kind)

    try:
        with database(Settings()) as url:
            count = asyncio.run(run(url))
    except AutoMechanicaError as exc:
        raise fail(exc) from exc
    console.print(f"Replayed {count:,} dead job(s).")


@memory_app.command("search")
def search(
    namespace: Annotated[str, typer.Argument(help="parts, events, issues, documents, or yours")],
    query: str,
    k: Annotated[int, typer.Option("-k", min=1, max=100)] = 5,
    where: Annotated[
        list[str] | None, typer.Option("--where", help="payload filter KEY=VALUE (repeatable)")
    ] = None,
) -> None:
    """Search memory by meaning."""
    filters = dict(item.split("=", 1) for item in where or [] if "=" in item)

    async def run(url: str, settings: Settings) -> list[Any]:
        async with memory_parts(url, settings) as (pool, embedder, store):
            return await Memory(pool, embedder, store).search(namespace, query, k, filters)

    hits = run_on_database(run)
    for hit in hits:
        console.print(f"{hit.score:.3f}  {hit.ref or hit.id}  {hit.text[:100]!r}", soft_wrap=True)


@docs_app.command("ingest")
def docs_ingest(
    file: Annotated[Path, typer.Argument(help="a .txt, .md or .html file")],
    supplier: Annotated[str, typer.Option(help="the supplier's name, as in `feeds import`")],
) -> None:
    """Store a supplier document in chunks; the embedding worker makes it searchable."""

    async def run(url: str) -> Any:
        async with memory_parts(url, Settings()) as (pool, _, _store), pool.connection() as conn:
            return await ingest(conn, file, supplier=supplier)

    try:
        with database(Settings()) as url:
            report = asyncio.run(run(url))
    except AutoMechanicaError as exc:
        raise fail(exc) from exc
    if report.already_ingested:
        console.print(
            f"Already ingested as document {report.document_id} ({report.chunks} chunks)."
        )
    else:
        console.print(
            f"Document {report.document_id} {report.title!r}: {report.chunks} chunk(s) queued "
            "for embedding."
        )
