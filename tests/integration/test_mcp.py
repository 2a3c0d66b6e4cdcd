"""The MCP door, driven by the official SDK's own client over Streamable HTTP.

The API runs under uvicorn on a loopback port, as an outside agent would reach it;
the client speaks the 2026-07-28 protocol (no handshake) and, in one test, the
older initialize handshake.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from mcp import Client

from automechanica.api.app import create_app
from automechanica.catalog.vehicle_config import VehicleConfig
from tests.integration.live_api import LiveApi
from tests.integration.priced_store import load_priced_store_sync

TOOLS = {"resolve_vehicle", "search_catalog", "get_product", "lookup_catalog", "check_fit"}
CHECKOUT = {"create_checkout", "get_checkout", "update_checkout", "complete_checkout"}
CHECKOUT |= {"cancel_checkout"}


@pytest.fixture
def live(db_url: str, tmp_path: Path, test_vehicles: list[VehicleConfig]) -> Iterator[LiveApi]:
    load_priced_store_sync(db_url, tmp_path, test_vehicles)
    server = LiveApi(db_url).start()
    try:
        yield server
    finally:
        server.stop()


def _query(db_url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(db_url) as conn:
        return conn.execute(sql, params).fetchall()


async def _call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def test_the_tools_are_listed_with_schemas(live: LiveApi) -> None:
    async with Client(live.mcp_url) as client:
        listed = (await client.list_tools()).tools
    names = {t.name for t in listed}
    assert names == TOOLS | CHECKOUT  # a shopper's tools only: nothing of the console
    search = next(t for t in listed if t.name == "search_catalog")
    assert "vehicle_id" in search.input_schema["properties"]
    assert search.output_schema is not None


async def test_a_vin_finds_its_vehicle_and_parts_that_fit_it(live: LiveApi, db_url: str) -> None:
    # A vehicle of the demo data that parts are listed for, and the VIN it came from.
    (vin, vehicle_id), *_ = _query(
        db_url,
        "SELECT v.source_vin, v.id FROM vehicles v"
        " JOIN fitments f ON f.base_vehicle_id = v.base_vehicle_id"
        " WHERE v.source_vin IS NOT NULL GROUP BY v.id ORDER BY count(*) DESC, v.id LIMIT 1",
    )
    async with Client(live.mcp_url) as client:
        found = await _call(client, "resolve_vehicle", vin=vin)
        assert found["status"] in ("resolved", "need_more_information"), found
        assert vehicle_id in found["candidate_vehicle_ids"], found
        if found["status"] == "resolved":
            assert found["vehicle"]["vehicle_id"] in found["candidate_vehicle_ids"]

        results = await _call(client, "search_catalog", vehicle_id=vehicle_id, per_page=20)
        assert results["total"] > 0 and results["vehicle_filter"]
        for item in results["items"][:5]:
            fit = await _call(client, "check_fit", part_id=item["part_id"], vehicle_id=vehicle_id)
            assert fit["verdict"] in ("fits", "universal"), fit
            if fit["verdict"] == "fits":
                assert fit["evidence"], fit
                assert all("supplier" not in e for e in fit["evidence"])


async def test_year_make_model_asks_the_next_question(live: LiveApi, db_url: str) -> None:
    (year, make, model), *_ = _query(
        db_url,
        "SELECT bv.year, ma.name, mo.name FROM base_vehicles bv"
        " JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id"
        " JOIN vehicles v ON v.base_vehicle_id = bv.id"
        " GROUP BY 1, 2, 3 HAVING count(DISTINCT v.engine_liters) > 1 ORDER BY 1, 2, 3 LIMIT 1",
    )
    async with Client(live.mcp_url) as client:
        asked = await _call(client, "resolve_vehicle", year=year)
        assert asked["ask"] == "make" and make in asked["choices"]
        asked = await _call(client, "resolve_vehicle", year=year, make=make, model=model)
        typed = await _call(
            client, "resolve_vehicle", year=year, make=make.lower(), model=f" {model.upper()}"
        )
        assert typed["candidate_vehicle_ids"] == asked["candidate_vehicle_ids"]
        bogus = await _call(client, "resolve_vehicle", year=year, make="Nomake", model=model)
        assert bogus["status"] == "not_found" and bogus["ask"] == "make"
        assert make in bogus["choices"]
        assert asked["status"] == "need_more_information"
        assert asked["ask"] in ("submodel", "engine") and len(asked["choices"]) > 1
        # Answering every question leads to one vehicle.
        answers: dict[str, str] = {}
        for _ in range(6):
            if asked["status"] != "need_more_information":
                break
            answers[asked["ask"]] = asked["choices"][0]
            asked = await _call(
                client, "resolve_vehicle", year=year, make=make, model=model, **answers
            )
        assert asked["status"] == "resolved", asked
        assert asked["vehicle"]["make"] == make and asked["vehicle"]["year"] == year


async def test_get_product_shows_the_shoppers_offer_only(live: LiveApi, db_url: str) -> None:
    (part_id, price), *_ = _query(
        db_url,
        "SELECT p.id, p.price FROM parts p JOIN fitments f ON f.part_id = p.id"
        " WHERE p.price IS NOT NULL ORDER BY p.id LIMIT 1",
    )
    async with Client(live.mcp_url) as client:
        product = await _call(client, "get_product", part_id=part_id)
        several = await _call(client, "lookup_catalog", part_ids=[part_id, 999_999_999])
    assert several["products"] == [product] and several["not_found"] == [999_999_999]
    assert product["offer"]["price"] == f"{price:.2f}"
    assert product["for_sale"] and product["fits"]
    text = str(product).lower()
    for secret in ("cost", "supplier", "sku", "northstar", "parts-direct", "atlas"):
        assert secret not in text, secret


async def test_mistakes_come_back_as_tool_errors_that_say_what_to_do(live: LiveApi) -> None:
    async with Client(live.mcp_url) as client:
        bad_vin = await client.call_tool("resolve_vehicle", {"vin": "1HGCM82633A00435"})
        missing = await client.call_tool("get_product", {"part_id": 999_999_999})
        unknown = await client.call_tool(
            "check_fit", {"part_id": 1, "vehicle_id": 1, "known": {"colour": "red"}}
        )
    assert bad_vin.is_error and "17" in str(bad_vin.content)
    assert missing.is_error and "999999999" in str(missing.content)
    assert unknown.is_error and "colour" in str(unknown.content)


async def test_an_older_client_with_the_handshake_is_served_too(live: LiveApi) -> None:
    async with Client(live.mcp_url, mode="legacy") as client:
        names = {t.name for t in (await client.list_tools()).tools}
        years = await _call(client, "resolve_vehicle")
    assert names >= TOOLS
    assert years["ask"] == "year" and years["choices"]


def test_the_ucp_profile_points_agents_at_the_mcp_door(api: TestClient) -> None:
    response = api.get("/.well-known/ucp")
    assert response.status_code == 200
    profile = response.json()
    (service,) = profile["ucp"]["services"]["dev.ucp.shopping"]
    assert service["transport"] == "mcp" and service["endpoint"] == "http://testserver/mcp"
    assert "dev.ucp.shopping.checkout" in profile["ucp"]["capabilities"]
    assert profile["product_feeds"]["jsonl"].endswith("/api/feeds/products.jsonl")


LIST_TOOLS = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/list",
    "params": {
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "0"},
            "io.modelcontextprotocol/clientCapabilities": {},
        }
    },
}
LIST_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2026-07-28",
    "Mcp-Method": "tools/list",
}


def test_the_door_opens_again_when_the_apps_lifespan_runs_again(db_url: str) -> None:
    # The SDK's session manager runs once only; an app started twice gets a new one.
    app = create_app(db_url, pool_min_size=1, pool_max_size=2)
    for _ in range(2):
        with TestClient(app) as client:
            response = client.post("/mcp", json=LIST_TOOLS, headers=LIST_HEADERS)
            assert response.status_code == 200, response.text
            names = {t["name"] for t in response.json()["result"]["tools"]}
            assert names == TOOLS | CHECKOUT


def test_a_vin_of_a_vehicle_the_catalog_lacks_is_not_found(api: TestClient, db_url: str) -> None:
    ((vin, base_id),) = _query(
        db_url,
        "SELECT source_vin, base_vehicle_id FROM vehicles WHERE source_vin IS NOT NULL"
        " ORDER BY id LIMIT 1",
    )
    with psycopg.connect(db_url) as conn:
        conn.execute("DELETE FROM vehicles WHERE base_vehicle_id = %s", (base_id,))
    call = {
        **LIST_TOOLS,
        "method": "tools/call",
        "params": {**LIST_TOOLS["params"], "name": "resolve_vehicle", "arguments": {"vin": vin}},
    }
    headers = {**LIST_HEADERS, "Mcp-Method": "tools/call", "Mcp-Name": "resolve_vehicle"}
    response = api.post("/mcp", json=call, headers=headers)
    assert response.status_code == 200, response.text
    found = response.json()["result"]["structuredContent"]
    assert found["status"] == "not_found" and "not in the catalog" in found["message"]
    assert "trim or engine" not in found["message"]  # nothing to narrow: no such question
