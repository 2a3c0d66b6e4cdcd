"""The search words and the readings cached with them follow the store's vehicle base."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from automechanica.catalog.search_words import SearchWordsCache

QUERY = "2014 Zephyrion brake pads"


async def test_a_model_added_is_read_once_the_words_are_checked_again(
    conn: AsyncConnection[Any],
) -> None:
    cache = SearchWordsCache(check_every=0.0)  # check the fingerprint on every call
    words = await cache.get(conn)
    before = words.intents.understand(QUERY)
    assert before.vehicle is None  # no such model yet: the words are the text
    assert before.slugs == ["brake-pads"]
    assert (await cache.get(conn)) is words  # nothing changed: the same words, readings kept

    cur = await conn.execute("SELECT id FROM makes WHERE name = 'Honda'")
    make = await cur.fetchone()
    assert make is not None
    await conn.execute("INSERT INTO models (make_id, name) VALUES (%s, 'Zephyrion')", (make["id"],))

    fresh = await cache.get(conn)
    assert fresh is not words
    after = fresh.intents.understand(QUERY)
    assert after.vehicle is not None
    assert (after.vehicle.make, after.vehicle.model, after.vehicle.year) == (
        "Honda",
        "Zephyrion",
        2014,
    )
    assert after.slugs == ["brake-pads"]
    assert words.intents.understand(QUERY).vehicle is None  # the old words' cache is not reused
