"""Every vehicle vPIC knows: each decoding pattern once, then VINs drawn where more is unseen.

vPIC decodes a VIN through patterns grouped in schemas, and each element (model,
trim, engine, drive, body…) takes the value of whichever pattern the VIN's
characters match. A shopper's VIN — or a generated one, whose free positions are
random — so mixes one line's trims with another pattern's engines, and the
configurations VINs decode to are a product of per-position choices too large to
list (ultravin's `pairwise` says as much). So the base is drawn, as a survey
would be:

1. **Seeds.** One VIN per pattern of every car, MPV and truck WMI
   (`ultravin.sweep(["pattern"])`); the positions vPIC flags in a seed that did
   not decode set to a character it allows (twice at most). Every pattern is
   reached once, however unlikely a random VIN is to fall in it.
2. **Draws.** Random VINs of each WMI (`ultravin.generate`, fixed seeds): a first
   round from the WMI's own model-year bands, and for each of the store's model
   years. Then rounds that share out the rest of the budget by each unit's
   Good-Turing estimate of the probability it has not seen yet — configurations
   seen exactly once, plus one, over VINs drawn — half to the WMIs' own bands,
   half to (WMI, model year) units: a WMI whose VINs keep turning up new
   configurations (a large GM schema) gets many more VINs than one whose every
   draw repeats (a one-model importer).

Decoding runs on a pool of processes (`vehicle_base_decode`); the allocation is
made in this process from the counts alone, so one worker or many give the same
base. No database here (`vehicle_base_store` writes the result).
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import ultravin

from automechanica.catalog.vehicle_base_decode import (
    VEHICLE_TYPES,
    Attrs,
    Decoder,
    DrawJob,
    decode_draws,
    decode_rows,
)
from automechanica.catalog.vehicle_base_vins import repaired
from automechanica.catalog.vehicle_config import VehicleConfig

T = TypeVar("T")

#: The first model year vPIC covers (the 17-character VIN).
FIRST_YEAR = 1981
#: Bumped when the enumeration changes, so `load --full` knows an old load is stale.
METHOD_VERSION = 4
#: Random VINs drawn per WMI over a whole load: the budget the rounds share.
DRAWS_PER_WMI = 2_000
#: The first round: VINs per WMI from its own bands, and per WMI and model year.
FIRST_PER_WMI = 200
FIRST_PER_YEAR = 8
#: Rounds after the first, each spending an equal part of what is left.
ROUNDS = 3

Progress = Callable[[str, int, int], None]
#: What is drawn from: a WMI, and a model year (None: the WMI's own bands).
Unit = tuple[str, int | None]
#: A configuration as the enumeration keeps it: model year, and make..transmission.
Config = tuple[int, Attrs]


def no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True, slots=True)
class BaseEnumeration:
    """The configurations found, and what it cost to find them."""

    configs: list[VehicleConfig]
    decodes: int
    seed_vins: int


def base_wmis(*, now: datetime | None = None) -> list[str]:
    """The WMIs vPIC decodes to a car, MPV or truck (`sweep(["wmi"])`, one VIN each)."""
    decoded = ultravin.decode_batch(ultravin.sweep(["wmi"]), now=now)
    return sorted(
        {
            str(d.get("wmi") or d["vin"][:3])
            for d in decoded
            if d.get("attributes", {}).get("Vehicle Type") in VEHICLE_TYPES
        }
    )


def pattern_vins(wmis: Sequence[str]) -> list[str]:
    """One VIN per vPIC pattern of the manufacturers of `wmis` (by their first three
    characters: the sweep builds a shared schema's VINs on one of its WMIs)."""
    prefixes = {wmi[:3] for wmi in wmis}
    return [vin for vin in ultravin.sweep(["pattern"]) if vin[:3] in prefixes]


def unseen_shares(
    units: Sequence[Unit],
    seen: Mapping[Unit, Counter[Config]],
    drawn: Mapping[Unit, int],
    budget: int,
) -> dict[Unit, int]:
    """`budget` VINs shared out over `units` by each one's Good-Turing estimate of the
    probability it has not seen yet: configurations seen once, plus one, over VINs drawn."""
    unseen = {
        unit: (sum(1 for n in seen[unit].values() if n == 1) + 1) / drawn[unit] for unit in units
    }
    total = sum(unseen.values())
    return {unit: int(budget * p / total) for unit, p in unseen.items()}


def enumerate_base(
    seeds: Sequence[str],
    wmis: Sequence[str],
    *,
    years: tuple[int, int],
    now: datetime | None = None,
    draws_per_wmi: int = DRAWS_PER_WMI,
    workers: int = 1,
    progress: Progress = no_progress,
) -> BaseEnumeration:
    """Configurations of `seeds` (repaired where vPIC says how) and of VINs drawn from
    `wmis` in the store's `years`, `draws_per_wmi` a WMI; decoded on `workers` processes."""
    with _no_cycle_collection(), Decoder(workers, now) as decoder:
        run = _Enumeration(years, decoder, progress)
        run.seed(list(dict.fromkeys(seeds)))
        run.draw(list(dict.fromkeys(wmis)), draws_per_wmi)
    return BaseEnumeration(run.collect(), run.decodes, len(seeds))


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The enumeration keeps millions of tuples and makes no reference cycles; Python's
    cycle collector would rescan them all, over and over (9 of 83 s, measured)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Enumeration:
    """The stages of `enumerate_base`, sharing what was found and the decode count."""

    def __init__(self, years: tuple[int, int], decoder: Decoder, progress: Progress) -> None:
        self.years, self.decoder, self.progress = years, decoder, progress
        self.decodes = 0
        self.found: dict[Config, str] = {}
        self.seen: dict[Unit, Counter[Config]] = {}
        self.drawn: Counter[Unit] = Counter()

    def decode(
        self,
        decode: Callable[[Sequence[Any], datetime | None], list[T]],
        items: Sequence[Any],
        stage: str,
        chunk: int | None = None,
    ) -> Iterator[T]:
        """`decode` over `items` on the decoder's workers, reporting progress per chunk."""
        done = 0
        for rows in self.decoder.map(decode, items, chunk):
            done += len(rows)
            yield from rows
            self.progress(stage, done, len(items))

    def seed(self, seeds: list[str]) -> None:
        """Each seed decoded; one that did not, with the positions vPIC flags repaired and
        decoded again (twice at most)."""
        todo = seeds
        for attempt in range(3):
            stage = "patterns" if attempt == 0 else f"repairs, pass {attempt}"
            self.decodes += len(todo)
            fixes: dict[str, None] = {}
            for vin, (year, attrs, possible) in zip(
                todo, self.decode(decode_rows, todo, stage), strict=True
            ):
                if attrs is not None and year:
                    self.found.setdefault((year, attrs), vin)
                elif possible and (fix := repaired(vin, possible)) != vin:
                    fixes[fix] = None
            todo = list(fixes)
            if not todo:
                break

    def draw(self, wmis: list[str], per_wmi: int) -> None:
        """A first round over every WMI and every (WMI, model year); then `ROUNDS` rounds
        sharing the rest of the budget by what each unit has likely not seen yet."""
        low, high = self.years
        first: dict[Unit, int] = {(wmi, None): FIRST_PER_WMI for wmi in wmis}
        first |= {(wmi, year): FIRST_PER_YEAR for wmi in wmis for year in range(low, high + 1)}
        self._draw(first, 0)
        bands = [unit for unit in first if unit[1] is None and self.drawn[unit]]
        years = [unit for unit in first if unit[1] is not None and self.drawn[unit]]
        budget = per_wmi * len(wmis)
        for round_ in range(1, ROUNDS + 1):
            left = max(0, budget - sum(self.drawn.values())) // (ROUNDS - round_ + 1)
            shares = unseen_shares(bands, self.seen, self.drawn, left // 2)
            shares |= unseen_shares(years, self.seen, self.drawn, left - left // 2)
            self._draw(shares, round_)

    def _draw(self, counts: Mapping[Unit, int], round_: int) -> None:
        """Draw `counts[unit]` VINs from each unit (the round is the generator's seed)."""
        jobs: list[DrawJob] = [
            (wmi, year, round_, n, self.years) for (wmi, year), n in counts.items() if n > 0
        ]
        stage = f"draws, round {round_ + 1} of {ROUNDS + 1}"
        for (wmi, year, *_), (drawn, configs) in zip(
            jobs, self.decode(decode_draws, jobs, stage, chunk=16), strict=True
        ):
            unit = (wmi, year)
            self.drawn[unit] += drawn
            self.decodes += drawn
            seen = self.seen.setdefault(unit, Counter())
            for config, (times, vin) in configs.items():
                seen[config] += times
                self.found.setdefault(config, vin)

    def collect(self) -> list[VehicleConfig]:
        """Every configuration found, in the store's years, once."""
        low, high = self.years
        return [
            VehicleConfig(*(year, *attrs, vin))
            for (year, attrs), vin in self.found.items()
            if low <= year <= high
        ]
