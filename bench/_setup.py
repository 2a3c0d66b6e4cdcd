"""Shared set-up for benchmarks: a database (embedded unless a URL is given) with the
schema, reference data and the demo store's real vehicles."""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg

from automechanica.catalog.reference import store_reference_data
from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.catalog.vehicles import demo_vehicle_configs, store_vehicles
from automechanica.db import migrate
from automechanica.db.embedded import EmbeddedPostgres, drop_database, ensure_database


@contextmanager
def bench_database(name: str) -> Iterator[tuple[str, Path]]:
    """(database URL, scratch folder); an embedded server in a temp folder by default."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as scratch:
        work = Path(scratch)
        external = os.environ.get("AUTOMECHANICA_DATABASE_URL")
        if external:
            yield external, work
            return
        server = EmbeddedPostgres(work / "pgdata", delete_on_exit=True)
        server.start()
        try:
            drop_database(server.admin_url(), name)
            ensure_database(server.admin_url(), name)
            yield server.url(name), work
        finally:
            server.stop()


def prepare_catalog(url: str, *, vins_per_type: int = 300) -> list[VehicleConfig]:
    """Migrate and store brands, part types and the demo vehicles; return the vehicles."""
    migrate.migrate(url)
    configs = demo_vehicle_configs(vins_per_type=vins_per_type)

    async def load() -> None:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            await store_reference_data(conn)
            await store_vehicles(conn, configs)
            await conn.commit()

    asyncio.run(load())
    return configs


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of `values`, by linear interpolation."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]
