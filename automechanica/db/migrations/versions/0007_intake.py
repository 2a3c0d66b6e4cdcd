"""Intake: an open part-type taxonomy (descriptions, synonyms), brand aliases with their
spelling and source (seed, operator, learned from an approved match), fuzzy brand lookup.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UPGRADE = """
-- The taxonomy is data (catalog/data/part_types.toml) that people extend: what a type
-- is, the words shoppers and suppliers use for it, and words that say a title is not it.
ALTER TABLE part_types
    ADD COLUMN description  text,
    ADD COLUMN synonyms     text[] NOT NULL DEFAULT '{}',
    ADD COLUMN not_words    text[] NOT NULL DEFAULT '{}',
    ADD COLUMN edited_by    text,                 -- NULL: the seed owns the row; else who edited it
    ADD COLUMN updated_at   timestamptz NOT NULL DEFAULT now();

-- Brands are an open table: the spelling as written, and where the alias came from.
ALTER TABLE brand_aliases
    ADD COLUMN spelling     text,                 -- the alias as written ("Moog Chassis Parts")
    ADD COLUMN source       text NOT NULL DEFAULT 'seed'
                            CHECK (source IN ('seed', 'operator', 'learned')),
    ADD COLUMN created_at   timestamptz NOT NULL DEFAULT now();
ALTER TABLE brands
    ADD COLUMN created_at   timestamptz NOT NULL DEFAULT now();

-- brand matching: aliases similar to an unknown name (alias % key, ORDER BY similarity)
CREATE INDEX brand_aliases_alias_trgm ON brand_aliases USING gin (alias gin_trgm_ops);
-- brands list / admin search: brands whose name is like the text typed (name ILIKE, %)
CREATE INDEX brands_name_trgm ON brands USING gin (lower(name) gin_trgm_ops);
"""

DOWNGRADE = """
DROP INDEX IF EXISTS brands_name_trgm;
DROP INDEX IF EXISTS brand_aliases_alias_trgm;
ALTER TABLE brands DROP COLUMN IF EXISTS created_at;
ALTER TABLE brand_aliases
    DROP COLUMN IF EXISTS created_at,
    DROP COLUMN IF EXISTS source,
    DROP COLUMN IF EXISTS spelling;
ALTER TABLE part_types
    DROP COLUMN IF EXISTS updated_at,
    DROP COLUMN IF EXISTS edited_by,
    DROP COLUMN IF EXISTS not_words,
    DROP COLUMN IF EXISTS synonyms,
    DROP COLUMN IF EXISTS description;
"""


def upgrade() -> None:
    if UPGRADE:
        op.execute(UPGRADE)


def downgrade() -> None:
    if DOWNGRADE:
        op.execute(DOWNGRADE)
