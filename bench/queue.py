"""The task queue against procrastinate and a raw-SQL ceiling, in one run (issue 3).

    .venv/bin/python -m bench.queue [--tasks 20000] [--workers 2] [--concurrency 200]

One embedded PostgreSQL (durable: fsync and synchronous_commit on), one database
per contender, the same no-op tasks and the same number of worker processes:
  - ours: `automechanica.queue` (Worker processes as `automechanica worker` runs them);
  - procrastinate (pinned below; a dev dependency of this benchmark only);
  - raw ceiling: a minimal table drained with SKIP LOCKED in batches of 50, each
    batch completed in one statement; and the same raw SQL in our queue's shape
    (completion of one batch and the take of the next in one commit).
Figures: enqueue tasks/s (batches of 1,000, and one at a time), processed tasks/s
(first start to last finish, from the database's own timestamps: worker start-up
is not counted, for anyone), the ratios, enqueue-to-start latency with idle
workers, and the tasks table's size and dead tuples after the run.
Targets: >= 10x procrastinate, >= 25% of the raw ceiling, latency p50 < 20 ms.
"""

from __future__ import annotations

import os
import sys

# Run as `python -m bench.queue` (make bench does). Run as a file, this folder would
# come first on sys.path and this module would shadow the standard `queue`: drop it.
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if not __package__:
    sys.path[:] = [ROOT] + [p for p in sys.path if os.path.abspath(p or ".") != HERE]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import logging  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import psycopg  # noqa: E402
from psycopg.conninfo import make_conninfo  # noqa: E402

from automechanica.db import migrate  # noqa: E402
from automechanica.db.embedded import ensure_database  # noqa: E402
from automechanica.queue import (  # noqa: E402
    TaskContext,
    TaskRegistry,
    Worker,
    WorkerOptions,
    insert_tasks,
    new_task,
    prune_all,
)
from bench._setup import bench_database, percentile  # noqa: E402

PROCRASTINATE = "procrastinate==3.10.0"  # as pinned in pyproject.toml's bench-queue extra
BATCH = 1000
SINGLES = 1000
LATENCY_SAMPLES = 200

registry = TaskRegistry()


@registry.task("bench.noop")
async def noop(payload: dict[str, Any], ctx: TaskContext) -> None:
    return None


# -- the three contenders' worker processes ---------------------------------------------


def run_ours(url: str, concurrency: int, batch: int) -> None:
    options = WorkerOptions(
        concurrency=concurrency, batch_size=batch, retention_seconds=None, grace_seconds=1
    )
    worker = Worker(url, registry, options)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        import signal

        loop.add_signal_handler(signal.SIGTERM, worker.stop)
        await worker.run()

    asyncio.run(main())


def procrastinate_app(url: str) -> Any:
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))

    @app.task(name="noop")
    async def _noop(**kwargs: Any) -> None:
        return None

    return app


def run_procrastinate(url: str, concurrency: int) -> None:
    app = procrastinate_app(url)

    async def main() -> None:
        async with app.open_async():
            await app.run_worker_async(concurrency=concurrency, listen_notify=True, wait=True)

    asyncio.run(main())


RAW_SCHEMA = """
CREATE TABLE raw_jobs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payload     jsonb NOT NULL,
    status      smallint NOT NULL DEFAULT 0,   -- 0 todo, 1 taken, 2 done
    started_at  timestamptz,
    finished_at timestamptz
);
CREATE INDEX raw_jobs_todo ON raw_jobs (id) WHERE status = 0;
"""
RAW_TAKE = """
WITH picked AS (
    SELECT id FROM raw_jobs WHERE status = 0 ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
)
UPDATE raw_jobs SET status = 1, started_at = now()
WHERE id = ANY(ARRAY(SELECT id FROM picked)) RETURNING id
"""
RAW_DONE = "UPDATE raw_jobs SET status = 2, finished_at = now() WHERE id = ANY(%s)"


def run_raw(url: str, batch: int, one_commit: bool) -> None:
    """The issue's ceiling: take 50, complete them in one statement (two commits).

    With `one_commit`, our queue's shape instead: complete the last batch and take
    the next in one transaction (one commit per batch).
    """
    with psycopg.connect(url, autocommit=True) as conn:
        done: list[int] = []
        while True:
            if one_commit:
                with conn.transaction():
                    if done:
                        conn.execute(RAW_DONE, [done])
                    ids = [r[0] for r in conn.execute(RAW_TAKE, [batch]).fetchall()]
            else:
                ids = [r[0] for r in conn.execute(RAW_TAKE, [batch]).fetchall()]
                if ids:
                    conn.execute(RAW_DONE, [ids])
            done = ids if one_commit else []
            if not ids:
                if conn.execute("SELECT 1 FROM raw_jobs WHERE status < 2 LIMIT 1").fetchone():
                    continue
                return


# -- the run ---------------------------------------------------------------------------


def spawn(role: str, url: str, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "bench.queue", "--role", role, "--url", url]
    command += ["--concurrency", str(args.concurrency), "--batch", str(args.batch)]
    command += ["--procrastinate-concurrency", str(args.procrastinate_concurrency)]
    return subprocess.Popen(command, cwd=ROOT)


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


def drain(url: str, procs: list[subprocess.Popen[bytes]], done: str, total: int) -> float:
    """Wait until `done` (a count query) reaches `total`; the wall time."""
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            row = conn.execute(done).fetchone()
            if row and row[0] >= total:
                return time.monotonic() - started
            if any(p.poll() not in (None, 0) for p in procs):
                raise SystemExit("a worker process failed; see its output above")
            time.sleep(0.05)


def span(url: str, query: str) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None and row[0] is not None
    return float(row[0])


def timed(job: Callable[[], Any]) -> float:
    started = time.perf_counter()
    job()
    return time.perf_counter() - started


def bench_ours(url: str, args: argparse.Namespace) -> dict[str, float]:
    migrate.migrate(url)
    n = args.tasks

    async def enqueue(count: int, batch: int, offset: int = 0) -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            for start in range(0, count, batch):
                stop_at = min(start + batch, count)
                await insert_tasks(
                    conn, [new_task("bench.noop", {"i": offset + i}) for i in range(start, stop_at)]
                )

    singles = timed(lambda: asyncio.run(enqueue(SINGLES, 1, offset=n)))
    batched = timed(lambda: asyncio.run(enqueue(n - SINGLES, BATCH)))
    procs = [spawn("ours", url, args) for _ in range(args.workers)]
    try:
        wall = drain(url, procs, "SELECT count(*) FROM tasks WHERE status = 'completed'", n)
        processing = span(
            url,
            "SELECT extract(epoch FROM max(finished_at) - min(started_at)) FROM tasks",
        )
        health = table_health(url)
        latencies = latency_ours(url)
    finally:
        stop(procs)
    return {
        "enqueue_batched": (n - SINGLES) / batched,
        "enqueue_single": SINGLES / singles,
        "processed": n / processing,
        "wall": wall,
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p99_ms": percentile(latencies, 99),
    } | {f"table_{k}": v for k, v in health.items()}


def latency_ours(url: str) -> list[float]:
    """Enqueue one task at a time to idle workers; enqueue-to-start by the database clock."""

    async def run() -> list[float]:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            ids = []
            for i in range(LATENCY_SAMPLES):
                (task_id,) = await insert_tasks(conn, [new_task("bench.noop", {"i": i})])
                ids.append(task_id)
                while await _scalar(conn, "SELECT status FROM tasks WHERE id = %s", task_id) in (
                    "pending",
                    "leased",
                ):
                    await asyncio.sleep(0.002)
                await asyncio.sleep(0.02)  # the workers are idle again
            cur = await conn.execute(
                "SELECT extract(epoch FROM started_at - created_at) * 1000 FROM tasks"
                " WHERE id = ANY(%s)",
                [ids],
            )
            return [float(r[0]) for r in await cur.fetchall()]

    return asyncio.run(run())


async def _scalar(conn: psycopg.AsyncConnection[Any], query: str, *params: Any) -> Any:
    cur = await conn.execute(query, params)
    row = await cur.fetchone()
    return row[0] if row else None


def bench_procrastinate(url: str, args: argparse.Namespace) -> dict[str, float]:
    n = args.tasks
    app = procrastinate_app(url)

    async def setup_and_enqueue() -> tuple[float, float]:
        async with app.open_async():
            await app.schema_manager.apply_schema_async()
            task = app.tasks["noop"]
            started = time.perf_counter()
            for i in range(SINGLES):
                await task.defer_async(i=n + i)
            singles = time.perf_counter() - started
            started = time.perf_counter()
            for start in range(0, n - SINGLES, BATCH):
                await task.batch_defer_async(
                    *({"i": i} for i in range(start, min(start + BATCH, n - SINGLES)))
                )
            return singles, time.perf_counter() - started

    singles, batched = asyncio.run(setup_and_enqueue())
    procs = [spawn("procrastinate", url, args) for _ in range(args.workers)]
    try:
        wall = drain(
            url, procs, "SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'", n
        )
        processing = span(
            url,
            "SELECT extract(epoch FROM max(at) FILTER (WHERE type = 'succeeded')"
            " - min(at) FILTER (WHERE type = 'started')) FROM procrastinate_events",
        )
        latencies = latency_procrastinate(url, app)
    finally:
        stop(procs)
    return {
        "enqueue_batched": (n - SINGLES) / batched,
        "enqueue_single": SINGLES / singles,
        "processed": n / processing,
        "wall": wall,
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p99_ms": percentile(latencies, 99),
    }


def latency_procrastinate(url: str, app: Any) -> list[float]:
    async def run() -> list[float]:
        async with (
            app.open_async(),
            await psycopg.AsyncConnection.connect(url, autocommit=True) as conn,
        ):
            ids = []
            for i in range(LATENCY_SAMPLES // 4):  # it polls; fewer samples keep this short
                job_id = await app.tasks["noop"].defer_async(i=-i)
                ids.append(job_id)
                while await _scalar(
                    conn, "SELECT status FROM procrastinate_jobs WHERE id = %s", job_id
                ) in ("todo", "doing"):
                    await asyncio.sleep(0.002)
                await asyncio.sleep(0.02)
            cur = await conn.execute(
                "SELECT extract(epoch FROM max(at) FILTER (WHERE type = 'started')"
                " - max(at) FILTER (WHERE type = 'deferred')) * 1000"
                " FROM procrastinate_events WHERE job_id = ANY(%s) GROUP BY job_id",
                [ids],
            )
            return [float(r[0]) for r in await cur.fetchall()]

    return asyncio.run(run())


def bench_raw(url: str, args: argparse.Namespace, role: str) -> dict[str, float]:
    n = args.tasks
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS raw_jobs")
        conn.execute(RAW_SCHEMA)
        conn.execute(
            "INSERT INTO raw_jobs (payload) SELECT jsonb_build_object('i', g)"
            " FROM generate_series(1, %s) g",
            [n],
        )
        conn.execute("VACUUM ANALYZE raw_jobs")
    procs = [spawn(role, url, args) for _ in range(args.workers)]
    try:
        wall = drain(url, procs, "SELECT count(*) FROM raw_jobs WHERE status = 2", n)
    finally:
        stop(procs)
    processing = span(
        url, "SELECT extract(epoch FROM max(finished_at) - min(started_at)) FROM raw_jobs"
    )
    return {"processed": n / processing, "wall": wall}


async def _prune(url: str) -> int:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        return await prune_all(conn, older_than_seconds=0)


def table_health(url: str) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        time.sleep(1.5)  # let the workers' statistics reach pg_stat
        row = conn.execute(
            "SELECT n_live_tup, n_dead_tup, pg_total_relation_size('tasks'),"
            " pg_relation_size('tasks_runnable'), autovacuum_count + vacuum_count"
            " FROM pg_stat_user_tables WHERE relname = 'tasks'"
        ).fetchone()
    assert row is not None
    keys = ("live", "dead", "bytes", "runnable_index_bytes", "vacuums")
    return dict(zip(keys, row, strict=True))


def server_settings(url: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        values = [
            f"{name}={conn.execute(f'SHOW {name}').fetchone()[0]}"
            for name in ("fsync", "synchronous_commit", "wal_sync_method", "shared_buffers")
        ]
    return ", ".join(values)


def have_procrastinate() -> bool:
    try:
        import procrastinate  # noqa: F401
    except ImportError:
        print(
            f"procrastinate is not installed: it is a dev dependency of this benchmark only.\n"
            "Install it with `.venv/bin/pip install -e '.[bench-queue]'` (or `make bench`)\n"
            f"to compare against it ({PROCRASTINATE});\n"
            "running our queue and the raw ceiling without it.\n"
        )
        return False
    return True


def report(
    ours: dict[str, float],
    theirs: dict[str, float] | None,
    raw: dict[str, float],
    raw_ours: dict[str, float],
) -> None:
    columns = (ours, theirs, raw, raw_ours)
    print(f"{'':24}{'ours':>12}{'procrastinate':>15}{'raw ceiling':>13}{'raw, our shape':>16}")
    rows = [
        ("enqueue, batched /s", "enqueue_batched"),
        ("enqueue, one by one /s", "enqueue_single"),
        ("processed /s", "processed"),
        ("wall incl. start-up s", "wall"),
        ("enqueue->start p50 ms", "latency_p50_ms"),
        ("enqueue->start p99 ms", "latency_p99_ms"),
    ]
    for label, key in rows:
        cells = [f"{d[key]:,.1f}" if d is not None and key in d else "-" for d in columns]
        print(f"{label:24}{cells[0]:>12}{cells[1]:>15}{cells[2]:>13}{cells[3]:>16}")
    print(
        "(raw ceiling: SKIP LOCKED batches of 50, completed in one statement, two commits per "
        "batch; raw, our shape: batches of --batch, completion and next take in one commit)\n"
    )
    if theirs:
        ratio = ours["processed"] / theirs["processed"]
        print(f"processing: {ratio:.1f}x procrastinate (target >= 10x)")
        print(f"enqueue (batched): {ours['enqueue_batched'] / theirs['enqueue_batched']:.1f}x")
    print(
        f"processing: {ours['processed'] / raw['processed']:.0%} of the raw ceiling "
        f"(target >= 25%), {ours['processed'] / raw_ours['processed']:.0%} of raw SQL "
        "in our shape"
    )
    print(f"enqueue->start p50 with idle workers: {ours['latency_p50_ms']:.1f} ms (target < 20)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2, help="processes per contender")
    parser.add_argument("--concurrency", type=int, default=200, help="our tasks per process")
    parser.add_argument("--batch", type=int, default=100, help="our tasks leased per query")
    parser.add_argument("--procrastinate-concurrency", type=int, default=20)
    parser.add_argument("--no-procrastinate", action="store_true", help="skip it (faster)")
    roles = ["ours", "procrastinate", "raw", "raw-ours"]
    parser.add_argument("--role", choices=roles, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("procrastinate").setLevel(logging.ERROR)  # its main-module notice
    if args.role == "ours":
        run_ours(args.url, args.concurrency, args.batch)
        return 0
    if args.role == "procrastinate":
        run_procrastinate(args.url, args.procrastinate_concurrency)
        return 0
    if args.role == "raw":
        run_raw(args.url, 50, one_commit=False)
        return 0
    if args.role == "raw-ours":
        run_raw(args.url, args.batch, one_commit=True)
        return 0

    with_procrastinate = not args.no_procrastinate and have_procrastinate()
    with bench_database("queue_ours") as (url, _):
        admin = _sibling(url, "postgres")
        print(f"server: {server_settings(url)}")
        print(
            f"{args.tasks:,} no-op tasks, {args.workers} worker processes each "
            f"(ours: concurrency {args.concurrency}, {args.batch} per lease; "
            f"procrastinate: concurrency {args.procrastinate_concurrency})\n",
            flush=True,
        )
        ours = bench_ours(url, args)
        pruned = asyncio.run(_prune(url))
        after_prune = table_health(url)
        theirs = None
        if with_procrastinate:
            ensure_database(admin, "queue_procrastinate")
            theirs = bench_procrastinate(_sibling(url, "queue_procrastinate"), args)
        ensure_database(admin, "queue_raw")
        raw = bench_raw(_sibling(url, "queue_raw"), args, "raw")
        raw_ours = bench_raw(_sibling(url, "queue_raw"), args, "raw-ours")
        report(ours, theirs, raw, raw_ours)
        print(
            f"tasks table right after processing: {ours['table_live']:,} live rows (completed, "
            f"kept for the retention period), {ours['table_dead']:,} dead tuples, "
            f"{ours['table_bytes'] / 2**20:.1f} MiB with indexes; partial index on runnable "
            f"rows: {ours['table_runnable_index_bytes'] / 1024:.0f} KiB; "
            f"vacuums so far: {ours['table_vacuums']}"
        )
        print(
            f"after pruning the {pruned:,} completed tasks (what workers do past the retention): "
            f"{after_prune['live']:,} live rows, {after_prune['dead']:,} dead tuples "
            f"(autovacuum reclaims them; vacuums so far: {after_prune['vacuums']})"
        )
    return 0


def _sibling(url: str, database: str) -> str:
    """`url` pointing at another database of the same server."""
    return make_conninfo(url, dbname=database)


if __name__ == "__main__":
    raise SystemExit(main())
