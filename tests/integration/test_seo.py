"""The SEO agent through the orchestrator on the real database: snippets and JSON-LD
written from the part's data only, offers only with a price, vehicles only from
confident fitment, and a model's wording kept only when the content policy passes it."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from typer.testing import CliRunner

from automechanica.agents.seo import SeoAgent, landing_text
from automechanica.catalog.seo_facts import SeoFacts, landing_facts, seo_facts
from automechanica.catalog.structured_data import VEHICLE_CAP, valid_gtin
from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.cli import app
from automechanica.orchestrator.services import Services
from tests.integration.llm_servers import FakeServer, Flavor, fake_servers, fakes, openai_ok
from tests.integration.llm_setup import llm_pool, make_router
from tests.integration.priced_store import load_priced_store, load_priced_store_sync
from tests.integration.seo_fixtures import run_seo_build

__all__ = ["fake_servers", "fakes", "llm_pool"]
Conn = psycopg.AsyncConnection[Any]
THRESHOLD = 0.8  # policies.toml: fitment.publish
NUMBER = re.compile(r"\d+(?:\.\d+)?")


@pytest.fixture
async def aconn(db_url: str) -> AsyncIterator[Conn]:
    async with await psycopg.AsyncConnection.connect(
        db_url, autocommit=True, row_factory=dict_row
    ) as conn:
        yield conn


@pytest.fixture
async def store(aconn: Conn, tmp_path: Path, test_vehicles: list[VehicleConfig]) -> Conn:
    await load_priced_store(aconn, tmp_path, test_vehicles)
    return aconn


async def build(db_url: str, conn: Conn, services: Services, given: dict[str, Any]) -> Any:
    return await run_seo_build(db_url, conn, services, given)


async def one(conn: Conn, sql: str, *params: Any) -> dict[str, Any]:
    row = await (await conn.execute(sql, params)).fetchone()
    assert row is not None, sql
    return dict(row)


async def facts_of(conn: Conn, part_id: int) -> SeoFacts:
    (facts,) = await seo_facts(
        conn, [part_id], fallback_threshold=THRESHOLD, vehicle_cap=VEHICLE_CAP
    )
    return facts


def numbers(text: str) -> set[str]:
    return set(NUMBER.findall(text))


async def data_numbers(conn: Conn, part_id: int) -> set[str]:
    """Every number the part's data holds: its own fields, specs, and its confident
    vehicles' years and engines, with the counts of those vehicles."""
    part = await one(
        conn,
        "SELECT p.part_number, p.upc, p.attributes, b.name AS brand, t.name AS type,"
        " pc.specs FROM parts p JOIN brands b ON b.id = p.brand_id"
        " JOIN part_types t ON t.id = p.part_type_id"
        " LEFT JOIN product_content pc ON pc.part_id = p.id WHERE p.id = %s",
        part_id,
    )
    cur = await conn.execute(
        "SELECT DISTINCT bv.year, ma.name AS make, mo.name AS model, f.submodel,"
        " f.engine_liters FROM fitments f JOIN base_vehicles bv ON bv.id = f.base_vehicle_id"
        " JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id"
        " WHERE f.part_id = %s AND f.status = 'published' AND f.confidence >= %s",
        (part_id, THRESHOLD),
    )
    vehicles = await cur.fetchall()
    found = numbers(json.dumps(part, default=str))
    for v in vehicles:
        found |= numbers(json.dumps(v, default=str))
    found |= {str(len(vehicles)), str(len({(v["year"], v["make"], v["model"]) for v in vehicles}))}
    return found


async def test_every_active_part_gets_a_grounded_snippet(db_url: str, store: Conn) -> None:
    output = await build(db_url, store, Services(db_url), {})
    active = (await one(store, "SELECT count(*) AS n FROM parts WHERE status = 'active'"))["n"]
    assert output == {"accepted": active}
    cur = await store.execute(
        "SELECT part_id, slug, seo_title, meta_description FROM product_content ORDER BY part_id"
    )
    rows = await cur.fetchall()
    assert len(rows) == active
    assert len({r["slug"] for r in rows}) == len(rows)
    for row in rows[:150]:
        assert 0 < len(row["seo_title"]) <= 65, row
        assert 0 < len(row["meta_description"]) <= 160, row
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", row["slug"]), row
        text = f"{row['seo_title']} {row['meta_description']}"
        assert "<" not in text and "http" not in text
        invented = numbers(text) - await data_numbers(store, row["part_id"])
        assert not invented, (row, invented)
    events = await store.execute(
        "SELECT count(*) AS n FROM agent_events WHERE agent = 'SEO' AND outcome = 'accepted'"
    )
    assert (await events.fetchone() or {})["n"] == active


async def test_a_rebuild_keeps_the_product_data_page_and_only_updates_seo(
    db_url: str, store: Conn
) -> None:
    part = await one(store, "SELECT id FROM parts ORDER BY id LIMIT 1")
    await store.execute(
        "INSERT INTO product_content (part_id, slug, title, description, specs)"
        " VALUES (%s, 'the-page-slug', 'The page title', 'The page text', '{\"Size\": \"9 in\"}')",
        (part["id"],),
    )
    await build(db_url, store, Services(db_url), {"part_ids": [part["id"]]})
    row = await one(store, "SELECT * FROM product_content WHERE part_id = %s", part["id"])
    assert (row["slug"], row["title"], row["description"]) == (
        "the-page-slug",
        "The page title",
        "The page text",
    )
    assert row["seo_title"] and "Size: 9 in" in row["meta_description"]
    count = await one(store, "SELECT count(*) AS n FROM product_content")
    assert count["n"] == 1, "only the part asked for"


async def test_specs_come_only_from_a_page_the_suppliers_agree_on(db_url: str, store: Conn) -> None:
    # No page (as when ProductData holds it: suppliers disagree): the catalog's own
    # attributes are in dispute and stay out of the snippet.
    part = await one(store, "SELECT id FROM parts ORDER BY id LIMIT 1")
    await store.execute(
        'UPDATE parts SET attributes = \'{"Pad Material": "Ceramic"}\' WHERE id = %s',
        (part["id"],),
    )
    await build(db_url, store, Services(db_url), {"part_ids": [part["id"]]})
    row = await one(store, "SELECT * FROM product_content WHERE part_id = %s", part["id"])
    assert "Ceramic" not in row["meta_description"] and "Pad Material" not in row["seo_title"]
    assert row["specs"] == {}  # the SEO row holds no specs of its own


async def test_jsonld_offers_only_with_a_price_and_vehicles_only_when_confident(
    store: Conn,
) -> None:
    priced = await one(
        store,
        "SELECT p.id FROM parts p JOIN fitments f ON f.part_id = p.id WHERE p.price IS NOT NULL"
        " AND p.fit_class = 'vehicle_specific' AND f.confidence >= %s"
        " GROUP BY p.id HAVING count(DISTINCT f.base_vehicle_id) > 1 ORDER BY p.id LIMIT 1",
        THRESHOLD,
    )
    unpriced = await one(store, "SELECT id FROM parts WHERE price IS NULL ORDER BY id LIMIT 1")
    agent = SeoAgent()
    page = (await agent.decide(await facts_of(store, priced["id"]))).output
    ld = json.loads(json.dumps(page.jsonld))
    assert ld["@context"] == "https://schema.org" and ld["@type"] == "Product"
    for required in ("name", "sku", "mpn", "brand", "description"):
        assert ld[required], required
    assert ld["brand"]["@type"] == "Brand"
    price = await one(store, "SELECT price FROM parts WHERE id = %s", priced["id"])
    assert ld["offers"]["price"] == f"{price['price']:.2f}"
    assert ld["offers"]["priceCurrency"] == "USD"
    assert ld["offers"]["availability"].startswith("https://schema.org/")
    vehicles = ld["isAccessoryOrSparePartFor"]
    assert vehicles and all(v["@type"] == "Vehicle" for v in vehicles)
    assert all(v["brand"]["@type"] == "Brand" and v["model"] for v in vehicles)
    assert all(re.fullmatch(r"\d{4}", v["vehicleModelDate"]) for v in vehicles)
    if ld.get("gtin"):
        assert valid_gtin(ld["gtin"]) == ld["gtin"]

    nothing = (await agent.decide(await facts_of(store, unpriced["id"]))).output.jsonld
    assert "offers" not in nothing

    # Every fitment of the priced part made unsure: no vehicle is claimed any more.
    await store.execute("UPDATE fitments SET confidence = 0.5 WHERE part_id = %s", (priced["id"],))
    unsure = (await agent.decide(await facts_of(store, priced["id"]))).output
    assert "isAccessoryOrSparePartFor" not in unsure.jsonld
    assert "Fits" not in unsure.text.meta_description
    # Published but pending review is not confident either.
    await store.execute(
        "UPDATE fitments SET confidence = 0.95, status = 'pending_review' WHERE part_id = %s",
        (priced["id"],),
    )
    assert (
        "isAccessoryOrSparePartFor"
        not in (await agent.decide(await facts_of(store, priced["id"]))).output.jsonld
    )


async def test_the_vehicle_list_is_capped_and_counted(store: Conn) -> None:
    busiest = await one(
        store,
        "SELECT f.part_id, count(DISTINCT f.base_vehicle_id) AS n FROM fitments f"
        " WHERE f.confidence >= %s AND f.status = 'published'"
        " GROUP BY f.part_id ORDER BY n DESC LIMIT 1",
        THRESHOLD,
    )
    (small,) = await seo_facts(
        store, [busiest["part_id"]], fallback_threshold=THRESHOLD, vehicle_cap=2
    )
    assert len(small.vehicles) == 2 and small.vehicle_total >= busiest["n"] >= 2
    assert small.vehicles[0].year >= small.vehicles[1].year  # the newest first


def proposal(title: str, meta: str) -> Any:
    call = {
        "id": "c1",
        "type": "function",
        "function": {
            "name": "propose_seo_text",
            "arguments": json.dumps({"title": title, "meta_description": meta}),
        },
    }
    return openai_ok(None, tool_calls=[call], finish_reason="tool_calls")


async def test_a_models_wording_is_kept_only_when_the_policy_passes_it(
    db_url: str,
    store: Conn,
    fakes: dict[Flavor, FakeServer],
    llm_pool: AsyncConnectionPool[Any],
) -> None:
    cur = await store.execute(
        "SELECT p.id, b.name AS brand, p.part_number FROM parts p"
        " JOIN brands b ON b.id = p.brand_id ORDER BY p.id LIMIT 3"
    )
    parts = await cur.fetchall()
    good, markup, invented = parts
    fakes["openai"].script(
        proposal(
            f"{good['brand']} {good['part_number']}, quality part",
            f"Genuine {good['brand']} part {good['part_number']}, ready to ship.",
        ),
        proposal("Great pads <b>cheap</b>", "Buy <script>alert(1)</script> now"),
        proposal("Best part ever", "Fits 9999 vehicles and lasts 250000 miles."),
    )
    router = make_router(fakes, llm_pool)
    try:
        services = Services(db_url, router=router, language_model=True)
        output = await build(db_url, store, services, {"part_ids": [p["id"] for p in parts]})
    finally:
        await router.aclose()
    assert output == {"accepted": 3}
    assert len(fakes["openai"].seen) == 3, "the model was really asked, once a part"

    async def stored(part_id: int) -> dict[str, Any]:
        return await one(store, "SELECT * FROM product_content WHERE part_id = %s", part_id)

    kept = await stored(good["id"])
    assert kept["seo_title"] == f"{good['brand']} {good['part_number']}, quality part"
    for part in (markup, invented):
        row = await stored(part["id"])
        facts = await facts_of(store, part["id"])
        template = (await SeoAgent().decide(facts)).output.text
        assert (row["seo_title"], row["meta_description"]) == (
            template.title,
            template.meta_description,
        )
        assert "<" not in row["meta_description"] and "9999" not in row["meta_description"]
    cur = await store.execute(
        "SELECT subject_id, outcome, rationale FROM agent_events"
        " WHERE decision_type = 'content.text' ORDER BY subject_id::bigint"
    )
    verdicts = {r["subject_id"]: r for r in await cur.fetchall()}
    assert verdicts[str(good["id"])]["outcome"] == "accepted"
    assert "markup" in verdicts[str(markup["id"])]["rationale"]
    assert "9999" in verdicts[str(invented["id"])]["rationale"]


async def test_landing_facts_count_only_confident_fitting_parts(store: Conn) -> None:
    vehicle = await one(
        store,
        "SELECT bv.id, bv.year, ma.name AS make, mo.name AS model FROM base_vehicles bv"
        " JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id"
        " JOIN fitments f ON f.base_vehicle_id = bv.id WHERE f.confidence >= %s"
        " GROUP BY bv.id, ma.name, mo.name ORDER BY count(*) DESC LIMIT 1",
        THRESHOLD,
    )
    slug = re.compile(r"[^a-z0-9]+")
    make, model = (slug.sub("-", vehicle[k].lower()).strip("-") for k in ("make", "model"))
    facts = await landing_facts(
        store, vehicle["year"], make.upper(), model, fallback_threshold=THRESHOLD
    )
    assert facts is not None and facts.base_vehicle_id == vehicle["id"]
    expected = await store.execute(
        "SELECT t.name, count(DISTINCT p.id) AS n FROM fitments f JOIN parts p ON p.id = f.part_id"
        " JOIN part_types t ON t.id = p.part_type_id WHERE f.base_vehicle_id = %s"
        " AND f.status = 'published' AND f.confidence >= %s AND p.status = 'active'"
        " GROUP BY t.name",
        (vehicle["id"], THRESHOLD),
    )
    assert {t.part_type: t.count for t in facts.part_types} == {
        r["name"]: r["n"] for r in await expected.fetchall()
    }
    assert all(0 < len(t.top) <= 3 for t in facts.part_types)
    text = landing_text(facts)
    allowed = numbers(f"{vehicle['year']} {vehicle['make']} {vehicle['model']}")
    allowed |= {str(t.count) for t in facts.part_types}
    allowed |= {str(facts.part_count), str(len(facts.part_types))}
    for words in (text.title, text.meta_description, text.intro):
        assert numbers(words) <= allowed, words
        assert "<" not in words and "http" not in words
    assert len(text.title) <= 65 and len(text.meta_description) <= 160
    assert await landing_facts(store, 1931, make, model, fallback_threshold=THRESHOLD) is None


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AUTOMECHANICA_OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AUTOMECHANICA_DATABASE_URL", db_url)
    monkeypatch.setenv("AUTOMECHANICA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    return db_url


def test_the_cli_builds_one_part_or_all_and_names_a_missing_one(
    cli_env: str, tmp_path: Path, test_vehicles: list[VehicleConfig]
) -> None:
    load_priced_store_sync(cli_env, tmp_path / "feeds", test_vehicles)
    with psycopg.connect(cli_env, autocommit=True) as conn:
        first, active = conn.execute(
            "SELECT min(id), count(*) FROM parts WHERE status = 'active'"
        ).fetchone() or (0, 0)
        runner = CliRunner()
        one_part = runner.invoke(app, ["seo", "build", "--part", str(first)])
        assert one_part.exit_code == 0, one_part.output
        assert "SEO built: accepted 1." in one_part.output
        stored = conn.execute("SELECT part_id, seo_title FROM product_content").fetchall()
        assert [r[0] for r in stored] == [first] and stored[0][1]

        missing = runner.invoke(app, ["seo", "build", "--part", "999999999"])
        assert missing.exit_code != 0 and "999999999" in missing.output

        every = runner.invoke(app, ["seo", "build", "--json"])
        assert every.exit_code == 0, every.output
        assert json.loads(every.output) == {"accepted": active}
        (count,) = conn.execute(
            "SELECT count(*) FROM product_content WHERE seo_title IS NOT NULL"
        ).fetchone() or (0,)
        assert count == active
