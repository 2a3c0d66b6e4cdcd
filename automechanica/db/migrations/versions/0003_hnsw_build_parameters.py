"""HNSW indexes rebuilt with m = 32, ef_construction = 200 (pgvector's defaults: 16, 64).

Measured by bench/memory.py on 100,000 real embeddings of generated catalog texts
(docs/memory.md): with the defaults, recall@10 against exact search was 0.82 at
ef_search 40 and 0.92 even at 400, because catalog texts form dense clusters of
near-twins (one title, many sizes and part numbers). With m = 32 and
ef_construction = 200 it is 0.976 at ef_search 200 with p99 under 10 ms. The price:
the index builds about three times slower and each insert costs more, which the
embedding worker pays in the background, never the writer of a source row.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = (
    "part_embeddings",  # hybrid part search: nearest parts of a query's vector
    "event_embeddings",  # memory.search("events") / similar("event:ID"): past decisions
    "issue_embeddings",  # similar fitment issues
    "document_embeddings",  # supplier policy lookup over chunks
    "memory_embeddings",  # agents' own namespaces
)


def _rebuild(parameters: str) -> None:
    for table in TABLES:
        op.execute(f"DROP INDEX IF EXISTS {table}_hnsw")
        # nearest-neighbour search by cosine distance, ORDER BY embedding <=> q LIMIT k
        op.execute(
            f"CREATE INDEX {table}_hnsw ON {table} USING hnsw (embedding vector_cosine_ops)"
            + parameters
        )


def upgrade() -> None:
    _rebuild(" WITH (m = 32, ef_construction = 200)")


def downgrade() -> None:
    _rebuild("")
