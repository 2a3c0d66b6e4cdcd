"""ACES applications named by VCdb ids, resolved against the owner's VCdb.

An App keyed by `<BaseVehicle id>` (and `<SubModel id>`, `<EngineBase id>`…) becomes
our base vehicle with each id turned into the constraint it stands for. Every id must
be honored: one that names nothing in the loaded VCdb, or an attribute our vehicles do
not carry (bed length, wheelbase, a region outside the US market), refuses the App
with the reason. Refusing loses one application; widening it would sell the part for
cars it does not fit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from automechanica.catalog.feeds.records import Application
from automechanica.catalog.vcdb import drive_of, fuel_of

SELECT_BASES = "SELECT vcdb_id, base_vehicle_id FROM vcdb_base_vehicles"
SELECT_VALUES = "SELECT kind, vcdb_id, name, attributes FROM vcdb_values WHERE kind <> 'Vehicle'"
NO_VCDB = (
    "this App names its vehicle by VCdb ids ({ids}); the Auto Care VCdb is licensed, so "
    "the store cannot ship it: load your VCdb export with `automechanica vehicles load "
    "--vcdb DIR` and import the file again"
)
#: Regions our vehicles (vPIC: the US market) are in.
HONORED_REGIONS = frozenset({"United States", "US", "USA"})
ASPIRATIONS = frozenset({"Turbocharged", "Supercharged"})


@dataclass(slots=True)
class VcdbIds:
    """The loaded VCdb's ids: base vehicles, and the names of the small tables."""

    bases: dict[int, int] = field(default_factory=dict)
    values: dict[tuple[str, int], tuple[str, dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    async def load(cls, conn: AsyncConnection[Any]) -> VcdbIds:
        found = cls()
        async with conn.cursor(row_factory=tuple_row) as cur:
            await cur.execute(SELECT_BASES)
            found.bases = {int(a): int(b) for a, b in await cur.fetchall()}
            await cur.execute(SELECT_VALUES)
            for kind, vcdb_id, name, attributes in await cur.fetchall():
                loaded = attributes if isinstance(attributes, dict) else json.loads(attributes)
                found.values[(kind, int(vcdb_id))] = (name, loaded)
        return found

    def resolve(self, app: Application) -> tuple[int | None, Application, str | None]:
        """(our base vehicle id or None when named by text, the application with every id
        turned into its constraint, the reason it cannot be honored)."""
        named = ", ".join(f"{tag} {vcdb_id}" for tag, vcdb_id in app.vcdb.items())
        if not self.bases:
            return None, app, NO_VCDB.format(ids=named)
        base_vehicle_id = None
        if "BaseVehicle" in app.vcdb:
            base_vehicle_id = self.bases.get(app.vcdb["BaseVehicle"])
            if base_vehicle_id is None:
                return None, app, (
                    f"VCdb BaseVehicle {app.vcdb['BaseVehicle']} is not in the loaded VCdb; "
                    "load a newer export"
                )  # fmt: skip
        changes: dict[str, Any] = {}
        for tag, vcdb_id in app.vcdb.items():
            if tag == "BaseVehicle":
                continue
            problem = self._constrain(tag, vcdb_id, changes)
            if problem:
                return None, app, f"{problem}; the application is refused, not widened"
        return base_vehicle_id, replace(app, **changes), None

    def _constrain(self, tag: str, vcdb_id: int, changes: dict[str, Any]) -> str | None:
        value = self.values.get((tag, vcdb_id))
        if tag not in _HONORED:
            return f"VCdb {tag} {vcdb_id} cannot be honored: our vehicles carry no {tag}"
        if value is None:
            return f"VCdb {tag} {vcdb_id} is not in the loaded VCdb"
        return _HONORED[tag](value[0], value[1], changes, f"VCdb {tag} {vcdb_id} ({value[0]})")


def _submodel(name: str, _: dict[str, Any], changes: dict[str, Any], label: str) -> str | None:
    changes["submodels"] = [name]
    return None


def _engine(
    name: str, attributes: dict[str, Any], changes: dict[str, Any], label: str
) -> str | None:
    liters, cylinders = attributes.get("liters"), attributes.get("cylinders")
    if liters is None and cylinders is None:
        return f"{label} names no displacement or cylinder count"
    changes["engine_liters"] = Decimal(str(liters)) if liters is not None else None
    changes["engine_cylinders"] = int(cylinders) if cylinders is not None else None
    return None


def _drive(name: str, _: dict[str, Any], changes: dict[str, Any], label: str) -> str | None:
    drive = drive_of(name)
    if drive is None:
        return f"{label} is a drive our vehicles do not record"
    changes["drive"] = drive
    return None


def _fuel(name: str, _: dict[str, Any], changes: dict[str, Any], label: str) -> str | None:
    fuel = fuel_of(name)
    if fuel is None:
        return f"{label} is a fuel our vehicles do not record"
    changes["fuel"] = fuel
    return None


def _aspiration(name: str, _: dict[str, Any], changes: dict[str, Any], label: str) -> str | None:
    if name not in ASPIRATIONS:
        return f"{label}: our vehicles record only turbocharged and supercharged engines"
    changes["aspiration"] = name
    return None


def _body(name: str, _: dict[str, Any], changes: dict[str, Any], label: str) -> str | None:
    changes["body"] = name
    return None


def _region(name: str, _: dict[str, Any], changes: dict[str, Any], label: str) -> str | None:
    if name not in HONORED_REGIONS:
        return f"{label} cannot be honored: the store's vehicles are the US market's"
    return None


_HONORED = {
    "SubModel": _submodel,
    "EngineBase": _engine,
    "DriveType": _drive,
    "FuelType": _fuel,
    "Aspiration": _aspiration,
    "BodyType": _body,
    "Region": _region,
}
