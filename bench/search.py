"""Shopper search through the API, the vehicle read from the words (issue 12).

    .venv/bin/python -m bench.search [--rate 200] [--seconds 10] [--rounds 2] [--vectors]

Builds the demo store (5,200 parts, the demo's vehicles), serves `create_app` in a
uvicorn process on loopback, warmed as `automechanica up` warms it (the search rate
limit too high to trigger), and sends GET /api/parts?q=... open loop at --rate
requests/s: queries that name a part type and a vehicle ("2014 honda civic brake
pads", "f-150 2015 coil pack"), as the labeled set's vehicle rows write them. Each
request's latency is measured from its scheduled start (p50/p99). Alternating with
it (so drift cancels), the baseline request: the same part type and vehicle given as
parameters (?part_type=T&vehicle_id=V, the storefront's browse: no words read, no
vehicle looked up).

Beside it, in the same run: the bare search statement — the one SQL statement the
endpoint's first search sends for each of those queries (the part types meant, the
vehicle's configurations), timed in-process on one connection; the vehicle look-up
statement; and `understand` (reading the words) alone, in µs.

Each open-loop round runs beside the stall probe (bench/_stalls.py): p50/p99 are
printed over all requests and over those clear of the machine's stalls.

Then each request kind closed loop (8 clients, --rounds rounds alternating) for the
rate the server sustains on the machine as it is at that moment (when it is near
--rate, the open-loop tail is queueing, not the search), with the CPU each request
cost the API process and the embedded PostgreSQL's processes, read from /proc as
bench/api_security.py does: steadier than rates or latencies on a shared machine.

With --vectors the server embeds each query (all-MiniLM-L6-v2; repeated queries hit
its cache) and the parts are embedded first (minutes).
Target: p99 under 30 ms at 200 requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from automechanica.api.app import create_app
from automechanica.api.policy import ApiPolicy
from automechanica.catalog.demo import load_demo_store
from automechanica.catalog.search import SearchQuery, search_page
from automechanica.catalog.search_intent import understand
from automechanica.catalog.search_vehicle import resolve_vehicle
from automechanica.catalog.search_words import load_search_words
from automechanica.catalog.shopper_search import plan
from automechanica.db import migrate
from bench._setup import bench_database, percentile, serve_bench_module
from bench._stalls import StallProbe
from bench.api_security import (
    Closed,
    CpuMeter,
    Server,
    _Client,
    _statuses,
    closed_loop,
    get,
    measure_closed,
    open_loop,
)
from bench.fitment_query import Timed

ROOT = Path(__file__).resolve().parents[1]


def shopper_queries() -> list[str]:
    """The labeled set's queries that name a vehicle (dev and holdout)."""
    out = []
    for path in sorted((ROOT / "evals" / "search").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            out += [r["query"] for r in csv.DictReader(f) if (r.get("make") or "").strip()]
    return out


def _serve(port: int, vectors: bool) -> None:
    """Child process: the app on `port`, as `automechanica up` runs uvicorn."""
    import uvicorn

    embedder = None
    if vectors:
        from automechanica.memory import OnnxEmbedder

        embedder = OnnxEmbedder.default()
    policy = ApiPolicy(search_per_minute=1e9, search_burst=10**9)  # never triggers
    app = create_app(
        os.environ["AUTOMECHANICA_DATABASE_URL"], policy=policy, embedder=embedder, warm=True
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def serve(url: str, vectors: bool) -> tuple[subprocess.Popen[bytes], str]:
    return serve_bench_module("bench.search", url, *(["--vectors"] if vectors else []))


async def load(url: str, work: Path, vectors: bool) -> None:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        await load_demo_store(conn, work / "feeds", say=lambda _: None)
        await conn.commit()
        await conn.set_autocommit(True)
        await conn.execute("VACUUM ANALYZE")
    if vectors:
        from psycopg_pool import AsyncConnectionPool

        from automechanica.memory import EmbeddingWorker, OnnxEmbedder, PgVectorStore

        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(url, max_size=2, open=False)
        async with pool:
            started = time.perf_counter()
            await EmbeddingWorker(pool, OnnxEmbedder.default(), PgVectorStore(pool)).drain()
            print(f"part vectors built in {time.perf_counter() - started:.0f} s")


async def browse_targets(url: str, queries: list[str]) -> list[str]:
    """The same part type and vehicle without words: /api/parts?part_type=T&vehicle_id=V,
    the storefront's browse (no reading, no vehicle look-up): the baseline request."""
    targets = []
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        words = await load_search_words(conn)
        for q in queries:
            intent = understand(q, words.words, words.vocabulary)
            assert intent.vehicle is not None and intent.slugs, q
            resolved = await resolve_vehicle(conn, intent.vehicle, intent.slugs)
            assert resolved is not None, q
            vehicle = resolved.vehicle_ids[0]
            targets.append(
                f"/api/parts?part_type={intent.slugs[0]}&vehicle_id={vehicle}&per_page=24"
            )
    return targets


async def bare(url: str, queries: list[str], rounds: int) -> dict[str, list[float]]:
    """ms per call in-process: the first search statement, the vehicle look-up, and
    `understand` (reading the words)."""
    times: dict[str, list[float]] = {"statement": [], "vehicle": [], "understand": []}
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        words = await load_search_words(conn)
        statements: list[SearchQuery] = []
        for q in queries:
            intent = understand(q, words.words, words.vocabulary)
            assert intent.vehicle is not None, q
            resolved = await resolve_vehicle(conn, intent.vehicle, intent.slugs)
            statements.append(plan(SearchQuery(per_page=24), intent, resolved)[0].query)
        for _ in range(rounds):
            for q, query in zip(queries, statements, strict=True):
                started = time.perf_counter()
                understand(q, words.words, words.vocabulary)
                times["understand"].append((time.perf_counter() - started) * 1000)
                intent = understand(q, words.words, words.vocabulary)
                assert intent.vehicle is not None
                started = time.perf_counter()
                await resolve_vehicle(conn, intent.vehicle, intent.slugs)
                times["vehicle"].append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                await search_page(conn, query)
                times["statement"].append((time.perf_counter() - started) * 1000)
    return times


def _line(name: str, values: list[float], unit: str = "ms", scale: float = 1.0) -> str:
    p50, p99 = percentile(values, 50) * scale, percentile(values, 99) * scale
    return f"  {name:<44} p50 {p50:8.3f} {unit}  p99 {p99:8.3f} {unit}  (n={len(values):,})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--vectors", action="store_true")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.port, args.vectors)
        return
    queries = shopper_queries()
    requests = [get(f"/api/parts?q={quote(q)}&per_page=24") for q in queries]
    with bench_database("search") as (url, work):
        migrate.migrate(url)
        started = time.perf_counter()
        asyncio.run(load(url, work, args.vectors))
        print(f"demo store loaded in {time.perf_counter() - started:.0f} s")
        browse = [get(t) for t in asyncio.run(browse_targets(url, queries))]
        proc, base = serve(url, args.vectors)
        try:
            asyncio.run(_warm(base, requests + browse))
            print(
                f"{len(queries)} shopper queries naming a vehicle, {args.rate:.0f} req/s open loop"
            )
            runs = {"q=… (words read)": requests, "part_type=&vehicle_id= (baseline)": browse}
            measure(Server(base, proc.pid), CpuMeter(work / "pgdata"), runs, args)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        times = asyncio.run(bare(url, queries, args.rounds))
        print("in-process, one connection, sequential (same queries):")
        print(_line("bare search statement (first step)", times["statement"]))
        print(_line("vehicle look-up statement", times["vehicle"]))
        print(_line("understand (reading the words)", times["understand"], "µs", 1000.0))


def measure(
    server: Server, meter: CpuMeter, runs: dict[str, list[bytes]], args: argparse.Namespace
) -> None:
    """Open-loop rounds (each beside a stall probe), then closed-loop rounds with the CPU
    per request; the kinds alternate, the first kind going first in odd rounds."""
    names = list(runs)
    timed: dict[str, Timed] = {n: [] for n in names}
    probes: dict[str, list[StallProbe]] = {n: [] for n in names}
    for r in range(args.rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            with StallProbe() as probe:
                got, statuses = asyncio.run(
                    open_loop(server.base, runs[name], args.rate, args.seconds)
                )
            timed[name] += got
            probes[name].append(probe)
            print(_line(f"API {name} round {r + 1}", [ms for _, ms in got]))
            print(f"    statuses: {dict(Counter(statuses))}; {probe.summary()}")
    print(f"over all rounds, {args.rate:.0f} req/s open loop:")
    for name in names:
        latencies = [ms for _, ms in timed[name]]
        clear = [
            ms
            for at, ms in timed[name]
            if not any(p.overlaps(at, at + ms / 1000) for p in probes[name])
        ]
        print(_line(f"API {name}", latencies))
        print(_line("  ...clear of machine stalls", clear))
    closed = {n: Closed() for n in names}
    for r in range(args.rounds):  # what the server sustains: the machine's share today
        for name in names if r % 2 == 0 else names[::-1]:
            rate, counts, api, pg = measure_closed(server, runs[name], 8, args.seconds / 2, meter)
            c = closed[name]
            c.rates.append(rate)
            c.api_cpu, c.pg_cpu = c.api_cpu + api, c.pg_cpu + pg
            c.answers += sum(counts.values())
            if set(counts) != {200}:
                print(f"    {name} closed loop answers: {_statuses(counts)}")
    print("closed loop, 8 clients (CPU from /proc: the API process, PostgreSQL's processes):")
    for name in names:
        print(f"  API {name}: {closed[name].row()}")
    words, browse = (closed[n] for n in names)
    ratio = words.cpu_per_request() / browse.cpu_per_request()
    print(f"  search / browse CPU per request: {ratio:.2f}×")


async def _warm(base: str, requests: list[bytes]) -> None:
    """Each query once (query vectors made), then 2 s closed loop with more clients than
    the pool has connections: the pool opens all of them (each warmed as `up` warms
    it) before any measured round, as on a server that has served a while. Without
    this, the first round met a pool growing under load (p50 of seconds)."""
    from bench.fitment_query import _address

    host, port = _address(base)
    client = _Client(*await asyncio.open_connection(host, port))
    try:
        for request in requests:
            status = await client.send(request)
            assert status == 200, status
    finally:
        client.close()
    _, statuses = await closed_loop(base, requests, 12, 2.0)
    assert set(statuses) == {200}, statuses


if __name__ == "__main__":
    main()
