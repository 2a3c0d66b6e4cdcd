"""Demo fitment drawn from the vehicles: only year runs, submodels and engines that exist.

A part fits a run of years of one model (brakes, filters) or every model with an
engine (plugs, pumps); drawing from the real vehicle list means a correct
import resolves every entry but the deliberate 'Type-Z' ones.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from automechanica.catalog.vehicle_config import VehicleConfig

__all__ = ["Fit", "Fleet", "year_runs"]


@dataclass(frozen=True, slots=True)
class Fit:
    """Vehicles a part fits: a year run of one make/model, narrowed by attributes."""

    make: str
    model: str
    year_start: int
    year_end: int
    submodels: tuple[str, ...] = ()
    liters: Decimal | None = None
    cylinders: int | None = None
    fuel: str | None = None
    fuel_text: str | None = None  # how a supplier writes the fuel constraint
    drive: str | None = None


def year_runs(years: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive years collapsed: [2012, 2013, 2014, 2016] -> [(2012, 2014), (2016, 2016)]."""
    runs: list[tuple[int, int]] = []
    for year in sorted(set(years)):
        if runs and year == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], year)
        else:
            runs.append((year, year))
    return runs


def _pick_run(rng: random.Random, years: Iterable[int]) -> tuple[int, int]:
    start, end = rng.choice(year_runs(years))
    if end > start and rng.random() < 0.5:
        start = rng.randint(start, end)
        end = rng.randint(start, end)
    return start, end


def _simple_submodel(name: str) -> bool:
    """Submodels a supplier would list ("LX/EX"), not ones that read like an engine or fuel."""
    return all(word.isalpha() for word in name.split()) and name != "Hybrid"


def _fuel_text(fuel: str, others: list[str]) -> str:
    if fuel == "Gasoline" and others == ["Hybrid"]:
        return "exc. Hybrid"
    return {"Gasoline": "Gas", "Flex Fuel": "Flex Fuel"}.get(fuel, fuel)


class Fleet:
    """The vehicles indexed the two ways fitment is drawn: by model and by engine."""

    def __init__(self, vehicles: Sequence[VehicleConfig]) -> None:
        self.by_model: dict[tuple[str, str], list[VehicleConfig]] = {}
        self.by_engine: dict[tuple[str, Decimal, str], list[VehicleConfig]] = {}
        for v in vehicles:
            self.by_model.setdefault((v.make, v.model), []).append(v)
            if not v.is_electric and v.engine_liters is not None and v.fuel:
                self.by_engine.setdefault((v.make, v.engine_liters, v.fuel), []).append(v)
        self.models = sorted(self.by_model)
        self.engines = sorted(self.by_engine)
        self.engines_no_diesel = [key for key in self.engines if key[2] != "Diesel"]
        model_makes: dict[str, set[str]] = {}
        for make, model in self.models:
            model_makes.setdefault(model, set()).add(make)
        self.unique_models = frozenset(m for m, makes in model_makes.items() if len(makes) == 1)

    def model_fit(self, rng: random.Random, key: tuple[str, str]) -> Fit:
        """A year run of one model, sometimes narrowed to a drive or to two submodels
        (only submodels present in every year of the run, so each one names real vehicles)."""
        pool = self.by_model[key]
        drives = sorted({v.drive for v in pool if v.drive})
        drive = rng.choice(drives) if len(drives) > 1 and rng.random() < 0.3 else None
        pool = [v for v in pool if drive is None or v.drive == drive]
        start, end = _pick_run(rng, (v.year for v in pool))
        submodels: tuple[str, ...] = ()
        if rng.random() < 0.2:
            per_year = [
                {v.submodel for v in pool if v.year == year and v.submodel}
                for year in range(start, end + 1)
            ]
            common = sorted(n for n in set.intersection(*per_year) if _simple_submodel(n))
            if len(common) >= 2:
                submodels = tuple(sorted(rng.sample(common, 2)))
        return Fit(key[0], key[1], start, end, submodels, drive=drive)

    def engine_fits(self, rng: random.Random, key: tuple[str, Decimal, str]) -> list[Fit]:
        """Every model with this engine over a run of years, one fit per model-year run."""
        make, liters, fuel = key
        start, end = _pick_run(rng, (v.year for v in self.by_engine[key]))
        fits: list[Fit] = []
        for model in sorted({v.model for v in self.by_engine[key] if start <= v.year <= end}):
            same = [v for v in self.by_model[(make, model)] if v.engine_liters == liters]
            mine = [v for v in same if v.fuel == fuel and start <= v.year <= end]
            for run_start, run_end in year_runs(v.year for v in mine):
                in_run = [v for v in same if run_start <= v.year <= run_end]
                cylinders = sorted({v.engine_cylinders for v in mine if v.engine_cylinders})
                others = sorted({v.fuel or "" for v in in_run if v.fuel != fuel})
                fits.append(
                    Fit(
                        make,
                        model,
                        run_start,
                        run_end,
                        liters=liters,
                        cylinders=cylinders[0] if len(cylinders) == 1 else None,
                        fuel=fuel if others else None,
                        fuel_text=_fuel_text(fuel, others) if others else None,
                    )
                )
        return fits
