"""Checkout in commerce itself, as the HTTP API and the MCP door both call it: races on
one key or one cart, idempotent creation, hazardous goods, the test provider."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from automechanica.commerce.carts import Address, CartCreate, LineInput, Shopper
from automechanica.commerce.checkout import (
    CartClosedError,
    CompleteRequest,
    Completion,
    complete_checkout,
    create_session,
)
from automechanica.commerce.idempotency import IdempotencyKeyReusedError
from automechanica.commerce.payments import TestPaymentProvider
from automechanica.commerce.shipping import EXPEDITED, STANDARD, add_business_days, ship_days
from tests.integration.commerce_fixtures import ADDRESS, Store, build_store

Conn = psycopg.AsyncConnection[Any]
RATE = Decimal("0.0825")


@pytest.fixture
async def store(db_url: str) -> Store:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        return await build_store(conn)


@pytest.fixture
async def connections(db_url: str) -> AsyncIterator[list[Conn]]:
    """Two autocommit connections, as two API workers would hold."""
    opened = [
        await psycopg.AsyncConnection.connect(db_url, autocommit=True, row_factory=dict_row)
        for _ in range(2)
    ]
    yield opened
    for c in opened:
        await c.close()


def _ready(store: Store, **extra: Any) -> CartCreate:
    return CartCreate.model_validate(
        {
            "vehicle_id": store.vehicle,
            "lines": [{"part_id": store.oil_filter, "quantity": 1}],
            "email": "pat@example.com",
            "shipping_address": ADDRESS,
        }
        | extra
    )


async def _complete(conn: Conn, cart_id: uuid.UUID, key: str) -> Completion:
    return await complete_checkout(
        conn,
        cart_id,
        Shopper(),
        CompleteRequest(),
        idempotency_key=key,
        provider=TestPaymentProvider(),
        tax_rate=RATE,
    )


async def _count(conn: Conn, table: str) -> int:
    row = await (await conn.execute(f"SELECT count(*) AS n FROM {table}")).fetchone()
    assert row is not None
    return int(row["n"])


async def test_two_requests_with_one_key_at_once_place_one_order(
    store: Store, connections: list[Conn]
) -> None:
    first, second = connections
    created = await create_session(first, Shopper(), _ready(store), tax_rate=RATE)
    cart = uuid.UUID(created.body["id"])
    key = str(uuid.uuid4())
    a, b = await asyncio.gather(_complete(first, cart, key), _complete(second, cart, key))
    assert a.body == b.body and {a.status_code, b.status_code} == {201}
    assert sorted([a.replayed, b.replayed]) == [False, True]
    assert await _count(first, "orders") == 1
    assert await _count(first, "payments") == 1


async def test_two_keys_on_one_cart_at_once_place_one_order(
    store: Store, connections: list[Conn]
) -> None:
    first, second = connections
    created = await create_session(first, Shopper(), _ready(store), tax_rate=RATE)
    cart = uuid.UUID(created.body["id"])
    results = await asyncio.gather(
        _complete(first, cart, "key-a"), _complete(second, cart, "key-b"), return_exceptions=True
    )
    placed = [r for r in results if isinstance(r, Completion)]
    refused = [r for r in results if isinstance(r, CartClosedError)]
    assert len(placed) == len(refused) == 1
    assert placed[0].body["order"]["number"] in refused[0].message
    assert await _count(first, "orders") == 1


async def test_a_retried_create_returns_the_first_cart(
    store: Store, connections: list[Conn]
) -> None:
    conn = connections[0]
    body = _ready(store)
    key = str(uuid.uuid4())
    first = await create_session(conn, Shopper(), body, tax_rate=RATE, idempotency_key=key)
    again = await create_session(conn, Shopper(), body, tax_rate=RATE, idempotency_key=key)
    assert again.replayed and again.body["id"] == first.body["id"]
    assert await _count(conn, "carts") == 1
    with pytest.raises(IdempotencyKeyReusedError):
        await create_session(
            conn, Shopper(), _ready(store, email="other@example.com"), tax_rate=RATE,
            idempotency_key=key,
        )  # fmt: skip


async def test_hazardous_goods_ship_by_ground_only(store: Store, connections: list[Conn]) -> None:
    conn = connections[0]
    await conn.execute(
        "UPDATE supplier_parts SET hazmat = true WHERE part_id = %s", (store.alternator,)
    )
    request = _ready(store, lines=[{"part_id": store.alternator}], fulfillment_option="expedited")
    created = await create_session(conn, Shopper(), request, tax_rate=RATE)
    session = created.body
    assert [o["id"] for o in session["fulfillment_options"]] == ["standard"]
    assert session["status"] == "not_ready_for_payment"
    (message,) = session["messages"]
    assert (message["code"], message["param"]) == ("invalid", "$.fulfillment_option")


async def test_the_test_provider_records_and_charges_nothing() -> None:
    provider = TestPaymentProvider()
    result = await provider.charge("AM-TEST0001", Decimal("12.34"), "USD", None)
    assert (result.provider, result.test, result.status) == ("test", True, "captured")
    assert "no money was taken" in result.message
    assert result.provider_ref.startswith("test_AM-TEST0001_")


def test_delivery_estimates_follow_the_nearest_warehouse() -> None:
    assert ship_days(STANDARD, ["EAST"], "NY") == 1 + 2
    assert ship_days(STANDARD, ["EAST"], "TX") == 1 + 3
    assert ship_days(STANDARD, ["EAST", "RNO"], "CA") == 1 + 2  # the nearer one
    assert ship_days(EXPEDITED, ["EAST"], "CA") == 1 + 2
    assert ship_days(STANDARD, ["WEST"], None) == 1 + 2  # no address: nearest
    assert STANDARD.cost(Decimal("74.99")) == Decimal("7.99")
    assert STANDARD.cost(Decimal("75.00")) == Decimal("0.00")
    assert add_business_days(date(2026, 12, 4), 1) == date(2026, 12, 7)  # Friday -> Monday


def test_request_bodies_refuse_what_the_customer_does_not_own() -> None:
    with pytest.raises(ValueError):
        LineInput.model_validate({"part_id": 1, "price": "0.01"})
    with pytest.raises(ValueError):
        Address.model_validate(ADDRESS | {"country": "FR"})
    with pytest.raises(ValueError):
        CompleteRequest.model_validate({"payment": {"card_number": "4242424242424242"}})
