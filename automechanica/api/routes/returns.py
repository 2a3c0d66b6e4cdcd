"""Customer returns: a signed-in customer returns a line of their own order; a guest
names the order by number and the email it was placed with. Another's order is a
404 that never says whether it exists. A wrong fit starts `wrong_fit_return` (the
Fitment agent triages it, a person decides); any other reason is authorized at once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, ConfigDict, Field

from automechanica.api.access import SignedIn
from automechanica.api.deps import Conn
from automechanica.fields import Id32, Id64
from automechanica.orchestrator.workflows.returns import open_return

router = APIRouter(tags=["returns"])

OrderNumber = Annotated[
    str, Path(min_length=3, max_length=20, pattern=r"^[A-Za-z0-9-]+$", description="AM-XXXXXXXX")
]
Email = Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
RESPONSES: dict[int | str, dict[str, str]] = {
    404: {"description": "no such order line of yours"},
    409: {"description": "the line already has a return"},
    422: {"description": "the order cannot be returned yet, or the request is malformed"},
}


class ReturnRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: Id64 = Field(description="the order line to send back")
    reason: Literal["wrong_fit", "defective", "not_needed", "damaged", "other"]
    vehicle_id: Id32 | None = Field(
        default=None, description="the car it did not fit (default: the order's vehicle)"
    )
    note: str | None = Field(default=None, max_length=2000)


class GuestReturnRequest(ReturnRequest):
    number: str = Field(min_length=3, max_length=20, pattern=r"^[A-Za-z0-9-]+$")
    email: Email


class ReturnView(BaseModel):
    id: int
    order_line_id: int
    reason: str
    status: str = Field(description="requested (a wrong fit being reviewed) or authorized")
    vehicle_id: int | None
    workflow_id: UUID | None
    created_at: datetime


@router.post(
    "/api/orders/{number}/returns",
    response_model=ReturnView,
    status_code=status.HTTP_201_CREATED,
    responses=RESPONSES,
)
async def return_my_line(
    conn: Conn, who: SignedIn, number: OrderNumber, body: ReturnRequest
) -> ReturnView:
    """Return a line of one of your orders."""
    ret = await open_return(
        conn, number, body.line_id, body.reason,
        user_id=who.user_id, vehicle_id=body.vehicle_id, notes=body.note,
    )  # fmt: skip
    return ReturnView.model_validate(ret)


@router.post(
    "/api/returns", response_model=ReturnView, status_code=status.HTTP_201_CREATED,
    responses=RESPONSES,
)  # fmt: skip
async def return_guest_line(conn: Conn, body: GuestReturnRequest) -> ReturnView:
    """Return a line of a guest order, named by its number and the checkout email."""
    ret = await open_return(
        conn, body.number, body.line_id, body.reason,
        email=body.email, vehicle_id=body.vehicle_id, notes=body.note,
    )  # fmt: skip
    return ReturnView.model_validate(ret)
