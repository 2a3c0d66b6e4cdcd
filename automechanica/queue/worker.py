"""The worker: lease in batches, run handlers concurrently (asyncio), settle in bundles.

    worker = Worker(url, registry, WorkerOptions(concurrency=50))
    await worker.run()            # until worker.stop() (the CLI wires SIGTERM/SIGINT)

Four loops share one process. The exchange loop writes every attempt finished
since its last round (running-marks, completions, failures, releases) and leases up
to `batch_size` due tasks in the same statement: one round trip and one commit per
batch. It leases only when a good share of the slots is free, and stops asking once
the queue looks drained until a NOTIFY arrives (the listener) or the poll is due.
The heartbeat extends held leases and cancels attempts whose lease was taken back;
the janitor rescues expired leases and prunes. Transactional kinds complete in
their own transaction, with their effects. Each loop survives a database restart:
it logs, backs off and tries again.

Any other exception in a background loop (heartbeat, janitor, listener) is a bug or
a broken invariant, and it stops the worker loudly rather than letting it run on
without that loop (a worker without heartbeats would let its leases expire under
running tasks, and the tasks run twice): the failure is logged with its traceback,
running tasks are cancelled and their leases released at once (no grace period),
and `run()` raises `WorkerLoopError`, so `automechanica worker` exits 1 for its
supervisor to restart it. Leases it could not release expire and other workers
retry them. Restarting the loop in place was rejected: a bug that fails once
fails again, and a log line per retry is easier to miss than a stopped process.

Shutdown is graceful: stop leasing, let running tasks finish within the grace
period, cancel the rest, release every unfinished lease, settle, close.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool
from pydantic_core import PydanticSerializationError, to_json

from automechanica.queue.backoff import after_failure
from automechanica.queue.errors import LeaseLostError, PermanentError, WorkerLoopError
from automechanica.queue.housekeeping import prune_completed, rescue_expired
from automechanica.queue.lease import (
    Failure,
    Lease,
    Settled,
    Settlement,
    complete_in_transaction,
    exchange,
    heartbeat,
    newest_outcomes,
)
from automechanica.queue.listener import Listener
from automechanica.queue.registry import TaskContext, TaskKind, TaskRegistry

log = logging.getLogger("automechanica.queue.worker")

MAX_ERROR_CHARS = 2_000
#: A task still running after this long is marked `running` even if nothing else is sent.
MARK_DELAY = 0.05
MAX_TRACEBACK_CHARS = 20_000


@dataclass(frozen=True)
class WorkerOptions:
    """How one worker process behaves; the CLI maps its options onto these."""

    concurrency: int = 10
    kinds: Sequence[str] | None = None  # None: every registered kind
    batch_size: int = 100
    lease_seconds: float = 30.0
    poll_seconds: float = 1.0
    grace_seconds: float = 10.0
    rescue_seconds: float = 5.0
    retention_seconds: float | None = 7 * 24 * 3600.0  # None: never prune
    prune_seconds: float = 60.0
    handler_connections: int = 10  # pool for transactional handlers
    name: str | None = None

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.batch_size < 1:
            raise ValueError("concurrency and batch_size must be at least 1")
        if self.lease_seconds <= 0 or self.poll_seconds <= 0:
            raise ValueError("lease_seconds and poll_seconds must be positive")


@dataclass
class WorkerReport:
    """What one worker did, printed when it stops."""

    completed: int = 0
    failed: int = 0
    dead: int = 0
    released: int = 0
    rejected: int = 0  # results discarded because the lease had been taken back
    rescued: int = 0
    pruned: int = 0
    reconnects: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{v} {k}" for k, v in vars(self).items())


@dataclass
class _State:
    # By lease (task id, token): the same task can come back to this worker on a newer lease.
    held: dict[tuple[int, UUID], Lease] = field(default_factory=dict)  # leased until settled
    running: dict[tuple[int, UUID], asyncio.Task[None]] = field(default_factory=dict)
    per_kind: Counter[str] = field(default_factory=Counter)
    outbox: Settlement = field(default_factory=Settlement)


class Worker:
    """Runs the tasks of `registry` found in the database at `url`."""

    def __init__(
        self, url: str, registry: TaskRegistry, options: WorkerOptions | None = None
    ) -> None:
        self.url = url
        self.registry = registry
        self.options = options or WorkerOptions()
        self.name = self.options.name or f"{socket.gethostname()}:{os.getpid()}"
        self.kinds = self._select_kinds()
        self.report = WorkerReport()
        self._state = _State()
        # Set by a NOTIFY, a finished task, or stop(): the exchange loop has work.
        self._kick = asyncio.Event()
        self._maybe_work = True  # False after a lease came back short, until NOTIFY or poll
        self._marks_since = 0.0  # when the oldest unsent running-mark was made
        self._stopping = asyncio.Event()
        self._closing = False  # running tasks are done: settle what is left, then exit
        self._grace = self.options.grace_seconds
        self._write_lock = asyncio.Lock()
        self._pool: AsyncConnectionPool[Any] | None = None
        self._handler_pool: AsyncConnectionPool[Any] | None = None
        self._loop_failure: WorkerLoopError | None = None  # a background loop failed: stop, raise
        self.listener = Listener(url, self.notified)

    def _select_kinds(self) -> list[str]:
        wanted = list(self.options.kinds) if self.options.kinds else self.registry.kinds
        for kind in wanted:
            self.registry.get(kind)  # UnknownKindError names what is registered
        if not wanted:
            raise ValueError("the worker has no task kinds to run: register handlers first")
        return sorted(set(wanted))

    # -- control -----------------------------------------------------------------------

    def stop(self, *, now: bool = False) -> None:
        """Stop leasing; finish running tasks within the grace period (none when `now`)."""
        if now:
            self._grace = 0.0
        self._stopping.set()
        self._kick.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def run(self) -> WorkerReport:
        """Work until `stop()`; returns what was done."""
        self._pool = _pool(self.url, max_size=3, configure=_generic_plans)
        await self._pool.open(wait=True, timeout=30)
        if any(self.registry.get(k).transactional for k in self.kinds):
            self._handler_pool = _pool(self.url, max_size=self.options.handler_connections)
            await self._handler_pool.open(wait=False)
        loops = [
            asyncio.create_task(self.listener.run(), name="listener"),
            asyncio.create_task(self._heartbeat_loop(), name="heartbeat"),
            asyncio.create_task(self._janitor_loop(), name="janitor"),
        ]
        for task in loops:
            task.add_done_callback(self._loop_ended)
        exchanger = asyncio.create_task(self._exchange_loop(), name="exchange")
        log.info("worker %s running %s", self.name, ", ".join(self.kinds))
        try:
            stop = asyncio.create_task(self._stopping.wait())
            await asyncio.wait({stop, exchanger}, return_when=asyncio.FIRST_COMPLETED)
            if exchanger.done():  # it only returns when closing: this is a bug, say so
                stop.cancel()
                exchanger.result()
                raise RuntimeError("the worker's exchange loop ended on its own")
            await self._drain()
        finally:
            self._closing = True
            self._kick.set()
            try:
                await asyncio.wait_for(exchanger, timeout=max(self.options.grace_seconds, 5.0))
            except TimeoutError:
                log.warning("could not settle before closing; leases will expire and retry")
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            for pool in (self._handler_pool, self._pool):
                if pool is not None:
                    await pool.close()
        if self._loop_failure is not None:
            log.error("worker %s stopped after a failure: %s", self.name, self.report)
            raise self._loop_failure from self._loop_failure.cause
        log.info("worker %s stopped: %s", self.name, self.report)
        return self.report

    def _loop_ended(self, task: asyncio.Task[None]) -> None:
        """A background loop ended: unless the worker is closing, stop it loudly."""
        if task.cancelled() or self._closing:
            return
        cause = task.exception()
        if self._loop_failure is None:
            self._loop_failure = WorkerLoopError(task.get_name(), cause)
        log.error(
            "worker %s: the %s loop failed; stopping the worker now",
            self.name,
            task.get_name(),
            exc_info=cause,
        )
        self.stop(now=True)

    # -- the exchange: settle what finished, lease what fits ------------------------------

    def _eligible_kinds(self) -> list[str]:
        per_kind = self._state.per_kind
        return [
            k
            for k in self.kinds
            if (limit := self.registry.get(k).max_concurrency) is None or per_kind[k] < limit
        ]

    def _want(self) -> int:
        """How many tasks to lease now: none while the queue looks drained, and, while
        tasks run, none until a good share of the slots is free (one query for many)."""
        if self.stopping or not self._maybe_work:
            return 0
        if not self._eligible_kinds():
            return 0
        options, running = self.options, len(self._state.running)
        room = options.concurrency - running
        refill_at = max(1, min(options.batch_size, options.concurrency // 4)) if running else 1
        return min(room, options.batch_size) if room >= refill_at else 0

    def _urgent(self) -> bool:
        """Outcomes to write now; bare running-marks wait a little for company."""
        outbox = self._state.outbox
        if outbox.completed or outbox.failed or outbox.released:
            return True
        return bool(outbox.started) and (
            self._closing or time.monotonic() - self._marks_since >= MARK_DELAY
        )

    def notified(self) -> None:
        """New work may be waiting (a NOTIFY, or a poll is due)."""
        self._maybe_work = True
        self._kick.set()

    async def _exchange_loop(self) -> None:
        options, state = self.options, self._state
        assert self._pool is not None
        failures = 0
        while True:
            # A running-mark only matters for a task still running when it is sent.
            state.outbox.started = [le for le in state.outbox.started if le.key in state.running]
            if self._closing and not state.outbox:
                return
            want = self._want()
            if not want and not self._urgent():
                timeout = options.poll_seconds
                if state.outbox.started:
                    timeout = min(timeout, self._marks_since + MARK_DELAY - time.monotonic())
                self._kick.clear()
                try:
                    await asyncio.wait_for(self._kick.wait(), max(timeout, 0.0))
                except TimeoutError:
                    self._maybe_work = True  # poll: work may have come due without a NOTIFY
                continue
            self._kick.clear()
            bundle, state.outbox = newest_outcomes(state.outbox), Settlement()
            kinds = self._eligible_kinds() if want else []
            try:
                async with self._write_lock, self._pool.connection() as conn:
                    settled, leases = await exchange(
                        conn,
                        bundle,
                        worker=self.name,
                        kinds=kinds,
                        limit=want,
                        lease_seconds=options.lease_seconds,
                    )
            except psycopg.Error as exc:
                bundle.extend(state.outbox)
                state.outbox = bundle  # nothing was committed: try the whole bundle again
                failures += 1
                if self._closing and failures > 20:
                    log.error("giving up settling %d lease(s); they will expire", len(bundle))
                    return
                await self._db_trouble(exc, failures)
                continue
            if failures:
                log.info("worker %s reached the database again", self.name)
                failures = 0
            if want and len(leases) < want:
                self._maybe_work = False  # drained for now: wait for a NOTIFY or the poll
            self._account(bundle, settled)
            for held in leases:
                self._start(held)

    async def _db_trouble(self, exc: BaseException, failures: int) -> None:
        if failures == 1:
            self.report.reconnects += 1
            log.warning("worker %s lost the database (%s); retrying", self.name, exc)
        await asyncio.sleep(min(0.05 * 2**failures, 2.0))

    # -- running -----------------------------------------------------------------------

    def _start(self, held: Lease) -> None:
        state = self._state
        spec = self.registry.get(held.kind)
        state.held[held.key] = held
        if spec.max_concurrency is not None and state.per_kind[held.kind] >= spec.max_concurrency:
            state.outbox.released.append(held)  # over the kind's limit: give it back
            self._kick.set()
            return
        state.per_kind[held.kind] += 1
        state.running[held.key] = asyncio.create_task(self._run(held, spec))

    async def _run(self, held: Lease, spec: TaskKind) -> None:
        state = self._state
        if not state.outbox.started:
            self._marks_since = time.monotonic()
        state.outbox.started.append(held)
        ctx = TaskContext(held.id, held.kind, held.attempt, held.max_attempts, self.name)
        try:
            payload = spec.parse(held.payload)
            if spec.transactional:
                await self._run_transactional(held, spec, payload, ctx)
                state.held.pop(held.key, None)
                self.report.completed += 1
            else:
                result = await spec.handler(payload, ctx)
                state.outbox.completed.append((held, _encode_result(result)))
        except asyncio.CancelledError:
            if held.key in state.held:  # shutdown, not a lost lease: hand it back
                state.outbox.released.append(held)
        except LeaseLostError as exc:
            state.held.pop(held.key, None)
            self.report.rejected += 1
            log.warning("%s", exc.message)
        except Exception as exc:
            state.outbox.failed.append(self._failure(held, spec, exc))
        finally:
            del state.running[held.key]
            state.per_kind[held.kind] -= 1
            self._kick.set()

    async def _run_transactional(
        self, held: Lease, spec: TaskKind, payload: Any, ctx: TaskContext
    ) -> None:
        assert self._handler_pool is not None
        async with self._handler_pool.connection() as conn, conn.transaction():
            result = await spec.handler(payload, ctx._replace(conn=conn))
            if not await complete_in_transaction(conn, held, _encode_result(result)):
                raise LeaseLostError(held.id)  # rolls the handler's writes back

    def _failure(self, held: Lease, spec: TaskKind, exc: Exception) -> Failure:
        status, delay = after_failure(
            spec.retry,
            attempt=held.attempt,
            max_attempts=held.max_attempts,
            retryable=spec.retryable(exc),
        )
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        trace = "".join(traceback.format_exception(exc))[-MAX_TRACEBACK_CHARS:]
        if status == "dead":
            log.warning(
                "task %s (%s) is dead after attempt %s: %s", held.id, held.kind, held.attempt, error
            )
        return Failure(held, status, delay, error, trace)

    async def _drain(self) -> None:
        """After stop: let running tasks finish within the grace period, cancel the rest."""
        running = list(self._state.running.values())
        if running:
            log.info("worker %s finishing %d running task(s)", self.name, len(running))
            _, pending = await asyncio.wait(running, timeout=self._grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def _account(self, bundle: Settlement, settled: Settled) -> None:
        held, report = self._state.held, self.report
        for le, _ in bundle.completed:
            held.pop(le.key, None)
            if le.id in settled.completed:
                report.completed += 1
            else:
                report.rejected += 1
                log.warning("%s", LeaseLostError(le.id).message)
        for f in bundle.failed:
            held.pop(f.lease.key, None)
            if f.lease.id in settled.failed:
                report.dead += f.status == "dead"
                report.failed += f.status == "failed"
            else:
                report.rejected += 1
        for le in bundle.released:
            held.pop(le.key, None)
            report.released += le.id in settled.released

    # -- heartbeat and housekeeping ----------------------------------------------------

    async def _heartbeat_loop(self) -> None:
        assert self._pool is not None
        interval = self.options.lease_seconds / 3
        failures = 0
        while True:
            await asyncio.sleep(interval if not failures else min(interval, 0.5))
            state = self._state
            try:
                async with self._write_lock, self._pool.connection() as conn:
                    snapshot = list(state.held.values())
                    kept = await heartbeat(conn, snapshot, lease_seconds=self.options.lease_seconds)
            except psycopg.Error as exc:
                failures += 1
                if failures == 1:
                    log.warning("worker %s: heartbeat failed (%s)", self.name, exc)
                continue
            failures = 0
            for le in snapshot:
                if le.key not in kept and state.held.pop(le.key, None) is not None:
                    log.warning("%s", LeaseLostError(le.id).message)
                    self.report.rejected += 1
                    task = state.running.get(le.key)
                    if task is not None:
                        task.cancel()

    async def _janitor_loop(self) -> None:
        assert self._pool is not None
        options = self.options
        since_prune = options.prune_seconds  # prune once at start
        while True:
            await self._guarded("rescue", self._rescue)
            if options.retention_seconds is not None and since_prune >= options.prune_seconds:
                since_prune = 0.0
                await self._guarded("prune", self._prune)
            await asyncio.sleep(options.rescue_seconds)
            since_prune += options.rescue_seconds

    async def _guarded(self, what: str, job: Callable[[], Awaitable[None]]) -> None:
        """Run `job`; a database error skips this round, anything else ends the loop
        (and so stops the worker: see `_loop_ended`)."""
        try:
            await job()
        except psycopg.Error as exc:
            log.info("worker %s: %s skipped (%s)", self.name, what, exc)

    async def _rescue(self) -> None:
        assert self._pool is not None
        async with self._pool.connection() as conn:
            rescued = await rescue_expired(conn, self.registry.retry_policy)
        if rescued:
            self.report.rescued += len(rescued)
            log.info("worker %s took back %d expired lease(s)", self.name, len(rescued))

    async def _prune(self) -> None:
        assert self._pool is not None and self.options.retention_seconds is not None
        async with self._pool.connection() as conn:
            self.report.pruned += await prune_completed(
                conn, older_than_seconds=self.options.retention_seconds
            )


#: A worker whose link is cut notices a dead connection in about a minute instead of
#: TCP's 15+ (the URL's own settings win). The server ends the vanished host's sessions,
#: and the row locks they hold, only with keepalives of its own: docs/deployment.md.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 60000,
}


def connection_settings(url: str) -> dict[str, Any]:
    """Connect arguments for a worker: autocommit, a connect timeout, client keepalives."""
    given = conninfo_to_dict(url)
    settings: dict[str, Any] = {"autocommit": True, "connect_timeout": 10}
    return settings | {k: v for k, v in KEEPALIVES.items() if k not in given}


#: The worker's own connections run only the queue's fixed statements. A generic plan
#: is planned once (the exchange's custom plan cost 0.5 ms of planning per batch of
#: 100, a sixth of its time). No bitmap scans and no sorts where an index gives the
#: order: on a table not yet analyzed (a burst enqueued into a fresh or stale table),
#: the planner claimed through a bitmap scan of every runnable row and sorted them all,
#: for every batch (the database's work per task 16 -> 39 us); each statement's right
#: plan is a plain scan of the primary key or of its partial index.
PLANNER_SETTINGS = (
    "SET plan_cache_mode = force_generic_plan",
    "SET enable_bitmapscan = off",
    "SET enable_sort = off",
)


async def _generic_plans(conn: psycopg.AsyncConnection[Any]) -> None:
    """Planner settings for the worker's own pool (never for handlers' connections)."""
    for setting in PLANNER_SETTINGS:
        await conn.execute(setting)


def _pool(
    url: str,
    *,
    max_size: int,
    configure: Callable[[psycopg.AsyncConnection[Any]], Awaitable[None]] | None = None,
) -> AsyncConnectionPool[Any]:
    return AsyncConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        kwargs=connection_settings(url),
        configure=configure,
        open=False,
        timeout=10,
        reconnect_timeout=24 * 3600,  # keep trying through a database restart
    )


def _encode_result(result: Any) -> str:
    try:
        return to_json(result).decode()
    except PydanticSerializationError as exc:
        raise PermanentError(f"the handler returned a result that is not JSON: {exc}") from exc
