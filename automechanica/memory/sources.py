"""What memory embeds: per kind, its source table, its vector table, payload and display text.

The text itself is computed by the database (`memory_*_text` functions of
migration 0002; an event's embedded text by `memory_event_recall_text` of 0013), in
the triggers that write embedding jobs. Here: where each
kind's vectors live, the fields search can filter on (the payload), and how a
hit is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Kind = Literal["part", "event", "issue", "document", "memory"]
KINDS: tuple[Kind, ...] = get_args(Kind)


@dataclass(frozen=True)
class Source:
    """One kind of embedded thing."""

    kind: Kind
    #: The table of vectors and its id column (a foreign key to the source row).
    table: str
    id_column: str
    #: (id, payload jsonb) of the source rows with ids = ANY(%(ids)s): what filters see.
    payload_sql: str
    #: (id, text, ref, payload) of the source rows with ids = ANY(%(ids)s): what a hit shows.
    show_sql: str
    #: Jobs for every source row that has no vector of model %(model)s yet and no job
    #: under way (run at worker start and by `memory reembed`; not a hot path).
    backfill_sql: str


SOURCES: dict[Kind, Source] = {
    "part": Source(
        "part",
        "part_embeddings",
        "part_id",
        """SELECT p.id, jsonb_build_object('part_type', t.slug, 'brand', b.name,
                                         'status', p.status, 'fit_class', p.fit_class)
           FROM parts p JOIN part_types t ON t.id = p.part_type_id
           JOIN brands b ON b.id = p.brand_id WHERE p.id = ANY(%(ids)s)""",
        """SELECT p.id, p.title, 'part:' || p.id,
                  jsonb_build_object('brand', b.name, 'part_number', p.part_number)
           FROM parts p JOIN brands b ON b.id = p.brand_id WHERE p.id = ANY(%(ids)s)""",
        """INSERT INTO embedding_jobs (kind, ref_id, content, content_hash, model)
           SELECT 'part', p.id::text, x.content, md5(x.content), %(model)s
           FROM parts p JOIN brands b ON b.id = p.brand_id
           JOIN part_types t ON t.id = p.part_type_id
           CROSS JOIN LATERAL (SELECT memory_part_text(b.name, p.title, p.part_number, t.name,
                                      p.description, p.attributes) AS content) x
           WHERE NOT EXISTS (SELECT 1 FROM part_embeddings e
                             WHERE e.part_id = p.id AND e.model = %(model)s)
             AND NOT EXISTS (SELECT 1 FROM embedding_jobs j WHERE j.kind = 'part'
                             AND j.ref_id = p.id::text AND j.status <> 'done')""",
    ),
    "event": Source(
        "event",
        "event_embeddings",
        "event_id",
        """SELECT e.id, jsonb_strip_nulls(jsonb_build_object(
                  'agent', e.agent, 'decision_type', e.decision_type, 'outcome', e.outcome,
                  'subject_kind', e.subject_kind, 'subject_id', e.subject_id))
           FROM agent_events e WHERE e.id = ANY(%(ids)s)""",
        """SELECT e.id, memory_event_text(e.agent, e.decision_type, e.subject_kind,
                  e.subject_id, e.rationale, e.outcome, e.input), 'event:' || e.id,
                  jsonb_build_object('confidence', e.confidence, 'output', e.output)
           FROM agent_events e WHERE e.id = ANY(%(ids)s)""",
        """INSERT INTO embedding_jobs (kind, ref_id, content, content_hash, model)
           SELECT 'event', e.id::text, x.content, md5(x.content), %(model)s
           FROM agent_events e
           CROSS JOIN LATERAL (SELECT memory_event_recall_text(e.agent, e.decision_type,
                  e.subject_kind, e.rationale, e.outcome, e.input) AS content) x
           WHERE NOT EXISTS (SELECT 1 FROM event_embeddings v
                             WHERE v.event_id = e.id AND v.model = %(model)s)
             AND NOT EXISTS (SELECT 1 FROM embedding_jobs j WHERE j.kind = 'event'
                             AND j.ref_id = e.id::text AND j.status <> 'done')""",
    ),
    "issue": Source(
        "issue",
        "issue_embeddings",
        "issue_id",
        """SELECT i.id, jsonb_build_object('kind', i.kind, 'status', i.status,
                                         'part_id', i.part_id)
           FROM fitment_issues i WHERE i.id = ANY(%(ids)s)""",
        """SELECT i.id, memory_issue_text(i.kind, i.description), 'issue:' || i.id,
                  jsonb_build_object('part_id', i.part_id, 'vehicle_id', i.vehicle_id)
           FROM fitment_issues i WHERE i.id = ANY(%(ids)s)""",
        """INSERT INTO embedding_jobs (kind, ref_id, content, content_hash, model)
           SELECT 'issue', i.id::text, x.content, md5(x.content), %(model)s
           FROM fitment_issues i
           CROSS JOIN LATERAL (SELECT memory_issue_text(i.kind, i.description) AS content) x
           WHERE NOT EXISTS (SELECT 1 FROM issue_embeddings v
                             WHERE v.issue_id = i.id AND v.model = %(model)s)
             AND NOT EXISTS (SELECT 1 FROM embedding_jobs j WHERE j.kind = 'issue'
                             AND j.ref_id = i.id::text AND j.status <> 'done')""",
    ),
    "document": Source(
        "document",
        "document_embeddings",
        "chunk_id",
        """SELECT c.id, jsonb_build_object('supplier', s.name, 'document_id', d.id,
                                         'content_type', d.content_type)
           FROM document_chunks c JOIN supplier_documents d ON d.id = c.document_id
           LEFT JOIN suppliers s ON s.id = d.supplier_id WHERE c.id = ANY(%(ids)s)""",
        """SELECT c.id, c.content, 'chunk:' || c.id,
                  jsonb_build_object('document', d.title, 'source', d.source_name,
                                     'chunk_index', c.chunk_index, 'supplier', s.name)
           FROM document_chunks c JOIN supplier_documents d ON d.id = c.document_id
           LEFT JOIN suppliers s ON s.id = d.supplier_id WHERE c.id = ANY(%(ids)s)""",
        """INSERT INTO embedding_jobs (kind, ref_id, content, content_hash, model)
           SELECT 'document', c.id::text, x.content, md5(x.content), %(model)s
           FROM document_chunks c JOIN supplier_documents d ON d.id = c.document_id
           CROSS JOIN LATERAL (SELECT d.title || E'\\n' || c.content AS content) x
           WHERE NOT EXISTS (SELECT 1 FROM document_embeddings v
                             WHERE v.chunk_id = c.id AND v.model = %(model)s)
             AND NOT EXISTS (SELECT 1 FROM embedding_jobs j WHERE j.kind = 'document'
                             AND j.ref_id = c.id::text AND j.status <> 'done')""",
    ),
    "memory": Source(
        "memory",
        "memory_embeddings",
        "item_id",
        """SELECT m.id, m.metadata || jsonb_build_object('namespace', m.namespace)
           FROM memory_items m WHERE m.id = ANY(%(ids)s)""",
        """SELECT m.id, m.content, m.ref, m.metadata
           FROM memory_items m WHERE m.id = ANY(%(ids)s)""",
        """INSERT INTO embedding_jobs (kind, ref_id, content, content_hash, model)
           SELECT 'memory', m.id::text, m.content, md5(m.content), %(model)s
           FROM memory_items m
           WHERE NOT EXISTS (SELECT 1 FROM memory_embeddings v
                             WHERE v.item_id = m.id AND v.model = %(model)s)
             AND NOT EXISTS (SELECT 1 FROM embedding_jobs j WHERE j.kind = 'memory'
                             AND j.ref_id = m.id::text AND j.status <> 'done')""",
    ),
}


def source(kind: str) -> Source:
    """The kind's definition; ValueError names the kinds there are."""
    try:
        return SOURCES[kind]  # type: ignore[index]
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}; kinds: {', '.join(KINDS)}") from None
