"""The task queue against PgQueuer, procrastinate and a raw-SQL ceiling, in one run.

    .venv/bin/python -m bench.queue [--tasks 20000] [--workers 2] [--levels 20,200]
        [--only ours,pgqueuer,procrastinate,raw]

One embedded PostgreSQL, durable (fsync and synchronous_commit on, every table
logged), a fresh database per run, the same no-op task, the same number of worker
processes, the same event loop (asyncio) and driver (psycopg 3) for everyone:
  - ours: `automechanica.queue` (Worker processes as `automechanica worker` runs them);
  - PgQueuer (its QueueManager over its PsycopgDriver, its own schema, durable);
  - procrastinate (its worker over its PsycopgConnector);
  - raw ceiling: a minimal table drained with SKIP LOCKED in batches of 50, each
    batch completed in one statement; and the same raw SQL in our queue's shape
    (completion of one batch and the take of the next in one commit).
Each queue runs at every concurrency of `--levels` (tasks in flight per process: the
like-for-like comparison) and at its own best-known settings; every line states
its settings, and the summary names each contender's best line of the run.
Figures: processed tasks/s (first start to last finish, from the database's own
timestamps: worker start-up is not counted, for anyone), enqueue tasks/s (batches
of 1,000, and one at a time), enqueue-to-start latency with idle workers, and our
tasks table's size and dead tuples after the run.
Targets: ahead of PgQueuer at equal concurrency, >= 60% of the raw ceiling,
>= 10x procrastinate, latency p50 < 20 ms.
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
import itertools  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from datetime import timedelta  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import urlsplit, urlunsplit  # noqa: E402

import psycopg  # noqa: E402

from automechanica.db import migrate  # noqa: E402
from automechanica.db.embedded import drop_database, ensure_database  # noqa: E402
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

PEERS = "pgqueuer==1.6.0, procrastinate==3.10.0"  # as pinned in the bench-queue extra
BATCH = 1000
SINGLES = 1000
LATENCY_SAMPLES = 200
CONTENDERS = ("ours", "pgqueuer", "procrastinate", "raw")

registry = TaskRegistry()


@registry.task("bench.noop")
async def noop(payload: dict[str, Any], ctx: TaskContext) -> None:
    return None


@dataclass(frozen=True)
class Setting:
    """One contender at one setting: what a worker process is told."""

    contender: str  # ours, pgqueuer, procrastinate, raw, raw-ours
    concurrency: int  # tasks in flight per process; 0: unlimited (PgQueuer's default)
    batch: int  # tasks claimed per query (procrastinate: always 1)
    managers: int = 1  # PgQueuer QueueManagers per process (its own benchmark runs 5)
    why: str = ""  # "equal", "default", "best-known", "ceiling"

    def describe(self, workers: int) -> str:
        conc = "unlimited" if self.concurrency == 0 else str(self.concurrency)
        where = {
            "ours": f"concurrency {conc}, lease {self.batch}/query",
            "pgqueuer": f"concurrency {conc}, batch {self.batch}, {self.managers} manager(s)",
            "procrastinate": f"concurrency {conc}, 1 job/fetch",
            "raw": f"batch {self.batch}, complete + commit, take + commit",
            "raw-ours": f"batch {self.batch}, complete and take in one commit",
        }[self.contender]
        return f"{workers} procs x {where}"


def settings_for(contender: str, levels: list[int], args: argparse.Namespace) -> list[Setting]:
    """Each concurrency of `levels` (with batch sizes to choose from), then the
    contender's best-known settings when they are not among those."""
    if contender == "raw":
        return [Setting("raw", 0, 50, why="ceiling"), Setting("raw-ours", 0, args.batch)]
    equal = []
    for level in levels:
        batches = {
            "ours": [min(args.batch, level)],
            # PgQueuer refuses a batch over half its concurrency; its best varies with it.
            "pgqueuer": sorted({b for b in (10, level // 4, level // 2) if 1 <= b <= level // 2}),
            "procrastinate": [1],  # it fetches one job per query
        }[contender]
        equal += [Setting(contender, level, b, why=f"equal @{level}") for b in batches]
    best = {
        # Ours: its CLI's lease size at the concurrency the benchmark has always used.
        "ours": [Setting("ours", 200, args.batch, why="best-known")],
        # PgQueuer: its default (no cap on concurrency), in its own benchmark's shape
        # (5 managers of batch 10 per process) and with one manager of large batches.
        "pgqueuer": [
            Setting("pgqueuer", 0, 10, managers=5, why="best-known (its benchmark's shape)"),
            Setting("pgqueuer", 0, 100, why="best-known"),
            Setting("pgqueuer", 0, 250, why="best-known"),
        ],
        # procrastinate: more concurrency helps it up to 200 (in the levels).
        "procrastinate": [],
    }[contender]
    seen = {(e.concurrency, e.batch, e.managers) for e in equal}
    return equal + [s for s in best if (s.concurrency, s.batch, s.managers) not in seen]


# -- the worker processes --------------------------------------------------------------


def run_ours(url: str, s: Setting) -> None:
    options = WorkerOptions(
        concurrency=s.concurrency, batch_size=s.batch, retention_seconds=None, grace_seconds=1
    )
    worker = Worker(url, registry, options)

    async def main() -> None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, worker.stop)
        await worker.run()

    asyncio.run(main())


def procrastinate_app(url: str) -> Any:
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))

    @app.task(name="noop")
    async def _noop(**kwargs: Any) -> None:
        return None

    return app


def run_procrastinate(url: str, s: Setting) -> None:
    app = procrastinate_app(url)

    async def main() -> None:
        async with app.open_async():
            await app.run_worker_async(concurrency=s.concurrency, listen_notify=True, wait=True)

    asyncio.run(main())


def run_pgqueuer(url: str, s: Setting) -> None:
    from pgqueuer import PsycopgDriver, Queries, QueueManager
    from pgqueuer.models import Job

    async def main() -> None:
        managers = []
        for _ in range(s.managers):
            conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
            qm = QueueManager(Queries(PsycopgDriver(conn)))

            @qm.entrypoint("noop")
            async def _noop(job: Job) -> None:
                return None

            managers.append(qm)

        def stop() -> None:
            for qm in managers:
                qm.shutdown.set()

        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop)
        await asyncio.gather(
            *(
                qm.run(
                    batch_size=s.batch,
                    max_concurrent_tasks=s.concurrency or None,
                    dequeue_timeout=timedelta(seconds=1),
                )
                for qm in managers
            )
        )

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


def run_raw(url: str, s: Setting) -> None:
    """The ceiling: take a batch, complete it in one statement (two commits).

    As `raw-ours`, our queue's shape instead: complete the last batch and take the
    next in one transaction (one commit per batch).
    """
    one_commit = s.contender == "raw-ours"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET plan_cache_mode = force_generic_plan")  # as our worker plans
        done: list[int] = []
        while True:
            if one_commit:
                with conn.transaction():
                    if done:
                        conn.execute(RAW_DONE, [done])
                    ids = [r[0] for r in conn.execute(RAW_TAKE, [s.batch]).fetchall()]
            else:
                ids = [r[0] for r in conn.execute(RAW_TAKE, [s.batch]).fetchall()]
                if ids:
                    conn.execute(RAW_DONE, [ids])
            done = ids if one_commit else []
            if not ids:
                if conn.execute("SELECT 1 FROM raw_jobs WHERE status < 2 LIMIT 1").fetchone():
                    continue
                return


RUNNERS: dict[str, Callable[[str, Setting], None]] = {
    "ours": run_ours,
    "pgqueuer": run_pgqueuer,
    "procrastinate": run_procrastinate,
    "raw": run_raw,
    "raw-ours": run_raw,
}

# -- one run: a fresh database, enqueue, start the workers, wait for the last task -------


def spawn(url: str, s: Setting) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "bench.queue", "--url", url, "--role", json.dumps(asdict(s))]
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


#: How often `drain` counts finished tasks. The count is a scan of the contender's whole
#: table, run on the machine being measured: every 50 ms it took 5-10% of a core on our
#: wider table at 50,000 tasks (less on the raw ceiling's narrow one). The rate comes
#: from the database's own timestamps, so polling less often changes no figure but the
#: wall time (by at most this interval), and it is the same for every contender.
POLL_SECONDS = 0.25


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
            time.sleep(POLL_SECONDS)


def scalar(url: str, query: str) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None and row[0] is not None
    return float(row[0])


def timed(job: Callable[[], Any]) -> float:
    started = time.perf_counter()
    job()
    return time.perf_counter() - started


@dataclass(frozen=True)
class Shape:
    """How to fill a contender's queue and read back what it did."""

    done: str  # count of finished tasks
    span: str  # seconds from the first start to the last finish


SHAPES = {
    "ours": Shape(
        "SELECT count(*) FROM tasks WHERE status = 'completed'",
        "SELECT extract(epoch FROM max(finished_at) - min(started_at)) FROM tasks",
    ),
    "pgqueuer": Shape(
        "SELECT count(*) FROM pgqueuer_log WHERE status = 'successful'",
        "SELECT extract(epoch FROM max(created) FILTER (WHERE status = 'successful')"
        " - min(created) FILTER (WHERE status = 'picked')) FROM pgqueuer_log",
    ),
    "procrastinate": Shape(
        "SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'",
        "SELECT extract(epoch FROM max(at) FILTER (WHERE type = 'succeeded')"
        " - min(at) FILTER (WHERE type = 'started')) FROM procrastinate_events",
    ),
    "raw": Shape(
        "SELECT count(*) FROM raw_jobs WHERE status = 2",
        "SELECT extract(epoch FROM max(finished_at) - min(started_at)) FROM raw_jobs",
    ),
}


def one_run(url: str, s: Setting, workers: int, n: int, extras: bool) -> dict[str, float]:
    """Fill the queue with `n` tasks, run `workers` processes at `s`, measure; with
    `extras`, enqueue rates, latency (and for ours the table's health) too."""
    family = "raw" if s.contender.startswith("raw") else s.contender
    out: dict[str, float] = {}
    if family == "raw":
        fill_raw(url, n)
    else:
        ones = min(SINGLES, n // 4) if extras else 0
        singles, batched = ENQUEUERS[family](url, n, ones)
        if extras:
            out["enqueue_single"] = ones / singles
            out["enqueue_batched"] = (n - ones) / batched
        settle_tables(url)  # as fill_raw does for the ceiling: every queue starts alike
    procs = [spawn(url, s) for _ in range(workers)]
    try:
        out["wall"] = drain(url, procs, SHAPES[family].done, n)
        out["processed"] = n / scalar(url, SHAPES[family].span)
        if extras and family == "ours":
            out |= {f"table_{k}": v for k, v in table_health(url).items()}
        if extras and family in LATENCY:
            latencies = LATENCY[family](url)
            out["latency_p50_ms"] = percentile(latencies, 50)
            out["latency_p99_ms"] = percentile(latencies, 99)
    finally:
        stop(procs)
    return out


# -- filling each queue ------------------------------------------------------------------


def enqueue_ours(url: str, n: int, singles: int) -> tuple[float, float]:
    migrate.migrate(url)

    async def enqueue(count: int, batch: int, offset: int = 0) -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            for start in range(0, count, batch):
                stop_at = min(start + batch, count)
                await insert_tasks(
                    conn, [new_task("bench.noop", {"i": offset + i}) for i in range(start, stop_at)]
                )

    one = timed(lambda: asyncio.run(enqueue(singles, 1, offset=n - singles)))
    return one, timed(lambda: asyncio.run(enqueue(n - singles, BATCH)))


def enqueue_pgqueuer(url: str, n: int, singles: int) -> tuple[float, float]:
    from pgqueuer import PsycopgDriver, Queries

    async def run() -> tuple[float, float]:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            queries = Queries(PsycopgDriver(conn))
            await queries.install()
            started = time.perf_counter()
            for i in range(singles):
                await queries.enqueue("noop", json.dumps({"i": n - singles + i}).encode())
            one = time.perf_counter() - started
            started = time.perf_counter()
            for start in range(0, n - singles, BATCH):
                count = min(BATCH, n - singles - start)
                await queries.enqueue(
                    ["noop"] * count,
                    [json.dumps({"i": start + i}).encode() for i in range(count)],
                    [0] * count,
                )
            return one, time.perf_counter() - started

    return asyncio.run(run())


def enqueue_procrastinate(url: str, n: int, singles: int) -> tuple[float, float]:
    app = procrastinate_app(url)

    async def run() -> tuple[float, float]:
        async with app.open_async():
            await app.schema_manager.apply_schema_async()
            task = app.tasks["noop"]
            started = time.perf_counter()
            for i in range(singles):
                await task.defer_async(i=n - singles + i)
            one = time.perf_counter() - started
            started = time.perf_counter()
            for start in range(0, n - singles, BATCH):
                await task.batch_defer_async(
                    *({"i": i} for i in range(start, min(start + BATCH, n - singles)))
                )
            return one, time.perf_counter() - started

    return asyncio.run(run())


def settle_tables(url: str) -> None:
    """VACUUM ANALYZE the freshly filled queue, as the raw ceiling's table always was:
    hint bits and visibility set, statistics taken, for every contender alike (the
    queues ran on whatever autovacuum had or had not done yet)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def fill_raw(url: str, n: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(RAW_SCHEMA)
        conn.execute(
            "INSERT INTO raw_jobs (payload) SELECT jsonb_build_object('i', g)"
            " FROM generate_series(1, %s) g",
            [n],
        )
        conn.execute("VACUUM ANALYZE raw_jobs")


ENQUEUERS: dict[str, Callable[[str, int, int], tuple[float, float]]] = {
    "ours": enqueue_ours,
    "pgqueuer": enqueue_pgqueuer,
    "procrastinate": enqueue_procrastinate,
}

# -- latency with idle workers -----------------------------------------------------------


async def _scalar(conn: psycopg.AsyncConnection[Any], query: str, *params: Any) -> Any:
    cur = await conn.execute(query, params)
    row = await cur.fetchone()
    return row[0] if row else None


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


def latency_procrastinate(url: str) -> list[float]:
    app = procrastinate_app(url)

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


LATENCY: dict[str, Callable[[str], list[float]]] = {
    "ours": latency_ours,
    "procrastinate": latency_procrastinate,
}

# -- the report ------------------------------------------------------------------------


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


def durability(url: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        values = [
            f"{name}={conn.execute(f'SHOW {name}').fetchone()[0]}"  # type: ignore[index]
            for name in ("fsync", "synchronous_commit", "wal_sync_method", "shared_buffers")
        ]
    return ", ".join(values)


def installed(contender: str) -> bool:
    if contender not in ("pgqueuer", "procrastinate"):
        return True
    try:
        __import__(contender)
    except ImportError:
        print(
            f"{contender} is not installed: the peers are a dependency of this benchmark only.\n"
            "Install them with `.venv/bin/pip install -e '.[bench-queue]'` (or `make bench`)\n"
            f"to compare against them ({PEERS}); running without it.\n"
        )
        return False
    return True


@dataclass
class Line:
    setting: Setting
    figures: dict[str, float]


def report(lines: list[Line], levels: list[int], workers: int) -> None:
    def best(contender: str) -> Line | None:
        mine = [ln for ln in lines if ln.setting.contender == contender]
        return max(mine, key=lambda ln: ln.figures["processed"]) if mine else None

    def at(contender: str, level: int) -> Line | None:
        """The contender's best line at this concurrency (over the batch sizes tried)."""
        mine = [
            ln
            for ln in lines
            if ln.setting.contender == contender and ln.setting.why == f"equal @{level}"
        ]
        return max(mine, key=lambda ln: ln.figures["processed"]) if mine else None

    print("\nsummary (processed tasks/s; every contender durable, same server, same task)")
    for level in levels:
        ours = at("ours", level)
        if ours is None:
            continue
        parts = [f"ours {ours.figures['processed']:,.0f} at lease {ours.setting.batch}"]
        for peer in ("pgqueuer", "procrastinate"):
            theirs = at(peer, level)
            if theirs:
                ratio = ours.figures["processed"] / theirs.figures["processed"]
                parts.append(
                    f"{peer} {theirs.figures['processed']:,.0f} at batch {theirs.setting.batch}"
                    f" (ours {ratio:.1f}x)"
                )
        print(f"  equal concurrency {level} per process, {workers} procs: " + "; ".join(parts))
    ours_best = best("ours")
    for contender in ("ours", "pgqueuer", "procrastinate", "raw", "raw-ours"):
        b = best(contender)
        if b is None:
            continue
        versus = ""
        if ours_best and contender != "ours":
            pct = ours_best.figures["processed"] / b.figures["processed"]
            versus = (
                f"  -> ours best is {pct:.1f}x"
                if not contender.startswith("raw")
                else (f"  -> ours best is {pct:.0%} of it")
            )
        print(
            f"  best of {contender:<14}{b.figures['processed']:>10,.0f}/s  "
            f"[{b.setting.describe(workers)}]{versus}"
        )


def print_line(ln: Line, workers: int) -> None:
    f = ln.figures
    extra = ""
    if "enqueue_batched" in f:
        extra += (
            f"; enqueue {f['enqueue_batched']:,.0f}/s batched, "
            f"{f['enqueue_single']:,.0f}/s one by one"
        )
    if "latency_p50_ms" in f:
        extra += (
            f"; enqueue->start p50 {f['latency_p50_ms']:.1f} / p99 {f['latency_p99_ms']:.1f} ms"
        )
    print(
        f"{ln.setting.contender:<14}{f['processed']:>9,.0f} tasks/s  "
        f"[{ln.setting.describe(workers)}; durable] ({ln.setting.why}; "
        f"wall incl. start-up {f['wall']:.1f} s{extra})",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2, help="processes per contender")
    parser.add_argument(
        "--levels", default="20,200", help="equal concurrencies (tasks in flight per process)"
    )
    parser.add_argument("--batch", type=int, default=100, help="our tasks leased per query")
    parser.add_argument("--pgqueuer-batch", type=int, default=100, help="its batch_size cap")
    parser.add_argument("--rounds", type=int, default=2, help="runs per setting; best kept")
    parser.add_argument(
        "--slow-tasks", type=int, default=5_000, help="tasks per procrastinate run (it is slow)"
    )
    parser.add_argument("--only", default=",".join(CONTENDERS), help="contenders to run")
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("procrastinate").setLevel(logging.ERROR)  # its main-module notice
    if args.role:
        s = Setting(**json.loads(args.role))
        RUNNERS[s.contender](args.url, s)
        return 0

    levels = [int(x) for x in args.levels.split(",") if x]
    wanted = [c for c in args.only.split(",") if c in CONTENDERS and installed(c)]
    plan = {c: settings_for(c, levels, args) for c in wanted}
    # Enqueue rates and latency once per contender: at its first best-known setting.
    extras = {
        next((s for s in ss if s.why.startswith("best")), ss[-1]) for ss in plan.values() if ss
    }
    # Round-robin over the contenders, so that a busy spell of the machine is shared.
    schedule = [s for group in itertools.zip_longest(*plan.values()) for s in group if s]
    runs: dict[Setting, list[dict[str, float]]] = {s: [] for s in schedule}
    with bench_database("queue_ours") as (url, _):
        admin = _sibling(url, "postgres")
        print(f"server: {durability(url)}; PgQueuer tables logged (its 'durable' default)")
        print(
            f"{args.tasks:,} no-op tasks per run ({min(args.tasks, args.slow_tasks):,} for "
            f"procrastinate), {args.workers} worker processes per run, asyncio + psycopg 3 for "
            f"every contender; {args.rounds} round(s), each setting's best round kept\n",
            flush=True,
        )
        for round_ in range(args.rounds):
            for s in schedule:
                name = f"queue_bench_{s.contender.replace('-', '_')}"
                drop_database(admin, name)
                ensure_database(admin, name)
                run_url = _sibling(url, name)
                first = round_ == 0 and s in extras
                tasks = args.slow_tasks if s.contender == "procrastinate" else args.tasks
                figures = one_run(run_url, s, args.workers, min(tasks, args.tasks), first)
                runs[s].append(figures)
                print(f"round {round_ + 1}: ", end="")
                print_line(Line(s, figures), args.workers)
                if first and s.contender == "ours":
                    pruned = asyncio.run(_prune(run_url))
                    after = table_health(run_url)
                    print(
                        f"  our tasks table after the run: {figures['table_live']:,.0f} live rows "
                        f"(completed, kept for the retention), {figures['table_dead']:,.0f} dead "
                        f"tuples, {figures['table_bytes'] / 2**20:.1f} MiB with indexes; after "
                        f"pruning {pruned:,}: {after['live']:,} live, {after['dead']:,} dead "
                        "(autovacuum reclaims them)"
                    )
                drop_database(admin, name)
    lines = []
    for s, per_round in runs.items():
        top = max(per_round, key=lambda f: f["processed"])
        lines.append(Line(s, per_round[0] | top))  # round 1's extras, the best round's rate
    if args.rounds > 1:
        print(f"\nbest of {args.rounds} rounds per setting:")
        for contender in wanted:
            for ln in lines:
                if ln.setting.contender.startswith(contender):
                    print_line(ln, args.workers)
    report(lines, levels, args.workers)
    return 0


def _sibling(url: str, database: str) -> str:
    """`url` (a postgresql:// URL, as migrations need) pointing at another database."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


if __name__ == "__main__":
    raise SystemExit(main())
