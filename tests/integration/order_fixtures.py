"""A small store for order and return tests: two suppliers with stock in warehouses,
a few parts, and paid (or unpaid) orders inserted as checkout would leave them."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

Conn = psycopg.AsyncConnection[Any]


async def supplier(conn: Conn, name: str, fmt: str = "csv") -> int:
    row = await (
        await conn.execute(
            "INSERT INTO suppliers (name, display_name, default_format) VALUES (%s, %s, %s)"
            " ON CONFLICT (name) DO UPDATE SET default_format = EXCLUDED.default_format"
            " RETURNING id",
            (name, name.title(), fmt),
        )
    ).fetchone()
    assert row is not None
    return int(row["id"])


async def part(conn: Conn, number: str, part_type: str = "Alternator", brand: str = "Bosch") -> int:
    row = await (
        await conn.execute(
            "INSERT INTO parts (brand_id, part_number, mpn_normalized, part_type_id, title)"
            " SELECT b.id, %s, %s, t.id, %s FROM brands b, part_types t"
            " WHERE b.name = %s AND t.name = %s RETURNING id",
            (number, number.lower(), f"{brand} {part_type} {number}", brand, part_type),
        )
    ).fetchone()
    assert row is not None, f"no brand {brand} or part type {part_type} in the reference data"
    return int(row["id"])


async def offer(
    conn: Conn,
    supplier_id: int,
    part_id: int,
    stock: dict[str, int],
    cost: str = "50.00",
    core: str | None = None,
    ship_days: int | None = None,
) -> int:
    raw = {"ship_days": ship_days} if ship_days is not None else {}
    row = await (
        await conn.execute(
            "INSERT INTO supplier_parts (supplier_id, supplier_sku, part_id, brand_raw, mpn_raw,"
            " cost, core_charge, stock, stock_total, raw, content_hash)"
            " VALUES (%s, %s, %s, 'Bosch', 'x', %s, %s, %s, %s, %s, 'h') RETURNING id",
            (
                supplier_id,
                f"SKU-{supplier_id}-{part_id}",
                part_id,
                Decimal(cost),
                Decimal(core) if core else None,
                Jsonb(stock),
                sum(stock.values()),
                Jsonb(raw),
            ),
        )
    ).fetchone()
    assert row is not None
    return int(row["id"])


async def order(
    conn: Conn,
    lines: list[tuple[int, int, str, str]],
    *,
    paid: bool = True,
    email: str = "shopper@example.com",
    vehicle_id: int | None = None,
    customer_id: int | None = None,
    status: str = "placed",
) -> dict[str, Any]:
    """An order as checkout leaves it: lines (part, quantity, unit price, core charge)."""
    subtotal = sum(Decimal(price) * qty for _, qty, price, _ in lines)
    cores = sum(Decimal(core) * qty for _, qty, _, core in lines)
    number = "AM-" + secrets.token_hex(4).upper()
    row = await (
        await conn.execute(
            "INSERT INTO orders (number, email, customer_id, vehicle_id, subtotal, core_total,"
            " total, payment_status, paid_at, shipping_address, status)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, CASE WHEN %s THEN now() END, %s, %s)"
            " RETURNING id, number",
            (
                number,
                email,
                customer_id,
                vehicle_id,
                subtotal,
                cores,
                subtotal + cores,
                "paid" if paid else "pending",
                paid,
                Jsonb({"name": "Pat Shopper", "line1": "1 Main St", "city": "Springfield"}),
                status,
            ),
        )
    ).fetchone()
    assert row is not None
    ids = []
    for part_id, qty, price, core in lines:
        line = await (
            await conn.execute(
                "INSERT INTO order_lines (order_id, part_id, quantity, unit_price, core_charge)"
                " VALUES (%s, %s, %s, %s, %s) RETURNING id",
                (row["id"], part_id, qty, Decimal(price), Decimal(core)),
            )
        ).fetchone()
        assert line is not None
        ids.append(int(line["id"]))
    await conn.execute(
        "INSERT INTO order_status_history (order_id, status, actor) VALUES (%s, 'placed',"
        " 'customer')",
        (row["id"],),
    )
    return {"id": int(row["id"]), "number": row["number"], "lines": ids}
