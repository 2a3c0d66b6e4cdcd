"""Search-engine doors: a vehicle's landing content (JSON for the storefront), robots.txt
and the sitemap (an index of pages of at most `sitemap_page_size` URLs each).

All public: they say only what the storefront shows anyone. The sitemap lists the
product pages of active parts that have a page (ProductData's or the SEO agent's)
and the landing pages of base vehicles with at least one confidently fitting part.
Paths are the storefront's: /parts/{id} and /vehicles/{year}/{make-slug}/{model-slug}.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Annotated, Any
from xml.sax.saxutils import escape

from fastapi import APIRouter, Path, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from automechanica.agents.seo import landing_text
from automechanica.api.deps import Conn
from automechanica.api.seo_head import SeoConfig
from automechanica.catalog.seo_facts import (
    landing_facts,
    sitemap_counts,
    sitemap_parts,
    sitemap_vehicles,
)
from automechanica.errors import NotFoundError
from automechanica.orchestrator.workflows.seo_pages import fallback_threshold

router = APIRouter(tags=["seo"])

SlugPart = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
Year = Annotated[int, Path(ge=1886, le=2100)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "the store has no such vehicle"}}
XML = "application/xml; charset=utf-8"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
#: Paths a crawler has no business in: the console, a shopper's own pages, search results.
DISALLOW = ("/console", "/cart", "/checkout", "/orders", "/garage", "/search")


class LandingPart(BaseModel):
    id: int
    name: str
    brand: str
    part_number: str
    price: Decimal | None
    fits_every_configuration: bool = Field(
        description="false: it fits some trims or engines only; the shopper checks fit"
    )
    path: str


class LandingPartType(BaseModel):
    part_type: str
    slug: str
    category: str
    count: int = Field(description="confidently fitting active parts of this type")
    top: list[LandingPart]


class LandingPage(BaseModel):
    """A base vehicle's landing page: its words and the parts that fit it, by type."""

    year: int
    make: str
    model: str
    make_slug: str
    model_slug: str
    base_vehicle_id: int
    path: str
    title: str
    meta_description: str
    intro: str
    part_count: int
    part_types: list[LandingPartType]


def _config(request: Request) -> SeoConfig:
    found: SeoConfig | None = getattr(request.app.state, "seo", None)
    return found or SeoConfig()


@router.get("/api/landing/{year}/{make}/{model}", response_model=LandingPage, responses=NOT_FOUND)
async def landing(conn: Conn, year: Year, make: SlugPart, model: SlugPart) -> LandingPage:
    """A year/make/model landing page (make and model by slug, e.g. 2014/honda/civic):
    title, meta description and intro written from the data, and the confidently
    fitting parts counted by part type with the first three of each."""
    facts = await landing_facts(conn, year, make, model, fallback_threshold=fallback_threshold())
    if facts is None:
        raise NotFoundError("vehicle", f"{year} {make} {model}")
    text = landing_text(facts)
    return LandingPage(
        year=facts.year,
        make=facts.make,
        model=facts.model,
        make_slug=facts.make_slug,
        model_slug=facts.model_slug,
        base_vehicle_id=facts.base_vehicle_id,
        path=facts.path,
        title=text.title,
        meta_description=text.meta_description,
        intro=text.intro,
        part_count=facts.part_count,
        part_types=[
            LandingPartType(
                part_type=t.part_type,
                slug=t.slug,
                category=t.category,
                count=t.count,
                top=[
                    LandingPart(
                        id=p.id,
                        name=p.page_title or f"{p.brand} {p.part_type} {p.part_number}",
                        brand=p.brand,
                        part_number=p.part_number,
                        price=p.price,
                        fits_every_configuration=p.fits_every_configuration,
                        path=f"/parts/{p.id}",
                    )
                    for p in t.top
                ],
            )
            for t in facts.part_types
        ],
    )


@router.get("/robots.txt", response_class=PlainTextResponse, include_in_schema=False)
async def robots(request: Request) -> PlainTextResponse:
    base = _config(request).base_url(request)
    lines = ["User-agent: *", *(f"Disallow: {p}" for p in DISALLOW), f"Sitemap: {base}/sitemap.xml"]
    return PlainTextResponse("\n".join(lines) + "\n", headers={"Cache-Control": "max-age=3600"})


def _xml(body: str) -> Response:
    return Response(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + body,
        media_type=XML,
        headers={"Cache-Control": "max-age=3600"},
    )


@router.get("/sitemap.xml", include_in_schema=False)
async def sitemap_index(request: Request, conn: Conn) -> Response:
    """The sitemap index: one file per page of part URLs and of landing URLs."""
    config = _config(request)
    base = config.base_url(request)
    parts, vehicles = await sitemap_counts(conn, fallback_threshold=fallback_threshold())
    files = [
        f"{base}/sitemaps/{kind}-{page}.xml"
        for kind, total in (("parts", parts), ("vehicles", vehicles))
        for page in range(1, math.ceil(total / config.sitemap_page_size) + 1)
    ]
    entries = "".join(f"<sitemap><loc>{escape(f)}</loc></sitemap>\n" for f in files)
    return _xml(f'<sitemapindex xmlns="{SITEMAP_NS}">\n{entries}</sitemapindex>\n')


@router.get("/sitemaps/{kind}-{page}.xml", include_in_schema=False)
async def sitemap_page(
    request: Request, conn: Conn, kind: str, page: Annotated[int, Path(ge=1, le=100_000)]
) -> Response:
    """One page of part or landing URLs; a page past the end is 404."""
    config = _config(request)
    base = config.base_url(request)
    size = config.sitemap_page_size
    offset = (page - 1) * size
    if kind == "parts":
        rows = await sitemap_parts(conn, offset=offset, limit=size)
        entries = [
            f"<url><loc>{escape(f'{base}/parts/{part_id}')}</loc>"
            f"<lastmod>{updated.date().isoformat()}</lastmod></url>"
            for part_id, updated in rows
        ]
    elif kind == "vehicles":
        paths = await sitemap_vehicles(
            conn, offset=offset, limit=size, fallback_threshold=fallback_threshold()
        )
        entries = [f"<url><loc>{escape(base + p)}</loc></url>" for p in paths]
    else:
        raise NotFoundError("sitemap", f"{kind}-{page}")
    if not entries:
        raise NotFoundError("sitemap page", f"{kind}-{page}")
    body = "\n".join(entries)
    return _xml(f'<urlset xmlns="{SITEMAP_NS}">\n{body}\n</urlset>\n')
