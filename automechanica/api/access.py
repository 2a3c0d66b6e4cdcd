"""Who is calling, and whether their role allows it: the one place access is decided.

Routers declare what they need with `SignedIn`, `OperatorAccess` or `AdminAccess`
(or `dependencies=[...]` on a whole router); a bearer token that is forged,
expired, signed with another algorithm or names an ended session is a 401, a
signed-in caller without the role a 403. Public routes do not read tokens at all.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from automechanica.accounts import Principal, Role, Sessions
from automechanica.api.deps import Conn
from automechanica.errors import AuthenticationError, PermissionDeniedError

bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="An access token from POST /api/auth/login or /api/auth/refresh.",
)
#: The same token on routes guests may call too (a cart, a support chat); the OpenAPI
#: document lists these as "bearer or nothing" (api/openapi.py).
OPTIONAL_SCHEME = "OptionalBearer"
optional_bearer = HTTPBearer(
    auto_error=False,
    scheme_name=OPTIONAL_SCHEME,
    bearerFormat="JWT",
    description="Optional: an access token makes the call the signed-in customer's.",
)


def sessions(request: Request) -> Sessions:
    found: Sessions = request.app.state.sessions
    return found


async def caller(
    request: Request,
    conn: Conn,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(optional_bearer)],
) -> Principal | None:
    """The signed-in caller, None when no token came; 401 when a token came and is bad."""
    if credentials is None:
        return None
    return await sessions(request).authenticate(conn, credentials.credentials)


async def _token_holder(
    request: Request,
    conn: Conn,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal | None:
    """As `caller`, for routes that require a role (their token is not optional)."""
    if credentials is None:
        return None
    return await sessions(request).authenticate(conn, credentials.credentials)


Caller = Annotated[Principal | None, Depends(caller)]
_TokenHolder = Annotated[Principal | None, Depends(_token_holder)]


def _require(role: Role) -> Callable[[Principal | None], Awaitable[Principal]]:
    async def require(who: _TokenHolder) -> Principal:
        if who is None:
            raise AuthenticationError("Sign in first: send `Authorization: Bearer <access token>`.")
        if not who.role.includes(role):
            raise PermissionDeniedError(role.value)
        return who

    require.__name__ = f"require_{role.value}"
    return require


require_customer = _require(Role.customer)
require_operator = _require(Role.operator)
require_admin = _require(Role.admin)

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
