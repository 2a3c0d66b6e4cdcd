"""Fitment text the parser could not read, read by the LLM router (a loopback server
speaking OpenAI's wire format) and checked against the text and the real vehicle base:
a right reading is stored once a person approves it, an invented or nonexistent vehicle
is refused and reported, and with no model the fragment goes to a person as it is."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from automechanica.agents.evaluation import EvalContext
from automechanica.agents.fitment import CONFLICT_CEILING, PAST_SHIFT
from automechanica.agents.fitment_text_llm_eval import eval_fitment_text_llm
from automechanica.catalog.feeds.importer import import_feed
from automechanica.config import Settings
from automechanica.db.connection import open_pool
from automechanica.errors import InvalidInputError
from automechanica.llm import Router, build_router
from automechanica.memory import EmbeddingWorker, PgVectorStore
from automechanica.orchestrator import Engine, start_workflow
from automechanica.orchestrator.definitions import StepContext
from automechanica.orchestrator.events import AgentEvent, record_event
from automechanica.orchestrator.reviews import decide, list_reviews
from automechanica.orchestrator.services import Services
from automechanica.orchestrator.workflows import review_actions, workflow_registry
from automechanica.orchestrator.workflows.fitment_review import fitment_batch
from automechanica.orchestrator.workflows.fitment_text import read_unresolved_fitment
from automechanica.orchestrator.workflows.onboarding import ONBOARDING
from automechanica.queue import Worker, WorkerOptions
from tests.integration.llm_servers import fake_servers, fakes, openai_ok
from tests.integration.llm_setup import llm_pool, make_router, router_catalog
from tests.integration.memory_fixtures import embedder

__all__ = ["embedder", "fake_servers", "fakes", "llm_pool"]

Conn = psycopg.AsyncConnection[Any]
Pool = AsyncConnectionPool[Any]
SUPPLIER = "textco"


async def _one(conn: Conn, query: str, params: tuple[Any, ...] = ()) -> dict[str, Any]:
    row = await (await conn.execute(query, params)).fetchone()
    assert row is not None
    return dict(row)


async def _model(conn: Conn, skip: str | None = None) -> dict[str, Any]:
    """A real make and model of the base, over three years or more, with a long name."""
    return await _one(
        conn,
        "SELECT ma.name AS make, mo.name AS model, min(bv.year) AS first, max(bv.year) AS last"
        " FROM base_vehicles bv JOIN makes ma ON ma.id = bv.make_id"
        " JOIN models mo ON mo.id = bv.model_id"
        " WHERE mo.name ~ '^[A-Za-z]{6,}$' AND ma.name ~ '^[A-Za-z]{4,}$'"
        " AND mo.name <> coalesce(%s, '')"
        " GROUP BY ma.name, mo.name HAVING max(bv.year) - min(bv.year) >= 2"
        " ORDER BY ma.name, mo.name LIMIT 1",
        (skip,),
    )


async def _years(conn: Conn, car: dict[str, Any], first: int, last: int) -> list[int]:
    cur = await conn.execute(
        "SELECT bv.year FROM base_vehicles bv JOIN makes ma ON ma.id = bv.make_id"
        " JOIN models mo ON mo.id = bv.model_id WHERE ma.name = %s AND mo.name = %s"
        " AND bv.year BETWEEN %s AND %s ORDER BY bv.year",
        (car["make"], car["model"], first, last),
    )
    return [r["year"] for r in await cur.fetchall()]


def _misspelled(name: str) -> str:
    """'Corolla' → 'Corola': one letter dropped, as people type."""
    return name[:3] + name[4:]


async def _import(conn: Conn, tmp_path: Path, fitment: str) -> int:
    path = tmp_path / "textco.csv"
    path.write_text(
        "sku,brand,mpn,title,part_type,cost,fitment\n"
        f"T-1,Bosch,BP100,Brake pads,Brake Pads,20.00,{fitment}\n",
        encoding="utf-8",
    )
    summary = await import_feed(conn, path, supplier=SUPPLIER)
    assert summary.offers == 1 and summary.fitments == 0
    assert any("not understood" in w.reason for w in summary.warning_list)
    return summary.report_id


async def _step(conn: Conn, db_url: str, report_id: int, router: Router | None) -> dict[str, Any]:
    workflow = await _one(
        conn,
        "INSERT INTO workflows (kind, version, input, current_step)"
        " VALUES ('supplier_feed_onboarding', 3, '{}', 'fitment_text') RETURNING id",
    )
    task = await _one(
        conn, "INSERT INTO tasks (kind, payload) VALUES ('workflow.step', '{}') RETURNING id"
    )
    ctx = StepContext(
        conn=conn,
        workflow_id=workflow["id"],
        workflow="supplier_feed_onboarding",
        version=3,
        step_key="fitment_text",
        input={"supplier": SUPPLIER, "path": "textco.csv"},
        results={"import": {"report_id": report_id}},
        services=Services(database_url=db_url, router=router),
        task_id=task["id"],
        attempt=1,
    )
    return await read_unresolved_fitment(ctx)


def _reading(*vehicles: dict[str, Any], confidence: float = 0.95) -> Any:
    body = {"vehicles": list(vehicles), "confidence": confidence, "reason": "read it"}
    return openai_ok(json.dumps(body))


def _router(fakes: Any, llm_pool: Pool) -> Router:
    return make_router(
        fakes, llm_pool, catalog=router_catalog(drop=("claude-haiku", "oa-big", "local"))
    )


async def _stored(conn: Conn) -> list[dict[str, Any]]:
    cur = await conn.execute(
        "SELECT bv.year, ma.name AS make, mo.name AS model, f.source, f.status, f.confidence"
        " FROM fitments f JOIN base_vehicles bv ON bv.id = f.base_vehicle_id"
        " JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id"
        " ORDER BY bv.year"
    )
    return [dict(r) for r in await cur.fetchall()]


async def test_a_right_reading_is_stored_after_a_person_approves_it(
    conn: Conn, db_url: str, tmp_path: Path, fakes: Any, llm_pool: Pool
) -> None:
    car = await _model(conn)
    first, last = car["first"], car["first"] + 2
    text = f"{first}-{last} {car['make']} {_misspelled(car['model'])}"
    report = await _import(conn, tmp_path, text)
    fakes["openai"].script(
        _reading(
            {"year_start": first, "year_end": last, "make": car["make"], "model": car["model"]}
        )
    )
    async with _router(fakes, llm_pool) as router:
        counts = await _step(conn, db_url, report, router)
    assert counts == {
        "fragments": 1,
        "readings_stored": 0,
        "readings_held": 1,
        "readings_reused": 0,
        "fragments_decided_before": 0,
        "fragments_unread": 0,
    }
    asked = fakes["openai"].seen[0].body
    assert asked["response_format"]["type"] == "json_schema"
    assert f"{car['make']}: {car['model']}" in asked["messages"][-1]["content"]
    assert await _stored(conn) == []  # a close spelling is not certain: a person decides

    (review,) = await list_reviews(conn, kind="fitment.text_reading")
    assert review.proposed["fragment"] == text
    (vehicle,) = review.proposed["vehicles"]
    years = await _years(conn, car, first, last)
    assert (vehicle["make"], vehicle["model"], vehicle["years"]) == (
        car["make"],
        car["model"],
        years,
    )
    assert review.confidence is not None and review.confidence < 0.8
    kinds = {e["kind"] for e in review.evidence}
    assert {"text", "model", "reading"} <= kinds

    await decide(
        conn,
        review.id,
        "approve",
        reviewer="ops@example.com",
        workflows=workflow_registry(),
        actions=review_actions(),
    )
    stored = await _stored(conn)
    assert [(r["year"], r["make"], r["model"]) for r in stored] == [
        (year, car["make"], car["model"]) for year in years
    ]
    assert {(r["source"], r["status"]) for r in stored} == {
        (f"text_reading:{SUPPLIER}", "published")
    }

    # The supplier's next file lists another part with the same text: the approved
    # reading is stored for it too, with no model call and no second review.
    path = tmp_path / "textco.csv"
    path.write_text(
        "sku,brand,mpn,title,part_type,cost,fitment\n"
        f"T-2,Bosch,BP200,Brake pads,Brake Pads,21.00,{text}\n",
        encoding="utf-8",
    )
    summary = await import_feed(conn, path, supplier=SUPPLIER)
    calls = len(fakes["openai"].seen)
    async with _router(fakes, llm_pool) as router:
        again = await _step(conn, db_url, summary.report_id, router)
    assert again["readings_reused"] == 1 and again["readings_held"] == 0
    assert len(fakes["openai"].seen) == calls
    assert len(await list_reviews(conn, kind="fitment.text_reading", status=None)) == 1
    new_part = await _one(conn, "SELECT part_id FROM supplier_parts WHERE supplier_sku = 'T-2'")
    cur = await conn.execute(
        "SELECT count(*) AS n FROM fitments WHERE part_id = %s AND status = 'published'",
        (new_part["part_id"],),
    )
    assert (await cur.fetchone() or {})["n"] == len(years)


async def test_an_invented_make_and_model_are_refused_and_reported(
    conn: Conn, db_url: str, tmp_path: Path, fakes: Any, llm_pool: Pool
) -> None:
    car = await _model(conn)
    other = await _model(conn, skip=car["model"])
    first = car["first"]
    text = f"{first}-{first + 1} {car['make']} {_misspelled(car['model'])}"
    report = await _import(conn, tmp_path, text)
    fakes["openai"].script(  # a real vehicle of the base, but not one the text names
        _reading(
            {
                "year_start": first,
                "year_end": first + 1,
                "make": other["make"],
                "model": other["model"],
            }
        )
    )
    async with _router(fakes, llm_pool) as router:
        await _step(conn, db_url, report, router)
    assert await _stored(conn) == []
    (review,) = await list_reviews(conn, kind="fitment.text_reading")
    assert review.proposed["vehicles"] == []
    (refused,) = review.proposed["refused"]
    assert other["model"] in refused and "does not name" in refused
    assert review.confidence == 0.0
    assert any(e["kind"] == "refused" for e in review.evidence)


async def test_a_vehicle_not_in_the_base_is_refused(
    conn: Conn, db_url: str, tmp_path: Path, fakes: Any, llm_pool: Pool
) -> None:
    car = await _model(conn)
    early = car["first"] - 6  # written in the text, but the base has no such year
    text = f"{early}-{early + 1} {car['make']} {_misspelled(car['model'])}"
    report = await _import(conn, tmp_path, text)
    fakes["openai"].script(
        _reading(
            {"year_start": early, "year_end": early + 1, "make": car["make"], "model": car["model"]}
        )
    )
    async with _router(fakes, llm_pool) as router:
        await _step(conn, db_url, report, router)
    assert await _stored(conn) == []
    (review,) = await list_reviews(conn, kind="fitment.text_reading")
    (refused,) = review.proposed["refused"]
    assert "in the vehicle base" in refused and str(early) in refused


async def test_offline_the_fragment_goes_to_a_person(
    conn: Conn, db_url: str, tmp_path: Path
) -> None:
    car = await _model(conn)
    text = f"{car['first']}-{car['last']} {car['make']} {_misspelled(car['model'])}"
    report = await _import(conn, tmp_path, text)
    router = build_router(Settings())  # no keys: only the offline provider
    counts = await _step(conn, db_url, report, router)
    assert counts["readings_held"] == 1 and counts["readings_stored"] == 0
    assert await _stored(conn) == []
    (review,) = await list_reviews(conn, kind="fitment.text_reading")
    assert review.proposed["fragment"] == text and review.proposed["method"] == "none"
    assert review.proposed["vehicles"] == [] and review.confidence == 0.0
    part = await _one(conn, "SELECT part_id FROM supplier_parts WHERE supplier_sku = 'T-1'")
    assert review.proposed["part_ids"] == [part["part_id"]]


# -- the Fitment agent recalls similar past cases a person settled ------------------------


async def _supplier(conn: Conn, name: str) -> int:
    row = await _one(
        conn,
        "INSERT INTO suppliers (name, display_name) VALUES (%s, %s) RETURNING id",
        (name, name),
    )
    return int(row["id"])


async def _conflicting_part(
    conn: Conn, number: str, base_vehicle: int, suppliers: tuple[int, int]
) -> int:
    """A part two suppliers list on one vehicle, one at the front and one at the rear."""
    part = await _one(
        conn,
        "INSERT INTO parts (brand_id, part_number, mpn_normalized, part_type_id, title)"
        " SELECT b.id, %s, %s, t.id, 'Brake pads' FROM brands b, part_types t"
        " WHERE b.name = 'Bosch' AND t.name = 'Brake Pads' RETURNING id",
        (number, number),
    )
    for supplier, (name, position) in zip(
        suppliers, (("acme", "Front"), ("bolt", "Rear")), strict=True
    ):
        await conn.execute(
            "INSERT INTO fitments (part_id, part_type_id, base_vehicle_id, source, supplier_id,"
            " confidence, position) SELECT p.id, p.part_type_id, %s, %s, %s, 0.85, %s"
            " FROM parts p WHERE p.id = %s",
            (base_vehicle, f"feed:{name}", supplier, position, part["id"]),
        )
    return int(part["id"])


async def _assess(conn: Conn, db_url: str, part: int, embedder: Any) -> dict[str, Any]:
    workflow = await _one(
        conn,
        "INSERT INTO workflows (kind, version, input, current_step)"
        " VALUES ('supplier_feed_onboarding', 3, '{}', 'fitment_review') RETURNING id",
    )
    task = await _one(
        conn, "INSERT INTO tasks (kind, payload) VALUES ('workflow.step', '{}') RETURNING id"
    )
    ctx = StepContext(
        conn=conn,
        workflow_id=workflow["id"],
        workflow="supplier_feed_onboarding",
        version=3,
        step_key="fitment_review",
        input={},
        results={},
        services=Services(database_url=db_url, embedder=embedder),
        task_id=task["id"],
        attempt=1,
    )
    result = await fitment_batch(ctx, [part])
    return result


async def _held_event(conn: Conn, part: int) -> dict[str, Any]:
    return await _one(
        conn,
        "SELECT id, evidence, rationale FROM agent_events WHERE agent = 'Fitment'"
        " AND subject_kind = 'part' AND subject_id = %s ORDER BY id DESC LIMIT 1",
        (str(part),),
    )


async def test_similar_past_cases_a_person_settled_are_recalled_as_evidence(
    conn: Conn, db_url: str, embedder: Any
) -> None:
    await conn.set_autocommit(True)
    base = await _one(conn, "SELECT id FROM base_vehicles ORDER BY id LIMIT 1")
    acme, bolt = await _supplier(conn, "acme"), await _supplier(conn, "bolt")
    past_parts = [
        await _conflicting_part(conn, f"OLD{i}", base["id"], (acme, bolt)) for i in (1, 2)
    ]
    for part in past_parts:
        result = await _assess(conn, db_url, part, embedder)
        assert result["parts_with_past_cases"] == 0  # nothing settled yet
        held = await _held_event(conn, part)
        await record_event(  # as the fitment editor records a person's removal
            conn,
            AgentEvent(
                agent="person:ops@example.com",
                decision_type="fitment.remove",
                outcome="rejected",
                subject_kind="part",
                subject_id=str(part),
                rationale=f"The rear listing of part {part} was the supplier's mistake.",
                evidence=[{"kind": "event", "ref": str(held["id"])}],
            ),
        )
    pool = await open_pool(db_url)
    try:
        await EmbeddingWorker(pool, embedder, PgVectorStore(pool)).drain()
    finally:
        await pool.close()

    part = await _conflicting_part(conn, "NEW1", base["id"], (acme, bolt))
    result = await _assess(conn, db_url, part, embedder)
    assert result["parts_with_past_cases"] == 1
    event = await _held_event(conn, part)
    recalled = [e for e in event["evidence"] if e["kind"] == "memory"]
    assert len(recalled) == 2
    assert all("rejected by a person (fitment.remove" in e["detail"] for e in recalled)
    assert "was rejected by a person" in event["rationale"]
    rows = await (
        await conn.execute(
            "SELECT confidence, status, explanation FROM fitments WHERE part_id = %s", (part,)
        )
    ).fetchall()
    for row in rows:  # two people rejected such rows: held lower than the conflict ceiling
        assert row["status"] == "pending_review"
        assert abs(row["confidence"] - (CONFLICT_CEILING - PAST_SHIFT)) < 1e-6
        assert "A similar case (part " in row["explanation"]
        assert "1 of 1 other similar case went the same way" in row["explanation"]


async def test_onboarding_sends_an_unreadable_fragment_to_a_person_and_goes_on(
    conn: Conn, db_url: str, tmp_path: Path
) -> None:
    """The whole run, with a real worker and no model: the offer is stored, the fragment
    waits as an item review, and the run completes."""
    await conn.set_autocommit(True)
    car = await _model(conn)
    text = f"{car['first']}-{car['last']} {car['make']} {_misspelled(car['model'])}"
    path = tmp_path / "uploads" / "textco.csv"
    path.parent.mkdir()
    path.write_text(
        "sku,brand,mpn,title,part_type,cost,fitment\n"
        f"T-1,Bosch,BP100,Brake pads,Brake Pads,20.00,{text}\n",
        encoding="utf-8",
    )
    run = await start_workflow(conn, ONBOARDING, {"path": str(path), "supplier": SUPPLIER})
    engine = Engine(workflow_registry(), Services(db_url))
    worker = Worker(db_url, engine.task_registry(), WorkerOptions(poll_seconds=0.05))
    running = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(120):
            while (
                row := await _one(
                    conn, "SELECT status, output FROM workflows WHERE id = %s", (run,)
                )
            )["status"] not in ("completed", "failed"):
                await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await running
    assert row["status"] == "completed"
    assert row["output"]["fitment_text"] == {
        "fragments": 1,
        "readings_stored": 0,
        "readings_held": 1,
        "readings_reused": 0,
        "fragments_decided_before": 0,
        "fragments_unread": 0,
    }
    (review,) = await list_reviews(conn, kind="fitment.text_reading")
    assert review.proposed["fragment"] == text and review.workflow_id == run
    assert await _stored(conn) == []


async def test_the_rules_keep_right_readings_and_refuse_invented_ones(db_url: str) -> None:
    """`eval fitment_text_llm` on the test base: scripted right and inventing readings."""
    folder = Path(__file__).resolve().parents[2] / "evals" / "fitment_text_llm"
    report = await eval_fitment_text_llm(folder, EvalContext(database_url=db_url))
    print(json.dumps(report, indent=2))
    assert report["models"] >= 10
    assert report["invented_kept"] == 0 and report["wrong_refused"] == 1.0
    assert report["right_kept"] == 1.0
    n = report["models"]  # a close spelling waits for a person; an exact one is stored
    assert report["stored_without_person"] == {"misspelled": f"0/{2 * n}", "exact": f"{n}/{n}"}


async def test_a_wrong_fit_history_recalls_the_corrections_people_approved(
    conn: Conn, db_url: str, embedder: Any
) -> None:
    """No conflict, but a wrong-fit return: the corrections people approved on similar
    returns are recalled, and two agreeing approvals lift the held row, not to publish."""
    await conn.set_autocommit(True)
    vehicle = await _one(conn, "SELECT id, base_vehicle_id FROM vehicles ORDER BY id LIMIT 1")
    acme = await _supplier(conn, "acme")
    for i in (1, 2):  # two earlier wrong-fit cases, each corrected with a person's approval
        old = await _conflicting_part(conn, f"WF{i}", vehicle["base_vehicle_id"], (acme, acme))
        event = await record_event(
            conn,
            AgentEvent(
                agent="Fitment",
                decision_type="fitment.correction",
                outcome="held",
                subject_kind="part",
                subject_id=str(old),
                rationale=f"2 wrong-fit returns of Bosch WF{i} on the 2015 Honda Civic though "
                "strong rows list it, and no attribute tells the returned cars apart: shoppers "
                "should verify.",  # the triage's words, about another car
            ),
        )
        await record_event(  # as record_person_decision writes an approved review
            conn,
            AgentEvent(
                agent="person:ops@example.com",
                decision_type="review.fitment.correction",
                outcome="accepted",
                subject_kind="part",
                subject_id=str(old),
                output="approved",
                rationale=f"Review of event {event} approved by ops@example.com.",
            ),
        )
    pool = await open_pool(db_url)
    try:
        await EmbeddingWorker(pool, embedder, PgVectorStore(pool)).drain()
    finally:
        await pool.close()

    part = await _one(
        conn,
        "INSERT INTO parts (brand_id, part_number, mpn_normalized, part_type_id, title)"
        " SELECT b.id, 'NEW2', 'NEW2', t.id, 'Brake pads' FROM brands b, part_types t"
        " WHERE b.name = 'Bosch' AND t.name = 'Brake Pads' RETURNING id",
    )
    row = await _one(
        conn,
        "INSERT INTO fitments (part_id, part_type_id, base_vehicle_id, source, supplier_id,"
        " confidence, position) SELECT p.id, p.part_type_id, %s, 'feed:acme', %s, 0.85, 'Front'"
        " FROM parts p WHERE p.id = %s RETURNING id",
        (vehicle["base_vehicle_id"], acme, part["id"]),
    )
    await conn.execute(
        "INSERT INTO fitment_issues (part_id, vehicle_id, kind, description)"
        " VALUES (%s, %s, 'wrong_fit', 'did not fit')",
        (part["id"], vehicle["id"]),
    )
    result = await _assess(conn, db_url, part["id"], embedder)
    assert result["parts_with_past_cases"] == 1 and result["parts_with_fitment_problems"] == 0
    stored = await _one(
        conn, "SELECT confidence, status, explanation FROM fitments WHERE id = %s", (row["id"],)
    )
    assert "1 wrong-fit return on this vehicle." in stored["explanation"]
    assert "was approved by a person" in stored["explanation"]
    # 0.85 - 0.15 for the return, + 0.1 for two agreeing approvals, capped at 0.8 - 0.05
    assert stored["status"] == "pending_review"
    assert abs(stored["confidence"] - 0.75) < 1e-6


async def test_an_edit_naming_another_car_is_refused_and_stores_nothing(
    conn: Conn, db_url: str, tmp_path: Path
) -> None:
    car = await _model(conn)
    other = await _model(conn, skip=car["model"])
    text = f"{car['first']}-{car['last']} {car['make']} {_misspelled(car['model'])}"
    report = await _import(conn, tmp_path, text)
    await _step(conn, db_url, report, None)  # no router: straight to a person
    await conn.commit()
    (review,) = await list_reviews(conn, kind="fitment.text_reading")
    wrong = await _one(
        conn,
        "SELECT bv.id FROM base_vehicles bv JOIN models mo ON mo.id = bv.model_id"
        " WHERE mo.name = %s LIMIT 1",
        (other["model"],),
    )
    edited = dict(review.proposed)
    edited["vehicles"] = [
        {
            "make": car["make"],
            "model": car["model"],
            "years": [car["first"]],
            "base_vehicle_ids": [wrong["id"]],
        }
    ]
    with pytest.raises(InvalidInputError, match=f"not a {car['make']} {car['model']}"):
        await decide(
            conn,
            review.id,
            "edit",
            value=edited,
            reviewer="ops@example.com",
            workflows=workflow_registry(),
            actions=review_actions(),
        )
    assert await _stored(conn) == []
    (still,) = await list_reviews(conn, kind="fitment.text_reading")
    assert still.status == "open"
