"""Support chat: sessions, messages answered as server-sent events, and the operators'
side of a hand-over.

A session is created by a signed-in customer (tied to them: anyone else gets a
404) or by a guest (the session's uuid is the guest's handle). Posting a message
streams the answer as `text/event-stream`:

    event: token   data: {"text": "Yes, Fram PH7317 "}        (as many as it takes)
    event: done    data: {"message_id": …, "text": …, "citations": [...],
                          "handed_over": false, "status": "open", "fit": {...}}

(`event: error` with a problem's title and detail if the answer fails midway.) The
answer, its citations and the agent's decision (an agent event) are stored when
the stream ends; a hand-over also starts the `support_conversation` workflow in
the same transaction. Operators list, read and answer handed-over conversations
under /api/admin/support (access declared in app.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import StreamingResponse
from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field

from automechanica.accounts import Principal
from automechanica.agents.support import DECISION, Done, SupportAgent
from automechanica.agents.support_tools import Shopper, policy_search, support_toolbox
from automechanica.api.access import Caller, OperatorAccess, OperatorRoute
from automechanica.api.deps import Conn
from automechanica.commerce import support_sessions as store
from automechanica.commerce.garage import customer_for_user
from automechanica.errors import AutoMechanicaError, ConflictError, NotFoundError
from automechanica.fields import Id32
from automechanica.memory import Memory, PgVectorStore
from automechanica.orchestrator import start_workflow
from automechanica.orchestrator.events import AgentEvent, record_event
from automechanica.orchestrator.policies import get_policy
from automechanica.orchestrator.workflows.support import (
    SUPPORT_CONVERSATION,
    handover_input,
    settle_handover,
)

log = logging.getLogger("automechanica.api.support")
router = APIRouter(prefix="/api/support", tags=["support"])
admin = APIRouter(prefix="/api/admin/support", tags=["admin: support"], route_class=OperatorRoute)
SessionId = Annotated[UUID, Path(description="the session's id (a guest's handle)")]
Responses = dict[int | str, dict[str, Any]]
NO_SESSION: Responses = {404: {"description": "no such session, or not yours"}}
WAITING_TEXT = "A person from our team has this conversation and will reply here."


class NewSession(BaseModel):
    model_config = ConfigDict(extra="forbid")
    vehicle_id: Id32 | None = Field(
        default=None, description="the shopper's current vehicle: fit questions are about it"
    )


class Citation(BaseModel):
    kind: Literal["part", "document", "order"]
    ref: str
    title: str
    url: str | None = None


class Message(BaseModel):
    id: int
    role: Literal["customer", "assistant", "operator"]
    content: str
    citations: list[Citation]
    created_at: datetime


class Session(BaseModel):
    id: UUID
    status: Literal["open", "handed_over", "closed"]
    vehicle_id: int | None
    signed_in: bool = Field(description="tied to a customer account (else a guest's session)")
    handover_reason: str | None
    created_at: datetime
    updated_at: datetime


class SessionDetail(Session):
    messages: list[Message]


class AdminSession(SessionDetail):
    customer_email: str | None


class Waiting(BaseModel):
    id: UUID
    status: Literal["open", "handed_over", "closed"]
    customer_email: str | None
    vehicle_id: int | None
    handover_reason: str | None
    awaiting_reply: bool = Field(description="the customer spoke last")
    last_message: str | None
    messages: int
    updated_at: datetime


class Ask(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000, description="the customer's message")


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4000)
    status: Literal["handed_over", "open", "closed"] = Field(
        default="handed_over",
        description="after the reply: keep it (handed_over), give it back to the assistant "
        "(open), or close it",
    )


def _session(row: store.SupportSession) -> dict[str, Any]:
    return {
        "id": row.id,
        "status": row.status,
        "vehicle_id": row.vehicle_id,
        "signed_in": row.customer_id is not None,
        "handover_reason": row.handover_reason,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _messages(rows: list[store.SupportMessage]) -> list[Message]:
    return [
        Message(
            id=m.id,
            role=m.role,
            content=m.content,
            citations=[Citation.model_validate(c) for c in m.citations],
            created_at=m.created_at,
        )
        for m in rows
    ]


async def _customer_id(conn: AsyncConnection[Any], who: Principal | None) -> int | None:
    if who is None:
        return None
    return await customer_for_user(conn, who.user_id, who.email)


async def owned_session(
    conn: AsyncConnection[Any], session_id: UUID, who: Principal | None
) -> store.SupportSession:
    """The session when the caller may use it: a guest session by its handle, a
    customer's only by that customer. Otherwise the same 404 as no session at all."""
    session = await store.get_session(conn, session_id)
    if session.customer_id is not None:
        mine = await store.find_customer(conn, who.user_id) if who is not None else None
        if mine != session.customer_id:
            raise NotFoundError("support session", str(session_id))
    return session


@router.post(
    "/sessions",
    status_code=status.HTTP_201_CREATED,
    response_model=Session,
    responses={404: {"description": "the vehicle_id names no vehicle"}},
)
async def create(conn: Conn, who: Caller, body: NewSession | None = None) -> Session:
    """Start a conversation: a signed-in customer's (theirs alone) or a guest's (keep
    the id: it is the only key to the conversation)."""
    body = body or NewSession()
    async with conn.transaction():
        customer = await _customer_id(conn, who)
        row = await store.create_session(conn, customer_id=customer, vehicle_id=body.vehicle_id)
    return Session.model_validate(_session(row))


@router.get("/sessions/{session_id}", response_model=SessionDetail, responses=NO_SESSION)
async def read(conn: Conn, who: Caller, session_id: SessionId) -> SessionDetail:
    """The conversation so far, with each answer's citations."""
    session = await owned_session(conn, session_id, who)
    messages = await store.session_messages(conn, session_id)
    return SessionDetail.model_validate(_session(session) | {"messages": _messages(messages)})


@router.post(
    "/sessions/{session_id}/messages",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "the answer as server-sent events: token…, then done",
        },
        404: {"description": "no such session, or not yours"},
        409: {"description": "the conversation is closed"},
    },
)
async def ask(
    request: Request, conn: Conn, who: Caller, session_id: SessionId, body: Ask
) -> StreamingResponse:
    """Ask the assistant; the answer streams as it is written. While a person has the
    conversation, the message waits for them and the assistant stays silent."""
    session = await owned_session(conn, session_id, who)
    if session.status == "closed":
        raise ConflictError("This conversation is closed; start a new one.")
    asked = await store.add_message(conn, session_id, "customer", body.text)
    threshold = (await get_policy(conn, DECISION)).threshold
    if session.status == "handed_over":
        events = _waiting(conn, session_id)
    else:
        events = _answer(request, session, body.text, asked, threshold)
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, default=str)}\n\n"


async def _waiting(conn: AsyncConnection[Any], session_id: UUID) -> AsyncIterator[str]:
    yield sse("token", {"text": WAITING_TEXT})
    yield sse(
        "done",
        {
            "message_id": None,
            "text": WAITING_TEXT,
            "citations": [],
            "handed_over": True,
            "handover_reason": None,
            "status": "handed_over",
            "fit": None,
        },
    )


async def _answer(
    request: Request, session: store.SupportSession, text: str, asked: int, threshold: float
) -> AsyncIterator[str]:
    """The agent's chunks as events; the answer stored when it is complete. The request's
    own connection is not used here: the stream outlives the endpoint function."""
    app = request.app
    vectors = getattr(app.state, "query_vectors", None)  # the app's embedder, if it has one
    embedder = vectors.embedder if vectors is not None else None
    agent = SupportAgent(getattr(app.state, "llm_router", None), threshold=threshold)
    try:
        async with app.state.pool.connection() as conn:
            store_ = PgVectorStore(app.state.pool)
            memory = Memory(app.state.pool, embedder, store_) if embedder else None
            shopper = Shopper(session.customer_id, session.vehicle_id)
            tools = support_toolbox(conn, shopper, policy_search(conn, memory))
            async for item in agent.respond(
                text,
                tools,
                has_vehicle=session.vehicle_id is not None,
                signed_in=session.customer_id is not None,
            ):
                if isinstance(item, Done):
                    yield sse("done", await _store_answer(conn, session, text, asked, item))
                else:
                    yield sse("token", {"text": item.text})
    except AutoMechanicaError as exc:
        log.warning("support answer failed for session %s: %s", session.id, exc.message)
        yield sse("error", {"title": "The answer could not be completed", "detail": exc.message})


async def _store_answer(
    conn: AsyncConnection[Any], session: store.SupportSession, text: str, asked: int, done: Done
) -> dict[str, Any]:
    decision = done.decision
    answer = decision.output
    cited = [c.model_dump() for c in answer.citations]
    async with conn.transaction():
        message_id = await store.add_message(conn, session.id, "assistant", answer.text, cited)
        handed = answer.handover and await store.hand_over(
            conn, session.id, answer.handover_reason or "handed over"
        )
        event = AgentEvent(
            agent="Support",
            decision_type=decision.decision_type,
            outcome="held" if answer.handover else "accepted",
            subject_kind="support_session",
            subject_id=str(session.id),
            input={"message_id": asked, "intent": answer.intent, "tools": answer.tools},
            output={"message_id": message_id, "citations": cited, "guard": answer.guard},
            confidence=decision.confidence,
            rationale=decision.rationale,
            evidence=[e.model_dump() for e in decision.evidence],
            model_used=decision.model.model if decision.model else None,
            tokens_in=decision.model.tokens_in if decision.model else None,
            tokens_out=decision.model.tokens_out if decision.model else None,
            cost_usd=decision.model.cost_usd if decision.model else None,
        )
        await record_event(conn, event)
        for refusal in decision.refused:
            await record_event(
                conn,
                AgentEvent(
                    agent="Support",
                    decision_type="tool_call",
                    outcome="refused",
                    subject_kind="support_session",
                    subject_id=str(session.id),
                    output=refusal,
                    rationale=f"Refused: {refusal}",
                ),
            )
        if handed:
            await start_workflow(
                conn,
                SUPPORT_CONVERSATION,
                handover_input(
                    session.id,
                    answer.handover_reason or "handed over",
                    text,
                    asked,
                    decision.confidence,
                ),
                idempotency_key=f"support:{session.id}:{message_id}",
                started_by="support",
            )
    return {
        "message_id": message_id,
        "text": answer.text,
        "citations": cited,
        "handed_over": answer.handover,
        "handover_reason": answer.handover_reason,
        "status": "handed_over" if answer.handover else session.status,
        "fit": answer.fit.model_dump() if answer.fit else None,
    }


# -- operators ------------------------------------------------------------------------


@admin.get("", response_model=list[Waiting])
async def waiting(
    conn: Conn,
    state: Annotated[
        Literal["handed_over", "open", "closed"], Query(alias="status")
    ] = "handed_over",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[Waiting]:
    """Conversations handed to a person (by default), the longest waiting first."""
    rows = await store.list_sessions(conn, status=state, limit=limit)
    return [
        Waiting.model_validate(r | {"awaiting_reply": r["last_role"] == "customer"}) for r in rows
    ]


async def _admin_detail(conn: AsyncConnection[Any], session_id: UUID) -> AdminSession:
    session = await store.get_session(conn, session_id)
    messages = await store.session_messages(conn, session_id)
    email = None
    if session.customer_id is not None:
        cur = await conn.execute(
            "SELECT email FROM customers WHERE id = %s", (session.customer_id,)
        )
        row = await cur.fetchone()
        email = row["email"] if row else None
    return AdminSession.model_validate(
        _session(session) | {"messages": _messages(messages), "customer_email": email}
    )


@admin.get("/{session_id}", response_model=AdminSession, responses=NO_SESSION)
async def admin_read(conn: Conn, session_id: SessionId) -> AdminSession:
    """A conversation with every message and citation, and whose it is."""
    return await _admin_detail(conn, session_id)


@admin.post("/{session_id}/reply", response_model=AdminSession, responses=NO_SESSION)
async def reply(
    conn: Conn, who: OperatorAccess, session_id: SessionId, body: Reply
) -> AdminSession:
    """Answer as a person. The hand-over waiting in the review inbox is decided with the
    reply, which moves its `support_conversation` workflow on."""
    async with conn.transaction():
        await store.get_session(conn, session_id)
        await store.add_message(conn, session_id, "operator", body.text)
        await store.set_status(conn, session_id, body.status)
        await settle_handover(conn, session_id, reply=body.text, reviewer=who.email)
    return await _admin_detail(conn, session_id)
