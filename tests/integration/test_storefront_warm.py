"""A warmed pool connection answers every storefront call exactly as a cold one does,
is handed out in its default state, and a warm-up that fails loses nothing.

On the demo store, through the real pool (`open_pool` with the API's warm-up hook) and
the real app (`create_app(warm=True)`), against plain connections as the baseline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.rows import dict_row

from automechanica.api.app import create_app
from automechanica.api.warmup import connection_warmer
from automechanica.catalog.demo import load_demo_store
from automechanica.catalog.fitment import VehicleQuery, check_fit
from automechanica.catalog.parts import part_detail
from automechanica.catalog.search import SearchQuery, generic_plan, page_statement, search_page
from automechanica.catalog.search_words import load_search_words
from automechanica.catalog.shopper_search import ShopperQuery, shopper_search
from automechanica.catalog.storefront_warm import warm_connection
from automechanica.db.connection import open_pool
from automechanica.db.embedded import EmbeddedPostgres, drop_database, ensure_database

SECRET = "test-signing-key-" + "w" * 64
DEMO_DB = "storefront_warm_demo"


@pytest.fixture(scope="module")
def demo_url(pg_server: EmbeddedPostgres, template_db: str, tmp_path_factory: Any) -> Iterator[str]:
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


async def _browse(conn: psycopg.AsyncConnection[Any]) -> list[Any]:
    """The scripted browse's calls (web/bench/web.bench.ts) for a fitting part's vehicle."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT f.part_id, v.id AS vehicle_id FROM fitments f"
            " JOIN vehicles v ON v.base_vehicle_id = f.base_vehicle_id"
            " WHERE f.status = 'published' AND f.submodel IS NULL AND f.engine_liters IS NULL"
            " ORDER BY f.part_id, v.id LIMIT 1"
        )
        row = await cur.fetchone()
    assert row is not None
    part, vehicle = row["part_id"], row["vehicle_id"]
    words = await load_search_words(conn)
    answers: list[Any] = []
    for query in (
        ShopperQuery(vehicle_id=vehicle, per_page=1),
        ShopperQuery(part_type="oil-filter", vehicle_id=vehicle),
        ShopperQuery(q="brake pads", vehicle_id=vehicle),
        ShopperQuery(q="brake pads"),
        ShopperQuery(q="ceramic"),
    ):
        answers.append(await shopper_search(conn, query, words.words, words.vocabulary))
    answers.append(await part_detail(conn, part))
    answers.append(await check_fit(conn, part, VehicleQuery(vehicle_id=vehicle)))
    return answers


async def _session(conn: psycopg.AsyncConnection[Any]) -> dict[str, Any]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT current_setting('plan_cache_mode') AS plan_cache_mode,"
            " (SELECT count(*) FROM pg_prepared_statements) AS prepared"
        )
        row = await cur.fetchone()
    assert row is not None
    return row


async def test_a_warmed_connection_answers_the_browse_as_a_cold_one(demo_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(demo_url, autocommit=True) as cold:
        expected = await _browse(cold)
    pool = await open_pool(demo_url, min_size=1, max_size=1, configure=connection_warmer(None))
    try:
        async with pool.connection() as warm:
            session = await _session(warm)
            assert warm.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            assert await _browse(warm) == expected
    finally:
        await pool.close()
    # Handed out with the server's default planning, the intent search already prepared.
    assert session["plan_cache_mode"] == "auto"
    assert session["prepared"] >= 1


async def test_a_failing_warm_up_leaves_a_usable_connection(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        await conn.execute("DROP TABLE part_interchange")  # the product page's third read
        with caplog.at_level(logging.WARNING, logger="automechanica.catalog"):
            await warm_connection(conn)
        assert "could not warm a new connection" in caplog.text
        assert "part_interchange" in caplog.text
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        assert (await _session(conn))["plan_cache_mode"] == "auto"
        cur = await conn.execute("SELECT count(*) FROM parts")
        assert (await cur.fetchone()) is not None


async def test_words_for_a_vehicle_find_the_same_parts_with_a_generic_plan(demo_url: str) -> None:
    """The ladder's steps for a vehicle run with a plan made without their values; each
    page equals the one PostgreSQL plans for the values (an unprepared statement)."""
    async with await psycopg.AsyncConnection.connect(demo_url, autocommit=True) as conn:
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "SELECT v.id, count(*) AS parts FROM vehicles v"
                " JOIN fitments f ON f.base_vehicle_id = v.base_vehicle_id"
                " GROUP BY v.id ORDER BY 2 DESC, 1 LIMIT 3"
            )
            vehicles = [r["id"] for r in await cur.fetchall()]
        pages = 0
        for vehicle in vehicles:
            for query in (
                SearchQuery("brake pads", vehicle_id=vehicle),
                SearchQuery("filter", vehicle_id=vehicle),
                SearchQuery("ceramic front", vehicle_id=vehicle, any_word=True),
                SearchQuery("bosch", vehicle_id=vehicle, part_types=("spark-plug",)),
                SearchQuery("pads", part_types=("brake-pads",), vehicle_ids=(vehicle,)),
            ):
                assert generic_plan(query)
                statement, params = page_statement(query)
                async with conn.cursor(row_factory=dict_row) as cur:
                    await cur.execute(statement, params)  # planned for these values
                    row = await cur.fetchone()
                assert row is not None
                assert await search_page(conn, query) == row["page"]
                pages += '"total" : 0' not in row["page"]
        assert pages >= 5  # not only empty pages compared
        session = await _session(conn)
        assert session["plan_cache_mode"] == "auto"


def test_a_warm_app_serves_the_browse_from_its_first_request(demo_url: str) -> None:
    app = create_app(demo_url, pool_min_size=1, pool_max_size=2, secret_key=SECRET, warm=True)
    with TestClient(app) as client:
        # The search words were built during startup, before any request.
        assert app.state.search_words is not None
        first = client.get("/api/parts", params={"q": "brake pads"})
        assert first.status_code == 200
        body = first.json()
        assert body["understood"]["part_types"][0]["slug"] == "brake-pads"
        assert body["total"] > 0
        assert all(item["part_type_slug"] == "brake-pads" for item in body["items"])


def test_a_server_whose_warm_up_fails_still_starts(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE part_types RENAME TO part_types_away")  # words cannot load
    app = create_app(db_url, pool_min_size=1, pool_max_size=2, secret_key=SECRET, warm=True)
    with caplog.at_level(logging.WARNING), TestClient(app) as client:
        assert client.get("/api/health").status_code == 200
        assert client.get("/api/vehicles/years").status_code == 200
    assert "could not build the search words at startup" in caplog.text
    assert "could not warm a new connection" in caplog.text
