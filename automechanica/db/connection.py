"""Connection pools (psycopg 3, async) and the checks a server must pass."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from automechanica.errors import DatabaseError, MissingExtensionError

REQUIRED_EXTENSIONS = {
    "vector": "install pgvector (https://github.com/pgvector/pgvector#installation, "
    "or your distribution's postgresql-NN-pgvector package), then run "
    "`automechanica db migrate` again — or unset AUTOMECHANICA_DATABASE_URL "
    "to use the embedded server, which ships it",
    "pg_trgm": "install PostgreSQL's contrib package (postgresql-contrib)",
}
MIN_SERVER_VERSION = 150000


def check_server(url: str) -> None:
    """Fail with a clear message when the server is too old or lacks an extension."""
    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            version = conn.info.server_version
            available = {
                row[0]
                for row in conn.execute(
                    "SELECT name FROM pg_available_extensions WHERE name = ANY(%s)",
                    [list(REQUIRED_EXTENSIONS)],
                )
            }
    except psycopg.OperationalError as exc:
        raise DatabaseError(f"Cannot connect to the database: {exc}".strip()) from exc
    if version < MIN_SERVER_VERSION:
        raise DatabaseError(
            f"PostgreSQL {version // 10000} is too old; AutoMechanica needs 15 or newer."
        )
    for name, hint in REQUIRED_EXTENSIONS.items():
        if name not in available:
            raise MissingExtensionError(name, hint)


async def open_pool(url: str, *, min_size: int = 2, max_size: int = 10) -> AsyncConnectionPool:
    """An opened pool whose connections return rows as dicts."""
    pool = AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        # Autocommit: a read is one round trip, not BEGIN + query + ROLLBACK on return;
        # writers open `conn.transaction()` explicitly.
        kwargs={"row_factory": dict_row, "autocommit": True},
        open=False,
    )
    try:
        await pool.open(wait=True, timeout=30)
    except Exception as exc:
        raise DatabaseError(f"Cannot open a connection pool: {exc}") from exc
    return pool
