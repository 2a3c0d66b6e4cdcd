"""`automechanica eval vins`: how often a shopper's VIN resolves to a vehicle the store
knows — its year/make/model, and its exact configuration.

The VINs are drawn with `ultravin.generate` (real decoding patterns, a third each of
passenger cars, MPVs and trucks, model years 1990 on; seeded, so runs compare),
decoded and normalized as the store decodes a shopper's VIN, and looked up in the
store's database. It needs the full vehicle base there (`automechanica vehicles load
--full`, which `up` runs on first start); without it the set says so.

A VIN finds its exact configuration when `vin_match` would say so: a stored
configuration of its year/make/model agrees on every attribute a match compares
that the VIN states (trim, engine size, cylinders, fuel, drive, body). The share
whose stored row is identical on every column, blanks included, is reported
beside it (`identical_row`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import ultravin

from automechanica.catalog.vehicle_base_load import full_base_loaded, store_years
from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.catalog.vin_decode import configuration_from_decode
from automechanica.catalog.vin_match import MATCHED, agrees, stated_attributes

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


#: Columns of STORED, by name, after year, make and model.
_COLUMNS = (
    "submodel", "engine_liters", "engine_cylinders", "engine_code", "fuel", "aspiration",
    "drive", "body", "doors", "transmission",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Coverage:
    """How many drawn VINs the stored base knows: by year/make/model, by the exact
    configuration a VIN match finds, and by an identical row."""

    vins: int
    year_make_model: int
    exact_configuration: int
    identical_row: int


class StoredBase:
    """The stored configurations (rows of STORED), indexed for coverage checks."""

    def __init__(self, rows: Iterable[Sequence[Any]]) -> None:
        self.rows = {tuple(r) for r in rows}
        self.by_ymm: dict[tuple[Any, ...], set[tuple[Any, ...]]] = defaultdict(set)
        for r in self.rows:
            named = dict(zip(_COLUMNS, r[3:], strict=True))
            self.by_ymm[tuple(r[:3])].add(tuple(named[k] for k in MATCHED))

    def coverage(self, configs: Iterable[VehicleConfig]) -> Coverage:
        vins = ymm = exact = identical = 0
        for c in configs:
            vins += 1
            candidates = self.by_ymm.get((c.year, c.make, c.model))
            if not candidates:
                continue
            ymm += 1
            stated = stated_attributes(c)
            exact += any(agrees(dict(zip(MATCHED, m, strict=True)), stated) for m in candidates)
            identical += astuple(replace(c, source_vin=None))[:13] in self.rows
        return Coverage(vins, ymm, exact, identical)


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
        base = StoredBase(await (await conn.execute(STORED)).fetchall())
    report: dict[str, Any] = {"files": {}, "seed": SEED}
    total = Coverage(0, 0, 0, 0)
    for name, configs in drawn_vins(SAMPLE, SEED, now).items():
        found = base.coverage(configs)
        report["files"][name] = _shares(found)
        total = Coverage(*(a + b for a, b in zip(astuple(total), astuple(found), strict=True)))
    report.update(_shares(total))
    report["targets"] = {"year_make_model": 0.99, "exact_configuration": 0.95}
    return report


def _shares(c: Coverage) -> dict[str, Any]:
    def share(n: int) -> float | None:
        return round(n / c.vins, 4) if c.vins else None

    return {
        "vins": c.vins,
        "year_make_model": share(c.year_make_model),
        "exact_configuration": share(c.exact_configuration),
        "identical_row": share(c.identical_row),
    }
