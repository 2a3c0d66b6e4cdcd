"""Vehicles come from real VIN decodes, normalized, and load idempotently."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg

from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.catalog.vehicles import store_vehicles


async def test_configurations_are_normalized(conn: psycopg.AsyncConnection[Any]) -> None:
    rows = await (
        await conn.execute(
            "SELECT v.drive, v.engine_liters, v.fuel, ma.name AS make FROM vehicles v "
            "JOIN base_vehicles bv ON bv.id = v.base_vehicle_id JOIN makes ma ON ma.id = bv.make_id"
        )
    ).fetchall()
    assert len(rows) > 1000
    assert {r["drive"] for r in rows} <= {"FWD", "RWD", "AWD", "4WD", None}
    liters = [r["engine_liters"] for r in rows if r["engine_liters"] is not None]
    assert all(x == x.quantize(Decimal("0.1")) for x in liters)
    assert all(r["engine_liters"] is None for r in rows if r["fuel"] == "Electric")
    assert len({r["make"] for r in rows}) >= 18
    assert "Mercedes-Benz" in {r["make"] for r in rows}


async def test_storing_the_same_configurations_twice_adds_nothing(
    conn: psycopg.AsyncConnection[Any], test_vehicles: list[VehicleConfig]
) -> None:
    assert await store_vehicles(conn, test_vehicles[:200]) == 0
    new = VehicleConfig(
        year=2015,
        make="Honda",
        model="Civic",
        submodel="Test Trim",
        engine_liters=Decimal("1.8"),
        engine_cylinders=4,
        fuel="Gasoline",
    )
    assert await store_vehicles(conn, [new]) == 1
