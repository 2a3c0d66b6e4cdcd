"""Crash safety of the orchestrator with real worker processes (issue 11).

Fifty `crash_pipeline` workflows (tests/integration/workflow_fixtures.py: a step, a
fan-out of 30 batches, a final step) run on `automechanica worker` processes while
workers are killed with SIGKILL (test 1) or the PostgreSQL server is restarted
under them mid-fan-out (test 2). Every step and every item of every batch writes an
effect row in its step's transaction into a table with no unique key, so an effect
that happened twice shows as two rows with one key; the tests count them.

A crash test that passes without its crash proves nothing, so each one also asserts
that the crash happened: each kill took a worker holding leased step tasks, at a
point of progress recorded when it was made, and at least one of those tasks ran
again (`attempts > 1`); the restart came after some batches were journaled and
before the last batch and the last final step were, by the database's own clock
(`pg_postmaster_start_time()` against the journal's timestamps).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from automechanica.db import migrate
from automechanica.db.embedded import EmbeddedPostgres, _embedded_postgres
from automechanica.orchestrator import start_workflow
from tests.integration.workflow_fixtures import BATCH_SIZE, CRASH_PIPELINE, EFFECTS_TABLE

REPO = Path(__file__).resolve().parents[2]
#: The real CLI, with the crash workflow added to the store's workflows (see the fixtures).
WORKER = [
    sys.executable, "-c", "from tests.integration.workflow_fixtures import serve; serve()",
    "worker",
]  # fmt: skip
WORKFLOWS = 50
ITEMS = 240  # per workflow: 30 batches of 8
BATCHES = WORKFLOWS * -(-ITEMS // BATCH_SIZE)
PROCESSES = 4
#: Short leases so a killed worker's step tasks come back within seconds.
FAST = [
    "--tasks", "tests.integration.workflow_fixtures", "--kinds", "workflow.step",
    "--concurrency", "10", "--batch-size", "10", "--lease-seconds", "3",
    "--rescue-seconds", "0.5", "--poll-seconds", "0.5", "--grace-seconds", "3",
    "--log-level", "WARNING",
]  # fmt: skip
#: Share of all batch items written when each kill of test 1 is made.
KILL_AT = (0.1, 0.25, 0.4, 0.55, 0.7, 0.85)
HOST = socket.gethostname()


@dataclass
class Kill:
    """One SIGKILL: whom, how far the run was, and the step tasks the victim held."""

    pid: int
    items_done: int
    workflows_done: int
    held: list[int]


class Supervisor:
    """Starts workers, kills the busiest one, replaces the dead; logs in files."""

    def __init__(self, url: str, logs: Path) -> None:
        self.url = url
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMECHANICA_")}
        self.env["AUTOMECHANICA_DATABASE_URL"] = url
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []
        self.replaced: set[int] = set()
        self.kills: list[Kill] = []

    def start(self) -> None:
        log = self.logs / f"worker-{len(self.procs) + 1}"
        with log.with_suffix(".out").open("wb") as out, log.with_suffix(".err").open("wb") as err:
            self.procs.append(
                subprocess.Popen([*WORKER, *FAST], env=self.env, cwd=REPO, stdout=out, stderr=err)
            )

    @property
    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.procs if p.poll() is None]

    def leases(self) -> dict[int, list[int]]:
        """Step tasks leased or running, by the pid of the live worker holding them."""
        rows = query(
            self.url,
            "SELECT leased_by, array_agg(id) FROM tasks WHERE status IN ('leased', 'running')"
            " AND kind = 'workflow.step' GROUP BY leased_by",
        )
        by_name = dict(rows)
        return {
            p.pid: by_name[f"{HOST}:{p.pid}"] for p in self.alive if f"{HOST}:{p.pid}" in by_name
        }

    def kill_busiest(self) -> None:
        """SIGKILL the live worker holding the most step tasks, and start another."""
        held: dict[int, list[int]] = {}
        wait_for(lambda: bool(held.update(self.leases()) or held), 60, self.replace_exited)
        pid = max(held, key=lambda p: len(held[p]))
        victim = next(p for p in self.procs if p.pid == pid)
        victim.kill()
        victim.wait()
        self.replaced.add(pid)
        items, workflows = progress(self.url)
        self.kills.append(Kill(pid, items, workflows, sorted(held[pid])))
        self.start()

    def replace_exited(self) -> None:
        """Start a new worker for each one that exited on its own (database down)."""
        for p in self.procs:
            if p.poll() is not None and p.pid not in self.replaced:
                self.replaced.add(p.pid)
                self.start()

    def stop(self) -> None:
        for p in self.alive:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


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
        time.sleep(0.1)


def safely(check: Callable[[], bool]) -> Callable[[], bool]:
    """`check`, reading False while the database is down."""

    def run() -> bool:
        try:
            return check()
        except psycopg.OperationalError:
            return False

    return run


def start_all(url: str, *, batch_seconds: float) -> None:
    query(url, EFFECTS_TABLE)

    async def start() -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            for n in range(WORKFLOWS):
                await start_workflow(
                    conn,
                    CRASH_PIPELINE,
                    {"items": ITEMS, "batch_seconds": batch_seconds},
                    idempotency_key=f"crash-{n}",
                )

    asyncio.run(start())


def progress(url: str) -> tuple[int, int]:
    """Batch items whose effect is written, workflows completed."""
    ((items, workflows),) = query(
        url,
        "SELECT (SELECT count(*) FROM workflow_effects WHERE step_key = 'process'),"
        " (SELECT count(*) FROM workflows WHERE status = 'completed')",
    )
    return items, workflows


def all_done(url: str) -> bool:
    return progress(url)[1] == WORKFLOWS


def outcome(url: str) -> dict[str, Any]:
    """What the run left: workflows by status, effects and duplicates, step tasks."""
    ((statuses, outputs, effects, keys, duplicated, per_step, dead, retried, max_attempts),) = (
        query(
            url,
            """SELECT (SELECT jsonb_object_agg(status, n) FROM
                         (SELECT status, count(*) n FROM workflows GROUP BY status) s),
                      (SELECT array_agg(DISTINCT output::text) FROM workflows),
                      (SELECT count(*) FROM workflow_effects),
                      (SELECT count(*) FROM (SELECT DISTINCT workflow_id, step_key, item
                                             FROM workflow_effects) k),
                      (SELECT count(*) FROM (SELECT 1 FROM workflow_effects
                                             GROUP BY workflow_id, step_key, item
                                             HAVING count(*) > 1) d),
                      (SELECT jsonb_object_agg(step_key, n) FROM
                         (SELECT step_key, count(*) n FROM workflow_effects GROUP BY 1) e),
                      (SELECT count(*) FROM tasks WHERE status = 'dead'),
                      (SELECT count(*) FROM tasks WHERE kind = 'workflow.step' AND attempts > 1),
                      (SELECT max(attempts) FROM tasks WHERE kind = 'workflow.step')""",
        )
    )
    return {
        "statuses": statuses,
        "outputs": outputs,
        "effects": effects,
        "keys": keys,
        "duplicated": duplicated,
        "per_step": per_step,
        "dead": dead,
        "retried": retried,
        "max_attempts": max_attempts,
    }


def assert_exactly_once(o: dict[str, Any]) -> None:
    """Every workflow completed with the right output; every effect exactly once."""
    expected_output = f'{{"sum": {sum(range(ITEMS))}, "items": {ITEMS}}}'
    assert o["statuses"] == {"completed": WORKFLOWS}, o
    assert o["outputs"] == [expected_output], o
    assert o["per_step"] == {
        "prepare": WORKFLOWS,
        "process": WORKFLOWS * ITEMS,
        "finish": WORKFLOWS,
    }, o
    assert o["effects"] == o["keys"] == WORKFLOWS * (ITEMS + 2), o
    assert (o["duplicated"], o["dead"]) == (0, 0), o


def test_1_kill_9_workers_through_fifty_workflows(
    db_url: str, tmp_path: Path, say: Callable[[str], None]
) -> None:
    start_all(db_url, batch_seconds=0.3)
    workers = Supervisor(db_url, tmp_path)
    began = time.monotonic()
    for _ in range(PROCESSES):
        workers.start()
    try:
        for share in KILL_AT:
            wait_for(
                lambda s=share: progress(db_url)[0] >= s * WORKFLOWS * ITEMS,  # type: ignore[misc]
                120,
                workers.replace_exited,
            )
            workers.kill_busiest()
        wait_for(lambda: all_done(db_url), 120, workers.replace_exited)
    finally:
        workers.stop()
    o = outcome(db_url)
    attempts = dict(query(db_url, "SELECT id, attempts FROM tasks WHERE kind = 'workflow.step'"))
    hit = [[t for t in k.held if attempts[t] > 1] for k in workers.kills]
    say(
        f"test 1: {WORKFLOWS} workflows ({BATCHES} batches), {PROCESSES} workers, "
        f"{len(workers.kills)} kill -9s at "
        + ", ".join(f"{k.items_done * 100 // (WORKFLOWS * ITEMS)}%" for k in workers.kills)
        + f" of the batch items (victims held {[len(k.held) for k in workers.kills]} step tasks,"
        f" {[len(h) for h in hit]} of them ran again) in {time.monotonic() - began:.1f} s: "
        f"{o['statuses']}, {o['effects']} effects for {o['keys']} keys, {o['duplicated']} "
        f"duplicated, {o['retried']} step tasks retried, max attempts {o['max_attempts']}"
    )
    assert len(workers.kills) == len(KILL_AT), "not every kill was made"
    assert all(k.workflows_done < WORKFLOWS for k in workers.kills), "a kill came after the end"
    assert all(hit), f"a kill hit no task that ran again: {workers.kills}"
    assert o["retried"] > 0
    assert_exactly_once(o)


@pytest.fixture
def own_server() -> Iterator[tuple[str, Callable[[], None]]]:
    """A private embedded PostgreSQL (the test restarts it) and a way to restart it.

    Its folder is outside pytest's basetemp: a pytest session starting meanwhile
    (another checkout) chmods that tree to 0700, which the server's user cannot read.
    """
    pgdata = Path(tempfile.mkdtemp(prefix="am-workflow-crash-")) / "pgdata"
    server = EmbeddedPostgres(pgdata, delete_on_exit=True)
    server.start()
    url = server.url("crash")
    migrate.migrate(url)
    pg_ctl = Path(_embedded_postgres().__file__).parent / "pginstall" / "bin" / "pg_ctl"
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


def test_2_postgres_restart_mid_fan_out(
    own_server: tuple[str, Callable[[], None]], tmp_path: Path, say: Callable[[str], None]
) -> None:
    url, restart = own_server
    start_all(url, batch_seconds=0.2)
    workers = Supervisor(url, tmp_path)
    began = time.monotonic()
    for _ in range(PROCESSES):
        workers.start()
    try:
        wait_for(lambda: progress(url)[0] >= WORKFLOWS * ITEMS // 3, 120, workers.replace_exited)
        ((before_restart,),) = query(url, "SELECT pg_postmaster_start_time()")
        in_flight = sum(len(held) for held in workers.leases().values())
        at_restart = progress(url)
        restart()  # immediate: no checkpoint, every connection cut, crash recovery
        restarted = time.monotonic()
        wait_for(safely(lambda: all_done(url)), 120, workers.replace_exited)
        recovered = time.monotonic() - restarted
    finally:
        workers.stop()
    ((server_start, batches_before, batches_after, last_batch, last_finish),) = query(
        url,
        """SELECT pg_postmaster_start_time(),
                  count(*) FILTER (WHERE b.finished_at < pg_postmaster_start_time()),
                  count(*) FILTER (WHERE b.finished_at > pg_postmaster_start_time()),
                  max(b.finished_at),
                  (SELECT max(finished_at) FROM workflow_steps WHERE step_key = 'finish')
           FROM workflow_batches b""",
    )
    o = outcome(url)
    say(
        f"test 2: {WORKFLOWS} workflows ({BATCHES} batches), {PROCESSES} workers, PostgreSQL "
        f"restarted (immediate) with {at_restart[0]} of {WORKFLOWS * ITEMS} batch items written, "
        f"{at_restart[1]} workflows done and {in_flight} step tasks in flight; {batches_before} "
        f"batches journaled before it, {batches_after} after; all done {recovered:.1f} s after "
        f"it, {time.monotonic() - began:.1f} s in all: {o['statuses']}, {o['effects']} effects "
        f"for {o['keys']} keys, {o['duplicated']} duplicated, {o['retried']} step tasks "
        f"retried, max attempts {o['max_attempts']}"
    )
    assert server_start > before_restart, "the server was not restarted"
    assert batches_before > 0 and batches_after > 0 and last_batch > server_start, (
        f"{batches_before} batches before the restart at {server_start}, {batches_after} after:"
        " the restart did not land mid-fan-out"
    )
    assert last_finish > server_start, "every final step had finished before the restart"
    assert o["retried"] > 0, "no step task was attempted twice: the restart cut no transaction"
    assert_exactly_once(o)
