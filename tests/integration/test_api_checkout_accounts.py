"""Whose cart, order and garage: signed-in customers see only their own; guests reach an
order by its number and email; anything else is a 404 that says nothing more."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from automechanica.accounts import Role
from tests.integration.commerce_fixtures import ADDRESS, Store, rows, store_for
from tests.integration.conftest import Account, add_user, sign_in


@pytest.fixture
def store(db_url: str) -> Store:
    return store_for(db_url)


@pytest.fixture
def alice(api: TestClient, db_url: str) -> Account:
    add_user(db_url, "alice@example.com", Role.customer)
    return sign_in(api, "alice@example.com")


@pytest.fixture
def bob(api: TestClient, db_url: str) -> Account:
    add_user(db_url, "bob@example.com", Role.customer)
    return sign_in(api, "bob@example.com")


def _order(api: TestClient, store: Store, headers: dict[str, str], email: str) -> dict[str, Any]:
    cart = api.post(
        "/api/carts",
        json={
            "vehicle_id": store.vehicle,
            "lines": [{"part_id": store.oil_filter, "quantity": 1}],
            "email": email,
            "shipping_address": ADDRESS,
        },
        headers=headers,
    )
    assert cart.status_code == 201, cart.text
    placed = api.post(
        f"/api/carts/{cart.json()['id']}/complete",
        json={},
        headers={"Idempotency-Key": str(uuid.uuid4()), **headers},
    )
    assert placed.status_code == 201, placed.text
    return dict(placed.json())


def test_a_customer_never_sees_another_customers_cart_or_order(
    api: TestClient, store: Store, alice: Account, bob: Account
) -> None:
    cart = api.post(
        "/api/carts", json={"lines": [{"part_id": store.oil_filter}]}, headers=alice.headers
    ).json()
    path = f"/api/carts/{cart['id']}"
    assert api.get(path, headers=alice.headers).status_code == 200
    for headers in (bob.headers, {}):  # another customer, or a guest holding the id
        assert api.get(path, headers=headers).status_code == 404
        assert api.patch(path, json={"email": "x@example.com"}, headers=headers).status_code == 404
        assert api.post(f"{path}/cancel", headers=headers).status_code == 404
        refused = api.post(
            f"{path}/complete", json={}, headers={"Idempotency-Key": "k-1", **headers}
        )
        assert refused.status_code == 404

    placed = _order(api, store, alice.headers, "alice@example.com")
    number = placed["order"]["number"]
    mine = api.get("/api/orders", headers=alice.headers).json()
    assert [o["number"] for o in mine] == [number]
    assert mine[0]["total"] == placed["order"]["totals"]["total"]
    detail = api.get(f"/api/orders/{number}", headers=alice.headers)
    assert detail.status_code == 200
    assert [h["status"] for h in detail.json()["history"]] == ["placed"]
    assert detail.json()["lines"][0]["part_id"] == store.oil_filter

    assert api.get("/api/orders", headers=bob.headers).json() == []
    theirs = api.get(f"/api/orders/{number}", headers=bob.headers)
    unknown = api.get("/api/orders/AM-NOSUCH00", headers=bob.headers)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["detail"].replace(number, "N") == unknown.json()["detail"].replace(
        "AM-NOSUCH00", "N"
    )  # the same words whether the order exists or not


def test_a_guest_reads_an_order_by_number_and_email_only(api: TestClient, store: Store) -> None:
    placed = _order(api, store, {}, "guest@example.com")
    number = placed["order"]["number"]
    found = api.post("/api/order-lookup", json={"number": number, "email": "Guest@Example.com"})
    assert found.status_code == 200, found.text
    assert found.json()["number"] == number
    assert found.json()["payments"][0]["test"] is True
    assert found.json()["payments"][0]["message"] == "Test payment: no money was taken."
    assert "actor" not in found.text  # who changed a status is the staff's business
    for body in (
        {"number": number, "email": "someone@example.com"},
        {"number": "AM-ZZZZZZZZ", "email": "guest@example.com"},
    ):
        assert api.post("/api/order-lookup", json=body).status_code == 404
    assert api.get(f"/api/orders/{number}").status_code == 401  # a guest has no order list


def test_a_signed_in_customers_guest_cart_becomes_their_order(
    api: TestClient, store: Store, alice: Account
) -> None:
    cart = api.post(
        "/api/carts",
        json={
            "vehicle_id": store.vehicle,
            "lines": [{"part_id": store.oil_filter}],
            "email": "alice@example.com",
            "shipping_address": ADDRESS,
        },
    ).json()
    placed = api.post(
        f"/api/carts/{cart['id']}/complete",
        json={},
        headers={"Idempotency-Key": str(uuid.uuid4()), **alice.headers},
    )
    assert placed.status_code == 201
    mine = api.get("/api/orders", headers=alice.headers).json()
    assert [o["number"] for o in mine] == [placed.json()["order"]["number"]]


def test_garage_keeps_one_current_vehicle_and_new_carts_use_it(
    api: TestClient, store: Store, alice: Account, bob: Account, db_url: str
) -> None:
    assert api.get("/api/garage", headers=alice.headers).json() == []
    first = api.post("/api/garage", json={"vehicle_id": store.vehicle}, headers=alice.headers)
    assert first.status_code == 201
    assert [(v["vehicle_id"], v["is_current"]) for v in first.json()] == [(store.vehicle, True)]
    both = api.post(
        "/api/garage",
        json={"vehicle_id": store.other_vehicle, "nickname": "Work truck"},
        headers=alice.headers,
    ).json()
    assert [(v["vehicle_id"], v["is_current"]) for v in both] == [
        (store.vehicle, True),
        (store.other_vehicle, False),
    ]
    assert both[1]["nickname"] == "Work truck" and both[0]["name"].startswith(str(both[0]["year"]))

    cart = api.post("/api/carts", json={}, headers=alice.headers).json()
    assert cart["vehicle"]["id"] == store.vehicle  # the current vehicle, when none is named
    no_vehicle = api.post("/api/carts", json={"vehicle_id": None}, headers=alice.headers)
    assert no_vehicle.json()["vehicle"] is None

    switched = api.put(f"/api/garage/{store.other_vehicle}/current", headers=alice.headers)
    assert [v["vehicle_id"] for v in switched.json() if v["is_current"]] == [store.other_vehicle]
    assert api.get("/api/garage", headers=bob.headers).json() == []
    assert api.put(f"/api/garage/{store.vehicle}/current", headers=bob.headers).status_code == 404
    assert api.delete(f"/api/garage/{store.vehicle}", headers=bob.headers).status_code == 404

    left = api.delete(f"/api/garage/{store.other_vehicle}", headers=alice.headers).json()
    assert [(v["vehicle_id"], v["is_current"]) for v in left] == [(store.vehicle, True)]
    assert (
        api.post(
            "/api/garage", json={"vehicle_id": 2_000_000_000}, headers=alice.headers
        ).status_code
        == 404
    )
    assert api.get("/api/garage").status_code == 401
    assert rows(db_url, "SELECT email FROM customers ORDER BY id") == [
        ("alice@example.com",),
        ("bob@example.com",),
    ]
