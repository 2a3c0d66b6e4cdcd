"""The demo catalog's tables: who makes what, MPN shapes, product lines, part-type specs.

Plain data, so a reader can check a brand's MPN style or a part's price band at
a glance, and the code that draws parts stays short.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from automechanica.catalog.vocabulary import BRANDS, PART_TYPES

__all__ = [
    "BRAND_BY_NAME",
    "CORE_CHARGES",
    "ENGINE_TYPES",
    "MAKERS",
    "MPN_SHAPES",
    "NO_DIESEL",
    "PER_CYLINDER",
    "PRODUCT_LINES",
    "SIDED_POSITIONS",
    "SPECS",
    "UPC_PREFIXES",
    "Spec",
]

BRAND_BY_NAME = {brand.name: brand for brand in BRANDS}

# fmt: off
#: Which brands make which part types; every brand appears somewhere.
MAKERS: dict[str, tuple[str, ...]] = {
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
MPN_SHAPES: dict[str, dict[str, tuple[str, ...]]] = {
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
PRODUCT_LINES: dict[str, tuple[str, ...]] = {
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
class Spec:
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
SPECS: dict[str, Spec] = {
    "Brake Pads": Spec((18, 75), (2, 5), "SET", 1, ("Ceramic", "Semi-Metallic"), (
        ("Friction Material", ("Ceramic", "Semi-Metallic")), ("Wear Sensor", _IN))),
    "Brake Rotor": Spec((28, 140), (12, 30), descriptors=("Coated", "Drilled and Slotted", ""),
                         attributes=(("Rotor Diameter", _steps("{} mm", 256, 380, 4)),)),
    "Brake Caliper": Spec((35, 160), (6, 14), descriptors=("Loaded", ""),
                           attributes=(("Pistons", ("1", "2")), ("Bracket", _IN))),
    "Oil Filter": Spec((4, 15), (0.5, 1.5), attributes=(
        ("Thread Size", ("3/4-16", "M20x1.5", "M22x1.5", "13/16-16")),)),
    "Engine Air Filter": Spec((8, 45), (0.5, 2), attributes=(("Shape", ("Panel", "Round")),)),
    "Cabin Air Filter": Spec((8, 30), (0.3, 1), descriptors=("Particulate", "Activated Carbon")),
    "Spark Plug": Spec((3, 18), (0.1, 0.3), descriptors=("Iridium", "Platinum", "Copper Core"),
                        attributes=(("Gap", ("0.028 in", "0.032 in", "0.044 in")),)),
    "Ignition Coil": Spec((25, 95), (0.6, 1.5), attributes=(("Connector", ("3-pin", "4-pin")),)),
    "Timing Belt Kit": Spec((90, 380), (4, 12), "KIT", 1, ("with Water Pump", ""),
                             (("Includes Water Pump", ("Yes", "No")),)),
    "Water Pump": Spec((30, 160), (3, 8), attributes=(("Gasket", _IN),)),
    "Thermostat": Spec((8, 45), (0.3, 1.5), attributes=(
        ("Opening Temperature", ("180°F", "192°F", "195°F", "203°F")),)),
    "Serpentine Belt": Spec((14, 60), (0.4, 1.2), attributes=(
        ("Ribs", ("4", "6", "7", "8")), ("Length", _steps("{} mm", 1500, 2600, 10)))),
    "Wiper Blade": Spec((7, 32), (0.4, 1), descriptors=("Beam", "Conventional", "Hybrid"),
                         attributes=(("Blade Length", _steps("{} in", 12, 28, 1)),)),
    "Battery": Spec((95, 240), (30, 55), descriptors=("AGM", "Flooded"), attributes=(
        ("BCI Group", ("24F", "35", "47", "48", "49", "51R", "65", "94R", "H6", "H7", "H8")),
        ("CCA", _steps("{}", 500, 900, 10)))),
    "Alternator": Spec((120, 420), (10, 22), descriptors=("Remanufactured", "New"),
                        attributes=(("Amperage", _steps("{} A", 110, 220, 10)),)),
    "Starter Motor": Spec((90, 330), (8, 18), descriptors=("Remanufactured", "New"),
                           attributes=(("Power", ("1.2 kW", "1.4 kW", "1.7 kW", "2.0 kW")),)),
    "CV Axle": Spec((55, 210), (12, 25), descriptors=("New", "Remanufactured")),
    "Headlight Bulb": Spec((6, 40), (0.1, 0.3), "PK", 2, attributes=(
        ("Bulb Code", ("H11", "9005", "9006", "H7", "H4", "H13")),)),
    "Tail Light Bulb": Spec((3, 14), (0.05, 0.2), "PK", 2, attributes=(
        ("Bulb Code", ("3157", "7443", "7440", "1157")),)),
    "Shock Absorber": Spec((25, 140), (4, 10), attributes=(
        ("Ride Type", ("Standard", "Heavy Duty", "Performance")),)),
    "Strut Assembly": Spec((70, 260), (14, 30), descriptors=("Complete", "")),
    "Control Arm": Spec((35, 190), (5, 14), attributes=(("Ball Joint", _IN),)),
    "Wheel Hub Assembly": Spec((55, 230), (7, 15), attributes=(
        ("Wheel Studs", ("4", "5", "6")), ("ABS Sensor", _IN))),
    "Oxygen Sensor": Spec((25, 140), (0.3, 0.8), attributes=(("Wires", ("4", "5")),)),
    "Catalytic Converter": Spec((150, 700), (12, 30), attributes=(
        ("Emissions", ("Federal (49-State)", "CARB Compliant")),)),
    "Fuel Pump": Spec((60, 320), (2, 6), attributes=(("Pressure", _steps("{} psi", 40, 70, 5)),)),
    "Radiator": Spec((90, 420), (12, 30), attributes=(("Core Rows", ("1", "2")),)),
    "Sway Bar Link": Spec((12, 65), (1, 3), attributes=(
        ("Length", _steps("{} mm", 150, 400, 5)),)),
    "Jumper Cables": Spec((18, 90), (4, 12), attributes=(
        ("Gauge", ("4 AWG", "6 AWG", "8 AWG")), ("Length", ("12 ft", "16 ft", "20 ft")))),
    "OBD-II Scanner": Spec((25, 160), (0.5, 2), attributes=(("Coverage", ("OBD-II 1996+",)),)),
}
# fmt: on
CORE_CHARGES = tuple(Decimal(n) for n in ("15", "22", "30", "45", "60", "75"))
#: Engine-keyed part types fit by make + engine, and never an electric vehicle.
ENGINE_TYPES = frozenset(t.name for t in PART_TYPES if t.engine_only)
NO_DIESEL = frozenset({"Spark Plug", "Ignition Coil"})
PER_CYLINDER = ("Spark Plug", "Ignition Coil")
SIDED_POSITIONS = {"Brake Caliper": ("Front Left", "Front Right", "Rear Left", "Rear Right")}
#: Made-up GS1 company prefixes (some with a leading zero, which must survive).
UPC_PREFIXES = {b.name: f"0{700 + 37 * i:03d}{i % 10}1" for i, b in enumerate(BRANDS)}
