"""Vector memory: embedding models, embedding jobs, vector stores, search (DESIGN.md §1, §3).

    embedder = OnnxEmbedder.default()               # all-MiniLM-L6-v2, int8, offline
    store = PgVectorStore(pool)     # or stores.qdrant.QdrantStore.local() / .remote(url)
    memory = Memory(pool, embedder, store)
    await memory.add("support", "Customer says the 2014 Civic pads squeal", {"order": 42})
    await EmbeddingWorker(pool, embedder, store).drain()
    hits = await memory.search("support", "noisy brakes", k=5)

Rows of parts, agent events, fitment issues, document chunks and memory items get
an embedding job in the transaction that writes them (triggers of migration
0002); the embedding worker turns jobs into vectors. See docs/memory.md.

`QdrantStore` lives in `automechanica.memory.stores.qdrant`, imported only where it
is configured (qdrant-client takes most of a second to import).
"""

from automechanica.memory.embedders import (
    DEFAULT_MODEL,
    Embedder,
    OnnxEmbedder,
    OpenAIEmbedder,
    embed_async,
    make_embedder,
)
from automechanica.memory.errors import (
    DocumentError,
    EmbeddingError,
    EmbeddingInputError,
    EmbeddingUnavailableError,
    UnknownNamespaceError,
    VectorMemoryError,
)
from automechanica.memory.memory import Memory, MemoryHit
from automechanica.memory.sources import KINDS, Kind
from automechanica.memory.status import KindStatus, memory_status
from automechanica.memory.stores.base import Filters, Hit, Point, VectorStore
from automechanica.memory.stores.pgvector import PgVectorStore
from automechanica.memory.worker import EmbeddingReport, EmbeddingWorker, EmbeddingWorkerOptions

__all__ = [
    "DEFAULT_MODEL",
    "KINDS",
    "DocumentError",
    "Embedder",
    "EmbeddingError",
    "EmbeddingInputError",
    "EmbeddingReport",
    "EmbeddingUnavailableError",
    "EmbeddingWorker",
    "EmbeddingWorkerOptions",
    "Filters",
    "Hit",
    "Kind",
    "KindStatus",
    "Memory",
    "MemoryHit",
    "OnnxEmbedder",
    "OpenAIEmbedder",
    "PgVectorStore",
    "Point",
    "UnknownNamespaceError",
    "VectorMemoryError",
    "VectorStore",
    "embed_async",
    "make_embedder",
    "memory_status",
]
