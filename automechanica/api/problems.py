"""Errors as RFC 9457 problem details (`application/problem+json`).

Every error the API answers has the same shape: `type` (a URN naming the kind of
problem), `title`, `status`, `detail` (what to do), `instance` (the path) and
`request_id` (the X-Request-ID of the response, also in the log line of a 500).
Validation errors add `errors`, each with its location and message and never the
whole input; a 429 or 503 adds `retry_after`. Which status an error gets is decided
here and nowhere else.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.routing import Match

from automechanica.errors import (
    AuthenticationError,
    AutoMechanicaError,
    ConflictError,
    DatabaseError,
    FitmentTextError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    VinError,
)
from automechanica.orchestrator import PolicyError, UnknownWorkflowError

log = logging.getLogger("automechanica.api")

MEDIA_TYPE = "application/problem+json"
#: Validation errors listed in one problem, and characters of an input echoed back.
MAX_ERRORS = 20
MAX_ECHO = 80

#: Domain errors and their statuses (the first class in an error's MRO wins).
STATUS: dict[type[AutoMechanicaError], int] = {
    NotFoundError: 404,
    VinError: 422,
    FitmentTextError: 422,
    InvalidInputError: 422,
    ConflictError: 409,
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    RateLimitedError: 429,
    DatabaseError: 503,
    UnknownWorkflowError: 404,
    PolicyError: 422,
}


class FieldError(BaseModel):
    """One reason a request was not valid."""

    loc: list[str | int] = Field(description="where: ['query', 'q'], ['body', 'make']")
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem: what went wrong and what to do about it."""

    type: str = Field(description="URN of the kind of problem, e.g. urn:automechanica:not-found")
    title: str
    status: int
    detail: str
    instance: str | None = Field(default=None, description="the request's path")
    request_id: str | None = Field(default=None, description="the X-Request-ID header")
    errors: list[FieldError] | None = Field(default=None, description="validation errors")
    retry_after: int | None = Field(default=None, description="seconds; also in Retry-After")


def slug(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")
    except ValueError:
        return "error"


def problem(
    request_id: str | None,
    status: int,
    detail: str,
    *,
    path: str | None = None,
    kind: str | None = None,
    title: str | None = None,
    errors: Sequence[FieldError] | None = None,
    retry_after: int | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    body = Problem(
        type=f"urn:automechanica:{kind or slug(status)}",
        title=title or _phrase(status),
        status=status,
        detail=detail,
        instance=path,
        request_id=request_id,
        errors=list(errors) if errors is not None else None,
        retry_after=retry_after,
    )
    all_headers = dict(headers or {})
    if retry_after is not None:
        all_headers["Retry-After"] = str(retry_after)
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status,
        headers=all_headers,
        media_type=MEDIA_TYPE,
    )


def request_id_of(request: Request) -> str | None:
    found = request.scope.get("state", {}).get("request_id")
    return str(found) if found else None


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= MAX_ECHO else text[:MAX_ECHO] + f"… ({len(text)} characters)"


def field_errors(errors: Sequence[Any]) -> list[FieldError]:
    """Pydantic's errors without their inputs (which may be megabytes), messages shortened."""
    out = []
    for error in list(errors)[:MAX_ERRORS]:
        loc = [p if isinstance(p, int) else _short(p) for p in error.get("loc", ())]
        out.append(
            FieldError(loc=loc, msg=_short(error.get("msg", "invalid")), type=error.get("type", ""))
        )
    return out


def install(app: FastAPI, *, retry_after: int) -> None:
    """Answer every error the app raises as a problem."""

    @app.exception_handler(AutoMechanicaError)
    async def domain_error(request: Request, exc: AutoMechanicaError) -> JSONResponse:
        status = next((STATUS[c] for c in type(exc).__mro__ if c in STATUS), 500)
        headers: dict[str, str] = {}
        if isinstance(exc, AuthenticationError):
            headers["WWW-Authenticate"] = 'Bearer realm="automechanica"'
        wait = getattr(exc, "retry_after", None)
        if status == 503:
            wait = retry_after
        if status == 500:
            return internal_error(request, exc)
        return problem(
            request_id_of(request),
            status,
            exc.message,
            path=request.url.path,
            kind="database-unavailable"
            if status == 503
            else _kebab(type(exc).__name__.removesuffix("Error")),
            errors=_domain_errors(exc),
            retry_after=wait if isinstance(wait, int) else None,
            headers=headers,
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        status = exc.status_code
        detail = exc.detail if isinstance(exc.detail, str) else _phrase(status)
        headers = dict(exc.headers or {})
        wait = headers.pop("Retry-After", None)
        if status in (404, 405):
            status, detail = _not_found_or_not_allowed(request, status, detail, headers)
        return problem(
            request_id_of(request),
            status,
            detail,
            path=request.url.path,
            retry_after=int(wait) if wait is not None else None,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = field_errors(exc.errors())
        first = errors[0] if errors else None
        where = ".".join(str(p) for p in first.loc[1:]) if first else ""
        detail = f"{where}: {first.msg}" if first and where else "The request is not valid."
        if len(exc.errors()) > 1:
            detail += f" (and {len(exc.errors()) - 1} more)"
        return problem(
            request_id_of(request),
            422,
            detail,
            path=request.url.path,
            kind="validation-error",
            title="The request is not valid",
            errors=errors,
        )

    @app.exception_handler(psycopg.OperationalError)
    async def database_unavailable(request: Request, exc: psycopg.OperationalError) -> JSONResponse:
        # Includes psycopg_pool.PoolTimeout: no connection came within the timeout.
        log.warning(
            "database unavailable (request %s): %s: %s",
            request_id_of(request),
            type(exc).__name__,
            exc,
        )
        return problem(
            request_id_of(request),
            503,
            "The catalog database is unavailable; try again shortly.",
            path=request.url.path,
            kind="database-unavailable",
            retry_after=retry_after,
        )

    @app.exception_handler(psycopg.DataError)
    async def unusable_value(request: Request, exc: psycopg.DataError) -> JSONResponse:
        # A value the routes' validation let through but PostgreSQL cannot take (a NUL
        # in a field owned by another package's model, a number out of a column's range).
        log.info("value refused by the database (request %s): %s", request_id_of(request), exc)
        return problem(
            request_id_of(request),
            422,
            "A value in the request cannot be used (out of range, or a NUL character).",
            path=request.url.path,
            kind="validation-error",
            title="The request is not valid",
        )


def _not_found_or_not_allowed(
    request: Request, status: int, detail: str, headers: dict[str, str]
) -> tuple[int, str]:
    """404 or 405 by what the API serves at the path (the web shop's catch-all GET
    would otherwise turn a wrong method into a 404, and a missing path into a 405)."""
    allowed = allowed_methods(request)
    if not allowed:
        return 404, detail if status == 404 else _phrase(404)
    if request.method not in allowed:
        headers["Allow"] = ", ".join(allowed)
        return 405, _phrase(405)
    return status, detail


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first
    route's, which is wrong where two routes share a path). Routes outside the schema
    (the web shop's catch-all GET) do not count."""
    routes = [r for r in request.app.router.routes if getattr(r, "include_in_schema", True)]
    return [
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(r.matches({**request.scope, "method": method})[0] == Match.FULL for r in routes)
    ]


def internal_error(request: Request, exc: BaseException) -> JSONResponse:
    """500 with the request id; the traceback goes to the log under the same id."""
    rid = request_id_of(request)
    log.error("unexpected error (request %s)", rid, exc_info=exc)
    return problem(
        rid,
        500,
        f"Something went wrong on our side; quote request id {rid} when reporting it.",
        path=request.url.path,
    )


def _kebab(name: str) -> str:
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-") or "error"


def _domain_errors(exc: AutoMechanicaError) -> list[FieldError] | None:
    if isinstance(exc, VinError):
        return [FieldError(loc=["path", "vin"], msg=_short(exc.reason), type="vin")]
    return None
