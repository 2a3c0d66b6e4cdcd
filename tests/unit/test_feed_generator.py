"""The demo-feed generator: deterministic bytes, a catalog that covers the vocabulary,
fitment drawn from the given vehicles, and the promised mess."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from automechanica.catalog.feeds.generator import (
    DemoFeeds,
    Fleet,
    generate_demo_feeds,
    write_large_csv,
    year_runs,
)
from automechanica.catalog.feeds.readers import read_feed
from automechanica.catalog.feeds.records import OfferRecord, Rejection
from automechanica.catalog.feeds.values import parse_part_type
from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.catalog.vocabulary import BRANDS, PART_TYPES

FEED_NAMES = ("northstar.csv", "parts-direct.jsonl", "atlas-pies.xml", "atlas-aces.xml")


def small_fleet() -> list[VehicleConfig]:
    """A few real-looking configurations: shared engines, hybrids, diesel, an EV, a gap year."""
    d = Decimal
    vehicles: list[VehicleConfig] = []
    for year in range(2012, 2016):
        for trim in ("LX", "EX"):
            vehicles.append(
                VehicleConfig(
                    year,
                    "Honda",
                    "Civic",
                    trim,
                    d("1.8"),
                    4,
                    None,
                    "Gasoline",
                    None,
                    "FWD",
                    "Sedan",
                    4,
                )
            )
        vehicles.append(
            VehicleConfig(
                year, "Honda", "CR-V", "EX", d("2.4"), 4, None, "Gasoline", None, "AWD", "SUV", 4
            )
        )
    for year in (2016, 2017, 2019):  # 2018 missing: runs must not span it
        vehicles.append(
            VehicleConfig(
                year,
                "Honda",
                "Civic",
                "Sport",
                d("2.0"),
                4,
                None,
                "Gasoline",
                None,
                "FWD",
                "Sedan",
                4,
            )
        )
    for year in range(2014, 2019):
        for drive in ("4WD", "RWD"):
            vehicles.append(
                VehicleConfig(
                    year,
                    "Chevrolet",
                    "Silverado 1500",
                    "LT",
                    d("5.3"),
                    8,
                    None,
                    "Gasoline",
                    None,
                    drive,
                    "Pickup",
                    4,
                )
            )
        vehicles.append(
            VehicleConfig(
                year,
                "Chevrolet",
                "Silverado 1500",
                "Hybrid",
                d("5.3"),
                8,
                None,
                "Hybrid",
                None,
                "4WD",
                "Pickup",
                4,
            )
        )
    for year in range(2015, 2018):
        vehicles.append(
            VehicleConfig(
                year,
                "Toyota",
                "Camry",
                "LE",
                d("2.5"),
                4,
                None,
                "Gasoline",
                None,
                "FWD",
                "Sedan",
                4,
            )
        )
        vehicles.append(
            VehicleConfig(
                year,
                "Toyota",
                "Camry",
                "Hybrid LE",
                d("2.5"),
                4,
                None,
                "Hybrid",
                None,
                "FWD",
                "Sedan",
                4,
            )
        )
        vehicles.append(
            VehicleConfig(
                year,
                "Ford",
                "F-250 Super Duty",
                "XL",
                d("6.7"),
                8,
                None,
                "Diesel",
                None,
                "4WD",
                "Pickup",
                4,
            )
        )
    for year in range(2018, 2021):
        vehicles.append(
            VehicleConfig(
                year,
                "Tesla",
                "Model 3",
                "Long Range",
                None,
                None,
                None,
                "Electric",
                None,
                "AWD",
                "Sedan",
                4,
            )
        )
    return vehicles


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFeeds:
    return generate_demo_feeds(tmp_path_factory.mktemp("demo"), small_fleet(), seed=3, parts=900)


def _digests(directory: Path) -> dict[str, str]:
    return {n: hashlib.sha256((directory / n).read_bytes()).hexdigest() for n in FEED_NAMES}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    first = generate_demo_feeds(tmp_path / "a", small_fleet(), seed=11, parts=300)
    second = generate_demo_feeds(tmp_path / "b", small_fleet(), seed=11, parts=300)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    assert [f.broken for f in first.files] == [f.broken for f in second.files]
    third = generate_demo_feeds(tmp_path / "c", small_fleet(), seed=12, parts=300)
    assert _digests(tmp_path / "c") != _digests(tmp_path / "a")
    assert third.parts == 300


def test_same_bytes_whatever_the_string_hash_seed(tmp_path: Path) -> None:
    """Sets of strings iterate differently per process; the output must not care."""
    script = (
        "import sys, hashlib; from pathlib import Path;"
        "from automechanica.catalog.feeds.generator import generate_demo_feeds;"
        "from tests.unit.test_feed_generator import small_fleet, FEED_NAMES;"
        "out = Path(sys.argv[1]); generate_demo_feeds(out, small_fleet(), seed=5, parts=240);"
        "print(''.join(hashlib.sha256((out / n).read_bytes()).hexdigest() for n in FEED_NAMES))"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = os.environ | {"PYTHONHASHSEED": hash_seed}
        result = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / hash_seed)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parents[2],
        )
        digests.add(result.stdout.strip())
    assert len(digests) == 1


def test_manifest_paths_and_counts(demo: DemoFeeds) -> None:
    assert [f.path.name for f in demo.files] == list(FEED_NAMES)
    assert [f.supplier for f in demo.files] == ["northstar", "parts-direct", "atlas", "atlas"]
    assert demo.parts == 900
    offers = demo.offers
    assert set(offers) == {"northstar", "parts-direct", "atlas"}
    # Each part is offered by 1–3 suppliers: ~60% / ~50% / ~50% of the catalog.
    assert 0.5 * 900 < offers["northstar"] < 0.7 * 900
    assert 0.4 * 900 < offers["parts-direct"] < 0.62 * 900
    assert 0.4 * 900 < offers["atlas"] < 0.62 * 900
    assert 900 <= sum(offers.values()) <= 3 * 900
    assert demo.atlas_aces.records > 0
    for feed in demo.files:
        assert len(feed.broken) >= 5
        assert len({b.problem for b in feed.broken}) >= 5
        lines = [b.line for b in feed.broken]
        assert lines == sorted(set(lines))


def test_broken_row_kinds(demo: DemoFeeds) -> None:
    kinds = {f.path.name: {b.problem for b in f.broken} for f in demo.files}
    assert {
        "negative cost",
        "missing brand",
        "non-numeric pack",
        "bad UPC check digit",
        "unknown part type",
    } <= kinds["northstar.csv"]
    assert "invalid JSON" in kinds["parts-direct.jsonl"]
    assert {"unknown position", "malformed VCdb id"} <= kinds["atlas-aces.xml"]


def test_unresolvable_fitment_is_recorded_and_kept_valid(demo: DemoFeeds) -> None:
    lines = demo.northstar.path.read_text(encoding="utf-8").splitlines()
    assert demo.northstar.unresolvable_fitment
    for number in demo.northstar.unresolvable_fitment:
        assert "2014 Honda Civic Type-Z" in lines[number - 1]
    jsonl = demo.parts_direct.path.read_text(encoding="utf-8").splitlines()
    for number in demo.parts_direct.unresolvable_fitment:
        assert "Type-Z" in json.loads(jsonl[number - 1])["fitment"][-1]


def _csv_rows(demo: DemoFeeds) -> list[dict[str, str]]:
    broken = {b.line for b in demo.northstar.broken}
    with demo.northstar.path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    return [row for line, row in enumerate(rows, start=2) if line not in broken]


def test_every_part_type_brand_and_alias_appears(demo: DemoFeeds) -> None:
    offers = [
        r for feed in demo.files[:3] for r in read_feed(feed.path) if isinstance(r, OfferRecord)
    ]
    spellings = {offer.brand for offer in offers}
    for brand in BRANDS:
        assert {brand.name, *brand.aliases} <= spellings, brand.name
    types = {parse_part_type(o.part_type).name for o in offers if o.part_type}
    assert types == {part_type.name for part_type in PART_TYPES}


def test_prices_follow_the_ladder_and_cores_and_hazmat(demo: DemoFeeds) -> None:
    for row in _csv_rows(demo):
        jobber, map_price, msrp = (Decimal(row[k]) for k in ("Jobber", "MAP", "List"))
        cost = Decimal(row["Net"].lstrip("$").replace(",", ""))
        assert cost < jobber < map_price <= msrp
        category = row["Category"].lower()
        if category in ("battery", "1380"):
            assert row["Hazmat"] == "Y" and row["Core"]
        if category in ("brake pads", "1684", "oil filter", "5340"):
            assert row["Hazmat"] == "N" and not row["Core"]
        if category in ("alternator", "1", "brake caliper", "1704", "cv axle", "1076"):
            assert row["Core"]


def test_fitment_names_only_given_vehicles(demo: DemoFeeds) -> None:
    models = {"Civic", "CR-V", "Silverado 1500", "Camry", "F-250 Super Duty", "Model 3"}
    engine_only = {"oil filter", "spark plug", "ignition coil", "engine air filter"}
    universal = {"jumper cables", "obd-ii scanner", "10312", "11580"}
    for row in _csv_rows(demo):
        entries = [e for e in row["Fits"].split("; ") if e and "Type-Z" not in e]
        category = row["Category"].lower()
        if category in universal:
            assert not entries
        for index, entry in enumerate(entries):
            if not any(model in entry for model in models):  # only "...; Front" at the end
                assert index == len(entries) - 1 and not any(c.isdigit() for c in entry), entry
        if category in engine_only:
            assert "Model 3" not in row["Fits"] and "Tesla" not in row["Fits"]
        if category in ("spark plug", "7212", "ignition coil", "7168"):
            assert "F-250" not in row["Fits"]  # no plugs or coils on a diesel


def test_year_runs_collapse_consecutive_years() -> None:
    assert year_runs([2016, 2012, 2013, 2014, 2014]) == [(2012, 2014), (2016, 2016)]
    assert year_runs([]) == []


def test_fleet_engine_fits_stay_inside_real_runs() -> None:
    fleet = Fleet(small_fleet())
    assert ("Tesla", "Model 3") in fleet.models
    assert all(key[0] != "Tesla" for key in fleet.engines)
    rng = random.Random(1)
    for _ in range(200):
        for fit in fleet.engine_fits(rng, ("Honda", Decimal("2.0"), "Gasoline")):
            assert (fit.year_start, fit.year_end) in [
                (2016, 2016),
                (2016, 2017),
                (2017, 2017),
                (2019, 2019),
            ]
        for fit in fleet.engine_fits(rng, ("Chevrolet", Decimal("5.3"), "Gasoline")):
            assert fit.fuel == "Gasoline" and fit.fuel_text == "exc. Hybrid"


def test_default_demo_has_its_parts(tmp_path: Path) -> None:
    feeds = generate_demo_feeds(tmp_path, small_fleet())  # how fast: bench's business
    assert feeds.parts == 5200


def test_large_csv_streams_in_the_northstar_format(tmp_path: Path) -> None:
    path = tmp_path / "large.csv"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    write_large_csv(path, 6000, vehicles=small_fleet())
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 50
    items = list(read_feed(path, "csv"))
    assert not [i for i in items if isinstance(i, Rejection)]
    assert len(items) == 6000
    offers = [i for i in items if not isinstance(i, Rejection)]
    assert len({o.supplier_sku for o in offers}) == 6000
    assert len({o.mpn for o in offers}) < 2100  # drawn from rows // 3 distinct parts
    fitments = [o.fitment_text[0] for o in offers if o.fitment_text]
    assert len(set(fitments)) < len(fitments) / 2  # fitment strings repeat
    again = tmp_path / "again.csv"
    write_large_csv(again, 6000, vehicles=small_fleet())
    assert again.read_bytes() == path.read_bytes()
