"""The analytics console endpoints: operators read stored reports and the dashboard;
customers and anonymous callers are refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import psycopg
from fastapi.testclient import TestClient
from psycopg.rows import dict_row

from automechanica.accounts import Role
from automechanica.orchestrator.workflows.analytics import store_period_report
from tests.integration.conftest import Account
from tests.integration.test_analytics import make_store

TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def prepare(db_url: str) -> None:
    """Orders today and yesterday (a wrong-fit return today), reports for two days."""

    async def run() -> None:
        async with await psycopg.AsyncConnection.connect(
            db_url, autocommit=True, row_factory=dict_row
        ) as conn:
            store = await make_store(conn)
            yesterday = TODAY - timedelta(days=1)
            await store.order(yesterday + timedelta(hours=1), [("A", 1, "50.00", "30.00")])
            (line,) = await store.order(TODAY, [("B", 2, "100.00", "70.00")])
            await store.return_(line, "wrong_fit", TODAY)
            for back in (2, 1):
                day = TODAY - timedelta(days=back)
                await store_period_report(conn, day, day + timedelta(days=1))

    asyncio.run(run())


def test_operators_read_reports_and_the_dashboard(
    api: TestClient, accounts: dict[Role, Account], db_url: str
) -> None:
    prepare(db_url)
    operator = accounts[Role.operator].headers

    listed = api.get("/api/admin/analytics/reports", headers=operator)
    assert listed.status_code == 200, listed.text
    periods = [r["period_start"][:10] for r in listed.json()]
    assert periods == [
        str((TODAY - timedelta(days=1)).date()),
        str((TODAY - timedelta(days=2)).date()),
    ]
    newest = listed.json()[0]
    assert newest["metrics"]["sales"]["orders"] == 1
    assert newest["summary"].startswith(f"{(TODAY - timedelta(days=1)).date()}: 1 orders")

    latest = api.get("/api/admin/analytics/reports/latest", headers=operator).json()
    assert latest == newest
    one = api.get(f"/api/admin/analytics/reports/{newest['id']}", headers=operator)
    assert one.json() == newest
    missing = api.get("/api/admin/analytics/reports/999999", headers=operator)
    assert missing.status_code == 404

    board = api.get("/api/admin/analytics/dashboard?days=3", headers=operator)
    assert board.status_code == 200, board.text
    body = board.json()
    assert [d["day"] for d in body["days"]] == [
        str((TODAY - timedelta(days=n)).date()) for n in (2, 1, 0)
    ]
    assert [(d["orders"], d["revenue"]) for d in body["days"]] == [(0, 0), (1, 50.0), (1, 200.0)]
    assert body["lines_sold"] == 2
    wrong = {r["reason"]: (r["returns"], r["rate"]) for r in body["returns_by_reason"]}
    assert wrong["wrong_fit"] == (1, 0.5)
    assert body["wrong_fit_by_part_type"][0] == {
        "name": "TestRotor",
        "lines_sold": 1,
        "wrong_fit_returns": 1,
        "rate": 1.0,
    }
    assert "oldest_runnable_seconds" in body["queue"]["stats"]
    assert body["queue"]["dead_letters"] == 0
    assert api.get("/api/admin/analytics/dashboard?days=0", headers=operator).status_code == 422


def test_customers_and_anonymous_callers_are_refused(
    api: TestClient, accounts: dict[Role, Account]
) -> None:
    for path in ("/reports", "/reports/latest", "/dashboard"):
        url = "/api/admin/analytics" + path
        assert api.get(url).status_code == 401
        assert api.get(url, headers=accounts[Role.customer].headers).status_code == 403
    latest = api.get("/api/admin/analytics/reports/latest", headers=accounts[Role.operator].headers)
    assert latest.status_code == 404  # no report yet: said, not an empty 200
