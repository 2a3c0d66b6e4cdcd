"""Part search finds what a shopper types, filters by vehicle, and counts facets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from automechanica.catalog.demo import DEMO_FEEDS
from automechanica.catalog.feeds.generator import generate_demo_feeds
from automechanica.catalog.feeds.importer import import_feed
from automechanica.catalog.fitment import VehicleQuery, check_fit
from automechanica.catalog.search import SearchQuery, search_parts
from automechanica.catalog.vehicle_config import VehicleConfig

Conn = psycopg.AsyncConnection[Any]


@pytest.fixture
async def store(conn: Conn, tmp_path: Path, test_vehicles: list[VehicleConfig]) -> Conn:
    generate_demo_feeds(tmp_path, test_vehicles, seed=9, parts=400)
    for supplier, name in DEMO_FEEDS:
        await import_feed(conn, tmp_path / name, supplier=supplier)
    return conn


async def _a_part(conn: Conn) -> dict[str, Any]:
    row = await (
        await conn.execute(
            "SELECT p.id, p.part_number, p.mpn_normalized, b.name AS brand FROM parts p"
            " JOIN brands b ON b.id = p.brand_id WHERE p.part_number ~ '[-. ]'"
            " ORDER BY p.id LIMIT 1"
        )
    ).fetchone()
    assert row is not None, "the demo catalog has part numbers with punctuation"
    return dict(row)


async def test_a_bare_part_number_finds_its_part_with_or_without_dashes(store: Conn) -> None:
    part = await _a_part(store)
    for typed in (part["part_number"], part["mpn_normalized"], part["mpn_normalized"].lower()):
        result = await search_parts(store, SearchQuery(q=typed))
        assert result.items and result.items[0]["id"] == part["id"], typed


async def test_filters_and_facets_agree(store: Conn) -> None:
    everything = await search_parts(store, SearchQuery(per_page=100))
    by_type = {f["value"]: f["count"] for f in everything.facets["part_type"]}
    assert sum(by_type.values()) == everything.total
    slug, count = next(iter(by_type.items()))
    only = await search_parts(store, SearchQuery(part_type=slug, per_page=100))
    assert only.total == count
    assert {i["part_type_slug"] for i in only.items} == {slug}
    second = await search_parts(store, SearchQuery(part_type=slug, page=2, per_page=5))
    first = await search_parts(store, SearchQuery(part_type=slug, page=1, per_page=5))
    assert not {i["id"] for i in first.items} & {i["id"] for i in second.items}


async def test_fits_this_vehicle_returns_only_parts_that_fit(store: Conn) -> None:
    vehicle = await (
        await store.execute(
            "SELECT v.id FROM vehicles v JOIN fitments f ON f.base_vehicle_id = v.base_vehicle_id"
            " GROUP BY v.id ORDER BY count(*) DESC LIMIT 1"
        )
    ).fetchone()
    assert vehicle is not None
    result = await search_parts(store, SearchQuery(vehicle_id=vehicle["id"], per_page=100))
    assert result.total > 0
    for item in result.items:
        check = await check_fit(store, item["id"], VehicleQuery(vehicle_id=vehicle["id"]))
        assert check.verdict == "fits", (item, check.explanation)
