"""A search run with a generic plan leaves the pooled connection planning as before."""

from __future__ import annotations

import psycopg
import pytest

from automechanica.catalog.search import SearchQuery, generic_plan, search_page

PLAN_MODE = "SELECT current_setting('plan_cache_mode')"


async def _plan_mode(conn: psycopg.AsyncConnection[tuple[str]]) -> str:
    cur = await conn.execute(PLAN_MODE)
    row = await cur.fetchone()
    assert row is not None
    return row[0]


async def test_the_default_is_back_after_a_search_and_after_a_failed_one(db_url: str) -> None:
    query = SearchQuery("pads", part_types=("brake-pads",), vehicle_ids=(1,))
    assert generic_plan(query)
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        page = await search_page(conn, query)
        assert page.startswith('{"total"')
        assert await _plan_mode(conn) == "auto"
        # page 2**40 is out of the statement's int range: it fails while running,
        # after the session was asked for generic plans
        with pytest.raises(psycopg.errors.NumericValueOutOfRange):
            await search_page(conn, SearchQuery(**{**query.__dict__, "page": 2**40}))
        assert await _plan_mode(conn) == "auto"
        assert await search_page(conn, query) == page  # and the connection still serves
