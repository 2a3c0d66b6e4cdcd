"""The embedding worker: lease jobs in batches, skip what is unchanged, embed, store.

    worker = EmbeddingWorker(pool, embedder, store, url=url)
    await worker.run()          # until stop(); `automechanica worker --kinds embedding`
    await worker.drain()        # until no job is due (tests, benchmarks, `memory drain`)

One round: lease up to `batch_size` due jobs under one token; of several jobs for
the same row keep the newest; skip jobs whose content hash the store already has
for this model; read the payloads (filterable fields) of the rest from their
source rows; embed each distinct text once (jobs whose text the worker embedded
recently take that vector: a model gives one text one vector), `embed_batch` texts
at a time in a thread; then write
the vectors and complete the jobs in one transaction (pgvector), or write the
vectors first and then complete (Qdrant); `run()` and `drain()` embed the next
batch while the previous one is being written. An embedding call that fails is retried
text by text, so one poison input fails alone: it is retried with backoff, and
dead at once when the provider says the input can never be embedded.

Beside the batch loop run two background loops: housekeeping (take back expired
leases, prune done jobs, every `rescue_seconds`) and the LISTEN connection that
wakes the loop. Their policy on errors is deliberate:

- the database away for now (`psycopg.OperationalError` or `InterfaceError`: a
  restart, a network cut, an exhausted pool) is logged and waited out; the loop
  goes on;
- anything else (a bug, a bad setting, SQL the server rejects) stops the whole
  worker loudly: the error is logged, the batch in hand is finished, and `run()`
  raises `EmbeddingWorkerStoppedError`, so the command exits with status 1 and its
  supervisor sees it. Leases of a batch that could not be finished come back by
  expiry (another worker's housekeeping). A loop restarted forever on the same
  error would only hide it; a loop that ended quietly would leave expired leases
  unrescued with nobody told.

The start-up backfill follows the same rule.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
import psycopg
from psycopg import sql
from psycopg.rows import tuple_row
from psycopg_pool import AsyncConnectionPool

from automechanica.memory import jobs
from automechanica.memory.embedders import Embedder, Vectors
from automechanica.memory.errors import EmbeddingInputError, EmbeddingWorkerStoppedError
from automechanica.memory.jobs import Batch, Job, JobFailure
from automechanica.memory.sources import KINDS, Kind, source
from automechanica.memory.stores.base import Point, VectorStore
from automechanica.queue.backoff import RetryPolicy, after_failure

log = logging.getLogger("automechanica.memory.worker")

#: The database is away for now: background loops log these and carry on.
DATABASE_AWAY: tuple[type[Exception], ...] = (psycopg.OperationalError, psycopg.InterfaceError)


@dataclass(frozen=True)
class EmbeddingWorkerOptions:
    """How the embedding worker behaves; the CLI maps its options onto these."""

    kinds: Sequence[Kind] = KINDS
    batch_size: int = 256  # jobs leased per round trip
    embed_batch: int = 64  # texts per model call
    lease_seconds: float = 300.0
    poll_seconds: float = 2.0
    max_attempts: int = 5
    retry: RetryPolicy = field(
        default_factory=lambda: RetryPolicy(base_seconds=5, factor=2, cap_seconds=900)
    )
    rescue_seconds: float = 30.0
    retention_seconds: float | None = 24 * 3600.0  # done jobs kept this long (None: forever)
    backfill: bool = True  # at start: jobs for rows without a vector of this model
    recent_texts: int = 4096  # vectors remembered by their text's hash (~1.5 KB each)


@dataclass
class EmbeddingReport:
    """What the worker did."""

    embedded: int = 0
    shared: int = 0  # of those, vectors taken from an identical text instead of the model
    skipped: int = 0  # the store already had this content for this model
    superseded: int = 0  # a newer job for the same row was in the batch
    gone: int = 0  # the source row was deleted before its turn
    failed: int = 0
    dead: int = 0
    batches: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{v} {k}" for k, v in vars(self).items())


class EmbeddingWorker:
    """Drains `embedding_jobs` into `store` with `embedder`."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        embedder: Embedder,
        store: VectorStore,
        options: EmbeddingWorkerOptions | None = None,
        *,
        url: str | None = None,
    ) -> None:
        self.pool = pool
        self.embedder = embedder
        self.store = store
        self.options = options or EmbeddingWorkerOptions()
        self.url = url  # for LISTEN; without it the worker only polls
        self.report = EmbeddingReport()
        self._stopping = asyncio.Event()
        self._kick = asyncio.Event()
        self._broken: tuple[str, BaseException] | None = None  # a background loop that failed
        self._recent = RecentVectors(self.options.recent_texts)
        self._writing: asyncio.Task[None] | None = None  # the batch being written

    # -- control -----------------------------------------------------------------------

    def stop(self) -> None:
        self._stopping.set()
        self._kick.set()

    async def drain(self) -> EmbeddingReport:
        """Process batches until none is due; returns the report."""
        try:
            while await self._advance():
                pass
        finally:
            await self._flush()
        return self.report

    async def run(self) -> EmbeddingReport:
        """Work until `stop()`: wake on NOTIFY, poll as a fallback, survive restarts.

        Raises `EmbeddingWorkerStoppedError` when a background loop failed (see the
        module's docstring): the worker stops rather than run on without it.
        """
        self._broken = None
        if self.options.backfill and self.store.transactional:
            await self._guarded("backfill", self.backfill)
        helpers = [self._background("housekeeping", self._janitor())]
        if self.url:
            helpers.append(self._background("listener", self._listen(self.url)))
        log.info(
            "embedding worker running %s with %s",
            ", ".join(self.options.kinds),
            self.embedder.model,
        )
        failures = 0
        try:
            while not self._stopping.is_set():
                try:
                    handled = await self._advance()
                    if handled < self.options.batch_size:
                        await self._flush()  # nothing more due now: finish before waiting
                    failures = 0
                except psycopg.Error as exc:
                    failures += 1
                    log.warning("embedding worker lost the database (%s); retrying", exc)
                    await asyncio.sleep(min(0.1 * 2**failures, 5.0))
                    continue
                if handled < self.options.batch_size:
                    self._kick.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._kick.wait(), self.options.poll_seconds)
        finally:
            with contextlib.suppress(psycopg.Error):  # its leases come back by expiry
                await self._flush()
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
        if self._broken is not None:
            loop, exc = self._broken
            raise EmbeddingWorkerStoppedError(
                loop, f"{type(exc).__name__}: {str(exc).strip()}"
            ) from exc
        log.info("embedding worker stopped: %s", self.report)
        return self.report

    def _background(self, name: str, loop: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `loop` beside the batch loop; if it ever ends, the worker stops loudly."""
        task = asyncio.create_task(loop, name=f"embedding {name}")

        def ended(task: asyncio.Task[None]) -> None:
            if task.cancelled():
                return  # the worker is stopping
            exc = task.exception() or RuntimeError("the loop returned")
            log.error(
                "embedding worker: the %s loop failed; stopping the worker", name, exc_info=exc
            )
            if self._broken is None:
                self._broken = (name, exc)
            self.stop()

        task.add_done_callback(ended)
        return task

    async def backfill(self) -> int:
        """Jobs for rows that have no vector of this model (first start, or a new model)."""
        added = 0
        async with self.pool.connection() as conn:
            for kind in self.options.kinds:
                added += await jobs.backfill(
                    conn, source(kind).backfill_sql, model=self.embedder.model
                )
        if added:
            log.info("queued %d rows without a %s vector", added, self.embedder.model)
        return added

    # -- one round ---------------------------------------------------------------------

    async def process_batch(self) -> int:
        """Lease, embed and store one batch; returns how many jobs it leased."""
        staged = await self._prepare()
        if staged is None:
            return 0
        await self._store(staged)
        return len(staged.batch.jobs)

    async def _advance(self) -> int:
        """Lease and embed the next batch while the previous one is written, then start
        writing this one; returns how many jobs it leased (0: none was due).

        The model runs in a thread and the writes (pgvector's index inserts) in
        PostgreSQL, so a worker that waited for each write before embedding again left
        a core idle for a third of its time (10,000 onboarded parts). One batch in
        writing at a time keeps the writes in lease order."""
        try:
            staged = await self._prepare()
        finally:
            await self._flush()
        if staged is None:
            return 0
        self._writing = asyncio.create_task(self._store(staged))
        return len(staged.batch.jobs)

    async def _flush(self) -> None:
        """Wait for the batch being written, if any (its error propagates)."""
        writing, self._writing = self._writing, None
        if writing is not None:
            await writing

    async def _prepare(self) -> _Staged | None:
        """Lease a batch, skip what is unchanged or gone, embed the rest (not yet stored)."""
        options, model = self.options, self.embedder.model
        async with self.pool.connection() as conn:
            batch = await jobs.lease(
                conn,
                kinds=options.kinds,
                model=model,
                limit=options.batch_size,
                lease_seconds=options.lease_seconds,
            )
        if not batch.jobs:
            return None
        self.report.batches += 1
        latest, superseded = _newest_per_row(batch.jobs)
        unchanged = await self._unchanged(latest)
        payloads = await self._payloads([j for j in latest if j.id not in unchanged])
        todo = [j for j in latest if j.id not in unchanged and (j.kind, j.ref) in payloads]
        gone = [j for j in latest if j.id not in unchanged and (j.kind, j.ref) not in payloads]
        vectors, failures = await self._embed(todo)
        points: dict[Kind, list[Point]] = defaultdict(list)
        for job in todo:
            if job.id in vectors:
                points[job.kind].append(
                    Point(
                        job.ref,
                        vectors[job.id],
                        job.content_hash,
                        payloads[(job.kind, job.ref)],
                        job.id,
                    )
                )
        done = [j.id for j in superseded] + sorted(unchanged) + [j.id for j in gone]
        done += [j.id for j in todo if j.id in vectors]
        counts = {
            "superseded": len(superseded),
            "skipped": len(unchanged),
            "gone": len(gone),
            "embedded": len(vectors),
            "failed": sum(f.status == "failed" for f in failures),
            "dead": sum(f.status == "dead" for f in failures),
        }
        return _Staged(batch, points, done, failures, counts)

    async def _unchanged(self, latest: list[Job]) -> set[int]:
        """Jobs whose text the store already holds for this model."""
        by_kind: dict[Kind, list[Job]] = defaultdict(list)
        for job in latest:
            by_kind[job.kind].append(job)
        unchanged: set[int] = set()
        for kind, group in by_kind.items():
            stored = await self.store.content_hashes(
                kind, self.embedder.model, [j.ref for j in group]
            )
            unchanged |= {j.id for j in group if stored.get(j.ref) == j.content_hash}
        return unchanged

    async def _payloads(self, todo: list[Job]) -> dict[tuple[Kind, int], dict[str, Any]]:
        """Filterable fields from the source rows (missing: the row was deleted)."""
        by_kind: dict[Kind, list[int]] = defaultdict(list)
        for job in todo:
            by_kind[job.kind].append(job.ref)
        found: dict[tuple[Kind, int], dict[str, Any]] = {}
        if not by_kind:
            return found
        async with self.pool.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            for kind, refs in by_kind.items():
                await cur.execute(sql.SQL(source(kind).payload_sql), {"ids": refs})
                for ref, payload in await cur.fetchall():
                    found[(kind, int(ref))] = dict(payload)
        return found

    async def _embed(self, todo: list[Job]) -> tuple[dict[int, Vectors], list[JobFailure]]:
        """Vectors by job id, each distinct text embedded once.

        Routine decisions say the same few things (10,000 product pages: a few hundred
        distinct event texts), so jobs with the text of a job in this batch, or of one
        embedded recently, share its vector."""
        vectors: dict[int, Vectors] = {}
        alike: dict[str, list[Job]] = defaultdict(list)
        for job in todo:
            known = self._recent.get(job.content_hash)
            if known is not None:
                vectors[job.id] = known
            else:
                alike[job.content_hash].append(job)
        self.report.shared += len(vectors)
        embedded, first_failures = await self._embed_texts([group[0] for group in alike.values()])
        failures: list[JobFailure] = []
        for content_hash, group in alike.items():
            vector = embedded.get(group[0].id)
            if vector is not None:
                self._recent.put(content_hash, vector)
                vectors |= {job.id: vector for job in group}
                self.report.shared += len(group) - 1
        hash_of_first = {group[0].id: content_hash for content_hash, group in alike.items()}
        for failure in first_failures:
            group = alike[hash_of_first[failure.job_id]]
            failures += [replace(failure, job_id=job.id) for job in group]
        return vectors, failures

    async def _embed_texts(self, todo: list[Job]) -> tuple[dict[int, Vectors], list[JobFailure]]:
        """Vectors by job id; a failed call is retried text by text to isolate poison.

        Texts go to the model shortest first: a call pads every text to its longest, so
        a short part title batched with a long event rationale would cost as much as
        the rationale (1.6x the CPU per text on a random mix of a store's part and event
        texts; batches leased one kind at a time, as onboarding's mostly are, gain
        nothing measurable)."""
        vectors: dict[int, Vectors] = {}
        failures: list[JobFailure] = []
        size = self.options.embed_batch
        todo = sorted(todo, key=lambda job: len(job.content))
        for start in range(0, len(todo), size):
            chunk = todo[start : start + size]
            try:
                rows = await asyncio.to_thread(self.embedder.embed, [j.content for j in chunk])
            except Exception as exc:
                if len(chunk) == 1:
                    failures.append(self._failure(chunk[0], exc))
                else:
                    sub_vectors, sub_failures = await self._embed_one_by_one(chunk)
                    vectors |= sub_vectors
                    failures += sub_failures
                continue
            for job, row in zip(chunk, rows, strict=True):
                vectors[job.id] = np.asarray(row, dtype=np.float32)
        return vectors, failures

    async def _embed_one_by_one(
        self, chunk: list[Job]
    ) -> tuple[dict[int, Vectors], list[JobFailure]]:
        vectors: dict[int, Vectors] = {}
        failures: list[JobFailure] = []
        for job in chunk:
            try:
                (row,) = await asyncio.to_thread(self.embedder.embed, [job.content])
            except Exception as exc:
                failures.append(self._failure(job, exc))
                continue
            vectors[job.id] = np.asarray(row, dtype=np.float32)
        return vectors, failures

    def _failure(self, job: Job, exc: Exception) -> JobFailure:
        status, delay = after_failure(
            self.options.retry,
            attempt=job.attempt,
            max_attempts=self.options.max_attempts,
            retryable=not isinstance(exc, EmbeddingInputError),
        )
        error = f"{type(exc).__name__}: {exc}"
        if status == "dead":
            log.warning("embedding job %s (%s %s) is dead: %s", job.id, job.kind, job.ref_id, error)
        return JobFailure(job.id, status, delay, error)

    async def _store(self, staged: _Staged) -> None:
        """Write the batch's vectors and settle its jobs (one transaction on pgvector)."""
        batch, points, done, failures, counts = staged
        model = self.embedder.model
        if not self.store.transactional:
            for kind, group in points.items():
                await self.store.upsert(kind, model, group)
        async with self.pool.connection() as conn, conn.transaction():
            if self.store.transactional:
                for kind, group in points.items():
                    await self.store.upsert(kind, model, group, conn=conn)
            completed = await jobs.complete(conn, batch, done, model=model)
            await jobs.fail(conn, batch, failures)
        if completed < len(done):
            log.warning(
                "%d embedding job(s) were taken back before they completed; they run again",
                len(done) - completed,
            )
        for name, count in counts.items():
            setattr(self.report, name, getattr(self.report, name) + count)

    # -- wake-up and housekeeping ------------------------------------------------------

    async def _listen(self, url: str) -> None:
        """Kick the loop on every NOTIFY of the triggers; reconnect when the link drops."""
        backoff = 0.1
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
                async with conn:
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(jobs.CHANNEL)))
                    backoff = 0.1
                    self._kick.set()
                    async for _ in conn.notifies():
                        self._kick.set()
            except DATABASE_AWAY as exc:
                log.debug("embedding listener: %s; polling until it is back", exc)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    async def _janitor(self) -> None:
        options = self.options
        while True:
            await self._guarded("housekeeping", self._housekeeping)
            await asyncio.sleep(options.rescue_seconds)

    async def _housekeeping(self) -> None:
        options = self.options
        async with self.pool.connection() as conn:
            rescued = await jobs.rescue_expired(conn, max_attempts=options.max_attempts)
            if rescued:
                log.info("took back %d expired embedding lease(s)", rescued)
            if options.retention_seconds is not None:
                await jobs.prune_done(
                    conn, kinds=options.kinds, older_than_seconds=options.retention_seconds
                )

    async def _guarded(self, what: str, job: Callable[[], Awaitable[Any]]) -> None:
        """Run `job`; the database away skips it (logged), anything else propagates."""
        try:
            await job()
        except DATABASE_AWAY as exc:
            log.warning("embedding worker: %s skipped, the database is away (%s)", what, exc)


class _Staged(NamedTuple):
    """A leased batch, embedded, waiting to be written."""

    batch: Batch
    points: dict[Kind, list[Point]]
    done: list[int]
    failures: list[JobFailure]
    counts: dict[str, int]  # added to the report once written


class RecentVectors:
    """The vectors of the last `size` distinct texts embedded, by the text's hash."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._vectors: OrderedDict[str, Vectors] = OrderedDict()

    def get(self, content_hash: str) -> Vectors | None:
        vector = self._vectors.get(content_hash)
        if vector is not None:
            self._vectors.move_to_end(content_hash)
        return vector

    def put(self, content_hash: str, vector: Vectors) -> None:
        if self.size <= 0:
            return
        self._vectors[content_hash] = vector
        self._vectors.move_to_end(content_hash)
        while len(self._vectors) > self.size:
            self._vectors.popitem(last=False)


def _newest_per_row(batch: list[Job]) -> tuple[list[Job], list[Job]]:
    """The newest job of each row, and the older ones it makes unnecessary."""
    newest: dict[tuple[Kind, str], Job] = {}
    for job in batch:  # sorted by id
        newest[(job.kind, job.ref_id)] = job
    keep = {j.id for j in newest.values()}
    return list(newest.values()), [j for j in batch if j.id not in keep]
