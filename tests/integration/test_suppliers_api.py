"""The console's supplier pages through the API: a supplier's remembered layout (shown
with why, corrected with a reason), and its import reports with every rejected row."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from automechanica.accounts import Role
from automechanica.cli.drive import drive
from automechanica.config import Settings
from tests.integration.conftest import Account

REPO = Path(__file__).resolve().parents[2]
GOOD = (REPO / "evals" / "layouts" / "snake_case.csv").read_text()
# rows the import refuses: no manufacturer part number
BAD = [f"ATL-9{i:03},Fram,,Mystery filter {i},Oil Filter,,3.10,7.99,4\n" for i in range(7)]


def _import(api: TestClient, db_url: str, ops: dict[str, str], text: str) -> dict[str, Any]:
    """Upload a file for 'Snake Parts' as the console does and run its onboarding."""
    uploaded = api.post(
        "/api/admin/feeds/upload",
        params={"supplier": "Snake Parts", "filename": "snake.csv"},
        content=text.encode(),
        headers=ops | {"Content-Type": "application/octet-stream"},
    )
    assert uploaded.status_code == 201, uploaded.text
    run = UUID(uploaded.json()["workflow_id"])
    asyncio.run(drive(db_url, Settings(), run, quiet=True))
    timeline = api.get(f"/api/admin/workflows/{run}", headers=ops).json()
    assert timeline["status"] == "completed", timeline.get("error")
    summary: dict[str, Any] = timeline["output"]["import"]
    return summary


def _snake(api: TestClient, ops: dict[str, str]) -> dict[str, Any]:
    listed = api.get("/api/admin/suppliers", headers=ops)
    assert listed.status_code == 200, listed.text
    found = [s for s in listed.json() if s["name"] == "snake parts"]
    assert len(found) == 1, listed.json()
    row: dict[str, Any] = found[0]
    return row


def test_a_supplier_its_layout_and_its_last_import(
    api: TestClient, accounts: dict[Role, Account], db_url: str
) -> None:
    ops = accounts[Role.operator].headers
    summary = _import(api, db_url, ops, GOOD + "".join(BAD))
    assert summary["rows_rejected"] == len(BAD)

    row = _snake(api, ops)
    assert row["has_profile"] and row["format"] == "csv" and row["confirmed"] is False
    assert row["mapped_fields"] >= 4 and row["imports"] == 1
    last = row["last_import"]
    assert last["report_id"] == summary["report_id"] and last["status"] == "completed"
    assert last["rows_rejected"] == len(BAD) and last["offers"] == summary["offers"] > 0

    detail = api.get(f"/api/admin/suppliers/{row['id']}", headers=ops)
    assert detail.status_code == 200, detail.text
    shown = detail.json()
    mapping = {m["field"]: m for m in shown["profile"]["mapping"]}
    assert mapping["mpn"]["source"] == "mfg_part_number"
    assert mapping["cost"]["source"] == "net_cost"
    # the why is the inference's own, not "read from the profile"
    assert mapping["cost"]["confidence"] is not None and mapping["cost"]["reason"]
    assert "saved from a sure inference" in mapping["cost"]["reason"]
    assert [r["id"] for r in shown["recent_imports"]] == [summary["report_id"]]
    assert shown["changes"] == [] and "cost" in shown["fields"]
    assert shown["proposal"] is None and shown["open_reviews"] == []


def test_an_operator_corrects_the_profile_with_a_reason(
    api: TestClient, accounts: dict[Role, Account], db_url: str
) -> None:
    ops = accounts[Role.operator].headers
    _import(api, db_url, ops, GOOD)
    supplier = _snake(api, ops)["id"]
    url = f"/api/admin/suppliers/{supplier}/profile"
    mapping = {
        m["field"]: m["source"]
        for m in api.get(url[: -len("/profile")], headers=ops).json()["profile"]["mapping"]
    }
    mapping.pop("msrp")  # the retail column is not the MSRP this supplier says
    edit = {
        "mapping": mapping,
        "cost_price_type": "JBR",
        "reason": "retail_price is a street price",
    }

    answer = api.patch(url, json=edit, headers=ops)
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert "msrp" not in {m["field"] for m in shown["profile"]["mapping"]}
    assert shown["profile"]["confirmed"] is True and shown["profile"]["cost_price_type"] == "JBR"
    change = shown["changes"][0]
    assert change["changed_by"] == accounts[Role.operator].email
    assert change["reason"] == "retail_price is a street price"
    assert "msrp" in change["before"]["mapping"] and "msrp" not in change["after"]["mapping"]

    # the next file is read by the corrected profile: no MSRP read from retail_price
    again = _import(api, db_url, ops, GOOD)
    report = api.get(f"/api/admin/feeds/reports/{again['report_id']}", headers=ops).json()
    assert "msrp" not in report["layout"]["fields"]
    assert "confirmed by a person" in report["layout_reason"]

    brand_only = api.patch(
        url, json={"brand": "Fram", "reason": "they only sell Fram"}, headers=ops
    )
    assert brand_only.status_code == 200 and brand_only.json()["profile"]["brand"] == "Fram"
    assert brand_only.json()["profile"]["mapping"][0]["field"] == "sku"  # mapping kept
    assert len(brand_only.json()["changes"]) == 2


def test_a_bad_edit_is_refused_and_changes_nothing(
    api: TestClient, accounts: dict[Role, Account], db_url: str
) -> None:
    ops = accounts[Role.operator].headers
    _import(api, db_url, ops, GOOD)
    supplier = _snake(api, ops)["id"]
    url = f"/api/admin/suppliers/{supplier}/profile"
    before = api.get(f"/api/admin/suppliers/{supplier}", headers=ops).json()
    mapping = {m["field"]: m["source"] for m in before["profile"]["mapping"]}

    colour = api.patch(
        url, json={"mapping": mapping | {"colour": "x"}, "reason": "try"}, headers=ops
    )
    assert colour.status_code == 422
    detail = colour.json()["detail"]
    assert "mapping.colour" in detail and "'sku'" in detail  # what is wrong, and the fields
    no_cost = {k: v for k, v in mapping.items() if k != "cost"}
    lacking = api.patch(url, json={"mapping": no_cost, "reason": "try"}, headers=ops)
    assert lacking.status_code == 422
    blank = api.patch(url, json={"mapping": mapping | {"cost": "  "}, "reason": "x y"}, headers=ops)
    assert blank.status_code == 422 and "mapping.cost" in blank.json()["detail"]
    no_brand = {k: v for k, v in mapping.items() if k != "brand"}
    branded = api.patch(url, json={"mapping": no_brand, "reason": "try"}, headers=ops)
    assert branded.status_code == 409 and "no own brand" in branded.json()["detail"]
    price = api.patch(url, json={"cost_price_type": "CHEAP", "reason": "try"}, headers=ops)
    assert price.status_code == 422 and "'JBR'" in price.json()["detail"]
    no_reason = api.patch(url, json={"brand": "Fram"}, headers=ops)
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
    extra = api.patch(url, json={"brand": "Fram", "reason": "ok", "confirmed": True}, headers=ops)
    assert extra.status_code == 422
    number = api.patch(url, json={"has_header": 1, "reason": "try"}, headers=ops)
    assert number.status_code == 422

    after = api.get(f"/api/admin/suppliers/{supplier}", headers=ops).json()
    assert after == before  # nothing stored, nothing recorded
    missing = api.patch(
        "/api/admin/suppliers/999999/profile", json={"brand": "x", "reason": "try"}, headers=ops
    )
    assert missing.status_code == 404


def test_every_rejection_is_reachable_page_by_page(
    api: TestClient, accounts: dict[Role, Account], db_url: str
) -> None:
    ops = accounts[Role.operator].headers
    summary = _import(api, db_url, ops, GOOD + "".join(BAD))
    url = f"/api/admin/feeds/reports/{summary['report_id']}"

    first = api.get(url, params={"limit": 3}, headers=ops)
    assert first.status_code == 200, first.text
    report = first.json()
    assert report["supplier"] == "snake parts" and report["status"] == "completed"
    assert report["rows_rejected"] == len(BAD) == report["rejections"]["total"]
    assert report["warning_list"]["total"] == report["warnings"]
    assert report["layout"]["fields"]["cost"]["source"] == "net_cost" and report["layout_reason"]
    seen = [r for r in report["rejections"]["items"]]
    offset = 3
    while offset < report["rejections"]["total"]:
        page = api.get(url, params={"limit": 3, "rejected_offset": offset}, headers=ops).json()
        seen += page["rejections"]["items"]
        offset += 3
    assert len(seen) == len(BAD)
    assert [r["line"] for r in seen] == sorted(r["line"] for r in seen)  # file order
    assert all("ATL-9" in (r["raw"] or "") and r["reason"] for r in seen)
    assert {r["raw"].split(",")[0] for r in seen} == {b.split(",")[0] for b in BAD}

    listed = api.get("/api/admin/feeds/reports", params={"status": "completed"}, headers=ops)
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()["items"]] == [summary["report_id"]]
    supplier = report["supplier_id"]
    other = api.get(
        "/api/admin/feeds/reports", params={"supplier_id": supplier + 1000}, headers=ops
    )
    assert other.json() == {"total": 0, "offset": 0, "limit": 50, "items": []}
    failed = api.get("/api/admin/feeds/reports", params={"status": "failed"}, headers=ops)
    assert failed.json()["total"] == 0
    assert api.get("/api/admin/feeds/reports/999999", headers=ops).status_code == 404


def test_customers_and_strangers_are_refused(
    api: TestClient, accounts: dict[Role, Account]
) -> None:
    customer = accounts[Role.customer].headers
    for path in ("/api/admin/suppliers", "/api/admin/suppliers/1", "/api/admin/feeds/reports"):
        assert api.get(path, headers=customer).status_code == 403
        assert api.get(path).status_code == 401
    edit = api.patch(
        "/api/admin/suppliers/1/profile", json={"brand": "x", "reason": "mine"}, headers=customer
    )
    assert edit.status_code == 403


def test_an_unsure_proposal_is_shown_and_corrected_into_the_profile(
    api: TestClient, accounts: dict[Role, Account], db_url: str
) -> None:
    """Four unlabelled price columns: the agent proposes a layout and waits; the supplier
    page shows the proposal with why, and a person's mapping replaces it."""
    ops = accounts[Role.operator].headers
    prices = (REPO / "evals" / "layouts" / "unlabelled_prices.csv").read_bytes()
    uploaded = api.post(
        "/api/admin/feeds/upload",
        params={"supplier": "Unlabelled", "filename": "prices.csv"},
        content=prices,
        headers=ops | {"Content-Type": "application/octet-stream"},
    )
    run = UUID(uploaded.json()["workflow_id"])
    asyncio.run(drive(db_url, Settings(), run, quiet=True))
    assert api.get(f"/api/admin/workflows/{run}", headers=ops).json()["status"] == "waiting"

    row = next(
        s for s in api.get("/api/admin/suppliers", headers=ops).json() if s["name"] == "unlabelled"
    )
    assert row["proposal_waiting"] and row["mapped_fields"] == 0 and row["last_import"] is None
    shown = api.get(f"/api/admin/suppliers/{row['id']}", headers=ops).json()
    proposal = shown["proposal"]
    assert proposal["unsure_fields"] and all(f["reason"] for f in proposal["fields"].values())
    assert shown["profile"]["mapping"] == []
    review = api.get(f"/api/admin/reviews/{shown['open_reviews'][0]}", headers=ops).json()
    assert review["workflow_id"] == str(run) and review["kind"] == "feed.layout_mapping"

    mapping = {"sku": "SKU", "brand": "Brand", "mpn": "Part Number", "cost": "Price2"}
    answer = api.patch(
        f"/api/admin/suppliers/{row['id']}/profile",
        json={
            "mapping": mapping | {"msrp": "Price1"},
            "reason": "their price sheet: Price2 is net",
        },
        headers=ops,
    )
    assert answer.status_code == 200, answer.text
    profile = answer.json()["profile"]
    assert {m["field"]: m["source"] for m in profile["mapping"]}["cost"] == "Price2"
    assert (
        profile["format"] == "csv" and profile["confirmed"] is True
    )  # the format the proposal read
    assert answer.json()["proposal"] is None
    listed = next(
        s for s in api.get("/api/admin/suppliers", headers=ops).json() if s["name"] == "unlabelled"
    )
    assert listed["proposal_waiting"] is False and listed["confirmed"] is True
