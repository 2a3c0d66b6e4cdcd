"""Sessions: login, access checks, refresh with rotation, logout.

A session is one login. Its refresh token is `<session id>.<256 random bits>`;
only a digest is stored, and every refresh replaces it. Presenting a refresh
token that was already rotated away means two parties hold copies: the session
is revoked (RFC 6819 §5.2.2.3, refresh token rotation). Access tokens are
short-lived JWTs naming the session, checked against it on each request: in the
database, or in this process's cache of active sessions while it hears every
revocation (accounts/active.py, accounts/listener.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.accounts import queries
from automechanica.accounts.active import ActiveSessions, forget_session_here
from automechanica.accounts.passwords import PasswordHasher
from automechanica.accounts.principal import Principal
from automechanica.accounts.roles import Role
from automechanica.accounts.throttle import LoginThrottle
from automechanica.accounts.tokens import TokenSigner, digest, new_refresh_token
from automechanica.errors import AuthenticationError

WRONG_CREDENTIALS = "The email or password is wrong."


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token lives
    principal: Principal


@dataclass(frozen=True)
class SessionPolicy:
    session_lifetime: timedelta = timedelta(days=7)


class Sessions:
    def __init__(
        self,
        signer: TokenSigner,
        hasher: PasswordHasher,
        *,
        throttle: LoginThrottle | None = None,
        policy: SessionPolicy | None = None,
        active: ActiveSessions | None = None,
    ) -> None:
        self.signer = signer
        self.hasher = hasher
        self.throttle = throttle or LoginThrottle()
        self.policy = policy or SessionPolicy()
        #: Off (bypassed) until a SessionListener hears revocations for it.
        self.active = active or ActiveSessions()

    async def login(
        self,
        conn: AsyncConnection[Any],
        email: str,
        password: str,
        *,
        client_ip: str,
        user_agent: str | None = None,
    ) -> TokenPair:
        await self.throttle.check(conn, client_ip, email)
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(queries.SELECT_USER_FOR_LOGIN, {"email": email.strip()})
            row = await cur.fetchone()
        stored = row["password_hash"] if row is not None else None
        matches, rehashed = await self.hasher.verify(password, stored)
        if row is None or not matches or row["disabled_at"] is not None:
            await self.throttle.failed(conn, client_ip, email)
            raise AuthenticationError(WRONG_CREDENTIALS)
        await self.throttle.succeeded(conn, email)
        if rehashed:
            await conn.execute(queries.UPDATE_HASH, {"hash": rehashed, "id": row["id"]})
        principal = Principal(row["id"], row["email"], Role(row["role"]), uuid.uuid4())
        secret = new_refresh_token()
        await conn.execute(
            queries.INSERT_SESSION,
            {
                "id": principal.session_id,
                "user_id": principal.user_id,
                "digest": digest(secret),
                "lifetime": self.policy.session_lifetime,
                "ip": client_ip,
                "agent": (user_agent or "")[:300] or None,
            },
        )
        return self._pair(principal, secret)

    def _pair(self, principal: Principal, secret: str) -> TokenPair:
        return TokenPair(
            access_token=self.signer.sign(principal.user_id, principal.session_id),
            refresh_token=f"{principal.session_id}.{secret}",
            expires_in=int(self.signer.lifetime.total_seconds()),
            principal=principal,
        )

    def known(self, access_token: str) -> Principal | None:
        """The principal from memory alone (no database), None when the database must be
        asked; AuthenticationError for a forged, expired or malformed token."""
        claims = self.signer.read(access_token)
        principal = self.active.get(claims.session_id)
        if principal is not None and principal.user_id != claims.user_id:
            raise AuthenticationError("The session has ended; sign in again.")
        return principal

    async def authenticate(self, conn: AsyncConnection[Any], access_token: str) -> Principal:
        """The principal behind a bearer token; AuthenticationError when it cannot be used."""
        principal = self.known(access_token)
        if principal is not None:
            return principal
        claims = self.signer.read(access_token)
        mark = self.active.mark()  # before the read: a revocation after it blocks the store
        found = await self._active(conn, claims.session_id)
        if found is None or found[0].user_id != claims.user_id:
            raise AuthenticationError("The session has ended; sign in again.")
        principal, seconds_left = found
        self.active.store(mark, principal, seconds_left)
        return principal

    async def _active(
        self, conn: AsyncConnection[Any], session_id: uuid.UUID
    ) -> tuple[Principal, float] | None:
        """The session's principal and the seconds it has left, if it is active now."""
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(queries.SELECT_ACTIVE_SESSION, {"id": session_id})
            row = await cur.fetchone()
        if row is None:
            return None
        principal = Principal(row["user_id"], row["email"], Role(row["role"]), row["session_id"])
        return principal, float(row["seconds_left"])

    async def refresh(self, conn: AsyncConnection[Any], refresh_token: str) -> TokenPair:
        """A new access token and a new refresh token; the old refresh token stops working."""
        session_id, secret = _split(refresh_token)
        new_secret = new_refresh_token()
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                queries.ROTATE_REFRESH,
                {"id": session_id, "old": digest(secret), "new": digest(new_secret)},
            )
            rotated = await cur.fetchone()
        if rotated is None:
            # Wrong, expired, revoked — or reused after rotation: end the session either way.
            await self.revoke(conn, session_id, reason="refresh token reused or invalid")
            raise AuthenticationError("The refresh token is not valid; sign in again.")
        found = await self._active(conn, session_id)
        if found is None:
            raise AuthenticationError("The session has ended; sign in again.")
        return self._pair(found[0], new_secret)

    async def revoke(
        self, conn: AsyncConnection[Any], session_id: uuid.UUID, *, reason: str
    ) -> None:
        """End the session: at once in this process, in others when they hear of it."""
        await conn.execute(queries.REVOKE_SESSION, {"id": session_id, "reason": reason})
        forget_session_here(session_id)


def _split(refresh_token: str) -> tuple[uuid.UUID, str]:
    head, _, secret = refresh_token.partition(".")
    try:
        session_id = uuid.UUID(head)
    except ValueError as exc:
        raise AuthenticationError("The refresh token is not valid; sign in again.") from exc
    if not secret:
        raise AuthenticationError("The refresh token is not valid; sign in again.")
    return session_id, secret
