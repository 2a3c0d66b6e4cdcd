"""pgvector: vectors in PostgreSQL beside their source rows (the default store).

Search runs an HNSW index scan (cosine) with `hnsw.ef_search` set per query and
pgvector 0.8's iterative index scans (`hnsw.iterative_scan = relaxed_order`), so a
filter that keeps only 1% of the rows still returns k results: the scan goes on
past the first `ef_search` candidates until k rows pass the filter (or
`hnsw.max_scan_tuples` is reached). Relaxed order may return rows slightly out of
order, so the k rows are sorted again by distance. The settings are sent with
every search, in the same round trip, as session settings of the pooled
connection: wrapping them in a transaction (SET LOCAL) cost about 1.5 ms a search,
a third of it. Vector searches elsewhere (the catalog's hybrid search) set their
own. Vectors are written in the caller's transaction: a job and its vector commit
together.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from psycopg import AsyncConnection, sql
from psycopg.rows import tuple_row
from psycopg_pool import AsyncConnectionPool

from automechanica.db.vectors import nearest_first, vector_text
from automechanica.memory.sources import Kind, source
from automechanica.memory.stores.base import Filters, Hit, Point

#: Candidates the HNSW scan keeps (pgvector's default is 40). Chosen with
#: bench/memory.py on 100,000 vectors (indexes m = 32, ef_construction = 200, migration
#: 0003; kept for the half-precision indexes with m = 24 of migration 0015); see
#: docs/memory.md for the figures.
DEFAULT_EF_SEARCH = 300
#: pgvector's largest hnsw.ef_search (an iterative scan goes on past it).
MAX_EF_SEARCH = 1_000
#: Rows an iterative scan may visit before it gives up (pgvector's default 20,000).
DEFAULT_MAX_SCAN_TUPLES = 20_000

UPSERT = """
INSERT INTO {table} AS t ({id}, model, embedding, content_hash, payload, job_id, updated_at)
SELECT u.ref, %(model)s, u.vec::vector, u.hash, u.payload, u.job_id, now()
FROM unnest(%(refs)s::bigint[], %(vectors)s::text[], %(hashes)s::text[], %(payloads)s::jsonb[],
            %(jobs)s::bigint[]) AS u(ref, vec, hash, payload, job_id)
ON CONFLICT ({id}, model) DO UPDATE
SET embedding = excluded.embedding, content_hash = excluded.content_hash,
    payload = excluded.payload, job_id = excluded.job_id, updated_at = now()
WHERE t.job_id IS NULL OR excluded.job_id IS NULL OR t.job_id <= excluded.job_id
"""
SETTINGS = """
SELECT set_config('hnsw.ef_search', %(ef)s, false),
       set_config('hnsw.iterative_scan', 'relaxed_order', false),
       set_config('hnsw.max_scan_tuples', %(max_scan)s, false)
"""
#: Rows taken from the index per result wanted, ranked again by exact distance.
RERANK_FACTOR = 2
# Served by the HNSW index <table>_hnsw, which orders by half-precision distance: in
# a cluster of near-identical texts that order cannot tell the 10th nearest from the
# 11th (recall@10 0.975 at 100,000 vectors), so the scan yields RERANK_FACTOR x k
# candidates and the k nearest by the float vectors are kept. The model and payload
# conditions are checked on the rows the scan yields.
SEARCH = """
WITH nearest AS MATERIALIZED (
    SELECT {id} AS ref, embedding <=> %(vector)s::vector AS distance, payload
    FROM {table}
    WHERE model = %(model)s AND {conditions}
    ORDER BY {nearest}
    LIMIT %(candidates)s
)
SELECT ref, 1 - distance, payload FROM nearest ORDER BY distance, ref LIMIT %(k)s
"""
HASHES = "SELECT {id}, content_hash FROM {table} WHERE model = %(model)s AND {id} = ANY(%(refs)s)"
VECTOR = "SELECT embedding::text FROM {table} WHERE model = %(model)s AND {id} = %(ref)s"
DELETE = "DELETE FROM {table} WHERE model = %(model)s AND {id} = ANY(%(refs)s)"
COUNT = "SELECT count(*) FROM {table} WHERE model = %(model)s"


def parse_vector(text: str) -> npt.NDArray[np.float32]:
    return np.array(json.loads(text), dtype=np.float32)


def filter_conditions(filters: Filters | None) -> tuple[sql.Composable, dict[str, Any]]:
    """`payload @> {"k": v}` per equality, `payload -> 'k' = ANY(…)` per list of values."""
    parts: list[sql.Composable] = [sql.SQL("TRUE")]
    params: dict[str, Any] = {}
    equal: dict[str, Any] = {}
    for n, (key, value) in enumerate((filters or {}).items()):
        if isinstance(value, (list, tuple, set, frozenset)):
            parts.append(
                sql.SQL("payload -> {key}::text = ANY({values}::jsonb[])").format(
                    key=sql.Placeholder(f"fk{n}"), values=sql.Placeholder(f"fv{n}")
                )
            )
            params[f"fk{n}"] = key
            params[f"fv{n}"] = [json.dumps(v) for v in value]
        else:
            equal[key] = value
    if equal:
        parts.append(sql.SQL("payload @> %(f_equal)s::jsonb"))
        params["f_equal"] = json.dumps(equal)
    return sql.SQL(" AND ").join(parts), params


class PgVectorStore:
    """Vectors in the `*_embeddings` tables of the database behind `pool`."""

    name = "pgvector"
    transactional = True

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        *,
        ef_search: int = DEFAULT_EF_SEARCH,
        max_scan_tuples: int = DEFAULT_MAX_SCAN_TUPLES,
    ) -> None:
        self.pool = pool
        self.ef_search = ef_search
        self.max_scan_tuples = max_scan_tuples

    @staticmethod
    def _names(kind: Kind) -> dict[str, sql.Composable]:
        src = source(kind)
        return {"table": sql.Identifier(src.table), "id": sql.Identifier(src.id_column)}

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
        params = {
            "model": model,
            "refs": [p.ref for p in points],
            "vectors": [vector_text(p.vector) for p in points],
            "hashes": [p.content_hash for p in points],
            "payloads": [json.dumps(p.payload) for p in points],
            "jobs": [p.job_id for p in points],
        }
        statement = sql.SQL(UPSERT).format(**self._names(kind))
        if conn is not None:
            cur = await conn.execute(statement, params)
            return int(cur.rowcount)
        async with self.pool.connection() as own, own.transaction():
            cur = await own.execute(statement, params)
            return int(cur.rowcount)

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
        statement, params = self.search_statement(kind, model, vector, k, filters, exclude)
        ef_search = min(max(self.ef_search, k * RERANK_FACTOR), MAX_EF_SEARCH)
        settings = {"ef": str(ef_search), "max_scan": str(self.max_scan_tuples)}
        async with self.pool.connection() as conn:
            # Pipelined: the settings and the search in one round trip.
            async with conn.pipeline():
                setter = conn.cursor()
                cur = conn.cursor(row_factory=tuple_row)
                await setter.execute(SETTINGS, settings)
                await cur.execute(statement, params)
            rows = await cur.fetchall()
        return [Hit(int(ref), float(score), dict(payload)) for ref, score, payload in rows]

    def search_statement(
        self,
        kind: Kind,
        model: str,
        vector: npt.NDArray[np.float32],
        k: int,
        filters: Filters | None = None,
        exclude: int | None = None,
    ) -> tuple[sql.Composed, dict[str, Any]]:
        """The statement `search` runs, and its parameters."""
        conditions, params = filter_conditions(filters)
        names = self._names(kind)
        if exclude is not None:
            conditions = sql.SQL("{} AND {id} <> %(exclude)s").format(conditions, id=names["id"])
            params["exclude"] = exclude
        statement = sql.SQL(SEARCH).format(
            conditions=conditions, nearest=sql.SQL(nearest_first("embedding")), **names
        )
        return statement, params | {
            "vector": vector_text(vector),
            "model": model,
            "k": k,
            "candidates": k * RERANK_FACTOR,
        }

    async def content_hashes(self, kind: Kind, model: str, refs: Sequence[int]) -> dict[int, str]:
        if not refs:
            return {}
        statement = sql.SQL(HASHES).format(**self._names(kind))
        async with self.pool.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            await cur.execute(statement, {"model": model, "refs": list(refs)})
            return {int(ref): str(h) for ref, h in await cur.fetchall()}

    async def vector(self, kind: Kind, model: str, ref: int) -> npt.NDArray[np.float32] | None:
        statement = sql.SQL(VECTOR).format(**self._names(kind))
        async with self.pool.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            await cur.execute(statement, {"model": model, "ref": ref})
            row = await cur.fetchone()
        return parse_vector(row[0]) if row else None

    async def delete(self, kind: Kind, model: str, refs: Sequence[int]) -> int:
        statement = sql.SQL(DELETE).format(**self._names(kind))
        async with self.pool.connection() as conn:
            cur = await conn.execute(statement, {"model": model, "refs": list(refs)})
            return int(cur.rowcount)

    async def count(self, kind: Kind, model: str) -> int:
        statement = sql.SQL(COUNT).format(**self._names(kind))
        async with self.pool.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            await cur.execute(statement, {"model": model})
            row = await cur.fetchone()
        return int(row[0]) if row else 0
