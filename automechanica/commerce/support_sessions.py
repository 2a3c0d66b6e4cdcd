"""Support conversations as stored: sessions, their messages, and hand-overs to a person.

A session belongs to a signed-in customer (`customer_id`) or to a guest, whose
handle is the session's uuid itself. A session is `open` (the assistant answers),
`handed_over` (a person owns it: the assistant stays silent and operators see it
waiting) or `closed`. Messages keep the citations an answer was built on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from automechanica.errors import NotFoundError

Status = Literal["open", "handed_over", "closed"]
Role = Literal["customer", "assistant", "operator"]

SELECT_CUSTOMER_BY_USER = "SELECT id FROM customers WHERE user_id = %(user_id)s"
VEHICLE_EXISTS = "SELECT 1 FROM vehicles WHERE id = %(id)s"
INSERT_SESSION = """
INSERT INTO support_sessions (customer_id, vehicle_id) VALUES (%(customer_id)s, %(vehicle_id)s)
RETURNING id, customer_id, vehicle_id, status, handover_reason, created_at, updated_at
"""
SELECT_SESSION = """
SELECT s.id, s.customer_id, s.vehicle_id, s.status, s.handover_reason, s.created_at,
       s.updated_at
FROM support_sessions s WHERE s.id = %(id)s
"""
# Served by support_messages_session (session_id, id).
SELECT_MESSAGES = """
SELECT id, role, content, citations, created_at FROM support_messages
WHERE session_id = %(id)s ORDER BY id
"""
INSERT_MESSAGE = """
WITH touched AS (UPDATE support_sessions SET updated_at = now() WHERE id = %(session_id)s)
INSERT INTO support_messages (session_id, role, content, citations)
VALUES (%(session_id)s, %(role)s, %(content)s, %(citations)s) RETURNING id
"""
HAND_OVER = """
UPDATE support_sessions SET status = 'handed_over', handover_reason = %(reason)s,
       updated_at = now()
WHERE id = %(id)s AND status = 'open' RETURNING id
"""
SET_STATUS = """
UPDATE support_sessions SET status = %(status)s, updated_at = now() WHERE id = %(id)s
RETURNING id
"""
# The console's list: served by support_sessions_status (partial, handed_over) for the
# default; other statuses are rare console views.
LIST_SESSIONS = """
SELECT s.id, s.customer_id, c.email AS customer_email, s.vehicle_id, s.status,
       s.handover_reason, s.created_at, s.updated_at,
       last.role AS last_role, last.content AS last_message,
       (SELECT count(*) FROM support_messages m WHERE m.session_id = s.id) AS messages
FROM support_sessions s
LEFT JOIN customers c ON c.id = s.customer_id
LEFT JOIN LATERAL (SELECT m.role, m.content FROM support_messages m
                   WHERE m.session_id = s.id ORDER BY m.id DESC LIMIT 1) last ON true
WHERE s.status = %(status)s
ORDER BY s.updated_at LIMIT %(limit)s
"""


@dataclass
class SupportSession:
    id: UUID
    customer_id: int | None
    vehicle_id: int | None
    status: Status
    handover_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass
class SupportMessage:
    id: int
    role: Role
    content: str
    created_at: datetime
    citations: list[dict[str, Any]] = field(default_factory=list)


async def find_customer(conn: AsyncConnection[Any], user_id: int) -> int | None:
    """A signed-in user's customer record, if they have one (nothing is written)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_CUSTOMER_BY_USER, {"user_id": user_id})
        row = await cur.fetchone()
    return int(row["id"]) if row else None


async def create_session(
    conn: AsyncConnection[Any], *, customer_id: int | None, vehicle_id: int | None
) -> SupportSession:
    async with conn.cursor(row_factory=dict_row) as cur:
        if vehicle_id is not None:
            await cur.execute(VEHICLE_EXISTS, {"id": vehicle_id})
            if await cur.fetchone() is None:
                raise NotFoundError("vehicle", vehicle_id)
        await cur.execute(INSERT_SESSION, {"customer_id": customer_id, "vehicle_id": vehicle_id})
        row = await cur.fetchone()
    assert row is not None
    return SupportSession(**row)


async def get_session(conn: AsyncConnection[Any], session_id: UUID) -> SupportSession:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_SESSION, {"id": session_id})
        row = await cur.fetchone()
    if row is None:
        raise NotFoundError("support session", str(session_id))
    return SupportSession(**row)


async def session_messages(conn: AsyncConnection[Any], session_id: UUID) -> list[SupportMessage]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_MESSAGES, {"id": session_id})
        return [SupportMessage(**row) for row in await cur.fetchall()]


async def add_message(
    conn: AsyncConnection[Any],
    session_id: UUID,
    role: Role,
    content: str,
    citations: list[dict[str, Any]] | None = None,
) -> int:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            INSERT_MESSAGE,
            {
                "session_id": session_id,
                "role": role,
                "content": content,
                "citations": Jsonb(citations or []),
            },
        )
        row = await cur.fetchone()
    assert row is not None
    return int(row["id"])


async def hand_over(conn: AsyncConnection[Any], session_id: UUID, reason: str) -> bool:
    """Give an open session to a person; False when it was not open (already theirs)."""
    async with conn.cursor() as cur:
        await cur.execute(HAND_OVER, {"id": session_id, "reason": reason})
        return await cur.fetchone() is not None


async def set_status(conn: AsyncConnection[Any], session_id: UUID, status: Status) -> None:
    async with conn.cursor() as cur:
        await cur.execute(SET_STATUS, {"id": session_id, "status": status})
        if await cur.fetchone() is None:
            raise NotFoundError("support session", str(session_id))


async def list_sessions(
    conn: AsyncConnection[Any], *, status: Status = "handed_over", limit: int = 50
) -> list[dict[str, Any]]:
    """Sessions in `status`, the longest waiting first, with their last message."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(LIST_SESSIONS, {"status": status, "limit": limit})
        return list(await cur.fetchall())
