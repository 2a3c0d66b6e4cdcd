"""Loopback fake providers for the router tests: real HTTP servers (Starlette served by
uvicorn on 127.0.0.1, in a thread) speaking each wire format, scripted per test.

A test queues `Reply`s; each request takes the next one (or a plain success when
the script is empty) and is recorded with its path, headers and JSON body.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

Flavor = Literal["openai", "anthropic", "ollama"]


@dataclass
class Reply:
    """One scripted answer: a JSON body, or a stream of raw text chunks."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the answer starts (timeouts)
    chunks: list[str] | None = None  # a streamed body (SSE or NDJSON text), sent piece by piece
    media_type: str = "application/json"


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class FakeServer:
    """A real server on a free loopback port; `script()` what it answers next."""

    def __init__(self, flavor: Flavor) -> None:
        self.flavor = flavor
        self.replies: deque[Reply] = deque()
        self.seen: list[Seen] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST"])])
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", access_log=False, ws="none"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        base = f"http://127.0.0.1:{self.port}"
        return base + "/v1" if self.flavor == "openai" else base

    def start(self) -> FakeServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def reset(self) -> None:
        self.replies.clear()
        self.seen.clear()

    async def _handle(self, request: Request) -> Response:
        body = json.loads(await request.body() or b"{}")
        self.seen.append(Seen(request.url.path, dict(request.headers), body))
        reply = self.replies.popleft() if self.replies else self._default(body)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.chunks is not None:
            return StreamingResponse(
                _pieces(reply.chunks),
                status_code=reply.status,
                headers=reply.headers,
                media_type=reply.media_type,
            )
        content = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
        return Response(content, reply.status, reply.headers, media_type=reply.media_type)

    def _default(self, body: dict[str, Any]) -> Reply:
        text = "default answer"
        if self.flavor == "openai":
            return openai_ok(text, model=body.get("model", ""))
        if self.flavor == "anthropic":
            return anthropic_ok(text)
        return ollama_ok(text)


async def _pieces(chunks: list[str]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk.encode()
        await asyncio.sleep(0)


def closed_port_url() -> str:
    """A loopback URL nobody listens on (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


# -- OpenAI Chat Completions --------------------------------------------------------------


def openai_ok(
    content: str | None,
    *,
    model: str = "gpt-test",
    prompt_tokens: int = 10,
    completion_tokens: int = 5,
    cached: int = 0,
    tool_calls: list[dict[str, Any]] | None = None,
    refusal: str | None = None,
    finish_reason: str = "stop",
) -> Reply:
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": refusal}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return Reply(
        body={
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 1764000000,
            "model": model + "-2026-04-14",  # providers echo a dated id; we record our own
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "prompt_tokens_details": {"cached_tokens": cached},
            },
        }
    )


def openai_error(
    status: int, message: str, *, code: str | None = None, kind: str = "invalid_request_error",
    headers: dict[str, str] | None = None,
) -> Reply:  # fmt: skip
    return Reply(
        status=status,
        body={"error": {"message": message, "type": kind, "param": None, "code": code}},
        headers=headers or {},
    )


def openai_stream(pieces: list[str], *, error: dict[str, Any] | None = None) -> Reply:
    """SSE chunks; with `error`, an in-band error event replaces the end of the stream."""
    chunks = [
        "data: "
        + json.dumps(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}],
            }
        )
        + "\n\n"
        for p in pieces
    ]
    if error is not None:
        chunks.append("data: " + json.dumps({"error": error}) + "\n\n")
        return Reply(chunks=chunks, media_type="text/event-stream")
    chunks.append(
        "data: "
        + json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        + "\n\n"
    )
    usage = {"prompt_tokens": 12, "completion_tokens": len(pieces), "total_tokens": 12}
    chunks.append("data: " + json.dumps({"choices": [], "usage": usage}) + "\n\n")
    chunks.append("data: [DONE]\n\n")
    return Reply(chunks=chunks, media_type="text/event-stream")


# -- Anthropic Messages -------------------------------------------------------------------


def anthropic_ok(
    text: str | None = None,
    *,
    tool: tuple[str, dict[str, Any]] | None = None,
    input_tokens: int = 20,
    output_tokens: int = 8,
    cache_read: int = 0,
    stop_reason: str = "end_turn",
) -> Reply:
    content: list[dict[str, Any]] = []
    if text is not None:
        content.append({"type": "text", "text": text})
    if tool is not None:
        content.append({"type": "tool_use", "id": "toolu_01", "name": tool[0], "input": tool[1]})
        stop_reason = "tool_use"
    return Reply(
        body={
            "id": "msg_test",
            "type": "message",
            "role": "assistant",
            "model": "claude-test-20260101",
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": cache_read,
            },
        }
    )


def anthropic_error(
    status: int, kind: str, message: str, headers: dict[str, str] | None = None
) -> Reply:
    return Reply(
        status=status,
        body={"type": "error", "error": {"type": kind, "message": message}},
        headers=headers or {},
    )


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def anthropic_stream(pieces: list[str], *, error_type: str | None = None) -> Reply:
    chunks = [
        _sse(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_test",
                    "type": "message",
                    "role": "assistant",
                    "content": [],
                    "model": "claude-test",
                    "usage": {"input_tokens": 15, "output_tokens": 1},
                },
            },
        ),
        _sse(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        _sse("ping", {"type": "ping"}),
    ]
    for p in pieces:
        chunks.append(
            _sse(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": p},
                },
            )
        )
    if error_type is not None:
        chunks.append(
            _sse("error", {"type": "error", "error": {"type": error_type, "message": "Overloaded"}})
        )
        return Reply(chunks=chunks, media_type="text/event-stream")
    chunks += [
        _sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
        _sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 9},
            },
        ),
        _sse("message_stop", {"type": "message_stop"}),
    ]
    return Reply(chunks=chunks, media_type="text/event-stream")


# -- Ollama /api/chat ---------------------------------------------------------------------


def ollama_ok(content: str, *, prompt_eval_count: int = 30, eval_count: int = 12) -> Reply:
    return Reply(
        body={
            "model": "llama3.2:3b",
            "created_at": "2026-11-27T12:00:00Z",
            "message": {"role": "assistant", "content": content},
            "done": True,
            "done_reason": "stop",
            "total_duration": 250_000_000,  # nanoseconds
            "load_duration": 1_000_000,
            "prompt_eval_count": prompt_eval_count,
            "prompt_eval_duration": 50_000_000,
            "eval_count": eval_count,
            "eval_duration": 190_000_000,
        }
    )


def ollama_stream(pieces: list[str], *, error: str | None = None) -> Reply:
    lines = [
        json.dumps(
            {"model": "llama3.2:3b", "message": {"role": "assistant", "content": p}, "done": False}
        )
        + "\n"
        for p in pieces
    ]
    if error is not None:
        lines.append(json.dumps({"error": error}) + "\n")
    else:
        lines.append(
            json.dumps(
                {
                    "model": "llama3.2:3b",
                    "message": {"role": "assistant", "content": ""},
                    "done": True,
                    "done_reason": "stop",
                    "total_duration": 120_000_000,
                    "prompt_eval_count": 14,
                    "eval_count": len(pieces),
                }
            )
            + "\n"
        )
    return Reply(chunks=lines, media_type="application/x-ndjson")


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def fake_servers() -> Iterator[dict[Flavor, FakeServer]]:
    servers: dict[Flavor, FakeServer] = {
        flavor: FakeServer(flavor).start() for flavor in ("openai", "anthropic", "ollama")
    }
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def fakes(fake_servers: dict[Flavor, FakeServer]) -> Iterator[dict[Flavor, FakeServer]]:
    """The session's fake servers, with empty scripts for this test."""
    for server in fake_servers.values():
        server.reset()
    yield fake_servers
    for server in fake_servers.values():
        server.reset()
