"""Who is calling, and whether their role allows it: the one place access is decided.

Routers declare what they need with `SignedIn`, `OperatorAccess` or `AdminAccess`
(or `dependencies=[...]` on a whole router); a bearer token that is forged,
expired, signed with another algorithm or names an ended session is a 401, a
signed-in caller without the role a 403. Public routes do not read tokens at all.

Each check is one FastAPI dependency (a security scheme, so the OpenAPI document
still says "bearer"): it reads the header, asks the process's cache of active
sessions, and takes a pooled connection only when the cache cannot answer
(accounts/active.py). Three chained dependencies cost ~50 µs a request.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security import HTTPBearer
from fastapi.security.base import SecurityBase

from automechanica.accounts import Principal, Role, Sessions
from automechanica.api.deps import pooled
from automechanica.errors import AuthenticationError, PermissionDeniedError

BEARER_DESCRIPTION = "An access token from POST /api/auth/login or /api/auth/refresh."
#: The scheme as the OpenAPI document names it (api/openapi.py reads its description).
bearer = HTTPBearer(auto_error=False, bearerFormat="JWT", description=BEARER_DESCRIPTION)
#: The same token on routes guests may call too (a cart, a support chat); the OpenAPI
#: document lists these as "bearer or nothing" (api/openapi.py).
OPTIONAL_SCHEME = "OptionalBearer"
OPTIONAL_DESCRIPTION = "Optional: an access token makes the call the signed-in customer's."


def sessions(request: Request) -> Sessions:
    found: Sessions = request.app.state.sessions
    return found


def _token(request: Request) -> str | None:
    """The bearer token, None when no `Authorization: Bearer <token>` came (as HTTPBearer)."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if not token or scheme.lower() != "bearer":
        return None
    return token


async def _principal(request: Request, token: str) -> Principal:
    """The token's principal: from the cache when it knows the session, else the database."""
    found = sessions(request)
    who = found.known(token)
    if who is None:
        async with pooled(request) as conn:
            who = await found.authenticate(conn, token)
    return who


class _Optional(SecurityBase):
    """The signed-in caller, None when no token came; 401 when a token came and is bad."""

    def __init__(self) -> None:
        self.model = HTTPBearerModel(bearerFormat="JWT", description=OPTIONAL_DESCRIPTION)
        self.scheme_name = OPTIONAL_SCHEME

    async def __call__(self, request: Request) -> Principal | None:
        token = _token(request)
        return None if token is None else await _principal(request, token)


class _Require(SecurityBase):
    """A caller signed in with at least `role`: 401 without a usable token, 403 without
    the role."""

    def __init__(self, role: Role) -> None:
        self.role = role
        self.model = bearer.model
        self.scheme_name = bearer.scheme_name

    async def __call__(self, request: Request) -> Principal:
        token = _token(request)
        if token is None:
            raise AuthenticationError("Sign in first: send `Authorization: Bearer <access token>`.")
        who = await _principal(request, token)
        if not who.role.includes(self.role):
            raise PermissionDeniedError(self.role.value)
        return who


caller = _Optional()
require_customer = _Require(Role.customer)
require_operator = _Require(Role.operator)
require_admin = _Require(Role.admin)

Caller = Annotated[Principal | None, Depends(caller)]
SignedIn = Annotated[Principal, Depends(require_customer)]
OperatorAccess = Annotated[Principal, Depends(require_operator)]
AdminAccess = Annotated[Principal, Depends(require_admin)]


def client_ip(request: Request) -> str:
    """The caller's address as the socket sees it (uvicorn rewrites it from
    X-Forwarded-For only for proxies listed in --forwarded-allow-ips). A client that is
    no IP address (a Unix socket, a test client) counts as 0.0.0.0."""
    host = request.client.host if request.client else ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return "0.0.0.0"
