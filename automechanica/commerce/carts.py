"""The server-side cart, which is also an Agentic-Commerce checkout session.

A guest's cart is addressed by its random id (the id is the bearer handle); a
signed-in customer's cart is tied to them, and anyone else asking for it is
told it does not exist. Request bodies hold only what the customer owns
(lines, vehicle, email, address, shipping choice): a price, cost or status in
a body is refused. What the cart shows (prices, fit, totals) is `checkout`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from automechanica.accounts.users import EMAIL
from automechanica.errors import ConflictError, InvalidInputError, NotFoundError
from automechanica.fields import Id32, Id64, Liters, NotBool, Year

MAX_LINES = 50
_NO_NUL = r"^[^\x00]*$"

Text = Annotated[str, Field(min_length=1, max_length=120, pattern=_NO_NUL)]


def _lower(value: str) -> str:
    return value.lower()


#: The accounts' email rule, stated in the schema; stored lower-case for order lookup.
Email = Annotated[str, Field(max_length=254, pattern=EMAIL.pattern), AfterValidator(_lower)]


class LineInput(BaseModel):
    """A part and how many (1-99)."""

    model_config = ConfigDict(extra="forbid")

    part_id: Id64
    quantity: Annotated[int, Field(ge=1, le=99), NotBool] = 1


class Address(BaseModel):
    """Where to ship: a US address (the shop ships in the US only)."""

    model_config = ConfigDict(extra="forbid")

    name: Text
    line1: Text
    line2: Text | None = None
    city: Text
    state: str = Field(pattern=r"^[A-Za-z]{2}$", description="two-letter state code")
    postal_code: str = Field(pattern=r"^[0-9]{5}(-[0-9]{4})?$")
    country: Literal["US"] = "US"


FulfillmentId = Literal["standard", "expedited"]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=_NO_NUL)]


class VehicleDescription(BaseModel):
    """A vehicle as the shopper knows it, when they have no configuration id: year, make
    and model, plus what they know. Fit may then need more information (which trim,
    which engine), and the cart's messages ask for it."""

    model_config = ConfigDict(extra="forbid")

    year: Year
    make: Name
    model: Name
    submodel: Name | None = None
    engine_liters: Liters | None = None
    drive: str | None = Field(default=None, min_length=1, max_length=16, pattern=_NO_NUL)

    def known(self) -> dict[str, Any]:
        fields = ("submodel", "engine_liters", "drive")
        return {k: getattr(self, k) for k in fields if getattr(self, k) is not None}


class CartCreate(BaseModel):
    """A new cart, with whatever is known already."""

    model_config = ConfigDict(extra="forbid")

    vehicle_id: Id32 | None = None
    vehicle: VehicleDescription | None = Field(
        default=None, description="instead of vehicle_id, when the configuration is not known"
    )
    lines: list[LineInput] = Field(default_factory=list, max_length=MAX_LINES)
    email: Email | None = None
    shipping_address: Address | None = None
    fulfillment_option: FulfillmentId | None = None


class CartUpdate(BaseModel):
    """Changes to a cart; a field left out stays as it is. `lines` replaces every line
    (as an ACP update does); `vehicle_id: null` clears the vehicle. Setting `vehicle_id`
    clears a described `vehicle` and the other way round."""

    model_config = ConfigDict(extra="forbid")

    vehicle_id: Id32 | None = None
    vehicle: VehicleDescription | None = None
    lines: list[LineInput] | None = Field(default=None, max_length=MAX_LINES)
    email: Email | None = None
    shipping_address: Address | None = None
    fulfillment_option: FulfillmentId | None = None


@dataclass(frozen=True)
class Shopper:
    """Who is asking: a signed-in customer (their shop profile id) or a guest (None)."""

    customer_id: int | None = None
    channel: Literal["storefront", "agent"] = "storefront"


INSERT_CART = """
INSERT INTO carts (customer_id, vehicle_id, vehicle_query, email, shipping_address,
                   fulfillment_option, channel)
VALUES (%(customer)s, %(vehicle)s, %(query)s, %(email)s, %(address)s, %(option)s, %(channel)s)
RETURNING id
"""
SELECT_CART = """
SELECT id, customer_id, vehicle_id, vehicle_query, status, channel, email, shipping_address,
       fulfillment_option, currency, created_at, updated_at
FROM carts WHERE id = %(id)s
"""
LOCK_CART = SELECT_CART + " FOR UPDATE"
UPDATE_CART = """
UPDATE carts SET vehicle_id = %(vehicle)s, vehicle_query = %(query)s, email = %(email)s,
    shipping_address = %(address)s,
    fulfillment_option = %(option)s, updated_at = now()
WHERE id = %(id)s
"""
SET_STATUS = "UPDATE carts SET status = %(status)s, updated_at = now() WHERE id = %(id)s"
DELETE_LINES = "DELETE FROM cart_lines WHERE cart_id = %(id)s"
UPSERT_LINE = """
INSERT INTO cart_lines (cart_id, part_id, quantity, added_at)
VALUES (%(id)s, %(part)s, %(quantity)s, clock_timestamp())  -- lines shown in the order given
ON CONFLICT (cart_id, part_id) DO UPDATE SET quantity = %(sum)s
"""
ADD_LINE = """
INSERT INTO cart_lines (cart_id, part_id, quantity, added_at)
VALUES (%(id)s, %(part)s, %(quantity)s, clock_timestamp())
ON CONFLICT (cart_id, part_id) DO UPDATE
    SET quantity = least(cart_lines.quantity + EXCLUDED.quantity, 99)
"""
DELETE_LINE = "DELETE FROM cart_lines WHERE cart_id = %(id)s AND part_id = %(part)s RETURNING 1"
COUNT_LINES = "SELECT count(*) AS n FROM cart_lines WHERE cart_id = %(id)s"
TOUCH = "UPDATE carts SET updated_at = now() WHERE id = %(id)s"
KNOWN_PARTS = "SELECT id FROM parts WHERE id = ANY(%(ids)s)"
VEHICLE_EXISTS = "SELECT 1 FROM vehicles WHERE id = %(id)s"
BASE_VEHICLE_EXISTS = """
SELECT 1 FROM base_vehicles bv
JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id
WHERE bv.year = %(year)s AND lower(ma.name) = lower(%(make)s) AND lower(mo.name) = lower(%(model)s)
"""

OPEN = ("not_ready_for_payment", "ready_for_payment", "in_progress")


async def create_cart(conn: AsyncConnection[Any], shopper: Shopper, request: CartCreate) -> UUID:
    """A new cart for `shopper` holding what `request` says (unknown parts or vehicle: 404)."""
    async with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        await _check_vehicle(conn, request.vehicle_id)
        await _check_description(conn, request.vehicle)
        if request.vehicle_id is not None and request.vehicle is not None:
            raise InvalidInputError("Give vehicle_id or vehicle (a description), not both.")
        await cur.execute(
            INSERT_CART,
            {
                "customer": shopper.customer_id,
                "vehicle": request.vehicle_id,
                "query": _description(request.vehicle),
                "email": request.email,
                "address": _address(request.shipping_address),
                "option": request.fulfillment_option,
                "channel": shopper.channel,
            },
        )
        row = await cur.fetchone()
        assert row is not None
        cart_id = UUID(str(row["id"]))
        await _replace_lines(conn, cart_id, request.lines)
    return cart_id


async def load_cart(
    conn: AsyncConnection[Any], cart_id: UUID, shopper: Shopper, *, lock: bool = False
) -> dict[str, Any]:
    """The cart's row when `shopper` may see it; another customer's cart is a 404."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(LOCK_CART if lock else SELECT_CART, {"id": cart_id})
        row = await cur.fetchone()
    if row is None or (
        row["customer_id"] is not None and row["customer_id"] != shopper.customer_id
    ):
        raise NotFoundError("cart", str(cart_id))
    return dict(row)


async def update_cart(
    conn: AsyncConnection[Any], cart_id: UUID, shopper: Shopper, request: CartUpdate
) -> None:
    """Apply the fields `request` sets; a completed or canceled cart cannot change."""
    given = request.model_fields_set
    async with conn.transaction():
        cart = await load_cart(conn, cart_id, shopper, lock=True)
        _must_be_open(cart)
        if "vehicle_id" in given and "vehicle" in given:
            raise InvalidInputError("Give vehicle_id or vehicle (a description), not both.")
        if "vehicle_id" in given:
            await _check_vehicle(conn, request.vehicle_id)
            cart["vehicle_id"], cart["vehicle_query"] = request.vehicle_id, None
        if "vehicle" in given:
            await _check_description(conn, request.vehicle)
            cart["vehicle_id"] = None
            cart["vehicle_query"] = request.vehicle.model_dump() if request.vehicle else None
        if "email" in given:
            cart["email"] = request.email
        if "shipping_address" in given:
            cart["shipping_address"] = (
                request.shipping_address.model_dump() if request.shipping_address else None
            )
        if "fulfillment_option" in given:
            cart["fulfillment_option"] = request.fulfillment_option
        await conn.execute(
            UPDATE_CART,
            {
                "id": cart_id,
                "vehicle": cart["vehicle_id"],
                "query": Jsonb(cart["vehicle_query"]) if cart["vehicle_query"] else None,
                "email": cart["email"],
                "address": Jsonb(cart["shipping_address"])
                if cart["shipping_address"] is not None
                else None,
                "option": cart["fulfillment_option"],
            },
        )
        if "lines" in given:
            await _replace_lines(conn, cart_id, request.lines or [])


async def add_line(
    conn: AsyncConnection[Any], cart_id: UUID, shopper: Shopper, line: LineInput
) -> None:
    """Add a part (more of it when it is there already; at most 99)."""
    async with conn.transaction():
        cart = await load_cart(conn, cart_id, shopper, lock=True)
        _must_be_open(cart)
        await _check_parts(conn, [line.part_id])
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(COUNT_LINES, {"id": cart_id})
            count = await cur.fetchone()
            assert count is not None
            if count["n"] >= MAX_LINES:
                raise InvalidInputError(f"A cart holds at most {MAX_LINES} different parts.")
        await conn.execute(
            ADD_LINE, {"id": cart_id, "part": line.part_id, "quantity": line.quantity}
        )
        await conn.execute(TOUCH, {"id": cart_id})


async def remove_line(
    conn: AsyncConnection[Any], cart_id: UUID, shopper: Shopper, part_id: int
) -> None:
    async with conn.transaction():
        cart = await load_cart(conn, cart_id, shopper, lock=True)
        _must_be_open(cart)
        async with conn.cursor() as cur:
            await cur.execute(DELETE_LINE, {"id": cart_id, "part": part_id})
            if await cur.fetchone() is None:
                raise NotFoundError("part in this cart", part_id)
        await conn.execute(TOUCH, {"id": cart_id})


async def cancel_cart(conn: AsyncConnection[Any], cart_id: UUID, shopper: Shopper) -> None:
    """Cancel an open cart (canceling a canceled one again changes nothing)."""
    async with conn.transaction():
        cart = await load_cart(conn, cart_id, shopper, lock=True)
        if cart["status"] == "canceled":
            return
        _must_be_open(cart)
        await set_status(conn, cart_id, "canceled")


async def set_status(conn: AsyncConnection[Any], cart_id: UUID, status: str) -> None:
    await conn.execute(SET_STATUS, {"id": cart_id, "status": status})


def _must_be_open(cart: dict[str, Any]) -> None:
    if cart["status"] not in OPEN:
        raise ConflictError(
            f"This cart is {cart['status']} and cannot change; start a new cart to shop on."
        )


async def _replace_lines(conn: AsyncConnection[Any], cart_id: UUID, lines: list[LineInput]) -> None:
    merged: dict[int, int] = {}
    for line in lines:  # the same part twice: one line with both quantities
        merged[line.part_id] = min(merged.get(line.part_id, 0) + line.quantity, 99)
    await _check_parts(conn, list(merged))
    await conn.execute(DELETE_LINES, {"id": cart_id})
    async with conn.cursor() as cur:
        await cur.executemany(
            UPSERT_LINE,
            [{"id": cart_id, "part": p, "quantity": q, "sum": q} for p, q in merged.items()],
        )


async def _check_parts(conn: AsyncConnection[Any], part_ids: list[int]) -> None:
    if not part_ids:
        return
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(KNOWN_PARTS, {"ids": part_ids})
        known = {r["id"] for r in await cur.fetchall()}
    missing = [p for p in part_ids if p not in known]
    if missing:
        raise NotFoundError("part", missing[0])


async def _check_vehicle(conn: AsyncConnection[Any], vehicle_id: int | None) -> None:
    if vehicle_id is None:
        return
    async with conn.cursor() as cur:
        await cur.execute(VEHICLE_EXISTS, {"id": vehicle_id})
        if await cur.fetchone() is None:
            raise NotFoundError("vehicle", vehicle_id)


async def _check_description(
    conn: AsyncConnection[Any], vehicle: VehicleDescription | None
) -> None:
    if vehicle is None:
        return
    async with conn.cursor() as cur:
        await cur.execute(BASE_VEHICLE_EXISTS, vehicle.model_dump())
        if await cur.fetchone() is None:
            raise NotFoundError("vehicle", f"{vehicle.year} {vehicle.make} {vehicle.model}")


def _description(vehicle: VehicleDescription | None) -> Jsonb | None:
    return Jsonb(vehicle.model_dump()) if vehicle is not None else None


def _address(address: Address | None) -> Jsonb | None:
    return Jsonb(address.model_dump()) if address is not None else None
