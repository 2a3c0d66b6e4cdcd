"""Liveness and readiness.

/api/health says the process answers and costs nothing: no database round trip
(a load balancer may call it every second). /api/ready asks the database
(`SELECT` of the schema revision, one round trip) and answers 503 when the
database is away or its schema is not the one this code was written for.
"""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter

from automechanica import __version__
from automechanica.api.deps import Conn
from automechanica.api.schemas import Health, Ready
from automechanica.db.migrate import MIGRATIONS_DIR
from automechanica.errors import DatabaseError

router = APIRouter(tags=["health"])

#: One statement: the server answers, and which schema revision it holds.
SCHEMA_REVISION = "SELECT (SELECT version_num FROM alembic_version LIMIT 1) AS revision"


@cache
def code_revision() -> str:
    """The newest migration this code ships (read once; imports Alembic)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None
    return head


@router.get("/api/health", response_model=Health)
async def health() -> Health:
    """The process answers. Touches no database: see /api/ready for that."""
    return Health(status="ok", version=__version__)


@router.get(
    "/api/ready",
    response_model=Ready,
    responses={503: {"description": "the database is unavailable or its schema is not current"}},
)
async def ready(conn: Conn) -> Ready:
    """The database answers and holds the schema revision this code expects."""
    row = await (await conn.execute(SCHEMA_REVISION)).fetchone()
    found = row["revision"] if row else None
    expected = code_revision()
    if found != expected:
        raise DatabaseError(
            f"The database's schema is at {found or 'no revision'}, this code expects "
            f"{expected}; run `automechanica db migrate`."
        )
    return Ready(status="ready", schema_revision=found)
