"""Decodes for the vehicle base, cut down at once to what the enumeration keeps, on every core.

A vPIC decode is a dict of ~40 entries (~600 with `full=True`); the enumeration
keeps a handful: the model year, the configuration when the decode is usable,
vPIC's "Possible Values", and for a full decode the schemas and pattern keys it
went through. Workers decode a chunk and hand back only those as tuples, and a
configuration is normalized once per distinct set of raw vPIC values (most VINs
of a schema share theirs), so the parent process does almost nothing per VIN.

`Decoder` spreads the chunks over a process pool (the machine's cores), or
decodes inline when asked for one worker (tests, small loads). The workers are
forked: they share the vPIC data the parent has loaded, and do not import the
entry point again (`python -m automechanica` runs its CLI at import). Mixes are
ranked in the workers too (`decode_mixes`).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import astuple
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

import ultravin

from automechanica.catalog.vehicle_base_keys import Pins, mixes
from automechanica.catalog.vehicle_base_vins import with_check_digit
from automechanica.catalog.vin_decode import configuration_from_decode

#: vPIC "Vehicle Type" values the store sells parts for.
VEHICLE_TYPES = frozenset({"PASSENGER CAR", "MULTIPURPOSE PASSENGER VEHICLE (MPV)", "TRUCK"})
#: vPIC error codes that make a decode unusable here: check digit (we compute it),
#: incomplete VIN, unregistered manufacturer, no data, wrong model year, year hint clash.
FATAL_ERRORS = frozenset({1, 6, 7, 8, 11, 12})
#: The vPIC variables `vin_decode.configuration_from_decode` reads, in a fixed order.
RAW_VARIABLES = (
    "Make",
    "Model",
    "Trim",
    "Displacement (L)",
    "Engine Number of Cylinders",
    "Engine Model",
    "Fuel Type - Primary",
    "Electrification Level",
    "Turbo",
    "Other Engine Info",
    "Drive Type",
    "Body Class",
    "Doors",
    "Transmission Style",
)

T = TypeVar("T")

#: A configuration without its year and VIN: `VehicleConfig`'s fields make..transmission.
Attrs = tuple[Any, ...]
#: A plain decode, cut down: (model year, configuration when usable, Possible Values).
Row = tuple[int | None, Attrs | None, str | None]
#: A pattern a full decode matched: (schema id, its Keys, whether it sets a configuration
#: attribute).
PatternHit = tuple[int, str, bool]
#: One group's mixes to reach: its VIN and model year, the pins of the patterns that
#: split it into configurations and of the patterns a VIN is drawn from, how many at most.
MixJob = tuple[str, int, tuple[Pins, ...], tuple[Pins, ...], int]
#: What one group's mixes gave: VINs decoded, and each usable one with its configuration.
MixRow = tuple[int, list[tuple[str, Attrs]]]
#: A full decode, cut down: (WMI, schema of its model, patterns matched, the plain row).
FullRow = tuple[str, int | None, tuple[PatternHit, ...], Row]


@cache
def _attrs(raw: tuple[Any, ...]) -> Attrs | None:
    """The normalized configuration of one set of raw vPIC values (cached: few are distinct)."""
    attributes = {
        k: list(v) if isinstance(v, tuple) else v
        for k, v in zip(RAW_VARIABLES, raw, strict=True)
        if v is not None
    }
    config = configuration_from_decode({"model_year": 1, "attributes": attributes})
    return None if config is None else astuple(config)[1:-1]


def _usable(decoded: Mapping[str, Any], attributes: Mapping[str, Any], hint: int | None) -> bool:
    """A car, MPV or truck with a year, make and model, without fatal errors; with a
    year hint, of that year (the hint's own "year differs" flag then is no error)."""
    errors = set(decoded.get("error_codes", ()))
    if hint is not None:
        if decoded.get("model_year") != hint:
            return False
        errors.discard(12)
    return bool(
        attributes.get("Vehicle Type") in VEHICLE_TYPES
        and decoded.get("model_year")
        and attributes.get("Make")
        and attributes.get("Model")
        and not errors & FATAL_ERRORS
    )


def _row(decoded: Mapping[str, Any], attributes: Mapping[str, Any], hint: int | None) -> Row:
    attrs = None
    if _usable(decoded, attributes, hint):
        raw = tuple(attributes.get(k) for k in RAW_VARIABLES)
        if isinstance(raw[9], list):
            raw = (*raw[:9], tuple(raw[9]), *raw[10:])
        attrs = _attrs(raw)
    possible = attributes.get("Possible Values")
    return decoded.get("model_year"), attrs, str(possible) if possible else None


def _plain_attributes(elements: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A full decode's elements as a plain decode's attributes."""
    attributes: dict[str, Any] = {}
    multi = ultravin.MULTI_VALUED
    for e in elements:
        variable, value = e["variable"], e["value"]
        if variable in multi:
            if value:
                attributes.setdefault(variable, []).append(value)
        else:
            attributes[variable] = value
    return attributes


def _patterns(elements: Sequence[Mapping[str, Any]]) -> tuple[PatternHit, ...]:
    return tuple(
        (e["vin_schema_id"], e["keys"], e["variable"] in RAW_VARIABLES)
        for e in elements
        if e.get("source") == "Pattern" and e.get("vin_schema_id") and e.get("keys")
    )


def _model_schema(elements: Sequence[Mapping[str, Any]]) -> int | None:
    """The schema a full decode went through: its model's, else any pattern's (the lowest)."""
    schemas = [
        (e["variable"] != "Model", e["vin_schema_id"])
        for e in elements
        if e.get("vin_schema_id") and e.get("source") == "Pattern"
    ]
    return min(schemas)[1] if schemas else None


def decode_rows(
    vins: Sequence[str], hints: Sequence[int | None] | None, now: datetime | None
) -> list[Row]:
    """Plain decodes of `vins` (vPIC's model-year hint per VIN when given), cut down."""
    years = list(hints) if hints is not None else None
    decoded = ultravin.decode_batch(list(vins), years=years, now=now)
    hinted = hints if hints is not None else [None] * len(decoded)
    return [_row(d, d["attributes"], h) for d, h in zip(decoded, hinted, strict=True)]


def decode_full_rows(
    vins: Sequence[str], hints: Sequence[int | None] | None, now: datetime | None
) -> list[FullRow]:
    """Full decodes of `vins`: WMI, model schema, patterns matched and the plain row."""
    out: list[FullRow] = []
    for d in ultravin.decode_batch(list(vins), full=True, now=now):
        elements = d.get("elements", [])
        row = _row(d, _plain_attributes(elements), None)
        wmi = str(d.get("wmi") or d["vin"][:3])
        out.append((wmi, _model_schema(elements), _patterns(elements), row))
    return out


def decode_mixes(
    jobs: Sequence[MixJob], hints: Sequence[int | None] | None, now: datetime | None
) -> list[MixRow]:
    """Each group's mixes (`vehicle_base_keys.mixes`) decoded: those of the group's year.

    Worked out in the worker too: ranking a large schema's mixes costs as much as
    decoding them.
    """
    vins: dict[str, int] = {}
    for i, (vin, _, splits, draws, limit) in enumerate(jobs):
        for mixed in mixes(vin, splits, draws, limit=limit):
            vins.setdefault(with_check_digit(mixed), i)
    out: list[MixRow] = [(0, []) for _ in jobs]
    for (vin, i), (year, attrs, _) in zip(
        vins.items(), decode_rows(list(vins), None, now), strict=True
    ):
        decoded, hits = out[i]
        if attrs is not None and year == jobs[i][1]:
            hits.append((vin, attrs))
        out[i] = (decoded + 1, hits)
    return out


def _watch_parent(parent: int) -> None:
    """A worker ends when the load's process does (stopped by `up`, killed, crashed)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


class Decoder:
    """Decode chunks on a process pool of `workers` (inline with one), results in order."""

    def __init__(self, workers: int, now: datetime | None, chunk: int = 8_000) -> None:
        self.workers, self.now, self.chunk = max(1, workers), now, chunk
        self.pool: Executor | None = None

    def __enter__(self) -> Decoder:
        if self.workers > 1:
            self.pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_watch_parent,
                initargs=(os.getpid(),),
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def map(
        self,
        decode: Callable[[Sequence[Any], Sequence[int | None] | None, datetime | None], list[T]],
        items: Sequence[Any],
        hints: Sequence[int | None] | None = None,
        chunk: int | None = None,
    ) -> Iterator[list[T]]:
        """`decode` over `items` (VINs, or mix jobs) chunk by chunk; yields each chunk's
        rows in order."""
        size = chunk or self.chunk
        chunks = [
            (items[s : s + size], None if hints is None else hints[s : s + size])
            for s in range(0, len(items), size)
        ]
        if self.pool is None:
            for v, h in chunks:
                yield decode(v, h, self.now)
            return
        nows = [self.now] * len(chunks)
        yield from self.pool.map(decode, [c[0] for c in chunks], [c[1] for c in chunks], nows)
