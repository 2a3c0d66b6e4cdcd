"""`vehicles load --full`: enumerate the vPIC base once per data month and store it."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ultravin
from psycopg import AsyncConnection

from automechanica.catalog.vehicle_base import (
    FIRST_YEAR,
    METHOD_VERSION,
    Progress,
    base_wmis,
    enumerate_base,
    no_progress,
    pattern_vins,
)
from automechanica.catalog.vehicle_base_store import BaseCounts, count_base, store_base

SELECT_LOAD = "SELECT 1 FROM vehicle_base_loads WHERE source = %s"
RECORD_LOAD = """
INSERT INTO vehicle_base_loads (source, makes, models, base_vehicles, vehicles, seconds)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (source) DO UPDATE SET makes = excluded.makes, models = excluded.models,
    base_vehicles = excluded.base_vehicles, vehicles = excluded.vehicles,
    seconds = excluded.seconds, loaded_at = now()
"""


@dataclass(frozen=True, slots=True)
class BaseLoad:
    """What a load did: its source key, rows added, the totals after, and its cost."""

    source: str
    skipped: bool
    added: BaseCounts
    totals: BaseCounts
    decodes: int
    seconds: float


def full_source(years: tuple[int, int]) -> str:
    """The key a full load is recorded under: vPIC data month, method and year range."""
    month = ultravin.provenance()["data_month"]
    return f"vpic:{month}:v{METHOD_VERSION}:{years[0]}-{years[1]}"


def cores() -> int:
    """The cores this process may run on (the load's decoding pool spreads over them)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def store_years(now: datetime) -> tuple[int, int]:
    """Model years the store sells: from vPIC's first through next year's."""
    return (FIRST_YEAR, now.year + 1)


async def full_base_loaded(conn: AsyncConnection[Any], *, now: datetime | None = None) -> bool:
    """Whether the full base of this vPIC data month is already stored."""
    years = store_years(now or datetime.now())
    cur = await conn.execute(SELECT_LOAD, (full_source(years),))
    return await cur.fetchone() is not None


async def load_full_base(
    conn: AsyncConnection[Any],
    *,
    now: datetime | None = None,
    force: bool = False,
    workers: int | None = None,
    progress: Progress = no_progress,
) -> BaseLoad:
    """Every vPIC car, MPV and truck of the store's years, decoded on `workers` processes
    (every core by default); skipped when already loaded."""
    clock = now or datetime.now()
    years = store_years(clock)
    source = full_source(years)
    if not force and await full_base_loaded(conn, now=clock):
        totals = await count_base(conn)
        return BaseLoad(source, True, BaseCounts(), totals, 0, 0.0)
    progress("patterns", 0, 1)
    wmis = base_wmis(now=clock)
    return await load_base(
        conn,
        pattern_vins(wmis),
        wmis,
        years=years,
        source=source,
        now=clock,
        workers=cores() if workers is None else workers,
        progress=progress,
    )


async def load_base(
    conn: AsyncConnection[Any],
    seeds: Sequence[str],
    wmis: Sequence[str],
    *,
    years: tuple[int, int],
    source: str,
    now: datetime | None = None,
    workers: int = 1,
    progress: Progress = no_progress,
) -> BaseLoad:
    """Enumerate from `seeds` and VINs drawn from `wmis` (decoded on `workers` processes),
    store in bulk, record the load; commits."""
    started = time.perf_counter()
    found = enumerate_base(seeds, wmis, years=years, now=now, workers=workers, progress=progress)
    progress("storing", 0, len(found.configs))
    async with conn.transaction():
        added = await store_base(conn, found.configs)
        totals = await count_base(conn)
        seconds = time.perf_counter() - started
        await conn.execute(
            RECORD_LOAD,
            (source, totals.makes, totals.models, totals.base_vehicles, totals.vehicles, seconds),
        )
    progress("storing", len(found.configs), len(found.configs))
    return BaseLoad(source, False, added, totals, found.decodes, seconds)
