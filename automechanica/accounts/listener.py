"""One listening connection per API process: hears session revocations, drives the cache.

While connected and LISTENing, each notification on `CHANNEL` drops the matching
cache entries. When the connection fails (or is not up yet) the cache is switched
off, so every access check reads the database; on reconnect it starts empty. A quiet
connection is probed every `check_every` seconds so a dead one is noticed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import psycopg
from psycopg import AsyncConnection, sql

from automechanica.accounts.active import CHANNEL, ActiveSessions

log = logging.getLogger("automechanica.accounts")


class SessionListener:
    """LISTENs on `channel` for `cache`, reconnecting with backoff until stopped."""

    def __init__(
        self,
        url: str,
        cache: ActiveSessions,
        *,
        channel: str = CHANNEL,
        check_every: float = 10.0,
        max_backoff: float = 5.0,
    ) -> None:
        self.url = url
        self.cache = cache
        self.channel = channel
        self.check_every = check_every
        self.max_backoff = max_backoff
        #: Observable state (tests, health): how often it connected, what it handled.
        self.connects = 0
        self.notifications = 0
        self.backend_pid: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._first_try = asyncio.Event()

    @property
    def connected(self) -> bool:
        return self.cache.listening

    async def start(self, *, wait: float = 5.0) -> None:
        """Start listening; waits up to `wait` s for the first attempt (a failure is not
        fatal: the cache stays off and the listener keeps trying)."""
        self._task = asyncio.create_task(self._run(), name="session-listener")
        try:
            await asyncio.wait_for(self._first_try.wait(), wait)
        except TimeoutError:
            log.warning("session listener: not connected yet; access checks read the database")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.cache.listen_stopped()

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            try:
                async with await AsyncConnection.connect(self.url, autocommit=True) as conn:
                    await self._listen(conn)
                    backoff = 0.1
                    await self._serve(conn)
            except (psycopg.Error, OSError) as exc:
                log.warning("session listener: %s; access checks read the database", exc)
            finally:
                self.cache.listen_stopped()
                self.backend_pid = None
                self._first_try.set()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    async def _listen(self, conn: AsyncConnection[Any]) -> None:
        await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
        self.backend_pid = conn.info.backend_pid
        self.connects += 1
        # LISTEN is in force before the cache starts: nothing committed from here on is
        # missed, and anything read before was cleared with the cache.
        self.cache.listen_started()
        self._first_try.set()

    async def _serve(self, conn: AsyncConnection[Any]) -> None:
        while True:
            async for notice in conn.notifies(timeout=self.check_every):
                self.cache.notified(notice.payload)
                self.notifications += 1
            await conn.execute("SELECT 1")  # quiet for a while: is the connection alive?
