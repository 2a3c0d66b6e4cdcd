"""HNSW indexes on half-precision copies of the vectors, with m = 24 (was 32).

Why: the embedding worker's index inserts shared two cores with the model, and
at 100,000 parts PostgreSQL's share of the CPU held the worker at 65-67% of the
bare model's rate. The rows keep their float vectors; each index is built on
`embedding::halfvec(384)`: an element is half the size, so an insert reads and
writes half the bytes. Measured on 30,000 real part vectors written in batches of
256, as the worker writes them: PostgreSQL's CPU per insert 2.51 ms (float, m = 32)
-> 2.32 ms (half precision, m = 32) -> 1.60 ms (half precision, m = 24); m = 16
cost 1.06 ms but its recall@10 on 100,000 vectors fell to 0.967.

Half precision cannot order a cluster of near-identical texts, so searches take
twice k candidates from the index and rank them by the float distance
(`automechanica.memory.stores.pgvector.SEARCH`); they order by the same expression
as the index (`automechanica.db.vectors.nearest_first`) to reach it. Recall@10 at
ef_search 300 on 100,000 vectors: 0.992 (m = 24; float m = 32: 0.989-0.998), p99
4.8 ms (8.0 ms). docs/memory.md has the figures.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TABLES = (
    "part_embeddings",
    "event_embeddings",
    "issue_embeddings",
    "document_embeddings",
    "memory_embeddings",
)


def _rebuild(index: str) -> None:
    for table in TABLES:
        op.execute(f"DROP INDEX IF EXISTS {table}_hnsw")
        op.execute(f"CREATE INDEX {table}_hnsw ON {table} USING hnsw {index}")


def upgrade() -> None:
    _rebuild("((embedding::halfvec(384)) halfvec_cosine_ops) WITH (m = 24, ef_construction = 200)")


def downgrade() -> None:
    _rebuild("(embedding vector_cosine_ops) WITH (m = 32, ef_construction = 200)")
