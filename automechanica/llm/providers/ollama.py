"""Ollama's native `/api/chat` over httpx: `format` carries the JSON schema,
`options.num_predict` the output cap, and the answer reports tokens as
`prompt_eval_count` / `eval_count` and durations in nanoseconds. Streams are
newline-delimited JSON, not server-sent events.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from automechanica.llm.catalog import ModelSpec
from automechanica.llm.errors import ProviderError
from automechanica.llm.failures import FailureKind, kind_for_status
from automechanica.llm.providers.base import (
    HttpProvider,
    ProviderRequest,
    ProviderResult,
    StreamEnd,
    StreamEvent,
    TextDelta,
    excerpt,
    function_tools,
    json_object,
)
from automechanica.llm.types import ToolCall, Usage

NANOSECONDS_PER_MS = 1_000_000
CONTEXT_HINTS = ("context length", "context window", "too long", "exceeds the context")


class OllamaProvider(HttpProvider):
    """POST {base_url}/api/chat (no key: Ollama serves its own machine or network)."""

    def __init__(
        self, name: str, base_url: str, *, timeout: float = 60.0, max_connections: int = 100
    ) -> None:
        super().__init__(name, base_url, timeout=timeout, max_connections=max_connections)

    def body(self, request: ProviderRequest, *, stream: bool = False) -> dict[str, Any]:
        options: dict[str, Any] = {"num_predict": request.max_tokens}
        if request.temperature is not None:
            options["temperature"] = request.temperature
        body: dict[str, Any] = {
            "model": request.model.model,
            "messages": request.chat(),
            "stream": stream,
            "options": options,
        }
        if request.schema is not None:
            body["format"] = request.schema
        if request.tools:
            body["tools"] = function_tools(request.tools)
        return body

    def classify(self, status: int, body: bytes, model: ModelSpec) -> tuple[FailureKind, str]:
        message = str(json_object(body).get("error") or excerpt(body))
        if any(hint in message.lower() for hint in CONTEXT_HINTS):
            return FailureKind.CONTEXT_TOO_LONG, message
        return kind_for_status(status) if status else FailureKind.SERVER_ERROR, message

    async def complete(self, request: ProviderRequest) -> ProviderResult:
        data = await self.post_json("/api/chat", self.body(request), request.model)
        message = data.get("message") or {}
        calls = [
            ToolCall(
                id=f"call_{i}",
                name=(call.get("function") or {}).get("name", ""),
                arguments=_arguments((call.get("function") or {}).get("arguments")),
            )
            for i, call in enumerate(message.get("tool_calls") or [])
        ]
        total = data.get("total_duration")
        return ProviderResult(
            text=message.get("content") or "",
            usage=Usage(tokens_in=data.get("prompt_eval_count"), tokens_out=data.get("eval_count")),
            tool_calls=calls,
            finish_reason=data.get("done_reason"),
            echoed_model=data.get("model"),
            server_ms=total / NANOSECONDS_PER_MS if isinstance(total, int) else None,
        )

    async def stream(self, request: ProviderRequest) -> AsyncGenerator[StreamEvent, None]:
        body = self.body(request, stream=True)
        async with aclosing(self.post_lines("/api/chat", body, request.model)) as lines:
            async for line in lines:
                if not line.strip():
                    continue
                chunk = json_object(line.encode())
                if "error" in chunk:
                    kind, detail = self.classify(0, line.encode(), request.model)
                    raise ProviderError(kind, detail, provider=self.name, model=request.model.name)
                content = (chunk.get("message") or {}).get("content")
                if content:
                    yield TextDelta(content)
                if chunk.get("done"):
                    usage = Usage(
                        tokens_in=chunk.get("prompt_eval_count"), tokens_out=chunk.get("eval_count")
                    )
                    yield StreamEnd(usage, chunk.get("done_reason"))
                    return
        raise ProviderError(
            FailureKind.SERVER_ERROR,
            "the stream ended before done",
            provider=self.name,
            model=request.model.name,
        )


def _arguments(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {"_raw": raw}
    return value if isinstance(value, dict) else {"_raw": value}
