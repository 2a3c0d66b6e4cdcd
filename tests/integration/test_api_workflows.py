"""The console's orchestrator endpoints: reviews decided by the signed-in person, policies
changed by an admin with a reason, workflows listed."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from fastapi.testclient import TestClient

from automechanica.accounts import Role
from automechanica.orchestrator import ReviewRequest
from automechanica.orchestrator.reviews import open_review
from tests.integration.conftest import Account


def _open_review(db_url: str) -> int:
    async def run() -> int:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            request = ReviewRequest(
                kind="brand",
                reason="an unknown brand",
                proposed={"brand": "Bosal"},
                agent="SupplierNormalization",
                confidence=0.55,
                rationale="close to Bosch, but a different maker",
            )
            return await open_review(conn, request)

    return asyncio.run(run())


def test_a_review_is_decided_once_by_the_signed_in_operator(
    api: TestClient, accounts: dict[Role, Account], db_url: str
) -> None:
    review_id = _open_review(db_url)
    ops = accounts[Role.operator].headers
    queue = api.get("/api/admin/reviews", headers=ops).json()
    assert [r["id"] for r in queue] == [review_id]
    assert queue[0]["rationale"] == "close to Bosch, but a different maker"
    sneaky = api.post(
        f"/api/admin/reviews/{review_id}/decision",
        headers=ops,
        json={"action": "approve", "reviewer": "someone else"},
    )
    assert sneaky.status_code == 422  # the reviewer is who signed in, not a body field
    edit = api.post(
        f"/api/admin/reviews/{review_id}/decision",
        headers=ops,
        json={"action": "edit", "value": {"brand": "Bosal (new)"}, "note": "a new brand"},
    )
    assert edit.status_code == 200, edit.text
    body = edit.json()
    assert body["status"] == "edited" and body["reviewer"] == "operator@example.com"
    assert body["resolution"]["value"] == {"brand": "Bosal (new)"}
    again = api.post(
        f"/api/admin/reviews/{review_id}/decision", headers=ops, json={"action": "reject"}
    )
    assert again.status_code == 409
    assert api.get("/api/admin/reviews", headers=ops).json() == []


def test_policies_change_only_by_an_admin_with_a_reason(
    api: TestClient, accounts: dict[Role, Account]
) -> None:
    admin, ops = accounts[Role.admin].headers, accounts[Role.operator].headers
    policies = {p["decision_type"]: p for p in api.get("/api/admin/policies", headers=ops).json()}
    assert policies["pricing.price"]["limits"]["min_margin"] == 0.15
    change = {"threshold": 0.95, "reason": "too many wrong fits last week"}
    assert (
        api.put("/api/admin/policies/fitment.publish", headers=ops, json=change).status_code == 403
    )
    no_reason = api.put(
        "/api/admin/policies/fitment.publish", headers=admin, json={"threshold": 0.95}
    )
    assert no_reason.status_code == 422
    changed = api.put("/api/admin/policies/fitment.publish", headers=admin, json=change)
    assert changed.status_code == 200 and changed.json()["threshold"] == 0.95
    assert changed.json()["version"] == policies["fitment.publish"]["version"] + 1
    bad = api.put(
        "/api/admin/policies/fitment.publish", headers=admin, json={"threshold": 2, "reason": "x y"}
    )
    assert bad.status_code == 422


def test_an_operator_starts_follows_and_cancels_a_workflow(
    api: TestClient, accounts: dict[Role, Account]
) -> None:
    ops = accounts[Role.operator].headers
    uploads = api.app.state.upload_dir  # type: ignore[attr-defined]
    uploads.mkdir(parents=True)
    (uploads / "feed.csv").write_text("sku,brand,mpn\n", encoding="utf-8")
    body = {
        "name": "supplier_feed_onboarding",
        "input": {"path": "feed.csv", "supplier": "x"},
        "idempotency_key": "once",
    }
    started = api.post("/api/admin/workflows", headers=ops, json=body)
    assert started.status_code == 201, started.text
    again = api.post("/api/admin/workflows", headers=ops, json=body)
    assert again.json()["id"] == started.json()["id"]  # one run per key
    run_id = started.json()["id"]
    listed = api.get("/api/admin/workflows", headers=ops).json()
    assert [w["id"] for w in listed] == [run_id] and listed[0]["started_by"] == ops_email(accounts)
    cancelled = api.post(f"/api/admin/workflows/{run_id}/cancel", headers=ops)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    unknown = api.post("/api/admin/workflows", headers=ops, json={"name": "no_such_flow"})
    assert unknown.status_code == 404


def ops_email(accounts: dict[Role, Account]) -> str:
    return accounts[Role.operator].email


@pytest.mark.parametrize("path", ["/etc/passwd", "../secret_key", "missing.csv"])
def test_a_workflow_started_over_the_api_reads_only_uploaded_files(
    api: TestClient, accounts: dict[Role, Account], path: str
) -> None:
    """An operator cannot make the server import its own files (its signing key, its
    database) into a report anyone with the console can read."""
    api.app.state.upload_dir.mkdir(parents=True)  # type: ignore[attr-defined]
    body = {"name": "supplier_feed_onboarding", "input": {"path": path, "supplier": "x"}}
    refused = api.post("/api/admin/workflows", headers=accounts[Role.operator].headers, json=body)
    assert refused.status_code == 422, refused.text
    assert "reads only files in the uploads folder" in refused.json()["detail"]
    listed = api.get("/api/admin/workflows", headers=accounts[Role.operator].headers).json()
    assert listed == []
