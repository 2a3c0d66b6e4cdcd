"""The memory API agents use (add, search, similar) and supplier documents, with the real
model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool

from automechanica.errors import NotFoundError
from automechanica.memory import (
    DocumentError,
    EmbeddingWorker,
    Memory,
    OnnxEmbedder,
    PgVectorStore,
    UnknownNamespaceError,
)
from automechanica.memory.documents import ingest
from tests.integration.memory_fixtures import embedder, pool  # noqa: F401

Pool = AsyncConnectionPool[Any]

NOTES = [
    ("Customer reports squealing front brake pads on a 2014 Civic", {"topic": "brakes"}, "t-1"),
    ("Wiper blade leaves streaks on the windshield after two weeks", {"topic": "wipers"}, "t-2"),
    ("Battery died overnight, car would not start in the cold", {"topic": "battery"}, "t-3"),
    ("Grinding noise when braking, rotors look scored", {"topic": "brakes"}, "t-4"),
]


@pytest.fixture
async def memory(pool: Pool, embedder: OnnxEmbedder) -> Memory:  # noqa: F811
    mem = Memory(pool, embedder, PgVectorStore(pool))
    for text, metadata, ref in NOTES:
        await mem.add("support", text, metadata, ref)
    await mem.add("pricing", "Brake pads priced below MAP were held for review", {})
    await EmbeddingWorker(pool, embedder, PgVectorStore(pool)).drain()
    return mem


async def test_search_finds_by_meaning_within_a_namespace(memory: Memory) -> None:
    hits = await memory.search("support", "noisy brakes", k=2)
    assert {h.ref for h in hits} == {"t-1", "t-4"}
    assert hits[0].score >= hits[1].score
    assert all(h.kind == "memory" for h in hits)
    everything = await memory.search("support", "brake pads", k=10)
    assert len(everything) == 4  # the pricing namespace is not mixed in


async def test_search_filters_on_metadata(memory: Memory) -> None:
    hits = await memory.search("support", "car trouble", k=10, filters={"topic": "battery"})
    assert [h.ref for h in hits] == ["t-3"]
    assert hits[0].metadata == {"topic": "battery"}


async def test_similar_by_ref(memory: Memory) -> None:
    like = await memory.similar("t-1", k=1, namespace="support")
    assert [h.ref for h in like] == ["t-4"]
    with pytest.raises(UnknownNamespaceError):
        await memory.similar("t-99", namespace="support")
    with pytest.raises(UnknownNamespaceError):
        await memory.similar("nonsense")


async def test_similar_events_and_issues(pool: Pool, embedder: OnnxEmbedder) -> None:  # noqa: F811
    async with pool.connection() as conn:
        cur = await conn.execute(
            """INSERT INTO agent_events (agent, decision_type, rationale, outcome)
               SELECT 'pricing', 'reprice', r, 'held' FROM unnest(%s::text[]) r RETURNING id""",
            [
                [
                    "new price below MAP for Bosch wiper",
                    "price under MAP on a wiper blade",
                    "fitment confidence low for Civic pads",
                ],
            ],
        )
        ids = [r["id"] for r in await cur.fetchall()]
    await EmbeddingWorker(pool, embedder, PgVectorStore(pool)).drain()
    memory = Memory(pool, embedder, PgVectorStore(pool))
    like = await memory.similar(f"event:{ids[0]}", k=1)
    assert [h.id for h in like] == [ids[1]] and like[0].ref == f"event:{ids[1]}"
    held = await memory.search("events", "repriced under MAP", k=5, filters={"outcome": "held"})
    assert {h.id for h in held[:2]} == {ids[0], ids[1]}


async def test_add_refuses_built_in_namespaces(memory: Memory) -> None:
    with pytest.raises(UnknownNamespaceError):
        await memory.add("parts", "not here")


POLICY = """<html><head><title>Atlas returns policy</title><script>alert('x')</script>
<style>p{color:red}</style></head><body onload="steal()">
<h1>Returns</h1><p>Parts may be returned within <b>30 days</b> of delivery with the
original packaging.</p><!-- internal: do not publish -->
<h2>Core charges</h2><p>Core charges are refunded when the old unit arrives within 45 days
and is not cracked.</p><p>Electrical parts that were installed cannot be returned.</p>
</body></html>"""


async def test_documents_are_sanitized_chunked_embedded_and_searchable(
    pool: Pool,  # noqa: F811
    embedder: OnnxEmbedder,  # noqa: F811
    tmp_path: Path,
) -> None:
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO suppliers (name, display_name) VALUES ('atlas', 'Atlas Auto')"
        )
    path = tmp_path / "returns.html"
    path.write_text(POLICY, encoding="utf-8")
    async with pool.connection() as conn:
        report = await ingest(conn, path, supplier="atlas", size=120, overlap=60)
        again = await ingest(conn, path, supplier="atlas", size=120, overlap=60)
        chunks = [
            r["content"]
            for r in await (
                await conn.execute(
                    "SELECT content FROM document_chunks WHERE document_id = %s "
                    "ORDER BY chunk_index",
                    [report.document_id],
                )
            ).fetchall()
        ]
    assert report.title == "Atlas returns policy" and report.chunks == len(chunks) >= 3
    assert again.already_ingested and again.document_id == report.document_id
    text = " ".join(chunks)
    for bad in ("alert", "color:red", "steal", "internal", "<"):
        assert bad not in text
    await EmbeddingWorker(pool, embedder, PgVectorStore(pool)).drain()
    memory = Memory(pool, embedder, PgVectorStore(pool))
    hits = await memory.search(
        "documents", "when is the core deposit refunded", k=1, filters={"supplier": "atlas"}
    )
    assert "45 days" in hits[0].text and hits[0].metadata["supplier"] == "atlas"
    assert await memory.search("documents", "refund", filters={"supplier": "other"}) == []


async def test_bad_documents_say_what_is_wrong(pool: Pool, tmp_path: Path) -> None:  # noqa: F811
    binary = tmp_path / "scan.txt"
    binary.write_bytes(b"%PDF-1.7\x00\x01")
    latin = tmp_path / "latin.md"
    latin.write_bytes("Garantie: 2 ans, pi\xe8ces".encode("latin-1"))
    empty = tmp_path / "empty.html"
    empty.write_text("<script>only()</script>", encoding="utf-8")
    async with pool.connection() as conn:
        with pytest.raises(DocumentError, match="binary"):
            await ingest(conn, binary, supplier=None)
        with pytest.raises(DocumentError, match="not UTF-8"):
            await ingest(conn, latin, supplier=None)
        with pytest.raises(DocumentError, match="no text"):
            await ingest(conn, empty, supplier=None)
        with pytest.raises(DocumentError, match="over the"):
            await ingest(conn, latin, supplier=None, max_bytes=10)
        with pytest.raises(DocumentError, match="unsupported"):
            await ingest(conn, tmp_path / "policy.pdf", supplier=None)
        ok = tmp_path / "ok.txt"
        ok.write_text("fine", encoding="utf-8")
        with pytest.raises(NotFoundError):
            await ingest(conn, ok, supplier="nobody")
