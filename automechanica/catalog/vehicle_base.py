"""Every vehicle vPIC knows: enumerate each decoding pattern over its whole model-year band.

`ultravin.sweep(["pattern"])` gives one VIN per vPIC pattern, each decoded at
one year of its schema's band, and most of them with filler characters that
match no pattern at the other positions (error 5/14, a model left blank). So:

1. keep the patterns of WMIs whose vehicle type is a car, MPV or truck;
2. repair each VIN: every position vPIC reports as wrong gets the first
   character its "Possible Values" allow (check digit fixed), decoded again;
3. one representative VIN per (WMI, configuration) is walked out year by
   year — the 10th character (model-year code) rewritten, the check digit
   recomputed, and the year passed as vPIC's model-year hint (position 10 is
   a 30-year cycle that position 7 settles, and a filler there may point the
   other way) — for as long as it still decodes to the same make and model.

Pure computation: no database here (`vehicle_base_store` writes the result).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass, replace
from datetime import datetime
from typing import Any

import ultravin

from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.catalog.vin_decode import configuration_from_decode

#: vPIC "Vehicle Type" values the store sells parts for.
VEHICLE_TYPES = frozenset({"PASSENGER CAR", "MULTIPURPOSE PASSENGER VEHICLE (MPV)", "TRUCK"})
#: vPIC error codes that make a decode unusable here: check digit (we compute it),
#: incomplete VIN, unregistered manufacturer, no data, wrong model year, year hint clash.
_FATAL_ERRORS = frozenset({1, 6, 7, 8, 11, 12})
#: The first model year vPIC covers (the 17-character VIN).
FIRST_YEAR = 1981
#: Bumped when the enumeration changes, so `load --full` knows an old load is stale.
METHOD_VERSION = 1

_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # position 10, a 30-year cycle from 1980
_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_POSSIBLE = re.compile(r"\((\d+):([^)]*)\)")

Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True, slots=True)
class BaseEnumeration:
    """The configurations found, and what it cost to find them."""

    configs: list[VehicleConfig]
    decodes: int
    seed_vins: int


def with_check_digit(vin: str) -> str:
    """`vin` with position 9 set to the check digit its other characters call for."""
    total = sum(_TRANSLITERATION[c] * w for c, w in zip(vin, _WEIGHTS, strict=True)) % 11
    return vin[:8] + ("X" if total == 10 else str(total)) + vin[9:]


def with_model_year(vin: str, year: int) -> str:
    """`vin` rewritten to model year `year`: the 10th character, then the check digit."""
    return with_check_digit(vin[:9] + _YEAR_CODES[(year - 1980) % 30] + vin[10:])


def repaired(vin: str, possible_values: str) -> str:
    """`vin` with each position vPIC flags set to the first character it allows there."""
    chars = list(vin)
    for position, allowed in _POSSIBLE.findall(possible_values):
        index = int(position) - 1
        usable = [c for c in allowed if c in _TRANSLITERATION]
        if index in (8, 9) or not usable:  # check digit and model year are ours to set
            continue
        chars[index] = usable[0]
    return with_check_digit("".join(chars))


def usable(decoded: Mapping[str, Any], year: int | None = None) -> bool:
    """A decode names a car, MPV or truck with a year, make and model, without fatal errors.

    With `year` (the model year asked for), the decode must be of that year; the
    hint's own "year differs" flag (12) is then no error.
    """
    attributes = decoded.get("attributes", {})
    errors = set(decoded.get("error_codes", []))
    if year is not None:
        if decoded.get("model_year") != year:
            return False
        errors.discard(12)
    return bool(
        attributes.get("Vehicle Type") in VEHICLE_TYPES
        and decoded.get("model_year")
        and attributes.get("Make")
        and attributes.get("Model")
        and not errors & _FATAL_ERRORS
    )


def pattern_vins() -> list[str]:
    """One VIN per vPIC pattern, for WMIs whose vehicle type is a car, MPV or truck."""
    wmi_vins = ultravin.sweep(["wmi"])
    wanted = {
        d["vin"][:3]
        for d in ultravin.decode_batch(wmi_vins)
        if d.get("attributes", {}).get("Vehicle Type") in VEHICLE_TYPES
    }
    return [vin for vin in ultravin.sweep(["pattern"]) if vin[:3] in wanted]


class _Collector:
    """Distinct configurations, and one representative VIN for each (WMI, configuration)."""

    def __init__(self, years: tuple[int, int]) -> None:
        self.years = years
        self.configs: dict[tuple[Any, ...], VehicleConfig] = {}
        self.representatives: dict[tuple[Any, ...], tuple[str, VehicleConfig]] = {}

    def take(self, decoded: Mapping[str, Any], year: int | None = None) -> VehicleConfig | None:
        """The decode's configuration if usable; kept when its year is the store's.

        A decode outside the store's years (vPIC bands run to this year + 2) still
        yields a representative, so the walk brings it back into range.
        """
        if not usable(decoded, year):
            return None
        config = configuration_from_decode(decoded)
        if config is None:
            return None
        key = astuple(replace(config, source_vin=None))
        if self.years[0] <= config.year <= self.years[1]:
            self.configs.setdefault(key, config)
        self.representatives.setdefault(
            (str(decoded["vin"])[:3], *key), (str(decoded["vin"]), config)
        )
        return config


def enumerate_base(
    seeds: Sequence[str],
    *,
    years: tuple[int, int],
    now: datetime | None = None,
    batch: int = 50_000,
    progress: Progress = no_progress,
) -> BaseEnumeration:
    """Configurations reachable from `seeds` (repaired, then walked over the years)."""
    collector = _Collector(years)
    decodes = 0

    def decode(
        vins: Sequence[str], stage: str, hints: Sequence[int] | None = None
    ) -> Iterable[Mapping[str, Any]]:
        nonlocal decodes
        for start in range(0, len(vins), batch):
            chunk = list(vins[start : start + batch])
            years_hint: list[int | None] | None = (
                None if hints is None else list(hints[start : start + batch])
            )
            decodes += len(chunk)
            yield from ultravin.decode_batch(chunk, years=years_hint, now=now)
            progress(stage, min(start + batch, len(vins)), len(vins))

    todo = list(seeds)
    for attempt in range(3):  # a repair can reveal another wrong position; rarely a third
        fixes: set[str] = set()
        for decoded in decode(todo, f"patterns, pass {attempt + 1}"):
            collector.take(decoded)
            possible = decoded.get("attributes", {}).get("Possible Values")
            if possible:
                fix = repaired(str(decoded["vin"]), str(possible))
                if fix != decoded["vin"]:
                    fixes.add(fix)
        todo = sorted(fixes)
        if not todo:
            break

    # Walk each representative out from its year, one year a round, both ways.
    walkers = [
        (vin, config, step)
        for vin, config in collector.representatives.values()
        for step in (-1, 1)
    ]
    distance = 1
    while walkers:
        queue = [
            (vin, config, step, config.year + step * distance)
            for vin, config, step in walkers
            if years[0] <= config.year + step * distance <= years[1]
        ]
        if not queue:
            break
        rewritten = [with_model_year(vin, year) for vin, _, _, year in queue]
        walkers = []
        for (vin, config, step, year), decoded in zip(
            queue,
            decode(rewritten, f"model years, round {distance}", [y for *_, y in queue]),
            strict=True,
        ):
            found = collector.take(decoded, year)
            if found is not None and (found.make, found.model) == (config.make, config.model):
                walkers.append((vin, config, step))
        distance += 1
    return BaseEnumeration(list(collector.configs.values()), decodes, len(seeds))
