"""Each adapter's wire format against its loopback fake: what goes out (path, headers,
body) and what comes back (text, structured output, tool calls, usage)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from automechanica.llm import HealthBoard, LLMRequest, MemoryCallLog, RetryOptions, Router
from automechanica.llm.providers import OpenAICompatProvider
from tests.integration.llm_servers import (
    anthropic_error,
    anthropic_ok,
    fake_servers,
    fakes,
    ollama_ok,
    openai_error,
    openai_ok,
)
from tests.integration.llm_setup import fake_providers, router_catalog

__all__ = ["fake_servers", "fakes"]


class PartNumber(BaseModel):
    brand: str
    mpn: str


def memory_router(fakes: Any, *only: str, **kw: Any) -> Router:
    """A router over the fakes whose catalog keeps only the models named."""
    catalog = router_catalog()
    drop = tuple(m for m in catalog.models if m not in only and m != "offline")
    providers = kw.pop("providers", None) or fake_providers(fakes)
    return Router(
        router_catalog(drop=drop),
        providers,
        call_log=MemoryCallLog(),
        health=HealthBoard(),
        retry=RetryOptions(base_delay=0.01, max_wait=1.0),
        **kw,
    )


def normalize(**fields: Any) -> LLMRequest:
    return LLMRequest.ask(
        "brand: Bosch, mpn: 3 397 007 620",
        system="You normalize part numbers.",
        task_kind="catalog.normalize",
        output=PartNumber,
        **fields,
    )


async def test_anthropic_messages_wire_format_and_structured_output_by_forced_tool(
    fakes: Any,
) -> None:
    fakes["anthropic"].script(
        anthropic_ok(
            tool=("PartNumber", {"brand": "Bosch", "mpn": "3397007620"}),
            input_tokens=50,
            output_tokens=20,
            cache_read=30,
        )
    )
    async with memory_router(fakes, "claude-haiku") as router:
        response = await router.complete(normalize(temperature=0.0))
    assert response.output_as(PartNumber) == PartNumber(brand="Bosch", mpn="3397007620")
    seen = fakes["anthropic"].seen[0]
    assert seen.path == "/v1/messages"
    assert seen.headers["x-api-key"] == "sk-ant-test"
    assert seen.headers["anthropic-version"] == "2023-06-01"
    body = seen.body
    assert body["model"] == "claude-haiku-4-5"
    assert body["system"] == "You normalize part numbers."
    assert body["messages"] == [{"role": "user", "content": "brand: Bosch, mpn: 3 397 007 620"}]
    assert body["tool_choice"] == {"type": "tool", "name": "PartNumber"}
    assert body["tools"][0]["input_schema"] == PartNumber.model_json_schema()
    assert (body["max_tokens"], body["temperature"]) == (1024, 0.0)
    # input counted as fresh + cache reads, so prices apply the same way as OpenAI's
    usage = response.usage
    assert (usage.tokens_in, usage.tokens_out, usage.tokens_cached) == (80, 20, 30)
    assert str(response.cost_usd) == "0.000153"  # (50*1.00 + 30*0.10 + 20*5.00) / 1M


async def test_anthropic_error_bodies_are_classified(fakes: Any) -> None:
    fakes["anthropic"].script(
        anthropic_error(400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000"),
        anthropic_error(400, "invalid_request_error", "Your credit balance is too low"),
        anthropic_error(403, "permission_error", "not allowed"),
    )
    router = memory_router(fakes, "claude-haiku")
    async with router:
        for _ in range(3):
            router.health = HealthBoard()  # a fresh board: quota and auth take the provider out
            response = await router.complete(LLMRequest.ask("hi"))
            assert response.model == "offline"
    kinds = [r.error_kind for r in router.call_log.rows if r.error_kind]  # type: ignore[attr-defined]
    assert kinds == ["context_too_long", "quota", "auth"]


async def test_anthropic_refusal_stop_reason_is_content_refused(fakes: Any) -> None:
    fakes["anthropic"].script(anthropic_ok("I can't help with that.", stop_reason="refusal"))
    router = memory_router(fakes, "claude-haiku")
    async with router:
        assert (await router.complete(LLMRequest.ask("hi"))).model == "offline"
    assert router.call_log.rows[0].error_kind == "content_refused"  # type: ignore[attr-defined]


async def test_ollama_native_chat_wire_format(fakes: Any) -> None:
    fakes["ollama"].script(
        ollama_ok('{"brand": "Bosch", "mpn": "3397007620"}', prompt_eval_count=33, eval_count=9)
    )
    async with memory_router(fakes, "local") as router:
        response = await router.complete(normalize(complexity="low", max_tokens=64))
    assert response.output_as(PartNumber).mpn == "3397007620"
    assert (response.usage.tokens_in, response.usage.tokens_out) == (33, 9)
    assert response.cost_usd == 0  # a local model with a declared price of zero
    seen = fakes["ollama"].seen[0]
    assert seen.path == "/api/chat"
    assert seen.body["model"] == "llama3.2:3b"
    assert seen.body["stream"] is False
    assert seen.body["format"] == PartNumber.model_json_schema()
    assert seen.body["options"] == {"num_predict": 64}
    assert seen.body["messages"][0] == {"role": "system", "content": "You normalize part numbers."}


async def test_ollama_missing_model_falls_back(fakes: Any) -> None:
    from tests.integration.llm_servers import Reply

    fakes["ollama"].script(Reply(status=404, body={"error": "model 'llama3.2:3b' not found"}))
    router = memory_router(fakes, "local")
    async with router:
        assert (await router.complete(LLMRequest.ask("hi", complexity="low"))).model == "offline"
    assert router.call_log.rows[0].error_kind == "bad_request"  # type: ignore[attr-defined]


async def test_a_server_that_rejects_json_schema_gets_json_object_with_the_schema(
    fakes: Any,
) -> None:
    """llama.cpp's server answers response_format json_schema with a 500."""
    fakes["openai"].script(
        openai_error(500, "Unsupported response_format type: json_schema", kind="server_error"),
        openai_ok('{"brand": "Bosch", "mpn": "3397007620"}'),
        openai_ok('{"brand": "Bosch", "mpn": "0986494524"}'),
    )
    async with memory_router(fakes, "oa-mini") as router:
        first = await router.complete(normalize())
        second = await router.complete(normalize())
    assert (first.model, second.model) == ("oa-mini", "oa-mini")
    formats = [s.body["response_format"] for s in fakes["openai"].seen]
    schema = PartNumber.model_json_schema()
    assert formats[0]["type"] == "json_schema"
    assert formats[0]["json_schema"]["schema"] == schema
    assert formats[1:] == [{"type": "json_object", "schema": schema}] * 2  # remembered


async def test_a_provider_configured_for_json_object_never_sends_json_schema(fakes: Any) -> None:
    providers = fake_providers(fakes)
    providers["openai"] = OpenAICompatProvider(
        "openai", fakes["openai"].url, structured_output="json_object"
    )
    fakes["openai"].script(openai_ok('{"brand": "Bosch", "mpn": "1"}'))
    async with memory_router(fakes, "oa-mini", providers=providers) as router:
        await router.complete(normalize())
    seen = fakes["openai"].seen[0]
    assert seen.body["response_format"]["type"] == "json_object"
    assert "authorization" not in seen.headers  # no key: a local server
