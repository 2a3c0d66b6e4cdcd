"""Console endpoints for agent events: search past decisions by meaning, or newest first.

Access is declared where app.py includes the router (operators). The query is
embedded by the app's embedder (memory's model; cached like part search's) and
searched in memory's vector store; see orchestrator/event_search.py.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from fastapi import APIRouter, Path, Query, Request
from pydantic import AwareDatetime

from automechanica.api.access import OperatorRoute
from automechanica.api.deps import Conn, Vectors
from automechanica.memory import PgVectorStore, VectorStore
from automechanica.orchestrator.event_search import (
    AgentEventDetail,
    AgentEventPage,
    EventFilters,
    get_event,
    newest_events,
    similar_events,
    similar_to_event,
)

router = APIRouter(prefix="/api/admin", tags=["admin: agent events"], route_class=OperatorRoute)
Outcome = Literal["accepted", "held", "rejected", "retried", "failed", "refused"]
Label = Annotated[str | None, Query(min_length=1, max_length=100)]


def vector_store(request: Request) -> VectorStore:
    """Memory's store for this app: one set on app.state, else pgvector on the app's pool."""
    found: VectorStore | None = getattr(request.app.state, "vector_store", None)
    return found if found is not None else PgVectorStore(request.app.state.pool)


@router.get(
    "/events",
    response_model=AgentEventPage,
)
async def events(
    request: Request,
    conn: Conn,
    vectors: Vectors,
    q: Annotated[
        str | None,
        Query(max_length=500, description="words to search by meaning; without, newest first"),
    ] = None,
    agent: Label = None,
    decision_type: Label = None,
    outcome: Outcome | None = None,
    since: Annotated[
        AwareDatetime | None, Query(description="only events at or after this time")
    ] = None,
    before: Annotated[
        int | None, Query(ge=1, le=2**53 - 1, description="newest: the page's `next_before`")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> AgentEventPage:
    """Agent events by meaning (ranked by similarity, with the score) or newest first;
    by the words themselves when the API has no embedding model (`mode: words`).

    `backlog` counts the matching events whose embedding has not finished: search by
    meaning cannot find those yet.
    """
    filters = EventFilters(agent, decision_type, outcome, since)
    model = vectors.model if vectors is not None else None
    words = (q or "").strip()
    if not words:
        return await newest_events(conn, filters, model=model, before=before, limit=limit)
    vector = await vectors.vector(words) if vectors is not None else None
    if vectors is None or vector is None:  # no model here, or it is down: by the words
        return await newest_events(
            conn, filters, model=model, before=before, limit=limit, words=words
        )
    found = np.asarray(vector, dtype=np.float32)
    return await similar_events(
        conn, vector_store(request), vectors.model, found, filters, limit=limit
    )


@router.get(
    "/events/{event_id}",
    response_model=AgentEventDetail,
    responses={404: {"description": "no such event"}},
)
async def event(
    request: Request,
    conn: Conn,
    vectors: Vectors,
    event_id: Annotated[int, Path(ge=1, le=2**53 - 1)],
) -> AgentEventDetail:
    """The whole event (input, output, evidence, rationale, cost, its embedding state) and
    the five events most like it."""
    model = vectors.model if vectors is not None else None
    found = await get_event(conn, event_id, model=model)
    if model is not None and found.embedding == "embedded":
        found.similar = await similar_to_event(conn, vector_store(request), model, event_id)
    return found
