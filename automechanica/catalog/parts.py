"""Part detail: the canonical part with its offer, attributes, interchange and vehicles.

A shopper sees one offer, folded from every supplier's: the store's price, the
strictest advertised minimum, the highest core charge, stock summed, hazmat if
any source says so. Costs, supplier names and SKUs are the operator's view
(`operator=True`).
"""

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
#: The shopper's offer: one row folded from every supplier's (no cost, no supplier).
SELECT_PUBLIC_OFFER = """
SELECT max(sp.map_price) AS map_price, max(sp.msrp) AS msrp,
       max(sp.core_charge) AS core_charge, coalesce(sum(sp.stock_total), 0) AS stock_total,
       coalesce(sum(sp.stock_total), 0) > 0 AS available,
       (array_agg(sp.uom ORDER BY sp.cost) FILTER (WHERE sp.uom IS NOT NULL))[1] AS uom,
       (array_agg(sp.pack_qty ORDER BY sp.cost))[1] AS pack_qty,
       bool_or(sp.hazmat) AS hazmat, count(*) AS sources
FROM supplier_parts sp WHERE sp.part_id = %s
"""
SELECT_INTERCHANGE = """
SELECT brand_name AS brand, mpn_normalized AS part_number, interchange_part_id AS part_id, kind
FROM part_interchange WHERE part_id = %s ORDER BY brand_name, mpn_normalized
"""


async def part_detail(
    conn: AsyncConnection[Any], part_id: int, *, operator: bool = False
) -> dict[str, Any]:
    """Everything the product page shows about one part; with `operator`, also every
    supplier's offer with its cost (`offers`)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_PART_DETAIL, (part_id,))
        part = await cur.fetchone()
        if part is None:
            raise NotFoundError("part", part_id)
        await cur.execute(SELECT_PUBLIC_OFFER, (part_id,))
        offer = await cur.fetchone()
        assert offer is not None  # an aggregate: one row
        sources = offer.pop("sources")
        part["offer"] = {**offer, "price": part["price"]} if sources else None
        if operator:
            await cur.execute(SELECT_OFFERS, (part_id,))
            part["offers"] = await cur.fetchall()
        await cur.execute(SELECT_INTERCHANGE, (part_id,))
        part["interchange"] = await cur.fetchall()
    part["fitment"] = await reverse_fitment(conn, part_id)
    return dict(part)
