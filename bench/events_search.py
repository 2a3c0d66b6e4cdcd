"""The console's agent-event search against its floor, in one run.

    .venv/bin/python -m bench.events_search [--events 20000] [--texts 600] [--queries 60]

One embedded PostgreSQL, `--events` agent events spread over 90 days (agents, decision
types and outcomes drawn from a small vocabulary). `--texts` distinct rationales are
embedded with the real model (all-MiniLM-L6-v2 int8); each event takes one of them plus a
little noise, so the HNSW index holds `--events` distinct vectors without embedding
them all. Rows, each the p50 / p95 ms of `--queries` calls from Python on this machine
(the query's own embedding not included; it is printed on its own line):

  - baseline: memory's store search alone (`PgVectorStore.search`, k = 25), without
    and with the agent filter: the floor every semantic row stands on;
  - search: `similar_events` (store search, the rows, the embedding backlog count),
    without filters, with an agent filter, and with `since` (a week: the store is
    asked for 1,000 candidates, then the rows are filtered on time);
  - newest: the first page, and a page deep in the history by keyset (`before`),
    beside the same page's statement by OFFSET (what keyset paging avoids); the
    `newest` rows include the backlog count, the OFFSET row does not;
  - backlog: the count of events waiting, with 2,000 jobs pending.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from automechanica.db import migrate
from automechanica.memory import OnnxEmbedder, PgVectorStore, Point
from automechanica.orchestrator.event_search import (
    LIST_COLUMNS,
    SUMMARY_CHARS,
    EventFilters,
    embedding_backlog,
    newest_events,
    similar_events,
)
from bench._setup import bench_database, percentile

AGENTS = {
    "pricing": ("price.change", "price held below MAP", "margin under the minimum"),
    "fitment": ("fitment.publish", "brake pads for the Civic", "engine mismatch"),
    "support": ("support.answer", "refund for an installed part", "late delivery"),
    "seo": ("seo.write", "unsupported warranty claim", "product title rewritten"),
    "order": ("order.route", "warehouse with stock", "split shipment"),
    "SupplierNormalization": ("brand.match", "unknown brand alias", "part type guessed"),
}
OUTCOMES = ("accepted", "held", "rejected", "retried", "failed", "refused")
QUESTIONS = [
    "price below the advertised minimum",
    "does this pad fit a 2014 Civic",
    "customer wants money back for a used alternator",
    "generated text promises a warranty",
    "which supplier ships fastest",
    "brand name not recognised in the feed",
]
DIM = 384


def rationales(n: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(agent, decision type, rationale): varied sentences about each agent's work."""
    out = []
    for i in range(n):
        agent = rng.choice(list(AGENTS))
        decision, a, b = AGENTS[agent]
        part = rng.choice(["wiper blade", "brake rotor", "oil filter", "alternator", "spark plug"])
        brand = rng.choice(["Bosch", "ACDelco", "Denso", "Moog", "Wagner", "NGK"])
        text = (
            f"{rng.choice([a, b])}: the {brand} {part} #{i} was checked against "
            f"{rng.choice(['the feed', 'three suppliers', 'the policy', 'the catalog'])}; "
            f"confidence {rng.random():.2f}."
        )
        out.append((agent, decision, text))
    return out


async def load(url: str, events: int, texts: int, model: OnnxEmbedder) -> None:
    rng = random.Random(7)
    vocab = rationales(texts, rng)
    vectors = await asyncio.to_thread(model.embed, [t for _, _, t in vocab])
    now = datetime.now(UTC)
    rows = []
    for _ in range(events):
        pick = rng.randrange(texts)
        agent, decision, text = vocab[pick]
        age = timedelta(seconds=rng.uniform(0, 90 * 86400))
        rows.append((agent, decision, rng.choice(OUTCOMES), text, now - age, pick))
    rows.sort(key=lambda r: r[4])  # ids grow with time, as they do in a running store
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cur = await conn.execute(
            """INSERT INTO agent_events (agent, decision_type, outcome, rationale, created_at,
                                         confidence, cost_usd)
               SELECT a, d, o, r, c, 0.8, 0.0004
               FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::timestamptz[])
                    AS u(a, d, o, r, c)
               RETURNING id""",
            [[r[i] for r in rows] for i in range(5)],
        )
        ids = [r[0] for r in await cur.fetchall()]
        await conn.execute("DELETE FROM embedding_jobs")  # vectors are written below
    pool = await _pool(url)
    store = PgVectorStore(pool)
    noise = np.random.default_rng(7)
    points = []
    for event_id, row in zip(ids, rows, strict=True):
        v = vectors[row[5]] + noise.normal(0, 0.02, DIM).astype(np.float32)
        v /= np.linalg.norm(v)
        payload = {"agent": row[0], "decision_type": row[1], "outcome": row[2]}
        points.append(Point(event_id, v, "bench", payload))
    for start in range(0, len(points), 2000):
        await store.upsert("event", model.model, points[start : start + 2000])
    await pool.close()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("VACUUM ANALYZE")


async def _pool(url: str) -> AsyncConnectionPool[Any]:
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        url,
        min_size=2,
        max_size=2,
        kwargs={"autocommit": True, "row_factory": dict_row},
        open=False,
    )
    await pool.open(wait=True)
    return pool


async def timed(n: int, call: Callable[[int], Awaitable[Any]]) -> tuple[float, float]:
    for i in range(3):  # warm the pool, the plans and the caches
        await call(i)
    times = []
    for i in range(n):
        start = time.perf_counter()
        await call(i)
        times.append((time.perf_counter() - start) * 1000)
    return percentile(times, 50), percentile(times, 95)


async def by_offset(conn: Any, offset: int, model: str) -> None:
    """The keyset page's statement with OFFSET instead of `id < before` (and no backlog)."""
    statement = LIST_COLUMNS + "ORDER BY e.id DESC LIMIT 26 OFFSET %(offset)s"
    params = {"summary": SUMMARY_CHARS, "model": model, "offset": offset}
    await (await conn.execute(statement, params)).fetchall()


async def measure(url: str, queries: int, model: OnnxEmbedder) -> None:
    start = time.perf_counter()
    qvecs = await asyncio.to_thread(model.embed, QUESTIONS)
    per_query = (time.perf_counter() - start) * 1000 / len(QUESTIONS)
    print(
        f"query embedding (not in the rows below): {per_query:.1f} ms a query, batch of 6",
        flush=True,
    )
    pool = await _pool(url)
    store = PgVectorStore(pool)
    week = EventFilters(since=datetime.now(UTC) - timedelta(days=7))
    rows: list[tuple[str, tuple[float, float]]] = []
    async with pool.connection() as conn:
        deep = int(
            (await (await conn.execute("SELECT max(id) / 10 AS d FROM agent_events")).fetchone())[
                "d"
            ]
        )

        def vec(i: int) -> Any:
            return qvecs[i % len(QUESTIONS)]

        rows.append(
            (
                "baseline: store search alone, k=25",
                await timed(queries, lambda i: store.search("event", model.model, vec(i), k=25)),
            )
        )
        rows.append(
            (
                "search, no filter, 25 hits",
                await timed(
                    queries,
                    lambda i: similar_events(conn, store, model.model, vec(i), EventFilters()),
                ),
            )
        )
        rows.append(
            (
                "baseline: store search alone, agent=pricing",
                await timed(
                    queries,
                    lambda i: store.search(
                        "event", model.model, vec(i), k=25, filters={"agent": "pricing"}
                    ),
                ),
            )
        )
        rows.append(
            (
                "search, agent=pricing",
                await timed(
                    queries,
                    lambda i: similar_events(
                        conn, store, model.model, vec(i), EventFilters(agent="pricing")
                    ),
                ),
            )
        )
        rows.append(
            (
                "search, since a week (1,000 candidates)",
                await timed(
                    queries, lambda i: similar_events(conn, store, model.model, vec(i), week)
                ),
            )
        )
        rows.append(
            (
                "newest, first page of 25",
                await timed(
                    queries, lambda i: newest_events(conn, EventFilters(), model=model.model)
                ),
            )
        )
        rows.append(
            (
                "newest, page at 90% depth by keyset",
                await timed(
                    queries,
                    lambda i: newest_events(conn, EventFilters(), model=model.model, before=deep),
                ),
            )
        )
        offset = (
            await (
                await conn.execute("SELECT count(*) AS n FROM agent_events WHERE id >= %s", [deep])
            ).fetchone()
        )["n"]
        rows.append(
            (
                "baseline: same page by OFFSET",
                await timed(
                    queries,
                    lambda i: by_offset(conn, offset, model.model),
                ),
            )
        )
        await conn.execute(
            """INSERT INTO embedding_jobs (kind, ref_id, content, content_hash)
               SELECT 'event', id::text, 'x', md5('x') FROM agent_events
               ORDER BY id DESC LIMIT 2000"""
        )
        await conn.execute("ANALYZE embedding_jobs")
        rows.append(
            (
                "backlog count, 2,000 pending",
                await timed(queries, lambda i: embedding_backlog(conn, EventFilters())),
            )
        )
    await pool.close()
    for label, (p50, p95) in rows:
        print(f"{label:<45} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--texts", type=int, default=600)
    parser.add_argument("--queries", type=int, default=60)
    args = parser.parse_args()
    model = OnnxEmbedder.default()
    with bench_database("events_search") as (url, _):
        migrate.migrate(url)
        start = time.perf_counter()
        asyncio.run(load(url, args.events, args.texts, model))
        print(
            f"{args.events} events, {args.texts} distinct texts embedded, "
            f"loaded in {time.perf_counter() - start:.1f} s"
        )
        asyncio.run(measure(url, args.queries, model))


if __name__ == "__main__":
    main()
