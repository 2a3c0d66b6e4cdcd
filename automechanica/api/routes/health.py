"""Is the service up, and what does its database hold."""

from __future__ import annotations

from fastapi import APIRouter
from psycopg.rows import dict_row

from automechanica.api.deps import Conn
from automechanica.api.schemas import Health

router = APIRouter(tags=["health"])

HEALTH = """
SELECT current_database() AS database,
       (SELECT version_num FROM alembic_version LIMIT 1) AS schema_revision,
       (SELECT count(*) FROM parts) AS parts,
       (SELECT count(*) FROM vehicles) AS vehicles
"""


@router.get("/api/health", response_model=Health)
async def health(conn: Conn) -> Health:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(HEALTH)
        row = await cur.fetchone()
    assert row is not None
    return Health(status="ok", **row)
