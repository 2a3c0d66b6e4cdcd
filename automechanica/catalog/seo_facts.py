"""What search-engine pages are written from: a part's facts with its confident vehicles,
a base vehicle's fitting parts, and the URLs a sitemap lists.

Only confident fitment counts: published rows at or above the `fitment.publish`
threshold. The threshold is read inside each statement from the `policies` table
(the caller passes the seed default for a store whose table lacks it), so a page
costs one query. Make and model slugs are computed in SQL by one expression
(`SLUG`), the same for the URLs the sitemap lists and the lookup of a landing page,
so a listed URL always resolves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

#: A make's or model's URL slug, in SQL: lower case, every run of other characters a '-'.
SLUG = "trim(both '-' from regexp_replace(lower({0}), '[^a-z0-9]+', '-', 'g'))"
_SLUG = re.compile(r"[^a-z0-9]+")
#: The publish threshold: the policy table's, else the seed default the caller passes.
PUBLISH = """publish AS (
    SELECT coalesce((SELECT threshold FROM policies WHERE decision_type = 'fitment.publish'),
                    %(fallback_threshold)s) AS threshold
)"""
#: A fitment row that names no configuration: it fits every trim and engine.
ANY_CONFIG = (
    "f.submodel IS NULL AND f.engine_liters IS NULL AND f.engine_cylinders IS NULL AND "
    "f.engine_code IS NULL AND f.fuel IS NULL AND f.aspiration IS NULL AND f.drive IS NULL "
    "AND f.body IS NULL AND f.transmission IS NULL"
)

#: Parts with their page, offer and confident vehicles: the newest model years first,
#: at most %(cap)s vehicles listed, all of them counted; per make/model the years.
SELECT_SEO_FACTS = f"""
WITH {PUBLISH},
x AS (
    SELECT p.id, p.part_number, p.title, p.description, p.upc, p.fit_class, p.status,
           p.price, b.name AS brand, t.name AS part_type, t.category
    FROM parts p
    JOIN brands b ON b.id = p.brand_id
    JOIN part_types t ON t.id = p.part_type_id
    WHERE p.id = ANY(%(ids)s)
)
SELECT x.*, pc.slug, pc.title AS page_title, pc.description AS page_description,
       pc.specs, pc.seo_title, pc.meta_description, pc.updated_at AS content_updated_at,
       coalesce(o.stock_total, 0) AS stock_total, coalesce(o.offers, 0) AS offers,
       coalesce(v.vehicles, '[]') AS vehicles, coalesce(v.total, 0) AS vehicle_total,
       coalesce(v.models, '[]') AS models
FROM x
LEFT JOIN product_content pc ON pc.part_id = x.id
LEFT JOIN LATERAL (
    SELECT sum(sp.stock_total) AS stock_total, count(*) AS offers
    FROM supplier_parts sp WHERE sp.part_id = x.id
) o ON true
LEFT JOIN LATERAL (
    WITH e AS (
        SELECT DISTINCT bv.year, ma.name AS make, mo.name AS model, f.submodel,
               f.engine_liters
        FROM fitments f
        JOIN base_vehicles bv ON bv.id = f.base_vehicle_id
        JOIN makes ma ON ma.id = bv.make_id
        JOIN models mo ON mo.id = bv.model_id
        CROSS JOIN publish
        WHERE f.part_id = x.id AND f.status = 'published' AND f.confidence >= publish.threshold
    ),
    ranked AS (
        SELECT e.*, row_number() OVER (
                   ORDER BY e.year DESC, e.make, e.model, e.submodel NULLS FIRST,
                            e.engine_liters NULLS FIRST) AS rank
        FROM e
    )
    SELECT (SELECT count(*) FROM e) AS total,
           (SELECT jsonb_agg(jsonb_build_object(
                       'year', r.year, 'make', r.make, 'model', r.model,
                       'submodel', r.submodel, 'engine_liters', r.engine_liters)
                   ORDER BY r.rank)
            FROM ranked r WHERE r.rank <= %(cap)s) AS vehicles,
           (SELECT jsonb_agg(jsonb_build_object('make', y.make, 'model', y.model,
                                                'years', y.years)
                             ORDER BY y.n DESC, y.make, y.model)
            FROM (SELECT e.make, e.model, count(DISTINCT e.year) AS n,
                         array_agg(DISTINCT e.year ORDER BY e.year) AS years
                  FROM e GROUP BY e.make, e.model) y) AS models
) v ON true
ORDER BY x.id
"""

#: One base vehicle by year and slugs, with its confidently fitting active parts: a
#: count per part type and the first %(top)s of each (priced first, then those that fit
#: every configuration, then the surest).
SELECT_LANDING = f"""
WITH {PUBLISH},
bv AS (
    SELECT bv.id, bv.year, ma.name AS make, mo.name AS model,
           {SLUG.format("ma.name")} AS make_slug, {SLUG.format("mo.name")} AS model_slug
    FROM base_vehicles bv
    JOIN makes ma ON ma.id = bv.make_id
    JOIN models mo ON mo.id = bv.model_id
    WHERE bv.year = %(year)s
      AND {SLUG.format("ma.name")} = %(make)s AND {SLUG.format("mo.name")} = %(model)s
    ORDER BY bv.id
    LIMIT 1
),
fits AS (
    SELECT f.part_id, bool_or({ANY_CONFIG}) AS any_config, max(f.confidence) AS confidence
    FROM bv
    JOIN fitments f ON f.base_vehicle_id = bv.id
    CROSS JOIN publish
    WHERE f.status = 'published' AND f.confidence >= publish.threshold
    GROUP BY f.part_id
),
ranked AS (
    SELECT p.id, p.part_number, p.price, b.name AS brand, t.name AS part_type,
           t.slug AS part_type_slug, t.category, fits.any_config, pc.title AS page_title,
           row_number() OVER (PARTITION BY t.id
               ORDER BY (p.price IS NOT NULL) DESC, fits.any_config DESC,
                        fits.confidence DESC, p.id) AS rank,
           count(*) OVER (PARTITION BY t.id) AS type_count
    FROM fits
    JOIN parts p ON p.id = fits.part_id AND p.status = 'active'
    JOIN brands b ON b.id = p.brand_id
    JOIN part_types t ON t.id = p.part_type_id
    LEFT JOIN product_content pc ON pc.part_id = p.id
)
SELECT bv.*, coalesce((
    SELECT jsonb_agg(jsonb_build_object(
               'id', r.id, 'part_number', r.part_number, 'price', r.price, 'brand', r.brand,
               'part_type', r.part_type, 'part_type_slug', r.part_type_slug,
               'category', r.category, 'any_config', r.any_config, 'page_title', r.page_title,
               'type_count', r.type_count)
           ORDER BY r.type_count DESC, r.part_type, r.rank)
    FROM ranked r WHERE r.rank <= %(top)s), '[]') AS parts
FROM bv
"""

COUNT_SITEMAP_PARTS = """
SELECT count(*) AS n FROM parts p JOIN product_content pc ON pc.part_id = p.id
WHERE p.status = 'active'
"""
SELECT_SITEMAP_PARTS = """
SELECT p.id, pc.updated_at FROM parts p JOIN product_content pc ON pc.part_id = p.id
WHERE p.status = 'active'
ORDER BY p.id LIMIT %(limit)s OFFSET %(offset)s
"""
#: Base vehicles with at least one confidently fitting part (fitments_vehicle_type
#: leads with base_vehicle_id: one index probe per base vehicle).
LANDING_EXISTS = """
EXISTS (SELECT 1 FROM fitments f JOIN parts p ON p.id = f.part_id
        WHERE f.base_vehicle_id = bv.id AND f.status = 'published'
          AND f.confidence >= publish.threshold AND p.status = 'active')
"""
COUNT_SITEMAP_VEHICLES = f"""
WITH {PUBLISH}
SELECT count(*) AS n FROM base_vehicles bv CROSS JOIN publish WHERE {LANDING_EXISTS}
"""
SELECT_SITEMAP_VEHICLES = f"""
WITH {PUBLISH}
SELECT bv.year, {SLUG.format("ma.name")} AS make_slug, {SLUG.format("mo.name")} AS model_slug
FROM base_vehicles bv
JOIN makes ma ON ma.id = bv.make_id
JOIN models mo ON mo.id = bv.model_id
CROSS JOIN publish
WHERE {LANDING_EXISTS}
ORDER BY bv.id LIMIT %(limit)s OFFSET %(offset)s
"""

#: SEO text on the part's page row; a part with no page yet gets one from the catalog's
#: own title and description (ProductData's page, when it comes, replaces those two and
#: keeps the SEO columns). A slug another part holds gets the part id appended.
UPSERT_SEO = """
INSERT INTO product_content (part_id, slug, title, description, seo_title, meta_description)
VALUES (%(part_id)s,
        CASE WHEN EXISTS (SELECT 1 FROM product_content
                          WHERE slug = %(slug)s AND part_id <> %(part_id)s)
             THEN %(slug)s || '-' || %(part_id)s ELSE %(slug)s END,
        %(title)s, %(description)s, %(seo_title)s, %(meta_description)s)
ON CONFLICT (part_id) DO UPDATE
SET seo_title = EXCLUDED.seo_title, meta_description = EXCLUDED.meta_description,
    updated_at = now()
"""


def vehicle_slug(name: str) -> str:
    """The URL slug of a make or model: the Python twin of `SLUG` (for links we write)."""
    return _SLUG.sub("-", name.lower()).strip("-")


@dataclass(frozen=True)
class FitVehicle:
    """One vehicle a part fits confidently: a year/make/model, with the trim or engine
    the fitment names when it names one."""

    year: int
    make: str
    model: str
    submodel: str | None = None
    engine_liters: Decimal | None = None


@dataclass(frozen=True)
class ModelYears:
    make: str
    model: str
    years: list[int]


@dataclass(frozen=True)
class SeoFacts:
    """A part as its search-engine page may describe it, and nothing more."""

    part_id: int
    brand: str
    part_number: str
    part_type: str
    category: str
    title: str
    description: str | None
    upc: str | None
    fit_class: str
    status: str
    price: Decimal | None
    stock_total: int
    offers: int
    specs: dict[str, Any]
    page_title: str | None
    page_description: str | None
    slug: str | None
    seo_title: str | None
    meta_description: str | None
    content_updated_at: datetime | None
    vehicles: list[FitVehicle] = field(default_factory=list)
    vehicle_total: int = 0
    models: list[ModelYears] = field(default_factory=list)

    @property
    def universal(self) -> bool:
        return self.fit_class == "universal"


def _facts(row: dict[str, Any]) -> SeoFacts:
    # Specs only from ProductData's page, where the suppliers agree: a part whose page is
    # held has attributes in dispute, and its snippet says none of them.
    specs = dict(row["specs"] or {})
    return SeoFacts(
        part_id=row["id"],
        brand=row["brand"],
        part_number=row["part_number"],
        part_type=row["part_type"],
        category=row["category"],
        title=row["title"],
        description=row["description"],
        upc=row["upc"],
        fit_class=row["fit_class"],
        status=row["status"],
        price=row["price"],
        stock_total=int(row["stock_total"]),
        offers=int(row["offers"]),
        specs=specs,
        page_title=row["page_title"],
        page_description=row["page_description"],
        slug=row["slug"],
        seo_title=row["seo_title"],
        meta_description=row["meta_description"],
        content_updated_at=row["content_updated_at"],
        vehicles=[
            FitVehicle(
                year=v["year"],
                make=v["make"],
                model=v["model"],
                submodel=v["submodel"],
                engine_liters=None
                if v["engine_liters"] is None
                else Decimal(str(v["engine_liters"])),
            )
            for v in row["vehicles"]
        ],
        vehicle_total=int(row["vehicle_total"]),
        models=[ModelYears(m["make"], m["model"], list(m["years"])) for m in row["models"]],
    )


async def seo_facts(
    conn: AsyncConnection[Any],
    part_ids: list[int],
    *,
    fallback_threshold: float,
    vehicle_cap: int,
) -> list[SeoFacts]:
    """The facts of each part in `part_ids` that exists, in id order (one statement)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            SELECT_SEO_FACTS,
            {"ids": part_ids, "fallback_threshold": fallback_threshold, "cap": vehicle_cap},
        )
        return [_facts(r) for r in await cur.fetchall()]


@dataclass(frozen=True)
class LandingPart:
    id: int
    brand: str
    part_number: str
    part_type: str
    price: Decimal | None
    fits_every_configuration: bool
    page_title: str | None


@dataclass(frozen=True)
class LandingType:
    part_type: str
    slug: str
    category: str
    count: int
    top: list[LandingPart]


@dataclass(frozen=True)
class LandingFacts:
    """A base vehicle and the parts that confidently fit it, by part type."""

    base_vehicle_id: int
    year: int
    make: str
    model: str
    make_slug: str
    model_slug: str
    part_types: list[LandingType]

    @property
    def part_count(self) -> int:
        return sum(t.count for t in self.part_types)

    @property
    def path(self) -> str:
        return f"/vehicles/{self.year}/{self.make_slug}/{self.model_slug}"


async def landing_facts(
    conn: AsyncConnection[Any],
    year: int,
    make_slug: str,
    model_slug: str,
    *,
    fallback_threshold: float,
    top: int = 3,
) -> LandingFacts | None:
    """The base vehicle named by year and slugs (any case), or None when the store has
    no such vehicle."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            SELECT_LANDING,
            {
                "year": year,
                "make": make_slug.lower(),
                "model": model_slug.lower(),
                "fallback_threshold": fallback_threshold,
                "top": top,
            },
        )
        row = await cur.fetchone()
    if row is None:
        return None
    types: dict[str, LandingType] = {}
    for p in row["parts"]:
        kind = types.get(p["part_type"])
        if kind is None:
            kind = types[p["part_type"]] = LandingType(
                p["part_type"], p["part_type_slug"], p["category"], int(p["type_count"]), []
            )
        kind.top.append(
            LandingPart(
                id=p["id"],
                brand=p["brand"],
                part_number=p["part_number"],
                part_type=p["part_type"],
                price=None if p["price"] is None else Decimal(str(p["price"])),
                fits_every_configuration=bool(p["any_config"]),
                page_title=p["page_title"],
            )
        )
    return LandingFacts(
        base_vehicle_id=row["id"],
        year=row["year"],
        make=row["make"],
        model=row["model"],
        make_slug=row["make_slug"],
        model_slug=row["model_slug"],
        part_types=list(types.values()),
    )


async def store_seo(
    conn: AsyncConnection[Any],
    facts: SeoFacts,
    *,
    slug: str,
    seo_title: str,
    meta_description: str,
) -> None:
    await conn.execute(
        UPSERT_SEO,
        {
            "part_id": facts.part_id,
            "slug": slug,
            "title": facts.title,
            "description": facts.description or meta_description,
            "seo_title": seo_title,
            "meta_description": meta_description,
        },
    )


# -- the sitemap ---------------------------------------------------------------------------


async def _count(conn: AsyncConnection[Any], sql: str, params: dict[str, Any]) -> int:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(sql, params)
        row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def sitemap_counts(
    conn: AsyncConnection[Any], *, fallback_threshold: float
) -> tuple[int, int]:
    """(parts with a page, base vehicles with confidently fitting parts)."""
    parts = await _count(conn, COUNT_SITEMAP_PARTS, {})
    vehicles = await _count(
        conn, COUNT_SITEMAP_VEHICLES, {"fallback_threshold": fallback_threshold}
    )
    return parts, vehicles


async def sitemap_parts(
    conn: AsyncConnection[Any], *, offset: int, limit: int
) -> list[tuple[int, datetime]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_SITEMAP_PARTS, {"offset": offset, "limit": limit})
        return [(r["id"], r["updated_at"]) for r in await cur.fetchall()]


async def sitemap_vehicles(
    conn: AsyncConnection[Any], *, offset: int, limit: int, fallback_threshold: float
) -> list[str]:
    """Landing paths (/vehicles/{year}/{make}/{model}), one page of them."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            SELECT_SITEMAP_VEHICLES,
            {"offset": offset, "limit": limit, "fallback_threshold": fallback_threshold},
        )
        rows = await cur.fetchall()
    return [f"/vehicles/{r['year']}/{r['make_slug']}/{r['model_slug']}" for r in rows]
