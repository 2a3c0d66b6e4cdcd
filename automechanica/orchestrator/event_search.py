"""Finding past decisions: agent events by meaning (vector memory) or newest first.

The console asks "when did an agent hold a price like this before?". A query is
answered from the vectors the embedding worker wrote for events (memory's store,
the same model as memory), filtered on the payload memory keeps for events (agent,
decision type, outcome); without a query, the newest events come first, paged by
id (a keyset, never an offset). Either way the answer counts the matching events
whose embedding is still waiting, because an event not yet embedded cannot be
found by meaning and a short list must not look complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

import numpy as np
import numpy.typing as npt
from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row
from pydantic import BaseModel, ConfigDict, Field

from automechanica.errors import NotFoundError
from automechanica.memory import Hit, VectorStore

#: Characters of a rationale shown in a list; the whole text is in the event.
SUMMARY_CHARS = 280
WORDS_NOTE = (
    "Searched by words, not meaning: the embedding model is not available to this API "
    "process (`automechanica up` runs it), so only events whose rationale or decision "
    "type contains these words are listed, newest first."
)
#: With `since`, the vector search looks at this many nearest events (payload filters
#: applied) and keeps those recent enough: the store filters on equality only.
SINCE_CANDIDATES = 1000

LIST_COLUMNS = """
SELECT e.id, e.agent, e.decision_type, e.outcome, e.confidence,
       left(e.rationale, %(summary)s + 1) AS rationale, e.cost_usd, e.workflow_id,
       e.created_at,
       EXISTS (SELECT 1 FROM event_embeddings v
               WHERE v.event_id = e.id AND v.model = %(model)s) AS searchable
FROM agent_events e
"""
# Newest first: the primary key read backwards from the cursor (agent_events_pkey).
NEWEST = LIST_COLUMNS + "WHERE {conditions} ORDER BY e.id DESC LIMIT %(limit)s"
# The rows of the vector hits (primary key lookups), recent enough when `since` is set.
BY_IDS = LIST_COLUMNS + "WHERE e.id = ANY(%(ids)s) AND {conditions}"
# Events whose embedding job has not finished, among those the filters keep: jobs by
# embedding_jobs_kind_status (a backlog is small), events by their primary key.
BACKLOG = """
SELECT count(DISTINCT e.id) FILTER (WHERE j.status <> 'dead') AS waiting,
       count(DISTINCT e.id) FILTER (WHERE j.status = 'dead') AS dead
FROM embedding_jobs j JOIN agent_events e ON e.id = j.ref_id::bigint
WHERE j.kind = 'event' AND j.status IN ('pending', 'leased', 'failed', 'dead')
  AND {conditions}
"""
# One event by its primary key; its newest embedding job through
# embedding_jobs_kind_status (the event jobs not yet pruned: done ones go after a day).
ONE = """
SELECT e.id, e.workflow_id, e.task_id, e.step_key, e.agent, e.decision_type, e.subject_kind,
       e.subject_id, e.input, e.output, e.confidence, e.rationale, e.evidence, e.outcome,
       e.model_used, e.tokens_in, e.tokens_out, e.cost_usd, e.latency_ms, e.created_at,
       EXISTS (SELECT 1 FROM event_embeddings v
               WHERE v.event_id = e.id AND v.model = %(model)s) AS searchable,
       (SELECT j.status FROM embedding_jobs j WHERE j.kind = 'event'
        AND j.ref_id = e.id::text ORDER BY j.id DESC LIMIT 1) AS job_status
FROM agent_events e WHERE e.id = %(id)s
"""


@dataclass(frozen=True)
class EventFilters:
    """What the operator narrowed the events to; None means any."""

    agent: str | None = None
    decision_type: str | None = None
    outcome: str | None = None
    since: datetime | None = None

    def payload(self) -> dict[str, str]:
        """The filters memory's store can apply (equality on an event's payload)."""
        fields = {"agent": self.agent, "decision_type": self.decision_type, "outcome": self.outcome}
        return {k: v for k, v in fields.items() if v is not None}

    def conditions(self) -> tuple[sql.Composable, dict[str, Any]]:
        """The same filters as SQL on `agent_events e`, with their parameters."""
        parts: list[sql.Composable] = [sql.SQL("TRUE")]
        params: dict[str, Any] = {}
        for name, value in self.payload().items():
            parts.append(sql.SQL("e.{} = {}").format(sql.Identifier(name), sql.Placeholder(name)))
            params[name] = value
        if self.since is not None:
            parts.append(sql.SQL("e.created_at >= %(since)s"))
            params["since"] = self.since
        return sql.SQL(" AND ").join(parts), params


class AgentEventHit(BaseModel):
    """One event in a list: enough to recognise it and open it."""

    id: int
    agent: str
    decision_type: str
    outcome: str
    confidence: float | None
    rationale: str | None  # the first SUMMARY_CHARS characters, "…" when cut
    cost_usd: Decimal | None
    workflow_id: UUID | None
    created_at: datetime
    similarity: float | None  # cosine similarity to the query; None when listing newest
    searchable: bool  # has a vector of the search model (can be found by meaning)


class EventEmbeddingBacklog(BaseModel):
    """Events the filters keep that search by meaning cannot find yet."""

    waiting: int  # an embedding job pending, leased or retrying
    dead: int  # the job gave up (`automechanica memory replay --kind event`)


class AgentEventPage(BaseModel):
    #: similar: by meaning; newest: no query; words: no embedding model, so the events
    #: whose rationale or decision type holds the words, newest first.
    mode: Literal["similar", "newest", "words"]
    model: str | None  # the embedding model the query and the vectors share
    hits: list[AgentEventHit]
    next_before: int | None  # newest: pass as `before` for the next page
    backlog: EventEmbeddingBacklog
    notes: list[str]


class AgentEventDetail(BaseModel):
    """The whole event, as recorded."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    id: int
    workflow_id: UUID | None
    task_id: int | None
    step_key: str | None
    agent: str
    decision_type: str
    subject_kind: str | None
    subject_id: str | None
    input: Any
    output: Any
    confidence: float | None
    rationale: str | None
    evidence: Any
    outcome: str
    model_used: str | None
    tokens_in: int | None
    tokens_out: int | None
    cost_usd: Decimal | None
    latency_ms: float | None
    created_at: datetime
    embedding: Literal["embedded", "waiting", "dead", "none"]
    similar: list[AgentEventHit] = Field(
        default_factory=list, description="the events most like this one, best first"
    )


def summary(text: str | None) -> str | None:
    if text is None or len(text) <= SUMMARY_CHARS:
        return text
    cut = text[:SUMMARY_CHARS]
    space = cut.rfind(" ")
    return (cut[:space] if space > SUMMARY_CHARS // 2 else cut).rstrip() + "…"


def _hit(row: dict[str, Any], similarity: float | None) -> AgentEventHit:
    return AgentEventHit(**(row | {"rationale": summary(row["rationale"])}), similarity=similarity)


async def _rows(
    conn: AsyncConnection[Any], template: str, filters: EventFilters, params: dict[str, Any]
) -> list[dict[str, Any]]:
    conditions, more = filters.conditions()
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(sql.SQL(template).format(conditions=conditions), params | more)
        return await cur.fetchall()


async def embedding_backlog(
    conn: AsyncConnection[Any], filters: EventFilters
) -> EventEmbeddingBacklog:
    rows = await _rows(conn, BACKLOG, filters, {})
    return EventEmbeddingBacklog(waiting=rows[0]["waiting"], dead=rows[0]["dead"])


async def newest_events(
    conn: AsyncConnection[Any],
    filters: EventFilters,
    *,
    model: str | None,
    before: int | None = None,
    limit: int = 25,
    words: str | None = None,
) -> AgentEventPage:
    """The newest events the filters keep, older than event `before` when given; with
    `words`, only those whose rationale or decision type contains them (the fallback
    when there is no embedding model to search by meaning)."""
    conditions, params = filters.conditions()
    if before is not None:
        conditions = sql.SQL("{} AND e.id < %(before)s").format(conditions)
        params["before"] = before
    if words:
        conditions = sql.SQL(
            "{} AND (e.rationale ILIKE %(words)s OR e.decision_type ILIKE %(words)s)"
        ).format(conditions)
        escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["words"] = f"%{escaped}%"
    params |= {"summary": SUMMARY_CHARS, "model": model or "", "limit": limit + 1}
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(sql.SQL(NEWEST).format(conditions=conditions), params)
        rows = await cur.fetchall()
    more = len(rows) > limit
    hits = [_hit(r, None) for r in rows[:limit]]
    notes = [WORDS_NOTE] if words else []
    return AgentEventPage(
        mode="words" if words else "newest",
        model=model,
        hits=hits,
        next_before=hits[-1].id if more else None,
        backlog=await embedding_backlog(conn, filters),
        notes=notes,
    )


async def similar_events(
    conn: AsyncConnection[Any],
    store: VectorStore,
    model: str,
    vector: npt.NDArray[np.float32],
    filters: EventFilters,
    *,
    limit: int = 25,
) -> AgentEventPage:
    """The events closest in meaning to the query's `vector`, best first, with the score."""
    wanted = limit if filters.since is None else max(limit, SINCE_CANDIDATES)
    found = await store.search("event", model, vector, k=wanted, filters=filters.payload())
    hits = await _ranked(conn, found, filters, model)
    notes = []
    if filters.since is not None and len(found) == wanted and len(hits) < limit:
        notes.append(
            f"Only the {wanted} events closest to the query were checked against `since`; "
            "narrow by agent, decision type or outcome to reach further."
        )
    return AgentEventPage(
        mode="similar",
        model=model,
        hits=hits[:limit],
        next_before=None,
        backlog=await embedding_backlog(conn, filters),
        notes=notes,
    )


async def similar_to_event(
    conn: AsyncConnection[Any], store: VectorStore, model: str, event_id: int, *, limit: int = 5
) -> list[AgentEventHit]:
    """The events most like `event_id` (itself left out): "has this happened before?".
    Empty while the event has no vector of `model`."""
    vector = await store.vector("event", model, event_id)
    if vector is None:
        return []
    found = await store.search("event", model, vector, k=limit, exclude=event_id)
    return await _ranked(conn, found, EventFilters(), model)


async def _ranked(
    conn: AsyncConnection[Any], found: list[Hit], filters: EventFilters, model: str
) -> list[AgentEventHit]:
    """The vector hits' events that pass `filters`, best first (rows deleted meanwhile
    are left out)."""
    if not found:
        return []
    score = {h.ref: h.score for h in found}
    params = {"ids": list(score), "summary": SUMMARY_CHARS, "model": model}
    rows = await _rows(conn, BY_IDS, filters, params)
    return sorted((_hit(r, score[r["id"]]) for r in rows), key=lambda h: (-score[h.id], h.id))


async def get_event(
    conn: AsyncConnection[Any], event_id: int, *, model: str | None
) -> AgentEventDetail:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(ONE, {"id": event_id, "model": model or ""})
        row = await cur.fetchone()
    if row is None:
        raise NotFoundError("agent event", event_id)
    searchable, job = row.pop("searchable"), row.pop("job_status")
    state: Literal["embedded", "waiting", "dead", "none"] = "none"
    if searchable:
        state = "embedded"
    elif job in ("pending", "leased", "failed"):
        state = "waiting"
    elif job == "dead":
        state = "dead"
    return AgentEventDetail(**row, embedding=state)
