"""The vehicle table: built from real VIN decodes, walked by the garage cascade."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, replace
from datetime import datetime
from typing import Any

import ultravin
from psycopg import AsyncConnection

from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.catalog.vin_decode import decode_many
from automechanica.catalog.vocabulary import DEMO_MAKES, MAKE_ALIASES, alias_key

#: vPIC VehicleType ids: passenger car, multipurpose vehicle, truck.
_VEHICLE_TYPES = (2, 7, 3)
#: The demo store's clock, frozen so the same seed always yields the same vehicles.
DEMO_CLOCK = datetime(2026, 6, 1)

INSERT_MAKE = """
INSERT INTO makes (name) VALUES (%s) ON CONFLICT (name) DO NOTHING
"""
INSERT_MAKE_ALIAS = """
INSERT INTO make_aliases (alias, make_id)
SELECT %s, id FROM makes WHERE name = %s
ON CONFLICT (alias) DO NOTHING
"""
INSERT_MODEL = """
INSERT INTO models (make_id, name)
SELECT id, %s FROM makes WHERE name = %s
ON CONFLICT (make_id, name) DO NOTHING
"""
INSERT_BASE_VEHICLE = """
INSERT INTO base_vehicles (year, make_id, model_id)
SELECT %s, mo.make_id, mo.id
FROM models mo JOIN makes ma ON ma.id = mo.make_id
WHERE ma.name = %s AND mo.name = %s
ON CONFLICT (model_id, year) DO NOTHING
"""
INSERT_VEHICLE = """
INSERT INTO vehicles (base_vehicle_id, submodel, engine_liters, engine_cylinders, engine_code,
                      fuel, aspiration, drive, body, doors, transmission, source_vin)
SELECT bv.id, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s
FROM base_vehicles bv
JOIN models mo ON mo.id = bv.model_id
JOIN makes ma ON ma.id = mo.make_id
WHERE bv.year = %s AND ma.name = %s AND mo.name = %s
ON CONFLICT ON CONSTRAINT vehicles_configuration DO NOTHING
"""

VEHICLE_COLUMNS = """
    v.id, bv.id AS base_vehicle_id, bv.year, ma.name AS make, mo.name AS model, v.submodel,
    v.engine_liters, v.engine_cylinders, v.engine_code, v.fuel, v.aspiration, v.drive,
    v.body, v.doors, v.transmission
"""
VEHICLE_FROM = """
FROM vehicles v
JOIN base_vehicles bv ON bv.id = v.base_vehicle_id
JOIN models mo ON mo.id = bv.model_id
JOIN makes ma ON ma.id = bv.make_id
"""
SELECT_VEHICLE = "SELECT" + VEHICLE_COLUMNS + VEHICLE_FROM + "WHERE v.id = %s"

CASCADE_YEARS = "SELECT DISTINCT year FROM base_vehicles ORDER BY year DESC"
CASCADE_MAKES = """
SELECT DISTINCT ma.name FROM base_vehicles bv JOIN makes ma ON ma.id = bv.make_id
WHERE bv.year = %s ORDER BY ma.name
"""
CASCADE_MODELS = """
SELECT mo.name FROM base_vehicles bv
JOIN models mo ON mo.id = bv.model_id JOIN makes ma ON ma.id = bv.make_id
WHERE bv.year = %s AND ma.name = %s ORDER BY mo.name
"""
CASCADE_CONFIGURATIONS = (
    "SELECT"
    + VEHICLE_COLUMNS
    + VEHICLE_FROM
    + """WHERE bv.year = %s AND ma.name = %s AND mo.name = %s
ORDER BY v.submodel NULLS FIRST, v.engine_liters NULLS FIRST, v.id"""
)
SELECT_MAKE_MODEL_PAIRS = """
SELECT ma.name AS make, mo.name AS model FROM models mo JOIN makes ma ON ma.id = mo.make_id
"""
SELECT_ALL_VEHICLES = "SELECT" + VEHICLE_COLUMNS + VEHICLE_FROM + "ORDER BY v.id"


def demo_vehicle_configs(
    *,
    makes: Sequence[str] = DEMO_MAKES,
    years: tuple[int, int] = (2010, 2024),
    vins_per_type: int = 300,
    seed: int = 11,
) -> list[VehicleConfig]:
    """Distinct configurations from real VIN decodes: the same seed, the same vehicles.

    ultravin draws VINs from NHTSA's real patterns; we keep the ones that decode
    cleanly to a known body and fuel (and, unless electric, an engine size).
    """
    seen: dict[tuple[Any, ...], VehicleConfig] = {}
    for make in makes:
        vins: list[str] = []
        for vehicle_type in _VEHICLE_TYPES:
            vins += ultravin.generate(
                vins_per_type,
                seed=seed,
                make=make,
                min_year=years[0],
                max_year=years[1],
                vehicle_type=vehicle_type,
                invalid_rate=0.0,
                now=DEMO_CLOCK,
            )
        for config in decode_many(vins, now=DEMO_CLOCK):
            if not (config.body and config.fuel) or config.make != make:
                continue
            if config.fuel != "Electric" and config.engine_liters is None:
                continue
            key = astuple(replace(config, source_vin=None))
            seen.setdefault(key, config)
    return list(seen.values())


async def store_vehicles(conn: AsyncConnection[Any], configs: Sequence[VehicleConfig]) -> int:
    """Insert makes, models, base vehicles and configurations; returns new configurations."""
    makes = sorted({c.make for c in configs} | set(MAKE_ALIASES.values()) & set(DEMO_MAKES))
    models = sorted({(c.model, c.make) for c in configs})
    base = sorted({(c.year, c.make, c.model) for c in configs})
    async with conn.cursor() as cur:
        await cur.executemany(INSERT_MAKE, [(m,) for m in makes])
        aliases = [(alias_key(m), m) for m in makes]
        aliases += [(alias, make) for alias, make in MAKE_ALIASES.items() if make in makes]
        await cur.executemany(INSERT_MAKE_ALIAS, aliases)
        await cur.executemany(INSERT_MODEL, models)
        await cur.executemany(INSERT_BASE_VEHICLE, base)
        await cur.executemany(
            INSERT_VEHICLE,
            [
                (
                    c.submodel,
                    c.engine_liters,
                    c.engine_cylinders,
                    c.engine_code,
                    c.fuel,
                    c.aspiration,
                    c.drive,
                    c.body,
                    c.doors,
                    c.transmission,
                    c.source_vin,
                    c.year,
                    c.make,
                    c.model,
                )
                for c in configs
            ],
        )
        return max(cur.rowcount, 0)  # executemany sums the rows each statement inserted
