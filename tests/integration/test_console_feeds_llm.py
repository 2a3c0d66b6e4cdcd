"""The console's feed upload and its view of the language models, through the API."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

from fastapi.testclient import TestClient

from automechanica.accounts import Role
from automechanica.cli.drive import drive
from automechanica.config import Settings
from tests.integration.conftest import Account

REPO = Path(__file__).resolve().parents[2]
FEED = REPO / "evals" / "layouts" / "snake_case.csv"


def test_an_uploaded_feed_is_stored_whole_and_onboarded(
    api: TestClient, accounts: dict[Role, Account], db_url: str
) -> None:
    ops = accounts[Role.operator].headers
    body = FEED.read_bytes()
    answer = api.post(
        "/api/admin/feeds/upload",
        params={"supplier": "Snake Parts", "filename": "../../etc/snake feed.csv"},
        content=body,
        headers=ops | {"Content-Type": "application/octet-stream"},
    )
    assert answer.status_code == 201, answer.text
    uploaded = answer.json()
    assert uploaded["bytes"] == len(body) and uploaded["supplier"] == "Snake Parts"
    stored = api.app.state.upload_dir / uploaded["file"]  # type: ignore[attr-defined]
    assert uploaded["file"].endswith("-snake_feed.csv") and stored.read_bytes() == body
    assert [p.name for p in stored.parent.iterdir()] == [uploaded["file"]]  # nothing partial

    run = UUID(uploaded["workflow_id"])
    asyncio.run(drive(db_url, Settings(), run, quiet=True))  # a worker's part
    timeline = api.get(f"/api/admin/workflows/{run}", headers=ops).json()
    assert timeline["kind"] == "supplier_feed_onboarding"
    assert timeline["input"]["path"] == str(stored)
    assert timeline["started_by"] == accounts[Role.operator].email
    assert timeline["status"] == "completed", timeline.get("error")
    assert timeline["output"]["import"]["offers"] > 0  # the report the console shows


def test_an_upload_is_refused_empty_or_to_a_customer(
    api: TestClient, accounts: dict[Role, Account]
) -> None:
    params = {"supplier": "x", "filename": "feed.csv"}
    empty = api.post(
        "/api/admin/feeds/upload",
        params=params,
        content=b"",
        headers=accounts[Role.operator].headers,
    )
    assert empty.status_code == 422 and "body is empty" in empty.json()["detail"]
    customer = api.post(
        "/api/admin/feeds/upload",
        params=params,
        content=b"sku\n",
        headers=accounts[Role.customer].headers,
    )
    assert customer.status_code == 403


def test_an_upload_may_be_larger_than_other_bodies(
    api: TestClient, accounts: dict[Role, Account]
) -> None:
    """Feeds run to megabytes; every other route keeps its 1 MiB limit."""
    big = b"sku,brand,mpn\n" + b"A-1,Fram,PH7317\n" * 150_000  # about 2.4 MB
    ops = accounts[Role.operator].headers
    uploaded = api.post(
        "/api/admin/feeds/upload",
        params={"supplier": "x", "filename": "big.csv"},
        content=big,
        headers=ops,
    )
    assert uploaded.status_code == 201, uploaded.text
    elsewhere = api.post("/api/admin/workflows", content=big, headers=ops)
    assert elsewhere.status_code == 413


def test_the_model_catalog_and_usage(api: TestClient, accounts: dict[Role, Account]) -> None:
    ops = accounts[Role.operator].headers
    models = api.get("/api/admin/llm/models", headers=ops)
    assert models.status_code == 200, models.text
    by_name = {m["name"]: m for m in models.json()}
    offline = [m for m in by_name.values() if m["provider"] == "offline"]
    assert offline and offline[0]["ready"] is True  # always there, keys or not
    priced = [m for m in by_name.values() if m["price"] is not None]
    assert priced and all(float(m["price"]["input_per_million"]) >= 0 for m in priced)
    usage = api.get("/api/admin/llm/usage", params={"hours": 48}, headers=ops)
    assert usage.status_code == 200, usage.text
    assert usage.json()["by_model"] == [] and float(usage.json()["total_cost_usd"]) == 0
    assert api.get("/api/admin/llm/usage", params={"hours": 0}, headers=ops).status_code == 422
    assert api.get("/api/admin/llm/models").status_code == 401
