"""`wrong_fit_return` on the real database with a real worker: a customer's wrong fit is
triaged by the Fitment agent, waits for a person, and the approved correction changes
the fitment rows the shop shows; repeated wrong fits lower the rows' confidence."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import dict_row

from automechanica.catalog.fitment import VehicleQuery, check_fit
from automechanica.commerce.returns import request_return, set_return_workflow
from automechanica.errors import ConflictError, NotFoundError
from automechanica.orchestrator import Engine, decide, list_reviews, start_workflow
from automechanica.orchestrator.services import Services
from automechanica.orchestrator.workflows import review_actions, workflow_registry
from automechanica.orchestrator.workflows.returns import WRONG_FIT_RETURN
from automechanica.queue import Worker, WorkerOptions
from tests.integration import order_fixtures as store

Conn = psycopg.AsyncConnection[Any]

# A base vehicle whose configurations differ in engine (and have no EV among them).
BASE_WITH_TWO_ENGINES = """
SELECT bv.id, bv.year, ma.name AS make, mo.name AS model, bv.model_id,
       array_agg(v.id ORDER BY v.engine_liters, v.id) AS vehicles,
       array_agg(v.engine_liters ORDER BY v.engine_liters, v.id) AS engines
FROM base_vehicles bv JOIN vehicles v ON v.base_vehicle_id = bv.id
JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id
WHERE v.engine_liters IS NOT NULL
GROUP BY bv.id, ma.name, mo.name
HAVING count(DISTINCT v.engine_liters) = 2 AND count(*) FILTER (WHERE v.fuel = 'Electric') = 0
ORDER BY count(*) DESC, bv.id LIMIT 1
"""


@pytest.fixture
async def aconn(db_url: str) -> AsyncIterator[Conn]:
    async with await psycopg.AsyncConnection.connect(
        db_url, autocommit=True, row_factory=dict_row
    ) as conn:
        yield conn


async def _run_until(db_url: str, conn: Conn, workflow_id: UUID, *states: str) -> dict[str, Any]:
    engine = Engine(workflow_registry(), Services(db_url))
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


async def _fitment(conn: Conn, part_id: int, base_id: int, confidence: float = 0.9) -> int:
    row = await (
        await conn.execute(
            "INSERT INTO fitments (part_id, part_type_id, base_vehicle_id, source, confidence)"
            " SELECT id, part_type_id, %s, 'feed:acme', %s FROM parts WHERE id = %s RETURNING id",
            (base_id, confidence, part_id),
        )
    ).fetchone()
    assert row is not None
    return int(row["id"])


async def _return(conn: Conn, placed: dict[str, Any], email: str) -> tuple[int, UUID]:
    """What the API does: the return and its workflow in one transaction."""
    async with conn.transaction():
        ret = await request_return(
            conn, placed["number"], placed["lines"][0], "wrong_fit", email=email,
            notes="the plug is on the other side",
        )  # fmt: skip
        workflow_id = await start_workflow(
            conn, WRONG_FIT_RETURN, {"return_id": ret["id"]},
            idempotency_key=f"wrong_fit_return:{ret['id']}",
        )  # fmt: skip
        await set_return_workflow(conn, ret["id"], workflow_id)
    return ret["id"], workflow_id


async def _row(conn: Conn, fitment_id: int) -> dict[str, Any]:
    cur = await conn.execute(
        "SELECT engine_liters, confidence, status FROM fitments WHERE id = %s", (fitment_id,)
    )
    row = await cur.fetchone()
    assert row is not None
    return dict(row)


async def test_wrong_fits_are_triaged_reviewed_and_change_the_fitment(
    db_url: str, aconn: Conn
) -> None:
    base = dict(await (await aconn.execute(BASE_WITH_TWO_ENGINES)).fetchone() or {})
    assert base, "the test vehicles need a base vehicle with two engines"
    returned_car = base["vehicles"][0]  # the smaller engine
    other_engine = base["engines"][-1]
    other_car = base["vehicles"][-1]
    acme = await store.supplier(aconn, "acme")
    part = await store.part(aconn, "AL-7", "Alternator")
    await store.offer(aconn, acme, part, {"east": 50})
    row = await _fitment(aconn, part, base["id"])  # any configuration: too broad
    buyers = []
    for n in range(10):  # ten sold for cars on this base vehicle, two come back
        buyers.append(
            await store.order(
                aconn,
                [(part, 1, "199.00", "0")],
                email=f"buyer{n}@example.com",
                vehicle_id=returned_car if n < 2 else other_car,
                status="delivered",
            )
        )

    first, first_workflow = await _return(aconn, buyers[0], "buyer0@example.com")
    assert (await _run_until(db_url, aconn, first_workflow, "waiting"))["status"] == "waiting"
    (review,) = await list_reviews(aconn, kind="fitment.correction")
    assert review.proposed["kind"] == "customer_error"  # one return, a strong feed row
    assert review.agent == "Fitment" and review.subject_id == str(first)
    assert any(e["kind"] == "fitment" and e["ref"] == str(row) for e in review.evidence)
    await decide(aconn, review.id, "approve", reviewer="op@example.com",
                 workflows=workflow_registry(), actions=review_actions())  # fmt: skip
    done = await _run_until(db_url, aconn, first_workflow, "completed")
    assert done["output"]["decision"] == "approved"
    assert (await _row(aconn, row))["status"] == "published"

    second, second_workflow = await _return(aconn, buyers[1], "buyer1@example.com")
    await _run_until(db_url, aconn, second_workflow, "waiting")
    (review,) = await list_reviews(aconn, kind="fitment.correction")
    assert review.proposed["kind"] == "add_qualifier"
    assert review.proposed["fitment_ids"] == [row]
    # Two wrong fits in ten sold: the row's confidence is at most 1 - 2/10.
    assert (await _row(aconn, row))["confidence"] == pytest.approx(0.8)

    await decide(aconn, review.id, "approve", reviewer="op@example.com",
                 workflows=workflow_registry(), actions=review_actions())  # fmt: skip
    await _run_until(db_url, aconn, second_workflow, "completed")

    returned = await check_fit(aconn, part, VehicleQuery(vehicle_id=returned_car))
    still = await check_fit(aconn, part, VehicleQuery(vehicle_id=other_car))
    assert returned.verdict == "does_not_fit", returned.explanation
    assert still.verdict == "fits", still.explanation
    if "engine_liters" in review.proposed["constraint"]:
        assert float((await _row(aconn, row))["engine_liters"]) == float(other_engine)
    cur = await aconn.execute(
        "SELECT r.id, r.status, i.kind, i.status AS issue FROM returns r"
        " JOIN fitment_issues i ON i.return_id = r.id ORDER BY r.id"
    )
    assert await cur.fetchall() == [
        {"id": first, "status": "authorized", "kind": "customer_error", "issue": "resolved"},
        {"id": second, "status": "authorized", "kind": "add_qualifier", "issue": "resolved"},
    ]


async def test_a_rejected_correction_changes_nothing_and_still_authorizes(
    db_url: str, aconn: Conn
) -> None:
    base = dict(await (await aconn.execute(BASE_WITH_TWO_ENGINES)).fetchone() or {})
    part = await store.part(aconn, "AL-8", "Alternator")
    row = await _fitment(aconn, part, base["id"], confidence=0.6)
    placed = await store.order(aconn, [(part, 1, "199.00", "0")], vehicle_id=base["vehicles"][0],
                               status="shipped")  # fmt: skip
    ret, workflow_id = await _return(aconn, placed, "shopper@example.com")
    await _run_until(db_url, aconn, workflow_id, "waiting")
    (review,) = await list_reviews(aconn, kind="fitment.correction")
    assert review.proposed["kind"] == "remove_rows"  # one weak source
    await decide(aconn, review.id, "reject", reviewer="op", note="the feed is right",
                 workflows=workflow_registry(), actions=review_actions())  # fmt: skip
    await _run_until(db_url, aconn, workflow_id, "completed")
    assert (await _row(aconn, row))["status"] == "published"
    cur = await aconn.execute(
        "SELECT r.status, i.kind, i.description FROM returns r"
        " JOIN fitment_issues i ON i.return_id = r.id WHERE r.id = %s",
        (ret,),
    )
    assert await cur.fetchall() == [
        {"status": "authorized", "kind": "correction_rejected",
         "description": "the proposed correction was rejected in review: the feed is right"}
    ]  # fmt: skip


async def test_only_the_orders_own_customer_may_return_a_line_once(aconn: Conn) -> None:
    part = await store.part(aconn, "AL-9", "Alternator")
    placed = await store.order(aconn, [(part, 1, "199.00", "0")], status="delivered")
    unrouted = await store.order(aconn, [(part, 1, "199.00", "0")])
    line = placed["lines"][0]
    with pytest.raises(NotFoundError):
        await request_return(aconn, placed["number"], line, "defective", email="x@example.com")
    with pytest.raises(NotFoundError):
        await request_return(aconn, placed["number"], line, "defective", user_id=1)
    with pytest.raises(NotFoundError):  # a line of another order
        await request_return(aconn, placed["number"], unrouted["lines"][0], "defective",
                             email="shopper@example.com")  # fmt: skip
    with pytest.raises(Exception, match="once the order has been routed"):
        await request_return(aconn, unrouted["number"], unrouted["lines"][0], "defective",
                             email="shopper@example.com")  # fmt: skip
    ret = await request_return(
        aconn, placed["number"], line, "defective", email=" Shopper@Example.com "
    )
    assert ret["status"] == "authorized"  # not a wrong fit: no triage
    with pytest.raises(ConflictError):
        await request_return(aconn, placed["number"], line, "wrong_fit",
                             email="shopper@example.com")  # fmt: skip
