"""Crawlable pages over HTTP, read as a crawler that runs no JavaScript reads them: the
app's index.html with the page's title, description, canonical link and JSON-LD in its
head; hostile text escaped; unknown parts and vehicles 404 with noindex; robots.txt
and a paged sitemap whose every URL resolves."""

from __future__ import annotations

import asyncio
import json
import math
import re
import socket
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import psycopg
import pytest
import uvicorn
from fastapi.testclient import TestClient
from psycopg.rows import dict_row

from automechanica.api.app import create_app
from automechanica.api.seo_head import NOINDEX, SeoConfig
from automechanica.api.web import mount_web
from automechanica.catalog.seo_facts import vehicle_slug
from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.orchestrator.services import Services
from tests.integration.priced_store import load_priced_store_sync
from tests.integration.seo_fixtures import run_seo_build

BASE = "https://shop.example"
PAGE_SIZE = 50
THRESHOLD = 0.8
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
INDEX = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="description" content="AutoMechanica: auto parts that fit your vehicle." />
    <title>AutoMechanica parts store</title>
    <script type="module" crossorigin src="/assets/index-abc.js"></script>
  </head>
  <body>
    <div id="root"></div>
  </body>
</html>
"""
HOSTILE = '</script><script>alert(1)</script>"><img src=x onerror=alert(2)> & <!--'


@dataclass
class Head:
    """What a crawler reads from a page's head."""

    titles: list[str] = field(default_factory=list)
    meta: dict[str, list[str]] = field(default_factory=dict)
    canonical: list[str] = field(default_factory=list)
    jsonld: list[str] = field(default_factory=list)
    scripts: int = 0
    root: bool = False


class HeadReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.head = Head()
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "title":
            self._in = "title"
            self.head.titles.append("")
        elif tag == "meta" and ("name" in a or "property" in a):
            self.head.meta.setdefault(a.get("name") or a["property"], []).append(a["content"])
        elif tag == "link" and a.get("rel") == "canonical":
            self.head.canonical.append(a["href"])
        elif tag == "script":
            self.head.scripts += 1
            if a.get("type") == "application/ld+json":
                self._in = "jsonld"
                self.head.jsonld.append("")
        elif tag == "div" and a.get("id") == "root":
            self.head.root = True

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.head.titles[-1] += data
        elif self._in == "jsonld":
            self.head.jsonld[-1] += data


def read_head(page: str) -> Head:
    reader = HeadReader()
    reader.feed(page)
    return reader.head


@pytest.fixture
def shop(db_url: str, tmp_path: Path, test_vehicles: list[VehicleConfig]) -> Iterator[TestClient]:
    """The API and web app (index.html above) over a priced store whose SEO is built."""
    load_priced_store_sync(db_url, tmp_path / "feeds", test_vehicles)

    async def seo() -> None:
        async with await psycopg.AsyncConnection.connect(
            db_url, autocommit=True, row_factory=dict_row
        ) as conn:
            await run_seo_build(db_url, conn, Services(db_url), {})

    asyncio.run(seo())
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text(INDEX)
    app = create_app(
        db_url,
        pool_min_size=1,
        pool_max_size=4,
        seo_config=SeoConfig(public_url=BASE, sitemap_page_size=PAGE_SIZE),
    )
    app.router.routes.pop()  # the shop create_app mounted on the source tree's build
    mount_web(app, dist)
    with TestClient(app) as client:
        yield client


def sql(db_url: str, query: str, *params: Any) -> list[dict[str, Any]]:
    with psycopg.connect(db_url, row_factory=dict_row, autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def busiest_vehicle(db_url: str) -> dict[str, Any]:
    (row,) = sql(
        db_url,
        "SELECT bv.id, bv.year, ma.name AS make, mo.name AS model FROM base_vehicles bv"
        " JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id"
        " JOIN fitments f ON f.base_vehicle_id = bv.id WHERE f.confidence >= %s"
        " AND f.status = 'published' GROUP BY bv.id, ma.name, mo.name"
        " ORDER BY count(*) DESC LIMIT 1",
        THRESHOLD,
    )
    return row


def test_a_product_page_carries_its_head_without_javascript(shop: TestClient, db_url: str) -> None:
    (part,) = sql(
        db_url,
        "SELECT p.id, p.price, c.seo_title, c.meta_description FROM parts p"
        " JOIN product_content c ON c.part_id = p.id JOIN fitments f ON f.part_id = p.id"
        " WHERE p.price IS NOT NULL AND f.confidence >= %s AND f.status = 'published'"
        " AND p.fit_class = 'vehicle_specific' ORDER BY p.id LIMIT 1",
        THRESHOLD,
    )
    page = shop.get(f"/parts/{part['id']}?vehicle=7")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    head = read_head(page.text)
    assert head.titles == [part["seo_title"]]  # the app's own title replaced, not doubled
    assert head.meta["description"] == [part["meta_description"]]
    assert head.canonical == [f"{BASE}/parts/{part['id']}"]
    assert head.root and "/assets/index-abc.js" in page.text  # still the app
    assert "robots" not in head.meta
    (text,) = head.jsonld
    ld = json.loads(text)
    assert ld["@type"] == "Product" and ld["url"] == head.canonical[0]
    assert ld["offers"]["price"] == f"{part['price']:.2f}"
    assert ld["isAccessoryOrSparePartFor"][0]["@type"] == "Vehicle"


def test_a_landing_page_lists_the_fitting_parts(shop: TestClient, db_url: str) -> None:
    vehicle = busiest_vehicle(db_url)
    make, model = vehicle_slug(vehicle["make"]), vehicle_slug(vehicle["model"])
    page = shop.get(f"/vehicles/{vehicle['year']}/{make.upper()}/{model}")
    assert page.status_code == 200
    head = read_head(page.text)
    name = f"{vehicle['year']} {vehicle['make']} {vehicle['model']}"
    assert len(head.titles) == 1 and name in head.titles[0]
    assert name in head.meta["description"][0]
    assert head.canonical == [f"{BASE}/vehicles/{vehicle['year']}/{make}/{model}"]
    (text,) = head.jsonld
    ld = json.loads(text)
    assert ld["@type"] == "CollectionPage" and ld["about"]["@type"] == "Vehicle"
    assert ld["about"]["vehicleModelDate"] == str(vehicle["year"])
    items = ld["mainEntity"]["itemListElement"]
    assert ld["mainEntity"]["@type"] == "ItemList" and items
    assert [i["position"] for i in items] == list(range(1, len(items) + 1))
    listed = {int(i["url"].rsplit("/", 1)[1]) for i in items}
    fitting = sql(
        db_url,
        "SELECT DISTINCT f.part_id FROM fitments f WHERE f.base_vehicle_id = %s"
        " AND f.status = 'published' AND f.confidence >= %s",
        vehicle["id"],
        THRESHOLD,
    )
    assert listed <= {r["part_id"] for r in fitting}

    body = shop.get(f"/api/landing/{vehicle['year']}/{make}/{model}").json()
    assert body["title"] == head.titles[0] and body["path"].endswith(f"/{make}/{model}")
    assert body["part_count"] == sum(t["count"] for t in body["part_types"])
    assert body["part_count"] == len(fitting)
    assert str(body["part_count"]) in body["intro"]


def test_hostile_text_is_escaped_in_every_place(shop: TestClient, db_url: str) -> None:
    (part,) = sql(db_url, "SELECT id FROM parts WHERE price IS NOT NULL ORDER BY id LIMIT 1")
    # As if an operator's edit or an old bug had stored it: the server escapes regardless.
    sql(
        db_url,
        "UPDATE product_content SET title = %s, seo_title = %s, meta_description = %s"
        " WHERE part_id = %s",
        HOSTILE,
        HOSTILE,
        HOSTILE,
        part["id"],
    )
    page = shop.get(f"/parts/{part['id']}")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "<img" not in page.text
    assert "<!--" not in page.text
    head = read_head(page.text)
    assert head.scripts == 2, "the app's script and the JSON-LD: nothing broke out"
    assert head.titles == [HOSTILE] and head.meta["description"] == [HOSTILE]
    ld = json.loads(head.jsonld[0])
    assert ld["name"] == HOSTILE and ld["description"] == HOSTILE  # escaped, not altered


def test_unknown_parts_and_vehicles_are_404_with_noindex(shop: TestClient, db_url: str) -> None:
    vehicle = busiest_vehicle(db_url)
    make = vehicle_slug(vehicle["make"])
    for path in (
        "/parts/999999999",
        "/parts/abc",
        "/parts/0",
        f"/vehicles/{vehicle['year']}/{make}/no-such-model",
        f"/vehicles/1931/{make}/{vehicle_slug(vehicle['model'])}",
        "/vehicles/not-a-year/x/y",
    ):
        page = shop.get(path)
        assert page.status_code == 404, path
        head = read_head(page.text)
        assert head.meta["robots"] == ["noindex"], path
        assert head.root and head.titles == ["AutoMechanica parts store"], path
        assert not head.jsonld and not head.canonical
    missing = shop.get("/api/landing/1931/honda/civic")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert shop.get("/garage").status_code == 200  # other app paths are untouched


def test_without_a_public_url_links_use_the_requests_address(db_url: str, tmp_path: Path) -> None:
    sql(
        db_url,
        "INSERT INTO brands (name) VALUES ('Acme');"
        " INSERT INTO parts (brand_id, part_number, mpn_normalized, part_type_id, title)"
        " SELECT b.id, 'X-1', 'X1', t.id, 'Acme thing' FROM brands b, part_types t"
        " WHERE b.name = 'Acme' ORDER BY t.id LIMIT 1",
    )
    (part,) = sql(db_url, "SELECT id FROM parts")
    (tmp_path / "index.html").write_text(INDEX)
    app = create_app(db_url, pool_min_size=1, pool_max_size=2)
    app.router.routes.pop()
    mount_web(app, tmp_path)
    with TestClient(app, base_url="http://store.test:8000") as client:
        head = read_head(client.get(f"/parts/{part['id']}").text)
        robots = client.get("/robots.txt").text
    assert head.canonical == [f"http://store.test:8000/parts/{part['id']}"]
    (title,) = head.titles  # nothing stored: the template, written now
    assert title.startswith("Acme X-1 ") and title.endswith("| AutoMechanica")
    assert head.meta["description"][0].endswith("Check fit for your vehicle.")
    assert "offers" not in json.loads(head.jsonld[0])  # no price, no offer
    assert "Sitemap: http://store.test:8000/sitemap.xml" in robots


def test_robots_and_a_paged_sitemap_whose_urls_resolve(shop: TestClient, db_url: str) -> None:
    robots = shop.get("/robots.txt")
    assert robots.status_code == 200 and robots.headers["content-type"].startswith("text/plain")
    lines = robots.text.splitlines()
    assert "User-agent: *" in lines and f"Sitemap: {BASE}/sitemap.xml" in lines
    assert "Disallow: /console" in lines and "Disallow: /checkout" in lines
    assert not any(line == "Disallow: /" or line.startswith("Disallow: /parts") for line in lines)

    index = shop.get("/sitemap.xml")
    assert index.status_code == 200 and "xml" in index.headers["content-type"]
    files = [e.text or "" for e in ET.fromstring(index.content).findall("s:sitemap/s:loc", NS)]
    (parts,) = sql(
        db_url,
        "SELECT count(*) AS n FROM parts p JOIN product_content c ON c.part_id = p.id"
        " WHERE p.status = 'active'",
    )
    part_files = [f for f in files if "/sitemaps/parts-" in f]
    assert len(part_files) == math.ceil(parts["n"] / PAGE_SIZE) > 1
    urls: list[str] = []
    for file in files:
        assert file.startswith(f"{BASE}/sitemaps/")
        page = shop.get(file.removeprefix(BASE))
        assert page.status_code == 200, file
        found = [e.text or "" for e in ET.fromstring(page.content).findall("s:url/s:loc", NS)]
        assert 0 < len(found) <= PAGE_SIZE
        urls += found
    part_urls = [u for u in urls if "/parts/" in u]
    assert len(part_urls) == len(set(part_urls)) == parts["n"]
    landing = [u for u in urls if "/vehicles/" in u]
    assert landing and all(
        re.fullmatch(rf"{BASE}/vehicles/\d{{4}}/[a-z0-9-]+/[a-z0-9-]+", u) for u in landing
    )
    for url in landing[:: max(1, len(landing) // 10)] + part_urls[:: max(1, len(part_urls) // 10)]:
        page = shop.get(url.removeprefix(BASE))
        assert page.status_code == 200, url
        assert read_head(page.text).canonical == [url]
    past = len(part_files) + 1
    assert shop.get(f"/sitemaps/parts-{past}.xml").status_code == 404
    assert shop.get("/sitemaps/orders-1.xml").status_code == 404


def test_a_real_server_answers_a_plain_http_client(
    db_url: str, tmp_path: Path, test_vehicles: list[VehicleConfig]
) -> None:
    """Over a socket, with the standard library's client: what any crawler gets."""
    load_priced_store_sync(db_url, tmp_path / "feeds", test_vehicles)
    (part,) = sql(db_url, "SELECT id FROM parts WHERE price IS NOT NULL ORDER BY id LIMIT 1")
    (tmp_path / "index.html").write_text(INDEX)
    app = create_app(db_url, pool_min_size=1, pool_max_size=2)
    app.router.routes.pop()
    mount_web(app, tmp_path)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
            time.sleep(0.01)
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/parts/{part['id']}", timeout=10) as answer:
            assert answer.status == 200
            page = answer.read().decode()
        head = read_head(page)
        assert head.canonical == [f"{base}/parts/{part['id']}"]
        assert head.titles and head.meta["description"]
        assert json.loads(head.jsonld[0])["offers"]["priceCurrency"] == "USD"
        try:
            urllib.request.urlopen(f"{base}/parts/999999999", timeout=10)
            raise AssertionError("an unknown part answered 200")
        except urllib.error.HTTPError as missing:
            assert missing.code == 404
            assert NOINDEX in missing.read().decode()
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
