"""The OpenAPI document, completed with the answers every operation can give.

FastAPI documents what a route declares; the app's edge adds answers of its own
(422 for a NUL in any parameter, 413 for a large body, 503 while the database is
away, 500 with a request id). Those are added here to every operation they can
come from, each as `application/problem+json`, with the X-Request-ID header on
every response, so generated clients and property tests see the real contract.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from automechanica.api.access import OPTIONAL_SCHEME, bearer
from automechanica.api.problems import MEDIA_TYPE, Problem

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
REQUEST_ID = {
    "description": "this request's id; quoted in error bodies and in the server's log",
    "required": True,
    "schema": {"type": "string"},
}
RETRY_AFTER = {
    "description": "seconds to wait before trying again",
    "required": True,
    "schema": {"type": "integer"},
}
DESCRIPTIONS = {
    "400": "The body is not JSON (or not UTF-8)",
    "401": "Not signed in, or the token is expired",
    "403": "The account's role does not allow this",
    "404": "Not found",
    "413": "The request body is larger than the limit (1 MiB)",
    "414": "The query string is longer than the limit (4 KiB)",
    "422": "A parameter or the body is not valid",
    "429": "Too many requests from this client; see Retry-After",
    "500": "Unexpected error; the body names the request id",
    "503": "The database is unavailable; see Retry-After",
}
#: Operations that never touch the database.
NO_DATABASE = {"/api/health"}
#: The edge refuses a NUL in any path or query parameter (PostgreSQL cannot store one).
NO_NUL = "^[^\x00]*$"


def _no_nul(schema: dict[str, Any]) -> None:
    """Say so in every string parameter's schema that has no pattern of its own."""
    if schema.get("type") == "string":
        schema.setdefault("pattern", NO_NUL)
    for option in schema.get("anyOf", ()):
        _no_nul(option)


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            complete(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(schema: dict[str, Any]) -> None:
    """Add the edge's answers, make every error a problem, put X-Request-ID everywhere."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            _distinct_requirements(operation)
            _complete_operation(path, operation)
            _optional_sign_in(operation)
    schemes = schema["components"].setdefault("securitySchemes", {})
    optional = schemes.pop(OPTIONAL_SCHEME, None)
    if optional is not None:
        schemes.setdefault("HTTPBearer", {**optional, "description": bearer.model.description})
    schemes.setdefault("HTTPBearer", bearer.model.model_dump(by_alias=True, exclude_none=True))
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in components and unused not in str(schema.get("paths")):
            del components[unused]


def _distinct_requirements(operation: dict[str, Any]) -> None:
    """Each security requirement once: a console route's class and a dependency on the
    same route (`OperatorAccess`, for the caller's identity) both declare the bearer."""
    security = operation.get("security")
    if security:
        operation["security"] = [r for i, r in enumerate(security) if r not in security[:i]]


def _optional_sign_in(operation: dict[str, Any]) -> None:
    """A route guests may call: 'a bearer token, or none' (an empty requirement)."""
    security = operation.get("security", [])
    if not any(OPTIONAL_SCHEME in requirement for requirement in security):
        return
    required = [r for r in security if OPTIONAL_SCHEME not in r]
    operation["security"] = required or [{}, {"HTTPBearer": []}]


def _complete_operation(path: str, operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", ()):
        _no_nul(parameter.get("schema", {}))
    responses: dict[str, Any] = operation.setdefault("responses", {})
    codes = {"414", "422", "500"}
    if path not in NO_DATABASE:
        codes.add("503")
    if "requestBody" in operation:
        codes |= {"400", "413"}
    if any(p.get("in") == "path" for p in operation.get("parameters", ())):
        codes.add("404")
    if operation.get("security"):
        codes |= {"401", "403"}
    for code in codes:
        responses.setdefault(code, {"description": DESCRIPTIONS[code]})
    for code, response in responses.items():
        headers = response.setdefault("headers", {})
        headers["X-Request-ID"] = REQUEST_ID
        if not code.isdigit() or int(code) < 400:
            continue
        response["content"] = {MEDIA_TYPE: {"schema": PROBLEM_REF}}
        if code in {"429", "503"}:
            headers["Retry-After"] = RETRY_AFTER
