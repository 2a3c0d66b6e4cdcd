"""What every provider adapter shares: the request it receives, the result it
returns, and the HTTP plumbing that turns transport trouble into `ProviderError`s.

An adapter knows one wire format and nothing else: no retries, no fallbacks, no
prices. It raises `ProviderError` with a `FailureKind`; the router decides.
"""

from __future__ import annotations

import asyncio
import json
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from automechanica.llm.catalog import ModelSpec
from automechanica.llm.errors import ProviderError
from automechanica.llm.failures import FailureKind, parse_retry_after
from automechanica.llm.types import LLMRequest, Message, Tool, ToolCall, Usage

#: Error bodies are kept this long in messages: enough to read, not a whole page.
BODY_EXCERPT = 300


@dataclass(frozen=True)
class ProviderRequest:
    """One attempt, as the adapter needs it: the model chosen and what to send."""

    model: ModelSpec
    messages: tuple[Message, ...]
    schema: dict[str, Any] | None
    schema_name: str
    tools: tuple[Tool, ...]
    max_tokens: int
    temperature: float | None
    source: LLMRequest  # the agent's request, for the offline provider's templates

    @property
    def system(self) -> str:
        return "\n\n".join(m.content for m in self.messages if m.role == "system")

    def chat(self) -> list[dict[str, str]]:
        return [{"role": m.role, "content": m.content} for m in self.messages]


@dataclass
class ProviderResult:
    """What the provider said; `echoed_model` is its own claim, kept for debugging only."""

    text: str
    usage: Usage
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    echoed_model: str | None = None
    server_ms: float | None = None  # the provider's own timing, when it reports one


@dataclass(frozen=True)
class TextDelta:
    """A piece of streamed text."""

    text: str


@dataclass(frozen=True)
class StreamEnd:
    """The stream finished; usage as the provider reported it."""

    usage: Usage
    finish_reason: str | None = None


StreamEvent = TextDelta | StreamEnd


class Provider(ABC):
    """One wire format, one endpoint."""

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    async def complete(self, request: ProviderRequest) -> ProviderResult:
        """One call; raises ProviderError."""

    @abstractmethod
    def stream(self, request: ProviderRequest) -> AsyncGenerator[StreamEvent, None]:
        """Text deltas, then one StreamEnd; raises ProviderError."""

    async def aclose(self) -> None:  # noqa: B027 - a provider without connections has nothing to do
        """Release connections."""


def make_client(
    base_url: str, *, timeout: float, headers: Mapping[str, str], max_connections: int
) -> httpx.AsyncClient:
    """One pooled client per provider, shared by every request."""
    return httpx.AsyncClient(
        base_url=base_url.rstrip("/"),
        headers=dict(headers),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
    )


def function_tools(tools: Sequence[Tool]) -> list[dict[str, Any]]:
    """Tools as OpenAI's `{"type": "function", ...}` entries (Ollama reads the same)."""
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
        }
        for t in tools
    ]


def excerpt(body: bytes | str) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return " ".join(text.split())[:BODY_EXCERPT]


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or {} when it is anything else."""
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class HttpProvider(Provider):
    """An adapter over one pooled httpx client; subclasses read and write the bodies."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        max_connections: int = 100,
    ) -> None:
        super().__init__(name)
        self.base_url = base_url
        self.client = make_client(
            base_url, timeout=timeout, headers=headers or {}, max_connections=max_connections
        )
        # At most one request per connection in flight: httpcore's pool rescans every
        # waiting request whenever a connection frees up, which turns quadratic under a
        # burst (1,000 queued requests took minutes). Waiting here is a plain FIFO.
        self.slots = asyncio.Semaphore(max_connections)

    async def aclose(self) -> None:
        await self.client.aclose()

    @abstractmethod
    def classify(self, status: int, body: bytes, model: ModelSpec) -> tuple[FailureKind, str]:
        """The failure kind and a readable detail for an error response."""

    def http_error(
        self, status: int, headers: httpx.Headers, body: bytes, model: ModelSpec
    ) -> ProviderError:
        kind, detail = self.classify(status, body, model)
        return ProviderError(
            kind,
            detail,
            provider=self.name,
            model=model.name,
            status_code=status,
            retry_after=parse_retry_after(dict(headers)),
            tokens_in=0,
            tokens_out=0,
        )

    def transport_error(self, exc: Exception, model: ModelSpec) -> ProviderError:
        if isinstance(exc, httpx.TimeoutException):
            kind = FailureKind.TIMEOUT
        elif isinstance(exc, httpx.RemoteProtocolError):
            kind = FailureKind.SERVER_ERROR
        else:
            kind = FailureKind.CONNECTION
        detail = f"{type(exc).__name__}: {exc}".rstrip(": ")
        return ProviderError(kind, detail, provider=self.name, model=model.name)

    async def post_json(self, path: str, body: dict[str, Any], model: ModelSpec) -> dict[str, Any]:
        """POST a JSON body; the JSON object answered, or a classified ProviderError."""
        try:
            async with self.slots:
                response = await self.client.post(path, json=body)
        except httpx.HTTPError as exc:
            raise self.transport_error(exc, model) from exc
        if response.status_code >= 400:
            raise self.http_error(response.status_code, response.headers, response.content, model)
        try:
            value = json.loads(response.content)
        except ValueError as exc:
            raise ProviderError(
                FailureKind.SERVER_ERROR,
                f"the answer is not JSON: {excerpt(response.content)}",
                provider=self.name,
                model=model.name,
                status_code=response.status_code,
            ) from exc
        if not isinstance(value, dict):
            raise ProviderError(
                FailureKind.SERVER_ERROR,
                "the answer is not a JSON object",
                provider=self.name,
                model=model.name,
            )
        return value

    async def post_lines(
        self, path: str, body: dict[str, Any], model: ModelSpec
    ) -> AsyncGenerator[str, None]:
        """POST and yield the response's lines as they arrive (SSE or NDJSON)."""
        try:
            async with self.slots, self.client.stream("POST", path, json=body) as response:
                if response.status_code >= 400:
                    content = await response.aread()
                    raise self.http_error(response.status_code, response.headers, content, model)
                async for line in response.aiter_lines():
                    yield line
        except httpx.HTTPError as exc:
            raise self.transport_error(exc, model) from exc


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, str]]:
    """(event, data) pairs of a server-sent-events stream; `event` is "" when unnamed."""
    event, data = "", list[str]()
    async for raw in lines:
        line = raw.rstrip("\r")
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "", list[str]()
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield event, "\n".join(data)
