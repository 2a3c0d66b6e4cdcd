"""Properties of the fitment parser on text it has never seen: whatever the words, it
never names a vehicle the text does not support."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from automechanica.catalog.fitment_text import VehicleVocabulary, parse_fitment_text
from automechanica.catalog.fitment_vocabulary import vocabulary_from
from automechanica.catalog.vocabulary import alias_key

SPANS = [
    ("Honda", "Civic", 1981, 2026),
    ("Honda", "Accord", 1981, 2026),
    ("Toyota", "Camry", 1983, 2026),
    ("Ford", "Mustang", 1981, 2026),
    ("Ford", "F-150", 1981, 2026),
    ("Heritage", "Mustang", 2013, 2026),  # a replica maker's model of the same name
    ("Chevrolet", "Spark", 2013, 2022),
    ("Lucid", "Air", 2022, 2026),
    ("Tesla", "Model S", 2012, 2026),
    ("Lexus", "GS", 1993, 2020),
    ("Plymouth", "Voyager", 1984, 2000),
]
WORDS = [
    "Honda", "Civic", "Accord", "Camry", "Mustang", "F150", "Ford", "Toyota", "Plymouth",
    "GS350", "Spark", "Plug", "Air", "Filter", "Cabin", "Engine", "Models", "All", "for",
    "Fits", "w/", "1.8L", "2.0L", "V6", "or", "/", ",", ";", "Front", "exc.", "Hybrid",
    "Model", "S", "Chevelle", "Bel", "Galaxy", "Zephyr", "Tesla", "Lexus", "GT", "LX",
]  # fmt: skip
YEARS = st.sampled_from(["1935", "1955-1957", "64/65", "98", "2012-2015", "2016", "'05", "2030"])


def vocabulary() -> VehicleVocabulary:
    return vocabulary_from(SPANS)


VOCABULARY = vocabulary()
MODELS_OF: dict[str, set[str]] = {}
for make, model, _, _ in SPANS:
    MODELS_OF.setdefault(alias_key(model), set()).add(make)


def supported(text: str, make: str, model: str) -> bool:
    """The text names the model (or its glued form, 'GS350')."""
    key = alias_key(text)
    return alias_key(model) in key or (model == "GS" and "gs350" in key)


def _only_or_original(make: str, model: str, first: int, last: int) -> bool:
    """A make read from the model alone is the only one that built it in those years, or
    the original when the others came twenty years later (replicas)."""
    built = {m: a for m, mo, a, b in SPANS if mo == model and a <= last and b >= first}
    if set(built) == {make}:
        return True
    return make in built and all(a - built[make] >= 20 for m, a in built.items() if m != make)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(WORDS), YEARS), min_size=1, max_size=9))
def test_no_vehicle_the_text_does_not_name(words: list[str]) -> None:
    text = " ".join(words)
    parsed = parse_fitment_text(text, VOCABULARY, current_year=2026)
    for app in parsed.applications:
        assert supported(text, app.make, app.model), (text, app)
        if alias_key(app.make) not in alias_key(text):
            assert _only_or_original(app.make, app.model, app.year_start, app.year_end), (
                text,
                app,
            )
        assert app.year_end >= 1981, (text, app)  # older vehicles are only proposed
    for proposal in parsed.proposals:
        assert proposal.year_end < 1981, (text, proposal)
        if alias_key(proposal.make) in alias_key(text):
            continue
        assert alias_key(proposal.model) in alias_key(text), (text, proposal)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_any_text_parses_without_raising(text: str) -> None:
    parsed = parse_fitment_text(text, VOCABULARY, current_year=2026)
    for app in parsed.applications:
        assert alias_key(app.model) in alias_key(text) or app.model == "GS"
