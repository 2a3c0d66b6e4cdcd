"""Runs workflows: versioned definitions, step journal, policies, reviews, agent events."""

from automechanica.orchestrator.definitions import (
    FanOut,
    Finish,
    Hold,
    ReviewRequest,
    Sleep,
    Step,
    StepContext,
    Workflow,
    WorkflowRegistry,
)
from automechanica.orchestrator.engine import Engine, start_workflow
from automechanica.orchestrator.errors import (
    OrchestratorError,
    PolicyError,
    ReviewStateError,
    UnknownWorkflowError,
)
from automechanica.orchestrator.events import AgentEvent, record_event
from automechanica.orchestrator.journal import STEP_KIND
from automechanica.orchestrator.policies import (
    Policy,
    PolicyChange,
    Verdict,
    all_policies,
    get_policy,
    judge,
    seed_policies,
    set_policy,
)
from automechanica.orchestrator.retention import prune_workflows
from automechanica.orchestrator.reviews import Review, decide, get_review, list_reviews
from automechanica.orchestrator.timeline import (
    Timeline,
    WorkflowSummary,
    cancel_workflow,
    list_workflows,
    workflow_timeline,
)

__all__ = [
    "STEP_KIND",
    "AgentEvent",
    "Engine",
    "FanOut",
    "Finish",
    "Hold",
    "OrchestratorError",
    "Policy",
    "PolicyChange",
    "PolicyError",
    "Review",
    "ReviewRequest",
    "ReviewStateError",
    "Sleep",
    "Step",
    "StepContext",
    "Timeline",
    "UnknownWorkflowError",
    "Verdict",
    "Workflow",
    "WorkflowRegistry",
    "WorkflowSummary",
    "all_policies",
    "cancel_workflow",
    "decide",
    "get_policy",
    "get_review",
    "judge",
    "list_reviews",
    "list_workflows",
    "prune_workflows",
    "record_event",
    "seed_policies",
    "set_policy",
    "start_workflow",
    "workflow_timeline",
]
