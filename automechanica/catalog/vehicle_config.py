"""A vehicle configuration as plain data, shared by the loader, generator and parser."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class VehicleConfig:
    """One year-level configuration (a row of `vehicles`, without ids)."""

    year: int
    make: str
    model: str
    submodel: str | None = None
    engine_liters: Decimal | None = None
    engine_cylinders: int | None = None
    engine_code: str | None = None
    fuel: str | None = None  # Gasoline, Diesel, Hybrid, Electric, Flex Fuel
    aspiration: str | None = None  # Naturally Aspirated, Turbocharged, Supercharged
    drive: str | None = None  # FWD, RWD, AWD, 4WD
    body: str | None = None
    doors: int | None = None
    transmission: str | None = None  # Automatic, Manual, CVT, DCT
    source_vin: str | None = None

    @property
    def is_electric(self) -> bool:
        return self.fuel == "Electric"
