"""Write the generated part of the fitment-text eval: real vehicles, written the ways
suppliers and marketplaces write them, labeled by construction.

    python evals/fitment_text/generate.py   # rewrites generated_dev.jsonl, generated_holdout.jsonl

Vehicles come from `vehicle_base.csv` (the models and years of `vehicles load --full`)
and `classic_models.csv`; phrasings are templates of the forms seen in listing titles,
ACES notes and restoration catalogs. The hand-written cases (`dev.jsonl`,
`holdout.jsonl`) are the harder, irregular ones; tune on dev, report holdout.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from automechanica.catalog.vocabulary import DEMO_MAKES

HERE = Path(__file__).parent
CLASSICS = HERE.parents[1] / "automechanica" / "catalog" / "data" / "classic_models.csv"
#: The demo store's makes but Tesla (no listings written the classic way), plus makes
#: listings often name that the demo store does not sell.
MAKES = [
    *(make for make in DEMO_MAKES if make != "Tesla"),
    *("Acura", "Buick", "Cadillac", "Chrysler", "Infiniti", "Lincoln", "Volvo"),
]
PARTS = (
    "Front Brake Pads",
    "Rear Brake Rotors",
    "Engine Air Filter",
    "Cabin Air Filter",
    "Oil Filter",
    "Spark Plug Set",
    "Water Pump",
    "Alternator",
    "Front Strut Assembly",
    "Wiper Blades",
)
ENGINES = ("1.5", "1.8", "2.0", "2.4", "2.5", "3.5", "3.6", "5.3", "5.7", "6.2")
CYLINDERS = dict(zip(ENGINES, ("L4",) * 5 + ("V6",) * 2 + ("V8",) * 3, strict=True))
Vehicle = tuple[str, str, int, int]
Case = dict[str, Any]


def load_base() -> list[Vehicle]:
    with (HERE / "vehicle_base.csv").open(encoding="utf-8") as f:
        rows = [
            (r["make"], r["model"], int(r["first_year"]), int(r["last_year"]))
            for r in csv.DictReader(f)
        ]
    models_of: dict[str, set[str]] = {}
    for make, model, _, _ in rows:
        models_of.setdefault(model.lower(), set()).add(make)
    # Plain model names people write: letters first, no slashes, at most two words.
    return [
        r
        for r in rows
        if r[0] in MAKES
        and r[3] - r[2] >= 3
        and r[2] >= 1995
        and "/" not in r[1]
        and len(r[1].split()) <= 2
        and r[1][0].isalpha()
    ]


def unique_models(base: list[Vehicle]) -> set[tuple[str, str]]:
    """Models only one make in the whole vehicle base uses (safe to write without a make)."""
    everyone: dict[str, set[str]] = {}
    with (HERE / "vehicle_base.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            everyone.setdefault(r["model"].lower(), set()).add(r["make"])
    return {(make, model) for make, model, _, _ in base if everyone[model.lower()] == {make}}


def load_classics() -> list[tuple[str, str, int, int]]:
    with CLASSICS.open(encoding="utf-8") as f:
        out = []
        for r in csv.DictReader(f):
            first, last = (int(y) for y in r["years"].split("-"))
            if first < 1979:
                out.append((r["make"], r["model"], first, min(last, 1980)))
        return out


def vehicle(make: str, model: str, a: int, b: int, engines: list[float] | None = None) -> Case:
    return {"make": make, "model": model, "years": [a, b], "engines": engines or []}


def years_in(rng: random.Random, first: int, last: int) -> tuple[int, int]:
    """A range of two to five model years inside first..last."""
    a = rng.randint(first, max(first, last - 1))
    return a, min(last, a + rng.randint(1, 4))


def two(y: int) -> str:
    return f"{y % 100:02d}"


Template = Callable[[random.Random, Vehicle, bool], tuple[str, Case] | None]


def listing_title(rng: random.Random, v: Vehicle, unique: bool) -> tuple[str, Case]:
    make, model, first, last = v
    a, b = years_in(rng, first, last)
    liters = rng.choice(ENGINES)
    text = f"{rng.choice(PARTS)} for {a}-{b} {make} {model} {liters}L"
    return text, vehicle(make, model, a, b, [float(liters)])


def short_years_no_make(rng: random.Random, v: Vehicle, unique: bool) -> tuple[str, Case] | None:
    make, model, first, last = v
    if not unique:
        return None
    a, b = years_in(rng, first, last)
    return f"Fits {two(a)}-{two(b)} {model} {rng.choice(PARTS)}", vehicle(make, model, a, b)


def aces_note(rng: random.Random, v: Vehicle, unique: bool) -> tuple[str, Case]:
    make, model, first, last = v
    a, b = years_in(rng, first, last)
    liters = rng.choice(ENGINES)
    shape = CYLINDERS[liters]
    side = rng.choice(("Front", "Rear", "Front Left", "Rear Right"))
    text = f"{a}-{b} {make} {model}; {liters}L {shape}; {side}"
    return text, vehicle(make, model, a, b, [float(liters)])


def with_engine(rng: random.Random, v: Vehicle, unique: bool) -> tuple[str, Case]:
    make, model, first, last = v
    a, b = years_in(rng, first, last)
    liters = rng.choice(ENGINES)
    return f"{make} {model} {a}-{b} w/ {liters}L Engine", vehicle(
        make, model, a, b, [float(liters)]
    )


def engine_or(rng: random.Random, v: Vehicle, unique: bool) -> tuple[str, Case]:
    make, model, first, last = v
    a, b = years_in(rng, first, last)
    one, other = sorted(rng.sample(ENGINES, 2), key=float)
    text = f"{a}-{b} {make} {model} {one}L or {other}L"
    return text, vehicle(make, model, a, b, [float(one), float(other)])


def underscores(rng: random.Random, v: Vehicle, unique: bool) -> tuple[str, Case]:
    make, model, first, last = v
    a = rng.randint(first, last)
    text = "_".join((make, *model.split(), str(a)))
    return text, vehicle(make, model, a, a)


def listing_two_digit(rng: random.Random, v: Vehicle, unique: bool) -> tuple[str, Case] | None:
    make, model, first, last = v
    a = rng.randint(first, last)
    if a < 2000:
        return None
    return f"{two(a)} {make} {model} {rng.choice(PARTS).lower()}", vehicle(make, model, a, a)


def restoration(rng: random.Random, c: tuple[str, str, int, int]) -> tuple[str, Case]:
    make, model, first, last = c
    a, b = years_in(rng, first, last)
    form = rng.randrange(3)
    if form == 0:
        text = f"{two(a)}/{two(b)} {make} {model}"
    elif form == 1:
        text = f"{a}-{b} {make} {model} {rng.choice(('reproduction', 'restoration part', ''))}"
    else:
        text = f"Fits {a}-{two(b)} {make} {model}"
    return text.strip(), {"proposals": [{"make": make, "model": model, "years": [a, b]}]}


TEMPLATES: list[Template] = [
    listing_title,
    short_years_no_make,
    aces_note,
    with_engine,
    engine_or,
    underscores,
    listing_two_digit,
]


def generate(seed: int, count: int, classics: int) -> list[Case]:
    rng = random.Random(seed)
    base = load_base()
    unique = unique_models(base)
    cases: list[Case] = []
    while len(cases) < count:
        v = rng.choice(base)
        made = rng.choice(TEMPLATES)(rng, v, (v[0], v[1]) in unique)
        if made is not None:
            text, expected = made
            cases.append({"text": text, "vehicles": [expected], "proposals": []})
    for c in rng.sample(load_classics(), classics):
        text, expected = restoration(rng, c)
        cases.append({"text": text, "vehicles": [], **expected})
    return cases


def main() -> None:
    for name, seed in (("generated_dev", 11), ("generated_holdout", 29)):
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            for case in generate(seed, count=120, classics=20):
                f.write(json.dumps(case) + "\n")


if __name__ == "__main__":
    main()
