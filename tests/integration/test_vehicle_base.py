"""The vehicle base: vPIC patterns and VINs drawn over their years, stored in bulk, idempotently."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
import ultravin

from automechanica.catalog.vehicle_base import METHOD_VERSION
from automechanica.catalog.vehicle_base_load import (
    RECORD_LOAD,
    full_base_loaded,
    full_source,
    load_base,
    load_full_base,
    store_years,
)
from automechanica.catalog.vehicle_base_store import BaseCounts, count_base, store_base
from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.catalog.vehicles import DEMO_CLOCK
from automechanica.catalog.vin_match import match_vin

#: A 2023 Honda Civic Sport sedan with the 2.0 L engine (an ultravin-generated VIN).
CIVIC_SPORT_20 = "2HGFE2F53PH965923"


#: Subaru's WMIs: Japan (JF2) and Indiana (4S4).
SUBARU_WMIS = ["JF2", "4S4"]


def _subaru_seeds() -> list[str]:
    return ultravin.generate(
        120, seed=3, make="Subaru", min_year=2010, max_year=2014, vehicle_type=7,
        invalid_rate=0.0, now=DEMO_CLOCK,
    )  # fmt: skip


async def _base_vehicles(conn: psycopg.AsyncConnection[Any], make: str, model: str) -> set[int]:
    cur = await conn.execute(
        "SELECT bv.year FROM base_vehicles bv JOIN models mo ON mo.id = bv.model_id "
        "JOIN makes ma ON ma.id = bv.make_id WHERE ma.name = %s AND mo.name = %s",
        (make, model),
    )
    return {r["year"] for r in await cur.fetchall()}


async def test_a_sample_reaches_its_years_and_loads_once(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    before_ids = {r["id"] for r in await (await conn.execute("SELECT id FROM vehicles")).fetchall()}
    result = await load_base(
        conn, _subaru_seeds(), SUBARU_WMIS, years=(2008, 2016), source="test:subaru",
        now=DEMO_CLOCK,
    )  # fmt: skip
    assert result.added.vehicles > 0 and result.decodes > 0
    # the draws reach the years of each band the seeds did not name
    assert {2010, 2011, 2012, 2013, 2014} <= await _base_vehicles(conn, "Subaru", "Outback")
    rows = await (
        await conn.execute(
            "SELECT v.id, v.drive, v.engine_liters FROM vehicles v "
            "JOIN base_vehicles bv ON bv.id = v.base_vehicle_id "
            "JOIN makes ma ON ma.id = bv.make_id WHERE ma.name = 'Subaru'"
        )
    ).fetchall()
    assert {r["drive"] for r in rows} <= {"FWD", "RWD", "AWD", "4WD", None}
    assert all(
        r["engine_liters"] == r["engine_liters"].quantize(Decimal("0.1"))
        for r in rows
        if r["engine_liters"]
    )
    # the demo's vehicles (and anything pointing at them) are untouched
    after_ids = {r["id"] for r in await (await conn.execute("SELECT id FROM vehicles")).fetchall()}
    assert before_ids <= after_ids

    again = await load_base(
        conn, _subaru_seeds(), SUBARU_WMIS, years=(2008, 2016), source="test:subaru",
        now=DEMO_CLOCK,
    )  # fmt: skip
    assert again.added == BaseCounts()
    assert again.totals == result.totals


async def test_a_full_load_already_recorded_is_skipped(conn: psycopg.AsyncConnection[Any]) -> None:
    source = full_source(store_years(DEMO_CLOCK))
    totals = await count_base(conn)
    await conn.execute(RECORD_LOAD, (source, 1, 1, 1, 1, 1.0))
    result = await load_full_base(conn, now=DEMO_CLOCK)
    assert result.skipped and result.source == source
    assert result.added == BaseCounts() and result.totals == totals


async def test_a_load_by_an_older_method_leaves_the_new_one_to_run(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    source = full_source(store_years(DEMO_CLOCK))
    older = source.replace(f":v{METHOD_VERSION}:", f":v{METHOD_VERSION - 1}:")
    assert older != source
    await conn.execute(RECORD_LOAD, (older, 1, 1, 1, 1, 1.0))
    assert not await full_base_loaded(conn, now=DEMO_CLOCK)
    await conn.execute(RECORD_LOAD, (source, 1, 1, 1, 1, 1.0))
    assert await full_base_loaded(conn, now=DEMO_CLOCK)


async def test_a_vin_matches_its_exact_configuration_once_the_base_has_it(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    ex_15 = VehicleConfig(
        2023, "Honda", "Civic", submodel="EX", engine_liters=Decimal("1.5"),
        engine_cylinders=4, fuel="Gasoline", drive="FWD", body="Sedan",
    )  # fmt: skip
    await store_base(conn, [ex_15])
    before = await match_vin(conn, CIVIC_SPORT_20)
    assert not before["exact"]
    assert "nearest" in before["message"] and "engine size 2.0" in before["message"]
    assert before["matches"][0]["submodel"] == "EX"
    await load_base(
        conn, [CIVIC_SPORT_20], [], years=(2023, 2023), source="test:civic",
        now=datetime(2026, 6, 1),
    )  # fmt: skip
    after = await match_vin(conn, CIVIC_SPORT_20)
    assert after["exact"], after["message"]
    assert "exactly" in after["message"]
    best = after["matches"][0]
    assert (best["submodel"], best["engine_liters"]) == ("Sport", Decimal("2.0"))


async def test_a_vin_mixing_one_patterns_trim_with_anothers_engine_finds_its_configuration(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    # Costin's schema sets the model at position 4, the trim at 5 and the engine at 7;
    # no single pattern's VIN has the top trim with the engine, a real VIN does, and so
    # do VINs drawn at random from the WMI.
    vin = "TMCSC11A3YC672184"
    seeds = [v for v in ultravin.sweep(["pattern"]) if v.startswith("TMC")]
    assert vin not in seeds
    alone = await load_base(
        conn, seeds, [], years=(1995, 2005), source="test:costin-seeds", now=datetime(2026, 6, 1)
    )
    assert alone.added.vehicles > 0
    assert not (await match_vin(conn, vin))["exact"]
    result = await load_base(
        conn, seeds, ["TMC"], years=(1995, 2005), source="test:costin", now=datetime(2026, 6, 1)
    )
    assert result.added.vehicles > 0
    found = await match_vin(conn, vin)
    assert found["exact"], found["message"]
    best = found["matches"][0]
    assert (best["submodel"], best["engine_liters"]) == ("Top level", Decimal("1.6"))
    # and the schema's earlier years hold it too (its band ends in 2000)
    earlier = await match_vin(conn, "TMCSC11A9VC672184")  # the same VIN, model year 1997
    assert earlier["decoded"]["year"] == 1997 and earlier["exact"], earlier["message"]
    assert 2001 not in await _base_vehicles(conn, "Costin Sports Car", "Sports car")
