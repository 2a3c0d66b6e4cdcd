"""A VIN's configurations in our catalog: decode offline, then match attributes."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.catalog.fitment import vehicle_name
from automechanica.catalog.vehicles import CASCADE_CONFIGURATIONS
from automechanica.catalog.vin_decode import decode_vin

#: Attributes a VIN reliably tells; a catalog configuration must agree on each one
#: the VIN states.
_MATCHED = ("submodel", "engine_liters", "engine_cylinders", "fuel", "drive", "body")


async def match_vin(conn: AsyncConnection[Any], vin: str) -> dict[str, Any]:
    """Decode `vin` and name the catalog configurations it matches (VinError if invalid)."""
    decoded = decode_vin(vin)
    config = decoded.config
    assert config is not None
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(CASCADE_CONFIGURATIONS, (config.year, config.make, config.model))
        candidates = await cur.fetchall()
    stated = {k: getattr(config, k) for k in _MATCHED if getattr(config, k) is not None}
    matches = [c for c in candidates if all(c[k] == v for k, v in stated.items())]
    name = f"{config.year} {config.make} {config.model}"
    if matches:
        message = (
            f"{vin} is a {vehicle_name(matches[0])}; {len(matches)} matching configuration(s)."
        )
    elif candidates:
        matches = candidates
        message = (
            f"{vin} is a {name}; no configuration in the catalog matches every decoded "
            f"attribute, so all {len(candidates)} {name} configurations are listed."
        )
    else:
        message = f"{vin} is a {name}, which is not in the catalog."
    decoded_fields = {k: v for k, v in asdict(config).items()}
    return {
        "vin": decoded.vin,
        "check_digit_valid": decoded.check_digit_valid,
        "problems": decoded.problems,
        "decoded": decoded_fields,
        "matches": matches,
        "message": message,
    }
