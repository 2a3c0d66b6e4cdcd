"""A supplier feed onboarded end to end through `supplier_feed_onboarding`, offline.

    .venv/bin/python -m bench.onboarding [--sizes 1000,10000,100000] [--no-large]

For each size, a fresh embedded PostgreSQL (schema, reference data, the demo
vehicles) and a northstar-format CSV of that many distinct parts, one row each
(the demo generator's catalog, voices and fitment strings; `write_feed`). Then:

  - baseline: the bare importer (`import_feed`) on the same file into a second
    fresh database on the same server;
  - ours: `start_workflow(ONBOARDING, …)` driven in process exactly as
    `automechanica feeds import` does (`cli.drive.drive`: a Worker of concurrency 4
    with the LLM router and the local ONNX embedder as services), then the
    embedding worker (`EmbeddingWorker.drain`, the pgvector store) until the
    backlog of part and event vectors the run queued is empty, timed apart.

Figures: parts/s for the workflow alone and with its embeddings, against the bare
importer; the workflow's time per step (`workflow_steps.started_at` →
`finished_at`) and the time between steps; queue overhead (each task's
`started_at - run_at`); LLM router calls (`llm_calls`, none expected offline);
embedding; and CPU split between this process (Python: workers, importer,
embedder) and PostgreSQL (postmaster and backends, live and reaped, from /proc).
Target (issue 11): 10,000 parts in under 2 minutes, growth close to linear to
100,000. A stall probe (bench/_stalls.py) runs beside each size.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import itertools
import logging
import os
import random
import resource
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from automechanica.catalog.feeds.demo.catalog import Catalog, money
from automechanica.catalog.feeds.demo.fitment import Fleet
from automechanica.catalog.feeds.demo.offers import Offer
from automechanica.catalog.feeds.demo.voices import Voices, fitment_texts
from automechanica.catalog.feeds.demo.writers import NORTHSTAR_COLUMNS, northstar_cells
from automechanica.catalog.feeds.importer import import_feed
from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.cli.drive import SETTLED, workflow_services
from automechanica.cli.memory import memory_parts
from automechanica.config import Settings
from automechanica.db.embedded import ensure_database
from automechanica.llm import configured, load_catalog
from automechanica.memory import EmbeddingWorker, EmbeddingWorkerOptions
from automechanica.orchestrator import Engine, WorkflowRegistry, start_workflow
from automechanica.orchestrator.definitions import FanOut, Step, Workflow
from automechanica.orchestrator.workflows.onboarding import ONBOARDING
from automechanica.queue import Worker, WorkerOptions
from bench._setup import bench_database, prepare_catalog
from bench._stalls import StallProbe

os.environ.setdefault("HF_HUB_OFFLINE", "1")
SUPPLIER = "northstar"
STEPS = tuple(step.key for step in ONBOARDING.steps)
FAN_OUTS = {step.key: step.batch_size for step in ONBOARDING.steps if isinstance(step, FanOut)}
TICK = os.sysconf("SC_CLK_TCK")
Interval = tuple[str, float, float]  # (step key, start, end), epoch seconds

# -- the feed ---------------------------------------------------------------------------


def write_feed(path: Path, parts: int, vehicles: list[VehicleConfig], seed: int = 11) -> None:
    """A northstar CSV naming `parts` distinct catalog parts, one row (offer) each."""
    rng = random.Random(seed)
    fleet = Fleet(vehicles)
    catalog = Catalog(rng, fleet)
    voices = Voices(rng)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(NORTHSTAR_COLUMNS)
        for index in range(parts):
            part = catalog.part(index)
            offer = Offer(
                part,
                SUPPLIER,
                f"NS-{index + 1:07d}",
                voices.brand(SUPPLIER, part.brand),
                part.mpn,
                money(float(part.cost) * rng.uniform(0.85, 1.15)),
                {"EAST": rng.randrange(13), "WEST": rng.randrange(7)},
                voices.updated_at(),
                fitment_texts(part, rng, fleet),
            )
            writer.writerow(northstar_cells(offer, rng).values())


# -- CPU accounting ---------------------------------------------------------------------


def _stat(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()  # fields from 3 (state) on


def postgres_cpu(pgdata: Path | None) -> float | None:
    """CPU seconds of the server: postmaster, its reaped children and live ones."""
    if pgdata is None:
        return None
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        own = _stat(pid)
        total = sum(int(own[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                fields = _stat(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, ValueError):
                continue
            if int(fields[1]) == pid:
                total += int(fields[11]) + int(fields[12])
    except (FileNotFoundError, ValueError):
        return None
    return total / TICK


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Span:
    """Wall and CPU seconds of one phase."""

    wall: float = 0.0
    python: float = 0.0
    postgres: float | None = None


class Meter:
    def __init__(self, pgdata: Path | None) -> None:
        self.pgdata = pgdata

    def __enter__(self) -> Span:
        self.span = Span()
        self._t, self._py, self._pg = time.perf_counter(), own_cpu(), postgres_cpu(self.pgdata)
        return self.span

    def __exit__(self, *exc: object) -> None:
        self.span.wall = time.perf_counter() - self._t
        self.span.python = own_cpu() - self._py
        pg = postgres_cpu(self.pgdata)
        self.span.postgres = pg - self._pg if pg is not None and self._pg is not None else None


# -- one size ---------------------------------------------------------------------------


@dataclass
class Result:
    parts: int
    generate_s: float = 0.0
    baseline: Span = field(default_factory=Span)
    baseline_summary: dict[str, Any] = field(default_factory=dict)
    workflow: Span = field(default_factory=Span)
    status: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    waits: dict[str, list[float]] = field(default_factory=dict)  # step: queue waits (s)
    llm_calls: int = 0
    llm_ms: float = 0.0
    events: int = 0
    pages: int = 0
    embedding: Span = field(default_factory=Span)
    embedded: dict[str, int] = field(default_factory=dict)
    model_only: dict[str, tuple[int, float]] = field(default_factory=dict)  # kind: (n, s)
    shared: int = 0  # vectors the worker took from an identical text
    stalls: str = ""
    times: list[Interval] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0

    @property
    def total_s(self) -> float:
        return self.workflow.wall + self.embedding.wall


def sibling(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


async def bare_import(url: str, path: Path) -> dict[str, Any]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        return asdict(await import_feed(conn, path, supplier=SUPPLIER))


def timed(key: str, fn: Any, times: list[Interval]) -> Any:
    async def run(*args: Any, **kwargs: Any) -> Any:
        started = time.time()
        try:
            return await fn(*args, **kwargs)
        finally:
            times.append((key, started, time.time()))

    return run


def timed_workflow(workflow: Workflow, times: list[Interval]) -> Workflow:
    """The same workflow (name, version, steps) with each handler's run timed."""
    steps: list[Any] = []
    for step in workflow.steps:
        if isinstance(step, FanOut):
            items = timed(f"{step.key}:items", step.items, times)
            steps.append(
                replace(step, items=items, run_batch=timed(step.key, step.run_batch, times))
            )
        elif isinstance(step, Step):
            steps.append(replace(step, run=timed(step.key, step.run, times)))
        else:
            steps.append(step)
    return replace(workflow, steps=tuple(steps))


async def onboard(url: str, settings: Settings, path: Path, result: Result) -> UUID:
    """`cli.drive.drive` with the step handlers timed: the same Worker options and
    services; the services are up before the run starts (their start is not counted)."""
    engine = Engine(WorkflowRegistry([timed_workflow(ONBOARDING, result.times)]))
    worker = Worker(url, engine.task_registry(), WorkerOptions(concurrency=4, poll_seconds=0.2))
    given = {"path": str(path.resolve()), "supplier": SUPPLIER}
    async with workflow_services(url, settings) as services:
        engine.services = services
        running = asyncio.create_task(worker.run())
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                result.started = time.time()
                workflow_id = await start_workflow(conn, ONBOARDING, given, started_by="bench")
                while True:
                    cur = await conn.execute(
                        "SELECT status FROM workflows WHERE id = %s", (workflow_id,)
                    )
                    row = await cur.fetchone()
                    if row and row[0] in SETTLED:
                        result.status = row[0]
                        break
                    if running.done():
                        running.result()
                        raise SystemExit("the worker stopped")
                    await asyncio.sleep(0.02)
                result.finished = time.time()
        finally:
            worker.stop()
            await running
    return workflow_id


async def embed_backlog(url: str, settings: Settings, pgdata: Path | None, result: Result) -> None:
    """The embedding worker until no job is due (its span, jobs embedded per kind); then,
    as its baseline, the bare model on the distinct texts of those jobs (what the model
    must embed; the worker gives identical texts one vector) in batches of 64."""
    async with memory_parts(url, settings) as (pool, embedder, store):
        embedder.embed(["warm-up"])  # model load is not part of the figure
        async with pool.connection() as conn:
            before = await _embedded(conn)
        worker = EmbeddingWorker(pool, embedder, store, EmbeddingWorkerOptions(backfill=False))
        with Meter(pgdata) as result.embedding:
            report = await worker.drain()
        result.shared = report.shared
        async with pool.connection() as conn:
            after = await _embedded(conn)
            cur = await conn.execute(
                "SELECT count(*) AS n FROM embedding_jobs WHERE status IN ('pending', 'failed')"
            )
            left = await cur.fetchone()
            cur = await conn.execute(
                "SELECT kind, content FROM embedding_jobs WHERE status = 'done' ORDER BY id"
            )
            texts: dict[str, list[str]] = {}
            seen: set[str] = set()
            for r in await cur.fetchall():
                if r["content"] not in seen:
                    seen.add(r["content"])
                    texts.setdefault(r["kind"], []).append(r["content"])
        for kind, contents in texts.items():
            started = time.perf_counter()
            for i in range(0, len(contents), 64):
                embedder.embed(contents[i : i + 64])
            result.model_only[kind] = (len(contents), time.perf_counter() - started)
    result.embedded = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    result.embedded["_left"] = left["n"] if left else -1


async def _embedded(conn: psycopg.AsyncConnection[Any]) -> dict[str, int]:
    cur = await conn.execute(
        "SELECT kind, count(*) AS n FROM embedding_jobs WHERE status = 'done' GROUP BY kind"
    )
    return {r["kind"]: r["n"] for r in await cur.fetchall()}


TASKS = """
SELECT id, payload->>'step' AS step_key, extract(epoch FROM started_at)::float8 AS started
FROM tasks WHERE workflow_id = %(id)s ORDER BY id
"""
RUN = """
SELECT (SELECT count(*) FROM agent_events WHERE workflow_id = %(id)s) AS events,
       (SELECT count(*) FROM llm_calls) AS calls,
       (SELECT coalesce(sum(latency_ms), 0) FROM llm_calls) AS llm_ms,
       (SELECT count(*) FROM product_content) AS pages
"""


def union(spans: list[tuple[float, float]]) -> float:
    """Seconds covered by the spans (overlapping batches counted once)."""
    total, end = 0.0, float("-inf")
    for a, b in sorted(spans):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def read_split(url: str, workflow_id: UUID, r: Result) -> None:
    """Handler time per step (timed in process) and each task's queue wait: its lease
    (`tasks.started_at`, the lease statement's clock) after the end of the handler
    whose commit enqueued it; the wait therefore holds that step's journal and commit."""
    ends: dict[str, float] = {"": r.started}
    for key, _, end in r.times:
        ends[key] = max(ends.get(key, 0.0), end)
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
        tasks = conn.execute(TASKS, {"id": workflow_id}).fetchall()
        run = conn.execute(RUN, {"id": workflow_id}).fetchone()
    for task in tasks:
        key = task["step_key"]
        if key in r.waits and key in FAN_OUTS:  # a batch: its fan-out's items handler
            source = f"{key}:items"
        else:  # a step's first task: the previous step's last handler (a fan-in's last batch)
            index = STEPS.index(key) if key in STEPS else 0
            source = STEPS[index - 1] if index > 0 else ""
        wait = task["started"] - ends.get(source, r.started)
        r.waits.setdefault(key, []).append(wait)
    assert run is not None
    r.events, r.llm_calls = run["events"], run["calls"]
    r.llm_ms, r.pages = float(run["llm_ms"]), run["pages"]


def one_size(parts: int, settings: Settings, embed_up_to: int) -> Result:
    result = Result(parts)
    with bench_database(f"bench_onboarding_{parts}") as (url, work):
        pgdata = None if os.environ.get("AUTOMECHANICA_DATABASE_URL") else work / "pgdata"
        bare_url = sibling(url, f"bench_onboarding_bare_{parts}")
        ensure_database(sibling(url, "postgres"), f"bench_onboarding_bare_{parts}")
        vehicles = prepare_catalog(url)
        prepare_catalog(bare_url)
        path = work / "feed.csv"
        started = time.perf_counter()
        write_feed(path, parts, vehicles)
        result.generate_s = time.perf_counter() - started
        with StallProbe() as probe:
            with Meter(pgdata) as result.baseline:
                result.baseline_summary = asyncio.run(bare_import(bare_url, path))
            with Meter(pgdata) as result.workflow:
                workflow_id = asyncio.run(onboard(url, settings, path, result))
            if parts <= embed_up_to:
                asyncio.run(embed_backlog(url, settings, pgdata, result))
        result.stalls = probe.summary()
        read_split(url, workflow_id, result)
        with psycopg.connect(url, row_factory=dict_row) as conn:
            imported = conn.execute(
                "SELECT result FROM workflow_steps WHERE workflow_id = %s AND step_key = 'import'",
                (workflow_id,),
            ).fetchone()
        result.summary = (imported or {}).get("result") or {}
    return result


# -- report -----------------------------------------------------------------------------


def cpu(span: Span) -> str:
    pg = f"{span.postgres:.1f}" if span.postgres is not None else "n/a"
    return f"CPU: Python {span.python:.1f} s, PostgreSQL {pg} s"


def report(r: Result) -> None:
    n = r.parts
    s, b = r.summary, r.baseline_summary
    print(f"\n== {n:,} parts ({n:,} feed rows; generated in {r.generate_s:.1f} s) ==")
    print(f"  {r.stalls}")
    print(
        f"  bare import_feed (baseline): {r.baseline.wall:7.1f} s  {n / r.baseline.wall:8,.0f}"
        f" parts/s  [{cpu(r.baseline)}]  parts_created={b.get('parts_created')},"
        f" offers={b.get('offers')}, fitments={b.get('fitments')},"
        f" rejected={b.get('rows_rejected')}"
    )
    print(
        f"  workflow ({r.status}):       {r.workflow.wall:7.1f} s  {n / r.workflow.wall:8,.0f}"
        f" parts/s  [{cpu(r.workflow)}]  parts_created={s.get('parts_created')},"
        f" offers={s.get('offers')}, fitments={s.get('fitments')},"
        f" rejected={s.get('rows_rejected')}"
    )
    e = r.embedded
    vectors = sum(v for k, v in e.items() if not k.startswith("_"))
    kinds = ", ".join(f"{k} {v:,}" for k, v in e.items() if not k.startswith("_"))
    if not e:
        print("  embedding worker: not run at this size (--embed-up-to); end to end = workflow")
    else:
        print(
            f"  embedding worker (drain):    {r.embedding.wall:7.1f} s"
            f"  {vectors / max(r.embedding.wall, 1e-9):8,.0f}"
            f" vectors/s  [{cpu(r.embedding)}]  {kinds}; left pending {e.get('_left')}"
        )
        distinct = sum(count for count, _ in r.model_only.values())
        bare = sum(secs for _, secs in r.model_only.values())
        wall = max(r.embedding.wall, 1e-9)
        print(
            f"    {distinct:,} distinct texts went to the model ({r.shared:,} vectors shared an"
            f" identical text): the worker {distinct / wall:,.0f} texts/s, the bare model"
            f" {distinct / max(bare, 1e-9):,.0f} texts/s: the worker at {bare / wall:.0%}"
            " of the model's own rate"
        )
    for kind, (count, secs) in r.model_only.items():
        print(
            f"    bare model on the same distinct {kind} texts (batches of 64): {secs:.1f} s,"
            f" {count / max(secs, 1e-9):,.0f} texts/s"
        )
    print(
        f"  end to end (workflow + embeddings): {r.total_s:.1f} s, {n / r.total_s:,.0f} parts/s;"
        f" workflow ÷ bare importer: {r.workflow.wall / r.baseline.wall:.2f}× the time"
    )
    wall = r.finished - r.started
    busy = union([(a, b) for _, a, b in r.times])
    print(
        f"  split of the workflow's {wall:.2f} s (start_workflow → settled, seen within 20 ms):"
        " handler time per step (timed in process; a fan-out's batches overlap, counted"
        " once) and the queue wait of its tasks (lease after the enqueuing handler ended)"
    )
    for key in STEPS:
        t = union([(a, b) for k, a, b in r.times if k.split(":")[0] == key])
        waits = r.waits.get(key, [])
        extra = f", {len(waits) - 1} batches of up to {FAN_OUTS[key]}" if key in FAN_OUTS else ""
        print(
            f"    {key:<14}{t:8.2f} s  {t / wall:6.1%}   queue wait: {len(waits)} task(s),"
            f" sum {sum(waits):.3f} s, max {max(waits, default=0):.3f} s{extra}"
        )
    print(
        f"    {'outside steps':<14}{wall - busy:8.2f} s  {(wall - busy) / wall:6.1%}"
        "   (journal, commits, hand-off to the next task, detection of the end)"
    )
    allw = [w for ws in r.waits.values() for w in ws]
    print(
        f"  queue: {len(allw)} tasks, wait sum {sum(allw):.2f} s, mean"
        f" {sum(allw) / max(len(allw), 1) * 1000:.0f} ms, max {max(allw, default=0) * 1000:.0f} ms"
    )
    print(
        f"  LLM router: {r.llm_calls} llm_calls rows ({r.llm_ms:.0f} ms);"
        f" agent events {r.events}; product pages {r.pages}"
    )
    wf = r.workflow
    if wf.postgres is not None:
        print(
            f"  database: PostgreSQL CPU {wf.postgres:.1f} s during the workflow"
            f" ({wf.postgres / wf.wall:.0%} of its wall time; Python {wf.python / wf.wall:.0%})"
        )


def summary(results: list[Result]) -> None:
    print("\nsummary (parts/s; same server, fresh database per size)")
    print(
        f"  {'parts':>8} {'bare s':>8} {'bare/s':>8} {'wf s':>8} {'wf/s':>8} {'embed s':>8}"
        f" {'e2e s':>8} {'e2e/s':>8} {'wf÷bare':>8} {'µs/part e2e':>12}"
    )
    for r in results:
        print(
            f"  {r.parts:>8,} {r.baseline.wall:8.1f} {r.parts / r.baseline.wall:8,.0f}"
            f" {r.workflow.wall:8.1f} {r.parts / r.workflow.wall:8,.0f} {r.embedding.wall:8.1f}"
            f" {r.total_s:8.1f} {r.parts / r.total_s:8,.0f}"
            f" {r.workflow.wall / r.baseline.wall:7.2f}× {r.total_s / r.parts * 1e6:12,.0f}"
        )
    ten = next((r for r in results if r.parts == 10_000), None)
    if ten is not None:
        verdict = "met" if ten.total_s < 120 else "NOT met"
        print(f"  target 10,000 parts < 120 s end to end: {ten.total_s:.1f} s ({verdict})")
    for a, b in itertools.pairwise(results):
        e2e = (
            f" {b.total_s / a.total_s:.1f}× the time end to end,"
            if a.embedded and b.embedded
            else " (embeddings not run at both sizes),"
        )
        print(
            f"  growth {a.parts:,} → {b.parts:,} ({b.parts / a.parts:.0f}× the parts):{e2e}"
            f" {b.workflow.wall / a.workflow.wall:.1f}× the workflow,"
            f" {b.baseline.wall / a.baseline.wall:.1f}× the bare importer"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--no-large", action="store_true", help="skip sizes above 10,000")
    parser.add_argument(
        "--embed-up-to",
        type=int,
        default=10_000,
        help="run the embedding worker only at sizes up to this (it runs at ~70 vectors/s here)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sizes = [int(x) for x in args.sizes.split(",") if x]
    if args.no_large:
        sizes = [n for n in sizes if n <= 10_000]
    settings = Settings(embedding_provider="local")
    real = configured(settings, load_catalog(settings.llm_models_file)) - {"offline"}
    print(
        f"embedder: {settings.embedding_provider} (dimension {settings.embedding_dimension});"
        f" LLM providers configured besides offline: {sorted(real) or 'none'};"
        f" vector store {settings.vector_store}; worker concurrency 4 (as `feeds import`)"
    )
    results = []
    for n in sizes:
        results.append(one_size(n, settings, args.embed_up_to))
        report(results[-1])
        summary(results)


if __name__ == "__main__":
    main()
