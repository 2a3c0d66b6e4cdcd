"""Small steps and combiners several workflows share."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, ValidationError

from automechanica.orchestrator.definitions import Finish, StepContext, StepFn


def input_check(workflow: str, model: type[BaseModel], expected: str) -> StepFn:
    """A first step that ends the run at once, with what to write, when its input does
    not validate — rather than failing every batch after it."""

    async def check_input(ctx: StepContext) -> dict[str, Any] | Finish:
        try:
            given = model.model_validate(ctx.input)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "input"
            return Finish(
                "failed", reason=f"{workflow} input {where}: {first['msg']}; expected {expected}"
            )
        return given.model_dump()

    return check_input


def sum_counts(results: list[Any]) -> dict[str, int]:
    """A fan-out's batch counts ({'accepted': 3, …}) added up."""
    total: Counter[str] = Counter()
    for result in results:
        total.update(result or {})
    return dict(sorted(total.items()))
