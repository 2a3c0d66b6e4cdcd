"""The embedder and store the settings name, built for the entry points (CLI, API).

Everything else in memory receives its embedder and store as arguments; only the
entry points, which read Settings, call these.
"""

from __future__ import annotations

from typing import Any

from psycopg_pool import AsyncConnectionPool

from automechanica.config import Settings
from automechanica.errors import ConfigurationError
from automechanica.memory.embedders import Embedder, make_embedder
from automechanica.memory.stores.base import VectorStore
from automechanica.memory.stores.pgvector import PgVectorStore


def embedder_from_settings(settings: Settings) -> Embedder:
    """The configured model. The openai provider falls back to the LLM router's OpenAI
    URL and key (AUTOMECHANICA_OPENAI_BASE_URL / _API_KEY) when the embedding ones are
    unset, so one provider configuration serves both."""
    router_key = getattr(settings, "openai_api_key", None)
    key = settings.embedding_api_key or (
        router_key.get_secret_value() if router_key is not None else None
    )
    return make_embedder(
        settings.embedding_provider,
        model=settings.embedding_model,
        base_url=settings.embedding_base_url or getattr(settings, "openai_base_url", None),
        api_key=key,
        dimension=settings.embedding_dimension,
    )


def store_from_settings(settings: Settings, pool: AsyncConnectionPool[Any]) -> VectorStore:
    """pgvector (default) or Qdrant: a server at AUTOMECHANICA_QDRANT_URL, else in-process
    under the data folder."""
    if settings.vector_store == "pgvector":
        return PgVectorStore(pool, ef_search=settings.hnsw_ef_search)
    if settings.vector_store == "qdrant":
        from automechanica.memory.stores.qdrant import QdrantStore  # a slow import: on demand

        if settings.qdrant_url:
            return QdrantStore.remote(settings.qdrant_url, settings.qdrant_api_key)
        return QdrantStore.local(str(settings.data_dir / "qdrant"))
    raise ConfigurationError(
        f"AUTOMECHANICA_VECTOR_STORE={settings.vector_store!r}: use pgvector or qdrant"
    )
