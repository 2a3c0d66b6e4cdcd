"""The FastAPI application factory: one pool, the routers, errors as HTTP statuses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from automechanica import __version__
from automechanica.api.deps import QueryVectors
from automechanica.api.routes import admin_queue, health, parts, vehicles
from automechanica.config import Settings
from automechanica.db.connection import open_pool
from automechanica.errors import (
    AutoMechanicaError,
    ConfigurationError,
    NotFoundError,
    VinError,
)
from automechanica.memory import Embedder
from automechanica.memory.configure import embedder_from_settings

_STATUS = {NotFoundError: 404, VinError: 422}


def create_app(
    database_url: str,
    *,
    pool_min_size: int = 2,
    pool_max_size: int = 10,
    embedder: Embedder | None = None,
) -> FastAPI:
    """The API for the database at `database_url` (already migrated). With `embedder`,
    part search is hybrid (text + vectors of that model); without, text only."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await open_pool(
            database_url, min_size=pool_min_size, max_size=pool_max_size
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(
        title="AutoMechanica",
        version=__version__,
        description="Auto-parts store API: vehicles, VINs, part search, fitment with evidence.",
        lifespan=lifespan,
    )
    app.state.query_vectors = QueryVectors(embedder) if embedder is not None else None

    @app.exception_handler(AutoMechanicaError)
    async def explain(request: Request, exc: AutoMechanicaError) -> JSONResponse:
        status = next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 500)
        return JSONResponse({"detail": exc.message, "error": type(exc).__name__}, status)

    for module in (health, vehicles, parts, admin_queue):
        app.include_router(module.router)
    return app


def create_app_from_settings() -> FastAPI:
    """Factory for `uvicorn --factory`: the database comes from AUTOMECHANICA_DATABASE_URL."""
    settings = Settings()
    if not settings.database_url:
        raise ConfigurationError(
            "AUTOMECHANICA_DATABASE_URL is not set; start the store with `automechanica up`, "
            "which provides the embedded database."
        )
    return create_app(
        settings.database_url,
        pool_min_size=settings.pool_min_size,
        pool_max_size=settings.pool_max_size,
        embedder=embedder_from_settings(settings),  # loads on the first query
    )
