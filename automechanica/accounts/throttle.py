"""Login throttling per client address and per account, counted in the database.

Failures are rows, so every API process behind a load balancer sees the same
counts. Past the limit the answer is RateLimitedError with the seconds until the
oldest failure leaves its window (the HTTP layer's Retry-After). A success clears
the account's count, not the address's: a guesser who knows one password does not
get a fresh allowance for every other account.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.accounts import queries
from automechanica.errors import RateLimitedError


@dataclass(frozen=True)
class LoginThrottle:
    per_ip: int = 20
    ip_window: timedelta = timedelta(minutes=10)
    per_account: int = 10
    account_window: timedelta = timedelta(minutes=15)

    def _params(self, ip: str, email: str) -> dict[str, Any]:
        return {
            "ip": ip,
            "email": email.strip().lower(),
            "ip_window": self.ip_window,
            "email_window": self.account_window,
        }

    async def check(self, conn: AsyncConnection[Any], ip: str, email: str) -> None:
        """RateLimitedError when this address or this account has failed too often."""
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(queries.COUNT_FAILURES, self._params(ip, email))
            row = await cur.fetchone()
        assert row is not None
        waits = []
        if row["ip_failures"] >= self.per_ip:
            waits.append(float(row["ip_reopens_in"] or 1))
        if row["email_failures"] >= self.per_account:
            waits.append(float(row["email_reopens_in"] or 1))
        if waits:
            raise RateLimitedError("failed sign-ins", max(1, math.ceil(max(waits))))

    async def failed(self, conn: AsyncConnection[Any], ip: str, email: str) -> None:
        async with conn.transaction():
            await conn.execute(queries.INSERT_FAILURE, self._params(ip, email))
            window = max(self.ip_window, self.account_window)
            await conn.execute(queries.PRUNE_FAILURES, {"window": window})

    async def succeeded(self, conn: AsyncConnection[Any], email: str) -> None:
        await conn.execute(queries.CLEAR_EMAIL_FAILURES, {"email": email.strip().lower()})
