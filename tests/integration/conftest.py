"""Fixtures for API tests: an app with a known signing key, and signed-in callers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from automechanica.accounts import PasswordHasher, Role, create_user
from automechanica.api.app import create_app

SECRET = "test-signing-key-" + "x" * 64
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Account:
    email: str
    role: Role
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def add_user(db_url: str, email: str, role: Role, password: str = PASSWORD) -> None:
    async def insert() -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            await create_user(conn, PasswordHasher(), email, password, role)

    asyncio.run(insert())


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Account:
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    return Account(email, Role(body["user"]["role"]), body["access_token"], body["refresh_token"])


@pytest.fixture
def api(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """The API on a fresh database, tokens signed with SECRET, uploads in tmp_path."""
    app = create_app(
        db_url,
        pool_min_size=1,
        pool_max_size=4,
        secret_key=SECRET,
        upload_dir=tmp_path / "uploads",
    )
    with TestClient(app) as client:
        yield client


@pytest.fixture
def accounts(api: TestClient, db_url: str) -> dict[Role, Account]:
    """One signed-in account per role."""
    for role in Role:
        add_user(db_url, f"{role.value}@example.com", role)
    return {role: sign_in(api, f"{role.value}@example.com") for role in Role}
