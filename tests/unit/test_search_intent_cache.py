"""IntentCache: a query read once answers every later search of the same words."""

from __future__ import annotations

import pytest

from automechanica.catalog.fitment_text import VehicleVocabulary
from automechanica.catalog.search_intent import IntentCache, ShopperWords, understand

PAIRS = [("Honda", "Civic"), ("Ford", "F-150"), ("Toyota", "Camry"), ("Chevrolet", "Spark")]


@pytest.fixture(scope="module")
def words() -> ShopperWords:
    return ShopperWords.seed()


@pytest.fixture(scope="module")
def vocabulary() -> VehicleVocabulary:
    return VehicleVocabulary.from_pairs(PAIRS)


@pytest.mark.parametrize(
    "query",
    ["front pads for civic 2014", "2015 camry spark plugs", "f-150 2015 coil pack", "wagner"],
)
def test_cached_reading_equals_a_fresh_one(
    query: str, words: ShopperWords, vocabulary: VehicleVocabulary
) -> None:
    cache = IntentCache(words, vocabulary)
    fresh = understand(query, words, vocabulary)
    assert cache.understand(query) == fresh
    assert cache.understand(query) == fresh  # the second time, from the cache


def test_the_shoppers_own_spelling_is_echoed(
    words: ShopperWords, vocabulary: VehicleVocabulary
) -> None:
    cache = IntentCache(words, vocabulary)
    lower = cache.understand("2014 honda civic brake pads")
    upper = cache.understand("2014 Honda CIVIC Brake Pads")
    assert upper.query == "2014 Honda CIVIC Brake Pads"
    assert lower.query == "2014 honda civic brake pads"
    assert upper.vehicle == lower.vehicle and upper.vehicle is not None
    assert upper.vehicle.model == "Civic" and upper.vehicle.year == 2014
    assert upper.slugs == lower.slugs == ["brake-pads"]
    assert upper == understand("2014 Honda CIVIC Brake Pads", words, vocabulary)


def test_the_cache_stays_within_its_size(
    words: ShopperWords, vocabulary: VehicleVocabulary
) -> None:
    cache = IntentCache(words, vocabulary, size=3)
    for year in range(2010, 2020):
        intent = cache.understand(f"{year} civic oil filter")
        assert intent.vehicle is not None and intent.vehicle.year == year
    assert len(cache) == 3
    # the oldest readings went; a query read again is read right
    again = cache.understand("2010 civic oil filter")
    assert again.vehicle is not None and again.vehicle.year == 2010
