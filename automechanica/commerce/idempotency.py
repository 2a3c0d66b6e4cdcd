"""Idempotency keys: a retried request gets the first answer, a reused key is refused.

A key is claimed inside the transaction that does the work, and its answer is
stored in that same transaction, so a key is either unused or tied to a finished
answer: a second request with the key waits on the first one's row lock, then
replays its answer. A refused request (a 4xx) rolls back and leaves the key free,
so the caller can fix the cart and retry with the same key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from automechanica.errors import ConflictError, InvalidInputError

CLAIM = """
INSERT INTO idempotency_keys (scope, key, request_digest) VALUES (%(scope)s, %(key)s, %(digest)s)
ON CONFLICT (scope, key) DO NOTHING
RETURNING key
"""
SELECT = """
SELECT request_digest, status_code, response FROM idempotency_keys
WHERE scope = %(scope)s AND key = %(key)s
"""
RECORD = """
UPDATE idempotency_keys SET status_code = %(status)s, response = %(response)s
WHERE scope = %(scope)s AND key = %(key)s
"""

MAX_KEY_LENGTH = 255


class IdempotencyKeyReusedError(ConflictError):
    """This Idempotency-Key was already used for another request; send a new key."""


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    response: dict[str, Any]


def request_digest(payload: Any) -> bytes:
    """SHA-256 of the request in a canonical form (sorted keys, no spaces)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).digest()


def check_key(key: str | None) -> str:
    """The key, or a clear refusal when it is missing or unusable."""
    if key is None or not key.strip():
        raise InvalidInputError(
            "Send an Idempotency-Key header (a random string, e.g. a UUID) so a retry "
            "never places a second order."
        )
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInputError(
            f"The Idempotency-Key must be printable text of at most {MAX_KEY_LENGTH} characters."
        )
    return key


async def claim(
    conn: AsyncConnection[Any], scope: str, key: str, digest: bytes
) -> StoredAnswer | None:
    """Claim `key` for this request (None: go on and do the work), or return the answer
    already stored for the same request. Call inside a transaction."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(CLAIM, {"scope": scope, "key": key, "digest": digest})
        if await cur.fetchone() is not None:
            return None
        await cur.execute(SELECT, {"scope": scope, "key": key})
        row = await cur.fetchone()
    if row is None or bytes(row["request_digest"]) != digest:
        raise IdempotencyKeyReusedError(
            f"The Idempotency-Key {key!r} was already used with another request "
            "(another cart or body); send a new key for a new request."
        )
    if row["status_code"] is None:  # cannot happen when claim and record share a transaction
        raise ConflictError("A request with this Idempotency-Key is still running; retry later.")
    return StoredAnswer(int(row["status_code"]), row["response"])


async def record(
    conn: AsyncConnection[Any], scope: str, key: str, status_code: int, response: dict[str, Any]
) -> None:
    """Store the answer for the claimed key (same transaction as the claim)."""
    await conn.execute(
        RECORD, {"scope": scope, "key": key, "status": status_code, "response": Jsonb(response)}
    )
