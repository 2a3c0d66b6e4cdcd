"""Reference data every store needs: brands with their aliases, and the part-type taxonomy.

Both come from data files (catalog/data/brands.toml, part_types.toml). Loading is
idempotent and never undoes people's work: brands and aliases are only added,
an operator-set AAIA id stays, and a part type someone edited keeps its
description and category while its synonyms gain the seed's.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from automechanica.catalog.vocabulary import ALL_BRANDS, TAXONOMY, alias_key

UPSERT_BRAND = """
INSERT INTO brands (name, aaia_id) VALUES (%s, %s)
ON CONFLICT (name) DO UPDATE SET aaia_id = coalesce(excluded.aaia_id, brands.aaia_id)
"""
INSERT_BRAND_ALIAS = """
INSERT INTO brand_aliases (alias, brand_id, spelling, source)
SELECT %s, id, %s, 'seed' FROM brands WHERE name = %s
ON CONFLICT (alias) DO NOTHING
"""
UPSERT_PART_TYPE = """
INSERT INTO part_types (name, slug, pcdb_id, category, fit_attributes, universal,
                        description, synonyms, not_words)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (name) DO UPDATE SET
    slug = excluded.slug,
    pcdb_id = excluded.pcdb_id,
    category = CASE WHEN part_types.edited_by IS NULL
                    THEN excluded.category ELSE part_types.category END,
    fit_attributes = CASE WHEN part_types.edited_by IS NULL
                          THEN excluded.fit_attributes ELSE part_types.fit_attributes END,
    universal = CASE WHEN part_types.edited_by IS NULL
                     THEN excluded.universal ELSE part_types.universal END,
    description = CASE WHEN part_types.edited_by IS NULL OR part_types.description IS NULL
                       THEN excluded.description ELSE part_types.description END,
    synonyms = (SELECT coalesce(array_agg(DISTINCT s ORDER BY s), '{}')
                FROM unnest(part_types.synonyms || excluded.synonyms) s),
    not_words = CASE WHEN part_types.edited_by IS NULL
                     THEN excluded.not_words ELSE part_types.not_words END
"""


async def store_reference_data(conn: AsyncConnection[Any]) -> None:
    """Insert or refresh brands, brand aliases and part types (idempotent)."""
    aliases: list[tuple[str, str, str]] = []
    for brand in ALL_BRANDS:
        for spelling in (brand.name, *brand.aliases):
            aliases.append((alias_key(spelling), spelling, brand.name))
    async with conn.cursor() as cur:
        await cur.executemany(UPSERT_BRAND, [(b.name, b.aaia_id) for b in ALL_BRANDS])
        await cur.executemany(INSERT_BRAND_ALIAS, aliases)
        await cur.executemany(
            UPSERT_PART_TYPE,
            [
                (
                    t.name,
                    t.slug,
                    t.pcdb_id,
                    t.category,
                    list(t.fit_attributes),
                    t.universal,
                    t.description,
                    list(t.synonyms),
                    list(t.not_words),
                )
                for t in TAXONOMY
            ],
        )
