"""Connection pools (psycopg 3, async) and the checks a server must pass."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from psycopg import AsyncConnection
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


#: Whether the schema is there: migrations record their revision in this table.
HAS_SCHEMA = "SELECT to_regclass('alembic_version') IS NOT NULL"


def where(url: str) -> str:
    """HOST/DB of `url`, for messages (never the password)."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "the configured URL"
    host, port = info.get("host") or "localhost", info.get("port")
    return f"{host}{f':{port}' if port else ''}/{info.get('dbname') or '?'}"


def unreachable(url: str, exc: BaseException) -> DatabaseError:
    """The one-sentence error for a database that cannot be reached."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return DatabaseError(
        f"Cannot connect to the database at {where(url)} ({reason}); start it, or fix "
        "AUTOMECHANICA_DATABASE_URL (unset it to use the embedded server)."
    )


def not_migrated(url: str) -> DatabaseError:
    """The one-sentence error for a database without the schema."""
    return DatabaseError(
        f"The database at {where(url)} has no AutoMechanica schema; run `automechanica db migrate`."
    )


def translate(url: str, exc: psycopg.Error) -> DatabaseError | None:
    """The AutoMechanica error for a driver error that means unreachable or not migrated."""
    if isinstance(exc, psycopg.errors.UndefinedTable):
        return not_migrated(url)
    if isinstance(exc, psycopg.OperationalError):
        return unreachable(url, exc)
    return None


def check_schema(url: str) -> None:
    """Fail with a clear message when the database has not been migrated."""
    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            row = conn.execute(HAS_SCHEMA).fetchone()
    except psycopg.OperationalError as exc:
        raise unreachable(url, exc) from exc
    if not (row and row[0]):
        raise not_migrated(url)


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
        raise unreachable(url, exc) from exc
    if version < MIN_SERVER_VERSION:
        raise DatabaseError(
            f"PostgreSQL {version // 10000} is too old; AutoMechanica needs 15 or newer."
        )
    for name, hint in REQUIRED_EXTENSIONS.items():
        if name not in available:
            raise MissingExtensionError(name, hint)


async def open_pool(
    url: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    configure: Callable[[AsyncConnection[Any]], Awaitable[None]] | None = None,
) -> AsyncConnectionPool:
    """An opened pool whose connections return rows as dicts; `configure` runs on each
    new connection before the pool hands it out (the API warms them: storefront_warm)."""
    pool = AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        # Autocommit: a read is one round trip, not BEGIN + query + ROLLBACK on return;
        # writers open `conn.transaction()` explicitly.
        kwargs={"row_factory": dict_row, "autocommit": True},
        configure=configure,
        open=False,
    )
    try:
        await pool.open(wait=True, timeout=30)
    except Exception as exc:
        raise DatabaseError(f"Cannot open a connection pool: {exc}") from exc
    return pool
