"""The orchestrator against DBOS Transact: a three-step no-op workflow's steps/s, in one run.

    .venv/bin/python -m bench.workflows [--workflows 2000] [--workers 2] [--concurrency 50]
        [--rounds 2] [--only ours,dbos] [--dbos-poll 0.05]

One embedded PostgreSQL, durable (fsync and synchronous_commit on, every table
logged), a fresh database per contender per round, the same workflow (three steps
that do nothing), the same number of worker processes, asyncio for both:
  - ours: `automechanica.orchestrator` on our queue (Worker processes as `automechanica
    worker` runs them; each step is one transactional `workflow.step` task whose
    journal entry, the workflow's move and the next step's task commit together);
  - DBOS Transact (the `bench-workflows` extra): `@DBOS.workflow` over three
    `@DBOS.step`s, async, run from a DBOS queue (each process its own executor),
    each step's output checkpointed in its system database.
Both start from a full backlog: `--workflows` runs created before the workers
start (ours with `start_workflow`, DBOS enqueued on its queue by a process that
does not dequeue). Concurrency is workflows in flight per process: our worker's
`concurrency` (and handler connections) against the DBOS queue's
`worker_concurrency` (and system database pool). Figure: steps/s, 3 × workflows
over the span from the first step's start to the last workflow's end, by each
system's own timestamps (worker start-up is not counted, for either).
Target: ours ahead of DBOS at equal concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

from automechanica.db import migrate
from automechanica.db.embedded import EmbeddedPostgres, drop_database, ensure_database
from automechanica.orchestrator import Engine, Step, StepContext, Workflow, WorkflowRegistry
from automechanica.orchestrator import start_workflow as start_ours
from automechanica.queue import Worker, WorkerOptions

ROOT = Path(__file__).resolve().parent.parent
PEER = "dbos==3.4.0"  # as pinned in the bench-workflows extra
STEPS = 3
CONTENDERS = ("ours", "dbos")
QUEUE = "bench"


async def nothing(ctx: StepContext) -> None:
    return None


NOOP3 = Workflow(
    "bench_noop3",
    version=1,
    steps=(Step("one", nothing), Step("two", nothing), Step("three", nothing)),
)


@dataclass(frozen=True)
class Setting:
    """One contender at one setting: what each worker process is told."""

    contender: str
    concurrency: int  # workflows in flight per process
    poll: float = 0.0  # DBOS queue polling interval (s); ours wakes on NOTIFY

    def describe(self, workers: int) -> str:
        if self.contender == "ours":
            return (
                f"{workers} procs x concurrency {self.concurrency}, lease "
                f"{min(100, self.concurrency)}/query, {self.concurrency} handler connections"
            )
        return (
            f"{workers} procs x queue worker_concurrency {self.concurrency}, poll "
            f"{self.poll * 1000:.0f} ms, sys db pool {self.concurrency + 5}, async steps"
        )


# -- worker processes ------------------------------------------------------------------


def run_ours(url: str, s: Setting) -> None:
    options = WorkerOptions(
        concurrency=s.concurrency,
        batch_size=min(100, s.concurrency),
        handler_connections=s.concurrency,
        retention_seconds=None,
        grace_seconds=1,
    )
    worker = Worker(url, Engine(WorkflowRegistry([NOOP3])).task_registry(), options)

    async def main() -> None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, worker.stop)
        await worker.run()

    asyncio.run(main())


def dbos_app(url: str, s: Setting, *, listen: bool) -> Any:
    """DBOS configured on `url` with the no-op workflow registered; not launched."""
    from dbos import DBOS, DBOSConfig

    config: DBOSConfig = {
        "name": "bench-workflows",
        "system_database_url": url,
        "sys_db_pool_size": s.concurrency + 5,
        "application_version": "bench",
        "executor_id": f"bench-{os.getpid()}",
        "log_level": "WARNING",
    }
    dbos = DBOS(config=config)

    @DBOS.step(name="one")
    async def one() -> None:
        return None

    @DBOS.step(name="two")
    async def two() -> None:
        return None

    @DBOS.step(name="three")
    async def three() -> None:
        return None

    @DBOS.workflow(name="bench_noop3")
    async def noop3(i: int) -> None:
        await one()
        await two()
        await three()

    if not listen:
        DBOS.listen_queues([])
    return dbos, noop3


def run_dbos(url: str, s: Setting) -> None:
    from dbos import DBOS

    dbos_app(url, s, listen=True)
    DBOS.launch()
    DBOS.register_queue(QUEUE, worker_concurrency=s.concurrency, polling_interval_sec=s.poll)
    stopped = False

    def stop(*_: object) -> None:
        nonlocal stopped
        stopped = True

    signal.signal(signal.SIGTERM, stop)
    while not stopped:
        time.sleep(0.1)
    DBOS.destroy()


def fill_dbos(url: str, s: Setting, n: int) -> None:
    """Enqueue `n` workflows from a DBOS process that does not dequeue them."""
    from dbos import DBOS

    _, noop3 = dbos_app(url, s, listen=False)
    DBOS.launch()
    queue = DBOS.register_queue(
        QUEUE, worker_concurrency=s.concurrency, polling_interval_sec=s.poll
    )

    async def enqueue() -> None:
        for i in range(n):
            await queue.enqueue_async(noop3, i)

    asyncio.run(enqueue())
    DBOS.destroy()


@contextmanager
def server() -> Iterator[str]:
    """An embedded server's admin URL (bench._setup's, without the catalog it loads)."""
    external = os.environ.get("AUTOMECHANICA_DATABASE_URL")
    if external:
        yield external
        return
    with tempfile.TemporaryDirectory(prefix="bench-workflows-") as scratch:
        pg = EmbeddedPostgres(Path(scratch) / "pgdata", delete_on_exit=True)
        pg.start()
        try:
            yield pg.admin_url()
        finally:
            pg.stop()


# -- one run ---------------------------------------------------------------------------


def fill_ours(url: str, n: int) -> None:
    migrate.migrate(url)

    async def start() -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            for _ in range(n):
                await start_ours(conn, NOOP3)

    asyncio.run(start())


@dataclass(frozen=True)
class Shape:
    done: str  # workflows finished
    span: str  # seconds from the first step's start to the last workflow's end


SHAPES = {
    "ours": Shape(
        "SELECT count(*) FROM workflows WHERE status = 'completed'",
        "SELECT extract(epoch FROM (SELECT max(finished_at) FROM workflows)"
        " - (SELECT min(started_at) FROM tasks))",
    ),
    "dbos": Shape(
        "SELECT count(*) FROM dbos.workflow_status WHERE status = 'SUCCESS'",
        "SELECT (max(updated_at) - min(started_at_epoch_ms)) / 1000.0 FROM dbos.workflow_status",
    ),
}


def role(url: str, s: Setting, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "bench.workflows", "--url", url, "--role", json.dumps(asdict(s)),
        *extra,
    ]  # fmt: skip


def one_run(url: str, s: Setting, workers: int, n: int) -> dict[str, float]:
    started = time.monotonic()
    if s.contender == "ours":
        fill_ours(url, n)
    else:
        subprocess.run(role(url, s, "--fill", str(n)), cwd=ROOT, check=True)
    filled = time.monotonic() - started
    procs = [subprocess.Popen(role(url, s), cwd=ROOT) for _ in range(workers)]
    try:
        wall = drain(url, procs, SHAPES[s.contender].done, n)
        span = scalar(url, SHAPES[s.contender].span)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    return {"steps": STEPS * n / span, "workflows": n / span, "wall": wall, "fill": filled}


def drain(url: str, procs: list[subprocess.Popen[bytes]], done: str, total: int) -> float:
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            try:
                row = conn.execute(done).fetchone()
            except psycopg.errors.UndefinedTable:
                row = None
            if row and row[0] >= total:
                return time.monotonic() - started
            if any(p.poll() not in (None, 0) for p in procs):
                raise SystemExit("a worker process failed; see its output above")
            time.sleep(0.05)


def scalar(url: str, query: str) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None and row[0] is not None
    return float(row[0])


def durability(url: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        values = [
            f"{name}={conn.execute(f'SHOW {name}').fetchone()[0]}"  # type: ignore[index]
            for name in ("fsync", "synchronous_commit", "wal_sync_method", "shared_buffers")
        ]
    return ", ".join(values)


def installed() -> bool:
    try:
        import dbos  # noqa: F401
    except ImportError:
        print(
            "DBOS Transact is not installed: it is a dependency of this benchmark only.\n"
            "Install it with `.venv/bin/pip install -e '.[bench-workflows]'` to compare "
            f"against it ({PEER}); running without it.\n"
        )
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workflows", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="processes per contender")
    parser.add_argument("--concurrency", default="20", help="workflows in flight per process")
    parser.add_argument("--dbos-poll", type=float, default=0.05, help="DBOS queue poll (s)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default=",".join(CONTENDERS))
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--fill", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.role:
        s = Setting(**json.loads(args.role))
        if args.fill is not None:
            fill_dbos(args.url, s, args.fill)
        else:
            (run_ours if s.contender == "ours" else run_dbos)(args.url, s)
        return 0

    wanted = [c for c in args.only.split(",") if c in CONTENDERS]
    if "dbos" in wanted and not installed():
        wanted.remove("dbos")
    levels = [int(x) for x in args.concurrency.split(",") if x]
    schedule = [
        Setting(c, level, args.dbos_poll if c == "dbos" else 0.0)
        for level in levels
        for c in wanted
    ]
    results: dict[Setting, list[dict[str, float]]] = {s: [] for s in schedule}
    with server() as url:
        admin = _sibling(url, "postgres")
        print(f"server: {durability(url)}")
        print(
            f"{args.workflows:,} workflows of {STEPS} no-op steps per run, {args.workers} worker "
            f"processes per run, a fresh database each; {args.rounds} round(s), alternating\n",
            flush=True,
        )
        for round_ in range(args.rounds):
            for s in schedule:
                name = f"wf_bench_{s.contender}"
                drop_database(admin, name)
                ensure_database(admin, name)
                figures = one_run(_sibling(url, name), s, args.workers, args.workflows)
                results[s].append(figures)
                print(
                    f"round {round_ + 1}: {s.contender:<5}{figures['steps']:>8,.0f} steps/s "
                    f"({figures['workflows']:,.0f} workflows/s)  [{s.describe(args.workers)}; "
                    f"durable] (wall incl. start-up {figures['wall']:.1f} s)",
                    flush=True,
                )
                drop_database(admin, name)
    print("\nsummary (steps/s, best round; same server, same workflow, durable)")
    for level in levels:
        best = {
            s.contender: max(f["steps"] for f in results[s])
            for s in schedule
            if s.concurrency == level
        }
        line = ", ".join(f"{c} {v:,.0f}" for c, v in best.items())
        if "ours" in best and "dbos" in best:
            line += f"  -> ours {best['ours'] / best['dbos']:.2f}x DBOS"
        print(f"  concurrency {level} per process, {args.workers} procs: {line}")
    return 0


def _sibling(url: str, database: str) -> str:
    """`url` (a postgresql:// URL) pointing at another database."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


if __name__ == "__main__":
    raise SystemExit(main())
