"""The router against loopback fake providers: every failure kind's path along the
chain, checked in the answers and in the `llm_calls` rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

import pytest
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

from automechanica.llm import AllModelsFailedError, HealthBoard, LLMRequest
from tests.integration.llm_servers import (
    Reply,
    anthropic_error,
    anthropic_ok,
    closed_port_url,
    fake_servers,
    fakes,
    openai_error,
    openai_ok,
)
from tests.integration.llm_setup import (
    brief,
    call_rows,
    fake_providers,
    llm_pool,
    make_router,
    router_catalog,
)

__all__ = ["fake_servers", "fakes", "llm_pool"]

Pool = AsyncConnectionPool[Any]


class Verdict(BaseModel):
    verdict: Literal["fits", "does_not_fit", "need_more_information"]
    confidence: float


def ask(prompt: str = "Does part 7 fit a 2016 Civic?", **fields: Any) -> LLMRequest:
    fields.setdefault("task_kind", "fitment.judge")
    fields.setdefault("agent", "fitment")
    return LLMRequest.ask(prompt, **fields)


async def test_cheapest_qualifying_model_answers_and_one_row_is_written(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    fakes["openai"].script(
        openai_ok("It fits.", prompt_tokens=1000, completion_tokens=500, cached=200)
    )
    async with make_router(fakes, llm_pool) as router:
        response = await router.complete(ask(task_id=42))
    assert (response.text, response.model, response.provider) == ("It fits.", "oa-mini", "openai")
    expected = (
        Decimal(800) * Decimal("0.40") + 200 * Decimal("0.10") + 500 * Decimal("1.60")
    ) / 10**6
    assert response.cost_usd == expected
    assert fakes["openai"].seen[0].body["model"] == "gpt-4.1-mini"
    assert fakes["openai"].seen[0].headers["authorization"] == "Bearer sk-test"
    [row] = await call_rows(db_url)
    assert brief([row]) == [("oa-mini", 1, "ok", None)]
    assert (row["tokens_in"], row["tokens_out"], row["tokens_cached"]) == (1000, 500, 200)
    assert row["cost_usd"] == expected
    assert (row["model_requested"], row["provider"], row["agent"], row["task_id"]) == (
        "oa-mini",
        "openai",
        "fitment",
        42,
    )
    assert (row["task_kind"], row["complexity"], row["fallback_reason"]) == (
        "fitment.judge",
        "medium",
        None,
    )
    assert len(row["prompt_hash"]) == 32 and row["latency_ms"] > 0


async def test_429_with_retry_after_is_honoured_then_the_same_model_answers(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    fakes["openai"].script(
        openai_error(429, "Rate limit reached", code="rate_limit_exceeded",
                     kind="requests", headers={"retry-after-ms": "60"}),
        openai_ok("after the wait"),
    )  # fmt: skip
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # the wait the router asks for, recorded
        waits.append(seconds)

    async with make_router(fakes, llm_pool, sleep=sleep) as router:
        response = await router.complete(ask())
    assert (response.text, response.model, response.attempts) == ("after the wait", "oa-mini", 2)
    assert waits == [0.06]  # Retry-After honoured, between the two attempts
    rows = await call_rows(db_url)
    assert brief(rows) == [("oa-mini", 1, "retry", "rate_limited"), ("oa-mini", 2, "ok", None)]
    assert (rows[0]["tokens_in"], rows[0]["cost_usd"]) == (0, Decimal(0))  # a 429 bills nothing


async def test_a_retry_after_longer_than_the_cap_cools_the_model_and_falls_back(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    fakes["openai"].script(openai_error(429, "slow down", headers={"retry-after": "120"}))
    fakes["anthropic"].script(anthropic_ok("from claude"), anthropic_ok("claude again"))
    board = HealthBoard(failure_threshold=3, cooldown_seconds=30, clock=lambda: 1000.0)
    async with make_router(fakes, llm_pool, health=board) as router:
        first = await router.complete(ask())
        second = await router.complete(ask())
        health = router.health.view("oa-mini", "openai")
    assert (first.model, second.model) == ("claude-haiku", "claude-haiku")
    assert health.state == "open" and health.seconds_left == 120  # a stopped clock
    assert len(fakes["openai"].seen) == 1
    rows = await call_rows(db_url)
    assert brief(rows) == [
        ("oa-mini", 1, "fallback", "rate_limited"),
        ("claude-haiku", 2, "ok", None),
        ("claude-haiku", 1, "ok", None),
    ]
    assert rows[1]["fallback_reason"] == "oa-mini: rate_limited HTTP 429"
    assert "circuit open for oa-mini" in rows[2]["fallback_reason"]
    assert rows[2]["model_requested"] == "oa-mini"


async def test_a_503_storm_opens_the_circuit_and_the_chain_falls_back(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    fakes["openai"].script(*[openai_error(503, "Service unavailable", kind="server_error")] * 10)
    async with make_router(fakes, llm_pool) as router:
        answers = [await router.complete(ask()) for _ in range(3)]
        state = router.health.view("oa-mini", "openai").state
    assert [a.model for a in answers] == ["claude-haiku"] * 3
    assert state == "open"
    # request 1: two 503s (one retry); request 2: the third 503 opens the circuit; request 3:
    # oa-mini is not even tried.
    assert len(fakes["openai"].seen) == 3
    rows = await call_rows(db_url)
    assert brief(rows) == [
        ("oa-mini", 1, "retry", "overloaded"),
        ("oa-mini", 2, "fallback", "overloaded"),
        ("claude-haiku", 3, "ok", None),
        ("oa-mini", 1, "fallback", "overloaded"),
        ("claude-haiku", 2, "ok", None),
        ("claude-haiku", 1, "ok", None),
    ]
    assert rows[2]["fallback_reason"] == "oa-mini: overloaded HTTP 503 ×2"
    assert rows[5]["fallback_reason"].startswith("oa-mini skipped: circuit open for oa-mini")


async def test_anthropic_529_storm_ends_on_the_offline_provider(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    catalog = router_catalog(drop=("oa-mini", "oa-big"))
    fakes["anthropic"].script(*[anthropic_error(529, "overloaded_error", "Overloaded")] * 2)
    async with make_router(fakes, llm_pool, catalog=catalog) as router:
        response = await router.complete(ask(output=Verdict))
    assert (response.model, response.provider) == ("offline", "offline")
    verdict = response.output_as(Verdict)
    assert verdict.confidence == 0.0  # offline answers always go to a person
    rows = await call_rows(db_url)
    assert brief(rows) == [
        ("claude-haiku", 1, "retry", "overloaded"),
        ("claude-haiku", 2, "fallback", "overloaded"),
        ("offline", 3, "ok", None),
    ]
    assert rows[2]["fallback_reason"] == "claude-haiku: overloaded HTTP 529 ×2"
    assert rows[2]["cost_usd"] == Decimal(0)


async def test_circuit_half_opens_after_the_cooldown_and_a_good_probe_closes_it(
    fakes: Any, llm_pool: Pool
) -> None:
    now = [1000.0]
    health = HealthBoard(failure_threshold=1, cooldown_seconds=30, clock=lambda: now[0])
    fakes["openai"].script(openai_error(500, "boom", kind="server_error"))
    async with make_router(fakes, llm_pool, health=health) as router:
        assert (await router.complete(ask())).model == "claude-haiku"
        now[0] += 31
        assert router.health.view("oa-mini", "openai").state == "half-open"
        assert (await router.complete(ask())).model == "oa-mini"  # the probe
        assert router.health.view("oa-mini", "openai").state == "ok"


async def test_invalid_structured_output_gets_one_repair_then_falls_back(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    fakes["openai"].script(
        openai_ok("Sure! It fits.", prompt_tokens=100, completion_tokens=10),
        openai_ok('{"verdict": "maybe"}', prompt_tokens=150, completion_tokens=8),
    )
    fakes["anthropic"].script(
        anthropic_ok(tool=("Verdict", {"verdict": "fits", "confidence": 0.9}))
    )
    async with make_router(fakes, llm_pool) as router:
        response = await router.complete(ask(output=Verdict))
    assert response.output_as(Verdict) == Verdict(verdict="fits", confidence=0.9)
    assert response.model == "claude-haiku"
    repair = fakes["openai"].seen[1].body["messages"]
    assert repair[-2] == {"role": "assistant", "content": "Sure! It fits."}
    assert "does not match the required JSON schema" in repair[-1]["content"]
    assert fakes["openai"].seen[0].body["response_format"]["type"] == "json_schema"
    rows = await call_rows(db_url)
    assert brief(rows) == [
        ("oa-mini", 1, "retry", "invalid_output"),
        ("oa-mini", 2, "fallback", "invalid_output"),
        ("claude-haiku", 3, "ok", None),
    ]
    # tokens spent on bad output are still counted, and cost money
    assert (rows[0]["tokens_in"], rows[0]["tokens_out"]) == (100, 10)
    assert rows[0]["cost_usd"] == Decimal("0.000056")
    assert rows[2]["fallback_reason"] == "oa-mini: invalid_output ×2"


async def test_a_repair_that_works_stays_on_the_model(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    fakes["openai"].script(
        openai_ok('{"verdict": "fits"}'),
        openai_ok('```json\n{"verdict": "fits", "confidence": 0.8}\n```'),
    )
    async with make_router(fakes, llm_pool) as router:
        response = await router.complete(ask(output=Verdict))
    assert (response.model, response.output_as(Verdict).confidence) == ("oa-mini", 0.8)
    assert brief(await call_rows(db_url)) == [
        ("oa-mini", 1, "retry", "invalid_output"),
        ("oa-mini", 2, "ok", None),
    ]


async def test_a_timeout_is_retried_once_then_falls_back(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    fakes["openai"].script(Reply(delay=0.6, body={}), Reply(delay=0.6, body={}))
    async with make_router(fakes, llm_pool, timeout=0.15) as router:
        response = await router.complete(ask())
    assert response.model == "claude-haiku"
    rows = await call_rows(db_url)
    assert brief(rows) == [
        ("oa-mini", 1, "retry", "timeout"),
        ("oa-mini", 2, "fallback", "timeout"),
        ("claude-haiku", 3, "ok", None),
    ]
    assert rows[0]["tokens_in"] is None and rows[0]["cost_usd"] is None  # unknown, not 0
    assert rows[0]["latency_ms"] is not None  # recorded; how long is bench's business


async def test_connection_refused_takes_the_model_out_at_once(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    providers = fake_providers(fakes, openai=closed_port_url())
    async with make_router(fakes, llm_pool, providers=providers) as router:
        first = await router.complete(ask())
        second = await router.complete(ask())
    assert (first.model, second.model) == ("claude-haiku", "claude-haiku")
    rows = await call_rows(db_url)
    assert brief(rows) == [
        ("oa-mini", 1, "fallback", "connection"),
        ("claude-haiku", 2, "ok", None),
        ("claude-haiku", 1, "ok", None),
    ]


async def test_auth_failure_is_never_retried_and_takes_the_provider_out(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    fakes["openai"].script(openai_error(401, "Incorrect API key provided", code="invalid_api_key"))
    async with make_router(fakes, llm_pool) as router:
        first = await router.complete(ask())
        # complexity high asks for oa-big, another model of the same provider: not tried
        second = await router.complete(ask(complexity="high"))
    assert first.model == "claude-haiku"
    assert second.model == "offline"
    assert len(fakes["openai"].seen) == 1
    rows = await call_rows(db_url)
    assert brief(rows) == [
        ("oa-mini", 1, "fallback", "auth"),
        ("claude-haiku", 2, "ok", None),
        ("offline", 1, "ok", None),
    ]
    assert "provider openai taken out (auth)" in rows[2]["fallback_reason"]
    assert rows[2]["model_requested"] == "oa-big"


async def test_quota_exhausted_is_not_retried(fakes: Any, llm_pool: Pool, db_url: str) -> None:
    fakes["openai"].script(
        openai_error(429, "You exceeded your current quota", code="insufficient_quota",
                     kind="insufficient_quota", headers={"retry-after": "1"}),
    )  # fmt: skip
    async with make_router(fakes, llm_pool) as router:
        assert (await router.complete(ask())).model == "claude-haiku"
    assert brief(await call_rows(db_url))[0] == ("oa-mini", 1, "fallback", "quota")


async def test_context_too_long_moves_to_a_model_with_a_bigger_window(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    fakes["openai"].script(
        openai_error(400, "This model's maximum context length is 8000 tokens.",
                     code="context_length_exceeded"),
        openai_ok("read it all", prompt_tokens=9000),
    )  # fmt: skip
    async with make_router(fakes, llm_pool) as router:
        response = await router.complete(ask())
    # claude-haiku has the same 8,000-token window: skipped; oa-big's is bigger
    assert response.model == "oa-big"
    assert [s.body["model"] for s in fakes["openai"].seen] == ["gpt-4.1-mini", "gpt-4.1"]
    assert fakes["anthropic"].seen == []
    rows = await call_rows(db_url)
    assert brief(rows) == [
        ("oa-mini", 1, "fallback", "context_too_long"),
        ("oa-big", 2, "ok", None),
    ]
    assert rows[1]["fallback_reason"] == "oa-mini: context_too_long HTTP 400"


async def test_content_refused_moves_to_another_provider(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    fakes["openai"].script(openai_ok(None, refusal="I can't help with that."))
    async with make_router(fakes, llm_pool) as router:
        response = await router.complete(ask(complexity="high"))
    # oa-big was first; the next openai model would be refused alike: another provider
    assert response.model == "offline"  # no other high-tier provider in the test catalog
    rows = await call_rows(db_url)
    assert brief(rows) == [
        ("oa-big", 1, "fallback", "content_refused"),
        ("offline", 2, "ok", None),
    ]


async def test_same_prompt_same_hash_and_the_echoed_model_is_not_recorded(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    async with make_router(fakes, llm_pool) as router:
        await router.complete(ask("one"))
        await router.complete(ask("one"))
        await router.complete(ask("two"))
    rows = await call_rows(db_url)
    hashes = [r["prompt_hash"] for r in rows]
    assert hashes[0] == hashes[1] != hashes[2]
    assert {r["model_used"] for r in rows} == {"oa-mini"}  # not "gpt-4.1-mini-2026-04-14"


async def test_tools_are_sent_and_tool_calls_come_back(fakes: Any, llm_pool: Pool) -> None:
    from automechanica.llm import Tool

    lookup = Tool(
        name="lookup_part",
        description="Find a part by number",
        parameters={"type": "object", "properties": {"mpn": {"type": "string"}}},
    )
    fakes["openai"].script(
        openai_ok(
            None,
            tool_calls=[
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "lookup_part", "arguments": '{"mpn": "3397007620"}'},
                }
            ],
            finish_reason="tool_calls",
        )
    )
    async with make_router(fakes, llm_pool) as router:
        response = await router.complete(ask(tools=(lookup,)))
    assert [(c.name, c.arguments) for c in response.tool_calls] == [
        ("lookup_part", {"mpn": "3397007620"})
    ]
    sent = fakes["openai"].seen[0].body["tools"][0]
    assert sent == {
        "type": "function",
        "function": {
            "name": "lookup_part",
            "description": "Find a part by number",
            "parameters": lookup.parameters,
        },
    }


async def test_without_the_offline_provider_every_failure_is_listed(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    catalog = router_catalog(drop=("offline", "claude-haiku", "oa-big", "local"))
    providers = fake_providers(fakes, openai=closed_port_url())
    async with make_router(fakes, llm_pool, catalog=catalog, providers=providers) as router:
        with pytest.raises(AllModelsFailedError) as caught:
            await router.complete(ask())
    assert [(e.model, e.kind.value) for e in caught.value.errors] == [("oa-mini", "connection")]
    assert "automechanica llm usage" in str(caught.value)
    assert brief(await call_rows(db_url)) == [("oa-mini", 1, "failed", "connection")]
