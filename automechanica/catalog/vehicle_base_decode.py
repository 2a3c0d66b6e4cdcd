"""Decodes for the vehicle base, cut down at once to what the enumeration keeps, on every core.

A vPIC decode is a dict of ~40 entries; the enumeration keeps a handful: the
model year, the configuration when the decode is usable, and vPIC's "Possible
Values". Workers decode a chunk (or draw and decode random VINs,
`decode_draws`) and hand back only those as tuples, and a configuration is
normalized once per distinct set of raw vPIC values (most VINs of a schema share
theirs), so the parent process does almost nothing per VIN.

`Decoder` spreads the chunks over a process pool (the machine's cores), or
decodes inline when asked for one worker (tests, small loads). The workers are
forked: they share the vPIC data the parent has loaded, and do not import the
entry point again (`python -m automechanica` runs its CLI at import).
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

from automechanica.catalog.vin_decode import configuration_from_decode

#: vPIC "Vehicle Type" values the store sells parts for.
VEHICLE_TYPES = frozenset({"PASSENGER CAR", "MULTIPURPOSE PASSENGER VEHICLE (MPV)", "TRUCK"})
#: vPIC error codes that make a decode unusable here: check digit (we compute it),
#: incomplete VIN, unregistered manufacturer, no data, wrong model year, year clash.
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
#: Random VINs to draw: the WMI, a model year (None: the WMI's own bands), the
#: generator's seed, how many, and the store's model years.
DrawJob = tuple[str, int | None, int, int, tuple[int, int]]
#: What a draw gave: VINs drawn, and per (model year, configuration) how many decoded
#: to it and the first of them.
DrawRow = tuple[int, dict[tuple[int, Attrs], tuple[int, str]]]


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


def _usable(decoded: Mapping[str, Any], attributes: Mapping[str, Any]) -> bool:
    """A car, MPV or truck with a year, make and model, without fatal errors."""
    errors = set(decoded.get("error_codes", ()))
    return bool(
        attributes.get("Vehicle Type") in VEHICLE_TYPES
        and decoded.get("model_year")
        and attributes.get("Make")
        and attributes.get("Model")
        and not errors & FATAL_ERRORS
    )


def _row(decoded: Mapping[str, Any], attributes: Mapping[str, Any]) -> Row:
    attrs = None
    if _usable(decoded, attributes):
        raw = tuple(attributes.get(k) for k in RAW_VARIABLES)
        if isinstance(raw[9], list):
            raw = (*raw[:9], tuple(raw[9]), *raw[10:])
        attrs = _attrs(raw)
    possible = attributes.get("Possible Values")
    return decoded.get("model_year"), attrs, str(possible) if possible else None


def decode_rows(vins: Sequence[str], now: datetime | None) -> list[Row]:
    """Plain decodes of `vins`, cut down."""
    return [_row(d, d["attributes"]) for d in ultravin.decode_batch(list(vins), now=now)]


def decode_draws(jobs: Sequence[DrawJob], now: datetime | None) -> list[DrawRow]:
    """Each job's random VINs (`ultravin.generate`) decoded, counted per configuration."""
    out: list[DrawRow] = []
    for wmi, year, seed, n, (low, high) in jobs:
        if year is None:
            vins = ultravin.generate(
                n, seed=seed, wmi=wmi, min_year=low, max_year=high, invalid_rate=0.0, now=now
            )
        else:
            vins = ultravin.generate(n, seed=seed, wmi=wmi, year=year, invalid_rate=0.0, now=now)
        configs: dict[tuple[int, Attrs], tuple[int, str]] = {}
        for vin, (decoded_year, attrs, _) in zip(vins, decode_rows(vins, now), strict=True):
            if attrs is not None and decoded_year:
                times, first = configs.get((decoded_year, attrs), (0, vin))
                configs[(decoded_year, attrs)] = (times + 1, first)
        out.append((len(vins), configs))
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
        decode: Callable[[Sequence[Any], datetime | None], list[T]],
        items: Sequence[Any],
        chunk: int | None = None,
    ) -> Iterator[list[T]]:
        """`decode` over `items` (VINs, or draw jobs) chunk by chunk; yields each chunk's
        rows in order."""
        size = chunk or self.chunk
        chunks = [items[s : s + size] for s in range(0, len(items), size)]
        if self.pool is None:
            for part in chunks:
                yield decode(part, self.now)
            return
        yield from self.pool.map(decode, chunks, [self.now] * len(chunks))
