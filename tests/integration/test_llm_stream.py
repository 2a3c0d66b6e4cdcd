"""Streaming through the router: each wire format's stream, a fallback before the
first token, and a break after it (no fallback then), with their llm_calls rows."""

from __future__ import annotations

from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool

from automechanica.llm import LLMRequest, StreamInterruptedError
from tests.integration.llm_servers import (
    anthropic_stream,
    fake_servers,
    fakes,
    ollama_stream,
    openai_error,
    openai_stream,
)
from tests.integration.llm_setup import brief, call_rows, llm_pool, make_router, router_catalog

__all__ = ["fake_servers", "fakes", "llm_pool"]

Pool = AsyncConnectionPool[Any]


def chat(prompt: str = "Where is my order?", **fields: Any) -> LLMRequest:
    return LLMRequest.ask(prompt, task_kind="support.chat", agent="support", **fields)


async def test_openai_stream_yields_deltas_and_records_usage(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    fakes["openai"].script(openai_stream(["Your ", "order ", "shipped."]))
    async with make_router(fakes, llm_pool) as router, router.stream(chat()) as chunks:
        pieces = [piece async for piece in chunks]
    assert pieces == ["Your ", "order ", "shipped."]
    assert chunks.response is not None and chunks.response.model == "oa-mini"
    body = fakes["openai"].seen[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    [row] = await call_rows(db_url)
    assert brief([row]) == [("oa-mini", 1, "ok", None)]
    assert (row["tokens_in"], row["tokens_out"]) == (12, 3)


async def test_an_error_before_the_first_token_falls_back(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    fakes["openai"].script(*[openai_error(503, "unavailable", kind="server_error")] * 2)
    fakes["anthropic"].script(anthropic_stream(["We ", "shipped ", "it."]))
    async with make_router(fakes, llm_pool) as router, router.stream(chat()) as chunks:
        text = "".join([piece async for piece in chunks])
    assert text == "We shipped it."
    assert chunks.response is not None
    assert (chunks.response.model, chunks.response.usage.tokens_in) == ("claude-haiku", 15)
    assert fakes["anthropic"].seen[0].body["stream"] is True
    rows = await call_rows(db_url)
    assert brief(rows) == [
        ("oa-mini", 1, "retry", "overloaded"),
        ("oa-mini", 2, "fallback", "overloaded"),
        ("claude-haiku", 3, "ok", None),
    ]
    assert (rows[2]["tokens_in"], rows[2]["tokens_out"]) == (15, 9)


async def test_a_mid_stream_error_is_raised_with_the_partial_text_and_no_fallback(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    fakes["openai"].script(
        openai_stream(
            ["Your order ", "is "], error={"message": "server overloaded", "type": "server_error"}
        )
    )
    async with make_router(fakes, llm_pool) as router:
        received: list[str] = []
        with pytest.raises(StreamInterruptedError) as caught:
            async with router.stream(chat()) as chunks:
                async for piece in chunks:
                    received.append(piece)
    assert received == ["Your order ", "is "]
    assert caught.value.partial == "Your order is "
    assert fakes["anthropic"].seen == []  # no fallback after the first token
    rows = await call_rows(db_url)
    assert brief(rows) == [("oa-mini", 1, "failed", "server_error")]


async def test_anthropic_mid_stream_overload_event(fakes: Any, llm_pool: Pool, db_url: str) -> None:
    catalog = router_catalog(drop=("oa-mini", "oa-big"))
    fakes["anthropic"].script(anthropic_stream(["Let me "], error_type="overloaded_error"))
    async with make_router(fakes, llm_pool, catalog=catalog) as router:
        with pytest.raises(StreamInterruptedError) as caught:
            async with router.stream(chat()) as chunks:
                _ = [piece async for piece in chunks]
    assert caught.value.error.kind.value == "overloaded"
    assert brief(await call_rows(db_url)) == [("claude-haiku", 1, "failed", "overloaded")]


async def test_ollama_ndjson_stream_and_its_in_band_error(fakes: Any, llm_pool: Pool) -> None:
    catalog = router_catalog(drop=("oa-mini", "oa-big", "claude-haiku"))
    fakes["ollama"].script(
        ollama_stream(["Brake ", "pads."]), *[ollama_stream([], error="model runner crashed")] * 2
    )
    async with make_router(fakes, llm_pool, catalog=catalog) as router:
        async with router.stream(chat(complexity="low")) as chunks:
            assert [p async for p in chunks] == ["Brake ", "pads."]
        assert chunks.response is not None and chunks.response.usage.tokens_out == 2
        # an error before any text: the chain moves on (to offline here)
        async with router.stream(chat(complexity="low")) as chunks:
            text = "".join([p async for p in chunks])
        assert text.startswith("[offline]")
        assert chunks.response is not None and chunks.response.model == "offline"


async def test_a_consumer_that_stops_early_releases_the_connection(
    fakes: Any, llm_pool: Pool, db_url: str
) -> None:
    fakes["openai"].script(openai_stream(["a ", "b ", "c "]))
    async with make_router(fakes, llm_pool) as router:
        async with router.stream(chat()) as chunks:
            async for _piece in chunks:
                break
        pool = router.providers["openai"].client._transport._pool  # type: ignore[attr-defined]
        assert all(c.is_idle() or c.is_closed() for c in pool.connections)
    assert brief(await call_rows(db_url)) == [("oa-mini", 1, "cancelled", None)]
