"""Revocations reach every API process's cache of active sessions at once.

Two apps on one database stand for two API processes; a revocation made by a separate
Python process (tests/integration/revoke_elsewhere.py) reaches this one only through
PostgreSQL's notifications. Waits are on the listener's own counters, never on time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import UUID

import jwt
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from automechanica.accounts import ActiveSessions, Principal, Role, SessionListener, queries
from automechanica.api.app import create_app
from tests.integration.conftest import SECRET, Account, add_user, sign_in
from tests.integration.revoke_elsewhere import revoke_elsewhere

OPERATOR = "/api/admin/queue/stats"
OPS = "ops@example.com"


def _app(db_url: str, uploads: Path) -> FastAPI:
    return create_app(
        db_url, pool_min_size=1, pool_max_size=3, secret_key=SECRET, upload_dir=uploads
    )


@pytest.fixture
def two(db_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, TestClient]]:
    """Two API "processes" on one database, each with its own cache and listener."""
    with (
        TestClient(_app(db_url, tmp_path / "a")) as a,
        TestClient(_app(db_url, tmp_path / "b")) as b,
    ):
        yield a, b


def listener(client: TestClient) -> SessionListener:
    found: SessionListener = client.app.state.session_listener  # type: ignore[attr-defined]
    return found


def cache(client: TestClient) -> ActiveSessions:
    found: ActiveSessions = client.app.state.sessions.active  # type: ignore[attr-defined]
    return found


def session_of(account: Account) -> UUID:
    return UUID(jwt.decode(account.access_token, SECRET, algorithms=["HS256"])["sid"])


def wait_for(done: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"still waiting for {what} after {seconds} s"
        time.sleep(0.002)


def remembered(client: TestClient, account: Account) -> Principal:
    """Call an operator route until this process remembers the session; its principal."""
    for _ in range(2):  # the first call reads the database and stores, the second hits
        assert client.get(OPERATOR, headers=account.headers).status_code == 200
    found = cache(client).get(session_of(account))
    assert found is not None, "the session should be remembered after a check"
    return found


def signed_in_operator(client: TestClient, db_url: str) -> Account:
    add_user(db_url, OPS, Role.operator)
    wait_for(lambda: listener(client).connected, "the listener to connect")
    return sign_in(client, OPS)


def test_a_logout_in_one_process_is_refused_by_the_other_on_its_next_request(
    two: tuple[TestClient, TestClient], db_url: str
) -> None:
    a, b = two
    ops = signed_in_operator(a, db_url)
    wait_for(lambda: listener(b).connected, "b's listener to connect")
    remembered(b, ops)
    heard = listener(b).notifications
    assert a.post("/api/auth/logout", headers=ops.headers).status_code == 204
    wait_for(lambda: listener(b).notifications > heard, "b to hear of the logout")
    assert b.get(OPERATOR, headers=ops.headers).status_code == 401
    assert a.get(OPERATOR, headers=ops.headers).status_code == 401


@pytest.mark.parametrize(
    ("action", "args", "then"),
    [
        ("logout", ("{sid}",), 401),
        ("password", (OPS, "a brand new passphrase"), 401),
        ("disable", (OPS,), 401),
        ("role", (OPS, "customer"), 403),
    ],
)
def test_a_revocation_by_another_process_is_honoured_once_heard(
    api: TestClient, db_url: str, action: str, args: tuple[str, ...], then: int
) -> None:
    ops = signed_in_operator(api, db_url)
    remembered(api, ops)
    heard = listener(api).notifications
    revoke_elsewhere(db_url, action, *(a.format(sid=session_of(ops)) for a in args))
    wait_for(lambda: listener(api).notifications > heard, f"this process to hear of {action}")
    assert api.get(OPERATOR, headers=ops.headers).status_code == then


def test_a_role_given_by_another_process_applies_on_the_next_request(
    api: TestClient, db_url: str
) -> None:
    add_user(db_url, "c@example.com", Role.customer)
    customer = sign_in(api, "c@example.com")
    for _ in range(2):
        assert api.get(OPERATOR, headers=customer.headers).status_code == 403
    assert cache(api).get(session_of(customer)) is not None
    heard = listener(api).notifications
    revoke_elsewhere(db_url, "role", "c@example.com", "operator")
    wait_for(lambda: listener(api).notifications > heard, "this process to hear of the role")
    assert api.get(OPERATOR, headers=customer.headers).status_code == 200


def _revoke_silently(db_url: str, session: UUID) -> None:
    """A revocation that sends no notification (as an UPDATE typed into psql would)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("UPDATE auth_sessions SET revoked_at = now() WHERE id = %s", [session])


def test_with_the_listener_stopped_every_check_reads_the_database(
    api: TestClient, db_url: str
) -> None:
    ops = signed_in_operator(api, db_url)
    other = sign_in(api, OPS)
    remembered(api, ops)
    remembered(api, other)
    # Listening, a silent revocation is not seen until the entry's TTL: the cache serves.
    _revoke_silently(db_url, session_of(other))
    assert api.get(OPERATOR, headers=other.headers).status_code == 200
    api.portal.call(listener(api).stop)  # type: ignore[union-attr]
    assert not listener(api).connected and len(cache(api)) == 0
    _revoke_silently(db_url, session_of(ops))
    assert api.get(OPERATOR, headers=ops.headers).status_code == 401
    assert api.get(OPERATOR, headers=other.headers).status_code == 401
    fresh = sign_in(api, OPS)
    for _ in range(2):
        assert api.get(OPERATOR, headers=fresh.headers).status_code == 200
    assert len(cache(api)) == 0  # nothing is remembered while nothing listens


def test_a_lost_listener_connection_empties_the_cache_and_comes_back(
    api: TestClient, db_url: str
) -> None:
    ops = signed_in_operator(api, db_url)
    remembered(api, ops)
    watcher = listener(api)
    connects, pid = watcher.connects, watcher.backend_pid
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", [pid])
    wait_for(lambda: watcher.connects > connects and watcher.connected, "the listener to reconnect")
    assert watcher.backend_pid != pid
    assert cache(api).get(session_of(ops)) is None  # cleared: it may have missed something
    remembered(api, ops)
    heard = watcher.notifications
    revoke_elsewhere(db_url, "logout", str(session_of(ops)))
    wait_for(lambda: watcher.notifications > heard, "the reconnected listener to hear")
    assert api.get(OPERATOR, headers=ops.headers).status_code == 401


def test_a_read_overtaken_by_a_revocation_is_not_remembered(api: TestClient, db_url: str) -> None:
    ops = signed_in_operator(api, db_url)
    other = sign_in(api, OPS)
    active = cache(api)
    mark = active.mark()  # as a check does before its database read
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute(queries.SELECT_ACTIVE_SESSION, {"id": session_of(ops)}).fetchone()
    assert row is not None  # the read says "active"...
    principal = Principal(row[0], row[1], Role(row[2]), row[3])
    heard = listener(api).notifications
    revoke_elsewhere(db_url, "logout", str(session_of(ops)))  # ...then a logout commits
    wait_for(lambda: listener(api).notifications > heard, "the logout to be heard")
    assert not active.store(mark, principal, 600)  # the stale "active" is not stored
    assert active.get(session_of(ops)) is None
    assert api.get(OPERATOR, headers=ops.headers).status_code == 401
    # With nothing in between, the same store goes through.
    with psycopg.connect(db_url, autocommit=True) as conn:
        mark = active.mark()
        row = conn.execute(queries.SELECT_ACTIVE_SESSION, {"id": session_of(other)}).fetchone()
    assert row is not None
    fresh = Principal(row[0], row[1], Role(row[2]), row[3])
    assert active.store(mark, fresh, 600) and active.get(fresh.session_id) == fresh
