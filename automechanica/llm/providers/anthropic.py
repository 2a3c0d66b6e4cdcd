"""Anthropic Messages over httpx: `x-api-key`, `anthropic-version`, system apart
from the messages, usage as `input_tokens` / `output_tokens`.

Structured output is asked for as a forced tool call whose `input_schema` is the
output schema: the model must answer with one `tool_use` block, and its `input`
is the object. That has worked on every Claude model with tool use, without a
beta header.
"""

from __future__ import annotations

import json
import re
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
    json_object,
    sse_events,
)
from automechanica.llm.types import ToolCall, Usage

API_VERSION = "2023-06-01"
ERROR_TYPES = {
    "rate_limit_error": FailureKind.RATE_LIMITED,
    "overloaded_error": FailureKind.OVERLOADED,
    "api_error": FailureKind.SERVER_ERROR,
    "timeout_error": FailureKind.TIMEOUT,
    "authentication_error": FailureKind.AUTH,
    "permission_error": FailureKind.AUTH,
    "billing_error": FailureKind.QUOTA,
    "request_too_large": FailureKind.CONTEXT_TOO_LONG,
}


def _tool_name(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:64] or "output"


class AnthropicProvider(HttpProvider):
    """POST {base_url}/v1/messages."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        api_key: str,
        timeout: float = 60.0,
        max_connections: int = 100,
    ) -> None:
        headers = {"x-api-key": api_key, "anthropic-version": API_VERSION}
        super().__init__(
            name, base_url, headers=headers, timeout=timeout, max_connections=max_connections
        )

    def body(self, request: ProviderRequest, *, stream: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model.model,
            "max_tokens": request.max_tokens,
            "messages": [
                {"role": m.role, "content": m.content}
                for m in request.messages
                if m.role != "system"
            ],
        }
        if request.system:
            body["system"] = request.system
        if request.temperature is not None:
            body["temperature"] = request.temperature
        tools = [
            {"name": t.name, "description": t.description, "input_schema": t.parameters}
            for t in request.tools
        ]
        if request.schema is not None:
            name = _tool_name(request.schema_name)
            tools.append(
                {
                    "name": name,
                    "description": "Answer by calling this tool with the result object.",
                    "input_schema": request.schema,
                }
            )
            only_output = len(tools) == 1
            body["tool_choice"] = {"type": "tool", "name": name} if only_output else {"type": "any"}
        if tools:
            body["tools"] = tools
        if stream:
            body["stream"] = True
        return body

    def classify(self, status: int, body: bytes, model: ModelSpec) -> tuple[FailureKind, str]:
        error = json_object(body).get("error")
        error = error if isinstance(error, dict) else {}
        kind_name = str(error.get("type") or "")
        message = str(error.get("message") or excerpt(body))
        lowered = message.lower()
        if kind_name == "invalid_request_error":
            if "prompt is too long" in lowered or ("context" in lowered and "limit" in lowered):
                return FailureKind.CONTEXT_TOO_LONG, message
            if "credit balance" in lowered:
                return FailureKind.QUOTA, message
        if kind_name in ERROR_TYPES:
            return ERROR_TYPES[kind_name], message
        return kind_for_status(status) if status else FailureKind.SERVER_ERROR, message

    async def complete(self, request: ProviderRequest) -> ProviderResult:
        data = await self.post_json("/v1/messages", self.body(request), request.model)
        usage = _usage(data.get("usage"))
        if data.get("stop_reason") == "refusal":
            raise ProviderError(
                FailureKind.CONTENT_REFUSED,
                "stop_reason refusal",
                provider=self.name,
                model=request.model.name,
                tokens_in=usage.tokens_in,
                tokens_out=usage.tokens_out,
            )
        output_tool = _tool_name(request.schema_name) if request.schema is not None else None
        texts: list[str] = []
        calls: list[ToolCall] = []
        for block in data.get("content") or []:
            if block.get("type") == "text":
                texts.append(block.get("text", ""))
            elif block.get("type") == "tool_use":
                arguments = block.get("input") or {}
                if block.get("name") == output_tool:
                    texts = [json.dumps(arguments)]
                    output_tool = None  # the first call is the answer
                else:
                    calls.append(
                        ToolCall(
                            id=block.get("id", ""), name=block.get("name", ""), arguments=arguments
                        )
                    )
        return ProviderResult(
            text="".join(texts),
            usage=usage,
            tool_calls=calls,
            finish_reason=data.get("stop_reason"),
            echoed_model=data.get("model"),
        )

    async def stream(self, request: ProviderRequest) -> AsyncGenerator[StreamEvent, None]:
        tokens_in: int | None = None
        tokens_out: int | None = None
        cached: int | None = None
        finish: str | None = None
        stopped = False
        body = self.body(request, stream=True)
        async with aclosing(self.post_lines("/v1/messages", body, request.model)) as lines:
            async for event, data in sse_events(lines):
                payload = json_object(data.encode())
                kind = event or str(payload.get("type", ""))
                if kind == "error":
                    failure, detail = self.classify(0, data.encode(), request.model)
                    raise ProviderError(
                        failure, detail, provider=self.name, model=request.model.name
                    )
                if kind == "message_start":
                    usage = _usage((payload.get("message") or {}).get("usage"))
                    tokens_in, cached = usage.tokens_in, usage.tokens_cached
                elif kind == "content_block_delta":
                    delta = payload.get("delta") or {}
                    if delta.get("type") == "text_delta" and delta.get("text"):
                        yield TextDelta(delta["text"])
                elif kind == "message_delta":
                    finish = (payload.get("delta") or {}).get("stop_reason") or finish
                    tokens_out = (payload.get("usage") or {}).get("output_tokens", tokens_out)
                elif kind == "message_stop":
                    stopped = True
        if not stopped:
            raise ProviderError(
                FailureKind.SERVER_ERROR,
                "the stream ended before message_stop",
                provider=self.name,
                model=request.model.name,
            )
        yield StreamEnd(
            Usage(tokens_in=tokens_in, tokens_out=tokens_out, tokens_cached=cached), finish
        )


def _usage(raw: Any) -> Usage:
    """Input tokens counted like OpenAI's: fresh + cache reads + cache writes."""
    if not isinstance(raw, dict):
        return Usage()
    fresh = raw.get("input_tokens")
    read = raw.get("cache_read_input_tokens") or 0
    written = raw.get("cache_creation_input_tokens") or 0
    return Usage(
        tokens_in=None if fresh is None else fresh + read + written,
        tokens_out=raw.get("output_tokens"),
        tokens_cached=read,
    )
