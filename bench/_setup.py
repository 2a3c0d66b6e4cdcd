"""Shared set-up for benchmarks: a database (embedded unless a URL is given) with the
schema, reference data and the demo store's real vehicles."""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
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


ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A loopback port nobody listens on (at the moment of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_api(
    command: Sequence[str],
    url: str,
    *,
    env: Mapping[str, str] | None = None,
    wait_seconds: float = 60,
    quiet: bool = False,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `command --port N` (a benchmark's `--serve` child, or `automechanica up`)
    against the database `url` and wait until its /api/health answers; (process, base URL).

    The API runs in its own process so the load generator never shares its event loop."""
    port = free_port()
    proc = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=ROOT,
        env=os.environ | {"AUTOMECHANICA_DATABASE_URL": url} | dict(env or {}),
        stdout=subprocess.DEVNULL if quiet else None,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"the API server ({' '.join(command)}) did not start")


def serve_bench_module(
    module: str,
    url: str,
    *args: str,
    env: Mapping[str, str] | None = None,
    wait_seconds: float = 60,
) -> tuple[subprocess.Popen[bytes], str]:
    """`python -m <module> --serve <args> --port N`: a benchmark serving its own app."""
    command = [sys.executable, "-m", module, "--serve", *args]
    return serve_api(command, url, env=env, wait_seconds=wait_seconds)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of `values`, by linear interpolation."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]
