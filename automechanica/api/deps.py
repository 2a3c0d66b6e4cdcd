"""Request dependencies: a pooled database connection per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool


async def connection(request: Request) -> AsyncIterator[AsyncConnection[Any]]:
    pool: AsyncConnectionPool[Any] = request.app.state.pool
    async with pool.connection() as conn:
        yield conn


Conn = Annotated[AsyncConnection[Any], Depends(connection)]
