"""Orders: written once from a priced cart, then read by the customer who placed them.

An order's customer-facing number (AM-XXXXXXXX, 40 random bits) is what the
customer quotes; row ids stay internal. A signed-in customer reads their own
orders; a guest reads one by its number and the email it was placed with. Any
other request is told the order does not exist, whether it does or not. Status
changes after placement (routed, shipped, delivered, cancelled, returned) are
written by the order agent or an operator with `add_status`.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from automechanica.catalog.fitment import vehicle_name
from automechanica.commerce.carts import Address
from automechanica.commerce.sessions import PricedCart, VehicleRef, minor
from automechanica.errors import ConflictError, NotFoundError

OrderStatus = Literal["placed", "routed", "shipped", "delivered", "cancelled", "returned"]
PLACED_NOTE = "Order placed."
NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud safely

#: The order, its lines and its 'placed' history in one statement (one round trip); no
#: row when the number is taken (1 in 10^12), and the caller draws another.
INSERT_ORDER = """
WITH o AS (
    INSERT INTO orders (number, cart_id, customer_id, vehicle_id, email, shipping_address,
                        fulfillment_option, currency, subtotal, shipping, tax, core_total, total)
    VALUES (%(number)s, %(cart)s, %(customer)s, %(vehicle)s, %(email)s, %(address)s, %(option)s,
            %(currency)s, %(subtotal)s, %(shipping)s, %(tax)s, %(core)s, %(total)s)
    ON CONFLICT (number) DO NOTHING
    RETURNING id, created_at
), lines AS (
    INSERT INTO order_lines (order_id, part_id, quantity, unit_price, unit_cost, core_charge,
                             ship_days, fit_status, fit_note)
    SELECT o.id, l.* FROM o, unnest(%(parts)s::bigint[], %(quantities)s::int[],
        %(prices)s::numeric[], %(costs)s::numeric[], %(cores)s::numeric[], %(days)s::int[],
        %(fits)s::text[], %(notes)s::text[]) AS l
    RETURNING id
), history AS (
    INSERT INTO order_status_history (order_id, status, note, actor)
    SELECT o.id, 'placed', %(note)s, 'customer' FROM o
)
SELECT id, created_at, (SELECT array_agg(id ORDER BY id) FROM lines) AS line_ids FROM o
"""
INSERT_HISTORY = """
INSERT INTO order_status_history (order_id, status, note, actor) VALUES (%s, %s, %s, %s)
"""
SET_STATUS = "UPDATE orders SET status = %s, updated_at = now() WHERE id = %s"

SELECT_ORDER = """
SELECT o.id, o.number, o.customer_id, o.status, o.payment_status, o.created_at, o.paid_at,
       o.email, o.vehicle_id, o.shipping_address, o.fulfillment_option, o.currency,
       o.subtotal, o.shipping, o.tax, o.core_total, o.total
FROM orders o
"""
ORDER_BY_NUMBER = SELECT_ORDER + "WHERE o.number = %(number)s"
CUSTOMER_ORDERS = """
SELECT o.number, o.status, o.payment_status, o.created_at, o.currency, o.total,
       (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id) AS line_count
FROM orders o WHERE o.customer_id = %(customer)s
ORDER BY o.created_at DESC, o.id DESC LIMIT %(limit)s OFFSET %(offset)s
"""
ORDER_LINES = """
SELECT l.id, l.part_id, l.quantity, l.unit_price, l.core_charge, l.ship_days, l.fit_status,
       l.fit_note, l.status, p.title, p.part_number, b.name AS brand
FROM order_lines l JOIN parts p ON p.id = l.part_id JOIN brands b ON b.id = p.brand_id
WHERE l.order_id = %(id)s ORDER BY l.id
"""
ORDER_HISTORY = """
SELECT status, note, created_at FROM order_status_history WHERE order_id = %(id)s ORDER BY id
"""
ORDER_PAYMENTS = """
SELECT provider, status, amount, currency, created_at FROM payments
WHERE order_id = %(id)s ORDER BY id
"""
ORDER_VEHICLE = """
SELECT v.id, bv.year, ma.name AS make, mo.name AS model, v.submodel, v.engine_liters, v.drive
FROM vehicles v JOIN base_vehicles bv ON bv.id = v.base_vehicle_id
JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id
WHERE v.id = %(id)s
"""


class OrderLine(BaseModel):
    id: int = Field(description="the line, as a return request names it")
    part_id: int
    title: str
    brand: str
    part_number: str
    quantity: int
    unit_price: int = Field(description="minor units")
    core_charge: int = Field(description="refundable deposit per unit, minor units")
    total: int = Field(description="minor units, without the core deposit")
    ship_days: int | None
    fit_status: str | None
    fit_note: str | None


class StatusChange(BaseModel):
    status: str
    note: str | None
    at: datetime


class PaymentView(BaseModel):
    provider: str
    status: str
    amount: int = Field(description="minor units")
    currency: str
    test: bool = Field(description="a test payment: no money was taken")
    message: str


class OrderTotals(BaseModel):
    """Minor units: total = subtotal + core_deposits + shipping + tax."""

    subtotal: int
    core_deposits: int
    shipping: int
    tax: int
    total: int


class Order(BaseModel):
    """An order as its customer sees it."""

    number: str
    status: OrderStatus
    payment_status: str
    placed_at: datetime
    email: str | None
    vehicle: VehicleRef | None
    shipping_address: Address | None
    fulfillment_option: str | None
    currency: str
    lines: list[OrderLine]
    totals: OrderTotals
    history: list[StatusChange]
    payments: list[PaymentView]


class OrderSummary(BaseModel):
    number: str
    status: OrderStatus
    payment_status: str
    placed_at: datetime
    currency: str
    total: int = Field(description="minor units")
    line_count: int


def new_number() -> str:
    return "AM-" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))


async def insert_order(
    conn: AsyncConnection[Any], priced: PricedCart, cart: dict[str, Any], customer_id: int | None
) -> tuple[int, str, datetime, list[int]]:
    """The order, its lines and its 'placed' history row, in the caller's transaction.
    Returns (order id, number, placed at, the lines' ids in the cart's order)."""
    lines = priced.lines
    params = {
        "cart": cart["id"],
        "customer": customer_id,
        "vehicle": cart["vehicle_id"],
        "email": cart["email"],
        "address": Jsonb(cart["shipping_address"] or {}),
        "option": priced.session.fulfillment_option,
        "currency": cart["currency"],
        "subtotal": priced.subtotal,
        "shipping": priced.shipping,
        "tax": priced.tax,
        "core": priced.core_total,
        "total": priced.total,
        "parts": [line.part_id for line in lines],
        "quantities": [line.quantity for line in lines],
        "prices": [line.unit_price for line in lines],
        "costs": [line.unit_cost for line in lines],
        "cores": [line.core_charge for line in lines],
        "days": [line.ship_days for line in lines],
        "fits": [line.fit_status for line in lines],
        "notes": [line.fit_note for line in lines],
    }
    async with conn.cursor(row_factory=dict_row) as cur:
        for _ in range(3):
            number = new_number()
            await cur.execute(INSERT_ORDER, params | {"number": number, "note": PLACED_NOTE})
            row = await cur.fetchone()
            if row is not None:
                return int(row["id"]), number, row["created_at"], list(row["line_ids"])
    raise ConflictError("Could not draw a free order number three times; try again.")


def placed_order(
    priced: PricedCart,
    number: str,
    placed_at: datetime,
    line_ids: list[int],
    payment: PaymentView,
    email: str | None,
    address: dict[str, Any] | None,
) -> Order:
    """The order just written, as `order_by_number` would read it, built from what
    checkout already holds (five reads fewer inside the checkout transaction)."""
    items = {i.part_id: i for i in priced.session.line_items if i.kind == "part"}
    totals = priced.session.totals
    return Order(
        number=number,
        status="placed",
        payment_status="paid",
        placed_at=placed_at,
        email=email,
        vehicle=priced.session.vehicle if priced.vehicle_id is not None else None,
        shipping_address=Address.model_validate(address) if address else None,
        fulfillment_option=priced.session.fulfillment_option,
        currency=priced.session.currency,
        lines=[
            OrderLine(
                id=line_id,
                part_id=line.part_id,
                title=items[line.part_id].title,
                brand=items[line.part_id].brand,
                part_number=items[line.part_id].part_number,
                quantity=line.quantity,
                unit_price=minor(line.unit_price or Decimal("0")),
                core_charge=minor(line.core_charge),
                total=minor((line.unit_price or Decimal("0")) * line.quantity),
                ship_days=line.ship_days,
                fit_status=line.fit_status,
                fit_note=line.fit_note,
            )
            for line_id, line in zip(line_ids, priced.lines, strict=True)
        ],
        totals=OrderTotals(
            subtotal=totals.subtotal,
            core_deposits=totals.core_deposits,
            shipping=totals.shipping,
            tax=totals.tax,
            total=totals.total,
        ),
        history=[StatusChange(status="placed", note=PLACED_NOTE, at=placed_at)],
        payments=[payment],
    )


def payment_view(provider: str, status: str, amount: Decimal, currency: str) -> PaymentView:
    test = provider == "test"
    return PaymentView(
        provider=provider,
        status=status,
        amount=minor(amount),
        currency=currency,
        test=test,
        message="Test payment: no money was taken." if test else f"Paid through {provider}.",
    )


async def add_status(
    conn: AsyncConnection[Any],
    order_id: int,
    status: OrderStatus,
    *,
    actor: str,
    note: str | None = None,
) -> None:
    """Move an order to `status` and write it in the history (caller's transaction).
    `actor` is 'customer', 'order_agent' or 'operator:<email>'; customers never see it."""
    await conn.execute(SET_STATUS, (status, order_id))
    await conn.execute(INSERT_HISTORY, (order_id, status, note, actor))


async def order_for_customer(conn: AsyncConnection[Any], number: str, customer_id: int) -> Order:
    """One of the customer's own orders; anyone else's is a 404."""
    row = await _order_row(conn, number)
    if row is None or row["customer_id"] != customer_id:
        raise NotFoundError("order", number)
    return await _order(conn, row)


async def order_for_guest(conn: AsyncConnection[Any], number: str, email: str) -> Order:
    """An order by its number and the email it was placed with; any mismatch is a 404."""
    row = await _order_row(conn, number)
    if row is None or not row["email"] or row["email"].lower() != email.strip().lower():
        raise NotFoundError("order", number)
    return await _order(conn, row)


async def order_by_number(conn: AsyncConnection[Any], number: str) -> Order:
    """An order by number alone: for checkout's own answer and operators."""
    row = await _order_row(conn, number)
    if row is None:
        raise NotFoundError("order", number)
    return await _order(conn, row)


async def customer_orders(
    conn: AsyncConnection[Any], customer_id: int, *, limit: int = 20, offset: int = 0
) -> list[OrderSummary]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            CUSTOMER_ORDERS, {"customer": customer_id, "limit": limit, "offset": offset}
        )
        rows = await cur.fetchall()
    return [
        OrderSummary(
            number=r["number"],
            status=r["status"],
            payment_status=r["payment_status"],
            placed_at=r["created_at"],
            currency=r["currency"],
            total=minor(r["total"]),
            line_count=r["line_count"],
        )
        for r in rows
    ]


async def _order_row(conn: AsyncConnection[Any], number: str) -> dict[str, Any] | None:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(ORDER_BY_NUMBER, {"number": number.strip().upper()})
        row = await cur.fetchone()
    return None if row is None else dict(row)


async def _order(conn: AsyncConnection[Any], row: dict[str, Any]) -> Order:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(ORDER_LINES, {"id": row["id"]})
        lines = await cur.fetchall()
        await cur.execute(ORDER_HISTORY, {"id": row["id"]})
        history = await cur.fetchall()
        await cur.execute(ORDER_PAYMENTS, {"id": row["id"]})
        payments = await cur.fetchall()
        vehicle = None
        if row["vehicle_id"] is not None:
            await cur.execute(ORDER_VEHICLE, {"id": row["vehicle_id"]})
            vehicle = await cur.fetchone()
    return Order(
        number=row["number"],
        status=row["status"],
        payment_status=row["payment_status"],
        placed_at=row["created_at"],
        email=row["email"],
        vehicle=VehicleRef(id=vehicle["id"], name=vehicle_name(vehicle)) if vehicle else None,
        shipping_address=Address.model_validate(row["shipping_address"])
        if row["shipping_address"]
        else None,
        fulfillment_option=row["fulfillment_option"],
        currency=row["currency"],
        lines=[
            OrderLine(
                id=line["id"],
                part_id=line["part_id"],
                title=line["title"],
                brand=line["brand"],
                part_number=line["part_number"],
                quantity=line["quantity"],
                unit_price=minor(line["unit_price"]),
                core_charge=minor(line["core_charge"]),
                total=minor(line["unit_price"] * line["quantity"]),
                ship_days=line["ship_days"],
                fit_status=line["fit_status"],
                fit_note=line["fit_note"],
            )
            for line in lines
        ],
        totals=OrderTotals(
            subtotal=minor(row["subtotal"]),
            core_deposits=minor(row["core_total"]),
            shipping=minor(row["shipping"]),
            tax=minor(row["tax"]),
            total=minor(row["total"]),
        ),
        history=[
            StatusChange(status=h["status"], note=h["note"], at=h["created_at"]) for h in history
        ],
        payments=[
            payment_view(p["provider"], p["status"], p["amount"], p["currency"]) for p in payments
        ],
    )
