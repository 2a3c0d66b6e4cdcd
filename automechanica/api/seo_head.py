"""Crawlable pages: the web app's index.html with the page's own `<head>` written in by
the server, for crawlers that run no JavaScript.

For a product URL (/parts/{id}) and a vehicle's landing URL
(/vehicles/{year}/{make-slug}/{model-slug}) the app's title and description are
replaced by the page's, and a canonical link, Open Graph tags and JSON-LD are added
(a Product; a CollectionPage with an ItemList). The stored SEO text is used when the
SEO agent wrote it, else the same templates are applied now; the JSON-LD is always
built now, so its price, stock and vehicles are the current ones. One statement per
page. Text is HTML-escaped in attributes and elements; the JSON-LD escapes `<`, `>`
and `&` as \\u003c, \\u003e and \\u0026, so no value can close the script element.

A part or vehicle the store does not have gets the app unchanged (it shows its own
not-found view), with status 404 and `noindex`. index.html is read once and again
only when the file changes.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from fastapi import Request
from fastapi.responses import HTMLResponse
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from automechanica.agents.seo import landing_text, template_meta, template_title
from automechanica.catalog.seo_facts import landing_facts, seo_facts
from automechanica.catalog.structured_data import VEHICLE_CAP, landing_jsonld, product_jsonld
from automechanica.orchestrator.workflows.seo_pages import fallback_threshold

PART_PATH = re.compile(r"^/parts/([^/]+)/?$")
LANDING_PATH = re.compile(r"^/vehicles/([^/]+)/([^/]+)/([^/]+)/?$")
PART_ID = re.compile(r"^[1-9][0-9]{0,17}$")
YEAR = re.compile(r"^(19|20|21)[0-9]{2}$")
SLUG = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_TITLE = re.compile(r"<title\b[^>]*>.*?</title\s*>", re.I | re.S)
_DESCRIPTION = re.compile(r"<meta\s+[^>]*name\s*=\s*[\"']description[\"'][^>]*>", re.I)
_HEAD_END = re.compile(r"</head\s*>", re.I)
NOINDEX = '<meta name="robots" content="noindex">'


@dataclass(frozen=True)
class SeoConfig:
    """Where canonical links point (the store's public address; unset: the address the
    request came to) and how many URLs one sitemap file lists."""

    public_url: str | None = None
    sitemap_page_size: int = 10_000

    def base_url(self, request: Request) -> str:
        return (self.public_url or str(request.base_url)).rstrip("/")


@dataclass(frozen=True)
class Head:
    title: str
    description: str
    canonical: str
    jsonld: dict[str, Any]
    og_type: str = "website"
    noindex: bool = False


def jsonld_text(data: dict[str, Any]) -> str:
    """JSON for a script element: nothing in it can end the element or open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text


def head_html(head: Head) -> str:
    e = html.escape
    lines = [
        f"<title>{e(head.title, quote=False)}</title>",
        f'<meta name="description" content="{e(head.description)}">',
        f'<link rel="canonical" href="{e(head.canonical)}">',
        f'<meta property="og:title" content="{e(head.title)}">',
        f'<meta property="og:description" content="{e(head.description)}">',
        f'<meta property="og:url" content="{e(head.canonical)}">',
        f'<meta property="og:type" content="{e(head.og_type)}">',
        f'<script type="application/ld+json">{jsonld_text(head.jsonld)}</script>',
    ]
    if head.noindex:
        lines.append(NOINDEX)
    return "\n".join(lines) + "\n"


class IndexPage:
    """The built app's index.html, cached, with its own title and description taken out
    so a page's can go in (kept when no page replaces them)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._text = ""
        self._bare = ""

    def _load(self) -> None:
        stat = self.path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            self._text = self.path.read_text(encoding="utf-8")
            self._bare = _DESCRIPTION.sub("", _TITLE.sub("", self._text, count=1), count=1)
            self._stamp = stamp

    def with_head(self, head: Head) -> str:
        self._load()
        return _insert(self._bare, head_html(head))

    def not_found(self) -> str:
        self._load()
        return _insert(self._text, NOINDEX + "\n")


def _insert(page: str, block: str) -> str:
    match = _HEAD_END.search(page)
    if match is None:
        return block + page
    return page[: match.start()] + block + page[match.start() :]


async def part_head(conn: AsyncConnection[Any], part_id: int, base_url: str) -> Head | None:
    found = await seo_facts(
        conn, [part_id], fallback_threshold=fallback_threshold(), vehicle_cap=VEHICLE_CAP
    )
    if not found:
        return None
    facts = found[0]
    url = f"{base_url}/parts/{part_id}"
    description = facts.meta_description or template_meta(facts)
    return Head(
        title=facts.seo_title or template_title(facts),
        description=description,
        canonical=url,
        jsonld=product_jsonld(facts, url, description=description),
        og_type="product",
        noindex=facts.status != "active",
    )


async def landing_head(
    conn: AsyncConnection[Any], year: int, make: str, model: str, base_url: str
) -> Head | None:
    facts = await landing_facts(conn, year, make, model, fallback_threshold=fallback_threshold())
    if facts is None:
        return None
    text = landing_text(facts)
    url = base_url + facts.path
    return Head(
        title=text.title,
        description=text.meta_description,
        canonical=url,
        jsonld=landing_jsonld(
            facts, url, base_url, title=text.title, description=text.meta_description
        ),
        noindex=facts.part_count == 0,  # an empty page is not worth a crawler's time
    )


async def crawlable_page(
    request: Request, index: IndexPage, headers: dict[str, str]
) -> HTMLResponse | None:
    """The app's page with its head filled in, for a product or landing URL; None for
    every other path (the caller serves the app as it is)."""
    path = request.url.path
    part = PART_PATH.match(path)
    landing = None if part else LANDING_PATH.match(path)
    if part is None and landing is None:
        return None
    pool: AsyncConnectionPool[Any] | None = getattr(request.app.state, "pool", None)
    if pool is None:  # an app without a database (tests of the web serving alone)
        return None
    config: SeoConfig = getattr(request.app.state, "seo", None) or SeoConfig()
    base_url = config.base_url(request)
    policy = getattr(request.app.state, "policy", None)
    head: Head | None = None
    try:
        async with pool.connection(timeout=policy.db_timeout_seconds if policy else None) as conn:
            if part is not None:
                if PART_ID.match(part[1]):
                    head = await part_head(conn, int(part[1]), base_url)
            elif landing is not None:
                year, make, model = landing.groups()
                if YEAR.match(year) and SLUG.match(make) and SLUG.match(model):
                    head = await landing_head(conn, int(year), make, model, base_url)
    except psycopg.OperationalError:  # the database is away: the app as it is, not an error
        return None
    if head is None:
        return HTMLResponse(index.not_found(), status_code=404, headers=headers)
    return HTMLResponse(index.with_head(head), headers=headers)
