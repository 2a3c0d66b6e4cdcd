"""The full vehicle base: load time, counts, and coverage of random real-pattern VINs.

    .venv/bin/python -m bench.vehicles [--sample 9000] [--seed 7 [2026 777 ...]]

Loads `vehicles load --full` into a fresh database (embedded unless
AUTOMECHANICA_DATABASE_URL is set) after the demo's vehicles, as `up` does on
first start, then loads again (it must add nothing, quickly). Coverage: a fresh
`ultravin.generate` sample, a third each of passenger cars, MPVs and trucks, model
years 1990 through the store's last, decoded and normalized like the loader;
a VIN is covered when its year/make/model is a base vehicle, and its
configuration when `vin_match` finds it exactly ("exact": a stored
configuration agrees on every compared attribute the VIN states, as
`automechanica eval vins` counts it); "identical" is the stricter share whose
stored row equals the VIN's on every column, blanks included.
A second sample draws as many VINs for every model year from 1990
(`generate(year=...)`, where each year's WMIs weigh alike, so rare makes weigh
more), keeping cars, MPVs and trucks.
Targets (issue 12): 99% of year/make/model, 95% of configurations, load < 2 min.

The machine is shared, so the load's time is printed beside a baseline measured
in the same run: decoding a fixed 200,000 VINs (the pattern sweep's first ones),
the work the load is made of, on one core. The ratio is what compares across runs.
The load decodes on a pool of the machine's cores: its CPU time is the bench
process's plus its workers', and its peak memory the largest of theirs.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from collections import defaultdict
from dataclasses import replace
from datetime import datetime
from typing import Any

import psycopg
import ultravin

from automechanica.agents.vin_eval import STORED, Coverage, StoredBase
from automechanica.catalog.vehicle_base_decode import VEHICLE_TYPES
from automechanica.catalog.vehicle_base_load import load_full_base, store_years
from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.catalog.vin_decode import configuration_from_decode
from automechanica.catalog.vin_match import match_vin
from bench._setup import bench_database, prepare_catalog

#: A 2023 Honda Civic Sport 2.0 L sedan (ultravin-generated): its exact configuration.
CIVIC_SPORT_20 = "2HGFE2F53PH965923"
BASELINE_VINS = 200_000


def baseline_seconds() -> float:
    """Seconds to decode a fixed 200,000 VINs now: the yardstick for the load's time."""
    vins = ultravin.sweep(["pattern"])[:BASELINE_VINS]
    started = time.perf_counter()
    for start in range(0, len(vins), 50_000):
        ultravin.decode_batch(vins[start : start + 50_000])
    return time.perf_counter() - started


def sample(n: int, seed: int, now: datetime) -> list[VehicleConfig]:
    last = store_years(now)[1]
    vins: list[str] = []
    for vehicle_type in (2, 7, 3):
        vins += ultravin.generate(
            n // 3, seed=seed, min_year=1990, max_year=last, vehicle_type=vehicle_type,
            invalid_rate=0.0, now=now,
        )  # fmt: skip
    configs = (configuration_from_decode(d) for d in ultravin.decode_batch(vins, now=now))
    return [replace(c, source_vin=None) for c in configs if c is not None]


def sample_by_year(n: int, seed: int, now: datetime) -> list[VehicleConfig]:
    """As many VINs for every model year from 1990 (`generate(year=...)`, each year's WMIs
    alike, so a rare make weighs as much as a common one), cars, MPVs and trucks only."""
    years = range(1990, store_years(now)[1] + 1)
    per_year = n // len(years)
    vins = [
        vin
        for year in years
        for vin in ultravin.generate(per_year, seed=seed, year=year, invalid_rate=0.0, now=now)
    ]
    decoded = [
        d
        for d in ultravin.decode_batch(vins, now=now)
        if d["attributes"].get("Vehicle Type") in VEHICLE_TYPES
    ]
    configs = (configuration_from_decode(d) for d in decoded)
    return [replace(c, source_vin=None) for c in configs if c is not None]


def coverage(rows: list[tuple[Any, ...]], drawn: list[VehicleConfig]) -> None:
    base = StoredBase(rows)
    by_decade: dict[int, list[VehicleConfig]] = defaultdict(list)
    for c in drawn:
        by_decade[c.year // 10 * 10].append(c)
    print(f"{'decade':>8} {'VINs':>6} {'y/m/m':>7} {'exact':>7} {'identical':>10}")

    def line(label: str, found: Coverage) -> None:
        n = found.vins
        cells = [
            f"{100 * k / n:6.1f}%"
            for k in (found.year_make_model, found.exact_configuration, found.identical_row)
        ]
        print(f"{label:>8} {n:>6} {cells[0]:>7} {cells[1]:>7} {cells[2]:>10}")

    for decade in sorted(by_decade):
        line(f"{decade}s", base.coverage(by_decade[decade]))
    line("all", base.coverage(drawn))


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its finished children (the load's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _peak_rss_mb() -> tuple[float, float]:
    """Peak resident memory (MB) of this process and of its largest finished child."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own / 1024, children / 1024


async def run(url: str, n: int, seeds: list[int]) -> None:
    now = datetime.now()
    async with await psycopg.AsyncConnection.connect(url) as conn:
        stages: dict[str, float] = {}
        started = time.perf_counter()

        def progress(stage: str, done: int, total: int) -> None:
            stages.setdefault(stage.split(",")[0], time.perf_counter() - started)

        cpu = _cpu()
        first = await load_full_base(conn, now=now, progress=progress)
        own, workers = (after - before for after, before in zip(_cpu(), cpu, strict=True))
        peak, worker_peak = _peak_rss_mb()
        t = first.totals
        base = baseline_seconds()
        print(
            f"full load: {first.seconds:.1f} s wall, {own + workers:.1f} s CPU "
            f"({own:.1f} s this process, {workers:.1f} s its decoding workers), "
            f"{first.decodes:,} VIN decodes"
        )
        print(f"  peak RSS: {peak:,.0f} MB this process, {worker_peak:,.0f} MB the largest worker")
        print(
            f"  baseline, {BASELINE_VINS:,} VIN decodes in the same run: {base:.1f} s; "
            f"load / baseline = {first.seconds / base:.1f}"
        )
        print("  stage starts (s): " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))
        print(
            f"  {t.makes:,} makes, {t.models:,} models, {t.base_vehicles:,} base vehicles, "
            f"{t.vehicles:,} configurations (added {first.added.vehicles:,})"
        )
        started = time.perf_counter()
        second = await load_full_base(conn, now=now)
        print(
            f"second load: skipped={second.skipped}, added {second.added.vehicles} "
            f"configurations, {time.perf_counter() - started:.2f} s"
        )
        civic = await match_vin(conn, CIVIC_SPORT_20)
        print(f"exact configuration case: {civic['message']}")
        cur = await conn.execute(STORED)
        rows = [tuple(r) for r in await cur.fetchall()]
    for seed in seeds:
        drawn = sample(n, seed, now)
        print(f"coverage of {len(drawn):,} generated VINs (seed {seed}), model years 1990 on:")
        coverage(rows, drawn)
        by_year = sample_by_year(n, seed, now)
        print(
            f"coverage of {len(by_year):,} generated car, MPV and truck VINs (seed {seed}), "
            "the same number for every model year from 1990:"
        )
        coverage(rows, by_year)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", type=int, default=9000)
    parser.add_argument("--seed", type=int, nargs="+", default=[7])
    args = parser.parse_args()
    with bench_database("vehicles") as (url, _):
        prepare_catalog(url, vins_per_type=60)
        asyncio.run(run(url, args.sample, args.seed))


if __name__ == "__main__":
    main()
