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
from typing import Any, Literal

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from automechanica.catalog.fitment import vehicle_name
from automechanica.commerce.carts import Address
from automechanica.commerce.sessions import PricedCart, VehicleRef, minor
from automechanica.errors import NotFoundError

OrderStatus = Literal["placed", "routed", "shipped", "delivered", "cancelled", "returned"]
NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud safely

INSERT_ORDER = """
INSERT INTO orders (number, cart_id, customer_id, vehicle_id, email, shipping_address,
                    fulfillment_option, currency, subtotal, shipping, tax, core_total, total)
VALUES (%(number)s, %(cart)s, %(customer)s, %(vehicle)s, %(email)s, %(address)s, %(option)s,
        %(currency)s, %(subtotal)s, %(shipping)s, %(tax)s, %(core)s, %(total)s)
RETURNING id
"""
INSERT_LINE = """
INSERT INTO order_lines (order_id, part_id, quantity, unit_price, unit_cost, core_charge,
                         ship_days, fit_status, fit_note)
VALUES (%(order)s, %(part)s, %(quantity)s, %(price)s, %(cost)s, %(core)s, %(days)s,
        %(fit)s, %(note)s)
"""
INSERT_HISTORY = """
INSERT INTO order_status_history (order_id, status, note, actor) VALUES (%s, %s, %s, %s)
"""
MARK_PAID = (
    "UPDATE orders SET payment_status = 'paid', paid_at = now(), updated_at = now() WHERE id = %s"
)
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
SELECT l.part_id, l.quantity, l.unit_price, l.core_charge, l.ship_days, l.fit_status,
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
) -> tuple[int, str]:
    """The order, its lines and its 'placed' history row, in the caller's transaction.
    Returns (order id, number)."""
    order_id: int | None = None
    for attempt in range(3):  # a number already taken (1 in 10^12): draw again
        number = new_number()
        try:
            async with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(
                    INSERT_ORDER,
                    {
                        "number": number,
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
                    },
                )
                row = await cur.fetchone()
                assert row is not None
                order_id = int(row["id"])
            break
        except psycopg.errors.UniqueViolation as exc:
            if "number" not in str(exc.diag.constraint_name or "") or attempt == 2:
                raise
    assert order_id is not None
    async with conn.cursor() as cur:
        await cur.executemany(
            INSERT_LINE,
            [
                {
                    "order": order_id,
                    "part": line.part_id,
                    "quantity": line.quantity,
                    "price": line.unit_price,
                    "cost": line.unit_cost,
                    "core": line.core_charge,
                    "days": line.ship_days,
                    "fit": line.fit_status,
                    "note": line.fit_note,
                }
                for line in priced.lines
            ],
        )
    await add_status(conn, order_id, "placed", actor="customer", note="Order placed and paid.")
    return order_id, number


async def mark_paid(conn: AsyncConnection[Any], order_id: int) -> None:
    await conn.execute(MARK_PAID, (order_id,))


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
            PaymentView(
                provider=p["provider"],
                status=p["status"],
                amount=minor(p["amount"]),
                currency=p["currency"],
                test=p["provider"] == "test",
                message="Test payment: no money was taken."
                if p["provider"] == "test"
                else f"Paid through {p['provider']}.",
            )
            for p in payments
        ],
    )
