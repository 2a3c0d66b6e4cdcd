"""A database outage is a 503 with Retry-After, and the same app recovers by itself.

The test runs its own embedded PostgreSQL (not the session's shared one), stops it
under a running app, and starts it again.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from automechanica.api.app import create_app
from automechanica.api.policy import ApiPolicy
from automechanica.db import migrate
from automechanica.db.embedded import EmbeddedPostgres


@pytest.fixture
def own_server() -> Iterator[EmbeddedPostgres]:
    root = Path(tempfile.mkdtemp(prefix="automechanica-outage-pg-"))
    server = EmbeddedPostgres(root / "data")  # kept across the stop in the test
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


def _until_ok(client: TestClient, url: str, attempts: int = 60) -> list[int]:
    """Statuses seen until the first 200 (stale pooled connections are dropped one by
    one as requests meet them; the pool reconnects in the background)."""
    seen = []
    for _ in range(attempts):
        status = client.get(url).status_code
        seen.append(status)
        if status == 200:
            return seen
        time.sleep(0.25)
    return seen


def test_database_outage_is_503_then_recovers(own_server: EmbeddedPostgres) -> None:
    url = own_server.url("outage")
    migrate.migrate(url)
    policy = ApiPolicy(db_timeout_seconds=1.0, retry_after_seconds=7)
    app = create_app(url, pool_min_size=2, pool_max_size=2, policy=policy)
    with TestClient(app) as client:
        assert client.get("/api/ready").status_code == 200
        assert client.get("/api/vehicles/years").status_code == 200

        own_server.stop()
        for path in ("/api/ready", "/api/vehicles/years", "/api/parts", "/api/ready"):
            response = client.get(path)
            assert response.status_code == 503, (path, response.text)
            assert response.headers["retry-after"] == "7"
            assert response.headers["content-type"] == "application/problem+json"
            assert "unavailable" in response.json()["detail"]
        assert client.get("/api/health").status_code == 200  # the process is alive

        own_server.start()
        seen = _until_ok(client, "/api/ready")
        assert seen[-1] == 200, seen
        assert set(seen) <= {200, 503}, seen  # never a 500 on the way back
        assert client.get("/api/vehicles/years").status_code == 200
