"""Console endpoints for the orchestrator: workflows, the review queue, policies.

Access is declared where app.py includes the router (operators; policy changes
need an admin, checked here). The reviewer and the policy editor recorded are the
signed-in caller, never a name sent in the body.
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from automechanica.api.access import AdminAccess, OperatorAccess, OperatorRoute
from automechanica.api.deps import Conn
from automechanica.errors import InvalidInputError
from automechanica.orchestrator import (
    Policy,
    PolicyChange,
    Review,
    Timeline,
    WorkflowSummary,
    all_policies,
    cancel_workflow,
    decide,
    get_review,
    list_reviews,
    list_workflows,
    seed_policies,
    set_policy,
    start_workflow,
    workflow_timeline,
)
from automechanica.orchestrator.workflows import (
    review_actions,
    review_followups,
    workflow_registry,
)

router = APIRouter(prefix="/api/admin", tags=["admin: workflows"], route_class=OperatorRoute)
Responses = dict[int | str, dict[str, Any]]
NO_WORKFLOW: Responses = {404: {"description": "no such workflow"}}
NO_REVIEW: Responses = {404: {"description": "no such review"}}
DECIDED: Responses = {
    404: {"description": "no such review"},
    409: {"description": "the review was already decided"},
}
NO_POLICY: Responses = {404: {"description": "no such policy"}}
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_.]*$")]
Note = Annotated[str | None, Field(max_length=2000)]


class StartWorkflow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    input: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: Annotated[str | None, Field(max_length=200)] = None


class Started(BaseModel):
    id: UUID
    name: str
    version: int


Edited = dict[str, Any] | list[Any] | str | int | float | bool


class Verdict(BaseModel):
    """Approve the proposal as it stands, or reject it."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["approve", "reject"]
    note: Note = None


class Edit(BaseModel):
    """Accept a corrected version of the proposal."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["edit"]
    value: Edited = Field(description="the corrected proposal")
    note: Note = None


Decision = Annotated[Verdict | Edit, Field(discriminator="action")]


class PolicyEdit(PolicyChange):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=3, max_length=2000)]


@router.get("/workflows", response_model=list[WorkflowSummary])
async def workflows(
    conn: Conn,
    kind: Annotated[str | None, Query(max_length=100)] = None,
    state: Annotated[
        Literal["running", "waiting", "completed", "failed", "cancelled"] | None,
        Query(alias="status"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[WorkflowSummary]:
    return await list_workflows(conn, kind=kind, status=state, limit=limit)


def uploaded_file(given: Any, upload_dir: FilePath) -> FilePath:
    """A file an operator names over the API, allowed only inside the uploads folder: the
    API must not read the server's other files (its signing key, its database) into an
    import report."""
    folder = upload_dir.resolve()
    path = (folder / str(given)).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise InvalidInputError(
            f"input.path {given!r}: a workflow started over the API reads only files in "
            f"the uploads folder ({folder}); copy the file there, or run `automechanica "
            "feeds import FILE` on the server"
        )
    return path


@router.post(
    "/workflows",
    response_model=Started,
    status_code=status.HTTP_201_CREATED,
    responses={404: {"description": "no workflow of that name"}},
)
async def start(request: Request, conn: Conn, who: OperatorAccess, body: StartWorkflow) -> Started:
    workflow = workflow_registry().latest(body.name)
    if "path" in body.input:  # a feed file: only from the uploads folder
        body.input["path"] = str(uploaded_file(body.input["path"], request.app.state.upload_dir))
    workflow_id = await start_workflow(
        conn, workflow, body.input, idempotency_key=body.idempotency_key, started_by=who.email
    )
    return Started(id=workflow_id, name=workflow.name, version=workflow.version)


@router.get("/workflows/{workflow_id}", response_model=Timeline, responses=NO_WORKFLOW)
async def timeline(conn: Conn, workflow_id: UUID) -> Timeline:
    """Steps, decisions with confidence and cost, and tasks that are stuck."""
    return await workflow_timeline(conn, workflow_id)


@router.post("/workflows/{workflow_id}/cancel", response_model=Timeline, responses=NO_WORKFLOW)
async def cancel(conn: Conn, workflow_id: UUID) -> Timeline:
    """Stop a run; steps not yet run will not run. A finished run is left as it is."""
    await workflow_timeline(conn, workflow_id)  # 404 when missing
    await cancel_workflow(conn, workflow_id)
    return await workflow_timeline(conn, workflow_id)


@router.get("/reviews", response_model=list[Review])
async def reviews(
    conn: Conn,
    state: Annotated[
        Literal["open", "approved", "edited", "rejected", "all"], Query(alias="status")
    ] = "open",
    kind: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[Review]:
    """The review queue, oldest first; decided reviews newest first."""
    return await list_reviews(
        conn, status=None if state == "all" else state, kind=kind, limit=limit
    )


@router.get("/reviews/{review_id}", response_model=Review, responses=NO_REVIEW)
async def review(conn: Conn, review_id: Annotated[int, Path(ge=1, le=2**53 - 1)]) -> Review:
    return await get_review(conn, review_id)


@router.post("/reviews/{review_id}/decision", response_model=Review, responses=DECIDED)
async def decide_review(
    conn: Conn,
    who: OperatorAccess,
    review_id: Annotated[int, Path(ge=1, le=2**53 - 1)],
    body: Decision,
) -> Review:
    """Approve, edit (with the corrected value) or reject; what it held resumes."""
    return await decide(
        conn,
        review_id,
        body.action,
        reviewer=who.email,
        workflows=workflow_registry(),
        actions=review_actions(),
        followups=review_followups(),
        value=body.value if isinstance(body, Edit) else None,
        note=body.note,
    )


@router.get("/policies", response_model=list[Policy])
async def policies(conn: Conn) -> list[Policy]:
    await seed_policies(conn)
    return await all_policies(conn)


@router.put("/policies/{decision_type}", response_model=Policy, responses=NO_POLICY)
async def edit_policy(
    conn: Conn,
    who: AdminAccess,
    decision_type: Annotated[str, Path(max_length=100)],
    body: PolicyEdit,
) -> Policy:
    """Change a threshold, limits or retries (admins); kept with who and why."""
    await seed_policies(conn)
    change = PolicyChange.model_validate(body.model_dump(exclude={"reason"}))
    return await set_policy(conn, decision_type, change, by=who.email, reason=body.reason)
