"""Budgets and prices against the real call log: caps move the chain to cheaper tiers
and then offline (saying why), spend comes from llm_calls, unpriced is NULL; spend that
cannot be read refuses paid models (fail closed), and concurrent calls reserve their
worst case so that together they cannot cross a cap."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from automechanica.llm import Budget, Catalog, LLMRequest
from automechanica.llm.selection import estimate_prompt_tokens
from tests.integration.llm_servers import (
    fake_servers,
    fakes,
    ollama_ok,
    openai_error,
    openai_ok,
)
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


PAID_THEN_OFFLINE = ("local", "claude-haiku", "oa-big")  # the chain: oa-mini, offline


async def test_spend_that_cannot_be_read_refuses_paid_models(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    # The budget's database is down (nothing listens there); the call log is not.
    away: Pool = AsyncConnectionPool("postgresql://127.0.0.1:1/x", open=False, timeout=0.05)
    await away.open(wait=False)
    try:
        budget = Budget(daily_usd=Decimal("100"), pool=away, read_timeout=0.05)
        catalog = router_catalog(drop=PAID_THEN_OFFLINE)
        async with make_router(fakes, llm_pool, catalog=catalog, budget=budget) as router:
            response = await router.complete(LLMRequest.ask("q"))
    finally:
        await away.close()
    assert response.model == "offline"
    assert fakes["openai"].seen == []
    (row,) = await call_rows(db_url)
    assert row["model_used"] == "offline"
    assert "oa-mini skipped: daily budget: spend could not be read" in row["fallback_reason"]


async def test_paid_models_come_back_once_spend_can_be_read_again(
    fakes: Any, db_url: str, llm_pool: Pool
) -> None:
    # One connection for the budget: while a test holds it, spend cannot be read.
    one: Pool = AsyncConnectionPool(db_url, min_size=1, max_size=1, open=False)
    await one.open(wait=True)
    now = [0.0]
    budget = Budget(
        daily_usd=Decimal("1"), pool=one, read_timeout=0.05, retry_seconds=5, clock=lambda: now[0]
    )
    catalog = router_catalog(drop=PAID_THEN_OFFLINE)
    try:
        async with make_router(fakes, llm_pool, catalog=catalog, budget=budget) as router:
            async with one.connection():
                refused = await router.complete(LLMRequest.ask("q"))
            still = await router.complete(LLMRequest.ask("q"))  # not retried before 5 s
            now[0] += 5
            paid = await router.complete(LLMRequest.ask("q"))
    finally:
        await one.close()
    assert (refused.model, still.model, paid.model) == ("offline", "offline", "oa-mini")
    assert "spend could not be read (PoolTimeout" in (refused.fallback_reason or "")
    assert len(fakes["openai"].seen) == 1


async def test_concurrent_calls_together_cannot_cross_the_cap(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    request = LLMRequest.ask("Which pads fit?", max_tokens=1000)
    prompt = estimate_prompt_tokens(request, request.output_schema())
    catalog = router_catalog(drop=PAID_THEN_OFFLINE)
    # Each answer costs exactly its worst case: settling frees nothing, whatever the order.
    fakes["openai"].script(*[openai_ok("paid", prompt_tokens=prompt, completion_tokens=1000)] * 8)
    async with make_router(fakes, llm_pool, catalog=catalog) as probe:
        worst = probe.chain(request)[0].worst_cost
    assert worst is not None and worst > 0
    cap = worst * 3 + worst / 2  # room for three, not four
    async with make_router(fakes, llm_pool, catalog=catalog, daily_usd=cap) as router:
        answers = await asyncio.gather(*(router.complete(request) for _ in range(8)))
    assert sorted(a.model for a in answers) == ["oa-mini"] * 3 + ["offline"] * 5
    assert len(fakes["openai"].seen) == 3
    rows = await call_rows(db_url)
    assert sum(r["cost_usd"] for r in rows) == worst * 3 <= cap
    assert all(
        "daily budget" in (r["fallback_reason"] or "") for r in rows if r["model_used"] == "offline"
    )


async def test_a_failed_call_releases_its_reservation(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    request = LLMRequest.ask("q", max_tokens=1000)
    catalog = router_catalog(drop=PAID_THEN_OFFLINE)
    async with make_router(fakes, llm_pool, catalog=catalog) as probe:
        worst = probe.chain(request)[0].worst_cost
    assert worst is not None
    fakes["openai"].script(openai_error(400, "this model will not take it"), openai_ok("second"))
    async with make_router(fakes, llm_pool, catalog=catalog, daily_usd=worst * 3 / 2) as router:
        failed = await router.complete(request)
        held = router.budget.reserved_today()
        second = await router.complete(request)  # room for one worst case again
    assert (failed.model, held, second.model) == ("offline", 0, "oa-mini")
    rows = await call_rows(db_url)
    assert brief(rows) == [
        ("oa-mini", 1, "fallback", "bad_request"),
        ("offline", 2, "ok", None),
        ("oa-mini", 1, "ok", None),
    ]
