"""Who is calling, and whether their role allows it: the one place access is decided.

A console router declares its role once, as its route class (`OperatorRoute`,
`AdminRoute`); a route needing more, or the caller's identity, adds `OperatorAccess`
or `AdminAccess`; a shopper's route `SignedIn` or `Caller`. A bearer token that is
forged, expired, signed with another algorithm or names an ended session is a 401, a
signed-in caller without the role a 403. Public routes do not read tokens at all.

The check reads the header, asks the process's cache of active sessions, and takes a
pooled connection only when the cache cannot answer (accounts/active.py). On a console
route it runs before FastAPI reads the body or solves the route's parameters: as a
dependency it cost ~13 µs of FastAPI's own work a request, about 3% of the cheapest
console endpoint (docs/benchmarks.md); the dependencies below answer from the
principal the route found.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import Annotated, Any, ClassVar

from fastapi import Depends, FastAPI, Request, Response
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from fastapi.security.base import SecurityBase
from starlette.routing import BaseRoute

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
#: Where a console route leaves the principal it checked, for the dependencies below.
PRINCIPAL_KEY = "automechanica.principal"


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


async def _allowed(request: Request, role: Role) -> Principal:
    """The caller, signed in with at least `role`: 401 without a usable token, 403
    without the role."""
    who: Principal | None = request.scope.get(PRINCIPAL_KEY)
    if who is None:
        token = _token(request)
        if token is None:
            raise AuthenticationError("Sign in first: send `Authorization: Bearer <access token>`.")
        who = await _principal(request, token)
    if not who.role.includes(role):
        raise PermissionDeniedError(role.value)
    return who


class _Require(SecurityBase):
    """A dependency: the caller signed in with at least `role`."""

    def __init__(self, role: Role) -> None:
        self.role = role
        self.model = bearer.model
        self.scheme_name = bearer.scheme_name

    async def __call__(self, request: Request) -> Principal:
        return await _allowed(request, self.role)


class _CheckedRoute(APIRoute):
    """A route whose every caller needs `needs`, checked before anything else of the
    request is read; the OpenAPI document says "bearer" as for the dependencies."""

    needs: ClassVar[Role]

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        extra = kwargs.get("openapi_extra") or {}
        kwargs["openapi_extra"] = {"security": [{bearer.scheme_name: []}], **extra}
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        role = self.needs

        async def checked(request: Request) -> Response:
            request.scope[PRINCIPAL_KEY] = await _allowed(request, role)
            return await handler(request)

        return checked


class OperatorRoute(_CheckedRoute):
    """The console's routes: operators and admins."""

    needs = Role.operator


class AdminRoute(_CheckedRoute):
    """Account administration: admins only."""

    needs = Role.admin


CONSOLE_PREFIX = "/api/admin"


def refuse_unguarded_console(app: FastAPI) -> None:
    """Stop at start-up when a console route would answer without a role check (a
    router added without `route_class`): an open door is found before it opens."""
    for route in _api_routes(app.routes):
        if route.path.startswith(CONSOLE_PREFIX) and not isinstance(route, _CheckedRoute):
            raise RuntimeError(
                f"{route.path} is a console route without an access check: give its "
                "router route_class=OperatorRoute or AdminRoute (api/access.py)."
            )


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI ≥ 0.130 includes lazily
        if included is not None:
            yield from _api_routes(included.routes)
        elif isinstance(route, APIRoute):
            yield route


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
