"""Write a vehicle base in bulk: COPY into a staging table, then one statement per table.

Idempotent: makes, models, base vehicles and configurations are inserted with
ON CONFLICT DO NOTHING on their natural keys, so the demo's vehicles (the same
normalization of other VINs) and every fitment pointing at them stay as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.catalog.vocabulary import alias_key

CREATE_STAGING = """
CREATE TEMPORARY TABLE vehicle_base_staging (
    year smallint, make text, model text, submodel text, engine_liters numeric(3,1),
    engine_cylinders smallint, engine_code text, fuel text, aspiration text, drive text,
    body text, doors smallint, transmission text, source_vin text
)
"""
COPY_STAGING = """
COPY vehicle_base_staging (year, make, model, submodel, engine_liters, engine_cylinders,
    engine_code, fuel, aspiration, drive, body, doors, transmission, source_vin) FROM STDIN
"""
INSERT_MAKES = """
INSERT INTO makes (name) SELECT DISTINCT make FROM vehicle_base_staging
ON CONFLICT (name) DO NOTHING
"""
INSERT_MAKE_KEYS = """
INSERT INTO make_aliases (alias, make_id)
SELECT k.alias, ma.id FROM unnest(%s::text[], %s::text[]) AS k(alias, make)
JOIN makes ma ON ma.name = k.make
ON CONFLICT (alias) DO NOTHING
"""
INSERT_MODELS = """
INSERT INTO models (make_id, name)
SELECT DISTINCT ma.id, s.model FROM vehicle_base_staging s JOIN makes ma ON ma.name = s.make
ON CONFLICT (make_id, name) DO NOTHING
"""
INSERT_BASE_VEHICLES = """
INSERT INTO base_vehicles (year, make_id, model_id)
SELECT DISTINCT s.year, mo.make_id, mo.id
FROM vehicle_base_staging s
JOIN makes ma ON ma.name = s.make
JOIN models mo ON mo.make_id = ma.id AND mo.name = s.model
ON CONFLICT (model_id, year) DO NOTHING
"""
INSERT_VEHICLES = """
INSERT INTO vehicles (base_vehicle_id, submodel, engine_liters, engine_cylinders, engine_code,
                      fuel, aspiration, drive, body, doors, transmission, source_vin)
SELECT DISTINCT ON (bv.id, s.submodel, s.engine_liters, s.engine_cylinders, s.engine_code,
                    s.fuel, s.aspiration, s.drive, s.body, s.doors, s.transmission)
       bv.id, s.submodel, s.engine_liters, s.engine_cylinders, s.engine_code, s.fuel,
       s.aspiration, s.drive, s.body, s.doors, s.transmission, s.source_vin
FROM vehicle_base_staging s
JOIN makes ma ON ma.name = s.make
JOIN models mo ON mo.make_id = ma.id AND mo.name = s.model
JOIN base_vehicles bv ON bv.model_id = mo.id AND bv.year = s.year
ON CONFLICT ON CONSTRAINT vehicles_configuration DO NOTHING
"""
COUNT_BASE = """
SELECT (SELECT count(*) FROM makes) AS makes, (SELECT count(*) FROM models) AS models,
       (SELECT count(*) FROM base_vehicles) AS base_vehicles,
       (SELECT count(*) FROM vehicles) AS vehicles
"""


@dataclass(frozen=True, slots=True)
class BaseCounts:
    """Rows in each vehicle table (or rows added, for a load's result)."""

    makes: int = 0
    models: int = 0
    base_vehicles: int = 0
    vehicles: int = 0


async def count_base(conn: AsyncConnection[Any]) -> BaseCounts:
    """How many makes, models, base vehicles and configurations the store knows."""
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(COUNT_BASE)
        row = await cur.fetchone()
    assert row is not None
    return BaseCounts(*(int(v) for v in row))


async def store_base(conn: AsyncConnection[Any], configs: Sequence[VehicleConfig]) -> BaseCounts:
    """Store `configs` in bulk (in the caller's transaction); returns the rows added."""
    async with conn.cursor() as cur:
        await cur.execute(CREATE_STAGING)
        async with cur.copy(COPY_STAGING) as copy:
            for c in configs:
                await copy.write_row(
                    (
                        c.year,
                        c.make,
                        c.model,
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
                    )
                )
        await cur.execute(INSERT_MAKES)
        makes = max(cur.rowcount, 0)
        names = sorted({c.make for c in configs})
        await cur.execute(INSERT_MAKE_KEYS, ([alias_key(n) for n in names], names))
        await cur.execute(INSERT_MODELS)
        models = max(cur.rowcount, 0)
        await cur.execute(INSERT_BASE_VEHICLES)
        base_vehicles = max(cur.rowcount, 0)
        await cur.execute(INSERT_VEHICLES)
        vehicles = max(cur.rowcount, 0)
        await cur.execute("DROP TABLE vehicle_base_staging")
    return BaseCounts(makes, models, base_vehicles, vehicles)
