"""Request dependencies: a pooled database connection per request; the query embedder."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any

from fastapi import Depends, Request
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from automechanica.errors import AutoMechanicaError
from automechanica.memory import Embedder, embed_async

log = logging.getLogger("automechanica.api")


def pooled(request: Request) -> AbstractAsyncContextManager[AsyncConnection[Any]]:
    """A pooled connection; waiting longer than the policy's timeout raises PoolTimeout
    (an OperationalError), which the app answers with 503. The access check takes one
    this way, only when its cache cannot answer."""
    pool: AsyncConnectionPool[Any] = request.app.state.pool
    policy = getattr(request.app.state, "policy", None)
    timeout = policy.db_timeout_seconds if policy is not None else None
    return pool.connection(timeout=timeout)


async def connection(request: Request) -> AsyncIterator[AsyncConnection[Any]]:
    """A pooled connection for the request (see `pooled`)."""
    async with pooled(request) as conn:
        yield conn


Conn = Annotated[AsyncConnection[Any], Depends(connection)]


class QueryVectors:
    """Embeds search queries with memory's embedder, remembering recent ones.

    Shoppers repeat queries; a cached vector costs nothing, a new one a few
    milliseconds of CPU in a thread. When the model is unavailable (a remote provider
    down), search goes on with text alone: None.
    """

    def __init__(self, embedder: Embedder, *, cache_size: int = 2048) -> None:
        self.embedder = embedder
        self.cache_size = cache_size
        self._cache: OrderedDict[str, list[float]] = OrderedDict()

    @property
    def model(self) -> str:
        return self.embedder.model

    async def vector(self, text: str) -> list[float] | None:
        key = " ".join(text.lower().split())
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        try:
            (row,) = await embed_async(self.embedder, [key])
        except AutoMechanicaError as exc:
            log.warning("query embedding unavailable, searching text only: %s", exc.message)
            return None
        vector: list[float] = row.tolist()
        self._cache[key] = vector
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return vector


async def query_vectors(request: Request) -> QueryVectors | None:
    """The app's query embedder; None when the app was built without one (text search).

    Async although it awaits nothing: FastAPI runs a plain `def` dependency in a
    thread, which cost a quarter of the search endpoint's CPU.
    """
    found: QueryVectors | None = getattr(request.app.state, "query_vectors", None)
    return found


Vectors = Annotated[QueryVectors | None, Depends(query_vectors)]
