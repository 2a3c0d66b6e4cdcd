"""What the MCP door costs over the REST API it wraps, and the product feed's speed.

    .venv/bin/python -m bench.mcp [--parts 2000] [--calls 200] [--rounds 2]
        [--vins-per-type 60]

Builds the demo store (`--parts` canonical parts from the demo feeds, priced at cost
plus 35% as the pricing agent would), serves `create_app` in a uvicorn process on
loopback, and then, in rounds that alternate so drift cancels, one client calling
one request after another (`--calls` each):
  - baseline: GET /api/parts?vehicle_id=V&per_page=10 (httpx), against MCP
    search_catalog(vehicle_id=V, per_page=10) twice: the JSON-RPC request the SDK's
    Client sends, posted as is with httpx (what the server costs), and the call
    through the SDK's Client (Streamable HTTP, the 2026-07-28 protocol; with the
    server's cache hint it lists the tools once, then one request per call: what an
    agent in Python waits);
  - baseline: POST /api/fit-check, against MCP check_fit, the same two ways.
p50/p99 of each, in ms. Then the product feed: GET /api/feeds/products.jsonl whole
(products/s), and the export in-process (feed_items, products/s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import httpx2
import psycopg
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from psycopg.rows import dict_row

from automechanica.catalog.demo import DEMO_FEEDS
from automechanica.catalog.feeds.generator import generate_demo_feeds
from automechanica.catalog.feeds.importer import import_feed
from automechanica.catalog.product_feed import FeedCounts, FeedOptions, feed_items
from bench._setup import bench_database, percentile, prepare_catalog, serve_bench_module

SECRET = "bench-mcp-" + "k" * 64
PRICE = """
UPDATE parts p SET price = round(o.cost * 1.35, 2)
FROM (SELECT part_id, min(cost) AS cost FROM supplier_parts GROUP BY part_id) o
WHERE o.part_id = p.id
"""
BUSIEST_VEHICLE = """
SELECT v.id FROM vehicles v JOIN fitments f ON f.base_vehicle_id = v.base_vehicle_id
GROUP BY v.id ORDER BY count(*) DESC, v.id LIMIT 1
"""


def load_store(url: str, work: Path, parts: int, vins_per_type: int) -> None:
    configs = prepare_catalog(url, vins_per_type=vins_per_type)
    generate_demo_feeds(work, configs, seed=2026, parts=parts)

    async def load() -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            for supplier, name in DEMO_FEEDS:
                await import_feed(conn, work / name, supplier=supplier)
            await conn.execute(PRICE)

    asyncio.run(load())


def _serve(port: int) -> None:
    """Child process: the app on `port` (pool 2..10, as `automechanica up` runs it)."""
    import uvicorn

    from automechanica.api.app import create_app

    app = create_app(os.environ["AUTOMECHANICA_DATABASE_URL"], secret_key=SECRET)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    return serve_bench_module("bench.mcp", url)


async def timed(call: Callable[[], Awaitable[Any]], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        await call()
        out.append((time.perf_counter() - start) * 1000)
    return out


async def recorded_call(base: str, tool: str, arguments: dict[str, Any]) -> RawCall:
    """The headers and body the SDK's Client sends for one tool call."""
    seen: list[httpx2.Request] = []

    async def hook(request: httpx2.Request) -> None:
        seen.append(request)

    async with (
        httpx2.AsyncClient(event_hooks={"request": [hook]}) as http,
        Client(streamable_http_client(f"{base}/mcp", http_client=http)) as agent,
    ):
        await agent.call_tool(tool, arguments)
    request = next(r for r in seen if r.headers.get("mcp-method") == "tools/call")
    skip = {"content-length", "host"}
    return {k: v for k, v in request.headers.items() if k.lower() not in skip}, request.content


RawCall = tuple[dict[str, str], bytes]


async def compare(base: str, vehicle: int, part: int, calls: int, rounds: int) -> None:
    results: dict[str, list[float]] = {}
    search_args = {"vehicle_id": vehicle, "per_page": 10}
    fit_args = {"part_id": part, "vehicle_id": vehicle}
    raw_search = await recorded_call(base, "search_catalog", search_args)
    raw_fit = await recorded_call(base, "check_fit", fit_args)
    async with httpx.AsyncClient(base_url=base) as rest, Client(f"{base}/mcp") as agent:

        def rest_call(method: str, path: str, **kw: Any) -> Callable[[], Awaitable[None]]:
            async def call() -> None:
                r = await rest.request(method, path, **kw)
                assert r.status_code == 200, r.text

            return call

        def raw_call(raw: RawCall) -> Callable[[], Awaitable[None]]:
            async def call() -> None:
                r = await rest.post("/mcp", content=raw[1], headers=raw[0])
                assert r.status_code == 200 and '"isError":true' not in r.text, r.text

            return call

        def sdk_call(tool: str, arguments: dict[str, Any]) -> Callable[[], Awaitable[None]]:
            async def call() -> None:
                r = await agent.call_tool(tool, arguments)
                assert not r.is_error, r.content

            return call

        runs = {
            "baseline: GET /api/parts?vehicle_id (REST)": rest_call(
                "GET", "/api/parts", params=search_args
            ),
            "search_catalog, JSON-RPC posted (httpx)": raw_call(raw_search),
            "search_catalog through the SDK Client": sdk_call("search_catalog", search_args),
            "baseline: POST /api/fit-check (REST)": rest_call(
                "POST", "/api/fit-check", json=fit_args
            ),
            "check_fit, JSON-RPC posted (httpx)": raw_call(raw_fit),
            "check_fit through the SDK Client": sdk_call("check_fit", fit_args),
        }
        for call in runs.values():  # warm up
            await timed(call, 20)
        for r in range(rounds):
            order = list(runs.items()) if r % 2 == 0 else list(runs.items())[::-1]
            for label, call in order:
                results.setdefault(label, []).extend(await timed(call, calls))
    print(f"\n{'one client, one call after another':44}{'p50 ms':>9}{'p99':>9}")
    for label, values in results.items():
        print(f"{label:44}{percentile(values, 50):9.2f}{percentile(values, 99):9.2f}")


def feed_figures(url: str, base: str) -> None:
    start = time.perf_counter()
    with httpx.stream("GET", f"{base}/api/feeds/products.jsonl", timeout=300) as r:
        lines = sum(1 for line in r.iter_lines() if line)
    http_s = time.perf_counter() - start

    async def export() -> FeedCounts:
        counts = FeedCounts()
        async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row) as conn:
            options = FeedOptions(base_url=base, min_fitment_confidence=0.8)
            async for _ in feed_items(conn, options, counts):
                pass
        return counts

    start = time.perf_counter()
    counts = asyncio.run(export())
    local_s = time.perf_counter() - start
    print(
        f"\nGET /api/feeds/products.jsonl: {lines} products in {http_s:.2f} s "
        f"({lines / http_s:,.0f}/s)\n"
        f"feed_items in-process: {counts.written} products, {counts.vehicle_ranges} vehicle "
        f"ranges in {local_s:.2f} s ({counts.written / local_s:,.0f}/s); "
        f"{counts.unpriced} unpriced left out"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--vins-per-type", type=int, default=60)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.port)
        return
    with bench_database("mcp") as (url, work):
        load_store(url, work, args.parts, args.vins_per_type)
        with psycopg.connect(url) as conn:
            (vehicle,) = conn.execute(BUSIEST_VEHICLE).fetchone() or (None,)
            (part,) = conn.execute(
                "SELECT f.part_id FROM fitments f JOIN vehicles v"
                " ON v.base_vehicle_id = f.base_vehicle_id WHERE v.id = %s LIMIT 1",
                (vehicle,),
            ).fetchone() or (None,)
        proc, base = serve(url)
        try:
            print(
                f"{args.parts} parts, vehicle {vehicle}, part {part}; {args.calls} calls per "
                f"run, {args.rounds} rounds, one uvicorn worker"
            )
            asyncio.run(compare(base, vehicle, part, args.calls, args.rounds))
            feed_figures(url, base)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
