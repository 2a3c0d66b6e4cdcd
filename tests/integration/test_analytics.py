"""Analytics on the real database: a small store's day computed by hand and checked
figure by figure; a spike flagged against the trailing week; a calm day not; the
nightly_analytics workflow fired by the scheduler stores one report per period."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from automechanica.agents.analytics import grounded
from automechanica.commerce.analytics import period_metrics
from automechanica.errors import InvalidInputError
from automechanica.orchestrator import Engine, WorkflowRegistry
from automechanica.orchestrator.scheduler import set_schedule, tick
from automechanica.orchestrator.workflows.analytics import (
    NIGHTLY_ANALYTICS,
    resolve_period,
    store_period_report,
)
from automechanica.queue import Worker, WorkerOptions

Conn = psycopg.AsyncConnection[Any]
DAY = datetime(2026, 11, 20, tzinfo=UTC)
NEXT = DAY + timedelta(days=1)


@pytest.fixture
async def aconn(db_url: str) -> AsyncIterator[Conn]:
    async with await psycopg.AsyncConnection.connect(
        db_url, autocommit=True, row_factory=dict_row
    ) as conn:
        yield conn


async def one(conn: Conn, query: str, *params: Any) -> Any:
    cur = await conn.execute(query, params)
    row = await cur.fetchone()
    assert row is not None
    return next(iter(row.values()))


@dataclass
class Store:
    """A tiny catalog: three parts, two brands, two part types, two suppliers."""

    conn: Conn
    parts: dict[str, int]
    offers: dict[str, int]
    customer: int
    orders: int = 0

    async def order(
        self,
        at: datetime,
        lines: list[tuple[str, int, str, str | None]],
        *,
        status: str = "delivered",
        payment: str = "paid",
    ) -> list[int]:
        """An order with lines (part, quantity, unit price, unit cost); its line ids."""
        self.orders += 1
        order_id = await one(
            self.conn,
            "INSERT INTO orders (customer_id, status, payment_status, number, created_at,"
            " subtotal, total) VALUES (%s, %s, %s, %s, %s, 0, 0) RETURNING id",
            self.customer,
            status,
            payment,
            f"T-{self.orders}",
            at,
        )
        ids = []
        for part, quantity, price, cost in lines:
            ids.append(
                await one(
                    self.conn,
                    "INSERT INTO order_lines (order_id, part_id, supplier_part_id, quantity,"
                    " unit_price, unit_cost) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                    order_id,
                    self.parts[part],
                    self.offers[part],
                    quantity,
                    Decimal(price),
                    Decimal(cost) if cost is not None else None,
                )
            )
        return ids

    async def return_(self, line: int, reason: str, at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO returns (order_line_id, reason, created_at) VALUES (%s, %s, %s)",
            (line, reason, at),
        )


@pytest.fixture
async def store(aconn: Conn) -> Store:
    return await make_store(aconn)


async def make_store(aconn: Conn) -> Store:
    """Brands, part types, suppliers, parts A, B and C with one offer each, a customer."""

    async def insert(query: str, *params: Any) -> int:
        return int(await one(aconn, query + " RETURNING id", *params))

    brands = {
        b: await insert("INSERT INTO brands (name) VALUES (%s)", b) for b in ("BrandX", "BrandY")
    }
    types = {
        t: await insert(
            "INSERT INTO part_types (name, slug, category) VALUES (%s, %s, 'Test')", t, t.lower()
        )
        for t in ("TestPads", "TestRotor")
    }
    suppliers = {
        s: await insert("INSERT INTO suppliers (name, display_name) VALUES (%s, %s)", s.lower(), s)
        for s in ("SupplierOne", "SupplierTwo")
    }
    catalog = {  # part: (brand, type, supplier)
        "A": ("BrandX", "TestPads", "SupplierOne"),
        "B": ("BrandY", "TestRotor", "SupplierTwo"),
        "C": ("BrandX", "TestRotor", "SupplierOne"),
    }
    parts, offers = {}, {}
    for part, (brand, kind, supplier) in catalog.items():
        parts[part] = await insert(
            "INSERT INTO parts (brand_id, part_number, mpn_normalized, part_type_id, title)"
            " VALUES (%s, %s, %s, %s, %s)",
            brands[brand],
            part,
            part,
            types[kind],
            f"part {part}",
        )
        offers[part] = await insert(
            "INSERT INTO supplier_parts (supplier_id, supplier_sku, part_id, brand_raw, mpn_raw,"
            " cost, content_hash) VALUES (%s, %s, %s, %s, %s, 1, 'x')",
            suppliers[supplier],
            part,
            parts[part],
            brand,
            part,
        )
    customer = await insert("INSERT INTO customers (email) VALUES ('shopper@example.com')")
    return Store(aconn, parts, offers, customer)


async def a_day_by_hand(store: Store) -> None:
    """The day of DAY, by hand (see the expected figures in the test)."""
    noon = DAY + timedelta(hours=12)
    o1 = await store.order(noon, [("A", 2, "50.00", "30.00"), ("B", 1, "100.00", "70.00")])
    o2 = await store.order(noon, [("A", 1, "50.00", "30.00"), ("C", 1, "20.00", None)])
    await store.order(noon, [("A", 9, "50.00", "30.00")], status="cancelled")  # not sold
    await store.order(noon, [("B", 9, "100.00", "70.00")], payment="pending")  # not paid
    earlier = await store.order(DAY - timedelta(hours=3), [("B", 1, "100.00", "70.00")])
    await store.return_(o1[0], "wrong_fit", noon)
    await store.return_(o2[0], "defective", noon)
    await store.return_(earlier[0], "wrong_fit", noon)  # sold the day before, returned today
    await store.return_(earlier[0], "other", DAY - timedelta(hours=1))  # before the period

    conn = store.conn

    async def event(agent: str, kind: str, outcome: str) -> int:
        return int(
            await one(
                conn,
                "INSERT INTO agent_events (agent, decision_type, outcome, created_at)"
                " VALUES (%s, %s, %s, %s) RETURNING id",
                agent,
                kind,
                outcome,
                noon,
            )
        )

    for outcome in ("accepted", "accepted", "held"):
        held = await event("Pricing", "price.change", outcome)
    fitment = [await event("Fitment", "fitment.correction", "held") for _ in range(2)]

    async def review(agent: str, kind: str, event_id: int, status: str) -> None:
        resolved = noon if status != "open" else None
        await conn.execute(
            "INSERT INTO reviews (event_id, kind, reason, status, agent, resolved_at)"
            " VALUES (%s, %s, 'test', %s, %s, %s)",
            (event_id, kind, status, agent, resolved),
        )

    await review("Pricing", "price.change", held, "approved")
    await review("Fitment", "fitment.correction", fitment[0], "approved")
    await review("Fitment", "fitment.correction", fitment[1], "rejected")
    await review("Fitment", "fitment.correction", fitment[1], "open")

    calls = [
        ("Support", "model-one", "0.010000", 100, 50),
        ("Support", "model-one", "0.010000", 100, 50),
        ("Support", "model-two", None, 10, 5),
        ("Pricing", "model-one", "0.005000", 40, 20),
    ]
    for agent, model, cost, tokens_in, tokens_out in calls:
        await conn.execute(
            "INSERT INTO llm_calls (agent, provider, model_requested, model_used, tokens_in,"
            " tokens_out, cost_usd, outcome, created_at) VALUES (%s, 'test', %s, %s, %s, %s,"
            " %s, 'ok', %s)",
            (agent, model, model, tokens_in, tokens_out, cost, noon),
        )


async def test_a_days_figures_match_the_hand_computed_ones(store: Store) -> None:
    await a_day_by_hand(store)
    m = await period_metrics(store.conn, DAY, NEXT)

    # Sold: orders 1 and 2 (the cancelled and the unpaid ones are not sales).
    assert (m.sales.orders, m.sales.lines, m.sales.units) == (2, 4, 5)
    assert m.sales.revenue == 270.00  # 2×50 + 100 + 50 + 20
    assert m.sales.margin == 90.00  # 2×20 + 30 + 20; part C has no cost
    assert m.sales.margin_rate == 0.36  # 90 / 250 of costed revenue
    assert m.sales.uncosted_lines == 1
    assert m.lines_sold == 4

    by_reason = {r.reason: (r.returns, r.rate) for r in m.returns_by_reason}
    assert by_reason == {
        "wrong_fit": (2, 0.5),
        "defective": (1, 0.25),
        "not_needed": (0, 0.0),
        "damaged": (0, 0.0),
        "other": (0, 0.0),  # the 'other' return was opened the day before
    }
    assert (m.return_rate, m.wrong_fit_rate) == (0.75, 0.5)

    def groups(dimension: str) -> dict[str, tuple[int, int, float | None]]:
        return {
            g.name: (g.lines_sold, g.wrong_fit_returns, g.rate) for g in m.wrong_fit_by[dimension]
        }

    assert groups("part_type") == {"TestPads": (2, 1, 0.5), "TestRotor": (2, 1, 0.5)}
    assert groups("brand") == {"BrandX": (3, 1, 0.3333), "BrandY": (1, 1, 1.0)}
    assert groups("supplier") == {"SupplierOne": (3, 1, 0.3333), "SupplierTwo": (1, 1, 1.0)}

    reviews = {(r.agent, r.decision_type): r for r in m.reviews}
    pricing = reviews[("Pricing", "price.change")]
    assert (pricing.decisions, pricing.accepted, pricing.held) == (3, 2, 1)
    assert (pricing.reviews_decided, pricing.approved, pricing.approval_rate) == (1, 1, 1.0)
    fitment = reviews[("Fitment", "fitment.correction")]
    assert (fitment.decisions, fitment.held, fitment.reviews_decided) == (2, 2, 2)
    assert (fitment.approved, fitment.review_rejected, fitment.approval_rate) == (1, 1, 0.5)

    spend = {(s.agent, s.model): (s.calls, s.cost_usd, s.unpriced_calls) for s in m.llm_spend}
    assert spend == {
        ("Support", "model-one"): (2, 0.02, 0),
        ("Pricing", "model-one"): (1, 0.005, 0),
        ("Support", "model-two"): (1, 0.0, 1),
    }
    assert m.llm_cost_usd == 0.025
    assert [(d.day, d.orders, d.revenue, d.returns) for d in m.days] == [(DAY.date(), 2, 270.0, 3)]


async def steady_week(store: Store) -> None:
    """Seven days before DAY, each with 3 or 4 orders of one line of part A at 50.00."""
    for back in range(1, 8):
        at = DAY - timedelta(days=back) + timedelta(hours=10)
        for _ in range(3 + back % 2):
            await store.order(at, [("A", 1, "50.00", "30.00")])


async def test_a_spike_in_orders_is_flagged_and_a_calm_day_is_not(store: Store) -> None:
    await steady_week(store)
    for _ in range(4):
        await store.order(DAY + timedelta(hours=9), [("A", 1, "50.00", "30.00")])
    _, _, calm = await store_period_report(store.conn, DAY, NEXT)
    assert calm.anomalies == []
    assert "Nothing unusual" in calm.summary

    for _ in range(26):  # 30 orders in the day against a mean of 3.6
        await store.order(DAY + timedelta(hours=15), [("A", 1, "50.00", "30.00")])
    report_id, metrics, spiked = await store_period_report(store.conn, DAY, NEXT)
    flagged = {a.metric: a for a in spiked.anomalies}
    assert {"orders", "revenue", "margin"} <= set(flagged)
    orders = flagged["orders"]
    assert (orders.value, orders.direction, orders.baseline_days) == (30, "above", 7)
    assert orders.mean == pytest.approx(25 / 7, abs=1e-4)  # 4+3+4+3+4+3+4 over 7 days
    assert "orders per day 30.0" in spiked.summary
    assert grounded(spiked.summary, spiked.summary)
    assert metrics.sales.orders == 30
    # Re-running the period replaces its report: still one row for the day.
    stored = await one(
        store.conn, "SELECT count(*) FROM analytics_reports WHERE period_start = %s", DAY
    )
    assert stored == 1
    anomalies = await one(
        store.conn,
        "SELECT jsonb_array_length(anomalies) FROM analytics_reports WHERE id = %s",
        report_id,
    )
    assert anomalies == len(spiked.anomalies)


def test_the_written_summary_is_used_only_when_its_numbers_are_the_figures() -> None:
    facts = "2026-11-20: 30 orders, $1,500.00 revenue, 12 returns (40.0% of lines sold)."
    assert grounded("Thirty orders: 30, revenue $1,500.00, 40.0% returned.", facts)
    assert not grounded("30 orders and $9,999.00 revenue.", facts)
    assert not grounded("", facts)


def test_the_period_defaults_to_the_day_before_and_bad_input_says_what_to_give() -> None:
    at = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
    assert resolve_period({}, at) == (datetime(2026, 12, 2, tzinfo=UTC), at.replace(hour=0))
    start, end = resolve_period({"days": 7}, at)
    assert (end - start).days == 7 and end == at.replace(hour=0)
    assert resolve_period({"start": "2026-11-01", "end": "2026-11-08"}, at)[0].day == 1
    with pytest.raises(InvalidInputError, match="YYYY-MM-DD"):
        resolve_period({"start": "last week"}, at)
    with pytest.raises(InvalidInputError, match="after the start"):
        resolve_period({"start": "2026-11-08", "end": "2026-11-01"}, at)
    with pytest.raises(InvalidInputError, match="whole number"):
        resolve_period({"days": 0}, at)


async def test_the_scheduled_workflow_reports_the_day_before_its_period(
    db_url: str, store: Store
) -> None:
    await a_day_by_hand(store)
    conn = store.conn
    registry = WorkflowRegistry([NIGHTLY_ANALYTICS])
    await set_schedule(conn, "nightly_analytics", cron="0 3 * * *", workflow="nightly_analytics")
    (fired,) = (await tick(conn, registry, NEXT + timedelta(hours=3, minutes=1))).fired

    engine = Engine(registry)
    worker = Worker(db_url, engine.task_registry(), WorkerOptions(concurrency=2, poll_seconds=0.05))
    running = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(60):
            while await one(
                conn, "SELECT status FROM workflows WHERE id = %s", fired.workflow_id
            ) not in ("completed", "failed"):
                await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await running
    cur = await conn.execute(
        "SELECT period_start, period_end, metrics, summary, workflow_id FROM analytics_reports"
    )
    (report,) = await cur.fetchall()
    assert (report["period_start"], report["period_end"]) == (DAY, NEXT)
    assert report["workflow_id"] == fired.workflow_id
    assert report["metrics"]["sales"]["revenue"] == 270.0
    assert report["summary"].startswith("2026-11-20: 2 orders, $270.00 revenue")
    event = await one(
        conn,
        "SELECT count(*) FROM agent_events WHERE agent = 'Analytics' AND workflow_id = %s",
        fired.workflow_id,
    )
    assert event == 1
