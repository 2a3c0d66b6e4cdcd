"""Signed access tokens (JWT, HS256) and opaque refresh tokens.

An access token is short-lived and names its session (`sid`); the API checks
that session on every request, so logout and password changes end a token at
once rather than when it expires. Only HS256 is accepted: a token signed with
another algorithm, or with `alg: none`, is refused like a forged one. A token
read once is remembered by its exact text (bounded, least recently used out), so
its signature is checked once; its expiry is checked on every read.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

from automechanica.errors import AuthenticationError, ConfigurationError

ALGORITHM = "HS256"
ISSUER = "automechanica"
MIN_SECRET_BYTES = 32
PLACEHOLDERS = {"changeme", "change-me", "secret", "password", "development", "dev", "test"}


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    session_id: UUID
    expires_at: datetime
    exp: float  # expires_at as a Unix time, compared on every read


class TokenSigner:
    """Signs and reads access tokens with one shared secret (every API process the same)."""

    def __init__(
        self,
        secret: str,
        *,
        lifetime: timedelta = timedelta(minutes=15),
        remember: int = 4096,
    ) -> None:
        check_secret(secret)
        self._secret = secret
        self.lifetime = lifetime
        self.remember = remember
        self._verified: OrderedDict[str, AccessClaims] = OrderedDict()

    def sign(self, user_id: int, session_id: UUID, *, now: datetime | None = None) -> str:
        issued = now or datetime.now(UTC)
        claims = {
            "iss": ISSUER,
            "sub": str(user_id),
            "sid": str(session_id),
            "iat": issued,
            "exp": issued + self.lifetime,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def read(self, token: str) -> AccessClaims:
        """The token's claims; AuthenticationError when forged, expired or malformed."""
        known = self._verified.get(token)
        if known is not None:
            if time.time() >= known.exp:  # as PyJWT: expired from `exp` on
                self._verified.pop(token, None)
                raise AuthenticationError("The access token has expired; refresh it.")
            self._verified.move_to_end(token)
            return known
        claims = self._decode(token)
        self._verified[token] = claims
        if len(self._verified) > self.remember:
            self._verified.popitem(last=False)
        return claims

    def _decode(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "sid", "iss"]},
            )
            return AccessClaims(
                user_id=int(claims["sub"]),
                session_id=UUID(claims["sid"]),
                expires_at=datetime.fromtimestamp(claims["exp"], UTC),
                exp=float(claims["exp"]),
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationError("The access token has expired; refresh it.") from exc
        except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
            raise AuthenticationError("The access token is not valid; sign in again.") from exc


def new_refresh_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def digest(token: str) -> bytes:
    """What is stored for a refresh token: its SHA-256 (the token is random, no salt needed)."""
    return hashlib.sha256(token.encode()).digest()


def new_secret() -> str:
    return secrets.token_urlsafe(48)


def check_secret(secret: str) -> None:
    """Refuse placeholder and short secrets: a guessable key lets anyone forge an admin."""
    if secret.strip().lower() in PLACEHOLDERS or len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            "AUTOMECHANICA_SECRET_KEY is a placeholder or shorter than 32 bytes; set it to a "
            "random value, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
