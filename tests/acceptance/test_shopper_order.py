"""A shopper's order from cart to supplier and back, as issue 13 tells it: checkout
through the API, a real worker routes it into a purchase-order file, the shopper
reports a wrong fit, and the Fitment agent's correction waits in the review queue."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from automechanica.accounts import Role
from automechanica.api.app import create_app
from tests.integration.commerce_fixtures import ADDRESS, SECRET_SUPPLIER, Store, store_for
from tests.integration.conftest import SECRET, add_user, sign_in

EMAIL = "pat@example.com"


@pytest.fixture
def worker(db_url: str, tmp_path: Path) -> Iterator[Path]:
    """`automechanica worker` on the test database; its data folder gets the PO files."""
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMECHANICA_")}
    env |= {"AUTOMECHANICA_DATABASE_URL": db_url, "AUTOMECHANICA_DATA_DIR": str(data)}
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "automechanica", "worker", "--no-scheduler"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield data
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _until(what: str, check: Any, seconds: float = 90) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"not within {seconds} s: {what}")


def _one(url: str, query: str, params: Any = None) -> Any:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchone()


def test_an_order_reaches_its_supplier_and_a_wrong_fit_reaches_a_person(
    db_url: str, worker: Path
) -> None:
    store: Store = store_for(db_url)
    add_user(db_url, "ops@example.com", Role.operator)
    with TestClient(create_app(db_url, secret_key=SECRET, pool_max_size=3)) as api:
        cart = api.post(
            "/api/carts",
            json={
                "vehicle_id": store.vehicle,
                "lines": [{"part_id": store.alternator, "quantity": 1}],
                "email": EMAIL,
                "shipping_address": ADDRESS,
            },
        )
        assert cart.status_code == 201, cart.text
        placed = api.post(
            f"/api/carts/{cart.json()['id']}/complete",
            json={},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert placed.status_code == 201, placed.text
        order = placed.json()["order"]
        number = order["number"]

        # A worker routes the paid order to the supplier: one purchase order, one file.
        folder = worker / "purchase_orders"
        files = _until("a purchase-order file", lambda: list(folder.rglob(f"{number}*")))
        assert len(files) == 1 and SECRET_SUPPLIER in str(files[0])
        assert "13985" in files[0].read_text()  # the alternator's part number
        seen = _until(
            "the order routed",
            lambda: (
                (o := api.post("/api/order-lookup", json={"number": number, "email": EMAIL}))
                and o.json()["status"] == "routed"
                and o.json()
            ),
        )
        assert [h["status"] for h in seen["history"]] == ["placed", "routed"]

        # The alternator did not fit: the shopper says so, a person sees the correction.
        line = seen["lines"][0]
        returned = api.post(
            "/api/returns",
            json={
                "number": number,
                "email": EMAIL,
                "line_id": line["id"],
                "reason": "wrong_fit",
                "note": "the plug is on the other side",
            },
        )
        assert returned.status_code in (200, 201), returned.text
        operator = sign_in(api, "ops@example.com").headers
        review = _until(
            "the fitment correction in review",
            lambda: next(
                (
                    r
                    for r in api.get("/api/admin/reviews", headers=operator).json()
                    if r["kind"] == "fitment.correction"
                ),
                None,
            ),
        )
        assert str(store.alternator) in str(review["proposed"]) or review.get("subject_id") == str(
            store.alternator
        )
        status = _one(db_url, "SELECT status FROM returns")
        assert status is not None and status[0] == "requested"
