"""The edge of every request: its id, its size, its headers, and the last-resort 500.

One pure ASGI middleware, outermost in the app, so that even a 413 it answers
itself or a 500 from an unexpected exception carries the request id and the
security headers. It reads nothing it does not have to: a body announced larger
than the limit is refused before a byte of it is read, and a body streamed
without a length is counted as it arrives and cut off at the limit.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from automechanica.api import problems
from automechanica.api.policy import ApiPolicy

#: An X-Request-ID a client or proxy sent is kept when it looks like an id.
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

#: For JSON: nothing may load, nothing may frame it.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#: For the API docs page: scripts and styles from this server only (no CDN, no inline
#: script); inline styles are allowed because Swagger UI sets some.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


class RequestEdge:
    """Request id, limits, security headers, and the 500 of last resort."""

    def __init__(self, app: ASGIApp, policy: ApiPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        csp = DOCS_CSP if _is_docs(scope["path"]) else API_CSP
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                headers.setdefault("Content-Security-Policy", csp)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        refusal = self._refuse(scope)
        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
            return
        await self._run(scope, receive, send_with_headers, lambda: started)

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, started: Callable[[], bool]
    ) -> None:
        """The app, with the body counted; an exception before the response is a problem."""
        limit = self.policy.body_limit(scope["path"])
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, counted, send)
        except BodyTooLarge as exc:  # read outside a route (a middleware, a stream)
            if started():
                raise
            rid = scope["state"]["request_id"]
            response = problems.problem(rid, 413, str(exc.detail), path=scope["path"])
            await response(scope, receive, send)
        except Exception as exc:
            if started():
                raise
            await problems.internal_error(Request(scope), exc)(scope, receive, send)

    def _refuse(self, scope: Scope) -> Any:
        """A response for a request refused on its head alone, or None."""
        rid, path = scope["state"]["request_id"], scope["path"]
        query: bytes = scope.get("query_string", b"")
        if len(query) > self.policy.max_query_bytes:
            return problems.problem(
                rid,
                414,
                f"The query string is longer than {self.policy.max_query_bytes} bytes.",
                path=path,
            )
        if "\x00" in path:
            return _nul(rid, path, ["path"])
        if b"%00" in query or b"\x00" in query:
            names = [k for k, v in parse_qsl(query.decode("latin-1")) if "\x00" in k + v]
            return _nul(rid, path, ["query", names[0] if names else "?"])
        length = _content_length(scope)
        limit = self.policy.body_limit(path)
        if length is not None and length > limit:
            return problems.problem(
                rid, 413, f"The request body is larger than {limit} bytes.", path=path
            )
        return None


def _nul(rid: str, path: str, loc: list[str | int]) -> Any:
    where = ".".join(str(p) for p in loc[1:]) or "the path"
    message = "must not contain a NUL character (%00)"
    return problems.problem(
        rid,
        422,
        f"{where}: {message}",
        path=path,
        kind="validation-error",
        title="The request is not valid",
        errors=[problems.FieldError(loc=loc, msg=message, type="nul_character")],
    )


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text: str = value.decode("latin-1")
            if _INCOMING_ID.match(text):
                return text
    return uuid.uuid4().hex


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _is_docs(path: str) -> bool:
    return path == "/docs" or path.startswith("/docs/")
