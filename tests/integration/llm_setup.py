"""The router the integration tests drive: a small catalog whose providers are the
loopback fake servers, a call log in the test's own database, fast retries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from automechanica.db.connection import open_pool
from automechanica.llm import (
    Budget,
    Catalog,
    HealthBoard,
    PgCallLog,
    RetryOptions,
    Router,
)
from automechanica.llm.providers import (
    AnthropicProvider,
    OfflineProvider,
    OllamaProvider,
    OpenAICompatProvider,
    Provider,
)
from tests.integration.llm_servers import FakeServer, Flavor

AS_OF = "2026-10-01"


def catalog_data() -> dict[str, Any]:
    """oa-mini (medium, small window) < claude-haiku (medium) < oa-big (high, big window)."""
    return {
        "version": 1,
        "revision": "test",
        "providers": {
            "openai": {"kind": "openai_compat"},
            "anthropic": {"kind": "anthropic"},
            "ollama": {"kind": "ollama"},
            "offline": {"kind": "offline"},
        },
        "models": {
            "oa-mini": {
                "provider": "openai",
                "model": "gpt-4.1-mini",
                "tier": "medium",
                "context_window": 8000,
                "max_output_tokens": 4096,
                "capabilities": ["json_schema", "tools"],
                "price": {"input": 0.40, "output": 1.60, "cached": 0.10, "as_of": AS_OF},
            },
            "claude-haiku": {
                "provider": "anthropic",
                "model": "claude-haiku-4-5",
                "tier": "medium",
                "context_window": 8000,
                "max_output_tokens": 4096,
                "capabilities": ["json_schema", "tools"],
                "price": {"input": 1.00, "output": 5.00, "cached": 0.10, "as_of": AS_OF},
            },
            "oa-big": {
                "provider": "openai",
                "model": "gpt-4.1",
                "tier": "high",
                "context_window": 128000,
                "max_output_tokens": 4096,
                "capabilities": ["json_schema", "tools"],
                "price": {"input": 2.00, "output": 8.00, "cached": 0.50, "as_of": AS_OF},
            },
            "local": {
                "provider": "ollama",
                "model": "llama3.2:3b",
                "tier": "low",
                "context_window": 8000,
                "capabilities": ["json_schema"],
                "price": {"input": 0.0, "output": 0.0, "as_of": AS_OF},
            },
            "offline": {
                "provider": "offline",
                "tier": "low",
                "context_window": 1_000_000_000,
                "capabilities": ["json_schema", "tools"],
                "price": {"input": 0.0, "output": 0.0, "as_of": AS_OF},
            },
        },
    }


def router_catalog(drop: tuple[str, ...] = (), **models: dict[str, Any]) -> Catalog:
    """The test catalog, less the models in `drop`, plus or over `models`."""
    data = catalog_data()
    for name in drop:
        del data["models"][name]
    for name, fields in models.items():
        data["models"][name] = {**data["models"].get(name, {}), **fields}
    return Catalog.from_dict(data)


def fake_providers(
    fakes: Mapping[Flavor, FakeServer], *, timeout: float = 5.0, **urls: str
) -> dict[str, Provider]:
    """Providers pointed at the fake servers (or at `urls` by provider name)."""
    return {
        "openai": OpenAICompatProvider(
            "openai", urls.get("openai", fakes["openai"].url), api_key="sk-test", timeout=timeout
        ),
        "anthropic": AnthropicProvider(
            "anthropic",
            urls.get("anthropic", fakes["anthropic"].url),
            api_key="sk-ant-test",
            timeout=timeout,
        ),
        "ollama": OllamaProvider(
            "ollama", urls.get("ollama", fakes["ollama"].url), timeout=timeout
        ),
        "offline": OfflineProvider(),
    }


def make_router(
    fakes: Mapping[Flavor, FakeServer],
    pool: AsyncConnectionPool[Any],
    *,
    catalog: Catalog | None = None,
    providers: dict[str, Provider] | None = None,
    health: HealthBoard | None = None,
    daily_usd: Decimal | None = None,
    workflow_usd: Decimal | None = None,
    timeout: float = 5.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    budget: Budget | None = None,
) -> Router:
    call_log = PgCallLog(pool, interval=0.05)
    return Router(
        catalog or router_catalog(),
        providers or fake_providers(fakes, timeout=timeout),
        call_log=call_log,
        health=health or HealthBoard(failure_threshold=3, cooldown_seconds=30),
        budget=budget
        or Budget(daily_usd=daily_usd, workflow_usd=workflow_usd, pool=pool, call_log=call_log),
        retry=RetryOptions(base_delay=0.01, max_delay=0.05, max_wait=1.0),
        sleep=sleep,
    )


@pytest.fixture
async def llm_pool(db_url: str) -> AsyncIterator[AsyncConnectionPool[Any]]:
    pool = await open_pool(db_url, min_size=1, max_size=4)
    yield pool
    await pool.close()


async def call_rows(db_url: str) -> list[dict[str, Any]]:
    """Every llm_calls row, in order."""
    async with await psycopg.AsyncConnection.connect(db_url, row_factory=dict_row) as conn:
        cur = await conn.execute("SELECT * FROM llm_calls ORDER BY id")
        return await cur.fetchall()


def brief(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(model_used, attempt, outcome, error_kind) per row: the shape of a walk."""
    return [(r["model_used"], r["attempt"], r["outcome"], r["error_kind"]) for r in rows]
