"""Every SQL statement of the queue, named, parameter-bound, in one place.

Times come from the database clock (`now()`), never a worker's. Arrays carry
batches, so a batch of any size is one round trip; the hot statements take them
as binary parameters (`%(name)b`), several times cheaper to encode than text.
The runnable rows are found through the partial index `tasks_runnable (priority
DESC, run_at) WHERE status IN ('pending', 'failed')`; leases through
`tasks_leases (lease_expires_at)`; dead letters through `tasks_dead (kind,
finished_at)` (migration 0001).

The statements that write back to held leases (heartbeat, settle) look rows up by
primary key and say "leased or running" as `status NOT IN ('pending', 'completed',
'failed', 'dead')` (the same rows, by the table's CHECK constraint). Written as
`status IN ('leased', 'running')` it would match the predicate of `tasks_leases`,
and the planner, whose statistics often count no leases at all (the table was
analyzed while its tasks were pending), scanned every lease held by every worker,
filtering each against the batch: 30% of the settle's time with 500 leases held.
"""

from __future__ import annotations

from typing import Final

#: The channel that wakes idle workers: one notification per enqueued batch.
CHANNEL: Final = "automechanica_tasks"

# -- enqueue ---------------------------------------------------------------------------

#: Insert a batch; a repeated idempotency key inserts nothing. New rows come back in
#: input order. One NOTIFY per batch (PostgreSQL delivers it at commit).
INSERT_TASKS: Final = """
WITH inserted AS (
    INSERT INTO tasks (kind, payload, priority, run_at, idempotency_key, max_attempts,
                       workflow_id)
    SELECT n.kind, n.payload::jsonb, n.priority, coalesce(n.run_at, now()), n.key,
           n.max_attempts, n.workflow_id
    FROM unnest(%(kinds)b::text[], %(payloads)b::text[], %(priorities)b::smallint[],
                %(run_ats)b::timestamptz[], %(keys)b::text[], %(max_attempts)b::integer[],
                %(workflow_ids)b::uuid[])
         AS n(kind, payload, priority, run_at, key, max_attempts, workflow_id)
    ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING id, idempotency_key
), wake AS (
    SELECT pg_notify(%(channel)s, '') FROM inserted LIMIT 1
)
SELECT i.id, i.idempotency_key FROM inserted i LEFT JOIN wake ON true
"""

#: The tasks already holding some idempotency keys (after a conflict).
TASK_IDS_BY_KEY: Final = """
SELECT id, idempotency_key FROM tasks WHERE idempotency_key = ANY(%(keys)s::text[])
"""

# -- lease -----------------------------------------------------------------------------

#: The claim, in one statement: due tasks of the given kinds, highest priority first,
#: then oldest run_at; rows another worker is claiming are skipped, not waited for.
#: The attempt is counted here. The claim draws one lease token for all the rows it
#: leases (a random UUID costs 3 us to draw, a tenth of the database's work per task):
#: a lease is its task id and that token, and every write back checks both. The worker
#: claims with EXCHANGE (below), this statement's twin joined to a settlement.
LEASE: Final = """
WITH picked AS (
    SELECT id FROM tasks
    WHERE status IN ('pending', 'failed') AND run_at <= now() AND kind = ANY(%(kinds)b::text[])
    ORDER BY priority DESC, run_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), leased AS (
    UPDATE tasks AS t
    SET status = 'leased', attempts = t.attempts + 1, lease_token = (SELECT gen_random_uuid()),
        leased_by = %(worker)s, lease_expires_at = now() + make_interval(secs => %(seconds)s),
        heartbeat_at = now(), started_at = now()
    WHERE t.id = ANY(ARRAY(SELECT id FROM picked))  -- primary-key lookups, never a scan
    RETURNING t.id, t.kind, t.payload, t.priority, t.attempts, t.max_attempts, t.lease_token,
              t.run_at
)
SELECT id, kind, payload, priority, attempts, max_attempts, lease_token
FROM leased ORDER BY priority DESC, run_at, id
"""

#: Extend the leases still held (by id and token); the leases that come back are still ours.
HEARTBEAT: Final = """
UPDATE tasks AS t
SET lease_expires_at = now() + make_interval(secs => %(seconds)s), heartbeat_at = now()
WHERE t.id = ANY(%(ids)b::bigint[])
  AND t.status NOT IN ('pending', 'completed', 'failed', 'dead')
  AND t.lease_token = (%(tokens)b::uuid[])[array_position(%(ids)b::bigint[], t.id)]
RETURNING t.id, t.lease_token
"""

#: Settle a bundle of leases: mark started ones running, complete, fail (retry at
#: now() + delay, or dead), and release (back to pending, attempt not counted). Every
#: branch checks the lease token, so a lease that was taken back is left alone and its
#: id does not come back. One NOTIFY when tasks became runnable. Per-task values are
#: parallel arrays; `array_position(ids, t.id)` picks a row's own value, so each branch
#: is primary-key lookups with no join for the planner to misjudge. The hot arrays (ids,
#: tokens) come as array literals and the results as one JSON array: psycopg's binary
#: list dumping, in Python element by element, cost more than the rest of the round
#: trip's client work. An empty branch gets NULL (nothing to encode, no row matches).
_SETTLE_CTES: Final = """
started AS (
    UPDATE tasks AS t SET status = 'running'
    WHERE t.id = ANY(%(s_ids)s::bigint[])
      AND t.status NOT IN ('pending', 'running', 'completed', 'failed', 'dead')
      AND t.lease_token = (%(s_tokens)s::uuid[])[array_position(%(s_ids)s::bigint[], t.id)]
    RETURNING t.id
), completed AS (
    UPDATE tasks AS t
    SET status = 'completed', finished_at = now(), lease_token = NULL, lease_expires_at = NULL,
        result = %(c_results)s::jsonb -> (array_position(%(c_ids)s::bigint[], t.id) - 1)
    WHERE t.id = ANY(%(c_ids)s::bigint[])
      AND t.status NOT IN ('pending', 'completed', 'failed', 'dead')
      AND t.lease_token = (%(c_tokens)s::uuid[])[array_position(%(c_ids)s::bigint[], t.id)]
    RETURNING t.id
), failures AS (
    SELECT * FROM unnest(%(f_ids)b::bigint[], %(f_tokens)b::uuid[], %(f_statuses)b::text[],
                         %(f_delays)b::float8[], %(f_errors)b::text[], %(f_tracebacks)b::text[])
         AS f(id, token, status, delay, error, traceback)
), failed AS (
    UPDATE tasks AS t
    SET status = f.status,
        run_at = CASE WHEN f.status = 'failed'
                      THEN now() + make_interval(secs => f.delay) ELSE t.run_at END,
        finished_at = CASE WHEN f.status = 'dead' THEN now() END,
        last_error = f.error, last_traceback = f.traceback,
        lease_token = NULL, lease_expires_at = NULL
    FROM failures AS f
    WHERE t.id = ANY(%(f_ids)b::bigint[]) AND t.id = f.id AND t.lease_token = f.token
      AND t.status NOT IN ('pending', 'completed', 'failed', 'dead')
    RETURNING t.id, f.status
), released AS (
    UPDATE tasks AS t
    SET status = 'pending', attempts = greatest(t.attempts - 1, 0),
        lease_token = NULL, leased_by = NULL, lease_expires_at = NULL
    WHERE t.id = ANY(%(r_ids)s::bigint[])
      AND t.status NOT IN ('pending', 'completed', 'failed', 'dead')
      AND t.lease_token = (%(r_tokens)s::uuid[])[array_position(%(r_ids)s::bigint[], t.id)]
    RETURNING t.id
), wake AS (
    SELECT pg_notify(%(channel)s, '')
    FROM (SELECT id FROM released UNION ALL SELECT id FROM failed WHERE status = 'failed') x
    LIMIT 1
)"""

#: What a settlement reports: the ids accepted per outcome, the running-marks written.
_SETTLED_COLUMNS: Final = """
       (SELECT coalesce(array_agg(id), '{}') FROM completed) AS completed,
       (SELECT coalesce(array_agg(id), '{}') FROM failed) AS failed,
       (SELECT coalesce(array_agg(id), '{}') FROM released) AS released,
       (SELECT count(*) FROM started) AS started,
       (SELECT count(*) FROM wake) AS woke"""

SETTLE: Final = "WITH" + _SETTLE_CTES + "\nSELECT" + _SETTLED_COLUMNS + "\n"

#: The worker's hot path: settle what finished and lease the next batch in ONE
#: statement, run in autocommit (no BEGIN, COMMIT or pipeline: one message, one
#: commit). The settle's rows are this worker's leases and the claim's are pending or
#: failed, so no row is touched twice; the whole statement sees one snapshot, so a task
#: released here is not leased again by the same statement. One row comes back: the
#: settlement, then the new leases as parallel arrays, best first.
EXCHANGE: Final = (
    "WITH"
    + _SETTLE_CTES
    + """, picked AS (
    SELECT id FROM tasks
    WHERE status IN ('pending', 'failed') AND run_at <= now() AND kind = ANY(%(kinds)b::text[])
    ORDER BY priority DESC, run_at
    LIMIT %(limit)b::integer
    FOR UPDATE SKIP LOCKED
), leased AS (
    UPDATE tasks AS t
    SET status = 'leased', attempts = t.attempts + 1, lease_token = (SELECT gen_random_uuid()),
        leased_by = %(worker)b::text,
        lease_expires_at = now() + make_interval(secs => %(seconds)b::float8),
        heartbeat_at = now(), started_at = now()
    WHERE t.id = ANY(ARRAY(SELECT id FROM picked))  -- primary-key lookups, never a scan
    RETURNING t.id, t.kind, t.payload, t.priority, t.attempts, t.max_attempts, t.lease_token,
              t.run_at
), ordered AS (
    SELECT * FROM leased ORDER BY priority DESC, run_at, id
)
SELECT"""
    + _SETTLED_COLUMNS
    + """,
       l.ids, l.kinds, l.payloads, l.priorities, l.attempts, l.max_attempts, l.tokens
FROM (SELECT array_agg(id) AS ids, array_agg(kind) AS kinds, array_agg(payload) AS payloads,
             array_agg(priority) AS priorities, array_agg(attempts) AS attempts,
             array_agg(max_attempts) AS max_attempts, array_agg(lease_token) AS tokens
      FROM ordered) AS l
"""
)

#: Complete one task inside the caller's transaction (its effects commit with it).
# clock_timestamp(), not now(): the task's transaction began when its handler did, so
# now() would record the start as the finish.
COMPLETE_ONE: Final = """
UPDATE tasks
SET status = 'completed', result = %(result)s::jsonb, finished_at = clock_timestamp(),
    lease_token = NULL, lease_expires_at = NULL
WHERE id = %(id)s AND lease_token = %(token)s AND status IN ('leased', 'running')
"""

# -- housekeeping ----------------------------------------------------------------------

#: Leases whose holder stopped heartbeating; locked (others skip them) for the settle.
EXPIRED_LEASES: Final = """
SELECT id, kind, attempts, max_attempts, lease_token, leased_by
FROM tasks
WHERE status IN ('leased', 'running') AND lease_expires_at < now()
ORDER BY lease_expires_at
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED
"""

#: Delete finished tasks older than the retention, a bounded batch at a time.
PRUNE_COMPLETED: Final = """
DELETE FROM tasks
WHERE id IN (
    SELECT id FROM tasks
    WHERE status = 'completed' AND finished_at < now() - make_interval(secs => %(seconds)s)
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
"""

#: Cancel tasks that have not started: by ids, kind and/or workflow (all optional).
CANCEL_PENDING: Final = """
DELETE FROM tasks
WHERE status IN ('pending', 'failed')
  AND (%(ids)s::bigint[] IS NULL OR id = ANY(%(ids)s::bigint[]))
  AND (%(kind)s::text IS NULL OR kind = %(kind)s::text)
  AND (%(workflow_id)s::uuid IS NULL OR workflow_id = %(workflow_id)s::uuid)
RETURNING id
"""

# -- inspection and dead letters -------------------------------------------------------

SELECT_TASK: Final = """
SELECT id, kind, status, payload, priority, run_at, attempts, max_attempts, idempotency_key,
       workflow_id, leased_by, lease_expires_at, heartbeat_at, last_error, last_traceback,
       result, created_at, started_at, finished_at
FROM tasks WHERE id = %(id)s
"""

TASK_STATUSES: Final = """
SELECT id, status FROM tasks WHERE id = ANY(%(ids)s::bigint[])
"""

LIST_DEAD: Final = """
SELECT id, kind, attempts, max_attempts, last_error, workflow_id, created_at, finished_at
FROM tasks
WHERE status = 'dead'
  AND (%(kind)s::text IS NULL OR kind = %(kind)s::text)
  AND (%(error)s::text IS NULL OR strpos(last_error, %(error)s::text) > 0)
ORDER BY finished_at DESC, id DESC
LIMIT %(limit)s
"""

#: Dead letters back to pending with a fresh set of attempts; one NOTIFY for the lot.
REPLAY_DEAD: Final = """
WITH replayed AS (
    UPDATE tasks
    SET status = 'pending', attempts = 0, run_at = now(), finished_at = NULL,
        lease_token = NULL, leased_by = NULL, lease_expires_at = NULL, heartbeat_at = NULL
    WHERE status = 'dead'
      AND (%(ids)s::bigint[] IS NULL OR id = ANY(%(ids)s::bigint[]))
      AND (%(kind)s::text IS NULL OR kind = %(kind)s::text)
      AND (%(error)s::text IS NULL OR strpos(last_error, %(error)s::text) > 0)
    RETURNING id
), wake AS (
    SELECT pg_notify(%(channel)s, '') FROM replayed LIMIT 1
)
SELECT r.id FROM replayed r LEFT JOIN wake ON true
"""

DISCARD_DEAD: Final = """
DELETE FROM tasks
WHERE status = 'dead'
  AND (%(ids)s::bigint[] IS NULL OR id = ANY(%(ids)s::bigint[]))
  AND (%(kind)s::text IS NULL OR kind = %(kind)s::text)
  AND (%(error)s::text IS NULL OR strpos(last_error, %(error)s::text) > 0)
RETURNING id
"""

# -- statistics ------------------------------------------------------------------------

#: Counts per kind and state, the oldest due task, completions in the last 1 and 5 minutes.
STATS_BY_KIND: Final = """
SELECT kind, status, count(*) AS count,
       extract(epoch FROM now() - min(run_at) FILTER (
           WHERE status IN ('pending', 'failed') AND run_at <= now()))::float8
           AS oldest_runnable_seconds,
       count(*) FILTER (WHERE status = 'completed' AND finished_at > now() - interval '1 minute')
           AS completed_1m,
       count(*) FILTER (WHERE status = 'completed' AND finished_at > now() - interval '5 minutes')
           AS completed_5m
FROM tasks
GROUP BY kind, status
"""

TABLE_HEALTH: Final = """
SELECT coalesce(n_live_tup, 0) AS live, coalesce(n_dead_tup, 0) AS dead
FROM pg_stat_user_tables WHERE relid = 'tasks'::regclass
"""
