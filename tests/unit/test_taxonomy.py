"""The taxonomy as data and its deterministic classifier."""

from __future__ import annotations

import pytest

from automechanica.catalog.taxonomy import Taxonomy, tokens
from automechanica.catalog.vocabulary import PART_TYPES, TAXONOMY

TAXO = Taxonomy.seed()


def test_taxonomy_is_large_and_complete() -> None:
    assert len(TAXONOMY) >= 150
    assert len({t.name for t in TAXONOMY}) == len(TAXONOMY)
    assert len({t.slug for t in TAXONOMY}) == len(TAXONOMY)
    for t in TAXONOMY:
        assert t.category and t.description.endswith("."), t.name
    assert len({t.category for t in TAXONOMY}) >= 15


def test_demo_types_keep_names_slugs_and_ids() -> None:
    assert len(PART_TYPES) == 30
    assert PART_TYPES[0].name == "Brake Pads" and PART_TYPES[0].pcdb_id == 1684
    assert {t.slug for t in PART_TYPES} >= {"brake-pads", "obd-ii-scanner", "cv-axle"}


def test_no_phrase_names_two_types() -> None:
    owner: dict[tuple[str, ...], str] = {}
    for t in TAXONOMY:
        for phrase in (t.name, *t.synonyms):
            key = tuple(tokens(phrase))
            assert owner.setdefault(key, t.name) == t.name, (phrase, owner[key], t.name)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("FRAM CA10467 Extra Guard Air Filter", "Engine Air Filter"),
        ("air cleaner element", "Engine Air Filter"),
        ("WIX 24483 Cabin Air Filter", "Cabin Air Filter"),
        ("coolant pump for 2012 Civic 1.8L", "Water Pump"),
        ("front pads ceramic", "Brake Pads"),
        ("KYB shocks rear pair", "Shock Absorber"),
        ("Denso 234-4209 O2 Sensor", "Oxygen Sensor"),
        ("Brake Pad Wear Sensor front", "Brake Pad Wear Sensor"),
        ("oil filter wrench 3/8 drive", "Oil Filter Wrench"),
        ("spark plug wire set 8mm", "Spark Plug Wire Set"),
        ("knock sensor w/ pigtail", "Knock Sensor"),
        ("roadside emergency kit with jumper cables", "Emergency Kit"),
    ],
)
def test_classifies_trade_names(title: str, expected: str) -> None:
    found = TAXO.classify(title)
    assert found.type_name == expected
    assert found.confidence >= 0.8


def test_longest_phrase_wins_and_not_words_exclude() -> None:
    found = TAXO.classify("K&N cabin air filter")
    assert found.type_name == "Cabin Air Filter"
    assert "Engine Air Filter" not in {h.type_name for h in found.hits}


def test_competing_types_lower_confidence() -> None:
    found = TAXO.classify("Front Brake Kit Rotors & Ceramic Pads")
    assert found.runner_up is not None
    assert found.confidence < 0.8


def test_description_used_when_title_names_nothing() -> None:
    found = TAXO.classify("ACME 12345", "Premium ceramic brake pads with shims")
    assert found.type_name == "Brake Pads"
    assert TAXO.classify("ACME 12345").type_name is None
