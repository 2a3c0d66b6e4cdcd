"""Part search: text, part type, brand and "fits this vehicle", paged, with facets.

One statement answers a page: the matching part ids are computed once (a
materialized CTE) and the page, the total and both facets are read from them,
so the "fits this vehicle" work is done once per request, not four times.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from automechanica.catalog.normalize import normalize_mpn

#: The configurations' constraint check: a fitment applies to vehicle v when every
#: non-null constraint equals the vehicle's value.
CONSTRAINTS_MATCH = """
      (f.submodel IS NULL OR f.submodel = v.submodel)
      AND (f.engine_liters IS NULL OR f.engine_liters = v.engine_liters)
      AND (f.engine_cylinders IS NULL OR f.engine_cylinders = v.engine_cylinders)
      AND (f.engine_code IS NULL OR f.engine_code = v.engine_code)
      AND (f.fuel IS NULL OR f.fuel = v.fuel)
      AND (f.aspiration IS NULL OR f.aspiration = v.aspiration)
      AND (f.drive IS NULL OR f.drive = v.drive)
      AND (f.body IS NULL OR f.body = v.body)
      AND (f.transmission IS NULL OR f.transmission = v.transmission)
"""
#: The hot query's heart: parts with a published fitment for configuration
#: %(vehicle_id)s, read from the fitments index on (base vehicle, part type, part).
FITTING_PARTS = (
    """
SELECT f.part_id FROM fitments f JOIN vehicles v ON v.base_vehicle_id = f.base_vehicle_id
WHERE v.id = %(vehicle_id)s AND f.status = 'published' AND"""
    + CONSTRAINTS_MATCH
)
#: Universal parts fit every vehicle; listed so the filter below stays one IN (...),
#: which PostgreSQL evaluates first and then fetches only those parts by id.
UNIVERSAL_PARTS = "SELECT u.id FROM parts u WHERE u.fit_class = 'universal'"
FITS_VEHICLE = "p.id IN (" + FITTING_PARTS + " UNION ALL " + UNIVERSAL_PARTS + ")"
#: The same, narrowed to one part type so the index's second column is used too.
FITS_VEHICLE_OF_TYPE = (
    "p.id IN (" + FITTING_PARTS + " AND f.part_type_id = "
    "(SELECT id FROM part_types WHERE slug = %(part_type)s) UNION ALL " + UNIVERSAL_PARTS
    + " AND u.part_type_id = (SELECT id FROM part_types WHERE slug = %(part_type)s))"
)
TEXT_MATCH = """
(p.search_text @@ websearch_to_tsquery('simple', %(q)s)
 OR p.mpn_normalized = %(mpn)s
 OR p.title %% %(q)s)
"""
TEXT_RANK = """
(CASE WHEN p.mpn_normalized = %(mpn)s THEN 2 ELSE 0 END
 + ts_rank(p.search_text, websearch_to_tsquery('simple', %(q)s))
 + similarity(p.title, %(q)s))
"""
PAGE = """
WITH matched AS MATERIALIZED (
    SELECT p.id, p.part_type_id, p.brand_id, {rank} AS rank
    FROM parts p WHERE p.status = 'active' AND {where}
)
SELECT json_build_object(
    'total', (SELECT count(*) FROM matched),
    'page', %(page)s::int,
    'per_page', %(limit)s::int,
    'facets', json_build_object(
        'part_type', (SELECT coalesce(json_agg(x), '[]') FROM (
            SELECT t.slug AS value, count(*) AS count FROM matched m
            JOIN part_types t ON t.id = m.part_type_id GROUP BY 1 ORDER BY 2 DESC, 1) x),
        'brand', (SELECT coalesce(json_agg(x), '[]') FROM (
            SELECT b.name AS value, count(*) AS count FROM matched m
            JOIN brands b ON b.id = m.brand_id GROUP BY 1 ORDER BY 2 DESC, 1) x)),
    'items', (SELECT coalesce(jsonb_agg(to_jsonb(x) - 'rank' ORDER BY x.rank DESC, x.id), '[]')
              FROM (
        SELECT p.id, p.part_number, p.title, p.fit_class, p.price, b.name AS brand,
               t.name AS part_type, t.slug AS part_type_slug, m.rank,
               (SELECT min(sp.cost) FROM supplier_parts sp WHERE sp.part_id = p.id)
                   AS lowest_cost,
               (SELECT coalesce(sum(sp.stock_total), 0) FROM supplier_parts sp
                WHERE sp.part_id = p.id) AS stock
        FROM (SELECT * FROM matched ORDER BY rank DESC, id
              LIMIT %(limit)s OFFSET %(offset)s) m
        JOIN parts p ON p.id = m.id
        JOIN brands b ON b.id = p.brand_id
        JOIN part_types t ON t.id = p.part_type_id) x)
)::text AS page
"""


@dataclass
class SearchQuery:
    q: str | None = None
    part_type: str | None = None  # slug
    brand: str | None = None
    vehicle_id: int | None = None
    page: int = 1
    per_page: int = 24


@dataclass
class SearchResult:
    total: int
    page: int
    per_page: int
    items: list[dict[str, Any]]
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


async def search_page(conn: AsyncConnection[Any], query: SearchQuery) -> str:
    """A page of results as JSON text, built by PostgreSQL in one statement.

    The API returns it as is: parsing it into objects only to serialize it again
    was most of a request's cost.
    """
    where, params = _filters(query)
    rank = sql.SQL(TEXT_RANK) if query.q else sql.SQL("0::real")
    statement = sql.SQL(PAGE).format(rank=rank, where=sql.SQL(" AND ").join(where))
    params |= {
        "limit": query.per_page,
        "offset": (query.page - 1) * query.per_page,
        "page": query.page,
    }
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(statement, params)
        row = await cur.fetchone()
    assert row is not None
    return str(row["page"])


async def search_parts(conn: AsyncConnection[Any], query: SearchQuery) -> SearchResult:
    """Parts matching every given filter, best text match first, with facet counts."""
    page = json.loads(await search_page(conn, query))
    return SearchResult(
        page["total"], page["page"], page["per_page"], page["items"], page["facets"]
    )


def _filters(query: SearchQuery) -> tuple[list[sql.Composable], dict[str, Any]]:
    where: list[sql.Composable] = [sql.SQL("TRUE")]
    params: dict[str, Any] = {}
    if query.q:
        where.append(sql.SQL(TEXT_MATCH))
        params |= {"q": query.q, "mpn": normalize_mpn(query.q)}
    if query.part_type:
        where.append(
            sql.SQL("p.part_type_id = (SELECT id FROM part_types WHERE slug = %(part_type)s)")
        )
        params["part_type"] = query.part_type
    if query.brand:
        where.append(
            sql.SQL("p.brand_id = (SELECT id FROM brands WHERE lower(name) = lower(%(brand)s))")
        )
        params["brand"] = query.brand
    if query.vehicle_id is not None:
        fits = FITS_VEHICLE_OF_TYPE if query.part_type else FITS_VEHICLE
        where.append(sql.SQL(fits))
        params["vehicle_id"] = query.vehicle_id
    return where, params
