"""Part detail: the canonical part with its offers, attributes, interchange and vehicles."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.catalog.fitment import reverse_fitment
from automechanica.errors import NotFoundError

SELECT_PART_DETAIL = """
SELECT p.id, p.part_number, p.mpn_normalized, p.title, p.description, p.upc, p.attributes,
       p.fit_class, p.status, p.price, b.name AS brand, t.name AS part_type,
       t.slug AS part_type_slug
FROM parts p JOIN brands b ON b.id = p.brand_id JOIN part_types t ON t.id = p.part_type_id
WHERE p.id = %s
"""
SELECT_OFFERS = """
SELECT s.name AS supplier, sp.supplier_sku, sp.cost, sp.jobber, sp.map_price, sp.msrp,
       sp.core_charge, sp.stock, sp.stock_total, sp.uom, sp.pack_qty, sp.hazmat, sp.updated_at
FROM supplier_parts sp JOIN suppliers s ON s.id = sp.supplier_id
WHERE sp.part_id = %s ORDER BY sp.cost, s.name
"""
SELECT_INTERCHANGE = """
SELECT brand_name AS brand, mpn_normalized AS part_number, interchange_part_id AS part_id, kind
FROM part_interchange WHERE part_id = %s ORDER BY brand_name, mpn_normalized
"""


async def part_detail(conn: AsyncConnection[Any], part_id: int) -> dict[str, Any]:
    """Everything the product page shows about one part."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_PART_DETAIL, (part_id,))
        part = await cur.fetchone()
        if part is None:
            raise NotFoundError("part", part_id)
        await cur.execute(SELECT_OFFERS, (part_id,))
        part["offers"] = await cur.fetchall()
        await cur.execute(SELECT_INTERCHANGE, (part_id,))
        part["interchange"] = await cur.fetchall()
    part["fitment"] = await reverse_fitment(conn, part_id)
    return dict(part)
