"""The VIN eval counts a configuration as found the way a VIN match finds it."""

from __future__ import annotations

from decimal import Decimal

from automechanica.agents.vin_eval import StoredBase
from automechanica.catalog.vehicle_config import VehicleConfig

#: year, make, model, submodel, liters, cylinders, engine code, fuel, aspiration,
#: drive, body, doors, transmission (the columns of STORED)
EX_15 = (2023, "Honda", "Civic", "EX", Decimal("1.5"), 4, "L15B7", "Gasoline", None, "FWD",
         "Sedan", 4, "CVT")  # fmt: skip


def _civic(**attributes: object) -> VehicleConfig:
    return VehicleConfig(2023, "Honda", "Civic", **attributes)  # type: ignore[arg-type]


def test_what_a_vin_leaves_blank_matches_and_what_it_states_must_agree() -> None:
    base = StoredBase([EX_15])
    found = base.coverage(
        [
            _civic(engine_liters=Decimal("1.5"), fuel="Gasoline"),  # trim not stated: found
            _civic(
                submodel="EX",
                engine_liters=Decimal("1.5"),
                engine_cylinders=4,
                engine_code="L15B7",
                fuel="Gasoline",
                drive="FWD",
                body="Sedan",
                doors=4,
                transmission="CVT",
            ),  # every column equal
            _civic(submodel="Sport", engine_liters=Decimal("2.0")),  # another trim and engine
            VehicleConfig(2023, "Honda", "Accord", submodel="EX"),  # model not stored
        ]
    )
    assert (found.vins, found.year_make_model) == (4, 3)
    assert found.exact_configuration == 2
    assert found.identical_row == 1
