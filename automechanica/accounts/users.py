"""Users: staff (admin, operator) and customers with accounts, in one table."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from pydantic import BaseModel

from automechanica.accounts import queries
from automechanica.accounts.active import forget_user_here
from automechanica.accounts.passwords import PasswordHasher
from automechanica.accounts.roles import Role
from automechanica.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)

# Deliberately loose (RFC 5322 is looser still): something@domain.tld, no spaces.
EMAIL = re.compile(r"^[^@\s\x00]{1,64}@[^@\s\x00]{1,189}\.[^@\s\x00.]{2,63}$")


class User(BaseModel):
    id: int
    email: str
    role: Role
    name: str | None
    created_at: datetime
    disabled_at: datetime | None


def check_email(email: str) -> str:
    email = email.strip()
    if not EMAIL.match(email):
        raise InvalidInputError(f"{email[:80]!r} is not an email address (name@example.com).")
    return email


async def _one(conn: AsyncConnection[Any], query: str, params: dict[str, Any]) -> dict[str, Any]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        row = await cur.fetchone()
    if row is None:
        raise NotFoundError("user", params.get("email") or params.get("id"))
    return row


async def create_user(
    conn: AsyncConnection[Any],
    hasher: PasswordHasher,
    email: str,
    password: str,
    role: Role,
    *,
    name: str | None = None,
) -> User:
    """A new account; ConflictError when the email (in any case) is taken."""
    email = check_email(email)
    hashed = await hasher.hash(password)
    params = {"email": email, "hash": hashed, "role": role.value, "name": name}
    try:
        async with conn.transaction():
            row = await _one(conn, queries.INSERT_USER, params)
    except psycopg.errors.UniqueViolation as exc:
        raise ConflictError(f"An account for {email} already exists.") from exc
    return User.model_validate(row)


async def find_user(conn: AsyncConnection[Any], email: str) -> User:
    return User.model_validate(await _one(conn, queries.SELECT_USER_FOR_LOGIN, {"email": email}))


async def list_users(conn: AsyncConnection[Any]) -> list[User]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(queries.SELECT_USERS)
        return [User.model_validate(r) for r in await cur.fetchall()]


async def count_admins(conn: AsyncConnection[Any]) -> int:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(queries.COUNT_ADMINS)
        row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def set_password(
    conn: AsyncConnection[Any], hasher: PasswordHasher, email: str, password: str
) -> User:
    """An admin's reset: the new password, and every session of the user ended."""
    user = await find_user(conn, email)
    hashed = await hasher.hash(password)
    async with conn.transaction():
        await conn.execute(queries.UPDATE_PASSWORD, {"hash": hashed, "id": user.id})
        await conn.execute(
            queries.REVOKE_USER_SESSIONS, {"user_id": user.id, "reason": "password reset"}
        )
    forget_user_here(user.id)
    return user


async def change_password(
    conn: AsyncConnection[Any],
    hasher: PasswordHasher,
    user_id: int,
    current: str,
    new: str,
) -> None:
    """The user's own change: the current password proves it is them; all sessions end."""
    row = await _one(conn, queries.SELECT_USER_BY_ID, {"id": user_id})
    matches, _ = await hasher.verify(current, row["password_hash"])
    if not matches:
        raise AuthenticationError("The current password is wrong.")
    hashed = await hasher.hash(new)
    async with conn.transaction():
        await conn.execute(queries.UPDATE_PASSWORD, {"hash": hashed, "id": user_id})
        await conn.execute(
            queries.REVOKE_USER_SESSIONS, {"user_id": user_id, "reason": "password changed"}
        )
    forget_user_here(user_id)


async def disable_user(conn: AsyncConnection[Any], email: str) -> User:
    """No more logins or requests; sessions end. The row stays (orders point at it)."""
    async with conn.transaction():
        user = User.model_validate(await _one(conn, queries.DISABLE_USER, {"email": email}))
        await conn.execute(
            queries.REVOKE_USER_SESSIONS, {"user_id": user.id, "reason": "account disabled"}
        )
    forget_user_here(user.id)
    return user


async def set_role(conn: AsyncConnection[Any], email: str, role: Role) -> User:
    """A new role, in force on the user's very next request (sessions stay signed in)."""
    async with conn.transaction():
        row = await _one(conn, queries.UPDATE_ROLE, {"email": email, "role": role.value})
        user = User.model_validate(row)
        await conn.execute(queries.NOTIFY_USER, {"user_id": user.id})
    forget_user_here(user.id)
    return user
