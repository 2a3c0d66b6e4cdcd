"""Shared fixtures: one embedded PostgreSQL per run, a migrated template database
with reference data and real vehicles, and a fresh clone of it for each test."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from automechanica.catalog.reference import store_reference_data
from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.catalog.vehicles import demo_vehicle_configs, store_vehicles
from automechanica.db import migrate
from automechanica.db.embedded import EmbeddedPostgres, drop_database, ensure_database

TEMPLATE = "am_template"
_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[EmbeddedPostgres]:
    # Outside pytest's basetemp: a second pytest session re-permissions that folder,
    # which would pull the data directory from under a server still running there.
    root = Path(tempfile.mkdtemp(prefix="automechanica-test-pg-"))
    server = EmbeddedPostgres(root / "data", delete_on_exit=True)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def test_vehicles() -> list[VehicleConfig]:
    """A few thousand real configurations (VIN decodes), small enough to build fast."""
    return demo_vehicle_configs(vins_per_type=60)


@pytest.fixture(scope="session")
def template_db(pg_server: EmbeddedPostgres, test_vehicles: list[VehicleConfig]) -> str:
    admin = pg_server.admin_url()
    drop_database(admin, TEMPLATE)
    ensure_database(admin, TEMPLATE)
    url = pg_server.url(TEMPLATE)
    migrate.migrate(url)

    async def load() -> None:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            await store_reference_data(conn)
            await store_vehicles(conn, test_vehicles)
            await conn.commit()

    asyncio.run(load())
    return TEMPLATE


@pytest.fixture
def db_url(pg_server: EmbeddedPostgres, template_db: str) -> Iterator[str]:
    """A fresh database cloned from the template, dropped after the test."""
    name = f"test_{next(_counter)}"
    admin = pg_server.admin_url()
    ensure_database(admin, name, template=template_db)
    yield pg_server.url(name)
    drop_database(admin, name)


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    async with await psycopg.AsyncConnection.connect(db_url, row_factory=dict_row) as c:
        yield c


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
