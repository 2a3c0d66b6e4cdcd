"""The console's fitment editor: a part's fitment rows listed, added over a year range,
edited and rejected by an operator.

Included by the app under the operator dependency. Each change and the person's decision
recording it (agent `person:<email>`, decision `fitment.add|edit|remove`, the reason as
its rationale) commit in one transaction; fit checks and reverse fitment read the rows
directly, and this process's cache of resolved vehicles (shopper search's next question)
is cleared after the commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, status
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from automechanica.accounts import Principal
from automechanica.api.access import OperatorAccess, OperatorRoute
from automechanica.api.deps import Conn
from automechanica.api.policy import INT64_MAX
from automechanica.catalog.fitment_edits import (
    Application,
    FitmentChange,
    FitmentPage,
    FitmentRow,
    Qualifier,
    add_fitments,
    edit_fitment,
    list_fitments,
    part_header,
    person_source,
    reject_fitment,
)
from automechanica.catalog.search_words import SearchWordsCache
from automechanica.fields import Liters, NotBool, Year
from automechanica.orchestrator.events import AgentEvent, record_event

router = APIRouter(
    prefix="/api/admin/catalog/parts/{part_id}", tags=["admin: fitment"], route_class=OperatorRoute
)

PartId = Annotated[int, Path(ge=1, le=INT64_MAX)]
FitmentId = Annotated[int, Path(ge=1, le=INT64_MAX)]
_TEXT = r"^[^\x00]*\S[^\x00]*$"  # some visible text, no NUL
Text = Annotated[str, Field(min_length=1, max_length=200, pattern=_TEXT)]
Reason = Annotated[
    str,
    Field(
        min_length=3,
        max_length=500,
        pattern=_TEXT,
        description="why: kept with the change as the person's rationale",
    ),
]
Confidence = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False), NotBool]
Quantity = Annotated[int, Field(ge=1, le=99), NotBool]
Cylinders = Annotated[int, Field(ge=1, le=16), NotBool]
Status = Literal["published", "pending_review", "rejected"]
# People's changes and the agents' fitment decisions about the part, newest first
# (agent_events_subject serves it).
SELECT_HISTORY = """
SELECT id, created_at, agent, decision_type, outcome, confidence, rationale
FROM agent_events
WHERE subject_kind = 'part' AND subject_id = %(part)s AND decision_type LIKE 'fitment.%%'
ORDER BY id DESC LIMIT %(limit)s
"""
NO_PART: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such part (or no such row of it)"}
}


class QualifierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text
    verify: bool = Field(True, description="the buyer must check it (shown as ⚠)")


class NewFitment(BaseModel):
    """One application over a year range: one row per base vehicle."""

    model_config = ConfigDict(extra="forbid")
    year_start: Year
    year_end: Year | None = Field(None, description="inclusive; year_start when left out")
    make: Text
    model: Text
    submodel: Text | None = None
    engine_liters: Liters | None = None
    engine_cylinders: Cylinders | None = None
    engine_code: Text | None = None
    fuel: Text | None = None
    aspiration: Text | None = None
    drive: Literal["FWD", "RWD", "AWD", "4WD"] | None = None
    body: Text | None = None
    transmission: Text | None = None
    position: Text | None = None
    quantity: Quantity | None = None
    qualifiers: Annotated[list[QualifierIn], Field(max_length=10)] = []
    notes: Annotated[list[Text], Field(max_length=10)] = []
    confidence: Confidence = 1.0
    status: Literal["published", "pending_review"] = "published"
    reason: Reason


class FitmentEdit(BaseModel):
    """The fields to change, at least one (those left out stay; null clears a position or
    quantity); the vehicle is the row's identity."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 2})
    position: Text | None = None
    quantity: Quantity | None = None
    # Left out means "keep"; null is no value for these (the schema does not offer it).
    qualifiers: Annotated[list[QualifierIn], Field(max_length=10)] | SkipJsonSchema[None] = None
    notes: Annotated[list[Text], Field(max_length=10)] | SkipJsonSchema[None] = None
    status: Status | SkipJsonSchema[None] = None
    confidence: Confidence | SkipJsonSchema[None] = None
    reason: Reason

    @model_validator(mode="after")
    def _no_null_where_a_value_is_needed(self) -> FitmentEdit:
        for name in ("qualifiers", "notes", "status", "confidence"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null: leave it out to keep it")
        return self


class PartHeader(BaseModel):
    id: int
    brand: str
    part_number: str
    title: str
    part_type: str
    fit_class: str


class FitmentList(BaseModel):
    part: PartHeader
    total: int = Field(description="rows matching the filters")
    counts: dict[str, int] = Field(description="the part's rows by status, unfiltered")
    rows: list[FitmentRow]


class HistoryEntry(BaseModel):
    id: int = Field(description="the agent event (console: /console/events/{id})")
    created_at: datetime
    agent: str = Field(description="`person:<email>` for a person, else the agent's name")
    decision_type: str
    outcome: str
    confidence: float | None
    rationale: str | None


class FitmentChangeOut(BaseModel):
    rows: list[FitmentRow] = Field(description="the rows as they are now")
    added: int = Field(description="new rows (a restated application updates its row)")
    event_id: int = Field(description="the person's decision recorded with the change")


@router.get("/fitments", response_model=FitmentList, responses=NO_PART)
async def fitments(
    conn: Conn,
    part_id: PartId,
    year: Annotated[int | None, Query(ge=1886, le=2100)] = None,
    make: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    model: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> FitmentList:
    """The part's rows of every source and status, by make, model and year."""
    page: FitmentPage = await list_fitments(
        conn,
        part_id,
        year=year,
        make=make,
        model=model,
        status=status,
        limit=limit,
        offset=offset,
    )
    return FitmentList(
        part=PartHeader.model_validate(page.part),
        total=page.total,
        counts=page.counts,
        rows=page.rows,
    )


@router.get("/fitment-history", response_model=list[HistoryEntry], responses=NO_PART)
async def history(
    conn: Conn, part_id: PartId, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[HistoryEntry]:
    """Who changed the part's fitment and why, and what the Fitment agent decided about
    it, newest first."""
    await part_header(conn, part_id)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_HISTORY, {"part": str(part_id), "limit": limit})
        return [HistoryEntry.model_validate(r) for r in await cur.fetchall()]


@router.post(
    "/fitments",
    response_model=FitmentChangeOut,
    status_code=status.HTTP_201_CREATED,
    responses=NO_PART
    | {
        409: {"description": "the part is universal or not a vehicle part"},
        422: {
            "description": "a year, make, model or configuration the "
            "vehicle base does not have (named), or a bad field"
        },
    },
)
async def add(
    request: Request, conn: Conn, who: OperatorAccess, part_id: PartId, body: NewFitment
) -> FitmentChangeOut:
    """Add the application for every year of the range; every year must exist."""
    constraint_names = ("submodel", "engine_liters", "engine_cylinders", "engine_code", "fuel",
                        "aspiration", "drive", "body", "transmission")  # fmt: skip
    application = Application(
        constraints={k: getattr(body, k) for k in constraint_names},
        position=body.position,
        quantity=body.quantity,
        qualifiers=tuple(Qualifier(q.text, q.verify) for q in body.qualifiers),
        notes=tuple(body.notes),
        confidence=body.confidence,
        status=body.status,
    )
    years = (body.year_start, body.year_end if body.year_end is not None else body.year_start)
    async with conn.transaction():
        change = await add_fitments(
            conn,
            part_id,
            years=years,
            make=body.make,
            model=body.model,
            application=application,
            source=person_source(who.email),
        )
        event = await _record(conn, who, "add", part_id, change, body.reason, body)
    return await _answer(request, conn, change, event)


@router.patch(
    "/fitments/{fitment_id}",
    response_model=FitmentChangeOut,
    responses=NO_PART | {409: {"description": "the row says that already: nothing changed"}},
)
async def edit(
    request: Request,
    conn: Conn,
    who: OperatorAccess,
    part_id: PartId,
    fitment_id: FitmentId,
    body: FitmentEdit,
) -> FitmentChangeOut:
    """Change a row's position, quantity, qualifiers, notes, status or confidence."""
    changes = body.model_dump(include=body.model_fields_set - {"reason"})
    async with conn.transaction():
        change = await edit_fitment(conn, part_id, fitment_id, changes)
        event = await _record(conn, who, "edit", part_id, change, body.reason, body)
    return await _answer(request, conn, change, event)


@router.delete(
    "/fitments/{fitment_id}",
    response_model=FitmentChangeOut,
    responses=NO_PART | {409: {"description": "the row is rejected already"}},
)
async def remove(
    request: Request,
    conn: Conn,
    who: OperatorAccess,
    part_id: PartId,
    fitment_id: FitmentId,
    reason: Annotated[str, Query(min_length=3, max_length=500, pattern=_TEXT)],
) -> FitmentChangeOut:
    """Reject the row: out of fit checks and reverse fitment, kept as history."""
    async with conn.transaction():
        change = await reject_fitment(conn, part_id, fitment_id)
        event = await _record(conn, who, "remove", part_id, change, reason, None)
    return await _answer(request, conn, change, event)


async def _record(
    conn: AsyncConnection[Any],
    who: Principal,
    action: Literal["add", "edit", "remove"],
    part_id: int,
    change: FitmentChange,
    reason: str,
    body: BaseModel | None,
) -> int:
    """The change as a person's decision, beside the agents' (orchestrator/events.py)."""
    part = change.part
    ids = [r.id for r in change.after]
    summary = {
        "add": f"Added {len(ids)} fitment row(s) ({change.added} new)",
        "edit": f"Edited fitment row {', '.join(map(str, ids))}",
        "remove": f"Rejected fitment row {', '.join(map(str, ids))}",
    }[action]
    return await record_event(
        conn,
        AgentEvent(
            agent=f"person:{who.email}",
            decision_type=f"fitment.{action}",
            outcome="rejected" if action == "remove" else "accepted",
            subject_kind="part",
            subject_id=str(part_id),
            input={
                "part": f"{part['brand']} {part['part_number']}",
                "request": body.model_dump(mode="json") if body is not None else {},
                "before": [r.to_json() for r in change.before],
            },
            output={"rows": [r.to_json() for r in change.after]}
            | ({"fit_class": change.fit_class} if change.fit_class else {}),
            confidence=1.0,
            rationale=f"{summary} of {part['brand']} {part['part_number']}: {reason}",
            evidence=[{"kind": "fitment", "ref": str(i)} for i in ids],
        ),
    )


async def _answer(
    request: Request, conn: AsyncConnection[Any], change: FitmentChange, event_id: int
) -> FitmentChangeOut:
    """After the commit: this process's resolved vehicles may name attributes that no
    longer matter (or now do); the next search resolves afresh."""
    cache: SearchWordsCache | None = getattr(request.app.state, "search_words", None)
    if cache is not None:
        (await cache.get(conn)).vehicles.clear()
    return FitmentChangeOut(
        rows=change.after,
        added=change.added,
        event_id=event_id,
    )
