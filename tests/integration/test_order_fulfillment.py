"""`order_fulfillment` on the real database with a real worker: a paid order becomes one
purchase order (record and file) per supplier, routed in the fewest shipments; an
unpaid order gets none, whoever asks; an order stock cannot fill waits for a person."""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from automechanica.agents.order import OrderAgent
from automechanica.errors import InvalidInputError
from automechanica.orchestrator import Engine, decide, list_reviews, start_workflow
from automechanica.orchestrator.services import Services
from automechanica.orchestrator.workflows import review_actions, workflow_registry
from automechanica.orchestrator.workflows.fulfillment import ORDER_FULFILLMENT
from automechanica.queue import Worker, WorkerOptions
from tests.integration import order_fixtures as store

Conn = psycopg.AsyncConnection[Any]


@pytest.fixture
async def aconn(db_url: str) -> AsyncIterator[Conn]:
    async with await psycopg.AsyncConnection.connect(
        db_url, autocommit=True, row_factory=dict_row
    ) as conn:
        yield conn


async def _run_until(
    db_url: str, conn: Conn, workflow_id: UUID, data_dir: Path, *states: str
) -> dict[str, Any]:
    engine = Engine(workflow_registry(), Services(db_url, data_dir=data_dir))
    worker = Worker(db_url, engine.task_registry(), WorkerOptions(poll_seconds=0.05))
    running = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(60):
            while True:
                cur = await conn.execute(
                    "SELECT status, output, error FROM workflows WHERE id = %s", (workflow_id,)
                )
                row = await cur.fetchone()
                assert row is not None
                if row["status"] in states:
                    return dict(row)
                await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await running


async def _fulfil(db_url: str, conn: Conn, order_id: int, data_dir: Path, *states: str) -> Any:
    workflow_id = await start_workflow(
        conn,
        ORDER_FULFILLMENT,
        {"order_id": order_id},
        idempotency_key=f"order_fulfillment:{order_id}",
    )
    return await _run_until(db_url, conn, workflow_id, data_dir, *(states or ("completed",)))


async def _pos(conn: Conn, order_id: int) -> list[dict[str, Any]]:
    cur = await conn.execute(
        "SELECT s.name AS supplier, po.format, po.file_path, po.total_cost, po.status,"
        " (SELECT json_agg(json_build_object('line', l.order_line_id, 'warehouse', l.warehouse,"
        "  'quantity', l.quantity) ORDER BY l.order_line_id, l.warehouse)"
        "  FROM purchase_order_lines l WHERE l.purchase_order_id = po.id) AS lines"
        " FROM purchase_orders po JOIN suppliers s ON s.id = po.supplier_id"
        " WHERE po.order_id = %s ORDER BY s.name",
        (order_id,),
    )
    return list(await cur.fetchall())


async def _two_suppliers(conn: Conn) -> dict[str, int]:
    acme = await store.supplier(conn, "acme", "csv")
    bolt = await store.supplier(conn, "bolt", "json")
    alternator = await store.part(conn, "AL-100", "Alternator")
    pads = await store.part(conn, "BP-200", "Brake Pads")
    await store.offer(conn, acme, alternator, {"east": 4}, cost="120.00", core="45.00")
    await store.offer(conn, bolt, pads, {"west": 10}, cost="20.00")
    return {"acme": acme, "bolt": bolt, "alternator": alternator, "pads": pads}


async def test_a_paid_order_gets_one_purchase_order_per_supplier_and_its_files(
    db_url: str, aconn: Conn, tmp_path: Path
) -> None:
    s = await _two_suppliers(aconn)
    placed = await store.order(
        aconn, [(s["alternator"], 1, "199.99", "45.00"), (s["pads"], 2, "39.99", "0")]
    )

    done = await _fulfil(db_url, aconn, placed["id"], tmp_path)

    assert done["output"] == {"order_id": placed["id"], "purchase_orders": 2}
    pos = await _pos(aconn, placed["id"])
    assert [(p["supplier"], p["format"], p["status"]) for p in pos] == [
        ("acme", "csv", "written"),
        ("bolt", "json", "written"),
    ]
    alternator_line, pads_line = placed["lines"]
    assert pos[0]["lines"] == [{"line": alternator_line, "warehouse": "east", "quantity": 1}]
    assert pos[1]["lines"] == [{"line": pads_line, "warehouse": "west", "quantity": 2}]
    assert [str(p["total_cost"]) for p in pos] == ["120.00", "40.00"]

    with Path(pos[0]["file_path"]).open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert Path(pos[0]["file_path"]).parent == tmp_path / "purchase_orders" / "acme"
    assert [(r["part_number"], r["quantity"], r["supplier_sku"]) for r in rows] == [
        ("AL-100", "1", f"SKU-{s['acme']}-{s['alternator']}")
    ]
    document = json.loads(Path(pos[1]["file_path"]).read_text())
    assert document["order"] == placed["number"]
    assert [(r["part_number"], r["quantity"]) for r in document["lines"]] == [("BP-200", 2)]

    cur = await aconn.execute("SELECT status FROM orders WHERE id = %s", (placed["id"],))
    assert (await cur.fetchone()) == {"status": "routed"}
    cur = await aconn.execute(
        "SELECT status, actor FROM order_status_history WHERE order_id = %s ORDER BY id",
        (placed["id"],),
    )
    assert await cur.fetchall() == [
        {"status": "placed", "actor": "customer"},
        {"status": "routed", "actor": "order_agent"},
    ]
    cur = await aconn.execute(
        "SELECT order_line_id, deposit, status FROM core_returns ORDER BY order_line_id"
    )
    assert [(r["order_line_id"], str(r["deposit"]), r["status"]) for r in await cur.fetchall()] == [
        (alternator_line, "45.00", "awaiting_core")
    ]
    cur = await aconn.execute(
        "SELECT agent, decision_type, outcome, confidence FROM agent_events"
        " WHERE subject_kind = 'order' AND subject_id = %s",
        (str(placed["id"]),),
    )
    assert await cur.fetchall() == [
        {
            "agent": "Order",
            "decision_type": "order.routing",
            "outcome": "accepted",
            "confidence": 1.0,
        }
    ]


async def test_writing_twice_leaves_one_purchase_order_per_supplier(
    aconn: Conn, tmp_path: Path
) -> None:
    s = await _two_suppliers(aconn)
    placed = await store.order(
        aconn, [(s["alternator"], 1, "199.99", "45.00"), (s["pads"], 2, "39.99", "0")]
    )
    agent = OrderAgent()
    plan = (await agent.route(aconn, placed["id"])).output
    first = await agent.write_purchase_orders(aconn, placed["id"], plan, tmp_path)
    again = await agent.write_purchase_orders(aconn, placed["id"], plan, tmp_path)
    assert [w.id for w in again] == [w.id for w in first]
    assert len(await _pos(aconn, placed["id"])) == 2
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.*"))
    assert files == [
        f"purchase_orders/acme/{placed['number']}-ACME.csv",
        f"purchase_orders/bolt/{placed['number']}-BOLT.json",
    ]


async def test_an_unpaid_order_gets_no_purchase_order_whoever_asks(
    db_url: str, aconn: Conn, tmp_path: Path
) -> None:
    s = await _two_suppliers(aconn)
    unpaid = await store.order(aconn, [(s["pads"], 1, "39.99", "0")], paid=False)

    failed = await _fulfil(db_url, aconn, unpaid["id"], tmp_path, "failed", "completed")
    assert failed["status"] == "failed"
    assert "not paid (pending)" in failed["error"]

    agent = OrderAgent()  # straight to the agent, past the workflow's check
    plan = (await agent.route(aconn, unpaid["id"])).output
    with pytest.raises(InvalidInputError, match="not paid"):
        await agent.write_purchase_orders(aconn, unpaid["id"], plan, tmp_path)
    cur = await aconn.execute(  # and the SQL that inserts them, run by hand
        "INSERT INTO purchase_orders (order_id, supplier_id, format)"
        " SELECT o.id, %s, 'csv' FROM orders o WHERE o.id = %s AND o.payment_status = 'paid'",
        (s["bolt"], unpaid["id"]),
    )
    assert cur.rowcount == 0
    assert await _pos(aconn, unpaid["id"]) == []
    assert not list(tmp_path.rglob("*.csv")) and not list(tmp_path.rglob("*.json"))


async def test_routing_prefers_one_shipment_over_a_cheaper_split(
    db_url: str, aconn: Conn, tmp_path: Path
) -> None:
    acme = await store.supplier(aconn, "acme")
    bolt = await store.supplier(aconn, "bolt")
    starter = await store.part(aconn, "ST-1", "Starter Motor")
    filter_ = await store.part(aconn, "OF-1", "Oil Filter", "Fram")
    await store.offer(aconn, acme, starter, {"east": 3}, cost="80.00")  # cheaper
    await store.offer(aconn, bolt, starter, {"west": 1, "south": 5}, cost="95.00")
    await store.offer(aconn, bolt, filter_, {"south": 9, "west": 9}, cost="4.00")
    await store.offer(aconn, acme, filter_, {"north": 9}, cost="3.00")
    placed = await store.order(aconn, [(starter, 2, "150.00", "0"), (filter_, 3, "9.99", "0")])

    await _fulfil(db_url, aconn, placed["id"], tmp_path)

    pos = await _pos(aconn, placed["id"])
    assert [p["supplier"] for p in pos] == ["bolt"]
    assert pos[0]["lines"] == [
        {"line": placed["lines"][0], "warehouse": "south", "quantity": 2},
        {"line": placed["lines"][1], "warehouse": "south", "quantity": 3},
    ]


async def test_short_of_stock_waits_for_a_person_then_routes_or_cancels(
    db_url: str, aconn: Conn, tmp_path: Path
) -> None:
    acme = await store.supplier(aconn, "acme")
    starter = await store.part(aconn, "ST-9", "Starter Motor")
    await store.offer(aconn, acme, starter, {"east": 1}, cost="80.00")
    short = await store.order(aconn, [(starter, 2, "150.00", "0")])
    other = await store.order(aconn, [(starter, 2, "150.00", "0")])

    for placed in (short, other):
        waiting = await _fulfil(db_url, aconn, placed["id"], tmp_path, "waiting")
        assert waiting["status"] == "waiting"
    reviews = await list_reviews(aconn, kind="order.routing")
    assert [r.subject_id for r in reviews] == [str(short["id"]), str(other["id"])]
    assert reviews[0].proposed["unroutable"] == [short["lines"][0]]
    assert await _pos(aconn, short["id"]) == []

    await aconn.execute(  # stock came in; the person routes it again
        "UPDATE supplier_parts SET stock = %s WHERE part_id = %s", (Jsonb({"east": 5}), starter)
    )
    registry = workflow_registry()
    await decide(aconn, reviews[0].id, "approve", reviewer="op", workflows=registry,
                 actions=review_actions())  # fmt: skip
    await decide(aconn, reviews[1].id, "reject", reviewer="op", workflows=registry,
                 actions=review_actions(), note="customer called")  # fmt: skip
    for placed in (short, other):
        cur = await aconn.execute(
            "SELECT id FROM workflows WHERE idempotency_key = %s",
            (f"order_fulfillment:{placed['id']}",),
        )
        row = await cur.fetchone()
        assert row is not None
        await _run_until(db_url, aconn, row["id"], tmp_path, "completed", "failed")

    assert [p["lines"] for p in await _pos(aconn, short["id"])] == [
        [{"line": short["lines"][0], "warehouse": "east", "quantity": 2}]
    ]
    assert await _pos(aconn, other["id"]) == []
    cur = await aconn.execute(
        "SELECT id, status FROM orders WHERE id = ANY(%s) ORDER BY id",
        ([short["id"], other["id"]],),
    )
    assert [r["status"] for r in await cur.fetchall()] == ["routed", "cancelled"]
