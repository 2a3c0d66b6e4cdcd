"""What an agent event's vector is made of: the decision in words, not its ids.

An event was embedded as its headline with the subject's id ("on part 4711"), its
rationale and its whole input as JSON. The ids and counts in the JSON carry no
meaning a text model can use (recall filters on subject, agent and outcome through
the payload), but they made every routine event's text unique: onboarding 10,000
parts wrote 20,000 product-data and SEO events that said the same few things, and
each was embedded on its own. The text to embed is now the agent, the decision,
the subject's kind, the outcome, the rationale and the input's text values (a
fragment, a file name, a reason); numbers and ids are left out. Identical texts then
share one embedding (the worker embeds a text once per batch and remembers recent
ones). `memory_event_text`, which shows an event in a hit, keeps the subject's id.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE FUNCTION memory_event_recall_text(agent text, decision_type text, subject_kind text,
                                         rationale text, outcome text, input jsonb)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT concat_ws(E'\n',
        agent || ' ' || decision_type || coalesce(' on ' || subject_kind, '') || ': ' || outcome,
        nullif(rationale, ''),
        (SELECT left(string_agg(i.key || ': ' || (i.value #>> '{}'), '; ' ORDER BY i.key), 2000)
         FROM jsonb_each(CASE WHEN jsonb_typeof(input) = 'object' THEN input END) i
         WHERE jsonb_typeof(i.value) = 'string' AND i.value #>> '{}' <> ''))
$$;

CREATE OR REPLACE FUNCTION memory_jobs_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO embedding_jobs (kind, ref_id, content, content_hash)
    SELECT 'event', n.id::text, x.content, md5(x.content)
    FROM new_rows n
    CROSS JOIN LATERAL (SELECT memory_event_recall_text(n.agent, n.decision_type,
                        n.subject_kind, n.rationale, n.outcome, n.input) AS content) x;
    IF FOUND THEN
        PERFORM pg_notify('automechanica_embeddings', 'event');
    END IF;
    RETURN NULL;
END $$;
"""

DOWNGRADE = r"""
CREATE OR REPLACE FUNCTION memory_jobs_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO embedding_jobs (kind, ref_id, content, content_hash)
    SELECT 'event', n.id::text, x.content, md5(x.content)
    FROM new_rows n
    CROSS JOIN LATERAL (SELECT memory_event_text(n.agent, n.decision_type, n.subject_kind,
                        n.subject_id, n.rationale, n.outcome, n.input) AS content) x;
    IF FOUND THEN
        PERFORM pg_notify('automechanica_embeddings', 'event');
    END IF;
    RETURN NULL;
END $$;
DROP FUNCTION memory_event_recall_text(text, text, text, text, text, jsonb);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
