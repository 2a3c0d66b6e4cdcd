"""An outside agent checks out over MCP: one order per idempotency key, fulfillment started.

The SDK's own client against the API served by uvicorn (LiveApi), on the small priced
store of the commerce tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from automechanica.accounts import Role
from tests.integration.commerce_fixtures import (
    ADDRESS,
    SECRET_SKU,
    SECRET_SUPPLIER,
    Store,
    rows,
    store_for,
)
from tests.integration.conftest import PASSWORD, add_user
from tests.integration.live_api import LiveApi


@pytest.fixture
def shop(db_url: str) -> Iterator[tuple[LiveApi, Store]]:
    store = store_for(db_url)
    server = LiveApi(db_url).start()
    try:
        yield server, store
    finally:
        server.stop()


async def _call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def test_an_agent_finds_a_part_for_a_vin_and_checks_out_once(
    shop: tuple[LiveApi, Store], db_url: str
) -> None:
    live, store = shop
    ((vin,),) = rows(db_url, "SELECT source_vin FROM vehicles WHERE id = %s", (store.vehicle,))
    async with Client(live.mcp_url) as client:
        vehicle = await _call(client, "resolve_vehicle", vin=vin)
        assert store.vehicle in vehicle["candidate_vehicle_ids"], vehicle
        found = await _call(client, "search_catalog", vehicle_id=store.vehicle, per_page=50)
        assert store.oil_filter in {i["part_id"] for i in found["items"]}
        assert store.brake_pads not in {i["part_id"] for i in found["items"]}
        fit = await _call(client, "check_fit", part_id=store.oil_filter, vehicle_id=store.vehicle)
        assert fit["verdict"] == "fits"
        anything = await _call(
            client, "check_fit", part_id=store.jumper_cables, vehicle_id=store.vehicle
        )
        assert anything["verdict"] == "universal"
        wrong = await _call(client, "check_fit", part_id=store.brake_pads, vehicle_id=store.vehicle)
        assert wrong["verdict"] == "does_not_fit"

        create_key = str(uuid.uuid4())
        created = await _call(
            client,
            "create_checkout",
            idempotency_key=create_key,
            lines=[{"part_id": store.oil_filter, "quantity": 2}],
            vehicle_id=store.vehicle,
        )
        session = created["checkout_session"]
        assert session["status"] == "not_ready_for_payment"
        assert {m["code"] for m in session["messages"]} >= {"missing"}
        again = await _call(
            client,
            "create_checkout",
            idempotency_key=create_key,
            lines=[{"part_id": store.oil_filter, "quantity": 2}],
            vehicle_id=store.vehicle,
        )
        assert again["idempotent_replayed"] and again["checkout_session"]["id"] == session["id"]
        other = await client.call_tool(
            "create_checkout",
            {
                "idempotency_key": create_key,
                "lines": [{"part_id": store.oil_filter, "quantity": 3}],
                "vehicle_id": store.vehicle,
            },
        )
        assert other.is_error and "Idempotency-Key" in str(other.content)

        not_ready = await _call(
            client,
            "complete_checkout",
            checkout_session_id=session["id"],
            idempotency_key=str(uuid.uuid4()),
        )
        assert not_ready["outcome"] == "refused" and not_ready["messages"]

        ready = await _call(
            client,
            "update_checkout",
            checkout_session_id=session["id"],
            email="agent-shopper@example.com",
            shipping_address=ADDRESS,
        )
        assert ready["status"] == "ready_for_payment"
        line = ready["line_items"][0]
        assert line["fit"]["status"] == "fits" and line["unit_price"] == 1250
        assert ready["totals"]["total"] == sum(
            ready["totals"][k] for k in ("subtotal", "core_deposits", "shipping", "tax")
        )

        key = str(uuid.uuid4())
        done = await _call(
            client, "complete_checkout", checkout_session_id=session["id"], idempotency_key=key
        )
        replay = await _call(
            client, "complete_checkout", checkout_session_id=session["id"], idempotency_key=key
        )
        reused = await client.call_tool(
            "complete_checkout",
            {
                "checkout_session_id": session["id"],
                "idempotency_key": key,
                "acknowledge_fit_warnings": True,
            },
        )
    assert done["outcome"] == "completed" and done["checkout_session"]["status"] == "completed"
    assert done["payment"]["charged"] is False
    assert replay["idempotent_replayed"] and replay["order"]["number"] == done["order"]["number"]
    assert reused.is_error and "Idempotency-Key" in str(reused.content)
    text = str(done).lower()
    assert SECRET_SUPPLIER not in text and SECRET_SKU.lower() not in text

    (order_id, channel), *more = rows(
        db_url, "SELECT o.id, c.channel FROM orders o JOIN carts c ON c.id = o.cart_id"
    )
    assert not more and channel == "agent"
    assert rows(
        db_url, "SELECT kind, (input->>'order_id')::bigint, idempotency_key FROM workflows"
    ) == [("order_fulfillment", order_id, f"order_fulfillment:{order_id}")]


async def test_a_canceled_session_cannot_be_completed(shop: tuple[LiveApi, Store]) -> None:
    live, store = shop
    async with Client(live.mcp_url) as client:
        created = await _call(
            client,
            "create_checkout",
            idempotency_key=str(uuid.uuid4()),
            lines=[{"part_id": store.jumper_cables}],
            email="agent-shopper@example.com",
            shipping_address=ADDRESS,
        )
        session_id = created["checkout_session"]["id"]
        canceled = await _call(client, "cancel_checkout", checkout_session_id=session_id)
        refused = await client.call_tool(
            "complete_checkout",
            {"checkout_session_id": session_id, "idempotency_key": str(uuid.uuid4())},
        )
        unknown = await client.call_tool("get_checkout", {"checkout_session_id": str(uuid.uuid4())})
    assert canceled["status"] == "canceled"
    assert refused.is_error and "canceled" in str(refused.content)
    assert unknown.is_error


@pytest.fixture
def customer_token(shop: tuple[LiveApi, Store], db_url: str) -> str:
    """An access token of a customer account, from the live API's login."""
    add_user(db_url, "pat@example.com", Role.customer)
    base = shop[0].mcp_url.removesuffix("/mcp")
    login = httpx.post(
        f"{base}/api/auth/login", json={"email": "pat@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    return str(login.json()["access_token"])


async def test_an_agent_with_a_customers_token_buys_as_that_customer(
    shop: tuple[LiveApi, Store], db_url: str, customer_token: str
) -> None:
    live, store = shop
    token = customer_token
    signed = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"})
    forged = httpx2.AsyncClient(headers={"Authorization": "Bearer not-a-token"})
    async with signed, forged:
        async with Client(streamable_http_client(live.mcp_url, http_client=signed)) as client:
            created = await _call(
                client,
                "create_checkout",
                idempotency_key=str(uuid.uuid4()),
                lines=[{"part_id": store.oil_filter}],
            )
        session_id = created["checkout_session"]["id"]
        async with Client(streamable_http_client(live.mcp_url, http_client=forged)) as client:
            bad = await client.call_tool("get_checkout", {"checkout_session_id": session_id})
    async with Client(live.mcp_url) as guest:
        stranger = await guest.call_tool("get_checkout", {"checkout_session_id": session_id})
    assert rows(
        db_url,
        "SELECT u.email, c.channel FROM carts c JOIN customers k ON k.id = c.customer_id"
        " JOIN users u ON u.id = k.user_id",
    ) == [("pat@example.com", "agent")]
    assert bad.is_error and "sign in" in str(bad.content).lower()
    assert stranger.is_error  # the customer's cart is not a guest's to read
