"""Embedding jobs: written with their source rows, drained by the worker, skipped when the
text is unchanged, retried with backoff, dead-lettered when poisonous."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from automechanica.memory import (
    EmbeddingInputError,
    EmbeddingUnavailableError,
    EmbeddingWorker,
    EmbeddingWorkerOptions,
    OnnxEmbedder,
    PgVectorStore,
    memory_status,
)
from automechanica.memory.embedders import Vectors
from automechanica.memory.jobs import lease, rescue_expired
from automechanica.memory.stores.qdrant import QdrantStore
from automechanica.queue import RetryPolicy
from tests.integration.memory_fixtures import embedder, pool  # noqa: F401

Pool = AsyncConnectionPool[Any]
NO_WAIT = RetryPolicy(base_seconds=0, jitter=0)


async def rows(pool: Pool, query: str, *params: Any) -> list[dict[str, Any]]:  # noqa: F811
    async with pool.connection() as conn:
        cur = await conn.execute(query, params)  # type: ignore[arg-type]
        return list(await cur.fetchall())


async def jobs_of(pool: Pool, kind: str) -> list[dict[str, Any]]:  # noqa: F811
    return await rows(pool, "SELECT * FROM embedding_jobs WHERE kind = %s ORDER BY id", kind)


async def add_parts(pool: Pool, titles: Sequence[str]) -> list[int]:  # noqa: F811
    """Parts in one statement (as an import batch writes them)."""
    found = await rows(
        pool,
        """INSERT INTO parts (brand_id, part_number, mpn_normalized, part_type_id, title,
                              attributes)
           SELECT (SELECT id FROM brands ORDER BY id LIMIT 1), 'T-' || i, 'T' || i,
                  (SELECT id FROM part_types WHERE slug = 'wiper-blade'), t,
                  '{"Blade Length": "26 in"}'
           FROM unnest(%s::text[]) WITH ORDINALITY AS u(t, i) RETURNING id""",
        list(titles),
    )
    return [r["id"] for r in found]


async def test_jobs_commit_and_roll_back_with_their_rows(db_url: str, pool: Pool) -> None:  # noqa: F811
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        await conn.execute("INSERT INTO memory_items (namespace, content) VALUES ('n', 'kept?')")
        await conn.rollback()
        await conn.execute("INSERT INTO memory_items (namespace, content) VALUES ('n', 'kept')")
        await conn.commit()
    jobs = await jobs_of(pool, "memory")
    assert [j["content"] for j in jobs] == ["kept"]
    assert jobs[0]["status"] == "pending"


async def test_one_job_per_new_row_and_per_changed_text(pool: Pool) -> None:  # noqa: F811
    ids = await add_parts(pool, [f"Bosch Wiper Blade {n}" for n in range(100)])
    jobs = await jobs_of(pool, "part")
    assert sorted(int(j["ref_id"]) for j in jobs) == sorted(ids)
    assert "Blade Length: 26 inch" in jobs[0]["content"]
    await rows(pool, "UPDATE parts SET price = 9.99 WHERE id = ANY(%s) RETURNING id", ids)
    assert len(await jobs_of(pool, "part")) == 100  # a price is not embedded text
    await rows(
        pool, "UPDATE parts SET title = 'Bosch Icon Wiper' WHERE id = %s RETURNING id", ids[3]
    )
    jobs = await jobs_of(pool, "part")
    assert len(jobs) == 101 and jobs[-1]["ref_id"] == str(ids[3])
    assert jobs[-1]["content"].startswith("Bosch Icon Wiper")


async def test_renaming_a_brand_or_a_type_queues_its_parts_again(pool: Pool) -> None:  # noqa: F811
    ids = await add_parts(pool, ["Wiper A", "Wiper B"])
    (brand,) = await rows(pool, "SELECT id, name FROM brands ORDER BY id LIMIT 1")
    await rows(pool, "UPDATE brands SET aaia_id = 'ZZZZ' WHERE id = %s RETURNING id", brand["id"])
    assert len(await jobs_of(pool, "part")) == 2  # not a rename: nothing to re-embed
    await rows(
        pool, "UPDATE brands SET name = 'Renamed Brand' WHERE id = %s RETURNING id", brand["id"]
    )
    await rows(
        pool,
        "UPDATE part_types SET name = 'Windshield Wiper' WHERE slug = 'wiper-blade' RETURNING id",
    )
    jobs = (await jobs_of(pool, "part"))[2:]
    mine = [j for j in jobs if int(j["ref_id"]) in ids]
    assert len(mine) == 4  # two parts, queued once per rename
    assert all("Renamed Brand" in j["content"] for j in mine)
    assert sum("Windshield Wiper" in j["content"] for j in mine) == 2


async def test_events_issues_and_chunks_get_jobs(pool: Pool) -> None:  # noqa: F811
    await rows(
        pool,
        """INSERT INTO agent_events (agent, decision_type, subject_kind, subject_id, rationale,
                                     outcome, input) VALUES ('pricing', 'reprice', 'part', '7',
                                     'held: below MAP', 'held',
                                     '{"part_id": 7, "offers": [3, 4], "reason": "MAP raised",
                                       "file": "acme.csv", "note": ""}') RETURNING id""",
    )
    part = (await add_parts(pool, ["Some Part"]))[0]
    await rows(
        pool,
        "INSERT INTO fitment_issues (part_id, kind, description) "
        "VALUES (%s, 'wrong_fit', 'pads too small') RETURNING id",
        part,
    )
    document = await rows(
        pool,
        "INSERT INTO supplier_documents (title, source_name, content_type, content_hash) "
        "VALUES ('Returns', 'r.md', 'text/markdown', 'x') RETURNING id",
    )
    await rows(
        pool,
        "INSERT INTO document_chunks (document_id, chunk_index, content) "
        "VALUES (%s, 0, 'Returns within 30 days') RETURNING id",
        document[0]["id"],
    )
    # An event is embedded by what it says: its ids and numbers are not words to embed.
    assert (await jobs_of(pool, "event"))[0]["content"] == (
        "pricing reprice on part: held\nheld: below MAP\nfile: acme.csv; reason: MAP raised"
    )
    assert (await jobs_of(pool, "issue"))[0]["content"] == "wrong_fit: pads too small"
    assert (await jobs_of(pool, "document"))[0]["content"] == "Returns\nReturns within 30 days"


async def test_the_worker_drains_embeds_and_skips_what_is_unchanged(
    pool: Pool,  # noqa: F811
    embedder: OnnxEmbedder,  # noqa: F811
) -> None:
    ids = await add_parts(pool, [f"Bosch Wiper Blade {n}" for n in range(70)])
    worker = EmbeddingWorker(pool, embedder, PgVectorStore(pool))
    report = await worker.drain()
    assert report.embedded == 70 and report.batches == 1
    stored = await rows(pool, "SELECT part_id, model, payload FROM part_embeddings")
    assert {r["part_id"] for r in stored} == set(ids)
    assert {r["model"] for r in stored} == {embedder.model}
    assert stored[0]["payload"]["part_type"] == "wiper-blade"
    assert {j["status"] for j in await jobs_of(pool, "part")} == {"done"}

    # Changed text: re-embedded. Changed and changed back before the worker ran: the
    # newest job has the stored hash, so nothing is embedded, the older is superseded.
    before = await rows(
        pool, "SELECT embedding::text FROM part_embeddings WHERE part_id = %s", ids[0]
    )
    await rows(pool, "UPDATE parts SET title = 'Denso Battery' WHERE id = %s RETURNING id", ids[0])
    await rows(pool, "UPDATE parts SET title = 'X' WHERE id = %s RETURNING id", ids[1])
    await rows(
        pool, "UPDATE parts SET title = 'Bosch Wiper Blade 1' WHERE id = %s RETURNING id", ids[1]
    )
    report = await EmbeddingWorker(pool, embedder, PgVectorStore(pool)).drain()
    assert (report.embedded, report.skipped, report.superseded) == (1, 1, 1)
    after = await rows(
        pool, "SELECT embedding::text FROM part_embeddings WHERE part_id = %s", ids[0]
    )
    assert after != before

    # A job whose text the store already has (a re-import) embeds nothing.
    await rows(
        pool,
        "INSERT INTO embedding_jobs (kind, ref_id, content, content_hash) "
        "SELECT kind, ref_id, content, content_hash FROM embedding_jobs WHERE ref_id = %s "
        "AND kind = 'part' ORDER BY id DESC LIMIT 1 RETURNING id",
        str(ids[5]),
    )
    report = await EmbeddingWorker(pool, embedder, PgVectorStore(pool)).drain()
    assert (report.embedded, report.skipped) == (0, 1)


async def test_a_row_changed_between_batches_keeps_its_newest_text(
    pool: Pool,  # noqa: F811
    embedder: OnnxEmbedder,  # noqa: F811
) -> None:
    """The worker embeds a batch while the one before it is written: a row whose text
    changed between the two batches keeps its newest text, and every job settles."""
    first, second = await add_parts(pool, ["Bosch Wiper Blade 1", "Bosch Wiper Blade 2"])
    await rows(pool, "UPDATE parts SET title = 'Denso Battery' WHERE id = %s RETURNING id", first)
    options = EmbeddingWorkerOptions(batch_size=2)
    report = await EmbeddingWorker(pool, embedder, PgVectorStore(pool), options).drain()
    assert (report.batches, report.embedded) == (2, 3)
    newest = await rows(
        pool,
        "SELECT DISTINCT ON (ref_id) ref_id, content_hash FROM embedding_jobs "
        "WHERE kind = 'part' ORDER BY ref_id, id DESC",
    )
    stored = await rows(pool, "SELECT part_id, content_hash FROM part_embeddings")
    assert {(int(r["ref_id"]), r["content_hash"]) for r in newest} == {
        (r["part_id"], r["content_hash"]) for r in stored
    }
    assert {int(r["ref_id"]) for r in newest} == {first, second}
    assert {j["status"] for j in await jobs_of(pool, "part")} == {"done"}


class Flaky:
    """Refuses texts with POISON for good, and fails the first call for FLAKY."""

    model = "flaky-test-model"
    dimension = 384

    def __init__(self) -> None:
        self.calls = 0
        self.flaky_failed = False

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        if any("POISON" in t for t in texts):
            raise EmbeddingInputError("refused", model=self.model, status_code=400)
        if any("FLAKY" in t for t in texts) and not self.flaky_failed:
            self.flaky_failed = True
            raise EmbeddingUnavailableError("HTTP 503", model=self.model, status_code=503)
        out = np.ones((len(texts), 384), dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


async def test_poison_is_dead_at_once_and_a_transient_failure_retries(pool: Pool) -> None:  # noqa: F811
    await rows(
        pool,
        "INSERT INTO memory_items (namespace, content) SELECT 'n', t "
        "FROM unnest(%s::text[]) t RETURNING id",
        ["fine one", "POISON pill", "FLAKY text", "fine two"],
    )
    flaky = Flaky()
    options = EmbeddingWorkerOptions(retry=RetryPolicy(base_seconds=30, jitter=0))
    report = await EmbeddingWorker(pool, flaky, PgVectorStore(pool), options).drain()
    assert (report.embedded, report.failed, report.dead) == (2, 1, 1)
    jobs = {j["content"]: j for j in await jobs_of(pool, "memory")}
    assert jobs["POISON pill"]["status"] == "dead"
    assert "refused" in jobs["POISON pill"]["last_error"]
    assert jobs["FLAKY text"]["status"] == "failed"
    assert jobs["fine one"]["status"] == jobs["fine two"]["status"] == "done"
    waited = await rows(
        pool, "SELECT run_at - updated_at AS delay FROM embedding_jobs WHERE content = 'FLAKY text'"
    )
    assert waited[0]["delay"] == timedelta(seconds=30)  # backoff, set by the failing statement

    await rows(
        pool, "UPDATE embedding_jobs SET run_at = now() WHERE status = 'failed' RETURNING id"
    )
    report = await EmbeddingWorker(pool, flaky, PgVectorStore(pool), options).drain()
    assert report.embedded == 1
    jobs = {j["content"]: j for j in await jobs_of(pool, "memory")}
    assert jobs["FLAKY text"]["status"] == "done" and jobs["FLAKY text"]["attempts"] == 2

    status = {s.kind: s for s in await memory_status_of(pool)}
    assert (status["memory"].done, status["memory"].dead, status["memory"].backlog) == (3, 1, 0)
    assert status["memory"].vectors == {"flaky-test-model": 3}


class Counting:
    """The real model, with the texts it was given counted."""

    def __init__(self, inner: OnnxEmbedder) -> None:
        self.inner = inner
        self.model, self.dimension = inner.model, inner.dimension
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.texts += texts
        return self.inner.embed(texts)


async def test_each_distinct_text_is_embedded_once(
    pool: Pool,  # noqa: F811
    embedder: OnnxEmbedder,  # noqa: F811
) -> None:
    routine = "SEO page written from the part's data; no price: no offer"
    texts = [routine] * 30 + [f"held: price below MAP for offer {n}" for n in range(10)]
    await rows(
        pool,
        "INSERT INTO memory_items (namespace, content) SELECT 'n', t "
        "FROM unnest(%s::text[]) t RETURNING id",
        texts,
    )
    counting = Counting(embedder)
    options = EmbeddingWorkerOptions(batch_size=16)  # three batches: the text recurs in each
    report = await EmbeddingWorker(pool, counting, PgVectorStore(pool), options).drain()
    assert sorted(counting.texts) == sorted(set(texts))
    assert (report.embedded, report.shared, report.batches) == (40, 29, 3)
    stored = await rows(
        pool,
        "SELECT m.content, v.embedding::text AS vector FROM memory_embeddings v "
        "JOIN memory_items m ON m.id = v.item_id",
    )
    assert len(stored) == 40
    by_text: dict[str, set[str]] = {}
    for row in stored:
        by_text.setdefault(row["content"], set()).add(row["vector"])
    assert len(by_text[routine]) == 1  # one vector, stored for every event that says it
    (alone,) = embedder.embed([routine])
    (shared,) = by_text[routine]
    assert np.allclose(np.array(shared.strip("[]").split(","), dtype=np.float32), alone, atol=1e-6)


async def test_a_poison_text_fails_every_job_that_carries_it(pool: Pool) -> None:  # noqa: F811
    await rows(
        pool,
        "INSERT INTO memory_items (namespace, content) SELECT 'n', t "
        "FROM unnest(%s::text[]) t RETURNING id",
        ["POISON pill"] * 3 + ["fine"],
    )
    report = await EmbeddingWorker(pool, Flaky(), PgVectorStore(pool)).drain()
    assert (report.embedded, report.dead) == (1, 3)
    statuses = [(j["content"], j["status"]) for j in await jobs_of(pool, "memory")]
    assert statuses == [("POISON pill", "dead")] * 3 + [("fine", "done")]


async def memory_status_of(pool: Pool) -> list[Any]:  # noqa: F811
    async with pool.connection() as conn:
        return await memory_status(conn)


async def test_an_expired_lease_is_taken_back_as_a_failed_attempt(pool: Pool) -> None:  # noqa: F811
    await rows(pool, "INSERT INTO memory_items (namespace, content) VALUES ('n', 'a') RETURNING id")
    async with pool.connection() as conn:
        batch = await lease(conn, kinds=["memory"], model="m", limit=10, lease_seconds=0.01)
        assert len(batch.jobs) == 1
        await conn.execute("SELECT pg_sleep(0.05)")
        assert await rescue_expired(conn, max_attempts=5) == 1
    (job,) = await jobs_of(pool, "memory")
    assert (job["status"], job["attempts"]) == ("failed", 1)
    assert "lease expired" in job["last_error"]


async def test_the_worker_writes_to_qdrant_too(pool: Pool, embedder: OnnxEmbedder) -> None:  # noqa: F811
    await rows(
        pool,
        "INSERT INTO memory_items (namespace, content, metadata) SELECT 'n', t, '{\"a\": 1}' "
        "FROM unnest(%s::text[]) t RETURNING id",
        ["brake pads squeal", "wiper streaks"],
    )
    store = QdrantStore.local()
    try:
        report = await EmbeddingWorker(pool, embedder, store).drain()
        assert report.embedded == 2
        (query,) = embedder.embed(["noisy brakes"])
        hits = await store.search("memory", embedder.model, query, k=1, filters={"a": 1})
        assert hits and hits[0].payload["namespace"] == "n"
    finally:
        await store.close()


@pytest.mark.parametrize("kind", ["part"])
async def test_backfill_queues_rows_without_a_vector_of_this_model(
    pool: Pool,  # noqa: F811
    kind: str,
) -> None:
    ids = await add_parts(pool, ["A", "B"])
    await rows(pool, "DELETE FROM embedding_jobs RETURNING id")
    worker = EmbeddingWorker(pool, Flaky(), PgVectorStore(pool))
    assert await worker.backfill() == 2
    await worker.drain()
    assert await worker.backfill() == 0
    assert len(await rows(pool, "SELECT 1 FROM part_embeddings WHERE part_id = ANY(%s)", ids)) == 2
