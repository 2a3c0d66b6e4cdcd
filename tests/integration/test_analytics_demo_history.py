"""The demo store's generated history: orders priced from the catalog, returns with
their fitment issues, all before today; a second load adds nothing; the demo load
leaves a report per day for the console."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from automechanica.commerce.demo_history import generate_demo_history
from automechanica.orchestrator.workflows.analytics import load_demo_history
from tests.integration.test_analytics import make_store

Conn = psycopg.AsyncConnection[Any]
TODAY = date(2026, 11, 25)


@pytest.fixture
async def aconn(db_url: str) -> AsyncIterator[Conn]:
    async with await psycopg.AsyncConnection.connect(
        db_url, autocommit=True, row_factory=dict_row
    ) as conn:
        store = await make_store(conn)
        await conn.execute("UPDATE parts SET price = 49.99 WHERE id = %s", (store.parts["A"],))
        await conn.execute(  # every part fits the first base vehicle with configurations
            "INSERT INTO fitments (part_id, part_type_id, base_vehicle_id, source, confidence)"
            " SELECT p.id, p.part_type_id, (SELECT min(base_vehicle_id) FROM vehicles),"
            " 'test', 0.9 FROM parts p"
        )
        yield conn


async def rows(conn: Conn, query: str) -> list[dict[str, Any]]:
    cur = await conn.execute(query)
    return await cur.fetchall()


async def test_generated_orders_are_priced_from_the_catalog_and_load_once(aconn: Conn) -> None:
    first = await generate_demo_history(aconn, seed=7, days=5, today=TODAY)
    assert first.skipped is None and first.orders >= 5 * 4 and first.lines >= first.orders

    lines = await rows(
        aconn,
        "SELECT p.part_number, ol.unit_price, ol.unit_cost, o.created_at, o.number,"
        " o.payment_status FROM order_lines ol JOIN orders o ON o.id = ol.order_id"
        " JOIN parts p ON p.id = ol.part_id",
    )
    assert len(lines) == first.lines
    prices = {(r["part_number"], r["unit_price"]) for r in lines}
    # A has a price; B and C none yet: their offer's cost (1.00) + 30%.
    assert prices <= {("A", Decimal("49.99")), ("B", Decimal("1.30")), ("C", Decimal("1.30"))}
    assert all(r["unit_cost"] == Decimal("1.00") for r in lines)
    midnight = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC)
    assert all(midnight - timedelta(days=5) <= r["created_at"] < midnight for r in lines)
    assert all(r["number"].startswith("DEMO-") and r["payment_status"] == "paid" for r in lines)

    returned = await rows(
        aconn,
        "SELECT r.reason, r.created_at, r.vehicle_id, f.vehicle_id AS issue_vehicle, o.status"
        " FROM returns r JOIN order_lines ol ON ol.id = r.order_line_id"
        " JOIN orders o ON o.id = ol.order_id LEFT JOIN fitment_issues f ON f.return_id = r.id",
    )
    assert len(returned) == first.returns
    assert all(r["status"] == "delivered" and r["created_at"] < midnight for r in returned)
    wrong = [r for r in returned if r["reason"] == "wrong_fit"]
    assert len(wrong) == first.wrong_fit
    assert all(r["issue_vehicle"] == r["vehicle_id"] is not None for r in wrong)

    again = await generate_demo_history(aconn, seed=7, days=5, today=TODAY)
    assert again.skipped == "demo history already loaded"
    count = await rows(aconn, "SELECT count(*) AS n FROM orders")
    assert count[0]["n"] == first.orders


async def test_the_demo_load_leaves_a_report_for_each_day(aconn: Conn) -> None:
    said: list[str] = []
    await load_demo_history(aconn, seed=11, say=said.append)
    assert said and said[0].startswith("Demo history (generated):")
    reports = await rows(
        aconn, "SELECT period_start, metrics FROM analytics_reports ORDER BY period_start"
    )
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert [r["period_start"] for r in reports] == [
        today - timedelta(days=n) for n in range(10, 0, -1)
    ]
    orders = await rows(aconn, "SELECT count(*) AS n FROM orders")
    assert sum(r["metrics"]["sales"]["orders"] for r in reports) == orders[0]["n"]
