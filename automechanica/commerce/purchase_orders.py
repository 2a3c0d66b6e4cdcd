"""Purchase orders: what the store asks each supplier to ship for a paid order.

A purchase order is unique per (order, supplier) — the database says so — and is
only ever inserted for a paid, uncancelled order: the INSERT reads the order's
payment status itself, so no caller can write one for an unpaid order. The
outbound file (CSV or JSON, by the supplier's preferred format) is named after
the order number and the supplier, never after a generated id, so writing it
again after a crash replaces the same file rather than adding a second one. No
supplier is called: the file is what a supplier integration would send.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.commerce.routing import Allocation, Line, Offer
from automechanica.errors import ConflictError, InvalidInputError, NotFoundError

DEFAULT_SHIP_DAYS = 3  # business days, when an offer states no lead time

SELECT_ORDER = """
SELECT o.id, o.number, o.status, o.payment_status, o.email, o.customer_id, o.vehicle_id,
       o.subtotal, o.core_total, o.total, o.shipping_address, o.created_at
FROM orders o WHERE o.id = %(id)s
"""
SELECT_ORDER_FOR_UPDATE = SELECT_ORDER + " FOR UPDATE"
SELECT_LINES = """
SELECT l.id, l.part_id, l.quantity, l.unit_price, l.core_charge, l.status,
       p.part_number, p.title, p.status AS part_status, b.name AS brand
FROM order_lines l JOIN parts p ON p.id = l.part_id JOIN brands b ON b.id = p.brand_id
WHERE l.order_id = %(id)s ORDER BY l.id
"""
# Every offer of the parts, one row per warehouse holding stock of it.
SELECT_OFFERS = """
SELECT o.id AS supplier_part_id, o.part_id, o.supplier_id, s.name AS supplier,
       o.supplier_sku, o.cost, o.core_charge, w.key AS warehouse,
       CASE WHEN jsonb_typeof(w.value) = 'number' THEN (w.value)::text::numeric::int ELSE 0 END
           AS stock,
       COALESCE(NULLIF(o.raw->>'ship_days', '')::int, NULLIF(o.raw->>'lead_time_days', '')::int)
           AS ship_days
FROM supplier_parts o JOIN suppliers s ON s.id = o.supplier_id
CROSS JOIN LATERAL jsonb_each(o.stock) w
WHERE o.part_id = ANY(%(parts)s)
ORDER BY o.part_id, o.id, w.key
"""
INSERT_PO = """
INSERT INTO purchase_orders (order_id, supplier_id, format, total_cost)
SELECT o.id, %(supplier_id)s, %(format)s, %(total)s FROM orders o
WHERE o.id = %(order_id)s AND o.payment_status = 'paid' AND o.status <> 'cancelled'
ON CONFLICT (order_id, supplier_id) DO NOTHING
RETURNING id
"""
SELECT_PO_ID = """
SELECT id FROM purchase_orders WHERE order_id = %(order_id)s AND supplier_id = %(supplier_id)s
"""
INSERT_PO_LINE = """
INSERT INTO purchase_order_lines (purchase_order_id, order_line_id, supplier_part_id, warehouse,
                                  quantity, unit_cost)
VALUES (%(po)s, %(line)s, %(offer)s, %(warehouse)s, %(quantity)s, %(cost)s)
ON CONFLICT DO NOTHING
"""
SET_PO_FILE = """
UPDATE purchase_orders SET file_path = %(path)s, updated_at = now() WHERE id = %(id)s
"""
SELECT_SUPPLIER = "SELECT id, name, display_name, default_format FROM suppliers WHERE id = %(id)s"
OPEN_CORE_RETURNS = """
INSERT INTO core_returns (order_line_id, deposit)
SELECT l.id, l.core_charge * l.quantity FROM order_lines l
WHERE l.order_id = %(id)s AND l.core_charge > 0
ON CONFLICT (order_line_id) DO NOTHING
"""
SET_STATUS = """
UPDATE orders SET status = %(status)s, updated_at = now()
WHERE id = %(id)s AND status = ANY(%(from)s)
RETURNING id
"""
INSERT_HISTORY = """
INSERT INTO order_status_history (order_id, status, note, actor)
VALUES (%(id)s, %(status)s, %(note)s, %(actor)s)
"""
SELECT_POS = """
SELECT po.id, po.order_id, po.supplier_id, s.name AS supplier, s.display_name, po.status,
       po.format, po.file_path, po.total_cost, po.tracking, po.created_at, po.updated_at
FROM purchase_orders po JOIN suppliers s ON s.id = po.supplier_id
WHERE po.order_id = %(id)s ORDER BY s.name
"""
SELECT_PO_LINES = """
SELECT pl.purchase_order_id, pl.order_line_id, pl.supplier_part_id, o.supplier_sku,
       pl.warehouse, pl.quantity, pl.unit_cost
FROM purchase_order_lines pl JOIN supplier_parts o ON o.id = pl.supplier_part_id
JOIN purchase_orders po ON po.id = pl.purchase_order_id
WHERE po.order_id = %(id)s ORDER BY pl.purchase_order_id, pl.order_line_id, pl.warehouse
"""


@dataclass(frozen=True)
class WrittenPurchaseOrder:
    id: int
    number: str
    supplier: str
    format: str
    path: Path
    lines: int
    total_cost: Decimal


async def load_order(conn: AsyncConnection[Any], order_id: int) -> dict[str, Any]:
    """The order and its lines (with the part each names)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_ORDER, {"id": order_id})
        order = await cur.fetchone()
        if order is None:
            raise NotFoundError("order", order_id)
        await cur.execute(SELECT_LINES, {"id": order_id})
        order["lines"] = await cur.fetchall()
    return order


async def routing_lines(conn: AsyncConnection[Any], lines: list[dict[str, Any]]) -> list[Line]:
    """Each order line with every warehouse offer of its part (stock as the feed said)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_OFFERS, {"parts": [line["part_id"] for line in lines]})
        rows = await cur.fetchall()
    offers: dict[int, list[Offer]] = {}
    for r in rows:
        offers.setdefault(r["part_id"], []).append(
            Offer(
                supplier_part_id=r["supplier_part_id"],
                supplier_id=r["supplier_id"],
                supplier=r["supplier"],
                warehouse=r["warehouse"],
                stock=max(int(r["stock"]), 0),
                unit_cost=Decimal(r["cost"]),
                ship_days=r["ship_days"] if r["ship_days"] is not None else DEFAULT_SHIP_DAYS,
                sku=r["supplier_sku"],
            )
        )
    return [
        Line(line["id"], line["part_id"], line["quantity"], tuple(offers.get(line["part_id"], ())))
        for line in lines
    ]


def po_number(order: dict[str, Any], supplier: str) -> str:
    return f"{order['number'] or order['id']}-{supplier}".upper()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "_"


def po_format(default_format: str | None) -> str:
    """A supplier whose own feed is JSON gets JSON; everyone else CSV."""
    return "json" if (default_format or "").lower() in {"json", "jsonl", "ndjson"} else "csv"


async def write_purchase_orders(
    conn: AsyncConnection[Any],
    order: dict[str, Any],
    allocations: list[Allocation],
    data_dir: Path,
) -> list[WrittenPurchaseOrder]:
    """One purchase order per supplier (records and file), idempotently; refused for an
    order that is not paid (the INSERT checks, whoever calls)."""
    by_supplier: dict[int, list[Allocation]] = {}
    for a in allocations:
        by_supplier.setdefault(a.offer.supplier_id, []).append(a)
    lines = {line["id"]: line for line in order["lines"]}
    written = []
    for supplier_id, group in sorted(by_supplier.items()):
        supplier = await _one(conn, SELECT_SUPPLIER, {"id": supplier_id})
        assert supplier is not None
        fmt = po_format(supplier["default_format"])
        total = sum((a.offer.unit_cost * a.quantity for a in group), Decimal(0))
        params = {"order_id": order["id"], "supplier_id": supplier_id, "format": fmt}
        row = await _one(conn, INSERT_PO, params | {"total": total})
        if row is None:
            row = await _one(conn, SELECT_PO_ID, params)
            if row is None:
                raise InvalidInputError(
                    f"order {order['number'] or order['id']} is not paid (or was cancelled): "
                    "purchase orders are written only for paid orders"
                )
        for a in group:
            await conn.execute(
                INSERT_PO_LINE,
                {
                    "po": row["id"],
                    "line": a.line_id,
                    "offer": a.offer.supplier_part_id,
                    "warehouse": a.offer.warehouse,
                    "quantity": a.quantity,
                    "cost": a.offer.unit_cost,
                },
            )
        number = po_number(order, supplier["name"])
        path = data_dir / "purchase_orders" / _safe(supplier["name"]) / f"{_safe(number)}.{fmt}"
        _write_atomically(path, _render(fmt, number, order, supplier, group, lines))
        await conn.execute(SET_PO_FILE, {"path": str(path), "id": row["id"]})
        written.append(
            WrittenPurchaseOrder(row["id"], number, supplier["name"], fmt, path, len(group), total)
        )
    return written


def _records(group: list[Allocation], lines: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "line": a.line_id,
            "supplier_sku": a.offer.sku,
            "brand": lines[a.line_id]["brand"],
            "part_number": lines[a.line_id]["part_number"],
            "warehouse": a.offer.warehouse,
            "quantity": a.quantity,
            "unit_cost": str(a.offer.unit_cost),
        }
        for a in sorted(group, key=lambda a: (a.line_id, a.offer.warehouse))
    ]


def _render(
    fmt: str,
    number: str,
    order: dict[str, Any],
    supplier: dict[str, Any],
    group: list[Allocation],
    lines: dict[int, dict[str, Any]],
) -> str:
    records = _records(group, lines)
    if fmt == "json":
        document = {
            "purchase_order": number,
            "supplier": supplier["name"],
            "order": order["number"] or str(order["id"]),
            "ship_to": order["shipping_address"],
            "lines": records,
        }
        return json.dumps(document, indent=2, default=str) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["purchase_order", *records[0]], lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({"purchase_order": number, **record})
    return out.getvalue()


def _write_atomically(path: Path, text: str) -> None:
    """Whole or not at all: a reader never sees half a purchase order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


async def open_core_returns(conn: AsyncConnection[Any], order_id: int) -> int:
    """A core return awaiting the old unit for each line that carries a core charge."""
    cur = await conn.execute(OPEN_CORE_RETURNS, {"id": order_id})
    return cur.rowcount


async def set_order_status(
    conn: AsyncConnection[Any],
    order_id: int,
    status: str,
    *,
    allowed_from: list[str],
    actor: str,
    note: str | None = None,
) -> bool:
    """Move the order on when it is in one of `allowed_from`, with a history row."""
    row = await _one(conn, SET_STATUS, {"id": order_id, "status": status, "from": allowed_from})
    if row is None:
        return False
    await conn.execute(
        INSERT_HISTORY, {"id": order_id, "status": status, "note": note, "actor": actor}
    )
    return True


async def purchase_orders_of(conn: AsyncConnection[Any], order_id: int) -> list[dict[str, Any]]:
    """An order's purchase orders, each with its lines."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_POS, {"id": order_id})
        pos = await cur.fetchall()
        await cur.execute(SELECT_PO_LINES, {"id": order_id})
        lines = await cur.fetchall()
    for po in pos:
        po["lines"] = [line for line in lines if line["purchase_order_id"] == po["id"]]
    return pos


async def _one(conn: AsyncConnection[Any], query: str, params: dict[str, Any]) -> Any:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchone()


LIST_ORDERS = """
SELECT o.id, o.number, o.status, o.payment_status, o.email, o.total, o.core_total,
       o.created_at, o.updated_at,
       (SELECT count(*) FROM purchase_orders po WHERE po.order_id = o.id) AS purchase_orders
FROM orders o
WHERE (%(status)s::text IS NULL OR o.status = %(status)s)
ORDER BY o.created_at DESC, o.id DESC
LIMIT %(limit)s OFFSET %(offset)s
"""
SELECT_HISTORY = """
SELECT status, note, actor, created_at FROM order_status_history
WHERE order_id = %(id)s ORDER BY id
"""
SELECT_ORDER_RETURNS = """
SELECT r.id, r.order_line_id, r.reason, r.status, r.vehicle_id, r.workflow_id, r.created_at
FROM returns r JOIN order_lines l ON l.id = r.order_line_id
WHERE l.order_id = %(id)s ORDER BY r.id
"""
SELECT_CORES = """
SELECT c.id, c.order_line_id, c.deposit, c.status FROM core_returns c
JOIN order_lines l ON l.id = c.order_line_id WHERE l.order_id = %(id)s ORDER BY c.id
"""
LOCK_PO = """
SELECT po.id, po.order_id, po.status FROM purchase_orders po WHERE po.id = %(id)s FOR UPDATE
"""
SET_PO_STATUS = """
UPDATE purchase_orders SET status = %(status)s, tracking = COALESCE(%(tracking)s, tracking),
       updated_at = now()
WHERE id = %(id)s
"""
PO_STATUSES = "SELECT array_agg(status) AS statuses FROM purchase_orders WHERE order_id = %(id)s"
CANCEL_POS = """
UPDATE purchase_orders SET status = 'cancelled', updated_at = now()
WHERE order_id = %(id)s AND status IN ('written', 'acknowledged')
"""
#: A purchase order moves forward only: written/acknowledged → shipped → delivered.
PO_MOVES = {
    "shipped": ("written", "acknowledged"),
    "delivered": ("written", "acknowledged", "shipped"),
}


async def list_orders(
    conn: AsyncConnection[Any], *, status: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(LIST_ORDERS, {"status": status, "limit": limit, "offset": offset})
        return await cur.fetchall()


async def order_detail(conn: AsyncConnection[Any], order_id: int) -> dict[str, Any]:
    """The operator's view: lines, history, purchase orders, returns, cores."""
    order = await load_order(conn, order_id)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_HISTORY, {"id": order_id})
        order["history"] = await cur.fetchall()
        await cur.execute(SELECT_ORDER_RETURNS, {"id": order_id})
        order["returns"] = await cur.fetchall()
        await cur.execute(SELECT_CORES, {"id": order_id})
        order["core_returns"] = await cur.fetchall()
    order["purchase_orders"] = await purchase_orders_of(conn, order_id)
    return order


async def move_purchase_order(
    conn: AsyncConnection[Any], po_id: int, status: str, *, actor: str, tracking: str | None
) -> int:
    """Ship or deliver one purchase order; the order follows when all of its have.
    Returns the order's id."""
    async with conn.transaction():
        po = await _one(conn, LOCK_PO, {"id": po_id})
        if po is None:
            raise NotFoundError("purchase order", po_id)
        if po["status"] == status:
            return int(po["order_id"])  # said twice: no change
        if po["status"] not in PO_MOVES[status]:
            raise ConflictError(f"purchase order {po_id} is {po['status']}; it cannot be {status}")
        await conn.execute(SET_PO_STATUS, {"id": po_id, "status": status, "tracking": tracking})
        statuses = (await _one(conn, PO_STATUSES, {"id": po["order_id"]}))["statuses"]
        live = [s for s in statuses if s != "cancelled"]
        reached = live and all(
            s == status or (status == "shipped" and s == "delivered") for s in live
        )
        if reached:
            before = ["routed"] if status == "shipped" else ["routed", "shipped"]
            await set_order_status(
                conn, po["order_id"], status, allowed_from=before, actor=actor,
                note=f"tracking {tracking}" if tracking else None,
            )  # fmt: skip
        return int(po["order_id"])


async def cancel_order(
    conn: AsyncConnection[Any], order_id: int, *, actor: str, reason: str
) -> None:
    """Cancel an order nothing has shipped of: its open purchase orders are cancelled."""
    async with conn.transaction():
        order = await _one(conn, SELECT_ORDER_FOR_UPDATE, {"id": order_id})
        if order is None:
            raise NotFoundError("order", order_id)
        if order["status"] == "cancelled":
            return
        if order["status"] not in ("placed", "routed"):
            raise ConflictError(
                f"order {order['number']} is {order['status']}: only placed or routed orders can "
                "be cancelled (take a return instead)"
            )
        await conn.execute(CANCEL_POS, {"id": order_id})
        await set_order_status(
            conn, order_id, "cancelled", allowed_from=["placed", "routed"], actor=actor,
            note=reason,
        )  # fmt: skip
