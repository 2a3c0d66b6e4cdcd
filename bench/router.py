"""The LLM router's own cost, against a direct httpx call to the same server (issue 4).

    .venv/bin/python -m bench.router [--calls 2000] [--concurrent 1000]

A loopback fake OpenAI-compatible server runs in its own process (a bare ASGI
app under uvicorn: a fixed chat completion, no model), so the figures are the
router's work and nothing else's:
  - baseline: the same JSON body POSTed with one pooled `httpx.AsyncClient` and
    the answer parsed, one call at a time;
  - the router, one call at a time: selection, health and budget checks, the
    adapter, usage and cost, and the `llm_calls` row queued for the batched
    writer (an embedded PostgreSQL here); again with structured output
    (json_schema, validated into a pydantic model); and with an in-memory log;
  - 1,000 concurrent calls through the router: errors, fallbacks, rows written,
    and sockets left open after `aclose()` (leaked connections).
Figures: p50/p99 per call and the router's added time at p50 (target < 1 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

from automechanica.db import migrate
from automechanica.db.connection import open_pool
from automechanica.llm import (
    Catalog,
    HealthBoard,
    LLMRequest,
    LLMResponse,
    MemoryCallLog,
    PgCallLog,
    Router,
)
from automechanica.llm.call_log import CallLog
from automechanica.llm.providers import OfflineProvider, OpenAICompatProvider, ProviderRequest
from bench._setup import bench_database, free_port, percentile

ROOT = Path(__file__).resolve().parent.parent
ANSWER = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1764000000,
        "model": "bench-model",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": '{"brand": "Bosch", "mpn": "3397007620"}',
                    "refusal": None,
                },
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 42, "completion_tokens": 12, "total_tokens": 54},
    }
).encode()


async def fake_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A bare ASGI OpenAI-compatible endpoint: drain the body, answer ANSWER."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": ANSWER})


class PartNumber(BaseModel):
    brand: str
    mpn: str


def start_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "bench.router:fake_app", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "warning", "--no-access-log",
            "--lifespan", "off", "--ws", "none", "--backlog", "4096",
        ],
        cwd=ROOT,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("the fake server did not start")


def catalog() -> Catalog:
    return Catalog.from_dict(
        {
            "version": 1,
            "providers": {"bench": {"kind": "openai_compat"}, "offline": {"kind": "offline"}},
            "models": {
                "bench-model": {
                    "provider": "bench",
                    "tier": "medium",
                    "context_window": 128000,
                    "capabilities": ["json_schema", "tools"],
                    "price": {"input": 0.40, "output": 1.60, "as_of": "2026-10-01"},
                },
                "offline": {
                    "provider": "offline",
                    "tier": "low",
                    "context_window": 10**9,
                    "capabilities": ["json_schema", "tools"],
                    "price": {"input": 0, "output": 0, "as_of": "2026-10-01"},
                },
            },
        }
    )


def make_router(url: str, call_log: CallLog, connections: int) -> Router:
    providers = {
        "bench": OpenAICompatProvider(
            "bench", url, api_key="sk-bench", timeout=60, max_connections=connections
        ),
        "offline": OfflineProvider(),
    }
    return Router(catalog(), providers, call_log=call_log, health=HealthBoard())


def open_sockets() -> int:
    """This process's open TCP sockets (file descriptors that are sockets)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            continue
    return count


async def timed(call: Callable[[], Awaitable[Any]], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        began = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def line(name: str, samples: list[float], base: list[float] | None = None) -> str:
    p50, p99 = percentile(samples, 50), percentile(samples, 99)
    text = f"{name:<44} p50 {p50:7.3f} ms   p99 {p99:7.3f} ms"
    if base is not None:
        b50, b99 = percentile(base, 50), percentile(base, 99)
        text += f"   added p50 {p50 - b50:+.3f} ms, p99 {p99 - b99:+.3f} ms, ratio {p50 / b50:.2f}x"
    return text


async def run(url: str, db_url: str, calls: int, concurrent: int) -> None:
    request = LLMRequest.ask("Normalize: BOSCH 3 397 007 620", task_kind="bench", agent="bench")
    structured = LLMRequest.ask(
        "Normalize: BOSCH 3 397 007 620", task_kind="bench", agent="bench", output=PartNumber
    )
    pool = await open_pool(db_url, min_size=1, max_size=4)
    logged = make_router(url, PgCallLog(pool), connections=100)
    unlogged = make_router(url, MemoryCallLog(), connections=100)
    adapter = logged.providers["bench"]
    assert isinstance(adapter, OpenAICompatProvider)
    body = adapter.body(  # exactly what the router sends for `request`
        ProviderRequest(
            model=logged.catalog["bench-model"],
            messages=request.messages,
            schema=None,
            schema_name="output",
            tools=(),
            max_tokens=request.max_tokens,
            temperature=None,
            source=request,
        )
    )
    direct = httpx.AsyncClient(
        base_url=url, headers={"authorization": "Bearer sk-bench"},
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=100), timeout=60,
    )  # fmt: skip

    async def baseline() -> None:
        response = await direct.post("/chat/completions", json=body)
        json.loads(response.content)

    await timed(baseline, 200)  # warm: connections open, code paths taken once
    await timed(lambda: logged.complete(request), 200)
    await timed(lambda: logged.complete(structured), 200)
    await timed(lambda: unlogged.complete(request), 200)
    samples: dict[str, list[float]] = {"direct": [], "log": [], "structured": [], "memory": []}
    rounds = 5
    for _ in range(rounds):  # interleaved, so drift hits everyone alike
        samples["direct"] += await timed(baseline, calls // rounds)
        samples["log"] += await timed(lambda: logged.complete(request), calls // rounds)
        samples["structured"] += await timed(lambda: logged.complete(structured), calls // rounds)
        samples["memory"] += await timed(lambda: unlogged.complete(request), calls // rounds)
    print(f"sequential calls, {calls} each (interleaved in {rounds} rounds):")
    print(line("direct httpx POST + JSON parse (baseline)", samples["direct"]))
    print(line("router, llm_calls to PostgreSQL", samples["log"], samples["direct"]))
    print(line("router, structured output (json_schema)", samples["structured"], samples["direct"]))
    print(line("router, in-memory call log", samples["memory"], samples["direct"]))
    await unlogged.aclose()
    await logged.aclose()

    await direct.aclose()
    await burst(url, db_url, pool, body, request, concurrent)
    await pool.close()


async def burst(
    url: str,
    db_url: str,
    pool: AsyncConnectionPool[Any],
    body: dict[str, Any],
    request: LLMRequest,
    concurrent: int,
    rounds: int = 3,
) -> None:
    """`concurrent` calls at once, direct and through the router, alternating `rounds`
    times (bursts on a shared machine are noisy: the medians are printed)."""
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        await conn.execute("TRUNCATE llm_calls")
    sockets_before = open_sockets()
    direct = httpx.AsyncClient(
        base_url=url, headers={"authorization": "Bearer sk-bench"},
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=100), timeout=60,
    )  # fmt: skip
    router = make_router(url, PgCallLog(pool), connections=100)
    # the baseline is gated like the adapters (one request per connection in flight):
    # httpcore's own queue times out on a burst of 1,000
    gate = asyncio.Semaphore(100)

    async def gated() -> None:
        async with gate:
            response = await direct.post("/chat/completions", json=body)
            json.loads(response.content)

    times: dict[str, list[float]] = {"direct": [], "router": []}
    errors: dict[str, list[BaseException]] = {"direct": [], "router": []}
    fallbacks = 0
    for _ in range(rounds):
        for name in ("direct", "router"):
            calls = [
                gated() if name == "direct" else router.complete(request) for _ in range(concurrent)
            ]
            began = time.perf_counter()
            results = await asyncio.gather(*calls, return_exceptions=True)
            times[name].append(time.perf_counter() - began)
            errors[name] += [r for r in results if isinstance(r, BaseException)]
            fallbacks += sum(
                1 for r in results if isinstance(r, LLMResponse) and r.model != "bench-model"
            )
    adapter = router.providers["bench"]
    assert isinstance(adapter, OpenAICompatProvider)
    pooled = len(adapter.client._transport._pool.connections)  # type: ignore[attr-defined]
    await router.aclose()
    await direct.aclose()
    sockets_after = open_sockets()
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        cur = await conn.execute("SELECT count(*), coalesce(sum(cost_usd), 0) FROM llm_calls")
        rows, cost = await cur.fetchone() or (0, Decimal(0))
    direct_s, router_s = statistics.median(times["direct"]), statistics.median(times["router"])
    print(f"\n{concurrent} concurrent calls, 100 connections, median of {rounds} bursts each:")
    spread = {k: ", ".join(f"{t:.2f}" for t in v) for k, v in times.items()}
    print(f"  direct httpx: {direct_s:.2f} s ({concurrent / direct_s:,.0f} calls/s), "
          f"errors {len(errors['direct'])}; bursts {spread['direct']} s")  # fmt: skip
    print(f"  router:       {router_s:.2f} s ({concurrent / router_s:,.0f} calls/s, "
          f"{router_s / direct_s:.2f}x the baseline's time), errors {len(errors['router'])}, "
          f"fallbacks {fallbacks}; bursts {spread['router']} s")  # fmt: skip
    print(f"  llm_calls rows written {rows} of {concurrent * rounds} (cost ${cost})")
    leaked = max(sockets_after - sockets_before, 0)
    print(f"  router connections pooled at the end {pooled}; open sockets before {sockets_before}, "
          f"after both clients closed {sockets_after} (leaked {leaked})")  # fmt: skip
    for error in (errors["direct"] + errors["router"])[:3]:
        print(f"  error: {error!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrent", type=int, default=1000)
    args = parser.parse_args()
    port = free_port()
    server = start_server(port)
    try:
        with bench_database("router") as (db_url, _work):
            migrate.migrate(db_url)
            asyncio.run(run(f"http://127.0.0.1:{port}/v1", db_url, args.calls, args.concurrent))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
