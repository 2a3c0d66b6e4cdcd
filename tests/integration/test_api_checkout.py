"""Cart to paid order through the HTTP API, as a shopper (or an AI agent) would do it."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.integration.commerce_fixtures import (
    ADDRESS,
    SECRET_SKU,
    SECRET_SUPPLIER,
    Store,
    rows,
    store_for,
)


@pytest.fixture
def store(db_url: str) -> Store:
    return store_for(db_url)


def _cart(api: TestClient, headers: dict[str, str] | None = None, **body: Any) -> dict[str, Any]:
    response = api.post("/api/carts", json=body, headers=headers or {})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _ready_cart(api: TestClient, store: Store, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "vehicle_id": store.vehicle,
        "lines": [
            {"part_id": store.oil_filter, "quantity": 2},
            {"part_id": store.alternator, "quantity": 1},
        ],
        "email": "pat@example.com",
        "shipping_address": ADDRESS,
    }
    return _cart(api, **(body | extra))


def _complete(
    api: TestClient,
    cart_id: str,
    key: str | None = None,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    return api.post(
        f"/api/carts/{cart_id}/complete",
        json=body or {},
        headers={"Idempotency-Key": key or str(uuid.uuid4()), **(headers or {})},
    )


def test_a_ready_cart_shows_fit_core_deposits_delivery_and_totals_that_add_up(
    api: TestClient, store: Store
) -> None:
    cart = _ready_cart(api, store)
    assert cart["status"] == "ready_for_payment"
    assert cart["messages"] == []
    kinds = [(i["kind"], i["part_id"]) for i in cart["line_items"]]
    assert kinds == [
        ("part", store.oil_filter),
        ("part", store.alternator),
        ("core_deposit", store.alternator),
    ]
    oil, alternator, core = cart["line_items"]
    assert oil["unit_price"] == 1250 and oil["total"] == 2500
    assert oil["fit"]["status"] == "fits"
    assert oil["disclosure"] == f"Fits {cart['vehicle']['name']}."
    assert core["unit_price"] == 3000 and "Refundable core deposit" in core["disclosure"]
    # Austin, TX: EAST is one region away (1 + 3 days), DAL is in the region (1 + 2).
    assert (oil["ship_days"], alternator["ship_days"]) == (4, 3)
    totals = cart["totals"]
    parts = sum(i["total"] for i in cart["line_items"] if i["kind"] == "part")
    cores = sum(i["total"] for i in cart["line_items"] if i["kind"] == "core_deposit")
    assert (totals["subtotal"], totals["core_deposits"]) == (parts, cores) == (20500, 3000)
    assert totals["shipping"] == 0  # standard ships free over $75
    assert totals["tax"] == 1691  # 8.25% of $205.00, rounded half up
    assert totals["total"] == 20500 + 3000 + 0 + 1691
    options = {o["id"]: o for o in cart["fulfillment_options"]}
    assert options["standard"]["selected"] and options["standard"]["ship_days"] == 4
    assert options["expedited"]["price"] == 1999 and options["expedited"]["ship_days"] == 2


def test_public_answers_never_show_cost_or_supplier(api: TestClient, store: Store) -> None:
    cart = _ready_cart(api, store)
    placed = _complete(api, cart["id"])
    assert placed.status_code == 201, placed.text
    for text in (api.get(f"/api/carts/{cart['id']}").text, placed.text):
        for secret in (SECRET_SUPPLIER, SECRET_SKU, "cost", "Zenith", "4.10", "110.0"):
            assert secret not in text


def test_checkout_places_one_paid_order_and_starts_fulfillment(
    api: TestClient, store: Store, db_url: str
) -> None:
    cart = _ready_cart(api, store)
    key = str(uuid.uuid4())
    response = _complete(api, cart["id"], key)
    assert response.status_code == 201, response.text
    body = response.json()
    order = body["order"]
    assert order["number"].startswith("AM-") and len(order["number"]) == 11
    assert order["status"] == "placed" and order["payment_status"] == "paid"
    assert order["totals"]["total"] == cart["totals"]["total"]
    assert [h["status"] for h in order["history"]] == ["placed"]
    assert body["payment"] == {
        "provider": "test",
        "test": True,
        "charged": False,
        "message": "Test payment recorded by the test provider: no money was taken.",
    }
    assert body["checkout_session"]["status"] == "completed"
    stored = api.post(
        "/api/order-lookup", json={"number": order["number"], "email": "pat@example.com"}
    )
    assert stored.json() == order  # the answer is the order as stored
    assert body["checkout_session"]["order"]["number"] == order["number"]
    assert api.get(f"/api/carts/{cart['id']}").json()["status"] == "completed"

    (db_order,) = rows(
        db_url,
        "SELECT id, payment_status, total, core_total, cart_id::text FROM orders",
    )
    order_id = db_order[0]
    assert db_order[1:] == ("paid", Decimal("251.91"), Decimal("30.00"), cart["id"])
    assert rows(db_url, "SELECT provider, amount, status FROM payments") == [
        ("test", db_order[2], "captured")
    ]
    lines = rows(
        db_url,
        "SELECT part_id, quantity, unit_price, unit_cost, core_charge, fit_status"
        " FROM order_lines ORDER BY id",
    )
    assert [(pid, q, float(p), float(c), float(core), f) for pid, q, p, c, core, f in lines] == [
        (store.oil_filter, 2, 12.5, 4.1, 0.0, "fits"),
        (store.alternator, 1, 180.0, 110.0, 30.0, "fits"),
    ]
    assert rows(db_url, "SELECT status, actor FROM order_status_history") == [
        ("placed", "customer")
    ]
    assert rows(
        db_url, "SELECT kind, (input->>'order_id')::bigint, idempotency_key FROM workflows"
    ) == [("order_fulfillment", order_id, f"order_fulfillment:{order_id}")]


def test_the_same_key_twice_is_one_order_and_another_cart_with_it_is_409(
    api: TestClient, store: Store, db_url: str
) -> None:
    cart = _ready_cart(api, store)
    key = str(uuid.uuid4())
    first = _complete(api, cart["id"], key)
    again = _complete(api, cart["id"], key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert rows(db_url, "SELECT count(*) FROM orders") == [(1,)]
    assert rows(db_url, "SELECT count(*) FROM payments") == [(1,)]

    other = _ready_cart(api, store)
    reused = _complete(api, other["id"], key)
    assert reused.status_code == 409
    assert "already used" in reused.json()["detail"]
    different_body = _complete(api, cart["id"], key, {"acknowledge_fit_warnings": True})
    assert different_body.status_code == 409
    new_key_on_completed = _complete(api, cart["id"])
    assert new_key_on_completed.status_code == 409
    assert first.json()["order"]["number"] in new_key_on_completed.json()["detail"]
    assert rows(db_url, "SELECT count(*) FROM orders") == [(1,)]


def test_a_line_that_does_not_fit_is_called_out_before_payment(
    api: TestClient, store: Store, db_url: str
) -> None:
    cart = _ready_cart(api, store, lines=[{"part_id": store.brake_pads, "quantity": 1}])
    (line,) = cart["line_items"]
    assert line["fit"]["status"] == "does_not_fit"
    assert line["disclosure"].startswith("Does not fit ")
    assert [(m["type"], m["code"], m["param"]) for m in cart["messages"]] == [
        ("warning", "does_not_fit", "$.line_items[0]")
    ]
    refused = _complete(api, cart["id"])
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["type"] == "urn:automechanica:checkout-fit-unacknowledged"
    assert "acknowledge_fit_warnings" in problem["detail"]
    assert [m["code"] for m in problem["messages"]] == ["does_not_fit"]
    assert problem["checkout_session"]["id"] == cart["id"]
    assert rows(db_url, "SELECT count(*) FROM orders") == [(0,)]
    assert rows(db_url, "SELECT count(*) FROM payments") == [(0,)]

    bought = _complete(api, cart["id"], body={"acknowledge_fit_warnings": True})
    assert bought.status_code == 201, bought.text
    (order_line,) = bought.json()["order"]["lines"]
    assert order_line["fit_status"] == "does_not_fit"
    assert "lists no application" in order_line["fit_note"]


def test_without_a_vehicle_fit_is_a_warning_and_universal_parts_fit(
    api: TestClient, store: Store
) -> None:
    cart = _cart(
        api,
        lines=[{"part_id": store.oil_filter}, {"part_id": store.jumper_cables}],
    )
    oil, cables = cart["line_items"]
    assert oil["fit"]["status"] == "not_checked"
    assert oil["disclosure"].startswith("Fit not checked")
    assert cables["fit"]["status"] == "universal" and cables["disclosure"] == "Universal fit."
    codes = {(m["type"], m["code"]) for m in cart["messages"]}
    assert ("warning", "no_vehicle") in codes
    assert {("error", "missing")} <= codes  # email and address
    assert cart["status"] == "not_ready_for_payment"


def test_missing_details_refuse_payment_and_the_key_stays_usable(
    api: TestClient, store: Store
) -> None:
    cart = _cart(api, vehicle_id=store.vehicle, lines=[{"part_id": store.oil_filter}])
    missing = {m["param"] for m in cart["messages"] if m["code"] == "missing"}
    assert missing == {"$.email", "$.shipping_address"}
    key = str(uuid.uuid4())
    refused = _complete(api, cart["id"], key)
    assert refused.status_code == 422
    assert refused.json()["type"] == "urn:automechanica:checkout-not-ready"

    updated = api.patch(
        f"/api/carts/{cart['id']}",
        json={"email": "Pat@Example.com", "shipping_address": ADDRESS},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["status"] == "ready_for_payment"
    assert updated.json()["email"] == "pat@example.com"
    assert updated.json()["totals"]["shipping"] == 799  # under $75: standard costs $7.99
    assert _complete(api, cart["id"], key).status_code == 201


def test_parts_not_for_sale_or_out_of_stock_block_payment(api: TestClient, store: Store) -> None:
    cart = _ready_cart(
        api,
        store,
        lines=[
            {"part_id": store.unpriced, "quantity": 1},
            {"part_id": store.sold_out, "quantity": 1},
            {"part_id": store.oil_filter, "quantity": 5},
        ],
    )
    assert cart["status"] == "not_ready_for_payment"
    found = [(m["code"], m["param"]) for m in cart["messages"] if m["type"] == "error"]
    assert found == [
        ("invalid", "$.line_items[0]"),
        ("out_of_stock", "$.line_items[1]"),
        ("out_of_stock", "$.line_items[2]"),
    ]
    assert "not for sale" in cart["messages"][0]["content"]
    assert "only 3 in stock" in cart["messages"][2]["content"]
    assert cart["line_items"][0]["unit_price"] is None
    assert cart["totals"]["subtotal"] == 999 + 5 * 1250  # the unpriced part counts nothing
    assert _complete(api, cart["id"]).status_code == 422


def test_bodies_refuse_fields_the_customer_does_not_own(api: TestClient, store: Store) -> None:
    for body in (
        {"lines": [{"part_id": store.oil_filter, "quantity": 1, "price": "0.01"}]},
        {"lines": [{"part_id": store.oil_filter, "unit_price": 1}]},
        {"status": "completed"},
        {"totals": {"total": 1}},
    ):
        response = api.post("/api/carts", json=body)
        assert response.status_code == 422, body
    cart = _ready_cart(api, store)
    for body in (
        {"status": "completed"},
        {"lines": [{"part_id": store.oil_filter, "cost": "1.00"}]},
    ):
        assert api.patch(f"/api/carts/{cart['id']}", json=body).status_code == 422
    card = _complete(api, cart["id"], body={"payment": {"card_number": "4242424242424242"}})
    assert card.status_code == 422
    no_key = api.post(f"/api/carts/{cart['id']}/complete", json={})
    assert no_key.status_code == 422 and "Idempotency-Key" in no_key.json()["detail"]


def test_a_declined_test_payment_places_no_order(
    api: TestClient, store: Store, db_url: str
) -> None:
    cart = _ready_cart(api, store)
    declined = _complete(api, cart["id"], body={"payment": {"token": "test_decline"}})
    assert declined.status_code == 402
    assert [m["code"] for m in declined.json()["messages"]] == ["payment_declined"]
    assert rows(db_url, "SELECT count(*) FROM orders") == [(0,)]
    assert api.get(f"/api/carts/{cart['id']}").json()["status"] == "ready_for_payment"


def test_cart_lines_added_removed_and_a_closed_cart_cannot_change(
    api: TestClient, store: Store
) -> None:
    cart = _ready_cart(api, store, lines=[])
    assert cart["status"] == "not_ready_for_payment"
    path = f"/api/carts/{cart['id']}"
    api.post(f"{path}/lines", json={"part_id": store.oil_filter, "quantity": 1})
    added = api.post(f"{path}/lines", json={"part_id": store.oil_filter, "quantity": 1}).json()
    assert [(i["part_id"], i["quantity"]) for i in added["line_items"]] == [(store.oil_filter, 2)]
    assert api.post(f"{path}/lines", json={"part_id": 999_999_999}).status_code == 404
    removed = api.delete(f"{path}/lines/{store.oil_filter}").json()
    assert removed["line_items"] == []
    assert api.delete(f"{path}/lines/{store.oil_filter}").status_code == 404

    canceled = api.post(f"{path}/cancel")
    assert canceled.json()["status"] == "canceled"
    assert api.patch(path, json={"email": "a@example.com"}).status_code == 409
    assert _complete(api, cart["id"]).status_code == 409
    assert api.get(f"/api/carts/{uuid.uuid4()}").status_code == 404


BASE_WITH_TWO_ENGINES = """
SELECT bv.id, bv.year, ma.name AS make, mo.name AS model,
       array_agg(DISTINCT v.engine_liters ORDER BY v.engine_liters) AS engines
FROM base_vehicles bv JOIN vehicles v ON v.base_vehicle_id = bv.id
JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id
WHERE v.engine_liters IS NOT NULL
GROUP BY bv.id, ma.name, mo.name
HAVING count(DISTINCT v.engine_liters) >= 2 AND count(*) FILTER (WHERE v.fuel = 'Electric') = 0
ORDER BY bv.id LIMIT 1
"""


def test_a_described_vehicle_gets_the_question_that_settles_the_fit(
    api: TestClient, store: Store, db_url: str
) -> None:
    ((base, year, make, model, engines),) = rows(db_url, BASE_WITH_TWO_ENGINES)
    with psycopg.connect(db_url) as conn:  # the oil filter fits one of the two engines
        conn.execute(
            "UPDATE fitments SET base_vehicle_id = %s, engine_liters = %s WHERE part_id = %s",
            (base, engines[0], store.oil_filter),
        )
    described = {"year": year, "make": make, "model": model}
    cart = _cart(
        api,
        vehicle=described,
        lines=[{"part_id": store.oil_filter}],
        email="pat@example.com",
        shipping_address=ADDRESS,
    )
    assert cart["vehicle"]["id"] is None
    assert cart["vehicle"]["name"] == f"{year} {make} {model}"
    (line,) = cart["line_items"]
    assert line["fit"]["status"] == "need_more_information"
    assert line["fit"]["ask_next"] in {"submodel", "engine_liters"}
    (message,) = cart["messages"]
    assert message["code"] == "needs_more_information" and "tell us the" in message["content"]
    assert cart["status"] == "ready_for_payment"  # payable, once the warning is acknowledged
    assert _complete(api, cart["id"]).status_code == 422

    narrowed = api.patch(
        f"/api/carts/{cart['id']}",
        json={"vehicle": described | {"engine_liters": float(engines[0])}},
    ).json()
    assert narrowed["line_items"][0]["fit"]["status"] == "fits"
    assert narrowed["messages"] == []
    other = api.patch(
        f"/api/carts/{cart['id']}",
        json={"vehicle": described | {"engine_liters": float(engines[1])}},
    ).json()
    assert other["line_items"][0]["fit"]["status"] == "does_not_fit"
    by_id = api.patch(f"/api/carts/{cart['id']}", json={"vehicle_id": store.other_vehicle})
    assert by_id.json()["vehicle"]["id"] == store.other_vehicle
    assert by_id.json()["vehicle"]["description"] is None
    both = api.patch(
        f"/api/carts/{cart['id']}", json={"vehicle_id": store.vehicle, "vehicle": described}
    )
    assert both.status_code == 422
    unknown = api.patch(
        f"/api/carts/{cart['id']}",
        json={"vehicle": {"year": 1990, "make": "Nosuch", "model": "Car"}},
    )
    assert unknown.status_code == 404


def test_a_changed_total_is_refused_when_the_shopper_named_the_total(
    api: TestClient, store: Store, db_url: str
) -> None:
    cart = _ready_cart(api, store)
    agreed = cart["totals"]["total"]
    with psycopg.connect(db_url) as conn:  # the price moves after the shopper looked
        conn.execute("UPDATE parts SET price = 13.00 WHERE id = %s", (store.oil_filter,))
    refused = _complete(api, cart["id"], body={"expected_total": agreed})
    assert refused.status_code == 422
    (message,) = refused.json()["messages"]
    assert message["param"] == "$.totals.total"
    assert f"{agreed / 100:.2f}" in message["content"]
    now = refused.json()["checkout_session"]["totals"]["total"]
    assert now == agreed + 2 * 50 + 9  # two filters 50 cents dearer; tax 16.995 -> 17.00
    assert rows(db_url, "SELECT count(*) FROM orders") == [(0,)]
    assert _complete(api, cart["id"], body={"expected_total": now}).status_code == 201
