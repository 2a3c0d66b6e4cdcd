"""Field types shared by every layer's request bodies.

A JSON `true` is not the number 1: pydantic's lax mode would read it as one (so
`{"vehicle_id": true}` meant vehicle 1). Strict mode would also refuse `3239.0`,
which JSON Schema counts as an integer, so these types refuse booleans only.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field


def _not_bool(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("expected a number, not true or false")
    return value


NotBool = BeforeValidator(_not_bool)

#: An `integer` row id (vehicles, brands, order lines...).
Id32 = Annotated[int, Field(ge=1, le=2**31 - 1), NotBool]
#: A `bigint` row id (parts, tasks...), bounded at 2**53 - 1: the largest integer a JSON
#: number (a double) keeps exactly.
Id64 = Annotated[int, Field(ge=1, le=2**53 - 1), NotBool]
#: A model year as catalogs write it (the first car was sold in 1886).
Year = Annotated[int, Field(ge=1886, le=2100), NotBool]
#: An engine's displacement in litres.
Liters = Annotated[float, Field(gt=0, le=30, allow_inf_nan=False), NotBool]
