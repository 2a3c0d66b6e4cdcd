"""`order_fulfillment`: a paid order becomes purchase orders at its suppliers.

    validate -> route -> write_purchase_orders -> mark_routed

Started by checkout completion in the transaction that creates the paid order
(idempotency key `order_fulfillment:<order id>`). `route` records the Order agent's
decision as an agent event; an order that cannot be filled from stock waits for a
person (a review of kind `order.routing`: approve = route again with the stock of
then, edit = the person's routing, reject = cancel the order). Each step commits
with its journal entry; purchase orders are unique per (order, supplier) and their
files are named by order and supplier, so a worker killed mid-fulfillment never
leaves a second one.
"""

from __future__ import annotations

from typing import Any

from automechanica.agents.order import ACTOR, AGENT, DECISION, OrderAgent, RoutingPlan
from automechanica.commerce.purchase_orders import set_order_status
from automechanica.errors import AutoMechanicaError
from automechanica.orchestrator.definitions import (
    Finish,
    Hold,
    ReviewRequest,
    Step,
    StepContext,
    Workflow,
)
from automechanica.orchestrator.events import AgentEvent, record_event
from automechanica.orchestrator.policies import get_policy

NAME = "order_fulfillment"
agent = OrderAgent()


def _order_id(ctx: StepContext) -> int:
    return int(ctx.input["order_id"])


async def validate(ctx: StepContext) -> Any:
    """Only a paid order with lines of active, priced parts goes on."""
    try:
        check = await agent.validate(ctx.conn, _order_id(ctx))
    except AutoMechanicaError as exc:
        return Finish("failed", reason=exc.message)
    if check.status == "cancelled":
        return Finish("completed", output={"order_id": check.order_id, "skipped": "cancelled"})
    if check.problems:
        return Finish("failed", reason=f"order {check.number}: " + "; ".join(check.problems))
    return check.model_dump(mode="json")


async def route(ctx: StepContext) -> Any:
    """The Order agent's routing, recorded; short of stock, a person decides."""
    order_id = _order_id(ctx)
    decision = await agent.route(ctx.conn, order_id)
    policy = await get_policy(ctx.conn, DECISION)
    sure = not decision.output.unroutable and decision.confidence >= policy.threshold
    plan = decision.output.model_dump(mode="json")
    event_id = await record_event(
        ctx.conn,
        AgentEvent(
            agent=AGENT,
            decision_type=DECISION,
            outcome="accepted" if sure else "held",
            workflow_id=ctx.workflow_id,
            task_id=ctx.task_id,
            step_key=ctx.step_key,
            subject_kind="order",
            subject_id=str(order_id),
            input={"order_id": order_id, "warnings": ctx.results["validate"]["warnings"]},
            output=plan,
            confidence=decision.confidence,
            rationale=decision.rationale,
            evidence=[e.model_dump() for e in decision.evidence],
        ),
    )
    if sure:
        return {"plan": plan}
    return Hold(
        ReviewRequest(
            kind=DECISION,
            reason=decision.rationale,
            proposed=plan,
            agent=AGENT,
            confidence=decision.confidence,
            rationale=decision.rationale,
            evidence=[e.model_dump() for e in decision.evidence],
            subject_kind="order",
            subject_id=str(order_id),
            event_id=event_id,
        )
    )


async def write_purchase_orders(ctx: StepContext) -> Any:
    """The settled routing as purchase orders and files, and the core returns."""
    order_id = _order_id(ctx)
    routed = ctx.results["route"]
    if "decision" in routed:
        if routed["decision"] == "rejected":
            await set_order_status(
                ctx.conn,
                order_id,
                "cancelled",
                allowed_from=["placed"],
                actor=ACTOR,
                note="not routed: " + (routed.get("note") or "rejected in review"),
            )
            return Finish("completed", output={"order_id": order_id, "cancelled": True})
        if routed["decision"] == "approved":  # stock may have come in: route again
            plan = (await agent.route(ctx.conn, order_id)).output
            if plan.unroutable:
                return Finish("failed", reason=f"order {order_id}: still not enough stock")
        else:
            plan = RoutingPlan.model_validate(routed["value"])
    else:
        plan = RoutingPlan.model_validate(routed["plan"])
    if ctx.services is None or ctx.services.data_dir is None:
        return Finish("failed", reason="no data folder for purchase-order files (data_dir)")
    try:
        written = await agent.write_purchase_orders(ctx.conn, order_id, plan, ctx.services.data_dir)
    except AutoMechanicaError as exc:
        return Finish("failed", reason=exc.message)
    return {
        "purchase_orders": [
            {"id": w.id, "number": w.number, "supplier": w.supplier, "file": str(w.path)}
            for w in written
        ]
    }


async def mark_routed(ctx: StepContext) -> Any:
    written = ctx.results["write_purchase_orders"]["purchase_orders"]
    note = "purchase orders " + ", ".join(w["number"] for w in written)
    await agent.mark_routed(ctx.conn, _order_id(ctx), note)
    return {"order_id": _order_id(ctx), "purchase_orders": len(written)}


ORDER_FULFILLMENT = Workflow(
    NAME,
    version=1,
    steps=(
        Step("validate", validate),
        Step("route", route),
        Step("write_purchase_orders", write_purchase_orders),
        Step("mark_routed", mark_routed),
    ),
    description="A paid order validated, routed to suppliers and written as purchase orders.",
)
