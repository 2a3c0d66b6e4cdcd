"""`automechanica eval vins`: how often a shopper's VIN resolves to a vehicle the store
knows — its year/make/model, and its exact configuration.

The VINs are drawn with `ultravin.generate` (real decoding patterns, a third each of
passenger cars, MPVs and trucks, model years 1990 on; seeded, so runs compare),
decoded and normalized as the store decodes a shopper's VIN, and looked up in the
store's database. It needs the full vehicle base there (`automechanica vehicles load
--full`, which `up` runs on first start); without it the set says so.
"""

from __future__ import annotations

from dataclasses import astuple, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import ultravin

from automechanica.catalog.vehicle_base_load import full_base_loaded, store_years
from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.catalog.vin_decode import configuration_from_decode

SAMPLE = 1500
SEED = 41
STORED = """
SELECT bv.year, ma.name, mo.name, v.submodel, v.engine_liters, v.engine_cylinders,
       v.engine_code, v.fuel, v.aspiration, v.drive, v.body, v.doors, v.transmission
FROM vehicles v JOIN base_vehicles bv ON bv.id = v.base_vehicle_id
JOIN models mo ON mo.id = bv.model_id JOIN makes ma ON ma.id = bv.make_id
"""
#: One per vehicle type: 2 passenger car, 7 MPV, 3 truck (vPIC's VehicleTypeId).
VEHICLE_TYPES = {"car": 2, "mpv": 7, "truck": 3}


def drawn_vins(n: int, seed: int, now: datetime) -> dict[str, list[VehicleConfig]]:
    last = store_years(now)[1]
    drawn: dict[str, list[VehicleConfig]] = {}
    for name, vehicle_type in VEHICLE_TYPES.items():
        vins = ultravin.generate(
            n // 3, seed=seed, min_year=1990, max_year=last, vehicle_type=vehicle_type,
            invalid_rate=0.0, now=now,
        )  # fmt: skip
        configs = (configuration_from_decode(d) for d in ultravin.decode_batch(vins, now=now))
        drawn[name] = [replace(c, source_vin=None) for c in configs if c is not None]
    return drawn


async def eval_vins(folder: Path, ctx: Any) -> dict[str, Any]:
    if ctx.database_url is None:
        return {"available": False, "reason": "needs the store's database"}
    now = datetime.now()
    async with await psycopg.AsyncConnection.connect(ctx.database_url) as conn:
        if not await full_base_loaded(conn, now=now):
            return {
                "available": False,
                "reason": "the full vehicle base is not loaded: run "
                "`automechanica vehicles load --full` (up does on first start)",
            }
        rows = [tuple(r) for r in await (await conn.execute(STORED)).fetchall()]
    ymm = {r[:3] for r in rows}
    exact = set(rows)
    report: dict[str, Any] = {"files": {}, "seed": SEED}
    total = ymm_hits = exact_hits = 0
    for name, configs in drawn_vins(SAMPLE, SEED, now).items():
        found = sum((c.year, c.make, c.model) in ymm for c in configs)
        same = sum(astuple(c)[:13] in exact for c in configs)
        report["files"][name] = {
            "vins": len(configs),
            "year_make_model": round(found / len(configs), 4) if configs else None,
            "exact_configuration": round(same / len(configs), 4) if configs else None,
        }
        total, ymm_hits, exact_hits = total + len(configs), ymm_hits + found, exact_hits + same
    report["year_make_model"] = round(ymm_hits / total, 4) if total else None
    report["exact_configuration"] = round(exact_hits / total, 4) if total else None
    report["targets"] = {"year_make_model": 0.99, "exact_configuration": 0.95}
    return report
