"""Deterministic demo feeds: one catalog written as three suppliers would send it.

The demo store and the import tests need feeds that look like the real thing —
brand aliases, MPN punctuation, free-text fitment in several styles, a few
broken rows — yet are exactly reproducible and say what a correct import
yields. Everything comes from one `random.Random(seed)` (never the clock or the
global RNG) and nothing iterates a set, so the same inputs give the same bytes.

This module is longer than our usual ~600 lines; its seams are the sections
below (tables, fitment, catalog, supplier voices, files), the natural split
when it next grows.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from automechanica.catalog.feeds.aces import POSITION_IDS
from automechanica.catalog.feeds.records import FeedFormat
from automechanica.catalog.feeds.values import gtin_check_digit
from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.catalog.vocabulary import BRANDS, PART_TYPES, Brand, PartType

__all__ = [
    "BrokenRow",
    "DemoFeedFile",
    "DemoFeeds",
    "Fit",
    "Fleet",
    "generate_demo_feeds",
    "write_large_csv",
    "year_runs",
]

CENT = Decimal("0.01")
_BRANDS = {brand.name: brand for brand in BRANDS}

# fmt: off
#: Which brands make which part types; every brand appears somewhere.
_MAKERS: dict[str, tuple[str, ...]] = {
    "Brake Pads": ("Wagner", "Bosch", "ACDelco", "Power Stop"),
    "Brake Rotor": ("Wagner", "Bosch", "ACDelco", "Power Stop"),
    "Brake Caliper": ("Cardone", "Power Stop", "ACDelco", "Wagner"),
    "Oil Filter": ("Fram", "Bosch", "ACDelco", "K&N", "Denso"),
    "Engine Air Filter": ("Fram", "K&N", "Bosch", "ACDelco"),
    "Cabin Air Filter": ("Fram", "Bosch", "Denso", "K&N"),
    "Spark Plug": ("NGK", "Bosch", "Denso", "ACDelco"),
    "Ignition Coil": ("NGK", "Denso", "Bosch", "Dorman"),
    "Timing Belt Kit": ("Gates", "ACDelco"),
    "Water Pump": ("Gates", "ACDelco", "Cardone"),
    "Thermostat": ("Gates", "ACDelco", "Dorman"),
    "Serpentine Belt": ("Gates", "ACDelco", "Bosch"),
    "Wiper Blade": ("Bosch", "ACDelco", "Denso"),
    "Battery": ("ACDelco", "Bosch", "Denso"),
    "Alternator": ("Bosch", "Denso", "Cardone", "ACDelco"),
    "Starter Motor": ("Bosch", "Denso", "Cardone"),
    "CV Axle": ("Cardone", "Dorman", "ACDelco"),
    "Headlight Bulb": ("Bosch", "ACDelco"),
    "Tail Light Bulb": ("Bosch", "Dorman"),
    "Shock Absorber": ("Monroe", "ACDelco", "Bosch"),
    "Strut Assembly": ("Monroe", "ACDelco", "Dorman"),
    "Control Arm": ("Moog", "Dorman", "ACDelco"),
    "Wheel Hub Assembly": ("Moog", "Dorman", "ACDelco"),
    "Oxygen Sensor": ("Bosch", "NGK", "Denso", "ACDelco"),
    "Catalytic Converter": ("Dorman", "ACDelco"),
    "Fuel Pump": ("Bosch", "Denso", "ACDelco"),
    "Radiator": ("Dorman", "Denso", "ACDelco"),
    "Sway Bar Link": ("Moog", "Dorman", "ACDelco"),
    "Jumper Cables": ("ACDelco", "Dorman"),
    "OBD-II Scanner": ("Bosch", "ACDelco"),
}

#: MPN shapes per brand ('#' is a digit), by part type with "*" as the default.
_MPN_SHAPES: dict[str, dict[str, tuple[str, ...]]] = {
    "Bosch": {"Brake Pads": ("BC####", "BE###"), "*": ("0 986 ### ###", "0 258 ### ###")},
    "Wagner": {"Brake Pads": ("ZD####", "QC####"), "Brake Rotor": ("BD######",),
               "*": ("TQM####",)},
    "Fram": {"Oil Filter": ("PH####", "XG####"), "Engine Air Filter": ("CA#####",),
             "Cabin Air Filter": ("CF#####",), "*": ("FR####",)},
    "NGK": {"Spark Plug": ("ILZKR#B11", "LZKAR#A", "BKR#E-11", "DILKAR#S8", "ZFR#F-11"),
            "Ignition Coil": ("U5###",), "*": ("24###",)},
    "ACDelco": {"Spark Plug": ("41-1##",), "Oil Filter": ("PF##", "PF#####"), "*": ("##-####",)},
    "Power Stop": {"Brake Pads": ("16-####", "17-####", "Z23-####"), "*": ("AR8###", "L####")},
    "Moog": {"Wheel Hub Assembly": ("51####",), "*": ("K######", "K####")},
    "Monroe": {"Strut Assembly": ("17####",), "*": ("#####",)},
    "Denso": {"*": ("234-4###", "210-0###", "673-1###", "453-6###")},
    "Dorman": {"*": ("926-###", "630-###", "600-####", "674-###")},
    "Gates": {"Serpentine Belt": ("K0#####",), "Timing Belt Kit": ("TCKWP###",), "*": ("4####",)},
    "K&N": {"Oil Filter": ("HP-####", "PS-####"), "Cabin Air Filter": ("VF####",),
            "*": ("33-####", "E-####")},
    "Cardone": {"*": ("18-####", "19-####", "60-####", "66-####")},
}

#: Product lines that go into titles ("Wagner ThermoQuiet Ceramic Front Brake Pads").
_LINES: dict[str, tuple[str, ...]] = {
    "Bosch": ("QuietCast", "Premium", "Icon", "Workshop"),
    "ACDelco": ("Professional", "Gold", "Advantage", "GM Original Equipment"),
    "Denso": ("First Time Fit", "OE Quality"), "NGK": ("Laser Iridium", "G-Power Platinum"),
    "Wagner": ("ThermoQuiet", "OEx", "QuickStop"), "Moog": ("Problem Solver", "R-Series"),
    "Monroe": ("OESpectrum", "Reflex", "Quick-Strut"), "Dorman": ("OE FIX", "Dorman"),
    "Fram": ("Extra Guard", "Tough Guard", "Ultra Synthetic", "Fresh Breeze"),
    "Gates": ("Micro-V", "PowerGrip", "FleetRunner"), "K&N": ("High-Flow", "Performance Gold"),
    "Cardone": ("Remanufactured", "Select"),
    "Power Stop": ("Z23 Evolution Sport", "Z36 Truck & Tow", "Z16 Evolution"),
}
# fmt: on


@dataclass(frozen=True, slots=True)
class _Spec:
    """How a part type is priced, packed, named, and which attributes decide its fit."""

    cost: tuple[int, int]
    weight: tuple[float, float]
    uom: str = "EA"
    pack: int = 1
    descriptors: tuple[str, ...] = ("",)
    attributes: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _steps(shape: str, low: int, high: int, step: int) -> tuple[str, ...]:
    return tuple(shape.format(n) for n in range(low, high + 1, step))


_IN = ("Included", "Not Included")
# fmt: off
_SPECS: dict[str, _Spec] = {
    "Brake Pads": _Spec((18, 75), (2, 5), "SET", 1, ("Ceramic", "Semi-Metallic"), (
        ("Friction Material", ("Ceramic", "Semi-Metallic")), ("Wear Sensor", _IN))),
    "Brake Rotor": _Spec((28, 140), (12, 30), descriptors=("Coated", "Drilled and Slotted", ""),
                         attributes=(("Rotor Diameter", _steps("{} mm", 256, 380, 4)),)),
    "Brake Caliper": _Spec((35, 160), (6, 14), descriptors=("Loaded", ""),
                           attributes=(("Pistons", ("1", "2")), ("Bracket", _IN))),
    "Oil Filter": _Spec((4, 15), (0.5, 1.5), attributes=(
        ("Thread Size", ("3/4-16", "M20x1.5", "M22x1.5", "13/16-16")),)),
    "Engine Air Filter": _Spec((8, 45), (0.5, 2), attributes=(("Shape", ("Panel", "Round")),)),
    "Cabin Air Filter": _Spec((8, 30), (0.3, 1), descriptors=("Particulate", "Activated Carbon")),
    "Spark Plug": _Spec((3, 18), (0.1, 0.3), descriptors=("Iridium", "Platinum", "Copper Core"),
                        attributes=(("Gap", ("0.028 in", "0.032 in", "0.044 in")),)),
    "Ignition Coil": _Spec((25, 95), (0.6, 1.5), attributes=(("Connector", ("3-pin", "4-pin")),)),
    "Timing Belt Kit": _Spec((90, 380), (4, 12), "KIT", 1, ("with Water Pump", ""),
                             (("Includes Water Pump", ("Yes", "No")),)),
    "Water Pump": _Spec((30, 160), (3, 8), attributes=(("Gasket", _IN),)),
    "Thermostat": _Spec((8, 45), (0.3, 1.5), attributes=(
        ("Opening Temperature", ("180°F", "192°F", "195°F", "203°F")),)),
    "Serpentine Belt": _Spec((14, 60), (0.4, 1.2), attributes=(
        ("Ribs", ("4", "6", "7", "8")), ("Length", _steps("{} mm", 1500, 2600, 10)))),
    "Wiper Blade": _Spec((7, 32), (0.4, 1), descriptors=("Beam", "Conventional", "Hybrid"),
                         attributes=(("Blade Length", _steps("{} in", 12, 28, 1)),)),
    "Battery": _Spec((95, 240), (30, 55), descriptors=("AGM", "Flooded"), attributes=(
        ("BCI Group", ("24F", "35", "47", "48", "49", "51R", "65", "94R", "H6", "H7", "H8")),
        ("CCA", _steps("{}", 500, 900, 10)))),
    "Alternator": _Spec((120, 420), (10, 22), descriptors=("Remanufactured", "New"),
                        attributes=(("Amperage", _steps("{} A", 110, 220, 10)),)),
    "Starter Motor": _Spec((90, 330), (8, 18), descriptors=("Remanufactured", "New"),
                           attributes=(("Power", ("1.2 kW", "1.4 kW", "1.7 kW", "2.0 kW")),)),
    "CV Axle": _Spec((55, 210), (12, 25), descriptors=("New", "Remanufactured")),
    "Headlight Bulb": _Spec((6, 40), (0.1, 0.3), "PK", 2, attributes=(
        ("Bulb Code", ("H11", "9005", "9006", "H7", "H4", "H13")),)),
    "Tail Light Bulb": _Spec((3, 14), (0.05, 0.2), "PK", 2, attributes=(
        ("Bulb Code", ("3157", "7443", "7440", "1157")),)),
    "Shock Absorber": _Spec((25, 140), (4, 10), attributes=(
        ("Ride Type", ("Standard", "Heavy Duty", "Performance")),)),
    "Strut Assembly": _Spec((70, 260), (14, 30), descriptors=("Complete", "")),
    "Control Arm": _Spec((35, 190), (5, 14), attributes=(("Ball Joint", _IN),)),
    "Wheel Hub Assembly": _Spec((55, 230), (7, 15), attributes=(
        ("Wheel Studs", ("4", "5", "6")), ("ABS Sensor", _IN))),
    "Oxygen Sensor": _Spec((25, 140), (0.3, 0.8), attributes=(("Wires", ("4", "5")),)),
    "Catalytic Converter": _Spec((150, 700), (12, 30), attributes=(
        ("Emissions", ("Federal (49-State)", "CARB Compliant")),)),
    "Fuel Pump": _Spec((60, 320), (2, 6), attributes=(("Pressure", _steps("{} psi", 40, 70, 5)),)),
    "Radiator": _Spec((90, 420), (12, 30), attributes=(("Core Rows", ("1", "2")),)),
    "Sway Bar Link": _Spec((12, 65), (1, 3), attributes=(
        ("Length", _steps("{} mm", 150, 400, 5)),)),
    "Jumper Cables": _Spec((18, 90), (4, 12), attributes=(
        ("Gauge", ("4 AWG", "6 AWG", "8 AWG")), ("Length", ("12 ft", "16 ft", "20 ft")))),
    "OBD-II Scanner": _Spec((25, 160), (0.5, 2), attributes=(("Coverage", ("OBD-II 1996+",)),)),
}
# fmt: on
_CORE_CHARGES = tuple(Decimal(n) for n in ("15", "22", "30", "45", "60", "75"))
#: Engine-keyed part types fit by make + engine, and never an electric vehicle.
_ENGINE_TYPES = frozenset(t.name for t in PART_TYPES if t.engine_only)
_NO_DIESEL = frozenset({"Spark Plug", "Ignition Coil"})
_PER_CYLINDER = ("Spark Plug", "Ignition Coil")
_SIDED_POSITIONS = {"Brake Caliper": ("Front Left", "Front Right", "Rear Left", "Rear Right")}
#: Made-up GS1 company prefixes (some with a leading zero, which must survive).
_UPC_PREFIXES = {b.name: f"0{700 + 37 * i:03d}{i % 10}1" for i, b in enumerate(BRANDS)}


# --- fitment drawn from the vehicles -----------------------------------------------------


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


# --- the canonical catalog -----------------------------------------------------------------


@dataclass(slots=True)
class Part:
    """One canonical part: what a correct import should end up with."""

    part_type: PartType
    brand: Brand
    mpn: str
    title: str
    cost: Decimal
    jobber: Decimal
    map_price: Decimal
    msrp: Decimal
    weight: Decimal
    upc: str | None = None
    core: Decimal | None = None
    position: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    fits: list[Fit] = field(default_factory=list)
    interchange: list[tuple[str, str]] = field(default_factory=list)

    @property
    def spec(self) -> _Spec:
        return _SPECS[self.part_type.name]


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _prices(rng: random.Random, low: int, high: int) -> tuple[Decimal, ...]:
    """cost < jobber < MAP <= MSRP, each step a plausible markup."""
    cost = _money(rng.uniform(low, high))
    jobber = max(_money(float(cost) * rng.uniform(1.25, 1.6)), cost + CENT)
    map_price = max(_money(float(jobber) * rng.uniform(1.05, 1.2)), jobber + CENT)
    msrp = max(_money(float(map_price) * rng.uniform(1.0, 1.25)), map_price)
    return cost, jobber, map_price, msrp


def _fill(rng: random.Random, shape: str) -> str:
    return "".join(str(rng.randrange(10)) if c == "#" else c for c in shape)


class Catalog:
    """Draws canonical parts: brand, MPN, title, attributes, prices, UPC and fitment."""

    def __init__(self, rng: random.Random, fleet: Fleet) -> None:
        self.rng = rng
        self.fleet = fleet
        self.mpns: set[tuple[str, str]] = set()
        self.upc_serial: dict[str, int] = {}
        self.by_type: dict[str, list[Part]] = {}

    def mpn(self, brand: Brand, part_type: PartType) -> str:
        shapes = _MPN_SHAPES[brand.name]
        options = shapes.get(part_type.name, shapes["*"])
        for attempt in range(40):
            mpn = _fill(self.rng, self.rng.choice(options))
            if attempt >= 20:
                mpn += str(attempt)
            if (brand.name, mpn) not in self.mpns:
                self.mpns.add((brand.name, mpn))
                return mpn
        raise AssertionError("MPN space exhausted")  # pragma: no cover

    def upc(self, brand: Brand) -> str:
        serial = self.upc_serial.get(brand.name, 0) + 1
        self.upc_serial[brand.name] = serial
        body = _UPC_PREFIXES[brand.name] + f"{serial:05d}"
        return body + str(gtin_check_digit(body))

    def part(self, index: int) -> Part:
        rng = self.rng
        part_type = PART_TYPES[index % len(PART_TYPES)]
        spec = _SPECS[part_type.name]
        brand = _BRANDS[rng.choice(_MAKERS[part_type.name])]
        positions = _SIDED_POSITIONS.get(part_type.name, part_type.positions)
        position = rng.choice(positions) if positions else None
        words = [brand.name, rng.choice(_LINES[brand.name]), rng.choice(spec.descriptors)]
        title = " ".join(w for w in [*words, position or "", part_type.name] if w)
        cost, jobber, map_price, msrp = _prices(rng, *spec.cost)
        part = Part(
            part_type,
            brand,
            self.mpn(brand, part_type),
            title,
            cost,
            jobber,
            map_price,
            msrp,
            weight=Decimal(str(round(rng.uniform(*spec.weight), 2))),
            upc=self.upc(brand) if rng.random() < 0.92 else None,
            core=rng.choice(_CORE_CHARGES) if part_type.has_core else None,
            position=position,
            attributes={name: rng.choice(values) for name, values in spec.attributes},
        )
        part.fits = self.fits(part)
        if part.part_type.name in _PER_CYLINDER and part.fits:
            cylinders = part.fits[0].cylinders
            if cylinders:
                part.attributes["Quantity per Engine"] = str(cylinders)
        self.link_interchange(part)
        self.by_type.setdefault(part_type.name, []).append(part)
        return part

    def fits(self, part: Part) -> list[Fit]:
        fleet, rng, name = self.fleet, self.rng, part.part_type.name
        if part.part_type.universal:
            return []
        if name in _ENGINE_TYPES:
            keys = fleet.engines_no_diesel if name in _NO_DIESEL else fleet.engines
            return fleet.engine_fits(rng, rng.choice(keys)) if keys else []
        if not fleet.models:
            return []
        key = rng.choice(fleet.models)
        fits = [fleet.model_fit(rng, key)]
        siblings = [m for m in fleet.models if m[0] == key[0] and m != key]
        if siblings and rng.random() < 0.3:
            fits.append(fleet.model_fit(rng, rng.choice(siblings)))
        return fits

    def link_interchange(self, part: Part) -> None:
        """Now and then: this part replaces another brand's part of the same type."""
        others = [
            p for p in self.by_type.get(part.part_type.name, [])[-20:] if p.brand is not part.brand
        ]
        if others and self.rng.random() < 0.12:
            other = self.rng.choice(others)
            part.interchange.append((other.brand.name, other.mpn))


# --- how suppliers write things ----------------------------------------------------------

# fmt: off
_MAKE_SLANG = {"Chevrolet": ("Chevy",), "Volkswagen": ("VW",), "Mercedes-Benz": ("Mercedes",)}
_POSITION_WORDS: dict[str, tuple[str, ...]] = {
    "Front": ("Front", "front", "Frt"),
    "Rear": ("Rear", "rear"),
    "Front Left": ("Front Left", "front driver side", "Front LH"),
    "Front Right": ("Front Right", "front passenger side", "Front RH"),
    "Rear Left": ("Rear Left", "rear driver side", "Rear LH"),
    "Rear Right": ("Rear Right", "rear passenger side", "Rear RH"),
    "Driver": ("Driver Side", "driver side"),
    "Passenger": ("Passenger Side", "passenger side"),
    "Front Left Lower": ("Front Left Lower", "front driver side lower"),
    "Front Right Lower": ("Front Right Lower", "front passenger side lower"),
    "Front Left Upper": ("Front Left Upper", "front driver side upper"),
    "Front Right Upper": ("Front Right Upper", "front passenger side upper"),
}
# fmt: on
STYLES = ("short", "full", "slang", "make-first")
_LAYOUTS = {"Subaru": "H", "BMW": "I"}  # boxer and straight engines


def _years_text(start: int, end: int, style: str) -> str:
    if style == "slang":
        return f"'{start % 100:02d}" + (f"-'{end % 100:02d}" if end != start else "")
    if start == end:
        return str(start)
    if style == "short":
        return f"{start}-{end % 100:02d}"
    return f"{start} thru {end}" if style == "make-first" else f"{start}-{end}"


def _engine_text(fit: Fit, style: str) -> str:
    text = f"{fit.liters:.1f}L" if fit.liters is not None else ""
    if fit.cylinders:
        n = fit.cylinders
        layout = _LAYOUTS.get(fit.make, "V" if n >= 6 else "L")
        text += f" {layout}{n}" if style in ("slang", "full") else f" {n} Cyl"
    return text


def fit_text(fit: Fit, position: str | None, style: str, rng: random.Random, fleet: Fleet) -> str:
    """One vehicle entry as a supplier writes it: "'12-'15 Chevy Silverado 1500 5.3L V8 4WD"."""
    years = _years_text(fit.year_start, fit.year_end, style)
    make = rng.choice(_MAKE_SLANG.get(fit.make, (fit.make,))) if style == "slang" else fit.make
    if style == "short" and fit.model in fleet.unique_models:
        words = ["Fits", years, fit.model]
    elif style == "make-first":
        words = [make, fit.model, years]
    else:
        words = [years, make, fit.model]
    words += ["/".join(fit.submodels), _engine_text(fit, style)]
    words += [("4x4" if fit.drive == "4WD" and style == "slang" else fit.drive) or ""]
    words += [fit.fuel_text or ""]
    words += [rng.choice(_POSITION_WORDS.get(position, (position,))) if position else ""]
    return " ".join(w for w in words if w)


def fitment_texts(part: Part, rng: random.Random, fleet: Fleet) -> list[str]:
    """The part's fitment as one supplier row writes it, one string per vehicle entry."""
    style = rng.choice(STYLES)
    trailing = part.position is not None and rng.random() < 0.15  # "...; Front" at the end
    position = None if trailing else part.position
    texts = [fit_text(fit, position, style, rng, fleet) for fit in part.fits]
    if trailing and texts and part.position:
        texts.append(rng.choice(_POSITION_WORDS.get(part.position, (part.position,))))
    return texts


def mpn_variant(rng: random.Random, mpn: str) -> str:
    """The MPN as a supplier keys it: spaces or dashes dropped or added, lower case."""
    roll = rng.random()
    if roll < 0.55:
        return mpn
    if roll < 0.75 and any(c in mpn for c in " -"):
        return mpn.replace(" ", "").replace("-", "")
    if roll < 0.85:
        return mpn.lower()
    prefix = len(mpn) - len(mpn.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    if 0 < prefix < len(mpn) and mpn[prefix].isdigit():
        return f"{mpn[:prefix]}-{mpn[prefix:]}"
    return mpn


class Voices:
    """Per supplier: brand spellings (every alias gets used), SKUs, and update times."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.uses: dict[tuple[str, str], int] = {}

    def brand(self, supplier: str, brand: Brand) -> str:
        names = (brand.name, *brand.aliases)
        count = self.uses.get((supplier, brand.name), 0)
        self.uses[(supplier, brand.name)] = count + 1
        if count < len(names):
            return names[count]
        return brand.name if self.rng.random() < 0.6 else self.rng.choice(brand.aliases)

    def updated_at(self) -> str:
        minutes = self.rng.randrange(60 * 24 * 30)
        day, minute = divmod(minutes, 60 * 24)
        return f"2026-01-{day + 1:02d}T{minute // 60:02d}:{minute % 60:02d}:00Z"


@dataclass(slots=True)
class Offer:
    """One supplier's listing of a canonical part."""

    part: Part
    supplier: str
    sku: str
    brand: str
    mpn: str
    cost: Decimal
    stock: dict[str, int]
    updated_at: str
    fitment: list[str]


#: Supplier, share of the catalog it offers, SKU prefix, warehouses.
_SUPPLIERS = (
    ("northstar", 0.6, "NS", ("EAST", "WEST")),
    ("parts-direct", 0.5, "PD", ("DAL", "ATL")),
    ("atlas", 0.5, "ATL", ("RNO", "MEM")),
)


def assign_offers(rng: random.Random, parts: list[Part], fleet: Fleet) -> dict[str, list[Offer]]:
    """Each part offered by 1–3 suppliers, at costs ±15% around the part's cost."""
    voices = Voices(rng)
    offers: dict[str, list[Offer]] = {name: [] for name, *_ in _SUPPLIERS}
    serial = 10_000
    for part in parts:
        chosen = [s for s in _SUPPLIERS if rng.random() < s[1]] or [rng.choice(_SUPPLIERS)]
        for name, _, prefix, warehouses in chosen:
            serial += rng.randint(1, 9)
            cost = _money(float(part.cost) * rng.uniform(0.85, 1.15))
            offers[name].append(
                Offer(
                    part,
                    name,
                    f"{prefix}-{serial}",
                    voices.brand(name, part.brand),
                    mpn_variant(rng, part.mpn),
                    cost,
                    {w: rng.choice((0, 0, 1, 2, 4, 7, 12, 30)) for w in warehouses},
                    voices.updated_at(),
                    fitment_texts(part, rng, fleet),
                )
            )
    return offers


# --- the files ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BrokenRow:
    """A row broken on purpose: the line it starts on and what is wrong with it."""

    line: int
    problem: str


@dataclass(frozen=True, slots=True)
class DemoFeedFile:
    """One written feed and what a correct reader makes of it."""

    supplier: str
    path: Path
    format: FeedFormat
    records: int  # rows that read as records (offers, or ACES applications)
    broken: tuple[BrokenRow, ...]  # rows the reader must reject, by line
    unresolvable_fitment: tuple[int, ...] = ()  # valid rows naming a vehicle that does not exist


@dataclass(frozen=True, slots=True)
class DemoFeeds:
    """The four demo feeds and the counts a correct import should reproduce."""

    parts: int  # canonical parts generated
    northstar: DemoFeedFile
    parts_direct: DemoFeedFile
    atlas_pies: DemoFeedFile
    atlas_aces: DemoFeedFile

    @property
    def files(self) -> tuple[DemoFeedFile, ...]:
        return (self.northstar, self.parts_direct, self.atlas_pies, self.atlas_aces)

    @property
    def offers(self) -> dict[str, int]:
        """Valid offers per supplier."""
        return {f.supplier: f.records for f in self.files if f.format != "aces"}


@dataclass(slots=True)
class _Block:
    """The lines of one row or element; `broken` names what was broken on purpose."""

    lines: list[str]
    broken: str | None = None
    unresolvable: bool = False


def _write_blocks(
    path: Path, head: list[str], blocks: list[_Block], tail: list[str]
) -> tuple[tuple[BrokenRow, ...], tuple[int, ...]]:
    """Write the file; return the broken rows and the unresolvable-fitment rows by line."""
    broken: list[BrokenRow] = []
    unresolvable: list[int] = []
    line = len(head) + 1
    with path.open("w", encoding="utf-8", newline="") as file:
        file.writelines(text + "\n" for text in head)
        for block in blocks:
            if block.broken is not None:
                broken.append(BrokenRow(line, block.broken))
            if block.unresolvable:
                unresolvable.append(line)
            file.writelines(text + "\n" for text in block.lines)
            line += len(block.lines)
        file.writelines(text + "\n" for text in tail)
    return tuple(broken), tuple(unresolvable)


def _with_broken(
    rng: random.Random,
    good: list[_Block],
    kinds: tuple[str, ...],
    make: Callable[[int, str], list[str]],
) -> list[_Block]:
    """`good` with ~0.5% (at least one of each kind) broken blocks mixed in at random."""
    count = max(len(kinds), round(len(good) * 0.005)) if good else 0
    bad = [_Block(make(i, kinds[i % len(kinds)]), kinds[i % len(kinds)]) for i in range(count)]
    spots = set(rng.sample(range(len(good) + count), count))
    good_iter, bad_iter = iter(good), iter(bad)
    return [next(bad_iter) if i in spots else next(good_iter) for i in range(len(good) + count)]


def _bad_upc(upc: str | None) -> str:
    body = (upc or "012345678905")[:-1]
    return body + str((gtin_check_digit(body) + 3) % 10)


def _nonexistent_vehicle(fleet: Fleet) -> tuple[str, str]:
    """The make and model for the 'Type-Z' rows: a real model, an unreal submodel."""
    return (
        ("Honda", "Civic")
        if ("Honda", "Civic") in fleet.by_model or not fleet.models
        else fleet.models[0]
    )


def _mark_unresolvable(rng: random.Random, offers: list[Offer], fleet: Fleet) -> set[int]:
    """A couple of valid offers also name a vehicle that does not exist (a 'Type-Z' Civic).

    Returns their ids; the rows stay valid, only that fitment entry cannot resolve.
    """
    make, model = _nonexistent_vehicle(fleet)
    with_fits = [o for o in offers if o.part.fits]
    chosen = rng.sample(with_fits, min(len(with_fits), max(1, len(offers) // 1500)))
    for offer in chosen:
        offer.fitment.append(f"2014 {make} {model} Type-Z")
    return {id(o) for o in chosen}


def _csv_line(cells: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


_ATTRIBUTE_NAMES = sorted(
    {name for spec in _SPECS.values() for name, _ in spec.attributes} | {"Quantity per Engine"}
)
# fmt: off
NORTHSTAR_COLUMNS = (
    "Item", "Brand Name", "Part Number", "Title", "Category", "UPC", "UOM", "Pack", "Net",
    "Jobber", "MAP", "List", "Core", "Weight", "Hazmat", "Fits", "Updated_At",
    "stock_EAST", "stock_WEST", *(f"attr_{name}" for name in _ATTRIBUTE_NAMES),
)
_CSV_BREAKS = ("negative cost", "missing brand", "non-numeric pack", "bad UPC check digit",
               "unknown part type", "wrong number of cells")
_JSON_BREAKS = ("invalid JSON", "not an object", "negative cost", "missing brand",
                "non-numeric pack", "bad UPC check digit", "unknown part type")
_PIES_BREAKS = ("negative cost", "missing brand", "bad UPC check digit", "unknown part type",
                "missing part number", "non-numeric pack")
_ACES_BREAKS = ("unknown position", "VCdb BaseVehicle id", "delete action",
                "missing part number", "years reversed")
# fmt: on


def northstar_cells(offer: Offer, rng: random.Random) -> dict[str, str]:
    """A northstar CSV row: aliased headers, '$' on some prices, category names or ids."""
    part, type_name = offer.part, offer.part.part_type.name
    category = rng.choice((type_name,) * 8 + (type_name.upper(), str(part.part_type.pcdb_id)))
    cells = {
        "Item": offer.sku,
        "Brand Name": offer.brand,
        "Part Number": offer.mpn,
        "Title": part.title,
        "Category": category,
        "UPC": part.upc or "",
        "UOM": part.spec.uom,
        "Pack": str(part.spec.pack),
        "Net": f"${offer.cost}" if rng.random() < 0.1 else f"{offer.cost:,}",
        "Jobber": str(part.jobber),
        "MAP": str(part.map_price),
        "List": str(part.msrp),
        "Core": str(part.core or ""),
        "Weight": str(part.weight),
        "Hazmat": "Y" if type_name == "Battery" else "N",
        "Fits": "; ".join(offer.fitment),
        "Updated_At": offer.updated_at,
    }
    cells |= {f"stock_{w}": str(n) for w, n in offer.stock.items()}
    return cells | {f"attr_{n}": part.attributes.get(n, "") for n in _ATTRIBUTE_NAMES}


def _break_csv(cells: dict[str, str], kind: str) -> list[str]:
    if kind == "negative cost":
        cells["Net"] = "-" + cells["Net"].lstrip("$")
    elif kind == "missing brand":
        cells["Brand Name"] = ""
    elif kind == "non-numeric pack":
        cells["Pack"] = "two"
    elif kind == "bad UPC check digit":
        cells["UPC"] = _bad_upc(cells["UPC"] or None)
    elif kind == "unknown part type":
        cells["Category"] = "Flux Capacitor"
    else:
        return list(cells.values())[:-3]  # wrong number of cells
    return list(cells.values())


def write_northstar(
    path: Path, rng: random.Random, offers: list[Offer], fleet: Fleet
) -> DemoFeedFile:
    odd = _mark_unresolvable(rng, offers, fleet)
    good = [
        _Block([_csv_line(northstar_cells(o, rng).values())], unresolvable=id(o) in odd)
        for o in offers
    ]

    def broken(i: int, kind: str) -> list[str]:
        cells = northstar_cells(rng.choice(offers), rng) | {"Item": f"NS-X{i}"}
        return [_csv_line(_break_csv(cells, kind))]

    blocks = _with_broken(rng, good, _CSV_BREAKS, broken)
    rows, odd_lines = _write_blocks(path, [_csv_line(NORTHSTAR_COLUMNS)], blocks, [])
    return DemoFeedFile("northstar", path, "csv", len(offers), rows, odd_lines)


def parts_direct_object(offer: Offer, rng: random.Random) -> dict[str, Any]:
    """A parts-direct JSON object: nested pricing and inventory, fitment as a list."""
    part = offer.part
    pricing: dict[str, Any] = {
        "cost": float(offer.cost),
        "jobber": float(part.jobber),
        "map": float(part.map_price),
        "msrp": float(part.msrp),
    }
    if rng.random() < 0.05:
        pricing["cost"] = f"${offer.cost}"  # some rows carry prices as text
    if part.core is not None:
        pricing["core"] = float(part.core)
    obj: dict[str, Any] = {
        "supplier_sku": offer.sku,
        "brand": offer.brand,
        "part_number": offer.mpn,
        "title": part.title,
        "category": part.part_type.name,
        "gtin": part.upc,
        "unit": part.spec.uom,
        "pack": part.spec.pack,
        "pricing": pricing,
        "inventory": offer.stock,
        "weight_lb": float(part.weight),
        "hazmat": part.part_type.name == "Battery",
        "attributes": part.attributes,
        "fitment": offer.fitment,
        "interchange": [{"brand": b, "part_number": n} for b, n in part.interchange],
        "updated_at": offer.updated_at,
    }
    return {key: value for key, value in obj.items() if value is not None}


def _break_json(obj: dict[str, Any], kind: str) -> str:
    if kind == "invalid JSON":
        return json.dumps(obj, ensure_ascii=False)[:-9]
    if kind == "not an object":
        return json.dumps([obj["supplier_sku"], obj["brand"], obj["part_number"]])
    if kind == "negative cost":
        obj["pricing"] = obj["pricing"] | {"cost": -4.2}
    elif kind == "missing brand":
        del obj["brand"]
    elif kind == "non-numeric pack":
        obj["pack"] = "two"
    elif kind == "bad UPC check digit":
        obj["gtin"] = _bad_upc(obj.get("gtin"))
    else:
        obj["category"] = "Flux Capacitor"
    return json.dumps(obj, ensure_ascii=False)


def write_parts_direct(
    path: Path, rng: random.Random, offers: list[Offer], fleet: Fleet
) -> DemoFeedFile:
    odd = _mark_unresolvable(rng, offers, fleet)
    good = [
        _Block([json.dumps(parts_direct_object(o, rng), ensure_ascii=False)], None, id(o) in odd)
        for o in offers
    ]
    if good:  # exports have the odd blank line; readers skip it
        rng.choice(good).lines.append("")

    def broken(i: int, kind: str) -> list[str]:
        obj = parts_direct_object(rng.choice(offers), rng) | {"supplier_sku": f"PD-X{i}"}
        return [_break_json(obj, kind)]

    blocks = _with_broken(rng, good, _JSON_BREAKS, broken)
    rows, odd_lines = _write_blocks(path, [], blocks, [])
    return DemoFeedFile("parts-direct", path, "jsonl", len(offers), rows, odd_lines)


def _tag(name: str, text: object, **attrs: str) -> str:
    attributes = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    return f"<{name}{attributes}>{escape(str(text))}</{name}>"


def _pies_identity(offer: Offer, rng: random.Random, kind: str | None) -> list[str]:
    part = offer.part
    upc = _bad_upc(part.upc) if kind == "bad UPC check digit" else part.upc
    terminology = "99999" if kind == "unknown part type" else part.part_type.pcdb_id
    lines = [_tag("HazardousMaterialCode", "Y" if part.part_type.name == "Battery" else "N")]
    lines += [_tag("ItemLevelGTIN", upc, GTINQualifier="UP")] if upc else []
    lines += [] if kind == "missing part number" else [_tag("PartNumber", offer.mpn)]
    if kind != "missing brand":  # BrandLabel is optional: the reader falls back to the id
        lines.append(_tag("BrandAAIAID", part.brand.aaia_id))
        lines += [_tag("BrandLabel", offer.brand)] if rng.random() < 0.8 else []
    pack = "two" if kind == "non-numeric pack" else part.spec.pack
    lines.append(_tag("ItemQuantitySize", pack, UOM=part.spec.uom))
    lines.append(_tag("PartTerminologyID", terminology))
    marketing = f"{part.title}. Built to meet or exceed OE specifications."
    return [
        *lines,
        "<Descriptions>",
        "  " + _tag("Description", part.title, DescriptionCode="DES", LanguageCode="EN"),
        "  " + _tag("Description", marketing, DescriptionCode="MKT", LanguageCode="EN"),
        "</Descriptions>",
    ]


def _pies_commerce(offer: Offer, rng: random.Random, kind: str | None) -> list[str]:
    part = offer.part
    cost = -offer.cost if kind == "negative cost" else offer.cost
    prices = {"NET": cost, "JBR": part.jobber, "MAP": part.map_price, "LST": part.msrp}
    prices |= {"CORE": part.core} if part.core is not None else {}
    lines = ["<Prices>"]
    lines += [
        f'  <Pricing PriceType="{code}">{_tag("Price", value, UOM="PE")}</Pricing>'
        for code, value in prices.items()
    ]
    lines += ["</Prices>", "<ExtendedInformation>"]
    if rng.random() < 0.9:  # without one, the SKU is "<BrandAAIAID>-<PartNumber>"
        lines.append("  " + _tag("ExtendedProductInformation", offer.sku, EXPICode="SKU"))
    lines += [
        "  " + _tag("ExtendedProductInformation", n, EXPICode="QOH", Warehouse=w)
        for w, n in offer.stock.items()
    ]
    lines += ["</ExtendedInformation>", "<ProductAttributes>"]
    lines += ["  " + _tag("ProductAttribute", v, AttributeID=k) for k, v in part.attributes.items()]
    lines += [
        "</ProductAttributes>",
        "<Packages><Package>"
        f'<Weights UOM="PG">{_tag("Weight", part.weight)}</Weights></Package></Packages>',
    ]
    if part.interchange:
        lines.append("<PartInterchangeInfo>")
        for brand_name, number in part.interchange:
            brand = _BRANDS[brand_name]
            lines.append(
                f"  <PartInterchange BrandAAIAID={quoteattr(brand.aaia_id)} "
                f"BrandLabel={quoteattr(brand.name)}>{_tag('PartNumber', number)}"
                "</PartInterchange>"
            )
        lines.append("</PartInterchangeInfo>")
    return lines


def pies_item(offer: Offer, rng: random.Random, kind: str | None = None) -> list[str]:
    """The lines of one PIES Item; `kind` breaks it on purpose."""
    body = _pies_identity(offer, rng, kind) + _pies_commerce(offer, rng, kind)
    return ['    <Item MaintenanceType="A">', *("      " + line for line in body), "    </Item>"]


def write_atlas_pies(path: Path, rng: random.Random, offers: list[Offer]) -> DemoFeedFile:
    good = [_Block(pies_item(offer, rng)) for offer in offers]

    def broken(i: int, kind: str) -> list[str]:
        offer = rng.choice(offers)
        copy = Offer(
            offer.part,
            "atlas",
            f"ATL-X{i}",
            offer.brand,
            offer.mpn,
            offer.cost,
            offer.stock,
            offer.updated_at,
            [],
        )
        return pies_item(copy, rng, kind)

    blocks = _with_broken(rng, good, _PIES_BREAKS, broken)
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<PIES xmlns="http://www.autocare.org">',
        "  <Header><PIESVersion>7.2</PIESVersion><SubmissionType>FULL</SubmissionType>"
        "<BlanketEffectiveDate>2026-01-01</BlanketEffectiveDate></Header>",
        "  <Items>",
    ]
    tail = ["  </Items>", f"  <Trailer><ItemCount>{len(blocks)}</ItemCount></Trailer>", "</PIES>"]
    rows, _ = _write_blocks(path, head, blocks, tail)
    return DemoFeedFile("atlas", path, "pies", len(offers), rows)


_QUANTITY = {"Brake Rotor": 2, "Shock Absorber": 2}


def _aces_position(position: str | None) -> tuple[int | None, str | None]:
    """PCdb position id and leftover words for a Note ('Front Left Lower' -> 12, 'Lower')."""
    if position is None:
        return None, None
    for name, position_id in sorted(POSITION_IDS.items(), key=lambda item: -len(item[0])):
        if position == name or position.startswith(name + " "):
            return position_id, position[len(name) :].strip() or None
    return None, position


@dataclass(frozen=True, slots=True)
class _App:
    offer: Offer
    fit: Fit
    submodel: str | None


def aces_app(app_id: int, app: _App, kind: str | None = None) -> list[str]:
    """The lines of one ACES App (ACES names one SubModel per App); `kind` breaks it."""
    part, fit = app.offer.part, app.fit
    lines = [f'  <App action="{"D" if kind == "delete action" else "A"}" id="{app_id}">']
    if kind == "VCdb BaseVehicle id":
        lines.append('<BaseVehicle id="7481"/>')
    else:
        start, end = (fit.year_start, fit.year_end)
        start, end = (end + 1, start) if kind == "years reversed" else (start, end)
        lines += [
            f'<Years from="{start}" to="{end}"/>',
            _tag("Make", fit.make),
            _tag("Model", fit.model),
        ]
    lines += [_tag("SubModel", app.submodel)] if app.submodel else []
    if fit.liters is not None:
        cylinders = f' cylinders="{fit.cylinders}"' if fit.cylinders else ""
        lines.append(f'<EngineBase liters="{fit.liters:.1f}"{cylinders}/>')
    lines += [_tag("FuelType", fit.fuel)] if fit.fuel else []
    lines += [_tag("DriveType", fit.drive)] if fit.drive else []
    position_id, note = _aces_position(part.position)
    lines += [_tag("Note", note)] if note else []
    per_cylinder = fit.cylinders if part.part_type.name in _PER_CYLINDER else None
    lines.append(_tag("Qty", per_cylinder or _QUANTITY.get(part.part_type.name, 1)))
    lines.append(f'<PartType id="{part.part_type.pcdb_id}"/>')
    position_id = 77 if kind == "unknown position" else position_id
    lines += [f'<Position id="{position_id}"/>'] if position_id is not None else []
    if kind != "missing part number":
        lines.append(_tag("Part", app.offer.mpn, BrandAAIAID=part.brand.aaia_id))
    return [lines[0], *("    " + line for line in lines[1:]), "  </App>"]


def write_atlas_aces(
    path: Path, rng: random.Random, offers: list[Offer], fleet: Fleet
) -> DemoFeedFile:
    apps = [
        _App(o, fit, sub)
        for o in offers
        for fit in o.part.fits
        for sub in (fit.submodels or (None,))
    ]
    good = [_Block(aces_app(i, app)) for i, app in enumerate(apps, start=1)]
    if apps:  # a valid App for a submodel that does not exist: it cannot resolve
        make, model = _nonexistent_vehicle(fleet)
        odd = _App(rng.choice(apps).offer, Fit(make, model, 2014, 2014), "Type-Z")
        spot = rng.randrange(len(good) + 1)
        good.insert(spot, _Block(aces_app(len(apps) + 1, odd), unresolvable=True))
    blocks = _with_broken(
        rng, good, _ACES_BREAKS, lambda i, kind: aces_app(900_000 + i, rng.choice(apps), kind)
    )
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<ACES version="4.2">',
        "  <Header><Company>Atlas Parts Supply</Company><TransferDate>2026-01-15"
        "</TransferDate><DocumentTitle>Atlas full catalog</DocumentTitle>"
        "<SubmissionType>FULL</SubmissionType></Header>",
    ]
    tail = [f"  <Footer><RecordCount>{len(blocks)}</RecordCount></Footer>", "</ACES>"]
    rows, odd_lines = _write_blocks(path, head, blocks, tail)
    return DemoFeedFile("atlas", path, "aces", len(good), rows, odd_lines)


def generate_demo_feeds(
    out_dir: Path, vehicles: Sequence[VehicleConfig], *, seed: int = 2026, parts: int = 5200
) -> DemoFeeds:
    """Write northstar.csv, parts-direct.jsonl, atlas-pies.xml and atlas-aces.xml into
    `out_dir`; the same arguments always give byte-identical files."""
    rng = random.Random(seed)
    fleet = Fleet(vehicles)
    catalog = Catalog(rng, fleet)
    canonical = [catalog.part(index) for index in range(parts)]
    offers = assign_offers(rng, canonical, fleet)
    out_dir.mkdir(parents=True, exist_ok=True)
    return DemoFeeds(
        parts=len(canonical),
        northstar=write_northstar(out_dir / "northstar.csv", rng, offers["northstar"], fleet),
        parts_direct=write_parts_direct(
            out_dir / "parts-direct.jsonl", rng, offers["parts-direct"], fleet
        ),
        atlas_pies=write_atlas_pies(out_dir / "atlas-pies.xml", rng, offers["atlas"]),
        atlas_aces=write_atlas_aces(out_dir / "atlas-aces.xml", rng, offers["atlas"], fleet),
    )


def write_large_csv(
    path: Path, rows: int, *, seed: int = 7, vehicles: Sequence[VehicleConfig]
) -> None:
    """A northstar-format CSV of `rows` rows for the import benchmark, written row by row.

    Rows draw from rows // 3 distinct parts (a million rows name some 333,000
    parts, several under more than one SKU) built on 3,000 templates, so the
    fitment strings repeat the way they do in real feeds.
    """
    rng = random.Random(seed)
    fleet = Fleet(vehicles)
    catalog = Catalog(rng, fleet)
    templates = [catalog.part(index) for index in range(3000)]
    fitments = [fitment_texts(template, rng, fleet) for template in templates]
    distinct = max(1, rows // 3)
    voices = Voices(rng)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(NORTHSTAR_COLUMNS)
        for index in range(rows):
            key = rng.randrange(distinct)
            template = templates[key % len(templates)]
            prefix = re.match(r"[A-Z]*", template.mpn)
            offer = Offer(
                template,
                "northstar",
                f"NS-{index + 1:07d}",
                voices.brand("northstar", template.brand),
                f"{prefix.group() if prefix else ''}{key:07d}",
                _money(float(template.cost) * (0.85 + (key % 31) / 100)),
                {"EAST": key % 13, "WEST": key % 7},
                voices.updated_at(),
                fitments[key % len(templates)],
            )
            writer.writerow(northstar_cells(offer, rng).values())
