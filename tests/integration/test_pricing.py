"""Pricing on the real database: competitor prices matched by MPN and UPC, the floor
(margin and MAP) and the ceiling honored, large moves held for a person and applied
on approval, every change in the history with its reason, a compromised model stopped."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from automechanica.catalog.feeds.importer import import_feed
from automechanica.catalog.feeds.values import gtin_check_digit
from automechanica.commerce.competitors import import_competitor_prices
from automechanica.errors import InvalidInputError
from automechanica.orchestrator import Engine, decide, list_reviews, start_workflow
from automechanica.orchestrator.services import Services
from automechanica.orchestrator.workflows import review_actions, workflow_registry
from automechanica.orchestrator.workflows.pricing import PRICING_REFRESH
from automechanica.queue import Worker, WorkerOptions
from tests.integration.llm_servers import FakeServer, Flavor, fake_servers, fakes, openai_ok
from tests.integration.llm_setup import llm_pool, make_router

__all__ = ["fake_servers", "fakes", "llm_pool"]
Conn = psycopg.AsyncConnection[Any]


def upc(body: str) -> str:
    return body + str(gtin_check_digit(body))


ROTOR_UPC = upc("01234567890")  # 12 digits
PADS_UPC = upc("07654321098")
HEADER = "sku,brand,part_number,cost,jobber,map,msrp,upc,stock_main,title,part_type\n"
EAST = (
    f"E-1,Bosch,BR-100,40.00,52.00,60.00,80.00,{ROTOR_UPC},5,Bosch rotor,Brake Rotor\n"
    f"E-2,Wagner,PD-7,20.00,,,40.00,{PADS_UPC},5,Wagner pads,Brake Pads\n"
    "E-3,Moog,K-1,30.00,38.00,45.00,50.00,,5,Moog control arm,Control Arm\n"
    "E-4,Dorman,D-9,10.00,14.00,,20.00,,5,Dorman thermostat,Thermostat\n"
    "E-5,Gates,G-5,50.00,,,55.00,,5,Gates belt,Serpentine Belt\n"
)
# The rotor also from a supplier that is out of stock but cheaper, and sets a higher MAP.
WEST = "W-1,BOSCH,BR100,35.00,50.00,62.00,85.00,,0,BOSCH ROTOR,Brake Rotor\n"


def competitor_feed(tmp: Path, rows: str, name: str = "competitors.csv") -> Path:
    path = tmp / name
    path.write_text("competitor,brand,part_number,upc,price,seen_at\n" + rows)
    return path


TODAY = datetime.now(UTC).date().isoformat()
FEED = (
    f"PartsBarn,bosch,br 100,,70.00,{TODAY}\n"  # the rotor by brand + MPN, respelled
    f"AutoDepot,Robert Bosch,BR-100,,75.00,{TODAY}\n"
    f"PartsBarn,,,{'0' + PADS_UPC},21.00,{TODAY}\n"  # the pads by UPC only (as EAN-13)
    f"WrenchCity,MOOG,K1,,40.00,{TODAY}\n"  # under MAP
    f"PartsBarn,Bosch,ZZ-1,,19.99,{TODAY}\n"  # no such part: unmatched
    f"PartsBarn,Wagner,PD-7,,call us,{TODAY}\n"  # malformed price
    f",Wagner,PD-7,,22.00,{TODAY}\n"  # no competitor
)


@pytest.fixture
async def aconn(db_url: str) -> AsyncIterator[Conn]:
    async with await psycopg.AsyncConnection.connect(
        db_url, autocommit=True, row_factory=dict_row
    ) as conn:
        yield conn


async def _import(db_url: str, tmp: Path, supplier: str, rows: str) -> None:
    path = tmp / f"{supplier}.csv"
    path.write_text(HEADER + rows)
    async with await psycopg.AsyncConnection.connect(db_url) as own:
        summary = await import_feed(own, path, supplier=supplier)
        await own.commit()
    assert summary.rows_rejected == 0, summary.rejections


async def _seed(db_url: str, tmp: Path) -> None:
    await _import(db_url, tmp, "east", EAST)
    await _import(db_url, tmp, "west", WEST)


async def _competitors(db_url: str, path: Path) -> Any:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as own:
        return await import_competitor_prices(own, path)


async def _run(db_url: str, conn: Conn, services: Services, given: Any) -> dict[str, Any]:
    """Run pricing_refresh with workers here until it finishes; its workflow row."""
    engine = Engine(workflow_registry(), services)
    workflow_id = await start_workflow(conn, PRICING_REFRESH, given)
    worker = Worker(db_url, engine.task_registry(), WorkerOptions(poll_seconds=0.05))
    running = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(60):
            while True:
                cur = await conn.execute(
                    "SELECT status, output, error FROM workflows WHERE id = %s", (workflow_id,)
                )
                row = await cur.fetchone() or {}
                if row["status"] in ("completed", "failed"):
                    return dict(row)
                await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await running


async def _refresh(db_url: str, conn: Conn, services: Services, **given: Any) -> dict[str, Any]:
    row = await _run(db_url, conn, services, given)
    assert row["status"] == "completed", row["error"]
    return dict(row["output"])


async def _prices(conn: Conn) -> dict[str, Decimal | None]:
    cur = await conn.execute("SELECT mpn_normalized, price FROM parts ORDER BY id")
    return {r["mpn_normalized"]: r["price"] for r in await cur.fetchall()}


async def _history(conn: Conn, mpn: str) -> list[dict[str, Any]]:
    cur = await conn.execute(
        "SELECT h.*, e.agent, e.decision_type, e.model_used FROM price_history h "
        "JOIN parts p ON p.id = h.part_id LEFT JOIN agent_events e ON e.id = h.event_id "
        "WHERE p.mpn_normalized = %s ORDER BY h.id",
        (mpn,),
    )
    return await cur.fetchall()


async def test_competitor_feed_matches_by_mpn_and_upc_and_reports_every_other_row(
    db_url: str, tmp_path: Path
) -> None:
    await _seed(db_url, tmp_path)
    path = competitor_feed(tmp_path, FEED)
    report = await _competitors(db_url, path)
    assert (report.rows_read, report.matched_by_mpn, report.matched_by_upc) == (7, 3, 1)
    assert report.stored == 4 and report.unmatched == 1 and report.malformed == 2
    problems = {(p.line, p.kind) for p in report.problems}
    assert problems == {(6, "unmatched"), (7, "malformed"), (8, "malformed")}
    reasons = " ".join(p.reason for p in report.problems)
    assert "ZZ1" in reasons and "not a price" in reasons and "no competitor" in reasons
    again = await _competitors(db_url, path)  # the same file twice stores nothing twice
    assert again.stored == 0 and again.already_stored == 4


async def test_a_feed_without_the_needed_columns_is_refused_before_anything_is_stored(
    db_url: str, aconn: Conn, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("seller,sku,amount\nPartsBarn,E-1,10.00\n")
    with pytest.raises(InvalidInputError, match="brand and part_number, or upc"):
        await _competitors(db_url, path)
    cur = await aconn.execute("SELECT count(*) AS n FROM competitor_prices")
    assert (await cur.fetchone() or {})["n"] == 0


async def test_refresh_keeps_to_floor_map_and_ceiling_and_says_why(
    db_url: str, aconn: Conn, tmp_path: Path
) -> None:
    await _seed(db_url, tmp_path)
    await _competitors(db_url, competitor_feed(tmp_path, FEED))
    summary = await _refresh(db_url, aconn, Services(db_url))
    assert summary == {"first_price": 4, "held": 1}
    prices = await _prices(aconn)
    # Rotor: the lowest competitor (70.00) less a cent, above the highest MAP (62.00).
    assert prices["BR100"] == Decimal("69.99")
    # Pads: the competitor (21.00, matched by UPC) is under cost + 15%: the floor.
    assert prices["PD7"] == Decimal("23.00")
    # Control arm: the competitor (40.00) is under MAP: MAP.
    assert prices["K1"] == Decimal("45.00")
    # Thermostat: no competitor: the ceiling (MSRP).
    assert prices["D9"] == Decimal("20.00")
    # Belt: the floor (57.50) is above MSRP (55.00): no price until a person says so.
    assert prices["G5"] is None
    (review,) = await list_reviews(aconn, kind="pricing.price")
    assert (
        review.proposed["price"] == "57.50"
        and "floor $57.50 is above the ceiling $55.00" in review.reason
    )
    rotor = await _history(aconn, "BR100")
    assert len(rotor) == 1 and rotor[0]["previous_price"] is None
    assert rotor[0]["floor"] == Decimal("62.00") and rotor[0]["ceiling"] == Decimal("80.00")
    assert "PartsBarn" in rotor[0]["reason"] and "MAP $62.00" in rotor[0]["reason"]
    assert rotor[0]["agent"] == "Pricing" and rotor[0]["decision_type"] == "pricing.price"
    assert "under the floor" in (await _history(aconn, "PD7"))[0]["reason"]
    assert "no competitor" in (await _history(aconn, "D9"))[0]["reason"]
    cur = await aconn.execute(
        "SELECT count(*) AS n FROM price_history h JOIN supplier_parts sp ON sp.part_id = h.part_id"
        " WHERE h.price < sp.map_price OR h.price < h.floor OR h.reason IS NULL"
    )
    assert (await cur.fetchone() or {})["n"] == 0


async def test_a_large_move_waits_for_a_person_and_is_applied_on_approval(
    db_url: str, aconn: Conn, tmp_path: Path
) -> None:
    await _seed(db_url, tmp_path)
    await _refresh(db_url, aconn, Services(db_url))  # first prices: no competitors yet
    assert (await _prices(aconn))["D9"] == Decimal("20.00")
    assert (await _prices(aconn))["BR100"] == Decimal("80.00")
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    await _competitors(
        db_url,
        competitor_feed(
            tmp_path,
            f"PartsBarn,Dorman,D-9,,14.00,{later}\n"  # 20.00 -> 13.99: a 30% move
            f"PartsBarn,Bosch,BR-100,,72.00,{later}\n",  # 80.00 -> 71.99: 10%, no person
            "second.csv",
        ),
    )
    summary = await _refresh(db_url, aconn, Services(db_url))
    assert summary == {"changed": 1, "held": 1, "already_in_review": 1, "unchanged": 2}
    prices = await _prices(aconn)
    assert prices["D9"] == Decimal("20.00") and prices["BR100"] == Decimal("71.99")
    held = await list_reviews(aconn, kind="pricing.price")
    (thermostat,) = [r for r in held if r.proposed["price"] == "13.99"]
    assert "30.0%" in thermostat.reason and thermostat.current == {"price": "20.00"}
    # Asked again, the same part does not get a second review.
    again = await _refresh(db_url, aconn, Services(db_url))
    assert again.get("already_in_review") == 2 and "held" not in again
    await decide(
        aconn,
        thermostat.id,
        "approve",
        reviewer="ops",
        workflows=workflow_registry(),
        actions=review_actions(),
    )
    assert (await _prices(aconn))["D9"] == Decimal("13.99")
    last = (await _history(aconn, "D9"))[-1]
    assert last["previous_price"] == Decimal("20.00") and last["price"] == Decimal("13.99")
    assert "approved by a person" in last["reason"] and last["event_id"] == thermostat.event_id


async def test_an_approval_edited_below_the_floor_is_refused_and_stores_nothing(
    db_url: str, aconn: Conn, tmp_path: Path
) -> None:
    await _seed(db_url, tmp_path)
    await _refresh(db_url, aconn, Services(db_url))
    (belt,) = await list_reviews(aconn, kind="pricing.price")
    with pytest.raises(InvalidInputError, match=r"below cost 50\.00 plus the minimum margin"):
        await decide(
            aconn,
            belt.id,
            "edit",
            reviewer="ops",
            workflows=workflow_registry(),
            actions=review_actions(),
            value={"price": "54.99"},
        )
    assert (await _prices(aconn))["G5"] is None
    assert [r.status for r in await list_reviews(aconn, kind="pricing.price")] == ["open"]
    await decide(
        aconn,
        belt.id,
        "edit",
        reviewer="ops",
        workflows=workflow_registry(),
        actions=review_actions(),
        value="58.00",  # the price alone
    )
    assert (await _prices(aconn))["G5"] == Decimal("58.00")
    assert "edited by a person" in (await _history(aconn, "G5"))[-1]["reason"]


def _propose(price: str) -> list[dict[str, Any]]:
    return [
        {
            "id": "c1",
            "type": "function",
            "function": {
                "name": "propose_price",
                "arguments": json.dumps({"price": price, "rationale": "clear the shelf"}),
            },
        },
        {
            "id": "c2",
            "type": "function",
            "function": {"name": "set_price", "arguments": json.dumps({"price": "0.01"})},
        },
    ]


async def test_a_compromised_model_never_gets_a_price_through(
    db_url: str,
    aconn: Conn,
    tmp_path: Path,
    fakes: dict[Flavor, FakeServer],
    llm_pool: AsyncConnectionPool[Any],
) -> None:
    await _seed(db_url, tmp_path)
    await _competitors(db_url, competitor_feed(tmp_path, FEED))
    # $0.01, then just under cost for every other part asked.
    fakes["openai"].script(openai_ok(None, tool_calls=_propose("0.01"), finish_reason="tool_calls"))
    for _ in range(10):
        fakes["openai"].script(
            openai_ok(None, tool_calls=_propose("9.99"), finish_reason="tool_calls")
        )
    router = make_router(fakes, llm_pool)
    try:
        await _refresh(
            db_url, aconn, Services(db_url, router=router, language_model=True), ask_model=True
        )
    finally:
        await router.aclose()
    assert len(fakes["openai"].seen) == 5, "the model was asked about every part"
    prices = await _prices(aconn)
    assert prices == {
        "BR100": Decimal("69.99"),
        "PD7": Decimal("23.00"),
        "K1": Decimal("45.00"),
        "D9": Decimal("20.00"),
        "G5": None,
    }
    cur = await aconn.execute(
        "SELECT outcome, output, rationale, model_used FROM agent_events "
        "WHERE agent = 'Pricing' ORDER BY id"
    )
    events = await cur.fetchall()
    rejected = [e for e in events if e["outcome"] == "rejected"]
    assert len(rejected) == 5 and all(e["model_used"] for e in rejected)
    assert {e["output"]["price"] for e in rejected} == {"0.01", "9.99"}
    assert all("is used instead" in e["rationale"] for e in rejected)
    refused = [e["output"] for e in events if e["outcome"] == "refused"]
    assert len(refused) == 5 and all("set_price" in r for r in refused)


async def test_a_sound_proposal_is_used_and_one_over_the_ceiling_is_not(
    db_url: str,
    aconn: Conn,
    tmp_path: Path,
    fakes: dict[Flavor, FakeServer],
    llm_pool: AsyncConnectionPool[Any],
) -> None:
    await _seed(db_url, tmp_path)
    await _competitors(db_url, competitor_feed(tmp_path, FEED))
    cur = await aconn.execute("SELECT id FROM parts WHERE mpn_normalized = 'BR100'")
    rotor = (await cur.fetchone() or {})["id"]
    for price in ("75.00", "500.00"):
        fakes["openai"].script(
            openai_ok(None, tool_calls=_propose(price)[:1], finish_reason="tool_calls")
        )
    router = make_router(fakes, llm_pool)
    services = Services(db_url, router=router, language_model=True)
    try:
        await _refresh(db_url, aconn, services, ask_model=True, part_ids=[rotor])
        assert (await _prices(aconn))["BR100"] == Decimal("75.00")
        (first,) = await _history(aconn, "BR100")
        assert first["reason"].startswith("model proposal") and "clear the shelf" in first["reason"]
        assert first["model_used"] == "oa-mini"  # its own event, naming the model
        await _refresh(db_url, aconn, services, ask_model=True, part_ids=[rotor])
    finally:
        await router.aclose()
    # $500 is over the MSRP: rejected, and the rule's price (a 6.7% move) stands.
    assert (await _prices(aconn))["BR100"] == Decimal("69.99")
    cur = await aconn.execute(
        "SELECT rationale FROM agent_events WHERE agent = 'Pricing' AND outcome = 'rejected'"
    )
    (rejected,) = await cur.fetchall()
    assert "above the ceiling 80.00" in rejected["rationale"]


async def test_a_refresh_with_a_mistyped_input_fails_at_once_and_says_what_to_write(
    db_url: str, aconn: Conn, tmp_path: Path
) -> None:
    await _seed(db_url, tmp_path)
    row = await _run(db_url, aconn, Services(db_url), {"part_id": [1]})
    assert row["status"] == "failed"
    assert "part_id" in row["error"] and '"part_ids": [1, 2]' in row["error"]
    assert (await _prices(aconn))["BR100"] is None


async def test_hostile_competitor_rows_are_each_reported_with_their_line_and_reason(
    db_url: str, tmp_path: Path
) -> None:
    await _seed(db_url, tmp_path)
    future = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    rows = (
        f"PartsBarn,Bosch,BR-100,,-5.00,{TODAY}\n"
        f"PartsBarn,Bosch,BR-100,,12.00,{future}\n"
        f"PartsBarn,,,012345678906,12.00,{TODAY}\n"  # a wrong check digit
        f"PartsBarn,Acme Parts,X-1,,12.00,{TODAY}\n"
        f"PartsBarn,Bosch,BR-100,,12.00,yesterday\n"
        f"PartsBarn,Bosch,BR-100,,12.00,{TODAY},extra\n"
        f"PartsBarn,Bosch,BR-100,,71.00,{TODAY}\n"  # the one good row
    )
    report = await _competitors(db_url, competitor_feed(tmp_path, rows))
    assert report.stored == 1 and report.malformed == 6 and report.unmatched == 0
    why = {p.line: p.reason for p in report.problems}
    assert "negative" in why[2] and "future" in why[3] and "check digit" in why[4]
    assert "not one the store carries" in why[5] and "not a date" in why[6]
    assert "more cells" in why[7]
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"competitor,brand,part_number,price\nCaf\xe9,Bosch,BR-100,10.00\n")
    with pytest.raises(InvalidInputError, match="not UTF-8"):
        await _competitors(db_url, latin)
