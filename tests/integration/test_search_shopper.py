"""Search hears the shopper: on the demo catalog, through the API as the storefront calls it.

The labeled set (evals/search) runs here as a quality report: it fails when mean
precision@10 falls under 0.9 or a clear query comes back empty.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg.rows import dict_row

from automechanica.agents.search_eval import evaluate_file, read_labeled
from automechanica.api.app import create_app
from automechanica.api.schemas import PartSearch
from automechanica.catalog.demo import load_demo_store
from automechanica.catalog.fitment import VehicleQuery, check_fit
from automechanica.catalog.fitment_text import VehicleVocabulary
from automechanica.catalog.search_intent import ShopperWords, check_synonyms, understand
from automechanica.catalog.vocabulary import alias_key
from automechanica.db.embedded import EmbeddedPostgres, drop_database, ensure_database

SECRET = "test-signing-key-" + "y" * 64
DEMO_DB = "search_demo"


@pytest.fixture(scope="module")
def demo_url(pg_server: EmbeddedPostgres, template_db: str, tmp_path_factory: Any) -> Iterator[str]:
    """The demo store (vehicles from VIN decodes, three suppliers' feeds), loaded once."""
    admin = pg_server.admin_url()
    drop_database(admin, DEMO_DB)
    ensure_database(admin, DEMO_DB, template=template_db)
    url = pg_server.url(DEMO_DB)

    async def load() -> None:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            await load_demo_store(conn, tmp_path_factory.mktemp("feeds"), say=lambda _: None)
            await conn.commit()

    asyncio.run(load())
    yield url
    drop_database(admin, DEMO_DB)


@pytest.fixture(scope="module")
def shop(demo_url: str) -> Iterator[TestClient]:
    app = create_app(demo_url, pool_min_size=1, pool_max_size=2, secret_key=SECRET)
    with TestClient(app) as client:
        yield client


def _search(shop: TestClient, q: str, **params: Any) -> dict[str, Any]:
    response = shop.get("/api/parts", params={"q": q, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    PartSearch.model_validate(body)  # the storefront's schema, with the fields added
    return body


def _one(url: str, query: str, params: Any = None) -> dict[str, Any]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None, query
    return dict(row)


@pytest.mark.parametrize("name", ["dev", "holdout"])
async def test_labeled_queries_meet_the_targets(demo_url: str, repo_root: Path, name: str) -> None:
    rows = read_labeled(repo_root / "evals" / "search" / f"{name}.csv")
    async with await psycopg.AsyncConnection.connect(demo_url, autocommit=True) as conn:
        tally = await evaluate_file(conn, rows, show_errors=50)
    metrics = tally.metrics()
    print(f"search {name}: {metrics}")  # the quality report (pytest -s)
    assert metrics["rows"] >= 50
    assert metrics["no_relevant"] == 0, "every labeled query has relevant parts in the demo"
    assert metrics["empty"] == 0, tally.errors
    assert metrics["mean_precision_at_10"] >= 0.9, tally.errors


def test_a_vehicle_named_in_the_words_narrows_to_parts_that_fit_it(
    shop: TestClient, demo_url: str
) -> None:
    # A model year with brake pads listed, whichever the demo drew.
    car = _one(
        demo_url,
        """SELECT bv.year, ma.name AS make, mo.name AS model FROM fitments f
           JOIN part_types t ON t.id = f.part_type_id AND t.slug = 'brake-pads'
           JOIN base_vehicles bv ON bv.id = f.base_vehicle_id
           JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id
           WHERE mo.name ~ '^[A-Za-z]+$' AND ma.name <> mo.name
           ORDER BY bv.id LIMIT 1""",
    )
    body = _search(shop, f"pads for {car['model'].lower()} {car['year']}")
    vehicle = body["understood"]["vehicle"]
    assert (vehicle["year"], vehicle["make"], vehicle["model"]) == (
        car["year"],
        car["make"],
        car["model"],
    )
    assert vehicle["found"] and vehicle["vehicle_ids"]
    assert body["understood"]["text"] == "pads"  # the vehicle words are not searched
    assert body["items"] and "vehicle" not in body["understood"]["relaxed"]
    for item in body["items"]:
        assert item["part_type_slug"] == "brake-pads"
        verdicts = {(await_fit(demo_url, item["id"], vid)) for vid in vehicle["vehicle_ids"]}
        assert "fits" in verdicts or "need_more_information" in verdicts, item


def await_fit(url: str, part_id: int, vehicle_id: int) -> str:
    async def check() -> str:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            return (await check_fit(conn, part_id, VehicleQuery(vehicle_id=vehicle_id))).verdict

    return asyncio.run(check())


@pytest.mark.parametrize(
    ("q", "meant", "not_first"),
    [
        ("air cleaner", "engine-air-filter", "cabin-air-filter"),
        ("coolant pump", "water-pump", "fuel-pump"),
        ("o2 sensor", "oxygen-sensor", None),
        ("headlight bulb", "headlight-bulb", "tail-light-bulb"),
    ],
)
def test_shopper_words_find_the_part_type_meant(
    shop: TestClient, q: str, meant: str, not_first: str | None
) -> None:
    body = _search(shop, q, per_page=10)
    assert [t["slug"] for t in body["understood"]["part_types"]] == [meant]
    assert len(body["items"]) == 10
    assert {i["part_type_slug"] for i in body["items"]} == {meant}
    assert not_first not in {i["part_type_slug"] for i in body["items"]}


def test_position_words_narrow_by_fitment_position(shop: TestClient) -> None:
    front = _search(shop, "front brake pads", per_page=100)
    assert front["understood"]["position"] == "Front" and front["items"]
    assert front["understood"]["relaxed"] == []
    assert all("Rear" not in i["title"] for i in front["items"]), "rear pads are not front"
    every = _search(shop, "brake pads", per_page=100)
    assert front["total"] < every["total"]


def test_a_clear_query_with_nothing_fitting_relaxes_and_says_so(
    shop: TestClient, demo_url: str
) -> None:
    # A model year with no catalytic converter listed (vehicle-specific parts only).
    car = _one(
        demo_url,
        """SELECT bv.year, mo.name AS model FROM base_vehicles bv
           JOIN models mo ON mo.id = bv.model_id JOIN makes ma ON ma.id = bv.make_id
           WHERE mo.name ~ '^[A-Za-z]+$' AND ma.name <> mo.name AND NOT EXISTS (
             SELECT 1 FROM fitments f JOIN part_types t ON t.id = f.part_type_id
             WHERE f.base_vehicle_id = bv.id AND t.slug = 'catalytic-converter')
           AND (SELECT count(*) FROM models m2 WHERE lower(m2.name) = lower(mo.name)) = 1
           ORDER BY bv.id LIMIT 1""",
    )
    body = _search(shop, f"catalytic converter {car['year']} {car['model']}")
    assert body["total"] > 0, "a clear query never comes back empty"
    assert "vehicle" in body["understood"]["relaxed"]
    assert "check the fit" in body["understood"]["message"]
    assert {i["part_type_slug"] for i in body["items"]} == {"catalytic-converter"}


def test_a_vehicle_the_store_does_not_know_is_reported_not_guessed(shop: TestClient) -> None:
    body = _search(shop, "1935 plymouth brake pads")
    assert body["understood"]["vehicle"] is None  # Plymouth is not in the vehicle base
    assert body["items"] and body["understood"]["part_types"][0]["slug"] == "brake-pads"
    unknown_year = _search(shop, "1990 civic brake pads")  # Civic yes, 1990 no
    vehicle = unknown_year["understood"]["vehicle"]
    assert vehicle["found"] is False and vehicle["model"] == "Civic"
    assert "not in our vehicle list" in unknown_year["understood"]["message"]


def test_a_model_without_a_year_asks_for_the_year(shop: TestClient) -> None:
    body = _search(shop, "civic oil filter")
    vehicle = body["understood"]["vehicle"]
    assert vehicle["model"] == "Civic" and vehicle["year"] is None
    assert vehicle["ask_next"] == "year" and "2014" in vehicle["ask_options"]


def test_a_single_configuration_is_named_for_the_storefront(
    shop: TestClient, demo_url: str
) -> None:
    car = _one(
        demo_url,
        """SELECT bv.year, mo.name AS model, min(v.id) AS vehicle_id, min(bv.id) AS base_id
           FROM base_vehicles bv JOIN vehicles v ON v.base_vehicle_id = bv.id
           JOIN models mo ON mo.id = bv.model_id JOIN makes ma ON ma.id = bv.make_id
           WHERE mo.name ~ '^[A-Za-z]+$' AND ma.name <> mo.name
             AND (SELECT count(*) FROM models m2 WHERE lower(m2.name) = lower(mo.name)) = 1
           GROUP BY 1, 2 HAVING count(*) = 1 ORDER BY 1, 2 LIMIT 1""",
    )
    vehicle = _search(shop, f"{car['year']} {car['model']} oil filter")["understood"]["vehicle"]
    assert vehicle["vehicle_id"] == car["vehicle_id"]
    assert vehicle["base_vehicle_id"] == car["base_id"]
    assert vehicle["ask_next"] is None


def test_search_without_words_is_unchanged(shop: TestClient) -> None:
    body = shop.get("/api/parts", params={"part_type": "brake-pads", "per_page": 5}).json()
    assert "understood" not in body
    assert body["items"] and {i["part_type_slug"] for i in body["items"]} == {"brake-pads"}


def test_the_shopper_words_file_names_real_types_without_conflicts() -> None:
    assert check_synonyms(ShopperWords.seed()) == []


def test_a_broken_shopper_words_file_is_reported_with_what_to_fix(tmp_path: Path) -> None:
    bad = tmp_path / "synonyms.toml"
    bad.write_text(
        '[types."Brake Padz"]\nwords = ["pads"]\n[types."Oil Filter"]\nwords = ["rotor"]\n'
    )
    problems = check_synonyms(ShopperWords.seed(), bad)
    assert any("'Brake Padz' is not a part type" in p for p in problems)
    assert any("'rotor' under 'Oil Filter' already names 'Brake Rotor'" in p for p in problems)


VOCABULARY = VehicleVocabulary.from_pairs(
    [("Chevrolet", "Spark"), ("Honda", "Civic"), ("Toyota", "Camry"), ("Ford", "F-150")]
)


@pytest.mark.parametrize(
    ("q", "slug", "vehicle", "text"),
    [
        ("spark plugs 2015 camry", "spark-plug", ("Toyota", "Camry", 2015), "spark plugs"),
        ("2015 spark oil filter", "oil-filter", ("Chevrolet", "Spark", 2015), "oil filter"),
        ("f150 2018 5.0 oil filter", "oil-filter", ("Ford", "F-150", 2018), "oil filter"),
        ("thermostst for civic 2014", "thermostat", ("Honda", "Civic", 2014), "thermostst"),
        ("catalitic convrter", "catalytic-converter", None, "catalitic convrter"),
        ("civic 14 pads", "brake-pads", ("Honda", "Civic", 2014), "pads"),
        ("f 150 15 struts", "strut-assembly", ("Ford", "F-150", 2015), "struts"),
        ("wiper blades 22 inch", "wiper-blade", None, "wiper blades 22 inch"),
        ("bosch", None, None, "bosch"),
    ],
)
def test_the_words_are_read_apart(
    q: str, slug: str | None, vehicle: tuple[str, str, int] | None, text: str
) -> None:
    intent = understand(q, ShopperWords.seed(), VOCABULARY)
    assert (intent.slugs[0] if intent.slugs else None) == slug
    got = intent.vehicle
    assert (got.make, got.model, got.year) == vehicle if got else vehicle is None
    assert intent.text == text


def test_a_vehicle_name_is_never_read_as_a_misspelt_part() -> None:
    words = ShopperWords.seed()
    assert words.spelled("civic") == "civic"  # no part word is one edit from it
    intent = understand("camry", words, VOCABULARY)
    assert intent.part_types == [] and intent.vehicle is not None


WORDS = ShopperWords.seed()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "spark",
                "plugs",
                "civic",
                "camry",
                "2015",
                "'14",
                "f",
                "150",
                "oil",
                "filter",
                "front",
                "pads",
                "chevy",
                "ford",
                "for",
                "5.0",
                "honda",
                "cat",
                "struts",
                "x",
            ]
        )
        | st.text(max_size=8),
        max_size=8,
    )
)
def test_reading_never_invents_a_vehicle_or_fails(words: list[str]) -> None:
    q = " ".join(words)
    intent = understand(q, WORDS, VOCABULARY)
    if intent.vehicle is not None:  # its model is written in the words
        assert alias_key(intent.vehicle.model) in alias_key(q), q
