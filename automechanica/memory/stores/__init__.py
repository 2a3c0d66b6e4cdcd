"""Vector stores behind one interface: pgvector (default) and Qdrant (by configuration)."""

from automechanica.memory.stores.base import Filters, Hit, Point, VectorStore

__all__ = ["Filters", "Hit", "Point", "VectorStore"]
