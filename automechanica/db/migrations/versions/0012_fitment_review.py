"""The Fitment agent's word on each fitment row: a plain-language explanation of why
it fits (or what is wrong with it), written from the evidence, shown as "why this fits".

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE fitments ADD COLUMN explanation text,
    ADD COLUMN reviewed_at timestamptz;  -- when the Fitment agent last assessed the row
"""

DOWNGRADE = r"""
ALTER TABLE fitments DROP COLUMN explanation, DROP COLUMN reviewed_at;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
