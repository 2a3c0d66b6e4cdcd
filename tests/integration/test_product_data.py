"""ProductData through the orchestrator on the real database: pages built from every
offer, suppliers that disagree held for a person, and a compromised model stopped."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from automechanica.catalog.feeds.importer import import_feed
from automechanica.orchestrator import (
    Engine,
    FanOut,
    Workflow,
    WorkflowRegistry,
    decide,
    list_reviews,
    start_workflow,
)
from automechanica.orchestrator.services import Services
from automechanica.orchestrator.workflows import review_actions
from automechanica.orchestrator.workflows.product_pages import product_data_batch
from automechanica.queue import Worker, WorkerOptions
from tests.integration.llm_servers import FakeServer, fake_servers, fakes, openai_ok
from tests.integration.llm_setup import llm_pool, make_router

__all__ = ["fake_servers", "fakes", "llm_pool"]
Conn = psycopg.AsyncConnection[Any]
HEADER = "sku,brand,part_number,cost,title,part_type,attr_Rotor Diameter,attr_Pad Material\n"


async def _all_parts(ctx: Any) -> list[int]:
    cur = await ctx.conn.execute("SELECT id FROM parts ORDER BY id")
    return [r[0] for r in await cur.fetchall()]


PAGES = Workflow(
    "pages", version=1, steps=(FanOut("product_data", _all_parts, product_data_batch, 50),)
)


@pytest.fixture
async def aconn(db_url: str) -> AsyncIterator[Conn]:
    async with await psycopg.AsyncConnection.connect(
        db_url, autocommit=True, row_factory=dict_row
    ) as conn:
        yield conn


async def _import(conn: Conn, tmp: Path, supplier: str, rows: str) -> None:
    path = tmp / f"{supplier}.csv"
    path.write_text(HEADER + rows)
    async with await psycopg.AsyncConnection.connect(conn.info.dsn) as own:
        summary = await import_feed(own, path, supplier=supplier)
    assert summary.rows_rejected == 0, summary.rejections


async def _seed(conn: Conn, tmp: Path) -> None:
    # The same rotor from two suppliers: one agrees in inches, the pads disagree.
    await _import(
        conn,
        tmp,
        "east",
        "E-1,Bosch,BR-100,40.00,Bosch front rotor,Brake Rotor,288 mm,\n"
        "E-2,Wagner,PD-7,20.00,Wagner pads,Brake Pads,,Ceramic\n",
    )
    await _import(
        conn,
        tmp,
        "west",
        "W-1,BOSCH,BR100,41.00,BOSCH ROTOR FRONT,Brake Rotor,11.34 in,\n"
        "W-2,Wagner,PD7,19.50,Wagner brake pads,Brake Pads,,Semi-Metallic\n",
    )


async def _run(db_url: str, conn: Conn, services: Services) -> None:
    engine = Engine(WorkflowRegistry([PAGES]), services)
    workflow_id = await start_workflow(conn, PAGES, {})
    worker = Worker(db_url, engine.task_registry(), WorkerOptions(poll_seconds=0.05))
    running = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(60):
            while True:
                cur = await conn.execute(
                    "SELECT status FROM workflows WHERE id = %s", (workflow_id,)
                )
                if (await cur.fetchone() or {})["status"] == "completed":
                    break
                await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await running


async def _page(conn: Conn, part_number: str) -> dict[str, Any] | None:
    cur = await conn.execute(
        "SELECT c.* FROM product_content c JOIN parts p ON p.id = c.part_id "
        "WHERE p.mpn_normalized = %s",
        (part_number,),
    )
    return await cur.fetchone()


async def test_pages_agree_across_units_and_conflicts_wait_for_a_person(
    db_url: str, aconn: Conn, tmp_path: Path
) -> None:
    await _seed(aconn, tmp_path)
    await _run(db_url, aconn, Services(db_url))
    rotor = await _page(aconn, "BR100")
    assert rotor is not None and rotor["conflicts"] == []
    assert rotor["specs"] == {"Rotor Diameter": "288 mm"}
    assert "Rotor Diameter: 288 mm" in rotor["description"]
    assert await _page(aconn, "PD7") is None  # held: the suppliers disagree
    (review,) = await list_reviews(aconn)
    assert review.kind == "product.attributes" and review.confidence is not None
    assert "Pad Material" in (review.rationale or "")
    values = {v["value"] for v in review.proposed["conflicts"][0]["values"]}
    assert values == {"Ceramic", "Semi-Metallic"}
    edited = dict(review.proposed)
    edited["specs"] = {"Pad Material": "Ceramic"}
    await decide(
        aconn,
        review.id,
        "edit",
        reviewer="ops",
        workflows=WorkflowRegistry([PAGES]),
        actions=review_actions(),
        value=edited,
    )
    pads = await _page(aconn, "PD7")
    assert pads is not None and pads["specs"] == {"Pad Material": "Ceramic"}


COMPROMISED = [
    {
        "id": "c1",
        "type": "function",
        "function": {"name": "approve_review", "arguments": json.dumps({"review_id": 1})},
    },
    {
        "id": "c2",
        "type": "function",
        "function": {
            "name": "publish_fitment",
            "arguments": json.dumps({"part_id": 1, "vehicle_id": 1, "confidence": 0.05}),
        },
    },
    {
        "id": "c3",
        "type": "function",
        "function": {
            "name": "propose_product_text",
            "arguments": json.dumps(
                {
                    "title": "Best rotor <script>alert(1)</script>",
                    "description": "Buy now at https://evil.example.com — fits 99 cars!",
                    "bullets": ["<b>guaranteed</b>"],
                }
            ),
        },
    },
]


async def test_a_compromised_model_is_stopped_and_recorded(
    db_url: str,
    aconn: Conn,
    tmp_path: Path,
    fakes: dict[str, FakeServer],
    llm_pool: AsyncConnectionPool[Any],
) -> None:
    await _seed(aconn, tmp_path)
    for _ in range(10):  # one scripted answer per part, more than enough
        fakes["openai"].script(openai_ok(None, tool_calls=COMPROMISED, finish_reason="tool_calls"))
    router = make_router(fakes, llm_pool)
    await _run(db_url, aconn, Services(db_url, router=router, language_model=True))
    await router.aclose()
    assert fakes["openai"].seen, "the model was really asked"
    # The text it wrote was refused; the pages carry the text written from the data.
    rotor = await _page(aconn, "BR100")
    assert rotor is not None
    page_text = " ".join([rotor["title"], rotor["description"], *rotor["bullets"]])
    assert "<" not in page_text and "http" not in page_text and "99" not in page_text
    cur = await aconn.execute("SELECT decision_type, outcome, output FROM agent_events ORDER BY id")
    events = await cur.fetchall()
    refused = [e["output"] for e in events if e["outcome"] == "refused"]
    assert any("approve_review" in r for r in refused)
    assert any("publish_fitment" in r for r in refused)
    content = [e for e in events if e["decision_type"] == "content.text"]
    assert content and all(e["outcome"] == "rejected" for e in content)
    # Nothing it asked for happened: the held review is still open, no fitment changed.
    assert [r.status for r in await list_reviews(aconn, status=None)] == ["open"]
    cur = await aconn.execute("SELECT count(*) AS n FROM fitments")
    assert (await cur.fetchone() or {})["n"] == 0
