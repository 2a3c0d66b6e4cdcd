"""Orchestrator: versioned workflow runs, the step journal, fan-out batches, policy
history, reviews that hold a step or an item, and the cost side of agent events.

A step's journal row, the workflow's state change and the next step's task commit
in one transaction (the step task is transactional on the queue), so a crash
resumes from the last journaled step and no step's effect happens twice.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE workflows
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD COLUMN input jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN output jsonb,
    ADD COLUMN current_step text,
    ADD COLUMN idempotency_key text UNIQUE,          -- start twice, one workflow
    ADD COLUMN started_by text;
CREATE INDEX workflows_finished ON workflows (finished_at)
    WHERE finished_at IS NOT NULL;                   -- pruning finished workflows past retention
CREATE INDEX workflows_recent ON workflows (started_at DESC);  -- console: workflows, newest first

-- The journal: one row per step of a workflow, its result once finished.
CREATE TABLE workflow_steps (
    workflow_id    uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
    step_key       text NOT NULL,
    status         text NOT NULL CHECK (status IN ('running', 'waiting', 'completed', 'failed')),
    result         jsonb,
    batches_total  integer,                          -- fan-out: how many batches
    batches_done   integer NOT NULL DEFAULT 0,       -- fan-in: counted here, under the row lock
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    PRIMARY KEY (workflow_id, step_key)              -- the journal key: (workflow id, step key)
);

CREATE TABLE workflow_batches (
    workflow_id  uuid NOT NULL,
    step_key     text NOT NULL,
    batch        integer NOT NULL,
    result       jsonb NOT NULL,
    finished_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workflow_id, step_key, batch),      -- a batch journaled once
    FOREIGN KEY (workflow_id, step_key) REFERENCES workflow_steps ON DELETE CASCADE
);

CREATE TABLE policy_changes (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    decision_type  text NOT NULL,
    before         jsonb,
    after          jsonb NOT NULL,
    changed_by     text NOT NULL,
    reason         text NOT NULL,
    changed_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX policy_changes_type ON policy_changes (decision_type, id);  -- a policy's history
ALTER TABLE policies
    ADD COLUMN description text,
    ADD COLUMN max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts > 0);

ALTER TABLE reviews
    ADD COLUMN step_key text,                        -- set when the review holds a workflow step
    ADD COLUMN subject_kind text,
    ADD COLUMN subject_id text,
    ADD COLUMN agent text,
    ADD COLUMN confidence real,
    ADD COLUMN rationale text,
    ADD COLUMN evidence jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN current jsonb,                        -- what is stored now: the diff's left side
    ADD COLUMN deadline timestamptz,
    ADD COLUMN note text;
ALTER TABLE reviews DROP CONSTRAINT reviews_status_check;
ALTER TABLE reviews ADD CONSTRAINT reviews_status_check
    CHECK (status IN ('open', 'approved', 'edited', 'rejected', 'expired'));
CREATE INDEX reviews_recent ON reviews (created_at DESC);  -- console: every review, newest first

ALTER TABLE agent_events
    ADD COLUMN evidence jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN tokens_in integer,
    ADD COLUMN tokens_out integer,
    ADD COLUMN cost_usd numeric(12, 6),
    ADD COLUMN latency_ms real,
    ADD COLUMN step_key text;
ALTER TABLE agent_events DROP CONSTRAINT agent_events_outcome_check;
ALTER TABLE agent_events ADD CONSTRAINT agent_events_outcome_check
    CHECK (outcome IN ('accepted', 'held', 'rejected', 'retried', 'failed', 'refused'));
"""

DOWNGRADE = r"""
ALTER TABLE agent_events DROP CONSTRAINT agent_events_outcome_check;
ALTER TABLE agent_events ADD CONSTRAINT agent_events_outcome_check
    CHECK (outcome IN ('accepted', 'held', 'rejected', 'retried', 'failed'));
ALTER TABLE agent_events DROP COLUMN evidence, DROP COLUMN tokens_in, DROP COLUMN tokens_out,
    DROP COLUMN cost_usd, DROP COLUMN latency_ms, DROP COLUMN step_key;
DROP INDEX reviews_recent;
ALTER TABLE reviews DROP CONSTRAINT reviews_status_check;
ALTER TABLE reviews ADD CONSTRAINT reviews_status_check
    CHECK (status IN ('open', 'approved', 'edited', 'rejected'));
ALTER TABLE reviews DROP COLUMN step_key, DROP COLUMN subject_kind, DROP COLUMN subject_id,
    DROP COLUMN agent, DROP COLUMN confidence, DROP COLUMN rationale, DROP COLUMN evidence,
    DROP COLUMN current, DROP COLUMN deadline, DROP COLUMN note;
ALTER TABLE policies DROP COLUMN description, DROP COLUMN max_attempts;
DROP TABLE policy_changes;
DROP TABLE workflow_batches;
DROP TABLE workflow_steps;
DROP INDEX workflows_finished, workflows_recent;
ALTER TABLE workflows DROP COLUMN version, DROP COLUMN input, DROP COLUMN output,
    DROP COLUMN current_step, DROP COLUMN idempotency_key, DROP COLUMN started_by;
"""


def upgrade() -> None:
    if UPGRADE:
        op.execute(UPGRADE)


def downgrade() -> None:
    if DOWNGRADE:
        op.execute(DOWNGRADE)
