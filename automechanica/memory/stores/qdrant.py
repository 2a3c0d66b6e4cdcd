"""Qdrant: the same store interface on a Qdrant server, or in-process for tests.

One collection per kind and model (`automechanica_part__all-minilm-l6-v2-onnx-int8`),
cosine distance, created on first write; so two models' vectors can never meet in
one search. A point's id is its source row's id; its payload holds the filterable
fields plus `_content_hash` and `_job_id`. Writes are not part of the database
transaction: the worker writes the vectors first, then completes the jobs, so a
crash in between only repeats an idempotent upsert. As in pgvector, an older job
never replaces a newer job's vector: the stored job ids are read before the write
(two writers racing between that read and the write can still reorder; pgvector
checks in the statement itself).

`QdrantStore.local()` runs qdrant-client's in-process mode: a brute-force test
double (it warns above 20,000 points), right for correctness, not for speed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from psycopg import AsyncConnection
from qdrant_client import AsyncQdrantClient, models

from automechanica.memory.sources import Kind
from automechanica.memory.stores.base import Filters, Hit, Point

HASH_KEY = "_content_hash"
JOB_KEY = "_job_id"
_PRIVATE = (HASH_KEY, JOB_KEY)


def collection_name(prefix: str, kind: Kind, model: str) -> str:
    """`{prefix}{kind}__{model}`, lower-case, punctuation folded to dashes."""
    return f"{prefix}{kind}__" + re.sub(r"[^a-z0-9_.-]+", "-", model.lower())


def to_filter(filters: Filters | None, exclude: int | None = None) -> models.Filter | None:
    """Payload equality (`MatchValue`) or any-of (`MatchAny`) per key."""
    must: list[models.Condition] = []
    for key, value in (filters or {}).items():
        if isinstance(value, (list, tuple, set, frozenset)):
            must.append(models.FieldCondition(key=key, match=models.MatchAny(any=list(value))))
        else:
            must.append(models.FieldCondition(key=key, match=models.MatchValue(value=value)))
    must_not: list[models.Condition] = []
    if exclude is not None:
        must_not.append(models.HasIdCondition(has_id=[exclude]))
    if not must and not must_not:
        return None
    return models.Filter(must=must or None, must_not=must_not or None)


class QdrantStore:
    """Vectors in Qdrant collections named after kind and model."""

    name = "qdrant"
    transactional = False

    def __init__(self, client: AsyncQdrantClient, *, prefix: str = "automechanica_") -> None:
        self.client = client
        self.prefix = prefix
        self._known: set[str] = set()

    @classmethod
    def local(cls, path: str | None = None) -> QdrantStore:
        """In-process Qdrant: in memory, or persisted under `path`."""
        client = AsyncQdrantClient(path=path) if path else AsyncQdrantClient(location=":memory:")
        return cls(client)

    @classmethod
    def remote(cls, url: str, api_key: str | None = None) -> QdrantStore:
        return cls(AsyncQdrantClient(url=url, api_key=api_key))

    async def close(self) -> None:
        await self.client.close()

    def _collection(self, kind: Kind, model: str) -> str:
        return collection_name(self.prefix, kind, model)

    async def _exists(self, name: str) -> bool:
        if name in self._known:
            return True
        if await self.client.collection_exists(name):
            self._known.add(name)
            return True
        return False

    async def upsert(
        self,
        kind: Kind,
        model: str,
        points: Sequence[Point],
        *,
        conn: AsyncConnection[Any] | None = None,
    ) -> int:
        if not points:
            return 0
        name = self._collection(kind, model)
        if not await self._exists(name):
            size = int(np.asarray(points[0].vector).shape[0])
            await self.client.create_collection(
                name, vectors_config=models.VectorParams(size=size, distance=models.Distance.COSINE)
            )
            self._known.add(name)
        else:
            points = await self._not_older(name, points)
            if not points:
                return 0
        await self.client.upsert(
            name,
            points=[
                models.PointStruct(
                    id=p.ref,
                    vector=np.asarray(p.vector, dtype=np.float32).tolist(),
                    payload={**p.payload, HASH_KEY: p.content_hash, JOB_KEY: p.job_id},
                )
                for p in points
            ],
            wait=True,
        )
        return len(points)

    async def _not_older(self, name: str, points: Sequence[Point]) -> list[Point]:
        """The points whose job is not older than the one that wrote the stored vector."""
        jobbed = [p.ref for p in points if p.job_id is not None]
        stored: dict[int, int] = {}
        if jobbed:
            found = await self.client.retrieve(name, ids=jobbed, with_payload=[JOB_KEY])
            for record in found:
                job = (record.payload or {}).get(JOB_KEY)
                if job is not None:
                    stored[int(record.id)] = int(job)
        return [
            p
            for p in points
            if p.job_id is None or p.ref not in stored or stored[p.ref] <= p.job_id
        ]

    async def search(
        self,
        kind: Kind,
        model: str,
        vector: npt.NDArray[np.float32],
        *,
        k: int = 10,
        filters: Filters | None = None,
        exclude: int | None = None,
    ) -> list[Hit]:
        name = self._collection(kind, model)
        if not await self._exists(name):
            return []
        response = await self.client.query_points(
            name,
            query=np.asarray(vector, dtype=np.float32).tolist(),
            query_filter=to_filter(filters, exclude),
            limit=k,
            with_payload=True,
        )
        return [Hit(int(p.id), float(p.score), _public(p.payload or {})) for p in response.points]

    async def content_hashes(self, kind: Kind, model: str, refs: Sequence[int]) -> dict[int, str]:
        name = self._collection(kind, model)
        if not refs or not await self._exists(name):
            return {}
        records = await self.client.retrieve(name, ids=list(refs), with_payload=[HASH_KEY])
        return {int(r.id): str((r.payload or {}).get(HASH_KEY, "")) for r in records}

    async def vector(self, kind: Kind, model: str, ref: int) -> npt.NDArray[np.float32] | None:
        name = self._collection(kind, model)
        if not await self._exists(name):
            return None
        records = await self.client.retrieve(name, ids=[ref], with_vectors=True)
        if not records or records[0].vector is None:
            return None
        return np.array(records[0].vector, dtype=np.float32)

    async def delete(self, kind: Kind, model: str, refs: Sequence[int]) -> int:
        name = self._collection(kind, model)
        if not refs or not await self._exists(name):
            return 0
        present = await self.client.retrieve(name, ids=list(refs), with_payload=False)
        await self.client.delete(name, points_selector=models.PointIdsList(points=list(refs)))
        return len(present)

    async def count(self, kind: Kind, model: str) -> int:
        name = self._collection(kind, model)
        if not await self._exists(name):
            return 0
        return int((await self.client.count(name, exact=True)).count)


def _public(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in _PRIVATE}
