"""Everything between the network and the routes, installed on the app in one call."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from automechanica.api import docs, openapi, problems
from automechanica.api.middleware import RequestEdge
from automechanica.api.policy import ApiPolicy
from automechanica.api.ratelimit import TokenBuckets


def protect(app: FastAPI, policy: ApiPolicy) -> None:
    """Problem+json errors, the docs page without a CDN, the completed OpenAPI document,
    CORS only for configured origins, and the request edge (ids, limits, headers)."""
    app.state.policy = policy
    app.state.search_buckets = TokenBuckets(policy.search_per_minute, policy.search_burst)
    problems.install(app, retry_after=policy.retry_after_seconds)
    docs.install(app)
    openapi.install(app)
    if policy.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(policy.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(RequestEdge, policy=policy)  # outermost: last added
