"""Hybrid part search over the embedded demo catalog: the issue's example queries, a
labeled query set with recall@10 (hybrid against text only), and the API route."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.rows import dict_row

from automechanica.api.app import create_app
from automechanica.catalog.search import SearchQuery, search_parts, vehicle_mentions
from automechanica.memory import OnnxEmbedder
from tests.integration.memory_fixtures import catalog_template, catalog_url, embedder  # noqa: F401

Conn = psycopg.AsyncConnection[Any]

#: Queries a shopper types -> which parts are right (a predicate over p, b, t).
#: Many use words the titles do not contain ("brake disc", "o2 sensor", "code reader").
LABELED = [
    ("bosch wiper 26 inch", "t.name = 'Wiper Blade' AND b.name = 'Bosch' "
     "AND p.attributes->>'Blade Length' = '26 in'"),
    ("windshield wipers", "t.name = 'Wiper Blade'"),
    ("front brake pads", "t.name = 'Brake Pads' AND p.title ILIKE '%front%'"),
    ("ceramic brake pads", "t.name = 'Brake Pads' "
     "AND p.attributes->>'Friction Material' = 'Ceramic'"),
    ("brake disc", "t.name = 'Brake Rotor'"),
    ("drilled and slotted rotors", "t.name = 'Brake Rotor' AND p.title ILIKE '%drilled%'"),
    ("fram oil filter", "t.name = 'Oil Filter' AND b.name = 'Fram'"),
    ("iridium spark plugs", "t.name = 'Spark Plug' AND p.title ILIKE '%iridium%'"),
    ("agm car battery", "t.name = 'Battery' AND p.title ILIKE '%agm%'"),
    ("remanufactured alternator", "t.name = 'Alternator' AND p.title ILIKE '%remanufactured%'"),
    ("starter", "t.name = 'Starter Motor'"),
    ("activated carbon cabin filter", "t.name = 'Cabin Air Filter' AND p.title ILIKE '%carbon%'"),
    ("coolant thermostat", "t.name = 'Thermostat'"),
    ("gates serpentine belt", "t.name = 'Serpentine Belt' AND b.name = 'Gates'"),
    ("timing belt kit with water pump", "t.name = 'Timing Belt Kit' "
     "AND p.title ILIKE '%water pump%'"),
    ("shocks", "t.name = 'Shock Absorber'"),
    ("struts", "t.name = 'Strut Assembly'"),
    ("wheel bearing hub", "t.name = 'Wheel Hub Assembly'"),
    ("o2 sensor", "t.name = 'Oxygen Sensor'"),
    ("cat converter", "t.name = 'Catalytic Converter'"),
    ("fuel pump", "t.name = 'Fuel Pump'"),
    ("booster cables", "t.name = 'Jumper Cables'"),
    ("code reader", "t.name = 'OBD-II Scanner'"),
    ("h11 headlight bulb", "t.name = 'Headlight Bulb' AND p.attributes->>'Bulb Code' = 'H11'"),
]  # fmt: skip
RECALL_FLOOR = 0.8


@pytest.fixture
async def catalog(catalog_url: str) -> Any:  # noqa: F811
    async with await psycopg.AsyncConnection.connect(
        catalog_url, row_factory=dict_row, autocommit=True
    ) as conn:
        yield conn


async def hybrid(conn: Conn, embedder: OnnxEmbedder, q: str, **kw: Any) -> list[dict[str, Any]]:  # noqa: F811
    (vector,) = embedder.embed([q])
    query = SearchQuery(q=q, vector=vector.tolist(), model=embedder.model, **kw)
    return (await search_parts(conn, query)).items


async def relevant(conn: Conn, predicate: str) -> set[int]:
    cur = await conn.execute(
        "SELECT p.id FROM parts p JOIN brands b ON b.id = p.brand_id "  # type: ignore[arg-type]
        "JOIN part_types t ON t.id = p.part_type_id WHERE p.status = 'active' AND " + predicate
    )
    return {r["id"] for r in await cur.fetchall()}


async def test_recall_at_10_on_the_labeled_queries(
    catalog: Conn,
    embedder: OnnxEmbedder,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    hybrid_recall, text_recall, answered = 0.0, 0.0, 0
    misses = []
    for q, predicate in LABELED:
        want = await relevant(catalog, predicate)
        if not want:
            continue  # this catalog happens to have no such part
        answered += 1
        ideal = min(10, len(want))
        got = [i["id"] for i in await hybrid(catalog, embedder, q, per_page=10)]
        text = [i["id"] for i in (await search_parts(catalog, SearchQuery(q=q, per_page=10))).items]
        h, t = len(want & set(got)) / ideal, len(want & set(text)) / ideal
        hybrid_recall += h
        text_recall += t
        if h < 1:
            misses.append(f"{q}: {h:.1f}")
    hybrid_recall /= answered
    text_recall /= answered
    with capsys.disabled():
        print(
            f"\nrecall@10 over {answered} labeled queries: hybrid {hybrid_recall:.3f}, "
            f"text only {text_recall:.3f}; below 1: {', '.join(misses) or 'none'}"
        )
    assert answered >= 20
    assert hybrid_recall >= RECALL_FLOOR
    assert hybrid_recall > text_recall


async def test_front_pads_for_a_named_vehicle(catalog: Conn, embedder: OnnxEmbedder) -> None:  # noqa: F811
    cur = await catalog.execute(
        """SELECT m.name AS model, bv.year, bv.id FROM parts p
           JOIN part_types t ON t.id = p.part_type_id AND t.name = 'Brake Pads'
           JOIN fitments f ON f.part_id = p.id AND f.status = 'published'
           JOIN base_vehicles bv ON bv.id = f.base_vehicle_id JOIN models m ON m.id = bv.model_id
           WHERE p.title ILIKE '%front%' AND m.name ~ '^[A-Za-z]+$'
           ORDER BY (m.name = 'Civic' AND bv.year = 2014) DESC, bv.id LIMIT 1"""
    )
    vehicle = await cur.fetchone()
    assert vehicle is not None
    q = f"front pads for {vehicle['model'].lower()} {vehicle['year']}"
    items = await hybrid(catalog, embedder, q)
    assert items, q
    for item in items[:3]:
        assert item["part_type"] == "Brake Pads" and "Front" in item["title"], (q, item)
        fits = await catalog.execute(
            "SELECT 1 FROM fitments WHERE part_id = %s AND base_vehicle_id = %s",
            [item["id"], vehicle["id"]],
        )
        assert await fits.fetchone() is not None, (q, item)


async def test_bosch_wiper_26_inch(catalog: Conn, embedder: OnnxEmbedder) -> None:  # noqa: F811
    items = await hybrid(catalog, embedder, "bosch wiper 26 inch")
    assert all(i["brand"] == "Bosch" and i["part_type"] == "Wiper Blade" for i in items[:5])
    want = await relevant(
        catalog,
        "t.name = 'Wiper Blade' AND b.name = 'Bosch' AND p.attributes->>'Blade Length' = '26 in'",
    )
    if want:
        assert want & {i["id"] for i in items[:3]}


async def test_a_bare_part_number_comes_first_with_or_without_dashes(
    catalog: Conn,
    embedder: OnnxEmbedder,  # noqa: F811
) -> None:
    cur = await catalog.execute(
        "SELECT id, part_number, mpn_normalized FROM parts WHERE part_number ~ '[-. ]' "
        "AND status = 'active' ORDER BY id LIMIT 3"
    )
    for part in await cur.fetchall():
        for typed in (part["part_number"], part["mpn_normalized"], part["mpn_normalized"].lower()):
            items = await hybrid(catalog, embedder, typed)
            assert items and items[0]["id"] == part["id"], typed


async def test_without_part_vectors_hybrid_is_text_search(
    catalog: Conn,
    embedder: OnnxEmbedder,  # noqa: F811
) -> None:
    await catalog.execute("DELETE FROM part_embeddings")
    for q in ("bosch wiper", "ceramic brake pads"):
        text = await search_parts(catalog, SearchQuery(q=q))
        both = await hybrid(catalog, embedder, q)
        assert [i["id"] for i in both] == [i["id"] for i in text.items]


async def test_filters_still_hold_in_hybrid_search(catalog: Conn, embedder: OnnxEmbedder) -> None:  # noqa: F811
    items = await hybrid(catalog, embedder, "brake pads", brand="Wagner", per_page=50)
    assert items and {i["brand"] for i in items} == {"Wagner"}
    typed = await hybrid(catalog, embedder, "bosch", part_type="spark-plug", per_page=50)
    assert typed and {i["part_type_slug"] for i in typed} == {"spark-plug"}


def test_vehicle_mentions_reads_years_and_model_names() -> None:
    words, years = vehicle_mentions("front pads for Grand Cherokee '14, 2015")
    assert years == [2014, 2015]
    assert "grand cherokee" in words and "pads" in words
    assert vehicle_mentions("bosch wiper 26 inch")[1] == []


@pytest.fixture
def client(catalog_url: str, embedder: OnnxEmbedder) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(create_app(catalog_url, embedder=embedder)) as c:
        yield c


def test_the_part_search_endpoint_is_hybrid(client: TestClient) -> None:
    page = client.get("/api/parts", params={"q": "brake disc", "per_page": 5}).json()
    assert page["items"] and all(i["part_type"] == "Brake Rotor" for i in page["items"])
    assert page["total"] >= len(page["items"])
    assert {f["value"] for f in page["facets"]["part_type"]} >= {"brake-rotor"}
