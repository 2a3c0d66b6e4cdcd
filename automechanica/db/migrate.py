"""Schema migrations (Alembic, raw SQL) behind `automechanica db migrate|status|reset`.

Alembic and SQLAlchemy are imported when a function runs, not with this module:
they take half a second, and every CLI command (a worker, an import) would pay it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _sqlalchemy_url(url: str) -> str:
    """Alembic talks through SQLAlchemy; point it at the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _config(url: str) -> Config:
    from alembic.config import Config

    config = Config(stdout=io.StringIO())
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser treats % as interpolation; URLs may contain it.
    config.set_main_option("sqlalchemy.url", _sqlalchemy_url(url).replace("%", "%%"))
    return config


@dataclass(frozen=True)
class MigrationStatus:
    current: str | None
    head: str
    pending: list[str]

    @property
    def up_to_date(self) -> bool:
        return not self.pending


def migrate(url: str) -> None:
    """Bring the schema to the newest revision."""
    from alembic import command

    command.upgrade(_config(url), "head")


def reset(url: str) -> None:
    """Drop everything the migrations made, then migrate again."""
    from alembic import command

    config = _config(url)
    command.downgrade(config, "base")
    command.upgrade(config, "head")


def status(url: str) -> MigrationStatus:
    """The applied revision, the newest one, and the revisions still to apply."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, pool

    script = ScriptDirectory.from_config(_config(url))
    engine = create_engine(_sqlalchemy_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    head = script.get_current_head()
    assert head is not None
    pending = [
        rev.revision
        for rev in script.iterate_revisions(head, current or "base")
        if rev.revision != current
    ]
    return MigrationStatus(current=current, head=head, pending=list(reversed(pending)))
