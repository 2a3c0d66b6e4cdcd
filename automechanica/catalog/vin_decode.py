"""VIN decoding with ultravin (offline NHTSA vPIC data) into our vehicle vocabulary.

vPIC speaks in its own values ("AWD/All-Wheel Drive", "2.359737216",
"HONDA"); everything here normalizes them into the columns of `vehicles`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import ultravin

from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.catalog.vocabulary import DEMO_MAKES, alias_key
from automechanica.errors import VinError

#: vPIC error codes that still describe a usable vehicle (0 = clean,
#: 9/10 = off-road flags).
_HARMLESS_ERRORS = {0, 9, 10}
_VIN_SHAPE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_MAKE_NAMES = {alias_key(name): name for name in DEMO_MAKES}

_DRIVES = {
    "fwd": "FWD",
    "front": "FWD",
    "rwd": "RWD",
    "rear": "RWD",
    "awd": "AWD",
    "all": "AWD",
    "4wd": "4WD",
    "4x4": "4WD",
}
_BODIES = {
    "sedan": "Sedan",
    "hatchback": "Hatchback",
    "coupe": "Coupe",
    "convertible": "Convertible",
    "sport utility": "SUV",
    "crossover": "SUV",
    "pickup": "Pickup",
    "minivan": "Minivan",
    "cargo van": "Cargo Van",
    "van": "Van",
    "wagon": "Wagon",
}
_TRANSMISSIONS = {
    "continuously variable": "CVT",
    "dual-clutch": "DCT",
    "manual": "Manual",
    "automated manual": "Automatic",
    "automatic": "Automatic",
}


@dataclass(frozen=True, slots=True)
class DecodedVin:
    """A VIN's decode: the configuration it names, and how trustworthy it is."""

    vin: str
    config: VehicleConfig | None
    check_digit_valid: bool
    problems: list[str]


def decode_vin(vin: str, *, now: datetime | None = None) -> DecodedVin:
    """Decode one VIN; raise VinError when it is malformed or names no vehicle."""
    cleaned = vin.strip().upper()
    if len(cleaned) != 17:
        raise VinError(vin, f"a VIN has 17 characters, this one has {len(cleaned)}")
    if not _VIN_SHAPE.match(cleaned):
        raise VinError(vin, "a VIN uses digits and capital letters except I, O and Q")
    decoded = ultravin.decode(cleaned, now=now)
    config = configuration_from_decode(decoded)
    problems = _problems(decoded)
    if config is None:
        raise VinError(vin, "; ".join(problems) or "it does not decode to a known vehicle")
    return DecodedVin(cleaned, config, bool(decoded["check_digit_valid"]), problems)


def _problems(decoded: Mapping[str, Any]) -> list[str]:
    attributes = decoded.get("attributes", {})
    codes = set(decoded.get("error_codes", []))
    if codes <= _HARMLESS_ERRORS:
        return []
    text = str(attributes.get("Error Text", "")).strip()
    return [part.strip() for part in text.split(";") if part.strip()] or [f"vPIC codes {codes}"]


def configuration_from_decode(decoded: Mapping[str, Any]) -> VehicleConfig | None:
    """Our configuration for a vPIC decode, or None when it lacks year, make or model."""
    a: Mapping[str, Any] = decoded.get("attributes", {})
    year = decoded.get("model_year")
    make = _make(a.get("Make"))
    model = _text(a.get("Model"))
    if not (year and make and model):
        return None
    body = _body(a.get("Body Class"))
    fuel = _fuel(a)
    return VehicleConfig(
        year=int(year),
        make=make,
        model=model,
        submodel=_trim(a.get("Trim")),
        engine_liters=None if fuel == "Electric" else _liters(a.get("Displacement (L)")),
        engine_cylinders=None if fuel == "Electric" else _int(a.get("Engine Number of Cylinders")),
        engine_code=None if fuel == "Electric" else _engine_code(a.get("Engine Model")),
        fuel=fuel,
        aspiration=None if fuel == "Electric" else _aspiration(a),
        drive=_drive(a.get("Drive Type"), body),
        body=body,
        doors=_int(a.get("Doors")),
        transmission=_transmission(a.get("Transmission Style")),
        source_vin=str(decoded.get("vin") or "") or None,
    )


def decode_many(vins: Iterable[str], *, now: datetime | None = None) -> list[VehicleConfig]:
    """Configurations of the VINs that decode cleanly (others are skipped)."""
    configs = []
    for decoded in ultravin.decode_batch(list(vins), now=now):
        if not set(decoded.get("error_codes", [])) <= _HARMLESS_ERRORS:
            continue
        config = configuration_from_decode(decoded)
        if config is not None:
            configs.append(config)
    return configs


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


def _make(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    return _MAKE_NAMES.get(alias_key(text), text.title())


def _trim(value: Any) -> str | None:
    """vPIC lists trims a VIN cannot tell apart ('XL / XLT / Lariat'); keep the first."""
    text = _text(value)
    if text is None:
        return None
    first = re.split(r"\s*[/,(]\s*", text)[0].strip()
    if not first:
        return None
    return first.title() if first.isalpha() and first.isupper() and len(first) > 4 else first


def _liters(value: Any) -> Decimal | None:
    try:
        liters = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return None
    return liters if Decimal("0.5") <= liters <= Decimal("9.9") else None


def _int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if number > 0 else None


def _engine_code(value: Any) -> str | None:
    text = _text(value)
    if text is None or " " in text or len(text) > 12:
        return None
    return text.upper()


def _fuel(a: Mapping[str, Any]) -> str | None:
    primary = (_text(a.get("Fuel Type - Primary")) or "").lower()
    electrification = (_text(a.get("Electrification Level")) or "").upper()
    if primary == "electric" or electrification.startswith("BEV"):
        return "Electric"
    if "HEV" in electrification:
        return "Hybrid"
    if "flexible" in primary:
        return "Flex Fuel"
    if primary.startswith("diesel"):
        return "Diesel"
    if primary.startswith("gasoline"):
        return "Gasoline"
    return None


def _aspiration(a: Mapping[str, Any]) -> str | None:
    info = " ".join(a.get("Other Engine Info") or []).lower()
    if "supercharg" in info:
        return "Supercharged"
    if str(a.get("Turbo", "")).lower() == "yes" or "turbo" in info:
        return "Turbocharged"
    return None


def _drive(value: Any, body: str | None) -> str | None:
    text = (_text(value) or "").lower()
    if text == "4x2":  # two-wheel drive; on pickups and vans that means the rear wheels
        return "RWD" if body in {"Pickup", "Van", "Cargo Van"} else None
    for prefix, drive in _DRIVES.items():
        if text.startswith(prefix):
            return drive
    return None


def _body(value: Any) -> str | None:
    text = (_text(value) or "").lower()
    if not text or text.startswith("incomplete"):
        return None
    for prefix, body in _BODIES.items():
        if text.startswith(prefix):
            return body
    return None


def _transmission(value: Any) -> str | None:
    text = (_text(value) or "").lower()
    for prefix, name in _TRANSMISSIONS.items():
        if text.startswith(prefix):
            return name
    return None
