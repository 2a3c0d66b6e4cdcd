"""Part search: text, part type, brand and "fits this vehicle", paged, with facets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from automechanica.catalog.normalize import normalize_mpn

#: The hot query's heart: a part fits configuration :vehicle when a published
#: fitment on its base vehicle has every non-null constraint equal to the vehicle's.
FITS_VEHICLE = """
EXISTS (
    SELECT 1 FROM fitments f JOIN vehicles v ON v.base_vehicle_id = f.base_vehicle_id
    WHERE v.id = %(vehicle_id)s AND f.part_id = p.id AND f.status = 'published'
      AND (f.submodel IS NULL OR f.submodel = v.submodel)
      AND (f.engine_liters IS NULL OR f.engine_liters = v.engine_liters)
      AND (f.engine_cylinders IS NULL OR f.engine_cylinders = v.engine_cylinders)
      AND (f.engine_code IS NULL OR f.engine_code = v.engine_code)
      AND (f.fuel IS NULL OR f.fuel = v.fuel)
      AND (f.aspiration IS NULL OR f.aspiration = v.aspiration)
      AND (f.drive IS NULL OR f.drive = v.drive)
      AND (f.body IS NULL OR f.body = v.body)
      AND (f.transmission IS NULL OR f.transmission = v.transmission)
)
"""
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
SELECT_COLUMNS = """
p.id, p.part_number, p.title, p.fit_class, p.price, b.name AS brand, t.name AS part_type,
t.slug AS part_type_slug,
(SELECT min(sp.cost) FROM supplier_parts sp WHERE sp.part_id = p.id) AS lowest_cost,
(SELECT coalesce(sum(sp.stock_total), 0) FROM supplier_parts sp WHERE sp.part_id = p.id) AS stock
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


async def search_parts(conn: AsyncConnection[Any], query: SearchQuery) -> SearchResult:
    """Parts matching every given filter, best text match first, with facet counts."""
    where, params = _filters(query)
    base = sql.SQL(
        "FROM parts p JOIN brands b ON b.id = p.brand_id "
        "JOIN part_types t ON t.id = p.part_type_id WHERE p.status = 'active' AND "
    ) + sql.SQL(" AND ").join(where)
    order = sql.SQL(TEXT_RANK + " DESC, p.id") if query.q else sql.SQL("p.id")
    params |= {"limit": query.per_page, "offset": (query.page - 1) * query.per_page}
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            sql.SQL("SELECT ")
            + sql.SQL(SELECT_COLUMNS)
            + base
            + sql.SQL(" ORDER BY ")
            + order
            + sql.SQL(" LIMIT %(limit)s OFFSET %(offset)s"),
            params,
        )
        items = await cur.fetchall()
        await cur.execute(sql.SQL("SELECT count(*) AS n ") + base, params)
        total_row = await cur.fetchone()
        facets = {}
        for name, column in (("part_type", "t.slug"), ("brand", "b.name")):
            await cur.execute(
                sql.SQL("SELECT {col} AS value, count(*) AS count ").format(col=sql.SQL(column))
                + base
                + sql.SQL(" GROUP BY 1 ORDER BY 2 DESC, 1"),
                params,
            )
            facets[name] = await cur.fetchall()
    total = int(total_row["n"]) if total_row else 0
    return SearchResult(total, query.page, query.per_page, items, facets)


def _filters(query: SearchQuery) -> tuple[list[sql.Composable], dict[str, Any]]:
    where: list[sql.Composable] = [sql.SQL("TRUE")]
    params: dict[str, Any] = {}
    if query.q:
        where.append(sql.SQL(TEXT_MATCH))
        params |= {"q": query.q, "mpn": normalize_mpn(query.q)}
    if query.part_type:
        where.append(sql.SQL("t.slug = %(part_type)s"))
        params["part_type"] = query.part_type
    if query.brand:
        where.append(sql.SQL("lower(b.name) = lower(%(brand)s)"))
        params["brand"] = query.brand
    if query.vehicle_id is not None:
        where.append(sql.SQL("(p.fit_class = 'universal' OR " + FITS_VEHICLE + ")"))
        params["vehicle_id"] = query.vehicle_id
    return where, params
