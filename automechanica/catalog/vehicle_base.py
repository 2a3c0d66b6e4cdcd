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
from dataclasses import astuple, dataclass, field, replace
from datetime import datetime
from functools import cache
from typing import Any

import ultravin

from automechanica.catalog.vehicle_base_keys import CONFIG_VARIABLES, Pins, mixes, pinned
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
METHOD_VERSION = 2

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


def pattern_vins(*, per_wmi: int = 32, now: datetime | None = None) -> list[str]:
    """One VIN per vPIC pattern of a car, MPV or truck WMI, and `per_wmi` drawn per WMI.

    The pattern sweep builds each schema's VINs on one of the WMIs that use it, so
    a WMI sharing its schemas with another (Orion Bus's 2BA, Hino's 2AZ) gets no
    VIN of its own; `ultravin.generate(wmi=...)` draws from every schema a WMI
    links to, fixed seed, so the load stays the same run to run.
    """
    wmi_vins = ultravin.sweep(["wmi"])
    wmis = {
        str(d.get("wmi") or d["vin"][:3])
        for d in ultravin.decode_batch(wmi_vins, now=now)
        if d.get("attributes", {}).get("Vehicle Type") in VEHICLE_TYPES
    }
    prefixes = {wmi[:3] for wmi in wmis}
    drawn = [
        vin
        for wmi in sorted(wmis)
        for vin in ultravin.generate(per_wmi, seed=0, wmi=wmi, invalid_rate=0.0, now=now)
    ]
    return [vin for vin in ultravin.sweep(["pattern"]) if vin[:3] in prefixes] + drawn


def plain(decoded: Mapping[str, Any]) -> dict[str, Any]:
    """A `full=True` decode in the shape of a plain one (its attributes from its elements)."""
    attributes: dict[str, Any] = {}
    for element in decoded.get("elements", []):
        variable, value = element["variable"], element["value"]
        if variable in ultravin.MULTI_VALUED:
            if value:
                attributes.setdefault(variable, []).append(value)
        else:
            attributes[variable] = value
    return {**{k: v for k, v in decoded.items() if k != "elements"}, "attributes": attributes}


def schema_of(decoded: Mapping[str, Any]) -> int | None:
    """The vPIC schema a `full=True` decode went through (its model's, else any pattern's)."""
    schemas = [
        (e["variable"] != "Model", e["vin_schema_id"])
        for e in decoded.get("elements", [])
        if e.get("vin_schema_id") and e.get("source") == "Pattern"
    ]
    return min(schemas)[1] if schemas else None


@cache
def _pins(keys: str) -> Pins:
    return pinned(keys)


def pattern_pins(decoded: Mapping[str, Any]) -> Iterable[tuple[int, Pins, bool]]:
    """(schema, pins, sets a configuration attribute) of each pattern a full decode matched."""
    for e in decoded.get("elements", []):
        if e.get("source") == "Pattern" and e.get("vin_schema_id") and e.get("keys"):
            yield e["vin_schema_id"], _pins(e["keys"]), e["variable"] in CONFIG_VARIABLES


def _key(config: VehicleConfig) -> tuple[Any, ...]:
    return astuple(replace(config, year=0, source_vin=None))


@dataclass(slots=True)
class _Group:
    """What one WMI reaches through one model schema: its configurations (each with the
    VIN that decoded it), the schemas its decodes touched, and the years it holds."""

    vin: str = ""
    config: VehicleConfig | None = None
    configs: dict[tuple[Any, ...], VehicleConfig] = field(default_factory=dict)
    schemas: set[int] = field(default_factory=set)
    years: dict[int, list[VehicleConfig]] = field(default_factory=dict)

    def add(self, config: VehicleConfig) -> None:
        self.configs.setdefault(_key(config), config)
        if self.config is None and config.source_vin:
            self.vin, self.config = config.source_vin, config


@dataclass(slots=True)
class _Walk:
    """One group's walk out in one direction: the last year reached, and how its VIN
    decoded there (the key of that configuration)."""

    group: _Group
    step: int
    last: int
    seen: tuple[Any, ...]


def _blanks(config: VehicleConfig) -> int:
    return sum(v is None for v in astuple(config))


def _moved(config: VehicleConfig, year: int) -> VehicleConfig:
    vin = config.source_vin
    return replace(config, year=year, source_vin=with_model_year(vin, year) if vin else None)


def enumerate_base(
    seeds: Sequence[str],
    *,
    years: tuple[int, int],
    now: datetime | None = None,
    batch: int = 50_000,
    per_group: int = 96,
    progress: Progress = no_progress,
) -> BaseEnumeration:
    """Configurations reachable from `seeds`: repaired, mixed within each schema, walked
    over each schema's years."""
    run = _Enumeration(years, now, batch, progress)
    run.seed(seeds)
    run.repair()
    run.mix(per_group)
    run.walk()
    return BaseEnumeration(run.collect(), run.decodes, len(seeds))


GroupKey = tuple[str, int]


class _Enumeration:
    """The stages of `enumerate_base`, sharing the groups found and the decode count."""

    def __init__(
        self, years: tuple[int, int], now: datetime | None, batch: int, progress: Progress
    ) -> None:
        self.years, self.now, self.batch, self.progress = years, now, batch, progress
        self.decodes = 0
        self.groups: dict[GroupKey, _Group] = {}
        self.splits: dict[int, set[Pins]] = {}
        self.draws: dict[int, set[Pins]] = {}
        self.todo: dict[str, GroupKey] = {}
        self.walked: list[_Group] = []

    def decode(
        self,
        vins: Sequence[str],
        stage: str,
        hints: Sequence[int] | None = None,
        full: bool = False,
    ) -> Iterable[Mapping[str, Any]]:
        """Decode in batches (vPIC's year hint per VIN when given), reporting progress."""
        for start in range(0, len(vins), self.batch):
            chunk = list(vins[start : start + self.batch])
            hint: list[int | None] | None = (
                None if hints is None else list(hints[start : start + self.batch])
            )
            self.decodes += len(chunk)
            yield from ultravin.decode_batch(chunk, years=hint, full=full, now=self.now)
            self.progress(stage, min(start + self.batch, len(vins)), len(vins))

    def seed(self, seeds: Sequence[str]) -> None:
        """Each seed decoded in full: its configuration, its schemas and the keys seen."""
        for full in self.decode(seeds, "patterns", full=True):
            schema = schema_of(full)
            if schema is None:
                continue
            key = (str(full.get("wmi") or full["vin"][:3]), schema)
            group = self.groups.setdefault(key, _Group())
            for sid, spec, sets_config in pattern_pins(full):
                group.schemas.add(sid)
                self.draws.setdefault(sid, set()).add(spec)
                if sets_config:
                    self.splits.setdefault(sid, set()).add(spec)
            self._take(plain(full), key, self.todo)

    def _take(self, decoded: Mapping[str, Any], key: GroupKey, fixes: dict[str, GroupKey]) -> None:
        if usable(decoded) and (config := configuration_from_decode(decoded)) is not None:
            self.groups[key].add(config)
        possible = decoded.get("attributes", {}).get("Possible Values")
        if possible:
            fix = repaired(str(decoded["vin"]), str(possible))
            if fix != decoded["vin"] and fix not in self.todo:
                fixes.setdefault(fix, key)

    def repair(self) -> None:
        """Positions vPIC flags set to a character it allows, decoded again (twice at most),
        for groups none of whose VINs decoded (the mixes reach the others' repairs)."""
        for attempt in range(2):
            self.todo = {v: k for v, k in self.todo.items() if self.groups[k].config is None}
            fixes: dict[str, GroupKey] = {}
            for decoded in self.decode(list(self.todo), f"repairs, pass {attempt + 1}"):
                self._take(decoded, self.todo[decoded["vin"]], fixes)
            self.todo = fixes
            if not fixes:
                break

    def by_model(self) -> list[_Group]:
        """Each group's configurations split by make and model, each part walked on its own
        (a schema may drop one of its models a year before another)."""
        parts: dict[tuple[Any, ...], _Group] = {}
        for key, group in self.groups.items():
            # the richest decode walks first: the fewer blanks it has, the surer a year
            # that decodes it alike is the same schema's
            for config in sorted(group.configs.values(), key=_blanks):
                parts.setdefault((*key, config.make, config.model), _Group()).add(config)
        return list(parts.values())

    def mix(self, per_group: int) -> None:
        """The combinations of each group's patterns, decoded at the group's year."""
        mixed: list[tuple[str, GroupKey, int]] = []
        for key, group in self.groups.items():
            if group.config is None:
                continue
            splits = {p for sid in group.schemas for p in self.splits.get(sid, ())}
            draws = {p for sid in group.schemas for p in self.draws.get(sid, ())}
            for vin in mixes(group.vin, splits, draws, limit=per_group):
                mixed.append((with_check_digit(vin), key, group.config.year))
        for (_, key, year), decoded in zip(
            mixed, self.decode([m[0] for m in mixed], "mixes"), strict=True
        ):
            if usable(decoded) and decoded.get("model_year") == year:
                config = configuration_from_decode(decoded)
                if config is not None:
                    self.groups[key].add(config)

    def walk(self) -> None:
        """Each group's first VIN walked out a year a round, both ways, while it still
        decodes to the same make and model. A year where it decodes as the year before
        holds the same configurations; a year where it changed (a schema joined or
        left) has each configuration's VIN decoded again."""
        walkers: list[_Walk] = []
        self.walked = self.by_model()
        for group in self.walked:
            assert group.config is not None
            group.years[group.config.year] = list(group.configs.values())
            for step in (-1, 1):
                walkers.append(_Walk(group, step, group.config.year, _key(group.config)))
        low, high = self.years
        while walkers:
            queue = [w for w in walkers if low <= w.last + w.step <= high]
            if not queue:
                break
            stage = f"model years, {len(queue)} walks"
            hints = [w.last + w.step for w in queue]
            rewritten = [with_model_year(w.group.vin, y) for w, y in zip(queue, hints, strict=True)]
            walkers, changed = [], []
            for walk, decoded in zip(queue, self.decode(rewritten, stage, hints), strict=True):
                if self._step(walk, decoded):
                    walkers.append(walk)
                    if not walk.group.years.get(walk.last):
                        changed.append((walk.group, walk.last))
            self._again(changed, stage)

    def _step(self, walk: _Walk, decoded: Mapping[str, Any]) -> bool:
        year, config = walk.last + walk.step, walk.group.config
        assert config is not None
        found = configuration_from_decode(decoded) if usable(decoded, year) else None
        if found is None or (found.make, found.model) != (config.make, config.model):
            return False
        if _key(found) == walk.seen:
            walk.group.years[year] = [_moved(c, year) for c in walk.group.years[walk.last]]
        else:
            walk.group.years[year] = []
            walk.seen = _key(found)
        walk.last = year
        return True

    def _again(self, changed: Sequence[tuple[_Group, int]], stage: str) -> None:
        again = [
            (group, year, with_model_year(c.source_vin, year))
            for group, year in changed
            for c in group.configs.values()
            if c.source_vin
        ]
        for (group, year, _), decoded in zip(
            again,
            self.decode([a[2] for a in again], stage + ", changed", [a[1] for a in again]),
            strict=True,
        ):
            if usable(decoded, year) and (config := configuration_from_decode(decoded)):
                group.years[year].append(config)

    def collect(self) -> list[VehicleConfig]:
        """Every configuration of every group, in the store's years, once."""
        configs: dict[tuple[Any, ...], VehicleConfig] = {}
        for group in self.walked:
            for year, found in group.years.items():
                if self.years[0] <= year <= self.years[1]:
                    for config in found:
                        configs.setdefault((year, *_key(config)), config)
        return list(configs.values())
