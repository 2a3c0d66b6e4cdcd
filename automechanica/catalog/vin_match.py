"""A VIN's configurations in our catalog: decode offline, then match attributes.

An exact match agrees on every attribute the VIN states (trim, engine, fuel,
drive, body). Without one, the nearest configurations are offered — weighted
engine first, then trim — and the message says which attributes differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.catalog.fitment import vehicle_name
from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.catalog.vehicles import CASCADE_CONFIGURATIONS
from automechanica.catalog.vin_decode import decode_vin

#: Attributes a VIN reliably tells, with how much an agreement on each one weighs when
#: no configuration agrees on all of them: the engine decides most parts, then the trim.
_WEIGHTS = {
    "engine_liters": 8,
    "engine_cylinders": 4,
    "submodel": 4,
    "fuel": 2,
    "drive": 2,
    "body": 1,
}
_LABELS = {
    "engine_liters": "engine size",
    "engine_cylinders": "cylinders",
    "submodel": "trim",
    "fuel": "fuel",
    "drive": "drive",
    "body": "body",
}


#: The attributes a match compares, in order of weight.
MATCHED = tuple(_WEIGHTS)


def stated_attributes(config: VehicleConfig) -> dict[str, Any]:
    """The compared attributes a VIN's decode states (those it leaves blank match any)."""
    return {k: getattr(config, k) for k in MATCHED if getattr(config, k) is not None}


def _differences(candidate: Mapping[str, Any], stated: Mapping[str, Any]) -> list[str]:
    return [k for k, v in stated.items() if candidate[k] != v]


def agrees(candidate: Mapping[str, Any], stated: Mapping[str, Any]) -> bool:
    """Whether a stored configuration is the VIN's exactly: equal on all it states."""
    return not _differences(candidate, stated)


async def match_vin(conn: AsyncConnection[Any], vin: str) -> dict[str, Any]:
    """Decode `vin` and name the catalog configurations it matches (VinError if invalid)."""
    decoded = decode_vin(vin)
    config = decoded.config
    assert config is not None
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(CASCADE_CONFIGURATIONS, (config.year, config.make, config.model))
        candidates = await cur.fetchall()
    stated = stated_attributes(config)
    matches = [c for c in candidates if agrees(c, stated)]
    name = f"{config.year} {config.make} {config.model}"
    exact = bool(matches)
    if matches:
        message = (
            f"{vin} is a {vehicle_name(matches[0])}; "
            f"{len(matches)} configuration(s) match it exactly."
        )
    elif candidates:

        def score(c: dict[str, Any]) -> int:
            return sum(w for k, w in _WEIGHTS.items() if k in stated and c[k] == stated[k])

        best = max(score(c) for c in candidates)
        matches = [c for c in candidates if score(c) == best]
        differ = sorted(
            {d for c in matches for d in _differences(c, stated)}, key=list(_WEIGHTS).index
        )
        wanted = ", ".join(f"{_LABELS[k]} {stated[k]}" for k in differ)
        message = (
            f"{vin} is a {name} ({wanted}), but no configuration in the catalog matches "
            f"exactly; the {len(matches)} nearest differ in "
            f"{', '.join(_LABELS[k] for k in differ)}."
        )
    else:
        message = f"{vin} is a {name}, which is not in the catalog."
    decoded_fields = {k: v for k, v in asdict(config).items()}
    return {
        "vin": decoded.vin,
        "check_digit_valid": decoded.check_digit_valid,
        "problems": decoded.problems,
        "decoded": decoded_fields,
        "exact": exact,
        "matches": matches,
        "message": message,
    }
