"""Vector searches reach their HNSW index (migration 0015 builds it on half-precision
copies of the vectors). A search ordered by any other expression still answers, by
reading every row and sorting, so only its plan tells."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg
import pytest
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from automechanica.catalog.search import SearchQuery, page_statement
from automechanica.memory import PgVectorStore
from automechanica.memory.sources import KINDS, Kind, source

QUERY = np.full(384, 384**-0.5, dtype=np.float32)


async def plan(conn: psycopg.AsyncConnection[Any], statement: sql.Composed, params: Any) -> str:
    # The tables are empty: the planner would rather read and sort every row (there
    # are none) than walk an index; forbid that, and only an index order will do.
    await conn.execute("SET enable_seqscan = off; SET enable_sort = off")
    cur = await conn.execute(sql.SQL("EXPLAIN (COSTS OFF) ") + statement, params)
    return "\n".join(row["QUERY PLAN"] for row in await cur.fetchall())


@pytest.mark.parametrize("kind", KINDS)
async def test_a_memory_search_reads_its_hnsw_index(
    conn: psycopg.AsyncConnection[Any], db_url: str, kind: Kind
) -> None:
    store = PgVectorStore(AsyncConnectionPool(db_url, open=False))
    statement, params = store.search_statement(kind, "m", QUERY, 5, {"brand": [1, 2]})
    assert f"Index Scan using {source(kind).table}_hnsw" in await plan(conn, statement, params)


async def test_the_hybrid_part_search_reads_the_part_vector_index(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    query = SearchQuery(q="ceramic brake pads", vector=QUERY.tolist(), model="m")
    statement, params = page_statement(query)
    assert "Index Scan using part_embeddings_hnsw" in await plan(conn, statement, params)
