"""Embedding jobs written with their source rows; payloads and job order on the vectors.

Statement-level triggers (`REFERENCING NEW TABLE`) on parts, agent_events,
fitment_issues, document_chunks and memory_items insert one `embedding_jobs` row
per new row, or per updated row whose embedded text changed, in the writer's own
transaction: a bulk feed import pays one INSERT … SELECT per statement, not a
trigger call per row. Each job carries the text to embed and its md5, so the
worker can skip text it has already embedded. One NOTIFY per statement wakes the
embedding worker. Rows that existed before this revision get their jobs here.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

VECTOR_TABLES = (
    "part_embeddings",
    "event_embeddings",
    "issue_embeddings",
    "document_embeddings",
    "memory_embeddings",
)

COLUMNS = "".join(
    f"""
ALTER TABLE {table}
    ADD COLUMN payload jsonb NOT NULL DEFAULT '{{}}',  -- filterable fields (search filters: payload @> …)
    ADD COLUMN job_id bigint;                          -- newest job written: an older one never overwrites it
"""
    for table in VECTOR_TABLES
)

INDEXES = """
-- the embedding worker's janitor: leases that expired (a worker died mid-batch)
CREATE INDEX embedding_jobs_leases ON embedding_jobs (lease_expires_at) WHERE status = 'leased';
"""

# What each kind embeds. One function per kind, so the triggers, the backfill and
# `memory reembed` can never disagree about a row's text.
TEXT_FUNCTIONS = r"""
CREATE FUNCTION memory_part_text(brand text, title text, part_number text, part_type text,
                                 description text, attributes jsonb)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT concat_ws('. ', title, brand || ' ' || part_type || ' ' || part_number,
        (SELECT string_agg(a.key || ': '
                           || regexp_replace(a.value, '^(\d+(\.\d+)?) ?in$', '\1 inch'),
                           ', ' ORDER BY a.key)
         FROM jsonb_each_text(attributes) a),
        nullif(description, ''))
$$;

CREATE FUNCTION memory_event_text(agent text, decision_type text, subject_kind text,
                                  subject_id text, rationale text, outcome text, input jsonb)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT concat_ws(E'\n',
        agent || ' ' || decision_type || coalesce(' on ' || subject_kind || ' ' || subject_id, '')
            || ': ' || outcome,
        nullif(rationale, ''),
        CASE WHEN input <> '{}' THEN left(input::text, 2000) END)
$$;

CREATE FUNCTION memory_issue_text(kind text, description text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT kind || ': ' || description
$$;
"""

TRIGGERS = r"""
CREATE FUNCTION memory_jobs_parts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO embedding_jobs (kind, ref_id, content, content_hash)
        SELECT 'part', n.id::text, x.content, md5(x.content)
        FROM new_rows n
        JOIN brands b ON b.id = n.brand_id
        JOIN part_types t ON t.id = n.part_type_id
        CROSS JOIN LATERAL (SELECT memory_part_text(b.name, n.title, n.part_number, t.name,
                                                    n.description, n.attributes) AS content) x;
    ELSE
        INSERT INTO embedding_jobs (kind, ref_id, content, content_hash)
        SELECT 'part', n.id::text, x.content, md5(x.content)
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id
        JOIN brands b ON b.id = n.brand_id
        JOIN part_types t ON t.id = n.part_type_id
        CROSS JOIN LATERAL (SELECT memory_part_text(b.name, n.title, n.part_number, t.name,
                                                    n.description, n.attributes) AS content) x
        WHERE (n.title, n.part_number, n.description, n.brand_id, n.part_type_id, n.attributes)
              IS DISTINCT FROM
              (o.title, o.part_number, o.description, o.brand_id, o.part_type_id, o.attributes);
    END IF;
    IF FOUND THEN
        PERFORM pg_notify('automechanica_embeddings', 'part');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER parts_embedding_jobs_insert AFTER INSERT ON parts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION memory_jobs_parts();
CREATE TRIGGER parts_embedding_jobs_update AFTER UPDATE ON parts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION memory_jobs_parts();

-- Agent events are written once and never edited.
CREATE FUNCTION memory_jobs_events() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER agent_events_embedding_jobs AFTER INSERT ON agent_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION memory_jobs_events();

CREATE FUNCTION memory_jobs_issues() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO embedding_jobs (kind, ref_id, content, content_hash)
        SELECT 'issue', n.id::text, x.content, md5(x.content)
        FROM new_rows n CROSS JOIN LATERAL (SELECT memory_issue_text(n.kind, n.description) AS content) x;
    ELSE
        INSERT INTO embedding_jobs (kind, ref_id, content, content_hash)
        SELECT 'issue', n.id::text, x.content, md5(x.content)
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        CROSS JOIN LATERAL (SELECT memory_issue_text(n.kind, n.description) AS content) x
        WHERE (n.kind, n.description) IS DISTINCT FROM (o.kind, o.description);
    END IF;
    IF FOUND THEN
        PERFORM pg_notify('automechanica_embeddings', 'issue');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER fitment_issues_embedding_jobs_insert AFTER INSERT ON fitment_issues
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION memory_jobs_issues();
CREATE TRIGGER fitment_issues_embedding_jobs_update AFTER UPDATE ON fitment_issues
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION memory_jobs_issues();

-- A chunk is embedded with its document's title; chunks are never edited (a changed
-- document is a new document).
CREATE FUNCTION memory_jobs_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO embedding_jobs (kind, ref_id, content, content_hash)
    SELECT 'document', n.id::text, x.content, md5(x.content)
    FROM new_rows n JOIN supplier_documents d ON d.id = n.document_id
    CROSS JOIN LATERAL (SELECT d.title || E'\n' || n.content AS content) x;
    IF FOUND THEN
        PERFORM pg_notify('automechanica_embeddings', 'document');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER document_chunks_embedding_jobs AFTER INSERT ON document_chunks
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION memory_jobs_chunks();

CREATE FUNCTION memory_jobs_items() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO embedding_jobs (kind, ref_id, content, content_hash)
        SELECT 'memory', n.id::text, n.content, md5(n.content) FROM new_rows n;
    ELSE
        INSERT INTO embedding_jobs (kind, ref_id, content, content_hash)
        SELECT 'memory', n.id::text, n.content, md5(n.content)
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.content IS DISTINCT FROM o.content;
    END IF;
    IF FOUND THEN
        PERFORM pg_notify('automechanica_embeddings', 'memory');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER memory_items_embedding_jobs_insert AFTER INSERT ON memory_items
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION memory_jobs_items();
CREATE TRIGGER memory_items_embedding_jobs_update AFTER UPDATE ON memory_items
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION memory_jobs_items();
"""

# Rows written before this revision: one job each (the worker skips nothing it has).
BACKFILL = r"""
INSERT INTO embedding_jobs (kind, ref_id, content, content_hash)
SELECT 'part', p.id::text, x.content, md5(x.content)
FROM parts p JOIN brands b ON b.id = p.brand_id JOIN part_types t ON t.id = p.part_type_id
CROSS JOIN LATERAL (SELECT memory_part_text(b.name, p.title, p.part_number, t.name,
                                            p.description, p.attributes) AS content) x;
INSERT INTO embedding_jobs (kind, ref_id, content, content_hash)
SELECT 'event', e.id::text, x.content, md5(x.content) FROM agent_events e
CROSS JOIN LATERAL (SELECT memory_event_text(e.agent, e.decision_type, e.subject_kind,
                    e.subject_id, e.rationale, e.outcome, e.input) AS content) x;
INSERT INTO embedding_jobs (kind, ref_id, content, content_hash)
SELECT 'issue', i.id::text, x.content, md5(x.content) FROM fitment_issues i
CROSS JOIN LATERAL (SELECT memory_issue_text(i.kind, i.description) AS content) x;
INSERT INTO embedding_jobs (kind, ref_id, content, content_hash)
SELECT 'document', c.id::text, x.content, md5(x.content)
FROM document_chunks c JOIN supplier_documents d ON d.id = c.document_id
CROSS JOIN LATERAL (SELECT d.title || E'\n' || c.content AS content) x;
INSERT INTO embedding_jobs (kind, ref_id, content, content_hash)
SELECT 'memory', m.id::text, m.content, md5(m.content) FROM memory_items m;
"""

DOWNGRADE = """
DROP TRIGGER IF EXISTS parts_embedding_jobs_insert ON parts;
DROP TRIGGER IF EXISTS parts_embedding_jobs_update ON parts;
DROP TRIGGER IF EXISTS agent_events_embedding_jobs ON agent_events;
DROP TRIGGER IF EXISTS fitment_issues_embedding_jobs_insert ON fitment_issues;
DROP TRIGGER IF EXISTS fitment_issues_embedding_jobs_update ON fitment_issues;
DROP TRIGGER IF EXISTS document_chunks_embedding_jobs ON document_chunks;
DROP TRIGGER IF EXISTS memory_items_embedding_jobs_insert ON memory_items;
DROP TRIGGER IF EXISTS memory_items_embedding_jobs_update ON memory_items;
DROP FUNCTION IF EXISTS memory_jobs_parts(), memory_jobs_events(), memory_jobs_issues(),
    memory_jobs_chunks(), memory_jobs_items();
DROP FUNCTION IF EXISTS memory_part_text(text, text, text, text, text, jsonb),
    memory_event_text(text, text, text, text, text, text, jsonb), memory_issue_text(text, text);
DROP INDEX IF EXISTS embedding_jobs_leases;
""" + "".join(
    f"ALTER TABLE {table} DROP COLUMN IF EXISTS payload, DROP COLUMN IF EXISTS job_id;\n"
    for table in VECTOR_TABLES
)


def upgrade() -> None:
    for block in (COLUMNS, INDEXES, TEXT_FUNCTIONS, TRIGGERS, BACKFILL):
        op.execute(block)


def downgrade() -> None:
    op.execute(DOWNGRADE)
