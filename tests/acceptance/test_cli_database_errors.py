"""Every command group on a database it cannot use: one sentence on stderr, exit 1, no
traceback — for a server that is not there and for a database never migrated."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from automechanica.db.embedded import EmbeddedPostgres, drop_database, ensure_database

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "automechanica"]
UNREACHABLE = "postgresql://127.0.0.1:1/x"

#: One or more commands of every group that touches the database.
NEEDS_SCHEMA = [
    ("vin", "decode", "1HGCM82633A004352"),
    ("fitment", "parse", "2015-2018 Honda Civic"),
    ("demo", "load"),
    ("queue", "stats"),
    ("queue", "dead", "list"),
    ("queue", "enqueue", "test.effect", "{}"),
    ("llm", "usage"),
    ("memory", "status"),
    ("memory", "replay"),
    ("memory", "drain"),
    ("worker", "--kinds", "embedding"),
    ("worker", "--tasks", "tests.integration.queue_fixtures"),
]
#: These migrate (or report the revision), so only an unreachable server stops them.
MIGRATE = [("db", "status"), ("db", "migrate"), ("up", "--port", "1")]


def run(url: str, args: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMECHANICA_")}
    env |= {"AUTOMECHANICA_DATABASE_URL": url, "COLUMNS": "80"}  # narrow: still one line
    return subprocess.run(
        [*CLI, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=180
    )


def check_all(url: str, commands: list[tuple[str, ...]], expected: str) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda args: run(url, args), commands))
    failures = []
    for args, done in zip(commands, results, strict=True):
        lines = done.stderr.strip().splitlines()
        one_sentence = len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0]
        if done.returncode != 1 or not one_sentence or "Traceback" in done.stderr + done.stdout:
            failures.append(f"{' '.join(args)} -> {done.returncode}\n{done.stderr}{done.stdout}")
    assert not failures, "\n\n".join(failures)


@pytest.fixture
def empty_url(pg_server: EmbeddedPostgres) -> Iterator[str]:
    """A database on the test server that was never migrated."""
    admin = pg_server.admin_url()
    ensure_database(admin, "never_migrated")
    yield pg_server.url("never_migrated")
    drop_database(admin, "never_migrated")


def test_an_unreachable_server_is_one_sentence_and_exit_1() -> None:
    check_all(
        UNREACHABLE, NEEDS_SCHEMA + MIGRATE, "Cannot connect to the database at 127.0.0.1:1/x"
    )


def test_a_database_without_the_schema_is_one_sentence_and_exit_1(empty_url: str) -> None:
    check_all(
        empty_url, NEEDS_SCHEMA, "has no AutoMechanica schema; run `automechanica db migrate`"
    )
