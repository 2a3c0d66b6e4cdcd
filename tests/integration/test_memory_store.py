"""One store suite, run against pgvector and Qdrant (in-process): upsert, search with
filters, a 1%-selective filter that still returns k results, read back, delete."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from psycopg_pool import AsyncConnectionPool

from automechanica.db.embedded import EmbeddedPostgres, drop_database, ensure_database
from automechanica.memory import PgVectorStore, Point, VectorStore
from automechanica.memory.stores.qdrant import QdrantStore
from tests.integration.memory_fixtures import open_pool

MODEL = "test-model"
DIM = 384


def unit_vectors(n: int, seed: int = 7) -> npt.NDArray[np.float32]:
    """Clustered like real embeddings (random Gaussian vectors are HNSW's worst case)."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(0).standard_normal((40, DIM))
    v = centres[rng.integers(0, 40, n)] + 0.6 * rng.standard_normal((n, DIM))
    v = v.astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


async def memory_rows(pool: AsyncConnectionPool[Any], n: int) -> list[int]:
    """Source rows for the vectors (pgvector's tables reference them)."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "INSERT INTO memory_items (namespace, content) "
            "SELECT 'suite', 'item ' || g FROM generate_series(1, %s) g RETURNING id",
            [n],
        )
        return [int(r["id"]) for r in await cur.fetchall()]


@pytest.fixture(scope="module")
async def suite_pool(
    pg_server: EmbeddedPostgres, template_db: str
) -> AsyncIterator[AsyncConnectionPool[Any]]:
    """One database for the module: filling an HNSW index is the slow part, done once."""
    admin = pg_server.admin_url()
    ensure_database(admin, "memory_store_suite", template=template_db)
    p = await open_pool(pg_server.url("memory_store_suite"))
    yield p
    await p.close()
    drop_database(admin, "memory_store_suite")


@pytest.fixture(scope="module")
async def refs(suite_pool: AsyncConnectionPool[Any]) -> list[int]:
    return await memory_rows(suite_pool, 2000)


@pytest.fixture(scope="module", params=["pgvector", "qdrant"])
async def filled(
    request: pytest.FixtureRequest, suite_pool: AsyncConnectionPool[Any], refs: list[int]
) -> AsyncIterator[tuple[VectorStore, list[int], npt.NDArray[np.float32]]]:
    """2,000 vectors; every 100th is "rare" (a 1% filter), colours cycle through 4."""
    store: VectorStore = (
        PgVectorStore(suite_pool) if request.param == "pgvector" else QdrantStore.local()
    )
    vectors = unit_vectors(len(refs))
    points = [
        Point(
            ref,
            vectors[i],
            f"h{i}",
            {"rare": i % 100 == 0, "colour": ["red", "green", "blue", "grey"][i % 4]},
            job_id=i + 1,
        )
        for i, ref in enumerate(refs)
    ]
    for start in range(0, len(points), 500):
        assert await store.upsert("memory", MODEL, points[start : start + 500]) == 500
    yield store, refs, vectors
    if isinstance(store, QdrantStore):
        await store.close()


def exact(
    vectors: npt.NDArray[np.float32], query: npt.NDArray[np.float32], mask: Any, k: int
) -> list[int]:
    scores = vectors @ query
    scores[~mask] = -np.inf
    return list(np.argsort(-scores, kind="stable")[:k])


async def test_nearest_neighbour_is_the_vector_itself(filled: Any) -> None:
    store, refs, vectors = filled
    hits = await store.search("memory", MODEL, vectors[123], k=5)
    assert hits[0].ref == refs[123]
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].payload == {"rare": False, "colour": "grey"}


async def test_search_agrees_with_exact_search(filled: Any) -> None:
    store, refs, vectors = filled
    queries = unit_vectors(20, seed=99)
    found = 0
    for q in queries:
        want = {refs[i] for i in exact(vectors, q, np.ones(len(refs), bool), 10)}
        got = {h.ref for h in await store.search("memory", MODEL, q, k=10)}
        found += len(want & got)
    assert found / 200 >= 0.9


async def test_a_filter_selecting_one_percent_still_returns_k(filled: Any) -> None:
    store, refs, vectors = filled
    rare = np.array([i % 100 == 0 for i in range(len(refs))])
    for q in unit_vectors(5, seed=3):
        hits = await store.search("memory", MODEL, q, k=10, filters={"rare": True})
        assert len(hits) == 10
        assert all(h.payload["rare"] for h in hits)
        want = {refs[i] for i in exact(vectors, q, rare, 10)}
        assert len(want & {h.ref for h in hits}) >= 9


async def test_filters_match_any_of_a_list_and_exclude(filled: Any) -> None:
    store, refs, vectors = filled
    hits = await store.search(
        "memory", MODEL, vectors[0], k=20, filters={"colour": ["green", "blue"]}
    )
    assert len(hits) == 20 and {h.payload["colour"] for h in hits} <= {"green", "blue"}
    hits = await store.search("memory", MODEL, vectors[0], k=3, exclude=refs[0])
    assert refs[0] not in {h.ref for h in hits}


async def test_models_never_mix(filled: Any) -> None:
    store, refs, vectors = filled
    assert await store.search("memory", "another-model", vectors[0], k=5) == []
    assert await store.count("memory", MODEL) == len(refs)
    assert await store.count("memory", "another-model") == 0


async def test_read_back_hashes_vectors_and_delete(filled: Any) -> None:
    store, refs, vectors = filled
    hashes = await store.content_hashes("memory", MODEL, [refs[0], refs[5], 10**9])
    assert hashes == {refs[0]: "h0", refs[5]: "h5"}
    back = await store.vector("memory", MODEL, refs[5])
    assert back is not None and float(back @ vectors[5]) == pytest.approx(1.0, abs=1e-5)
    mine = f"{MODEL}-{type(store).__name__}-delete"  # its own model: the shared set stays
    await store.upsert("memory", mine, [Point(refs[5], vectors[5], "h5")])
    assert await store.delete("memory", mine, [refs[5]]) == 1
    assert await store.vector("memory", mine, refs[5]) is None
    assert await store.content_hashes("memory", mine, [refs[5]]) == {}
    assert await store.vector("memory", MODEL, refs[5]) is not None


async def test_upsert_replaces_a_vector_and_an_older_job_never_wins(filled: Any) -> None:
    store, refs, vectors = filled
    mine = f"{MODEL}-{type(store).__name__}-upsert"
    await store.upsert("memory", mine, [Point(refs[1], vectors[1], "old", {}, job_id=5)])
    await store.upsert("memory", mine, [Point(refs[1], vectors[2], "new", {}, job_id=6)])
    assert (await store.content_hashes("memory", mine, [refs[1]])) == {refs[1]: "new"}
    hits = await store.search("memory", mine, vectors[2], k=1)
    assert [h.ref for h in hits] == [refs[1]]
    assert (
        await store.upsert("memory", mine, [Point(refs[1], vectors[1], "stale", {}, job_id=5)]) == 0
    )
    assert (await store.content_hashes("memory", mine, [refs[1]])) == {refs[1]: "new"}
    kept = await store.vector("memory", mine, refs[1])
    assert kept is not None and np.allclose(kept, vectors[2], atol=1e-6)
