"""Reference data every store needs: brands with their aliases, and part types."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from automechanica.catalog.normalize import brand_alias_keys
from automechanica.catalog.vocabulary import BRANDS, PART_TYPES

UPSERT_BRAND = """
INSERT INTO brands (name, aaia_id) VALUES (%s, %s)
ON CONFLICT (name) DO UPDATE SET aaia_id = excluded.aaia_id
"""
INSERT_BRAND_ALIAS = """
INSERT INTO brand_aliases (alias, brand_id)
SELECT %s, id FROM brands WHERE name = %s
ON CONFLICT (alias) DO NOTHING
"""
UPSERT_PART_TYPE = """
INSERT INTO part_types (name, slug, pcdb_id, category, fit_attributes, universal)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (name) DO UPDATE SET slug = excluded.slug, pcdb_id = excluded.pcdb_id,
    category = excluded.category, fit_attributes = excluded.fit_attributes,
    universal = excluded.universal
"""


async def store_reference_data(conn: AsyncConnection[Any]) -> None:
    """Insert or refresh brands, brand aliases and part types (idempotent)."""
    async with conn.cursor() as cur:
        await cur.executemany(UPSERT_BRAND, [(b.name, b.aaia_id) for b in BRANDS])
        await cur.executemany(INSERT_BRAND_ALIAS, list(brand_alias_keys().items()))
        await cur.executemany(
            UPSERT_PART_TYPE,
            [
                (t.name, t.slug, t.pcdb_id, t.category, list(t.fit_attributes), t.universal)
                for t in PART_TYPES
            ],
        )
