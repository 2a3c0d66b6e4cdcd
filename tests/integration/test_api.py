"""The API answers as a storefront would ask, over real HTTP handling and a real database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from automechanica.api.app import create_app
from automechanica.db.migrate import status


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(db_url, pool_min_size=1, pool_max_size=2)) as c:
        yield c


def test_health_is_cheap_and_ready_checks_the_schema(client: TestClient, db_url: str) -> None:
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and set(health) == {"status", "version"}
    ready = client.get("/api/ready").json()
    assert ready == {"status": "ready", "schema_revision": status(db_url).head}


def test_vehicle_cascade_walks_down_to_configurations(client: TestClient) -> None:
    years = client.get("/api/vehicles/years").json()
    assert years == sorted(years, reverse=True)
    year = years[len(years) // 2]
    makes = client.get("/api/vehicles/makes", params={"year": year}).json()
    assert makes
    models = client.get("/api/vehicles/models", params={"year": year, "make": makes[0]}).json()
    assert models
    params = {"year": year, "make": makes[0], "model": models[0]}
    configs = client.get("/api/vehicles/configurations", params=params).json()
    assert configs and all(c["year"] == year and c["make"] == makes[0] for c in configs)
    engines = client.get("/api/vehicles/engines", params=params).json()
    assert sorted(i for e in engines for i in e["vehicle_ids"]) == sorted(c["id"] for c in configs)
    one = client.get(f"/api/vehicles/{configs[0]['id']}").json()
    assert one == configs[0]


def test_unknown_vehicle_is_404_with_a_reason(client: TestClient) -> None:
    response = client.get(
        "/api/vehicles/configurations", params={"year": 2015, "make": "Honda", "model": "Nope"}
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert "2015 Honda Nope" in problem["detail"]
    assert problem["status"] == 404 and problem["type"] == "urn:automechanica:not-found"
    assert problem["request_id"] == response.headers["x-request-id"]


def test_vin_decode_names_catalog_configurations(client: TestClient, test_vehicles: list) -> None:
    vin = next(v.source_vin for v in test_vehicles if v.source_vin and v.make == "Honda")
    body = client.get(f"/api/vin/{vin}").json()
    assert body["decoded"]["make"] == "Honda"
    assert body["matches"], body["message"]
    assert all(m["make"] == "Honda" for m in body["matches"])


def test_invalid_vin_says_why(client: TestClient) -> None:
    response = client.get("/api/vin/1HGCM82633A00435")
    assert response.status_code == 422
    assert "17 characters" in response.json()["detail"]
    response = client.get("/api/vin/1HGCM82633AOO4352")
    assert response.status_code == 422
    assert "I, O and Q" in response.json()["detail"]


def test_openapi_documents_every_endpoint(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/health",
        "/api/ready",
        "/api/vehicles/years",
        "/api/vin/{vin}",
        "/api/parts",
        "/api/parts/{part_id}",
        "/api/fit-check",
    ):
        assert path in paths


def test_part_search_documents_its_response_shape(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schema = spec["paths"]["/api/parts"]["get"]["responses"]["200"]["content"]["application/json"]
    assert schema["schema"]["$ref"].endswith("/PartSearch")
