"""The edge of every request: its id, its size, its headers, and the last-resort 500.

One pure ASGI middleware, outermost in the app, so that even a 413 it answers
itself or a 500 from an unexpected exception carries the request id and the
security headers. It reads nothing it does not have to: a body announced larger
than the limit is refused before a byte of it is read, and a body streamed
without a length is counted as it arrives and cut off at the limit.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import parse_qsl

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


def _raw(headers: dict[str, str]) -> tuple[tuple[bytes, bytes], ...]:
    """Headers as ASGI carries them (lower-case names, latin-1), encoded once."""
    return tuple((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items())


#: Added to every response that does not set them itself.
_API_HEADERS = _raw({"Content-Security-Policy": API_CSP, **SECURITY_HEADERS})
_DOCS_HEADERS = _raw({"Content-Security-Policy": DOCS_CSP, **SECURITY_HEADERS})


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
        path: str = scope["path"]
        request_id, length = _id_and_length(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        id_header = (b"x-request-id", request_id.encode("latin-1"))
        defaults = _DOCS_HEADERS if _is_docs(path) else _API_HEADERS
        limit = self.policy.body_limit(path)
        started = False
        received = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                # One pass (this runs on every response): the id replaces any the app
                # set, the security headers fill in what the app did not set.
                headers = [h for h in message.get("headers", ()) if h[0] != b"x-request-id"]
                present = {name for name, _ in headers}
                headers.append(id_header)
                headers.extend(h for h in defaults if h[0] not in present)
                message["headers"] = headers
            await send(message)

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        refusal = self._refuse(scope, request_id, length, limit)
        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
            return
        # The app, with the body counted; an exception before the response is a problem.
        # (One coroutine, not two: this wraps every request.)
        try:
            await self.app(scope, counted, send_with_headers)
        except BodyTooLarge as exc:  # read outside a route (a middleware, a stream)
            if started:
                raise
            response = problems.problem(request_id, 413, str(exc.detail), path=path)
            await response(scope, receive, send_with_headers)
        except Exception as exc:
            if started:
                raise
            await problems.internal_error(Request(scope), exc)(scope, receive, send_with_headers)

    def _refuse(self, scope: Scope, rid: str, length: int | None, limit: int) -> Any:
        """A response for a request refused on its head alone, or None."""
        path = scope["path"]
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


def _id_and_length(scope: Scope) -> tuple[str, int | None]:
    """The request's id (the client's X-Request-ID when it looks like one, else a new
    one) and its announced Content-Length (None when absent or not a number)."""
    incoming: str | None = None
    length: int | None = None
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if incoming is None and _INCOMING_ID.match(text):
                incoming = text
        elif name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                length = None
    # as uuid4().hex, 128 random bits, without the object
    return incoming or secrets.token_hex(16), length


def _is_docs(path: str) -> bool:
    return path == "/docs" or path.startswith("/docs/")
