"""The storefront's API calls in process: on a new connection, on a new connection the
pool has warmed (catalog/storefront_warm.py), and again on a used one (the baseline).

Issue 14's figure is p95 of the storefront's API calls during a scripted browse in
headless Chromium (`npm run bench` in web/), at most 35 calls: its p95 is the second
slowest call, so one-off costs decide it. This prints the ones a fresh server paid:
each call kind of the browse on a connection's first use, the same after the warm-up,
and the same call once the connection has made it; the warm-up's own time per
connection; the local query model's first embedding against a later one; and the
worded search's ladder (web bench: `q=brake pads` for a vehicle no brake pad fits runs
every step). Rounds interleave the three so they share the machine's conditions.

    .venv/bin/python -m bench.storefront_calls [--rounds 15] [--parts 600]

AUTOMECHANICA_DATABASE_URL set: that database as it is (the demo store loaded);
otherwise a temporary embedded server with the demo store of `--parts` parts.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from automechanica.api.deps import QueryVectors
from automechanica.catalog.demo import load_demo_store
from automechanica.catalog.fitment import VehicleQuery, check_fit
from automechanica.catalog.parts import part_detail
from automechanica.catalog.search import SearchQuery, generic_plan, search_page
from automechanica.catalog.search_intent import understand
from automechanica.catalog.search_words import SearchWords, load_search_words
from automechanica.catalog.shopper_search import ShopperQuery, plan, shopper_search
from automechanica.catalog.storefront_warm import warm_connection
from automechanica.db import migrate
from automechanica.memory import OnnxEmbedder
from bench._setup import bench_database, percentile

Conn = psycopg.AsyncConnection[Any]
#: A call on a new connection; on a new connection after the warm-up; again on the first.
VARIANTS = ("new connection", "warmed connection", "used (baseline)")
Call = Callable[[Conn], Awaitable[Any]]


async def _has_parts(url: str) -> bool:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        found = await conn.execute("SELECT to_regclass('parts') IS NOT NULL")
        row = await found.fetchone()
        if not row or not row[0]:
            return False
        count = await conn.execute("SELECT count(*) FROM parts")
        parts = await count.fetchone()
        return bool(parts and parts[0])


async def _load(url: str, work: Path, parts: int) -> None:
    migrate.migrate(url)
    async with await psycopg.AsyncConnection.connect(url) as conn:
        await load_demo_store(
            conn, work / "feeds", parts=parts, vins_per_type=40, say=lambda _: None
        )
        await conn.commit()
        await conn.set_autocommit(True)
        await conn.execute("VACUUM ANALYZE")


async def _target(conn: Conn) -> tuple[int, int]:
    """An oil filter with a published fitment and a configuration of its vehicle (as the
    web bench's `fittingPart`; the fit check's verdict does not matter here)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT f.part_id, v.id AS vehicle_id FROM fitments f"
            " JOIN parts p ON p.id = f.part_id"
            " JOIN part_types t ON t.id = p.part_type_id AND t.slug = 'oil-filter'"
            " JOIN vehicles v ON v.base_vehicle_id = f.base_vehicle_id"
            " WHERE f.status = 'published' ORDER BY f.part_id, v.id LIMIT 1"
        )
        row = await cur.fetchone()
    assert row is not None, "the demo store has no oil filter with a fitment"
    return int(row["part_id"]), int(row["vehicle_id"])


def browse_calls(
    words: SearchWords, part: int, vehicle: int, vectors: QueryVectors | None
) -> dict[str, Call]:
    """The web bench's browse, call by call (home, category, worded search, product);
    with `vectors`, the words are searched with the query's vector too, as the API does."""
    embed = vectors.vector if vectors is not None else None
    model = vectors.model if vectors is not None else None

    def search(query: ShopperQuery) -> Call:
        return lambda c: shopper_search(
            c, query, words.words, words.vocabulary, embed=embed, model=model
        )

    return {
        "home: parts for the vehicle": search(ShopperQuery(vehicle_id=vehicle, per_page=1)),
        "category: oil filters for it": search(
            ShopperQuery(part_type="oil-filter", vehicle_id=vehicle)
        ),
        "search: brake pads for it": search(ShopperQuery(q="brake pads", vehicle_id=vehicle)),
        "product page: part detail": lambda c: part_detail(c, part),
        "product page: fit check": lambda c: check_fit(c, part, VehicleQuery(vehicle_id=vehicle)),
    }


def _backend_cpu_ns(conn: Conn) -> int | None:
    """CPU time of the connection's PostgreSQL backend so far, when it runs on this
    machine (/proc/PID/schedstat, in ns); None otherwise."""
    try:
        with open(f"/proc/{conn.info.backend_pid}/schedstat") as stat:
            return int(stat.read().split()[0])
    except OSError:
        return None


async def _timed(call: Call, conn: Conn, cpu: list[float]) -> float:
    """Wall ms of one call; its CPU ms (this thread + the backend) appended to `cpu`.
    CPU moves far less than wall time with the machine's load."""
    backend = _backend_cpu_ns(conn)
    own = time.thread_time()
    started = time.perf_counter()
    await call(conn)
    wall = (time.perf_counter() - started) * 1000
    spent = (time.thread_time() - own) * 1000
    after = _backend_cpu_ns(conn)
    if backend is not None and after is not None:
        cpu.append(spent + (after - backend) / 1e6)
    return wall


async def _vectors(url: str) -> QueryVectors | None:
    """The local query model when the parts have its vectors (the demo server's do)."""
    embedder = OnnxEmbedder.default()
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cur = await conn.execute(
            "SELECT EXISTS (SELECT 1 FROM part_embeddings WHERE model = %s)", (embedder.model,)
        )
        row = await cur.fetchone()
    if not row or not row[0]:
        return None
    vectors = QueryVectors(embedder)
    await vectors.vector("brake pads")  # the model loaded and this query's vector cached
    return vectors


async def measure(url: str, rounds: int) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as setup:
        words = await load_search_words(setup)
        part, vehicle = await _target(setup)
    vectors = await _vectors(url)
    print("words searched " + ("with vectors" if vectors else "as text (no part vectors)"))
    calls = browse_calls(words, part, vehicle, vectors)
    model = vectors.model if vectors is not None else None
    dimension = vectors.embedder.dimension if vectors is not None else None
    wall: dict[str, dict[str, list[float]]] = {v: {k: [] for k in calls} for v in VARIANTS}
    cpu: dict[str, dict[str, list[float]]] = {v: {k: [] for k in calls} for v in VARIANTS}
    warm_ms: list[float] = []
    for _ in range(rounds):
        for name, call in calls.items():
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                new, used = VARIANTS[0], VARIANTS[2]
                wall[new][name].append(await _timed(call, conn, cpu[new][name]))
                wall[used][name].append(await _timed(call, conn, cpu[used][name]))
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                started = time.perf_counter()
                await warm_connection(conn, model=model, dimension=dimension)
                warm_ms.append((time.perf_counter() - started) * 1000)
                warmed = VARIANTS[1]
                wall[warmed][name].append(await _timed(call, conn, cpu[warmed][name]))
    print(f"part {part}, vehicle {vehicle}; {rounds} rounds")
    for title, table in (("wall ms p50 / p95 / max", wall), ("CPU ms p50 / p95 / max", cpu)):
        print(f"{title:32}" + "".join(f"{v:>24}" for v in VARIANTS))
        for name in calls:
            print(f"{name:32}" + "".join(f"{_cell(table[v][name]):>24}" for v in VARIANTS))
    print(
        f"warm-up per new connection: {_cell(warm_ms)} (when the pool opens it, not in a request)"
    )
    await _ladder(url, words, vehicle, vectors)


async def _ladder(url: str, words: SearchWords, vehicle: int, vectors: QueryVectors | None) -> None:
    """The worded search's steps, each timed on a used connection (after 3 runs)."""
    intent = understand("brake pads", words.words, words.vocabulary)
    vector = await vectors.vector("brake pads") if vectors is not None else None
    model = vectors.model if vectors is not None else None
    steps = plan(SearchQuery("brake pads", vehicle_id=vehicle), intent, None, vector, model)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for step in steps:
            times = []
            for i in range(8):
                started = time.perf_counter()
                page = await search_page(conn, step.query)
                if i >= 3:
                    times.append((time.perf_counter() - started) * 1000)
            total = page[: page.index(",")]
            how = "generic plan" if generic_plan(step.query) else "custom plans"
            print(
                f"  ladder step relaxing {step.relaxed or 'nothing'} ({how}):"
                f" {_cell(times)} ({total}}})"
            )


async def _model() -> None:
    embedder = OnnxEmbedder.default()
    started = time.perf_counter()
    await asyncio.to_thread(embedder.embed, ["brake pads"])
    first = (time.perf_counter() - started) * 1000
    later = []
    for text in ("oil filter", "spark plugs", "wiper blades"):
        started = time.perf_counter()
        await asyncio.to_thread(embedder.embed, [text])
        later.append((time.perf_counter() - started) * 1000)
    print(f"query model: first embedding {first:.0f} ms (the load), later {_cell(later)}")


def _cell(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{percentile(values, 50):.1f} / {percentile(values, 95):.1f} / {max(values):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--parts", type=int, default=600)
    args = parser.parse_args()
    with bench_database("storefront_calls") as (url, work):
        if not asyncio.run(_has_parts(url)):
            started = time.perf_counter()
            asyncio.run(_load(url, work, args.parts))
            print(
                f"demo store of {args.parts} parts loaded in {time.perf_counter() - started:.0f} s"
            )
        asyncio.run(measure(url, args.rounds))
    asyncio.run(_model())


if __name__ == "__main__":
    main()
