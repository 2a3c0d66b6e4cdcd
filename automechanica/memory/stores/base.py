"""The vector store interface: upsert, search with payload filters, read back.

A store keeps, per kind and model, one vector per source row with its content
hash, the id of the job that wrote it, and a payload of filterable fields.
Search only ever compares vectors of one model. Filters are equality on payload
fields: `{"outcome": "held"}`, or any of a list: `{"agent": ["pricing", "fitment"]}`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from psycopg import AsyncConnection

from automechanica.memory.sources import Kind

Filters = Mapping[str, Any]


@dataclass(frozen=True)
class Point:
    """One vector to store for source row `ref`."""

    ref: int
    vector: npt.NDArray[np.float32]
    content_hash: str
    payload: dict[str, Any] = field(default_factory=dict)
    job_id: int | None = None


@dataclass(frozen=True)
class Hit:
    """A search result: the source row, its cosine similarity and its payload."""

    ref: int
    score: float
    payload: dict[str, Any]


class VectorStore(Protocol):
    """Where vectors live. `transactional` stores write inside the caller's transaction."""

    @property
    def name(self) -> str: ...

    @property
    def transactional(self) -> bool: ...

    async def upsert(
        self,
        kind: Kind,
        model: str,
        points: Sequence[Point],
        *,
        conn: AsyncConnection[Any] | None = None,
    ) -> int:
        """Store `points` (newer job wins); returns how many were written."""
        ...

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
        """The `k` nearest vectors of `model` whose payload matches `filters`, best first."""
        ...

    async def content_hashes(self, kind: Kind, model: str, refs: Sequence[int]) -> dict[int, str]:
        """The content hash stored for each of `refs` that has a vector of `model`."""
        ...

    async def vector(self, kind: Kind, model: str, ref: int) -> npt.NDArray[np.float32] | None:
        """The stored vector of `ref`, if any."""
        ...

    async def delete(self, kind: Kind, model: str, refs: Sequence[int]) -> int:
        """Forget `refs`' vectors; returns how many there were."""
        ...

    async def count(self, kind: Kind, model: str) -> int:
        """How many vectors of `model` the kind has."""
        ...
