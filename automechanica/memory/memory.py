"""The memory API agents use: add, search, similar.

    memory = Memory(pool, embedder, store)
    item_id = await memory.add("pricing-notes", "MAP raised on Bosch wipers", {"brand": "Bosch"})
    hits = await memory.search("events", "price held below MAP", k=5, filters={"outcome": "held"})
    like = await memory.similar("issue:42", k=5)

Namespaces `parts`, `events`, `issues` and `documents` search the catalog's parts,
agent decisions, fitment issues and supplier-document chunks (each embedded when
its row is written); any other name is a namespace of free-form `memory_items`
(added here). Writes are asynchronous: `add` stores the text and its embedding
job in one transaction, and the embedding worker makes it searchable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import tuple_row
from psycopg_pool import AsyncConnectionPool

from automechanica.memory.embedders import Embedder, embed_async
from automechanica.memory.errors import UnknownNamespaceError
from automechanica.memory.sources import Kind, source
from automechanica.memory.stores.base import Filters, Hit, VectorStore

#: Built-in namespaces and the kind of row each searches.
NAMESPACES: dict[str, Kind] = {
    "parts": "part",
    "events": "event",
    "issues": "issue",
    "documents": "document",
}
#: `similar("part:12")`: the prefix of a reference names its kind.
REF_PREFIXES: dict[str, Kind] = {
    "part": "part",
    "event": "event",
    "issue": "issue",
    "chunk": "document",
    "memory": "memory",
}

ADD = """
INSERT INTO memory_items (namespace, ref, content, metadata)
VALUES (%(namespace)s, %(ref)s, %(content)s, %(metadata)s::jsonb) RETURNING id
"""
# Served by memory_items_namespace_ref.
ITEM_BY_REF = "SELECT id FROM memory_items WHERE namespace = %(namespace)s AND ref = %(ref)s"
NAMESPACE_OF = "SELECT namespace FROM memory_items WHERE id = %(id)s"


@dataclass(frozen=True)
class MemoryHit:
    """One search result: what it is, how close, and its text."""

    kind: Kind
    id: int
    ref: str | None  # "part:12", "event:7", or a memory item's own ref
    score: float
    text: str
    metadata: dict[str, Any]


class Memory:
    """Vector memory over the database behind `pool`, searched in `store`."""

    def __init__(
        self, pool: AsyncConnectionPool[Any], embedder: Embedder, store: VectorStore
    ) -> None:
        self.pool = pool
        self.embedder = embedder
        self.store = store

    async def add(
        self,
        namespace: str,
        text: str,
        metadata: Mapping[str, Any] | None = None,
        ref: str | None = None,
        *,
        conn: AsyncConnection[Any] | None = None,
    ) -> int:
        """Remember `text` under `namespace`; searchable once the worker embedded it.

        With `conn`, the item (and its embedding job) is written in that connection's
        transaction, beside whatever the caller writes.
        """
        if namespace in NAMESPACES:
            raise UnknownNamespaceError(
                namespace,
                "this namespace is filled from its own table; add to another namespace",
            )
        if not text.strip():
            raise ValueError("memory text is empty")
        params = {
            "namespace": namespace,
            "ref": ref,
            "content": text,
            "metadata": json.dumps(dict(metadata or {})),
        }
        if conn is not None:
            return await _returning_id(conn, ADD, params)
        async with self.pool.connection() as own, own.transaction():
            return await _returning_id(own, ADD, params)

    async def search(
        self,
        namespace: str,
        query: str,
        k: int = 10,
        filters: Filters | None = None,
    ) -> list[MemoryHit]:
        """The `k` entries of `namespace` closest in meaning to `query` that match `filters`."""
        kind = NAMESPACES.get(namespace, "memory")
        wanted = dict(filters or {})
        if kind == "memory":
            wanted["namespace"] = namespace
        (vector,) = await embed_async(self.embedder, [query])
        hits = await self.store.search(kind, self.embedder.model, vector, k=k, filters=wanted)
        return await self._show(kind, hits)

    async def similar(
        self, ref: str, k: int = 10, *, namespace: str | None = None
    ) -> list[MemoryHit]:
        """The `k` entries most like `ref` (itself excluded), of the same kind.

        `ref` is `part:ID`, `event:ID`, `issue:ID`, `chunk:ID` or `memory:ID`, or, with
        `namespace`, a memory item's own ref in that namespace.
        """
        kind, item_id, filters = await self._resolve(ref, namespace)
        vector = await self.store.vector(kind, self.embedder.model, item_id)
        if vector is None:
            raise UnknownNamespaceError(
                ref,
                f"no {self.embedder.model} vector yet; is the embedding worker running "
                "(`automechanica worker --kinds embedding`)?",
            )
        hits = await self.store.search(
            kind, self.embedder.model, vector, k=k, filters=filters, exclude=item_id
        )
        return await self._show(kind, hits)

    async def _resolve(self, ref: str, namespace: str | None) -> tuple[Kind, int, dict[str, Any]]:
        async with self.pool.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            if namespace is not None:
                await cur.execute(ITEM_BY_REF, {"namespace": namespace, "ref": ref})
                row = await cur.fetchone()
                if row is None:
                    raise UnknownNamespaceError(
                        ref, f"no memory item with this ref in {namespace!r}"
                    )
                return "memory", int(row[0]), {"namespace": namespace}
            prefix, _, number = ref.partition(":")
            kind = REF_PREFIXES.get(prefix)
            if kind is None or not number.isdigit():
                raise UnknownNamespaceError(
                    ref,
                    "write part:ID, event:ID, issue:ID, chunk:ID or memory:ID, "
                    "or pass namespace= for a memory item's own ref",
                )
            if kind != "memory":
                return kind, int(number), {}
            await cur.execute(NAMESPACE_OF, {"id": int(number)})
            row = await cur.fetchone()
            if row is None:
                raise UnknownNamespaceError(ref, "no such memory item")
            return "memory", int(number), {"namespace": row[0]}

    async def _show(self, kind: Kind, hits: list[Hit]) -> list[MemoryHit]:
        """Hits with their text, in score order (rows deleted meanwhile are dropped)."""
        if not hits:
            return []
        async with self.pool.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            await cur.execute(sql.SQL(source(kind).show_sql), {"ids": [h.ref for h in hits]})
            rows = {int(r[0]): r for r in await cur.fetchall()}
        shown = []
        for hit in hits:
            row = rows.get(hit.ref)
            if row is not None:
                _, text, ref, extra = row
                shown.append(MemoryHit(kind, hit.ref, ref, hit.score, text, dict(extra or {})))
        return shown


async def _returning_id(conn: AsyncConnection[Any], statement: str, params: dict[str, Any]) -> int:
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(statement, params)
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])
