"""Shared pieces of the memory tests: the real embedding model (loaded once), pools,
and a catalog template: the demo feeds imported and every part embedded, once per
session, cloned for each test that needs it."""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from automechanica.catalog.demo import DEMO_FEEDS
from automechanica.catalog.feeds.generator import generate_demo_feeds
from automechanica.catalog.feeds.importer import import_feed
from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.db.embedded import EmbeddedPostgres, drop_database, ensure_database
from automechanica.memory import EmbeddingWorker, OnnxEmbedder, PgVectorStore

CATALOG_TEMPLATE = "am_memory_catalog"
CATALOG_PARTS = 1200
_counter = itertools.count()


@pytest.fixture(scope="session")
def embedder() -> OnnxEmbedder:
    """The real default model, loaded once for the session."""
    model = OnnxEmbedder.default()
    model.embed(["warm up"])
    return model


async def open_pool(url: str, max_size: int = 4) -> AsyncConnectionPool[Any]:
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        kwargs={"autocommit": True, "row_factory": dict_row},
        open=False,
    )
    await pool.open(wait=True)
    return pool


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[AsyncConnectionPool[Any]]:
    p = await open_pool(db_url)
    yield p
    await p.close()


@pytest.fixture(scope="session")
def catalog_template(
    pg_server: EmbeddedPostgres,
    template_db: str,
    test_vehicles: list[VehicleConfig],
    embedder: OnnxEmbedder,
) -> str:
    """The demo catalog (1,200 parts, three suppliers) with every part embedded."""
    admin = pg_server.admin_url()
    drop_database(admin, CATALOG_TEMPLATE)
    ensure_database(admin, CATALOG_TEMPLATE, template=template_db)
    url = pg_server.url(CATALOG_TEMPLATE)

    async def load() -> None:
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            generate_demo_feeds(folder, test_vehicles, seed=9, parts=CATALOG_PARTS)
            async with await psycopg.AsyncConnection.connect(url) as conn:
                for supplier, name in DEMO_FEEDS:
                    await import_feed(conn, folder / name, supplier=supplier)
        p = await open_pool(url)
        try:
            await EmbeddingWorker(p, embedder, PgVectorStore(p)).drain()
        finally:
            await p.close()
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute("VACUUM ANALYZE")

    _run_in_thread(load)
    return CATALOG_TEMPLATE


def _run_in_thread(coro_fn: Any) -> None:
    """Session fixtures may be set up while the test loop runs: use a loop of our own."""
    import threading

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro_fn())
        except BaseException as exc:  # re-raised below
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@pytest.fixture
def catalog_url(pg_server: EmbeddedPostgres, catalog_template: str) -> Iterator[str]:
    """A fresh clone of the embedded demo catalog."""
    name = f"test_memcat_{next(_counter)}"
    admin = pg_server.admin_url()
    ensure_database(admin, name, template=catalog_template)
    yield pg_server.url(name)
    drop_database(admin, name)


@pytest.fixture
async def catalog_pool(catalog_url: str) -> AsyncIterator[AsyncConnectionPool[Any]]:
    p = await open_pool(catalog_url)
    yield p
    await p.close()
