"""The words search reads queries with — part types and vehicles — kept fresh from the store.

Built from the database (part types with what people added at run time, every
make and model of the vehicle base) once, then rebuilt only when a cheap
fingerprint changes (checked at most every `check_every` seconds), so a search
pays a dictionary lookup, not a vocabulary build.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from automechanica.catalog.fitment_text import VehicleVocabulary
from automechanica.catalog.search_intent import IntentCache, ShopperWords
from automechanica.catalog.search_vehicle import VehicleCache
from automechanica.catalog.taxonomy import list_part_types
from automechanica.catalog.vehicles import SELECT_MAKE_MODEL_PAIRS

#: Changes whenever a model or a part type is added or edited.
FINGERPRINT = """
SELECT (SELECT count(*) FROM models), (SELECT count(*) FROM part_types),
       (SELECT max(updated_at) FROM part_types)
"""


@dataclass(frozen=True, slots=True)
class SearchWords:
    words: ShopperWords
    vocabulary: VehicleVocabulary
    #: Vehicles resolved lately; a new SearchWords (the models changed) starts afresh.
    vehicles: VehicleCache = field(default_factory=VehicleCache)
    #: Queries read lately, with these words: a new SearchWords starts afresh.
    intents: IntentCache = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "intents", IntentCache(self.words, self.vocabulary))


async def load_search_words(conn: AsyncConnection[Any]) -> SearchWords:
    """Part-type phrases and the vehicle vocabulary as the store has them now."""
    types = [row.terms for row in await list_part_types(conn)]
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(SELECT_MAKE_MODEL_PAIRS)
        pairs = sorted((str(r[0]), str(r[1])) for r in await cur.fetchall())
    return SearchWords(ShopperWords.seed(types), VehicleVocabulary.from_pairs(pairs))


class SearchWordsCache:
    """One SearchWords per process, rebuilt when the store's types or models change."""

    def __init__(self, *, check_every: float = 60.0) -> None:
        self.check_every = check_every
        self._words: SearchWords | None = None
        self._fingerprint: tuple[Any, ...] | None = None
        self._checked = 0.0
        self._lock = asyncio.Lock()

    async def get(self, conn: AsyncConnection[Any]) -> SearchWords:
        now = time.monotonic()
        if self._words is not None and now - self._checked < self.check_every:
            return self._words
        async with self._lock:
            if self._words is not None and now - self._checked < self.check_every:
                return self._words
            async with conn.cursor(row_factory=tuple_row) as cur:
                await cur.execute(FINGERPRINT)
                fingerprint = tuple(await cur.fetchone() or ())
            if self._words is None or fingerprint != self._fingerprint:
                self._words = await load_search_words(conn)
                self._fingerprint = fingerprint
            self._checked = time.monotonic()
            return self._words
