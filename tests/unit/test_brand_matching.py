"""Brand matching: spellings match, look-alikes that are other brands never do."""

from __future__ import annotations

import pytest

from automechanica.catalog.brands import core_key, seed_index, similarity
from automechanica.catalog.taxonomy import Taxonomy
from automechanica.catalog.vocabulary import ALL_BRANDS, BRANDS

INDEX = seed_index(Taxonomy.seed().phrase_keys())


def test_seed_is_large_and_keeps_demo_brands() -> None:
    assert len(ALL_BRANDS) >= 300
    assert [b.name for b in BRANDS][:3] == ["Bosch", "ACDelco", "Denso"]
    assert len(BRANDS) == 13 and all(b.aaia_id for b in BRANDS)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AC-Delco", "ACDelco"),
        ("ACDELCO", "ACDelco"),
        ("Dorman Products, Inc.", "Dorman"),
        ("MOOG CHASSIS PARTS", "Moog"),
        ("Wagner Brake Products", "Wagner"),
        ("KAYABA", "KYB"),
        ("K & N Engineering", "K&N"),
        ("BBHK", "Bosch"),
        ("Bosch Wiper Blades", "Bosch"),
        ("Bosal", "Bosal"),
        ("NTK", "NTK"),
        ("Motorad", "Motorad"),
        ("Gabriel", "Gabriel"),
    ],
)
def test_known_spellings_match(raw: str, expected: str) -> None:
    found = INDEX.match(raw)
    assert found.brand is not None and found.brand.name == expected
    assert found.confidence >= 0.9


@pytest.mark.parametrize("raw", ["Densei", "Bosco Auto Parts", "Monro", "Moogle", "Bosh"])
def test_look_alikes_are_only_proposed(raw: str) -> None:
    found = INDEX.match(raw)
    assert found.brand is None
    assert found.confidence <= 0.8


def test_shared_core_is_no_evidence() -> None:
    # "walker" is Walker (exhaust) and Walker Products (sensors): neither wins by stripping.
    assert INDEX.match("Walker Products Inc").brand.name == "Walker Products"  # type: ignore[union-attr]
    assert INDEX.match("Walker Product").brand is None


def test_core_key_and_similarity() -> None:
    assert core_key("The Gates Rubber Co") == "gatesrubber"
    assert core_key("Brake Parts Inc") == "brakepartsinc"
    assert similarity("denso", "denso") == 1.0
    assert similarity("bosch", "bosal") < 0.5
