"""Each offer keeps the attributes its supplier stated, so suppliers that disagree can
be seen (the ProductData agent flags the conflict) rather than the first one silently
winning in parts.attributes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE supplier_parts ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}';
ALTER TABLE product_content ADD COLUMN specs jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN conflicts jsonb NOT NULL DEFAULT '[]';
"""

DOWNGRADE = r"""
ALTER TABLE product_content DROP COLUMN specs, DROP COLUMN conflicts;
ALTER TABLE supplier_parts DROP COLUMN attributes;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
