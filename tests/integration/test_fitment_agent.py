"""The Fitment agent on real vehicles: impossible configurations and contradicting
suppliers are held with the reason, agreeing suppliers raise confidence, wrong-fit
returns lower it, and the explanation a shopper reads says only what the evidence does."""

from __future__ import annotations

from typing import Any

import psycopg

from automechanica.catalog.fitment import VehicleQuery, check_fit
from automechanica.orchestrator.definitions import StepContext
from automechanica.orchestrator.workflows.fitment_review import fitment_batch

Conn = psycopg.AsyncConnection[Any]


async def _one(conn: Conn, query: str, params: tuple[Any, ...] = ()) -> dict[str, Any]:
    row = await (await conn.execute(query, params)).fetchone()
    assert row is not None
    return dict(row)


async def _vehicle(conn: Conn) -> dict[str, Any]:
    """A real base vehicle with configurations of at least two engines."""
    return await _one(
        conn,
        "SELECT bv.id, bv.year, ma.name AS make, mo.name AS model,"
        " min(v.engine_liters) AS liters, count(*) AS configs"
        " FROM base_vehicles bv JOIN makes ma ON ma.id = bv.make_id"
        " JOIN models mo ON mo.id = bv.model_id JOIN vehicles v ON v.base_vehicle_id = bv.id"
        " WHERE v.engine_liters IS NOT NULL GROUP BY bv.id, ma.name, mo.name"
        " HAVING count(DISTINCT v.engine_liters) >= 2 ORDER BY bv.id LIMIT 1",
    )


async def _part(conn: Conn) -> int:
    row = await _one(
        conn,
        "INSERT INTO parts (brand_id, part_number, mpn_normalized, part_type_id, title)"
        " SELECT b.id, 'BP-1', 'BP1', t.id, 'Brake pads' FROM brands b, part_types t"
        " WHERE b.name = 'Bosch' AND t.name = 'Brake Pads' RETURNING id",
    )
    return int(row["id"])


async def _supplier(conn: Conn, name: str) -> int:
    row = await _one(
        conn,
        "INSERT INTO suppliers (name, display_name) VALUES (%s, %s) RETURNING id",
        (name, name.title()),
    )
    return int(row["id"])


async def _fitment(
    conn: Conn, part: int, vehicle: dict[str, Any], supplier: int, name: str, **columns: Any
) -> int:
    names = ", ".join(columns)
    marks = ", ".join(["%s"] * len(columns))
    row = await _one(
        conn,
        "INSERT INTO fitments (part_id, part_type_id, base_vehicle_id, source, supplier_id,"
        f" confidence{', ' + names if names else ''})"
        " SELECT p.id, p.part_type_id, %s, %s, %s, 0.85"
        f"{', ' + marks if marks else ''} FROM parts p WHERE p.id = %s RETURNING id",
        (vehicle["id"], f"feed:{name}", supplier, *columns.values(), part),
    )
    return int(row["id"])


async def _assess(conn: Conn, part: int) -> dict[str, int]:
    workflow = await _one(
        conn,
        "INSERT INTO workflows (kind, version, input, current_step)"
        " VALUES ('supplier_feed_onboarding', 2, '{}', 'fitment_review') RETURNING id",
    )
    task = await _one(
        conn, "INSERT INTO tasks (kind, payload) VALUES ('workflow.step', '{}') RETURNING id"
    )
    ctx = StepContext(
        conn=conn,
        workflow_id=workflow["id"],
        workflow="test",
        version=1,
        step_key="fitment_review",
        input={},
        results={},
        services=None,
        task_id=task["id"],
        attempt=1,
    )
    return await fitment_batch(ctx, [part])


async def _row(conn: Conn, fitment_id: int) -> dict[str, Any]:
    return await _one(
        conn, "SELECT confidence, status, explanation FROM fitments WHERE id = %s", (fitment_id,)
    )


async def test_an_engine_the_vehicle_never_had_is_held(conn: Conn) -> None:
    vehicle, part = await _vehicle(conn), await _part(conn)
    acme = await _supplier(conn, "acme")
    real = await _fitment(conn, part, vehicle, acme, "acme", engine_liters=vehicle["liters"])
    impossible = await _fitment(conn, part, vehicle, acme, "acme", engine_liters=9.9)
    result = await _assess(conn, part)
    assert result["fitment_rows_held"] == 1 and result["parts_with_fitment_problems"] == 1
    held = await _row(conn, impossible)
    assert held["status"] == "pending_review" and held["confidence"] <= 0.3
    name = f"{vehicle['year']} {vehicle['make']} {vehicle['model']}"
    assert held["explanation"] == (
        f"Held: no {name} configuration has 9.9L; a person should check the supplier's data."
    )
    kept = await _row(conn, real)
    assert kept["status"] == "published"
    assert kept["explanation"].startswith(f"Fits the {name}, with {vehicle['liters']}L")
    event = await _one(
        conn, "SELECT agent, outcome, subject_id FROM agent_events WHERE agent = 'Fitment'"
    )
    assert (event["outcome"], event["subject_id"]) == ("held", str(part))


async def test_agreeing_suppliers_raise_confidence(conn: Conn) -> None:
    vehicle, part = await _vehicle(conn), await _part(conn)
    one = await _fitment(conn, part, vehicle, await _supplier(conn, "acme"), "acme")
    await _fitment(conn, part, vehicle, await _supplier(conn, "northstar"), "northstar")
    await _assess(conn, part)
    row = await _row(conn, one)
    assert row["confidence"] > 0.85 and row["status"] == "published"
    assert "listed by 2 suppliers" in row["explanation"]
    # the shopper's fit check carries the agent's why
    check = await check_fit(
        conn,
        part,
        VehicleQuery(year=vehicle["year"], make=vehicle["make"], model=vehicle["model"]),
    )
    assert check.verdict == "fits"
    assert any(e.explanation and "listed by 2 suppliers" in e.explanation for e in check.evidence)


async def test_suppliers_that_contradict_each_other_are_held(conn: Conn) -> None:
    vehicle, part = await _vehicle(conn), await _part(conn)
    front = await _fitment(
        conn, part, vehicle, await _supplier(conn, "acme"), "acme", position="Front"
    )
    rear = await _fitment(
        conn, part, vehicle, await _supplier(conn, "northstar"), "northstar", position="Rear"
    )
    await _assess(conn, part)
    for fitment_id in (front, rear):
        row = await _row(conn, fitment_id)
        assert row["status"] == "pending_review"
        assert "sources disagree on the position" in row["explanation"]
        assert "acme says Front; northstar says Rear" in row["explanation"]


async def test_wrong_fit_returns_lower_confidence(conn: Conn) -> None:
    vehicle, part = await _vehicle(conn), await _part(conn)
    acme = await _supplier(conn, "acme")
    fitment_id = await _fitment(conn, part, vehicle, acme, "acme")
    configuration = await _one(
        conn, "SELECT id FROM vehicles WHERE base_vehicle_id = %s LIMIT 1", (vehicle["id"],)
    )
    for _ in range(2):
        await conn.execute(
            "INSERT INTO fitment_issues (part_id, vehicle_id, kind, description)"
            " VALUES (%s, %s, 'wrong_fit', 'did not fit')",
            (part, configuration["id"]),
        )
    await _assess(conn, part)
    row = await _row(conn, fitment_id)
    assert row["confidence"] < 0.6 and row["status"] == "pending_review"
    assert "2 wrong-fit returns on this vehicle" in row["explanation"]
