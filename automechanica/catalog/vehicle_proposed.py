"""Proposed base vehicles: what suppliers name before 1981, where vPIC has nothing.

The feed and fitment code calls `propose_vehicle`; an operator accepts (the
year, make and model become a base vehicle) or rejects each proposal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from psycopg import AsyncConnection
from psycopg.rows import class_row, tuple_row

from automechanica.catalog.vocabulary import alias_key
from automechanica.errors import InvalidInputError, NotFoundError

Status = Literal["proposed", "accepted", "rejected"]

PROPOSE = """
INSERT INTO proposed_base_vehicles (year, make, model, supplier, file_name)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (year, lower(make), lower(model), supplier, file_name) DO NOTHING
RETURNING id
"""
SELECT_PROPOSAL_KEY = """
SELECT id FROM proposed_base_vehicles
WHERE year = %s AND lower(make) = lower(%s) AND lower(model) = lower(%s)
  AND supplier = %s AND file_name = %s
"""
PROPOSAL_COLUMNS = """
SELECT id, year, make, model, supplier, file_name, status, base_vehicle_id, decided_at
FROM proposed_base_vehicles
"""
LIST_PROPOSALS = (
    PROPOSAL_COLUMNS + "WHERE %s::text IS NULL OR status = %s ORDER BY year, make, model, id"
)
SELECT_PROPOSAL = PROPOSAL_COLUMNS + "WHERE id = %s FOR UPDATE"
# Accepting makes the base vehicle (make and model too, if new), reusing existing rows.
ENSURE_MAKE = """
WITH found AS (
    SELECT m.id FROM makes m LEFT JOIN make_aliases a ON a.make_id = m.id
    WHERE lower(m.name) = lower(%s) OR a.alias = %s LIMIT 1
), made AS (
    INSERT INTO makes (name) SELECT %s WHERE NOT EXISTS (SELECT 1 FROM found)
    ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id
)
SELECT id FROM found UNION ALL SELECT id FROM made
"""
ENSURE_MODEL = """
WITH found AS (
    SELECT id FROM models WHERE make_id = %s AND lower(name) = lower(%s) LIMIT 1
), made AS (
    INSERT INTO models (make_id, name) SELECT %s, %s WHERE NOT EXISTS (SELECT 1 FROM found)
    ON CONFLICT (make_id, name) DO UPDATE SET name = excluded.name RETURNING id
)
SELECT id FROM found UNION ALL SELECT id FROM made
"""
ENSURE_BASE_VEHICLE = """
INSERT INTO base_vehicles (year, make_id, model_id) VALUES (%s, %s, %s)
ON CONFLICT (model_id, year) DO UPDATE SET year = excluded.year
RETURNING id
"""
DECIDE = """
UPDATE proposed_base_vehicles SET status = %s, base_vehicle_id = %s, decided_at = now()
WHERE id = %s
"""


@dataclass(frozen=True, slots=True)
class ProposedVehicle:
    """A base vehicle a supplier's file named that the catalog did not know."""

    id: int
    year: int
    make: str
    model: str
    supplier: str
    file_name: str
    status: str
    base_vehicle_id: int | None
    decided_at: datetime | None


async def propose_vehicle(
    conn: AsyncConnection[Any], *, year: int, make: str, model: str, supplier: str, file_name: str
) -> int:
    """Record that `supplier`'s `file_name` names this vehicle; returns the proposal's id.

    Proposing the same vehicle from the same file again returns the same id.
    """
    make, model = " ".join(make.split()), " ".join(model.split())
    if not (1900 <= year <= 2100 and make and model):
        raise InvalidInputError(
            f"a proposed vehicle needs a year, a make and a model: {year} {make!r} {model!r}"
        )
    key = (year, make, model, supplier, file_name)
    return await _scalar(conn, PROPOSE, key) or await _scalar(conn, SELECT_PROPOSAL_KEY, key) or 0


async def list_proposed(
    conn: AsyncConnection[Any], status: Status | None = "proposed"
) -> list[ProposedVehicle]:
    """Proposals with `status` (every one when None), by year, make and model."""
    async with conn.cursor(row_factory=class_row(ProposedVehicle)) as cur:
        await cur.execute(LIST_PROPOSALS, (status, status))
        return await cur.fetchall()


async def _scalar(conn: AsyncConnection[Any], sql: str, params: tuple[Any, ...]) -> int | None:
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(sql, params)
        row = await cur.fetchone()
    return None if row is None else int(row[0])


async def _proposal(conn: AsyncConnection[Any], proposal_id: int) -> ProposedVehicle:
    async with conn.cursor(row_factory=class_row(ProposedVehicle)) as cur:
        await cur.execute(SELECT_PROPOSAL, (proposal_id,))
        found = await cur.fetchone()
    if found is None:
        raise NotFoundError("proposed vehicle", proposal_id)
    return found


async def accept_proposed(conn: AsyncConnection[Any], proposal_id: int) -> int:
    """Make the proposal a base vehicle (reusing the make and model if known); returns its id."""
    proposal = await _proposal(conn, proposal_id)
    make = (proposal.make, alias_key(proposal.make), proposal.make)
    make_id = await _scalar(conn, ENSURE_MAKE, make)
    model_id = await _scalar(conn, ENSURE_MODEL, (make_id, proposal.model, make_id, proposal.model))
    base_vehicle_id = await _scalar(conn, ENSURE_BASE_VEHICLE, (proposal.year, make_id, model_id))
    assert base_vehicle_id is not None
    await conn.execute(DECIDE, ("accepted", base_vehicle_id, proposal_id))
    return base_vehicle_id


async def reject_proposed(conn: AsyncConnection[Any], proposal_id: int) -> None:
    """Mark the proposal rejected (it stays listed, so it is not proposed as new again)."""
    await _proposal(conn, proposal_id)
    await conn.execute(DECIDE, ("rejected", None, proposal_id))
