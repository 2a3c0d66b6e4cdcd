"""A shopper's path through the API, as issue 12 tells it: a VIN decodes to its exact
configuration, "front pads" finds parts for that car, and the first one fit-checks as
fitting, on front-axle evidence."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.rows import dict_row

from automechanica.api.app import create_app
from automechanica.catalog.demo import load_demo_store
from automechanica.db.embedded import EmbeddedPostgres, drop_database, ensure_database

DATABASE = "acceptance_vin_to_fit"
# A demo car (its configuration came from this VIN) with front brake pads in the catalog.
FRONT_PADS_CAR = """
SELECT v.id, v.source_vin FROM vehicles v
WHERE v.source_vin IS NOT NULL AND EXISTS (
    SELECT 1 FROM fitments f JOIN part_types t ON t.id = f.part_type_id
    WHERE f.base_vehicle_id = v.base_vehicle_id AND t.name = 'Brake Pads'
      AND f.position = 'Front' AND f.status = 'published'
      AND f.submodel IS NULL AND f.engine_liters IS NULL AND f.drive IS NULL)
ORDER BY v.id LIMIT 1
"""


@pytest.fixture(scope="module")
def store(pg_server: EmbeddedPostgres, template_db: str, tmp_path_factory: Any) -> Iterator[str]:
    admin = pg_server.admin_url()
    drop_database(admin, DATABASE)
    ensure_database(admin, DATABASE, template=template_db)
    url = pg_server.url(DATABASE)

    async def load(folder: Path) -> None:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            await load_demo_store(conn, folder, say=lambda _: None)
            await conn.commit()

    asyncio.run(load(tmp_path_factory.mktemp("feeds")))
    yield url
    drop_database(admin, DATABASE)


def test_a_vin_finds_front_pads_that_fit(store: str) -> None:
    with psycopg.connect(store, row_factory=dict_row) as conn:
        car = conn.execute(FRONT_PADS_CAR).fetchone()
    assert car is not None, "the demo store has a VIN-decoded car with front pads"
    with TestClient(create_app(store, pool_min_size=1, pool_max_size=2)) as shop:
        decoded = shop.get(f"/api/vin/{car['source_vin']}")
        assert decoded.status_code == 200, decoded.text
        matches = decoded.json()["matches"]
        assert car["id"] in [m["id"] for m in matches], decoded.json()["message"]

        found = shop.get("/api/parts", params={"q": "front pads", "vehicle_id": car["id"]})
        assert found.status_code == 200, found.text
        results = found.json()["items"]
        assert results, found.json().get("understood")
        first = results[0]
        assert first["part_type"] == "Brake Pads"

        check = shop.post("/api/fit-check", json={"part_id": first["id"], "vehicle_id": car["id"]})
        assert check.status_code == 200, check.text
        verdict = check.json()
        assert verdict["verdict"] == "fits", verdict["explanation"]
        assert any(e["position"] == "Front" for e in verdict["evidence"])
