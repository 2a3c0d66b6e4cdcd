"""The queue's admin endpoints over real HTTP handling and a real database."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from fastapi.testclient import TestClient

from automechanica.accounts import Role
from automechanica.queue import insert_tasks, new_task
from automechanica.queue.lease import Failure, Settlement, lease, settle
from tests.integration.conftest import Account


@pytest.fixture
def client(api: TestClient, accounts: dict[Role, Account]) -> TestClient:
    """Signed in as an operator: the queue's console pages need that role."""
    api.headers.update(accounts[Role.operator].headers)
    return api


def _seed(url: str) -> tuple[list[int], int]:
    """Three pending tasks and one dead letter."""

    async def run() -> tuple[list[int], int]:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            pending = await insert_tasks(conn, [new_task("mail", {"i": i}) for i in range(3)])
            (dead,) = await insert_tasks(conn, [new_task("feed", {}, max_attempts=1)])
            (held,) = await lease(conn, worker="t", kinds=["feed"], limit=1, lease_seconds=30)
            failure = Failure(held, "dead", 0, "FeedError: bad header", "Traceback: ...")
            await settle(conn, Settlement(failed=[failure]))
            return pending, dead

    return asyncio.run(run())


def test_stats_and_task_inspection(client: TestClient, db_url: str) -> None:
    _, dead = _seed(db_url)
    stats = client.get("/api/admin/queue/stats").json()
    assert stats["counts"]["pending"] == 3 and stats["counts"]["dead"] == 1
    assert {k["kind"] for k in stats["kinds"]} == {"mail", "feed"}
    shown = client.get(f"/api/admin/queue/tasks/{dead}").json()
    assert shown["last_error"] == "FeedError: bad header"
    assert shown["last_traceback"] == "Traceback: ..." and shown["attempts"] == 1
    missing = client.get("/api/admin/queue/tasks/999999")
    assert missing.status_code == 404 and "No task 999999" in missing.json()["detail"]


def test_dead_letters_list_replay_discard(client: TestClient, db_url: str) -> None:
    pending, dead = _seed(db_url)
    listed = client.get("/api/admin/queue/dead", params={"kind": "feed"}).json()
    assert [d["id"] for d in listed] == [dead]
    conflict = client.post(f"/api/admin/queue/dead/{pending[0]}/replay")
    assert conflict.status_code == 409 and "only dead" in conflict.json()["detail"]
    assert client.post(f"/api/admin/queue/dead/{dead}/replay").json() == {"ids": [dead]}
    assert client.get(f"/api/admin/queue/tasks/{dead}").json()["status"] == "pending"
    assert client.post("/api/admin/queue/dead/discard", json={}).json() == {"ids": []}
    assert client.post("/api/admin/queue/dead/replay", json={"kind": "x"}).json() == {"ids": []}
    assert client.delete(f"/api/admin/queue/dead/{dead}").status_code == 409
    bad = client.post("/api/admin/queue/dead/replay", json={"colour": "red"})
    assert bad.status_code == 422


def test_cancel_a_pending_task(client: TestClient, db_url: str) -> None:
    pending, dead = _seed(db_url)
    assert client.post(f"/api/admin/queue/tasks/{pending[1]}/cancel").json() == {
        "ids": [pending[1]]
    }
    assert client.get(f"/api/admin/queue/tasks/{pending[1]}").status_code == 404
    assert client.post(f"/api/admin/queue/tasks/{dead}/cancel").status_code == 409
