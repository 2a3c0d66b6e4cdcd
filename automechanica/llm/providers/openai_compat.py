"""OpenAI Chat Completions over httpx: OpenAI itself, and by base URL every server
that speaks it (Ollama's /v1, vLLM, llama.cpp's server, Mistral, Gemini's endpoint).

Structured output goes as `response_format: json_schema`. llama.cpp's server
rejects that with a 500 and takes `{"type": "json_object", "schema": …}` instead:
a provider set to `structured_output = "json_object"` sends that form, and one
that rejects json_schema is switched to it on the spot (once, then remembered).
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Mapping
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
    sse_events,
)
from automechanica.llm.types import ToolCall, Usage

CONTEXT_HINTS = ("context_length", "context length", "maximum context", "context size", "too long")
REFUSAL_CODES = {"content_policy_violation", "content_filter"}


class OpenAICompatProvider(HttpProvider):
    """POST {base_url}/chat/completions with a bearer key."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        api_key: str | None = None,
        structured_output: str = "json_schema",
        timeout: float = 60.0,
        max_connections: int = 100,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        headers = dict(extra_headers or {})
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        super().__init__(
            name, base_url, headers=headers, timeout=timeout, max_connections=max_connections
        )
        self.json_object_mode = structured_output == "json_object"

    # -- request ------------------------------------------------------------------------

    def body(self, request: ProviderRequest, *, stream: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model.model,
            "messages": request.chat(),
            "max_tokens": request.max_tokens,
        }
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.schema is not None:
            if self.json_object_mode:
                body["response_format"] = {"type": "json_object", "schema": request.schema}
            else:
                body["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {
                        "name": request.schema_name,
                        "schema": request.schema,
                        "strict": False,
                    },
                }
        if request.tools:
            body["tools"] = function_tools(request.tools)
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    # -- errors -------------------------------------------------------------------------

    def classify(self, status: int, body: bytes, model: ModelSpec) -> tuple[FailureKind, str]:
        error = json_object(body).get("error")
        error = error if isinstance(error, dict) else {}
        code = str(error.get("code") or error.get("type") or "")
        message = str(error.get("message") or excerpt(body))
        lowered = f"{code} {message}".lower()
        if code == "insufficient_quota":
            return FailureKind.QUOTA, message
        if code in REFUSAL_CODES:
            return FailureKind.CONTENT_REFUSED, message
        if code == "invalid_api_key":
            return FailureKind.AUTH, message
        if status in (400, 413, 500) and any(hint in lowered for hint in CONTEXT_HINTS):
            return FailureKind.CONTEXT_TOO_LONG, message
        return kind_for_status(status) if status else FailureKind.SERVER_ERROR, message

    def _rejects_json_schema(self, exc: ProviderError, request: ProviderRequest) -> bool:
        detail = exc.detail.lower()
        return (
            request.schema is not None
            and not self.json_object_mode
            and exc.kind in (FailureKind.SERVER_ERROR, FailureKind.BAD_REQUEST)
            and ("response_format" in detail or "json_schema" in detail)
        )

    # -- calls --------------------------------------------------------------------------

    async def complete(self, request: ProviderRequest) -> ProviderResult:
        try:
            data = await self.post_json("/chat/completions", self.body(request), request.model)
        except ProviderError as exc:
            if not self._rejects_json_schema(exc, request):
                raise
            self.json_object_mode = True  # this server wants {"type": "json_object", "schema"}
            data = await self.post_json("/chat/completions", self.body(request), request.model)
        return self.parse(data, request.model)

    def parse(self, data: dict[str, Any], model: ModelSpec) -> ProviderResult:
        usage = _usage(data.get("usage"))
        choices = data.get("choices") or [{}]
        choice = choices[0] if isinstance(choices[0], dict) else {}
        message = choice.get("message") or {}
        finish = choice.get("finish_reason")
        if message.get("refusal") or finish == "content_filter":
            raise ProviderError(
                FailureKind.CONTENT_REFUSED,
                str(message.get("refusal") or "finish_reason content_filter"),
                provider=self.name,
                model=model.name,
                tokens_in=usage.tokens_in,
                tokens_out=usage.tokens_out,
            )
        calls = []
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            try:
                arguments = json.loads(function.get("arguments") or "{}")
            except ValueError:
                arguments = {"_raw": function.get("arguments")}
            calls.append(
                ToolCall(
                    id=str(call.get("id", "")), name=function.get("name", ""), arguments=arguments
                )
            )
        return ProviderResult(
            text=message.get("content") or "",
            usage=usage,
            tool_calls=calls,
            finish_reason=finish,
            echoed_model=data.get("model"),
        )

    async def stream(self, request: ProviderRequest) -> AsyncGenerator[StreamEvent, None]:
        usage, finish, done = Usage(), None, False
        body = self.body(request, stream=True)
        async with aclosing(self.post_lines("/chat/completions", body, request.model)) as lines:
            async for _event, data in sse_events(lines):
                if done or data.strip() == "[DONE]":
                    done = True
                    continue
                chunk = json_object(data.encode())
                if "error" in chunk:
                    kind, detail = self.classify(0, data.encode(), request.model)
                    raise ProviderError(kind, detail, provider=self.name, model=request.model.name)
                if chunk.get("usage"):
                    usage = _usage(chunk["usage"])
                for choice in chunk.get("choices") or []:
                    content = (choice.get("delta") or {}).get("content")
                    if content:
                        yield TextDelta(content)
                    finish = choice.get("finish_reason") or finish
        if not done and finish is None:
            raise ProviderError(
                FailureKind.SERVER_ERROR,
                "the stream ended before it finished",
                provider=self.name,
                model=request.model.name,
            )
        yield StreamEnd(usage, finish)


def _usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    details = raw.get("prompt_tokens_details") or {}
    return Usage(
        tokens_in=raw.get("prompt_tokens"),
        tokens_out=raw.get("completion_tokens"),
        tokens_cached=details.get("cached_tokens") if isinstance(details, dict) else None,
    )
