"""Pattern keys: what each position allows, the classes a schema tells apart, their mixes."""

from __future__ import annotations

from math import prod

from automechanica.catalog.vehicle_base_keys import (
    ALPHABET,
    likeliest,
    mixes,
    pinned,
    position_classes,
)


def test_a_key_pins_positions_4_to_8_and_11() -> None:
    pins = dict(pinned("FE[12]F|*H"))
    assert pins == {
        3: frozenset("F"),
        4: frozenset("E"),
        5: frozenset("12"),
        6: frozenset("F"),
        10: frozenset("H"),
    }
    assert dict(pinned("**[A-C]#")) == {5: frozenset("ABC"), 6: frozenset("0123456789")}
    assert pinned("*****") == ()


def test_classes_split_the_alphabet_by_the_pins_each_character_satisfies() -> None:
    classes = position_classes([pinned("*[AB]"), pinned("*B"), pinned("**7")])
    assert sorted(classes) == [4, 5]
    assert sorted(classes[4], key=len)[:2] == ["A", "B"]
    assert sorted("".join(classes[4])) == sorted(ALPHABET)
    assert len(classes[5]) == 2 and "7" in classes[5]


def test_the_likeliest_picks_come_first_and_stop_at_the_mass_asked() -> None:
    weights = [[0.1, 0.9], [0.5, 0.3, 0.2]]
    picks = likeliest(weights, 10)
    assert picks[0] == (1, 0)
    assert len(picks) == 6
    probabilities = [prod(w[i] for w, i in zip(weights, p, strict=True)) for p in picks]
    assert probabilities == sorted(probabilities, reverse=True)
    assert likeliest(weights, 10, mass=0.7) == [(1, 0), (1, 1)]
    assert likeliest([[0.0, 1.0]], 5) == [(1,)]


def test_a_small_schema_gets_every_combination_of_its_classes() -> None:
    # a model letter at position 4, a trim at 5 and an engine at 7 (the Costin shape)
    splits = [pinned(k) for k in ("S", "R", "*C", "*B", "***1")]
    vins = mixes("TMCSAA1A8YA111111", splits, splits, limit=100)
    combos = {(v[3], v[4], v[6]) for v in vins}
    assert ("S", "C", "1") in combos and ("R", "B", "1") in combos
    assert len(vins) == prod(len(c) for c in position_classes(splits).values())
    assert all(v[:3] == "TMC" and v[9:] == "YA111111" for v in vins)


def test_a_large_schema_gets_each_patterns_likeliest_mixes_within_the_limit() -> None:
    splits = [pinned(f"{a}{b}") for a in "ABCDEFGH" for b in "12345678"]
    splits += [pinned(f"****{c}") for c in "JKLMNPRS"]
    draws = [*splits, pinned("A1*9")]
    assert prod(len(c) for c in position_classes(splits).values()) > 80
    vins = mixes("XYZAAAAAA1A111111", splits, draws, limit=80)
    assert len(vins) == 80
    # every pattern's first pick (its own pins honoured) comes before any second pick
    assert {v[3:5] for v in vins} >= {f"{a}{b}" for a in "ABCDEFGH" for b in "12345678"}
    assert {v[7] for v in vins} >= set("JKLMNPRS")
