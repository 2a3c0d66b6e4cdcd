"""Orchestrator: workflow runs, step journal, schedules, policies history, reviews, agent events (filled in by the orchestrator work).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from alembic import op

revision = "0006"
down_revision = "0005"
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
