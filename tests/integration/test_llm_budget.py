"""Budgets and prices against the real call log: caps move the chain to cheaper tiers
and then offline (saying why), spend comes from llm_calls, unpriced is NULL."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from automechanica.llm import Catalog, LLMRequest
from tests.integration.llm_servers import fake_servers, fakes, ollama_ok, openai_ok
from tests.integration.llm_setup import (
    brief,
    call_rows,
    catalog_data,
    llm_pool,
    make_router,
    router_catalog,
)

__all__ = ["fake_servers", "fakes", "llm_pool"]

Pool = AsyncConnectionPool[Any]


async def spent_before(db_url: str, cost: str, workflow_id: UUID | None = None) -> None:
    """A call made earlier today (by another process, say)."""
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO llm_calls (provider, model_requested, model_used, outcome, cost_usd,"
            " workflow_id) VALUES ('openai', 'oa-big', 'oa-big', 'ok', %s, %s)",
            (Decimal(cost), workflow_id),
        )


async def test_past_the_daily_cap_the_chain_moves_to_a_cheaper_tier(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    await spent_before(db_url, "0.9995")
    fakes["ollama"].script(ollama_ok("cheap and local"))
    async with make_router(fakes, llm_pool, daily_usd=Decimal("1.00")) as router:
        response = await router.complete(LLMRequest.ask("Summarize this return note."))
    assert (response.model, response.text) == ("local", "cheap and local")
    rows = await call_rows(db_url)
    assert brief(rows[1:]) == [("local", 1, "ok", None)]
    reason = rows[1]["fallback_reason"]
    assert "oa-mini skipped: daily budget: $0.9995 of $1.00 spent" in reason
    assert "claude-haiku skipped" in reason and "oa-big skipped" in reason
    assert rows[1]["model_requested"] == "oa-mini"


async def test_with_no_cheaper_tier_left_the_cap_means_offline(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    await spent_before(db_url, "1.00")
    catalog = router_catalog(drop=("local",))
    async with make_router(fakes, llm_pool, catalog=catalog, daily_usd=Decimal("1.00")) as router:
        response = await router.complete(LLMRequest.ask("hello"))
    assert response.model == "offline"
    assert fakes["openai"].seen == [] and fakes["anthropic"].seen == []
    assert "daily budget" in (response.fallback_reason or "")


async def test_the_router_counts_its_own_spend_between_reads(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    # each answer costs (1000 × 0.40 + 2000 × 1.60) / 1M = $0.0036; the cap is $0.01
    fakes["openai"].script(*[openai_ok("ok", prompt_tokens=1000, completion_tokens=2000)] * 4)
    catalog = router_catalog(drop=("local",))
    async with make_router(fakes, llm_pool, catalog=catalog, daily_usd=Decimal("0.01")) as router:
        models = [(await router.complete(LLMRequest.ask("q"))).model for _ in range(4)]
    assert models == ["oa-mini", "oa-mini", "oa-mini", "offline"]
    rows = await call_rows(db_url)
    assert sum(r["cost_usd"] for r in rows) == Decimal("0.0108")


async def test_per_workflow_cap(fakes: Any, llm_pool: Pool, db_url: str) -> None:
    spent, fresh = uuid4(), uuid4()
    await spent_before(db_url, "0.05", workflow_id=spent)
    catalog = router_catalog(drop=("local",))
    router = make_router(fakes, llm_pool, catalog=catalog, workflow_usd=Decimal("0.05"))
    async with router:
        capped = await router.complete(LLMRequest.ask("q", workflow_id=spent))
        free = await router.complete(LLMRequest.ask("q", workflow_id=fresh))
        # a request may carry its own workflow cap
        raised = await router.complete(
            LLMRequest.ask("q", workflow_id=spent, workflow_budget_usd=Decimal("1"))
        )
    assert (capped.model, free.model, raised.model) == ("offline", "oa-mini", "oa-mini")
    assert "workflow budget" in (capped.fallback_reason or "")
    rows = await call_rows(db_url)
    assert [r["workflow_id"] for r in rows[1:]] == [spent, fresh, spent]


async def test_max_cost_per_request_leaves_out_models_that_could_cost_more(
    fakes: Any, llm_pool: Pool
) -> None:
    async with make_router(fakes, llm_pool) as router:
        cheap = await router.complete(LLMRequest.ask("q", max_cost_usd=Decimal("0.0000001")))
        enough = await router.complete(LLMRequest.ask("q", max_cost_usd=Decimal("0.01")))
    assert (cheap.model, enough.model) == ("offline", "oa-mini")


async def test_an_unpriced_model_logs_null_cost_and_warns_once(
    fakes: Any, llm_pool: Pool, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    data = catalog_data()
    del data["models"]["oa-mini"]["price"]
    del data["models"]["claude-haiku"], data["models"]["oa-big"]  # priced ones come first
    async with make_router(fakes, llm_pool, catalog=Catalog.from_dict(data)) as router:
        with caplog.at_level(logging.WARNING, logger="automechanica.llm.router"):
            for _ in range(2):
                response = await router.complete(LLMRequest.ask("q"))
    assert (response.model, response.cost_usd) == ("oa-mini", None)
    rows = await call_rows(db_url)
    assert [(r["tokens_in"], r["cost_usd"]) for r in rows] == [(10, None), (10, None)]
    warnings = [r for r in caplog.records if "has no price" in r.getMessage()]
    assert len(warnings) == 1
