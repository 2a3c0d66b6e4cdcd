"""Leases: claim a batch, heartbeat it, and settle it (run, complete, fail, release).

A lease is a task row in `leased` or `running` with a token and an expiry taken
from the database clock. Every write back checks the token, so once a lease is
taken back (expired and rescued, or released) its holder can no longer complete
or fail the task: a worker cut off from the database cannot overwrite a later
attempt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from automechanica.queue import queries
from automechanica.queue.backoff import FailedStatus


class Lease(NamedTuple):
    """One leased task, as its worker holds it (a named tuple: a worker makes one per
    task, and a frozen dataclass took three times as long to build)."""

    id: int
    kind: str
    payload: dict[str, Any]
    priority: int
    attempt: int
    max_attempts: int
    token: UUID  # the claim's: every task leased by one statement shares it

    @property
    def key(self) -> tuple[int, UUID]:
        """This lease among all leases of all tasks (a token alone names a claim)."""
        return (self.id, self.token)


async def lease(
    conn: AsyncConnection[Any],
    *,
    worker: str,
    kinds: Sequence[str],
    limit: int,
    lease_seconds: float,
) -> list[Lease]:
    """Claim up to `limit` due tasks of `kinds` in one statement, best first."""
    if limit <= 0 or not kinds:
        return []
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(
            queries.LEASE,
            {"kinds": list(kinds), "limit": limit, "worker": worker, "seconds": lease_seconds},
        )
        rows = await cur.fetchall()
    return [Lease(*row) for row in rows]


async def heartbeat(
    conn: AsyncConnection[Any], leases: Iterable[Lease], *, lease_seconds: float
) -> set[tuple[int, UUID]]:
    """Extend `leases`; returns the keys of those still held (the others were taken back)."""
    newest: dict[int, Lease] = {}
    for le in leases:  # one per task: an older lease of a task leased again is stale
        if le.id not in newest or le.attempt > newest[le.id].attempt:
            newest[le.id] = le
    if not newest:
        return set()
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(
            queries.HEARTBEAT,
            {
                "ids": list(newest),
                "tokens": [le.token for le in newest.values()],
                "seconds": lease_seconds,
            },
        )
        return {(row[0], row[1]) for row in await cur.fetchall()}


@dataclass(frozen=True)
class Failure:
    """A failed attempt: retry after `delay` seconds, or dead."""

    lease: Lease
    status: FailedStatus
    delay: float
    error: str
    traceback: str | None = None


@dataclass
class Settlement:
    """A bundle of lease outcomes written in one round trip."""

    started: list[Lease] = field(default_factory=list)
    completed: list[tuple[Lease, str]] = field(default_factory=list)  # (lease, result JSON)
    failed: list[Failure] = field(default_factory=list)
    released: list[Lease] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.started) + len(self.completed) + len(self.failed) + len(self.released)

    def extend(self, other: Settlement) -> None:
        self.started += other.started
        self.completed += other.completed
        self.failed += other.failed
        self.released += other.released


@dataclass(frozen=True)
class Settled:
    """What the database accepted; a lease missing here had been taken back."""

    completed: set[int]
    failed: set[int]
    released: set[int]
    started: int


async def settle(conn: AsyncConnection[Any], bundle: Settlement) -> Settled:
    """Write `bundle` in one statement (autocommit: one round trip, one commit)."""
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(queries.SETTLE, _settle_params(bundle))
        return _settled(await cur.fetchone())


async def exchange(
    conn: AsyncConnection[Any],
    bundle: Settlement,
    *,
    worker: str,
    kinds: Sequence[str],
    limit: int,
    lease_seconds: float,
) -> tuple[Settled, list[Lease]]:
    """Settle `bundle` and lease up to `limit` more: one statement, one commit.

    The worker's hot path, on an autocommit connection: no BEGIN, COMMIT or pipeline
    to pay for in Python, and the single commit (its fsync is what a queue pays for)
    covers both the finished batch and the claim of the next.
    """
    if limit <= 0 or not kinds:
        return (await settle(conn, bundle) if bundle else Settled(set(), set(), set(), 0)), []
    params = _settle_params(bundle)
    params |= {"kinds": list(kinds), "limit": limit, "worker": worker, "seconds": lease_seconds}
    async with conn.cursor(row_factory=tuple_row, binary=True) as cur:
        await cur.execute(queries.EXCHANGE, params)
        row = await cur.fetchone()
    assert row is not None
    ids, kinds_, payloads, priorities, attempts, max_attempts, tokens = row[5:]
    if not ids:
        return _settled(row[:5]), []
    return _settled(row[:5]), list(
        map(Lease, ids, kinds_, payloads, priorities, attempts, max_attempts, tokens)
    )


def newest_outcomes(bundle: Settlement) -> Settlement:
    """One outcome per task id: the one of its newest lease (highest attempt).

    A worker can hold a stale outcome and a newer lease of the same task (its lease
    was taken back and it leased the task again); the database keeps one token only.
    """
    completed = bundle.completed
    if not bundle.failed and not bundle.released:  # the usual bundle: completions only
        done = {le.id for le, _ in completed}
        if len(done) == len(completed):  # one outcome a task: nothing to choose
            started = [le for le in bundle.started if le.id not in done]
            return Settlement(started=started, completed=list(completed))
    newest: dict[int, int] = {}
    for le in (
        [le for le, _ in bundle.completed] + [f.lease for f in bundle.failed] + bundle.released
    ):
        newest[le.id] = max(newest.get(le.id, 0), le.attempt)
    done = {le.id for le, _ in bundle.completed} | {f.lease.id for f in bundle.failed}
    seen: set[int] = set()

    def keep(le: Lease) -> bool:
        if newest[le.id] != le.attempt or le.id in seen:
            return False
        seen.add(le.id)
        return True

    return Settlement(
        started=[le for le in bundle.started if le.id not in done and le.id not in newest],
        completed=[(le, r) for le, r in bundle.completed if keep(le)],
        failed=[f for f in bundle.failed if keep(f.lease)],
        released=[le for le in bundle.released if keep(le)],
    )


def _settle_params(bundle: Settlement) -> dict[str, Any]:
    bundle = newest_outcomes(bundle)
    started, completed, failed, released = (
        bundle.started,
        bundle.completed,
        bundle.failed,
        bundle.released,
    )
    texts: dict[UUID, str] = {}  # a claim's leases share one token: spell it once
    failures = bool(failed)
    return {
        "s_ids": _ids_literal([le.id for le in started]),
        "s_tokens": _tokens_literal([le.token for le in started], texts),
        "c_ids": _ids_literal([le.id for le, _ in completed]),
        "c_tokens": _tokens_literal([le.token for le, _ in completed], texts),
        "c_results": "[" + ",".join([result for _, result in completed]) + "]"
        if completed
        else None,
        "f_ids": [f.lease.id for f in failed] if failures else None,
        "f_tokens": [f.lease.token for f in failed] if failures else None,
        "f_statuses": [f.status for f in failed] if failures else None,
        "f_delays": [f.delay for f in failed] if failures else None,
        "f_errors": [f.error for f in failed] if failures else None,
        "f_tracebacks": [f.traceback for f in failed] if failures else None,
        "r_ids": _ids_literal([le.id for le in released]),
        "r_tokens": _tokens_literal([le.token for le in released], texts),
        "channel": queries.CHANNEL,
    }


def _ids_literal(ids: list[int]) -> str | None:
    """`{1,2,3}`: a bigint[] literal, or None (SQL NULL) for no ids."""
    return "{" + ",".join(map(str, ids)) + "}" if ids else None


def _tokens_literal(tokens: list[UUID], texts: dict[UUID, str]) -> str | None:
    """A uuid[] literal (the few distinct tokens converted once), or None."""
    if not tokens:
        return None
    spelled = [texts.get(t) or texts.setdefault(t, str(t)) for t in tokens]
    return "{" + ",".join(spelled) + "}"


def _settled(row: tuple[Any, ...] | None) -> Settled:
    assert row is not None
    completed, failed, released, n_started, _ = row
    return Settled(set(completed), set(failed), set(released), int(n_started))


async def complete_in_transaction(
    conn: AsyncConnection[Any], held: Lease, result_json: str
) -> bool:
    """Complete `held` on `conn` (inside the transaction holding the task's effects).

    False when the lease was taken back: the caller must roll back.
    """
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(
            queries.COMPLETE_ONE, {"id": held.id, "token": held.token, "result": result_json}
        )
        return cur.rowcount == 1
