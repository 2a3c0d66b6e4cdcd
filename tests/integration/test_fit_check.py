"""Fit checks are three-state and carry their evidence; reverse fitment collapses years."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from automechanica.catalog.fitment import VehicleQuery, check_fit, reverse_fitment
from automechanica.errors import NotFoundError

Conn = psycopg.AsyncConnection[Any]

BASE_WITH_TWO_ENGINES = """
SELECT bv.id, bv.year, ma.name AS make, mo.name AS model,
       array_agg(DISTINCT v.engine_liters) AS engines
FROM base_vehicles bv JOIN vehicles v ON v.base_vehicle_id = bv.id
JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id
WHERE v.engine_liters IS NOT NULL
GROUP BY bv.id, ma.name, mo.name
HAVING count(DISTINCT v.engine_liters) >= 2 AND count(*) FILTER (WHERE v.fuel = 'Electric') = 0
ORDER BY bv.id LIMIT 1
"""


async def _part(conn: Conn, part_type: str = "Oil Filter", number: str = "PH7317") -> int:
    row = await (
        await conn.execute(
            "INSERT INTO parts (brand_id, part_number, mpn_normalized, part_type_id, title,"
            " fit_class)"
            " SELECT b.id, %s, %s, t.id, %s, CASE WHEN t.universal THEN 'universal'"
            " ELSE 'vehicle_specific' END FROM brands b, part_types t"
            " WHERE b.name = 'Fram' AND t.name = %s RETURNING id",
            (number, number, f"Fram {part_type}", part_type),
        )
    ).fetchone()
    assert row is not None
    return int(row["id"])


async def _fitment(conn: Conn, part_id: int, base_vehicle_id: int, **constraints: Any) -> None:
    qualifiers = constraints.pop("qualifiers", [])
    columns = [
        "part_id",
        "part_type_id",
        "base_vehicle_id",
        "source",
        "confidence",
        "qualifiers",
        *constraints,
    ]
    await conn.execute(
        f"INSERT INTO fitments ({', '.join(columns)}) SELECT %s, part_type_id, %s, 'feed:test',"
        f" 0.85, %s{''.join(', %s' for _ in constraints)} FROM parts WHERE id = %s",
        (part_id, base_vehicle_id, Jsonb(qualifiers), *constraints.values(), part_id),
    )


async def _base(conn: Conn) -> dict[str, Any]:
    row = await (await conn.execute(BASE_WITH_TWO_ENGINES)).fetchone()
    assert row is not None, "the test vehicles need a base vehicle with two engines"
    return dict(row)


async def test_engine_specific_part_asks_for_the_engine(conn: Conn) -> None:
    base = await _base(conn)
    engine = base["engines"][0]
    part = await _part(conn)
    await _fitment(conn, part, base["id"], engine_liters=engine)
    query = VehicleQuery(year=base["year"], make=base["make"], model=base["model"])
    result = await check_fit(conn, part, query)
    assert result.verdict == "need_more_information"
    assert result.ask_next in {"submodel", "engine_liters"}
    assert str(engine) in result.ask_options or result.ask_next == "submodel"
    assert [e.constraints["engine_liters"] for e in result.evidence] == [float(engine)]

    narrowed = VehicleQuery(
        year=base["year"], make=base["make"], model=base["model"], known={"engine_liters": engine}
    )
    assert (await check_fit(conn, part, narrowed)).verdict == "fits"
    other = VehicleQuery(
        year=base["year"],
        make=base["make"],
        model=base["model"],
        known={"engine_liters": base["engines"][1]},
    )
    assert (await check_fit(conn, part, other)).verdict == "does_not_fit"


async def test_fit_by_configuration_id_reports_sources_and_qualifiers(conn: Conn) -> None:
    base = await _base(conn)
    part = await _part(conn, "Brake Pads", "ZD1212")
    await _fitment(
        conn,
        part,
        base["id"],
        position="Front",
        qualifiers=[{"text": "w/ 288mm rotor", "verify": True}],
    )
    vehicle = await (
        await conn.execute(
            "SELECT id FROM vehicles WHERE base_vehicle_id = %s LIMIT 1", (base["id"],)
        )
    ).fetchone()
    assert vehicle is not None
    result = await check_fit(conn, part, VehicleQuery(vehicle_id=vehicle["id"]))
    assert result.verdict == "fits"
    assert result.verify == ["w/ 288mm rotor"]
    assert result.evidence[0].source == "feed:test"
    assert result.evidence[0].position == "Front"
    assert "verify w/ 288mm rotor" in result.explanation


async def test_part_without_application_does_not_fit(conn: Conn) -> None:
    base = await _base(conn)
    part = await _part(conn)
    query = VehicleQuery(year=base["year"], make=base["make"], model=base["model"])
    result = await check_fit(conn, part, query)
    assert result.verdict == "does_not_fit"
    assert result.evidence == []


async def test_universal_part_fits_anything(conn: Conn) -> None:
    base = await _base(conn)
    part = await _part(conn, "Jumper Cables", "JC-1")
    query = VehicleQuery(year=base["year"], make=base["make"], model=base["model"])
    assert (await check_fit(conn, part, query)).verdict == "fits"


async def test_unknown_part_and_vehicle_are_reported(conn: Conn) -> None:
    with pytest.raises(NotFoundError):
        await check_fit(conn, 999_999, VehicleQuery(vehicle_id=1))
    part = await _part(conn)
    with pytest.raises(NotFoundError):
        await check_fit(conn, part, VehicleQuery(year=1990, make="Honda", model="Nope"))


async def test_reverse_fitment_collapses_consecutive_years(conn: Conn) -> None:
    rows = await (
        await conn.execute(
            "SELECT bv.model_id, array_agg(bv.id ORDER BY bv.year) AS ids,"
            " array_agg(bv.year ORDER BY bv.year) AS years FROM base_vehicles bv"
            " GROUP BY bv.model_id HAVING count(*) >= 3 LIMIT 1"
        )
    ).fetchone()
    assert rows is not None
    part = await _part(conn)
    years = rows["years"]
    consecutive = [bid for bid, y in zip(rows["ids"], years, strict=True) if y <= years[0] + 2]
    for base_vehicle_id in consecutive:
        await _fitment(conn, part, base_vehicle_id, engine_liters=Decimal("2.0"))
    ranges = await reverse_fitment(conn, part)
    assert ranges[0]["year_start"] == years[0]
    assert ranges[0]["label"].startswith(str(years[0]))
    assert "2.0L" in ranges[0]["label"]
    covered = sum(r["year_end"] - r["year_start"] + 1 for r in ranges)
    assert covered == len(consecutive)
