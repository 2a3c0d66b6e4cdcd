"""`supplier_feed_onboarding` on the real database with a real worker: a file in our own
words goes straight through; an unsure layout waits for a person, and the decision
becomes the supplier's profile."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import dict_row

from automechanica.orchestrator import Engine, decide, list_reviews, start_workflow
from automechanica.orchestrator.services import Services
from automechanica.orchestrator.workflows import (
    review_actions,
    review_followups,
    workflow_registry,
)
from automechanica.orchestrator.workflows.onboarding import ONBOARDING
from automechanica.queue import Worker, WorkerOptions

Conn = psycopg.AsyncConnection[Any]
LAYOUTS = Path(__file__).resolve().parents[2] / "evals" / "layouts"


@pytest.fixture
async def aconn(db_url: str) -> AsyncIterator[Conn]:
    async with await psycopg.AsyncConnection.connect(
        db_url, autocommit=True, row_factory=dict_row
    ) as conn:
        yield conn


async def _status(conn: Conn, workflow_id: UUID) -> dict[str, Any]:
    cur = await conn.execute(
        "SELECT status, output, error FROM workflows WHERE id = %s", (workflow_id,)
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def _run_until(db_url: str, conn: Conn, workflow_id: UUID, *states: str) -> dict[str, Any]:
    engine = Engine(workflow_registry(), Services(db_url))
    worker = Worker(db_url, engine.task_registry(), WorkerOptions(poll_seconds=0.05))
    running = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(120):
            while (row := await _status(conn, workflow_id))["status"] not in states:
                await asyncio.sleep(0.05)
    except TimeoutError:
        cur = await conn.execute(
            "SELECT payload->>'step' AS step, status, attempts, last_error FROM tasks "
            "WHERE workflow_id = %s ORDER BY id",
            (workflow_id,),
        )
        pytest.fail(f"the workflow never reached {states}: {await cur.fetchall()}")
    finally:
        worker.stop()
        await running
    return row


async def _offers(conn: Conn, supplier: str) -> int:
    cur = await conn.execute(
        "SELECT count(*) AS n FROM supplier_parts o JOIN suppliers s ON s.id = o.supplier_id "
        "WHERE s.name = %s",
        (supplier,),
    )
    return int((await cur.fetchone() or {})["n"])


async def test_a_row_per_vehicle_file_is_onboarded_with_every_vehicle(
    db_url: str, aconn: Conn, tmp_path: Path
) -> None:
    path = tmp_path / "atlas.csv"
    shutil.copy(LAYOUTS / "row_per_vehicle_ymm.csv", path)
    workflow_id = await start_workflow(aconn, ONBOARDING, {"path": str(path), "supplier": "Atlas"})
    row = await _run_until(db_url, aconn, workflow_id, "completed", "failed", "waiting")
    assert row["status"] == "completed", row
    imported = row["output"]["import"]
    assert imported["offers"] > 0 and imported["rows_rejected"] == 0
    assert sum(row["output"]["product_pages"].values()) == imported["parts_created"]
    cur = await aconn.execute(
        "SELECT count(DISTINCT f.base_vehicle_id) AS n FROM fitments f "
        "JOIN parts p ON p.id = f.part_id WHERE p.mpn_normalized = 'PH7317'"
    )
    assert (await cur.fetchone() or {})["n"] >= 2  # the repeated SKU kept each vehicle
    cur = await aconn.execute(
        "SELECT decision_type, outcome FROM agent_events WHERE workflow_id = %s ORDER BY id",
        (workflow_id,),
    )
    events = await cur.fetchall()
    assert events[0] == {"decision_type": "feed.layout_mapping", "outcome": "accepted"}


async def test_an_unsure_layout_waits_for_a_person_and_is_remembered(
    db_url: str, aconn: Conn, tmp_path: Path
) -> None:
    path = tmp_path / "prices.csv"
    shutil.copy(LAYOUTS / "unlabelled_prices.csv", path)
    given = {"path": str(path), "supplier": "Prices Inc"}
    workflow_id = await start_workflow(aconn, ONBOARDING, given)
    row = await _run_until(db_url, aconn, workflow_id, "waiting", "completed", "failed")
    assert row["status"] == "waiting", row
    assert await _offers(aconn, "prices inc") == 0  # nothing stored while it waits
    (review,) = await list_reviews(aconn)
    assert review.kind == "feed.layout_mapping" and review.subject_id == "prices inc"
    assert any("Price" in e["ref"] for e in review.evidence)  # the columns it weighed
    corrected = dict(review.proposed)
    corrected["fields"] = dict(corrected["fields"])
    for name, source in {
        "cost": "Price2",
        "jobber": "Price4",
        "map": "Price3",
        "msrp": "Price1",
    }.items():
        corrected["fields"][name] = {"source": source, "confidence": 1.0, "reason": "by hand"}
    await decide(
        aconn,
        review.id,
        "edit",
        reviewer="ops",
        workflows=workflow_registry(),
        actions=review_actions(),
        value=corrected,
    )
    row = await _run_until(db_url, aconn, workflow_id, "completed", "failed")
    assert row["status"] == "completed", row
    cur = await aconn.execute(
        "SELECT o.cost FROM supplier_parts o JOIN parts p ON p.id = o.part_id "
        "WHERE p.mpn_normalized = 'PH7317'"
    )
    assert str((await cur.fetchone() or {})["cost"]) == "4.10"
    # The next file from this supplier is read by the confirmed profile: no review.
    again = await start_workflow(aconn, ONBOARDING, given)
    row = await _run_until(db_url, aconn, again, "completed", "failed", "waiting")
    assert row["status"] == "completed", row
    assert len(await list_reviews(aconn, status=None)) == 1


async def test_a_rejected_layout_ends_the_run_and_stores_nothing(
    db_url: str, aconn: Conn, tmp_path: Path
) -> None:
    path = tmp_path / "prices.csv"
    shutil.copy(LAYOUTS / "unlabelled_prices.csv", path)
    workflow_id = await start_workflow(aconn, ONBOARDING, {"path": str(path), "supplier": "P2"})
    await _run_until(db_url, aconn, workflow_id, "waiting", "failed")
    (review,) = await list_reviews(aconn)
    await decide(
        aconn,
        review.id,
        "reject",
        reviewer="ops",
        workflows=workflow_registry(),
        note="wrong file",
    )
    row = await _run_until(db_url, aconn, workflow_id, "completed", "failed")
    assert row["status"] == "failed" and "rejected" in row["error"]
    assert await _offers(aconn, "p2") == 0


async def test_a_missing_file_fails_the_run_with_the_reason(db_url: str, aconn: Conn) -> None:
    workflow_id = await start_workflow(
        aconn, ONBOARDING, {"path": "/nowhere/feed.csv", "supplier": "x"}
    )
    row = await _run_until(db_url, aconn, workflow_id, "completed", "failed")
    assert row["status"] == "failed" and "no such file" in row["error"]


UNTYPED = """sku,brand,part_number,cost,title
T-1,Fram,PH9999,4.10,Fram Extra Guard Engine Oil Filter
T-2,Wagner,ZX100,20.00,Wagner ThermoQuiet Ceramic Front Disc Brake Pad Set
T-3,Zyntrax,ZY-1,5.00,Zyntrax 22 inch beam wiper blade
"""


async def _part_type_of(conn: Conn, mpn: str) -> str | None:
    cur = await conn.execute(
        "SELECT t.name FROM parts p JOIN part_types t ON t.id = p.part_type_id "
        "WHERE p.mpn_normalized = %s",
        (mpn,),
    )
    row = await cur.fetchone()
    return str(row["name"]) if row else None


async def test_untyped_rows_are_typed_and_an_unknown_brand_waits_for_a_person(
    db_url: str, aconn: Conn, tmp_path: Path
) -> None:
    path = tmp_path / "untyped.csv"
    path.write_text(UNTYPED)
    given = {"path": str(path), "supplier": "Newline"}
    first = await start_workflow(aconn, ONBOARDING, given)
    row = await _run_until(db_url, aconn, first, "completed", "failed", "waiting")
    assert row["status"] == "completed", row
    assert row["output"]["import"]["rows_rejected"] == 1  # the unknown brand's row
    assert await _part_type_of(aconn, "PH9999") == "Oil Filter"
    assert await _part_type_of(aconn, "ZX100") == "Brake Pads"
    (held,) = await list_reviews(aconn)
    assert held.kind in {"catalog.new_brand", "catalog.brand_match"}
    assert held.subject_id == "Zyntrax" and held.proposed["action"] != "match"
    cur = await aconn.execute(
        "SELECT decision_type, outcome FROM agent_events WHERE workflow_id = %s "
        "AND decision_type LIKE 'catalog.%%' ORDER BY id",
        (first,),
    )
    events = await cur.fetchall()
    assert {"decision_type": held.kind, "outcome": "held"} in events
    assert sum(e["decision_type"] == "catalog.part_type" for e in events) == 3

    # A person says: a brand we have never carried. That was the run's last open item
    # review, so the same file is onboarded again by itself and the held row comes in.
    await decide(
        aconn,
        held.id,
        "edit",
        reviewer="ops",
        workflows=workflow_registry(),
        actions=review_actions(),
        followups=review_followups(),
        value={"action": "new_brand", "brand": "Zyntrax"},
    )
    again = await _started_with_key(aconn, f"reimport:{first}")
    assert again is not None, "deciding the last held brand started no re-import"
    row = await _run_until(db_url, aconn, again, "completed", "failed", "waiting")
    assert row["status"] == "completed" and row["output"]["import"]["rows_rejected"] == 0
    assert "Wiper" in (await _part_type_of(aconn, "ZY1") or "")
    assert await list_reviews(aconn) == []


async def _started_with_key(conn: Conn, key: str) -> UUID | None:
    cur = await conn.execute("SELECT id FROM workflows WHERE idempotency_key = %s", (key,))
    row = await cur.fetchone()
    return row["id"] if row else None


async def test_a_refused_brand_brings_no_reimport_and_is_not_asked_again(
    db_url: str, aconn: Conn, tmp_path: Path
) -> None:
    path = tmp_path / "untyped.csv"
    path.write_text(UNTYPED)
    given = {"path": str(path), "supplier": "Newline"}
    first = await start_workflow(aconn, ONBOARDING, given)
    await _run_until(db_url, aconn, first, "completed", "failed", "waiting")
    (held,) = await list_reviews(aconn)
    await decide(
        aconn,
        held.id,
        "reject",
        reviewer="ops",
        workflows=workflow_registry(),
        actions=review_actions(),
        followups=review_followups(),
    )
    assert await _started_with_key(aconn, f"reimport:{first}") is None
    # Onboarding the file again on purpose as a re-import of that run: the refused
    # brand's row stays out and nobody is asked about it a second time.
    again = await start_workflow(aconn, ONBOARDING, given | {"reimport_of": str(first)})
    row = await _run_until(db_url, aconn, again, "completed", "failed", "waiting")
    assert row["status"] == "completed" and row["output"]["import"]["rows_rejected"] == 1
    assert await list_reviews(aconn) == []


def _ymm_file(path: Path, sku: str, number: str, title: str) -> Path:
    rows = [
        f"{sku},Fram,{number},Oil Filter,{title},{year},Honda,Civic,4.10"
        for year in (2012, 2013, 2014)
    ]
    path.write_text(
        "SKU,Brand,Part Number,Part Type,Title,Year,Make,Model,Cost\n" + "\n".join(rows)
    )
    return path


async def test_the_same_part_under_another_number_is_an_interchange_candidate(
    db_url: str, aconn: Conn, tmp_path: Path
) -> None:
    first = _ymm_file(tmp_path / "a.csv", "A-1", "PH3614", "Fram Extra Guard Oil Filter")
    second = _ymm_file(tmp_path / "b.csv", "B-1", "XG3614", "FRAM Extra Guard Oil Filter 3614")
    # Another product line of the same brand for the same cars is another part.
    third = _ymm_file(tmp_path / "c.csv", "C-1", "TG3614", "Fram Tough Guard Oil Filter")
    flagged = []
    for path, supplier in ((first, "Alpha"), (second, "Beta"), (third, "Gamma")):
        run = await start_workflow(aconn, ONBOARDING, {"path": str(path), "supplier": supplier})
        row = await _run_until(db_url, aconn, run, "completed", "failed", "waiting")
        assert row["status"] == "completed", row
        flagged.append(row["output"]["interchange_candidates"])
    assert flagged == [0, 1, 0]
    (review,) = await list_reviews(aconn, kind="catalog.interchange")
    assert {review.proposed["part_number"], review.proposed["other_number"]} == {
        "PH3614",
        "XG3614",
    }
    assert review.proposed["vehicles"] >= 1 and "alike" in (review.rationale or "")
    await decide(
        aconn,
        review.id,
        "approve",
        reviewer="ops",
        workflows=workflow_registry(),
        actions=review_actions(),
    )
    cur = await aconn.execute(
        "SELECT p.mpn_normalized AS mine, i.mpn_normalized AS other FROM part_interchange i "
        "JOIN parts p ON p.id = i.part_id ORDER BY 1"
    )
    assert await cur.fetchall() == [
        {"mine": "PH3614", "other": "XG3614"},
        {"mine": "XG3614", "other": "PH3614"},
    ]
