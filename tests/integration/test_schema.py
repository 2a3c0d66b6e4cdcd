"""The migrations build the whole schema of DESIGN.md §3 and can be reset."""

from __future__ import annotations

import psycopg

from automechanica.db import migrate

EXPECTED_TABLES = {
    "vehicles",
    "parts",
    "supplier_parts",
    "fitments",
    "tasks",
    "workflows",
    "agent_events",
    "embedding_jobs",
    "reviews",
    "llm_calls",
    "orders",
    "order_lines",
    "customers",
    "returns",
    "event_embeddings",
    "part_embeddings",
    "issue_embeddings",
    "document_embeddings",
}


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r[0] for r in rows}


def test_schema_has_every_design_table(db_url: str) -> None:
    assert _tables(db_url) >= EXPECTED_TABLES
    assert migrate.status(db_url).up_to_date


def test_vector_tables_have_hnsw_indexes(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING hnsw%'"
        ).fetchall()
    assert {"part_embeddings", "event_embeddings", "issue_embeddings", "document_embeddings"} <= {
        r[0] for r in rows
    }


def test_reset_empties_data_and_rebuilds_schema(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM vehicles").fetchone()[0] > 0  # type: ignore[index]
    migrate.reset(db_url)
    assert _tables(db_url) >= EXPECTED_TABLES
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM vehicles").fetchone()[0] == 0  # type: ignore[index]
