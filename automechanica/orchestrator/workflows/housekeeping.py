"""`store_housekeeping`: the shop's short-lived rows pruned once a day (scheduled)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from automechanica.commerce.housekeeping import CART_DAYS, KEY_DAYS, prune_shop
from automechanica.orchestrator.definitions import Step, StepContext, Workflow
from automechanica.orchestrator.workflows.steps import input_check

NAME = "store_housekeeping"


class HousekeepingInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key_days: int = Field(default=KEY_DAYS, ge=1, le=3650, description="idempotency keys kept")
    cart_days: int = Field(default=CART_DAYS, ge=1, le=3650, description="unfinished carts kept")


async def prune(ctx: StepContext) -> dict[str, Any]:
    given = HousekeepingInput.model_validate(ctx.input)
    return await prune_shop(ctx.conn, key_days=given.key_days, cart_days=given.cart_days)


STORE_HOUSEKEEPING = Workflow(
    NAME,
    version=1,
    steps=(
        Step(
            "check_input", input_check(NAME, HousekeepingInput, '{"key_days": 7, "cart_days": 30}')
        ),
        Step("prune", prune),
    ),
    description="Old idempotency keys and carts nobody finished, deleted.",
)
