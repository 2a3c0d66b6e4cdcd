"""Customers and their garage: the saved vehicles of a signed-in shopper, one current.

A customer row (the shop profile) is made from the user the first time it is
needed; an unlinked profile with the same email (made before the account) is
taken over by it. Guests keep their garage in the browser.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from automechanica.catalog.fitment import vehicle_name
from automechanica.catalog.vehicles import VEHICLE_COLUMNS, VEHICLE_FROM
from automechanica.errors import ConflictError, NotFoundError
from automechanica.fields import Id32

CUSTOMER_BY_USER = "SELECT id FROM customers WHERE user_id = %s"
INSERT_CUSTOMER = """
INSERT INTO customers (email, user_id) VALUES (%s, %s)
ON CONFLICT (email) DO UPDATE SET user_id = EXCLUDED.user_id WHERE customers.user_id IS NULL
RETURNING id
"""
SELECT_GARAGE = (
    "SELECT"
    + VEHICLE_COLUMNS
    + ", cv.nickname, cv.is_current, cv.added_at"
    + VEHICLE_FROM
    + "JOIN customer_vehicles cv ON cv.vehicle_id = v.id WHERE cv.customer_id = %s"
    + " ORDER BY cv.is_current DESC, cv.added_at DESC, v.id"
)
VEHICLE_EXISTS = "SELECT 1 FROM vehicles WHERE id = %s"
INSERT_VEHICLE = """
INSERT INTO customer_vehicles (customer_id, vehicle_id, nickname) VALUES (%s, %s, %s)
ON CONFLICT (customer_id, vehicle_id) DO UPDATE SET nickname = coalesce(EXCLUDED.nickname,
    customer_vehicles.nickname)
"""
HAS_CURRENT = "SELECT 1 FROM customer_vehicles WHERE customer_id = %s AND is_current"
CLEAR_CURRENT = (
    "UPDATE customer_vehicles SET is_current = false WHERE customer_id = %s AND is_current"
)
SET_CURRENT = """
UPDATE customer_vehicles SET is_current = true WHERE customer_id = %s AND vehicle_id = %s
RETURNING vehicle_id
"""
DELETE_VEHICLE = """
DELETE FROM customer_vehicles WHERE customer_id = %s AND vehicle_id = %s RETURNING is_current
"""
NEWEST_VEHICLE = """
SELECT vehicle_id FROM customer_vehicles WHERE customer_id = %s
ORDER BY added_at DESC, vehicle_id DESC LIMIT 1
"""
CURRENT_VEHICLE = "SELECT vehicle_id FROM customer_vehicles WHERE customer_id = %s AND is_current"


class GarageVehicle(BaseModel):
    """A saved vehicle, named as the shop names it ('2018 Honda Civic EX 2.0L')."""

    vehicle_id: int
    name: str
    year: int
    make: str
    model: str
    submodel: str | None
    nickname: str | None
    is_current: bool


class GarageAdd(BaseModel):
    """A vehicle to save; `make_current` (default: only when the garage has none)."""

    model_config = ConfigDict(extra="forbid")

    vehicle_id: Id32
    nickname: str | None = Field(default=None, min_length=1, max_length=40, pattern=r"^[^\x00]*$")
    make_current: StrictBool = False


async def customer_for_user(conn: AsyncConnection[Any], user_id: int, email: str) -> int:
    """The shop profile of a signed-in user, made on first need."""
    async with conn.cursor() as cur:
        await cur.execute(CUSTOMER_BY_USER, (user_id,))
        row = await cur.fetchone()
        if row is None:
            await cur.execute(INSERT_CUSTOMER, (email, user_id))
            row = await cur.fetchone()
        if row is None:
            raise ConflictError(
                f"Another account's shop profile uses {email}; ask support to merge them."
            )
    return int(_first(row))


async def list_garage(conn: AsyncConnection[Any], customer_id: int) -> list[GarageVehicle]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_GARAGE, (customer_id,))
        rows = await cur.fetchall()
    return [
        GarageVehicle(
            vehicle_id=r["id"],
            name=vehicle_name(r),
            year=r["year"],
            make=r["make"],
            model=r["model"],
            submodel=r["submodel"],
            nickname=r["nickname"],
            is_current=r["is_current"],
        )
        for r in rows
    ]


async def add_vehicle(conn: AsyncConnection[Any], customer_id: int, request: GarageAdd) -> None:
    """Save a vehicle (again: keeps it, updates the nickname); the first one is current."""
    async with conn.transaction(), conn.cursor() as cur:
        await cur.execute(VEHICLE_EXISTS, (request.vehicle_id,))
        if await cur.fetchone() is None:
            raise NotFoundError("vehicle", request.vehicle_id)
        await cur.execute(INSERT_VEHICLE, (customer_id, request.vehicle_id, request.nickname))
        await cur.execute(HAS_CURRENT, (customer_id,))
        if request.make_current or await cur.fetchone() is None:
            await _set_current(conn, customer_id, request.vehicle_id)


async def make_current(conn: AsyncConnection[Any], customer_id: int, vehicle_id: int) -> None:
    async with conn.transaction():
        await _set_current(conn, customer_id, vehicle_id)


async def remove_vehicle(conn: AsyncConnection[Any], customer_id: int, vehicle_id: int) -> None:
    """Forget a vehicle; when it was current, the newest remaining one becomes current."""
    async with conn.transaction(), conn.cursor() as cur:
        await cur.execute(DELETE_VEHICLE, (customer_id, vehicle_id))
        row = await cur.fetchone()
        if row is None:
            raise NotFoundError("vehicle in your garage", vehicle_id)
        if _first(row):
            await cur.execute(NEWEST_VEHICLE, (customer_id,))
            newest = await cur.fetchone()
            if newest is not None:
                await _set_current(conn, customer_id, int(_first(newest)))


async def current_vehicle(conn: AsyncConnection[Any], customer_id: int) -> int | None:
    async with conn.cursor() as cur:
        await cur.execute(CURRENT_VEHICLE, (customer_id,))
        row = await cur.fetchone()
    return None if row is None else int(_first(row))


async def _set_current(conn: AsyncConnection[Any], customer_id: int, vehicle_id: int) -> None:
    # Two statements: the unique index on the current vehicle is checked row by row.
    async with conn.cursor() as cur:
        await cur.execute(CLEAR_CURRENT, (customer_id,))
        await cur.execute(SET_CURRENT, (customer_id, vehicle_id))
        if await cur.fetchone() is None:
            raise NotFoundError("vehicle in your garage", vehicle_id)


def _first(row: Any) -> Any:
    """The first column of a row from a dict- or tuple-row connection."""
    return next(iter(row.values())) if isinstance(row, dict) else row[0]
