"""Supplier feed layouts: supplier profiles (column mapping, brand, cost price type)
and import report detail (the layout an import read its file by).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE supplier_profiles (
    supplier_id      integer PRIMARY KEY REFERENCES suppliers(id) ON DELETE CASCADE,  -- the key serves profiles.SELECT_PROFILE (one supplier's profile) and the upsert
    format           text CHECK (format IN ('csv', 'jsonl')),  -- the format the mapping is for
    has_header       boolean NOT NULL DEFAULT true,
    mapping          jsonb NOT NULL DEFAULT '{}',   -- our field -> the file's column name / JSON key path
    brand            text,                          -- the supplier's own brand, for files without a brand column
    cost_price_type  text,                          -- PIES PriceType that is the cost (NULL: NET, else the lowest)
    confirmed        boolean NOT NULL DEFAULT false, -- a person set or accepted the mapping
    pending          jsonb,                         -- an unsure inferred layout awaiting `feeds profile accept`
    updated_at       timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE import_reports ADD COLUMN layout jsonb, ADD COLUMN layout_reason text;
"""
DOWNGRADE = """
ALTER TABLE import_reports DROP COLUMN layout, DROP COLUMN layout_reason;
DROP TABLE supplier_profiles;
"""


def upgrade() -> None:
    if UPGRADE:
        op.execute(UPGRADE)


def downgrade() -> None:
    if DOWNGRADE:
        op.execute(DOWNGRADE)
