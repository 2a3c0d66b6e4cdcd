"""Every vehicle vPIC knows: enumerate each decoding pattern over its whole model-year band.

`ultravin.sweep(["pattern"])` gives one VIN per vPIC pattern, each decoded at
one year of its schema's band, and most of them with filler characters that
match no pattern at the other positions (error 5/14, a model left blank). So:

1. keep the patterns of WMIs whose vehicle type is a car, MPV or truck (and a
   few VINs drawn per such WMI), decoded in full: each one's configuration, and
   the schemas and pattern keys it went through, grouped by (WMI, model schema);
2. repair the VINs of groups where none decoded: every position vPIC reports
   as wrong gets the first character its "Possible Values" allow;
3. mix each group's patterns (`vehicle_base_keys.mixes`): the combinations of
   characters a VIN whose free positions are random falls into, likeliest first;
4. walk every configuration's VIN out year by year — the 10th character
   rewritten, the check digit recomputed, the year passed as vPIC's model-year
   hint — for as long as it still decodes to the same make and model.

Decoding runs on a pool of processes (`vehicle_base_decode`). No database here
(`vehicle_base_store` writes the result).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

import ultravin

from automechanica.catalog.vehicle_base_decode import (
    VEHICLE_TYPES,
    Attrs,
    Decoder,
    MixJob,
    Row,
    decode_full_rows,
    decode_mixes,
    decode_rows,
)
from automechanica.catalog.vehicle_base_keys import Pins, pinned
from automechanica.catalog.vehicle_base_vins import repaired, with_model_year
from automechanica.catalog.vehicle_config import VehicleConfig

T = TypeVar("T")

#: The first model year vPIC covers (the 17-character VIN).
FIRST_YEAR = 1981
#: Bumped when the enumeration changes, so `load --full` knows an old load is stale.
METHOD_VERSION = 3

Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True, slots=True)
class BaseEnumeration:
    """The configurations found, and what it cost to find them."""

    configs: list[VehicleConfig]
    decodes: int
    seed_vins: int


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


@cache
def _pins(keys: str) -> Pins:
    return pinned(keys)


@dataclass(slots=True)
class _Group:
    """What one WMI reaches through one model schema: each configuration with the VIN
    that decoded it and that VIN's year, and the schemas its decodes touched; its first
    VIN is the one its mixes are made from."""

    vin: str = ""
    year: int = 0
    attrs: Attrs | None = None
    configs: dict[Attrs, tuple[str, int]] = field(default_factory=dict)
    schemas: set[int] = field(default_factory=set)

    def add(self, attrs: Attrs, vin: str, year: int) -> None:
        self.configs.setdefault(attrs, (vin, year))
        if self.attrs is None:
            self.vin, self.year, self.attrs = vin, year, attrs


@dataclass(slots=True)
class _Walk:
    """One configuration's VIN walked out in one direction: its make and model, and the
    last year it still decoded to them."""

    vin: str
    make_model: Attrs
    step: int
    last: int


def enumerate_base(
    seeds: Sequence[str],
    *,
    years: tuple[int, int],
    now: datetime | None = None,
    per_group: int = 96,
    max_group: int = 1024,
    workers: int = 1,
    progress: Progress = no_progress,
) -> BaseEnumeration:
    """Configurations reachable from `seeds`: repaired, mixed within each schema, walked
    over each schema's years; decoded on `workers` processes."""
    with Decoder(workers, now) as decoder:
        run = _Enumeration(years, decoder, progress)
        run.seed(list(dict.fromkeys(seeds)))
        run.repair()
        run.mix(per_group, max_group)
        run.walk()
    return BaseEnumeration(run.collect(), run.decodes, len(seeds))


GroupKey = tuple[str, int]


class _Enumeration:
    """The stages of `enumerate_base`, sharing the groups found and the decode count."""

    def __init__(self, years: tuple[int, int], decoder: Decoder, progress: Progress) -> None:
        self.years, self.decoder, self.progress = years, decoder, progress
        self.decodes = 0
        self.groups: dict[GroupKey, _Group] = {}
        self.splits: dict[int, set[Pins]] = {}
        self.draws: dict[int, set[Pins]] = {}
        self.todo: dict[str, GroupKey] = {}
        self.found: dict[tuple[int, Attrs], str] = {}

    def decode(
        self,
        decode: Callable[[Sequence[Any], Sequence[int | None] | None, datetime | None], list[T]],
        items: Sequence[Any],
        stage: str,
        hints: Sequence[int | None] | None = None,
        chunk: int | None = None,
    ) -> Iterator[T]:
        """`decode` over `items` on the decoder's workers, reporting progress per chunk."""
        done = 0
        for rows in self.decoder.map(decode, items, hints, chunk):
            done += len(rows)
            yield from rows
            self.progress(stage, done, len(items))

    def seed(self, seeds: Sequence[str]) -> None:
        """Each seed decoded in full: its configuration, its schemas and the keys seen."""
        self.decodes += len(seeds)
        for vin, (wmi, schema, patterns, row) in zip(
            seeds, self.decode(decode_full_rows, seeds, "patterns"), strict=True
        ):
            if schema is None:
                continue
            key = (wmi, schema)
            group = self.groups.setdefault(key, _Group())
            for sid, keys, sets_config in patterns:
                group.schemas.add(sid)
                spec = _pins(keys)
                self.draws.setdefault(sid, set()).add(spec)
                if sets_config:
                    self.splits.setdefault(sid, set()).add(spec)
            self._take(vin, row, key, self.todo)

    def _take(self, vin: str, row: Row, key: GroupKey, fixes: dict[str, GroupKey]) -> None:
        year, attrs, possible = row
        if attrs is not None and year:
            self.groups[key].add(attrs, vin, year)
        if possible:
            fix = repaired(vin, possible)
            if fix != vin and fix not in self.todo:
                fixes.setdefault(fix, key)

    def repair(self) -> None:
        """Positions vPIC flags set to a character it allows, decoded again (twice at most),
        for groups none of whose VINs decoded (the mixes reach the others' repairs)."""
        for attempt in range(2):
            self.todo = {v: k for v, k in self.todo.items() if self.groups[k].attrs is None}
            fixes: dict[str, GroupKey] = {}
            vins = list(self.todo)
            self.decodes += len(vins)
            for vin, row in zip(
                vins, self.decode(decode_rows, vins, f"repairs, pass {attempt + 1}"), strict=True
            ):
                self._take(vin, row, self.todo[vin], fixes)
            self.todo = fixes
            if not fixes:
                break

    def mix(self, per_group: int, max_group: int) -> None:
        """The combinations of each group's patterns, decoded at the group's year:
        `per_group`, or as many as the patterns a VIN is drawn from (each one's likeliest
        mix, up to `max_group`) — a large schema's VINs spread over far more mixes."""
        keys = [key for key, group in self.groups.items() if group.attrs is not None]
        jobs: list[MixJob] = []
        for key in keys:
            group = self.groups[key]
            splits = {p for sid in group.schemas for p in self.splits.get(sid, ())}
            draws = {p for sid in group.schemas for p in self.draws.get(sid, ())}
            limit = min(max(per_group, len(draws)), max_group)
            jobs.append((group.vin, group.year, tuple(splits), tuple(draws), limit))
        for key, (decoded, hits) in zip(
            keys, self.decode(decode_mixes, jobs, "mixes", chunk=64), strict=True
        ):
            self.decodes += decoded
            group = self.groups[key]
            for vin, attrs in hits:
                group.add(attrs, vin, group.year)

    def walk(self) -> None:
        """Every configuration's VIN walked out a year a round, both ways, while it still
        decodes to the same make and model; whatever it decodes to in a year is that
        year's configuration (no year is copied from another: a schema that joins or
        leaves changes what some VINs decode to and not others)."""
        walkers: list[_Walk] = []
        for group in self.groups.values():
            for attrs, (vin, year) in group.configs.items():
                self.found.setdefault((year, attrs), vin)
                walkers += [_Walk(vin, attrs[:2], step, year) for step in (-1, 1)]
        low, high = self.years
        while walkers:
            queue = [w for w in walkers if low <= w.last + w.step <= high]
            targets = [w.last + w.step for w in queue]
            vins = [with_model_year(w.vin, y) for w, y in zip(queue, targets, strict=True)]
            stage = f"model years, {len(queue)} walks"
            self.decodes += len(vins)
            walkers = []
            for walk, year, vin, (_, decoded, _) in zip(
                queue,
                targets,
                vins,
                self.decode(decode_rows, vins, stage, list[int | None](targets)),
                strict=True,
            ):
                if decoded is not None and decoded[:2] == walk.make_model:
                    self.found.setdefault((year, decoded), vin)
                    walk.last = year
                    walkers.append(walk)

    def collect(self) -> list[VehicleConfig]:
        """Every configuration found, in the store's years, once."""
        low, high = self.years
        return [
            VehicleConfig(*(year, *attrs, vin))
            for (year, attrs), vin in self.found.items()
            if low <= year <= high
        ]
