"""Intake: open part-type taxonomy, brand aliases learned, supplier profiles (filled in by the intake work).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UPGRADE = ""
DOWNGRADE = ""


def upgrade() -> None:
    if UPGRADE:
        op.execute(UPGRADE)


def downgrade() -> None:
    if DOWNGRADE:
        op.execute(DOWNGRADE)
