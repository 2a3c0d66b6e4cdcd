"""Renaming a brand or a part type queues its parts for embedding again.

A part's embedded text names its brand and its type (`memory_part_text`), so a
rename makes every vector of those parts stale; 0002's triggers only watched the
parts table. Statement-level, like 0002: one INSERT … SELECT per UPDATE statement,
in the renaming transaction.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Transition tables cannot be combined with `UPDATE OF name`, so the function
# compares old and new names itself: other edits (a brand's AAIA id) queue nothing.
UPGRADE = r"""
CREATE FUNCTION memory_jobs_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO embedding_jobs (kind, ref_id, content, content_hash)
    SELECT 'part', p.id::text, x.content, md5(x.content)
    FROM parts p
    JOIN brands b ON b.id = p.brand_id
    JOIN part_types t ON t.id = p.part_type_id
    CROSS JOIN LATERAL (SELECT memory_part_text(b.name, p.title, p.part_number, t.name,
                                                p.description, p.attributes) AS content) x
    WHERE (CASE TG_TABLE_NAME WHEN 'brands' THEN p.brand_id ELSE p.part_type_id END)
          IN (SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
              WHERE n.name IS DISTINCT FROM o.name);
    IF FOUND THEN
        PERFORM pg_notify('automechanica_embeddings', 'part');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER brands_embedding_jobs AFTER UPDATE ON brands
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION memory_jobs_renamed();
CREATE TRIGGER part_types_embedding_jobs AFTER UPDATE ON part_types
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION memory_jobs_renamed();
"""

DOWNGRADE = """
DROP TRIGGER IF EXISTS brands_embedding_jobs ON brands;
DROP TRIGGER IF EXISTS part_types_embedding_jobs ON part_types;
DROP FUNCTION IF EXISTS memory_jobs_renamed();
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
