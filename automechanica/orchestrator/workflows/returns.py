"""`wrong_fit_return`: a customer says a part did not fit; the catalog learns from it.

    triage -> resolve

`triage` gathers the evidence, feeds the part's wrong-fit rate on that base vehicle
back into its fitment rows' confidence, asks the Fitment agent for a correction
(recorded as an agent event) and waits for a person (policy fitment.correction:
always). Approving or editing applies the correction in the review's transaction
(`apply_reviewed_correction`, registered as the review action): fitment rows
change and a fitment issue records it. `resolve` then authorizes the return —
whatever the person decided about the catalog, the store takes back a part a
customer says did not fit.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from pydantic import ValidationError

from automechanica.agents.fitment_triage import AGENT, DECISION, Correction, FitmentTriage
from automechanica.commerce.returns import (
    Reason,
    apply_correction,
    authorize_return,
    lower_confidence_by_return_rate,
    record_issue,
    request_return,
    set_return_workflow,
    wrong_fit_evidence,
)
from automechanica.errors import AutoMechanicaError, InvalidInputError
from automechanica.orchestrator.definitions import (
    Finish,
    Hold,
    ReviewRequest,
    Step,
    StepContext,
    Workflow,
)
from automechanica.orchestrator.engine import start_workflow
from automechanica.orchestrator.events import AgentEvent, record_event
from automechanica.orchestrator.policies import get_policy
from automechanica.orchestrator.reviews import Review

NAME = "wrong_fit_return"
triage_agent = FitmentTriage()


def _return_id(ctx: StepContext) -> int:
    return int(ctx.input["return_id"])


async def triage(ctx: StepContext) -> Any:
    try:
        case = await wrong_fit_evidence(ctx.conn, _return_id(ctx))
    except AutoMechanicaError as exc:
        return Finish("failed", reason=exc.message)
    feedback: dict[str, Any] = {}
    if case["vehicle"] is not None:
        publish = await get_policy(ctx.conn, "fitment.publish")
        feedback = await lower_confidence_by_return_rate(
            ctx.conn,
            case["part_id"],
            case["vehicle"]["base_vehicle_id"],
            [r["id"] for r in case["rows"] if r["matches"]],
            publish_threshold=publish.threshold,
        )
    decision = triage_agent.decide(case)
    proposal = decision.output.model_dump(mode="json") | {"return_id": _return_id(ctx)}
    evidence = [e.model_dump() for e in decision.evidence]
    event_id = await record_event(
        ctx.conn,
        AgentEvent(
            agent=AGENT,
            decision_type=DECISION,
            outcome="held",
            workflow_id=ctx.workflow_id,
            task_id=ctx.task_id,
            step_key=ctx.step_key,
            subject_kind="return",
            subject_id=str(_return_id(ctx)),
            input={"part": case["part"], "vehicle": case["vehicle"], "feedback": feedback},
            output=proposal,
            confidence=decision.confidence,
            rationale=decision.rationale,
            evidence=evidence,
        ),
    )
    policy = await get_policy(ctx.conn, DECISION)
    return Hold(
        ReviewRequest(
            kind=DECISION,
            reason=f"{decision.output.summary} (a fitment correction: "
            f"{'always a person' if policy.threshold >= 1 else 'below the threshold'})",
            proposed=proposal,
            current={"rows": case["rows"], "years": case["years"]},
            agent=AGENT,
            confidence=decision.confidence,
            rationale=decision.rationale,
            evidence=evidence,
            subject_kind="return",
            subject_id=str(_return_id(ctx)),
            event_id=event_id,
        )
    )


async def resolve(ctx: StepContext) -> Any:
    """The return is authorized; a rejected correction is kept as a closed issue."""
    decided = ctx.results["triage"]
    return_id = _return_id(ctx)
    if decided["decision"] == "rejected":
        await record_issue(
            ctx.conn,
            return_id,
            "correction_rejected",
            "the proposed correction was rejected in review"
            + (f": {decided['note']}" if decided.get("note") else ""),
            "closed",
        )
    note = f"wrong fit reviewed: correction {decided['decision']}"
    await authorize_return(ctx.conn, return_id, note)
    kind = (decided.get("value") or {}).get("kind")
    return {"return_id": return_id, "decision": decided["decision"], "correction": kind}


async def apply_reviewed_correction(conn: AsyncConnection[Any], review: Review, value: Any) -> None:
    """Review action for fitment.correction: the approved (or edited) correction."""
    if not isinstance(value, dict) or "return_id" not in value:
        raise InvalidInputError("a correction needs its return_id and kind")
    return_id = int(value["return_id"])
    try:
        correction = Correction.model_validate({k: v for k, v in value.items() if k != "return_id"})
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise InvalidInputError(f"the correction's {where}: {problem['msg']}") from None
    publish = await get_policy(conn, "fitment.publish")
    await apply_correction(
        conn,
        return_id,
        correction.model_dump(mode="json"),
        publish_threshold=publish.threshold,
        decided_by=review.reviewer or "a person",
    )


WRONG_FIT_RETURN = Workflow(
    NAME,
    version=1,
    steps=(Step("triage", triage), Step("resolve", resolve)),
    description="A wrong-fit return triaged by the Fitment agent, corrected by a person.",
)


async def open_return(
    conn: AsyncConnection[Any],
    number: str,
    line_id: int,
    reason: Reason,
    *,
    user_id: int | None = None,
    email: str | None = None,
    vehicle_id: int | None = None,
    notes: str | None = None,
) -> dict[str, Any]:
    """A customer's return and, for a wrong fit, its workflow — in one transaction."""
    async with conn.transaction():
        ret = await request_return(
            conn, number, line_id, reason,
            user_id=user_id, email=email, vehicle_id=vehicle_id, notes=notes,
        )  # fmt: skip
        ret["workflow_id"] = None
        if reason == "wrong_fit":
            ret["workflow_id"] = await start_workflow(
                conn,
                WRONG_FIT_RETURN,
                {"return_id": ret["id"]},
                idempotency_key=f"wrong_fit_return:{ret['id']}",
                started_by=f"user:{user_id}" if user_id is not None else "guest",
            )
            await set_return_workflow(conn, ret["id"], ret["workflow_id"])
    return ret
