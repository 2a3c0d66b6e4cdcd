"""The full vehicle base: load time, counts, and coverage of random real-pattern VINs.

    .venv/bin/python -m bench.vehicles [--sample 9000] [--seed 7]

Loads `vehicles load --full` into a fresh database (embedded unless
AUTOMECHANICA_DATABASE_URL is set) after the demo's vehicles, as `up` does on
first start, then loads again (it must add nothing, quickly). Coverage: a fresh
`ultravin.generate` sample, a third each of passenger cars, MPVs and trucks, model
years 1990 through the store's last, decoded and normalized like the loader;
a VIN is covered when its year/make/model is a base vehicle, and its
configuration when a stored configuration equals it on every column
("exact") or on the attributes a VIN match compares ("matched").
Targets (issue 12): 99% of year/make/model, 95% of configurations, load < 2 min.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from dataclasses import astuple, replace
from datetime import datetime
from typing import Any

import psycopg
import ultravin

from automechanica.catalog.vehicle_base_load import load_full_base, store_years
from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.catalog.vin_decode import configuration_from_decode
from automechanica.catalog.vin_match import match_vin
from bench._setup import bench_database, prepare_catalog

#: A 2023 Honda Civic Sport 2.0 L sedan (ultravin-generated): its exact configuration.
CIVIC_SPORT_20 = "2HGFE2F53PH965923"
MATCHED = ("submodel", "engine_liters", "engine_cylinders", "fuel", "drive", "body")
STORED = """
SELECT bv.year, ma.name, mo.name, v.submodel, v.engine_liters, v.engine_cylinders,
       v.engine_code, v.fuel, v.aspiration, v.drive, v.body, v.doors, v.transmission
FROM vehicles v JOIN base_vehicles bv ON bv.id = v.base_vehicle_id
JOIN models mo ON mo.id = bv.model_id JOIN makes ma ON ma.id = bv.make_id
"""


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


def coverage(rows: list[tuple[Any, ...]], drawn: list[VehicleConfig]) -> None:
    ymm = {r[:3] for r in rows}
    exact = {r for r in rows}
    index = [3, 4, 5, 7, 9, 10]  # columns of MATCHED in STORED
    matched = {r[:3] + tuple(r[i] for i in index) for r in rows}
    by_decade: Counter[int] = Counter()
    hits: dict[str, Counter[int]] = {"ymm": Counter(), "exact": Counter(), "matched": Counter()}
    for c in drawn:
        decade = c.year // 10 * 10
        by_decade[decade] += 1
        key = (c.year, c.make, c.model)
        hits["ymm"][decade] += key in ymm
        hits["exact"][decade] += astuple(c)[:13] in exact
        hits["matched"][decade] += key + tuple(getattr(c, k) for k in MATCHED) in matched
    print(f"{'decade':>8} {'VINs':>6} {'y/m/m':>7} {'config':>7} {'matched':>8}")
    for decade in sorted(by_decade):
        n = by_decade[decade]
        cells = [f"{100 * hits[k][decade] / n:6.1f}%" for k in ("ymm", "exact", "matched")]
        print(f"{decade:>7}s {n:>6} {cells[0]:>7} {cells[1]:>7} {cells[2]:>8}")
    n = len(drawn)
    cells = [f"{100 * sum(hits[k].values()) / n:6.1f}%" for k in ("ymm", "exact", "matched")]
    print(f"{'all':>8} {n:>6} {cells[0]:>7} {cells[1]:>7} {cells[2]:>8}")


async def run(url: str, n: int, seed: int) -> None:
    now = datetime.now()
    async with await psycopg.AsyncConnection.connect(url) as conn:
        stages: dict[str, float] = {}
        started = time.perf_counter()

        def progress(stage: str, done: int, total: int) -> None:
            stages.setdefault(stage.split(",")[0], time.perf_counter() - started)

        first = await load_full_base(conn, now=now, progress=progress)
        t = first.totals
        print(f"full load: {first.seconds:.1f} s, {first.decodes:,} VIN decodes")
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
    drawn = sample(n, seed, now)
    print(f"coverage of {len(drawn):,} generated VINs (seed {seed}), model years 1990 on:")
    coverage(rows, drawn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", type=int, default=9000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with bench_database("vehicles") as (url, _):
        prepare_catalog(url, vins_per_type=60)
        asyncio.run(run(url, args.sample, args.seed))


if __name__ == "__main__":
    main()
