"""Every statement the orchestrator runs, by name."""

from __future__ import annotations

INSERT_WORKFLOW = """
INSERT INTO workflows (kind, version, input, current_step, idempotency_key, started_by)
VALUES (%(kind)s, %(version)s, %(input)s, %(step)s, %(key)s, %(by)s)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id
"""

SELECT_WORKFLOW_BY_KEY = "SELECT id FROM workflows WHERE idempotency_key = %(key)s"

SELECT_WORKFLOW = """
SELECT id, kind, version, status, input, output, state, error, current_step, started_at,
       updated_at, finished_at, started_by
FROM workflows WHERE id = %(id)s
"""

SELECT_RESULTS = """
SELECT step_key, result FROM workflow_steps
WHERE workflow_id = %(id)s AND status = 'completed'
"""

SELECT_STEP = """
SELECT status, result, batches_total, batches_done FROM workflow_steps
WHERE workflow_id = %(id)s AND step_key = %(step)s
"""

# The journal is written at the end of a step's transaction, which began with the step:
# clock_timestamp() records when it finished (now() would be when it started).
JOURNAL_STEP = """
INSERT INTO workflow_steps (workflow_id, step_key, status, result, batches_total, finished_at)
VALUES (%(id)s, %(step)s, %(status)s, %(result)s, %(batches)s,
        CASE WHEN %(status)s IN ('completed', 'failed') THEN clock_timestamp() END)
ON CONFLICT (workflow_id, step_key) DO UPDATE
SET status = EXCLUDED.status, result = EXCLUDED.result,
    batches_total = coalesce(EXCLUDED.batches_total, workflow_steps.batches_total),
    finished_at = EXCLUDED.finished_at
"""

JOURNAL_BATCH = """
INSERT INTO workflow_batches (workflow_id, step_key, batch, result)
VALUES (%(id)s, %(step)s, %(batch)s, %(result)s)
ON CONFLICT DO NOTHING
RETURNING batch
"""

# Fan-in: the row lock on the step serializes batches finishing together; the one
# that brings the count to the total sees it and moves the workflow on.
COUNT_BATCH = """
UPDATE workflow_steps SET batches_done = batches_done + 1
WHERE workflow_id = %(id)s AND step_key = %(step)s
RETURNING batches_done, batches_total
"""

SELECT_BATCH_RESULTS = """
SELECT result FROM workflow_batches
WHERE workflow_id = %(id)s AND step_key = %(step)s ORDER BY batch
"""

SET_WORKFLOW_STEP = """
UPDATE workflows SET current_step = %(step)s, status = %(status)s, updated_at = now()
WHERE id = %(id)s
"""

FINISH_WORKFLOW = """
UPDATE workflows SET status = %(status)s, output = %(output)s, error = %(error)s,
       current_step = NULL, updated_at = clock_timestamp(), finished_at = clock_timestamp()
WHERE id = %(id)s AND finished_at IS NULL
"""

CANCEL_WORKFLOW = """
UPDATE workflows SET status = 'cancelled', updated_at = now(), finished_at = now()
WHERE id = %(id)s AND finished_at IS NULL
RETURNING id
"""

LIST_WORKFLOWS = """
SELECT w.id, w.kind, w.version, w.status, w.current_step, w.started_at, w.finished_at,
       w.started_by,
       (SELECT count(*) FROM reviews r WHERE r.workflow_id = w.id AND r.status = 'open')
           AS open_reviews,
       (SELECT count(*) FROM tasks t WHERE t.workflow_id = w.id AND t.status = 'dead')
           AS dead_tasks
FROM workflows w
WHERE (%(kind)s::text IS NULL OR w.kind = %(kind)s)
  AND (%(status)s::text IS NULL OR w.status = %(status)s)
ORDER BY w.started_at DESC
LIMIT %(limit)s
"""

TIMELINE_STEPS = """
SELECT step_key, status, started_at, finished_at, batches_total, batches_done, result
FROM workflow_steps WHERE workflow_id = %(id)s ORDER BY started_at, step_key
"""

TIMELINE_EVENTS = """
SELECT id, step_key, agent, decision_type, subject_kind, subject_id, outcome, confidence,
       rationale, model_used, tokens_in, tokens_out, cost_usd, latency_ms, created_at
FROM agent_events WHERE workflow_id = %(id)s ORDER BY id
"""

TIMELINE_TASKS = """
SELECT id, kind, status, attempts, last_error, payload->>'step' AS step_key
FROM tasks WHERE workflow_id = %(id)s AND status IN ('failed', 'dead') ORDER BY id
"""

# Retention: finished workflows past the period lose their journal and their row;
# decisions (agent events) and reviews are the store's record and stay, unlinked.
PRUNE_WORKFLOWS = """
WITH old AS (
    SELECT id FROM workflows
    WHERE finished_at < now() - %(retention)s
    ORDER BY finished_at LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), unlink_tasks AS (
    UPDATE tasks SET workflow_id = NULL WHERE workflow_id IN (SELECT id FROM old)
), unlink_events AS (
    UPDATE agent_events SET workflow_id = NULL WHERE workflow_id IN (SELECT id FROM old)
), unlink_reviews AS (
    UPDATE reviews SET workflow_id = NULL WHERE workflow_id IN (SELECT id FROM old)
)
DELETE FROM workflows WHERE id IN (SELECT id FROM old)
"""
