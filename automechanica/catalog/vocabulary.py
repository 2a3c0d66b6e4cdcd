"""The trade's fixed vocabulary: brands and their aliases, part types, make aliases.

This is reference data (DOMAIN.md), loaded into the database by the demo
loader and used by importers and the fitment parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Brand:
    name: str
    aaia_id: str
    aliases: tuple[str, ...]


BRANDS: tuple[Brand, ...] = (
    Brand("Bosch", "BBHK", ("Robert Bosch", "BOSCH", "Bosch Automotive")),
    Brand("ACDelco", "BBBD", ("AC Delco", "AC-Delco", "ACDELCO", "A.C. Delco")),
    Brand("Denso", "BBMS", ("DENSO", "Denso Products")),
    Brand("NGK", "BCFK", ("NGK Spark Plugs", "N.G.K.", "NGK Spark Plug")),
    Brand("Wagner", "BDGK", ("Wagner Brake", "WAGNER", "Wagner Brakes")),
    Brand("Moog", "BBVD", ("MOOG Chassis", "MOOG", "Moog Chassis Parts")),
    Brand("Monroe", "BBVG", ("MONROE", "Monroe Shocks", "Monroe Shocks & Struts")),
    Brand("Dorman", "BBGN", ("Dorman Products", "DORMAN", "Dorman - OE Solutions")),
    Brand("Fram", "BBKR", ("FRAM", "Fram Filters")),
    Brand("Gates", "BBKZ", ("GATES", "Gates Corp", "Gates Corporation")),
    Brand("K&N", "BBSP", ("K & N", "K and N", "KN", "K&N Engineering")),
    Brand("Cardone", "BBDC", ("CARDONE", "A1 Cardone", "Cardone Industries")),
    Brand("Power Stop", "BCPN", ("PowerStop", "POWER STOP", "Power-Stop")),
)


@dataclass(frozen=True, slots=True)
class PartType:
    name: str
    pcdb_id: int
    category: str
    fit_attributes: tuple[str, ...]
    universal: bool = False
    positions: tuple[str, ...] = ()
    engine_only: bool = False  # ICE-only parts: none on an electric vehicle
    has_core: bool = False

    @property
    def slug(self) -> str:
        return slugify(self.name)


_AXLE = ("Front", "Rear")
PART_TYPES: tuple[PartType, ...] = (
    PartType("Brake Pads", 1684, "Brakes", ("position", "drive"), positions=_AXLE),
    PartType("Brake Rotor", 1896, "Brakes", ("position", "drive"), positions=_AXLE),
    PartType("Brake Caliper", 1704, "Brakes", ("position", "side"), positions=_AXLE, has_core=True),
    PartType("Oil Filter", 5340, "Filters", ("engine",), engine_only=True),
    PartType("Engine Air Filter", 6192, "Filters", ("engine",), engine_only=True),
    PartType("Cabin Air Filter", 6832, "Filters", ("body",)),
    PartType("Spark Plug", 7212, "Ignition", ("engine",), engine_only=True),
    PartType("Ignition Coil", 7168, "Ignition", ("engine",), engine_only=True),
    PartType("Timing Belt Kit", 14096, "Engine", ("engine",), engine_only=True),
    PartType("Water Pump", 1148, "Cooling", ("engine",), engine_only=True),
    PartType("Thermostat", 1152, "Cooling", ("engine",), engine_only=True),
    PartType("Serpentine Belt", 6448, "Engine", ("engine",), engine_only=True),
    PartType(
        "Wiper Blade", 8852, "Visibility", ("body",), positions=("Driver", "Passenger", "Rear")
    ),
    PartType("Battery", 1380, "Electrical", ("engine",), has_core=True),
    PartType("Alternator", 1, "Electrical", ("engine",), engine_only=True, has_core=True),
    PartType(
        "Starter Motor",
        4152,
        "Electrical",
        ("engine", "transmission"),
        engine_only=True,
        has_core=True,
    ),
    PartType(
        "CV Axle",
        1076,
        "Driveline",
        ("drive", "side", "transmission"),
        positions=("Front Left", "Front Right", "Rear Left", "Rear Right"),
        has_core=True,
    ),
    PartType(
        "Headlight Bulb", 12096, "Lighting", ("position",), positions=("Low Beam", "High Beam")
    ),
    PartType("Tail Light Bulb", 12112, "Lighting", ("position",), positions=("Rear",)),
    PartType("Shock Absorber", 7584, "Suspension", ("position", "drive"), positions=_AXLE),
    PartType(
        "Strut Assembly",
        7600,
        "Suspension",
        ("position", "side", "drive"),
        positions=("Front Left", "Front Right", "Rear Left", "Rear Right"),
    ),
    PartType(
        "Control Arm",
        7528,
        "Suspension",
        ("position", "side"),
        positions=(
            "Front Left Lower",
            "Front Right Lower",
            "Front Left Upper",
            "Front Right Upper",
        ),
    ),
    PartType("Wheel Hub Assembly", 6896, "Suspension", ("position", "drive"), positions=_AXLE),
    PartType(
        "Oxygen Sensor",
        5712,
        "Emissions",
        ("engine", "position"),
        positions=("Upstream", "Downstream"),
        engine_only=True,
    ),
    PartType("Catalytic Converter", 5404, "Emissions", ("engine",), engine_only=True),
    PartType("Fuel Pump", 6008, "Fuel", ("engine",), engine_only=True),
    PartType("Radiator", 2172, "Cooling", ("engine", "transmission"), engine_only=True),
    PartType("Sway Bar Link", 7936, "Suspension", ("position",), positions=_AXLE),
    PartType("Jumper Cables", 10312, "Tools", (), universal=True),
    PartType("OBD-II Scanner", 11580, "Tools", (), universal=True),
)

#: Spelling of makes as suppliers write them, by lookup key (see `alias_key`).
MAKE_ALIASES: dict[str, str] = {
    "chevy": "Chevrolet",
    "chev": "Chevrolet",
    "vw": "Volkswagen",
    "volkswagon": "Volkswagen",
    "mercedes": "Mercedes-Benz",
    "benz": "Mercedes-Benz",
    "mb": "Mercedes-Benz",
    "dodgeram": "Ram",
    "toyta": "Toyota",
    "hyundia": "Hyundai",
    "bimmer": "BMW",
}

DEMO_MAKES: tuple[str, ...] = (
    "Toyota",
    "Honda",
    "Ford",
    "Chevrolet",
    "GMC",
    "Ram",
    "Jeep",
    "Dodge",
    "Nissan",
    "Subaru",
    "Hyundai",
    "Kia",
    "Volkswagen",
    "Mazda",
    "BMW",
    "Mercedes-Benz",
    "Audi",
    "Lexus",
    "Tesla",
)

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def alias_key(text: str) -> str:
    """Lookup key for brand and make aliases: lower case letters and digits only.

    'AC Delco', 'AC-Delco' and 'ACDELCO' share the key 'acdelco'.
    """
    return _NON_ALNUM.sub("", text.lower())


def slugify(text: str) -> str:
    """URL slug: 'OBD-II Scanner' -> 'obd-ii-scanner'."""
    return "-".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())
