"""What a fresh server's first shoppers would otherwise wait for, done as it starts.

Measured on the demo store (docs/benchmarks.md, storefront calls): the first search
with words loaded the local query model (0.8-3.4 s), the first search of all built
the search words (part types and every make and model, 0.1-0.7 s), and each new
pooled connection paid 15-30 ms on its first call of each kind
(catalog/storefront_warm.py). With `warm`, `create_app`'s startup does the first two
before the server answers, and the pool warms each connection it opens.
Nothing here caches an answer: prices, stock and fitment are read per request.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import psycopg
from fastapi import FastAPI
from psycopg import AsyncConnection

from automechanica.catalog.search_words import SearchWordsCache
from automechanica.catalog.storefront_warm import warm_connection
from automechanica.errors import AutoMechanicaError
from automechanica.memory import Embedder, OnnxEmbedder, embed_async

log = logging.getLogger("automechanica.api")


def connection_warmer(
    embedder: Embedder | None,
) -> Callable[[AsyncConnection[Any]], Awaitable[None]]:
    """The pool's `configure` hook: the storefront's statements, the hybrid ones for
    the query model's vectors when there is one."""
    if embedder is None:
        return warm_connection
    return partial(warm_connection, model=embedder.model, dimension=embedder.dimension)


def search_words(app: FastAPI) -> SearchWordsCache:
    """The app's part-type and vehicle words for reading queries (made on first use)."""
    cache: SearchWordsCache | None = getattr(app.state, "search_words", None)
    if cache is None:
        cache = app.state.search_words = SearchWordsCache()
    return cache


async def warm_app(app: FastAPI, embedder: Embedder | None) -> None:
    """Build the search words and load a local query model (a remote one is not called:
    that would be a paid request, and it has nothing to load). A failure is logged: the
    server starts, and the first search does the work as it did before."""
    try:
        async with app.state.pool.connection() as conn:
            await search_words(app).get(conn)
    except (psycopg.Error, AutoMechanicaError) as exc:
        log.warning("could not build the search words at startup: %s", exc)
    if isinstance(embedder, OnnxEmbedder):
        try:
            await embed_async(embedder, ["warm-up"])  # not through QueryVectors: no cache entry
        except Exception as exc:
            log.warning("could not load the query model at startup: %s", exc)
