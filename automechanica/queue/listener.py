"""LISTEN/NOTIFY wake-up for idle workers, reconnecting by itself.

Enqueue, replay, release and retry scheduling each send one notification per
batch on `queries.CHANNEL`. The listener only calls back; the worker still
polls, so a lost notification (or a lost connection) costs at most one poll.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
from psycopg import sql

from automechanica.queue import queries

log = logging.getLogger("automechanica.queue.listener")


class Listener:
    """Calls `wake()` on every notification; reconnects with backoff when the link drops."""

    def __init__(self, url: str, wake: Callable[[], None], *, max_backoff: float = 5.0) -> None:
        self.url = url
        self.wake = wake
        self.max_backoff = max_backoff
        self.connected = asyncio.Event()

    async def run(self) -> None:
        """Listen until cancelled."""
        backoff = 0.1
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self.url, autocommit=True, connect_timeout=10
                )
            except psycopg.Error as exc:
                log.debug("listener cannot connect (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            try:
                async with conn:
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(queries.CHANNEL)))
                    self.connected.set()
                    backoff = 0.1
                    self.wake()  # notifications may have been missed while away
                    async for _ in conn.notifies():
                        self.wake()
            except psycopg.Error as exc:
                log.warning("listener lost the database (%s); polling until it is back", exc)
            finally:
                self.connected.clear()
            self.wake()
            await asyncio.sleep(backoff)
