"""Canonical product pages: what every offer of a part says, and the page stored for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

SELECT_PRODUCT_INPUTS = """
SELECT p.id, b.name AS brand, p.part_number, t.name AS part_type, p.title, p.description,
       p.attributes, p.upc,
       coalesce(jsonb_agg(jsonb_build_object(
           'supplier', s.name, 'sku', o.supplier_sku, 'title', o.title_raw,
           'attributes', o.attributes, 'uom', o.uom, 'pack_qty', o.pack_qty)
           ORDER BY s.name, o.supplier_sku) FILTER (WHERE o.id IS NOT NULL), '[]') AS offers
FROM parts p
JOIN brands b ON b.id = p.brand_id
JOIN part_types t ON t.id = p.part_type_id
LEFT JOIN supplier_parts o ON o.part_id = p.id
LEFT JOIN suppliers s ON s.id = o.supplier_id
WHERE p.id = ANY(%(ids)s)
GROUP BY p.id, b.name, t.name
ORDER BY p.id
"""

UPSERT_CONTENT = """
INSERT INTO product_content (part_id, slug, title, description, bullets, specs, conflicts,
                             model_used)
VALUES (%(part_id)s, %(slug)s, %(title)s, %(description)s, %(bullets)s, %(specs)s,
        %(conflicts)s, %(model)s)
ON CONFLICT (part_id) DO UPDATE
SET title = EXCLUDED.title, description = EXCLUDED.description, bullets = EXCLUDED.bullets,
    specs = EXCLUDED.specs, conflicts = EXCLUDED.conflicts, model_used = EXCLUDED.model_used,
    updated_at = now()
"""

UPDATE_ATTRIBUTES = """
UPDATE parts SET attributes = %(attributes)s, updated_at = now()
WHERE id = %(part_id)s AND attributes IS DISTINCT FROM %(attributes)s
"""


@dataclass(frozen=True)
class OfferFacts:
    supplier: str
    sku: str
    title: str | None
    attributes: dict[str, Any]


@dataclass(frozen=True)
class ProductFacts:
    """A part as the catalog holds it, with what each supplier's offer says."""

    part_id: int
    brand: str
    part_number: str
    part_type: str
    title: str
    description: str | None
    attributes: dict[str, Any]
    upc: str | None
    offers: list[OfferFacts] = field(default_factory=list)


async def product_facts(conn: AsyncConnection[Any], part_ids: list[int]) -> list[ProductFacts]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_PRODUCT_INPUTS, {"ids": part_ids})
        rows = await cur.fetchall()
    return [
        ProductFacts(
            part_id=r["id"],
            brand=r["brand"],
            part_number=r["part_number"],
            part_type=r["part_type"],
            title=r["title"],
            description=r["description"],
            attributes=r["attributes"],
            upc=r["upc"],
            offers=[
                OfferFacts(o["supplier"], o["sku"], o["title"], o["attributes"] or {})
                for o in r["offers"]
            ],
        )
        for r in rows
    ]


async def store_product_page(
    conn: AsyncConnection[Any],
    part_id: int,
    *,
    slug: str,
    title: str,
    description: str,
    bullets: list[str],
    specs: dict[str, Any],
    conflicts: list[dict[str, Any]],
    model_used: str | None,
) -> None:
    await conn.execute(
        UPSERT_CONTENT,
        {
            "part_id": part_id,
            "slug": slug,
            "title": title,
            "description": description,
            "bullets": bullets,
            "specs": Jsonb(specs),
            "conflicts": Jsonb(conflicts),
            "model": model_used,
        },
    )


async def store_attributes(
    conn: AsyncConnection[Any], part_id: int, attributes: dict[str, Any]
) -> None:
    await conn.execute(UPDATE_ATTRIBUTES, {"part_id": part_id, "attributes": Jsonb(attributes)})
