"""The signed-in customer's garage: saved vehicles, one current (guests keep theirs
in the browser)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from automechanica.api.access import SignedIn
from automechanica.api.deps import Conn
from automechanica.api.policy import INT32_MAX
from automechanica.commerce.garage import (
    GarageAdd,
    GarageVehicle,
    add_vehicle,
    customer_for_user,
    list_garage,
    make_current,
    remove_vehicle,
)

router = APIRouter(prefix="/api/garage", tags=["garage"])

VehicleId = Annotated[int, Path(ge=1, le=INT32_MAX)]


async def customer_id(conn: Conn, who: SignedIn) -> int:
    return await customer_for_user(conn, who.user_id, who.email)


CustomerId = Annotated[int, Depends(customer_id)]


@router.get("", response_model=list[GarageVehicle])
async def garage(conn: Conn, customer: CustomerId) -> list[GarageVehicle]:
    """Saved vehicles, the current one first."""
    return await list_garage(conn, customer)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=list[GarageVehicle],
    responses={404: {"description": "no such vehicle"}},
)
async def add(conn: Conn, customer: CustomerId, body: GarageAdd) -> list[GarageVehicle]:
    """Save a vehicle; the first saved (or `make_current`) becomes current."""
    await add_vehicle(conn, customer, body)
    return await list_garage(conn, customer)


@router.put(
    "/{vehicle_id}/current",
    response_model=list[GarageVehicle],
    responses={404: {"description": "the vehicle is not in your garage"}},
)
async def set_current(
    conn: Conn, customer: CustomerId, vehicle_id: VehicleId
) -> list[GarageVehicle]:
    await make_current(conn, customer, vehicle_id)
    return await list_garage(conn, customer)


@router.delete(
    "/{vehicle_id}",
    response_model=list[GarageVehicle],
    responses={404: {"description": "the vehicle is not in your garage"}},
)
async def remove(conn: Conn, customer: CustomerId, vehicle_id: VehicleId) -> list[GarageVehicle]:
    """Forget a vehicle; when it was current, the newest other one becomes current."""
    await remove_vehicle(conn, customer, vehicle_id)
    return await list_garage(conn, customer)
