"""The public API's edge: what it refuses, how it says so, and what it never shows.

Each test here began as a request found by hand or by schemathesis that the API
answered with a 500, a 200 it should not have, or a body it should not have sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from automechanica.accounts import Role
from automechanica.api.app import create_app
from automechanica.api.policy import ApiPolicy
from tests.integration.conftest import SECRET, Account

BEYOND_64_BITS = "99999999999999999999"
PROBLEM = "application/problem+json"


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(db_url, pool_min_size=1, pool_max_size=2)) as c:
        yield c


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def _store_part(db_url: str) -> dict[str, int]:
    """One part offered by two suppliers, with a fitment from one supplier's feed."""

    async def run() -> dict[str, int]:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            part = await (
                await conn.execute(
                    "INSERT INTO parts (brand_id, part_number, mpn_normalized, part_type_id,"
                    " title, price) SELECT b.id, 'PH7317', 'PH7317', t.id, 'Fram Oil Filter',"
                    " 12.50 FROM brands b, part_types t WHERE b.name = 'Fram'"
                    " AND t.name = 'Oil Filter' RETURNING id"
                )
            ).fetchone()
            assert part is not None
            for name, cost, stock in (("acme-secret", "4.10", 3), ("zenith-hidden", "3.90", 0)):
                await conn.execute(
                    "INSERT INTO suppliers (name, display_name) VALUES (%s, %s)", (name, name)
                )
                await conn.execute(
                    "INSERT INTO supplier_parts (supplier_id, supplier_sku, part_id, brand_raw,"
                    " mpn_raw, cost, map_price, core_charge, stock_total, uom, content_hash)"
                    " SELECT id, %s, %s, 'Fram', 'PH7317', %s, 11.99, 5.00, %s, 'EA', 'x'"
                    " FROM suppliers WHERE name = %s",
                    (f"SKU-{name}", part[0], cost, stock, name),
                )
            vehicle = await (
                await conn.execute(
                    "SELECT v.id, v.base_vehicle_id FROM vehicles v ORDER BY v.id LIMIT 1"
                )
            ).fetchone()
            assert vehicle is not None
            await conn.execute(
                "INSERT INTO fitments (part_id, part_type_id, base_vehicle_id, source,"
                " supplier_id, confidence) SELECT p.id, p.part_type_id, %s, 'feed:acme-secret',"
                " s.id, 0.9 FROM parts p, suppliers s WHERE p.id = %s AND s.name = 'acme-secret'",
                (vehicle[1], part[0]),
            )
            return {"part": part[0], "vehicle": vehicle[0]}

    return asyncio.run(run())


def test_nul_in_any_text_parameter_is_422_naming_it(client: TestClient) -> None:
    for url in (
        "/api/parts?q=brake%00pads",
        "/api/parts?brand=Fr%00am",
        "/api/vehicles/models?year=2015&make=Hon%00da",
        "/api/vin/1HGCM82633A00%004352",
    ):
        body = _problem(client.get(url), 422)
        assert "NUL" in body["detail"], url
    body = _problem(client.get("/api/parts?q=brake%00pads"), 422)
    assert body["errors"][0]["loc"] == ["query", "q"]
    response = client.post(
        "/api/fit-check", json={"part_id": 1, "year": 2015, "make": "Hon\x00da", "model": "Civic"}
    )
    body = _problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "make"] and "NUL" in body["errors"][0]["msg"]


def test_ids_beyond_their_columns_are_422(client: TestClient, db_url: str) -> None:
    for url in (
        f"/api/parts/{BEYOND_64_BITS}",
        "/api/parts/9223372036854775808",
        "/api/vehicles/2147483648",
        "/api/parts?vehicle_id=2147483648",
    ):
        _problem(client.get(url), 422)
    _problem(client.post("/api/fit-check", json={"part_id": 2**63, "vehicle_id": 1}), 422)


def test_queue_ids_beyond_bigint_are_422_and_bulk_paths_are_their_own(
    api: TestClient, accounts: dict[Role, Account]
) -> None:
    api.headers.update(accounts[Role.operator].headers)
    queue = "/api/admin/queue"
    _problem(api.get(f"{queue}/tasks/{BEYOND_64_BITS}"), 422)
    _problem(api.post(f"{queue}/tasks/{BEYOND_64_BITS}/cancel"), 422)
    _problem(api.post(f"{queue}/dead/{BEYOND_64_BITS}/replay"), 422)
    _problem(api.delete(f"{queue}/dead/{BEYOND_64_BITS}"), 422)
    for bulk in ("replay", "discard"):
        response = api.options(f"{queue}/dead/{bulk}")
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"


def test_engine_liters_out_of_range_is_422(client: TestClient) -> None:
    body = (
        b'{"part_id": 1, "year": 2015, "make": "Honda", "model": "Civic", "engine_liters": 1e400}'
    )
    response = client.post(
        "/api/fit-check", content=body, headers={"content-type": "application/json"}
    )
    assert _problem(response, 422)["errors"][0]["loc"] == ["body", "engine_liters"]


def test_fit_check_body_refuses_fields_it_does_not_own(client: TestClient) -> None:
    response = client.post("/api/fit-check", json={"part_id": 1, "vehicle_id": 1, "price": "0"})
    assert _problem(response, 422)["errors"][0]["type"] == "extra_forbidden"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/support/sessions", {"vehicle_id": True}, "vehicle_id"),
        ("/api/fit-check", {"part_id": True, "vehicle_id": 3239}, "part_id"),
        ("/api/fit-check", {"part_id": 1, "vehicle_id": False}, "vehicle_id"),
        ("/api/carts", {"lines": [{"part_id": 1, "quantity": True}]}, "quantity"),
        ("/api/returns", {"line_id": True, "reason": "other"}, "line_id"),
    ],
)
def test_true_or_false_is_not_a_number(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    """`{"vehicle_id": true}` once opened a chat about vehicle 1."""
    errors = _problem(client.post(path, json=body), 422)["errors"]
    assert errors[0]["loc"][-1] == field
    assert "not true or false" in errors[0]["msg"]


def test_a_whole_float_is_still_an_integer(client: TestClient) -> None:
    """JSON Schema counts 3239.0 as an integer, so the API does too."""
    response = client.post("/api/support/sessions", json={"vehicle_id": 3239.0})
    assert response.status_code in (201, 404), response.text[:300]


def test_large_bodies_are_413_before_being_read(client: TestClient) -> None:
    big = b'{"part_id": 1, "make": "' + b"x" * (20 * 1024 * 1024) + b'"}'
    response = client.post(
        "/api/fit-check", content=big, headers={"content-type": "application/json"}
    )
    assert len(response.content) < 2000
    _problem(response, 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"part_id": 1, "make": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    response = client.post(
        "/api/fit-check", content=chunks(), headers={"content-type": "application/json"}
    )
    _problem(response, 413)


def test_validation_errors_do_not_echo_large_inputs(client: TestClient) -> None:
    response = client.post("/api/fit-check", json={"part_id": 1, "make": "x" * 500_000})
    body = _problem(response, 422)
    assert len(response.content) < 2000
    assert body["errors"][0]["loc"] == ["body", "make"]
    assert "input" not in body["errors"][0]


def test_query_strings_and_page_depth_are_capped(client: TestClient) -> None:
    _problem(client.get("/api/parts", params={"brand": "b" * 5000}), 414)
    _problem(client.get("/api/parts", params={"q": "q" * 201}), 422)
    _problem(client.get("/api/parts", params={"page": 101, "per_page": 100}), 422)
    assert client.get("/api/parts", params={"page": 100, "per_page": 100}).status_code == 200


def test_unknown_vehicle_on_search_is_404(client: TestClient) -> None:
    body = _problem(client.get("/api/parts", params={"vehicle_id": 2_000_000_000}), 404)
    assert "vehicle" in body["detail"]


def test_public_bodies_show_no_cost_supplier_or_fitment_row(
    client: TestClient, db_url: str
) -> None:
    ids = _store_part(db_url)
    page = client.get("/api/parts", params={"q": "PH7317"}).json()
    (item,) = page["items"]
    assert "lowest_cost" not in item
    assert item["price"] == "12.50" and item["stock"] == 3  # money is a decimal string

    detail = client.get(f"/api/parts/{ids['part']}")
    assert "offers" not in detail.json()
    assert detail.json()["offer"] == {
        "price": "12.50",
        "map_price": "11.99",
        "msrp": None,
        "core_charge": "5.00",
        "stock_total": 3,
        "available": True,
        "uom": "EA",
        "pack_qty": 1,
        "hazmat": False,
    }
    check = client.post(
        "/api/fit-check", json={"part_id": ids["part"], "vehicle_id": ids["vehicle"]}
    )
    assert check.status_code == 200, check.text
    for text in (detail.text, check.text, client.get("/api/parts?q=fram").text):
        for secret in ("acme-secret", "zenith-hidden", "SKU-", "4.10", "3.90", "fitment_id"):
            assert secret not in text
    (evidence,) = check.json()["evidence"]
    assert evidence["source"] == "supplier feed" and evidence["listed_on"]
    assert "supplier feed" in check.json()["explanation"]


async def test_operator_view_of_a_part_has_costs_and_suppliers(conn: Any, db_url: str) -> None:
    from automechanica.catalog.parts import part_detail

    ids = await asyncio.to_thread(_store_part, db_url)
    detail = await part_detail(conn, ids["part"], operator=True)
    assert {o["supplier"] for o in detail["offers"]} == {"acme-secret", "zenith-hidden"}
    assert "offers" not in await part_detail(conn, ids["part"])


def test_every_response_has_a_request_id_and_security_headers(client: TestClient) -> None:
    for response in (
        client.get("/api/health"),
        client.get("/api/parts/0"),
        client.get("/api/parts?q=%00"),
        client.get("/docs"),
    ):
        assert response.headers["x-request-id"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    given = client.get("/api/health", headers={"X-Request-ID": "lb-1234567890"})
    assert given.headers["x-request-id"] == "lb-1234567890"
    assert (
        "access-control-allow-origin"
        not in client.get("/api/health", headers={"Origin": "https://evil.example"}).headers
    )


def test_cors_only_for_configured_origins(db_url: str) -> None:
    policy = ApiPolicy(cors_origins=("https://shop.example",))
    with TestClient(create_app(db_url, pool_min_size=1, pool_max_size=2, policy=policy)) as c:
        ok = c.get("/api/health", headers={"Origin": "https://shop.example"})
        assert ok.headers["access-control-allow-origin"] == "https://shop.example"
        other = c.get("/api/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_docs_load_nothing_from_elsewhere(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "http" not in page.text.replace('content="width', "")  # no CDN, no absolute URL
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # no inline script
    for asset in (
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
        "/docs/init.js",
    ):
        assert client.get(asset).status_code == 200, asset


def test_unexpected_errors_are_500_with_an_id_and_no_internals(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(db_url, pool_min_size=1, pool_max_size=2, secret_key=SECRET)

    @app.get("/api/boom")
    async def boom() -> None:
        raise RuntimeError("password=hunter2 in an internal message")

    app.router.routes.insert(0, app.router.routes.pop())  # before the web shop's catch-all

    with TestClient(app) as c, caplog.at_level(logging.ERROR, "automechanica.api"):
        response = c.get("/api/boom")
        again = c.get("/api/health")
    body = _problem(response, 500)
    assert "hunter2" not in response.text and body["request_id"] in body["detail"]
    (record,) = [r for r in caplog.records if body["request_id"] in r.getMessage()]
    assert record.exc_info is not None and "hunter2" in str(record.exc_info[1])
    assert again.status_code == 200


def test_openapi_documents_errors_as_problems(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    search = spec["paths"]["/api/parts"]["get"]["responses"]
    assert {"404", "414", "422", "429", "500", "503"} <= set(search)
    assert list(search["422"]["content"]) == [PROBLEM]
    assert "Retry-After" in search["429"]["headers"]
    fit = spec["paths"]["/api/fit-check"]["post"]["responses"]
    assert {"404", "413", "422"} <= set(fit)
    part = spec["components"]["schemas"]["PartSummary"]["properties"]
    assert "lowest_cost" not in part
    assert part["price"]["anyOf"][0]["type"] == "string"
